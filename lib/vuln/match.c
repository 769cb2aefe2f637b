/* The matcher: installed packages against the affected rows of the vulnerability database.
 *
 * For each package it works out where the data lives (qn_scan_key: Debian source package and
 * source version in Debian:<VERSION_ID>, Alpine origin in Alpine:<major.minor>, PyPI, npm, Go and
 * Maven names in their OSV ecosystems), reads every row for it with one lookup, and decides per
 * vulnerability id whether the installed version falls in an affected row under the ecosystem's
 * own ordering (lib/version). Rows of several sources are a union: a package is affected when
 * any row says so; the earliest fix among the matching rows is the fixed version.
 *
 * Ids are then folded the way users read them: a record whose id is not a CVE but which has a
 * CVE alias (GHSA-, PYSEC-, GO- records) is reported under that CVE, several records of one CVE
 * become one finding, and a distribution advisory (DSA-, DLA-, DTSA-) that names CVEs adds its id
 * to those CVEs' findings instead of being a finding of its own. The matcher does not build
 * documents, filter by severity or apply VEX: scan.c does. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quench/scan.h"
#include "quench/version.h"
#include "util/strset.h"
#include "util/util.h"

/* One affected row, copied out of the lookup callback. */
typedef struct {
	char *id, *source, *introduced, *fixed, *last_affected, *limit, *urgency, *summary, *label, *vector;
	char **versions;
	size_t n_versions;
	qn_vuln_status status;
	double cvss;
	size_t seq; /* order of arrival, to keep it among rows of one id when sorting */
} row;

typedef struct {
	row *v;
	size_t n, cap;
} rowvec;

/* Aliases and CVE references of an id, over every source that has it (cached per scan). */
typedef struct {
	qn_strset aliases; /* aliases and upstream ids */
	qn_strset cves;    /* CVE ids among aliases, upstream and related */
} recinfo;

static char *dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void row_clear(row *r)
{
	free(r->id);
	free(r->source);
	free(r->introduced);
	free(r->fixed);
	free(r->last_affected);
	free(r->limit);
	free(r->urgency);
	free(r->summary);
	free(r->label);
	free(r->vector);
	for (size_t i = 0; i < r->n_versions; i++)
		free(r->versions[i]);
	free(r->versions);
}

