/* Declared licences as SPDX expressions and CycloneDX licence choices. A package database
 * records whatever its packager wrote ("GPL-2.0-or-later", "GPLv2+ and LGPLv2+", "MIT License,
 * BSD License", a whole sentence); the SBOM schemas accept only SPDX ids from the licence list,
 * so every term is checked against that list (lib/report/spdx_ids.h) and terms that are not SPDX
 * ids become LicenseRef-... (SPDX) or a licence "name" (CycloneDX). The grammar is the SPDX 2.3
 * Annex D one: simple terms (id, id+, LicenseRef-x), WITH exceptions, AND / OR and parentheses;
 * operators are accepted in upper or lower case and written in upper case. This module does not
 * guess licences from licence texts, and does not rewrite licence names into SPDX ids. */
#include <ctype.h>
#include <strings.h>

#include "license.h"
#include "spdx_ids.h"
#include "util/digest.h"
#include "util/json.h"

#define MAX_TOKENS 512
#define MAX_DEPTH 32
#define MAX_REF_NAME 64

static int cmp_id(const void *key, const void *elem)
{
	return strcasecmp(key, *(const char *const *)elem);
}

const char *qn_spdx_licence_id(const char *s)
{
	const char *const *r =
	    bsearch(s, qn_spdx_licence_ids, QN_ARRAY_LEN(qn_spdx_licence_ids), sizeof(char *), cmp_id);
	return r ? *r : NULL;
}

const char *qn_spdx_exception_id(const char *s)
{
	const char *const *r =
	    bsearch(s, qn_spdx_exception_ids, QN_ARRAY_LEN(qn_spdx_exception_ids), sizeof(char *), cmp_id);
	return r ? *r : NULL;
}

typedef enum { T_ID, T_AND, T_OR, T_WITH, T_LP, T_RP } tkind;

typedef struct {
	tkind k;
	const char *s;
	size_t n;
} tok;

static bool idchar(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* An id token: idstring, idstring+, LicenseRef-idstring or DocumentRef-x:LicenseRef-y. */
static bool id_token(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (idchar(s[i]) || s[i] == ':'))
		i++;
	if (i == 0 || (i < n && !(s[i] == '+' && i + 1 == n)))
		return false;
	const char *colon = memchr(s, ':', i);
	return !colon || (qn_str_has_prefix(s, "DocumentRef-") && !memchr(colon + 1, ':', (size_t)(s + i - colon - 1)));
}

static bool word_is(const char *s, size_t n, const char *upper, const char *lower)
{
	return (n == strlen(upper)) && (!memcmp(s, upper, n) || !memcmp(s, lower, n));
}

/* Splits text into tokens; -1 when a word is neither an operator nor an id. */
static int tokenize(const char *text, tok *t, size_t *nt)
{
	size_t n = 0;
	for (const char *s = text; *s;) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (n == MAX_TOKENS)
			return -1;
		if (*s == '(' || *s == ')') {
			t[n++] = (tok){*s == '(' ? T_LP : T_RP, s, 1};
			s++;
			continue;
		}
		size_t w = strcspn(s, " \t\r\n()");
		tkind k = word_is(s, w, "AND", "and")     ? T_AND
			  : word_is(s, w, "OR", "or")     ? T_OR
			  : word_is(s, w, "WITH", "with") ? T_WITH
							  : T_ID;
		if (k == T_ID && !id_token(s, w))
			return -1;
		t[n++] = (tok){k, s, w};
		s += w;
	}
	*nt = n;
	return n ? 0 : -1;
}

/* "LicenseRef-<text with every run of other characters as '-'>"; a hash of the text is added
 * when the name is cut short or is already taken by another text. */
