/* Unit tests: the vuln module. Each feed parser on small fixtures with the exact rows expected,
 * CVSS 3.x base scores against known vectors, format detection, the JSON member walker, and the
 * database: import (tree, zip, tracker, secdb), lookups, records, sources, all-or-nothing
 * failure, and update over file:// URLs (the HTTP paths are in tests/integration/db.sh). */
#include <dirent.h>
#include <sys/stat.h>

#include "tap.h"
#include "vuln/vuln_int.h"
#include "zipw.h"

/* ---- a sink that prints what the parsers emit, one line per record / row ---- */

typedef struct {
	qn_vuln_sink sink;
	qn_buf out;
	int skipped;
	char last_skip[512];
	char date[64];
} collect;

static void list(qn_buf *b, const char *name, const char *const *v, size_t n)
{
	if (!n)
		return;
	qn_buf_printf(b, " %s=", name);
	for (size_t i = 0; i < n; i++)
		qn_buf_printf(b, "%s%s", i ? "," : "", v[i]);
}

static int c_record(qn_vuln_sink *s, const qn_vuln_record *r, qn_error **err)
{
	(void)err;
	collect *c = (collect *)s;
	qn_buf_printf(&c->out, "R %s", r->id);
	if (r->summary)
		qn_buf_printf(&c->out, " summary=%s", r->summary);
	if (r->details)
		qn_buf_printf(&c->out, " details=%s", r->details);
	if (r->cvss3_vector)
		qn_buf_printf(&c->out, " cvss3=%.1f", r->cvss3_score);
	if (r->cvss4_vector)
		qn_buf_printf(&c->out, " cvss4=%s", r->cvss4_vector);
	if (r->severity)
		qn_buf_printf(&c->out, " severity=%s", r->severity);
	list(&c->out, "aliases", r->aliases, r->n_aliases);
	list(&c->out, "related", r->related, r->n_related);
	list(&c->out, "upstream", r->upstream, r->n_upstream);
	list(&c->out, "refs", r->refs, r->n_refs);
	qn_buf_addc(&c->out, '\n');
	return 0;
}

#define S(x) ((x) ? (x) : "")
static int c_affected(qn_vuln_sink *s, const qn_vuln_affected *a, qn_error **err)
{
	(void)err;
	collect *c = (collect *)s;
	qn_buf_printf(&c->out, "A %s|%s|%s|%s|%s|%s|%s|%s|", a->vuln_id, a->ecosystem, a->release, a->package,
		      S(a->introduced), S(a->fixed), S(a->last_affected), S(a->limit));
	for (size_t i = 0; i < a->n_versions; i++)
		qn_buf_printf(&c->out, "%s%s", i ? "," : "", a->versions[i]);
	qn_buf_printf(&c->out, "|%s|%s\n", qn_vuln_status_name(a->status), S(a->urgency));
	return 0;
}

static void c_skipped(qn_vuln_sink *s, const char *msg)
{
	collect *c = (collect *)s;
	c->skipped++;
	snprintf(c->last_skip, sizeof(c->last_skip), "%s", msg);
}

static void c_date(qn_vuln_sink *s, const char *d)
{
	collect *c = (collect *)s;
	snprintf(c->date, sizeof(c->date), "%s", d);
}

static void collect_init(collect *c)
{
	memset(c, 0, sizeof(*c));
	c->sink = (qn_vuln_sink){c_record, c_affected, c_skipped, c_date};
}

static const char *out(collect *c)
{
	return c->out.data ? c->out.data : "";
}

#define U8(s) (const uint8_t *)(s), strlen(s)

/* ---- CVSS ---- */

