/* Bounded JSON parsing and typed access. Every document quench parses may come from an attacker,
 * so size and depth are limited before jansson sees the bytes, duplicate keys are refused (two
 * readers could otherwise disagree about which "digest" counts) and NUL bytes are refused. */
#include "json.h"

int qn_json_depth(const char *buf, size_t len, int limit)
{
	int depth = 0, max = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max) {
				max = depth;
				if (max > limit)
					return max;
			}
		} else if (c == ']' || c == '}')
			depth--;
	}
	return max;
}

json_t *qn_json_parse(const void *buf, size_t len, size_t max_len, const char *what, qn_error **err)
{
	if (len > max_len) {
		qn_error_set(err, QN_ERR_LIMIT, "%s: %zu bytes is over the limit of %zu for this document", what, len,
			     max_len);
		return NULL;
	}
	if (qn_json_depth(buf, len, QN_JSON_MAX_DEPTH) > QN_JSON_MAX_DEPTH) {
		qn_error_set(err, QN_ERR_INPUT, "%s: JSON nested deeper than %d levels", what, QN_JSON_MAX_DEPTH);
		return NULL;
	}
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		_cleanup_free_ char *q = qn_str_quote(je.text, 120);
		qn_error_set(err, QN_ERR_INPUT, "%s: malformed JSON at line %d column %d: %s", what, je.line, je.column,
			     q);
		return NULL;
	}
	return j;
}

const char *qn_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *qn_json_req_str(const json_t *obj, const char *key, const char *what, qn_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v)) {
		qn_error_set(err, QN_ERR_INPUT, "%s: \"%s\" %s", what, key, v ? "is not a string" : "is missing");
		return NULL;
	}
	return json_string_value(v);
}

int qn_json_u64(const json_t *obj, const char *key, uint64_t dflt, uint64_t *out, const char *what, qn_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"%s\" is not a non-negative integer", what, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

char *qn_json_dump(const json_t *j, bool pretty)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY;
	if (pretty)
		flags |= JSON_INDENT(2);
	else
		flags |= JSON_COMPACT;
	char *s = json_dumps(j, flags);
	if (!s)
		return xstrdup("null");
	if (pretty) {
		char *t = xasprintf("%s\n", s);
		free(s);
		return t;
	}
	return s;
}

/* Image metadata is not guaranteed to be UTF-8; jansson refuses such strings. Invalid bytes are
 * replaced with U+FFFD so output stays valid JSON and no field silently disappears. */
json_t *qn_json_string(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	qn_buf b = QN_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = 0;
		if (*p < 0x80)
			n = 1;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 4;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (ok && n > 1) {
			/* overlong forms and surrogates: let jansson's own check decide */
			json_t *t = json_stringn((const char *)p, n);
			ok = t != NULL;
			json_decref(t);
		}
		if (ok) {
			qn_buf_add(&b, p, n);
			p += n;
		} else {
			qn_buf_adds(&b, "\xef\xbf\xbd");
			p++;
		}
	}
	j = json_string(b.data ? b.data : "");
	qn_buf_clear(&b);
	return j ? j : json_string("");
}

void qn_json_set_str(json_t *obj, const char *key, const char *val)
{
	json_object_set_new(obj, key, qn_json_string(val));
}

void qn_json_set_int(json_t *obj, const char *key, long long val)
{
	json_object_set_new(obj, key, json_integer(val));
}
