/* Unit tests: util — string sets, path normalisation, sizes, digests, bounded JSON, quoting,
 * atomic files. */
#include <sys/stat.h>

#include "tap.h"
#include "util/digest.h"
#include "util/json.h"
#include "util/path.h"
#include "util/strset.h"

static void test_strset(void)
{
	qn_strset s = QN_STRSET_INIT;
	char k[32];
	/* add 5000, remove every third, and compare with the expected membership */
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key/%d", i);
		CHECK(qn_strset_add(&s, k));
	}
	CHECK(!qn_strset_add(&s, "key/7"));
	for (int i = 0; i < 5000; i += 3) {
		snprintf(k, sizeof(k), "key/%d", i);
		CHECK(qn_strset_remove(&s, k));
	}
	int bad = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key/%d", i);
		if (qn_strset_has(&s, k) != (i % 3 != 0))
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(qn_strset_count(&s), 5000 - 1667);
	qn_strset_put(&s, "v", (void *)&bad);
	CHECK(qn_strset_get(&s, "v") == &bad);
	size_t n;
	const char **v = qn_strset_sorted(&s, &n);
	CHECK_INT(n, qn_strset_count(&s));
	for (size_t i = 1; i < n; i++)
		CHECK(strcmp(v[i - 1], v[i]) < 0);
	free(v);
	qn_strset_clear(&s);
}

static void norm_ok(const char *in, const char *want)
{
	char *out = NULL;
	CHECK_INT(qn_path_normalize(in, 4096, &out, NULL), 0);
	CHECK_STR(out, want);
	free(out);
}

static void norm_bad(const char *in, const char *needle)
{
	char *out = NULL;
	qn_error *err = NULL;
	CHECK(qn_path_normalize(in, 4096, &out, &err) < 0);
	CHECK(out == NULL);
	if (err)
		CHECK_CONTAINS(err->msg, needle);
	qn_error_free(err);
}

static void test_paths(void)
{
	norm_ok("usr/bin/", "usr/bin");
	norm_ok("./etc//passwd", "etc/passwd");
	norm_ok("./", "");
	norm_ok("a/./b/.", "a/b");
	norm_ok("...", "...");
	norm_bad("/etc/passwd", "absolute");
	norm_bad("../x", "\"..\"");
	norm_bad("a/../b", "\"..\"");
	norm_bad("a/b/..", "\"..\"");
	char *dir = qn_path_dir("usr/bin/x");
	CHECK_STR(dir, "usr/bin");
	free(dir);
	CHECK_STR(qn_path_base("usr/bin/x"), "x");
	CHECK(qn_path_is_under("usr/bin/x", "usr"));
	CHECK(!qn_path_is_under("usrx/bin", "usr"));
	CHECK(qn_path_is_under("anything", ""));
}

static void test_sizes_and_digests(void)
{
	uint64_t v;
	CHECK(qn_parse_size("64G", &v) == 0 && v == 64ULL << 30);
	CHECK(qn_parse_size("1MiB", &v) == 0 && v == 1 << 20);
	CHECK(qn_parse_size("10", &v) == 0 && v == 10);
	CHECK(qn_parse_size("-1", &v) < 0);
	CHECK(qn_parse_size("1X", &v) < 0);
	CHECK(qn_parse_size("99999999999999999999T", &v) < 0);
	double x = -1;
	CHECK(qn_parse_double("2.5", 0, 10, &x) == 0 && x == 2.5);
	CHECK(qn_parse_double("0", 0, 10, &x) == 0 && x == 0);
	CHECK(qn_parse_double("10", 0, 10, &x) == 0 && x == 10);
	x = -1;
	CHECK(qn_parse_double("10.01", 0, 10, &x) < 0 && x == -1);
	CHECK(qn_parse_double("-0.5", 0, 10, &x) < 0);
	CHECK(qn_parse_double("nan", 0, 10, &x) < 0);
	CHECK(qn_parse_double("inf", 0, 10, &x) < 0);
	CHECK(qn_parse_double("1e999", 0, 1e308, &x) < 0);
	CHECK(qn_parse_double("", 0, 10, &x) < 0);
	CHECK(qn_parse_double("3s", 0, 10, &x) < 0);
	CHECK(qn_parse_double(NULL, 0, 10, &x) < 0 && x == -1);
	qn_digest d;
	CHECK(qn_digest_parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &d, NULL) ==
	      0);
	qn_digest e;
	qn_digest_buf(QN_DIGEST_SHA256, "", 0, &e);
	CHECK(qn_digest_eq(&d, &e));
	qn_error *err = NULL;
	CHECK(qn_digest_parse("sha256:E3B0", &d, &err) < 0);
	qn_error_free(err);
	err = NULL;
	CHECK(qn_digest_parse("md5:d41d8cd98f00b204e9800998ecf8427e", &d, &err) < 0);
	CHECK(err && strstr(err->msg, "unsupported"));
	qn_error_free(err);
	CHECK(qn_digest_parse("sha256:../../../../etc/passwd000000000000000000000000000000000000000000", &d, NULL) < 0);
}

