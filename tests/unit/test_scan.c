/* Unit tests of the scanner: the matcher against a small database imported from exact fixtures
 * (Debian source packages and releases, epochs and tildes, advisories folded into CVEs, Alpine
 * origins in secdb, PyPI and npm through OSV, Go without "v"), severities, changelog evidence and
 * OpenVEX parsing and matching. */
#include <sys/stat.h>
#include <zlib.h>

#include "quench/scan.h"
#include "tap.h"
#include "util/util.h"

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(s, f);
	fclose(f);
}

#define CVSS_CRIT "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

static void osv_debian(const char *file, const char *id, const char *release, const char *pkg, const char *fixed,
		       const char *urgency, const char *extra)
{
	char *events = fixed ? xasprintf("[{\"introduced\":\"0\"},{\"fixed\":\"%s\"}]", fixed)
			     : xstrdup("[{\"introduced\":\"0\"}]");
	char *s = xasprintf("{\"schema_version\":\"1.6.0\",\"id\":\"%s\",\"modified\":\"2025-01-01T00:00:00Z\"%s,"
			    "\"affected\":[{\"package\":{\"ecosystem\":\"Debian:%s\",\"name\":\"%s\"},"
			    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":%s}],"
			    "\"ecosystem_specific\":{\"urgency\":\"%s\"}}]}",
			    id, extra ? extra : "", release, pkg, events, urgency);
	write_file(file, s);
	free(s);
	free(events);
}

