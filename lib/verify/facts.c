/* What the two images hold, compared without running anything: each image's identity and size,
 * every package's fate (kept, trimmed, removed, and whether a "removed" package left files
 * behind), the paths kept and removed (sorted, with a digest of each list so that an auditor
 * can check a published list), and the lookups of the hardened run that the hardened image
 * can no longer answer. */
#include "util/digest.h"
#include "util/path.h"
#include "verify_int.h"

json_t *qn_verify_image_facts(const qn_verify_side *s)
{
	json_t *j = json_object();
	uint64_t size = 0;
	for (size_t i = 0; i < qn_image_layer_count(s->img); i++)
		size += qn_image_layer(s->img, i)->size;
	qn_json_set_str(j, "ref", qn_image_ref(s->img));
	qn_json_set_str(j, "format", qn_image_format_name(qn_image_get_format(s->img)));
	qn_json_set_str(j, "digest", qn_image_manifest_digest(s->img));
	qn_json_set_str(j, "config_digest", qn_image_config_digest(s->img));
	qn_json_set_str(j, "platform", qn_image_platform(s->img));
	qn_json_set_int(j, "size", (long long)size);
	qn_json_set_int(j, "layers", (long long)qn_image_layer_count(s->img));
	const qn_tree_stats *st = qn_tree_get_stats(s->tree);
	qn_json_set_int(j, "files", (long long)st->files);
	qn_json_set_int(j, "bytes", (long long)st->bytes);
	qn_json_set_int(j, "packages", (long long)qn_inventory_count(s->inv));
	return j;
}

static char *pkg_id(const qn_package *p)
{
	return xasprintf("%s\x1f%s\x1f%s\x1f%s", qn_ecosystem_name(p->eco), p->name ? p->name : "",
			 p->version ? p->version : "", p->arch ? p->arch : "");
}

static json_t *pkg_json(const qn_package *p)
{
	json_t *j = json_object();
	qn_json_set_str(j, "name", p->name);
	qn_json_set_str(j, "version", p->version);
	qn_json_set_str(j, "purl", p->purl);
	qn_json_set_str(j, "ecosystem", qn_ecosystem_name(p->eco));
	if (p->source_name)
		qn_json_set_str(j, "source", p->source_name);
	return j;
}

static bool present(const qn_tree *t, const char *path)
{
	const qn_node *n = qn_tree_lookup(t, path);
	return n && n->type != QN_NODE_DIR;
}

json_t *qn_verify_packages(const qn_verify_side *a, const qn_verify_side *b, bool *honest)
{
	qn_strset after = QN_STRSET_INIT, before = QN_STRSET_INIT;
	for (size_t i = 0; i < qn_inventory_count(b->inv); i++) {
		_cleanup_free_ char *k = pkg_id(qn_inventory_get(b->inv, i));
		qn_strset_add(&after, k);
	}
	json_t *kept = json_array(), *trimmed = json_array(), *removed = json_array(), *hidden = json_array();
	json_t *added = json_array();
	*honest = true;
	for (size_t i = 0; i < qn_inventory_count(a->inv); i++) {
		const qn_package *p = qn_inventory_get(a->inv, i);
		_cleanup_free_ char *k = pkg_id(p);
		qn_strset_add(&before, k);
		size_t total = 0, left = 0, orphans = 0;
		uint64_t bytes = 0, kept_bytes = 0;
		const char *example = NULL;
		for (size_t f = 0; f < p->n_files; f++) {
			const qn_node *n = qn_tree_lookup(a->tree, p->files[f].path);
			if (!n || n->type == QN_NODE_DIR)
				continue; /* folders are shared; files listed but absent were never there */
			uint64_t sz = n->type == QN_NODE_REG ? n->size : 0;
			total++;
			bytes += sz;
			if (!present(b->tree, p->files[f].path))
				continue;
			left++;
			kept_bytes += sz;
			if (!qn_inventory_owner(b->inv, p->files[f].path)) {
				orphans++;
				example = example ? example : p->files[f].path;
			}
		}
		json_t *j = pkg_json(p);
		if (qn_strset_has(&after, k)) {
			bool all = left == total;
			if (!all) {
				qn_json_set_int(j, "kept_files", (long long)left);
				qn_json_set_int(j, "total_files", (long long)total);
				qn_json_set_int(j, "kept_bytes", (long long)kept_bytes);
				qn_json_set_int(j, "total_bytes", (long long)bytes);
			} else {
				qn_json_set_int(j, "files", (long long)total);
				qn_json_set_int(j, "bytes", (long long)bytes);
			}
			json_array_append_new(all ? kept : trimmed, j);
			continue;
		}
		qn_json_set_int(j, "files", (long long)total);
		qn_json_set_int(j, "bytes", (long long)bytes);
		json_array_append_new(removed, j);
		if (orphans) {
			/* gone from the package database with files still in the image: a scanner would
			 * no longer see code that is there */
			json_t *h = pkg_json(p);
			qn_json_set_int(h, "files_left", (long long)orphans);
			_cleanup_free_ char *ex = xasprintf("/%s", example);
			qn_json_set_str(h, "example", ex);
			json_array_append_new(hidden, h);
			*honest = false;
		}
	}
	for (size_t i = 0; i < qn_inventory_count(b->inv); i++) {
		const qn_package *p = qn_inventory_get(b->inv, i);
		_cleanup_free_ char *k = pkg_id(p);
		if (!qn_strset_has(&before, k))
			json_array_append_new(added, pkg_json(p));
	}
	json_t *o = json_object(), *c = json_object();
	qn_json_set_int(c, "total", (long long)qn_inventory_count(a->inv));
	qn_json_set_int(c, "kept", (long long)json_array_size(kept));
	qn_json_set_int(c, "trimmed", (long long)json_array_size(trimmed));
	qn_json_set_int(c, "removed", (long long)json_array_size(removed));
	qn_json_set_int(c, "hidden", (long long)json_array_size(hidden));
	qn_json_set_int(c, "added", (long long)json_array_size(added));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "kept", kept);
	json_object_set_new(o, "trimmed", trimmed);
	json_object_set_new(o, "removed", removed);
	json_object_set_new(o, "hidden", hidden);
	json_object_set_new(o, "added", added);
	qn_strset_clear(&after);
	qn_strset_clear(&before);
	return o;
}

