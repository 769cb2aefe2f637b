/* JSON helpers over jansson: bounded parsing of untrusted documents and typed field access
 * with errors that name the field. */
#ifndef QN_JSON_H
#define QN_JSON_H

#include <jansson.h>

#include "util.h"

#define QN_JSON_MAX_DEPTH 64

/* Parses untrusted JSON: refuses more than max_len bytes, nesting deeper than QN_JSON_MAX_DEPTH,
 * duplicate object keys, NUL bytes and trailing data. `what` names the document in errors
 * ("manifest.json"). Returns a new reference (json_decref) or NULL with err set (QN_ERR_INPUT or
 * QN_ERR_LIMIT). */
json_t *qn_json_parse(const void *buf, size_t len, size_t max_len, const char *what, qn_error **err);

/* Deepest nesting of arrays/objects in buf, stopping early once it exceeds limit. Strings are
 * skipped correctly; the result is meaningful only for otherwise valid JSON. */
int qn_json_depth(const char *buf, size_t len, int limit);

/* Typed getters: return the value or NULL/default; "required" forms set err naming the key. */
const char *qn_json_str(const json_t *obj, const char *key);
const char *qn_json_req_str(const json_t *obj, const char *key, const char *what, qn_error **err);
/* Reads a non-negative integer. Returns 0 ok (absent: *out = dflt), -1 wrong type or negative. */
int qn_json_u64(const json_t *obj, const char *key, uint64_t dflt, uint64_t *out, const char *what, qn_error **err);

/* Serialises with indentation (2) or compact, keys in insertion order; always ends with '\n'
 * when pretty. Caller frees. */
char *qn_json_dump(const json_t *j, bool pretty);

/* A JSON string for s (null when s is NULL); invalid UTF-8 bytes become U+FFFD. */
json_t *qn_json_string(const char *s);
/* Convenience setters that steal nothing and accept NULL strings (stored as null). */
void qn_json_set_str(json_t *obj, const char *key, const char *val);
void qn_json_set_int(json_t *obj, const char *key, long long val);
static inline void qn_json_decrefp(json_t **j)
{
	json_decref(*j);
}
#define _cleanup_json_ _cleanup_(qn_json_decrefp)

#endif
