/* Small helpers shared by the vuln module: package lookup keys, RFC 3339 times, newline-joined
 * string lists, the compressed form of OSV "versions" lists and SQLite error wrapping. Nothing
 * here touches a database file or parses a feed. */
#include <time.h>
#include <zlib.h>

#include "vuln_int.h"

const char *qn_vuln_status_name(qn_vuln_status s)
{
	switch (s) {
	case QN_VULN_AFFECTED:
		return "affected";
	case QN_VULN_FIXED:
		return "fixed";
	case QN_VULN_WILL_NOT_FIX:
		return "will_not_fix";
	}
	return "unknown";
}

/* PEP 503: lower case, and every run of '-', '_' and '.' becomes one '-'. PyPI treats
 * "Django", "django" and "DJANGO" as one project, and feeds spell them differently. */
char *qn_vuln_package_key(const char *ecosystem, const char *name)
{
	if (!ecosystem || strcmp(ecosystem, "PyPI") != 0)
		return xstrdup(name);
	char *out = xmalloc(strlen(name) + 1), *o = out;
	for (const char *p = name; *p; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			if (o == out || o[-1] != '-')
				*o++ = '-';
		} else
			*o++ = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	}
	*o = 0;
	return out;
}

const char *qn_vuln_time_str(int64_t t, char out[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

int64_t qn_vuln_parse_time(const char *s)
{
	if (!s)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	const char *p = s + 10;
	long off = 0;
	if (*p == 'T' || *p == ' ') {
		int m = 0;
		if (sscanf(p + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &m) != 3 || m != 8)
			return -1;
		p += 9;
		while (*p == '.' || (*p >= '0' && *p <= '9'))
			p++; /* fractional seconds */
		int oh = 0, om = 0;
		if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
			off = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	}
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	return (int64_t)timegm(&tm) - off;
}

void qn_vuln_join(qn_buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			qn_buf_addc(b, '\n');
		qn_buf_adds(b, v[i]);
	}
}

void qn_vuln_split(const char *s, qn_buf *text, qn_ptrvec *vec)
{
	if (!s || !*s)
		return;
	qn_buf_reset(text);
	qn_buf_add(text, s, strlen(s) + 1);
	char *p = text->data;
	for (;;) {
		qn_ptrvec_push(vec, p);
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
}

/* Layout: 4 bytes little-endian uncompressed length, then a zlib stream of the newline-joined
 * list. Level 6: the lists are sorted version strings that compress about tenfold, and the
 * import spends little time here compared with JSON parsing. */
void qn_vuln_versions_pack(const char *const *v, size_t n, qn_buf *out)
{
	qn_buf plain = QN_BUF_INIT;
	qn_vuln_join(&plain, v, n);
	uLong bound = compressBound((uLong)plain.len);
	qn_buf_reset(out);
	qn_buf_reserve(out, 4 + bound);
	uint32_t ulen = (uint32_t)plain.len;
	unsigned char hdr[4] = {(unsigned char)ulen, (unsigned char)(ulen >> 8), (unsigned char)(ulen >> 16),
				(unsigned char)(ulen >> 24)};
	memcpy(out->data, hdr, 4);
	uLongf clen = bound;
	if (compress2((Bytef *)out->data + 4, &clen, (const Bytef *)(plain.data ? plain.data : ""), (uLong)plain.len,
		      6) != Z_OK)
		abort(); /* only fails on memory exhaustion or a wrong bound */
	out->len = 4 + clen;
	qn_buf_clear(&plain);
}

int qn_vuln_versions_unpack(const void *blob, size_t len, size_t n, qn_buf *text, qn_ptrvec *vec)
{
	const unsigned char *b = blob;
	if (len < 4)
		return -1;
	uint32_t ulen = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if (ulen > (256u << 20))
		return -1;
	qn_buf_reset(text);
	qn_buf_reserve(text, (size_t)ulen + 1);
	uLongf got = ulen;
	if (uncompress((Bytef *)text->data, &got, b + 4, (uLong)(len - 4)) != Z_OK || got != ulen)
		return -1;
	text->data[ulen] = 0;
	text->len = ulen;
	char *p = text->data;
	for (size_t i = 0; i < n; i++) {
		qn_ptrvec_push(vec, p);
		char *nl = strchr(p, '\n');
		if (!nl)
			return i + 1 == n ? 0 : -1;
		*nl = 0;
		p = nl + 1;
	}
	return n == 0 ? 0 : -1;
}

int qn_vuln_sqlite_error(qn_error **err, sqlite3 *db, const char *what)
{
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
	return qn_error_set(err, QN_ERR_RUNTIME, "%s: %s (sqlite %d)", what, db ? sqlite3_errmsg(db) : "no handle",
			    code);
}

void qn_vuln_results_clear(qn_vuln_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].kind);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
