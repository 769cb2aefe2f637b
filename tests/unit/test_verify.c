/* Unit tests for the verify module's pure parts: output normalisation, probe comparison, the
 * interface diff, the CVE delta's explanation rule, and reading probes back from a report. */
#include <jansson.h>

#include <sys/stat.h>

#include "quench/verify.h"
#include "run/run.h"
#include "tap.h"
#include "util/json.h"
#include "verify/verify_int.h"

static char *norm(unsigned builtin, const char *re, const char *text)
{
	qn_error *err = NULL;
	qn_verify_norm *n = qn_verify_norm_new(builtin, re ? &re : NULL, re ? 1 : 0, &err);
	if (!n) {
		qn_error_free(err);
		return NULL;
	}
	char *s = qn_verify_normalize(n, text, strlen(text));
	qn_verify_norm_free(n);
	return s;
}

#define CHECK_NORM(builtin, re, in, want)           \
	do {                                        \
		char *got_ = norm(builtin, re, in); \
		CHECK_STR(got_, want);              \
		free(got_);                         \
	} while (0)

static void test_norm_timestamps(void)
{
	unsigned t = QN_NORM_TIMESTAMPS;
	CHECK_NORM(t, NULL, "at 2026-12-04T04:06:28.123Z done", "at <TIME> done");
	CHECK_NORM(t, NULL, "at 2026-12-04 04:06:28+01:00 done", "at <TIME> done");
	CHECK_NORM(t, NULL, "2026/12/04 04:06:28 [notice] 1#1: start", "<TIME> [notice] 1#1: start");
	CHECK_NORM(t, NULL, "Date: Fri, 04 Dec 2026 04:06:28 GMT", "Date: <TIME>");
	CHECK_NORM(t, NULL, "127.0.0.1 - - [04/Dec/2026:04:06:28 +0000] \"GET /\"", "127.0.0.1 - - [<TIME>] \"GET /\"");
	CHECK_NORM(t, NULL, "Fri Dec  4 04:06:28 2026", "<TIME>");
	CHECK_NORM(t, NULL, "took 12:30:01.5 here", "took <TIME> here");
	/* plain numbers and versions are behaviour, not time */
	CHECK_NORM(t, NULL, "version 3.11.2 returned 200", "version 3.11.2 returned 200");
}

static void test_norm_pids(void)
{
	unsigned p = QN_NORM_PIDS;
	CHECK_NORM(p, NULL, "started pid 4242 ok", "started pid <PID> ok");
	CHECK_NORM(p, NULL, "pid=17", "pid=<PID>");
	CHECK_NORM(p, NULL, "python3[311]: hello", "python3[<PID>]: hello");
	CHECK_NORM(p, NULL, "[notice] 29#29: exiting", "[notice] <PID>#<PID>: exiting");
	CHECK_NORM(p, NULL, "worker process 77 exited", "worker process <PID> exited");
	/* without the pattern bits nothing changes */
	CHECK_NORM(0, NULL, "pid 4242 at 2026-12-04T04:06:28Z", "pid 4242 at 2026-12-04T04:06:28Z");
	CHECK_NORM(QN_NORM_ADDRS, NULL, "<obj at 0x7f3a2c1d9e40> 0x10", "<obj at <ADDR>> 0x10");
}

static void test_norm_custom(void)
{
	CHECK_NORM(0, "req-[0-9a-f]+", "id req-ab12 and req-ff", "id <X> and <X>");
	/* with a group only the group is replaced */
	CHECK_NORM(0, "took ([0-9]+)ms", "took 15ms, took 200ms", "took <X>ms, took <X>ms");
	/* a pattern that matches the empty string does not loop */
	CHECK_NORM(0, "x*", "abc", "abc");
	qn_error *err = NULL;
	const char *bad = "([unclosed";
	CHECK(qn_verify_norm_new(0, &bad, 1, &err) == NULL);
	CHECK(err && err->kind == QN_ERR_USAGE);
	CHECK_CONTAINS(err ? err->msg : NULL, "([unclosed");
	qn_error_free(err);
	/* text with a NUL byte is binary: left as it is (up to the caller to digest raw) */
	qn_verify_norm *n = qn_verify_norm_new(QN_NORM_DEFAULT, NULL, 0, NULL);
	char *s = qn_verify_normalize(n, "pid 1\0x", 7);
	CHECK_STR(s, "pid 1");
	free(s);
	qn_verify_norm_free(n);
}

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		printf("# bad fixture: %s: %s\n", e.text, s);
	return j;
}

