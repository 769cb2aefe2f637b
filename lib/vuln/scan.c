/* Scanning an image: the inventory matched against the database, as the quench.scan/v1 document.
 *
 * One pass over the layers builds the tree with the inventory's capture rules plus each Debian
 * package's changelog.Debian.gz (evidence of fixes newer than the data). The matcher
 * (match.c) gives findings per package; here they get the layer that introduced their package,
 * whether that layer belongs to the base image, the filters (--ignore-unfixed, severities) and
 * the VEX verdict, and are counted per severity for base, app and unknown layers. Printing and
 * exit codes are the command line's; SARIF and CycloneDX are built from this document in
 * lib/report. See docs/scan.md. */
#include <string.h>

#include "quench/scan.h"
#include "quench/tree.h"
#include "quench/version.h"
#include "util/json.h"
#include "util/strset.h"
#include "util/util.h"

#define CHANGELOG_CAPTURE (16u << 20)

/* usr/share/doc/PKG/changelog.Debian.gz or changelog.Debian.ARCH.gz (binNMUs). */
static bool is_changelog_path(const char *path)
{
	if (!qn_str_has_prefix(path, "usr/share/doc/"))
		return false;
	const char *dir = path + strlen("usr/share/doc/");
	const char *slash = strchr(dir, '/');
	if (!slash || slash == dir || strchr(slash + 1, '/'))
		return false;
	return qn_str_has_prefix(slash + 1, "changelog.Debian") && qn_str_has_suffix(slash + 1, ".gz");
}

static qn_capture capture(void *ud, const char *path, uint64_t size, uint32_t mode)
{
	qn_capture c = qn_inventory_capture(ud, path, size, mode);
	if (c.kind == QN_CAPTURE_NONE && size <= CHANGELOG_CAPTURE && is_changelog_path(path))
		return (qn_capture){QN_CAPTURE_WHOLE, CHANGELOG_CAPTURE, false};
	return c;
}

/* ---- changelog evidence ---- */

typedef struct {
	const qn_tree *tree;
	qn_strset cache; /* "name\tarch" -> qn_strset* (CVE -> version) */
	qn_findings *out;
} clctx;

static int cl_add(void *ud, const char *cve, const char *version)
{
	qn_strset *s = ud;
	if (!qn_strset_has(s, cve))
		qn_strset_put(s, cve, xstrdup(version));
	return 0;
}

static const qn_node *changelog_node(const qn_tree *t, const qn_package *p)
{
	_cleanup_free_ char *a = xasprintf("usr/share/doc/%s/changelog.Debian.gz", p->name);
	_cleanup_free_ char *b = xasprintf("usr/share/doc/%s/changelog.Debian.%s.gz", p->name, p->arch ? p->arch : "");
	const char *paths[] = {a, b};
	for (size_t i = 0; i < 2; i++) {
		qn_error *e = NULL;
		const qn_node *n = qn_tree_resolve(t, paths[i], true, NULL, &e);
		qn_error_free(e);
		if (n && n->type == QN_NODE_REG && n->content && !n->content_truncated)
			return n;
	}
	return NULL;
}

static qn_strset *changelog_of(clctx *c, const qn_package *p)
{
	_cleanup_free_ char *key = xasprintf("%s\t%s", p->name, p->arch ? p->arch : "");
	qn_strset *s = qn_strset_get(&c->cache, key);
	if (s)
		return s;
	s = xcalloc(1, sizeof(*s));
	qn_strset_put(&c->cache, key, s);
	const qn_node *n = changelog_node(c->tree, p);
	const char *upto = p->source_version ? p->source_version : p->version;
	qn_error *e = NULL;
	if (n && qn_changelog_cves(n->content, n->content_len, upto, cl_add, s, &e) < 0) {
		c->out->warnings = xreallocarray(c->out->warnings, c->out->n_warnings + 1, sizeof(char *));
		c->out->warnings[c->out->n_warnings++] =
		    xasprintf("deb %s: changelog not used: %s", p->name, e ? e->msg : "unreadable");
		qn_error_free(e);
	}
	return s;
}

