/* Inside the verify module: the state of one verification, shared by verify.c (phases and the
 * document), vrun.c (running the probes on one image) and facts.c (packages, paths, sizes). */
#ifndef QN_VERIFY_INT_H
#define QN_VERIFY_INT_H

#include "quench/pkg.h"
#include "quench/tree.h"
#include "quench/verify.h"
#include "run/run.h"
#include "util/json.h"
#include "util/strset.h"
#include "util/util.h"

typedef struct {
	qn_image *img;
	const char *which; /* "original" or "hardened" */
	qn_tree *tree;
	qn_inventory *inv;
	char *rootfs;
	json_t *results;   /* one object per probe, in probe order */
	bool trace;        /* run under the ptrace recorder */
	qn_strset seen;    /* paths looked up -> label of the probe that looked first (borrowed
			    * from the probe list, or "command") */
	qn_strset created; /* looked-up paths the image lacks that the run created (or removed) */
	int exit_status;   /* of the image's command, -1 when it was stopped */
	char *stopped_by;
} qn_verify_side;

typedef struct {
	const qn_verify_opts *o;
	char *workdir;
	qn_verify_norm *norm;
	qn_verify_side a, b;
	qn_ptrvec warnings; /* char * */
} qn_verifying;

void qn_verify_warn(qn_verifying *v, const char *fmt, ...) QN_PRINTF(2, 3);

/* run.c: runs the probes (and the image's command) on one side; fills side->results and, with
 * trace, side->seen. Returns -1 with err only when the runtime could not be used at all. */
int qn_verify_run_side(qn_verifying *v, qn_verify_side *s, qn_error **err);

/* facts.c */
json_t *qn_verify_image_facts(const qn_verify_side *s);
json_t *qn_verify_packages(const qn_verify_side *a, const qn_verify_side *b, bool *honest);
json_t *qn_verify_paths(const qn_verify_side *a, const qn_verify_side *b);
json_t *qn_verify_missing(const qn_verify_side *a, const qn_verify_side *b);

#endif
