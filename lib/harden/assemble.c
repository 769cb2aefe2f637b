/* The hardened image: one layer per original layer, each holding the kept entries that layer
 * wrote last, with their original metadata (owners, modes, times, xattrs), minus setuid/setgid
 * bits when that rule applies, and with rewritten package databases where packages left. The
 * config is the original's, with one history entry added; annotations name the original image.
 * Content comes from the unpacked root, which the profile run never changed (an overlay took
 * its writes). */
#include "harden_int.h"
#include "image/writer.h"
#include "quench/report.h"

static qn_tar_type tar_type(qn_node_type t)
{
	switch (t) {
	case QN_NODE_DIR:
		return QN_TAR_DIR;
	case QN_NODE_SYMLINK:
		return QN_TAR_SYMLINK;
	case QN_NODE_CHR:
		return QN_TAR_CHR;
	case QN_NODE_BLK:
		return QN_TAR_BLK;
	case QN_NODE_FIFO:
		return QN_TAR_FIFO;
	case QN_NODE_REG:
	case QN_NODE_HARDLINK:
		break;
	}
	return QN_TAR_REG;
}

typedef struct {
	qn_write_layer *layers;
	size_t n_layers;
	size_t *cap;
	qn_ptrvec owned; /* strings and arrays to free after writing */
} build_t;