static void test_cvss_scores(void)
{
	static const struct {
		const char *v;
		double score;
	} cases[] = {
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
	    {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
	    {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9},
	    {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},
	    {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8},
	    {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
	    {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6},
	    {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
	    {"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8},
	    {"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2},
	    {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},
	    {"CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L", 7.3},
	    {"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.0},
	    {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N", 5.3},
	    {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},
	    {"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1},
	    {"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 6.7},
	    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8}, /* temporal: ignored */
	    {"CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 9.8},               /* any order */
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		double s = qn_cvss3_base_score(cases[i].v);
		if ((long)(s * 10 + 0.5) != (long)(cases[i].score * 10 + 0.5)) {
			printf("# %s: got %.1f, want %.1f\n", cases[i].v, s, cases[i].score);
			tap_cur_failed = 1;
		}
	}
	static const char *const bad[] = {
	    NULL,
	    "",
	    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
	    "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          /* A missing */
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",  /* repeated */
	    "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      /* bad value */
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",     /* trailing slash */
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", /* unknown metric */
	    "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++)
		if (qn_cvss3_base_score(bad[i]) >= 0) {
			printf("# accepted bad vector %s\n", bad[i] ? bad[i] : "(null)");
			tap_cur_failed = 1;
		}
	CHECK_STR(qn_cvss3_rating(0.0), "NONE");
	CHECK_STR(qn_cvss3_rating(3.9), "LOW");
	CHECK_STR(qn_cvss3_rating(4.0), "MEDIUM");
	CHECK_STR(qn_cvss3_rating(7.0), "HIGH");
	CHECK_STR(qn_cvss3_rating(9.0), "CRITICAL");
}

/* ---- OSV ---- */

static const char osv_full[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"CVE-2023-0001\",\"modified\":\"2025-01-02T03:04:05Z\","
    "\"published\":\"2023-01-01T00:00:00Z\",\"summary\":\"overflow in x\",\"aliases\":[\"GHSA-aaaa-bbbb-cccc\"],"
    "\"related\":[\"DSA-1-1\",\"USN-2-1\"],\"upstream\":[\"CVE-2023-0000\"],"
    "\"severity\":[{\"type\":\"CVSS_V2\",\"score\":\"AV:N/AC:L/Au:N/C:P/I:P/A:P\"},"
    "{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H\"},"
    "{\"type\":\"CVSS_V4\",\"score\":\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}],"
    "\"database_specific\":{\"severity\":\"HIGH\"},"
    "\"references\":[{\"type\":\"WEB\",\"url\":\"https://a.example/1\"},{\"type\":\"ADVISORY\",\"url\":\"https://"
    "b.example/2\"}],"
    "\"affected\":["
    /* Debian: one interval plus the enumerated versions */
    "{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"glibc\",\"purl\":\"pkg:deb/debian/glibc?arch=source\"},"
    " \"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.36-9+deb12u3\"}]}],"
    " \"versions\":[\"2.36-9\",\"2.36-9+deb12u1\"],\"ecosystem_specific\":{\"urgency\":\"high\"}},"
    /* Debian 10 unfixed at end of life */
    "{\"package\":{\"ecosystem\":\"Debian:10\",\"name\":\"glibc\"},"
    " \"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}],\"ecosystem_specific\":{\"urgency\":"
    "\"end-of-life\"}},"
    /* Alpine release with a v; urgency in database_specific */
    "{\"package\":{\"ecosystem\":\"Alpine:v3.20\",\"name\":\"musl\"},"
    " \"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1.2.5-r1\"}]}],"
    " \"database_specific\":{\"urgency\":\"medium\"}},"
    /* SEMVER with two intervals, last_affected and a limit; a stray fixed is ignored */
    "{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Some_Pkg\"},"
    " \"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"fixed\":\"0.1\"},{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.2.0\"}"
    ","
    "  {\"introduced\":\"2.0.0\"},{\"last_affected\":\"2.3.0\"},{\"limit\":\"3.0.0\"}]},"
    "  "
    "{\"type\":\"GIT\",\"repo\":\"https://git.example/x\",\"events\":[{\"introduced\":\"abc\"},{\"fixed\":\"def\"}]}]},"
    /* upstream git information only: no package */
    "{\"package\":{},\"ranges\":[{\"type\":\"GIT\",\"repo\":\"r\",\"events\":[{\"introduced\":\"0\"}]}],\"versions\":["
    "\"v1\"]}"
    "]}";

static void test_osv_parse(void)
{
	collect c;
	collect_init(&c);
	qn_error *err = NULL;
	CHECK_INT(qn_osv_parse(U8(osv_full), 0, "t.json", &c.sink, &err), 0);
	CHECK(err == NULL);
	CHECK_STR(out(&c), "R CVE-2023-0001 summary=overflow in x cvss3=7.8 "
			   "cvss4=CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N severity=HIGH "
			   "aliases=GHSA-aaaa-bbbb-cccc related=DSA-1-1,USN-2-1 upstream=CVE-2023-0000 "
			   "refs=https://a.example/1,https://b.example/2\n"
			   "A CVE-2023-0001|Debian|12|glibc|0|2.36-9+deb12u3||||fixed|high\n"
			   "A CVE-2023-0001|Debian|12|glibc|||||2.36-9,2.36-9+deb12u1|affected|high\n"
			   "A CVE-2023-0001|Debian|10|glibc|0|||||will_not_fix|end-of-life\n"
			   "A CVE-2023-0001|Alpine|3.20|musl|0|1.2.5-r1||||fixed|medium\n"
			   "A CVE-2023-0001|PyPI||Some_Pkg|1.0.0|1.2.0||3.0.0||fixed|\n"
			   "A CVE-2023-0001|PyPI||Some_Pkg|2.0.0||2.3.0|3.0.0||affected|\n");
	CHECK_STR(c.date, "2025-01-02T03:04:05Z");
	CHECK_INT(c.skipped, 0);
	qn_buf_clear(&c.out);
	qn_error_free(err);
}

static void test_osv_withdrawn_and_minimal(void)
{
	collect c;
	collect_init(&c);
	qn_error *err = NULL;
	const char *w = "{\"id\":\"GHSA-1\",\"withdrawn\":\"2024-01-01T00:00:00Z\",\"affected\":[{\"package\":"
			"{\"ecosystem\":\"npm\",\"name\":\"left-pad\"},\"versions\":[\"1.0.0\"]}]}";
	CHECK_INT(qn_osv_parse(U8(w), 0, "w", &c.sink, &err), 0);
	const char *m =
	    "{\"id\":\"GO-2022-0001\",\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"x.io/y\"},"
	    "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"}]}]}]}";
	CHECK_INT(qn_osv_parse(U8(m), 0, "m", &c.sink, &err), 0);
	CHECK_STR(out(&c), "R GHSA-1\nR GO-2022-0001\nA GO-2022-0001|Go||x.io/y|0|||||affected|\n");
	CHECK(err == NULL);
	qn_buf_clear(&c.out);
}

static void test_osv_malformed(void)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
	    {"[1,2]", "must be a JSON object"},
	    {"{\"summary\":\"x\"}", "\"id\" is missing"},
	    {"{\"id\":\"CVE 1\"}", "not a valid identifier"},
	    {"{\"id\":\"A-1\",\"affected\":{}}", "\"affected\" is not an array"},
	    {"{\"id\":\"A-1\",\"aliases\":[1]}", "aliases[0] is not a one-line string"},
	    {"{\"id\":\"A-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"x\"},\"ranges\":"
	     "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":0}]}]}]}",
	     "events[0].introduced is not a version string"},
	    {"{\"id\":\"A-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"x\"},\"ranges\":"
	     "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"broken\":\"1\"}]}]}]}",
	     "unknown event \"broken\""},
	    {"{\"id\":\"A-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"x\"},"
	     "\"versions\":[\"1\\n2\"]}]}",
	     "versions[0] is not a one-line string"},
	    {"{\"id\":\"A-1\",\"severity\":[{\"type\":\"CVSS_V3\"}]}", "severity[0] needs"},
	    {"{\"id\":\"A-1\",\"references\":[{\"type\":\"WEB\"}]}", "references[0] has no one-line \"url\""},
	    {"{\"id\":\"A-1\",\"id\":\"A-2\"}", "malformed JSON"},
	    {"{\"id\":\"A-1\"", "malformed JSON"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		collect c;
		collect_init(&c);
		qn_error *err = NULL;
		CHECK_INT(qn_osv_parse(U8(cases[i].json), 0, "r.json", &c.sink, &err), -1);
		CHECK(err && err->kind == QN_ERR_INPUT);
		CHECK_CONTAINS(err ? err->msg : NULL, cases[i].msg);
		CHECK_CONTAINS(err ? err->msg : NULL, "r.json");
		CHECK_STR(out(&c), ""); /* nothing emitted for a malformed record */
		qn_error_free(err);
	}
	/* limits: nesting and size are refused by qn_json_parse */
	qn_buf deep = QN_BUF_INIT;
	qn_buf_adds(&deep, "{\"id\":\"A-1\",\"x\":");
	for (int i = 0; i < 100; i++)
		qn_buf_addc(&deep, '[');
	for (int i = 0; i < 100; i++)
		qn_buf_addc(&deep, ']');
	qn_buf_addc(&deep, '}');
	collect c;
	collect_init(&c);
	qn_error *err = NULL;
	CHECK_INT(qn_osv_parse((const uint8_t *)deep.data, deep.len, 0, "deep", &c.sink, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "nested deeper");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(qn_osv_parse((const uint8_t *)deep.data, deep.len, 10, "big", &c.sink, &err), -1);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	qn_error_free(err);
	qn_buf_clear(&deep);
}

