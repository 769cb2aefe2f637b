/* Unit tests: language package readers (Python metadata and RECORD, package.json, Java archives,
 * Go build info) on fixtures written by the tests themselves, with exact expected results. The
 * Go test builds a real binary with the Debian golang-go toolchain when it is installed and
 * compares our reading with `go version -m`. */
#include "pkg/lang.h"
#include "tap.h"
#include "zipw.h"

#define B(s) (const uint8_t *)(s), strlen(s)

/* ---- Python ---- */

static const char metadata_full[] = "Metadata-Version: 2.1\n"
				    "Name: Foo_Bar\n"
				    "Version: 1.0.post1\n"
				    "Summary: A foo that\n"
				    "        bars\n"
				    "Home-page: https://foo.example/\n"
				    "Author: Jane Doe\n"
				    "Author-email: jane@example.org\n"
				    "License-Expression: MIT OR Apache-2.0\n"
				    "License: Some long licence text\n"
				    "        that goes on\n"
				    "Classifier: License :: OSI Approved :: MIT License\n"
				    "Requires-Dist: requests (>=2.0)\n"
				    "Requires-Dist: idna>=2.5; python_version < \"3.8\"\n"
				    "Requires-Dist: PySocks!=1.5.7,>=1.5.6 ; extra == 'socks'\n"
				    "Requires-Dist: zope.interface\n"
				    "this line has no colon and is skipped\n"
				    "\n"
				    "Name: body-is-not-a-header\n"
				    "Requires-Dist: not-a-dep\n";

static void test_python_metadata(void)
{
	qn_package p = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_python_parse_metadata(B(metadata_full), "sp/Foo_Bar-1.0.post1.dist-info/METADATA", &p, &err), 0);
	CHECK(err == NULL);
	CHECK_INT(p.eco, QN_ECO_PYPI);
	CHECK_STR(p.name, "Foo_Bar");
	CHECK_STR(p.version, "1.0.post1");
	CHECK_STR(p.purl, "pkg:pypi/foo-bar@1.0.post1");
	CHECK_STR(p.license, "MIT OR Apache-2.0");
	CHECK_STR(p.maintainer, "Jane Doe <jane@example.org>");
	CHECK_STR(p.homepage, "https://foo.example/");
	CHECK_STR(p.description, "A foo that bars");
	CHECK_STR(p.location, "sp/Foo_Bar-1.0.post1.dist-info/METADATA");
	CHECK_INT(p.layer, -1);
	CHECK(p.namespace_ == NULL);
	CHECK_INT(p.n_deps, 4);
	if (p.n_deps == 4) {
		CHECK_STR(p.deps[0].name, "requests");
		CHECK_STR(p.deps[0].version_constraint, "(>=2.0)");
		CHECK_STR(p.deps[1].name, "idna");
		CHECK_STR(p.deps[1].version_constraint, ">=2.5; python_version < \"3.8\"");
		CHECK_STR(p.deps[2].name, "PySocks");
		CHECK_STR(p.deps[2].version_constraint, "!=1.5.7,>=1.5.6 ; extra == 'socks'");
		CHECK_STR(p.deps[3].name, "zope.interface");
		CHECK(p.deps[3].version_constraint == NULL);
	}
	qn_package_clear(&p);
}

/* Old setuptools PKG-INFO: License UNKNOWN, licences only in classifiers, CRLF line ends. */
static void test_python_pkginfo_classifiers(void)
{
	const char *s = "Metadata-Version: 1.1\r\n"
			"Name: zope.interface\r\n"
			"Version: 5.4.0\r\n"
			"Summary: UNKNOWN\r\n"
			"Home-page: UNKNOWN\r\n"
			"Maintainer: Zope Foundation\r\n"
			"Maintainer-email: Zope Team <zope@example.org>\r\n"
			"License: UNKNOWN\r\n"
			"Project-URL: Source, https://src.example/\r\n"
			"Project-URL: Home Page, https://zope.example/\r\n"
			"Classifier: Programming Language :: Python\r\n"
			"Classifier: License :: OSI Approved :: Zope Public License\r\n"
			"Classifier: License :: OSI Approved\r\n"
			"Classifier: License :: OSI Approved :: BSD License\r\n"
			"\r\n";
	qn_package p = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_python_parse_metadata(B(s), "x.egg-info/PKG-INFO", &p, &err), 0);
	CHECK_STR(p.name, "zope.interface");
	CHECK_STR(p.version, "5.4.0");
	/* the purl spec (and Trivy) keep the dot: only case and '_' are normalised */
	CHECK_STR(p.purl, "pkg:pypi/zope.interface@5.4.0");
	CHECK_STR(p.license, "Zope Public License, BSD License");
	CHECK(p.description == NULL);
	CHECK_STR(p.homepage, "https://zope.example/");
	CHECK_STR(p.maintainer, "Zope Team <zope@example.org>");
	qn_package_clear(&p);
	/* License used when no expression; only its first line */
	const char *s2 = "Name: A__B\nVersion: 2\nLicense: BSD-3-Clause\n   Copyright (c) someone\n";
	CHECK_INT(qn_python_parse_metadata(B(s2), "a.egg-info", &p, &err), 0);
	CHECK_STR(p.license, "BSD-3-Clause");
	CHECK_STR(p.purl, "pkg:pypi/a--b@2");
	CHECK(p.maintainer == NULL && p.homepage == NULL && p.n_deps == 0);
	qn_package_clear(&p);
	CHECK(err == NULL);
}

/* Old PKG-INFO folds the whole README into Description: 200,000 continuation lines must be
 * appended in place, not re-copied per line (which would take minutes). */
static void test_python_long_description(void)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "Metadata-Version: 1.0\nName: big\nVersion: 1\nDescription: start\n");
	for (int i = 0; i < 200000; i++)
		qn_buf_adds(&b, "        | a line of the long description\n");
	qn_buf_adds(&b, "Summary: after the description\n\n");
	qn_package p = {0};
	qn_error *err = NULL;
	double t0 = qn_now();
	CHECK_INT(qn_python_parse_metadata((const uint8_t *)b.data, b.len, "big.egg-info", &p, &err), 0);
	printf("# %zu bytes of metadata in %.3f s\n", b.len, qn_now() - t0);
	CHECK_STR(p.description, "after the description");
	qn_package_clear(&p);
	qn_buf_clear(&b);
}

