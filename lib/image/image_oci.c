/* OCI image layouts, as folders (oci:) and archives (oci-archive:). Walks index.json to one
 * manifest (by tag, by digest, then by platform through nested indexes), reads the manifest and
 * config blobs and checks each one's size and digest against the descriptor that names it. */
#include "image_int.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

typedef struct {
	const char *media_type; /* may be NULL */
	qn_digest digest;
	const char *digest_str;
	uint64_t size;
} desc_t;

static int parse_desc(const json_t *j, const char *what, desc_t *d, qn_error **err)
{
	if (!json_is_object(j))
		return qn_error_set(err, QN_ERR_INPUT, "%s: descriptor is not an object", what);
	d->media_type = qn_json_str(j, "mediaType");
	d->digest_str = qn_json_req_str(j, "digest", what, err);
	if (!d->digest_str)
		return -1;
	if (qn_digest_parse(d->digest_str, &d->digest, err) < 0)
		return qn_error_prefix(err, "%s", what);
	if (!json_object_get(j, "size"))
		return qn_error_set(err, QN_ERR_INPUT, "%s: descriptor has no size", what);
	return qn_json_u64(j, "size", 0, &d->size, what, err);
}

static char *blob_name(const qn_digest *d)
{
	char hex[129];
	return xasprintf("blobs/%s/%s", qn_digest_algo_name(d->algo), qn_digest_hex(d, hex));
}

/* Reads a small blob (manifest, index, config), verifying size and digest, and parses it. */
static json_t *read_blob_json(qn_image *img, const desc_t *d, size_t max, const char *what, qn_error **err)
{
	if (d->size > max) {
		qn_error_set(err, QN_ERR_LIMIT, "%s %s: %llu bytes is over the limit of %zu", what, d->digest_str,
			     (unsigned long long)d->size, max);
		return NULL;
	}
	_cleanup_free_ char *name = blob_name(&d->digest);
	qn_blob_loc loc;
	if (qn_store_locate(img->store, name, &loc, err) < 0) {
		qn_error_free(*err);
		*err = NULL;
		qn_error_set(err, QN_ERR_INPUT, "%s %s: blob is missing from the image", what, d->digest_str);
		return NULL;
	}
	if (loc.size != d->size) {
		qn_error_set(err, QN_ERR_INPUT, "%s %s: blob is %llu bytes but its descriptor says %llu", what,
			     d->digest_str, (unsigned long long)loc.size, (unsigned long long)d->size);
		return NULL;
	}
	size_t len;
	_cleanup_free_ char *buf = qn_store_read(img->store, name, max, &len, err);
	if (!buf)
		return NULL;
	qn_digest got;
	qn_digest_buf(d->digest.algo, buf, len, &got);
	if (!qn_digest_eq(&got, &d->digest)) {
		char g[QN_DIGEST_STR_MAX];
		qn_error_set(err, QN_ERR_INPUT, "%s %s: digest mismatch (content hashes to %s)", what, d->digest_str,
			     qn_digest_str(&got, g));
		return NULL;
	}
	_cleanup_free_ char *w = xasprintf("%s %s", what, d->digest_str);
	return qn_json_parse(buf, len, max, w, err);
}

static bool is_index_type(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST));
}
static bool is_manifest_type(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST));
}

static void platform_of(const json_t *desc, char *out, size_t n)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os = qn_json_str(p, "os"), *arch = qn_json_str(p, "architecture");
	const char *var = qn_json_str(p, "variant");
	if (var)
		snprintf(out, n, "%s/%s/%s", os ? os : "?", arch ? arch : "?", var);
	else
		snprintf(out, n, "%s/%s", os ? os : "?", arch ? arch : "?");
}

/* Chooses the index entry for platform "os/arch[/variant]". Without a requested variant any
 * variant matches; with one it must match exactly. */
static const json_t *select_platform(const json_t *mans, const char *platform, qn_error **err)
{
	_cleanup_free_ char *want = xstrdup(platform);
	char *save = NULL;
	char *os = strtok_r(want, "/", &save), *arch = strtok_r(NULL, "/", &save), *var = strtok_r(NULL, "/", &save);
	if (!os || !arch)
		return qn_error_set(err, QN_ERR_USAGE, "platform \"%s\": want os/arch[/variant]", platform), NULL;
	size_t i;
	const json_t *m, *found = NULL;
	json_array_foreach (mans, i, m) {
		json_t *p = json_object_get(m, "platform");
		const char *mos = qn_json_str(p, "os"), *march = qn_json_str(p, "architecture");
		const char *mvar = qn_json_str(p, "variant");
		if (!mos || !march || strcmp(mos, os) || strcmp(march, arch))
			continue;
		if (var && (!mvar || strcmp(mvar, var)))
			continue;
		found = m;
		break;
	}
	if (found)
		return found;
	qn_buf b = QN_BUF_INIT;
	json_array_foreach (mans, i, m) {
		char pl[128];
		platform_of(m, pl, sizeof(pl));
		qn_buf_printf(&b, "%s%s", b.len ? ", " : "", pl);
	}
	qn_error_set(err, QN_ERR_NOTFOUND, "no image for platform %s (available: %s)", platform,
		     b.data ? b.data : "none");
	qn_buf_clear(&b);
	return NULL;
}

