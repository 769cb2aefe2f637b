/* Debian version ordering: [epoch:]upstream[-revision] parsed the way dpkg's parseversion() does
 * and compared with dpkg's verrevcmp(). This file only orders and checks version strings; it
 * does not parse relations ("(>= 1.2)") or package databases.
 *
 * dpkg sorts '~' before everything (even the end of the string), then the end and digits, then
 * letters, then every other character; digit runs compare as numbers. Bytes >= 0x80 sort where
 * dpkg on a signed-char platform (amd64, i386) puts them: after letters, before ASCII
 * punctuation. The tests cross-check this file against the real dpkg. */
#include <limits.h>
#include <string.h>

#include "version/version_int.h"

typedef struct {
	long long epoch;
	const char *ver;
	size_t ver_len;
	const char *rev;
	size_t rev_len;
} dpkg_ver;

/* dpkg trims and splits on "blank" characters (space and tab) only. */
static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* strtol() skips isspace() in the C locale: space and \t \n \v \f \r. */
static bool is_c_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The epoch in s..colon, read the way dpkg reads it with strtol(): leading white space and a sign
 * are allowed, the digits must run up to the colon, and the value must fit an int. */
static const char *parse_epoch(const char *s, const char *colon, long long *out)
{
	const char *p = s;
	while (p < colon && is_c_space((unsigned char)*p))
		p++;
	bool neg = false;
	if (p < colon && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	size_t nd = qn_ver_digits_span(p, (size_t)(colon - p));
	if (nd == 0)
		return "epoch in version is empty";
	if (p + nd != colon)
		return "epoch in version is not number";
	while (nd > 1 && *p == '0')
		p++, nd--;
	if (neg && !(nd == 1 && *p == '0'))
		return "epoch in version is negative";
	/* INT_MAX has 10 digits: compare as digit strings so that no length overflows. */
	static const char int_max[] = "2147483647";
	if (qn_ver_digits_cmp(p, nd, int_max, sizeof(int_max) - 1) > 0)
		return "epoch in version is too big";
	long long e = 0;
	for (size_t i = 0; i < nd; i++)
		e = e * 10 + (p[i] - '0');
	*out = e;
	return NULL;
}

/* Splits s like dpkg's parseversion(). Returns NULL when dpkg is silent, else dpkg's message;
 * *fatal tells an error (dpkg refuses the version) from a warning (dpkg uses it anyway). The
 * fields of v are meaningful whenever *fatal is false. */
static const char *dpkg_parse(const char *s, dpkg_ver *v, bool *fatal)
{
	*fatal = true;
	while (is_blank((unsigned char)*s))
		s++;
	if (!*s)
		return "version string is empty";
	const char *end = s;
	while (*end && !is_blank((unsigned char)*end))
		end++;
	for (const char *p = end; *p; p++)
		if (!is_blank((unsigned char)*p))
			return "version string has embedded spaces";
	v->epoch = 0;
	const char *colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		const char *why = parse_epoch(s, colon, &v->epoch);
		if (why)
			return why;
		if (!colon[1])
			return "nothing after colon in version number";
		s = colon + 1;
	}
	const char *hyphen = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == '-')
			hyphen = p;
	v->ver = s;
	v->ver_len = (size_t)((hyphen ? hyphen : end) - s);
	v->rev = hyphen ? hyphen + 1 : end;
	v->rev_len = (size_t)(end - v->rev);
	if (hyphen && v->rev_len == 0)
		return "revision number is empty";
	if (v->ver_len == 0)
		return "version number is empty";
	*fatal = false;
	if (!qn_ver_isdigit((unsigned char)v->ver[0]))
		return "version number does not start with digit";
	for (size_t i = 1; i < v->ver_len; i++)
		if (!qn_ver_isalnum((unsigned char)v->ver[i]) && !strchr(".-+~:", v->ver[i]))
			return "invalid character in version number";
	for (size_t i = 0; i < v->rev_len; i++)
		if (!qn_ver_isalnum((unsigned char)v->rev[i]) && !strchr(".+~", v->rev[i]))
			return "invalid character in revision number";
	return NULL;
}

/* dpkg's order(): the weight of one non-digit character. dpkg passes a plain (signed) char, so a
 * byte >= 0x80 arrives negative and gets c + 256, i.e. its unsigned value. */
static int order(unsigned char c)
{
	if (qn_ver_isdigit(c))
		return 0;
	if (qn_ver_isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c >= 0x80)
		return c;
	return c ? c + 256 : 0;
}

/* dpkg's verrevcmp() over counted strings: alternating non-digit runs (compared by order()) and
 * digit runs (compared as numbers, leading zeros ignored). */
static int verrevcmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	while (i < an || j < bn) {
		while ((i < an && !qn_ver_isdigit((unsigned char)a[i])) ||
		       (j < bn && !qn_ver_isdigit((unsigned char)b[j]))) {
			int ac = i < an ? order((unsigned char)a[i]) : 0;
			int bc = j < bn ? order((unsigned char)b[j]) : 0;
			if (ac != bc)
				return ac < bc ? -1 : 1;
			i++, j++;
		}
		size_t na = qn_ver_digits_span(a + i, an - i);
		size_t nb = qn_ver_digits_span(b + j, bn - j);
		int r = qn_ver_digits_cmp(a + i, na, b + j, nb);
		if (r)
			return r;
		i += na, j += nb;
	}
	return 0;
}

/* A version dpkg refuses still needs a place in the order: treat the whole string as a bare
 * upstream version, so that the comparison stays antisymmetric. */
static void dpkg_parse_any(const char *s, dpkg_ver *v)
{
	bool fatal;
	dpkg_parse(s, v, &fatal);
	if (fatal) {
		v->epoch = 0;
		v->ver = s;
		v->ver_len = strlen(s);
		v->rev = s + v->ver_len;
		v->rev_len = 0;
	}
}

int qn_dpkg_vercmp(const char *a, const char *b)
{
	dpkg_ver va, vb;
	dpkg_parse_any(a ? a : "", &va);
	dpkg_parse_any(b ? b : "", &vb);
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	int r = verrevcmp(va.ver, va.ver_len, vb.ver, vb.ver_len);
	if (r)
		return r;
	return verrevcmp(va.rev, va.rev_len, vb.rev, vb.rev_len);
}

const char *qn_ver_dpkg_problem(const char *v, bool *fatal)
{
	dpkg_ver dv;
	return dpkg_parse(v ? v : "", &dv, fatal);
}

bool qn_dpkg_version_valid(const char *v)
{
	bool fatal;
	return qn_ver_dpkg_problem(v, &fatal) == NULL;
}
