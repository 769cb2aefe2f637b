/* OSV record parser (OSV schema 1.6 as osv.dev publishes it). Turns one JSON record into a
 * qn_vuln_record and its affected rows: ECOSYSTEM and SEMVER ranges are flattened into intervals
 * (events taken in the order given, which osv.dev sorts), "versions" lists become list rows,
 * "Debian:12" / "Alpine:v3.20" ecosystems are split into ecosystem and release, and CVSS v3
 * vectors get their base score. GIT ranges are not stored (they name commits, not package
 * versions), nor are affected entries without a package (upstream repository information).
 * The whole record is validated before anything is emitted. */
#include "util/json.h"
#include "vuln_int.h"

typedef struct {
	const char *what;
	qn_ptrvec rows;     /* qn_vuln_affected*, strings pointing into the JSON or into owned */
	qn_ptrvec owned;    /* strings and arrays to free */
	qn_ptrvec lists[4]; /* aliases, related, upstream, refs */
} osv_ctx;

static void ctx_clear(osv_ctx *c)
{
	qn_ptrvec_clear(&c->rows, free);
	qn_ptrvec_clear(&c->owned, free);
	for (size_t i = 0; i < QN_ARRAY_LEN(c->lists); i++)
		qn_ptrvec_clear(&c->lists[i], NULL);
}

static char *own(osv_ctx *c, char *s)
{
	qn_ptrvec_push(&c->owned, s);
	return s;
}

/* Identifiers are stored and shown verbatim, so only a conservative alphabet is accepted. */
static bool valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > QN_VULN_MAX_ID)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      strchr("._:+-", *p)))
			return false;
	return true;
}

/* List elements are stored newline-joined, so they must not contain control characters. */
static bool clean_str(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return *s != 0;
}

/* Optional string member; -1 when present with another type. */
static int opt_str(const json_t *o, const char *key, const char **out, const char *where, qn_error **err)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"%s\" is not a string", where, key);
	*out = json_string_value(v);
	return 0;
}

/* Optional array of strings into vec. field names it in errors. */
static int str_list(const json_t *o, const char *key, const char *field, qn_ptrvec *vec, const char *what,
		    qn_error **err)
{
	json_t *a = json_object_get(o, key);
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"%s\" is not an array", what, field);
	size_t i;
	json_t *v;
	json_array_foreach (a, i, v) {
		if (!json_is_string(v) || !clean_str(json_string_value(v)))
			return qn_error_set(err, QN_ERR_INPUT, "%s: %s[%zu] is not a one-line string", what, field, i);
		qn_ptrvec_push(vec, (void *)json_string_value(v));
	}
	return 0;
}

static int parse_severity(const json_t *sev, qn_vuln_record *r, const char *what, qn_error **err)
{
	if (!sev || json_is_null(sev))
		return 0;
	if (!json_is_array(sev))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"severity\" is not an array", what);
	size_t i;
	json_t *s;
	json_array_foreach (sev, i, s) {
		const char *type = qn_json_str(s, "type"), *score = qn_json_str(s, "score");
		if (!json_is_object(s) || !type || !score)
			return qn_error_set(err, QN_ERR_INPUT, "%s: severity[%zu] needs string \"type\" and \"score\"",
					    what, i);
		if (!strcmp(type, "CVSS_V3") && !r->cvss3_vector) {
			r->cvss3_vector = score;
			r->cvss3_score = qn_cvss3_base_score(score);
		} else if (!strcmp(type, "CVSS_V4") && !r->cvss4_vector)
			r->cvss4_vector = score;
	}
	return 0;
}

static int parse_refs(const json_t *refs, qn_ptrvec *out, const char *what, qn_error **err)
{
	if (!refs || json_is_null(refs))
		return 0;
	if (!json_is_array(refs))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"references\" is not an array", what);
	size_t i;
	json_t *r;
	json_array_foreach (refs, i, r) {
		const char *url = qn_json_str(r, "url");
		if (!url || !clean_str(url))
			return qn_error_set(err, QN_ERR_INPUT, "%s: references[%zu] has no one-line \"url\"", what, i);
		qn_ptrvec_push(out, (void *)url);
	}
	return 0;
}

static qn_vuln_affected *new_row(osv_ctx *c, const qn_vuln_affected *tmpl)
{
	qn_vuln_affected *a = xmalloc(sizeof(*a));
	*a = *tmpl;
	qn_ptrvec_push(&c->rows, a);
	return a;
}

static void close_interval(osv_ctx *c, qn_vuln_affected *cur, const char *fixed, const char *last)
{
	qn_vuln_affected *a = new_row(c, cur);
	a->fixed = fixed;
	a->last_affected = last;
	a->status = fixed ? QN_VULN_FIXED : a->status;
}