/* ---- Debian tracker ---- */

static const char tracker_json[] =
    "{\"glibc\": {"
    "  \"CVE-2023-4911\": {\"description\": \"ld.so tunables overflow\", \"scope\": \"local\", \"releases\": {"
    "    \"bookworm\": {\"status\": \"resolved\", \"repositories\": {\"bookworm\": \"2.36-9+deb12u4\"},"
    "                   \"fixed_version\": \"2.36-9+deb12u3\", \"urgency\": \"high\"},"
    "    \"bullseye\": {\"status\": \"resolved\", \"fixed_version\": \"0\", \"urgency\": \"not yet assigned\"},"
    "    \"buster\": {\"status\": \"open\", \"urgency\": \"end-of-life\", \"nodsa\": \"\", \"nodsa_reason\": \"\"},"
    "    \"experimental\": {\"status\": \"resolved\", \"fixed_version\": \"2.37-1\"},"
    "    \"sid\": {\"status\": \"resolved\", \"fixed_version\": \"2.37-12\", \"urgency\": \"low**\"}}},"
    "  \"TEMP-0000000-ABCDEF\": {\"description\": null, \"releases\": {"
    "    \"trixie\": {\"status\": \"open\", \"urgency\": \"unimportant\"}}}"
    "},"
    " \"curl\": {"
    "  \"CVE-2023-4911\": {\"releases\": {\"bookworm\": {\"status\": \"open\", \"urgency\": \"low\","
    "     \"nodsa\": \"Minor issue\", \"nodsa_reason\": \"ignored\"}}},"
    "  \"CVE-2024-0002\": {\"releases\": {\"bookworm\": {\"status\": \"open\", \"nodsa\": \"x\", \"nodsa_reason\": "
    "\"postponed\"},"
    "     \"forky\": {\"status\": \"undetermined\"}, \"trixie\": {\"status\": \"weird\"}}},"
    "  \"CVE-2024-0003\": \"not an object\""
    "},"
    " \"broken\": [1, 2],"
    " \"zlib\": {}"
    "}";

static void test_debtracker(void)
{
	collect c;
	collect_init(&c);
	qn_error *err = NULL;
	CHECK_INT(qn_debtracker_parse(U8(tracker_json), &c.sink, &err), 0);
	CHECK(err == NULL);
	CHECK_STR(out(&c), "R CVE-2023-4911 details=ld.so tunables overflow\n"
			   "A CVE-2023-4911|Debian|12|glibc||2.36-9+deb12u3||||fixed|high\n"
			   "A CVE-2023-4911|Debian|10|glibc||||||will_not_fix|end-of-life\n"
			   "A CVE-2023-4911|Debian|unstable|glibc||2.37-12||||fixed|low\n"
			   "R TEMP-0000000-ABCDEF\n"
			   "A TEMP-0000000-ABCDEF|Debian|13|glibc||||||affected|unimportant\n"
			   "R CVE-2023-4911\n"
			   "A CVE-2023-4911|Debian|12|curl||||||will_not_fix|low\n");
	/* CVE-2024-0002 (a release with an unknown status), CVE-2024-0003 and "broken" are skipped */
	CHECK_INT(c.skipped, 3);
	qn_buf_clear(&c.out);
	CHECK_STR(qn_debian_release("trixie"), "13");
	CHECK_STR(qn_debian_release("forky"), "14");
	CHECK(qn_debian_release("experimental") == NULL);
}

