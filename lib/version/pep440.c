/* PEP 440 versions for PyPI: parsed with the grammar of the `packaging` library's Version (the
 * reference implementation pip uses) and ordered by its comparison key. This file parses and
 * orders single versions; it does not evaluate specifiers ("~=1.2", ">=1.0,!=1.3") and does not
 * accept legacy (non-PEP 440) versions.
 *
 *   [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * Case does not matter; surrounding white space is dropped; '-', '_' and '.' are interchangeable
 * around the pre, post and dev parts; alpha/beta/c/pre/preview spell a/b/rc/rc/rc; "1.0-1" is
 * post-release 1; a missing number is 0. Ordering: epoch, then the release (trailing zeros do not
 * count: 1.0 == 1.0.0), then dev-only releases < pre-releases < the release < post-releases, a
 * dev release sorting before the same version without it, then the local part (none sorts first;
 * segments compare as numbers when numeric, numbers after strings, else case-insensitively). */
#include <string.h>

#include "version/version_int.h"

typedef struct {
	const char *p;
	size_t n;
} span;

typedef struct {
	span epoch;   /* digits, empty for epoch 0 */
	span release; /* "1.2.3" */
	int pre;      /* 0 none, 1 a, 2 b, 3 rc */
	span pre_n;
	bool post;
	span post_n;
	bool dev;
	span dev_n;
	span local; /* after the '+'; p == NULL when absent */
} pep440;

/* Python's \s for the ASCII range (str.isspace()). */
static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool is_sep(int c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Length of the case-insensitive word w at p, or 0 when it is not there. */
static size_t word_at(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (qn_ver_tolower((unsigned char)p[i]) != w[i])
			return 0;
	return n;
}

/* [-_.]? followed by a label from the list, tried in the grammar's order (its alternation tries
 * "alpha" before "a", "preview" before "pre"). Returns the label's index and moves *pp past it,
 * or returns -1. */
static int label_at(const char **pp, const char *end, const char *const *labels, int nlabels)
{
	const char *q = *pp;
	if (q < end && is_sep((unsigned char)*q))
		q++;
	for (int i = 0; i < nlabels; i++) {
		size_t n = word_at(q, end, labels[i]);
		if (n) {
			*pp = q + n;
			return i;
		}
	}
	return -1;
}

/* [-_.]?[0-9]* after a label. Like the grammar's greedy match, the separator is taken even when
 * no number follows; a missing number is 0 (an empty span). */
static span opt_number(const char **pp, const char *end)
{
	const char *q = *pp;
	if (q < end && is_sep((unsigned char)*q))
		q++;
	span s = {q, qn_ver_digits_span(q, (size_t)(end - q))};
	*pp = q + s.n;
	return s;
}

static void parse_pre_post_dev(const char **pp, const char *end, pep440 *v)
{
	static const char *const pre[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"};
	static const int pre_kind[] = {1, 1, 2, 2, 3, 3, 3, 3};
	static const char *const post[] = {"post", "rev", "r"};
	static const char *const dev[] = {"dev"};
	int i = label_at(pp, end, pre, 8);
	if (i >= 0) {
		v->pre = pre_kind[i];
		v->pre_n = opt_number(pp, end);
	}
	const char *p = *pp;
	if (p + 1 < end && *p == '-' && qn_ver_isdigit((unsigned char)p[1])) {
		/* "1.0-1": the implicit post-release spelling */
		p++;
		v->post = true;
		v->post_n = (span){p, qn_ver_digits_span(p, (size_t)(end - p))};
		*pp = p + v->post_n.n;
	} else if (label_at(pp, end, post, 3) >= 0) {
		v->post = true;
		v->post_n = opt_number(pp, end);
	}
	if (label_at(pp, end, dev, 1) >= 0) {
		v->dev = true;
		v->dev_n = opt_number(pp, end);
	}
}

/* +[a-z0-9]+([-_.][a-z0-9]+)* */
static const char *parse_local(const char **pp, const char *end, pep440 *v)
{
	const char *p = *pp + 1;
	v->local.p = p;
	for (;;) {
		const char *start = p;
		while (p < end && qn_ver_isalnum((unsigned char)*p))
			p++;
		if (p == start)
			return "empty segment in the local version";
		if (p + 1 < end && is_sep((unsigned char)*p) && qn_ver_isalnum((unsigned char)p[1]))
			p++;
		else
			break;
	}
	v->local.n = (size_t)(p - v->local.p);
	*pp = p;
	return NULL;
}

static const char *pep440_parse(const char *s, pep440 *v)
{
	memset(v, 0, sizeof(*v));
	if (!s || !*s)
		return "empty version";
	const char *p = s, *end = s + strlen(s);
	while (p < end && is_space((unsigned char)*p))
		p++;
	while (end > p && is_space((unsigned char)end[-1]))
		end--;
	if (p < end && qn_ver_tolower((unsigned char)*p) == 'v')
		p++;
	size_t d = qn_ver_digits_span(p, (size_t)(end - p));
	if (d && p + d < end && p[d] == '!') {
		v->epoch = (span){p, d};
		p += d + 1;
		d = qn_ver_digits_span(p, (size_t)(end - p));
	}
	if (d == 0)
		return "release segment does not start with a number";
	v->release.p = p;
	p += d;
	while (p + 1 < end && *p == '.' && qn_ver_isdigit((unsigned char)p[1]))
		p += 1 + qn_ver_digits_span(p + 1, (size_t)(end - p - 1));
	v->release.n = (size_t)(p - v->release.p);
	parse_pre_post_dev(&p, end, v);
	if (p < end && *p == '+') {
		const char *why = parse_local(&p, end, v);
		if (why)
			return why;
	}
	return p == end ? NULL : "not a PEP 440 version";
}

/* Release segments, the shorter padded with zeros. */
static int release_cmp(span a, span b)
{
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		size_t da = qn_ver_digits_span(a.p + i, a.n - i);
		size_t db = qn_ver_digits_span(b.p + j, b.n - j);
		int r = qn_ver_digits_cmp(a.p + i, da, b.p + j, db);
		if (r)
			return r;
		i += da + (i + da < a.n);
		j += db + (j + db < b.n);
	}
	return 0;
}

/* One local segment against another: numbers after strings, strings case-insensitively. */
static int local_seg_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	bool na = qn_ver_digits_span(a, an) == an, nb = qn_ver_digits_span(b, bn) == bn;
	if (na && nb)
		return qn_ver_digits_cmp(a, an, b, bn);
	if (na != nb)
		return na ? 1 : -1;
	for (size_t i = 0; i < an && i < bn; i++) {
		int r = qn_ver_tolower((unsigned char)a[i]) - qn_ver_tolower((unsigned char)b[i]);
		if (r)
			return qn_ver_sign(r);
	}
	return an < bn ? -1 : an > bn;
}

