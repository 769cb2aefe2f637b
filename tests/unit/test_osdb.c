/* Unit tests: the OS package database readers (dpkg, apk, rpm) on inputs made here, malformed
 * variants that must fail cleanly, and cross-checks against the real tools when they are
 * installed: dpkg-query on this machine's own status file, and rpmbuild + rpm for the sqlite
 * rpmdb (Debian package "rpm"). A missing tool prints a "# SKIP" line. */
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "pkg/osdb.h"
#include "tap.h"

/* ---- helpers ---- */

static const qn_package *find_pkg(const qn_pkglist *l, const char *name, const char *arch)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0 && (!arch || (l->v[i].arch && strcmp(l->v[i].arch, arch) == 0)))
			return &l->v[i];
	return NULL;
}

static bool has_warning(const qn_osdb_warnings *w, const char *sub)
{
	for (size_t i = 0; i < w->lines.n; i++)
		if (strstr(w->lines.v[i], sub))
			return true;
	return false;
}

static void dump_warnings(const qn_osdb_warnings *w)
{
	for (size_t i = 0; i < w->lines.n; i++)
		printf("#   warning: %s\n", (const char *)w->lines.v[i]);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_vec(qn_ptrvec *v)
{
	if (v->n)
		qsort(v->v, v->n, sizeof(void *), cmp_strp);
}

/* Runs a shell command and returns its stdout (caller frees), or NULL when it failed. */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	qn_buf b = QN_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		qn_buf_add(&b, chunk, n);
	if (pclose(f) != 0) {
		qn_buf_clear(&b);
		return NULL;
	}
	qn_buf_adds(&b, "");
	return qn_buf_steal(&b);
}

/* Splits text into sorted lines (the vector owns them). */
static void sorted_lines(const char *text, qn_ptrvec *out)
{
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			qn_ptrvec_push(out, xstrndup(p, n));
		p = nl ? nl + 1 : NULL;
	}
	sort_vec(out);
}

/* Compares two sorted line sets, printing the first few differences. */
static bool same_lines(const qn_ptrvec *a, const qn_ptrvec *b, const char *what)
{
	bool same = a->n == b->n;
	size_t shown = 0;
	for (size_t i = 0, j = 0; (i < a->n || j < b->n) && shown < 10;) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);
		if (c == 0) {
			i++, j++;
			continue;
		}
		same = false;
		shown++;
		if (c < 0)
			printf("# %s: only ours: %s\n", what, (const char *)a->v[i++]);
		else
			printf("# %s: only the tool's: %s\n", what, (const char *)b->v[j++]);
	}
	return same;
}

/* ---- dpkg status ---- */

static const char status_text[] =
    "Package: libssl3\n"
    "Status: install ok installed\n"
    "Priority: optional\n"
    "Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "Source: openssl\n"
    "Version: 3.0.15-1~deb12u1\n"
    "Depends: libc6 (>= 2.34)\n"
    "Description: Secure Sockets Layer toolkit - shared libraries\n"
    " This package is part of the OpenSSL project's implementation of the SSL\n"
    " .\n"
    " and TLS cryptographic protocols.\n"
    "Homepage: https://www.openssl.org/\n"
    "\n"
    "Package: libssl3\r\n"
    "Status: install ok installed\r\n"
    "Architecture: i386\r\n"
    "Source: openssl\r\n"
    "Version: 3.0.15-1~deb12u1\r\n"
    "Description: Secure Sockets Layer toolkit - shared libraries\r\n"
    "\r\n"
    "Package: oldconf\n"
    "Status: deinstall ok config-files\n"
    "Version: 1.0\n"
    "Architecture: all\n"
    "\n\n  \n\t\n"
    "Package: gone\n"
    "Status: purge ok not-installed\n"
    "\n"
    "Package: halfway\n"
    "Status: install ok unpacked\n"
    "Version: 2.0\n"
    "\n"
    "Package: libgcc-s1\n"
    "Status: hold ok installed\n"
    "Source: gcc-12 (12.2.0-14)\n"
    "Version: 12.2.0-14\n"
    "Architecture: amd64\n"
    "Pre-Depends: libc6 (>= 2.35)\n"
    "depends: gcc-12-base (= 12.2.0-14),\n"
    "  libc6\n"
    "   (>= 2.35)\n"
    "\n"
    "Package: python3\n"
    "Status: install ok installed\n"
    "Version: 3.11.2-1+b1\n"
    "Architecture: amd64\n"
    "Source: python3-defaults (3.11.2-1)\n"
    "Depends: python3.11 (>= 3.11.2-1~), python3-minimal:any (= 3.11.2-1+b1) | python3-bad, foo [amd64] <!nocheck>,\n"
    "Provides: python3-profiler, python3-api (= 3.11),\n"
    "Description:\n"
    " synopsis only on the continuation line\n"
    "Description: a second description\n"
    "\n"
    "Package: removing\n"
    "Status: deinstall ok installed\n"
    "Version: 1:2.4.47-2\n"
    "Architecture: amd64\n"
    "\n"
    "Package: noversion\n"
    "Status: install ok installed\n"
    "Architecture: all\n"
    "\n"
    "Package: badstatus\n"
    "Status: installed\n"
    "Version: 1\n"
    "\n"
    "Package: bad version\n"
    "Status: install ok installed\n"
    "Version: 1.0 beta\n";

/* Checks p's deps against (name, constraint) pairs; a NULL constraint means none. */
static void check_deps(const qn_package *p, const char *const *want, size_t n)
{
	CHECK_INT(p->n_deps, n);
	for (size_t i = 0; i < p->n_deps && i < n; i++) {
		CHECK_STR(p->deps[i].name, want[2 * i]);
		if (want[2 * i + 1])
			CHECK_STR(p->deps[i].version_constraint, want[2 * i + 1]);
		else
			CHECK(p->deps[i].version_constraint == NULL);
	}
}

static void parse_status_text(qn_pkglist *l, qn_osdb_warnings *w)
{
	qn_error *err = NULL;
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)status_text, strlen(status_text), "var/lib/dpkg/status", true,
				       l, w, &err),
		  0);
	CHECK(err == NULL);
	qn_error_free(err);
}

static void test_dpkg_status(void)
{
	qn_pkglist l = {0};
	parse_status_text(&l, NULL);
	const char *order[] = {"libssl3", "libssl3", "libgcc-s1", "python3", "removing"};
	CHECK_INT(l.n, 5);
	for (size_t i = 0; i < l.n && i < 5; i++)
		CHECK_STR(l.v[i].name, order[i]);
	const qn_package *p = find_pkg(&l, "libssl3", "amd64");
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->eco, QN_ECO_DEB);
		CHECK_STR(p->version, "3.0.15-1~deb12u1");
		CHECK_STR(p->source_name, "openssl");
		CHECK_STR(p->source_version, "3.0.15-1~deb12u1");
		CHECK_STR(p->maintainer, "Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>");
		CHECK_STR(p->description, "Secure Sockets Layer toolkit - shared libraries");
		CHECK_STR(p->homepage, "https://www.openssl.org/");
		CHECK_STR(p->location, "var/lib/dpkg/status");
		CHECK_INT(p->layer, -1);
		CHECK(p->purl == NULL && p->license == NULL && p->n_files == 0);
		check_deps(p, (const char *[]){"libc6", "(>= 2.34)"}, 1);
	}
	/* the CRLF paragraph: the same name again, another architecture */
	p = find_pkg(&l, "libssl3", "i386");
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->version, "3.0.15-1~deb12u1");
		CHECK_STR(p->description, "Secure Sockets Layer toolkit - shared libraries");
		CHECK_INT(p->n_deps, 0);
	}
	/* "deinstall ok installed": marked for removal, but installed: its files are there */
	p = find_pkg(&l, "removing", NULL);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->version, "1:2.4.47-2");
		CHECK_STR(p->source_name, "removing");
		CHECK_STR(p->source_version, "1:2.4.47-2");
	}
	qn_pkglist_clear(&l);
}