static bool changelog_fixed(void *ud, const qn_package *p, const char *cve, const char **version)
{
	if (p->eco != QN_ECO_DEB || !p->name)
		return false;
	qn_strset *s = changelog_of(ud, p);
	const char *v = qn_strset_get(s, cve);
	if (v)
		*version = v;
	return v != NULL;
}

static void clctx_clear(clctx *c)
{
	for (size_t i = 0; i < c->cache.cap; i++) {
		qn_strset *s = c->cache.vals ? c->cache.vals[i] : NULL;
		if (!s)
			continue;
		for (size_t k = 0; k < s->cap; k++)
			if (s->vals && s->vals[k])
				free(s->vals[k]);
		qn_strset_clear(s);
		free(s);
	}
	qn_strset_clear(&c->cache);
}

/* ---- base layers ---- */

typedef struct {
	const char *how; /* "--base", "annotation", "unknown" */
	const char *ref, *digest;
	long layers; /* -1: unknown */
} base_info;

static const char *annotation(const qn_image *img, const char *key)
{
	const json_t *m = qn_image_manifest(img);
	const char *v = m ? qn_json_str(json_object_get(m, "annotations"), key) : NULL;
	if (!v)
		v = qn_json_str(json_object_get(json_object_get(qn_image_config(img), "config"), "Labels"), key);
	return v && *v ? v : NULL;
}

static int check_prefix(const qn_image *img, const char *const *ids, size_t n, const char *what, qn_error **err)
{
	size_t have = qn_image_layer_count(img);
	if (n > have)
		return qn_error_set(err, QN_ERR_INPUT,
				    "base image %s has %zu layers, more than the image's %zu: not its base", what, n,
				    have);
	for (size_t i = 0; i < n; i++) {
		const char *d = qn_image_layer(img, i)->diff_id;
		if (!ids[i] || !d || strcmp(ids[i], d))
			return qn_error_set(
			    err, QN_ERR_INPUT,
			    "base image %s: layer %zu (%s) is not the image's layer %zu (%s): not its base", what, i,
			    ids[i] ? ids[i] : "?", i, d ? d : "?");
	}
	return 0;
}

/* The base named by the annotation's digest, when the image's own OCI layout or archive holds
 * it (images built in one layout often do): its layer count when its diff_ids are a prefix of
 * the image's, else -1. Anything else (a registry name, a digest not in the layout) stays
 * unknown: quench does not fetch it. */
static long annotated_base_layers(const qn_image *img, const char *digest)
{
	qn_image_format f = qn_image_get_format(img);
	if ((f != QN_FMT_OCI_LAYOUT && f != QN_FMT_OCI_ARCHIVE) || !qn_str_has_prefix(digest, "sha256:"))
		return -1;
	const char *ref = qn_image_ref(img), *tag = qn_image_tag(img);
	const char *pre = f == QN_FMT_OCI_LAYOUT ? "oci:" : "oci-archive:";
	if (qn_str_has_prefix(ref, pre))
		ref += strlen(pre);
	size_t n = strlen(ref);
	if (tag && n > strlen(tag) && ref[n - strlen(tag) - 1] == ':' && !strcmp(ref + n - strlen(tag), tag))
		n -= strlen(tag) + 1;
	_cleanup_free_ char *base_ref = xasprintf("%s%.*s:@%s", pre, (int)n, ref, digest);
	qn_error *e = NULL;
	qn_image *base = qn_image_open(base_ref, NULL, &e);
	long layers = -1;
	if (base) {
		size_t k = qn_image_layer_count(base);
		const char **ids = xcalloc(k + 1, sizeof(char *));
		for (size_t i = 0; i < k; i++)
			ids[i] = qn_image_layer(base, i)->diff_id;
		if (check_prefix(img, ids, k, base_ref, &e) == 0)
			layers = (long)k;
		free(ids);
		qn_image_free(base);
	}
	qn_error_free(e);
	return layers;
}

