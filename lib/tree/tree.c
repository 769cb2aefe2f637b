/* The merged filesystem tree. Nodes live in one hash table keyed by (parent, name), with sibling
 * lists for iteration. Merging applies a staged layer the way overlay-style runtimes do:
 * whiteouts hide lower layers only, a folder replacing a folder keeps its children, anything
 * else replaces what was there with its whole subtree.
 *
 * Security checks that need the lower layers live here: no entry may be placed through a
 * symlinked folder (an extractor that follows it writes wherever the link points), a hardlink
 * must name an existing non-folder inside the tree, and no symlink may loop. */
#include <errno.h>

#include "stage.h"
#include "util/path.h"

typedef struct node {
	qn_node pub; /* first: qn_node pointers are node pointers */
	struct node *hnext;
	uint32_t hash;
} node;

struct qn_tree {
	node root;
	node **tab;
	size_t tab_size, count;
	qn_tree_stats stats;
	qn_ptrvec warnings;
	qn_tree_snapshot *snaps;
	size_t n_snaps, cap_snaps;
};

static uint32_t hash_key(const qn_node *parent, const char *name, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)parent >> 4);
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

qn_tree *qn_tree_new(void)
{
	qn_tree *t = xcalloc(1, sizeof(*t));
	t->root.pub.name = "";
	t->root.pub.type = QN_NODE_DIR;
	t->root.pub.mode = 0755;
	t->root.pub.layer = -1;
	t->tab_size = 1024;
	t->tab = xcalloc(t->tab_size, sizeof(node *));
	return t;
}

static void node_release(node *n)
{
	free((char *)n->pub.name);
	free(n->pub.link);
	free(n->pub.hardlink);
	for (size_t i = 0; i < n->pub.n_xattrs; i++) {
		free(n->pub.xattrs[i].key);
		free(n->pub.xattrs[i].value);
	}
	free(n->pub.xattrs);
	free(n->pub.content);
}

static void free_subtree(node *n)
{
	qn_node *c = n->pub.first_child;
	while (c) {
		qn_node *next = c->next_sibling;
		free_subtree((node *)c);
		c = next;
	}
	node_release(n);
	free(n);
}

void qn_tree_free(qn_tree *t)
{
	if (!t)
		return;
	qn_node *c = t->root.pub.first_child;
	while (c) {
		qn_node *next = c->next_sibling;
		free_subtree((node *)c);
		c = next;
	}
	t->root.pub.name = NULL; /* a literal, not owned */
	node_release(&t->root);
	free(t->tab);
	qn_ptrvec_clear(&t->warnings, free);
	for (size_t i = 0; i < t->n_snaps; i++) {
		free((char *)t->snaps[i].path);
		free((unsigned char *)t->snaps[i].content);
	}
	free(t->snaps);
	free(t);
}

const qn_node *qn_tree_root(const qn_tree *t)
{
	return &t->root.pub;
}
const qn_tree_stats *qn_tree_get_stats(const qn_tree *t)
{
	return &t->stats;
}
size_t qn_tree_warning_count(const qn_tree *t)
{
	return t->warnings.n;
}
const char *qn_tree_warning(const qn_tree *t, size_t i)
{
	return i < t->warnings.n ? t->warnings.v[i] : NULL;
}
size_t qn_tree_snapshot_count(const qn_tree *t)
{
	return t->n_snaps;
}
const qn_tree_snapshot *qn_tree_snapshot_get(const qn_tree *t, size_t i)
{
	return i < t->n_snaps ? &t->snaps[i] : NULL;
}

static void add_snapshot(qn_tree *t, int layer, const qn_staged *e)
{
	if (t->n_snaps == t->cap_snaps) {
		t->cap_snaps = t->cap_snaps ? t->cap_snaps * 2 : 16;
		t->snaps = xreallocarray(t->snaps, t->cap_snaps, sizeof(*t->snaps));
	}
	t->snaps[t->n_snaps++] =
	    (qn_tree_snapshot){layer, xstrdup(e->path), xmemdup(e->content, e->content_len), e->content_len};
}

static node *child_n(const qn_tree *t, const qn_node *parent, const char *name, size_t len)
{
	uint32_t h = hash_key(parent, name, len);
	for (node *n = t->tab[h & (t->tab_size - 1)]; n; n = n->hnext)
		if (n->hash == h && n->pub.parent == parent && strlen(n->pub.name) == len &&
		    memcmp(n->pub.name, name, len) == 0)
			return n;
	return NULL;
}

