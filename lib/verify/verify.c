/* quench verify, phase by phase: read both images into trees and inventories, unpack them into
 * a private work folder, run the same probes on each (the hardened one under the path
 * recorder), then compare: probe results, missing paths, interface, packages, paths, sizes and,
 * with a vulnerability database or given scans, the CVE delta. The work folder is removed on
 * every exit path; containers are destroyed by vrun.c as soon as their run ends. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "quench/scan.h"

#include "verify_int.h"

void qn_verify_opts_init(qn_verify_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->normalize = QN_NORM_DEFAULT;
	o->compare_body = true;
	o->compare_stderr = true;
}

void qn_verify_warn(qn_verifying *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	qn_ptrvec_push(&v->warnings, m);
	qn_warn("%s", m);
}

static int read_side(qn_verify_side *s, qn_error **err)
{
	qn_tree_opts to = {.capture = qn_inventory_capture};
	s->tree = qn_tree_build(s->img, &to, err);
	if (s->tree)
		s->inv = qn_inventory_build(s->tree, err);
	if (!s->tree || !s->inv)
		return qn_error_prefix(err, "%s image %s", s->which, qn_image_ref(s->img));
	return 0;
}

static int unpack_side(qn_verifying *v, qn_verify_side *s, qn_error **err)
{
	s->rootfs = xasprintf("%s/rootfs-%s", v->workdir, s->which);
	qn_info("verify: unpacking %s", qn_image_ref(s->img));
	if (qn_tree_extract(s->img, s->tree, s->rootfs, err) < 0)
		return qn_error_prefix(err, "unpacking the %s image", s->which);
	return 0;
}

static int prepare(qn_verifying *v, qn_error **err)
{
	v->norm = qn_verify_norm_new(v->o->normalize, v->o->normalize_regex, v->o->n_normalize_regex, err);
	if (!v->norm || read_side(&v->a, err) < 0 || read_side(&v->b, err) < 0)
		return -1;
	/* both unpacked roots live there */
	uint64_t need = qn_tree_get_stats(v->a.tree)->bytes + qn_tree_get_stats(v->b.tree)->bytes;
	v->workdir = qn_work_dir_new(v->o->workdir_parent, need, "quench-verify", err);
	if (!v->workdir)
		return -1;
	if (unpack_side(v, &v->a, err) < 0 || unpack_side(v, &v->b, err) < 0)
		return -1;
	return 0;
}

static void clear_side(qn_verify_side *s)
{
	json_decref(s->results);
	qn_strset_clear(&s->seen);
	qn_strset_clear(&s->created);
	free(s->stopped_by);
	free(s->rootfs);
	qn_inventory_free(s->inv);
	qn_tree_free(s->tree);
}

/* Without probes the image's own command is what runs: how it ended is its behaviour. */
static json_t *command_json(const qn_verifying *v, bool *ok)
{
	const qn_verify_side *a = &v->a, *b = &v->b;
	json_t *j = json_object(), *diffs = json_array();
	qn_json_set_str(j, "label", "command");
	qn_json_set_str(j, "kind", "command");
	bool ea = a->stopped_by && !strcmp(a->stopped_by, "the command exited");
	bool eb = b->stopped_by && !strcmp(b->stopped_by, "the command exited");
	if (ea != eb) {
		char *m = xasprintf("the command %s on the original image and %s on the hardened one",
				    ea ? "exited" : "kept running", eb ? "exited" : "kept running");
		json_array_append_new(diffs, qn_json_string(m));
		free(m);
	} else if (ea && a->exit_status != b->exit_status) {
		char *m = xasprintf("exit status %d != %d", a->exit_status, b->exit_status);
		json_array_append_new(diffs, qn_json_string(m));
		free(m);
	}
	bool same = json_array_size(diffs) == 0;
	*ok &= same;
	json_object_set_new(j, "same", json_boolean(same));
	json_t *x = json_object(), *y = json_object();
	qn_json_set_int(x, "exit_code", a->exit_status);
	qn_json_set_str(x, "stopped_by", a->stopped_by);
	qn_json_set_int(y, "exit_code", b->exit_status);
	qn_json_set_str(y, "stopped_by", b->stopped_by);
	json_object_set_new(j, "original", x);
	json_object_set_new(j, "hardened", y);
	json_object_set_new(j, "diffs", diffs);
	return j;
}