/* Walks one range's events: "introduced" opens an interval, "fixed" or "last_affected" closes
 * it, an interval still open at the end has no upper bound, and a "limit" caps every interval of
 * the range. Stray closing events (nothing open) are ignored, as OSV's evaluation does. */
static int flatten_range(osv_ctx *c, const json_t *events, qn_vuln_affected *tmpl, const char *where, qn_error **err)
{
	if (!json_is_array(events))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"events\" is not an array", where);
	size_t i, first_row = c->rows.n;
	json_t *ev;
	const char *limit = NULL;
	bool open = false;
	qn_vuln_affected cur = *tmpl;
	json_array_foreach (events, i, ev) {
		const char *k;
		json_t *v;
		if (!json_is_object(ev) || json_object_size(ev) != 1)
			return qn_error_set(err, QN_ERR_INPUT, "%s: events[%zu] is not a one-key object", where, i);
		json_object_foreach ((json_t *)ev, k, v) {
			if (!json_is_string(v) || !clean_str(json_string_value(v)))
				return qn_error_set(err, QN_ERR_INPUT, "%s: events[%zu].%s is not a version string",
						    where, i, k);
			const char *s = json_string_value(v);
			if (!strcmp(k, "introduced")) {
				if (!open)
					cur.introduced = s;
				open = true;
			} else if (!strcmp(k, "fixed") || !strcmp(k, "last_affected")) {
				if (open)
					close_interval(c, &cur, k[0] == 'f' ? s : NULL, k[0] == 'l' ? s : NULL);
				open = false;
			} else if (!strcmp(k, "limit"))
				limit = limit ? limit : s;
			else
				return qn_error_set(err, QN_ERR_INPUT, "%s: events[%zu]: unknown event \"%s\"", where,
						    i, k);
		}
	}
	if (open)
		close_interval(c, &cur, NULL, NULL);
	for (size_t r = first_row; r < c->rows.n; r++)
		((qn_vuln_affected *)c->rows.v[r])->limit = limit;
	return 0;
}

static int parse_ranges(osv_ctx *c, const json_t *ranges, qn_vuln_affected *tmpl, const char *where, qn_error **err)
{
	if (!ranges || json_is_null(ranges))
		return 0;
	if (!json_is_array(ranges))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"ranges\" is not an array", where);
	size_t i;
	json_t *r;
	json_array_foreach (ranges, i, r) {
		const char *type = qn_json_str(r, "type");
		if (!json_is_object(r) || !type)
			return qn_error_set(err, QN_ERR_INPUT, "%s: ranges[%zu] has no \"type\"", where, i);
		if (strcmp(type, "ECOSYSTEM") != 0 && strcmp(type, "SEMVER") != 0)
			continue;
		_cleanup_free_ char *w = xasprintf("%s.ranges[%zu]", where, i);
		if (flatten_range(c, json_object_get(r, "events"), tmpl, w, err) < 0)
			return -1;
	}
	return 0;
}

/* "Debian:12" -> Debian / 12, "Alpine:v3.20" -> Alpine / 3.20, "PyPI" -> PyPI / "". */
static void split_ecosystem(osv_ctx *c, const char *eco, const char **name, const char **release)
{
	const char *colon = strchr(eco, ':');
	if (!colon) {
		*name = eco;
		*release = "";
		return;
	}
	*name = own(c, xstrndup(eco, (size_t)(colon - eco)));
	const char *rel = colon + 1;
	if (!strncmp(eco, "Alpine:", 7) && rel[0] == 'v' && rel[1] >= '0' && rel[1] <= '9')
		rel++; /* Alpine's own release names carry a "v"; os-release's VERSION_ID does not */
	*release = rel;
}

static const char *urgency_of(const json_t *a)
{
	const char *u = qn_json_str(json_object_get(a, "ecosystem_specific"), "urgency");
	return u ? u : qn_json_str(json_object_get(a, "database_specific"), "urgency");
}

