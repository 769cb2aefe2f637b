/* OpenVEX documents: statements that a vulnerability does or does not affect a product.
 *
 * qn_vex_parse() reads OpenVEX 0.2 JSON (and the 0.0.x forms: "vulnerability" as a string,
 * products as strings) into a flat list of statements, refusing what would make a statement
 * ambiguous: no vulnerability name, an unknown status, not_affected without a justification or
 * impact statement, products that are no purl or id. qn_vex_match() answers, for one finding,
 * which status the document gives it. Products are matched by purl (type, namespace and name;
 * version and qualifiers only when the statement gives them) or name the image itself. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "quench/scan.h"
#include "util/json.h"
#include "util/util.h"

#define VEX_MAX (64u << 20)

typedef struct {
	char *id;    /* the product's @id or purl */
	char **subs; /* subcomponent ids */
	size_t n_subs;
} vex_product;

typedef struct {
	char **vulns; /* name, @id and aliases */
	size_t n_vulns;
	vex_product *products;
	size_t n_products;
	qn_vex_status status;
	char *justification;
	char *timestamp;
	char *sid; /* "@id" or "statements[N]" */
	size_t index;
} vex_stmt;

struct qn_vex {
	vex_stmt *st;
	size_t n;
};

const char *qn_vex_status_name(qn_vex_status s)
{
	switch (s) {
	case QN_VEX_NOT_AFFECTED:
		return "not_affected";
	case QN_VEX_AFFECTED:
		return "affected";
	case QN_VEX_FIXED:
		return "fixed";
	case QN_VEX_UNDER_INVESTIGATION:
		return "under_investigation";
	case QN_VEX_NONE:
		break;
	}
	return NULL;
}

static void strv_push(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = xstrdup(s);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void qn_vex_free(qn_vex *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		vex_stmt *s = &v->st[i];
		strv_free(s->vulns, s->n_vulns);
		for (size_t k = 0; k < s->n_products; k++) {
			free(s->products[k].id);
			strv_free(s->products[k].subs, s->products[k].n_subs);
		}
		free(s->products);
		free(s->justification);
		free(s->timestamp);
		free(s->sid);
	}
	free(v->st);
	free(v);
}

size_t qn_vex_statement_count(const qn_vex *v)
{
	return v ? v->n : 0;
}

static bool nonempty_str(const json_t *j)
{
	return json_is_string(j) && json_string_length(j) > 0;
}

static int parse_vuln(const json_t *j, vex_stmt *s, const char *where, qn_error **err)
{
	if (nonempty_str(j)) {
		strv_push(&s->vulns, &s->n_vulns, json_string_value(j));
		return 0;
	}
	if (!json_is_object(j))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"vulnerability\" is missing or not an object", where);
	const json_t *name = json_object_get(j, "name"), *id = json_object_get(j, "@id");
	if (!nonempty_str(name) && !nonempty_str(id))
		return qn_error_set(err, QN_ERR_INPUT, "%s: vulnerability has no \"name\"", where);
	if (nonempty_str(name))
		strv_push(&s->vulns, &s->n_vulns, json_string_value(name));
	if (nonempty_str(id))
		strv_push(&s->vulns, &s->n_vulns, json_string_value(id));
	const json_t *al = json_object_get(j, "aliases");
	if (al && !json_is_array(al))
		return qn_error_set(err, QN_ERR_INPUT, "%s: vulnerability \"aliases\" is not an array", where);
	size_t i;
	const json_t *a;
	json_array_foreach (al, i, a) {
		if (!nonempty_str(a))
			return qn_error_set(err, QN_ERR_INPUT, "%s: vulnerability aliases[%zu] is not a string", where,
					    i);
		strv_push(&s->vulns, &s->n_vulns, json_string_value(a));
	}
	return 0;
}

/* A product or subcomponent: a string, or an object with "@id" or identifiers.purl. */
static const char *component_id(const json_t *c)
{
	if (nonempty_str(c))
		return json_string_value(c);
	if (!json_is_object(c))
		return NULL;
	const char *purl = qn_json_str(json_object_get(c, "identifiers"), "purl");
	if (purl && *purl)
		return purl;
	const char *id = qn_json_str(c, "@id");
	return id && *id ? id : NULL;
}

