#!/bin/bash
# Installs what the tests need, builds quench twice (plain, and with AddressSanitizer +
# UndefinedBehaviorSanitizer) with warnings as errors, and runs every test in both builds:
# unit tests, fuzz corpus replay, and integration tests against real tools and real images;
# then a ThreadSanitizer build reads images of every source kind (the layer readers are threaded).
#   QUENCH_SHARED      the shared folder (default: ../shared next to this checkout)
#   QUENCH_TESTIMAGES  where the test images are built (default /var/cache/quench-testimages)
set -euo pipefail
cd "$(dirname "$0")/.."
export QUENCH_SHARED=${QUENCH_SHARED:-$(cd ../shared && pwd)}
export QUENCH_TESTIMAGES=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
# in CI every skipped test is a failure: the tools it needs are installed here
[ -n "${CI:-}" ] && export QUENCH_REQUIRE_ALL=1

scripts/install-deps.sh --test
"$QUENCH_SHARED/testimages/build.sh" "$QUENCH_TESTIMAGES" >/dev/null

echo "== format check" >&2
files=$(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror $files

for variant in plain asan; do
  dir=build-test-$variant
  args=(-Dwerror=true --buildtype=debugoptimized)
  [ $variant = asan ] && args+=(-Db_sanitize=address,undefined -Db_lundef=false)
  echo "== build ($variant)" >&2
  [ -f "$dir/build.ninja" ] || meson setup "$dir" "${args[@]}" >/dev/null
  ninja -C "$dir" >/dev/null
  echo "== tests ($variant)" >&2
  QUENCH_VARIANT=$variant ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$dir" --print-errorlogs --num-processes 2
done
# Layers are read on several threads: ThreadSanitizer watches the readers over every source
# kind (a folder store once shared an unlocked fd list between the workers).
echo "== race check (ThreadSanitizer)" >&2
dir=build-test-tsan
[ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false >/dev/null
ninja -C "$dir" cli/quench >/dev/null
for ref in "oci:$QUENCH_TESTIMAGES/oci:python-3.11" "$QUENCH_TESTIMAGES/python-3.11.oci.tar" \
  "$QUENCH_TESTIMAGES/pyapp.docker.tar" "oci:$QUENCH_TESTIMAGES/oci:nginx"; do
  TSAN_OPTIONS=halt_on_error=1:exitcode=66 "$dir/cli/quench" sbom -f json -o /dev/null "$ref" ||
    { echo "race check failed on $ref" >&2; exit 1; }
done
echo "all tests passed" >&2
