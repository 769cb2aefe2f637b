/* Unit tests: merging layers into the tree (whiteouts, opaque folders, replacement, hardlinks,
 * escapes), resolution, content capture (whole, Go build-info scan) and layer snapshots. */
#include "image/tarwrite.h"
#include "tap.h"
#include "tree/tree_int.h"

typedef struct {
	qn_buf buf;
	qn_tarw w;
} layer_t;

static void l_init(layer_t *l)
{
	memset(l, 0, sizeof(*l));
	qn_tarw_init(&l->w, qn_tarw_sink_buf, &l->buf);
}

static void l_add(layer_t *l, qn_tar_type type, const char *path, const char *link_or_data, uint32_t mode)
{
	qn_tar_entry e = {.path = path, .linkname = "", .type = type, .mode = mode};
	if (type == QN_TAR_REG)
		e.size = strlen(link_or_data);
	else if (link_or_data)
		e.linkname = link_or_data;
	if (type == QN_TAR_CHR)
		e.devmajor = 1, e.devminor = 3;
	CHECK(qn_tarw_header(&l->w, &e, NULL) == 0);
	if (type == QN_TAR_REG)
		CHECK(qn_tarw_data(&l->w, link_or_data, e.size, NULL) == 0);
	CHECK(qn_tarw_end_entry(&l->w, NULL) == 0);
}

static qn_capture cap(void *ud, const char *path, uint64_t size, uint32_t mode)
{
	(void)ud, (void)size;
	if (mode & 0100)
		return (qn_capture){QN_CAPTURE_GO_BUILDINFO, 64, false};
	if (!strcmp(path, "etc/status"))
		return (qn_capture){QN_CAPTURE_WHOLE, 1024, true};
	return (qn_capture){QN_CAPTURE_WHOLE, 4, false};
}

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

/* Merges layers (feeding each in chunks of `chunk` bytes); returns 0 or -1 with err. */
static int merge(qn_tree *t, layer_t *ls, int n, size_t chunk, qn_error **err)
{
	for (int i = 0; i < n; i++) {
		qn_tarw_finish(&ls[i].w, NULL);
		qn_stage *st = qn_stage_new(i, 4096, cap, NULL);
		qn_tar_limits lim = {4096, 1 << 20};
		qn_tar_reader *r = qn_tar_reader_new(&cb, st, &lim, "t");
		int rc = 0;
		for (size_t off = 0; off < ls[i].buf.len && rc == 0; off += chunk)
			rc = qn_tar_reader_feed(r, ls[i].buf.data + off, QN_MIN(chunk, ls[i].buf.len - off), err);
		if (rc == 0)
			rc = qn_tar_reader_finish(r, err);
		if (rc == 0)
			rc = qn_tree_merge(t, st, err);
		qn_tar_reader_free(r);
		qn_stage_free(st);
		qn_buf_clear(&ls[i].buf);
		if (rc < 0)
			return -1;
	}
	return qn_tree_finish(t, err);
}

static void test_whiteouts(void)
{
	layer_t l[2];
	l_init(&l[0]);
	l_init(&l[1]);
	l_add(&l[0], QN_TAR_DIR, "etc/", NULL, 0755);
	l_add(&l[0], QN_TAR_REG, "etc/a", "a", 0644);
	l_add(&l[0], QN_TAR_REG, "etc/b", "b", 0644);
	l_add(&l[0], QN_TAR_DIR, "opq/", NULL, 0755);
	l_add(&l[0], QN_TAR_REG, "opq/old", "o", 0644);
	l_add(&l[0], QN_TAR_DIR, "keep/sub/", NULL, 0700);
	l_add(&l[0], QN_TAR_REG, "keep/sub/f", "f", 0644);
	/* upper layer: the new file comes before the opaque marker; whiteouts still only hide lower */
	l_add(&l[1], QN_TAR_REG, "opq/new", "n", 0644);
	l_add(&l[1], QN_TAR_REG, "opq/.wh..wh..opq", "", 0644);
	l_add(&l[1], QN_TAR_REG, "etc/.wh.a", "", 0644);
	l_add(&l[1], QN_TAR_DIR, "keep/", NULL, 0750);
	qn_tree *t = qn_tree_new();
	qn_error *err = NULL;
	CHECK_INT(merge(t, l, 2, 100, &err), 0);
	CHECK(!qn_tree_lookup(t, "etc/a"));
	CHECK(qn_tree_lookup(t, "etc/b"));
	CHECK(!qn_tree_lookup(t, "opq/old"));
	CHECK(qn_tree_lookup(t, "opq/new"));
	const qn_node *k = qn_tree_lookup(t, "keep");
	CHECK(k && k->mode == 0750 && k->layer == 1);
	CHECK(qn_tree_lookup(t, "keep/sub/f")); /* a folder over a folder keeps its children */
	CHECK_INT(qn_tree_get_stats(t)->whiteouts, 2);
	qn_tree_free(t);
	qn_error_free(err);
}