/* Source with a version, folded and lower-case field names, alternatives and qualifiers. */
static void test_dpkg_status_fields(void)
{
	qn_pkglist l = {0};
	parse_status_text(&l, NULL);
	const qn_package *p = find_pkg(&l, "libgcc-s1", NULL);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->source_name, "gcc-12");
		CHECK_STR(p->source_version, "12.2.0-14");
		/* Depends first, then Pre-Depends; a folded Depends is one list */
		check_deps(
		    p, (const char *[]){"gcc-12-base", "(= 12.2.0-14)", "libc6", "(>= 2.35)", "libc6", "(>= 2.35)"}, 3);
		CHECK(p->description == NULL && p->maintainer == NULL && p->homepage == NULL);
	}
	p = find_pkg(&l, "python3", NULL);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->source_name, "python3-defaults");
		CHECK_STR(p->source_version, "3.11.2-1");
		CHECK_STR(p->description, "synopsis only on the continuation line");
		/* every alternative is kept, the later ones marked as such */
		check_deps(p,
			   (const char *[]){"python3.11", "(>= 3.11.2-1~)", "python3-minimal", "(= 3.11.2-1+b1)",
					    "python3-bad", NULL, "foo", NULL},
			   4);
		if (p->n_deps == 4)
			CHECK(!p->deps[0].alternative && !p->deps[1].alternative && p->deps[2].alternative &&
			      !p->deps[3].alternative);
		/* provided names without their versions */
		CHECK_INT(p->n_provides, 2);
		if (p->n_provides == 2) {
			CHECK_STR(p->provides[0], "python3-profiler");
			CHECK_STR(p->provides[1], "python3-api");
		}
	}
	qn_pkglist_clear(&l);
}

/* Skipped paragraphs: config-files and not-installed silently, the rest with a warning each. */
static void test_dpkg_status_skipped(void)
{
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	parse_status_text(&l, &w);
	CHECK(!has_warning(&w, "oldconf"));
	CHECK(!has_warning(&w, "gone"));
	CHECK(has_warning(&w, "var/lib/dpkg/status:34: package \"halfway\" is in state \"install ok unpacked\""));
	CHECK(has_warning(&w, "status:57: second Description field in one paragraph, ignored"));
	CHECK(has_warning(&w, "status:64: paragraph without a Version field, skipped"));
	CHECK(has_warning(&w, "status:68: package \"badstatus\": Status \"installed\" is not \"WANT FLAG STATE\""));
	CHECK(has_warning(
	    &w, "status:72: package \"bad version\": name, version or architecture is not one printable word"));
	CHECK_INT(w.lines.n, 5);
	if (w.lines.n != 5)
		dump_warnings(&w);
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);
}

/* status.d files (distroless) have no Status: with require_status=false they count. */
static void test_dpkg_status_d(void)
{
	static const char f[] = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"
				"Maintainer: Santiago Vila <sanvila@debian.org>\n";
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	CHECK_INT(
	    qn_dpkg_parse_status((const uint8_t *)f, strlen(f), "var/lib/dpkg/status.d/base", false, &l, &w, NULL), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(l.v[0].name, "base-files");
		CHECK_STR(l.v[0].version, "12.4+deb12u5");
		CHECK_STR(l.v[0].arch, "amd64");
		CHECK_STR(l.v[0].source_name, "base-files");
		CHECK_STR(l.v[0].location, "var/lib/dpkg/status.d/base");
	}
	CHECK_INT(w.lines.n, 0);
	qn_pkglist_clear(&l);

	/* the same file where Status is required: skipped, and said so */
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)f, strlen(f), "status", true, &l, &w, NULL), 0);
	CHECK_INT(l.n, 0);
	CHECK(has_warning(&w, "status:1: package \"base-files\" has no Status field, skipped"));
	qn_osdb_warnings_clear(&w);

	/* a status.d file that does carry a Status still has to say installed */
	static const char g[] = "Package: x\nVersion: 1\nStatus: deinstall ok config-files\n";
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)g, strlen(g), "s", false, &l, &w, NULL), 0);
	CHECK_INT(l.n, 0);
	qn_pkglist_clear(&l);
	qn_osdb_warnings_clear(&w);

	/* empty input: nothing, no error */
	CHECK_INT(qn_dpkg_parse_status(NULL, 0, "s", true, &l, NULL, NULL), 0);
	CHECK_INT(l.n, 0);
}

static void test_dpkg_garbage(void)
{
	static const char bad[] = "Package: a\nVersion: 1\nStatus: install ok installed\n\n\x1f\x8b\x08\0\0\0";
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(
	    qn_dpkg_parse_status((const uint8_t *)bad, sizeof(bad) - 1, "var/lib/dpkg/status", true, &l, NULL, &err),
	    -1);
	CHECK(err != NULL);
	if (err) {
		CHECK_INT(err->kind, QN_ERR_INPUT);
		CHECK_STR(err->msg, "var/lib/dpkg/status: NUL byte at offset 55: not a text file");
	}
	qn_error_free(err);
	qn_pkglist_clear(&l);

	/* lines that are not fields, and continuation lines with nothing to continue */
	static const char odd[] = " leading continuation\nPackage: a\nno colon here\n  still nothing\nVersion: 1\n"
				  "Status: install ok installed\n";
	qn_osdb_warnings w = {0};
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)odd, strlen(odd), "s", true, &l, &w, NULL), 0);
	CHECK_INT(l.n, 1);
	CHECK(has_warning(&w, "s:1: continuation line outside a field, ignored"));
	CHECK(has_warning(&w, "s:3: not a \"Field: value\" line, ignored"));
	CHECK_INT(w.lines.n, 2);
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);
}

/* The warning list keeps QN_OSDB_MAX_WARNINGS lines and counts the rest. */
static void test_warning_cap(void)
{
	qn_buf b = QN_BUF_INIT;
	for (int i = 0; i < 500; i++)
		qn_buf_printf(&b, "Package: p%d\nStatus: install ok unpacked\nVersion: 1\n\n", i);
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)b.data, b.len, "s", true, &l, &w, NULL), 0);
	CHECK_INT(l.n, 0);
	CHECK_INT(w.lines.n, QN_OSDB_MAX_WARNINGS);
	CHECK_INT(w.suppressed, 500 - QN_OSDB_MAX_WARNINGS);
	qn_osdb_warnings_clear(&w);
	CHECK_INT(w.lines.n, 0);
	qn_buf_clear(&b);
}

static void test_dpkg_purl(void)
{
	qn_package p = {.eco = QN_ECO_DEB,
			.name = "libssl3",
			.version = "3.0.15-1~deb12u1",
			.arch = "amd64",
			.source_name = "openssl",
			.source_version = "3.0.15-1~deb12u1"};
	char *s = qn_dpkg_purl(&p, "debian", "12");
	CHECK_STR(s, "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl");
	free(s);
	/* the epoch stays in the version (purl-spec deb examples); ':' and '+' are percent-encoded */
	qn_package q = {.name = "attr", .version = "1:2.4.47-2+b1", .arch = "amd64", .source_name = "attr"};
	s = qn_dpkg_purl(&q, "Ubuntu", "22.04");
	CHECK_STR(s, "pkg:deb/ubuntu/attr@1:2.4.47-2%2Bb1?arch=amd64&distro=ubuntu-22.04");
	free(s);
	s = qn_dpkg_purl(&q, NULL, NULL);
	CHECK_STR(s, "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64");
	free(s);
	qn_package none = {.name = "x"};
	CHECK(qn_dpkg_purl(&none, "debian", "12") == NULL);
}

/* ---- dpkg .list and .md5sums ---- */

static void free_files(qn_pkg_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].digest);
	}
	free(f);
}