static qn_vulndb *fixture_db(void)
{
	if (mkdir("osv", 0755) < 0)
		return NULL;
	osv_debian("osv/c1.json", "CVE-2099-0001", "12", "openssl", "3.0.15-1~deb12u1", "medium",
		   ",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"" CVSS_CRIT "\"}]");
	osv_debian("osv/c2.json", "CVE-2099-0002", "12", "openssl", "3.0.11-1~deb12u1", "high", NULL);
	osv_debian("osv/c3.json", "CVE-2099-0003", "12", "openssl", NULL, "unimportant", NULL);
	osv_debian("osv/c4.json", "CVE-2099-0004", "12", "openssl", NULL, "end-of-life", NULL);
	osv_debian("osv/c5.json", "CVE-2099-0005", "11", "openssl", NULL, "high", NULL);
	osv_debian("osv/d1.json", "DSA-9999-1", "12", "openssl", "3.0.15-1~deb12u1", "not yet assigned",
		   ",\"related\":[\"CVE-2099-0001\"]");
	osv_debian("osv/d2.json", "DSA-9998-1", "12", "openssl", "3.0.15-1~deb12u1", "not yet assigned", NULL);
	osv_debian("osv/c6.json", "CVE-2099-0006", "12", "shadow", "1:4.13+dfsg1-1+deb12u1", "low", NULL);
	osv_debian("osv/c7.json", "CVE-2099-0007", "12", "shadow", "1:4.13+dfsg1-1~", "low", NULL);
	write_file("osv/u1.json", "{\"id\":\"UBUNTU-CVE-2099-0008\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"upstream\":[\"CVE-2099-0008\"],\"affected\":[{\"package\":{\"ecosystem\":"
				  "\"Ubuntu:22.04:LTS\",\"name\":\"openssl\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
				  "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"3.0.2-0ubuntu1.18\"}]}]}]}");
	write_file("osv/g1.json", "{\"id\":\"GHSA-aaaa-bbbb-cccc\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"aliases\":[\"CVE-2099-1000\"],\"database_specific\":{\"severity\":\"MODERATE\"},"
				  "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"Requests\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
				  "{\"fixed\":\"2.31.0\"}]}]}]}");
	write_file("osv/p1.json", "{\"id\":\"PYSEC-2099-1\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"aliases\":[\"CVE-2099-1000\",\"GHSA-aaaa-bbbb-cccc\"],"
				  "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"requests\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"2.0\"},"
				  "{\"fixed\":\"2.30.1\"}]}]}]}");
	write_file("osv/n1.json", "{\"id\":\"GHSA-npm1-xxxx-yyyy\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"database_specific\":{\"severity\":\"HIGH\"},"
				  "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"lodash\"},"
				  "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"4.0.0\"},"
				  "{\"fixed\":\"4.17.21\"}]}]},"
				  "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"left-pad\"},"
				  "\"versions\":[\"1.0.0\",\"1.0.1\"]}]}");
	write_file("osv/go1.json", "{\"id\":\"GO-2099-0001\",\"modified\":\"2025-01-01T00:00:00Z\","
				   "\"aliases\":[\"CVE-2099-3000\"],"
				   "\"affected\":[{\"package\":{\"ecosystem\":\"Go\",\"name\":\"golang.org/x/net\"},"
				   "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},"
				   "{\"fixed\":\"0.17.0\"}]}]}]}");
	write_file("secdb.json", "{\"distroversion\":\"v3.20\",\"reponame\":\"main\",\"urlprefix\":\"https://x\","
				 "\"apkurl\":\"{{urlprefix}}\",\"archs\":[\"x86_64\"],\"packages\":[{\"pkg\":{"
				 "\"name\":\"openssl\",\"secfixes\":{\"3.3.2-r0\":[\"CVE-2099-2000\"],"
				 "\"3.1.0-r0\":[\"CVE-2099-2001\"]}}}]}");
	/* AlmaLinux lists each binary rpm (krb5 builds no binary named krb5); Rocky Linux data by
	 * the source name; one record under both names */
	write_file("osv/r1.json", "{\"id\":\"ALSA-2099:0001\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"upstream\":[\"CVE-2099-4000\"],\"affected\":["
				  "{\"package\":{\"ecosystem\":\"AlmaLinux:9\",\"name\":\"krb5-libs\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
				  "{\"fixed\":\"1.21.1-2.el9_4\"}]}]},"
				  "{\"package\":{\"ecosystem\":\"AlmaLinux:9\",\"name\":\"krb5-devel\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
				  "{\"fixed\":\"1.21.1-2.el9_4\"}]}]}]}");
	write_file("osv/r2.json", "{\"id\":\"RLSA-2099:0002\",\"modified\":\"2025-01-01T00:00:00Z\","
				  "\"upstream\":[\"CVE-2099-4001\"],\"affected\":["
				  "{\"package\":{\"ecosystem\":\"Rocky Linux:9\",\"name\":\"openssl\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
				  "{\"fixed\":\"1:3.0.7-28.el9_4\"}]}]},"
				  "{\"package\":{\"ecosystem\":\"Rocky Linux:9\",\"name\":\"openssl-libs\"},"
				  "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
				  "{\"fixed\":\"1:3.0.7-27.el9_4\"}]}]}]}");
	const char *paths[] = {"osv", "secdb.json"};
	qn_vuln_results res = {0};
	qn_error *err = NULL;
	if (qn_vulndb_import("v.sqlite", paths, 2, NULL, &res, &err) < 0) {
		printf("# import: %s\n", err ? err->msg : "?");
		qn_error_free(err);
		return NULL;
	}
	qn_vuln_results_clear(&res);
	qn_vulndb *db = qn_vulndb_open("v.sqlite", &err);
	qn_error_free(err);
	return db;
}

static const qn_finding *find(const qn_findings *fs, const char *pkg, const char *id)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].pkg->name, pkg) && !strcmp(fs->v[i].id, id))
			return &fs->v[i];
	return NULL;
}

static size_t count_pkg(const qn_findings *fs, const char *pkg)
{
	size_t n = 0;
	for (size_t i = 0; i < fs->n; i++)
		n += !strcmp(fs->v[i].pkg->name, pkg);
	return n;
}

static int match(qn_vulndb *db, const qn_os_info *os, qn_package *p, size_t n, qn_changelog_fn cl, qn_findings *fs)
{
	const qn_package *v[16];
	for (size_t i = 0; i < n; i++)
		v[i] = &p[i];
	qn_error *err = NULL;
	int rc = qn_scan_match(db, os, v, n, cl, NULL, fs, &err);
	if (err)
		printf("# %s\n", err->msg);
	qn_error_free(err);
	return rc;
}

static qn_os_info debian12 = {.id = "debian", .version_id = "12", .version_codename = "bookworm"};