static size_t diff_count(const char *a, const char *b, const char *want_sub)
{
	json_t *x = J(a), *y = J(b);
	json_t *d = qn_verify_probe_diffs(x, y);
	size_t n = json_array_size(d);
	if (want_sub) {
		bool found = false;
		size_t i;
		json_t *v;
		json_array_foreach (d, i, v)
			found |= strstr(json_string_value(v), want_sub) != NULL;
		if (!found) {
			char *s = json_dumps(d, 0);
			printf("# diffs %s lack \"%s\"\n", s, want_sub);
			free(s);
			n = 999;
		}
	}
	json_decref(d);
	json_decref(x);
	json_decref(y);
	return n;
}

static void test_probe_diffs(void)
{
	const char *h200 =
	    "{\"kind\":\"http\",\"ran\":true,\"status\":200,\"body_sha256\":\"sha256:aa\",\"body_bytes\":3,"
	    "\"headers\":{\"Content-Type\":\"text/html\"}}";
	CHECK_INT(diff_count(h200, h200, NULL), 0);
	CHECK_INT(
	    diff_count(h200,
		       "{\"kind\":\"http\",\"ran\":true,\"status\":500,\"body_sha256\":\"sha256:aa\",\"body_bytes\":3,"
		       "\"headers\":{\"Content-Type\":\"text/html\"}}",
		       "status 200 != 500"),
	    1);
	CHECK_INT(
	    diff_count(h200,
		       "{\"kind\":\"http\",\"ran\":true,\"status\":200,\"body_sha256\":\"sha256:bb\",\"body_bytes\":4,"
		       "\"headers\":{\"Content-Type\":\"text/plain\"}}",
		       "header Content-Type: \"text/html\" != \"text/plain\""),
	    2);
	CHECK_INT(
	    diff_count(h200,
		       "{\"kind\":\"http\",\"ran\":true,\"status\":200,\"body_sha256\":\"sha256:bb\",\"body_bytes\":4,"
		       "\"headers\":{\"Content-Type\":\"text/html\"}}",
		       "body sha256:aa != sha256:bb (3 != 4 bytes)"),
	    1);
	CHECK_INT(diff_count(h200, "{\"kind\":\"http\",\"ran\":false,\"error\":\"connect: refused\"}",
			     "no answer from the hardened image: connect: refused"),
		  1);
	CHECK_INT(diff_count("{\"kind\":\"http\",\"ran\":false,\"error\":\"refused\"}",
			     "{\"kind\":\"http\",\"ran\":false,\"error\":\"refused\"}", "ran on neither image"),
		  1);
	const char *e0 =
	    "{\"kind\":\"exec\",\"ran\":true,\"exit_code\":0,\"stdout\":\"a\\nb\\n\",\"stdout_sha256\":\"sha256:1\","
	    "\"stderr\":\"\",\"stderr_sha256\":\"sha256:e\"}";
	CHECK_INT(diff_count(e0, e0, NULL), 0);
	CHECK_INT(diff_count(e0,
			     "{\"kind\":\"exec\",\"ran\":true,\"exit_code\":1,\"stdout\":\"a\\nc\\n\",\"stdout_"
			     "sha256\":\"sha256:2\","
			     "\"stderr\":\"\",\"stderr_sha256\":\"sha256:e\"}",
			     "stdout differs: line 2: \"b\" != \"c\""),
		  2);
	CHECK_INT(diff_count(e0,
			     "{\"kind\":\"exec\",\"ran\":true,\"exit_code\":0,\"stdout\":\"a\\nb\\n\",\"stdout_"
			     "sha256\":\"sha256:1\","
			     "\"stderr\":\"boom\",\"stderr_sha256\":\"sha256:f\"}",
			     "stderr differs: line 1: (end) != \"boom\""),
		  1);
	/* stderr not recorded on one side (--no-stderr): not compared */
	CHECK_INT(diff_count(e0,
			     "{\"kind\":\"exec\",\"ran\":true,\"exit_code\":0,\"stdout\":\"a\\nb\\n\",\"stdout_"
			     "sha256\":\"sha256:1\"}",
			     NULL),
		  0);
}