static void test_dpkg_list(void)
{
	static const char list[] = "/.\n/bin\n/bin/bash\n\n/usr/share/doc/bash\r\nrelative/path\n/../etc/passwd\n"
				   "/usr//lib/./x86_64-linux-gnu/\n/usr/bin/bashbug";
	qn_pkg_file *f = NULL;
	size_t n = 0;
	qn_osdb_warnings w = {0};
	CHECK_INT(
	    qn_dpkg_parse_list((const uint8_t *)list, strlen(list), "var/lib/dpkg/info/bash.list", &f, &n, &w, NULL),
	    0);
	const char *want[] = {"bin", "bin/bash", "usr/share/doc/bash", "usr/lib/x86_64-linux-gnu", "usr/bin/bashbug"};
	CHECK_INT(n, 5);
	for (size_t i = 0; i < n && i < 5; i++) {
		CHECK_STR(f[i].path, want[i]);
		CHECK_INT(f[i].size, 0);
		CHECK(f[i].digest == NULL);
	}
	CHECK(has_warning(&w, "var/lib/dpkg/info/bash.list:6: not an absolute path, skipped"));
	CHECK(has_warning(&w, "var/lib/dpkg/info/bash.list:7: \"../etc/passwd\": path escapes the root"));
	CHECK_INT(w.lines.n, 2);

	static const char sums[] = "7210080490F9FD139C1B44FA0F730988  bin/bash\n"
				   "12c7981c8fed81743552e47dd4b1483e *usr/bin/bashbug\n"
				   "00000000000000000000000000000000  usr/not/listed\n"
				   "xyz  usr/share/doc/bash\n"
				   "1a40818cede744b44e13d7792f5efddc  ../../etc/shadow\n";
	CHECK_INT(qn_dpkg_parse_md5sums((const uint8_t *)sums, strlen(sums), "bash.md5sums", f, n, &w, NULL), 0);
	CHECK_STR(f[1].digest, "md5:7210080490f9fd139c1b44fa0f730988");
	CHECK_STR(f[4].digest, "md5:12c7981c8fed81743552e47dd4b1483e");
	CHECK(f[0].digest == NULL && f[2].digest == NULL && f[3].digest == NULL);
	CHECK(has_warning(&w, "bash.md5sums:4: not an \"MD5  PATH\" line, skipped"));
	CHECK(has_warning(&w, "bash.md5sums:5: \"../../etc/shadow\": path escapes the root"));
	CHECK_INT(w.lines.n, 4);
	free_files(f, n);

	qn_error *err = NULL;
	f = NULL;
	CHECK_INT(qn_dpkg_parse_list((const uint8_t *)"/bin\0/x\n", 8, "x.list", &f, &n, &w, &err), -1);
	CHECK(f == NULL);
	CHECK(err && strcmp(err->msg, "x.list: NUL byte at offset 4: not a text file") == 0);
	qn_error_free(err);
	qn_osdb_warnings_clear(&w);

	/* an empty list is a package without files */
	CHECK_INT(qn_dpkg_parse_list((const uint8_t *)"", 0, "e.list", &f, &n, NULL, NULL), 0);
	CHECK_INT(n, 0);
	free(f);
}

/* ---- dpkg copyright ---- */

static void test_dpkg_copyright(void)
{
	static const char dep5[] = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
				   "Upstream-Name: example\n"
				   "\n"
				   "Files: *\n"
				   "Copyright: 2000 Someone\n"
				   "License: GPL-2+\n"
				   " This program is free software; see /usr/share/common-licenses/GPL-2.\n"
				   "\n"
				   "Files: lib/*\n"
				   "License: GPL-1+ or Artistic\n"
				   "\n"
				   "Files: a/*\n"
				   "License: Expat\n"
				   "\n"
				   "Files: b/*\n"
				   "license: BSD-3-clause\n"
				   "\n"
				   "Files: c/*\n"
				   "License: LGPL-2.1+ with staticLink exception\n"
				   "\n"
				   "Files: d/*\n"
				   "License: LGPLv3+_or_GPLv2+\n"
				   "\n"
				   "Files: e/*\n"
				   "License: Permission to use, copy, modify, and distribute this software and its\n"
				   "\n"
				   "License: GPL-2+\n"
				   " The full text, again.\n"
				   "\n"
				   "License:\n"
				   "\n"
				   "License: public-domain\n";
	char *out = NULL;
	CHECK_INT(qn_dpkg_copyright_licenses((const uint8_t *)dep5, strlen(dep5), &out), 7);
	CHECK_STR(out, "(GPL-1.0-or-later OR Artistic) AND (LGPL-3.0-or-later OR GPL-2.0-or-later) AND "
		       "BSD-3-Clause AND GPL-2.0-or-later AND LGPL-2.1-or-later WITH staticLink-exception AND MIT AND "
		       "public-domain");
	free(out);

	/* not machine-readable: the common-licenses files it points at, named as the files are */
	static const char old[] = "This package was debianized by someone.\n\n"
				  "On Debian systems the full text is in /usr/share/common-licenses/GPL-2.\n"
				  "Parts are under /usr/share/common-licenses/Apache-2.0 and, again,\n"
				  "/usr/share/common-licenses/GPL-2 too.\n";
	CHECK_INT(qn_dpkg_copyright_licenses((const uint8_t *)old, strlen(old), &out), 2);
	CHECK_STR(out, "Apache-2.0 AND GPL-2");
	free(out);

	static const char none[] = "Copyright 1999 Someone. All rights reserved.\nLicense: see below, or ask\n";
	out = (char *)"sentinel";
	CHECK_INT(qn_dpkg_copyright_licenses((const uint8_t *)none, strlen(none), &out), 0);
	CHECK(out == NULL);
	CHECK_INT(qn_dpkg_copyright_licenses((const uint8_t *)"License: MIT\0", 13, &out), 0);
	CHECK(out == NULL);
}

/* This machine's own dpkg database against dpkg-query. */
static void test_dpkg_real(void)
{
	if (access("/usr/bin/dpkg-query", X_OK) != 0 || access("/var/lib/dpkg/status", R_OK) != 0) {
		printf("# SKIP dpkg-query or /var/lib/dpkg/status missing (not a Debian machine)\n");
		return;
	}
	size_t len = 0;
	qn_error *err = NULL;
	char *buf = qn_read_file("/var/lib/dpkg/status", QN_OSDB_MAX_INPUT, &len, &err);
	char *q = run("dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\\n' 2>/dev/null");
	CHECK(buf != NULL && q != NULL);
	if (!buf || !q) {
		qn_error_free(err);
		free(buf);
		free(q);
		return;
	}
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	CHECK_INT(qn_dpkg_parse_status((const uint8_t *)buf, len, "var/lib/dpkg/status", true, &l, &w, &err), 0);
	qn_ptrvec ours = {0}, theirs = {0}, all = {0};
	for (size_t i = 0; i < l.n; i++)
		qn_ptrvec_push(&ours, xasprintf("%s %s %s", l.v[i].name, l.v[i].version, l.v[i].arch));
	sort_vec(&ours);
	sorted_lines(q, &all);
	/* "ii  name version arch": the abbreviation's second letter is the state, 'i' = installed */
	for (size_t i = 0; i < all.n; i++) {
		const char *s = all.v[i];
		if (strlen(s) > 4 && s[1] == 'i')
			qn_ptrvec_push(&theirs, xstrdup(s + 4));
	}
	sort_vec(&theirs);
	CHECK(ours.n > 0);
	CHECK(same_lines(&ours, &theirs, "dpkg-query"));
	printf("# dpkg-query cross-check: %zu installed packages, %zu warnings\n", ours.n, w.lines.n);
	qn_ptrvec_clear(&ours, free);
	qn_ptrvec_clear(&theirs, free);
	qn_ptrvec_clear(&all, free);
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);
	free(buf);
	free(q);
}

/* The .list of an installed package against `dpkg-query -L`. */
static void test_dpkg_real_list(void)
{
	if (access("/usr/bin/dpkg-query", X_OK) != 0 || access("/var/lib/dpkg/info/dpkg.list", R_OK) != 0) {
		printf("# SKIP dpkg-query or /var/lib/dpkg/info/dpkg.list missing\n");
		return;
	}
	size_t len = 0;
	char *buf = qn_read_file("/var/lib/dpkg/info/dpkg.list", QN_OSDB_MAX_INPUT, &len, NULL);
	char *q = run("dpkg-query -L dpkg 2>/dev/null");
	CHECK(buf && q);
	qn_pkg_file *f = NULL;
	size_t n = 0;
	CHECK_INT(qn_dpkg_parse_list((const uint8_t *)buf, len, "dpkg.list", &f, &n, NULL, NULL), 0);
	qn_ptrvec ours = {0}, theirs = {0};
	for (size_t i = 0; i < n; i++)
		qn_ptrvec_push(&ours, xasprintf("/%s", f[i].path));
	sort_vec(&ours);
	sorted_lines(q ? q : "", &theirs);
	/* dpkg-query lists "/." for the root, which is no package's own file */
	if (theirs.n && strcmp(theirs.v[0], "/.") == 0) {
		free(theirs.v[0]);
		memmove(theirs.v, theirs.v + 1, --theirs.n * sizeof(void *));
	}
	CHECK(ours.n > 10);
	CHECK(same_lines(&ours, &theirs, "dpkg-query -L dpkg"));
	qn_ptrvec_clear(&ours, free);
	qn_ptrvec_clear(&theirs, free);
	free_files(f, n);
	free(buf);
	free(q);
}