static void test_debian(void)
{
	qn_vulndb *db = fixture_db();
	CHECK(db != NULL);
	if (!db)
		return;
	qn_package p[] = {
	    {.eco = QN_ECO_DEB,
	     .name = "libssl3",
	     .version = "3.0.14-1~deb12u2",
	     .source_name = "openssl",
	     .source_version = "3.0.14-1~deb12u2",
	     .purl = "pkg:deb/debian/libssl3@3.0.14-1~deb12u2",
	     .layer = 0},
	    /* Source without a version: the binary's version is the source version */
	    {.eco = QN_ECO_DEB, .name = "passwd", .version = "1:4.13+dfsg1-1", .source_name = "shadow", .layer = 1},
	    {.eco = QN_ECO_DEB,
	     .name = "openssl-fixed",
	     .version = "3.0.15-1~deb12u1",
	     .source_name = "openssl",
	     .source_version = "3.0.15-1~deb12u1",
	     .layer = 1},
	};
	qn_findings fs = {0};
	CHECK_INT(match(db, &debian12, p, 3, NULL, &fs), 0);
	const qn_finding *f = find(&fs, "libssl3", "CVE-2099-0001");
	CHECK(f != NULL);
	if (f) {
		CHECK_STR(f->fixed_version, "3.0.15-1~deb12u1");
		CHECK_INT(f->status, QN_VULN_FIXED);
		CHECK_INT(f->severity, QN_SEV_CRITICAL); /* CVSS 9.8 wins over urgency medium */
		CHECK_STR(f->severity_source, "cvss");
		CHECK(f->cvss > 9.7 && f->cvss < 9.9);
		CHECK_STR(f->urgency, "medium");
		CHECK_STR(f->ecosystem, "Debian:12");
		CHECK_STR(f->package, "openssl");
		CHECK_INT(f->n_advisories, 1);
		if (f->n_advisories)
			CHECK_STR(f->advisories[0], "DSA-9999-1");
	}
	CHECK(find(&fs, "libssl3", "CVE-2099-0002") == NULL); /* fixed below the installed version */
	CHECK(find(&fs, "libssl3", "CVE-2099-0005") == NULL); /* another release */
	CHECK(find(&fs, "libssl3", "DSA-9999-1") == NULL);    /* folded into its CVE */
	f = find(&fs, "libssl3", "CVE-2099-0003");
	CHECK(f && f->status == QN_VULN_AFFECTED && !f->fixed_version && f->severity == QN_SEV_LOW &&
	      !strcmp(f->severity_source, "urgency"));
	f = find(&fs, "libssl3", "CVE-2099-0004");
	CHECK(f && f->status == QN_VULN_WILL_NOT_FIX && f->severity == QN_SEV_UNKNOWN);
	CHECK(find(&fs, "libssl3", "DSA-9998-1") != NULL); /* an advisory naming no CVE stays */
	CHECK_INT(count_pkg(&fs, "libssl3"), 4);
	/* epoch: 1:4.13+dfsg1-1 < 1:4.13+dfsg1-1+deb12u1; and 1:4.13+dfsg1-1~ < 1:4.13+dfsg1-1 */
	CHECK(find(&fs, "passwd", "CVE-2099-0006") != NULL);
	CHECK(find(&fs, "passwd", "CVE-2099-0007") == NULL);
	/* at the fixed version: only the unfixed and the will-not-fix ones */
	CHECK_INT(count_pkg(&fs, "openssl-fixed"), 2);
	CHECK(find(&fs, "openssl-fixed", "CVE-2099-0003") && find(&fs, "openssl-fixed", "CVE-2099-0004"));
	qn_findings_clear(&fs);

	/* no OS: OS packages are not matched, and it is said */
	CHECK_INT(match(db, NULL, p, 1, NULL, &fs), 0);
	CHECK_INT(fs.n, 0);
	CHECK_INT(fs.n_warnings, 1);
	qn_findings_clear(&fs);
	/* Debian 11: only the release-11 record */
	qn_os_info d11 = {.id = "debian", .version_id = "11"};
	CHECK_INT(match(db, &d11, p, 1, NULL, &fs), 0);
	CHECK_INT(fs.n, 1);
	CHECK(find(&fs, "libssl3", "CVE-2099-0005") != NULL);
	qn_findings_clear(&fs);
	/* Ubuntu's long-term releases are "Ubuntu:22.04:LTS" in osv.dev; reported under the CVE */
	qn_os_info jammy = {.id = "ubuntu", .version_id = "22.04"};
	qn_package u = {.eco = QN_ECO_DEB, .name = "libssl3", .version = "3.0.2-0ubuntu1.15", .source_name = "openssl"};
	CHECK_INT(match(db, &jammy, &u, 1, NULL, &fs), 0);
	CHECK_INT(fs.n, 1);
	f = find(&fs, "libssl3", "CVE-2099-0008");
	CHECK(f && f->fixed_version && !strcmp(f->fixed_version, "3.0.2-0ubuntu1.18") &&
	      !strcmp(f->ecosystem, "Ubuntu:22.04:LTS"));
	qn_findings_clear(&fs);
	qn_vulndb_close(db);
}