static void test_replace_and_hardlinks(void)
{
	layer_t l[2];
	l_init(&l[0]);
	l_init(&l[1]);
	l_add(&l[0], QN_TAR_DIR, "d/", NULL, 0755);
	l_add(&l[0], QN_TAR_REG, "d/x", "xx", 0644);
	l_add(&l[0], QN_TAR_REG, "f", "data", 0755 & ~0111);
	l_add(&l[0], QN_TAR_HARDLINK, "g", "f", 0644);
	l_add(&l[1], QN_TAR_REG, "d", "now a file", 0600); /* replaces the folder and its child */
	l_add(&l[1], QN_TAR_REG, ".wh.f", "", 0644);
	qn_tree *t = qn_tree_new();
	qn_error *err = NULL;
	CHECK_INT(merge(t, l, 2, 7, &err), 0);
	const qn_node *d = qn_tree_lookup(t, "d");
	CHECK(d && d->type == QN_NODE_REG && d->size == 10);
	CHECK(!qn_tree_lookup(t, "d/x"));
	const qn_node *g = qn_tree_lookup(t, "g"); /* outlives the removed target, as on disk */
	CHECK(g && g->type == QN_NODE_REG && g->size == 4 && g->hardlink && !strcmp(g->hardlink, "f"));
	CHECK(g && g->content && !memcmp(g->content, "data", 4));
	qn_tree_free(t);
	qn_error_free(err);
}

static void expect_merge_error(layer_t *l, int n, const char *needle)
{
	qn_tree *t = qn_tree_new();
	qn_error *err = NULL;
	CHECK(merge(t, l, n, 512, &err) < 0);
	CHECK(err != NULL);
	if (err)
		CHECK_CONTAINS(err->msg, needle);
	qn_error_free(err);
	qn_tree_free(t);
}

static void test_escapes(void)
{
	layer_t l[2];
	l_init(&l[0]);
	l_init(&l[1]);
	l_add(&l[0], QN_TAR_SYMLINK, "evil", "/etc", 0777);
	l_add(&l[1], QN_TAR_REG, "evil/passwd", "x", 0644);
	expect_merge_error(l, 2, "path escapes through symlinked folder \"evil\"");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_HARDLINK, "h", "missing", 0644);
	expect_merge_error(l, 1, "hardlink to \"missing\", which does not exist");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_DIR, "d/", NULL, 0755);
	l_add(&l[0], QN_TAR_HARDLINK, "h", "d", 0644);
	expect_merge_error(l, 1, "hardlink to folder \"d\"");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_SYMLINK, "a", "b/c", 0777);
	l_add(&l[0], QN_TAR_SYMLINK, "b", "a", 0777);
	expect_merge_error(l, 1, "symlink loop");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_REG, "f", "x", 0644);
	l_add(&l[0], QN_TAR_REG, "f/g", "x", 0644);
	expect_merge_error(l, 1, "parent \"f\" is not a folder");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_CHR, "home/tty", NULL, 0644);
	expect_merge_error(l, 1, "device node outside /dev");
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_CHR, "dev/null", NULL, 0666); /* where devices belong */
	qn_tree *t = qn_tree_new();
	CHECK_INT(merge(t, l, 1, 512, NULL), 0);
	qn_tree_free(t);
}