static json_t *probes_json(qn_verifying *v, bool *ok)
{
	json_t *list = json_array();
	const struct qn_probe_list *pl = v->o->probes;
	for (size_t i = 0; pl && i < pl->n; i++) {
		const qn_probe *p = &pl->v[i];
		json_t *a = json_array_get(v->a.results, i), *b = json_array_get(v->b.results, i);
		json_t *diffs = qn_verify_probe_diffs(a, b);
		json_t *j = json_object();
		qn_json_set_str(j, "label", p->label);
		qn_json_set_str(j, "kind", p->kind == QN_PROBE_HTTP ? "http" : "exec");
		if (p->is_test)
			json_object_set_new(j, "test", json_true());
		bool same = json_array_size(diffs) == 0;
		*ok &= same;
		json_object_set_new(j, "same", json_boolean(same));
		json_object_set(j, "original", a ? a : json_null());
		json_object_set(j, "hardened", b ? b : json_null());
		json_object_set_new(j, "diffs", diffs);
		if (same && a && !json_is_true(json_object_get(a, "ok")))
			qn_verify_warn(v, "probe %s does not answer as expected on either image: %s", p->label,
				       qn_json_str(a, "error") ? qn_json_str(a, "error") : "unexpected answer");
		json_array_append_new(list, j);
	}
	if (!pl || !pl->n)
		json_array_append_new(list, command_json(v, ok));
	return list;
}

static json_t *run_json(const qn_verify_side *s)
{
	json_t *r = json_object();
	qn_json_set_int(r, "exit_status", s->exit_status);
	qn_json_set_str(r, "stopped_by", s->stopped_by);
	if (s->trace)
		qn_json_set_int(r, "paths_recorded", (long long)qn_strset_count(&s->seen));
	return r;
}

static const json_t *annotations_of(qn_image *img)
{
	const json_t *a = json_object_get(qn_image_manifest(img), "annotations");
	return json_is_object(a) ? a : NULL;
}

/* The annotations hardening adds about its source must name this original. */
static void check_source(json_t *itf, qn_image *orig, qn_image *hard)
{
	const json_t *ann = annotations_of(hard);
	const char *md = qn_image_manifest_digest(orig), *cd = qn_image_config_digest(orig);
	json_t *checks = json_array();
	bool ok = true;
	static const char *const keys[] = {"dev.quench.source.digest", "dev.quench.source.config",
					   "org.opencontainers.image.base.digest"};
	for (size_t i = 0; i < QN_ARRAY_LEN(keys); i++) {
		const char *val = qn_json_str(ann, keys[i]);
		if (!val)
			continue;
		/* a docker-archive original has no manifest digest of its own: the digest annotations
		 * cannot be checked against it (the config digest still is) */
		const char *want = i == 1 ? cd : md;
		bool checkable = want != NULL;
		bool match = !checkable || !strcmp(val, want);
		json_t *c = json_object();
		qn_json_set_str(c, "annotation", keys[i]);
		qn_json_set_str(c, "value", val);
		qn_json_set_str(c, "expected", want);
		json_object_set_new(c, "ok", checkable ? json_boolean(match) : json_null());
		json_array_append_new(checks, c);
		ok &= match;
	}
	json_t *a = json_object_get(itf, "annotations");
	json_object_set_new(a, "source_checks", checks);
	if (!ok) {
		json_object_set_new(a, "ok", json_false());
		json_object_set_new(itf, "ok", json_false());
	}
}

static json_t *db_json(qn_vulndb *db, const json_t *scan)
{
	json_t *d = json_object(), *src = json_array();
	qn_vuln_source *s = NULL;
	size_t n = 0;
	if (db && qn_vulndb_sources(db, &s, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++) {
			json_t *j = json_object();
			qn_json_set_str(j, "name", s[i].name);
			qn_json_set_str(j, "kind", s[i].kind);
			qn_json_set_str(j, "url", s[i].url);
			qn_json_set_str(j, "data_date", s[i].data_date);
			qn_json_set_str(j, "sha256", s[i].sha256);
			qn_json_set_int(j, "records", (long long)s[i].records);
			json_array_append_new(src, j);
		}
		qn_vuln_sources_free(s, n);
	} else {
		json_t *from = json_object_get(json_object_get(scan, "db"), "sources");
		if (json_is_array(from))
			json_array_extend(src, from);
	}
	json_object_set_new(d, "sources", src);
	return d;
}