static size_t local_seg_len(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && !is_sep((unsigned char)p[i]))
		i++;
	return i;
}

static int local_cmp(span a, span b)
{
	if (!a.p || !b.p)
		return (a.p != NULL) - (b.p != NULL);
	size_t i = 0, j = 0;
	while (i < a.n && j < b.n) {
		size_t sa = local_seg_len(a.p + i, a.n - i), sb = local_seg_len(b.p + j, b.n - j);
		int r = local_seg_cmp(a.p + i, sa, b.p + j, sb);
		if (r)
			return r;
		i += sa + (i + sa < a.n);
		j += sb + (j + sb < b.n);
	}
	return i < a.n ? 1 : j < b.n ? -1 : 0;
}

/* The pre-release key: a dev-only release sorts before every pre-release, a final release after. */
static int pre_class(const pep440 *v)
{
	if (!v->pre && !v->post && v->dev)
		return -1;
	return v->pre ? 0 : 1;
}

static int suffix_cmp(const pep440 *a, const pep440 *b)
{
	int ca = pre_class(a), cb = pre_class(b);
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca == 0 && a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	int r = ca == 0 ? qn_ver_digits_cmp(a->pre_n.p, a->pre_n.n, b->pre_n.p, b->pre_n.n) : 0;
	if (r)
		return r;
	/* no post-release sorts first, no dev release sorts last */
	if (a->post != b->post)
		return a->post ? 1 : -1;
	r = qn_ver_digits_cmp(a->post_n.p, a->post_n.n, b->post_n.p, b->post_n.n);
	if (r)
		return r;
	if (a->dev != b->dev)
		return a->dev ? -1 : 1;
	return qn_ver_digits_cmp(a->dev_n.p, a->dev_n.n, b->dev_n.p, b->dev_n.n);
}

const char *qn_ver_pep440_problem(const char *v)
{
	pep440 pv;
	return pep440_parse(v, &pv);
}

int qn_ver_pep440_compare(const char *a, const char *b)
{
	pep440 va, vb;
	if (pep440_parse(a, &va) || pep440_parse(b, &vb))
		return 0;
	int r = qn_ver_digits_cmp(va.epoch.p, va.epoch.n, vb.epoch.p, vb.epoch.n);
	if (!r)
		r = release_cmp(va.release, vb.release);
	if (!r)
		r = suffix_cmp(&va, &vb);
	if (!r)
		r = local_cmp(va.local, vb.local);
	return r;
}