static void add_entry(qn_hardening *h, build_t *b, const char *path, const qn_node *n)
{
	size_t li = n->layer < 0 ? 0 : (size_t)n->layer;
	if (li >= b->n_layers)
		li = b->n_layers - 1;
	qn_write_layer *L = &b->layers[li];
	if (L->n == b->cap[li]) {
		b->cap[li] = b->cap[li] ? b->cap[li] * 2 : 256;
		L->entries = xreallocarray(L->entries, b->cap[li], sizeof(qn_write_entry));
	}
	qn_write_entry *e = &L->entries[L->n++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->type = tar_type(n->type);
	e->mode = n->mode;
	if (e->type == QN_TAR_REG && (h->o->rules & QN_RULE_SETUID))
		e->mode &= ~06000u; /* setuid/setgid programs are how a container escalates: none stay */
	if (e->type == QN_TAR_DIR && !strcmp(path, "tmp"))
		e->mode |= 01000; /* /tmp keeps its sticky bit */
	e->uid = n->uid;
	e->gid = n->gid;
	e->devmajor = n->devmajor;
	e->devminor = n->devminor;
	e->mtime = n->mtime;
	e->link = n->link;
	if (n->hardlink && qn_keep_has(&h->keep, n->hardlink))
		e->hardlink = n->hardlink;
	if (n->n_xattrs) {
		qn_tar_xattr *xa = xcalloc(n->n_xattrs, sizeof(*xa));
		for (size_t i = 0; i < n->n_xattrs; i++)
			xa[i] = (qn_tar_xattr){n->xattrs[i].key, (const char *)n->xattrs[i].value, n->xattrs[i].len};
		e->xattrs = xa;
		e->n_xattrs = n->n_xattrs;
		qn_ptrvec_push(&b->owned, xa);
	}
	if (e->type != QN_TAR_REG)
		return;
	const qn_blob *blob = qn_harden_content(h, path);
	if (blob) {
		e->data = blob->data;
		e->size = blob->len;
	} else {
		e->size = n->size;
		char *src = xasprintf("%s/%s", h->rootfs, path);
		e->src_file = src;
		qn_ptrvec_push(&b->owned, src);
	}
}

static json_t *history(const qn_hardening *h)
{
	const json_t *cfg = qn_image_config(h->img);
	json_t *hist = json_deep_copy(json_object_get(cfg, "history"));
	if (!json_is_array(hist)) {
		json_decref(hist);
		hist = json_array();
		for (size_t i = 0; i < qn_image_layer_count(h->img); i++) {
			json_t *e = json_object();
			qn_json_set_str(e, "created_by", qn_image_layer(h->img, i)->created_by);
			json_array_append_new(hist, e);
		}
	}
	json_t *e = json_object();
	if (qn_json_str(cfg, "created"))
		qn_json_set_str(e, "created", qn_json_str(cfg, "created"));
	_cleanup_free_ char *by = xasprintf("quench harden %s", qn_image_ref(h->img));
	qn_json_set_str(e, "created_by", by);
	qn_json_set_str(e, "comment", "unused files removed; package database rewritten for removed packages only");
	json_object_set_new(e, "empty_layer", json_true());
	json_array_append_new(hist, e);
	return hist;
}

static json_t *annotations(const qn_hardening *h)
{
	json_t *a = json_object();
	const char *md = qn_image_manifest_digest(h->img);
	qn_json_set_str(a, "dev.quench.source.ref", qn_image_ref(h->img));
	qn_json_set_str(a, "dev.quench.source.digest", md ? md : qn_image_config_digest(h->img));
	qn_json_set_str(a, "dev.quench.source.config", qn_image_config_digest(h->img));
	qn_json_set_str(a, "dev.quench.version", QN_VERSION);
	if (qn_image_tag(h->img))
		qn_json_set_str(a, "org.opencontainers.image.base.name", qn_image_tag(h->img));
	if (md)
		qn_json_set_str(a, "org.opencontainers.image.base.digest", md);
	return a;
}

static char *default_tag(const qn_hardening *h, qn_image_format f)
{
	const char *t = qn_image_tag(h->img);
	if (f == QN_FMT_DOCKER_ARCHIVE) {
		if (t && strchr(t, ':'))
			return xasprintf("%s-hardened", t);
		return xasprintf("%s:hardened", t ? t : "quench/hardened");
	}
	return xasprintf("%s-hardened", t ? t : "image");
}

int qn_harden_write(qn_hardening *h, qn_error **err)
{
	double t0 = qn_now();
	size_t nl = QN_MAX((size_t)1, qn_image_layer_count(h->img));
	build_t b = {.n_layers = nl};
	b.layers = xcalloc(nl, sizeof(qn_write_layer));
	b.cap = xcalloc(nl, sizeof(size_t));
	size_t n;
	const char **paths = qn_strset_sorted(&h->keep.paths, &n);
	for (size_t i = 0; i < n; i++) {
		const qn_node *node = qn_tree_lookup(h->tree, paths[i]);
		if (node && *paths[i])
			add_entry(h, &b, paths[i], node);
	}
	for (size_t i = 0; i < nl; i++) {
		const qn_layer_info *l = qn_image_layer(h->img, i);
		b.layers[i].created_by = l ? l->created_by : NULL;
	}
	qn_image_format f = h->o->format;
	if (!f)
		f = qn_image_get_format(h->img) == QN_FMT_DIR ? QN_FMT_OCI_ARCHIVE : qn_image_get_format(h->img);
	_cleanup_free_ char *tag = h->o->tag ? xstrdup(h->o->tag) : default_tag(h, f);
	json_t *hist = history(h), *ann = annotations(h);
	qn_write_spec spec = {.format = f,
			      .out = h->o->out,
			      .tag = tag,
			      .config = qn_image_config(h->img),
			      .layers = b.layers,
			      .n_layers = nl,
			      .annotations = ann,
			      .history = hist};
	qn_write_result res;
	int rc = qn_image_write(&spec, &res, err);
	if (rc == 0) {
		h->out_digest = xstrdup(res.manifest_digest[0] ? res.manifest_digest : res.config_digest);
		h->size_after = res.total_size;
	}
	json_decref(hist);
	json_decref(ann);
	free(paths);
	for (size_t i = 0; i < nl; i++)
		free(b.layers[i].entries);
	free(b.layers);
	free(b.cap);
	qn_ptrvec_clear(&b.owned, free);
	h->t.write = qn_now() - t0;
	return rc;
}