static char *row_key(const json_t *f)
{
	const char *id = qn_json_str(f, "id"), *p = qn_json_str(f, "package"), *ver = qn_json_str(f, "version");
	return xasprintf("%s\x1f%s\x1f%s", id ? id : "", p ? p : "", ver ? ver : "");
}

/* Removes from after's findings every (CVE, package, version) that the original's scan without
 * changelogs (raw) has and its scan with them (with) does not: a fix its changelog records. */
static void drop_changelog_fixed(json_t *after, const json_t *raw, const json_t *with)
{
	if (!raw || !with)
		return;
	qn_strset kept = QN_STRSET_INIT, settled = QN_STRSET_INIT;
	size_t i;
	json_t *f;
	json_array_foreach (json_object_get(with, "findings"), i, f) {
		_cleanup_free_ char *k = row_key(f);
		qn_strset_add(&kept, k);
	}
	json_array_foreach (json_object_get(raw, "findings"), i, f) {
		_cleanup_free_ char *k = row_key(f);
		if (!qn_strset_has(&kept, k))
			qn_strset_add(&settled, k);
	}
	json_t *v = json_object_get(after, "findings");
	for (i = json_array_size(v); i-- > 0;) {
		_cleanup_free_ char *k = row_key(json_array_get(v, i));
		if (qn_strset_has(&settled, k))
			json_array_remove(v, i);
	}
	qn_strset_clear(&kept);
	qn_strset_clear(&settled);
}

static json_t *cves(qn_verifying *v, json_t *packages, bool *ok, qn_error **err)
{
	const qn_verify_opts *o = v->o;
	json_t *before = o->scan_original ? json_incref((json_t *)o->scan_original) : NULL;
	json_t *after = o->scan_hardened ? json_incref((json_t *)o->scan_hardened) : NULL;
	if ((!before || !after) && o->db) {
		/* the base split needs the base's layers as a prefix: true of the original only (the
		 * hardened image's layers are new blobs); the delta attributes its rows as the
		 * original's were */
		/* Changelog evidence (a backported fix that the package's changelog.Debian.gz records)
		 * is about a package version, not about files: it holds just as well for the same
		 * version in the hardened image, whose changelogs went with /usr/share/doc. So the
		 * original is scanned with it (the figures `quench scan` reports), and the hardened
		 * image's rows that the original's changelogs settle are dropped the same way. */
		qn_scan_opts sa = {.base = o->base}, sraw = {.base = o->base, .no_changelog = true},
			     sb = {.no_changelog = true};
		qn_info("verify: scanning both images");
		json_t *raw = NULL;
		if (!before)
			before = qn_scan_image(v->a.img, o->db, &sa, err);
		if (before && !after && (raw = qn_scan_image(v->a.img, o->db, &sraw, err)))
			after = qn_scan_image(v->b.img, o->db, &sb, err);
		if (after)
			drop_changelog_fixed(after, raw, before);
		json_decref(raw);
		if (!before || !after)
			qn_error_prefix(err, "scanning the %s image", before ? "hardened" : "original");
		if (!before || !after) {
			json_decref(before);
			json_decref(after);
			return NULL;
		}
	}
	if (!before || !after) {
		json_decref(before);
		json_decref(after);
		return json_null();
	}
	size_t unexplained = 0;
	json_t *d = qn_verify_cve_delta(before, after, packages, &unexplained);
	json_object_set_new(d, "db", db_json(o->db, before));
	*ok &= unexplained == 0;
	json_decref(before);
	json_decref(after);
	return d;
}