static void test_interface(void)
{
	json_t *a =
	    J("{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"python3\",\"app.py\"],"
	      "\"Env\":[\"PATH=/usr/bin\"],\"User\":\"app\",\"ExposedPorts\":{\"8000/tcp\":{}},\"Volumes\":{}}}");
	json_t *b = J("{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"python3\",\"app.py\"],"
		      "\"Env\":[\"PATH=/usr/bin\"],\"User\":\"app\",\"ExposedPorts\":{\"8000/tcp\":{}}}}");
	json_t *c = J("{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"],"
		      "\"Env\":[\"PATH=/usr/bin\"],\"User\":\"root\",\"ExposedPorts\":{\"8000/tcp\":{}}}}");
	json_t *an = J("{\"org.opencontainers.image.title\":\"x\",\"org.opencontainers.image.base.name\":\"a\"}");
	json_t *an_ok = J("{\"org.opencontainers.image.title\":\"x\",\"org.opencontainers.image.base.name\":\"b\","
			  "\"dev.quench.version\":\"0\"}");
	json_t *an_bad = J("{\"org.opencontainers.image.base.name\":\"a\"}");
	/* an empty Volumes object is the same as none */
	json_t *i = qn_verify_interface(a, b, an, an_ok);
	CHECK(json_is_true(json_object_get(i, "ok")));
	CHECK_INT(json_array_size(json_object_get(json_object_get(i, "annotations"), "added")), 1);
	json_decref(i);
	i = qn_verify_interface(a, c, NULL, NULL);
	CHECK(json_is_false(json_object_get(i, "ok")));
	size_t k, diffs = 0;
	json_t *f;
	json_array_foreach (json_object_get(i, "fields"), k, f)
		if (json_is_false(json_object_get(f, "same"))) {
			diffs++;
			const char *name = qn_json_str(f, "field");
			CHECK(!strcmp(name, "Cmd") || !strcmp(name, "User"));
		}
	CHECK_INT(diffs, 2);
	json_decref(i);
	i = qn_verify_interface(a, a, an, an_bad);
	CHECK(json_is_false(json_object_get(i, "ok")));
	CHECK(json_is_false(json_object_get(json_object_get(i, "annotations"), "ok")));
	CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(i, "annotations"), "removed"), 0)),
		  "org.opencontainers.image.title");
	json_decref(i);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(an);
	json_decref(an_ok);
	json_decref(an_bad);
}

#define P(n, v) "{\"name\":\"" n "\",\"version\":\"" v "\",\"purl\":\"pkg:deb/debian/" n "@" v "\"}"
#define F(id, n, v, sev, kind, layer)                                                                       \
	"{\"id\":\"" id "\",\"package\":\"" n "\",\"version\":\"" v "\",\"purl\":\"pkg:deb/debian/" n "@" v \
	"\",\"severity\":\"" sev "\",\"layer_kind\":\"" kind "\",\"layer\":{\"index\":" layer "}}"

