/* Keep set (see keep.h). The walk mirrors the kernel's path resolution inside a chroot at the
 * image root, so that "/lib/x86_64-linux-gnu/libc.so.6" keeps the "lib" symlink, "usr",
 * "usr/lib", "usr/lib/x86_64-linux-gnu" and the file, and a symlink keeps its target: a
 * hardened image answers the same lookups the same way. */
#include <fnmatch.h>

#include "keep.h"
#include "util/path.h"

void qn_keep_init(qn_keep *k, const qn_tree *t)
{
	memset(k, 0, sizeof(*k));
	k->t = t;
}

void qn_keep_clear(qn_keep *k)
{
	qn_strset_clear(&k->paths);
}
bool qn_keep_has(const qn_keep *k, const char *path)
{
	return qn_strset_has(&k->paths, path);
}
const char *qn_keep_reason(const qn_keep *k, const char *path)
{
	return qn_strset_get(&k->paths, path);
}
size_t qn_keep_count(const qn_keep *k)
{
	return qn_strset_count(&k->paths);
}

static void add(qn_keep *k, const char *path, const char *reason)
{
	if (*path && !qn_strset_has(&k->paths, path))
		qn_strset_put(&k->paths, path, (void *)reason);
}

/* Walks `path` from `start`, keeping every node met. Returns the node reached, or NULL. */
static const qn_node *walk(qn_keep *k, const qn_node *start, const char *path, bool follow_last, int *hops,
			   const char *reason)
{
	const qn_node *cur = start;
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL, *next;
	for (char *c = strtok_r(copy, "/", &save); c; c = next) {
		next = strtok_r(NULL, "/", &save);
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			cur = cur->parent ? cur->parent : cur;
			continue;
		}
		if (cur->type != QN_NODE_DIR)
			return NULL;
		const qn_node *child = NULL;
		for (const qn_node *x = cur->first_child; x; x = x->next_sibling)
			if (!strcmp(x->name, c)) {
				child = x;
				break;
			}
		if (!child)
			return NULL;
		_cleanup_free_ char *p = qn_node_path(child);
		add(k, p, reason);
		if (child->type == QN_NODE_SYMLINK && (next || follow_last)) {
			if (++*hops > 40)
				return NULL;
			/* continue from the link's folder (or the root) with target + the rest */
			qn_buf rest = QN_BUF_INIT;
			qn_buf_adds(&rest, child->link);
			for (char *r = next; r; r = strtok_r(NULL, "/", &save)) {
				qn_buf_addc(&rest, '/');
				qn_buf_adds(&rest, r);
			}
			const qn_node *from = child->link[0] == '/' ? qn_tree_root(k->t) : cur;
			const qn_node *res = walk(k, from, rest.data, follow_last, hops, reason);
			qn_buf_clear(&rest);
			return res;
		}
		cur = child;
	}
	return cur;
}

bool qn_keep_path(qn_keep *k, const char *path, bool follow_last, const char *reason)
{
	int hops = 0;
	return walk(k, qn_tree_root(k->t), path, follow_last, &hops, reason) != NULL;
}

static void subtree(qn_keep *k, const qn_node *n, const char *reason, int depth)
{
	_cleanup_free_ char *p = qn_node_path(n);
	add(k, p, reason);
	if (n->type == QN_NODE_SYMLINK && depth < 64) {
		/* a link inside a kept folder must not dangle: keep what it points to */
		_cleanup_free_ char *dir = qn_path_dir(p);
		_cleanup_free_ char *target = n->link[0] == '/' ? xstrdup(n->link) : qn_path_join(dir, n->link);
		qn_keep_path(k, target, true, reason);
	}
	if (n->type != QN_NODE_DIR)
		return;
	for (const qn_node *c = n->first_child; c; c = c->next_sibling)
		subtree(k, c, reason, depth + 1);
}

void qn_keep_subtree(qn_keep *k, const char *path, const char *reason)
{
	int hops = 0;
	const qn_node *n = walk(k, qn_tree_root(k->t), path, true, &hops, reason);
	if (n)
		subtree(k, n, reason, 0);
}

bool qn_path_glob_match(const char *pattern, const char *path)
{
	while (*pattern == '/')
		pattern++;
	/* "**" crosses folders: try it against every suffix of the path */
	const char *dd = strstr(pattern, "**");
	if (!dd)
		return fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0;
	_cleanup_free_ char *head = xstrndup(pattern, (size_t)(dd - pattern));
	const char *tail = dd + 2;
	if (*tail == '/')
		tail++;
	size_t hl = strlen(head), pl_all = strlen(path);
	/* "dir/" followed by "**" names what is below dir, not dir itself */
	bool below = hl && head[hl - 1] == '/';
	/* the head must match a prefix of the path that ends at a folder boundary */
	for (size_t i = 0; i <= pl_all; i++) {
		if (i && path[i - 1] != '/' && path[i] && hl)
			continue;
		if (below && (i == 0 || path[i - 1] != '/' || !path[i]))
			continue;
		_cleanup_free_ char *pre = xstrndup(path, i);
		size_t pl = strlen(pre);
		if (pl && pre[pl - 1] == '/')
			pre[pl - 1] = 0;
		_cleanup_free_ char *hh = xstrdup(head);
		size_t hhl = strlen(hh);
		if (hhl && hh[hhl - 1] == '/')
			hh[hhl - 1] = 0;
		if (hhl && fnmatch(hh, pre, FNM_PATHNAME | FNM_PERIOD) != 0)
			continue;
		const char *rest = path + i;
		if (!*tail)
			return true;
		for (const char *r = rest;; r = strchr(r, '/') + 1) {
			if (fnmatch(tail, r, FNM_PATHNAME | FNM_PERIOD) == 0)
				return true;
			if (!strchr(r, '/'))
				break;
		}
	}
	return false;
}