static json_t *document(qn_verifying *v, qn_error **err)
{
	bool ok = true, probes_ok = true, honest = true;
	json_t *doc = json_object();
	qn_json_set_str(doc, "schema", "quench.verify/v1");
	qn_json_set_str(doc, "quench_version", QN_VERSION);
	json_object_set_new(doc, "original", qn_verify_image_facts(&v->a));
	json_object_set_new(doc, "hardened", qn_verify_image_facts(&v->b));
	json_t *itf = qn_verify_interface(qn_image_config(v->a.img), qn_image_config(v->b.img),
					  annotations_of(v->a.img), annotations_of(v->b.img));
	check_source(itf, v->a.img, v->b.img);
	ok &= json_is_true(json_object_get(itf, "ok"));
	json_object_set_new(doc, "interface", itf);
	json_object_set_new(doc, "probes", probes_json(v, &probes_ok));
	ok &= probes_ok;
	json_t *missing = qn_verify_missing(&v->a, &v->b);
	ok &= json_array_size(missing) == 0;
	json_object_set_new(doc, "missing_paths", missing);
	json_object_set_new(doc, "missing_paths_checked", json_boolean(v->b.trace));
	json_t *runs = json_object();
	json_object_set_new(runs, "original", run_json(&v->a));
	json_object_set_new(runs, "hardened", run_json(&v->b));
	json_object_set_new(doc, "runs", runs);
	json_t *pk = qn_verify_packages(&v->a, &v->b, &honest);
	ok &= honest;
	json_object_set_new(doc, "packages", pk);
	json_object_set_new(doc, "paths", qn_verify_paths(&v->a, &v->b));
	json_t *size = json_object();
	qn_json_set_int(size, "original",
			json_integer_value(json_object_get(json_object_get(doc, "original"), "size")));
	qn_json_set_int(size, "hardened",
			json_integer_value(json_object_get(json_object_get(doc, "hardened"), "size")));
	qn_json_set_int(size, "original_bytes",
			json_integer_value(json_object_get(json_object_get(doc, "original"), "bytes")));
	qn_json_set_int(size, "hardened_bytes",
			json_integer_value(json_object_get(json_object_get(doc, "hardened"), "bytes")));
	json_object_set_new(doc, "size", size);
	json_t *c = cves(v, pk, &ok, err);
	if (!c) {
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "cves", c);
	json_t *w = json_array();
	for (size_t i = 0; i < v->warnings.n; i++)
		json_array_append_new(w, qn_json_string(v->warnings.v[i]));
	json_object_set_new(doc, "warnings", w);
	json_t *checks = json_object();
	json_object_set_new(checks, "interface", json_boolean(json_is_true(json_object_get(itf, "ok"))));
	json_object_set_new(checks, "probes", json_boolean(probes_ok));
	json_object_set_new(checks, "missing_paths", json_boolean(json_array_size(missing) == 0));
	json_object_set_new(checks, "packages_honest", json_boolean(honest));
	json_object_set_new(checks, "cves",
			    json_is_null(c) ? json_null() : json_boolean(json_is_true(json_object_get(c, "ok"))));
	json_object_set_new(doc, "checks", checks);
	json_object_set_new(doc, "ok", json_boolean(ok));
	return doc;
}

json_t *qn_verify(qn_image *original, qn_image *hardened, const qn_verify_opts *o, qn_error **err)
{
	qn_verifying v = {.o = o,
			  .a = {.img = original, .which = "original", .exit_status = -1},
			  .b = {.img = hardened, .which = "hardened", .exit_status = -1}};
	/* the recorder needs the helper; without it the missing-path check cannot be made */
	v.a.trace = v.b.trace = o->helper_dir && !o->no_trace;
	json_t *doc = NULL;
	int rc = prepare(&v, err);
	if (rc == 0)
		rc = qn_verify_run_side(&v, &v.a, err);
	if (rc == 0)
		rc = qn_verify_run_side(&v, &v.b, err);
	if (rc == 0 && !v.b.trace)
		qn_verify_warn(&v, "the images ran without the path recorder: missing paths were not checked");
	double t0 = qn_now();
	if (rc == 0)
		doc = document(&v, err);
	qn_debug("verify: comparison: %.2f s", qn_now() - t0);
	t0 = qn_now();
	if (v.workdir) {
		qn_rm_rf(v.workdir);
		qn_cleanup_unregister(v.workdir);
	}
	double t1 = qn_now();
	free(v.workdir);
	qn_verify_norm_free(v.norm);
	clear_side(&v.a);
	clear_side(&v.b);
	qn_debug("verify: cleanup: %.2f s (work folder %.2f s)", qn_now() - t0, t1 - t0);
	qn_ptrvec_clear(&v.warnings, free);
	return doc;
}