static void test_python_metadata_errors(void)
{
	qn_package p = {.name = (char *)"untouched"};
	qn_error *err = NULL;
	CHECK_INT(qn_python_parse_metadata(B("Name: foo\nSummary: x\n"), "lib/foo.dist-info/METADATA", &p, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "lib/foo.dist-info/METADATA: no Version field");
	CHECK_STR(p.name, "untouched");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(qn_python_parse_metadata(B(""), "m", &p, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "no Name field");
	qn_error_free(err);
	err = NULL;
	/* Name only in the body does not count */
	CHECK_INT(qn_python_parse_metadata(B("Version: 1\n\nName: x\n"), "m", &p, &err), -1);
	qn_error_free(err);
}

static const char record[] = "foo/__init__.py,sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ,5\n"
			     "foo-1.0.dist-info/RECORD,,\r\n"
			     "../../../bin/foo,sha256=zEIVUIj8pXMHWNtysqW8ozESqUHfqi1DCY7EIs5OohM,9\n"
			     "\"foo/with,comma.py\",,\n"
			     "\"foo/with \"\"quote\"\".py\",sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=,12\n"
			     "../../../../../../etc/passwd,,\n"
			     "/usr/share/foo/data.txt,,\n"
			     "./foo/./sub//x.py,md5=bad!base64,notanumber\n"
			     "\n"
			     "foo/__pycache__/__init__.cpython-311.pyc,,";

static void test_python_record(void)
{
	qn_package p = {0};
	qn_error *err = NULL;
	const char *dir = "usr/lib/python3.11/site-packages/foo-1.0.dist-info";
	CHECK_INT(qn_python_parse_record(B(record), dir, &p, &err), 1);
	CHECK(err == NULL);
	const char *paths[] = {
	    "usr/lib/python3.11/site-packages/foo/__init__.py",
	    "usr/lib/python3.11/site-packages/foo-1.0.dist-info/RECORD",
	    "usr/bin/foo",
	    "usr/lib/python3.11/site-packages/foo/with,comma.py",
	    "usr/lib/python3.11/site-packages/foo/with \"quote\".py",
	    "usr/share/foo/data.txt",
	    "usr/lib/python3.11/site-packages/foo/sub/x.py",
	    "usr/lib/python3.11/site-packages/foo/__pycache__/__init__.cpython-311.pyc",
	};
	CHECK_INT(p.n_files, 8);
	for (size_t i = 0; i < p.n_files && i < 8; i++)
		CHECK_STR(p.files[i].path, paths[i]);
	if (p.n_files == 8) {
		CHECK_STR(p.files[0].digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
		CHECK_INT(p.files[0].size, 5);
		CHECK(p.files[1].digest == NULL);
		CHECK_INT(p.files[1].size, 0);
		CHECK_STR(p.files[2].digest, "sha256:cc42155088fca5730758db72b2a5bca33112a941dfaa2d43098ec422ce4ea213");
		CHECK_INT(p.files[2].size, 9);
		CHECK_STR(p.files[4].digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
		CHECK(p.files[6].digest == NULL);
		CHECK_INT(p.files[6].size, 0);
	}
	/* a second RECORD appends */
	CHECK_INT(qn_python_parse_record(B("foo/extra.py,,\n"), dir, &p, &err), 0);
	CHECK_INT(p.n_files, 9);
	/* malformed CSV leaves the package as it was */
	CHECK_INT(qn_python_parse_record(B("ok.py,,\n\"unterminated,,\n"), dir, &p, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "foo-1.0.dist-info/RECORD: row 2: unterminated quoted field");
	CHECK_INT(p.n_files, 9);
	qn_error_free(err);
	qn_package_clear(&p);
}

static void test_python_installed_files(void)
{
	qn_package p = {0};
	qn_error *err = NULL;
	const char *s = "../foo/__init__.py\r\n../../../../bin/foo-cli\n\n  PKG-INFO  \n../../../../../../../../x\n";
	CHECK_INT(qn_python_parse_installed_files(B(s), "usr/lib/python3/dist-packages/foo-1.0.egg-info", &p, &err), 1);
	CHECK_INT(p.n_files, 3);
	if (p.n_files == 3) {
		CHECK_STR(p.files[0].path, "usr/lib/python3/dist-packages/foo/__init__.py");
		CHECK_STR(p.files[1].path, "usr/bin/foo-cli");
		CHECK_STR(p.files[2].path, "usr/lib/python3/dist-packages/foo-1.0.egg-info/PKG-INFO");
	}
	qn_package_clear(&p);
	qn_error_free(err);
}

/* ---- Node ---- */

static int npm(const char *json, qn_package *p, qn_error **err)
{
	memset(p, 0, sizeof(*p));
	return qn_npm_parse_package_json(B(json), "usr/lib/node_modules/x/package.json", p, err);
}

static void test_npm_basic(void)
{
	qn_package p;
	qn_error *err = NULL;
	const char *j = "{\"name\":\"express\",\"version\":\"4.18.2\",\"license\":\"MIT\","
			"\"author\":\"TJ Holowaychuk <tj@vision-media.ca>\",\"homepage\":\"http://expressjs.com/\","
			"\"description\":\"Fast web framework\\nsecond line\","
			"\"dependencies\":{\"accepts\":\"~1.3.8\",\"debug\":\"2.6.9\"},"
			"\"optionalDependencies\":{\"debug\":\"^3\",\"fsevents\":\"*\"},"
			"\"devDependencies\":{\"mocha\":\"10\"},\"peerDependencies\":{\"x\":\"1\"}}";
	CHECK_INT(npm(j, &p, &err), 1);
	CHECK_INT(p.eco, QN_ECO_NPM);
	CHECK_STR(p.name, "express");
	CHECK_STR(p.version, "4.18.2");
	CHECK_STR(p.purl, "pkg:npm/express@4.18.2");
	CHECK_STR(p.license, "MIT");
	CHECK_STR(p.maintainer, "TJ Holowaychuk <tj@vision-media.ca>");
	CHECK_STR(p.homepage, "http://expressjs.com/");
	CHECK_STR(p.description, "Fast web framework");
	CHECK_STR(p.location, "usr/lib/node_modules/x/package.json");
	CHECK(p.namespace_ == NULL);
	CHECK_INT(p.n_deps, 3);
	if (p.n_deps == 3) {
		CHECK_STR(p.deps[0].name, "accepts");
		CHECK_STR(p.deps[0].version_constraint, "~1.3.8");
		CHECK_STR(p.deps[1].name, "debug");
		CHECK_STR(p.deps[1].version_constraint, "^3");
		CHECK_STR(p.deps[2].name, "fsevents");
	}
	qn_package_clear(&p);
	CHECK(err == NULL);
}

static void test_npm_scoped_and_licenses(void)
{
	qn_package p;
	qn_error *err = NULL;
	CHECK_INT(npm("{\"name\":\"@Babel/"
		      "Core\",\"version\":\"7.0.0-beta.1+build\",\"license\":{\"type\":\"MIT\",\"url\":\"u\"},"
		      "\"author\":{\"name\":\"Seb\",\"email\":\"s@x.org\"}}",
		      &p, &err),
		  1);
	CHECK_STR(p.name, "@Babel/Core");
	CHECK_STR(p.namespace_, "@Babel");
	CHECK_STR(p.purl, "pkg:npm/%40babel/core@7.0.0-beta.1%2Bbuild");
	CHECK_STR(p.license, "MIT");
	CHECK_STR(p.maintainer, "Seb <s@x.org>");
	qn_package_clear(&p);
	CHECK_INT(npm("{\"name\":\"tv4\",\"version\":\"1.3.0\",\"license\":[{\"type\":\"Public "
		      "Domain\"},{\"type\":\"MIT\"}]}",
		      &p, &err),
		  1);
	CHECK_STR(p.license, "Public Domain, MIT");
	qn_package_clear(&p);
	CHECK_INT(npm("{\"name\":\"old\",\"version\":\"0.1.0\",\"licenses\":[{\"type\":\"BSD\"},\"GPL\"],\"author\":{"
		      "\"email\":\"e@x\"}}",
		      &p, &err),
		  1);
	CHECK_STR(p.license, "BSD, GPL");
	CHECK_STR(p.maintainer, "e@x");
	qn_package_clear(&p);
	CHECK_INT(
	    npm("{\"name\":\"n\",\"version\":\"1\",\"license\":null,\"licenses\":{\"type\":\"ISC\"},\"homepage\":\"\"}",
		&p, &err),
	    1);
	CHECK_STR(p.license, "ISC");
	CHECK(p.homepage == NULL && p.maintainer == NULL && p.description == NULL);
	qn_package_clear(&p);
	CHECK(err == NULL);
}

static void test_npm_not_packages(void)
{
	qn_package p;
	qn_error *err = NULL;
	CHECK_INT(npm("{\"name\":\"my-app\",\"private\":true,\"dependencies\":{\"a\":\"1\"}}", &p, &err), 0);
	CHECK(p.name == NULL);
	CHECK_INT(npm("{\"version\":\"1.0.0\"}", &p, &err), 0);
	CHECK_INT(npm("{\"name\":\"x\",\"version\":1}", &p, &err), 0);
	CHECK_INT(npm("{\"name\":\"x\",\"version\":\"\"}", &p, &err), 0);
	CHECK_INT(npm("{}", &p, &err), 0);
	CHECK(err == NULL);
	CHECK_INT(npm("{\"name\": \"x\", ", &p, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "usr/lib/node_modules/x/package.json: malformed JSON");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(npm("[1,2]", &p, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "not a JSON object");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(npm("{\"name\":\"my app\",\"version\":\"1\"}", &p, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "package name \"my app\" has characters npm does not allow");
	qn_error_free(err);
	err = NULL;
	CHECK_INT(npm("{\"name\":\"a\",\"version\":\"1\",\"x\":1,\"x\":2}", &p, &err), -1);
	qn_error_free(err);
	err = NULL;
	size_t n = QN_NPM_MAX_JSON + 1;
	char *huge = xmalloc(n);
	memset(huge, ' ', n);
	huge[0] = '{';
	huge[n - 1] = '}';
	memset(&p, 0, sizeof(p));
	CHECK_INT(qn_npm_parse_package_json((const uint8_t *)huge, n, "big/package.json", &p, &err), -1);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	free(huge);
	qn_error_free(err);
}

/* ---- Java ---- */

static const char pom_lang3[] = "#Created by Apache Maven 3.8.1\n"
				"groupId=org.apache.commons\n"
				"artifactId=commons-lang3\n"
				"version=3.12.0\n";

static const char manifest_lang3[] = "Manifest-Version: 1.0\r\n"
				     "Implementation-Title: Apache Commons Lang\r\n"
				     "Implementation-Version: 3.12.0\r\n"
				     "Implementation-Vendor-Id: org.apache.commons\r\n\r\n";

/* Builds a jar of (name, content) pairs, deflated unless the name ends with ".stored". */
static void jar(qn_buf *b, const char *const *files, size_t n)
{
	zw_entry e[32];
	for (size_t i = 0; i < n && i < 32; i++)
		e[i] = (zw_entry){files[2 * i], files[2 * i + 1], strlen(files[2 * i + 1]), 8};
	zw_write(b, e, n, false, NULL);
}

static int jar_parse(const qn_buf *b, const char *loc, qn_pkglist *l, qn_error **err)
{
	return qn_jar_parse((const uint8_t *)b->data, b->len, loc, l, err);
}

static void check_maven(const qn_package *p, const char *name, const char *version, const char *ns, const char *purl,
			const char *loc)
{
	CHECK_INT(p->eco, QN_ECO_MAVEN);
	CHECK_STR(p->name, name);
	CHECK_STR(p->version, version);
	if (ns)
		CHECK_STR(p->namespace_, ns);
	else
		CHECK(p->namespace_ == NULL);
	CHECK_STR(p->purl, purl);
	CHECK_STR(p->location, loc);
}

static void test_jar_pom(void)
{
	const char *files[] = {"META-INF/MANIFEST.MF",
			       manifest_lang3,
			       "META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
			       pom_lang3,
			       "org/apache/commons/lang3/StringUtils.class",
			       "\xca\xfe\xba\xbe"};
	qn_buf b = QN_BUF_INIT;
	jar(&b, files, 3);
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(jar_parse(&b, "app/lib/commons-lang3-3.12.0.jar", &l, &err), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		check_maven(&l.v[0], "org.apache.commons:commons-lang3", "3.12.0", "org.apache.commons",
			    "pkg:maven/org.apache.commons/commons-lang3@3.12.0", "app/lib/commons-lang3-3.12.0.jar");
	qn_pkglist_clear(&l);
	/* the same pom.properties twice (shaded copies) is listed once */
	const char *dup[] = {"META-INF/maven/a/b/pom.properties", "groupId=a\nartifactId=b\nversion=1\n",
			     "shaded/META-INF/maven/a/b/pom.properties", "groupId = a\nartifactId: b\nversion=1\n"};
	qn_buf_reset(&b);
	jar(&b, dup, 2);
	CHECK_INT(jar_parse(&b, "x.jar", &l, &err), 0);
	CHECK_INT(l.n, 1);
	qn_pkglist_clear(&l);
	qn_buf_clear(&b);
	CHECK(err == NULL);
}

static void test_jar_manifest(void)
{
	/* the title is wrapped at 72 bytes: the continuation line starts with one space */
	const char *mf = "Manifest-Version: 1.0\r\n"
			 "Implementation-Title: a-very-long-implementation-title-that-the-jar-tool-wra\r\n"
			 " ps-at-seventy-two\r\n"
			 "Implementation-Version: 1.2.3\r\n"
			 "Implementation-Vendor: Example Inc.\r\n"
			 "Implementation-Vendor-Id: com.example\r\n"
			 "\r\n"
			 "Name: com/example/\r\n"
			 "Implementation-Version: 9.9.9\r\n";
	const char *files[] = {"META-INF/MANIFEST.MF", mf, "META-INF/maven/dep/dep/pom.properties",
			       "groupId=dep\nartifactId=dep\nversion=2\n"};
	qn_buf b = QN_BUF_INIT;
	jar(&b, files, 2);
	qn_pkglist l = {0};
	qn_error *err = NULL;
	/* the embedded pom.properties is not the archive's own, so the manifest counts too */
	CHECK_INT(jar_parse(&b, "srv/app.jar", &l, &err), 0);
	CHECK_INT(l.n, 2);
	if (l.n == 2) {
		check_maven(&l.v[0], "dep:dep", "2", "dep", "pkg:maven/dep/dep@2", "srv/app.jar");
		check_maven(&l.v[1],
			    "com.example:a-very-long-implementation-title-that-the-jar-tool-wraps-at-seventy-two",
			    "1.2.3", "com.example",
			    "pkg:maven/com.example/"
			    "a-very-long-implementation-title-that-the-jar-tool-wraps-at-seventy-two@1.2.3",
			    "srv/app.jar");
	}
	qn_pkglist_clear(&l);
	/* OSGi bundle: group from Bundle-SymbolicName without its parameters; placeholders skipped */
	const char *osgi = "Manifest-Version: 1.0\n"
			   "Bundle-Name: %bundle.name\n"
			   "Specification-Title: jackson-databind\n"
			   "Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-databind;singleton:=true\n"
			   "Bundle-Version: 2.15.0\n";
	const char *f2[] = {"META-INF/MANIFEST.MF", osgi};
	qn_buf_reset(&b);
	jar(&b, f2, 1);
	CHECK_INT(jar_parse(&b, "x.jar", &l, &err), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		check_maven(&l.v[0], "com.fasterxml.jackson.core:jackson-databind", "2.15.0",
			    "com.fasterxml.jackson.core",
			    "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.0", "x.jar");
	qn_pkglist_clear(&l);
	qn_buf_clear(&b);
	CHECK(err == NULL);
}

static void test_jar_file_name(void)
{
	const char *files[] = {"com/google/common/base/Strings.class", "\xca\xfe\xba\xbe", "META-INF/MANIFEST.MF",
			       "Manifest-Version: 1.0\nCreated-By: javac\n"};
	qn_buf b = QN_BUF_INIT;
	jar(&b, files, 2);
	struct {
		const char *loc, *name, *version, *purl;
	} cases[] = {
	    {"lib/guava-31.1-jre.jar", "guava", "31.1-jre", "pkg:maven/guava@31.1-jre"},
	    {"lib/spring-core-5.3.4-SNAPSHOT.jar", "spring-core", "5.3.4-SNAPSHOT",
	     "pkg:maven/spring-core@5.3.4-SNAPSHOT"},
	    {"lib/foo-bar-2-1.0.jar", "foo-bar-2", "1.0", "pkg:maven/foo-bar-2@1.0"},
	    {"lib/app.jar", NULL, NULL, NULL},
	    {"lib/app-.jar", NULL, NULL, NULL},
	    {"lib/name-1.0.war", NULL, NULL, NULL},
	    {"lib/my app-1.0.jar", NULL, NULL, NULL},
	    {"lib/x-1.0 beta.jar", NULL, NULL, NULL},
	    /* only the prefix's last character may be outside [A-Za-z0-9._-] */
	    {"lib/a+b-2.0.jar", NULL, NULL, NULL},
	    {"lib/a+-2.0-rc1.jar", "a+", "2.0-rc1", "pkg:maven/a%2B@2.0-rc1"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		qn_pkglist l = {0};
		qn_error *err = NULL;
		CHECK_INT(jar_parse(&b, cases[i].loc, &l, &err), 0);
		CHECK_INT(l.n, cases[i].name ? 1 : 0);
		if (l.n == 1 && cases[i].name)
			check_maven(&l.v[0], cases[i].name, cases[i].version, NULL, cases[i].purl, cases[i].loc);
		qn_pkglist_clear(&l);
		qn_error_free(err);
	}
	qn_buf_clear(&b);
}

/* A war with nested jars: stored and deflated, one broken, one whose name escapes. */
static void test_jar_nested(void)
{
	qn_buf inner1 = QN_BUF_INIT, inner2 = QN_BUF_INIT, war = QN_BUF_INIT;
	const char *f1[] = {"META-INF/maven/com.x/inner/pom.properties",
			    "groupId=com.x\nartifactId=inner\nversion=1.0\n"};
	jar(&inner1, f1, 1);
	const char *f2[] = {"META-INF/MANIFEST.MF", "Implementation-Title: deflated\nImplementation-Version: 2.0\n"
						    "Specification-Vendor: org.y\n"};
	jar(&inner2, f2, 1);
	zw_entry e[] = {
	    {"META-INF/maven/com.x/app/pom.properties", "groupId=com.x\nartifactId=app\nversion=3\n", 39, 0},
	    {"WEB-INF/lib/inner-1.0.jar", inner1.data, inner1.len, 0},
	    {"WEB-INF/lib/deflated-2.0.jar", inner2.data, inner2.len, 8},
	    {"WEB-INF/lib/broken.jar", "PK\x03\x04 not really a zip", 21, 0},
	    {"../evil-6.6.jar", inner1.data, inner1.len, 0},
	};
	zw_write(&war, e, QN_ARRAY_LEN(e), false, NULL);
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(jar_parse(&war, "opt/app.war", &l, &err), 1); /* broken.jar skipped */
	CHECK(err == NULL);
	CHECK_INT(l.n, 3);
	if (l.n == 3) {
		check_maven(&l.v[0], "com.x:app", "3", "com.x", "pkg:maven/com.x/app@3", "opt/app.war");
		check_maven(&l.v[1], "com.x:inner", "1.0", "com.x", "pkg:maven/com.x/inner@1.0",
			    "opt/app.war!/WEB-INF/lib/inner-1.0.jar");
		check_maven(&l.v[2], "org.y:deflated", "2.0", "org.y", "pkg:maven/org.y/deflated@2.0",
			    "opt/app.war!/WEB-INF/lib/deflated-2.0.jar");
	}
	/* a later failure leaves the list as it was: no partial results appended */
	size_t before = l.n;
	CHECK_INT(qn_jar_parse(B("not a zip"), "opt/bad.jar", &l, &err), -1);
	CHECK_INT(l.n, before);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "opt/bad.jar: zip: no end of central directory");
	qn_error_free(err);
	qn_pkglist_clear(&l);
	qn_buf_clear(&inner1);
	qn_buf_clear(&inner2);
	qn_buf_clear(&war);
}

/* Seven levels of jar in jar: only four below the outer archive are followed. */
static void test_jar_depth(void)
{
	qn_buf cur = QN_BUF_INIT;
	for (int level = 6; level >= 0; level--) {
		char pom[128], name[32];
		snprintf(pom, sizeof(pom), "groupId=g\nartifactId=l%d\nversion=1\n", level);
		snprintf(name, sizeof(name), "l%d.jar", level + 1);
		zw_entry e[2] = {{"META-INF/maven/g/x/pom.properties", pom, strlen(pom), 8}};
		size_t n = 1;
		if (cur.len)
			e[n++] = (zw_entry){name, cur.data, cur.len, 0};
		qn_buf next = QN_BUF_INIT;
		zw_write(&next, e, n, false, NULL);
		qn_buf_clear(&cur);
		cur = next;
	}
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(jar_parse(&cur, "l0.jar", &l, &err), 0);
	CHECK_INT(l.n, 5);
	if (l.n == 5) {
		CHECK_STR(l.v[0].name, "g:l0");
		CHECK_STR(l.v[4].name, "g:l4");
		CHECK_STR(l.v[4].location, "l0.jar!/l1.jar!/l2.jar!/l3.jar!/l4.jar");
	}
	qn_pkglist_clear(&l);
	qn_jar_limits lim = {0, -1};
	CHECK_INT(qn_jar_parse_limits((const uint8_t *)cur.data, cur.len, "l0.jar", &lim, &l, &err), 0);
	CHECK_INT(l.n, 1);
	qn_pkglist_clear(&l);
	qn_buf_clear(&cur);
	CHECK(err == NULL);
}

/* Nested "jars" that inflate to far more than they take: the shared budget stops the parse. */
static void test_jar_bomb(void)
{
	size_t n = 64 << 20, clen = 0;
	uint8_t *zeros = xcalloc(1, n);
	uint8_t *c = zw_deflate(zeros, n, &clen);
	zw_entry e[10];
	char names[10][32];
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "lib/bomb%d.jar", i);
		e[i] = (zw_entry){names[i], zeros, n, 8, c, clen};
	}
	qn_buf war = QN_BUF_INIT;
	zw_write(&war, e, 10, false, NULL);
	printf("# bomb: %zu bytes inflating to %zu MiB\n", war.len, (size_t)10 * 64);
	qn_pkglist l = {0};
	qn_error *err = NULL;
	/* a small explicit budget */
	qn_jar_limits lim = {100 << 20, 0};
	CHECK_INT(qn_jar_parse_limits((const uint8_t *)war.data, war.len, "bomb.war", &lim, &l, &err), -1);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	CHECK_CONTAINS(err ? err->msg : NULL, "bomb.war: entry \"lib/bomb1.jar\": extraction budget exhausted");
	CHECK_INT(l.n, 0);
	qn_error_free(err);
	err = NULL;
	/* and the default budget, 512 MiB, holds against 640 MiB */
	CHECK_INT(qn_jar_parse((const uint8_t *)war.data, war.len, "bomb.war", &l, &err), -1);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	CHECK_CONTAINS(err ? err->msg : NULL, "lib/bomb8.jar\": extraction budget exhausted");
	qn_error_free(err);
	free(c);
	free(zeros);
	qn_buf_clear(&war);
}

/* An unreadable pom.properties in the outer archive fails it, as in Trivy. */
static void test_jar_corrupt_outer(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout lay;
	zw_entry e[] = {{"META-INF/maven/a/b/pom.properties", "groupId=a\nartifactId=b\nversion=1\n", 33, 0}};
	zw_write(&b, e, 1, false, &lay);
	b.data[lay.data[0]] ^= 0x20;
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(jar_parse(&b, "a.jar", &l, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL,
		       "a.jar: zip: entry \"META-INF/maven/a/b/pom.properties\": CRC-32 mismatch");
	CHECK_INT(l.n, 0);
	qn_error_free(err);
	qn_buf_clear(&b);
}

/* A jar written by Python's zipfile, an independent writer. */
static void test_jar_python_interop(void)
{
	if (system("python3 -c 'import zipfile' 2>/dev/null") != 0) {
		printf("# SKIP python3 not installed\n");
		return;
	}
	const char *script =
	    "import zipfile\n"
	    "with zipfile.ZipFile('log4j-core-2.17.1.jar', 'w', zipfile.ZIP_DEFLATED) as z:\n"
	    "    z.writestr('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\\r\\n\\r\\n')\n"
	    "    z.writestr('META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',\n"
	    "               'groupId=org.apache.logging.log4j\\nartifactId=log4j-core\\nversion=2.17.1\\n')\n";
	tap_write("mk.py", script, strlen(script));
	CHECK(system("python3 mk.py") == 0);
	size_t len = 0;
	qn_error *err = NULL;
	char *buf = qn_read_file("log4j-core-2.17.1.jar", 1 << 20, &len, &err);
	qn_pkglist l = {0};
	CHECK_INT(buf ? qn_jar_parse((const uint8_t *)buf, len, "log4j-core-2.17.1.jar", &l, &err) : -1, 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		check_maven(&l.v[0], "org.apache.logging.log4j:log4j-core", "2.17.1", "org.apache.logging.log4j",
			    "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "log4j-core-2.17.1.jar");
	qn_pkglist_clear(&l);
	free(buf);
	qn_error_free(err);
}

/* ---- Go ---- */

static const uint8_t go_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
				     0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const uint8_t go_end[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
				   0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

static const char modtext[] = "path\texample.com/app/cmd/app\n"
			      "mod\texample.com/app\t(devel)\t\n"
			      "dep\tgithub.com/Foo/Bar/v2\tv2.1.0\th1:abc=\n"
			      "dep\tgolang.org/x/text\tv0.3.0\th1:x=\n"
			      "=>\tgolang.org/x/text\tv0.14.0\th1:y=\n"
			      "dep\texample.com/local\tv0.0.0-00010101000000-000000000000\n"
			      "=>\t../local\t(devel)\t\n"
			      "dep\t\t(devel)\n"
			      "build\t-compiler=gc\n";

static void framed(qn_buf *b, const char *text)
{
	qn_buf_add(b, go_start, 16);
	qn_buf_adds(b, text);
	qn_buf_add(b, go_end, 16);
}

static void uvarint(qn_buf *b, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		qn_buf_addc(b, (char)(v | 0x80));
	qn_buf_addc(b, (char)v);
}

/* Go 1.18+ layout: 32-byte header (flags 0x2), then length-prefixed version and module text. */
static void make_inline(qn_buf *b, const char *vers, const char *text)
{
	qn_buf_add(b, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN);
	qn_buf_addc(b, 8);
	qn_buf_addc(b, 2);
	for (int i = 0; i < 16; i++)
		qn_buf_addc(b, 0);
	uvarint(b, strlen(vers));
	qn_buf_adds(b, vers);
	qn_buf m = QN_BUF_INIT;
	framed(&m, text);
	uvarint(b, m.len);
	qn_buf_add(b, m.data, m.len);
	qn_buf_clear(&m);
}

static void put(uint8_t *b, size_t off, uint64_t v, int n, bool big)
{
	for (int i = 0; i < n; i++)
		b[off + (size_t)(big ? n - 1 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* Pre-1.18 layout inside a minimal ELF: one RW PT_LOAD maps the whole file at VA; the header at
 * 0x100 points to Go string headers at 0x200, whose data are at 0x300 and 0x400. */
#define VA 0x10000
static void make_ptr_elf(qn_buf *out, bool is64, bool big, const char *vers, const char *text)
{
	static uint8_t f[4096];
	memset(f, 0, sizeof(f));
	int w = is64 ? 8 : 4;
	size_t phoff = is64 ? 64 : 52, base = is64 ? 54 : 42;
	memcpy(f,
	       "\x7f"
	       "ELF",
	       4);
	f[4] = is64 ? 2 : 1;
	f[5] = big ? 2 : 1;
	f[6] = 1;
	put(f, 16, 2, 2, big);
	put(f, 18, is64 ? 62 : 8, 2, big);
	put(f, 20, 1, 4, big);
	put(f, is64 ? 32 : 28, phoff, w, big);
	put(f, base, is64 ? 56 : 32, 2, big);
	put(f, base + 2, 1, 2, big);
	put(f, phoff, 1, 4, big);
	if (is64) {
		put(f, phoff + 4, 6, 4, big);
		put(f, phoff + 16, VA, 8, big);
		put(f, phoff + 32, sizeof(f), 8, big);
		put(f, phoff + 40, sizeof(f), 8, big);
	} else {
		put(f, phoff + 8, VA, 4, big);
		put(f, phoff + 16, sizeof(f), 4, big);
		put(f, phoff + 20, sizeof(f), 4, big);
		put(f, phoff + 24, 6, 4, big);
	}
	memcpy(f + 0x100, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN);
	f[0x10e] = (uint8_t)w;
	f[0x10f] = big ? 1 : 0;
	put(f, 0x110, VA + 0x200, w, big);
	put(f, 0x110 + (size_t)w, VA + 0x200 + 2 * (size_t)w, w, big);
	memcpy(f + 0x300, vers, strlen(vers));
	put(f, 0x200, VA + 0x300, w, big);
	put(f, 0x200 + (size_t)w, strlen(vers), w, big);
	qn_buf m = QN_BUF_INIT;
	framed(&m, text);
	memcpy(f + 0x400, m.data, m.len);
	put(f, 0x200 + 2 * (size_t)w, VA + 0x400, w, big);
	put(f, 0x200 + 3 * (size_t)w, m.len, w, big);
	qn_buf_clear(&m);
	qn_buf_add(out, f, sizeof(f));
}

static void check_go(const qn_package *p, const char *name, const char *version, const char *purl, const char *gover)
{
	CHECK_INT(p->eco, QN_ECO_GO);
	CHECK_STR(p->name, name);
	if (version)
		CHECK_STR(p->version, version);
	else
		CHECK(p->version == NULL);
	if (purl)
		CHECK_STR(p->purl, purl);
	else
		CHECK(p->purl == NULL);
	CHECK_STR(p->go_version, gover);
	CHECK_STR(p->location, "usr/bin/app");
}

/* The packages modtext describes, built with Go version gover ("go1.21.5"). */
static void check_modtext(const qn_pkglist *l, const char *gover, const char *stdlib)
{
	CHECK_INT(l->n, 5);
	if (l->n != 5)
		return;
	check_go(&l->v[0], "example.com/app", "(devel)", "pkg:golang/example.com/app", gover);
	check_go(&l->v[1], "github.com/Foo/Bar/v2", "v2.1.0", "pkg:golang/github.com/foo/bar/v2@v2.1.0", gover);
	CHECK_STR(l->v[1].namespace_, "github.com/Foo/Bar");
	check_go(&l->v[2], "golang.org/x/text", "v0.14.0", "pkg:golang/golang.org/x/text@v0.14.0", gover);
	check_go(&l->v[3], "../local", NULL, NULL, gover);
	char purl[64];
	snprintf(purl, sizeof(purl), "pkg:golang/stdlib@%s", stdlib);
	check_go(&l->v[4], "stdlib", stdlib, purl, gover);
}

static void test_gobin_inline(void)
{
	qn_buf b = QN_BUF_INIT;
	make_inline(&b, "go1.21.5 X:boringcrypto", modtext);
	CHECK(qn_gobin_is_inline((const uint8_t *)b.data, b.len));
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), 1);
	CHECK(err == NULL);
	check_modtext(&l, "go1.21.5", "v1.21.5");
	qn_pkglist_clear(&l);
	/* found by the aligned search only: a copy of the magic at offset 8 does not count */
	qn_buf c = QN_BUF_INIT;
	qn_buf_add(&c, "01234567", 8);
	qn_buf_add(&c, QN_GOBIN_MAGIC "\x08\x02", 16);
	while (c.len % 16)
		qn_buf_addc(&c, 0);
	qn_buf_addc(&c, 0);
	while (c.len % 16)
		qn_buf_addc(&c, 0);
	size_t at = c.len;
	qn_buf_add(&c, b.data, b.len);
	CHECK(qn_gobin_find_magic((const uint8_t *)c.data, c.len) == (const uint8_t *)c.data + at);
	CHECK_INT(qn_gobin_parse((const uint8_t *)c.data, c.len, "usr/bin/app", &l, &err), 1);
	CHECK_INT(l.n, 5);
	qn_pkglist_clear(&l);
	qn_buf_clear(&c);
	/* truncated module text */
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len - 20, "usr/bin/app", &l, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "usr/bin/app: Go build info strings run outside the file");
	CHECK_INT(l.n, 0);
	qn_error_free(err);
	err = NULL;
	qn_buf_clear(&b);
	/* module text without its sentinels is dropped, as Go drops it; stdlib remains */
	qn_buf_add(&b, QN_GOBIN_MAGIC "\x08\x02", 16);
	for (int i = 0; i < 16; i++)
		qn_buf_addc(&b, 0);
	uvarint(&b, 8);
	qn_buf_adds(&b, "go1.22.0");
	uvarint(&b, 40);
	qn_buf_adds(&b, "mod\texample.com/x\tv1.0.0\t\n0123456789012345");
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), 1);
	CHECK_INT(l.n, 1);
	if (l.n == 1)
		check_go(&l.v[0], "stdlib", "v1.22.0", "pkg:golang/stdlib@v1.22.0", "go1.22.0");
	qn_pkglist_clear(&l);
	/* an empty version means no Go build info, as in Go's reader */
	b.data[32] = 0;
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, 34, "usr/bin/app", &l, &err), 0);
	qn_buf_clear(&b);
	CHECK(err == NULL);
}

static void test_gobin_pointer_format(void)
{
	for (int v = 0; v < 2; v++) {
		bool is64 = v == 0, big = v == 1;
		qn_buf b = QN_BUF_INIT;
		make_ptr_elf(&b, is64, big, "go1.16.15", modtext);
		CHECK(!qn_gobin_is_inline((const uint8_t *)b.data + 0x100, b.len - 0x100));
		qn_pkglist l = {0};
		qn_error *err = NULL;
		CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), 1);
		if (err)
			printf("# %s\n", err->msg);
		check_modtext(&l, "go1.16.15", "v1.16.15");
		qn_pkglist_clear(&l);
		/* the chunk alone cannot be followed */
		CHECK_INT(qn_gobin_parse((const uint8_t *)b.data + 0x100, b.len - 0x100, "usr/bin/app", &l, &err), -1);
		CHECK_CONTAINS(err ? err->msg : NULL, "needs the whole executable");
		qn_error_free(err);
		err = NULL;
		/* a pointer outside every segment */
		put((uint8_t *)b.data, 0x110, VA + 0x100000, is64 ? 8 : 4, big);
		CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), -1);
		CHECK_CONTAINS(err ? err->msg : NULL, "run outside the file");
		qn_error_free(err);
		err = NULL;
		b.data[0x10e] = 3;
		CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), -1);
		CHECK_CONTAINS(err ? err->msg : NULL, "pointer size 3");
		qn_error_free(err);
		CHECK_INT(l.n, 0);
		qn_buf_clear(&b);
	}
}

static void test_gobin_not_go(void)
{
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_gobin_parse(B("#!/bin/sh\necho hello\n"), "usr/bin/app", &l, &err), 0);
	CHECK_INT(qn_gobin_parse(B(""), "usr/bin/app", &l, &err), 0);
	/* an ELF file without build info (no writable segment holding the magic) */
	qn_buf b = QN_BUF_INIT;
	make_ptr_elf(&b, true, false, "go1.16.15", modtext);
	memset(b.data + 0x100, 0, 16);
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, b.len, "usr/bin/app", &l, &err), 0);
	/* a truncated ELF header is an error, not a silent miss */
	CHECK_INT(qn_gobin_parse((const uint8_t *)b.data, 20, "usr/bin/app", &l, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "usr/bin/app: ELF header is truncated");
	CHECK_INT(l.n, 0);
	qn_error_free(err);
	qn_buf_clear(&b);
}

