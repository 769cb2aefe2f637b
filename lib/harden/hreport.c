/* The harden report (docs/harden-report.md): what was kept, trimmed and removed and why, the
 * profile and its probes, sizes before and after, every default rule, and where the time went. */
#include "harden_int.h"
#include "util/path.h"

static const char *state_name(qn_pkg_status s)
{
	switch (s) {
	case QN_PKG_KEPT:
		return "kept";
	case QN_PKG_TRIMMED:
		return "trimmed";
	case QN_PKG_REMOVED:
		return "removed";
	}
	return "?";
}

/* Why each file of a trimmed package stayed: the answer to "what is left of it, and why". */
static json_t *kept_files(const qn_hardening *h, const qn_package *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->n_files; i++) {
		const char *r = qn_keep_reason(&h->keep, p->files[i].path);
		if (!r || (p->eco == QN_ECO_DEB && qn_strset_has(&h->folder_links, p->files[i].path)))
			continue;
		json_t *f = json_object();
		_cleanup_free_ char *abs = xasprintf("/%s", p->files[i].path);
		qn_json_set_str(f, "path", abs);
		qn_json_set_str(f, "reason", r);
		json_array_append_new(a, f);
	}
	return a;
}

static json_t *packages(const qn_hardening *h)
{
	json_t *list = json_array();
	size_t counts[3] = {0};
	for (size_t i = 0; i < h->n_pkgs; i++) {
		const qn_pkg_state *s = &h->pkgs[i];
		const qn_package *p = s->pkg;
		counts[s->state]++;
		json_t *j = json_object();
		qn_json_set_str(j, "ecosystem", qn_ecosystem_name(p->eco));
		qn_json_set_str(j, "name", p->name);
		qn_json_set_str(j, "version", p->version);
		qn_json_set_str(j, "arch", p->arch);
		qn_json_set_str(j, "source", p->source_name);
		qn_json_set_str(j, "purl", p->purl);
		qn_json_set_str(j, "state", state_name(s->state));
		qn_json_set_int(j, "files_kept", (long long)s->kept_files);
		qn_json_set_int(j, "files_total", (long long)s->total_files);
		qn_json_set_int(j, "bytes_kept", (long long)s->kept_bytes);
		qn_json_set_int(j, "bytes_total", (long long)s->total_bytes);
		qn_json_set_int(j, "layer", p->layer);
		if (s->state == QN_PKG_TRIMMED)
			json_object_set_new(j, "kept", kept_files(h, p));
		json_array_append_new(list, j);
	}
	json_t *o = json_object();
	qn_json_set_int(o, "total", (long long)h->n_pkgs);
	qn_json_set_int(o, "kept", (long long)counts[QN_PKG_KEPT]);
	qn_json_set_int(o, "trimmed", (long long)counts[QN_PKG_TRIMMED]);
	qn_json_set_int(o, "removed", (long long)counts[QN_PKG_REMOVED]);
	json_object_set_new(o, "list", list);
	return o;
}

typedef struct {
	const qn_hardening *h;
	qn_strset groups; /* "usr/share/doc" -> index + 1 into files/bytes */
	uint64_t *files, *bytes;
	size_t n, cap;
	uint64_t before_files, before_bytes, after_files, after_bytes, removed_files, removed_bytes;
} size_walk;

static char *group_of(const char *path)
{
	/* three levels say where something lived without listing every file */
	const char *p = path;
	for (int i = 0; i < 3 && p; i++) {
		p = strchr(p, '/');
		if (p && i < 2)
			p++;
	}
	_cleanup_free_ char *g = p ? xstrndup(path, (size_t)(p - path)) : qn_path_dir(path);
	return xasprintf("/%s", *g ? g : "");
}

