#!/bin/bash
# quench-trace, the ptrace helper, on the host and as PID 1 of a real runc container with the
# default capabilities and no_new_privileges: the log holds opened files, listed folders, failed
# lookups, execs and what children touch; exit codes and signals pass through; as PID 1 it
# forwards `runc kill` and reaps orphans. Cleans up its containers on every path.
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$(dirname "$QUENCH")/.." && pwd)
QT=$BUILD/lib/trace/quench-trace
ROOTFS_TAR=$QUENCH_TESTIMAGES/rootfs/bookworm-python311-slim.tar
IDS=()
cleanup() {
  local id
  for id in "${IDS[@]}"; do runc delete --force "$id" >/dev/null 2>&1; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$QT" ]; then not_ok "quench-trace is built at $QT"; done_testing; exit; fi
# has_line FILE LINE: the log holds exactly this line
has_line() { grep -qxF -- "$2" "$1"; }
# jq_true FILTER FILE: the filter holds for the JSON file
jq_true() { jq -e "$1" "$2" >/dev/null; }
# has_path FILE PATH: some call in the log names PATH (as its first or second path)
has_path() { awk -F'\t' -v p="$2" '$2 == p || $3 == p { f = 1 } END { exit !f }' "$1"; }

# ---- on the host ----
L=$T/host.log
expect_exit 0 "host: the traced command runs" "$QT" --log "$L" -- \
  sh -c 'cat /etc/hostname; ls /usr/share >/dev/null; test -e /nonexistent-xyz; python3 -c "import json"'
check "host: the opened file is logged" has_line "$L" $'openat\t/etc/hostname'
check "host: the listed folder is logged" has_line "$L" $'openat\t/usr/share'
check "host: the failed lookup is logged" has_path "$L" /nonexistent-xyz
PY=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
JSONPY=$(python3 -c 'import json; print(json.__file__)')
check "host: the exec of $PY is logged" has_line "$L" $'exec\t'"$PY"
check "host: json's module file is logged" has_path "$L" "$JSONPY"
check "host: the ELF interpreter mapped by exec is logged" grep -qE $'^exec\t/.*/ld-linux' "$L"
check "host: the first line says what wrote the log" has_line "$L" "# quench-trace 1"
# lookups that only look at a name, and a failed open of a file that exists, are logged by call
mkdir -p "$T/look" && echo x >"$T/look/file" && ln -sfn file "$T/look/link"
L4=$T/look.log
expect_exit 0 "host: a command that only looks at names runs" "$QT" --log "$L4" -- python3 -c '
import os, sys
d = sys.argv[1]
os.stat(d + "/file"); os.lstat(d + "/link"); os.access(d + "/file", os.R_OK); os.readlink(d + "/link")
try:
    os.open(d + "/file", os.O_RDONLY | os.O_DIRECTORY)
except NotADirectoryError:
    pass
os.path.exists(d + "/absent")' "$T/look"
logged() { grep -qE "^($1)"$'	'"$2\$" "$L4"; }
check "host: stat is logged" logged 'stat|newfstatat|statx' "$T/look/file"
check "host: lstat is logged (of the link itself)" logged 'lstat|newfstatat|statx' "$T/look/link"
check "host: access is logged" logged 'access|faccessat|faccessat2' "$T/look/file"
check "host: readlink is logged" logged 'readlink|readlinkat' "$T/look/link"
check "host: a failed open of an existing file (ENOTDIR) is logged" logged 'open|openat|openat2' "$T/look/file"
check "host: a failed lookup of an absent path is logged" logged 'stat|newfstatat|statx' "$T/look/absent"
L2=$T/nested.log
expect_exit 0 "host: nested children run" "$QT" --log "$L2" -- sh -c 'sh -c "sh -c \"head -c1 /etc/os-release\"" >/dev/null'
check "host: a grandchild's grandchild's open is logged" has_line "$L2" $'openat\t/etc/os-release'
L3=$T/threads.log
expect_exit 0 "host: a threaded command runs" "$QT" --log "$L3" -- python3 -c '
import threading
t = threading.Thread(target=lambda: open("/etc/issue").close()); t.start(); t.join()'
check "host: a thread's open is logged" has_line "$L3" $'openat\t/etc/issue'
check "host: no tracer line was torn" awk -F'\t' '/^#/ { next } NF < 2 || NF > 3 || $2 !~ /^\// { bad = 1 } END { exit bad }' "$L" "$L2" "$L3"

expect_exit 7 "host: exit status 7 passes through" "$QT" --log "$T/x.log" -- sh -c 'exit 7'
expect_exit 137 "host: killed by SIGKILL gives 137" "$QT" --log "$T/x.log" -- sh -c 'kill -KILL $$'
expect_exit 127 "host: a missing command gives 127" "$QT" --log "$T/x.log" -- /nonexistent-cmd
expect_exit 125 "host: a missing log folder gives 125" "$QT" --log "$T/no/such/dir/x.log" -- true
expect_exit 125 "host: no command is a usage error (125)" "$QT" --log "$T/x.log"

# SIGTERM sent to the tracer reaches the command, whose trap decides the exit status
"$QT" --log "$T/x.log" -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' >"$T/term.out" &
tracer=$!
for _ in $(seq 100); do grep -q ready "$T/term.out" && break; sleep 0.05; done
kill -TERM "$tracer"
wait "$tracer"
rc=$?
if [ "$rc" = 42 ]; then ok "host: SIGTERM to the tracer reaches the command"; else not_ok "host: SIGTERM forwarded (exit $rc, want 42)"; fi

# --pause: runs nothing, waits for a stop signal, exits 0
"$QT" --pause &
pauser=$!
sleep 0.3
check "host: --pause keeps running" kill -0 "$pauser"
kill -TERM "$pauser"
wait "$pauser"
rc=$?
check "host: --pause exits 0 on SIGTERM (got $rc)" test "$rc" = 0

# ---- inside a runc container, as PID 1 ----
if ! have runc; then skip "runc container" "runc is not installed"; done_testing; exit; fi
if [ ! -s "$ROOTFS_TAR" ]; then skip "runc container" "no $ROOTFS_TAR (run ../shared/testimages/build.sh)"; done_testing; exit; fi
if [ "$(id -u)" != 0 ]; then skip "runc container" "needs root"; done_testing; exit; fi
B=$T/bundle
mkdir -p "$B/rootfs" "$T/qlog"
tar -xf "$ROOTFS_TAR" -C "$B/rootfs"
(cd "$B" && runc spec)
# bundle ARGS_JSON: writes config.json: default capabilities and noNewPrivileges kept, the
# helper's build folder read-only at /.quench-bin, the log folder at /.quench
bundle() {
  jq --arg bin "$BUILD/lib/trace" --arg log "$T/qlog" --argjson args "$1" '
    .process.terminal = false | .process.args = $args | .root.path = "rootfs" |
    .mounts += [{destination: "/.quench-bin", type: "bind", source: $bin, options: ["rbind", "ro"]},
                {destination: "/.quench", type: "bind", source: $log, options: ["rbind", "rw"]}]' \
    "$B/config.json.orig" >"$B/config.json"
}
mv "$B/config.json" "$B/config.json.orig"
check "container: runc's default spec sets noNewPrivileges" jq_true '.process.noNewPrivileges == true' "$B/config.json.orig"
check "container: runc's default spec has no CAP_SYS_PTRACE or CAP_SYS_ADMIN" \
  jq_true '[.process.capabilities[][]] | index("CAP_SYS_PTRACE") == null and index("CAP_SYS_ADMIN") == null' "$B/config.json.orig"

ID=quench-trace-test-$$-$RANDOM
IDS+=("$ID")
bundle '["/.quench-bin/quench-trace", "--log", "/.quench/trace.log", "--", "python3", "-c", "import json, ssl; print(\"ok\")"]'
(cd "$B" && runc run "$ID" </dev/null >"$T/c.out" 2>"$T/c.err")
rc=$?
if [ "$rc" = 0 ] && [ "$(cat "$T/c.out")" = ok ]; then ok "container: python3 runs traced as PID 1 and prints ok"; else
  not_ok "container: traced python3 (exit $rc, stdout $(head -c 200 "$T/c.out"))"; sed 's/^/#   /' "$T/c.err" | head -5; fi
CL=$T/qlog/trace.log
check "container: json/__init__.py is logged" has_path "$CL" /usr/lib/python3.11/json/__init__.py
check "container: the _ssl extension module is logged" grep -qE $'^openat\t/usr/lib/python3.11/lib-dynload/_ssl\\.cpython-311-[^/]*\\.so$' "$CL"
# the loader asks for /lib/<triplet>/libssl.so.3: logged as asked, through the /lib symlink
check "container: libssl is logged" grep -qE $'^openat\t(/usr)?/lib/[^/]*/libssl\\.so\\.3$' "$CL"
check "container: the exec of python3.11 is logged" has_line "$CL" $'exec\t/usr/bin/python3.11'
runc delete --force "$ID" >/dev/null 2>&1

# as PID 1: `runc kill` reaches the command, and an orphan that exits is reaped
ID=quench-trace-test-$$-$RANDOM
IDS+=("$ID")
bundle '["/.quench-bin/quench-trace", "--log", "/.quench/trace2.log", "--", "sh", "-c",
  "trap \"exit 42\" TERM; (sleep 0.2 &); sleep 1; if grep -qs \"^State:.*Z\" /proc/[0-9]*/status; then echo zombie; else echo ready; fi; while :; do sleep 0.1; done"]'