/* Parses `go version -m` output into the packages we should report: main module, dependencies
 * with replacements applied ("(devel)" dropped for them), stdlib. Returns the count. */
typedef struct {
	char name[256], version[64];
} gomod_t;

static size_t go_expected(const char *text, gomod_t *m, size_t max, char *gover, size_t gover_len)
{
	size_t n = 0;
	const char *colon = strstr(text, ": ");
	if (!colon)
		return 0;
	snprintf(gover, gover_len, "%.*s", (int)strcspn(colon + 2, "\n "), colon + 2);
	for (const char *line = strchr(text, '\n'); line && *++line && n < max; line = strchr(line, '\n')) {
		char key[8] = "", path[256] = "", ver[64] = "";
		/* sscanf's "\t" would skip a whole empty line: only lines with content are read */
		if (line[0] != '\t' || line[1] == '\n' || !line[1] ||
		    sscanf(line, "\t%7[^\t\n]\t%255[^\t\n]\t%63[^\t\n]", key, path, ver) < 2)
			continue;
		bool is_main = strcmp(key, "mod") == 0;
		if (strcmp(key, "=>") == 0 && n > 1)
			n--; /* replaces the dependency before it */
		else if (!is_main && strcmp(key, "dep") != 0)
			continue;
		snprintf(m[n].name, sizeof(m[n].name), "%s", path);
		snprintf(m[n].version, sizeof(m[n].version), "%s", !is_main && strcmp(ver, "(devel)") == 0 ? "" : ver);
		n++;
	}
	snprintf(m[n].name, sizeof(m[n].name), "stdlib");
	snprintf(m[n].version, sizeof(m[n].version), "v%.*s", (int)strcspn(gover + 2, " "), gover + 2);
	return n + 1;
}

