/* Reading the log that quench-trace appends to (format: the top of quench-trace.c and
 * docs/tracing.md). Each line names a system call and one or two absolute paths, escaped; this
 * file undoes the escaping and turns each path into a canonical path relative to the container's
 * root. It does not decide what to keep: runtime mounts and the helper's own files are left out
 * because no image content is reached through them, everything else is reported.
 *
 * The log is written inside the container, which can write to it too: it is parsed as hostile
 * input. Paths are resolved lexically and ".." stops at the root, so no line can name anything
 * outside the image; a malformed line fails the whole parse rather than being skipped. */
#include "quench/trace.h"
#include "util/util.h"

#define PATH_LIMIT (16 * 1024)

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Undoes the escaping of the field [s, e) into out. */
static int unescape(const char *s, const char *e, qn_buf *out, size_t line, qn_error **err)
{
	qn_buf_reset(out);
	while (s < e) {
		unsigned char c = (unsigned char)*s++;
		if (c < 0x20 || c == 0x7f)
			return qn_error_set(err, QN_ERR_INPUT, "line %zu: unescaped control byte 0x%02x", line, c);
		if (c != '\\') {
			qn_buf_addc(out, (char)c);
			continue;
		}
		char k = s < e ? *s++ : 0;
		if (k == '\\' || k == 'n' || k == 't') {
			qn_buf_addc(out, k == '\\' ? '\\' : k == 'n' ? '\n' : '\t');
			continue;
		}
		int hi = k == 'x' && e - s >= 2 ? hexval(s[0]) : -1, lo = hi >= 0 ? hexval(s[1]) : -1;
		/* a NUL cannot be part of a path: "\x00" means the log was forged or damaged */
		if (lo < 0 || (hi | lo) == 0)
			return qn_error_set(err, QN_ERR_INPUT, "line %zu: bad escape sequence", line);
		qn_buf_addc(out, (char)(hi << 4 | lo));
		s += 2;
	}
	if (out->len > PATH_LIMIT)
		return qn_error_set(err, QN_ERR_LIMIT, "line %zu: path longer than %d bytes", line, PATH_LIMIT);
	return 0;
}

/* True for the canonical paths left out (see trace.h): runtime mounts and quench's own files. */
static bool dropped(const char *rel)
{
	size_t n = strcspn(rel, "/");
	if (qn_str_has_prefix(rel, ".quench"))
		return true;
	return (n == 4 && !strncmp(rel, "proc", 4)) || (n == 3 && !strncmp(rel, "sys", 3)) ||
	       (n == 3 && !strncmp(rel, "dev", 3));
}

/* Adds the canonical form of the absolute path abs (len bytes, no NUL inside) to set. */
static int add_path(qn_strset *set, const char *abs, size_t len, size_t line, qn_error **err)
{
	if (!len || abs[0] != '/')
		return qn_error_set(err, QN_ERR_INPUT, "line %zu: path is not absolute", line);
	_cleanup_free_ char *out = xmalloc(len + 1);
	size_t o = 0;
	for (const char *p = abs, *end = abs + len; p < end;) {
		while (p < end && *p == '/')
			p++;
		const char *s = p;
		while (p < end && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 0 || (n == 1 && s[0] == '.'))
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			/* lexical, as the tracer resolved it; at the root ".." stays at the root */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = 0;
	if (o && !dropped(out))
		qn_strset_add(set, out);
	return 0;
}

/* One line [s, e) without its newline: "#..." or NAME TAB PATH [TAB PATH]. */
static int parse_line(const char *s, const char *e, size_t line, qn_strset *set, qn_buf *tmp, qn_error **err)
{
	if (s < e && *s == '#')
		return 0;
	const char *tab = memchr(s, '\t', (size_t)(e - s));
	if (!tab || tab == s)
		return qn_error_set(err, QN_ERR_INPUT, "line %zu: expected a call name, a tab and a path", line);
	for (const char *p = s; p < tab; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return qn_error_set(err, QN_ERR_INPUT, "line %zu: bad call name", line);
	const char *f = tab + 1;
	for (int field = 0; f <= e; field++) {
		if (field == 2)
			return qn_error_set(err, QN_ERR_INPUT, "line %zu: more than two paths", line);
		const char *fe = memchr(f, '\t', (size_t)(e - f));
		if (!fe)
			fe = e;
		if (unescape(f, fe, tmp, line, err) < 0 ||
		    add_path(set, tmp->data ? tmp->data : "", tmp->len, line, err) < 0)
			return -1;
		f = fe + 1;
	}
	return 0;
}

int qn_trace_log_parse(const uint8_t *buf, size_t len, qn_strset *paths, qn_error **err)
{
	qn_strset found = QN_STRSET_INIT;
	_cleanup_buf_ qn_buf tmp = QN_BUF_INIT;
	const char *p = (const char *)buf, *end = p + len;
	int rc = 0;
	for (size_t line = 1; p < end && rc == 0; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			rc = qn_error_set(err, QN_ERR_INPUT, "line %zu: truncated (no newline at the end)", line);
		else if (memchr(p, 0, (size_t)(nl - p)))
			rc = qn_error_set(err, QN_ERR_INPUT, "line %zu: NUL byte", line);
		else
			rc = parse_line(p, nl, line, &found, &tmp, err);
		p = nl ? nl + 1 : end;
	}
	/* out-parameters change only on success */
	for (size_t i = 0; rc == 0 && i < found.cap; i++)
		if (found.keys[i])
			qn_strset_add(paths, found.keys[i]);
	qn_strset_clear(&found);
	return rc;
}