static void test_debtracker_damaged(void)
{
	static const char *const bad[] = {"{\"glibc\": {\"CVE-1\": {\"releases\": {}}}", "[]", "{\"a\": {}} x",
					  "{\"a\": {\"CVE-1\": {\"releases\": {\"sid\": {\"status\": tru}}}}}"};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++) {
		collect c;
		collect_init(&c);
		qn_error *err = NULL;
		CHECK_INT(qn_debtracker_parse(U8(bad[i]), &c.sink, &err), -1);
		CHECK(err && err->kind == QN_ERR_INPUT);
		CHECK_CONTAINS(err ? err->msg : NULL, "debian tracker");
		qn_error_free(err);
		qn_buf_clear(&c.out);
	}
}

/* ---- Alpine secdb ---- */

static const char secdb_json[] =
    "{\"apkurl\": \"{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk\","
    " \"archs\": [\"x86_64\"], \"reponame\": \"main\", \"urlprefix\": \"https://dl-cdn.alpinelinux.org/alpine\","
    " \"distroversion\": \"v3.20\", \"packages\": ["
    "  {\"pkg\": {\"name\": \"xen\", \"secfixes\": {"
    "     \"4.7.1-r4\": [\"CVE-2016-9932 XSA-200\", \"XSA-207\"],"
    "     \"4.13.0-r3\": [\"CVE-2020-11740 CVE-2020-11741 XSA-313\"],"
    "     \"0\": [\"CVE-2019-0001\"]}}},"
    "  {\"pkg\": {\"name\": \"musl\", \"secfixes\": {\"1.2.5-r1\": [\"CVE-\?\?\?\?-\?\?\?\?\? TS-2024-005\", "
    "\"???\"]}}},"
    "  {\"pkg\": {\"secfixes\": {}}},"
    "  {\"pkg\": {\"name\": \"zlib\"}}"
    "]}";

static void test_secdb(void)
{
	collect c;
	collect_init(&c);
	qn_error *err = NULL;
	CHECK_INT(qn_secdb_parse(U8(secdb_json), &c.sink, &err), 0);
	CHECK(err == NULL);
	CHECK_STR(out(&c), "R CVE-2016-9932 aliases=XSA-200\n"
			   "A CVE-2016-9932|Alpine|3.20|xen||4.7.1-r4||||fixed|\n"
			   "R XSA-207\n"
			   "A XSA-207|Alpine|3.20|xen||4.7.1-r4||||fixed|\n"
			   "R CVE-2020-11740 aliases=XSA-313\n"
			   "A CVE-2020-11740|Alpine|3.20|xen||4.13.0-r3||||fixed|\n"
			   "R CVE-2020-11741 aliases=XSA-313\n"
			   "A CVE-2020-11741|Alpine|3.20|xen||4.13.0-r3||||fixed|\n"
			   "R TS-2024-005\n"
			   "A TS-2024-005|Alpine|3.20|musl||1.2.5-r1||||fixed|\n");
	CHECK_INT(c.skipped, 2); /* "???" and the package without a name */
	qn_buf_clear(&c.out);

	collect_init(&c);
	const char *edge = "{\"distroversion\": \"edge\", \"reponame\": \"community\", \"packages\": "
			   "[{\"pkg\": {\"name\": \"a\", \"secfixes\": {\"1-r0\": [\"CVE-2024-1234\"]}}}]}";
	CHECK_INT(qn_secdb_parse(U8(edge), &c.sink, &err), 0);
	CHECK_STR(out(&c), "R CVE-2024-1234\nA CVE-2024-1234|Alpine|edge|a||1-r0||||fixed|\n");
	qn_buf_clear(&c.out);
	CHECK_INT(qn_secdb_parse(U8("{\"packages\": []}"), &c.sink, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "distroversion");
	qn_error_free(err);
}

/* ---- detection and the member walker ---- */

static void test_detect(void)
{
	CHECK_INT(qn_feed_detect(U8(osv_full)), QN_FEED_OSV);
	CHECK_INT(qn_feed_detect(U8(tracker_json)), QN_FEED_DEBTRACKER);
	CHECK_INT(qn_feed_detect(U8(secdb_json)), QN_FEED_SECDB);
	CHECK_INT(qn_feed_detect(U8("PK\x03\x04rest")), QN_FEED_ZIP);
	CHECK_INT(qn_feed_detect(U8("PK\x05\x06")), QN_FEED_ZIP);
	CHECK_INT(qn_feed_detect(U8("{}")), QN_FEED_UNKNOWN);
	CHECK_INT(qn_feed_detect(U8("\xfd"
				    "7zXZ\0")),
		  QN_FEED_UNKNOWN);
	CHECK_INT(qn_feed_detect(U8("  {\"modified\": \"x\", \"id\": \"A-1\"}")), QN_FEED_OSV);
	CHECK_INT(qn_feed_detect((const uint8_t *)"", 0), QN_FEED_UNKNOWN);
}

typedef struct {
	qn_buf keys;
} members_seen;

static int on_member(void *ud, const char *key, const uint8_t *val, size_t len, qn_error **err)
{
	(void)err;
	members_seen *m = ud;
	qn_buf_printf(&m->keys, "%s=%.*s;", key, (int)len, (const char *)val);
	return 0;
}

static void test_json_members(void)
{
	members_seen m = {QN_BUF_INIT};
	qn_error *err = NULL;
	const char *doc = " { \"a\\\"b\" : {\"x\": \"}]\\\"\"} , \"c\":[1,[2]],\"d\":null, \"e\" : 12 }\n";
	CHECK_INT(qn_json_members(U8(doc), "t", on_member, &m, &err), 0);
	CHECK_STR(m.keys.data, "a\"b={\"x\": \"}]\\\"\"};c=[1,[2]];d=null;e=12;");
	qn_buf_clear(&m.keys);
	static const char *const bad[] = {"{\"a\": {\"b\": 1}", "{\"a\" 1}", "{\"a\": [1}", "{\"a\": 1} {}", "[1]",
					  "{\"a\": \"x\n\"}",   "{a: 1}"};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++) {
		err = NULL;
		if (qn_json_members(U8(bad[i]), "t", on_member, &m, &err) != -1 || !err) {
			printf("# accepted: %s\n", bad[i]);
			tap_cur_failed = 1;
		}
		qn_error_free(err);
		qn_buf_clear(&m.keys);
	}
}

