/* Streaming an image's layers: every layer is read once, decompressed, hashed (blob digest and
 * diff_id) and parsed as tar, with entries handed to a visitor. Layers run in parallel on worker
 * threads; within a compressed layer, inflating and tar parsing run on two threads. */
#ifndef QN_LAYERS_H
#define QN_LAYERS_H

#include "quench/image.h"
#include "tar.h"

typedef struct {
	/* Called on the worker thread before layer i is read; returns a per-layer context (may be
	 * NULL) passed to the other callbacks. Return NULL with *err set to fail. */
	void *(*layer_begin)(void *ud, size_t i, qn_error **err);
	/* Entry callbacks as in qn_tar_callbacks, with the per-layer context. */
	int (*entry)(void *lctx, const qn_tar_entry *e, qn_error **err);
	int (*data)(void *lctx, const void *p, size_t n, qn_error **err);
	int (*entry_end)(void *lctx, qn_error **err);
	/* The layer was read completely and its digests verified. */
	int (*layer_end)(void *lctx, qn_error **err);
	/* The layer failed or was cancelled; release lctx. */
	void (*layer_abort)(void *lctx);
} qn_layer_visitor;

/* Reads all layers (in parallel), calling the visitor for each. Callbacks for different layers
 * may run concurrently; callbacks of one layer run on one thread, in order. On failure the
 * error of the lowest-numbered failing layer is returned. Fills the layers' read statistics. */
int qn_image_read_layers(qn_image *img, const qn_layer_visitor *v, void *ud, qn_error **err);
/* Reads only the listed layers (indices in `which`, n of them), in parallel. */
int qn_image_read_some_layers(qn_image *img, const size_t *which, size_t n, const qn_layer_visitor *v, void *ud,
			      qn_error **err);

/* dir: sources: walks the folder and presents it as one layer through the same visitor.
 * Symlinks are never followed; files are opened with O_NOFOLLOW relative to their folder. */
int qn_dirsrc_read(const char *root, const qn_limits *lim, const qn_layer_visitor *v, void *ud, qn_layer_info *info,
		   qn_error **err);

#endif
