/* Comparisons that need no container: two probe results (as verify.c records them), two image
 * configs and their annotations. Inputs and outputs are JSON so that the same code checks a
 * live run and a fixture; the wording of each difference is what `quench verify` prints. */
#include "quench/verify.h"
#include "util/json.h"
#include "util/util.h"

static const char *str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = qn_json_str(o, k);
	return s ? s : dflt;
}

/* The first line where a and b differ: "line N: "x" != "y"". */
static char *first_diff_line(const char *a, const char *b)
{
	size_t line = 1;
	const char *la = a, *lb = b;
	for (;;) {
		size_t na = strcspn(la, "\n"), nb = strcspn(lb, "\n");
		if (na != nb || memcmp(la, lb, na) || !la[na] != !lb[nb]) {
			_cleanup_free_ char *x = xstrndup(la, na), *y = xstrndup(lb, nb);
			_cleanup_free_ char *qx = qn_str_quote(x, 80), *qy = qn_str_quote(y, 80);
			if (!*la && *lb)
				return xasprintf("line %zu: (end) != \"%s\"", line, qy);
			if (*la && !*lb)
				return xasprintf("line %zu: \"%s\" != (end)", line, qx);
			return xasprintf("line %zu: \"%s\" != \"%s\"", line, qx, qy);
		}
		if (!la[na])
			return NULL;
		la += na + 1;
		lb += nb + 1;
		line++;
	}
}

static void text_diff(json_t *diffs, const json_t *a, const json_t *b, const char *what)
{
	_cleanup_free_ char *dk = xasprintf("%s_sha256", what);
	const char *da = qn_json_str(a, dk), *db = qn_json_str(b, dk);
	if (!da || !db || !strcmp(da, db))
		return;
	const char *ta = qn_json_str(a, what), *tb = qn_json_str(b, what);
	_cleanup_free_ char *line = ta && tb ? first_diff_line(ta, tb) : NULL;
	char *m = line ? xasprintf("%s differs: %s", what, line) : xasprintf("%s differs (%s != %s)", what, da, db);
	json_array_append_new(diffs, qn_json_string(m));
	free(m);
}

static void add_diff(json_t *diffs, const char *fmt, ...) QN_PRINTF(2, 3);
static void add_diff(json_t *diffs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	json_array_append_new(diffs, qn_json_string(m));
	free(m);
}

static void header_diffs(json_t *diffs, const json_t *a, const json_t *b)
{
	const json_t *ha = json_object_get(a, "headers"), *hb = json_object_get(b, "headers");
	if (!json_is_object(ha) || !json_is_object(hb))
		return;
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)ha, k, v) {
		const char *x = json_string_value(v), *y = json_string_value(json_object_get(hb, k));
		if (x && y && !strcmp(x, y))
			continue;
		if (!x && !y)
			continue;
		_cleanup_free_ char *qx = x ? qn_str_quote(x, 80) : NULL, *qy = y ? qn_str_quote(y, 80) : NULL;
		add_diff(diffs, "header %s: %s%s%s != %s%s%s", k, x ? "\"" : "", x ? qx : "(absent)", x ? "\"" : "",
			 y ? "\"" : "", y ? qy : "(absent)", y ? "\"" : "");
	}
	json_object_foreach ((json_t *)hb, k, v) {
		if (json_object_get(ha, k) || !json_is_string(v))
			continue;
		_cleanup_free_ char *qy = qn_str_quote(json_string_value(v), 80);
		add_diff(diffs, "header %s: (absent) != \"%s\"", k, qy);
	}
}

json_t *qn_verify_probe_diffs(const json_t *a, const json_t *b)
{
	json_t *diffs = json_array();
	bool ra = json_is_true(json_object_get(a, "ran")), rb = json_is_true(json_object_get(b, "ran"));
	if (!ra && !rb) {
		/* nothing was shown to be kept: a probe that answers on neither image proves nothing */
		add_diff(diffs, "ran on neither image (original: %s)", str_or(a, "error", "no answer"));
		return diffs;
	}
	if (ra != rb) {
		add_diff(diffs, "%s: %s",
			 ra ? "no answer from the hardened image" : "no answer from the original image",
			 str_or(ra ? b : a, "error", "no answer"));
		return diffs;
	}
	bool http = !strcmp(str_or(a, "kind", ""), "http");
	const char *sk = http ? "status" : "exit_code";
	json_int_t sa = json_integer_value(json_object_get(a, sk)), sb = json_integer_value(json_object_get(b, sk));
	if (sa != sb)
		add_diff(diffs, "%s %lld != %lld", http ? "status" : "exit code", (long long)sa, (long long)sb);
	bool ta = json_is_true(json_object_get(a, "timed_out")), tb = json_is_true(json_object_get(b, "timed_out"));
	if (ta != tb)
		add_diff(diffs, "timed out on the %s image only", ta ? "original" : "hardened");
	if (http) {
		const char *da = qn_json_str(a, "body_sha256"), *db = qn_json_str(b, "body_sha256");
		if (da && db && strcmp(da, db))
			add_diff(diffs, "body %s != %s (%lld != %lld bytes)", da, db,
				 (long long)json_integer_value(json_object_get(a, "body_bytes")),
				 (long long)json_integer_value(json_object_get(b, "body_bytes")));
		header_diffs(diffs, a, b);
	} else {
		text_diff(diffs, a, b, "stdout");
		text_diff(diffs, a, b, "stderr");
	}
	return diffs;
}