static void test_helpers(void)
{
	char *k = qn_vuln_package_key("PyPI", "Zope.Interface__x--Y");
	CHECK_STR(k, "zope-interface-x-y");
	free(k);
	k = qn_vuln_package_key("npm", "Left_Pad");
	CHECK_STR(k, "Left_Pad");
	free(k);
	CHECK_INT(qn_vuln_parse_time("2025-02-12T16:46:00Z"), 1739378760);
	CHECK_INT(qn_vuln_parse_time("2025-02-12T18:46:00.123+02:00"), 1739378760);
	CHECK_INT(qn_vuln_parse_time("2025-02-12"), 1739318400);
	CHECK_INT(qn_vuln_parse_time("yesterday"), -1);
	const char *v[] = {"1.0", "1.1~rc1", "2:3.4-5"};
	qn_buf packed = QN_BUF_INIT, text = QN_BUF_INIT;
	qn_ptrvec vec = {0};
	qn_vuln_versions_pack(v, 3, &packed);
	CHECK_INT(qn_vuln_versions_unpack(packed.data, packed.len, 3, &text, &vec), 0);
	CHECK_INT(vec.n, 3);
	if (vec.n == 3)
		CHECK_STR(vec.v[2], "2:3.4-5");
	vec.n = 0;
	CHECK_INT(qn_vuln_versions_unpack(packed.data, packed.len - 1, 3, &text, &vec), -1);
	qn_buf_clear(&packed);
	qn_buf_clear(&text);
	qn_ptrvec_clear(&vec, NULL);
}

/* ---- the database ---- */

static void write_file(const char *path, const char *s)
{
	tap_write(path, s, strlen(s));
}

typedef struct {
	qn_buf rows;
} lookup_seen;

static int on_row(void *ud, const qn_vuln_affected *a, qn_error **err)
{
	(void)err;
	lookup_seen *l = ud;
	qn_buf_printf(&l->rows, "%s|%s|%s|%s|%s|%s|%zu|%s|%s|%.1f\n", a->vuln_id, a->record->source, a->package,
		      S(a->introduced), S(a->fixed), qn_vuln_status_name(a->status), a->n_versions,
		      a->n_versions ? a->versions[a->n_versions - 1] : "", S(a->urgency), a->record->cvss3_score);
	return 0;
}

static char *lookup(qn_vulndb *db, const char *eco, const char *rel, const char *pkg)
{
	lookup_seen l = {QN_BUF_INIT};
	qn_error *err = NULL;
	if (qn_vulndb_lookup(db, eco, rel, pkg, on_row, &l, &err) < 0) {
		printf("# lookup failed: %s\n", err->msg);
		tap_cur_failed = 1;
		qn_error_free(err);
	}
	return qn_buf_steal(&l.rows);
}

static void make_fixtures(void)
{
	mkdir("osv", 0755);
	mkdir("osv/sub", 0755);
	write_file("osv/a.json", osv_full);
	write_file("osv/sub/b.json",
		   "{\"id\":\"DSA-5514-1\",\"summary\":\"glibc - security update\",\"related\":[\"CVE-2023-4911\"],"
		   "\"modified\":\"2024-12-31T00:00:00Z\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\","
		   "\"name\":\"glibc\"},"
		   "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.36-9+"
		   "deb12u3\"}]}]}]}");
	write_file("osv/sub/bad.json", "{\"id\": \"X-1\", \"affected\": 3}");
	write_file("osv/notes.txt", "not json, not imported");
	write_file("osv/.hidden.json", "garbage");
	write_file("tracker.json", tracker_json);
	write_file("main.json", secdb_json);
}

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