static void rowvec_clear(rowvec *rv)
{
	for (size_t i = 0; i < rv->n; i++)
		row_clear(&rv->v[i]);
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

static int cmp_row(const void *a, const void *b)
{
	const row *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int collect(void *ud, const qn_vuln_affected *a, qn_error **err)
{
	(void)err;
	rowvec *rv = ud;
	if (rv->n == rv->cap) {
		rv->cap = rv->cap ? rv->cap * 2 : 32;
		rv->v = xreallocarray(rv->v, rv->cap, sizeof(*rv->v));
	}
	row *r = &rv->v[rv->n++];
	const qn_vuln_record *rec = a->record;
	*r = (row){.id = xstrdup(a->vuln_id),
		   .source = rec ? dupn(rec->source) : NULL,
		   .introduced = dupn(a->introduced),
		   .fixed = dupn(a->fixed),
		   .last_affected = dupn(a->last_affected),
		   .limit = dupn(a->limit),
		   .urgency = dupn(a->urgency),
		   .summary = rec ? dupn(rec->summary) : NULL,
		   .label = rec ? dupn(rec->severity) : NULL,
		   .vector = rec ? dupn(rec->cvss3_vector) : NULL,
		   .status = a->status,
		   .cvss = rec ? rec->cvss3_score : -1,
		   .seq = rv->n - 1};
	if (a->n_versions) {
		r->versions = xcalloc(a->n_versions, sizeof(char *));
		for (size_t i = 0; i < a->n_versions; i++)
			r->versions[i] = xstrdup(a->versions[i]);
		r->n_versions = a->n_versions;
	}
	return 0;
}

/* ---- where a package's data lives ---- */

static char *major_minor(const char *v, int parts)
{
	size_t n = 0;
	for (int dots = 0; v[n]; n++)
		if (v[n] == '.' && ++dots == parts)
			break;
	return xstrndup(v, n);
}

static char *debian_release(const qn_os_info *os)
{
	static const struct {
		const char *codename, *release;
	} names[] = {{"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"},
		     {"forky", "14"},  {"duke", "15"},     {"sid", "unstable"}};
	if (os->version_id && *os->version_id)
		return major_minor(os->version_id, 1);
	for (size_t i = 0; os->version_codename && i < QN_ARRAY_LEN(names); i++)
		if (!strcmp(os->version_codename, names[i].codename))
			return xstrdup(names[i].release);
	return NULL;
}

static char *alpine_release(const qn_os_info *os)
{
	const char *v = os->version_id;
	if (!v || !*v)
		return NULL;
	if (strchr(v, '_')) /* "3.21_alpha20240807": an edge snapshot */
		return xstrdup("edge");
	return major_minor(v, 2);
}

/* osv.dev names Ubuntu's long-term releases "Ubuntu:22.04:LTS", the others "Ubuntu:24.10". */
static char *ubuntu_release(const qn_os_info *os)
{
	const char *v = os->version_id;
	if (!v || !*v)
		return NULL;
	int yy = 0, mm = 0;
	char end = 0;
	if (sscanf(v, "%d.%d%c", &yy, &mm, &end) == 2 && mm == 4 && yy % 2 == 0)
		return xasprintf("%s:LTS", v);
	return xstrdup(v);
}

static bool os_is(const qn_os_info *os, const char *id)
{
	return os && os->id && !strcmp(os->id, id);
}

static bool os_key(const qn_os_info *os, const qn_package *p, char **eco, char **rel, const char **why)
{
	if (!os || !os->id) {
		*why = "the image has no os-release";
		return false;
	}
	if (p->eco == QN_ECO_DEB && (os_is(os, "debian") || os_is(os, "ubuntu"))) {
		bool deb = os_is(os, "debian");
		*rel = deb ? debian_release(os) : ubuntu_release(os);
		*eco = xstrdup(deb ? "Debian" : "Ubuntu");
	} else if (p->eco == QN_ECO_APK && os_is(os, "alpine")) {
		*rel = alpine_release(os);
		*eco = xstrdup("Alpine");
	} else if (p->eco == QN_ECO_RPM && (os_is(os, "almalinux") || os_is(os, "rocky"))) {
		*rel = os->version_id ? major_minor(os->version_id, 1) : NULL;
		*eco = xstrdup(os_is(os, "rocky") ? "Rocky Linux" : "AlmaLinux");
	} else {
		*why = "no vulnerability data for this distribution";
		return false;
	}
	if (!*rel) {
		free(*eco);
		*eco = NULL;
		*why = "os-release has no VERSION_ID";
		return false;
	}
	return true;
}

bool qn_scan_key(const qn_os_info *os, const qn_package *p, char **ecosystem, char **release, char **name,
		 char **version, const char **why)
{
	char *eco = NULL, *rel = NULL;
	const char *n = p->name, *v = p->version;
	*why = NULL;
	switch (p->eco) {
	case QN_ECO_DEB:
	case QN_ECO_APK:
	case QN_ECO_RPM:
		if (!os_key(os, p, &eco, &rel, why))
			return false;
		if (p->source_name && *p->source_name)
			n = p->source_name;
		if (p->eco == QN_ECO_DEB && p->source_version && *p->source_version)
			v = p->source_version;
		break;
	case QN_ECO_PYPI:
		eco = xstrdup("PyPI");
		break;
	case QN_ECO_NPM:
		eco = xstrdup("npm");
		break;
	case QN_ECO_GO:
		eco = xstrdup("Go");
		break;
	case QN_ECO_MAVEN:
		if (!n || !strchr(n, ':')) {
			*why = "no groupId";
			return false;
		}
		eco = xstrdup("Maven");
		break;
	default:
		*why = "unknown package type";
		return false;
	}
	if (!n || !*n || !v || !*v) {
		free(eco);
		free(rel);
		*why = "no name or version";
		return false;
	}
	*ecosystem = eco;
	*release = rel ? rel : xstrdup("");
	*name = xstrdup(n);
	*version = xstrdup(v);
	return true;
}

/* ---- version intervals ---- */

typedef struct {
	qn_version_scheme scheme;
	const char *version;
	qn_buf tmp;
	size_t bad_rows;
	char *first_bad;
} cmpctx;

/* Go module data in OSV has no "v"; Go's ordering wants one. */
static const char *norm(cmpctx *c, const char *v)
{
	if (c->scheme != QN_VER_GO || v[0] == 'v')
		return v;
	qn_buf_reset(&c->tmp);
	qn_buf_printf(&c->tmp, "v%s", v);
	return c->tmp.data;
}

/* Compares the installed version with a bound; -2 when the bound does not parse. */
static int cmp_bound(cmpctx *c, const char *bound)
{
	_cleanup_free_ char *b = xstrdup(norm(c, bound));
	int out = 0;
	qn_error *e = NULL;
	if (qn_version_cmp(c->scheme, c->version, b, &out, &e) < 0) {
		if (!c->first_bad)
			c->first_bad = xstrdup(e ? e->msg : bound);
		qn_error_free(e);
		c->bad_rows++;
		return -2;
	}
	return out;
}

static bool row_matches(cmpctx *c, const row *r)
{
	if (r->n_versions) {
		for (size_t i = 0; i < r->n_versions; i++) {
			if (!strcmp(r->versions[i], c->version))
				return true;
			int k = cmp_bound(c, r->versions[i]);
			if (k == 0)
				return true;
		}
		return false;
	}
	int k;
	if (r->introduced && strcmp(r->introduced, "0") && ((k = cmp_bound(c, r->introduced)) < 0))
		return false;
	if (r->fixed && ((k = cmp_bound(c, r->fixed)) >= 0 || k == -2))
		return false;
	if (r->last_affected && ((k = cmp_bound(c, r->last_affected)) > 0 || k == -2))
		return false;
	if (r->limit && ((k = cmp_bound(c, r->limit)) >= 0 || k == -2))
		return false;
	return true;
}

/* ---- severity ---- */

static const char *sev_names[QN_SEV_COUNT] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *qn_severity_name(qn_severity s)
{
	return (unsigned)s < QN_SEV_COUNT ? sev_names[s] : "UNKNOWN";
}

int qn_severity_parse(const char *s, qn_severity *out)
{
	if (!s)
		return -1;
	for (int i = 0; i < QN_SEV_COUNT; i++)
		if (!strcasecmp(s, sev_names[i])) {
			*out = (qn_severity)i;
			return 0;
		}
	if (!strcasecmp(s, "moderate")) {
		*out = QN_SEV_MEDIUM;
		return 0;
	}
	return -1;
}

int qn_severity_mask_parse(const char *list, unsigned *mask, qn_error **err)
{
	_cleanup_free_ char *copy = xstrdup(list);
	unsigned m = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		qn_severity s;
		if (qn_severity_parse(t, &s) < 0)
			return qn_error_set(err, QN_ERR_USAGE,
					    "unknown severity \"%s\" (want CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN)", t);
		m |= 1u << s;
	}
	if (!m)
		return qn_error_set(err, QN_ERR_USAGE, "empty severity list");
	*mask = m;
	return 0;
}

/* The tracker's urgency ("low", "medium**", "unimportant") as a severity; UNKNOWN for
 * "not yet assigned", "end-of-life" and anything else. */
static qn_severity urgency_severity(const char *u)
{
	if (!u)
		return QN_SEV_UNKNOWN;
	size_t n = strcspn(u, "*");
	if ((n == 3 && !strncmp(u, "low", 3)) || (n == 11 && !strncmp(u, "unimportant", 11)))
		return QN_SEV_LOW;
	if (n == 6 && !strncmp(u, "medium", 6))
		return QN_SEV_MEDIUM;
	if (n == 4 && !strncmp(u, "high", 4))
		return QN_SEV_HIGH;
	if (n == 8 && !strncmp(u, "critical", 8))
		return QN_SEV_CRITICAL;
	return QN_SEV_UNKNOWN;
}

static void set_severity(qn_finding *f, const char *label)
{
	qn_severity s;
	if (f->cvss >= 0) {
		f->severity = f->cvss >= 9.0   ? QN_SEV_CRITICAL
			      : f->cvss >= 7.0 ? QN_SEV_HIGH
			      : f->cvss >= 4.0 ? QN_SEV_MEDIUM
					       : QN_SEV_LOW;
		f->severity_source = "cvss";
	} else if (label && qn_severity_parse(label, &s) == 0 && s != QN_SEV_UNKNOWN) {
		f->severity = s;
		f->severity_source = "feed";
	} else if ((s = urgency_severity(f->urgency)) != QN_SEV_UNKNOWN) {
		f->severity = s;
		f->severity_source = "urgency";
	} else {
		f->severity = QN_SEV_UNKNOWN;
		f->severity_source = "none";
	}
}

/* ---- ids ---- */

static bool is_cve(const char *id)
{
	return qn_str_has_prefix(id, "CVE-");
}

/* Distribution advisories: they announce fixes for CVEs rather than being vulnerabilities. */
static bool is_advisory(const char *id)
{
	static const char *const pre[] = {"DSA-", "DLA-", "DTSA-", "USN-", "ALSA-", "RLSA-"};
	for (size_t i = 0; i < QN_ARRAY_LEN(pre); i++)
		if (qn_str_has_prefix(id, pre[i]))
			return true;
	return false;
}

/* Whether an advisory is all the data says about its CVEs. Debian publishes a record per CVE
 * beside its DSA/DLA/DTSA, and Ubuntu per CVE beside its USN: there the CVE records decide and
 * an advisory only joins the findings of the CVEs it names. AlmaLinux (ALSA) and Rocky Linux
 * (RLSA) publish advisories only: each stands for the CVEs it names. */
static bool stands_for_cves(const char *id)
{
	return qn_str_has_prefix(id, "ALSA-") || qn_str_has_prefix(id, "RLSA-");
}

typedef struct {
	qn_vulndb *db;
	qn_strset cache; /* id -> recinfo */
} matcher;

static void add_cves(recinfo *ri, const char *const *ids, size_t n, bool alias)
{
	for (size_t i = 0; i < n; i++) {
		if (alias)
			qn_strset_add(&ri->aliases, ids[i]);
		if (is_cve(ids[i]))
			qn_strset_add(&ri->cves, ids[i]);
	}
}

static int get_rec(void *ud, const qn_vuln_record *r, qn_error **err)
{
	(void)err;
	recinfo *ri = ud;
	add_cves(ri, r->aliases, r->n_aliases, true);
	add_cves(ri, r->upstream, r->n_upstream, true);
	add_cves(ri, r->related, r->n_related, false);
	return 0;
}

static const recinfo *info_of(matcher *m, const char *id, qn_error **err)
{
	recinfo *ri = qn_strset_get(&m->cache, id);
	if (ri)
		return ri;
	ri = xcalloc(1, sizeof(*ri));
	if (qn_vulndb_get(m->db, id, get_rec, ri, err) < 0) {
		qn_strset_clear(&ri->aliases);
		qn_strset_clear(&ri->cves);
		free(ri);
		return NULL;
	}
	qn_strset_remove(&ri->aliases, id);
	qn_strset_put(&m->cache, id, ri);
	return ri;
}

/* ---- one package ---- */

/* What the rows of one id say about the installed version. */
typedef struct {
	const row *first; /* first matching row */
	const char *fixed;
	qn_vuln_status status;
	double cvss;
	const char *vector, *urgency, *label;
} verdict;

static bool judge(cmpctx *c, const row *rows, size_t n, verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->cvss = -1;
	for (size_t i = 0; i < n; i++) {
		const row *r = &rows[i];
		if (!row_matches(c, r))
			continue;
		if (!v->first)
			v->first = r;
		if (r->fixed) {
			/* a matching row's fix is above the installed version: keep the earliest */
			if (!v->fixed) {
				v->fixed = r->fixed;
			} else {
				int o = 0;
				qn_error *e = NULL;
				_cleanup_free_ char *a = xstrdup(norm(c, r->fixed));
				_cleanup_free_ char *b = xstrdup(norm(c, v->fixed));
				if (qn_version_cmp(c->scheme, a, b, &o, &e) == 0 && o < 0)
					v->fixed = r->fixed;
				qn_error_free(e);
			}
		}
		if (r->status == QN_VULN_WILL_NOT_FIX)
			v->status = QN_VULN_WILL_NOT_FIX;
		if (!v->urgency && r->urgency)
			v->urgency = r->urgency;
		if (!v->label && r->label)
			v->label = r->label;
		if (r->cvss > v->cvss) {
			v->cvss = r->cvss;
			v->vector = r->vector;
		}
	}
	if (!v->first)
		return false;
	if (v->fixed)
		v->status = QN_VULN_FIXED;
	else if (v->status != QN_VULN_WILL_NOT_FIX)
		v->status = QN_VULN_AFFECTED;
	return true;
}

static void finding_free_fields(qn_finding *f)
{
	free(f->id);
	for (size_t i = 0; i < f->n_aliases; i++)
		free(f->aliases[i]);
	free(f->aliases);
	for (size_t i = 0; i < f->n_advisories; i++)
		free(f->advisories[i]);
	free(f->advisories);
	free(f->ecosystem);
	free(f->package);
	free(f->version);
	free(f->fixed_version);
	free(f->cvss_vector);
	free(f->urgency);
	free(f->summary);
	free(f->data_source);
}

void qn_findings_clear(qn_findings *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		finding_free_fields(&fs->v[i]);
	free(fs->v);
	for (size_t i = 0; i < fs->n_warnings; i++)
		free(fs->warnings[i]);
	free(fs->warnings);
	memset(fs, 0, sizeof(*fs));
}

static void warn(qn_findings *fs, char *msg)
{
	fs->warnings = xreallocarray(fs->warnings, fs->n_warnings + 1, sizeof(char *));
	fs->warnings[fs->n_warnings++] = msg;
}

/* A finding being assembled for one package: keyed by primary id. */
typedef struct {
	qn_finding f;
	qn_strset aliases, advisories;
	const char *label;
} pending;

static void pending_merge(pending *p, const char *id, const recinfo *ri, const verdict *v, cmpctx *c)
{
	if (strcmp(id, p->f.id))
		qn_strset_add(&p->aliases, id);
	size_t n;
	_cleanup_free_ const char **al = qn_strset_sorted(&ri->aliases, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(al[i], p->f.id))
			qn_strset_add(&p->aliases, al[i]);
	if (v->fixed && !p->f.fixed_version)
		p->f.fixed_version = xstrdup(v->fixed);
	else if (v->fixed) {
		int o = 0;
		qn_error *e = NULL;
		_cleanup_free_ char *a = xstrdup(norm(c, v->fixed));
		_cleanup_free_ char *b = xstrdup(norm(c, p->f.fixed_version));
		if (qn_version_cmp(c->scheme, a, b, &o, &e) == 0 && o < 0) {
			free(p->f.fixed_version);
			p->f.fixed_version = xstrdup(v->fixed);
		}
		qn_error_free(e);
	}
	if (p->f.fixed_version)
		p->f.status = QN_VULN_FIXED;
	else if (v->status == QN_VULN_WILL_NOT_FIX)
		p->f.status = QN_VULN_WILL_NOT_FIX;
	else if (!p->f.status)
		p->f.status = QN_VULN_AFFECTED;
	if (v->cvss > p->f.cvss) {
		p->f.cvss = v->cvss;
		free(p->f.cvss_vector);
		p->f.cvss_vector = dupn(v->vector);
	}
	if (!p->f.urgency && v->urgency)
		p->f.urgency = xstrdup(v->urgency);
	if (!p->label && v->label)
		p->label = v->label;
	if (!p->f.summary && v->first->summary)
		p->f.summary = xstrdup(v->first->summary);
	if (!p->f.data_source && v->first->source)
		p->f.data_source = xstrdup(v->first->source);
}

static char **strset_array(qn_strset *s, size_t *n)
{
	_cleanup_free_ const char **k = qn_strset_sorted(s, n);
	char **out = *n ? xcalloc(*n, sizeof(char *)) : NULL;
	for (size_t i = 0; i < *n; i++)
		out[i] = xstrdup(k[i]);
	return out;
}

typedef struct {
	const qn_package *pkg;
	char *eco, *rel, *name, *version;
	qn_strset byid; /* primary id -> pending */
	qn_ptrvec adv;  /* advisory hits: pairs (id, recinfo) to fold after the CVEs */
} pkgctx;

static pending *pending_get(pkgctx *pc, const char *primary)
{
	pending *p = qn_strset_get(&pc->byid, primary);
	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->f.id = xstrdup(primary);
	p->f.cvss = -1;
	p->f.pkg = pc->pkg;
	p->f.ecosystem = *pc->rel ? xasprintf("%s:%s", pc->eco, pc->rel) : xstrdup(pc->eco);
	p->f.package = xstrdup(pc->name);
	p->f.version = xstrdup(pc->version);
	qn_strset_put(&pc->byid, primary, p);
	return p;
}

static int emit(matcher *m, pkgctx *pc, cmpctx *c, const row *rows, size_t n, qn_error **err)
{
	verdict v;
	if (!judge(c, rows, n, &v))
		return 0;
	const char *id = rows[0].id;
	const recinfo *ri = info_of(m, id, err);
	if (!ri)
		return -1;
	if (is_advisory(id) && qn_strset_count(&ri->cves) && stands_for_cves(id)) {
		for (size_t k = 0; k < ri->cves.cap; k++) {
			const char *cve = ri->cves.keys ? ri->cves.keys[k] : NULL;
			if (!cve)
				continue;
			pending *p = pending_get(pc, cve);
			pending_merge(p, id, ri, &v, c);
			qn_strset_add(&p->advisories, id);
		}
		return 0;
	}
	if (is_advisory(id) && qn_strset_count(&ri->cves)) {
		qn_ptrvec_push(&pc->adv, (void *)id);
		qn_ptrvec_push(&pc->adv, (void *)ri);
		return 0;
	}
	/* primary_of returns a pointer into a sorted temporary: copy before it goes */
	_cleanup_free_ char *primary = NULL;
	if (is_cve(id))
		primary = xstrdup(id);
	else {
		size_t k;
		_cleanup_free_ const char **al = qn_strset_sorted(&ri->aliases, &k);
		for (size_t i = 0; i < k && !primary; i++)
			if (is_cve(al[i]))
				primary = xstrdup(al[i]);
		if (!primary)
			primary = xstrdup(id);
	}
	pending *p = pending_get(pc, primary);
	pending_merge(p, id, ri, &v, c);
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const qn_finding *x = a, *y = b;
	return strcmp(x->id, y->id);
}

/* Folds advisories, applies the changelog evidence and appends the package's findings. */
static void finish_package(pkgctx *pc, qn_changelog_fn changelog, void *cl_ud, qn_findings *out)
{
	for (size_t i = 0; i + 1 < pc->adv.n; i += 2) {
		const char *id = pc->adv.v[i];
		const recinfo *ri = pc->adv.v[i + 1];
		for (size_t k = 0; k < ri->cves.cap; k++) {
			const char *cve = ri->cves.keys ? ri->cves.keys[k] : NULL;
			pending *p = cve ? qn_strset_get(&pc->byid, cve) : NULL;
			if (p)
				qn_strset_add(&p->advisories, id);
		}
	}
	size_t n, first = out->n;
	_cleanup_free_ const char **ids = qn_strset_sorted(&pc->byid, &n);
	for (size_t i = 0; i < n; i++) {
		pending *p = qn_strset_get(&pc->byid, ids[i]);
		const char *ver = NULL;
		if (changelog && is_cve(p->f.id) && changelog(cl_ud, pc->pkg, p->f.id, &ver)) {
			out->n_changelog_fixed++;
			finding_free_fields(&p->f);
		} else {
			set_severity(&p->f, p->label);
			p->f.aliases = strset_array(&p->aliases, &p->f.n_aliases);
			p->f.advisories = strset_array(&p->advisories, &p->f.n_advisories);
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 64;
				out->v = xreallocarray(out->v, out->cap, sizeof(*out->v));
			}
			out->v[out->n++] = p->f;
		}
		qn_strset_clear(&p->aliases);
		qn_strset_clear(&p->advisories);
		free(p);
	}
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_finding);
	qn_strset_clear(&pc->byid);
	qn_ptrvec_clear(&pc->adv, NULL);
}

