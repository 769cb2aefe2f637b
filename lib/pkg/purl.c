/* Package URLs (https://github.com/package-url/purl-spec): pkg:type/namespace/name@version?quals#subpath.
 * Each component is percent-encoded on its own; namespace segments keep their '/' separators;
 * qualifiers are sorted by key as the specification asks, and empty values are dropped. */
#include "purl.h"

/* Characters left as they are: the unreserved set plus those the spec allows unencoded. */
static bool keep(unsigned char c, bool allow_slash)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	/* ':' stays as is, as canonical implementations leave it (deb epochs "1:2.3-4") */
	if (c == '-' || c == '.' || c == '_' || c == '~' || c == ':')
		return true;
	return allow_slash && c == '/';
}

void qn_purl_encode(qn_buf *b, const char *s, bool allow_slash)
{
	static const char hx[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (keep(*p, allow_slash))
			qn_buf_addc(b, (char)*p);
		else {
			qn_buf_addc(b, '%');
			qn_buf_addc(b, hx[*p >> 4]);
			qn_buf_addc(b, hx[*p & 15]);
		}
	}
}

static int cmp_qual(const void *a, const void *b)
{
	return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

char *qn_purl(const char *type, const char *ns, const char *name, const char *version, const char *const *quals,
	      const char *subpath)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "pkg:");
	qn_buf_adds(&b, type);
	qn_buf_addc(&b, '/');
	if (ns && *ns) {
		/* each namespace segment encoded on its own; empty segments dropped */
		_cleanup_free_ char *copy = xstrdup(ns);
		char *save = NULL;
		for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
			qn_purl_encode(&b, seg, false);
			qn_buf_addc(&b, '/');
		}
	}
	qn_purl_encode(&b, name ? name : "", false);
	if (version && *version) {
		qn_buf_addc(&b, '@');
		qn_purl_encode(&b, version, false);
	}
	size_t nq = 0;
	while (quals && quals[2 * nq])
		nq++;
	if (nq) {
		const char **q = xcalloc(nq * 2, sizeof(char *));
		memcpy(q, quals, nq * 2 * sizeof(char *));
		qsort(q, nq, 2 * sizeof(char *), cmp_qual);
		bool first = true;
		for (size_t i = 0; i < nq; i++) {
			if (!q[2 * i + 1] || !*q[2 * i + 1])
				continue;
			qn_buf_addc(&b, first ? '?' : '&');
			first = false;
			qn_buf_adds(&b, q[2 * i]);
			qn_buf_addc(&b, '=');
			qn_purl_encode(&b, q[2 * i + 1], false);
		}
		free(q);
	}
	if (subpath && *subpath) {
		qn_buf_addc(&b, '#');
		qn_purl_encode(&b, subpath, true);
	}
	return qn_buf_steal(&b);
}