static int parse_products(const json_t *j, vex_stmt *s, const char *where, qn_error **err)
{
	if (!json_is_array(j) || json_array_size(j) == 0)
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"products\" is missing or empty", where);
	s->products = xcalloc(json_array_size(j), sizeof(*s->products));
	size_t i;
	const json_t *p;
	json_array_foreach (j, i, p) {
		const char *id = component_id(p);
		if (!id)
			return qn_error_set(err, QN_ERR_INPUT, "%s: products[%zu] has no \"@id\" or purl", where, i);
		vex_product *vp = &s->products[s->n_products++];
		vp->id = xstrdup(id);
		const json_t *subs = json_is_object(p) ? json_object_get(p, "subcomponents") : NULL;
		if (subs && !json_is_array(subs))
			return qn_error_set(err, QN_ERR_INPUT, "%s: products[%zu].subcomponents is not an array", where,
					    i);
		size_t k;
		const json_t *sc;
		json_array_foreach (subs, k, sc) {
			const char *sid = component_id(sc);
			if (!sid)
				return qn_error_set(err, QN_ERR_INPUT,
						    "%s: products[%zu].subcomponents[%zu] has no \"@id\" or purl",
						    where, i, k);
			strv_push(&vp->subs, &vp->n_subs, sid);
		}
	}
	return 0;
}

static int parse_status(const char *st, qn_vex_status *out)
{
	static const struct {
		const char *name;
		qn_vex_status s;
	} names[] = {{"not_affected", QN_VEX_NOT_AFFECTED},
		     {"affected", QN_VEX_AFFECTED},
		     {"fixed", QN_VEX_FIXED},
		     {"under_investigation", QN_VEX_UNDER_INVESTIGATION}};
	for (size_t i = 0; st && i < QN_ARRAY_LEN(names); i++)
		if (!strcmp(st, names[i].name)) {
			*out = names[i].s;
			return 0;
		}
	return -1;
}

static int parse_stmt(const json_t *j, size_t idx, const char *doc_time, vex_stmt *s, const char *what, qn_error **err)
{
	char where[96];
	snprintf(where, sizeof(where), "%s: statements[%zu]", what, idx);
	s->index = idx;
	if (!json_is_object(j))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not an object", where);
	if (parse_vuln(json_object_get(j, "vulnerability"), s, where, err) < 0)
		return -1;
	const char *st = qn_json_str(j, "status");
	if (parse_status(st, &s->status) < 0) {
		_cleanup_free_ char *q = qn_str_quote(st ? st : "(missing)", 64);
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: status \"%s\" is not not_affected, affected, fixed or under_investigation",
				    where, q);
	}
	const char *just = qn_json_str(j, "justification"), *impact = qn_json_str(j, "impact_statement");
	static const char *const justs[] = {
	    "component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	    "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"};
	if (just) {
		bool known = false;
		for (size_t i = 0; i < QN_ARRAY_LEN(justs); i++)
			known |= !strcmp(just, justs[i]);
		if (!known) {
			_cleanup_free_ char *q = qn_str_quote(just, 64);
			return qn_error_set(err, QN_ERR_INPUT, "%s: unknown justification \"%s\"", where, q);
		}
	}
	if (s->status == QN_VEX_NOT_AFFECTED && !just && !(impact && *impact))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not_affected needs a justification or an impact_statement",
				    where);
	if (parse_products(json_object_get(j, "products"), s, where, err) < 0)
		return -1;
	s->justification = just ? xstrdup(just) : impact ? xstrdup(impact) : NULL;
	const char *ts = qn_json_str(j, "timestamp");
	s->timestamp = xstrdup(ts ? ts : doc_time ? doc_time : "");
	const char *sid = qn_json_str(j, "@id");
	s->sid = sid && *sid ? xstrdup(sid) : xasprintf("statements[%zu]", idx);
	return 0;
}

