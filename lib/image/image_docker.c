/* docker-archive (`docker save`): manifest.json names the config and the layer files, either in
 * the legacy layout (<id>/layer.tar, <image-id>.json) or in the OCI-style blobs/ layout newer
 * engines write. Where a file name carries a digest it is verified; otherwise the layer is checked
 * against the config's diff_ids while it is read, and the config's own digest is the image ID. */
#include "image_int.h"
#include "util/path.h"

/* "blobs/sha256/<hex>" and "<64 hex>.json" state a digest; legacy "<id>/layer.tar" names do not
 * (the id is not a content digest). Returns true and fills d when the name states one. */
static bool digest_from_name(const char *name, qn_digest *d)
{
	char buf[QN_DIGEST_STR_MAX + 8];
	if (qn_str_has_prefix(name, "blobs/sha256/") || qn_str_has_prefix(name, "blobs/sha512/")) {
		snprintf(buf, sizeof(buf), "%.6s:%s", name + 6, name + 13);
	} else if (strlen(name) == 64 + 5 && qn_str_has_suffix(name, ".json")) {
		snprintf(buf, sizeof(buf), "sha256:%.64s", name);
	} else
		return false;
	return qn_digest_parse(buf, d, NULL) == 0;
}

static const json_t *select_entry(const json_t *man, const char *sel, char **tag, qn_error **err)
{
	size_t n = json_array_size(man), i;
	const json_t *e;
	if (sel && sel[0] == '@') {
		uint64_t k;
		if (qn_parse_u64(sel + 1, &k) < 0 || k >= n)
			return qn_error_set(err, QN_ERR_NOTFOUND, "manifest.json has no image @%s (it has %zu)",
					    sel + 1, n),
			       NULL;
		return json_array_get(man, (size_t)k);
	}
	qn_buf tags = QN_BUF_INIT;
	const json_t *found = NULL;
	json_array_foreach (man, i, e) {
		json_t *rt = json_object_get(e, "RepoTags");
		size_t j;
		json_t *t;
		json_array_foreach (rt, j, t) {
			if (!json_is_string(t))
				continue;
			qn_buf_printf(&tags, "%s%s", tags.len ? ", " : "", json_string_value(t));
			if (sel && !strcmp(json_string_value(t), sel) && !found) {
				found = e;
				*tag = xstrdup(sel);
			}
		}
	}
	if (!sel && n == 1) {
		found = json_array_get(man, 0);
		const char *t = json_string_value(json_array_get(json_object_get(found, "RepoTags"), 0));
		*tag = t ? xstrdup(t) : NULL;
	}
	if (!found) {
		if (sel)
			qn_error_set(err, QN_ERR_NOTFOUND, "no image \"%s\" in manifest.json (tags: %s)", sel,
				     tags.data ? tags.data : "none");
		else
			qn_error_set(err, n ? QN_ERR_USAGE : QN_ERR_INPUT,
				     n ? "manifest.json holds %zu images; name one with :NAME:TAG or :@N (tags: %s)"
				       : "manifest.json lists %zu images%s",
				     n, n ? (tags.data ? tags.data : "none") : "");
	}
	qn_buf_clear(&tags);
	return found;
}

static int member_name(const json_t *v, const char *what, char **out, qn_error **err)
{
	if (!json_is_string(v))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: %s is not a string", what);
	_cleanup_free_ char *q = qn_str_quote(json_string_value(v), 100);
	if (qn_path_normalize(json_string_value(v), 4096, out, err) < 0)
		return qn_error_prefix(err, "manifest.json: %s \"%s\"", what, q);
	if (!**out) {
		free(*out);
		*out = NULL;
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: %s is empty", what);
	}
	return 0;
}