/* ---- apk ---- */

static const char apk_text[] =
    "C:Q1SQ4DnhX13kdsMfw6lYJCHYELNeQ=\n"
    "P:musl\n"
    "V:1.2.5-r0\n"
    "A:x86_64\n"
    "S:412345\n"
    "I:654321\n"
    "T:the musl c library (libc) implementation\n"
    "U:https://musl.libc.org/\n"
    "L:MIT\n"
    "o:musl\n"
    "m:Natanael Copa <ncopa@alpinelinux.org>\n"
    "t:1712345678\n"
    "c:aabbcc\n"
    "p:so:libc.musl-x86_64.so.1=1\n"
    "F:lib\n"
    "R:ld-musl-x86_64.so.1\n"
    "a:0:0:755\n"
    "Z:Q10ePQuAjL0Gnlip8tA7d5w2E0SAk=\n"
    "R:libc.musl-x86_64.so.1\n"
    "a:0:0:777\n"
    "Z:Q1DvxcntCbf8TgdVqyGwP8Ne9wiUA=\n"
    "F:usr/lib\n"
    "\n"
    "P:busybox-binsh\n"
    "V:1.36.1-r29\n"
    "A:x86_64\n"
    "L:GPL-2.0-only\n"
    "o:busybox\n"
    "D:so:libc.musl-x86_64.so.1 busybox=1.36.1-r29 /bin/sh !busybox-extras cmd:foo scanelf>=1.3.7-r2@main\n"
    "F:bin\n"
    "R:sh\n"
    "Z:Q2LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=\n"
    "R:busybox\n"
    "Z:Q1LxBvJ/ofKKik4CrrENc7ePnJsko=\n"
    "F:../etc\n"
    "R:passwd\n"
    "Z:Q1cPVSqjXWRnFb3SERSDzhB2U+7fI=\n"
    "F:etc\n"
    "R:securetty\n"
    "Z:Q1bad!!\n"
    "R:../shadow\n"
    "R:motd\n"
    "\r\n"
    "\n"
    "P:noversion\n"
    "A:x86_64\n"
    "\n"
    "V:1.0-r0\n"
    "weird line\n";

/* Checks p's files against (path, digest) pairs; a NULL digest means none. */
static void check_files(const qn_package *p, const char *const *want, size_t n)
{
	CHECK_INT(p->n_files, n);
	for (size_t i = 0; i < p->n_files && i < n; i++) {
		CHECK_STR(p->files[i].path, want[2 * i]);
		if (want[2 * i + 1])
			CHECK_STR(p->files[i].digest, want[2 * i + 1]);
		else
			CHECK(p->files[i].digest == NULL);
	}
}

static void test_apk(void)
{
	qn_pkglist l = {0};
	CHECK_INT(
	    qn_apk_parse_installed((const uint8_t *)apk_text, strlen(apk_text), "lib/apk/db/installed", &l, NULL, NULL),
	    0);
	CHECK_INT(l.n, 2);
	const qn_package *p = find_pkg(&l, "musl", NULL);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->eco, QN_ECO_APK);
		CHECK_STR(p->version, "1.2.5-r0");
		CHECK_STR(p->arch, "x86_64");
		CHECK_STR(p->license, "MIT");
		CHECK_STR(p->source_name, "musl");
		CHECK_STR(p->source_version, "1.2.5-r0");
		CHECK_STR(p->maintainer, "Natanael Copa <ncopa@alpinelinux.org>");
		CHECK_STR(p->description, "the musl c library (libc) implementation");
		CHECK_STR(p->homepage, "https://musl.libc.org/");
		CHECK_STR(p->location, "lib/apk/db/installed");
		CHECK_INT(p->layer, -1);
		CHECK_INT(p->n_deps, 0);
		CHECK_INT(p->n_provides, 1);
		if (p->n_provides == 1)
			CHECK_STR(p->provides[0], "so:libc.musl-x86_64.so.1");
		check_files(p,
			    (const char *[]){"lib/ld-musl-x86_64.so.1", "sha1:d1e3d0b808cbd069e58a9f2d03b779c361344809",
					     "lib/libc.musl-x86_64.so.1",
					     "sha1:0efc5c9ed09b7fc4e0755ab21b03fc35ef708940"},
			    2);
		char *s = qn_apk_purl(p, "3.20.3");
		CHECK_STR(s, "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3");
		free(s);
	}
	p = find_pkg(&l, "busybox-binsh", NULL);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->source_name, "busybox");
		CHECK_STR(p->source_version, "1.36.1-r29");
		/* so: and cmd: names are kept (p: lines provide them); conflicts and file paths are not */
		check_deps(p,
			   (const char *[]){"so:libc.musl-x86_64.so.1", NULL, "busybox", "=1.36.1-r29", "cmd:foo", NULL,
					    "scanelf", ">=1.3.7-r2"},
			   4);
		check_files(p,
			    (const char *[]){"bin/sh",
					     "sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
					     "bin/busybox", "sha1:2f106f27fa1f28a8a4e02aeb10d73b78f9c9b24a",
					     "etc/securetty", NULL, "etc/motd", NULL},
			    4);
		char *s = qn_apk_purl(p, NULL);
		CHECK_STR(s, "pkg:apk/alpine/busybox-binsh@1.36.1-r29?arch=x86_64");
		free(s);
	}
	qn_pkglist_clear(&l);
}

static void test_apk_skipped(void)
{
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	qn_error *err = NULL;
	CHECK_INT(
	    qn_apk_parse_installed((const uint8_t *)apk_text, strlen(apk_text), "lib/apk/db/installed", &l, &w, &err),
	    0);
	CHECK(has_warning(&w, "lib/apk/db/installed:35: folder \"../etc\": path escapes the root through \"..\""));
	CHECK(has_warning(&w, "lib/apk/db/installed:41: file name \"../shadow\" is not one path component, skipped"));
	CHECK(has_warning(&w, "lib/apk/db/installed:45: record without a V: line, skipped"));
	CHECK(has_warning(&w, "lib/apk/db/installed:49: not an \"X:value\" line, ignored"));
	CHECK(has_warning(&w, "lib/apk/db/installed:48: record without a P: line, skipped"));
	CHECK_INT(w.lines.n, 5);
	if (w.lines.n != 5)
		dump_warnings(&w);
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);

	CHECK_INT(qn_apk_parse_installed((const uint8_t *)"P:a\nV:1\n\0", 9, "installed", &l, NULL, &err), -1);
	CHECK(err && strcmp(err->msg, "installed: NUL byte at offset 8: not a text file") == 0);
	qn_error_free(err);
	qn_pkglist_clear(&l);
}

/* ---- rpm headers, built byte by byte ---- */