static void grow(qn_tree *t)
{
	size_t ns = t->tab_size * 2;
	node **nt = xcalloc(ns, sizeof(node *));
	for (size_t i = 0; i < t->tab_size; i++) {
		node *n = t->tab[i];
		while (n) {
			node *next = n->hnext;
			n->hnext = nt[n->hash & (ns - 1)];
			nt[n->hash & (ns - 1)] = n;
			n = next;
		}
	}
	free(t->tab);
	t->tab = nt;
	t->tab_size = ns;
}

static node *add_child(qn_tree *t, qn_node *parent, const char *name, size_t len)
{
	if (t->count + 1 > t->tab_size * 3 / 4)
		grow(t);
	node *n = xcalloc(1, sizeof(*n));
	n->pub.name = xstrndup(name, len);
	n->pub.parent = parent;
	n->hash = hash_key(parent, name, len);
	n->hnext = t->tab[n->hash & (t->tab_size - 1)];
	t->tab[n->hash & (t->tab_size - 1)] = n;
	n->pub.next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = &n->pub;
	parent->first_child = &n->pub;
	t->count++;
	return n;
}

static void unhash(qn_tree *t, node *n)
{
	node **pp = &t->tab[n->hash & (t->tab_size - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	t->count--;
}

/* Removes n and everything below it from the tree. */
static void remove_subtree(qn_tree *t, node *n)
{
	qn_node *c = n->pub.first_child;
	while (c) {
		qn_node *next = c->next_sibling;
		remove_subtree(t, (node *)c);
		c = next;
	}
	n->pub.first_child = NULL;
	unhash(t, n);
	qn_node *p = n->pub.parent;
	if (n->pub.prev_sibling)
		n->pub.prev_sibling->next_sibling = n->pub.next_sibling;
	else
		p->first_child = n->pub.next_sibling;
	if (n->pub.next_sibling)
		n->pub.next_sibling->prev_sibling = n->pub.prev_sibling;
	node_release(n);
	free(n);
}

static void remove_children(qn_tree *t, qn_node *dir)
{
	while (dir->first_child)
		remove_subtree(t, (node *)dir->first_child);
}

const qn_node *qn_tree_lookup(const qn_tree *t, const char *path)
{
	const qn_node *cur = &t->root.pub;
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		node *c = child_n(t, cur, p, len);
		if (!c)
			return NULL;
		cur = &c->pub;
		if (!e)
			break;
		if (cur->type != QN_NODE_DIR)
			return NULL;
		p = e + 1;
	}
	return cur;
}

char *qn_node_path(const qn_node *n)
{
	size_t len = 0;
	for (const qn_node *p = n; p && p->parent; p = p->parent)
		len += strlen(p->name) + 1;
	if (!len)
		return xstrdup("");
	char *s = xmalloc(len);
	size_t pos = len - 1;
	s[pos] = 0;
	for (const qn_node *p = n; p && p->parent; p = p->parent) {
		size_t l = strlen(p->name);
		pos -= l;
		memcpy(s + pos, p->name, l);
		if (pos)
			s[--pos] = '/';
	}
	return s;
}

/* ---- resolution (chroot semantics) ---- */

const qn_node *qn_tree_resolve(const qn_tree *t, const char *path, bool follow_last, char **resolved, qn_error **err)
{
	qn_buf rest = QN_BUF_INIT;
	qn_buf_adds(&rest, path);
	const qn_node *cur = &t->root.pub;
	size_t pos = 0;
	int hops = 0;
	const qn_node *result = NULL;
	for (;;) {
		while (rest.data[pos] == '/')
			pos++;
		if (!rest.data[pos]) {
			result = cur;
			break;
		}
		const char *p = rest.data + pos;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		pos += len;
		bool last = true;
		for (size_t k = pos; rest.data[k]; k++)
			if (rest.data[k] != '/') {
				last = false;
				break;
			}
		if (len == 1 && p[0] == '.')
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (cur->parent)
				cur = cur->parent;
			continue;
		}
		if (cur->type != QN_NODE_DIR) {
			qn_error_set(err, QN_ERR_NOTFOUND, "%s: not a folder on the way", path);
			break;
		}
		node *c = child_n(t, cur, p, len);
		if (!c) {
			qn_error_set(err, QN_ERR_NOTFOUND, "%s: no such file", path);
			break;
		}
		if (c->pub.type == QN_NODE_SYMLINK && (!last || follow_last)) {
			if (++hops > 40) {
				qn_error_set(err, QN_ERR_INPUT, "%s: symlink loop (more than 40 links)", path);
				break;
			}
			/* replace the consumed component by the link target */
			qn_buf nb = QN_BUF_INIT;
			qn_buf_adds(&nb, c->pub.link);
			qn_buf_addc(&nb, '/');
			qn_buf_adds(&nb, rest.data + pos);
			qn_buf_clear(&rest);
			rest = nb;
			pos = 0;
			if (c->pub.link[0] == '/')
				cur = &t->root.pub;
			continue;
		}
		cur = &c->pub;
	}
	qn_buf_clear(&rest);
	if (result && resolved)
		*resolved = qn_node_path(result);
	return result;
}