static void test_cve_delta(void)
{
	json_t *pk = J("{\"kept\":[" P("libc6", "2.36") "],\"trimmed\":[" P("python3.11", "3.11.2") "],\"removed\":[" P(
	    "perl-base", "5.36") "," P("tar", "1.34") "]}");
	json_t *before = J(
	    "{\"schema\":\"quench.scan/v1\",\"findings\":[" F("CVE-1", "perl-base", "5.36", "HIGH", "base", "0") "," F(
		"CVE-2", "perl-base", "5.36", "LOW", "base",
		"0") "," F("CVE-3", "tar", "1.34", "CRITICAL", "base",
			   "0") "," F("CVE-4", "libc6", "2.36", "HIGH", "base",
				      "0") "," F("CVE-5", "python3.11", "3.11.2", "medium", "app",
						 "1") "," F("CVE-6", "python3.11", "3.11.2", "HIGH", "app", "1") "]}");
	/* the hardened scan has new layer blobs: its own attribution says "unknown" */
	json_t *after =
	    J("{\"schema\":\"quench.scan/v1\",\"findings\":[" F("CVE-4", "libc6", "2.36", "HIGH", "unknown", "0") "," F(
		"CVE-5", "python3.11", "3.11.2", "MEDIUM", "unknown", "1") "]}");
	size_t unexplained = 99;
	json_t *d = qn_verify_cve_delta(before, after, pk, &unexplained);
	/* CVE-6 left although python3.11 is still there (trimmed): unexplained */
	CHECK_INT(unexplained, 1);
	CHECK(json_is_false(json_object_get(d, "ok")));
	json_t *u = json_object_get(d, "unexplained");
	CHECK_INT(json_array_size(u), 1);
	CHECK_STR(qn_json_str(json_array_get(u, 0), "id"), "CVE-6");
	CHECK_STR(qn_json_str(json_array_get(u, 0), "package_state"), "trimmed");
	json_t *r = json_object_get(d, "removed");
	CHECK_INT(json_array_size(r), 3);
	size_t i;
	json_t *x;
	json_array_foreach (r, i, x) {
		const char *id = qn_json_str(x, "id");
		CHECK_STR(qn_json_str(x, "explained_by"), !strcmp(id, "CVE-3") ? "tar removed" : "perl-base removed");
	}
	json_t *rem = json_object_get(d, "remaining");
	CHECK_INT(json_array_size(rem), 2);
	json_array_foreach (rem, i, x) {
		const char *id = qn_json_str(x, "id");
		CHECK_STR(qn_json_str(x, "package_state"), !strcmp(id, "CVE-4") ? "kept" : "trimmed");
	}
	json_t *b = json_object_get(d, "before"), *a = json_object_get(d, "after");
	CHECK_INT(json_integer_value(json_object_get(b, "total")), 6);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(b, "base"), "total")), 4);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(b, "base"), "HIGH")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(b, "base"), "CRITICAL")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(b, "app"), "MEDIUM")), 1);
	CHECK_INT(json_integer_value(json_object_get(a, "total")), 2);
	/* the hardened image's rows are attributed as the original's were */
	CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "base"), "total")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "app"), "total")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "unknown"), "total")), 0);
	json_decref(d);
	json_decref(after);

	/* without CVE-6's disappearance everything is explained */
	after = J("{\"findings\":[" F("CVE-4", "libc6", "2.36", "HIGH", "base",
				      "0") "," F("CVE-5", "python3.11", "3.11.2", "MEDIUM", "app",
						 "1") "," F("CVE-6", "python3.11", "3.11.2", "HIGH", "app", "1") "]}");
	d = qn_verify_cve_delta(before, after, pk, &unexplained);
	CHECK_INT(unexplained, 0);
	CHECK(json_is_true(json_object_get(d, "ok")));
	json_decref(d);
	json_decref(after);

	/* a finding the original did not have is not explained by removing anything */
	after = J("{\"findings\":[" F("CVE-4", "libc6", "2.36", "HIGH", "base", "0") "," F(
	    "CVE-5", "python3.11", "3.11.2", "MEDIUM", "app", "1") "," F("CVE-6", "python3.11", "3.11.2", "HIGH", "app",
									 "1") "," F("CVE-9", "libc6", "2.36", "LOW",
										    "base", "0") "]}");
	d = qn_verify_cve_delta(before, after, pk, &unexplained);
	CHECK_INT(unexplained, 1);
	CHECK_INT(json_array_size(json_object_get(d, "added")), 1);
	CHECK(json_is_false(json_object_get(d, "ok")));
	json_decref(d);
	json_decref(after);

	/* a package the comparison does not know cannot explain a disappearance */
	json_t *b2 = J("{\"findings\":[" F("CVE-7", "ghost", "1", "LOW", "app", "2") "]}"),
	       *a2 = J("{\"findings\":[]}");
	d = qn_verify_cve_delta(b2, a2, pk, &unexplained);
	CHECK_INT(unexplained, 1);
	CHECK_STR(qn_json_str(json_array_get(json_object_get(d, "unexplained"), 0), "package_state"), "unknown");
	json_decref(d);
	json_decref(b2);
	json_decref(a2);
	json_decref(before);
	json_decref(pk);
}

static int from_report(const char *doc, qn_probe **v, size_t *n, qn_error **err)
{
	return qn_verify_probes_from_report((const uint8_t *)doc, strlen(doc), "r.json", v, n, err);
}

