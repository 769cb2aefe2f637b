/* harden module: globs, the keep walk, package fates and the honest dpkg and apk databases, on
 * small root folders built by the test (merged /usr, apk, distroless status.d; dir: source, no
 * runtime needed). */
#include <sys/stat.h>

#include "harden/harden_int.h"
#include "tap.h"

static void test_glob(void)
{
	CHECK(qn_path_glob_match("usr/share/doc/**", "usr/share/doc/apt/copyright"));
	CHECK(qn_path_glob_match("/usr/share/doc/**", "usr/share/doc/apt"));
	CHECK(!qn_path_glob_match("usr/share/doc/**", "usr/share/doc")); /* below it, not itself */
	CHECK(!qn_path_glob_match("usr/share/doc/**", "usr/share/docs/x"));
	CHECK(qn_path_glob_match("usr/bin/pip3*", "usr/bin/pip3.11"));
	CHECK(!qn_path_glob_match("usr/bin/*", "usr/bin/x/y")); /* '*' does not cross folders */
	CHECK(
	    qn_path_glob_match("usr/lib/python3*/site-packages/pip/**", "usr/lib/python3.11/site-packages/pip/a/b.py"));
	CHECK(qn_path_glob_match("**/*.pyc", "usr/lib/python3.11/__pycache__/os.cpython-311.pyc"));
	CHECK(!qn_path_glob_match("**/*.pyc", "usr/lib/python3.11/os.py"));
}