static int find_base(const qn_image *img, const qn_scan_opts *o, base_info *b, qn_error **err)
{
	*b = (base_info){.how = "unknown", .layers = -1};
	if (o && o->base) {
		size_t n = qn_image_layer_count(o->base);
		const char **ids = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			ids[i] = qn_image_layer(o->base, i)->diff_id;
		const char *what = o->base_ref ? o->base_ref : qn_image_ref(o->base);
		int rc = check_prefix(img, ids, n, what, err);
		free(ids);
		if (rc < 0)
			return -1;
		*b = (base_info){"--base", what,
				 qn_image_manifest_digest(o->base) ? qn_image_manifest_digest(o->base)
								   : qn_image_config_digest(o->base),
				 (long)n};
		return 0;
	}
	if (o && o->n_base_diff_ids) {
		const char *what = o->base_ref ? o->base_ref : "(diff_ids)";
		if (check_prefix(img, o->base_diff_ids, o->n_base_diff_ids, what, err) < 0)
			return -1;
		*b = (base_info){"--base", o->base_ref, NULL, (long)o->n_base_diff_ids};
		return 0;
	}
	const char *name = annotation(img, "org.opencontainers.image.base.name");
	const char *digest = annotation(img, "org.opencontainers.image.base.digest");
	if (name || digest)
		*b = (base_info){"annotation", name, digest, -1};
	if (digest)
		b->layers = annotated_base_layers(img, digest);
	return 0;
}