static void test_json_limits(void)
{
	qn_error *err = NULL;
	json_t *j = qn_json_parse("{\"a\":1,\"a\":2}", 13, 100, "doc", &err);
	CHECK(!j && err && strstr(err->msg, "doc: malformed JSON"));
	qn_error_free(err);
	err = NULL;
	char deep[300];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	j = qn_json_parse(deep, 200, 1000, "deep", &err);
	CHECK(!j && err && strstr(err->msg, "nested deeper than 64"));
	qn_error_free(err);
	err = NULL;
	j = qn_json_parse("[\"x\"]", 5, 4, "big", &err);
	CHECK(!j && err && err->kind == QN_ERR_LIMIT);
	qn_error_free(err);
	/* strings with brackets do not count as nesting */
	const char *brackets = "[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]";
	j = qn_json_parse(brackets, strlen(brackets), 1000, "s", NULL);
	CHECK(j != NULL);
	json_decref(j);
	json_t *s = qn_json_string("bad \xff utf8");
	CHECK(s && json_string_value(s) && strstr(json_string_value(s), "\xef\xbf\xbd"));
	json_decref(s);
}

static void test_quote(void)
{
	char *q = qn_str_quote("a\nb\"c", 100);
	CHECK_STR(q, "a\\x0ab\\x22c");
	free(q);
	q = qn_str_quote("abcdef", 3);
	CHECK_STR(q, "abc...");
	free(q);
}

static void test_atomic(void)
{
	qn_atomic_file af;
	CHECK(qn_atomic_open(&af, "out.txt", 0640, NULL) == 0);
	CHECK(qn_write_full(af.fd, "hello", 5) == 0);
	struct stat st;
	CHECK(stat("out.txt", &st) < 0); /* not visible before commit */
	CHECK(qn_atomic_commit(&af, NULL) == 0);
	CHECK(stat("out.txt", &st) == 0 && st.st_size == 5 && (st.st_mode & 0777) == 0640);
	CHECK(qn_atomic_open(&af, "gone.txt", 0644, NULL) == 0);
	qn_atomic_abort(&af);
	CHECK(system("test -z \"$(ls -A | grep -v out.txt)\"") == 0); /* no temporary left */
}

static int calls;
static int counted(int v)
{
	calls++;
	return v;
}

/* Errors are one line even when their parts are not (a library message, a name from the input). */
static void test_error_one_line(void)
{
	qn_error *err = NULL;
	qn_error_set(&err, QN_ERR_INPUT, "x.db: %s", "malformed database schema (sql\n)\r\t\x7f");
	CHECK_STR(err ? err->msg : NULL, "x.db: malformed database schema (sql )   ");
	qn_error_prefix(&err, "layer %s", "a\nb");
	CHECK_STR(err ? err->msg : NULL, "layer a b: x.db: malformed database schema (sql )   ");
	qn_error_free(err);
}

/* QN_MIN and QN_MAX evaluate each argument once, nest, and keep C's arithmetic conversions. */
static void test_min_max(void)
{
	calls = 0;
	CHECK_INT(QN_MAX(counted(3), 0), 3);
	CHECK_INT(QN_MIN(counted(3), counted(5)), 3);
	CHECK_INT(calls, 3);
	CHECK_INT(QN_MAX(QN_MIN(7, 9), QN_MAX(2, 4)), 7);
	size_t big = (size_t)1 << 40;
	CHECK(QN_MIN(big, (uint64_t)UINT32_MAX) == UINT32_MAX);
	int i = 0;
	CHECK_INT(QN_MAX(i++, -1), 0);
	CHECK_INT(i, 1);
}

int main(void)
{
	TAP_RUN(test_strset);
	TAP_RUN(test_paths);
	TAP_RUN(test_sizes_and_digests);
	TAP_RUN(test_json_limits);
	TAP_RUN(test_quote);
	TAP_RUN(test_min_max);
	TAP_RUN(test_error_one_line);
	TAP_RUN(test_atomic);
	return tap_done();
}