static void compare_go(const uint8_t *buf, size_t len, const gomod_t *want, size_t n_want, const char *gover)
{
	qn_pkglist l = {0};
	qn_error *err = NULL;
	CHECK_INT(qn_gobin_parse(buf, len, "usr/bin/app", &l, &err), 1);
	if (err)
		printf("# %s\n", err->msg);
	CHECK_INT(l.n, n_want);
	for (size_t i = 0; i < l.n && i < n_want; i++) {
		CHECK_STR(l.v[i].name, want[i].name);
		CHECK_STR(l.v[i].version ? l.v[i].version : "", want[i].version);
		CHECK_STR(l.v[i].go_version, gover);
	}
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].name, "example.com/other") == 0)
			CHECK_STR(l.v[i].purl, "pkg:golang/example.com/other@v1.2.3");
		if (strcmp(l.v[i].name, "../dep") == 0)
			CHECK(l.v[i].purl == NULL && l.v[i].version == NULL);
		if (strcmp(l.v[i].name, "example.com/app") == 0)
			CHECK_STR(l.v[i].purl, "pkg:golang/example.com/app");
	}
	qn_pkglist_clear(&l);
	qn_error_free(err);
}

static void write_str(const char *path, const char *s)
{
	tap_write(path, s, strlen(s));
}

