/* Semantic Versioning 2.0.0 precedence, for npm and crates.io, and the Go module variant
 * (golang.org/x/mod/semver). This file parses and orders single versions; it does not evaluate
 * ranges ("^1.2", ">=1.0 <2.0").
 *
 * semver: MAJOR.MINOR.PATCH[-PRE][+BUILD] with no leading zeros in numbers or numeric pre-release
 * identifiers. Surrounding blanks and leading '=' and 'v' characters are dropped first, as npm's
 * semver.clean() does. Numbers of any size are accepted (node-semver refuses those above 2^53-1).
 * Go: the same grammar behind a required 'v', plus the shorthands v1 and v1.2 (== v1.0.0, v1.2.0).
 * Both: build metadata (Go's "+incompatible" too) is ignored for ordering; a pre-release sorts
 * before its release; pre-release identifiers compare numerically when both are numbers, numbers
 * sort before other identifiers, which compare as ASCII; a longer list of equal identifiers wins.
 * Go pseudo-versions (v0.0.0-20190101120000-abcdef123456, vX.Y.(Z+1)-0.yyyymmddhhmmss-hash) are
 * pre-releases and order correctly under these rules with no special case. */
#include <string.h>

#include "util/util.h"
#include "version/version_int.h"

typedef struct {
	const char *num[3]; /* major, minor, patch digits ("0" for a Go shorthand's missing parts) */
	size_t numn[3];
	const char *pre; /* pre-release identifiers without the '-', or NULL */
	size_t pren;
} semver;

static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_ident_char(int c)
{
	return qn_ver_isalnum(c) || c == '-';
}

/* A numeric component: "0" or digits without a leading zero. */
static const char *parse_num(const char **pp, const char *end, semver *v, int k)
{
	static const char *const not_num[] = {"major version is not a number", "minor version is not a number",
					      "patch version is not a number"};
	static const char *const zero[] = {"major version has a leading zero", "minor version has a leading zero",
					   "patch version has a leading zero"};
	const char *p = *pp;
	size_t n = qn_ver_digits_span(p, (size_t)(end - p));
	if (n == 0)
		return not_num[k];
	if (n > 1 && *p == '0')
		return zero[k];
	v->num[k] = p;
	v->numn[k] = n;
	*pp = p + n;
	return NULL;
}

/* A dot-separated list of non-empty [0-9A-Za-z-] identifiers; numeric pre-release identifiers
 * may not have leading zeros. Stops at the first character that cannot continue the list. */
static const char *parse_idents(const char **pp, const char *end, bool pre)
{
	const char *p = *pp;
	for (;;) {
		const char *start = p;
		bool numeric = true;
		while (p < end && is_ident_char((unsigned char)*p)) {
			numeric = numeric && qn_ver_isdigit((unsigned char)*p);
			p++;
		}
		if (p == start)
			return pre ? "empty pre-release identifier" : "empty build metadata identifier";
		if (pre && numeric && p - start > 1 && *start == '0')
			return "numeric pre-release identifier has a leading zero";
		if (p == end || *p != '.')
			break;
		p++;
	}
	*pp = p;
	return NULL;
}

/* The part after MAJOR: .MINOR.PATCH[-PRE][+BUILD], with Go's shorthands. */
static const char *parse_rest(const char *p, const char *end, bool go, semver *v)
{
	for (int k = 1; k < 3; k++) {
		if (go && p == end) {
			v->num[k] = v->num[2] = "0";
			v->numn[k] = v->numn[2] = 1;
			return NULL;
		}
		if (p == end || *p != '.')
			return k == 1 ? "expected '.' and a minor version" : "expected '.' and a patch version";
		p++;
		const char *why = parse_num(&p, end, v, k);
		if (why)
			return why;
	}
	if (p < end && *p == '-') {
		v->pre = ++p;
		const char *why = parse_idents(&p, end, true);
		if (why)
			return why;
		v->pren = (size_t)(p - v->pre);
	}
	if (p < end && *p == '+') {
		p++;
		const char *why = parse_idents(&p, end, false);
		if (why)
			return why;
	}
	return p == end ? NULL : "unexpected character after the version";
}

static const char *semver_parse(const char *s, bool go, semver *v)
{
	memset(v, 0, sizeof(*v));
	if (!s || !*s)
		return "empty version";
	const char *p = s, *end = s + strlen(s);
	if (go) {
		/* Go is strict: the 'v' is part of the syntax and nothing may surround the version */
		if (*p != 'v')
			return "Go module versions start with 'v'";
		p++;
	} else {
		while (p < end && is_space((unsigned char)*p))
			p++;
		while (end > p && is_space((unsigned char)end[-1]))
			end--;
		while (p < end && (*p == '=' || *p == 'v'))
			p++;
	}
	const char *why = parse_num(&p, end, v, 0);
	return why ? why : parse_rest(p, end, go, v);
}

/* Compares one pre-release identifier with another. */
static int ident_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	bool na = qn_ver_digits_span(a, an) == an, nb = qn_ver_digits_span(b, bn) == bn;
	if (na && nb)
		return qn_ver_digits_cmp(a, an, b, bn);
	if (na != nb)
		return na ? -1 : 1;
	int r = memcmp(a, b, QN_MIN(an, bn));
	return r ? qn_ver_sign(r) : an < bn ? -1 : an > bn;
}

static int pre_cmp(const semver *a, const semver *b)
{
	if (!a->pre || !b->pre)
		return (a->pre == NULL) - (b->pre == NULL);
	const char *p = a->pre, *pe = a->pre + a->pren;
	const char *q = b->pre, *qe = b->pre + b->pren;
	while (p < pe && q < qe) {
		const char *pd = memchr(p, '.', (size_t)(pe - p));
		const char *qd = memchr(q, '.', (size_t)(qe - q));
		pd = pd ? pd : pe;
		qd = qd ? qd : qe;
		int r = ident_cmp(p, (size_t)(pd - p), q, (size_t)(qd - q));
		if (r)
			return r;
		p = pd < pe ? pd + 1 : pe;
		q = qd < qe ? qd + 1 : qe;
	}
	return p < pe ? 1 : q < qe ? -1 : 0;
}

const char *qn_ver_semver_problem(const char *v, bool go)
{
	semver sv;
	return semver_parse(v, go, &sv);
}

int qn_ver_semver_compare(const char *a, const char *b, bool go)
{
	semver va, vb;
	if (semver_parse(a, go, &va) || semver_parse(b, go, &vb))
		return 0;
	for (int k = 0; k < 3; k++) {
		int r = qn_ver_digits_cmp(va.num[k], va.numn[k], vb.num[k], vb.numn[k]);
		if (r)
			return r;
	}
	return pre_cmp(&va, &vb);
}