static void test_probes_from_report(void)
{
	qn_probe *v = NULL;
	size_t n = 0;
	qn_error *err = NULL;
	const char *doc = "{\"schema\":\"quench.harden/v1\",\"profile\":{\"probes\":["
			  "{\"probe\":\"GET 8000/health\",\"kind\":\"http\",\"spec\":{\"http\":\"GET\",\"port\":8000,"
			  "\"path\":\"/health\",\"status\":200,\"body\":\"ok\"}},"
			  "{\"probe\":\"exec python3 -c "
			  "x\",\"kind\":\"exec\",\"spec\":{\"exec\":[\"python3\",\"-c\",\"print('a b')\"],"
			  "\"stdout\":\"a b\\n\"}},"
			  "{\"probe\":\"POST 80/x\",\"kind\":\"http\"},"
			  "{\"probe\":\"test ./run 'a b'\",\"kind\":\"test\"}]}}";
	CHECK_INT(from_report(doc, &v, &n, &err), 0);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_INT(v[0].kind, QN_PROBE_HTTP);
		CHECK_INT(v[0].port, 8000);
		CHECK_INT(v[0].want_status, 200);
		CHECK_STR(v[0].want_body, "ok");
		CHECK_INT(v[1].kind, QN_PROBE_EXEC);
		CHECK_STR(v[1].argv[2], "print('a b')");
		CHECK_STR(v[1].want_stdout, "a b\n");
		CHECK_STR(v[2].method, "POST");
		CHECK_STR(v[2].path, "/x");
		CHECK(v[3].is_test);
		CHECK_STR(v[3].argv[1], "a b");
	}
	/* a round trip through the spec form keeps everything */
	json_t *spec = n ? qn_probe_spec_json(&v[1]) : NULL;
	CHECK_STR(json_string_value(json_array_get(json_object_get(spec, "exec"), 2)), "print('a b')");
	json_decref(spec);
	for (size_t i = 0; i < n; i++)
		qn_probe_clear(&v[i]);
	free(v);
	v = NULL;
	n = 0;
	CHECK_INT(from_report("{\"schema\":\"quench.scan/v1\"}", &v, &n, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "not a harden report");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(
	    from_report(
		"{\"schema\":\"quench.harden/v1\",\"profile\":{\"probes\":[{\"probe\":\"GET 80/\",\"kind\":\"http\"},"
		"{\"spec\":{\"http\":\"GET\",\"port\":0,\"path\":\"/\"}}]}}",
		&v, &n, &err),
	    -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "probe 1");
	CHECK_INT(n, 0);
	CHECK(v == NULL);
	qn_error_free(err);
	err = NULL;
	CHECK_INT(from_report("{\"schema\":\"quench.harden/v1\"", &v, &n, &err), -1);
	qn_error_free(err);
}