/* A real binary from Debian's Go toolchain, built offline: one dependency replaced by a local
 * folder, one vendored; compared with what `go version -m` says about the same file. */
static void test_gobin_real(void)
{
	if (system("command -v go >/dev/null 2>&1") != 0) {
		printf("# SKIP go not installed (apt-get install golang-go)\n");
		return;
	}
	CHECK(system("mkdir -p dep app/vendor/example.com/other app/vendor/example.com/dep") == 0);
	write_str("dep/go.mod", "module example.com/dep\n\ngo 1.19\n");
	const char *dep_go = "package dep\n\nfunc Hello() string { return \"hi\" }\n";
	write_str("dep/dep.go", dep_go);
	write_str("app/vendor/example.com/dep/dep.go", dep_go);
	write_str("app/vendor/example.com/other/other.go", "package other\n\nfunc Name() string { return \"o\" }\n");
	write_str("app/go.mod", "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/dep v0.1.0\n"
				"\texample.com/other v1.2.3\n)\n\nreplace example.com/dep => ../dep\n");
	write_str("app/vendor/modules.txt", "# example.com/dep v0.1.0 => ../dep\n## explicit\nexample.com/dep\n"
					    "# example.com/other v1.2.3\n## explicit\nexample.com/other\n"
					    "# example.com/dep => ../dep\n");
	write_str("app/main.go", "package main\n\nimport (\n\t\"example.com/dep\"\n\t\"example.com/other\"\n)\n\n"
				 "func main() { println(dep.Hello(), other.Name()) }\n");
	const char *env = "env -i PATH=\"$PATH\" HOME=\"$PWD\" GOCACHE=\"$PWD/cache\" GOPATH=\"$PWD/gopath\" "
			  "GOPROXY=off GOFLAGS=-mod=vendor GOTOOLCHAIN=local CGO_ENABLED=0";
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd app && %s go build -o ../app.bin . && %s go build -ldflags='-s -w' -o ../strip.bin . "
		 "&& cd .. && go version -m app.bin > app.txt",
		 env, env);
	if (system(cmd) != 0) {
		CHECK(!"go build failed");
		return;
	}
	size_t tl = 0, bl = 0, sl = 0;
	qn_error *err = NULL;
	char *text = qn_read_file("app.txt", 1 << 20, &tl, &err);
	char *bin = qn_read_file("app.bin", 256 << 20, &bl, &err);
	char *strip = qn_read_file("strip.bin", 256 << 20, &sl, &err);
	CHECK(text && bin && strip);
	if (!text || !bin || !strip)
		return;
	gomod_t want[32];
	char gover[32];
	size_t n = go_expected(text, want, 30, gover, sizeof(gover));
	printf("# go version -m: %s, %zu packages expected\n", gover, n);
	CHECK_INT(n, 4); /* example.com/app, ../dep (replacing example.com/dep), example.com/other, stdlib */
	compare_go((const uint8_t *)bin, bl, want, n, gover);
	compare_go((const uint8_t *)strip, sl, want, n, gover);
	/* the streaming path: only the magic and the chunk after it */
	const uint8_t *m = qn_gobin_find_magic((const uint8_t *)bin, bl);
	CHECK(m != NULL);
	if (m) {
		size_t off = (size_t)(m - (const uint8_t *)bin);
		compare_go(m, QN_MIN(bl - off, QN_GOBIN_MAGIC_LEN + QN_GOBIN_CHUNK), want, n, gover);
	}
	free(text);
	free(bin);
	free(strip);
}

int main(void)
{
	TAP_RUN(test_python_metadata);
	TAP_RUN(test_python_pkginfo_classifiers);
	TAP_RUN(test_python_long_description);
	TAP_RUN(test_python_metadata_errors);
	TAP_RUN(test_python_record);
	TAP_RUN(test_python_installed_files);
	TAP_RUN(test_npm_basic);
	TAP_RUN(test_npm_scoped_and_licenses);
	TAP_RUN(test_npm_not_packages);
	TAP_RUN(test_jar_pom);
	TAP_RUN(test_jar_manifest);
	TAP_RUN(test_jar_file_name);
	TAP_RUN(test_jar_nested);
	TAP_RUN(test_jar_depth);
	TAP_RUN(test_jar_bomb);
	TAP_RUN(test_jar_corrupt_outer);
	TAP_RUN(test_jar_python_interop);
	TAP_RUN(test_gobin_inline);
	TAP_RUN(test_gobin_pointer_format);
	TAP_RUN(test_gobin_not_go);
	TAP_RUN(test_gobin_real);
	return tap_done();
}