static bool cl_says_fixed(void *ud, const qn_package *p, const char *cve, const char **version)
{
	(void)ud;
	if (!strcmp(p->name, "libssl3") && !strcmp(cve, "CVE-2099-0003")) {
		*version = "3.0.14-1~deb12u1";
		return true;
	}
	return false;
}

static void test_changelog_evidence(void)
{
	qn_vulndb *db = fixture_db();
	CHECK(db != NULL);
	if (!db)
		return;
	qn_package p = {.eco = QN_ECO_DEB,
			.name = "libssl3",
			.version = "3.0.14-1~deb12u2",
			.source_name = "openssl",
			.source_version = "3.0.14-1~deb12u2"};
	qn_findings fs = {0};
	CHECK_INT(match(db, &debian12, &p, 1, cl_says_fixed, &fs), 0);
	CHECK(find(&fs, "libssl3", "CVE-2099-0003") == NULL);
	CHECK(find(&fs, "libssl3", "CVE-2099-0001") != NULL);
	CHECK_INT(fs.n_changelog_fixed, 1);
	qn_findings_clear(&fs);
	qn_vulndb_close(db);
}

static void test_alpine(void)
{
	qn_vulndb *db = fixture_db();
	CHECK(db != NULL);
	if (!db)
		return;
	qn_os_info alp = {.id = "alpine", .version_id = "3.20.3"};
	qn_package p[] = {
	    {.eco = QN_ECO_APK, .name = "libcrypto3", .version = "3.3.1-r3", .source_name = "openssl"},
	    {.eco = QN_ECO_APK, .name = "libssl3", .version = "3.3.2-r0", .source_name = "openssl"},
	};
	qn_findings fs = {0};
	CHECK_INT(match(db, &alp, p, 2, NULL, &fs), 0);
	const qn_finding *f = find(&fs, "libcrypto3", "CVE-2099-2000");
	CHECK(f && f->fixed_version && !strcmp(f->fixed_version, "3.3.2-r0") && !strcmp(f->ecosystem, "Alpine:3.20"));
	CHECK(find(&fs, "libcrypto3", "CVE-2099-2001") == NULL);
	CHECK_INT(count_pkg(&fs, "libssl3"), 0);
	CHECK_INT(fs.n, 1);
	qn_findings_clear(&fs);
	qn_vulndb_close(db);
}

static void test_rpm(void)
{
	qn_vulndb *db = fixture_db();
	CHECK(db != NULL);
	if (!db)
		return;
	qn_os_info alma = {.id = "almalinux", .version_id = "9.4"}, rocky = {.id = "rocky", .version_id = "9.3"};
	qn_package a[] = {
	    {.eco = QN_ECO_RPM, .name = "krb5-libs", .version = "1.21.1-1.el9", .source_name = "krb5"},
	    {.eco = QN_ECO_RPM, .name = "krb5-libs-fixed", .version = "1.21.1-2.el9_4", .source_name = "krb5"},
	};
	qn_findings fs = {0};
	CHECK_INT(match(db, &alma, a, 2, NULL, &fs), 0);
	for (size_t i = 0; i < fs.n_warnings; i++)
		printf("# warning: %s\n", fs.warnings[i]);
	const qn_finding *f = find(&fs, "krb5-libs", "CVE-2099-4000");
	CHECK(f && f->fixed_version && !strcmp(f->fixed_version, "1.21.1-2.el9_4") &&
	      !strcmp(f->ecosystem, "AlmaLinux:9"));
	CHECK_INT(fs.n, 1); /* the renamed binary is in no record */
	qn_findings_clear(&fs);

	/* found under both names, one finding with the earlier fix of the two rows */
	qn_package r[] = {
	    {.eco = QN_ECO_RPM, .name = "openssl-libs", .version = "1:3.0.7-25.el9", .source_name = "openssl"},
	    {.eco = QN_ECO_RPM, .name = "openssl", .version = "1:3.0.7-28.el9_4", .source_name = "openssl"},
	};
	CHECK_INT(match(db, &rocky, r, 2, NULL, &fs), 0);
	f = find(&fs, "openssl-libs", "CVE-2099-4001");
	CHECK(f && f->fixed_version && !strcmp(f->fixed_version, "1:3.0.7-27.el9_4"));
	CHECK_INT(count_pkg(&fs, "openssl-libs"), 1);
	CHECK_INT(count_pkg(&fs, "openssl"), 0);
	qn_findings_clear(&fs);
	qn_vulndb_close(db);
}

