/* The database file, read side: schema, opening read-only, lookups by (ecosystem, release,
 * package), records by id, the sources table and summary figures. Everything SQLite stays in
 * this module; callers get plain structs. Writing lives in writer.c: nothing here modifies a
 * database. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vuln_int.h"

/* Lists (aliases, related, upstream, refs) are newline-joined text: they are read whole with
 * their record and never queried by element. versions is compressed (see common.c). status is
 * text so the file reads well in the sqlite3 shell. */
const char qn_vulndb_schema_sql[] = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;\n"
				    "CREATE TABLE sources (\n"
				    "  id INTEGER PRIMARY KEY,\n"
				    "  name TEXT NOT NULL UNIQUE,\n"
				    "  kind TEXT NOT NULL,\n"
				    "  url TEXT,\n"
				    "  fetched_at TEXT,\n"
				    "  changed_at TEXT,\n"
				    "  etag TEXT,\n"
				    "  last_modified TEXT,\n"
				    "  newest TEXT,\n"
				    "  data_date TEXT,\n"
				    "  sha256 TEXT,\n"
				    "  records INTEGER NOT NULL DEFAULT 0,\n"
				    "  affected INTEGER NOT NULL DEFAULT 0,\n"
				    "  skipped INTEGER NOT NULL DEFAULT 0);\n"
				    "CREATE TABLE vulns (\n"
				    "  id INTEGER PRIMARY KEY,\n"
				    "  source_id INTEGER NOT NULL REFERENCES sources(id),\n"
				    "  vuln_id TEXT NOT NULL,\n"
				    "  summary TEXT,\n"
				    "  details TEXT,\n"
				    "  published TEXT,\n"
				    "  modified TEXT,\n"
				    "  aliases TEXT,\n"
				    "  related TEXT,\n"
				    "  upstream TEXT,\n"
				    "  refs TEXT,\n"
				    "  cvss3_score REAL,\n"
				    "  cvss3_vector TEXT,\n"
				    "  cvss4_vector TEXT,\n"
				    "  severity TEXT);\n"
				    "CREATE UNIQUE INDEX vulns_id ON vulns(vuln_id, source_id);\n"
				    "CREATE TABLE affected (\n"
				    "  id INTEGER PRIMARY KEY,\n"
				    "  vuln_ref INTEGER NOT NULL REFERENCES vulns(id),\n"
				    "  ecosystem TEXT NOT NULL,\n"
				    "  release TEXT NOT NULL,\n"
				    "  package TEXT NOT NULL,\n"
				    "  package_key TEXT NOT NULL,\n"
				    "  introduced TEXT,\n"
				    "  fixed TEXT,\n"
				    "  last_affected TEXT,\n"
				    "  limit_ver TEXT,\n"
				    "  n_versions INTEGER NOT NULL DEFAULT 0,\n"
				    "  versions BLOB,\n"
				    "  status TEXT NOT NULL,\n"
				    "  urgency TEXT);\n"
				    "CREATE INDEX affected_vuln ON affected(vuln_ref);\n";

/* Built after the bulk insert: one sort instead of a b-tree insert per row. */
const char qn_vulndb_index_sql[] = "CREATE INDEX affected_pkg ON affected(ecosystem, release, package_key);\n";

struct qn_vulndb {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *lookup;
	qn_buf vtext;
	qn_ptrvec vvec;
};

static const char lookup_sql[] =
    "SELECT v.vuln_id, s.name, a.ecosystem, a.release, a.package, a.introduced, a.fixed, a.last_affected,"
    " a.limit_ver, a.n_versions, a.versions, a.status, a.urgency, v.summary, v.cvss3_score, v.cvss3_vector,"
    " v.cvss4_vector, v.severity, v.published, v.modified"
    " FROM affected a JOIN vulns v ON v.id = a.vuln_ref JOIN sources s ON s.id = v.source_id"
    " WHERE a.ecosystem = ?1 AND a.release = ?2 AND a.package_key = ?3"
    " ORDER BY v.vuln_id, s.name, a.id";

char *qn_vulndb_default_path(qn_error **err)
{
	const char *c = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (c && *c == '/')
		return xasprintf("%s/quench/db.sqlite", c);
	if (h && *h)
		return xasprintf("%s/.cache/quench/db.sqlite", h);
	qn_error_set(err, QN_ERR_USAGE, "no database path: set XDG_CACHE_HOME or HOME, or pass --db FILE");
	return NULL;
}

int qn_vulndb_schema_of(sqlite3 *db, const char *schema, const char *what, qn_error **err)
{
	_cleanup_free_ char *sql = xasprintf("SELECT value FROM %s.meta WHERE key = 'schema_version'", schema);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		int ext = sqlite3_extended_errcode(db);
		if (ext == SQLITE_NOTADB || ext == SQLITE_CORRUPT) {
			qn_error_set(err, QN_ERR_INPUT, "%s: not an SQLite database", what);
			return -1;
		}
		if (strstr(sqlite3_errmsg(db), "no such table"))
			return 0;
		return qn_vuln_sqlite_error(err, db, what);
	}
	int v = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

