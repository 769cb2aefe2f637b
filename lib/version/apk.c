/* Alpine (apk-tools) version ordering: digits{.digits}[letter]{_suffix[N]}[~hash][-rN], tokenised
 * and compared the way apk-tools' apk_version_compare() does (apk-tools 2.14 / 3). This file only
 * orders and validates version strings; it does not parse dependency operators or the fuzzy
 * ("~") match.
 *
 * Numbers are compared exactly at any length, where apk-tools reads them into a uint64_t that
 * wraps past 20 digits; no real version has such numbers. A string that stops parsing compares
 * like apk compares it: up to the first invalid token, after which the invalid side is older. */
#include <string.h>

#include "util/util.h"
#include "version/version_int.h"

/* Token kinds in the order apk requires them to appear; the order also decides comparisons when
 * one version has a token the other lacks. */
enum {
	TOK_INITIAL_DIGIT,
	TOK_DIGIT,
	TOK_LETTER,
	TOK_SUFFIX,
	TOK_SUFFIX_NO,
	TOK_COMMIT_HASH,
	TOK_REVISION_NO,
	TOK_END,
	TOK_INVALID,
};

/* Suffix values: pre-release suffixes sort below SUF_NONE (no suffix), the others above it. */
enum { SUF_INVALID, SUF_ALPHA, SUF_BETA, SUF_PRE, SUF_RC, SUF_NONE, SUF_CVS, SUF_SVN, SUF_GIT, SUF_HG, SUF_P };

typedef struct {
	int tok;
	int suffix;
	const char *val; /* the token's text: digits, the letter, the suffix name or the hash */
	size_t len;
	const char *p; /* what is left of the version */
	size_t n;
} apk_lexer;

static int suffix_value(const char *s, size_t n)
{
	static const char *const names[] = {"alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"};
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++) {
		if (i + 1 == SUF_NONE)
			continue; /* "_" alone is not the empty suffix: it is invalid */
		if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0)
			return (int)i + 1;
	}
	return SUF_INVALID;
}

static void take_digits(apk_lexer *t)
{
	t->val = t->p;
	t->len = qn_ver_digits_span(t->p, t->n);
	t->p += t->len, t->n -= t->len;
	if (t->len == 0)
		t->tok = TOK_INVALID;
}

/* Length of the run at p of bytes accepted by cls. */
static size_t span(const char *p, size_t n, bool (*cls)(int))
{
	size_t i = 0;
	while (i < n && cls((unsigned char)p[i]))
		i++;
	return i;
}

static bool is_hex_lower(int c)
{
	return qn_ver_isdigit(c) || (c >= 'a' && c <= 'f');
}

/* Reads the next token; a token that may not follow the previous one makes the rest invalid. */
static void next_token(apk_lexer *t)
{
	if (t->n == 0) {
		t->tok = TOK_END;
		return;
	}
	char c = *t->p;
	if (qn_ver_islower(c)) {
		if (t->tok > TOK_DIGIT)
			goto invalid;
		t->val = t->p, t->len = 1;
		t->p++, t->n--;
		t->tok = TOK_LETTER;
	} else if (c == '.' || qn_ver_isdigit(c)) {
		if (t->tok > TOK_DIGIT && c == '.')
			goto invalid;
		if (c == '.')
			t->p++, t->n--;
		if (t->tok == TOK_INITIAL_DIGIT || t->tok == TOK_DIGIT)
			t->tok = TOK_DIGIT;
		else if (t->tok == TOK_SUFFIX)
			t->tok = TOK_SUFFIX_NO;
		else
			goto invalid;
		take_digits(t);
	} else if (c == '_') {
		if (t->tok > TOK_SUFFIX_NO)
			goto invalid;
		t->p++, t->n--;
		t->val = t->p, t->len = span(t->p, t->n, qn_ver_islower);
		t->p += t->len, t->n -= t->len;
		t->suffix = suffix_value(t->val, t->len);
		if (t->suffix == SUF_INVALID)
			goto invalid;
		t->tok = TOK_SUFFIX;
	} else if (c == '~') {
		if (t->tok >= TOK_COMMIT_HASH)
			goto invalid;
		t->p++, t->n--;
		t->val = t->p, t->len = span(t->p, t->n, is_hex_lower);
		t->p += t->len, t->n -= t->len;
		if (t->len == 0)
			goto invalid;
		t->tok = TOK_COMMIT_HASH;
	} else if (c == '-') {
		if (t->tok >= TOK_REVISION_NO || t->n < 2 || t->p[1] != 'r')
			goto invalid;
		t->p += 2, t->n -= 2;
		t->tok = TOK_REVISION_NO;
		take_digits(t);
	} else {
		goto invalid;
	}
	return;
invalid:
	t->tok = TOK_INVALID;
}

static void first_token(apk_lexer *t, const char *v)
{
	memset(t, 0, sizeof(*t));
	t->p = v ? v : "";
	t->n = strlen(t->p);
	t->tok = TOK_INITIAL_DIGIT;
	take_digits(t);
}

/* apk_blob_sort(): bytes over the common length, then the shorter first. */
static int blob_sort(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, QN_MIN(an, bn));
	if (r)
		return r < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

/* Compares two tokens of the same kind. */
static int token_cmp(const apk_lexer *a, const apk_lexer *b)
{
	switch (a->tok) {
	case TOK_DIGIT:
		/* apk (like Gentoo) compares a component with a leading zero as a string: 1.01 < 1.1 */
		if (a->val[0] == '0' || b->val[0] == '0')
			return blob_sort(a->val, a->len, b->val, b->len);
		return qn_ver_digits_cmp(a->val, a->len, b->val, b->len);
	case TOK_INITIAL_DIGIT:
	case TOK_SUFFIX_NO:
	case TOK_REVISION_NO:
		return qn_ver_digits_cmp(a->val, a->len, b->val, b->len);
	case TOK_LETTER:
		return qn_ver_sign((unsigned char)a->val[0] - (unsigned char)b->val[0]);
	case TOK_SUFFIX:
		return qn_ver_sign(a->suffix - b->suffix);
	default:
		return blob_sort(a->val, a->len, b->val, b->len);
	}
}

int qn_apk_vercmp(const char *a, const char *b)
{
	apk_lexer ta, tb;
	first_token(&ta, a);
	first_token(&tb, b);
	while (ta.tok == tb.tok && ta.tok < TOK_END) {
		int r = token_cmp(&ta, &tb);
		if (r)
			return r;
		next_token(&ta);
		next_token(&tb);
	}
	if (ta.tok == tb.tok)
		return 0;
	/* Equal so far: the version that goes on is newer, unless what follows is a pre-release
	 * suffix; an invalid token (the highest kind) makes its side older. */
	if (ta.tok == TOK_SUFFIX && ta.suffix < SUF_NONE)
		return -1;
	if (tb.tok == TOK_SUFFIX && tb.suffix < SUF_NONE)
		return 1;
	return ta.tok > tb.tok ? -1 : 1;
}

bool qn_apk_version_valid(const char *v)
{
	return qn_ver_apk_problem(v) == NULL;
}

const char *qn_ver_apk_problem(const char *v)
{
	apk_lexer t;
	first_token(&t, v);
	while (t.tok < TOK_END)
		next_token(&t);
	if (t.tok == TOK_END)
		return NULL;
	return "not of the form digits{.digits}[letter]{_suffix[N]}[~hash][-rN]";
}