/* ---- merging ---- */

QN_PRINTF(4, 5)
static int merge_fail(qn_error **err, int layer, const qn_staged *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	_cleanup_free_ char *q = qn_str_quote(e->path, 200);
	return qn_error_set(err, QN_ERR_INPUT, "layer %d: entry %llu \"%s\": %s", layer, (unsigned long long)e->index,
			    q, m);
}

/* Finds or creates the parent folder of a canonical path, refusing symlinked or non-folder
 * components. */
static qn_node *ensure_parent(qn_tree *t, int layer, const qn_staged *e, qn_error **err)
{
	qn_node *cur = &t->root.pub;
	const char *p = e->path;
	for (;;) {
		const char *s = strchr(p, '/');
		if (!s)
			return cur;
		size_t len = (size_t)(s - p);
		node *c = child_n(t, cur, p, len);
		if (!c) {
			c = add_child(t, cur, p, len);
			c->pub.type = QN_NODE_DIR;
			c->pub.mode = 0755;
			c->pub.layer = layer;
			c->pub.entry = e->index;
		} else if (c->pub.type == QN_NODE_SYMLINK) {
			_cleanup_free_ char *pp = xstrndup(e->path, (size_t)(s - e->path));
			_cleanup_free_ char *q = qn_str_quote(pp, 200);
			merge_fail(err, layer, e, "path escapes through symlinked folder \"%s\"", q);
			return NULL;
		} else if (c->pub.type != QN_NODE_DIR) {
			_cleanup_free_ char *pp = xstrndup(e->path, (size_t)(s - e->path));
			_cleanup_free_ char *q = qn_str_quote(pp, 200);
			merge_fail(err, layer, e, "parent \"%s\" is not a folder", q);
			return NULL;
		}
		cur = &c->pub;
		p = s + 1;
	}
}

static qn_node_type node_type(qn_tar_type t)
{
	switch (t) {
	case QN_TAR_REG:
		return QN_NODE_REG;
	case QN_TAR_HARDLINK:
		return QN_NODE_HARDLINK;
	case QN_TAR_SYMLINK:
		return QN_NODE_SYMLINK;
	case QN_TAR_CHR:
		return QN_NODE_CHR;
	case QN_TAR_BLK:
		return QN_NODE_BLK;
	case QN_TAR_DIR:
		return QN_NODE_DIR;
	case QN_TAR_FIFO:
		return QN_NODE_FIFO;
	}
	return QN_NODE_REG;
}