static void test_resolve(void)
{
	layer_t l[1];
	l_init(&l[0]);
	l_add(&l[0], QN_TAR_DIR, "usr/bin/", NULL, 0755);
	l_add(&l[0], QN_TAR_REG, "usr/bin/python3.11", "py", 0755 & ~0111);
	l_add(&l[0], QN_TAR_SYMLINK, "usr/bin/python3", "python3.11", 0777);
	l_add(&l[0], QN_TAR_SYMLINK, "bin", "usr/bin", 0777);
	l_add(&l[0], QN_TAR_SYMLINK, "abs", "/bin/python3", 0777);
	l_add(&l[0], QN_TAR_SYMLINK, "up", "../../../../usr", 0777);
	qn_tree *t = qn_tree_new();
	CHECK_INT(merge(t, l, 1, 512, NULL), 0);
	char *r = NULL;
	const qn_node *n = qn_tree_resolve(t, "bin/python3", true, &r, NULL);
	CHECK(n && n->type == QN_NODE_REG);
	CHECK_STR(r, "usr/bin/python3.11");
	free(r);
	r = NULL;
	n = qn_tree_resolve(t, "abs", true, &r, NULL); /* absolute targets start at the image root */
	CHECK_STR(r, "usr/bin/python3.11");
	free(r);
	r = NULL;
	n = qn_tree_resolve(t, "up/bin/python3", false, &r, NULL); /* ".." stops at the root */
	CHECK(n && n->type == QN_NODE_SYMLINK);
	CHECK_STR(r, "usr/bin/python3");
	free(r);
	qn_error *err = NULL;
	CHECK(!qn_tree_resolve(t, "bin/nope", true, NULL, &err));
	CHECK(err && err->kind == QN_ERR_NOTFOUND);
	qn_error_free(err);
	qn_tree_free(t);
}

static void test_capture_go_and_history(void)
{
	/* an "ELF" whose build-info magic sits at offset 4096 (16-byte aligned), with a decoy at an
	 * unaligned offset; fed in 7-byte chunks so the magic straddles chunk boundaries */
	static char elf[5000];
	memset(elf, 'z', sizeof(elf) - 1);
	memcpy(elf,
	       "\x7f"
	       "ELF",
	       4);
	memcpy(elf + 1001, "\xff Go buildinf:", 14);
	memcpy(elf + 4096, "\xff Go buildinf:\x08\x02", 16);
	layer_t l[2];
	l_init(&l[0]);
	l_init(&l[1]);
	l_add(&l[0], QN_TAR_DIR, "etc/", NULL, 0755);
	l_add(&l[0], QN_TAR_REG, "etc/status", "v1", 0644);
	l_add(&l[0], QN_TAR_REG, "app", elf, 0755);
	l_add(&l[0], QN_TAR_REG, "notelf", "#!/bin/sh\n\xff Go buildinf:", 0755);
	l_add(&l[0], QN_TAR_REG, "big", "0123456789", 0644);
	l_add(&l[1], QN_TAR_REG, "etc/status", "v2", 0644);
	qn_tree *t = qn_tree_new();
	CHECK_INT(merge(t, l, 2, 7, NULL), 0);
	const qn_node *a = qn_tree_lookup(t, "app");
	CHECK(a && a->content && a->content_len == 64 && !memcmp(a->content, "\xff Go buildinf:\x08\x02", 16));
	const qn_node *ne = qn_tree_lookup(t, "notelf");
	CHECK(ne && !ne->content);
	const qn_node *b = qn_tree_lookup(t, "big");
	CHECK(b && b->content_len == 4 && b->content_truncated);
	CHECK_INT(qn_tree_snapshot_count(t), 2);
	const qn_tree_snapshot *s0 = qn_tree_snapshot_get(t, 0), *s1 = qn_tree_snapshot_get(t, 1);
	CHECK(s0 && s0->layer == 0 && s0->len == 2 && !memcmp(s0->content, "v1", 2));
	CHECK(s1 && s1->layer == 1 && !memcmp(s1->content, "v2", 2));
	qn_tree_free(t);
}

int main(void)
{
	TAP_RUN(test_whiteouts);
	TAP_RUN(test_replace_and_hardlinks);
	TAP_RUN(test_escapes);
	TAP_RUN(test_resolve);
	TAP_RUN(test_capture_go_and_history);
	return tap_done();
}
