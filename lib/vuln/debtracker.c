/* Debian security tracker JSON importer (https://security-tracker.debian.org/tracker/data/json):
 *   {source package: {CVE id: {description, scope, releases: {codename: {status, fixed_version,
 *    urgency, nodsa, nodsa_reason, repositories}}}}}
 * Each (package, id, release) becomes one affected row for ecosystem "Debian" with the release
 * number for the codename. "resolved" with fixed_version "0" means the release was never
 * affected and gives no row. Open issues that Debian will not fix (no-dsa "ignored", releases
 * at end of life) are will_not_fix; "postponed" and "unimportant" stay affected, with the
 * urgency saying why. The document is walked one package at a time (see detect.c) so memory
 * stays bounded by the largest package. It does not read the tracker's other files. */
#include "util/json.h"
#include "vuln_int.h"

static const struct {
	const char *codename, *release;
} debian_releases[] = {
    {"squeeze", "6"},   {"wheezy", "7"},  {"jessie", "8"}, {"stretch", "9"}, {"buster", "10"},    {"bullseye", "11"},
    {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"}, {"duke", "15"},   {"sid", "unstable"},
};

const char *qn_debian_release(const char *codename)
{
	for (size_t i = 0; i < QN_ARRAY_LEN(debian_releases); i++)
		if (!strcmp(debian_releases[i].codename, codename))
			return debian_releases[i].release;
	return NULL;
}

typedef struct {
	qn_vuln_sink *sink;
	uint64_t packages;
	qn_vuln_affected rows[QN_ARRAY_LEN(debian_releases)];
	char *urgency[QN_ARRAY_LEN(debian_releases)];
	size_t n_rows;
} tracker_ctx;

static void skip(tracker_ctx *t, const char *fmt, ...) QN_PRINTF(2, 3);
static void skip(tracker_ctx *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (t->sink->skipped)
		t->sink->skipped(t->sink, msg);
}

/* The tracker appends "*" or "**" to urgencies it took from NVD rather than assigned itself. */
static char *clean_urgency(const char *u)
{
	if (!u)
		return NULL;
	size_t n = strlen(u);
	while (n && u[n - 1] == '*')
		n--;
	return xstrndup(u, n);
}

/* Adds the row for one release, or none (never affected, unknown codename). Returns -1 for an
 * entry of the wrong shape. */
static int add_release(tracker_ctx *t, const char *codename, const json_t *rel, qn_vuln_affected *tmpl)
{
	const char *release = qn_debian_release(codename);
	if (!release)
		return 0; /* codenames without a number (experimental, old releases) are not stored */
	const char *status = qn_json_str(rel, "status"), *fixed = qn_json_str(rel, "fixed_version");
	const char *reason = qn_json_str(rel, "nodsa_reason");
	if (!json_is_object(rel) || !status)
		return -1;
	qn_vuln_affected *a = &t->rows[t->n_rows];
	*a = *tmpl;
	a->release = release;
	a->urgency = t->urgency[t->n_rows] = clean_urgency(qn_json_str(rel, "urgency"));
	if (!strcmp(status, "resolved")) {
		if (!fixed || !*fixed)
			return -1;
		if (!strcmp(fixed, "0"))
			goto none; /* the release never had the vulnerable code */
		a->fixed = fixed;
		a->status = QN_VULN_FIXED;
	} else if (!strcmp(status, "open") || !strcmp(status, "undetermined")) {
		bool eol = a->urgency && !strcmp(a->urgency, "end-of-life");
		a->status = (reason && !strcmp(reason, "ignored")) || eol ? QN_VULN_WILL_NOT_FIX : QN_VULN_AFFECTED;
	} else
		return -1;
	t->n_rows++;
	return 0;
none:
	free(t->urgency[t->n_rows]);
	t->urgency[t->n_rows] = NULL;
	return 0;
}

static void clear_rows(tracker_ctx *t)
{
	for (size_t i = 0; i < QN_ARRAY_LEN(t->urgency); i++) {
		free(t->urgency[i]);
		t->urgency[i] = NULL;
	}
	t->n_rows = 0;
}

static int add_issue(tracker_ctx *t, const char *pkg, const char *id, const json_t *e, qn_error **err)
{
	const json_t *rels = json_object_get(e, "releases");
	const json_t *desc = json_object_get(e, "description");
	if (!json_is_object(e) || !json_is_object(rels) || (desc && !json_is_null(desc) && !json_is_string(desc))) {
		skip(t, "debian tracker: package \"%.80s\": %.80s: not an issue object with \"releases\"", pkg, id);
		return 0;
	}
	qn_vuln_affected tmpl = {.vuln_id = id, .ecosystem = "Debian", .package = pkg};
	clear_rows(t);
	const char *codename;
	json_t *rel;
	json_object_foreach ((json_t *)rels, codename, rel) {
		if (add_release(t, codename, rel, &tmpl) < 0) {
			skip(t, "debian tracker: package \"%.80s\": %.80s: release \"%.40s\": malformed", pkg, id,
			     codename);
			clear_rows(t);
			return 0;
		}
	}
	if (t->n_rows == 0)
		return 0;
	qn_vuln_record r = {.id = id, .details = json_string_value(desc), .cvss3_score = -1};
	if (t->sink->record(t->sink, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < t->n_rows; i++)
		if (t->sink->affected(t->sink, &t->rows[i], err) < 0)
			return -1;
	return 0;
}

static bool valid_key(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > QN_VULN_MAX_ID)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '/')
			return false;
	return true;
}

static int on_package(void *ud, const char *pkg, const uint8_t *val, size_t len, qn_error **err)
{
	tracker_ctx *t = ud;
	t->packages++;
	if (!valid_key(pkg)) {
		_cleanup_free_ char *q = qn_str_quote(pkg, 60);
		skip(t, "debian tracker: package name %s is not valid", q);
		return 0;
	}
	_cleanup_free_ char *what = xasprintf("debian tracker: package \"%s\"", pkg);
	qn_error *perr = NULL;
	json_t *j = qn_json_parse(val, len, QN_VULN_MAX_DOC, what, &perr);
	if (!j) {
		if (perr->kind != QN_ERR_LIMIT) {
			*err = perr; /* broken JSON: the download is damaged, do not guess */
			return -1;
		}
		skip(t, "%s", perr->msg);
		qn_error_free(perr);
		return 0;
	}
	int rc = 0;
	if (!json_is_object(j))
		skip(t, "%s: not an object of issues", what);
	const char *id;
	json_t *e;
	json_object_foreach (j, id, e) {
		if (!valid_key(id)) {
			skip(t, "%s: issue id is not valid", what);
			continue;
		}
		if ((rc = add_issue(t, pkg, id, e, err)) < 0)
			break;
	}
	clear_rows(t);
	json_decref(j);
	return rc;
}

int qn_debtracker_parse(const uint8_t *buf, size_t len, qn_vuln_sink *sink, qn_error **err)
{
	tracker_ctx t = {.sink = sink};
	int rc = qn_json_members(buf, len, "debian tracker", on_package, &t, err);
	clear_rows(&t);
	return rc;
}
