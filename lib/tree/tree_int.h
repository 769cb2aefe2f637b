/* Inside the tree module: staging a layer's entries (on worker threads) and merging staged
 * layers into the tree in order (on one thread). Exposed for unit tests and fuzz targets. */
#ifndef QN_TREE_INT_H
#define QN_TREE_INT_H

#include "image/tar.h"
#include "quench/tree.h"

typedef struct qn_stage qn_stage;

qn_tree *qn_tree_new(void);
/* A stage collects one layer's entries; it checks what can be checked without the lower
 * layers (path form, whiteout names, device placement). */
qn_stage *qn_stage_new(int layer, size_t max_path, qn_capture_fn capture, void *capture_ud);
void qn_stage_free(qn_stage *s);
int qn_stage_entry(qn_stage *s, const qn_tar_entry *e, qn_error **err);
int qn_stage_data(qn_stage *s, const void *p, size_t n, qn_error **err);
int qn_stage_entry_end(qn_stage *s, qn_error **err);
/* Applies a stage to the tree: its whiteouts first (they hide lower layers only), then its
 * entries in order. The stage is emptied (content moves into the tree). */
int qn_tree_merge(qn_tree *t, qn_stage *s, qn_error **err);
/* After the last merge: refuses symlink loops, computes folder sizes and statistics. */
int qn_tree_finish(qn_tree *t, qn_error **err);

#endif