enum { T_INT32 = 4, T_INT64 = 5, T_STRING = 6, T_BIN = 7, T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

typedef struct {
	qn_buf index, data;
	uint32_t il;
} hdrb;

static void put32(qn_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	qn_buf_add(b, x, 4);
}

static void hb_entry(hdrb *h, uint32_t tag, uint32_t type, uint32_t off, uint32_t count)
{
	put32(&h->index, tag);
	put32(&h->index, type);
	put32(&h->index, off);
	put32(&h->index, count);
	h->il++;
}

static void hb_align(hdrb *h, size_t a)
{
	while (h->data.len % a)
		qn_buf_addc(&h->data, 0);
}

static void hb_strs(hdrb *h, uint32_t tag, uint32_t type, const char *const *v, uint32_t n)
{
	hb_entry(h, tag, type, (uint32_t)h->data.len, n);
	for (uint32_t i = 0; i < n; i++)
		qn_buf_add(&h->data, v[i], strlen(v[i]) + 1);
}

static void hb_str(hdrb *h, uint32_t tag, const char *s)
{
	hb_strs(h, tag, T_STRING, &s, 1);
}

static void hb_i32(hdrb *h, uint32_t tag, const uint32_t *v, uint32_t n)
{
	hb_align(h, 4);
	hb_entry(h, tag, T_INT32, (uint32_t)h->data.len, n);
	for (uint32_t i = 0; i < n; i++)
		put32(&h->data, v[i]);
}

static void hb_i64(hdrb *h, uint32_t tag, const uint64_t *v, uint32_t n)
{
	hb_align(h, 8);
	hb_entry(h, tag, T_INT64, (uint32_t)h->data.len, n);
	for (uint32_t i = 0; i < n; i++) {
		put32(&h->data, (uint32_t)(v[i] >> 32));
		put32(&h->data, (uint32_t)v[i]);
	}
}

/* The blob as the rpmdb stores it: il, dl, the HEADERIMMUTABLE region entry first, the other
 * entries, then the data with the region trailer at its end. */
static void hb_finish(hdrb *h, qn_buf *out)
{
	uint32_t il = h->il + 1;
	hb_align(h, 4);
	uint32_t trailer = (uint32_t)h->data.len;
	put32(&h->data, 63);
	put32(&h->data, T_BIN);
	put32(&h->data, (uint32_t) - (int32_t)(il * 16));
	put32(&h->data, 16);
	put32(out, il);
	put32(out, (uint32_t)h->data.len);
	put32(out, 63);
	put32(out, T_BIN);
	put32(out, trailer);
	put32(out, 16);
	qn_buf_add(out, h->index.data, h->index.len);
	qn_buf_add(out, h->data.data, h->data.len);
	qn_buf_clear(&h->index);
	qn_buf_clear(&h->data);
}

static void make_bash_header(qn_buf *out, const char *name)
{
	hdrb h = {QN_BUF_INIT, QN_BUF_INIT, 0};
	hb_str(&h, 1000, name);
	hb_str(&h, 1001, "5.1.8");
	hb_str(&h, 1002, "6.el9");
	uint32_t epoch = 1;
	hb_i32(&h, 1003, &epoch, 1);
	const char *summary[] = {"The GNU Bourne Again shell", "Le shell GNU"};
	hb_strs(&h, 1004, T_I18NSTRING, summary, 2);
	hb_str(&h, 1011, "Red Hat, Inc.");
	hb_str(&h, 1014, "GPLv3+");
	hb_str(&h, 1015, "Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>");
	hb_str(&h, 1020, "https://www.gnu.org/software/bash");
	hb_str(&h, 1022, "x86_64");
	hb_str(&h, 1044, "bash-5.1.8-6.el9.src.rpm");
	uint32_t sizes32[] = {1, 2, 3, 4};
	hb_i32(&h, 1028, sizes32, 4);
	uint64_t sizes64[] = {1389064, 4096, 5000000000ull, 12};
	hb_i64(&h, 5008, sizes64, 4);
	uint32_t dirindex[] = {0, 1, 2, 0};
	hb_i32(&h, 1116, dirindex, 4);
	const char *base[] = {"bash", "bash", "big.img", "sh"};
	hb_strs(&h, 1117, T_STRING_ARRAY, base, 4);
	const char *dirs[] = {"/usr/bin/", "/usr/share/doc/", "/var/lib/"};
	hb_strs(&h, 1118, T_STRING_ARRAY, dirs, 3);
	const char *digests[] = {"0D3F2B5B0E1C7A1C2B9F5D8C7A6E5F4D3C2B1A09F8E7D6C5B4A3928170F6E5D4", "", "not-hex", ""};
	hb_strs(&h, 1035, T_STRING_ARRAY, digests, 4);
	uint32_t algo = 8;
	hb_i32(&h, 5011, &algo, 1);
	uint32_t flags[] = {0, 12, 0, (1u << 24) | 8, 0, 2, 12};
	hb_i32(&h, 1048, flags, 7);
	const char *req[] = {"/bin/sh",      "filesystem", "libc.so.6()(64bit)", "rpmlib(CompressedFileNames)",
			     "ncurses-libs", "filesystem", "filesystem"};
	hb_strs(&h, 1049, T_STRING_ARRAY, req, 7);
	const char *reqver[] = {"", "3", "", "3.0.4-1", "", "9", "3"};
	hb_strs(&h, 1050, T_STRING_ARRAY, reqver, 7);
	hb_finish(&h, out);
}

static void check_bash(const qn_package *p)
{
	CHECK_INT(p->eco, QN_ECO_RPM);
	CHECK_STR(p->name, "bash");
	CHECK_STR(p->version, "1:5.1.8-6.el9");
	CHECK_STR(p->arch, "x86_64");
	CHECK_STR(p->source_name, "bash");
	CHECK_STR(p->source_version, "1:5.1.8-6.el9");
	CHECK_STR(p->license, "GPLv3+");
	CHECK_STR(p->maintainer, "Red Hat, Inc. <http://bugzilla.redhat.com/bugzilla>");
	CHECK_STR(p->description, "The GNU Bourne Again shell");
	CHECK_STR(p->homepage, "https://www.gnu.org/software/bash");
	CHECK_STR(p->location, "var/lib/rpm/rpmdb.sqlite");
	CHECK_INT(p->layer, -1);
	const char *paths[] = {"usr/bin/bash", "usr/share/doc/bash", "var/lib/big.img", "usr/bin/sh"};
	const uint64_t sizes[] = {1389064, 4096, 5000000000ull, 12};
	CHECK_INT(p->n_files, 4);
	for (size_t i = 0; i < p->n_files && i < 4; i++) {
		CHECK_STR(p->files[i].path, paths[i]);
		CHECK(p->files[i].size == sizes[i]);
		if (i == 0)
			CHECK_STR(p->files[i].digest,
				  "sha256:0d3f2b5b0e1c7a1c2b9f5d8c7a6e5f4d3c2b1a09f8e7d6c5b4a3928170f6e5d4");
		else
			CHECK(p->files[i].digest == NULL);
	}
	/* plain package names only, sorted, exact repeats once */
	check_deps(p, (const char *[]){"filesystem", "(< 9)", "filesystem", "(>= 3)", "ncurses-libs", NULL}, 3);
}

static void test_rpm_header(void)
{
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "bash");
	qn_package p;
	qn_osdb_warnings w = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_rpm_parse_header((const uint8_t *)b.data, b.len, "var/lib/rpm/rpmdb.sqlite", &p, &w, &err), 0);
	if (!err) {
		check_bash(&p);
		char *s = qn_rpm_purl(&p, "rhel", "9.3");
		CHECK_STR(s, "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3&epoch=1");
		free(s);
		s = qn_rpm_purl(&p, NULL, NULL);
		CHECK_STR(s, "pkg:rpm/bash@5.1.8-6.el9?arch=x86_64&epoch=1");
		free(s);
		qn_package_clear(&p);
	} else {
		printf("# %s\n", err->msg);
	}
	CHECK_INT(w.lines.n, 0);

	/* the same blob behind the 8-byte header magic */
	qn_buf m = QN_BUF_INIT;
	qn_buf_add(&m, "\x8e\xad\xe8\x01\0\0\0\0", 8);
	qn_buf_add(&m, b.data, b.len);
	CHECK_INT(qn_rpm_parse_header((const uint8_t *)m.data, m.len, "var/lib/rpm/rpmdb.sqlite", &p, &w, &err), 0);
	if (!err) {
		check_bash(&p);
		qn_package_clear(&p);
	}
	qn_buf_clear(&m);
	qn_buf_clear(&b);

	/* imported keys are not packages */
	make_bash_header(&b, "gpg-pubkey");
	memset(&p, 0, sizeof(p));
	CHECK_INT(qn_rpm_parse_header((const uint8_t *)b.data, b.len, "x", &p, &w, &err), 1);
	CHECK(p.name == NULL && err == NULL);
	qn_buf_clear(&b);

	qn_package epochless = {.name = "curl", .version = "7.50.3-1.fc25", .arch = "i386"};
	char *s = qn_rpm_purl(&epochless, "fedora", "25");
	CHECK_STR(s, "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25");
	free(s);
	qn_package zero = {.name = "x", .version = "0:1-2"};
	s = qn_rpm_purl(&zero, "amzn", "2023");
	CHECK_STR(s, "pkg:rpm/amazon/x@1-2?distro=amzn-2023");
	free(s);
	qn_osdb_warnings_clear(&w);
}

/* Byte offset in the blob of entry field `field` (0 tag, 1 type, 2 offset, 3 count) of tag. */
static size_t entry_pos(const qn_buf *b, uint32_t tag, int field)
{
	const uint8_t *d = (const uint8_t *)b->data;
	uint32_t il = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	for (uint32_t i = 0; i < il; i++) {
		const uint8_t *e = d + 8 + 16 * i;
		if (((uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3]) == tag)
			return 8 + 16 * i + 4 * (size_t)field;
	}
	return 0;
}