qn_vulndb *qn_vulndb_open(const char *path, qn_error **err)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			qn_error_set(err, QN_ERR_NOTFOUND,
				     "%s: no vulnerability database (run 'quench db update' or 'quench db import')",
				     path);
		else
			qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		qn_vuln_sqlite_error(err, db, path);
		sqlite3_close(db);
		return NULL;
	}
	int v = qn_vulndb_schema_of(db, "main", path, err);
	if (v != QN_VULNDB_SCHEMA_VERSION) {
		if (v >= 0)
			qn_error_set(err, QN_ERR_INPUT, "%s: %s", path,
				     v == 0 ? "not a quench vulnerability database"
					    : "database of another schema version (run 'quench db update' again)");
		sqlite3_close(db);
		return NULL;
	}
	/* Lookups touch few pages; mapping the file saves a copy per page read. */
	sqlite3_exec(db, "PRAGMA mmap_size = 268435456; PRAGMA query_only = 1;", NULL, NULL, NULL);
	qn_vulndb *h = xcalloc(1, sizeof(*h));
	h->db = db;
	h->path = xstrdup(path);
	if (sqlite3_prepare_v3(db, lookup_sql, -1, SQLITE_PREPARE_PERSISTENT, &h->lookup, NULL) != SQLITE_OK) {
		qn_vuln_sqlite_error(err, db, path);
		qn_vulndb_close(h);
		return NULL;
	}
	return h;
}

const char *qn_vulndb_path(const qn_vulndb *h)
{
	return h->path;
}

void qn_vulndb_close(qn_vulndb *h)
{
	if (!h)
		return;
	sqlite3_finalize(h->lookup);
	sqlite3_close(h->db);
	qn_buf_clear(&h->vtext);
	qn_ptrvec_clear(&h->vvec, NULL);
	free(h->path);
	free(h);
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static qn_vuln_status status_of(const char *s)
{
	if (s && !strcmp(s, "fixed"))
		return QN_VULN_FIXED;
	if (s && !strcmp(s, "will_not_fix"))
		return QN_VULN_WILL_NOT_FIX;
	return QN_VULN_AFFECTED;
}

/* Fills a and rec from the current lookup row. Returns 0 or -1 for a corrupt versions blob. */
static int row_to_affected(qn_vulndb *h, sqlite3_stmt *st, qn_vuln_affected *a, qn_vuln_record *rec)
{
	*rec = (qn_vuln_record){.id = col(st, 0),
				.source = col(st, 1),
				.summary = col(st, 13),
				.cvss3_score =
				    sqlite3_column_type(st, 14) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 14),
				.cvss3_vector = col(st, 15),
				.cvss4_vector = col(st, 16),
				.severity = col(st, 17),
				.published = col(st, 18),
				.modified = col(st, 19)};
	*a = (qn_vuln_affected){.vuln_id = rec->id,
				.ecosystem = col(st, 2),
				.release = col(st, 3),
				.package = col(st, 4),
				.introduced = col(st, 5),
				.fixed = col(st, 6),
				.last_affected = col(st, 7),
				.limit = col(st, 8),
				.status = status_of(col(st, 11)),
				.urgency = col(st, 12),
				.record = rec};
	int64_t n = sqlite3_column_int64(st, 9);
	if (n > 0) {
		h->vvec.n = 0;
		if (qn_vuln_versions_unpack(sqlite3_column_blob(st, 10), (size_t)sqlite3_column_bytes(st, 10),
					    (size_t)n, &h->vtext, &h->vvec) < 0)
			return -1;
		a->versions = (const char *const *)h->vvec.v;
		a->n_versions = h->vvec.n;
	}
	return 0;
}