static int match_one(matcher *m, const qn_os_info *os, const qn_package *p, qn_changelog_fn changelog, void *cl_ud,
		     qn_findings *out, qn_error **err)
{
	pkgctx pc = {.pkg = p};
	const char *why = NULL;
	if (!qn_scan_key(os, p, &pc.eco, &pc.rel, &pc.name, &pc.version, &why)) {
		if (p->eco == QN_ECO_DEB || p->eco == QN_ECO_APK || p->eco == QN_ECO_RPM)
			return 0; /* said once per image by the caller */
		warn(out, xasprintf("%s %s %s: not matched: %s", qn_ecosystem_name(p->eco), p->name ? p->name : "?",
				    p->version ? p->version : "?", why));
		return 0;
	}
	int rc = 0;
	rowvec rv = {0};
	cmpctx c = {.scheme = qn_version_scheme_for_ecosystem(pc.eco)};
	_cleanup_free_ char *vnorm = NULL;
	if (!c.scheme)
		goto done;
	c.version = pc.version;
	if (c.scheme == QN_VER_GO)
		c.version = vnorm = xstrdup(norm(&c, pc.version));
	{
		int self = 0;
		qn_error *e = NULL;
		if (qn_version_cmp(c.scheme, c.version, c.version, &self, &e) < 0) {
			warn(out, xasprintf("%s %s: not matched: %s", qn_ecosystem_name(p->eco), p->name,
					    e ? e->msg : "bad version"));
			qn_error_free(e);
			goto done;
		}
	}
	out->n_packages++;
	if (qn_vulndb_lookup(m->db, pc.eco, pc.rel, pc.name, collect, &rv, err) < 0) {
		rc = -1;
		goto done;
	}
	/* rpm data (AlmaLinux, Rocky Linux) lists each binary rpm under its own name: krb5-libs,
	 * not krb5, which no binary is called. Both names are looked up, and one record's rows
	 * from the two come together */
	if (p->eco == QN_ECO_RPM && p->name && strcmp(p->name, pc.name) != 0) {
		if (qn_vulndb_lookup(m->db, pc.eco, pc.rel, p->name, collect, &rv, err) < 0) {
			rc = -1;
			goto done;
		}
		qn_sort(rv.v, rv.n, sizeof(*rv.v), cmp_row);
	}
	for (size_t i = 0; i < rv.n && rc == 0;) {
		size_t j = i + 1;
		while (j < rv.n && !strcmp(rv.v[j].id, rv.v[i].id))
			j++;
		rc = emit(m, &pc, &c, rv.v + i, j - i, err);
		i = j;
	}
	if (c.bad_rows)
		warn(out, xasprintf("%s %s %s: %zu affected rows could not be compared (%s)", qn_ecosystem_name(p->eco),
				    p->name, p->version, c.bad_rows, c.first_bad));
	if (rc == 0)
		finish_package(&pc, changelog, cl_ud, out);
done:
	if (rc < 0) {
		size_t n;
		_cleanup_free_ const char **ids = qn_strset_sorted(&pc.byid, &n);
		for (size_t i = 0; i < n; i++) {
			pending *pp = qn_strset_get(&pc.byid, ids[i]);
			finding_free_fields(&pp->f);
			qn_strset_clear(&pp->aliases);
			qn_strset_clear(&pp->advisories);
			free(pp);
		}
		qn_strset_clear(&pc.byid);
		qn_ptrvec_clear(&pc.adv, NULL);
	}
	rowvec_clear(&rv);
	qn_buf_clear(&c.tmp);
	free(c.first_bad);
	free(pc.eco);
	free(pc.rel);
	free(pc.name);
	free(pc.version);
	return rc;
}