static int cmp_stmt(const void *a, const void *b)
{
	const vex_stmt *x = a, *y = b;
	int c = strcmp(x->timestamp, y->timestamp);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

qn_vex *qn_vex_parse(const uint8_t *buf, size_t len, const char *what, qn_error **err)
{
	json_t *doc = qn_json_parse(buf, len, VEX_MAX, what, err);
	if (!doc)
		return NULL;
	qn_vex *v = xcalloc(1, sizeof(*v));
	const char *ctx = qn_json_str(doc, "@context");
	const json_t *st = json_object_get(doc, "statements");
	if (!json_is_object(doc) || !ctx || !qn_str_has_prefix(ctx, "https://openvex.dev/ns")) {
		qn_error_set(err, QN_ERR_INPUT,
			     "%s: not an OpenVEX document (no \"@context\" https://openvex.dev/ns/...)", what);
		goto fail;
	}
	if (!json_is_array(st)) {
		qn_error_set(err, QN_ERR_INPUT, "%s: \"statements\" is missing or not an array", what);
		goto fail;
	}
	const char *doc_time = qn_json_str(doc, "timestamp");
	v->st = xcalloc(json_array_size(st) + 1, sizeof(*v->st));
	size_t i;
	const json_t *s;
	json_array_foreach (st, i, s) {
		v->n++;
		if (parse_stmt(s, i, doc_time, &v->st[i], what, err) < 0)
			goto fail;
	}
	qn_sort(v->st, v->n, sizeof(*v->st), cmp_stmt);
	json_decref(doc);
	return v;
fail:
	json_decref(doc);
	qn_vex_free(v);
	return NULL;
}

qn_vex *qn_vex_load(const char *path, qn_error **err)
{
	size_t len = 0;
	_cleanup_free_ char *buf = qn_read_file(path, VEX_MAX, &len, err);
	if (!buf)
		return NULL;
	return qn_vex_parse((const uint8_t *)buf, len, path, err);
}

/* ---- purls ---- */

typedef struct {
	char *type, *ns, *name, *version, *quals;
} purl;

static char *pct_decode(const char *s, size_t n)
{
	char *o = xmalloc(n + 1), *w = o;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char h[3] = {s[i + 1], s[i + 2], 0};
			*w++ = (char)strtol(h, NULL, 16);
			i += 2;
		} else
			*w++ = s[i];
	}
	*w = 0;
	return o;
}

static void purl_clear(purl *p)
{
	free(p->type);
	free(p->ns);
	free(p->name);
	free(p->version);
	free(p->quals);
}

