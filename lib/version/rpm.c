/* RPM version ordering: rpmvercmp() on version and release strings, and rpmverCmp() on whole
 * [epoch:]version[-release] strings, as rpm 4.16 and later define them. This file only orders
 * and checks version strings; it does not read headers or evaluate dependency ranges.
 *
 * rpmvercmp splits a string into runs of ASCII digits and runs of ASCII letters; everything else
 * only separates runs and is otherwise ignored (so "1.0" == "1_0"). Digit runs compare as
 * numbers and are newer than letter runs; letter runs compare as bytes. '~' sorts before
 * everything, even the end of the string ("1.0~rc1" < "1.0"); '^' sorts after the end but before
 * anything else ("1.0" < "1.0^git1" < "1.0.1"). */
#include <string.h>

#include "util/util.h"
#include "version/version_int.h"

static bool is_sep(unsigned char c)
{
	return !qn_ver_isalnum(c) && c != '~' && c != '^';
}

static size_t span_alpha(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && qn_ver_isalpha((unsigned char)p[i]))
		i++;
	return i;
}

/* Handles '~' and '^' at a[*i] / b[*j] (0 standing for the end). Returns 2 when neither is there,
 * 3 when both were and have been skipped, else the comparison result. */
static int tilde_caret(int ca, int cb, size_t *i, size_t *j)
{
	if (ca == '~' || cb == '~') {
		if (ca != '~')
			return 1;
		if (cb != '~')
			return -1;
	} else if (ca == '^' || cb == '^') {
		if (!ca)
			return -1;
		if (!cb)
			return 1;
		if (ca != '^')
			return 1;
		if (cb != '^')
			return -1;
	} else {
		return 2;
	}
	(*i)++, (*j)++;
	return 3;
}

/* rpmvercmp() over counted strings. */
static int rpmvercmp_n(const char *a, size_t an, const char *b, size_t bn)
{
	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	size_t i = 0, j = 0;
	while (i < an || j < bn) {
		while (i < an && is_sep((unsigned char)a[i]))
			i++;
		while (j < bn && is_sep((unsigned char)b[j]))
			j++;
		int r = tilde_caret(i < an ? a[i] : 0, j < bn ? b[j] : 0, &i, &j);
		if (r == 3)
			continue;
		if (r != 2)
			return r;
		if (i == an || j == bn)
			break;
		bool isnum = qn_ver_isdigit((unsigned char)a[i]);
		size_t sa = isnum ? qn_ver_digits_span(a + i, an - i) : span_alpha(a + i, an - i);
		size_t sb = isnum ? qn_ver_digits_span(b + j, bn - j) : span_alpha(b + j, bn - j);
		/* a number against letters: the number is newer */
		if (sb == 0)
			return isnum ? 1 : -1;
		if (isnum) {
			r = qn_ver_digits_cmp(a + i, sa, b + j, sb);
		} else {
			r = memcmp(a + i, b + j, QN_MIN(sa, sb));
			r = r ? qn_ver_sign(r) : sa < sb ? -1 : sa > sb;
		}
		if (r)
			return r;
		i += sa, j += sb;
	}
	/* all segments equal: whichever still has characters left is newer */
	if (i == an && j == bn)
		return 0;
	return i < an ? 1 : -1;
}

int qn_rpm_rpmvercmp(const char *a, const char *b)
{
	a = a ? a : "";
	b = b ? b : "";
	return rpmvercmp_n(a, strlen(a), b, strlen(b));
}

/* One part of an EVR; p == NULL when the part is absent. */
typedef struct {
	const char *p;
	size_t n;
} part;

typedef struct {
	part e, v, r;
} evr;

/* rpm's parseEVR(): an epoch is a run of digits (possibly empty, meaning 0) ended by ':'; the
 * release follows the last '-' after it. */
static void parse_evr(const char *s, evr *x)
{
	size_t n = strlen(s);
	size_t d = qn_ver_digits_span(s, n);
	const char *se = NULL;
	for (const char *p = s + d; p < s + n; p++)
		if (*p == '-')
			se = p;
	x->e = (part){NULL, 0};
	x->v = (part){s, 0};
	if (d < n && s[d] == ':') {
		x->e = d ? (part){s, d} : (part){"0", 1};
		x->v.p = s + d + 1;
	}
	x->v.n = (size_t)((se ? se : s + n) - x->v.p);
	x->r = se ? (part){se + 1, (size_t)(s + n - se - 1)} : (part){NULL, 0};
}

/* rpm's compare_values(): an absent part sorts before a present one. */
static int cmp_part(part a, part b)
{
	if (!a.p || !b.p)
		return (a.p != NULL) - (b.p != NULL);
	return rpmvercmp_n(a.p, a.n, b.p, b.n);
}

int qn_rpm_vercmp(const char *a, const char *b)
{
	evr x, y;
	parse_evr(a ? a : "", &x);
	parse_evr(b ? b : "", &y);
	/* a missing epoch is 0 */
	if (!x.e.p)
		x.e = (part){"0", 1};
	if (!y.e.p)
		y.e = (part){"0", 1};
	int r = cmp_part(x.e, y.e);
	if (!r)
		r = cmp_part(x.v, y.v);
	if (!r)
		r = cmp_part(x.r, y.r);
	return r;
}

static bool verrel_ok(part p)
{
	if (p.n == 0)
		return false;
	for (size_t i = 0; i < p.n; i++)
		if (!qn_ver_isalnum((unsigned char)p.p[i]) && !strchr("._+~^", p.p[i]))
			return false;
	return true;
}

const char *qn_ver_rpm_problem(const char *v)
{
	if (!v || !*v)
		return "empty version";
	evr x;
	parse_evr(v, &x);
	if (x.e.p && x.e.p != v)
		return "empty epoch before ':'";
	if (!verrel_ok(x.v))
		return x.v.n ? "version has a character rpm does not allow" : "empty version";
	if (x.r.p && !verrel_ok(x.r))
		return x.r.n ? "release has a character rpm does not allow" : "empty release after '-'";
	return NULL;
}

bool qn_rpm_version_valid(const char *v)
{
	return qn_ver_rpm_problem(v) == NULL;
}