static uint32_t get32(const qn_buf *b, size_t pos)
{
	const uint8_t *d = (const uint8_t *)b->data + pos;
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static void set32(qn_buf *b, size_t pos, uint32_t v)
{
	uint8_t *d = (uint8_t *)b->data + pos;
	d[0] = (uint8_t)(v >> 24), d[1] = (uint8_t)(v >> 16), d[2] = (uint8_t)(v >> 8), d[3] = (uint8_t)v;
}

/* Applies one corruption to a fresh copy of the good header and expects a clean failure whose
 * one-line message contains want. */
static void expect_bad(int line, const char *want, uint32_t tag, int field, uint32_t value, long data_pos)
{
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "bash");
	uint32_t il = get32(&b, 0);
	if (data_pos >= 0)
		set32(&b, 8 + 16 * (size_t)il + (size_t)data_pos, value); /* a data-store word */
	else if (tag == 0)
		set32(&b, (size_t)field * 4, value); /* il or dl */
	else
		set32(&b, entry_pos(&b, tag, field), value);
	qn_package p;
	qn_error *err = NULL;
	int rc = qn_rpm_parse_header((const uint8_t *)b.data, b.len, "hdr", &p, NULL, &err);
	if (rc != -1 || !err || !strstr(err->msg, want) || strchr(err->msg, '\n')) {
		printf("# line %d: rc %d, error \"%s\", want \"%s\"\n", line, rc, err ? err->msg : "(none)", want);
		tap_cur_failed = 1;
	}
	if (rc == 0)
		qn_package_clear(&p);
	qn_error_free(err);
	qn_buf_clear(&b);
}

static void test_rpm_header_malformed(void)
{
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "bash");
	uint32_t il = get32(&b, 0), dl = get32(&b, 4);
	/* il, dl */
	expect_bad(__LINE__, "claims 65536 entries", 0, 0, 0x10000, -1);
	expect_bad(__LINE__, "claims 0 entries", 0, 0, 0, -1);
	expect_bad(__LINE__, "truncated", 0, 1, dl + 1, -1);
	expect_bad(__LINE__, "claims", 0, 1, 0x10000000, -1);
	/* entries */
	expect_bad(__LINE__, "tag 1000): offset", 1000, 2, dl + 1, -1);
	expect_bad(__LINE__, "tag 1116): 4096 items of type 4 run past", 1116, 3, 4096, -1);
	expect_bad(__LINE__, "tag 1028): count 0 out of range", 1028, 3, 0, -1);
	expect_bad(__LINE__, "tag 1117): count 4294967295 out of range", 1117, 3, 0xffffffffu, -1);
	expect_bad(__LINE__, "tag 1117): 65536 items of type 8 run past", 1117, 3, 65536, -1);
	expect_bad(__LINE__, "tag 1022): unknown type 42", 1022, 1, 42, -1);
	expect_bad(__LINE__, "a STRING with count 2", 1002, 3, 2, -1);
	expect_bad(__LINE__, "tag 1003 has type 6, want 4", 1003, 1, T_STRING, -1);
	expect_bad(__LINE__, "tag 1000 has type 4, not a string", 1000, 1, T_INT32, -1);
	expect_bad(__LINE__, "NAME tag missing", 1000, 0, 999, -1);
	/* a string array whose count runs past the strings that are there */
	expect_bad(__LINE__, "tag 1118: string", 1118, 3, dl - get32(&b, entry_pos(&b, 1118, 2)), -1);
	/* a string pointing at the last bytes of the store, which hold no NUL */
	expect_bad(__LINE__, "string runs past the data store", 1000, 2, dl - 1, -1);
	/* the region entry and its trailer */
	expect_bad(__LINE__, "region tag 63 is not a 16-byte trailer", 63, 3, 15, -1);
	expect_bad(__LINE__, "region tag 63 is not a 16-byte trailer", 63, 2, dl - 8, -1);
	expect_bad(__LINE__, "region tag 63 has a malformed trailer", 0, 0, 62, (long)dl - 16);
	expect_bad(__LINE__, "region tag 63 has a malformed trailer", 0, 0, (uint32_t) - (int32_t)((il + 1) * 16),
		   (long)dl - 8);
	expect_bad(__LINE__, "region tag 63 has a malformed trailer", 0, 0, 16, (long)dl - 8);
	/* per-file arrays that disagree */
	expect_bad(__LINE__, "4 file names but 4 dir indexes, 3 sizes", 5008, 3, 3, -1);
	expect_bad(__LINE__, "4 file names but 3 dir indexes", 1116, 3, 3, -1);
	expect_bad(__LINE__, "file 0: dir index 3, only 3 dir names", 0, 0, 3, (long)get32(&b, entry_pos(&b, 1116, 2)));
	qn_buf_clear(&b);
}

/* Every truncation fails cleanly, and every byte of the index and the region trailer set to a
 * few values gives a clean result either way (the sanitizer build checks that nothing is read
 * out of bounds). */
static void test_rpm_header_mutated(void)
{
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "bash");
	uint32_t il = get32(&b, 0), dl = get32(&b, 4);
	size_t data = 8 + 16 * (size_t)il;
	for (size_t n = 0; n < b.len; n++) {
		qn_package p;
		qn_error *err = NULL;
		int rc = qn_rpm_parse_header((const uint8_t *)b.data, n, "hdr", &p, NULL, &err);
		if (rc != -1 || !err) {
			printf("# truncated to %zu bytes: rc %d\n", n, rc);
			tap_cur_failed = 1;
			if (rc == 0)
				qn_package_clear(&p);
		}
		qn_error_free(err);
	}
	static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	size_t trailer = data + dl - 16;
	for (size_t pos = 0; pos < b.len; pos++) {
		if (pos >= data && pos < trailer)
			continue;
		for (size_t k = 0; k < QN_ARRAY_LEN(vals); k++) {
			char *copy = xmemdup(b.data, b.len);
			copy[pos] = (char)vals[k];
			qn_package p;
			qn_error *err = NULL;
			int rc = qn_rpm_parse_header((const uint8_t *)copy, b.len, "hdr", &p, NULL, &err);
			CHECK(rc == 0 || rc == 1 || (rc == -1 && err && !strchr(err->msg, '\n')));
			if (rc == 0)
				qn_package_clear(&p);
			qn_error_free(err);
			free(copy);
		}
	}
	qn_buf_clear(&b);
}

/* ---- rpm databases ---- */

static void test_rpm_detect(void)
{
	uint8_t buf[32] = {0};
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_UNKNOWN);
	memcpy(buf, "SQLite format 3", 16);
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_SQLITE);
	CHECK_INT(qn_rpm_detect_db(buf, 15), QN_RPMDB_UNKNOWN);
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 12, "\x00\x06\x15\x61", 4);
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_BDB);
	memcpy(buf + 12, "\x61\x15\x06\x00", 4);
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_BDB);
	memcpy(buf + 12, "\x62\x31\x05\x00", 4);
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_BDB);
	memcpy(buf + 12, "\x00\x05\x31\x62", 4);
	CHECK_INT(qn_rpm_detect_db(buf, sizeof(buf)), QN_RPMDB_BDB);
	memcpy(buf, "RpmP", 4);
	CHECK_INT(qn_rpm_detect_db(buf, 4), QN_RPMDB_NDB);
	CHECK_INT(qn_rpm_detect_db(NULL, 0), QN_RPMDB_UNKNOWN);
	CHECK_STR(qn_rpmdb_kind_name(QN_RPMDB_BDB), "bdb");
	CHECK_STR(qn_rpmdb_kind_name(QN_RPMDB_NDB), "ndb");
	CHECK_STR(qn_rpmdb_kind_name(QN_RPMDB_SQLITE), "sqlite");
	CHECK_STR(qn_rpmdb_kind_name(QN_RPMDB_UNKNOWN), "unknown");
}

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		printf("# sqlite: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return rc;
}

static void insert_blob(sqlite3 *db, const void *p, size_t n)
{
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO Packages (blob) VALUES (?)", -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_blob(st, 1, p, (int)n, SQLITE_TRANSIENT);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
}

/* An rpmdb.sqlite made here, in WAL mode as rpm leaves it: a good header, a key, a corrupt
 * header and a row that is not a blob. */