static char *ref_for(qn_strset *refs, const char *text)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "LicenseRef-");
	size_t start = b.len;
	for (const char *c = text; *c && b.len - start < MAX_REF_NAME; c++) {
		if (*c == '+')
			qn_buf_adds(&b, b.len > start && b.data[b.len - 1] != '-' ? "-plus" : "plus");
		else if (idchar(*c))
			qn_buf_addc(&b, *c);
		else if (b.len > start && b.data[b.len - 1] != '-')
			qn_buf_addc(&b, '-');
	}
	while (b.len > start && b.data[b.len - 1] == '-')
		b.data[--b.len] = 0;
	const char *prev = qn_strset_get(refs, b.data);
	if (b.len == start || b.len - start >= MAX_REF_NAME || (prev && strcmp(prev, text))) {
		qn_digest d;
		char hex[129];
		qn_digest_buf(QN_DIGEST_SHA256, text, strlen(text), &d);
		qn_buf_printf(&b, "%s%.8s", b.len > start ? "-" : "", qn_digest_hex(&d, hex));
	}
	if (!qn_strset_get(refs, b.data))
		qn_strset_put(refs, b.data, xstrdup(text));
	return qn_buf_steal(&b);
}

typedef struct {
	const tok *t;
	size_t n, i;
	int depth;
	qn_buf out;
	qn_strset *refs; /* NULL: only check (CycloneDX) */
	int unknown;     /* terms that are not SPDX ids */
} parser;

/* One simple term (id[+] [WITH exception]) in canonical form, or NULL when it names no SPDX
 * licence (or no SPDX exception). */
static char *canonical_simple(const tok *lic, const tok *exc)
{
	_cleanup_free_ char *s = xstrndup(lic->s, lic->n);
	_cleanup_free_ char *e = exc ? xstrndup(exc->s, exc->n) : NULL;
	const char *ce = e ? qn_spdx_exception_id(e) : NULL;
	if (e && !ce)
		return NULL;
	const char *id = qn_spdx_licence_id(s); /* "GPL-2.0+" is in the list as one id */
	bool plus = !id && s[lic->n - 1] == '+';
	if (plus) {
		s[lic->n - 1] = 0;
		id = qn_spdx_licence_id(s);
	}
	if (!id && qn_str_has_prefix(s, "LicenseRef-") && !plus && !strchr(s, ':'))
		id = s;
	if (!id)
		return NULL;
	return xasprintf("%s%s%s%s", id, plus ? "+" : "", ce ? " WITH " : "", ce ? ce : "");
}

static void emit_simple(parser *p, const tok *lic, const tok *exc)
{
	_cleanup_free_ char *c = canonical_simple(lic, exc);
	if (c && qn_str_has_prefix(c, "LicenseRef-") && p->refs && !qn_strset_get(p->refs, c))
		qn_strset_put(p->refs, c, xstrdup(c)); /* declared by the package itself */
	if (c) {
		qn_buf_adds(&p->out, c);
		return;
	}
	p->unknown++;
	if (!p->refs)
		return;
	const char *end = exc ? exc->s + exc->n : lic->s + lic->n;
	_cleanup_free_ char *text = xstrndup(lic->s, (size_t)(end - lic->s));
	_cleanup_free_ char *ref = ref_for(p->refs, text);
	qn_buf_adds(&p->out, ref);
}

static int p_or(parser *p);

static int p_term(parser *p)
{
	if (p->i >= p->n)
		return -1;
	const tok *t = &p->t[p->i];
	if (t->k == T_LP) {
		if (++p->depth > MAX_DEPTH)
			return -1;
		p->i++;
		qn_buf_addc(&p->out, '(');
		if (p_or(p) < 0 || p->i >= p->n || p->t[p->i].k != T_RP)
			return -1;
		p->i++;
		p->depth--;
		qn_buf_addc(&p->out, ')');
		return 0;
	}
	if (t->k != T_ID)
		return -1;
	p->i++;
	const tok *exc = NULL;
	if (p->i < p->n && p->t[p->i].k == T_WITH) {
		if (p->i + 1 >= p->n || p->t[p->i + 1].k != T_ID)
			return -1;
		exc = &p->t[p->i + 1];
		p->i += 2;
	}
	emit_simple(p, t, exc);
	return 0;
}