/* ---- the document ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static const char *layer_kind(const base_info *b, int layer)
{
	if (b->layers < 0 || layer < 0)
		return "unknown";
	return layer < b->layers ? "base" : "app";
}

static json_t *layer_json(const qn_image *img, int layer)
{
	const qn_layer_info *l = layer >= 0 ? qn_image_layer(img, (size_t)layer) : NULL;
	if (!l)
		return json_null();
	return json_pack("{s:I,s:o,s:o}", "index", (json_int_t)layer, "diff_id", str_or_null(l->diff_id), "created_by",
			 str_or_null(l->created_by));
}

static bool keep(const qn_finding *f, const qn_scan_opts *o)
{
	if (!o)
		return true;
	if (o->ignore_unfixed && !f->fixed_version)
		return false;
	if (o->min_severity && f->severity < o->min_severity)
		return false;
	if (o->severities && !(o->severities & (1u << f->severity)))
		return false;
	return true;
}

typedef struct {
	const qn_image *img;
	const base_info *base;
	const qn_scan_opts *o;
	const char *image_ids[4];
	size_t n_image_ids;
	long counts[3][QN_SEV_COUNT];
	long suppressed, total;
} docctx;

static json_t *finding_json(docctx *d, const qn_finding *f)
{
	const qn_package *p = f->pkg;
	const char *kind = layer_kind(d->base, p->layer);
	bool suppressed = false;
	json_t *vex = json_null();
	if (d->o && d->o->vex) {
		size_t n = 1 + f->n_aliases + f->n_advisories, k = 0;
		const char **ids = xcalloc(n, sizeof(char *));
		ids[k++] = f->id;
		for (size_t i = 0; i < f->n_aliases; i++)
			ids[k++] = f->aliases[i];
		for (size_t i = 0; i < f->n_advisories; i++)
			ids[k++] = f->advisories[i];
		const char *just = NULL, *sid = NULL;
		qn_vex_status st = qn_vex_match(d->o->vex, ids, n, p->purl, d->image_ids, d->n_image_ids, &just, &sid);
		free(ids);
		if (st != QN_VEX_NONE) {
			suppressed = st == QN_VEX_NOT_AFFECTED || st == QN_VEX_FIXED;
			json_decref(vex);
			vex = json_pack("{s:s,s:o,s:o}", "status", qn_vex_status_name(st), "statement",
					str_or_null(sid), "justification", str_or_null(just));
		}
	}
	int ki = !strcmp(kind, "base") ? 0 : !strcmp(kind, "app") ? 1 : 2;
	if (suppressed)
		d->suppressed++;
	else {
		d->counts[ki][f->severity]++;
		d->total++;
	}
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(f->id));
	json_object_set_new(j, "aliases", strv(f->aliases, f->n_aliases));
	json_object_set_new(j, "advisories", strv(f->advisories, f->n_advisories));
	json_object_set_new(j, "package", str_or_null(p->name));
	json_object_set_new(j, "version", str_or_null(p->version));
	json_object_set_new(j, "purl", str_or_null(p->purl));
	json_object_set_new(j, "ecosystem", json_string(qn_ecosystem_name(p->eco)));
	json_object_set_new(j, "data_ecosystem", str_or_null(f->ecosystem));
	json_object_set_new(j, "source", str_or_null(f->package));
	json_object_set_new(j, "source_version", str_or_null(f->version));
	json_object_set_new(j, "fixed_version", str_or_null(f->fixed_version));
	json_object_set_new(j, "status", json_string(qn_vuln_status_name(f->status)));
	json_object_set_new(j, "severity", json_string(qn_severity_name(f->severity)));
	json_object_set_new(j, "severity_source", json_string(f->severity_source));
	json_object_set_new(j, "cvss", f->cvss >= 0 ? json_real(f->cvss) : json_null());
	json_object_set_new(j, "cvss_vector", str_or_null(f->cvss_vector));
	json_object_set_new(j, "urgency", str_or_null(f->urgency));
	json_object_set_new(j, "summary", str_or_null(f->summary));
	json_object_set_new(j, "data_source", str_or_null(f->data_source));
	json_object_set_new(j, "location", str_or_null(p->location));
	json_object_set_new(j, "layer", layer_json(d->img, p->layer));
	json_object_set_new(j, "layer_kind", json_string(kind));
	json_object_set_new(j, "suppressed_by_vex", json_boolean(suppressed));
	json_object_set_new(j, "vex", vex);
	return j;
}

static json_t *counts_json(const long c[QN_SEV_COUNT])
{
	json_t *o = json_object();
	long t = 0;
	for (int s = QN_SEV_CRITICAL; s >= QN_SEV_UNKNOWN; s--) {
		json_object_set_new(o, qn_severity_name((qn_severity)s), json_integer(c[s]));
		t += c[s];
	}
	json_object_set_new(o, "total", json_integer(t));
	return o;
}

static json_t *db_json(qn_vulndb *db, qn_error **err)
{
	qn_vuln_source *src = NULL;
	size_t n = 0;
	if (qn_vulndb_sources(db, &src, &n, err) < 0)
		return NULL;
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:s,s:o,s:o,s:o,s:I}", "name", src[i].name, "url", str_or_null(src[i].url),
				 "fetched_at", str_or_null(src[i].fetched_at), "data_date",
				 str_or_null(src[i].data_date), "records", (json_int_t)src[i].records));
	qn_vuln_sources_free(src, n);
	return json_pack("{s:o,s:o}", "path", str_or_null(qn_vulndb_path(db)), "sources", a);
}

static json_t *base_json(const base_info *b)
{
	return json_pack("{s:s,s:o,s:o,s:o}", "how", b->how, "ref", str_or_null(b->ref), "digest",
			 str_or_null(b->digest), "layers", b->layers >= 0 ? json_integer(b->layers) : json_null());
}

static json_t *layers_json(const qn_image *img, const base_info *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < qn_image_layer_count(img); i++) {
		json_t *l = layer_json(img, (int)i);
		json_object_set_new(l, "kind", json_string(layer_kind(b, (int)i)));
		json_array_append_new(a, l);
	}
	return a;
}

static json_t *build_doc(const qn_image *img, const qn_inventory *inv, const qn_findings *fs, const base_info *b,
			 const qn_scan_opts *o, json_t *dbj)
{
	docctx d = {.img = img, .base = b, .o = o};
	const char *ids[] = {qn_image_manifest_digest(img), qn_image_config_digest(img), qn_image_ref(img)};
	for (size_t i = 0; i < QN_ARRAY_LEN(ids); i++)
		if (ids[i])
			d.image_ids[d.n_image_ids++] = ids[i];
	json_t *findings = json_array();
	size_t filtered = 0;
	for (size_t i = 0; i < fs->n; i++) {
		if (!keep(&fs->v[i], o)) {
			filtered++;
			continue;
		}
		json_array_append_new(findings, finding_json(&d, &fs->v[i]));
	}
	const qn_os_info *os = qn_inventory_os(inv);
	json_t *warnings = json_array();
	for (size_t i = 0; i < qn_inventory_warning_count(inv); i++)
		json_array_append_new(warnings, json_string(qn_inventory_warning(inv, i)));
	for (size_t i = 0; i < fs->n_warnings; i++)
		json_array_append_new(warnings, json_string(fs->warnings[i]));
	if (!strcmp(b->how, "annotation") && b->layers < 0)
		json_array_append_new(warnings, json_string("the base image named by the annotations is not available: "
							    "pass --base IMAGE to split base and app findings"));
	json_t *summary =
	    json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I}", "base", counts_json(d.counts[0]), "app",
		      counts_json(d.counts[1]), "unknown", counts_json(d.counts[2]), "total", (json_int_t)d.total,
		      "suppressed", (json_int_t)d.suppressed, "filtered", (json_int_t)filtered, "fixed_per_changelog",
		      (json_int_t)fs->n_changelog_fixed, "packages", (json_int_t)qn_inventory_count(inv));
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string("quench.scan/v1"));
	json_object_set_new(doc, "image",
			    json_pack("{s:s,s:o,s:o,s:o}", "ref", qn_image_ref(img), "digest",
				      str_or_null(qn_image_manifest_digest(img)), "config_digest",
				      str_or_null(qn_image_config_digest(img)), "created",
				      str_or_null(qn_json_str(qn_image_config(img), "created"))));
	json_object_set_new(doc, "os",
			    json_pack("{s:o,s:o,s:o}", "id", str_or_null(os ? os->id : NULL), "version_id",
				      str_or_null(os ? os->version_id : NULL), "pretty_name",
				      str_or_null(os ? os->pretty_name : NULL)));
	json_object_set_new(doc, "db", dbj);
	json_object_set_new(doc, "base", base_json(b));
	json_object_set_new(doc, "layers", layers_json(img, b));
	json_object_set_new(doc, "findings", findings);
	json_object_set_new(doc, "summary", summary);
	json_object_set_new(doc, "warnings", warnings);
	return doc;
}

json_t *qn_scan_image(qn_image *img, qn_vulndb *db, const qn_scan_opts *opts, qn_error **err)
{
	base_info b;
	if (!img || !db)
		return qn_error_set(err, QN_ERR_USAGE, "scan: no %s", img ? "vulnerability database" : "image"), NULL;
	if (find_base(img, opts, &b, err) < 0)
		return NULL;
	json_t *dbj = db_json(db, err);
	if (!dbj)
		return NULL;
	qn_tree_opts to = {.capture = capture};
	qn_tree *tree = qn_tree_build(img, &to, err);
	qn_inventory *inv = tree ? qn_inventory_build(tree, err) : NULL;
	if (!inv) {
		qn_tree_free(tree);
		json_decref(dbj);
		return NULL;
	}
	size_t n = qn_inventory_count(inv);
	const qn_package **pkgs = xcalloc(n + 1, sizeof(*pkgs));
	for (size_t i = 0; i < n; i++)
		pkgs[i] = qn_inventory_get(inv, i);
	qn_findings fs = {0};
	clctx cl = {.tree = tree, .out = &fs};
	bool use_cl = !(opts && opts->no_changelog);
	int rc = qn_scan_match(db, qn_inventory_os(inv), pkgs, n, use_cl ? changelog_fixed : NULL, &cl, &fs, err);
	clctx_clear(&cl);
	qn_tree_free(tree);
	json_t *doc = NULL;
	if (rc == 0)
		doc = build_doc(img, inv, &fs, &b, opts, json_incref(dbj));
	json_decref(dbj);
	qn_findings_clear(&fs);
	free(pkgs);
	qn_inventory_free(inv);
	return doc;
}

int qn_scan_max_severity(const json_t *doc)
{
	int max = -1;
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(doc, "findings"), i, f) {
		qn_severity s;
		if (json_is_true(json_object_get(f, "suppressed_by_vex")))
			continue;
		if (qn_severity_parse(qn_json_str(f, "severity"), &s) == 0 && (int)s > max)
			max = (int)s;
	}
	return max;
}