(cd "$B" && runc run "$ID" </dev/null >"$T/c2.out" 2>"$T/c2.err") &
runner=$!
for _ in $(seq 200); do grep -qE 'ready|zombie' "$T/c2.out" 2>/dev/null && break; sleep 0.05; done
check "container: the orphan was reaped (no zombie left)" grep -qx ready "$T/c2.out"
runc kill "$ID" TERM >/dev/null 2>&1
wait "$runner"
rc=$?
if [ "$rc" = 42 ]; then ok "container: runc kill TERM reaches the command through PID 1"; else
  not_ok "container: runc kill TERM (exit $rc, want 42)"; sed 's/^/#   /' "$T/c2.err" | head -5; fi

# --pause as PID 1: `runc kill TERM` stops it (PID 1 ignores signals it has no handler for)
ID=quench-trace-test-$$-$RANDOM
IDS+=("$ID")
bundle '["/.quench-bin/quench-trace", "--pause"]'
(cd "$B" && runc run "$ID" </dev/null >"$T/c3.out" 2>"$T/c3.err") &
runner=$!
for _ in $(seq 100); do runc state "$ID" 2>/dev/null | grep -q '"running"' && break; sleep 0.05; done
check "container: --pause runs as PID 1" bash -c "runc state '$ID' | grep -q '\"running\"'"
# (sent again until it ends: a signal that arrives before the handlers exist is lost to PID 1)
for _ in $(seq 25); do
  runc kill "$ID" TERM >/dev/null 2>&1
  sleep 0.2
  kill -0 "$runner" 2>/dev/null || break
done
runc kill "$ID" KILL >/dev/null 2>&1
wait "$runner"
rc=$?
if [ "$rc" = 0 ]; then ok "container: --pause as PID 1 exits 0 on runc kill TERM"; else
  not_ok "container: --pause as PID 1 exits 0 on runc kill TERM (got $rc)"; sed 's/^/#   /' "$T/c3.err" | head -3; fi
done_testing