static const json_t *select_by_tag(const json_t *mans, const char *sel, qn_error **err)
{
	size_t i;
	const json_t *m;
	if (sel && sel[0] == '@') {
		json_array_foreach (mans, i, m)
			if (!strcmp(qn_json_str(m, "digest") ? qn_json_str(m, "digest") : "", sel + 1))
				return m;
		return qn_error_set(err, QN_ERR_NOTFOUND, "index.json has no manifest %s", sel + 1), NULL;
	}
	const json_t *found = NULL;
	qn_buf tags = QN_BUF_INIT;
	json_array_foreach (mans, i, m) {
		const char *t = qn_json_str(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name");
		if (t)
			qn_buf_printf(&tags, "%s%s", tags.len ? ", " : "", t);
		if (sel && t && !strcmp(t, sel)) {
			if (found) {
				qn_buf_clear(&tags);
				return qn_error_set(err, QN_ERR_INPUT, "index.json names tag \"%s\" twice", sel), NULL;
			}
			found = m;
		}
	}
	if (!sel && json_array_size(mans) == 1)
		found = json_array_get(mans, 0);
	if (!found) {
		if (sel)
			qn_error_set(err, QN_ERR_NOTFOUND, "no tag \"%s\" in index.json (tags: %s)", sel,
				     tags.data ? tags.data : "none");
		else if (json_array_size(mans) == 0)
			qn_error_set(err, QN_ERR_INPUT, "index.json lists no manifests");
		else
			qn_error_set(err, QN_ERR_USAGE, "index.json holds %zu images; name one with :TAG (tags: %s)",
				     json_array_size(mans), tags.data ? tags.data : "none");
	}
	qn_buf_clear(&tags);
	return found;
}

static int check_manifests_array(const json_t *idx, const char *what, qn_error **err)
{
	json_t *mans = json_object_get(idx, "manifests");
	if (!json_is_array(mans))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"manifests\" is not an array", what);
	size_t i;
	json_t *m;
	json_array_foreach (mans, i, m) {
		desc_t d;
		_cleanup_free_ char *w = xasprintf("%s: manifests[%zu]", what, i);
		if (parse_desc(m, w, &d, err) < 0)
			return -1;
	}
	return 0;
}

static int load_layers(qn_image *img, const json_t *man, qn_error **err)
{
	json_t *layers = json_object_get(man, "layers");
	if (!json_is_array(layers))
		return qn_error_set(err, QN_ERR_INPUT, "manifest: \"layers\" is not an array");
	size_t n = json_array_size(layers);
	if (n > QN_MAX_LAYERS)
		return qn_error_set(err, QN_ERR_LIMIT, "manifest has %zu layers, over the limit of %d", n,
				    QN_MAX_LAYERS);
	img->n_layers = n;
	img->layers = xcalloc(n ? n : 1, sizeof(*img->layers));
	img->src = xcalloc(n ? n : 1, sizeof(*img->src));
	for (size_t i = 0; i < n; i++) {
		desc_t d;
		_cleanup_free_ char *w = xasprintf("manifest: layers[%zu]", i);
		if (parse_desc(json_array_get(layers, i), w, &d, err) < 0)
			return -1;
		/* Layer media types are checked loosely (the content decides the compression), but
		 * anything that is not a layer tar at all means this is not a container image. */
		if (d.media_type && !strstr(d.media_type, ".layer.") && !strstr(d.media_type, ".rootfs."))
			return qn_error_set(err, QN_ERR_INPUT, "%s: media type \"%s\" is not an image layer", w,
					    d.media_type);
		qn_layer_info *l = &img->layers[i];
		l->index = i;
		l->digest = xstrdup(d.digest_str);
		l->media_type = d.media_type ? xstrdup(d.media_type) : NULL;
		l->size = d.size;
		img->src[i].blob_name = blob_name(&d.digest);
		img->src[i].digest = d.digest;
		img->src[i].digest_known = true;
		img->src[i].size_known = true;
	}
	return 0;
}