static int parse_affected_one(osv_ctx *c, const json_t *a, const char *where, qn_vuln_record *r, qn_error **err)
{
	if (!json_is_object(a))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not an object", where);
	const json_t *pkg = json_object_get(a, "package");
	const char *eco = qn_json_str(pkg, "ecosystem"), *name = qn_json_str(pkg, "name");
	if (pkg && !json_is_object(pkg))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"package\" is not an object", where);
	if (!eco || !name || !clean_str(eco) || !clean_str(name))
		return 0; /* no package: upstream (GIT) information only */
	qn_vuln_affected tmpl = {
	    .vuln_id = r->id, .package = name, .status = QN_VULN_AFFECTED, .urgency = urgency_of(a)};
	split_ecosystem(c, eco, &tmpl.ecosystem, &tmpl.release);
	/* The tracker marks releases past their security support "end-of-life": nothing will be fixed. */
	if (tmpl.urgency && !strcmp(tmpl.urgency, "end-of-life"))
		tmpl.status = QN_VULN_WILL_NOT_FIX;
	if (!r->cvss3_vector && parse_severity(json_object_get(a, "severity"), r, where, err) < 0)
		return -1;
	if (parse_ranges(c, json_object_get(a, "ranges"), &tmpl, where, err) < 0)
		return -1;
	qn_ptrvec vers = {0};
	if (str_list(a, "versions", "versions", &vers, where, err) < 0) {
		qn_ptrvec_clear(&vers, NULL);
		return -1;
	}
	if (vers.n) {
		qn_vuln_affected *row = new_row(c, &tmpl);
		row->versions = (const char *const *)vers.v;
		row->n_versions = vers.n;
		qn_ptrvec_push(&c->owned, vers.v); /* the array; its strings belong to the JSON */
	}
	return 0;
}

static int parse_record(osv_ctx *c, const json_t *j, qn_vuln_record *r, qn_error **err)
{
	const char *what = c->what;
	if (!json_is_object(j))
		return qn_error_set(err, QN_ERR_INPUT, "%s: an OSV record must be a JSON object", what);
	r->id = qn_json_req_str(j, "id", what, err);
	if (!r->id)
		return -1;
	if (!valid_id(r->id)) {
		_cleanup_free_ char *q = qn_str_quote(r->id, 80);
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"id\" %s is not a valid identifier", what, q);
	}
	r->cvss3_score = -1;
	if (opt_str(j, "summary", &r->summary, what, err) < 0 || opt_str(j, "details", &r->details, what, err) < 0 ||
	    opt_str(j, "published", &r->published, what, err) < 0 ||
	    opt_str(j, "modified", &r->modified, what, err) < 0)
		return -1;
	static const char *const list_keys[] = {"aliases", "related", "upstream"};
	for (size_t i = 0; i < 3; i++)
		if (str_list(j, list_keys[i], list_keys[i], &c->lists[i], what, err) < 0)
			return -1;
	if (parse_refs(json_object_get(j, "references"), &c->lists[3], what, err) < 0 ||
	    parse_severity(json_object_get(j, "severity"), r, what, err) < 0)
		return -1;
	r->severity = qn_json_str(json_object_get(j, "database_specific"), "severity");
	json_t *aff = json_object_get(j, "affected");
	if (aff && !json_is_null(aff) && !json_is_array(aff))
		return qn_error_set(err, QN_ERR_INPUT, "%s: \"affected\" is not an array", what);
	size_t i;
	json_t *a;
	json_array_foreach (aff, i, a) {
		_cleanup_free_ char *where = xasprintf("%s: affected[%zu]", what, i);
		if (parse_affected_one(c, a, where, r, err) < 0)
			return -1;
	}
	r->aliases = (const char *const *)c->lists[0].v, r->n_aliases = c->lists[0].n;
	r->related = (const char *const *)c->lists[1].v, r->n_related = c->lists[1].n;
	r->upstream = (const char *const *)c->lists[2].v, r->n_upstream = c->lists[2].n;
	r->refs = (const char *const *)c->lists[3].v, r->n_refs = c->lists[3].n;
	return 0;
}

int qn_osv_parse(const uint8_t *buf, size_t len, size_t max_len, const char *what, qn_vuln_sink *sink, qn_error **err)
{
	json_t *j = qn_json_parse(buf, len, max_len ? max_len : QN_VULN_MAX_RECORD, what, err);
	if (!j)
		return -1;
	int rc = qn_osv_parse_json(j, what, sink, err);
	json_decref(j);
	return rc;
}

int qn_osv_parse_json(const json_t *j, const char *what, qn_vuln_sink *sink, qn_error **err)
{
	osv_ctx c = {.what = what};
	qn_vuln_record r = {0};
	int rc = parse_record(&c, j, &r, err);
	/* A withdrawn record must never match, but is kept (without rows) so that it can be shown;
	 * a record without rows (GIT-only) is kept too: its aliases and severity serve others. */
	bool withdrawn = rc == 0 && json_is_string(json_object_get(j, "withdrawn"));
	if (rc == 0)
		rc = sink->record(sink, &r, err);
	for (size_t i = 0; rc == 0 && !withdrawn && i < c.rows.n; i++)
		rc = sink->affected(sink, c.rows.v[i], err);
	if (rc == 0 && sink->date && (r.modified || r.published))
		sink->date(sink, r.modified ? r.modified : r.published);
	ctx_clear(&c);
	return rc;
}