static void put(const char *path, const char *text)
{
	char *dir = xstrdup(path);
	for (char *p = strchr(dir, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		mkdir(dir, 0755);
		*p = '/';
	}
	free(dir);
	CHECK(qn_write_file_atomic(path, text, strlen(text), 0644, NULL) == 0);
}

#define PARA(name, extra)                                                                            \
	"Package: " name "\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n" extra \
	"Description: x\n\n"

/* root/: lib -> usr/lib (merged /usr). libfoo lists /lib and a library below it; bar lists /lib
 * and /usr/bin/bar; doclink ships a symlink to a folder and nothing below it. */
static void make_root(void)
{
	mkdir("root", 0755);
	put("root/usr/lib/x86_64-linux-gnu/libfoo.so.1", "\x7f"
							 "ELF not really");
	put("root/usr/share/doc/libfoo/copyright", "licence");
	put("root/usr/bin/bar", "#!/nonexistent\n");
	put("root/usr/share/doc/bar/copyright", "licence");
	put("root/usr/share/doc/target/README", "x");
	CHECK(symlink("usr/lib", "root/lib") == 0);
	CHECK(symlink("target", "root/usr/share/doc/doclink") == 0);
	put("root/var/lib/dpkg/status", PARA("libfoo", "") PARA("bar", "Depends: libfoo\n") PARA("doclink", ""));
	put("root/var/lib/dpkg/info/libfoo:amd64.list",
	    "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libfoo.so.1\n"
	    "/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/libfoo\n"
	    "/usr/share/doc/libfoo/copyright\n");
	put("root/var/lib/dpkg/info/libfoo:amd64.md5sums", "");
	put("root/var/lib/dpkg/info/bar:amd64.list",
	    "/.\n/lib\n/usr\n/usr/bin\n/usr/bin/bar\n/usr/share/doc/bar/copyright\n");
	put("root/var/lib/dpkg/info/bar:amd64.postinst", "#!/bin/sh\n");
	put("root/var/lib/dpkg/info/doclink:amd64.list",
	    "/.\n/usr\n/usr/share\n/usr/share/doc\n/usr/share/doc/doclink\n");
}

static const qn_pkg_state *state_of(const qn_hardening *h, const char *name)
{
	for (size_t i = 0; i < h->n_pkgs; i++)
		if (!strcmp(h->pkgs[i].pkg->name, name))
			return &h->pkgs[i];
	return NULL;
}

/* Runs the package steps over root folder DIR with KEEP kept by the profile. */
static bool harden_pkgs(qn_hardening *h, qn_image **img, const char *dir, const char *const *keep)
{
	qn_error *err = NULL;
	_cleanup_free_ char *ref = xasprintf("dir:%s", dir);
	*img = qn_image_open(ref, NULL, &err);
	CHECK(*img);
	if (!*img) {
		qn_error_free(err);
		return false;
	}
	qn_tree_opts to = {.capture = qn_inventory_capture};
	h->img = *img;
	h->tree = qn_tree_build(*img, &to, &err);
	h->inv = h->tree ? qn_inventory_build(h->tree, &err) : NULL;
	CHECK(h->inv);
	qn_error_free(err);
	if (!h->inv)
		return false;
	qn_keep_init(&h->keep, h->tree);
	for (size_t i = 0; keep[i]; i++)
		CHECK(qn_keep_path(&h->keep, keep[i], true, "profile"));
	qn_harden_package_states(h);
	qn_harden_keep_package_metadata(h);
	qn_harden_package_states(h);
	qn_harden_rewrite_pkgdb(h);
	return true;
}

static void test_packages(void)
{
	make_root();
	qn_harden_opts o = {.rules = QN_RULE_ALL};
	qn_hardening h = {.o = &o, .rootfd = -1, .exit_status = -1};
	qn_image *img = NULL;
	/* the profile saw the library, through the /lib link, and nothing of bar or doclink */
	static const char *const keep[] = {"lib/x86_64-linux-gnu/libfoo.so.1", NULL};
	if (!harden_pkgs(&h, &img, "root", keep)) {
		qn_harden_free_state(&h);
		qn_image_free(img);
		return;
	}
	CHECK(qn_keep_has(&h.keep, "lib"));
	CHECK(qn_keep_has(&h.keep, "usr/lib/x86_64-linux-gnu/libfoo.so.1"));
	const qn_pkg_state *foo = state_of(&h, "libfoo"), *bar = state_of(&h, "bar"), *dl = state_of(&h, "doclink");
	CHECK(foo && bar && dl);
	if (foo && bar && dl) {
		/* libfoo keeps its library, not its copyright: trimmed 1 of 2 (/lib is a folder) */
		CHECK_INT(foo->state, QN_PKG_TRIMMED);
		CHECK_INT(foo->kept_files, 1);
		CHECK_INT(foo->total_files, 2);
		/* bar's only "file" left would be the /lib link, which dpkg sees as a folder */
		CHECK_INT(bar->state, QN_PKG_REMOVED);
		CHECK_INT(bar->total_files, 2);
		/* a symlink a package really ships is one of its files */
		CHECK_INT(dl->total_files, 1);
		CHECK_INT(dl->state, QN_PKG_REMOVED);
	}
	CHECK(!qn_keep_has(&h.keep, "usr/share/doc/libfoo/copyright"));
	CHECK(qn_keep_has(&h.keep, "var/lib/dpkg/info/libfoo:amd64.list"));
	CHECK(!qn_keep_has(&h.keep, "var/lib/dpkg/info/bar:amd64.list"));
	CHECK(!qn_keep_has(&h.keep, "var/lib/dpkg/info/bar:amd64.postinst"));
	const qn_blob *st = qn_harden_content(&h, "var/lib/dpkg/status");
	CHECK(st);
	if (st) {
		_cleanup_free_ char *text = xstrndup((const char *)st->data, st->len);
		CHECK_STR(text, PARA("libfoo", ""));
	}
	qn_harden_free_state(&h);
	qn_image_free(img);
}

/* With the doclink symlink kept, its package stays (kept: its one file is there). */
static void test_shipped_link(void)
{
	make_root();
	qn_error *err = NULL;
	qn_image *img = qn_image_open("dir:root", NULL, &err);
	CHECK(img);
	if (!img)
		return;
	qn_harden_opts o = {.rules = QN_RULE_ALL};
	qn_hardening h = {.img = img, .o = &o, .rootfd = -1, .exit_status = -1};
	qn_tree_opts to = {.capture = qn_inventory_capture};
	h.tree = qn_tree_build(img, &to, &err);
	h.inv = h.tree ? qn_inventory_build(h.tree, &err) : NULL;
	if (h.inv) {
		qn_keep_init(&h.keep, h.tree);
		qn_keep_path(&h.keep, "usr/share/doc/doclink", false, "profile");
		qn_harden_package_states(&h);
		const qn_pkg_state *dl = state_of(&h, "doclink");
		CHECK(dl && dl->state == QN_PKG_KEPT);
		CHECK(!qn_keep_has(&h.keep, "usr/share/doc/target/README"));
	}
	qn_harden_free_state(&h);
	qn_image_free(img);
	qn_error_free(err);
}

#define APK(name, file) "P:" name "\nV:1.0-r0\nA:x86_64\no:" name "\nL:MIT\nF:bin\nR:" file "\n\n"

/* apk: the record of a package with no file left leaves lib/apk/db/installed; the others stay
 * byte for byte, in their order. */
static void test_apk_db(void)
{
	mkdir("apkroot", 0755);
	put("apkroot/etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n");
	put("apkroot/bin/busybox", "x");
	put("apkroot/bin/sh2", "x");
	put("apkroot/bin/keepme", "x");
	put("apkroot/lib/apk/db/installed", APK("busybox", "busybox") APK("sh2", "sh2") APK("keepme", "keepme"));
	qn_harden_opts o = {.rules = QN_RULE_ALL};
	qn_hardening h = {.o = &o, .rootfd = -1, .exit_status = -1};
	qn_image *img = NULL;
	static const char *const keep[] = {"bin/busybox", "bin/keepme", NULL};
	if (harden_pkgs(&h, &img, "apkroot", keep)) {
		const qn_pkg_state *bb = state_of(&h, "busybox"), *sh = state_of(&h, "sh2");
		CHECK(bb && bb->state == QN_PKG_KEPT);
		CHECK(sh && sh->state == QN_PKG_REMOVED);
		const qn_blob *db = qn_harden_content(&h, "lib/apk/db/installed");
		CHECK(db);
		if (db) {
			_cleanup_free_ char *text = xstrndup((const char *)db->data, db->len);
			CHECK_STR(text, APK("busybox", "busybox") APK("keepme", "keepme"));
		}
		CHECK(qn_keep_has(&h.keep, "lib/apk/db/installed"));
	}
	qn_harden_free_state(&h);
	qn_image_free(img);
}

/* distroless status.d: a removed package's paragraph file and its md5sums leave the image; a
 * kept package keeps both. */
static void test_status_d(void)
{
	mkdir("dlroot", 0755);
	put("dlroot/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
	put("dlroot/usr/share/zoneinfo/UTC", "TZif");
	put("dlroot/etc/debian_version", "12.8\n");
	put("dlroot/var/lib/dpkg/status.d/tzdata", PARA("tzdata", ""));
	put("dlroot/var/lib/dpkg/status.d/tzdata.md5sums",
	    "0123456789abcdef0123456789abcdef  usr/share/zoneinfo/UTC\n");
	put("dlroot/var/lib/dpkg/status.d/base-files", PARA("base-files", ""));
	put("dlroot/var/lib/dpkg/status.d/base-files.md5sums",
	    "0123456789abcdef0123456789abcdef  etc/debian_version\n");
	qn_harden_opts o = {.rules = QN_RULE_ALL};
	qn_hardening h = {.o = &o, .rootfd = -1, .exit_status = -1};
	qn_image *img = NULL;
	static const char *const keep[] = {"etc/debian_version", NULL};
	if (harden_pkgs(&h, &img, "dlroot", keep)) {
		const qn_pkg_state *tz = state_of(&h, "tzdata"), *bf = state_of(&h, "base-files");
		CHECK(tz && tz->state == QN_PKG_REMOVED);
		CHECK(bf && bf->state == QN_PKG_KEPT);
		CHECK(!qn_keep_has(&h.keep, "var/lib/dpkg/status.d/tzdata"));
		CHECK(!qn_keep_has(&h.keep, "var/lib/dpkg/status.d/tzdata.md5sums"));
		CHECK(qn_strset_has(&h.dropped_db, "var/lib/dpkg/status.d/tzdata"));
		CHECK(qn_keep_has(&h.keep, "var/lib/dpkg/status.d/base-files"));
		CHECK(qn_keep_has(&h.keep, "var/lib/dpkg/status.d/base-files.md5sums"));
	}
	qn_harden_free_state(&h);
	qn_image_free(img);
}

int main(void)
{
	TAP_RUN(test_glob);
	TAP_RUN(test_packages);
	TAP_RUN(test_shipped_link);
	TAP_RUN(test_apk_db);
	TAP_RUN(test_status_d);
	return tap_done();
}