static void put(const char *path, const char *content)
{
	char *dup = xstrdup(path);
	for (char *p = dup + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(dup, 0755);
			*p = '/';
		}
	free(dup);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

static const char *dpkg_status = "Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n"
				 "Package: b\nStatus: install ok installed\nVersion: 2.0\nArchitecture: amd64\n\n";

/* Two root folders: the original and a "hardened" one with a module, a library behind a link,
 * a run-time folder and package b gone from the database while its file stays. */
static void make_roots(void)
{
	const char *roots[] = {"orig", "hard"};
	for (int i = 0; i < 2; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/etc/os-release", roots[i]);
		put(p, "ID=debian\nVERSION_ID=\"12\"\n");
		snprintf(p, sizeof(p), "%s/usr/lib/libz.so.1", roots[i]);
		put(p, "");
		unlink(p);
		if (symlink("libz.so.1.2", p) != 0)
			printf("# symlink failed\n");
		snprintf(p, sizeof(p), "%s/usr/bin/a", roots[i]);
		put(p, "a");
		snprintf(p, sizeof(p), "%s/usr/bin/b", roots[i]);
		put(p, "b");
		snprintf(p, sizeof(p), "%s/var/lib/dpkg/info/a.list", roots[i]);
		put(p, "/usr/bin\n/usr/bin/a\n/usr/bin/a2\n");
		snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", roots[i]);
		put(p, i == 0 ? dpkg_status
			      : "Package: a\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n");
	}
	put("orig/usr/bin/a2", "a2");
	put("orig/var/lib/dpkg/info/b.list", "/usr/bin/b\n");
	put("orig/usr/lib/libz.so.1.2", "z");
	put("orig/app/mod.so", "m");
	mkdir("orig/run", 0755);
	put("orig/run/.keep", "");
}

static bool side_open(qn_verify_side *s, const char *ref, const char *which)
{
	qn_error *err = NULL;
	memset(s, 0, sizeof(*s));
	s->which = which;
	s->img = qn_image_open(ref, NULL, &err);
	qn_tree_opts to = {.capture = qn_inventory_capture};
	s->tree = s->img ? qn_tree_build(s->img, &to, &err) : NULL;
	s->inv = s->tree ? qn_inventory_build(s->tree, &err) : NULL;
	if (!s->inv)
		printf("# %s: %s\n", ref, err ? err->msg : "?");
	qn_error_free(err);
	return s->inv != NULL;
}

static void side_close(qn_verify_side *s)
{
	qn_strset_clear(&s->seen);
	qn_strset_clear(&s->created);
	qn_inventory_free(s->inv);
	qn_tree_free(s->tree);
	qn_image_free(s->img);
}

static const json_t *find_path(const json_t *list, const char *path)
{
	size_t i;
	json_t *m;
	json_array_foreach (list, i, m)
		if (!strcmp(qn_json_str(m, "path"), path))
			return m;
	return NULL;
}

static void test_missing_and_packages(void)
{
	make_roots();
	qn_verify_side a, b;
	if (!side_open(&a, "dir:orig", "original") || !side_open(&b, "dir:hard", "hardened")) {
		CHECK(0);
		return;
	}
	/* the original run opened the module (found by listing its folder) and created a pid
	 * file; both runs tried a PATH entry that exists nowhere; the hardened run followed the
	 * library link */
	qn_strset_put(&a.seen, "app/mod.so", (void *)"GET /");
	qn_strset_put(&a.seen, "run/x.pid", (void *)"command");
	qn_strset_add(&a.created, "run/x.pid");
	qn_strset_put(&a.seen, "usr/local/bin/python3", (void *)"command");
	qn_strset_put(&b.seen, "usr/local/bin/python3", (void *)"command");
	qn_strset_put(&b.seen, "usr/lib/libz.so.1", (void *)"command");
	qn_strset_put(&b.seen, "usr/bin/a", (void *)"command");
	json_t *miss = qn_verify_missing(&a, &b);
	CHECK_INT(json_array_size(miss), 3);
	const json_t *m = find_path(miss, "app/mod.so");
	CHECK(m != NULL);
	CHECK_STR(qn_json_str(m, "seen_by"), "GET /");
	CHECK_STR(qn_json_str(m, "run"), "original");
	m = find_path(miss, "usr/lib/libz.so.1.2");
	CHECK(m != NULL);
	CHECK_STR(qn_json_str(m, "via"), "usr/lib/libz.so.1");
	CHECK_STR(qn_json_str(m, "run"), "hardened");
	m = find_path(miss, "run");
	CHECK(m != NULL);
	CHECK_STR(qn_json_str(m, "via"), "run/x.pid");
	CHECK(find_path(miss, "usr/local/bin") == NULL);
	json_decref(miss);

	bool honest = true;
	json_t *pk = qn_verify_packages(&a, &b, &honest);
	CHECK(!honest);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(pk, "counts"), "trimmed")), 1);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(pk, "counts"), "removed")), 1);
	const json_t *t = json_array_get(json_object_get(pk, "trimmed"), 0);
	CHECK_STR(qn_json_str(t, "name"), "a");
	CHECK_INT(json_integer_value(json_object_get(t, "kept_files")), 1);
	CHECK_INT(json_integer_value(json_object_get(t, "total_files")), 2);
	const json_t *h = json_array_get(json_object_get(pk, "hidden"), 0);
	CHECK_STR(qn_json_str(h, "name"), "b");
	CHECK_STR(qn_json_str(h, "example"), "/usr/bin/b");
	json_decref(pk);

	json_t *paths = qn_verify_paths(&a, &b);
	const json_t *rl = json_object_get(paths, "removed_list");
	bool has_mod = false;
	size_t i;
	json_t *v;
	json_array_foreach (rl, i, v)
		has_mod |= !strcmp(json_string_value(v), "app/mod.so");
	CHECK(has_mod);
	CHECK_INT(json_integer_value(json_object_get(paths, "removed")), json_array_size(rl));
	json_decref(paths);
	side_close(&a);
	side_close(&b);
}

int main(void)
{
	TAP_RUN(test_norm_timestamps);
	TAP_RUN(test_norm_pids);
	TAP_RUN(test_norm_custom);
	TAP_RUN(test_probe_diffs);
	TAP_RUN(test_interface);
	TAP_RUN(test_cve_delta);
	TAP_RUN(test_probes_from_report);
	TAP_RUN(test_missing_and_packages);
	return tap_done();
}
