#!/bin/bash
# Integration test: `quench db` against the real data and real HTTP servers.
#  - import of the real Debian OSV tree (../shared/data, unpacked with tar -xJf): time, peak
#    memory, size; spot checks with the sqlite3 CLI and a cross-check against the independent
#    Debian 12 extract; lookups of 300 packages on the warm database
#  - status (--json, stale data warning), show, lookup; bad inputs (truncated zip, .tar.xz)
#  - SIGTERM during an import leaves the old database byte-identical and no temporary file
#  - update from Debian's nginx on 127.0.0.1 (ETag / Last-Modified, 304 on the second run with
#    nothing transferred), a changed feed, a corrupt zip and a missing feed (database unchanged),
#    a config file, and a small python3 server for 500-then-success retries, persistent 500s
#    and a SIGTERM during a slow download.
# Needs: python3, xz-utils (tar -xJf), sqlite3, nginx-light (or nginx), time (/usr/bin/time).
source "$(dirname "$0")/lib.sh"

DATA=$QUENCH_SHARED/data
TARBALL=$DATA/debian-osv/vuls-data-raw-debian-osv_af8e56d.tar.xz
Q=$QUENCH
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

# same BYTES: two files are byte-identical
same() { cmp -s "$1" "$2"; }
# no_temp DIR: nothing but the database (no .NAME.XXXXXX build or download files)
no_temp() { [ -z "$(find "$1" -maxdepth 1 -name '.*' ! -name . | head -1)" ]; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# no user config or cache may leak in
export XDG_CONFIG_HOME=$T/xdg-config XDG_CACHE_HOME=$T/xdg-cache
if ! have python3; then skip "db integration" "python3 is missing"; done_testing; exit; fi

# Performance bounds: the task's targets; a sanitizer build (CI runs every test under ASan+UBSan)
# is several times slower and its shadow memory counts in RSS, so it gets looser bounds.
MAX_S=60 MAX_KB=1048576 MAX_LOOKUP_MS=150
if ldd "$Q" 2>/dev/null | grep -q -e libasan -e libubsan; then
  MAX_S=400 MAX_KB=4194304 MAX_LOOKUP_MS=1000
  echo "# sanitizer build: performance bounds relaxed"
fi

# ---------------------------------------------------------------- the real Debian OSV tree
DB=$T/cache/db.sqlite
mkdir -p "$T/cache" "$T/osv"
if [ -r "$TARBALL" ] && have xz; then
  tar -xJf "$TARBALL" -C "$T/osv"
  TIMEV=()
  [ -x /usr/bin/time ] && TIMEV=(/usr/bin/time -v -o "$T/time.txt")
  start=$(date +%s.%N)
  "${TIMEV[@]}" "$Q" db import --db "$DB" --json "$T/osv" >"$T/import.json" 2>"$T/import.err"
  rc=$?
  secs=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
  check "import the Debian OSV tree (exit 0)" [ $rc = 0 ]
  records=$(jq_py 'd["sources"][0]["records"]' <"$T/import.json" 2>/dev/null)
  skipped=$(jq_py 'd["sources"][0]["skipped"]' <"$T/import.json" 2>/dev/null)
  # 44,181 files; 29 DSA ids appear twice in the tree (the later copy replaces the earlier)
  check "all 44152 distinct records imported, none skipped (got ${records:-?}, ${skipped:-?} skipped)" \
    [ "${records:-0}" = 44152 -a "${skipped:-1}" = 0 ]
  size=$(stat -c %s "$DB" 2>/dev/null || echo 0)
  rss=0
  [ -s "$T/time.txt" ] && rss=$(awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}' "$T/time.txt")
  echo "# import: ${secs} s wall, peak RSS ${rss} KB, database $((size / 1048576)) MB"
  check "import under $MAX_S s (${secs} s)" python3 -c "import sys; sys.exit(0 if $secs < $MAX_S else 1)"
  if [ "$rss" != 0 ]; then check "import peak memory under $((MAX_KB / 1024)) MB (${rss} KB)" [ "$rss" -lt "$MAX_KB" ]
  else skip "import peak memory" "/usr/bin/time is missing (apt-get install time)"; fi
  check "no temporary file next to the database after the import" no_temp "$T/cache"
else
  skip "real Debian OSV import" "$TARBALL or xz is missing"
fi

if [ -s "$DB" ] && have sqlite3; then
  q() { sqlite3 -separator '|' "$DB" "$1"; }
  got=$(q "SELECT a.fixed, a.status, a.urgency, v.cvss3_score FROM affected a JOIN vulns v ON v.id = a.vuln_ref
           WHERE v.vuln_id = 'CVE-2023-4911' AND a.ecosystem = 'Debian' AND a.release = '12' AND a.package = 'glibc'
           AND a.n_versions = 0")
  check "CVE-2023-4911: Debian 12 glibc fixed in 2.36-9+deb12u3, CVSS 7.8 (got '$got')" \
    [ "$got" = "2.36-9+deb12u3|fixed|not yet assigned|7.8" ]
  got=$(q "SELECT a.fixed FROM affected a JOIN vulns v ON v.id = a.vuln_ref WHERE v.vuln_id = 'DSA-5311-1'
           AND a.release = '11' AND a.package = 'trafficserver' AND a.n_versions = 0")
  check "DSA-5311-1: Debian 11 trafficserver fixed in 8.1.6+ds-1~deb11u1 (got '$got')" [ "$got" = "8.1.6+ds-1~deb11u1" ]
  got=$(q "SELECT a.release, a.fixed FROM affected a JOIN vulns v ON v.id = a.vuln_ref WHERE v.vuln_id = 'CVE-2019-7317'
           AND a.ecosystem = 'Alpine' AND a.release = '3.10' AND a.package = 'libpng' AND a.n_versions = 0")
  check "CVE-2019-7317: Alpine 3.10 libpng (\"Alpine:v3.10\" without the v) fixed in 1.6.37-r0 (got '$got')" \
    [ "$got" = "3.10|1.6.37-r0" ]
  got=$(q "SELECT count(*) FROM affected WHERE status = 'will_not_fix' AND urgency = 'end-of-life'")
  check "end-of-life urgency rows are will_not_fix ($got)" [ "${got:-0}" -gt 0 ]
  # Cross-check against the independent extract: one line per Debian:12 range.
  ours=$(q "SELECT count(*) || ' ' || sum(fixed IS NULL) FROM affected WHERE ecosystem = 'Debian' AND release = '12' AND n_versions = 0")
  theirs=$(gzip -dc "$DATA/debian-osv/debian12-osv-extract.jsonl.gz" | python3 -c '
import json, sys
n = u = 0
for line in sys.stdin:
    j = json.loads(line); n += 1; u += j.get("fixed") is None
print(n, u)')
  check "Debian 12 ranges and unfixed ranges match the extract ($ours vs $theirs)" [ "$ours" = "$theirs" ]
elif [ -s "$DB" ]; then
  skip "spot checks with sqlite3" "sqlite3 is missing (apt-get install sqlite3)"
fi

if [ -s "$DB" ]; then
  expect_exit 0 "db show CVE-2023-4911" "$Q" db show --db "$DB" CVE-2023-4911
  check "db show: CVSS 3.1 vector scored 7.8" grep -q '"cvss3_score": 7.8' "$T/stdout"
  expect_exit 0 "db lookup Debian 12 glibc" "$Q" db lookup --db "$DB" --json Debian 12 glibc
  n=$(jq_py 'len([r for r in d if r["id"] == "CVE-2023-4911" and r.get("fixed") == "2.36-9+deb12u3"])' <"$T/stdout")
  check "lookup returns CVE-2023-4911 for glibc in Debian 12 ($n)" [ "$n" = 1 ]
  # 300 source packages of Debian 12, looked up on the warm database (the second run is timed)
  if have sqlite3; then
    sqlite3 "$DB" "SELECT DISTINCT package FROM affected WHERE ecosystem = 'Debian' AND release = '12' ORDER BY package LIMIT 300" >"$T/pkgs"
    "$Q" db lookup --db "$DB" --count Debian 12 - <"$T/pkgs" >/dev/null
    start=$(date +%s%N)
    "$Q" -v db lookup --db "$DB" --count Debian 12 - <"$T/pkgs" >"$T/counts" 2>"$T/lookup.err"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    inner=$(sed -n 's/.* rows in \([0-9.]*\) ms/\1/p' "$T/lookup.err")
    echo "# lookup of $(wc -l <"$T/pkgs") packages on the warm database: ${inner:-?} ms in the lookups, ${ms} ms for the whole process"
    check "300 package lookups well under 0.3 s (${inner:-?} ms)" \
      python3 -c "import sys; sys.exit(0 if $(wc -l <"$T/counts") == 300 and ${inner:-99999} < $MAX_LOOKUP_MS else 1)"
  fi
  expect_exit 0 "db status --json exits 0 on old data" "$Q" db status --db "$DB" --json
  check "status --json: schema 1, 44152 records, marked stale" \
    [ "$(jq_py '"%d %d %s" % (d["database"]["schema_version"], d["database"]["records"], d["stale"])' <"$T/stdout")" = "1 44152 True" ]
  check "status warns about data older than 7 days" grep -q "older than 7" "$T/stderr"
  expect_exit 0 "db status --max-age 100000: no warning" "$Q" db status --db "$DB" --max-age 100000
  check "no stale warning with a large --max-age" [ ! -s "$T/stderr" ]
  check "status table names the source" grep -q "file:$T/osv" "$T/stdout"

  # SIGTERM during an import: the old database stays, byte for byte, and no temporary file
  cp "$DB" "$T/db.before"
  "$Q" db import --db "$DB" "$T/osv" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -n "$(find "$T/cache" -name '.db.sqlite.*' | head -1)" ] && break; sleep 0.1; done
  sleep 1
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  check "SIGTERM ends the import (exit $rc)" [ "$rc" -ge 128 ]
  check "after SIGTERM the database is byte-identical" same "$DB" "$T/db.before"
  check "after SIGTERM no temporary file is left" no_temp "$T/cache"
fi

# ---------------------------------------------------------------- imports of other formats, bad inputs
SDB=$T/small/db.sqlite
mkdir -p "$T/small"
if [ -r "$DATA/alpine-secdb/3.20/main.json" ]; then
  expect_exit 0 "import two real Alpine secdb files" "$Q" db import --db "$SDB" --json \
    "$DATA/alpine-secdb/3.20/main.json" "$DATA/alpine-secdb/3.20/community.json"
  check "secdb sources are detected by content" [ "$(jq_py '",".join(s["kind"] for s in d["sources"])' <"$T/stdout")" = "alpine-secdb,alpine-secdb" ]
  expect_exit 0 "lookup Alpine 3.20 openssl" "$Q" db lookup --db "$SDB" --json Alpine 3.20 openssl
  check "openssl in Alpine 3.20 has CVE-2024-5535 fixed in 3.3.1-r1" \
    [ "$(jq_py 'sorted(r["fixed"] for r in d if r["id"] == "CVE-2024-5535")' <"$T/stdout")" = "['3.3.1-r1']" ]
fi
cp "$SDB" "$T/small.before" 2>/dev/null
python3 - "$T" <<'EOF'
import sys, zipfile
t = sys.argv[1]
rec = '{"id": "CVE-2099-0001", "modified": "2099-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}'
with zipfile.ZipFile(t + "/good.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(20):
        z.writestr("CVE-2099-%04d.json" % i, rec.replace("0001", "%04d" % i))
data = open(t + "/good.zip", "rb").read()
open(t + "/cut.zip", "wb").write(data[: len(data) // 2])
EOF
expect_exit 2 "a truncated zip is refused (exit 2)" "$Q" db import --db "$SDB" "$T/cut.zip"
stderr_has "cut.zip" "the truncated-zip message names the file on one line"
[ -r "$TARBALL" ] && { expect_exit 2 "a .tar.xz is refused with a hint" "$Q" db import --db "$SDB" "$TARBALL"
  stderr_has "unpack it first" "the .tar.xz message says to unpack it"; }
expect_exit 2 "a missing path is exit 2" "$Q" db import --db "$SDB" "$T/nope"
check "failed imports leave the database byte-identical" same "$SDB" "$T/small.before"
check "failed imports leave no temporary file" no_temp "$T/small"
expect_exit 0 "import an OSV zip into a named source" "$Q" db import --db "$SDB" --source osv/Test "$T/good.zip"
expect_exit 2 "db status of a missing database is exit 2" "$Q" db status --db "$T/none.sqlite"
expect_exit 2 "db import without a PATH is a usage error" "$Q" db import --db "$SDB"
expect_exit 0 "db import --help" "$Q" db import --help
check "import --help documents --strict and the formats" grep -q -- "--strict" "$T/stdout"

# ---------------------------------------------------------------- update from nginx
WWW=$T/www
mkdir -p "$WWW/Debian" "$WWW/tracker/data" "$WWW/v3.20"
chmod 755 "$T"
python3 - "$WWW" "$T/osv" <<'EOF'
import os, sys, zipfile
www, tree = sys.argv[1], sys.argv[2]
picks = ["CVE/2023/CVE-2023-4911.json", "DSA/2023/DSA-5311-1.json", "CVE/2024/CVE-2024-26328.json"]
with zipfile.ZipFile(www + "/Debian/all.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for p in picks:
        src = os.path.join(tree, p)
        if os.path.exists(src):
            z.write(src, os.path.basename(p))
        else:  # without the tarball: a small record of the same shape
            z.writestr(os.path.basename(p), '{"id": "%s", "modified": "2025-01-01T00:00:00Z", "affected": []}' % os.path.basename(p)[:-5])
EOF
cat >"$WWW/tracker/data/json" <<'EOF'
{"glibc": {"CVE-2023-4911": {"description": "ld.so tunables overflow", "scope": "local", "releases": {
   "bookworm": {"status": "resolved", "fixed_version": "2.36-9+deb12u3", "urgency": "high", "repositories": {}},
   "bullseye": {"status": "resolved", "fixed_version": "2.31-13+deb11u7", "urgency": "high", "repositories": {}}}}},
 "curl": {"CVE-2024-2398": {"description": "HTTP/2 push leak", "releases": {
   "bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored", "repositories": {}}}}}}
EOF
if [ -r "$DATA/alpine-secdb/3.20/main.json" ]; then cp "$DATA/alpine-secdb/3.20/main.json" "$WWW/v3.20/main.json"
else echo '{"distroversion": "v3.20", "reponame": "main", "packages": []}' >"$WWW/v3.20/main.json"; fi
chmod -R a+rX "$WWW"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
UDB=$T/upd/db.sqlite
mkdir -p "$T/upd" "$T/nginx/tmp"
if [ -x "$NGINX" ]; then
  PORT=$(free_port)
  cat >"$T/nginx/nginx.conf" <<EOF
worker_processes 1;
error_log $T/nginx/error.log;
pid $T/nginx/nginx.pid;
events { worker_connections 64; }
http {
  log_format q '\$request_uri \$status \$body_bytes_sent';
  access_log $T/nginx/access.log q;
  client_body_temp_path $T/nginx/tmp/body;
  proxy_temp_path $T/nginx/tmp/proxy;
  fastcgi_temp_path $T/nginx/tmp/fastcgi;
  uwsgi_temp_path $T/nginx/tmp/uwsgi;
  scgi_temp_path $T/nginx/tmp/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$PORT; root $WWW; }
}
EOF
  "$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>"$T/nginx/stderr" &
  PIDS+=($!)
  if wait_port "$PORT"; then
    M="http://127.0.0.1:$PORT"
    UP=("$Q" db update --db "$UDB" --mirror "$M" --ecosystems Debian --set alpine-releases=v3.20 --set alpine-repos=main --json)
    expect_exit 0 "update from nginx" "${UP[@]}"
    check "three feeds updated" [ "$(jq_py '" ".join(s["name"] + ":" + s["action"] for s in d["sources"])' <"$T/stdout")" = \
      "osv/Debian:updated debian-tracker:updated alpine-secdb/v3.20/main:updated" ]
    first_counts=$(jq_py '[s["records"] for s in d["sources"]]' <"$T/stdout")
    "$Q" db status --db "$UDB" --json >"$T/st1.json" 2>/dev/null
    check "the sources table keeps the ETag and Last-Modified" \
      [ "$(jq_py 'all(s["etag"] and s["last_modified"] for s in d["sources"])' <"$T/st1.json")" = True ]
    : >"$T/nginx/access.log"
    cp "$UDB" "$T/upd.before"
    expect_exit 0 "second update" "${UP[@]}"
    check "second update: every feed not modified" \
      [ "$(jq_py 'set(s["action"] for s in d["sources"])' <"$T/stdout")" = "{'not modified'}" ]
    check "second update keeps the record counts" [ "$(jq_py '[s["records"] for s in d["sources"]]' <"$T/stdout")" = "$first_counts" ]
    check "nginx answered 304 to all three requests and sent no body" \
      [ "$(awk '$2 == 304 && $3 == 0' "$T/nginx/access.log" | wc -l)" = 3 -a "$(wc -l <"$T/nginx/access.log")" = 3 ]
    "$Q" db status --db "$UDB" --json >"$T/st2.json" 2>/dev/null
    check "a 304 moves fetched_at but not changed_at" python3 - "$T/st1.json" "$T/st2.json" <<'EOF'
import json, sys
a, b = (json.load(open(p))["sources"] for p in sys.argv[1:3])
sys.exit(0 if all(x["changed_at"] == y["changed_at"] and x["fetched_at"] <= y["fetched_at"] for x, y in zip(a, b)) else 1)
EOF
    # a changed feed is downloaded again, the others stay 304
    sleep 1
    sed -i 's/HTTP\/2 push leak/HTTP\/2 push leak (updated)/' "$WWW/tracker/data/json"
    expect_exit 0 "update after the tracker changed" "${UP[@]}"
    check "only the tracker is updated" [ "$(jq_py '" ".join(s["action"] for s in d["sources"])' <"$T/stdout")" = \
      "not modified updated not modified" ]
    expect_exit 0 "show the changed tracker record" "$Q" db show --db "$UDB" CVE-2024-2398
    check "the new tracker text is stored" grep -q "(updated)" "$T/stdout"
    # failures leave the database byte-identical
    cp "$UDB" "$T/upd.before"
    cp "$WWW/Debian/all.zip" "$T/all.zip.good"
    head -c 200 "$T/all.zip.good" >"$WWW/Debian/all.zip"
    expect_exit 2 "a corrupt zip on the server: exit 2" "${UP[@]}"
    stderr_has "osv/Debian" "the corrupt-zip message names the feed on one line"
    check "after the corrupt zip the database is byte-identical" same "$UDB" "$T/upd.before"
    check "after the corrupt zip no temporary file is left" no_temp "$T/upd"
    cp "$T/all.zip.good" "$WWW/Debian/all.zip"
    expect_exit 2 "a missing feed (404): exit 2" "$Q" db update --db "$UDB" --mirror "$M" --ecosystems Debian \
      --set alpine-releases=v3.20,v9.99 --set alpine-repos=main
    stderr_has "HTTP status 404" "the 404 message says so on one line"
    check "after the 404 the database is byte-identical" same "$UDB" "$T/upd.before"
    # a config file instead of options
    printf '# test\n[db]\nmirror = %s\nosv-ecosystems = Debian\nalpine-releases = v3.20\nalpine-repos = main\n' "$M" >"$T/config"
    expect_exit 0 "update with --config" "$Q" db update --db "$UDB" --config "$T/config" --json
    check "the config's feeds are used" [ "$(jq_py 'len(d["sources"])' <"$T/stdout")" = 3 ]
    printf '[db]\nbogus = 1\n' >"$T/badconfig"
    expect_exit 2 "an unknown config key is exit 2" "$Q" db update --db "$UDB" --config "$T/badconfig"
    stderr_has "line 2" "the config error names the line"
  else
    not_ok "nginx did not start: $(head -3 "$T/nginx/stderr" | tr '\n' ' ')"
  fi
else
  skip "update from nginx" "nginx is missing (apt-get install nginx-light)"
fi

# ---------------------------------------------------------------- retries and a slow server (python3)
cat >"$T/server.py" <<'EOF'
# Serves ROOT; the first FAILS requests per path answer 500; every response waits DELAY seconds.
import collections, http.server, sys, time
root, fails, delay, port_file, log = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
seen = collections.Counter()
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def do_GET(self):
        seen[self.path] += 1
        time.sleep(delay)
        if seen[self.path] <= fails:
            self.send_error(500)
        else:
            super().do_GET()
    def log_request(self, code="-", size="-"):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, int(code)))
    def log_message(self, fmt, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
start_py() { # FAILS DELAY NAME: starts a server, sets PY_URL
  rm -f "$T/$3.port"
  python3 "$T/server.py" "$WWW" "$1" "$2" "$T/$3.port" "$T/$3.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$T/$3.port" ] && break; sleep 0.1; done
  PY_URL="http://127.0.0.1:$(cat "$T/$3.port")"
}
RDB=$T/retry/db.sqlite
mkdir -p "$T/retry"
start_py 2 0 flaky
PY=("$Q" db update --db "$RDB" --mirror "$PY_URL" --ecosystems Debian --feeds osv --set retry-delay=0.1 --json)
expect_exit 0 "500, 500, then 200: the update succeeds" "${PY[@]}" --set retries=3
check "the server saw two 500s and then a 200" [ "$(tr '\n' ' ' <"$T/flaky.log")" = "/Debian/all.zip 500 /Debian/all.zip 500 /Debian/all.zip 200 " ]
check "the retried feed was imported" [ "$(jq_py 'd["sources"][0]["action"]' <"$T/stdout")" = updated ]
cp "$RDB" "$T/retry.before"
start_py 100 0 broken
expect_exit 3 "persistent 500s: exit 3 after the retries" "$Q" -q db update --db "$RDB" --mirror "$PY_URL" --ecosystems Debian \
  --feeds osv --set retry-delay=0.1 --set retries=2
stderr_has "after 3 attempts" "the message counts the attempts"
check "persistent 500s leave the database byte-identical" same "$RDB" "$T/retry.before"
start_py 0 30 slow
"$Q" db update --db "$RDB" --mirror "$PY_URL" --ecosystems Debian --feeds osv >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM ends a slow update (exit $rc)" [ "$rc" -ge 128 ]
check "after SIGTERM during the download the database is byte-identical" same "$RDB" "$T/retry.before"
check "after SIGTERM during the download no temporary file is left" no_temp "$T/retry"

done_testing
