/* Inside the inventory: shared between inventory.c (capture rules, orchestration, accessors),
 * inv_os.c (dpkg, apk, rpm) and inv_lang.c (Python, Node, Java, Go). */
#ifndef QN_INVENTORY_INT_H
#define QN_INVENTORY_INT_H

#include "osdb.h"
#include "quench/pkg.h"
#include "util/strset.h"

struct qn_inventory {
	qn_os_info os;
	qn_pkglist pkgs;
	qn_osdb_warnings warn;
	qn_strset owned; /* canonical path -> index + 1 of the OS package that owns it */
};

/* Content of a final file in the tree (captured), or NULL. */
const qn_node *qn_inv_file(const qn_tree *t, const char *path);
/* Replaces each file's path by the canonical path it resolves to (parents followed, the last
 * component not), drops folders and files absent from the image, fills sizes, de-duplicates. */
void qn_inv_resolve_files(const qn_tree *t, qn_package *p);

int qn_inv_dpkg(qn_inventory *inv, const qn_tree *t, qn_error **err);
int qn_inv_apk(qn_inventory *inv, const qn_tree *t, qn_error **err);
int qn_inv_rpm(qn_inventory *inv, const qn_tree *t, qn_error **err);
int qn_inv_lang(qn_inventory *inv, const qn_tree *t, qn_error **err);

/* Records the files of packages [from, inv->pkgs.n) as owned (first owner wins). */
void qn_inv_mark_owned(qn_inventory *inv, size_t from);

#endif