/* pkg:type/namespace/name@version?qualifiers#subpath; false when s is no purl. */
static bool purl_parse(const char *s, purl *p)
{
	memset(p, 0, sizeof(*p));
	if (strncasecmp(s, "pkg:", 4))
		return false;
	s += 4;
	while (*s == '/')
		s++;
	size_t end = strcspn(s, "#");
	size_t q = strcspn(s, "?#");
	const char *path_end = s + q;
	if (q < end)
		p->quals = xstrndup(s + q + 1, end - q - 1);
	const char *slash = memchr(s, '/', (size_t)(path_end - s));
	if (!slash || slash == s)
		return purl_clear(p), false;
	p->type = xstrndup(s, (size_t)(slash - s));
	for (char *c = p->type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *rest = slash + 1;
	size_t rest_len = (size_t)(path_end - rest), last_off = 0;
	for (size_t i = 0; i < rest_len; i++)
		if (rest[i] == '/')
			last_off = i + 1;
	const char *last = rest + last_off;
	size_t last_len = rest_len - last_off;
	size_t name_len = strcspn(last, "@?#");
	if (name_len > last_len)
		name_len = last_len;
	const char *name_end = last + name_len;
	if (name_len < last_len && last[name_len] == '@')
		p->version = pct_decode(last + name_len + 1, last_len - name_len - 1);
	if (last_off > 0)
		p->ns = pct_decode(rest, last_off - 1);
	p->name = pct_decode(last, (size_t)(name_end - last));
	if (!*p->name)
		return purl_clear(p), false;
	if (!strcmp(p->type, "pypi")) /* PEP 503: case and runs of -_. do not matter */
		for (char *c = p->name; *c; c++)
			*c = *c == '_' || *c == '.' ? '-' : (char)tolower((unsigned char)*c);
	return true;
}

/* Each of want's qualifiers (k=v&...) appears with the same value in have's. */
static bool quals_subset(const char *want, const char *have)
{
	if (!want || !*want)
		return true;
	_cleanup_free_ char *w = xstrdup(want);
	char *save = NULL;
	for (char *kv = strtok_r(w, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		_cleanup_free_ char *dk = pct_decode(kv, strlen(kv));
		bool found = false;
		if (have) {
			_cleanup_free_ char *h = xstrdup(have);
			char *s2 = NULL;
			for (char *hk = strtok_r(h, "&", &s2); hk && !found; hk = strtok_r(NULL, "&", &s2)) {
				_cleanup_free_ char *dh = pct_decode(hk, strlen(hk));
				found = !strcmp(dk, dh);
			}
		}
		if (!found)
			return false;
	}
	return true;
}

static bool eq_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Whether the statement's purl `want` covers the package purl `have`. */
static bool purl_covers(const char *want, const char *have)
{
	purl w, h;
	if (!have || !purl_parse(want, &w))
		return false;
	if (!purl_parse(have, &h)) {
		purl_clear(&w);
		return false;
	}
	bool ok = !strcmp(w.type, h.type) && eq_opt(w.ns, h.ns) && !strcmp(w.name, h.name) &&
		  (!w.version || eq_opt(w.version, h.version)) && quals_subset(w.quals, h.quals);
	purl_clear(&w);
	purl_clear(&h);
	return ok;
}

/* Whether a product id names the image: one of image_ids verbatim, or a pkg:oci purl whose
 * version is one of them (a digest). */
static bool names_image(const char *id, const char *const *image_ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (image_ids[i] && !strcmp(id, image_ids[i]))
			return true;
	purl p;
	if (!purl_parse(id, &p))
		return false;
	bool ok = false;
	if (!strcmp(p.type, "oci") || !strcmp(p.type, "docker"))
		for (size_t i = 0; i < n && !ok; i++)
			ok = image_ids[i] && p.version && !strcmp(p.version, image_ids[i]);
	purl_clear(&p);
	return ok;
}

static bool stmt_applies(const vex_stmt *s, const char *const *ids, size_t n_ids, const char *pkg_purl,
			 const char *const *image_ids, size_t n_img)
{
	bool vuln = false;
	for (size_t i = 0; i < s->n_vulns && !vuln; i++)
		for (size_t k = 0; k < n_ids && !vuln; k++)
			vuln = ids[k] && !strcmp(s->vulns[i], ids[k]);
	if (!vuln)
		return false;
	for (size_t i = 0; i < s->n_products; i++) {
		const vex_product *p = &s->products[i];
		if (names_image(p->id, image_ids, n_img)) {
			if (!p->n_subs)
				return true;
			for (size_t k = 0; k < p->n_subs; k++)
				if (purl_covers(p->subs[k], pkg_purl))
					return true;
		} else if (purl_covers(p->id, pkg_purl))
			return true;
	}
	return false;
}

qn_vex_status qn_vex_match(const qn_vex *v, const char *const *ids, size_t n_ids, const char *purl_s,
			   const char *const *image_ids, size_t n_img, const char **justification,
			   const char **statement_id)
{
	const vex_stmt *last = NULL;
	for (size_t i = 0; v && i < v->n; i++)
		if (stmt_applies(&v->st[i], ids, n_ids, purl_s, image_ids, n_img))
			last = &v->st[i]; /* sorted by time: the last one wins */
	if (justification)
		*justification = last ? last->justification : NULL;
	if (statement_id)
		*statement_id = last ? last->sid : NULL;
	return last ? last->status : QN_VEX_NONE;
}
