/* os-release(5) parsing. The format is a restricted shell assignment list; values may be
 * unquoted, 'single-quoted' or "double-quoted" with backslash escapes. */
#include <ctype.h>

#include "quench/pkg.h"
#include "util/util.h"

static char *unquote(const char *v, size_t n)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "");
	size_t i = 0;
	char q = 0;
	while (i < n) {
		char c = v[i++];
		if (!q && (c == '"' || c == '\''))
			q = c;
		else if (q && c == q)
			q = 0;
		else if (c == '\\' && q != '\'' && i < n)
			qn_buf_addc(&b, v[i++]);
		else if (!q && (c == '#'))
			break;
		else
			qn_buf_addc(&b, c);
	}
	/* trailing blanks of unquoted values */
	while (b.len && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = 0;
	return qn_buf_steal(&b);
}

void qn_osrelease_parse(const uint8_t *buf, size_t len, qn_os_info *out)
{
	const char *p = (const char *)buf, *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		while (p < le && isspace((unsigned char)*p))
			p++;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (eq && p < eq && *p != '#') {
			size_t kl = (size_t)(eq - p);
			char **dst = NULL;
#define KEY(k, f)                                     \
	if (kl == sizeof(k) - 1 && !memcmp(p, k, kl)) \
		dst = &out->f;
			KEY("ID", id)
			KEY("ID_LIKE", id_like)
			KEY("NAME", name)
			KEY("PRETTY_NAME", pretty_name)
			KEY("VERSION", version)
			KEY("VERSION_ID", version_id)
			KEY("VERSION_CODENAME", version_codename)
#undef KEY
			if (dst) {
				free(*dst);
				*dst = unquote(eq + 1, (size_t)(le - eq - 1));
			}
		}
		p = nl ? nl + 1 : end;
	}
}

void qn_os_info_clear(qn_os_info *os)
{
	free(os->id);
	free(os->id_like);
	free(os->name);
	free(os->pretty_name);
	free(os->version);
	free(os->version_id);
	free(os->version_codename);
	free(os->source);
	memset(os, 0, sizeof(*os));
}

size_t qn_os_capture(const char *path)
{
	if (!strcmp(path, "etc/os-release") || !strcmp(path, "usr/lib/os-release"))
		return 64 * 1024;
	return 0;
}

int qn_os_detect(const qn_tree *t, qn_os_info *out)
{
	static const char *paths[] = {"etc/os-release", "usr/lib/os-release"};
	for (size_t i = 0; i < QN_ARRAY_LEN(paths); i++) {
		char *resolved = NULL;
		const qn_node *n = qn_tree_resolve(t, paths[i], true, &resolved, NULL);
		if (n && n->type == QN_NODE_REG && n->content) {
			qn_osrelease_parse(n->content, n->content_len, out);
			out->source = resolved;
			return 0;
		}
		free(resolved);
	}
	return -1;
}
