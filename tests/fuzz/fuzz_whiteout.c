/* Fuzz target: merging layers — whiteouts, opaque folders, hardlinks, symlinked parents and
 * replacements. The input is a sequence of tar streams separated by "QNLAYER!"; each is staged
 * and merged in order. After merging, every node must be found again under its own path. */
#include "tree/tree_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_entry(void *ud, const qn_tar_entry *e, qn_error **err)
{
	return qn_stage_entry(ud, e, err);
}
static int s_data(void *ud, const void *p, size_t n, qn_error **err)
{
	return qn_stage_data(ud, p, n, err);
}
static int s_end(void *ud, qn_error **err)
{
	return qn_stage_entry_end(ud, err);
}
static const qn_tar_callbacks cb = {s_entry, s_data, s_end};

static qn_capture capture_all(void *ud, const char *path, uint64_t size, uint32_t mode)
{
	(void)ud, (void)size;
	/* executables exercise the Go build-info scan, the rest whole capture with history */
	if (mode & 0111)
		return (qn_capture){QN_CAPTURE_GO_BUILDINFO, 256, false};
	return (qn_capture){QN_CAPTURE_WHOLE, 64, path[0] == 'v'};
}

static int check_node(void *ud, const qn_node *n, const char *path)
{
	const qn_tree *t = ud;
	if (qn_tree_lookup(t, path) != n)
		__builtin_trap();
	/* nothing may live below a symlink */
	if (n->parent && n->parent->type != QN_NODE_DIR)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "QNLAYER!";
	qn_tree *t = qn_tree_new();
	qn_error *err = NULL;
	int rc = 0, layer = 0;
	size_t pos = 0;
	while (pos <= size && rc == 0 && layer < 8) {
		const uint8_t *end = memmem(data + pos, size - pos, sep, 8);
		size_t n = end ? (size_t)(end - (data + pos)) : size - pos;
		qn_stage *st = qn_stage_new(layer, 4096, capture_all, NULL);
		qn_tar_limits lim = {4096, 65536};
		qn_tar_reader *r = qn_tar_reader_new(&cb, st, &lim, "fuzz");
		rc = qn_tar_reader_feed(r, data + pos, n, &err);
		if (rc == 0)
			rc = qn_tar_reader_finish(r, &err);
		if (rc == 0)
			rc = qn_tree_merge(t, st, &err);
		qn_tar_reader_free(r);
		qn_stage_free(st);
		layer++;
		if (!end)
			break;
		pos += n + 8;
	}
	if (rc == 0 && qn_tree_finish(t, &err) == 0)
		qn_tree_walk(t, check_node, t);
	if ((rc < 0 && !err) || (err && strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
	qn_tree_free(t);
	return 0;
}
