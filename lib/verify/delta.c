/* The CVE delta between an image and its hardened form, from two scan documents
 * ("quench.scan/v1", docs/scan.md) and the package comparison (kept, trimmed, removed).
 *
 * The rule: a finding may leave the count only because its package left the image. A finding
 * (one row per binary package and vulnerability) of the original that is gone from the hardened
 * image is "removed" when its package is in the removed list, and "unexplained" otherwise (its
 * package is still there, so the vulnerable code may be too, and only the scanner's view
 * changed). A finding of the hardened image that the original did not have is "added": it
 * cannot be explained by removing things either. Counts are split by severity and by where the
 * package came from (base, app, unknown), with the hardened image's rows attributed as the
 * original's were: its layers are new blobs, but each holds what one original layer held. */
#include <ctype.h>

#include "quench/verify.h"
#include "util/json.h"
#include "util/strset.h"
#include "util/util.h"

static const char *const severities[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
static const char *const kinds[] = {"base", "app", "unknown"};

static char *pkg_key(const json_t *o, const char *name_key)
{
	const char *purl = qn_json_str(o, "purl");
	if (purl && *purl)
		return xstrdup(purl);
	const char *n = qn_json_str(o, name_key), *v = qn_json_str(o, "version");
	return xasprintf("%s@%s", n ? n : "", v ? v : "");
}

static char *finding_key(const json_t *f)
{
	_cleanup_free_ char *pk = pkg_key(f, "package");
	const char *id = qn_json_str(f, "id");
	return xasprintf("%s\x1f%s", id ? id : "", pk);
}

static char *severity_of(const json_t *f)
{
	const char *s = qn_json_str(f, "severity");
	if (!s || !*s)
		return xstrdup("UNKNOWN");
	char *u = xstrdup(s);
	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static json_t *empty_counts(void)
{
	json_t *c = json_object();
	for (size_t i = 0; i < QN_ARRAY_LEN(severities); i++)
		qn_json_set_int(c, severities[i], 0);
	qn_json_set_int(c, "total", 0);
	return c;
}

static json_t *empty_summary(void)
{
	json_t *s = json_object();
	for (size_t i = 0; i < QN_ARRAY_LEN(kinds); i++)
		json_object_set_new(s, kinds[i], empty_counts());
	qn_json_set_int(s, "total", 0);
	return s;
}

static void bump(json_t *o, const char *k)
{
	qn_json_set_int(o, k, (long long)json_integer_value(json_object_get(o, k)) + 1);
}

static void count(json_t *summary, const char *kind, const char *sev)
{
	json_t *c = json_object_get(summary, kind);
	if (!c)
		c = json_object_get(summary, "unknown");
	bump(c, sev);
	bump(c, "total");
	bump(summary, "total");
}

static const char *kind_of(const json_t *f)
{
	const char *k = qn_json_str(f, "layer_kind");
	for (size_t i = 0; k && i < QN_ARRAY_LEN(kinds); i++)
		if (!strcmp(k, kinds[i]))
			return kinds[i];
	return "unknown";
}

static json_t *row(const json_t *f, const char *kind, const char *sev)
{
	json_t *r = json_object();
	static const char *const keep[] = {"id",     "package",       "version", "purl", "ecosystem",
					   "source", "fixed_version", "status",  "cvss"};
	for (size_t i = 0; i < QN_ARRAY_LEN(keep); i++) {
		json_t *v = json_object_get(f, keep[i]);
		if (v && !json_is_null(v))
			json_object_set(r, keep[i], v);
	}
	qn_json_set_str(r, "severity", sev);
	qn_json_set_str(r, "layer_kind", kind);
	return r;
}

static const json_t *findings(const json_t *scan)
{
	const json_t *f = json_object_get(scan, "findings");
	return json_is_array(f) ? f : NULL;
}

/* A finding a VEX statement suppressed is not counted, as in the scan's own summary. */
static bool suppressed(const json_t *f)
{
	const json_t *s = json_object_get(f, "suppressed_by_vex");
	return s && !json_is_null(s) && !json_is_false(s);
}

/* package key -> "kept" / "trimmed" / "removed" (static strings) and key -> name */
static void index_packages(const json_t *packages, qn_strset *state, qn_strset *names)
{
	static const char *const lists[] = {"kept", "trimmed", "removed"};
	for (size_t l = 0; l < QN_ARRAY_LEN(lists); l++) {
		size_t i;
		json_t *p;
		json_array_foreach (json_object_get(packages, lists[l]), i, p) {
			_cleanup_free_ char *k = pkg_key(p, "name");
			qn_strset_put(state, k, (void *)lists[l]);
			const char *n = qn_json_str(p, "name");
			qn_strset_put(names, k, (void *)(n ? n : ""));
		}
	}
}

json_t *qn_verify_cve_delta(const json_t *before, const json_t *after, const json_t *packages, size_t *unexplained)
{
	qn_strset state = QN_STRSET_INIT, names = QN_STRSET_INIT, in_after = QN_STRSET_INIT;
	qn_strset kind_by_key = QN_STRSET_INIT, kind_by_layer = QN_STRSET_INIT;
	index_packages(packages, &state, &names);
	json_t *sb = empty_summary(), *sa = empty_summary();
	json_t *removed = json_array(), *remaining = json_array(), *unexp = json_array(), *added = json_array();
	size_t i;
	json_t *f;
	json_array_foreach (findings(after), i, f) {
		_cleanup_free_ char *k = finding_key(f);
		if (!suppressed(f))
			qn_strset_add(&in_after, k);
	}
	qn_strset in_before = QN_STRSET_INIT;
	json_array_foreach (findings(before), i, f) {
		if (suppressed(f))
			continue;
		_cleanup_free_ char *k = finding_key(f), *sev = severity_of(f), *pk = pkg_key(f, "package");
		const char *kind = kind_of(f);
		qn_strset_add(&in_before, k);
		qn_strset_put(&kind_by_key, k, (void *)kind);
		json_int_t li = json_integer_value(json_object_get(json_object_get(f, "layer"), "index"));
		_cleanup_free_ char *lk = xasprintf("%lld", (long long)li);
		qn_strset_put(&kind_by_layer, lk, (void *)kind);
		count(sb, kind, sev);
		const char *st = qn_strset_get(&state, pk);
		json_t *r = row(f, kind, sev);
		if (qn_strset_has(&in_after, k)) {
			qn_json_set_str(r, "package_state", st ? st : "unknown");
			json_array_append_new(remaining, r);
		} else if (st && !strcmp(st, "removed")) {
			_cleanup_free_ char *why = xasprintf("%s removed", (const char *)qn_strset_get(&names, pk));
			qn_json_set_str(r, "explained_by", why);
			json_array_append_new(removed, r);
		} else {
			qn_json_set_str(r, "package_state", st ? st : "unknown");
			qn_json_set_str(r, "reason",
					st ? "the package is still in the image"
					   : "the package is not in the package comparison");
			json_array_append_new(unexp, r);
		}
	}
	json_array_foreach (findings(after), i, f) {
		if (suppressed(f))
			continue;
		_cleanup_free_ char *k = finding_key(f), *sev = severity_of(f), *pk = pkg_key(f, "package");
		json_int_t li = json_integer_value(json_object_get(json_object_get(f, "layer"), "index"));
		_cleanup_free_ char *lk = xasprintf("%lld", (long long)li);
		const char *kind = qn_strset_get(&kind_by_key, k);
		if (!kind)
			kind = qn_strset_get(&kind_by_layer, lk);
		if (!kind)
			kind = kind_of(f);
		count(sa, kind, sev);
		if (!qn_strset_has(&in_before, k)) {
			json_t *r = row(f, kind, sev);
			const char *st = qn_strset_get(&state, pk);
			qn_json_set_str(r, "package_state", st ? st : "unknown");
			json_array_append_new(added, r);
		}
	}
	json_t *d = json_object();
	json_object_set_new(d, "before", sb);
	json_object_set_new(d, "after", sa);
	json_t *c = json_object();
	qn_json_set_int(c, "removed", (long long)json_array_size(removed));
	qn_json_set_int(c, "remaining", (long long)json_array_size(remaining));
	qn_json_set_int(c, "unexplained", (long long)json_array_size(unexp));
	qn_json_set_int(c, "added", (long long)json_array_size(added));
	json_object_set_new(d, "counts", c);
	json_object_set_new(d, "removed", removed);
	json_object_set_new(d, "remaining", remaining);
	json_object_set_new(d, "unexplained", unexp);
	json_object_set_new(d, "added", added);
	bool ok = json_array_size(unexp) == 0 && json_array_size(added) == 0;
	json_object_set_new(d, "ok", json_boolean(ok));
	*unexplained = json_array_size(unexp) + json_array_size(added);
	qn_strset_clear(&state);
	qn_strset_clear(&names);
	qn_strset_clear(&in_after);
	qn_strset_clear(&in_before);
	qn_strset_clear(&kind_by_key);
	qn_strset_clear(&kind_by_layer);
	return d;
}