int qn_scan_match(qn_vulndb *db, const qn_os_info *os, const qn_package *const *pkgs, size_t n,
		  qn_changelog_fn changelog, void *changelog_ud, qn_findings *out, qn_error **err)
{
	matcher m = {.db = db};
	int rc = 0;
	bool os_warned = false;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const qn_package *p = pkgs[i];
		if (!os_warned && (p->eco == QN_ECO_DEB || p->eco == QN_ECO_APK || p->eco == QN_ECO_RPM)) {
			char *e = NULL, *r = NULL;
			const char *why = NULL;
			if (!os_key(os, p, &e, &r, &why)) {
				warn(out, xasprintf("%s packages not matched: %s (%s %s)", qn_ecosystem_name(p->eco),
						    why, os && os->id ? os->id : "unknown OS",
						    os && os->version_id ? os->version_id : ""));
				os_warned = true;
			}
			free(e);
			free(r);
		}
		rc = match_one(&m, os, p, changelog, changelog_ud, out, err);
	}
	for (size_t i = 0; i < m.cache.cap; i++) {
		recinfo *ri = m.cache.vals ? m.cache.vals[i] : NULL;
		if (!ri)
			continue;
		qn_strset_clear(&ri->aliases);
		qn_strset_clear(&ri->cves);
		free(ri);
	}
	qn_strset_clear(&m.cache);
	return rc;
}