/* ---- interface ---- */

static const char *const config_fields[] = {"Entrypoint",  "Cmd",          "Env",     "WorkingDir",
					    "User",        "ExposedPorts", "Volumes", "StopSignal",
					    "Healthcheck", "Labels",       "OnBuild", "Shell"};
static const char *const top_fields[] = {"os", "architecture", "variant"};

static json_t *or_null(const json_t *v)
{
	return v ? json_incref((json_t *)v) : json_null();
}

static bool add_field(json_t *fields, const char *name, const json_t *x, const json_t *y)
{
	/* an empty list or object is the same as an absent one for every runtime */
	bool ex = !x || json_is_null(x) || (json_is_array(x) && !json_array_size(x)) ||
		  (json_is_object(x) && !json_object_size(x)) || (json_is_string(x) && !*json_string_value(x));
	bool ey = !y || json_is_null(y) || (json_is_array(y) && !json_array_size(y)) ||
		  (json_is_object(y) && !json_object_size(y)) || (json_is_string(y) && !*json_string_value(y));
	bool same = (ex && ey) || (!ex && !ey && json_equal((json_t *)x, (json_t *)y));
	json_t *f = json_object();
	qn_json_set_str(f, "field", name);
	json_object_set_new(f, "original", or_null(x));
	json_object_set_new(f, "hardened", or_null(y));
	json_object_set_new(f, "same", json_boolean(same));
	json_array_append_new(fields, f);
	return same;
}

/* Annotations: everything the original says must still be said; what hardening adds about the
 * source must name the original (checked against its digests by the caller's expectations in
 * "dev.quench.source.*"). */
static json_t *annotations(const json_t *a, const json_t *b, bool *ok)
{
	json_t *o = json_object(), *changed = json_array(), *added = json_array(), *removed = json_array();
	const char *k;
	json_t *v;
	/* names hardening rewrites by design: the tag and what the image is based on */
	static const char *const rewritten[] = {"org.opencontainers.image.ref.name",
						"org.opencontainers.image.base.name",
						"org.opencontainers.image.base.digest"};
	json_object_foreach ((json_t *)a, k, v) {
		json_t *w = json_object_get(b, k);
		bool skip = false;
		for (size_t i = 0; i < QN_ARRAY_LEN(rewritten); i++)
			skip |= !strcmp(k, rewritten[i]);
		if (!w) {
			json_array_append_new(removed, qn_json_string(k));
			*ok &= skip;
		} else if (!json_equal(v, w)) {
			json_t *c = json_object();
			qn_json_set_str(c, "key", k);
			json_object_set(c, "original", v);
			json_object_set(c, "hardened", w);
			json_array_append_new(changed, c);
			*ok &= skip;
		}
	}
	json_object_foreach ((json_t *)b, k, v) {
		if (!json_object_get(a, k))
			json_array_append_new(added, qn_json_string(k));
	}
	json_object_set_new(o, "original", or_null(a));
	json_object_set_new(o, "hardened", or_null(b));
	json_object_set_new(o, "changed", changed);
	json_object_set_new(o, "added", added);
	json_object_set_new(o, "removed", removed);
	return o;
}

json_t *qn_verify_interface(const json_t *ca, const json_t *cb, const json_t *aa, const json_t *ab)
{
	json_t *itf = json_object(), *fields = json_array();
	bool ok = true;
	const json_t *xa = json_object_get(ca, "config"), *xb = json_object_get(cb, "config");
	for (size_t i = 0; i < QN_ARRAY_LEN(config_fields); i++)
		ok &= add_field(fields, config_fields[i], json_object_get(xa, config_fields[i]),
				json_object_get(xb, config_fields[i]));
	for (size_t i = 0; i < QN_ARRAY_LEN(top_fields); i++)
		ok &= add_field(fields, top_fields[i], json_object_get(ca, top_fields[i]),
				json_object_get(cb, top_fields[i]));
	bool aok = true;
	json_t *ann = annotations(json_is_object(aa) ? aa : NULL, json_is_object(ab) ? ab : NULL, &aok);
	json_object_set_new(ann, "ok", json_boolean(aok));
	json_object_set_new(itf, "ok", json_boolean(ok && aok));
	json_object_set_new(itf, "fields", fields);
	json_object_set_new(itf, "annotations", ann);
	return itf;
}