/* Follows descriptors from index.json down to one image manifest. */
static json_t *resolve_manifest(qn_image *img, const json_t *desc_j, const char *platform, qn_error **err)
{
	json_t *cur = json_incref((json_t *)desc_j);
	for (int depth = 0; depth < 4; depth++) {
		desc_t d;
		if (parse_desc(cur, "index.json", &d, err) < 0)
			break;
		json_t *doc = read_blob_json(img, &d, QN_MAX_MANIFEST_BYTES, "manifest", err);
		if (!doc)
			break;
		const char *mt = qn_json_str(doc, "mediaType");
		if (d.media_type && mt && strcmp(d.media_type, mt)) {
			qn_error_set(err, QN_ERR_INPUT, "manifest %s: media type %s differs from its descriptor's %s",
				     d.digest_str, mt, d.media_type);
			json_decref(doc);
			break;
		}
		bool is_index = is_index_type(mt ? mt : d.media_type) ||
				(!mt && !d.media_type && json_object_get(doc, "manifests"));
		if (!is_index) {
			if ((mt || d.media_type) && !is_manifest_type(mt ? mt : d.media_type)) {
				qn_error_set(err, QN_ERR_INPUT, "manifest %s: media type %s is not an image manifest",
					     d.digest_str, mt ? mt : d.media_type);
				json_decref(doc);
				break;
			}
			img->manifest_digest = xstrdup(d.digest_str);
			json_decref(cur);
			return doc;
		}
		_cleanup_free_ char *w = xasprintf("index %s", d.digest_str);
		if (check_manifests_array(doc, w, err) < 0) {
			json_decref(doc);
			break;
		}
		const json_t *next = select_platform(json_object_get(doc, "manifests"), platform, err);
		if (!next) {
			json_decref(doc);
			break;
		}
		json_decref(cur);
		cur = json_incref((json_t *)next);
		json_decref(doc);
		if (depth == 3)
			qn_error_set(err, QN_ERR_INPUT, "image indexes nested more than 4 deep");
	}
	json_decref(cur);
	return NULL;
}

int qn_image_load_oci(qn_image *img, const char *sel, const char *platform, qn_error **err)
{
	size_t len;
	_cleanup_free_ char *lay = qn_store_read(img->store, "oci-layout", 64 * 1024, &len, err);
	if (!lay)
		return qn_error_prefix(err, "not an OCI image layout");
	_cleanup_json_ json_t *lj = qn_json_parse(lay, len, 64 * 1024, "oci-layout", err);
	if (!lj)
		return -1;
	const char *ver = qn_json_str(lj, "imageLayoutVersion");
	if (!ver || strcmp(ver, "1.0.0"))
		return qn_error_set(err, QN_ERR_INPUT, "oci-layout: unsupported imageLayoutVersion");
	_cleanup_free_ char *ib = qn_store_read(img->store, "index.json", QN_MAX_MANIFEST_BYTES, &len, err);
	if (!ib)
		return -1;
	_cleanup_json_ json_t *idx = qn_json_parse(ib, len, QN_MAX_MANIFEST_BYTES, "index.json", err);
	if (!idx)
		return -1;
	if (!json_is_object(idx) || check_manifests_array(idx, "index.json", err) < 0)
		return qn_error_set(err, QN_ERR_INPUT, "index.json: not an image index");
	const json_t *top = select_by_tag(json_object_get(idx, "manifests"), sel, err);
	if (!top)
		return -1;
	const char *t = qn_json_str(json_object_get(top, "annotations"), "org.opencontainers.image.ref.name");
	img->tag = t ? xstrdup(t) : sel ? xstrdup(sel) : NULL;
	img->manifest = resolve_manifest(img, top, platform, err);
	if (!img->manifest)
		return -1;
	json_t *cd = json_object_get(img->manifest, "config");
	desc_t d;
	if (parse_desc(cd, "manifest: config", &d, err) < 0)
		return -1;
	img->config = read_blob_json(img, &d, QN_MAX_CONFIG_BYTES, "config", err);
	if (!img->config)
		return -1;
	img->config_digest = xstrdup(d.digest_str);
	if (load_layers(img, img->manifest, err) < 0)
		return -1;
	return qn_image_apply_config(img, err);
}

/* Validates an index or manifest document the way opening an image would, without a store
 * (fuzzing and tests): descriptors, tag and platform selection, layer list. */
int qn_oci_check_document(const uint8_t *buf, size_t len, const char *platform, qn_error **err)
{
	_cleanup_json_ json_t *doc = qn_json_parse(buf, len, QN_MAX_MANIFEST_BYTES, "document", err);
	if (!doc)
		return -1;
	if (!json_is_object(doc))
		return qn_error_set(err, QN_ERR_INPUT, "document: not an object");
	if (json_object_get(doc, "manifests")) {
		if (check_manifests_array(doc, "index", err) < 0)
			return -1;
		if (!select_by_tag(json_object_get(doc, "manifests"), NULL, err)) {
			qn_error_free(*err);
			*err = NULL;
		}
		return select_platform(json_object_get(doc, "manifests"), platform, err) ? 0 : -1;
	}
	qn_image img = {0};
	int rc = load_layers(&img, doc, err);
	desc_t d;
	if (rc == 0)
		rc = parse_desc(json_object_get(doc, "config"), "manifest: config", &d, err);
	for (size_t i = 0; i < img.n_layers; i++) {
		free(img.layers[i].digest);
		free(img.layers[i].media_type);
		free(img.src[i].blob_name);
	}
	free(img.layers);
	free(img.src);
	return rc;
}