/* ---- paths ---- */

typedef struct {
	const qn_tree *other;
	qn_ptrvec kept, removed, changed; /* char * (owned) */
	size_t count;
} path_walk;

static char *change_of(const qn_node *x, const qn_node *y)
{
	if (x->type != y->type)
		return xstrdup("type");
	if (x->type == QN_NODE_REG && x->size != y->size)
		return xasprintf("size %llu -> %llu", (unsigned long long)x->size, (unsigned long long)y->size);
	if (x->type == QN_NODE_SYMLINK && strcmp(x->link ? x->link : "", y->link ? y->link : ""))
		return xstrdup("link target");
	if (x->mode != y->mode)
		return xasprintf("mode %04o -> %04o", x->mode, y->mode);
	if (x->uid != y->uid || x->gid != y->gid)
		return xstrdup("owner");
	return NULL;
}

static int walk_paths(void *ud, const qn_node *n, const char *path)
{
	path_walk *w = ud;
	if (!*path)
		return 0;
	w->count++;
	const qn_node *o = qn_tree_lookup(w->other, path);
	if (!o) {
		qn_ptrvec_push(&w->removed, xstrdup(path));
		return 0;
	}
	qn_ptrvec_push(&w->kept, xstrdup(path));
	char *c = change_of(n, o);
	if (c) {
		qn_ptrvec_push(&w->changed, xasprintf("%s\x1f%s", path, c));
		free(c);
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* "sha256:..." of the paths, sorted by byte value, each followed by a newline. */
static void list_digest(qn_ptrvec *v, char out[static QN_DIGEST_STR_MAX])
{
	qn_sort(v->v, v->n, sizeof(void *), cmp_str);
	qn_hasher *h = qn_hasher_new(QN_DIGEST_SHA256);
	for (size_t i = 0; i < v->n; i++) {
		qn_hasher_update(h, v->v[i], strlen(v->v[i]));
		qn_hasher_update(h, "\n", 1);
	}
	qn_digest d;
	qn_hasher_final(h, &d);
	qn_hasher_free(h);
	qn_digest_str(&d, out);
}

static int count_added(void *ud, const qn_node *n, const char *path)
{
	(void)n;
	path_walk *w = ud;
	if (*path && !qn_tree_lookup(w->other, path))
		w->count++;
	return 0;
}

json_t *qn_verify_paths(const qn_verify_side *a, const qn_verify_side *b)
{
	path_walk w = {.other = b->tree};
	qn_tree_walk(a->tree, walk_paths, &w);
	char kd[QN_DIGEST_STR_MAX], rd[QN_DIGEST_STR_MAX];
	list_digest(&w.kept, kd);
	list_digest(&w.removed, rd);
	qn_sort(w.changed.v, w.changed.n, sizeof(void *), cmp_str);
	json_t *o = json_object(), *list = json_array(), *changed = json_array();
	qn_json_set_int(o, "kept", (long long)w.kept.n);
	qn_json_set_int(o, "removed", (long long)w.removed.n);
	qn_json_set_str(o, "kept_sha256", kd);
	qn_json_set_str(o, "removed_sha256", rd);
	for (size_t i = 0; i < w.removed.n; i++)
		json_array_append_new(list, qn_json_string(w.removed.v[i]));
	for (size_t i = 0; i < w.changed.n; i++) {
		char *s = w.changed.v[i], *sep = strchr(s, '\x1f');
		json_t *c = json_object();
		*sep = 0;
		qn_json_set_str(c, "path", s);
		qn_json_set_str(c, "change", sep + 1);
		json_array_append_new(changed, c);
	}
	path_walk x = {.other = a->tree};
	qn_tree_walk(b->tree, count_added, &x);
	qn_json_set_int(o, "added", (long long)x.count);
	json_object_set_new(o, "changed", changed);
	json_object_set_new(o, "removed_list", list);
	qn_ptrvec_clear(&w.kept, free);
	qn_ptrvec_clear(&w.removed, free);
	qn_ptrvec_clear(&w.changed, free);
	return o;
}

static void add_missing(json_t *list, qn_strset *done, const qn_verify_side *a, const qn_verify_side *b,
			const char *path, const char *via)
{
	if (!qn_strset_add(done, path))
		return;
	const char *key = via ? via : path;
	bool in_a = qn_strset_has(&a->seen, key), in_b = qn_strset_has(&b->seen, key);
	json_t *m = json_object();
	qn_json_set_str(m, "path", path);
	if (via)
		qn_json_set_str(m, "via", via);
	qn_json_set_str(m, "seen_by", qn_strset_get(in_b ? &b->seen : &a->seen, key));
	qn_json_set_str(m, "run", in_a && in_b ? "both" : in_b ? "hardened" : "original");
	const qn_package *owner = qn_inventory_owner(a->inv, path);
	if (owner)
		qn_json_set_str(m, "package", owner->name);
	json_array_append_new(list, m);
}

static void check_lookup(json_t *list, qn_strset *done, const qn_verify_side *a, const qn_verify_side *b,
			 const char *path)
{
	/* the lookup answers in the original image and fails in the hardened one: the name itself
	 * is gone, or it is still there as a symlink whose target is gone (the recorder cannot
	 * tell whether the call followed it; a dangling link is a loss either way, since
	 * hardening keeps the targets of the links it keeps) */
	if (!qn_tree_resolve(a->tree, path, false, NULL, NULL)) {
		/* a name the original does not have either, created at run time ("run/nginx.pid"):
		 * creating it needs its folder, which must not have gone. (A name that was only
		 * looked for, like each PATH entry tried for a command, fails in both images.) */
		if (!qn_strset_has(&a->created, path) && !qn_strset_has(&b->created, path))
			return;
		_cleanup_free_ char *dir = qn_path_dir(path), *rdir = NULL;
		const qn_node *d = *dir ? qn_tree_resolve(a->tree, dir, true, &rdir, NULL) : NULL;
		if (d && d->type == QN_NODE_DIR && !qn_tree_resolve(b->tree, dir, true, NULL, NULL))
			add_missing(list, done, a, b, rdir, path);
		return;
	}
	if (!qn_tree_resolve(b->tree, path, false, NULL, NULL)) {
		add_missing(list, done, a, b, path, NULL);
		return;
	}
	_cleanup_free_ char *target = NULL;
	if (qn_tree_resolve(a->tree, path, true, &target, NULL) && !qn_tree_resolve(b->tree, path, true, NULL, NULL))
		add_missing(list, done, a, b, target, path);
}

json_t *qn_verify_missing(const qn_verify_side *a, const qn_verify_side *b)
{
	/* both runs count: the hardened run shows lookups that now fail, and the original run
	 * shows what the program reaches only after a successful lookup or a folder listing (an
	 * importer that lists a folder never asks for a name the listing lacks) */
	qn_strset all = QN_STRSET_INIT, done = QN_STRSET_INIT;
	for (size_t i = 0; i < a->seen.cap; i++)
		if (a->seen.keys[i])
			qn_strset_add(&all, a->seen.keys[i]);
	for (size_t i = 0; i < b->seen.cap; i++)
		if (b->seen.keys[i])
			qn_strset_add(&all, b->seen.keys[i]);
	json_t *list = json_array();
	size_t n;
	const char **paths = qn_strset_sorted(&all, &n);
	for (size_t i = 0; i < n; i++)
		check_lookup(list, &done, a, b, paths[i]);
	free(paths);
	qn_strset_clear(&all);
	qn_strset_clear(&done);
	return list;
}
