/* libquench pkg module: what is installed in an image. OS identity (os-release) and package
 * inventories: dpkg, apk, rpm, Python, Node, Java and Go.
 *
 * Every reader is a parser over bytes (testable and fuzzable); the inventory ties them to a
 * merged tree and attributes each package to the layer that introduced it. */
#ifndef QUENCH_PKG_H
#define QUENCH_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"
#include "quench/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- OS identity ---- */

/* OS identity from os-release(5). Any field may be NULL. */
typedef struct {
	char *id; /* "debian", "alpine" */
	char *id_like;
	char *name;
	char *pretty_name;
	char *version;
	char *version_id;       /* "12", "3.20.3" */
	char *version_codename; /* "bookworm" */
	char *source;           /* which file it came from ("usr/lib/os-release") */
} qn_os_info;

/* Parses os-release text (KEY=VALUE lines, shell-style quoting). Never fails: lines that do not
 * parse are skipped. Fills out (clear it with qn_os_info_clear). */
void qn_osrelease_parse(const uint8_t *buf, size_t len, qn_os_info *out);
void qn_os_info_clear(qn_os_info *os);
/* Finds etc/os-release (following symlinks inside the image) or usr/lib/os-release in a tree
 * whose build captured them (see qn_os_capture). Returns 0 when found, -1 when the image has
 * none (out is left empty). */
int qn_os_detect(const qn_tree *t, qn_os_info *out);
/* Capture limit for os-release files, for use inside a qn_capture_fn: returns a byte limit for
 * the paths qn_os_detect reads, else 0. */
size_t qn_os_capture(const char *path);

/* ---- packages ---- */

typedef enum {
	QN_ECO_DEB = 1, /* dpkg */
	QN_ECO_APK,
	QN_ECO_RPM,
	QN_ECO_PYPI,
	QN_ECO_NPM,
	QN_ECO_MAVEN,
	QN_ECO_GO, /* Go modules, and the Go toolchain ("stdlib") of a binary */
} qn_ecosystem;

/* "deb", "apk", "rpm", "pypi", "npm", "maven", "golang" (the purl type). */
const char *qn_ecosystem_name(qn_ecosystem e);

typedef struct {
	char *path;    /* canonical image path, no leading slash */
	uint64_t size; /* bytes as recorded by the package database (0 when unknown) */
	char *digest;  /* as recorded ("md5:..", "sha256:.."), or NULL */
} qn_pkg_file;

typedef struct {
	char *name;               /* the package name depended on */
	char *version_constraint; /* raw constraint text ("(>= 2.36)"), or NULL */
	bool alternative;         /* an alternative to the entry before it (dpkg "a | b": b) */
} qn_pkg_dep;

/* One installed package. Strings are owned by the package; NULL means unknown. */
typedef struct qn_package {
	qn_ecosystem eco;
	char *name;
	char *version;        /* as the database records it (dpkg: [epoch:]upstream[-revision]) */
	char *source_name;    /* dpkg Source, apk origin, rpm source rpm name */
	char *source_version; /* dpkg Source "(version)", else the binary's version */
	char *arch;
	char *license;     /* declared licence text or SPDX expression */
	char *maintainer;  /* dpkg Maintainer, apk maintainer, rpm packager, author */
	char *description; /* one line */
	char *homepage;
	char *purl;       /* Package URL */
	char *location;   /* where its metadata lives ("var/lib/dpkg/status") */
	char *namespace_; /* purl namespace: distro id, Maven groupId, Go module path prefix */
	qn_pkg_file *files;
	size_t n_files;
	qn_pkg_dep *deps;
	size_t n_deps;
	char **provides; /* virtual names it provides (dpkg Provides, apk p:), no versions */
	size_t n_provides;
	int layer; /* the layer that introduced it (-1 unknown) */
	/* Go binaries: the Go toolchain version that built it ("go1.22.3") */
	char *go_version;
} qn_package;

void qn_package_clear(qn_package *p);

/* A growable list of packages (the result of every reader). */
typedef struct {
	qn_package *v;
	size_t n, cap;
} qn_pkglist;

/* Appends a zeroed package and returns it (owned by the list). */
qn_package *qn_pkglist_add(qn_pkglist *l);
void qn_pkglist_clear(qn_pkglist *l);

/* ---- the inventory of an image ---- */

typedef struct qn_inventory qn_inventory;

/* The capture rule an inventory needs: pass it as the tree's capture function (ud unused) so the
 * package databases, language metadata, archives and Go build info are kept while layers stream
 * by. OS databases are captured with history, for layer attribution. */
qn_capture qn_inventory_capture(void *ud, const char *path, uint64_t size, uint32_t mode);

/* Reads every package database and language manifest of a tree built with
 * qn_inventory_capture: dpkg (status, status.d, info lists, md5sums, copyright), apk, rpm
 * (sqlite rpmdb; Berkeley DB and NDB give a warning), Python, Node, Java, Go binaries. Files
 * owned by an OS package do not also produce language packages. Each package gets its files
 * (canonical resolved paths present in the image, with sizes), its purl and the layer that
 * introduced its installed version (from the databases as each layer left them). Packages are sorted by
 * ecosystem, name, version and architecture. Unreadable databases become warnings. */
qn_inventory *qn_inventory_build(const qn_tree *t, qn_error **err);
void qn_inventory_free(qn_inventory *inv);
const qn_os_info *qn_inventory_os(const qn_inventory *inv);
size_t qn_inventory_count(const qn_inventory *inv);
const qn_package *qn_inventory_get(const qn_inventory *inv, size_t i);
size_t qn_inventory_warning_count(const qn_inventory *inv);
const char *qn_inventory_warning(const qn_inventory *inv, size_t i);
/* The OS package that owns a canonical path (resolved, not a folder), or NULL. */
const qn_package *qn_inventory_owner(const qn_inventory *inv, const char *path);

#ifdef __cplusplus
}
#endif
#endif