static int p_and(parser *p)
{
	if (p_term(p) < 0)
		return -1;
	while (p->i < p->n && p->t[p->i].k == T_AND) {
		p->i++;
		qn_buf_adds(&p->out, " AND ");
		if (p_term(p) < 0)
			return -1;
	}
	return 0;
}

static int p_or(parser *p)
{
	if (p_and(p) < 0)
		return -1;
	while (p->i < p->n && p->t[p->i].k == T_OR) {
		p->i++;
		qn_buf_adds(&p->out, " OR ");
		if (p_and(p) < 0)
			return -1;
	}
	return 0;
}

/* Parses the whole token list; 0 when it is one expression. */
static int parse(parser *p)
{
	return p_or(p) == 0 && p->i == p->n ? 0 : -1;
}

static char *trimmed(const char *text)
{
	if (!text)
		return NULL;
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n && isspace((unsigned char)text[n - 1]))
		n--;
	return n ? xstrndup(text, n) : NULL;
}

char *qn_license_spdx(const char *text, qn_strset *refs)
{
	_cleanup_free_ char *t = trimmed(text);
	if (!t)
		return NULL;
	tok *toks = xcalloc(MAX_TOKENS, sizeof(tok));
	size_t n = 0;
	parser p = {toks, 0, 0, 0, QN_BUF_INIT, refs, 0};
	if (tokenize(t, toks, &n) == 0) {
		p.n = n;
		if (parse(&p) == 0) {
			free(toks);
			return qn_buf_steal(&p.out);
		}
	}
	free(toks);
	qn_buf_clear(&p.out);
	return ref_for(refs, t); /* not an expression: the whole text is one licence */
}

void qn_license_refs_clear(qn_strset *refs)
{
	size_t n;
	const char **keys = qn_strset_sorted(refs, &n);
	for (size_t i = 0; i < n; i++)
		free(qn_strset_get(refs, keys[i]));
	free(keys);
	qn_strset_clear(refs);
}

static json_t *lic_obj(const char *key, const char *val)
{
	return json_pack("{s:{s:o}}", "license", key, qn_json_string(val));
}

json_t *qn_license_cdx(const char *text)
{
	_cleanup_free_ char *t = trimmed(text);
	if (!t)
		return NULL;
	tok *toks = xcalloc(MAX_TOKENS, sizeof(tok));
	size_t n = 0;
	parser p = {toks, 0, 0, 0, QN_BUF_INIT, NULL, 0};
	json_t *res = NULL;
	if (tokenize(t, toks, &n) == 0) {
		p.n = n;
		int rc = parse(&p);
		if (rc == 0 && p.unknown == 0) {
			const char *id = n == 1 ? qn_spdx_licence_id(p.out.data) : NULL;
			res = id ? json_pack("[o]", lic_obj("id", id))
				 : json_pack("[{s:o}]", "expression", qn_json_string(p.out.data));
		} else if (rc == 0) {
			/* an expression with terms that are not SPDX ids: one expression whose unknown
			 * terms are LicenseRef-…, as in the SPDX document. Not one "name" per term: a list
			 * of three or more licences crashes Debian's jsonschema 4.10 (it sorts dicts
			 * while explaining the expression branch of the oneOf), and an expression keeps
			 * OR and WITH, which separate names cannot. */
			qn_strset refs = QN_STRSET_INIT;
			_cleanup_free_ char *e = qn_license_spdx(t, &refs);
			qn_license_refs_clear(&refs);
			res = json_pack("[{s:o}]", "expression", qn_json_string(e));
		}
	}
	free(toks);
	qn_buf_clear(&p.out);
	return res ? res : json_pack("[o]", lic_obj("name", t));
}
