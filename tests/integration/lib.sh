# Shared helpers for integration tests (sourced). Each test script prints TAP.
#   QUENCH            path to the quench binary (set by meson)
#   QUENCH_SHARED     the shared folder with testimages/, data/, schemas/ (default ../shared)
#   QUENCH_TESTIMAGES where ../shared/testimages/build.sh put its images
#   QUENCH_SKIP_OK=1  allow skips (locally); CI sets QUENCH_REQUIRE_ALL=1 to turn skips into failures
set -u
: "${QUENCH:?QUENCH must point to the quench binary}"
SRC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QUENCH_SHARED=${QUENCH_SHARED:-$(cd "$SRC_ROOT/../shared" 2>/dev/null && pwd || echo "$SRC_ROOT/../shared")}
QUENCH_TESTIMAGES=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
TAP_N=0
TAP_FAILED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/qnit.XXXXXX")
trap 'rm -rf "$T"' EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds; what it prints follows as comments
check() {
  local d=$1 rc=0; shift
  "$@" >"$T/check.out" || rc=$?
  if [ "$rc" = 0 ]; then ok "$d"; else not_ok "$d"; fi
  sed 's/^/# /' "$T/check.out" | head -20
}
# skip DESCRIPTION REASON: a visible skip; a failure when QUENCH_REQUIRE_ALL=1 (CI)
skip() {
  TAP_N=$((TAP_N + 1))
  if [ "${QUENCH_REQUIRE_ALL:-0}" = 1 ]; then
    TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1 # required but skipped: $2"
  else
    echo "ok $TAP_N - $1 # SKIP $2"
  fi
}
have() { command -v "$1" >/dev/null 2>&1; }
# need_images: true when the test images exist, else one visible skip
need_images() {
  [ -s "$QUENCH_TESTIMAGES/pyapp.docker.tar" ] && return 0
  skip "test images" "run ../shared/testimages/build.sh first"
  return 1
}
# expect_exit CODE DESCRIPTION COMMAND...: runs the command, checks the exit code; stderr kept in $T/stderr
expect_exit() {
  local want=$1 d=$2; shift 2
  "$@" >"$T/stdout" 2>"$T/stderr"; local got=$?
  if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; sed 's/^/# /' "$T/stderr" | head -5; fi
}
# stderr_has TEXT DESCRIPTION: the last expect_exit's stderr contains TEXT and is one line
stderr_has() {
  if grep -qF -- "$1" "$T/stderr" && [ "$(wc -l <"$T/stderr")" -le 1 ]; then ok "$2"; else
    not_ok "$2"; sed 's/^/#   stderr: /' "$T/stderr" | head -5; fi
}
# slow_runtime FILE: writes a runtime that is runc, except that `run` returns 3 s after the
# container has ended (runc can lag that much on a busy machine)
slow_runtime() {
  local runc
  runc=$(command -v runc) || return 1
  printf '#!/bin/sh\nfor a; do [ "$a" = run ] && { %s "$@"; rc=$?; sleep 3; exit $rc; }; done\nexec %s "$@"\n' \
    "$runc" "$runc" >"$1" && chmod +x "$1"
}
# rpm_justdb SPEC DBPATH: builds the spec's noarch packages with rpmbuild and records them in the
# rpm database at DBPATH with rpm --justdb; the tools' output goes to $T/rpm.log
rpm_justdb() {
  local W
  W=$(mktemp -d "$T/rpmbuild.XXXXXX")
  rpmbuild --quiet --define "_topdir $W" -bb "$1" >"$T/rpm.log" 2>&1 &&
    rpm -i --justdb --nodeps --dbpath "$2" "$W"/RPMS/noarch/*.rpm >>"$T/rpm.log" 2>&1
}
# mk_rpm_root DIR [--no-os]: a Rocky Linux 9.3 root of two packages built with rpmbuild and
# recorded with rpm --justdb (sqlite rpmdb): qnhello 2:1.2.3-4.el9 (MIT) and qnlib, a binary of
# the qnhello source that qnhello requires; --no-os leaves out os-release and redhat-release
# (for a layer over another distribution)
mk_rpm_root() {
  local R=$1 W=$T/rpmbuild
  mkdir -p "$W" "$R/var/lib/rpm" "$R/etc" "$R/usr/share/qnhello" "$R/usr/lib/qnlib"
  cat >"$W/qn.spec" <<'EOF'
Name: qnhello
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: A test package
License: MIT
URL: https://example.org/qnhello
BuildArch: noarch
Requires: qnlib
%description
Test.
%package -n qnlib
Summary: Its library
License: BSD-3-Clause
%description -n qnlib
Lib.
%install
mkdir -p %{buildroot}/usr/share/qnhello %{buildroot}/usr/lib/qnlib
echo hello > %{buildroot}/usr/share/qnhello/hello.txt
echo lib > %{buildroot}/usr/lib/qnlib/lib.txt
%files
/usr/share/qnhello/hello.txt
%files -n qnlib
/usr/lib/qnlib/lib.txt
EOF
  rpm_justdb "$W/qn.spec" "$R/var/lib/rpm" || return 1
  echo hello >"$R/usr/share/qnhello/hello.txt"
  echo lib >"$R/usr/lib/qnlib/lib.txt"
  [ "${2:-}" = --no-os ] && return 0
  printf 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\nPRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n' >"$R/etc/os-release"
  echo "Rocky Linux release 9.3 (Blue Onyx)" >"$R/etc/redhat-release"
}
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" = 0 ]; }