static int load_config(qn_image *img, const json_t *entry, qn_error **err)
{
	_cleanup_free_ char *name = NULL;
	if (member_name(json_object_get(entry, "Config"), "Config", &name, err) < 0)
		return -1;
	size_t len;
	_cleanup_free_ char *buf = qn_store_read(img->store, name, QN_MAX_CONFIG_BYTES, &len, err);
	if (!buf)
		return qn_error_prefix(err, "config");
	qn_digest got, want;
	qn_digest_buf(QN_DIGEST_SHA256, buf, len, &got);
	char g[QN_DIGEST_STR_MAX];
	if (digest_from_name(name, &want)) {
		if (want.algo != QN_DIGEST_SHA256)
			qn_digest_buf(want.algo, buf, len, &got);
		if (!qn_digest_eq(&got, &want))
			return qn_error_set(err, QN_ERR_INPUT, "config \"%s\": digest mismatch (content hashes to %s)",
					    name, qn_digest_str(&got, g));
	}
	img->config_digest = xstrdup(qn_digest_str(&got, g));
	_cleanup_free_ char *w = xasprintf("config \"%s\"", name);
	img->config = qn_json_parse(buf, len, QN_MAX_CONFIG_BYTES, w, err);
	return img->config ? 0 : -1;
}

int qn_image_load_docker(qn_image *img, const char *sel, qn_error **err)
{
	size_t len;
	_cleanup_free_ char *mb = qn_store_read(img->store, "manifest.json", QN_MAX_MANIFEST_BYTES, &len, err);
	if (!mb)
		return -1;
	_cleanup_json_ json_t *man = qn_json_parse(mb, len, QN_MAX_MANIFEST_BYTES, "manifest.json", err);
	if (!man)
		return -1;
	if (!json_is_array(man))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: not an array");
	const json_t *entry = select_entry(man, sel, &img->tag, err);
	if (!entry)
		return -1;
	if (!json_is_object(entry))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: entry is not an object");
	if (load_config(img, entry, err) < 0)
		return -1;
	json_t *layers = json_object_get(entry, "Layers");
	if (!json_is_array(layers))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: \"Layers\" is not an array");
	size_t n = json_array_size(layers);
	if (n > QN_MAX_LAYERS)
		return qn_error_set(err, QN_ERR_LIMIT, "manifest.json has %zu layers, over the limit of %d", n,
				    QN_MAX_LAYERS);
	img->n_layers = n;
	img->layers = xcalloc(n ? n : 1, sizeof(*img->layers));
	img->src = xcalloc(n ? n : 1, sizeof(*img->src));
	for (size_t i = 0; i < n; i++) {
		char *name = NULL;
		_cleanup_free_ char *w = xasprintf("Layers[%zu]", i);
		if (member_name(json_array_get(layers, i), w, &name, err) < 0)
			return -1;
		img->src[i].blob_name = name;
		img->layers[i].index = i;
		qn_blob_loc loc;
		if (qn_store_locate(img->store, name, &loc, err) < 0) {
			qn_error_free(*err);
			*err = NULL;
			return qn_error_set(err, QN_ERR_INPUT, "layer %zu (\"%s\"): blob is missing from the archive",
					    i, name);
		}
		img->layers[i].size = loc.size;
		if (digest_from_name(name, &img->src[i].digest)) {
			img->src[i].digest_known = true;
			char g[QN_DIGEST_STR_MAX];
			img->layers[i].digest = xstrdup(qn_digest_str(&img->src[i].digest, g));
		}
	}
	if (qn_image_apply_config(img, err) < 0)
		return -1;
	return 0;
}

/* Validates a docker-archive manifest.json without an archive (fuzzing and tests). */
int qn_docker_check_manifest(const uint8_t *buf, size_t len, const char *sel, qn_error **err)
{
	_cleanup_json_ json_t *man = qn_json_parse(buf, len, QN_MAX_MANIFEST_BYTES, "manifest.json", err);
	if (!man)
		return -1;
	if (!json_is_array(man))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: not an array");
	_cleanup_free_ char *tag = NULL;
	const json_t *entry = select_entry(man, sel, &tag, err);
	if (!entry)
		return -1;
	_cleanup_free_ char *cfg = NULL;
	if (member_name(json_object_get(entry, "Config"), "Config", &cfg, err) < 0)
		return -1;
	json_t *layers = json_object_get(entry, "Layers");
	if (!json_is_array(layers))
		return qn_error_set(err, QN_ERR_INPUT, "manifest.json: \"Layers\" is not an array");
	for (size_t i = 0; i < json_array_size(layers); i++) {
		char *name = NULL;
		if (member_name(json_array_get(layers, i), "Layers[]", &name, err) < 0)
			return -1;
		qn_digest d;
		(void)digest_from_name(name, &d);
		free(name);
	}
	return 0;
}