static void test_rpm_sqlite(void)
{
	sqlite3 *db = NULL;
	CHECK(sqlite3_open("rpmdb.sqlite", &db) == SQLITE_OK);
	CHECK(exec_sql(db, "PRAGMA journal_mode=WAL; CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
			   "blob BLOB NOT NULL);") == SQLITE_OK);
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "gpg-pubkey");
	insert_blob(db, b.data, b.len);
	qn_buf_clear(&b);
	make_bash_header(&b, "bash");
	insert_blob(db, b.data, b.len);
	insert_blob(db, b.data, b.len / 2);
	CHECK(exec_sql(db, "INSERT INTO Packages (blob) VALUES ('text')") == SQLITE_OK);
	qn_buf_clear(&b);
	sqlite3_close(db);

	size_t len = 0;
	char *bytes = qn_read_file("rpmdb.sqlite", QN_OSDB_MAX_INPUT, &len, NULL);
	CHECK(bytes && len > 100 && bytes[18] == 2 && bytes[19] == 2); /* the WAL case is exercised */
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_rpm_parse_sqlite((const uint8_t *)bytes, len, "var/lib/rpm/rpmdb.sqlite", &l, &w, &err), 0);
	if (err)
		printf("# %s\n", err->msg);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		check_bash(&l.v[0]);
	CHECK(has_warning(&w, "var/lib/rpm/rpmdb.sqlite: header 3: rpm header needs"));
	CHECK(has_warning(&w, "var/lib/rpm/rpmdb.sqlite: header 4: not a BLOB, skipped"));
	CHECK_INT(w.lines.n, 2);
	CHECK(bytes[18] == 2); /* the caller's bytes are left alone */
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);

	/* a truncated database: a clean error, whatever SQLite finds first */
	int rc = qn_rpm_parse_sqlite((const uint8_t *)bytes, len / 2, "db", &l, &w, &err);
	CHECK(rc == 0 || (err && strncmp(err->msg, "db: ", 4) == 0));
	qn_error_free(err);
	err = NULL;
	qn_pkglist_clear(&l);
	qn_osdb_warnings_clear(&w);
	free(bytes);

	CHECK_INT(qn_rpm_parse_sqlite((const uint8_t *)"SQLite format 3", 16, "db", &l, &w, &err), -1);
	CHECK(err && strcmp(err->msg, "db: not an SQLite database") == 0);
	qn_error_free(err);
	err = NULL;
}

static bool drop_named(const qn_package *p, void *ud)
{
	return strcmp(p->name, ud) == 0;
}

/* A database whose Packages is a view (or that has no Packages) is refused: views are off. */
static void test_rpm_sqlite_hostile(void)
{
	sqlite3 *db = NULL;
	CHECK(sqlite3_open("view.sqlite", &db) == SQLITE_OK);
	CHECK(exec_sql(db, "CREATE TABLE t (hnum INTEGER PRIMARY KEY, blob BLOB);"
			   "CREATE VIEW Packages AS SELECT hnum, blob FROM t;") == SQLITE_OK);
	sqlite3_close(db);
	size_t len = 0;
	char *bytes = qn_read_file("view.sqlite", QN_OSDB_MAX_INPUT, &len, NULL);
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_rpm_parse_sqlite((const uint8_t *)bytes, len, "db", &l, NULL, &err), -1);
	CHECK(err && strncmp(err->msg, "db: no readable Packages table: ", 32) == 0);
	qn_error_free(err);
	err = NULL;
	free(bytes);

	/* garbage after a valid SQLite header */
	uint8_t junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	memcpy(junk, "SQLite format 3", 16);
	CHECK_INT(qn_rpm_parse_sqlite(junk, sizeof(junk), "db", &l, NULL, &err), -1);
	CHECK(err && strncmp(err->msg, "db: ", 4) == 0 && !strchr(err->msg, '\n'));
	if (err)
		printf("# garbage database: %s\n", err->msg);
	qn_error_free(err);
	err = NULL;
	qn_pkglist_clear(&l);

	/* two rows without an hnum of their own: the rewriter refuses, as it deletes by hnum */
	CHECK(sqlite3_open("dup.sqlite", &db) == SQLITE_OK);
	CHECK(exec_sql(db, "CREATE TABLE Packages (hnum INTEGER, blob BLOB NOT NULL);") == SQLITE_OK);
	qn_buf b = QN_BUF_INIT;
	make_bash_header(&b, "bash");
	insert_blob(db, b.data, b.len);
	insert_blob(db, b.data, b.len);
	qn_buf_clear(&b);
	sqlite3_close(db);
	bytes = qn_read_file("dup.sqlite", QN_OSDB_MAX_INPUT, &len, NULL);
	uint8_t *out = NULL;
	size_t n = 0;
	CHECK_INT(qn_rpm_sqlite_drop((const uint8_t *)bytes, len, "db", drop_named, "bash", &out, &n, &err), -1);
	CHECK(err && strcmp(err->msg, "db: Packages has rows sharing one hnum") == 0 && !out);
	qn_error_free(err);
	free(bytes);
}

/* ---- rpm cross-check with rpmbuild and rpm ---- */

static const char spec[] = "Name: qntest\n"
			   "Version: 1.2.3\n"
			   "Release: 4.fc1\n"
			   "Epoch: 2\n"
			   "Summary: A quench test package\n"
			   "License: MIT\n"
			   "URL: https://example.org/qntest\n"
			   "Packager: Test Packager <pk@example.org>\n"
			   "BuildArch: noarch\n"
			   "Requires: bash >= 4.0\n"
			   "%description\nTest.\n"
			   "%package data\n"
			   "Summary: Data for qntest\n"
			   "%description data\nData.\n"
			   "%install\n"
			   "mkdir -p %{buildroot}/usr/share/qntest %{buildroot}/etc\n"
			   "echo hello > %{buildroot}/usr/share/qntest/hello.txt\n"
			   "echo conf > %{buildroot}/etc/qntest.conf\n"
			   "ln -s hello.txt %{buildroot}/usr/share/qntest/link\n"
			   "head -c 3000 /dev/zero > %{buildroot}/usr/share/qntest/zeros.dat\n"
			   "%files\n/usr/share/qntest/hello.txt\n/usr/share/qntest/link\n%config /etc/qntest.conf\n"
			   "%files data\n%dir /usr/share/qntest\n/usr/share/qntest/zeros.dat\n";

/* Builds the test rpms and installs them into ./db (the test's own folder); false with the tools'
 * output when one failed. Paths go through $PWD because rpm wants absolute ones. */
static bool build_rpmdb(void)
{
	tap_write("qntest.spec", spec, strlen(spec));
	if (system("rpmbuild --quiet --define \"_topdir $PWD/top\" -bb qntest.spec >build.log 2>&1 && mkdir -p db && "
		   "rpm -i --justdb --nodeps --dbpath \"$PWD/db\" top/RPMS/noarch/*.rpm >install.log 2>&1") != 0) {
		printf("# rpmbuild or rpm -i failed:\n");
		if (system("cat build.log install.log 2>/dev/null | tail -20 | sed 's/^/#   /'") != 0)
			printf("# (no log)\n");
		return false;
	}
	return true;
}

