/* Path normalisation: the one place where a path from an archive becomes a canonical relative
 * path ("usr/bin/python3"; "" is the root). Archive paths are attacker-controlled, so the rules
 * are strict rather than clever:
 *   - absolute paths are refused (a naive extractor would write outside its target);
 *   - any ".." component is refused, even where it would stay inside the root: no legitimate
 *     layer needs one, and refusing is simpler to reason about than resolving;
 *   - "." components, repeated and trailing slashes are dropped. */
#include "path.h"

int qn_path_normalize(const char *raw, size_t max, char **out, qn_error **err)
{
	size_t len = strlen(raw);
	if (len > max)
		return qn_error_set(err, QN_ERR_LIMIT, "path longer than the limit of %zu bytes", max);
	if (raw[0] == '/')
		return qn_error_set(err, QN_ERR_INPUT, "absolute path escapes the root");
	char *buf = xmalloc(len + 1);
	size_t o = 0;
	const char *p = raw;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - s);
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			free(buf);
			return qn_error_set(err, QN_ERR_INPUT, "path escapes the root through \"..\"");
		}
		if (o)
			buf[o++] = '/';
		memcpy(buf + o, s, n);
		o += n;
	}
	buf[o] = 0;
	*out = buf;
	return 0;
}

const char *qn_path_base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

char *qn_path_dir(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? xstrndup(path, (size_t)(s - path)) : xstrdup("");
}

char *qn_path_join(const char *a, const char *b)
{
	if (!a || !*a)
		return xstrdup(b);
	if (!b || !*b)
		return xstrdup(a);
	return xasprintf("%s/%s", a, b);
}

bool qn_path_is_under(const char *path, const char *dir)
{
	if (!*dir)
		return true;
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}