int qn_vulndb_lookup(qn_vulndb *h, const char *ecosystem, const char *release, const char *package,
		     qn_vuln_affected_fn fn, void *ud, qn_error **err)
{
	_cleanup_free_ char *key = qn_vuln_package_key(ecosystem, package);
	sqlite3_stmt *st = h->lookup;
	if (!release)
		release = "";
	else if (!strcmp(ecosystem, "Alpine") && release[0] == 'v' && release[1] >= '0' && release[1] <= '9')
		release++; /* "v3.20" as Alpine names its branches: stored as "3.20" */
	sqlite3_bind_text(st, 1, ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, release, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		qn_vuln_affected a;
		qn_vuln_record rec;
		if (row_to_affected(h, st, &a, &rec) < 0) {
			ret = qn_error_set(err, QN_ERR_INPUT, "%s: %s: corrupt versions list", h->path, rec.id);
			break;
		}
		int r = fn(ud, &a, err);
		if (r != 0) {
			ret = r < 0 ? -1 : 0;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = qn_vuln_sqlite_error(err, h->db, h->path);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

typedef struct {
	qn_buf text[4];
	qn_ptrvec vec[4];
} lists_tmp;

static void lists_clear(lists_tmp *l)
{
	for (int i = 0; i < 4; i++) {
		qn_buf_clear(&l->text[i]);
		qn_ptrvec_clear(&l->vec[i], NULL);
	}
}

int qn_vulndb_get(qn_vulndb *h, const char *id, qn_vuln_record_fn fn, void *ud, qn_error **err)
{
	static const char sql[] =
	    "SELECT v.vuln_id, s.name, v.summary, v.details, v.published, v.modified, v.aliases, v.related,"
	    " v.upstream, v.refs, v.cvss3_score, v.cvss3_vector, v.cvss4_vector, v.severity"
	    " FROM vulns v JOIN sources s ON s.id = v.source_id WHERE v.vuln_id = ?1 ORDER BY s.name";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, h->db, h->path);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc, found = 0, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		lists_tmp l = {0};
		for (int i = 0; i < 4; i++)
			qn_vuln_split(col(st, 6 + i), &l.text[i], &l.vec[i]);
		qn_vuln_record r = {.id = col(st, 0),
				    .source = col(st, 1),
				    .summary = col(st, 2),
				    .details = col(st, 3),
				    .published = col(st, 4),
				    .modified = col(st, 5),
				    .aliases = (const char *const *)l.vec[0].v,
				    .n_aliases = l.vec[0].n,
				    .related = (const char *const *)l.vec[1].v,
				    .n_related = l.vec[1].n,
				    .upstream = (const char *const *)l.vec[2].v,
				    .n_upstream = l.vec[2].n,
				    .refs = (const char *const *)l.vec[3].v,
				    .n_refs = l.vec[3].n,
				    .cvss3_score =
					sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 10),
				    .cvss3_vector = col(st, 11),
				    .cvss4_vector = col(st, 12),
				    .severity = col(st, 13)};
		found++;
		int r2 = fn(ud, &r, err);
		lists_clear(&l);
		if (r2 != 0) {
			ret = r2 < 0 ? -1 : 0;
			break;
		}
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = qn_vuln_sqlite_error(err, h->db, h->path);
	sqlite3_finalize(st);
	return ret < 0 ? -1 : found;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
	const char *s = col(st, i);
	return s ? xstrdup(s) : NULL;
}

int qn_vulndb_sources(qn_vulndb *h, qn_vuln_source **out, size_t *n, qn_error **err)
{
	static const char sql[] = "SELECT name, kind, url, fetched_at, changed_at, etag, last_modified, newest,"
				  " data_date, sha256, records, affected, skipped FROM sources ORDER BY name";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, h->db, h->path);
	qn_vuln_source *v = NULL;
	size_t cnt = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		qn_vuln_source *s = &v[cnt++];
		*s = (qn_vuln_source){dup_col(st, 0),
				      dup_col(st, 1),
				      dup_col(st, 2),
				      dup_col(st, 3),
				      dup_col(st, 4),
				      dup_col(st, 5),
				      dup_col(st, 6),
				      dup_col(st, 7),
				      dup_col(st, 8),
				      dup_col(st, 9),
				      -1,
				      (uint64_t)sqlite3_column_int64(st, 10),
				      (uint64_t)sqlite3_column_int64(st, 11),
				      (uint64_t)sqlite3_column_int64(st, 12)};
		s->data_time = s->data_date ? qn_vuln_parse_time(s->data_date) : -1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		qn_vuln_sources_free(v, cnt);
		return qn_vuln_sqlite_error(err, h->db, h->path);
	}
	*out = v;
	*n = cnt;
	return 0;
}

void qn_vuln_sources_free(qn_vuln_source *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char **f[] = {&s[i].name, &s[i].kind,          &s[i].url,    &s[i].fetched_at, &s[i].changed_at,
			      &s[i].etag, &s[i].last_modified, &s[i].newest, &s[i].data_date,  &s[i].sha256};
		for (size_t k = 0; k < QN_ARRAY_LEN(f); k++)
			free(*f[k]);
	}
	free(s);
}

static char *meta_get(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = dup_col(st, 0);
	}
	sqlite3_finalize(st);
	return v;
}

int qn_vulndb_get_info(qn_vulndb *h, qn_vulndb_info *out, qn_error **err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->db, "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(affected), 0) FROM sources", -1,
			       &st, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, h->db, h->path);
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->records = (uint64_t)sqlite3_column_int64(st, 0);
		out->affected = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	struct stat sb;
	if (stat(h->path, &sb) == 0)
		out->file_size = (uint64_t)sb.st_size;
	out->schema_version = QN_VULNDB_SCHEMA_VERSION;
	out->created_at = meta_get(h->db, "created_at");
	out->updated_at = meta_get(h->db, "updated_at");
	out->quench_version = meta_get(h->db, "quench_version");
	return 0;
}

void qn_vulndb_info_clear(qn_vulndb_info *i)
{
	free(i->created_at);
	free(i->updated_at);
	free(i->quench_version);
	memset(i, 0, sizeof(*i));
}
