/* The in-toto Statement v1 about a hardened image (docs/attestation.md): subject = the hardened
 * image's manifest digest; predicate = where it came from, what was kept and removed (with a
 * digest of each set), how the profile was made, what the probes showed, the CVE delta with its
 * database, and quench's version. The list of bundle files with their sha256 is added by the
 * bundle writer once the files exist. Built only from the verify and harden documents. */
#include "evidence_int.h"
#include "util/json.h"

static json_t *image_part(const json_t *img)
{
	json_t *o = json_object();
	qn_json_set_str(o, "name", qn_ev_str(img, "ref", NULL));
	qn_json_set_str(o, "digest", qn_ev_str(img, "digest", NULL));
	qn_json_set_str(o, "config_digest", qn_ev_str(img, "config_digest", NULL));
	static const char *const nums[] = {"size", "bytes", "files", "packages"};
	for (size_t i = 0; i < QN_ARRAY_LEN(nums); i++) {
		const json_t *v = qn_ev_get(img, nums[i]);
		json_object_set_new(o, nums[i], json_is_integer(v) ? json_copy((json_t *)v) : json_null());
	}
	return o;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A set of packages as {count, sha256 over the sorted "purl\n" lines, purls}. The kept set gives
 * only its count and digest: it is in the hardened SBOM. */
static json_t *pkg_set(const json_t *list, bool with_list)
{
	size_t n = json_array_size(list), i;
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	size_t m = 0;
	json_t *p;
	json_array_foreach (list, i, p) {
		const char *s = qn_json_str(p, "purl");
		if (!s)
			s = qn_json_str(p, "name");
		if (s)
			v[m++] = s;
	}
	qn_sort(v, m, sizeof(*v), cmp_str);
	qn_buf b = QN_BUF_INIT;
	json_t *arr = json_array();
	for (size_t k = 0; k < m; k++) {
		qn_buf_printf(&b, "%s\n", v[k]);
		json_array_append_new(arr, json_string(v[k]));
	}
	char dg[72];
	qn_ev_sha256(b.data ? b.data : "", b.len, dg);
	qn_buf_clear(&b);
	free(v);
	json_t *o = json_pack("{s:I,s:s}", "count", (json_int_t)m, "sha256", dg);
	if (with_list)
		json_object_set_new(o, "purls", arr);
	else
		json_decref(arr);
	return o;
}

static json_t *path_set(const json_t *v, const char *which)
{
	_cleanup_free_ char *nk = xasprintf("paths.%s", which);
	_cleanup_free_ char *dk = xasprintf("paths.%s_sha256", which);
	json_t *o = json_object();
	const json_t *n = qn_ev_get(v, nk);
	json_object_set_new(o, "count", json_is_integer(n) ? json_copy((json_t *)n) : json_null());
	qn_json_set_str(o, "sha256", qn_ev_str(v, dk, NULL));
	return o;
}

static json_t *profile_part(const json_t *h)
{
	if (!json_is_object(h))
		return json_null();
	const json_t *p = json_object_get(h, "profile");
	json_t *o = json_object();
	static const char *const keys[] = {"paths_recorded", "paths_in_image", "fanotify_paths", "ptrace_paths",
					   "stopped_by",     "exit_status",    "probes_ok"};
	for (size_t i = 0; i < QN_ARRAY_LEN(keys); i++) {
		const json_t *x = json_object_get(p, keys[i]);
		if (x)
			json_object_set_new(o, keys[i], json_copy((json_t *)x));
	}
	const json_t *k = qn_ev_get(h, "keep.by_reason");
	if (json_is_object(k))
		json_object_set_new(o, "keep_by_reason", json_deep_copy(k));
	json_t *rules = json_array();
	size_t i;
	json_t *r;
	json_array_foreach (qn_ev_arr(h, "rules"), i, r)
		if (qn_json_str(r, "rule"))
			json_array_append_new(rules, json_pack("{s:s,s:b}", "rule", qn_json_str(r, "rule"), "applied",
							       json_is_true(json_object_get(r, "applied"))));
	json_object_set_new(o, "rules", rules);
	return o;
}

static json_t *probes_part(const json_t *v)
{
	json_t *a = json_array();
	size_t i;
	json_t *p;
	json_array_foreach (qn_ev_arr(v, "probes"), i, p)
		json_array_append_new(a, json_pack("{s:s?,s:s?,s:b}", "label", qn_json_str(p, "label"), "kind",
						   qn_json_str(p, "kind"), "same",
						   json_is_true(json_object_get(p, "same"))));
	return a;
}

static json_t *cves_part(const json_t *v)
{
	const json_t *c = qn_ev_get(v, "cves");
	if (!json_is_object(c))
		return json_null();
	json_t *o = json_object();
	static const char *const keys[] = {"before", "after"};
	for (size_t i = 0; i < QN_ARRAY_LEN(keys); i++) {
		const json_t *x = json_object_get(c, keys[i]);
		json_object_set_new(o, keys[i], json_is_object(x) ? json_deep_copy(x) : json_null());
	}
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach (qn_ev_arr(c, "removed"), i, r)
		json_array_append_new(ids, json_pack("{s:s?,s:s?,s:s?}", "id", qn_json_str(r, "id"), "purl",
						     qn_json_str(r, "purl"), "severity", qn_json_str(r, "severity")));
	json_object_set_new(o, "removed", ids);
	qn_json_set_int(o, "remaining", (long long)json_array_size(qn_ev_arr(c, "remaining")));
	const json_t *db = qn_ev_get(c, "db");
	json_object_set_new(o, "database", json_is_object(db) ? json_deep_copy(db) : json_null());
	return o;
}

json_t *qn_attest_predicate(const qn_evidence_inputs *in)
{
	const json_t *v = in->verify;
	json_t *p = json_object();
	qn_json_set_str(p, "quench_version", QN_VERSION);
	qn_json_set_str(p, "timestamp", in->timestamp ? in->timestamp : "1970-01-01T00:00:00Z");
	json_t *ver = json_object();
	qn_json_set_str(ver, "schema", qn_ev_str(v, "schema", NULL));
	json_object_set_new(ver, "ok", json_boolean(qn_ev_bool(v, "ok") == 1));
	json_object_set_new(ver, "interface_ok", json_boolean(qn_ev_bool(v, "interface.ok") == 1));
	qn_json_set_int(ver, "missing_paths", (long long)json_array_size(qn_ev_arr(v, "missing_paths")));
	json_object_set_new(ver, "probes", probes_part(v));
	json_object_set_new(p, "verification", ver);
	json_object_set_new(p, "original", image_part(qn_ev_get(v, "original")));
	json_object_set_new(p, "hardened", image_part(qn_ev_get(v, "hardened")));
	json_t *keep = json_object(), *rem = json_object();
	json_object_set_new(keep, "paths", path_set(v, "kept"));
	json_object_set_new(keep, "packages", pkg_set(qn_ev_arr(v, "packages.kept"), false));
	json_object_set_new(keep, "trimmed_packages", pkg_set(qn_ev_arr(v, "packages.trimmed"), true));
	json_object_set_new(rem, "paths", path_set(v, "removed"));
	json_object_set_new(rem, "packages", pkg_set(qn_ev_arr(v, "packages.removed"), true));
	json_object_set_new(p, "keep", keep);
	json_object_set_new(p, "remove", rem);
	json_object_set_new(p, "profile", profile_part(in->harden));
	json_object_set_new(p, "cves", cves_part(v));
	return p;
}

json_t *qn_attest_statement(const char *subject_name, const char *subject_digest, json_t *predicate)
{
	const char *hex = qn_str_has_prefix(subject_digest, "sha256:") ? subject_digest + 7 : subject_digest;
	return json_pack("{s:s,s:[{s:s,s:{s:s}}],s:s,s:o}", "_type", "https://in-toto.io/Statement/v1", "subject",
			 "name", subject_name, "digest", "sha256", hex, "predicateType", QN_ATTEST_PREDICATE_TYPE,
			 "predicate", predicate);
}
