/* Inside the harden module: the state of one hardening run, shared by harden.c (phases),
 * profile.c (running and recording), rules.c (essentials and default rules), pkgdb.c (package
 * database rewrite), assemble.c (the new image) and hreport.c (the report). */
#ifndef QN_HARDEN_INT_H
#define QN_HARDEN_INT_H

#include <strings.h>

#include "closure.h"
#include "keep.h"
#include "quench/harden.h"
#include "quench/pkg.h"
#include "quench/tree.h"
#include "run/run.h"
#include "util/json.h"
#include "util/strset.h"

typedef enum { QN_PKG_KEPT = 0, QN_PKG_TRIMMED, QN_PKG_REMOVED } qn_pkg_status;

typedef struct {
	const qn_package *pkg;
	qn_pkg_status state;
	size_t kept_files, total_files;
	uint64_t kept_bytes, total_bytes;
} qn_pkg_state;

typedef struct {
	unsigned rule; /* QN_RULE_* */
	const char *name;
	size_t files_removed; /* files of the category left out */
	uint64_t bytes_removed;
	size_t files_used; /* files of the category kept because the profile used them */
	bool switched_off;
} qn_rule_stat;

typedef struct {
	double unpack, run, trace, closure, write, total;
} qn_harden_times;

typedef struct {
	qn_image *img;
	const qn_harden_opts *o;
	qn_tree *tree;
	qn_inventory *inv;
	char *workdir, *rootfs;
	int rootfd;
	qn_keep keep;
	qn_strset profile;  /* canonical paths the container touched (that exist in the image) */
	size_t profile_raw; /* paths recorded before filtering to the image */
	size_t fan_paths, ptrace_paths;
	qn_strset contents;     /* path -> qn_blob * (rewritten file contents) */
	qn_strset rewritten;    /* paths whose content was rewritten */
	qn_strset dropped_db;   /* package database files removed with their packages */
	qn_strset excluded;     /* paths removed by --exclude */
	qn_strset folder_links; /* symlinks that dpkg lists as folders (pkgdb.c) */
	bool folder_links_done;
	qn_pkg_state *pkgs;
	size_t n_pkgs;
	qn_rule_stat rules[7];
	size_t setuid_stripped;
	json_t *probes; /* array of probe results */
	bool probes_ok;
	int exit_status;    /* of the image's own command, or -1 */
	char *stopped_by;   /* how the profile run ended */
	qn_ptrvec warnings; /* char * */
	qn_harden_times t;
	char *out_digest;
	uint64_t size_before, size_after;
	long ldcache_before, ldcache_after; /* entries of etc/ld.so.cache, or -1 (not kept or unreadable) */
} qn_hardening;

typedef struct {
	unsigned char *data;
	size_t len;
} qn_blob;

void qn_harden_warn(qn_hardening *h, const char *fmt, ...) QN_PRINTF(2, 3);
void qn_harden_set_content(qn_hardening *h, const char *path, unsigned char *data, size_t len);
const qn_blob *qn_harden_content(const qn_hardening *h, const char *path);
/* Frees everything a hardening run holds (the work folder is removed), not h itself. */
void qn_harden_free_state(qn_hardening *h);

/* profile.c: runs the image with the probes and fills h->profile and h->probes. */
int qn_harden_profile(qn_hardening *h, qn_error **err);
/* rules.c: essentials, category switches and --include/--exclude. */
void qn_harden_essentials(qn_hardening *h);
void qn_harden_rules_before(qn_hardening *h);
void qn_harden_tls_trust(qn_hardening *h);
void qn_harden_loader_config(qn_hardening *h);
void qn_harden_rule_stats(qn_hardening *h);
void qn_harden_excludes(qn_hardening *h);
/* closure over the current keep set (ELF + shebang). */
int qn_harden_closure(qn_hardening *h, qn_error **err);
/* Rewrites a kept etc/ld.so.cache with only the entries whose library stays (harden.c). */
void qn_harden_ldcache(qn_hardening *h);
/* pkgdb.c */
void qn_harden_package_states(qn_hardening *h);
void qn_harden_keep_package_metadata(qn_hardening *h);
void qn_harden_rewrite_pkgdb(qn_hardening *h);
/* assemble.c: writes the image; fills out_digest and size_after. */
int qn_harden_write(qn_hardening *h, qn_error **err);
/* hreport.c */
json_t *qn_harden_report(qn_hardening *h);

#endif