static void test_rpm_real(void)
{
	if (access("/usr/bin/rpmbuild", X_OK) != 0 || access("/usr/bin/rpm", X_OK) != 0) {
		printf("# SKIP rpmbuild or rpm missing (Debian package: rpm)\n");
		return;
	}
	if (!build_rpmdb()) {
		tap_cur_failed = 1;
		return;
	}
	char cmd[512];
	size_t len = 0;
	qn_error *err = NULL;
	char *bytes = qn_read_file("db/rpmdb.sqlite", QN_OSDB_MAX_INPUT, &len, &err);
	CHECK(bytes != NULL);
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	CHECK_INT(qn_rpm_parse_sqlite((const uint8_t *)bytes, len, "var/lib/rpm/rpmdb.sqlite", &l, &w, &err), 0);
	if (err)
		printf("# %s\n", err->msg);
	CHECK_INT(w.lines.n, 0);
	dump_warnings(&w);

	/* packages: NAME EPOCHNUM:VERSION-RELEASE ARCH, and our version is [EPOCH:]VERSION-RELEASE */
	char *q = run("rpm -qa --dbpath \"$PWD/db\" --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\\n'");
	qn_ptrvec ours = {0}, theirs = {0};
	for (size_t i = 0; i < l.n; i++) {
		const qn_package *p = &l.v[i];
		bool has_epoch = strchr(p->version, ':') != NULL;
		qn_ptrvec_push(&ours, xasprintf("%s %s%s %s", p->name, has_epoch ? "" : "0:", p->version, p->arch));
	}
	sort_vec(&ours);
	sorted_lines(q ? q : "", &theirs);
	CHECK_INT(ours.n, 2);
	CHECK(same_lines(&ours, &theirs, "rpm -qa"));
	qn_ptrvec_clear(&ours, free);
	qn_ptrvec_clear(&theirs, free);
	free(q);

	/* files of each package: path, size and digest as rpm prints them */
	for (size_t i = 0; i < l.n; i++) {
		const qn_package *p = &l.v[i];
		snprintf(cmd, sizeof(cmd),
			 "rpm -q --dbpath \"$PWD/db\" --qf '[%%{FILENAMES} %%{FILESIZES} %%{FILEDIGESTS}\\n]' %s",
			 p->name);
		q = run(cmd);
		for (size_t j = 0; j < p->n_files; j++) {
			const char *d = p->files[j].digest ? strchr(p->files[j].digest, ':') + 1 : "";
			qn_ptrvec_push(
			    &ours, xasprintf("/%s %llu %s", p->files[j].path, (unsigned long long)p->files[j].size, d));
		}
		sort_vec(&ours);
		sorted_lines(q ? q : "", &theirs);
		CHECK(ours.n >= 2);
		CHECK(same_lines(&ours, &theirs, p->name));
		qn_ptrvec_clear(&ours, free);
		qn_ptrvec_clear(&theirs, free);
		free(q);
		CHECK_STR(p->source_name, "qntest");
		CHECK_STR(p->source_version, "2:1.2.3-4.fc1");
	}
	const qn_package *p = find_pkg(&l, "qntest", NULL);
	CHECK(p && p->n_deps == 1 && strcmp(p->deps[0].name, "bash") == 0 &&
	      strcmp(p->deps[0].version_constraint, "(>= 4.0)") == 0);
	CHECK(p && p->license && strcmp(p->license, "MIT") == 0);
	printf("# rpm cross-check: %zu packages, their files and requires match rpm -q\n", l.n);
	qn_osdb_warnings_clear(&w);
	qn_pkglist_clear(&l);
	qn_error_free(err);
	free(bytes);
}

/* A count from the database file at path, or -1. */
static long long sql_count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		printf("# sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Removing a package from a database rpm wrote: rpm then neither lists it nor owns its files,
 * the other package answers as before, no index row points at the removed header and none of
 * its bytes is left in the file, and the result is the same on every run. */
static void test_rpm_drop(void)
{
	if (access("/usr/bin/rpmbuild", X_OK) != 0 || access("/usr/bin/rpm", X_OK) != 0) {
		printf("# SKIP rpmbuild or rpm missing (Debian package: rpm)\n");
		return;
	}
	if (access("db/rpmdb.sqlite", R_OK) != 0 && !build_rpmdb()) {
		tap_cur_failed = 1;
		return;
	}
	size_t len = 0, n = 0, n2 = 0;
	qn_error *err = NULL;
	uint8_t *bytes = (uint8_t *)qn_read_file("db/rpmdb.sqlite", QN_OSDB_MAX_INPUT, &len, &err), *out = NULL,
		*again = NULL;
	CHECK(bytes && len > 100);
	if (!bytes)
		return;
	static const char data_summary[] = "Data for qntest";
	CHECK(memmem(bytes, len, data_summary, strlen(data_summary)) != NULL);
	CHECK_INT(qn_rpm_sqlite_drop(bytes, len, "db", drop_named, "qntest-data", &out, &n, &err), 1);
	CHECK_INT(qn_rpm_sqlite_drop(bytes, len, "db", drop_named, "qntest-data", &again, &n2, &err), 1);
	if (err)
		printf("# %s\n", err->msg);
	CHECK(out && again && n == n2 && memcmp(out, again, n) == 0);
	CHECK(out && out[18] == bytes[18] && out[19] == bytes[19]); /* rpm's journal mode stays */
	CHECK(out && memmem(out, n, data_summary, strlen(data_summary)) == NULL);
	if (!out) {
		free(bytes);
		return;
	}
	CHECK(mkdir("db2", 0755) == 0 || errno == EEXIST);
	tap_write("db2/rpmdb.sqlite", out, n);

	char *q = run("rpm -qa --dbpath \"$PWD/db2\" --qf '%{NAME}\\n'");
	CHECK_STR(q, "qntest\n");
	free(q);
	/* the files rpm knows (rpm -qf wants them on this machine) */
	q = run("rpm -qa --dbpath \"$PWD/db2\" --qf '[%{FILENAMES}\\n]' | sort");
	CHECK_STR(q, "/etc/qntest.conf\n/usr/share/qntest/hello.txt\n/usr/share/qntest/link\n");
	free(q);
	q = run("rpm -q --whatprovides qntest-data --dbpath \"$PWD/db2\" 2>&1; true");
	CHECK(q && strstr(q, "no package provides qntest-data"));
	free(q);
	q = run("rpm -qa --dbpath \"$PWD/db\" --qf '%{NAME}\\n' | sort");
	CHECK_STR(q, "qntest\nqntest-data\n"); /* the input database was left alone */
	free(q);

	CHECK_INT(sql_count("db2/rpmdb.sqlite", "SELECT count(*) FROM pragma_integrity_check WHERE "
						"integrity_check != 'ok'"),
		  0);
	CHECK_INT(sql_count("db2/rpmdb.sqlite", "SELECT count(*) FROM Packages"), 1);
	CHECK_INT(sql_count("db2/rpmdb.sqlite", "SELECT count(*) FROM Basenames WHERE hnum NOT IN "
						"(SELECT hnum FROM Packages)"),
		  0);
	CHECK_INT(sql_count("db2/rpmdb.sqlite", "SELECT count(*) FROM Name WHERE hnum NOT IN "
						"(SELECT hnum FROM Packages)"),
		  0);
	CHECK(sql_count("db2/rpmdb.sqlite", "SELECT count(*) FROM Basenames") > 0);

	qn_pkglist l = {0};
	CHECK_INT(qn_rpm_parse_sqlite(out, n, "db2", &l, NULL, &err), 0);
	CHECK(l.n == 1 && strcmp(l.v[0].name, "qntest") == 0);
	qn_pkglist_clear(&l);

	/* nothing picked: nothing written */
	free(again);
	again = (uint8_t *)"x";
	CHECK_INT(qn_rpm_sqlite_drop(bytes, len, "db", drop_named, "no-such-package", &again, &n2, &err), 0);
	CHECK(again == NULL && n2 == 0);
	/* not a database: a one-line error naming it, nothing written */
	CHECK_INT(qn_rpm_sqlite_drop(bytes, 50, "var/lib/rpm/rpmdb.sqlite", drop_named, "qntest", &again, &n2, &err),
		  -1);
	CHECK(err && strcmp(err->msg, "var/lib/rpm/rpmdb.sqlite: not an SQLite database") == 0 && !again);
	qn_error_free(err);
	free(out);
	free(bytes);
}

int main(void)
{
	TAP_RUN(test_dpkg_status);
	TAP_RUN(test_dpkg_status_fields);
	TAP_RUN(test_dpkg_status_skipped);
	TAP_RUN(test_dpkg_status_d);
	TAP_RUN(test_dpkg_garbage);
	TAP_RUN(test_warning_cap);
	TAP_RUN(test_dpkg_purl);
	TAP_RUN(test_dpkg_list);
	TAP_RUN(test_dpkg_copyright);
	TAP_RUN(test_dpkg_real);
	TAP_RUN(test_dpkg_real_list);
	TAP_RUN(test_apk);
	TAP_RUN(test_apk_skipped);
	TAP_RUN(test_rpm_header);
	TAP_RUN(test_rpm_header_malformed);
	TAP_RUN(test_rpm_header_mutated);
	TAP_RUN(test_rpm_detect);
	TAP_RUN(test_rpm_sqlite);
	TAP_RUN(test_rpm_sqlite_hostile);
	TAP_RUN(test_rpm_real);
	TAP_RUN(test_rpm_drop);
	return tap_done();
}