static void test_db_import_lookup(void)
{
	make_fixtures();
	mkdir("db", 0755);
	qn_error *err = NULL;
	qn_vuln_results res = {0};
	const char *paths[] = {"osv", "tracker.json", "main.json"};
	CHECK_INT(qn_vulndb_import("db/v.sqlite", paths, 3, NULL, &res, &err), 0);
	CHECK(err == NULL);
	CHECK_INT(res.n, 3);
	if (res.n == 3) {
		CHECK_INT(res.v[0].records, 2);
		CHECK_INT(res.v[0].affected, 7);
		CHECK_INT(res.v[0].skipped, 1);
		CHECK_STR(res.v[0].kind, "osv");
		CHECK_INT(res.v[1].records, 2); /* CVE-2023-4911 merged over glibc and curl, TEMP-... */
		CHECK_INT(res.v[1].affected, 5);
		CHECK_STR(res.v[1].kind, "debian-tracker");
		CHECK_INT(res.v[2].records, 5);
		CHECK_STR(res.v[2].kind, "alpine-secdb");
	}
	qn_vuln_results_clear(&res);
	CHECK_INT(dir_entries("db"), 1); /* no temporary file left */
	qn_vulndb *db = qn_vulndb_open("db/v.sqlite", &err);
	CHECK(db != NULL);
	if (!db)
		return;
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	_cleanup_free_ char *rows = lookup(db, "Debian", "12", "glibc");
	_cleanup_free_ char *want =
	    xasprintf("CVE-2023-0001|file:%s/osv|glibc|0|2.36-9+deb12u3|fixed|0||high|7.8\n"
		      "CVE-2023-0001|file:%s/osv|glibc|||affected|2|2.36-9+deb12u1|high|7.8\n"
		      "CVE-2023-4911|file:%s/tracker.json|glibc||2.36-9+deb12u3|fixed|0||high|-1.0\n"
		      "DSA-5514-1|file:%s/osv|glibc|0|2.36-9+deb12u3|fixed|0|||-1.0\n",
		      cwd, cwd, cwd, cwd);
	CHECK_STR(rows, want);
	_cleanup_free_ char *py = lookup(db, "PyPI", "", "some.pkg"); /* PEP 503: Some_Pkg */
	CHECK_CONTAINS(py, "|Some_Pkg|1.0.0|1.2.0|fixed|");
	_cleanup_free_ char *al = lookup(db, "Alpine", "3.20", "xen");
	CHECK_CONTAINS(al, "CVE-2020-11741|");
	_cleanup_free_ char *alv = lookup(db, "Alpine", "v3.20", "xen");
	CHECK_STR(alv, al);
	_cleanup_free_ char *none = lookup(db, "Debian", "11", "glibc"); /* tracker: fixed_version "0" */
	CHECK_STR(none, "");
	qn_vuln_source *src = NULL;
	size_t n = 0;
	CHECK_INT(qn_vulndb_sources(db, &src, &n, &err), 0);
	CHECK_INT(n, 3);
	if (n == 3) { /* by name: main.json, osv, tracker.json */
		CHECK_STR(src[1].newest, "2025-01-02T03:04:05Z");
		CHECK_STR(src[1].data_date, "2025-01-02T03:04:05Z");
		CHECK(src[1].sha256 == NULL); /* a folder */
		CHECK(src[2].sha256 && strlen(src[2].sha256) == 64);
		CHECK(src[2].data_time > 0 && src[2].newest == NULL); /* the file's time */
		CHECK_STR(src[0].kind, "alpine-secdb");
	}
	qn_vuln_sources_free(src, n);
	qn_vulndb_info info;
	CHECK_INT(qn_vulndb_get_info(db, &info, &err), 0);
	CHECK_INT(info.schema_version, QN_VULNDB_SCHEMA_VERSION);
	CHECK_INT(info.records, 9);
	CHECK(info.file_size > 0);
	qn_vulndb_info_clear(&info);
	qn_vulndb_close(db);
}

static int on_record(void *ud, const qn_vuln_record *r, qn_error **err)
{
	(void)err;
	qn_buf *b = ud;
	qn_buf_printf(b, "%s %zu %zu %zu %.1f %s\n", r->id, r->n_aliases, r->n_related, r->n_refs, r->cvss3_score,
		      S(r->summary));
	return 0;
}

static long file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* The file's bytes as "SIZE:" + hex of a digest-free copy: compared whole by the callers. */
static char *slurp(const char *p)
{
	qn_error *e = NULL;
	size_t n = 0;
	char *s = qn_read_file(p, 1 << 26, &n, &e);
	qn_error_free(e);
	if (!s)
		return NULL;
	qn_buf b = QN_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		qn_buf_printf(&b, "%02x", (unsigned char)s[i]);
	free(s);
	return qn_buf_steal(&b);
}

static void test_db_get_reimport_and_failure(void)
{
	make_fixtures();
	qn_error *err = NULL;
	qn_vuln_results res = {0};
	const char *all[] = {"osv", "tracker.json"};
	CHECK_INT(qn_vulndb_import("v.sqlite", all, 2, NULL, &res, &err), 0);
	qn_vuln_results_clear(&res);
	/* re-import one input: its source is replaced, the other kept */
	write_file("tracker.json", "{\"zlib\": {\"CVE-2024-9\": {\"releases\": {\"sid\": {\"status\": \"open\"}}}}}");
	const char *one[] = {"tracker.json"};
	CHECK_INT(qn_vulndb_import("v.sqlite", one, 1, NULL, &res, &err), 0);
	qn_vuln_results_clear(&res);
	qn_vulndb *db = qn_vulndb_open("v.sqlite", &err);
	CHECK(db != NULL);
	if (!db)
		return;
	qn_buf b = QN_BUF_INIT;
	CHECK_INT(qn_vulndb_get(db, "CVE-2023-0001", on_record, &b, &err), 1);
	CHECK_STR(b.data, "CVE-2023-0001 1 2 2 7.8 overflow in x\n");
	qn_buf_reset(&b);
	CHECK_INT(qn_vulndb_get(db, "CVE-2023-4911", on_record, &b, &err), 0); /* the old tracker is gone */
	CHECK_INT(qn_vulndb_get(db, "CVE-2024-9", on_record, &b, &err), 1);
	qn_buf_clear(&b);
	_cleanup_free_ char *rows = lookup(db, "Debian", "12", "glibc");
	CHECK_CONTAINS(rows, "DSA-5514-1|"); /* the OSV source was copied over */
	_cleanup_free_ char *z = lookup(db, "Debian", "unstable", "zlib");
	CHECK_CONTAINS(z, "CVE-2024-9|");
	qn_vulndb_close(db);
}