static int walk_sizes(void *ud, const qn_node *n, const char *path)
{
	size_walk *w = ud;
	if (!*path || n->type == QN_NODE_DIR)
		return 0;
	uint64_t sz = n->type == QN_NODE_REG && !n->hardlink ? n->size : 0;
	w->before_files++;
	w->before_bytes += sz;
	if (qn_keep_has(&w->h->keep, path)) {
		w->after_files++;
		const qn_blob *b = qn_harden_content(w->h, path);
		w->after_bytes += b ? b->len : sz;
		return 0;
	}
	w->removed_files++;
	w->removed_bytes += sz;
	_cleanup_free_ char *g = group_of(path);
	uintptr_t k = (uintptr_t)qn_strset_get(&w->groups, g);
	if (!k) {
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			w->files = xreallocarray(w->files, w->cap, sizeof(uint64_t));
			w->bytes = xreallocarray(w->bytes, w->cap, sizeof(uint64_t));
		}
		w->files[w->n] = w->bytes[w->n] = 0;
		k = ++w->n;
		qn_strset_put(&w->groups, g, (void *)k);
	}
	w->files[k - 1]++;
	w->bytes[k - 1] += sz;
	return 0;
}

static json_t *groups_json(size_walk *w)
{
	json_t *a = json_array();
	size_t n;
	const char **keys = qn_strset_sorted(&w->groups, &n);
	/* biggest first; ties by path (the key order is already sorted) */
	size_t *idx = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			uint64_t a1 = w->bytes[(uintptr_t)qn_strset_get(&w->groups, keys[idx[j - 1]]) - 1];
			uint64_t b1 = w->bytes[(uintptr_t)qn_strset_get(&w->groups, keys[idx[j]]) - 1];
			if (a1 >= b1)
				break;
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		uintptr_t k = (uintptr_t)qn_strset_get(&w->groups, keys[idx[i]]);
		json_t *g = json_object();
		qn_json_set_str(g, "path", keys[idx[i]]);
		qn_json_set_int(g, "files", (long long)w->files[k - 1]);
		qn_json_set_int(g, "bytes", (long long)w->bytes[k - 1]);
		json_array_append_new(a, g);
	}
	free(idx);
	free(keys);
	return a;
}

static json_t *sizes(const qn_hardening *h, json_t *report)
{
	size_walk w = {.h = h};
	qn_tree_walk(h->tree, walk_sizes, &w);
	json_t *s = json_object(), *b = json_object(), *a = json_object();
	qn_json_set_int(b, "files", (long long)w.before_files);
	qn_json_set_int(b, "bytes", (long long)w.before_bytes);
	qn_json_set_int(b, "image_bytes", (long long)h->size_before);
	qn_json_set_int(a, "files", (long long)w.after_files);
	qn_json_set_int(a, "bytes", (long long)w.after_bytes);
	qn_json_set_int(a, "image_bytes", (long long)h->size_after);
	json_object_set_new(s, "before", b);
	json_object_set_new(s, "after", a);
	json_object_set_new(
	    s, "bytes_removed_pct",
	    json_real(w.before_bytes ? 100.0 * (double)(w.before_bytes - w.after_bytes) / (double)w.before_bytes : 0));
	json_t *rem = json_object();
	qn_json_set_int(rem, "files", (long long)w.removed_files);
	qn_json_set_int(rem, "bytes", (long long)w.removed_bytes);
	json_object_set_new(rem, "groups", groups_json(&w));
	json_object_set_new(report, "removed_paths", rem);
	qn_strset_clear(&w.groups);
	free(w.files);
	free(w.bytes);
	return s;
}

static json_t *profile(const qn_hardening *h)
{
	json_t *p = json_object();
	qn_json_set_int(p, "paths_recorded", (long long)h->profile_raw);
	qn_json_set_int(p, "paths_in_image", (long long)qn_strset_count(&h->profile));
	qn_json_set_int(p, "fanotify_paths", (long long)h->fan_paths);
	qn_json_set_int(p, "ptrace_paths", (long long)h->ptrace_paths);
	qn_json_set_str(p, "stopped_by", h->stopped_by);
	qn_json_set_int(p, "exit_status", h->exit_status);
	json_object_set(p, "probes", h->probes);
	json_object_set_new(p, "probes_ok", json_boolean(h->probes_ok));
	size_t n;
	const char **paths = qn_strset_sorted(&h->profile, &n);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *abs = xasprintf("/%s", paths[i]);
		json_array_append_new(list, qn_json_string(abs));
	}
	free(paths);
	json_object_set_new(p, "paths", list);
	return p;
}