static void set_meta(qn_node *n, int layer, qn_staged *e)
{
	free(n->link);
	free(n->hardlink);
	for (size_t i = 0; i < n->n_xattrs; i++) {
		free(n->xattrs[i].key);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	free(n->content);
	n->type = node_type(e->type);
	n->mode = e->mode;
	n->uid = e->uid;
	n->gid = e->gid;
	n->devmajor = e->devmajor;
	n->devminor = e->devminor;
	n->size = e->size;
	n->mtime = e->mtime;
	n->mtime_nsec = e->mtime_nsec;
	n->layer = layer;
	n->entry = e->index;
	n->link = NULL;
	n->hardlink = NULL;
	n->xattrs = steal_pointer(&e->xattrs);
	n->n_xattrs = e->n_xattrs;
	e->n_xattrs = 0;
	n->content = steal_pointer(&e->content);
	n->content_len = e->content_len;
	n->content_truncated = e->content_truncated;
	if (e->type == QN_TAR_SYMLINK)
		n->link = steal_pointer(&e->link);
}

/* A hardlink becomes a node that copies its target's type, metadata and captured content and
 * remembers the target path; it keeps existing if the target is later removed, as on disk. */
static int check_link_target(qn_tree *t, int layer, const qn_staged *e, const qn_node *old, qn_error **err)
{
	const qn_node *tg = qn_tree_lookup(t, e->link);
	_cleanup_free_ char *q = qn_str_quote(e->link, 200);
	if (!tg)
		return merge_fail(err, layer, e, "hardlink to \"%s\", which does not exist", q);
	if (tg == old)
		return merge_fail(err, layer, e, "hardlink to itself");
	if (tg->type == QN_NODE_DIR)
		return merge_fail(err, layer, e, "hardlink to folder \"%s\"", q);
	return 0;
}

static int link_to(qn_tree *t, int layer, const qn_staged *e, const char *target, qn_node *n, qn_error **err)
{
	const qn_node *tg = qn_tree_lookup(t, target);
	if (!tg) /* it was inside the subtree this entry replaced */
		return merge_fail(err, layer, e, "hardlink to a file its own entry removes");
	n->type = tg->type;
	n->size = tg->size;
	n->devmajor = tg->devmajor;
	n->devminor = tg->devminor;
	if (tg->link)
		n->link = xstrdup(tg->link);
	n->hardlink = xstrdup(tg->hardlink ? tg->hardlink : target);
	if (tg->content) {
		n->content = xmemdup(tg->content, tg->content_len);
		n->content_len = tg->content_len;
		n->content_truncated = tg->content_truncated;
	}
	return 0;
}

static int apply_entry(qn_tree *t, int layer, qn_staged *e, qn_error **err)
{
	if (!*e->path) { /* the root folder's own metadata */
		t->root.pub.mode = e->mode;
		t->root.pub.uid = e->uid;
		t->root.pub.gid = e->gid;
		t->root.pub.mtime = e->mtime;
		t->root.pub.layer = layer;
		return 0;
	}
	qn_node *parent = ensure_parent(t, layer, e, err);
	if (!parent)
		return -1;
	const char *base = qn_path_base(e->path);
	node *old = child_n(t, parent, base, strlen(base));
	if (e->type == QN_TAR_HARDLINK && check_link_target(t, layer, e, old ? &old->pub : NULL, err) < 0)
		return -1;
	node *n = old;
	if (old)
		t->stats.overwritten++;
	if (!(old && old->pub.type == QN_NODE_DIR && e->type == QN_TAR_DIR)) {
		/* anything but a folder over a folder replaces the old node and its subtree */
		if (old)
			remove_subtree(t, old);
		n = add_child(t, parent, base, strlen(base));
	}
	_cleanup_free_ char *target = e->type == QN_TAR_HARDLINK ? steal_pointer(&e->link) : NULL;
	set_meta(&n->pub, layer, e);
	if (target && link_to(t, layer, e, target, &n->pub, err) < 0) {
		remove_subtree(t, n);
		return -1;
	}
	return 0;
}

static int apply_whiteouts(qn_tree *t, qn_stage *s, qn_error **err)
{
	for (size_t i = 0; i < s->n; i++) {
		qn_staged *e = &s->v[i];
		if (e->wh == QN_WH_NONE)
			continue;
		t->stats.whiteouts++;
		/* a whiteout through a symlinked folder would delete outside the folder it names */
		const char *p = e->path;
		const qn_node *cur = &t->root.pub;
		for (const char *sl; (sl = strchr(p, '/')); p = sl + 1) {
			node *c = child_n(t, cur, p, (size_t)(sl - p));
			if (!c) {
				cur = NULL;
				break;
			}
			if (c->pub.type == QN_NODE_SYMLINK)
				return merge_fail(err, s->layer, e, "whiteout through symlinked folder");
			cur = &c->pub;
		}
		if (!cur || cur->type != QN_NODE_DIR)
			continue;
		if (e->wh == QN_WH_OPAQUE) {
			const qn_node *d = *e->path ? qn_tree_lookup(t, e->path) : &t->root.pub;
			if (d && d->type == QN_NODE_DIR)
				remove_children(t, (qn_node *)d);
		} else {
			node *victim = child_n(t, cur, p, strlen(p));
			if (victim)
				remove_subtree(t, victim);
		}
	}
	return 0;
}

int qn_tree_merge(qn_tree *t, qn_stage *s, qn_error **err)
{
	if (apply_whiteouts(t, s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		qn_staged *e = &s->v[i];
		if (e->wh != QN_WH_NONE)
			continue;
		if (e->history && e->content)
			add_snapshot(t, s->layer, e);
		if (apply_entry(t, s->layer, e, err) < 0)
			return -1;
	}
	if (s->aufs_skipped) {
		qn_ptrvec_push(&t->warnings, xasprintf("layer %d: %llu AUFS metadata entries (.wh..wh.*) ignored",
						       s->layer, (unsigned long long)s->aufs_skipped));
	}
	for (size_t i = 0; i < s->n; i++)
		qn_staged_clear(&s->v[i]);
	s->n = 0;
	return 0;
}

/* ---- iteration ---- */

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(const qn_node *const *)a)->name, (*(const qn_node *const *)b)->name);
}

