/* Building a tree from an image: each layer is staged on its worker thread while it streams,
 * and the staged layers are merged in order once all of them were read and verified. */
#include "image/layers.h"
#include "stage.h"

typedef struct {
	qn_stage **stages;
	size_t max_path;
	const qn_tree_opts *opts;
} build_ctx;

static void *v_begin(void *ud, size_t i, qn_error **err)
{
	(void)err;
	build_ctx *b = ud;
	b->stages[i] =
	    qn_stage_new((int)i, b->max_path, b->opts ? b->opts->capture : NULL, b->opts ? b->opts->capture_ud : NULL);
	return b->stages[i];
}

static int v_entry(void *l, const qn_tar_entry *e, qn_error **err)
{
	return qn_stage_entry(l, e, err);
}
static int v_data(void *l, const void *p, size_t n, qn_error **err)
{
	return qn_stage_data(l, p, n, err);
}
static int v_entry_end(void *l, qn_error **err)
{
	return qn_stage_entry_end(l, err);
}

static const qn_layer_visitor visitor = {
    .layer_begin = v_begin,
    .entry = v_entry,
    .data = v_data,
    .entry_end = v_entry_end,
};

qn_tree *qn_tree_build(qn_image *img, const qn_tree_opts *opts, qn_error **err)
{
	size_t n = qn_image_layer_count(img);
	build_ctx b = {.opts = opts, .max_path = (size_t)qn_image_limits(img)->max_path};
	b.stages = xcalloc(n ? n : 1, sizeof(qn_stage *));
	qn_tree *t = NULL;
	if (qn_image_read_layers(img, &visitor, &b, err) == 0) {
		t = qn_tree_new();
		for (size_t i = 0; i < n && t; i++) {
			if (qn_tree_merge(t, b.stages[i], err) < 0) {
				qn_tree_free(t);
				t = NULL;
			}
		}
		if (t && qn_tree_finish(t, err) < 0) {
			qn_tree_free(t);
			t = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		qn_stage_free(b.stages[i]);
	free(b.stages);
	return t;
}
