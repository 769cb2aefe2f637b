/* The inspect document: everything `quench inspect` shows, as one JSON value whose form is
 * documented in docs/inspect.md. Field names of the image config are kept as the OCI config
 * spells them, so a reader can compare them with the original byte for byte. */
#include "quench/report.h"
#include "util/json.h"

/* The drop-in interface of an image: the config fields a hardened image must keep. */
static const char *const interface_fields[] = {
    "Entrypoint", "Cmd",    "Env",        "WorkingDir",  "User",  "ExposedPorts",
    "Volumes",    "Labels", "StopSignal", "Healthcheck", "Shell", "OnBuild",
};

static json_t *keys_array(const json_t *obj)
{
	json_t *a = json_array();
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)obj, k, v)
		json_array_append_new(a, json_string(k));
	return a;
}

static json_t *config_part(const json_t *cfg)
{
	json_t *out = json_object();
	const json_t *c = json_object_get(cfg, "config");
	for (size_t i = 0; i < QN_ARRAY_LEN(interface_fields); i++) {
		const char *f = interface_fields[i];
		json_t *v = json_object_get(c, f);
		if (!v || json_is_null(v)) {
			json_object_set_new(out, f, json_null());
			continue;
		}
		/* ports and volumes are sets in the config ({"80/tcp": {}}); a list reads better */
		if (!strcmp(f, "ExposedPorts") || !strcmp(f, "Volumes"))
			json_object_set_new(out, f, keys_array(v));
		else
			json_object_set(out, f, v);
	}
	return out;
}

static json_t *layer_json(const qn_layer_info *l)
{
	json_t *j = json_object();
	qn_json_set_int(j, "index", (long long)l->index);
	qn_json_set_str(j, "digest", l->digest);
	qn_json_set_str(j, "diff_id", l->diff_id);
	qn_json_set_str(j, "media_type", l->media_type);
	qn_json_set_str(j, "compression", l->compression);
	qn_json_set_int(j, "size", (long long)l->size);
	qn_json_set_int(j, "uncompressed_size", (long long)l->uncompressed_size);
	qn_json_set_int(j, "entries", (long long)l->n_entries);
	qn_json_set_int(j, "files", (long long)l->n_files);
	qn_json_set_str(j, "created_by", l->created_by);
	qn_json_set_str(j, "created", l->created);
	qn_json_set_str(j, "comment", l->comment);
	return j;
}

typedef struct {
	const qn_node **v;
	size_t n, cap;
} top_t;

static int cmp_size(const void *a, const void *b)
{
	const qn_node *x = *(const qn_node *const *)a, *y = *(const qn_node *const *)b;
	if (x->subtree_size != y->subtree_size)
		return x->subtree_size < y->subtree_size ? 1 : -1;
	_cleanup_free_ char *px = qn_node_path(x);
	_cleanup_free_ char *py = qn_node_path(y);
	return strcmp(px, py);
}

static int collect_dirs(void *ud, const qn_node *n, const char *path)
{
	top_t *t = ud;
	if (n->type != QN_NODE_DIR || !*path)
		return 0;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n++] = n;
	return 0;
}

static json_t *largest_folders(const qn_tree *tree, size_t k)
{
	top_t t = {0};
	qn_tree_walk(tree, collect_dirs, &t);
	qsort(t.v, t.n, sizeof(*t.v), cmp_size);
	json_t *a = json_array();
	for (size_t i = 0; i < t.n && i < k; i++) {
		json_t *j = json_object();
		_cleanup_free_ char *p = qn_node_path(t.v[i]);
		_cleanup_free_ char *abs = xasprintf("/%s", p);
		qn_json_set_str(j, "path", abs);
		qn_json_set_int(j, "size", (long long)t.v[i]->subtree_size);
		qn_json_set_int(j, "entries", (long long)t.v[i]->subtree_files);
		json_array_append_new(a, j);
	}
	free(t.v);
	return a;
}

static json_t *os_json(const qn_os_info *os)
{
	if (!os || (!os->id && !os->pretty_name))
		return json_null();
	json_t *j = json_object();
	qn_json_set_str(j, "id", os->id);
	qn_json_set_str(j, "version_id", os->version_id);
	qn_json_set_str(j, "version_codename", os->version_codename);
	qn_json_set_str(j, "pretty_name", os->pretty_name);
	qn_json_set_str(j, "id_like", os->id_like);
	_cleanup_free_ char *src = os->source ? xasprintf("/%s", os->source) : NULL;
	qn_json_set_str(j, "source", src);
	return j;
}

json_t *qn_report_inspect(const qn_image *img, const qn_tree *tree, const qn_os_info *os, size_t top_folders)
{
	json_t *doc = json_object();
	qn_json_set_str(doc, "schema", "quench.inspect/v1");
	json_t *im = json_object();
	qn_json_set_str(im, "ref", qn_image_ref(img));
	qn_json_set_str(im, "format", qn_image_format_name(qn_image_get_format(img)));
	qn_json_set_str(im, "tag", qn_image_tag(img));
	qn_json_set_str(im, "manifest_digest", qn_image_manifest_digest(img));
	qn_json_set_str(im, "config_digest", qn_image_config_digest(img));
	qn_json_set_str(im, "platform", qn_image_platform(img));
	const json_t *cfg = qn_image_config(img);
	qn_json_set_str(im, "created", qn_json_str(cfg, "created"));
	qn_json_set_str(im, "author", qn_json_str(cfg, "author"));
	json_object_set_new(doc, "image", im);
	json_object_set_new(doc, "config", config_part(cfg));
	json_object_set_new(doc, "os", os_json(os));
	json_t *layers = json_array();
	uint64_t size = 0, usize = 0, entries = 0;
	for (size_t i = 0; i < qn_image_layer_count(img); i++) {
		const qn_layer_info *l = qn_image_layer(img, i);
		json_array_append_new(layers, layer_json(l));
		size += l->size;
		usize += l->uncompressed_size;
		entries += l->n_entries;
	}
	json_object_set_new(doc, "layers", layers);
	const qn_tree_stats *st = qn_tree_get_stats(tree);
	json_t *tot = json_object();
	qn_json_set_int(tot, "layers", (long long)qn_image_layer_count(img));
	qn_json_set_int(tot, "size", (long long)size);
	qn_json_set_int(tot, "uncompressed_size", (long long)usize);
	qn_json_set_int(tot, "entries", (long long)entries);
	qn_json_set_int(tot, "files", (long long)st->files);
	qn_json_set_int(tot, "dirs", (long long)st->dirs);
	qn_json_set_int(tot, "symlinks", (long long)st->symlinks);
	qn_json_set_int(tot, "other", (long long)st->others);
	qn_json_set_int(tot, "bytes", (long long)st->bytes);
	qn_json_set_int(tot, "whiteouts", (long long)st->whiteouts);
	qn_json_set_int(tot, "overwritten", (long long)st->overwritten);
	json_object_set_new(doc, "totals", tot);
	json_object_set_new(doc, "largest_folders", largest_folders(tree, top_folders));
	json_t *w = json_array();
	for (size_t i = 0; i < qn_tree_warning_count(tree); i++)
		json_array_append_new(w, qn_json_string(qn_tree_warning(tree, i)));
	json_object_set_new(doc, "warnings", w);
	return doc;
}