static json_t *keep_reasons(const qn_hardening *h)
{
	json_t *o = json_object();
	for (size_t i = 0; i < h->keep.paths.cap; i++) {
		const char *r = h->keep.paths.keys[i] ? h->keep.paths.vals[i] : NULL;
		if (!r)
			continue;
		json_t *v = json_object_get(o, r);
		json_object_set_new(o, r, json_integer(v ? json_integer_value(v) + 1 : 1));
	}
	json_t *k = json_object();
	qn_json_set_int(k, "total", (long long)qn_keep_count(&h->keep));
	json_object_set_new(k, "by_reason", o);
	if (h->ldcache_before >= 0) {
		json_t *lc = json_object();
		qn_json_set_int(lc, "entries_before", h->ldcache_before);
		qn_json_set_int(lc, "entries_after", h->ldcache_after);
		json_object_set_new(lc, "rewritten", json_boolean(h->ldcache_after != h->ldcache_before));
		json_object_set_new(k, "ld_so_cache", lc);
	}
	return k;
}

static json_t *rules(const qn_hardening *h)
{
	json_t *a = json_array();
	for (size_t i = 0; i < QN_ARRAY_LEN(h->rules); i++) {
		const qn_rule_stat *r = &h->rules[i];
		if (!r->name)
			continue;
		json_t *j = json_object();
		qn_json_set_str(j, "rule", r->name);
		json_object_set_new(j, "applied", json_boolean(!r->switched_off));
		if (r->rule == QN_RULE_SETUID)
			qn_json_set_int(j, "files_changed", (long long)h->setuid_stripped);
		else {
			qn_json_set_int(j, "files_removed", (long long)r->files_removed);
			qn_json_set_int(j, "bytes_removed", (long long)r->bytes_removed);
			qn_json_set_int(j, "files_kept_because_used", (long long)r->files_used);
		}
		json_array_append_new(a, j);
	}
	json_t *tmp = json_object();
	qn_json_set_str(tmp, "rule", "tmp-sticky");
	json_object_set_new(tmp, "applied", json_boolean(qn_keep_has(&h->keep, "tmp")));
	json_array_append_new(a, tmp);
	return a;
}

json_t *qn_harden_report(qn_hardening *h)
{
	json_t *r = json_object();
	qn_json_set_str(r, "schema", "quench.harden/v1");
	qn_json_set_str(r, "quench_version", QN_VERSION);
	json_t *in = json_object();
	qn_json_set_str(in, "ref", qn_image_ref(h->img));
	qn_json_set_str(in, "manifest_digest", qn_image_manifest_digest(h->img));
	qn_json_set_str(in, "config_digest", qn_image_config_digest(h->img));
	qn_json_set_str(in, "platform", qn_image_platform(h->img));
	json_object_set_new(r, "input", in);
	json_t *out = json_object();
	qn_json_set_str(out, "path", h->o->out);
	qn_json_set_str(out, "digest", h->out_digest);
	json_object_set_new(r, "output", out);
	json_object_set_new(r, "size", sizes(h, r));
	json_object_set_new(r, "packages", packages(h));
	json_object_set_new(r, "profile", profile(h));
	json_object_set_new(r, "keep", keep_reasons(h));
	json_object_set_new(r, "rules", rules(h));
	json_t *ex = json_array();
	size_t n;
	const char **exs = qn_strset_sorted(&h->excluded, &n);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ex, qn_json_string(exs[i]));
	free(exs);
	json_object_set_new(r, "excluded", ex);
	json_t *w = json_array();
	for (size_t i = 0; i < h->warnings.n; i++)
		json_array_append_new(w, qn_json_string(h->warnings.v[i]));
	json_object_set_new(r, "warnings", w);
	json_t *t = json_object();
	json_object_set_new(t, "unpack", json_real(h->t.unpack));
	json_object_set_new(t, "run", json_real(h->t.run));
	json_object_set_new(t, "trace", json_real(h->t.trace));
	json_object_set_new(t, "closure", json_real(h->t.closure));
	json_object_set_new(t, "write", json_real(h->t.write));
	json_object_set_new(t, "total", json_real(h->t.total));
	json_object_set_new(r, "seconds", t);
	return r;
}