static void test_language(void)
{
	qn_vulndb *db = fixture_db();
	CHECK(db != NULL);
	if (!db)
		return;
	qn_package p[] = {
	    {.eco = QN_ECO_PYPI, .name = "requests", .version = "2.28.1"},
	    {.eco = QN_ECO_PYPI, .name = "requests", .version = "2.31.0rc1"},
	    {.eco = QN_ECO_PYPI, .name = "requests", .version = "2.31.0"},
	    {.eco = QN_ECO_NPM, .name = "lodash", .version = "4.17.20"},
	    {.eco = QN_ECO_NPM, .name = "lodash", .version = "4.17.21"},
	    {.eco = QN_ECO_NPM, .name = "lodash", .version = "3.10.1"},
	    {.eco = QN_ECO_NPM, .name = "left-pad", .version = "1.0.1"},
	    {.eco = QN_ECO_NPM, .name = "left-pad", .version = "1.0.2"},
	    {.eco = QN_ECO_GO, .name = "golang.org/x/net", .version = "v0.10.0"},
	    {.eco = QN_ECO_PYPI, .name = "badver", .version = "not a version!"},
	};
	qn_findings fs = {0};
	CHECK_INT(match(db, NULL, p, QN_ARRAY_LEN(p), NULL, &fs), 0);
	/* GHSA and PYSEC records of one CVE: one finding under the CVE, the earliest fix */
	size_t n_req = 0;
	for (size_t i = 0; i < fs.n; i++)
		if (fs.v[i].pkg == &p[0]) {
			n_req++;
			CHECK_STR(fs.v[i].id, "CVE-2099-1000");
			CHECK_INT(fs.v[i].n_aliases, 2);
			CHECK_STR(fs.v[i].fixed_version, "2.30.1");
			CHECK_INT(fs.v[i].severity, QN_SEV_MEDIUM); /* GHSA's MODERATE */
			CHECK_STR(fs.v[i].severity_source, "feed");
		}
	CHECK_INT(n_req, 1);
	bool rc1 = false, final = false, l20 = false, l21 = false, l3 = false, lp1 = false, lp2 = false, go = false;
	for (size_t i = 0; i < fs.n; i++) {
		const qn_package *q = fs.v[i].pkg;
		rc1 |= q == &p[1];
		final |= q == &p[2];
		l20 |= q == &p[3];
		l21 |= q == &p[4];
		l3 |= q == &p[5];
		lp1 |= q == &p[6];
		lp2 |= q == &p[7];
		if (q == &p[8]) {
			go = true;
			CHECK_STR(fs.v[i].id, "CVE-2099-3000");
			CHECK_STR(fs.v[i].fixed_version, "0.17.0");
		}
	}
	CHECK(rc1);    /* 2.31.0rc1 < 2.31.0 under PEP 440 (GHSA range) */
	CHECK(!final); /* at the fix */
	CHECK(l20 && !l21 && !l3);
	CHECK(lp1 && !lp2); /* explicit versions list */
	CHECK(go);
	CHECK_INT(fs.n_warnings, 1); /* the unparsable PyPI version */
	if (fs.n_warnings)
		CHECK_CONTAINS(fs.warnings[0], "badver");
	qn_findings_clear(&fs);
	qn_vulndb_close(db);
}