/* Failures leave the database byte-identical and no temporary file. */
static void test_db_failures(void)
{
	make_fixtures();
	qn_error *err = NULL;
	qn_vuln_results res = {0};
	const char *tree[] = {"osv"};
	CHECK_INT(qn_vulndb_import("v.sqlite", tree, 1, NULL, &res, &err), 0);
	qn_vuln_results_clear(&res);
	_cleanup_free_ char *before = slurp("v.sqlite");
	long size = file_size("v.sqlite");
	tap_write("junk.bin",
		  "\xfd"
		  "7zXZ\0\0 not really",
		  17);
	const char *bad[] = {"osv", "junk.bin"};
	err = NULL;
	CHECK_INT(qn_vulndb_import("v.sqlite", bad, 2, NULL, &res, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "unpack it first");
	qn_error_free(err);
	err = NULL;
	qn_vuln_import_opts strict = {.strict = true};
	CHECK_INT(qn_vulndb_import("v.sqlite", tree, 1, &strict, &res, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "--strict");
	qn_error_free(err);
	err = NULL;
	const char *missing[] = {"nope"};
	CHECK_INT(qn_vulndb_import("v.sqlite", missing, 1, NULL, &res, &err), -1);
	CHECK(err && err->kind == QN_ERR_NOTFOUND);
	qn_error_free(err);
	_cleanup_free_ char *after = slurp("v.sqlite");
	CHECK(before && after && file_size("v.sqlite") == size && strcmp(before, after) == 0);
	/* only the database, the fixtures and no ".v.sqlite.*" */
	DIR *d = opendir(".");
	struct dirent *de;
	while (d && (de = readdir(d)))
		CHECK(strncmp(de->d_name, ".v.sqlite", 9) != 0);
	if (d)
		closedir(d);
	/* a file that is not ours is never replaced */
	write_file("other.sqlite", "precious data");
	err = NULL;
	CHECK_INT(qn_vulndb_import("other.sqlite", tree, 1, NULL, &res, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	qn_error_free(err);
	err = NULL;
	CHECK(qn_vulndb_open("other.sqlite", &err) == NULL);
	CHECK_CONTAINS(err ? err->msg : NULL, "not");
	qn_error_free(err);
}

static void test_db_zip(void)
{
	const char *rec2 =
	    "{\"id\":\"PYSEC-1\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Django\"},"
	    "\"versions\":[\"1.0\",\"1.1\"]}]}";
	zw_entry e[] = {
	    {"a/CVE-2023-0001.json", osv_full, strlen(osv_full), 8, NULL, 0},
	    {"PYSEC-1.json", rec2, strlen(rec2), 0, NULL, 0},
	    {"broken.json", "{", 1, 0, NULL, 0},
	    {"README.txt", "hi", 2, 0, NULL, 0},
	};
	qn_buf z = QN_BUF_INIT;
	zw_layout lay;
	zw_write(&z, e, 4, false, &lay);
	tap_write("all.zip", z.data, z.len);
	qn_error *err = NULL;
	qn_vuln_results res = {0};
	const char *p[] = {"all.zip"};
	qn_vuln_import_opts o = {.source = "osv/Test"};
	CHECK_INT(qn_vulndb_import("z.sqlite", p, 1, &o, &res, &err), 0);
	if (res.n == 1) {
		CHECK_STR(res.v[0].name, "osv/Test");
		CHECK_INT(res.v[0].records, 2);
		CHECK_INT(res.v[0].skipped, 1);
	}
	qn_vuln_results_clear(&res);
	qn_vulndb *db = qn_vulndb_open("z.sqlite", &err);
	if (db) {
		_cleanup_free_ char *rows = lookup(db, "PyPI", "", "django");
		CHECK_STR(rows, "PYSEC-1|osv/Test|Django|||affected|2|1.1||-1.0\n");
		qn_vulndb_close(db);
	}
	/* truncated: the end of central directory is gone; a bad CRC: damaged member */
	tap_write("cut.zip", z.data, z.len - 30);
	const char *cut[] = {"cut.zip"};
	CHECK_INT(qn_vulndb_import("z.sqlite", cut, 1, NULL, &res, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "cut.zip");
	qn_error_free(err);
	err = NULL;
	zw_patch(&z, lay.central[1] + 16, 0xdeadbeef, 4); /* the central record's CRC-32 */
	tap_write("crc.zip", z.data, z.len);
	const char *crc[] = {"crc.zip"};
	CHECK_INT(qn_vulndb_import("z.sqlite", crc, 1, NULL, &res, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "crc.zip");
	qn_error_free(err);
	qn_buf_clear(&z);
}

static void test_feeds_config(void)
{
	make_fixtures();
	qn_vuln_feeds f;
	qn_vuln_feeds_init(&f);
	qn_error *err = NULL;
	CHECK_INT(f.n_osv_ecosystems, 6);
	write_file("config", "# quench\n[other]\nmirror = nonsense\n[db]\n  feeds = osv, alpine-secdb\n"
			     "osv-ecosystems = Test\nalpine-releases = v3.20\nalpine-repos = main\nretries = 0\n");
	CHECK_INT(qn_vuln_feeds_load(&f, "config", true, &err), 0);
	CHECK(f.osv && f.alpine_secdb && !f.debian_tracker);
	CHECK_INT(f.retries, 0);
	write_file("bad", "[db]\n\nfeeds = osv\nbogus = 1\n");
	CHECK_INT(qn_vuln_feeds_load(&f, "bad", true, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "bad: line 4: unknown setting \"bogus\"");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(qn_vuln_feeds_set(&f, "osv-ecosystems", "../etc", &err), -1);
	qn_error_free(err);
	err = NULL;
	CHECK_INT(qn_vuln_feeds_set(&f, "mirror", "ftp://x", &err), -1);
	qn_error_free(err);
	err = NULL;
	CHECK_INT(qn_vuln_feeds_load(&f, "absent", false, &err), 0);
	CHECK_INT(qn_vuln_feeds_set(&f, "timeout", "nan", &err), -1); /* NaN compares false with both ends */
	qn_error_free(err);
	err = NULL;
	/* a NUL byte hides nothing after it: the file is refused */
	CHECK_INT(qn_vuln_feeds_parse(&f, "[db]\nretries = 1\0\nbogus = 2\n", 28, "nul", &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "nul: a NUL byte");
	qn_error_free(err);
	err = NULL;
	qn_vuln_feeds_clear(&f);
}

/* update over file:// URLs: a mirror laid out like the originals, all-or-nothing failures */
static void test_file_update(void)
{
	make_fixtures();
	qn_vuln_feeds f;
	qn_vuln_feeds_init(&f);
	qn_error *err = NULL;
	write_file("config", "[db]\nfeeds = osv alpine-secdb\nosv-ecosystems = Test\nalpine-releases = v3.20\n"
			     "alpine-repos = main\nretries = 0\n");
	CHECK_INT(qn_vuln_feeds_load(&f, "config", true, &err), 0);
	mkdir("m", 0755);
	mkdir("m/Test", 0755);
	mkdir("m/v3.20", 0755);
	zw_entry e[] = {{"CVE-2023-0001.json", osv_full, strlen(osv_full), 8, NULL, 0}};
	qn_buf z = QN_BUF_INIT;
	zw_layout lay;
	zw_write(&z, e, 1, false, &lay);
	tap_write("m/Test/all.zip", z.data, z.len);
	qn_buf_clear(&z);
	write_file("m/v3.20/main.json", secdb_json);
	char cwd[4096];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	_cleanup_free_ char *mirror = xasprintf("file://%s/m", cwd);
	CHECK_INT(qn_vuln_feeds_set(&f, "mirror", mirror, &err), 0);
	qn_vuln_results res = {0};
	CHECK_INT(qn_vulndb_update("u.sqlite", &f, &res, &err), 0);
	if (err)
		printf("# %s\n", err->msg);
	CHECK_INT(res.n, 2);
	if (res.n == 2) {
		CHECK_STR(res.v[0].name, "osv/Test");
		CHECK_STR(res.v[0].action, "updated");
		CHECK_INT(res.v[0].records, 1);
		CHECK_STR(res.v[1].name, "alpine-secdb/v3.20/main");
		CHECK_INT(res.v[1].records, 5);
	}
	qn_vuln_results_clear(&res);
	/* a feed that is missing fails the whole update and leaves the database as it was */
	_cleanup_free_ char *before = slurp("u.sqlite");
	CHECK_INT(qn_vuln_feeds_set(&f, "alpine-releases", "v3.20 v9.99", &err), 0);
	CHECK_INT(qn_vulndb_update("u.sqlite", &f, &res, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "alpine-secdb/v9.99/main");
	qn_error_free(err);
	err = NULL;
	/* a feed of the wrong kind is refused */
	write_file("m/v3.20/main.json", osv_full);
	CHECK_INT(qn_vuln_feeds_set(&f, "alpine-releases", "v3.20", &err), 0);
	CHECK_INT(qn_vulndb_update("u.sqlite", &f, &res, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "expected alpine-secdb, got osv");
	qn_error_free(err);
	_cleanup_free_ char *after = slurp("u.sqlite");
	CHECK(before && after && strcmp(before, after) == 0);
	qn_vuln_feeds_clear(&f);
}

int main(void)
{
	qn_log_set_level(QN_LOG_ERROR);
	TAP_RUN(test_cvss_scores);
	TAP_RUN(test_osv_parse);
	TAP_RUN(test_osv_withdrawn_and_minimal);
	TAP_RUN(test_osv_malformed);
	TAP_RUN(test_debtracker);
	TAP_RUN(test_debtracker_damaged);
	TAP_RUN(test_secdb);
	TAP_RUN(test_detect);
	TAP_RUN(test_json_members);
	TAP_RUN(test_helpers);
	TAP_RUN(test_db_import_lookup);
	TAP_RUN(test_db_get_reimport_and_failure);
	TAP_RUN(test_db_failures);
	TAP_RUN(test_db_zip);
	TAP_RUN(test_feeds_config);
	TAP_RUN(test_file_update);
	return tap_done();
}