const qn_node **qn_tree_children(const qn_node *dir, size_t *n)
{
	size_t k = 0;
	for (const qn_node *c = dir->first_child; c; c = c->next_sibling)
		k++;
	const qn_node **v = xcalloc(k ? k : 1, sizeof(*v));
	k = 0;
	for (const qn_node *c = dir->first_child; c; c = c->next_sibling)
		v[k++] = c;
	qsort(v, k, sizeof(*v), cmp_node);
	*n = k;
	return v;
}

static int walk_rec(const qn_node *n, qn_buf *path, qn_tree_visit_fn fn, void *ud)
{
	int rc = fn(ud, n, path->data ? path->data : "");
	if (rc || n->type != QN_NODE_DIR || !n->first_child)
		return rc;
	size_t k;
	const qn_node **kids = qn_tree_children(n, &k);
	size_t base = path->len;
	for (size_t i = 0; i < k && !rc; i++) {
		if (base)
			qn_buf_addc(path, '/');
		qn_buf_adds(path, kids[i]->name);
		rc = walk_rec(kids[i], path, fn, ud);
		path->len = base;
		path->data[base] = 0;
	}
	free(kids);
	return rc;
}

int qn_tree_walk(const qn_tree *t, qn_tree_visit_fn fn, void *ud)
{
	qn_buf path = QN_BUF_INIT;
	qn_buf_adds(&path, "");
	int rc = walk_rec(&t->root.pub, &path, fn, ud);
	qn_buf_clear(&path);
	return rc;
}

/* ---- finishing ---- */

typedef struct {
	qn_tree *t;
	qn_error **err;
} finish_ctx;

static int check_symlink(void *ud, const qn_node *n, const char *path)
{
	finish_ctx *c = ud;
	if (n->type != QN_NODE_SYMLINK)
		return 0;
	qn_error *e = NULL;
	const qn_node *r = qn_tree_resolve(c->t, path, true, NULL, &e);
	if (!r && e && e->kind == QN_ERR_INPUT) {
		_cleanup_free_ char *q = qn_str_quote(path, 200);
		_cleanup_free_ char *l = qn_str_quote(n->link, 200);
		qn_error_set(c->err, QN_ERR_INPUT, "layer %d: symlink \"%s\" -> \"%s\": symlink loop", n->layer, q, l);
		qn_error_free(e);
		return -1;
	}
	qn_error_free(e);
	return 0;
}

static void sum_sizes(qn_tree *t, qn_node *n)
{
	switch (n->type) {
	case QN_NODE_REG:
	case QN_NODE_HARDLINK:
		t->stats.files++;
		if (!n->hardlink)
			t->stats.bytes += n->size;
		break;
	case QN_NODE_DIR:
		if (n->parent)
			t->stats.dirs++;
		break;
	case QN_NODE_SYMLINK:
		t->stats.symlinks++;
		break;
	case QN_NODE_CHR:
	case QN_NODE_BLK:
	case QN_NODE_FIFO:
		t->stats.others++;
		break;
	}
	if (n->type != QN_NODE_DIR)
		return;
	n->subtree_size = 0;
	n->subtree_files = 0;
	for (qn_node *c = n->first_child; c; c = c->next_sibling) {
		sum_sizes(t, c);
		n->subtree_files += 1 + c->subtree_files;
		n->subtree_size += c->type == QN_NODE_DIR ? c->subtree_size : (c->hardlink ? 0 : c->size);
	}
}

int qn_tree_finish(qn_tree *t, qn_error **err)
{
	finish_ctx c = {t, err};
	if (qn_tree_walk(t, check_symlink, &c) != 0)
		return -1;
	uint64_t wh = t->stats.whiteouts, ow = t->stats.overwritten;
	memset(&t->stats, 0, sizeof(t->stats));
	t->stats.whiteouts = wh;
	t->stats.overwritten = ow;
	sum_sizes(t, &t->root.pub);
	return 0;
}
