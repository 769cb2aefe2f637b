/* Format detection for feed files and a member-by-member walker over a top-level JSON object.
 * The walker lets the Debian tracker importer parse one package at a time instead of building a
 * jansson tree for a document of hundreds of megabytes. It checks the object's own syntax and
 * that each value's brackets and strings balance; the values themselves are parsed (and fully
 * validated) by qn_json_parse in the caller. It does not parse numbers or literals. */
#include "util/json.h"
#include "vuln_int.h"

static size_t skip_ws(const uint8_t *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* i is at an opening quote; returns the index after the closing quote, or 0 if unterminated. */
static size_t skip_string(const uint8_t *b, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (b[i] == '\\')
			i++;
		else if (b[i] == '"')
			return i + 1;
		else if (b[i] < 0x20)
			return 0; /* raw control characters are not allowed inside JSON strings */
	}
	return 0;
}

/* Returns the index after the value starting at i, or 0 when it is unbalanced or truncated. */
static size_t skip_value(const uint8_t *b, size_t len, size_t i)
{
	if (i >= len)
		return 0;
	if (b[i] == '"')
		return skip_string(b, len, i);
	if (b[i] != '{' && b[i] != '[') {
		while (i < len && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' &&
		       b[i] != '\t' && b[i] != '\r')
			i++;
		return i;
	}
	int depth = 0;
	while (i < len) {
		uint8_t c = b[i];
		if (c == '"') {
			i = skip_string(b, len, i);
			if (!i)
				return 0;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > QN_JSON_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return 0;
}

static char *decode_key(const uint8_t *b, size_t start, size_t end)
{
	if (!memchr(b + start, '\\', end - start))
		return xstrndup((const char *)b + start + 1, end - start - 2);
	json_t *j = json_loadb((const char *)b + start, end - start, JSON_DECODE_ANY, NULL);
	char *s = json_is_string(j) ? xstrdup(json_string_value(j)) : NULL;
	json_decref(j);
	return s;
}

int qn_json_members(const uint8_t *buf, size_t len, const char *what, qn_json_member_fn fn, void *ud, qn_error **err)
{
	size_t i = skip_ws(buf, len, 0);
	if (i >= len || buf[i] != '{')
		return qn_error_set(err, QN_ERR_INPUT, "%s: not a JSON object", what);
	i = skip_ws(buf, len, i + 1);
	if (i < len && buf[i] == '}')
		goto end;
	for (;;) {
		size_t ks = i, ke = i < len && buf[i] == '"' ? skip_string(buf, len, i) : 0;
		if (!ke)
			return qn_error_set(err, QN_ERR_INPUT, "%s: byte %zu: expected a key string", what, i);
		_cleanup_free_ char *key = decode_key(buf, ks, ke);
		i = skip_ws(buf, len, ke);
		if (!key || i >= len || buf[i] != ':')
			return qn_error_set(err, QN_ERR_INPUT, "%s: byte %zu: malformed member", what, i);
		size_t vs = skip_ws(buf, len, i + 1), ve = skip_value(buf, len, vs);
		if (!ve || ve == vs)
			return qn_error_set(err, QN_ERR_INPUT, "%s: member \"%.80s\": truncated or unbalanced value",
					    what, key);
		int r = fn(ud, key, buf + vs, ve - vs, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
		i = skip_ws(buf, len, ve);
		if (i < len && buf[i] == ',') {
			i = skip_ws(buf, len, i + 1);
			continue;
		}
		if (i < len && buf[i] == '}')
			break;
		return qn_error_set(err, QN_ERR_INPUT, "%s: byte %zu: expected ',' or '}' (truncated document?)", what,
				    i);
	}
end:
	if (skip_ws(buf, len, i + 1) != len)
		return qn_error_set(err, QN_ERR_INPUT, "%s: trailing data after the top-level object", what);
	return 0;
}

typedef struct {
	bool id, distroversion, packages;
	int members;
	qn_feed_kind tracker_guess;
} detect_state;

/* The tracker maps package names to objects of CVE entries that have "releases"; one look at
 * the first package decides. */
static qn_feed_kind tracker_shape(const uint8_t *val, size_t len)
{
	json_t *j = qn_json_parse(val, len, QN_VULN_MAX_DOC, "detect", NULL);
	qn_feed_kind k = QN_FEED_UNKNOWN;
	if (json_is_object(j)) {
		void *it = json_object_iter(j);
		json_t *first = it ? json_object_iter_value(it) : NULL;
		if (json_is_object(first) && json_is_object(json_object_get(first, "releases")))
			k = QN_FEED_DEBTRACKER;
	}
	json_decref(j);
	return k;
}

static int detect_member(void *ud, const char *key, const uint8_t *val, size_t len, qn_error **err)
{
	(void)err;
	detect_state *d = ud;
	if (!strcmp(key, "id"))
		d->id = true;
	else if (!strcmp(key, "distroversion"))
		d->distroversion = true;
	else if (!strcmp(key, "packages"))
		d->packages = true;
	if (d->members++ == 0)
		d->tracker_guess = tracker_shape(val, len);
	/* OSV and secdb documents have a handful of keys; a tracker's first package settles it. */
	return d->members >= 64 || (d->members > 1 && d->tracker_guess == QN_FEED_DEBTRACKER) ? 1 : 0;
}

qn_feed_kind qn_feed_detect(const uint8_t *buf, size_t len)
{
	if (len >= 4 && buf[0] == 'P' && buf[1] == 'K' && (buf[2] == 3 || buf[2] == 5) && (buf[3] == 4 || buf[3] == 6))
		return QN_FEED_ZIP;
	detect_state d = {0};
	qn_error *e = NULL;
	/* A truncated document still gets a kind here; its importer reports what is wrong. */
	(void)qn_json_members(buf, len, "detect", detect_member, &d, &e);
	qn_error_free(e);
	if (d.distroversion && d.packages)
		return QN_FEED_SECDB;
	if (d.id)
		return QN_FEED_OSV;
	return d.tracker_guess;
}

const char *qn_feed_kind_name(qn_feed_kind k)
{
	switch (k) {
	case QN_FEED_OSV:
		return "osv";
	case QN_FEED_DEBTRACKER:
		return "debian-tracker";
	case QN_FEED_SECDB:
		return "alpine-secdb";
	case QN_FEED_ZIP:
		return "osv";
	case QN_FEED_UNKNOWN:
		break;
	}
	return "unknown";
}