static void test_severity(void)
{
	qn_severity s;
	CHECK_INT(qn_severity_parse("high", &s), 0);
	CHECK_INT(s, QN_SEV_HIGH);
	CHECK_INT(qn_severity_parse("Moderate", &s), 0);
	CHECK_INT(s, QN_SEV_MEDIUM);
	CHECK_INT(qn_severity_parse("severe", &s), -1);
	unsigned m = 0;
	qn_error *err = NULL;
	CHECK_INT(qn_severity_mask_parse("CRITICAL,high", &m, &err), 0);
	CHECK_INT(m, (1u << QN_SEV_CRITICAL) | (1u << QN_SEV_HIGH));
	CHECK_INT(qn_severity_mask_parse("HIGH,bogus", &m, &err), -1);
	CHECK(err && strstr(err->msg, "bogus"));
	qn_error_free(err);
}

static int collect_cve(void *ud, const char *cve, const char *version)
{
	char *buf = ud;
	size_t n = strlen(buf);
	snprintf(buf + n, 512 - n, "%s@%s;", cve, version);
	return 0;
}

static void test_changelog(void)
{
	const char *text = "openssl (3.0.16-1~deb12u1) bookworm-security; urgency=medium\n\n"
			   "  * Fix CVE-2099-0020.\n\n -- X <x@example.org>  Mon, 01 Jan 2025 00:00:00 +0000\n\n"
			   "openssl (3.0.15-1~deb12u1) bookworm; urgency=medium\n\n"
			   "  * CVE-2099-0010 (and CVE-2099-0011); not XCVE-2099-0012, not CVE-99-1.\n\n"
			   " -- X <x@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n\n"
			   "openssl (3.0.1-1) unstable; urgency=low\n\n  * CVE-2099-0001\n";
	char got[512] = "";
	qn_error *err = NULL;
	CHECK_INT(qn_changelog_cves((const uint8_t *)text, strlen(text), "3.0.15-1~deb12u2", collect_cve, got, &err),
		  0);
	CHECK_STR(got, "CVE-2099-0010@3.0.15-1~deb12u1;CVE-2099-0011@3.0.15-1~deb12u1;CVE-2099-0001@3.0.1-1;");
	/* the same as gzip */
	unsigned char gz[2048];
	z_stream z = {0};
	CHECK_INT(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = gz;
	z.avail_out = sizeof(gz);
	CHECK_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t len = sizeof(gz) - z.avail_out;
	deflateEnd(&z);
	got[0] = 0;
	CHECK_INT(qn_changelog_cves(gz, len, "3.0.15-1~deb12u1", collect_cve, got, &err), 0);
	CHECK_STR(got, "CVE-2099-0010@3.0.15-1~deb12u1;CVE-2099-0011@3.0.15-1~deb12u1;CVE-2099-0001@3.0.1-1;");
	/* truncated gzip: an error, not a crash */
	CHECK_INT(qn_changelog_cves(gz, len / 2, "9", collect_cve, got, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	qn_error_free(err);
}

#define VEX_HEAD                                                                                                  \
	"{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"@id\":\"https://example.org/vex/1\",\"author\":\"a\"," \
	"\"timestamp\":\"2025-01-01T00:00:00Z\",\"version\":1,\"statements\":["

static void test_vex(void)
{
	const char *doc = VEX_HEAD
	    "{\"vulnerability\":{\"name\":\"CVE-2099-0001\"},\"products\":[{\"@id\":\"pkg:deb/debian/libssl3\"}],"
	    "\"status\":\"not_affected\",\"justification\":\"vulnerable_code_not_in_execute_path\"},"
	    "{\"vulnerability\":{\"name\":\"CVE-2099-0003\"},\"products\":[{\"@id\":\"pkg:oci/app@sha256%3Aabc\","
	    "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/libssl3@3.0.14-1~deb12u2\"}]}],\"status\":\"fixed\"},"
	    "{\"vulnerability\":{\"name\":\"CVE-2099-0001\"},\"products\":[{\"@id\":\"pkg:deb/debian/"
	    "libssl3?arch=arm64\"}],"
	    "\"status\":\"affected\",\"action_statement\":\"x\",\"timestamp\":\"2025-02-01T00:00:00Z\"},"
	    "{\"vulnerability\":\"GHSA-x\",\"products\":[\"pkg:pypi/Requests\"],\"status\":\"not_affected\","
	    "\"impact_statement\":\"unused\"}]}";
	qn_error *err = NULL;
	qn_vex *v = qn_vex_parse((const uint8_t *)doc, strlen(doc), "t.json", &err);
	CHECK(v != NULL);
	if (!v) {
		printf("# %s\n", err ? err->msg : "?");
		qn_error_free(err);
		return;
	}
	CHECK_INT(qn_vex_statement_count(v), 4);
	const char *ids[] = {"CVE-2099-0001"}, *img[] = {"sha256:abc"}, *just = NULL, *sid = NULL;
	const char *amd = "pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=amd64&distro=debian-12";
	CHECK_INT(qn_vex_match(v, ids, 1, amd, img, 1, &just, &sid), QN_VEX_NOT_AFFECTED);
	CHECK_STR(just, "vulnerable_code_not_in_execute_path");
	CHECK_STR(sid, "statements[0]");
	/* the later statement for arm64 wins there, and only there */
	CHECK_INT(qn_vex_match(v, ids, 1, "pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=arm64", img, 1, NULL, NULL),
		  QN_VEX_AFFECTED);
	CHECK_INT(qn_vex_match(v, ids, 1, "pkg:deb/debian/libssl1.1@1.1?arch=amd64", img, 1, NULL, NULL), QN_VEX_NONE);
	const char *ids3[] = {"CVE-2099-0003"};
	CHECK_INT(qn_vex_match(v, ids3, 1, amd, img, 1, NULL, NULL), QN_VEX_FIXED);
	const char *other[] = {"sha256:def"};
	CHECK_INT(qn_vex_match(v, ids3, 1, amd, other, 1, NULL, NULL), QN_VEX_NONE); /* another image */
	CHECK_INT(qn_vex_match(v, ids3, 1, "pkg:deb/debian/libssl3@3.0.15?arch=amd64", img, 1, NULL, NULL),
		  QN_VEX_NONE); /* another version */
	const char *aliases[] = {"CVE-2099-1000", "GHSA-x"};
	CHECK_INT(qn_vex_match(v, aliases, 2, "pkg:pypi/requests@2.28.1", img, 1, NULL, NULL), QN_VEX_NOT_AFFECTED);
	qn_vex_free(v);

	static const struct {
		const char *doc, *msg;
	} bad[] = {
	    {"{\"statements\":[]}", "not an OpenVEX document"},
	    {VEX_HEAD "]", "t.json"},
	    {VEX_HEAD "{\"products\":[\"pkg:npm/a\"],\"status\":\"fixed\"}]}", "statements[0]: \"vulnerability\""},
	    {VEX_HEAD "{\"vulnerability\":{\"name\":\"C\"},\"products\":[\"pkg:npm/a\"],\"status\":\"gone\"}]}",
	     "status \"gone\""},
	    {VEX_HEAD "{\"vulnerability\":{\"name\":\"C\"},\"products\":[\"pkg:npm/a\"],\"status\":\"not_affected\"}]}",
	     "justification"},
	    {VEX_HEAD "{\"vulnerability\":{\"name\":\"C\"},\"status\":\"fixed\"}]}", "\"products\""},
	    {VEX_HEAD "{\"vulnerability\":{\"name\":\"C\"},\"products\":[{}],\"status\":\"fixed\"}]}", "products[0]"},
	    {VEX_HEAD "{\"vulnerability\":{\"name\":\"C\"},\"products\":[\"pkg:npm/a\"],\"status\":\"not_affected\","
		      "\"justification\":\"because\"}]}",
	     "unknown justification"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++) {
		err = NULL;
		v = qn_vex_parse((const uint8_t *)bad[i].doc, strlen(bad[i].doc), "t.json", &err);
		CHECK(v == NULL);
		CHECK(err && err->kind == QN_ERR_INPUT);
		if (err)
			CHECK_CONTAINS(err->msg, bad[i].msg);
		qn_error_free(err);
		qn_vex_free(v);
	}
}

int main(void)
{
	TAP_RUN(test_debian);
	TAP_RUN(test_changelog_evidence);
	TAP_RUN(test_alpine);
	TAP_RUN(test_rpm);
	TAP_RUN(test_language);
	TAP_RUN(test_severity);
	TAP_RUN(test_changelog);
	TAP_RUN(test_vex);
	return tap_done();
}
