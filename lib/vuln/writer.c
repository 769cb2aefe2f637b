/* The database file, write side. A writer builds a complete new database in a temporary file in
 * the target's folder: new sources are inserted as parsers emit them (one transaction, prepared
 * statements, no journal: the file is thrown away on failure anyway), the old database is
 * attached read-only and the sources that were not replaced are copied over at commit, then the
 * file is fsynced and renamed into place. The old file is never written, so a failure, a bad
 * record or a signal (the temporary path is registered with qn_cleanup_register) leaves it
 * byte-identical. It does not fetch or parse anything itself. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vuln_int.h"

enum { S_INS_SOURCE, S_END_SOURCE, S_FIND_VULN, S_INS_VULN, S_DEL_AFF, S_DEL_VULN, S_INS_AFF, S_N };

static const char *const stmt_sql[S_N] = {
    "INSERT INTO sources(name, kind, url, fetched_at, changed_at, etag, last_modified, data_date, sha256)"
    " VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)",
    "UPDATE sources SET records = ?2, affected = ?3, skipped = ?4, newest = ?5,"
    " data_date = COALESCE(?5, data_date, changed_at) WHERE id = ?1",
    "SELECT id FROM vulns WHERE vuln_id = ?1 AND source_id = ?2",
    "INSERT INTO vulns(source_id, vuln_id, summary, details, published, modified, aliases, related, upstream,"
    " refs, cvss3_score, cvss3_vector, cvss4_vector, severity)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    "DELETE FROM affected WHERE vuln_ref = ?1",
    "DELETE FROM vulns WHERE id = ?1",
    "INSERT INTO affected(vuln_ref, ecosystem, release, package, package_key, introduced, fixed, last_affected,"
    " limit_ver, n_versions, versions, status, urgency) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
};

struct qn_vulndb_writer {
	qn_vuln_sink sink; /* first: the sink callbacks get the writer back by a cast */
	char *path, *tmp;
	sqlite3 *db;
	sqlite3_stmt *st[S_N];
	bool have_old, merge, strict, in_source;
	qn_ptrvec replaced; /* names of sources written anew (not copied) */
	qn_ptrvec touched;  /* names of old sources checked without change */
	qn_error *strict_err;
	/* the current source */
	int64_t source_id, vuln_row;
	char *source_name, *source_kind, *newest;
	int64_t newest_t;
	uint64_t records, affected, skipped;
	qn_buf b[5];
	char now[32];
};

static int exec(qn_vulndb_writer *w, const char *sql, qn_error **err)
{
	if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, w->db, w->path);
	return 0;
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a prepared statement that returns no rows and resets it. */
static int run(qn_vulndb_writer *w, sqlite3_stmt *st, qn_error **err)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return qn_vuln_sqlite_error(err, w->db, w->path);
	return 0;
}

static const char *list_text(qn_buf *b, const char *const *v, size_t n)
{
	qn_buf_reset(b);
	if (n == 0)
		return NULL;
	qn_vuln_join(b, v, n);
	return b->data;
}

static int sink_record(qn_vuln_sink *s, const qn_vuln_record *r, qn_error **err)
{
	qn_vulndb_writer *w = (qn_vulndb_writer *)s;
	if (w->strict_err)
		return qn_error_set(err, w->strict_err->kind, "%s", w->strict_err->msg);
	sqlite3_stmt *f = w->st[S_FIND_VULN];
	sqlite3_bind_text(f, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(f, 2, w->source_id);
	int64_t old = sqlite3_step(f) == SQLITE_ROW ? sqlite3_column_int64(f, 0) : 0;
	sqlite3_reset(f);
	if (old && w->merge) {
		w->vuln_row = old; /* the tracker and secdb name one id under many packages */
		return 0;
	}
	if (old) { /* OSV: a later copy of a record replaces the earlier one */
		sqlite3_bind_int64(w->st[S_DEL_AFF], 1, old);
		sqlite3_bind_int64(w->st[S_DEL_VULN], 1, old);
		if (run(w, w->st[S_DEL_AFF], err) < 0)
			return -1;
		w->affected -= (uint64_t)sqlite3_changes(w->db);
		if (run(w, w->st[S_DEL_VULN], err) < 0)
			return -1;
		w->records--;
	}
	sqlite3_stmt *st = w->st[S_INS_VULN];
	sqlite3_bind_int64(st, 1, w->source_id);
	bind_str(st, 2, r->id);
	bind_str(st, 3, r->summary);
	bind_str(st, 4, r->details);
	bind_str(st, 5, r->published);
	bind_str(st, 6, r->modified);
	bind_str(st, 7, list_text(&w->b[0], r->aliases, r->n_aliases));
	bind_str(st, 8, list_text(&w->b[1], r->related, r->n_related));
	bind_str(st, 9, list_text(&w->b[2], r->upstream, r->n_upstream));
	bind_str(st, 10, list_text(&w->b[3], r->refs, r->n_refs));
	if (r->cvss3_score >= 0)
		sqlite3_bind_double(st, 11, r->cvss3_score);
	bind_str(st, 12, r->cvss3_vector);
	bind_str(st, 13, r->cvss4_vector);
	bind_str(st, 14, r->severity);
	if (run(w, st, err) < 0)
		return -1;
	w->vuln_row = sqlite3_last_insert_rowid(w->db);
	w->records++;
	return 0;
}

static int sink_affected(qn_vuln_sink *s, const qn_vuln_affected *a, qn_error **err)
{
	qn_vulndb_writer *w = (qn_vulndb_writer *)s;
	sqlite3_stmt *st = w->st[S_INS_AFF];
	_cleanup_free_ char *key = qn_vuln_package_key(a->ecosystem, a->package);
	sqlite3_bind_int64(st, 1, w->vuln_row);
	bind_str(st, 2, a->ecosystem);
	bind_str(st, 3, a->release ? a->release : "");
	bind_str(st, 4, a->package);
	bind_str(st, 5, key);
	bind_str(st, 6, a->introduced);
	bind_str(st, 7, a->fixed);
	bind_str(st, 8, a->last_affected);
	bind_str(st, 9, a->limit);
	sqlite3_bind_int64(st, 10, (int64_t)a->n_versions);
	if (a->n_versions) {
		qn_vuln_versions_pack(a->versions, a->n_versions, &w->b[4]);
		sqlite3_bind_blob(st, 11, w->b[4].data, (int)w->b[4].len, SQLITE_STATIC);
	}
	bind_str(st, 12, qn_vuln_status_name(a->status));
	bind_str(st, 13, a->urgency);
	if (run(w, st, err) < 0)
		return -1;
	w->affected++;
	return 0;
}

static void sink_skipped(qn_vuln_sink *s, const char *msg)
{
	qn_vulndb_writer *w = (qn_vulndb_writer *)s;
	w->skipped++;
	if (w->strict && !w->strict_err)
		qn_error_set(&w->strict_err, QN_ERR_INPUT, "%s (--strict)", msg);
	else if (w->skipped <= QN_VULN_MAX_WARN_SHOWN)
		qn_warn("%s: skipped: %s", w->source_name, msg);
}

static void sink_date(qn_vuln_sink *s, const char *d)
{
	qn_vulndb_writer *w = (qn_vulndb_writer *)s;
	int64_t t = qn_vuln_parse_time(d);
	if (t > w->newest_t) {
		char buf[32];
		w->newest_t = t;
		free(w->newest);
		w->newest = xstrdup(qn_vuln_time_str(t, buf));
	}
}

/* "file:" URI for ATTACH with mode=ro: characters that mean something in a URI are escaped. */
static char *ro_uri(const char *path)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p >= 0x7f)
			qn_buf_printf(&b, "%%%02X", *p);
		else
			qn_buf_addc(&b, (char)*p);
	}
	qn_buf_adds(&b, "?mode=ro");
	return qn_buf_steal(&b);
}

/* Attaches the existing database as "old" when it is ours and of this schema version. */
static int attach_old(qn_vulndb_writer *w, qn_error **err)
{
	if (access(w->path, F_OK) != 0)
		return 0;
	_cleanup_free_ char *uri = ro_uri(w->path);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db, "ATTACH DATABASE ?1 AS old", -1, &st, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, w->db, w->path);
	sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && sqlite3_extended_errcode(w->db) == SQLITE_NOTADB)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: exists and is not an SQLite database; remove it or "
				    "choose another --db",
				    w->path);
	if (rc != SQLITE_DONE)
		return qn_vuln_sqlite_error(err, w->db, w->path);
	int v = qn_vulndb_schema_of(w->db, "old", w->path, err);
	if (v < 0)
		return -1;
	if (v == 0)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: exists and is not a quench vulnerability database; "
				    "remove it or choose another --db",
				    w->path);
	if (v != QN_VULNDB_SCHEMA_VERSION) {
		qn_warn("%s: schema version %d, this quench writes %d: its sources are not kept", w->path, v,
			QN_VULNDB_SCHEMA_VERSION);
		return exec(w, "DETACH DATABASE old", err);
	}
	w->have_old = true;
	return 0;
}

static int create_tmp(qn_vulndb_writer *w, qn_error **err)
{
	_cleanup_free_ char *c1 = xstrdup(w->path), *c2 = xstrdup(w->path);
	w->tmp = xasprintf("%s/.%s.XXXXXX", dirname(c1), basename(c2));
	int fd = mkostemp(w->tmp, O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s: cannot create a temporary database next to it", w->path);
		free(w->tmp);
		w->tmp = NULL;
		return -1;
	}
	/* a cache others may read: mkostemp's 0600 is needlessly private */
	(void)fchmod(fd, 0644);
	close(fd);
	qn_cleanup_register(w->tmp);
	return 0;
}

qn_vulndb_writer *qn_vulndb_writer_new(const char *path, qn_error **err)
{
	qn_vulndb_writer *w = xcalloc(1, sizeof(*w));
	w->sink = (qn_vuln_sink){sink_record, sink_affected, sink_skipped, sink_date};
	/* A --db that is a symlink: the new file goes next to its target and replaces the target,
	 * not the link. */
	char *real = realpath(path, NULL);
	w->path = real ? real : xstrdup(path);
	qn_vuln_time_str((int64_t)time(NULL), w->now);
	if (create_tmp(w, err) < 0)
		goto fail;
	if (sqlite3_open_v2(w->tmp, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		qn_vuln_sqlite_error(err, w->db, w->tmp);
		goto fail;
	}
	/* No journal and no syncs while building: a failed build is deleted, never recovered. */
	if (exec(w,
		 "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;"
		 " PRAGMA cache_size = -65536; PRAGMA locking_mode = EXCLUSIVE;",
		 err) < 0 ||
	    exec(w, qn_vulndb_schema_sql, err) < 0 || attach_old(w, err) < 0 || exec(w, "BEGIN", err) < 0)
		goto fail;
	for (int i = 0; i < S_N; i++)
		if (sqlite3_prepare_v3(w->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL) !=
		    SQLITE_OK) {
			qn_vuln_sqlite_error(err, w->db, w->path);
			goto fail;
		}
	return w;
fail:
	qn_error_prefix(err, "database");
	qn_vulndb_writer_free(w);
	return NULL;
}

static bool in_list(const qn_ptrvec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], name))
			return true;
	return false;
}

int qn_vulndb_writer_source_begin(qn_vulndb_writer *w, const qn_vuln_source_meta *m, qn_error **err)
{
	if (in_list(&w->replaced, m->name))
		return qn_error_set(err, QN_ERR_USAGE, "two inputs would both become source \"%s\"", m->name);
	sqlite3_stmt *st = w->st[S_INS_SOURCE];
	bind_str(st, 1, m->name);
	bind_str(st, 2, m->kind);
	bind_str(st, 3, m->url);
	bind_str(st, 4, w->now);
	bind_str(st, 5, m->etag);
	bind_str(st, 6, m->last_modified);
	bind_str(st, 7, m->data_date);
	bind_str(st, 8, m->sha256);
	if (run(w, st, err) < 0)
		return -1;
	qn_ptrvec_push(&w->replaced, xstrdup(m->name));
	w->source_id = sqlite3_last_insert_rowid(w->db);
	w->source_name = xstrdup(m->name);
	w->source_kind = xstrdup(m->kind);
	w->records = w->affected = w->skipped = 0;
	w->newest_t = -1;
	w->in_source = true;
	return 0;
}

void qn_vulndb_writer_set_merge(qn_vulndb_writer *w, bool merge)
{
	w->merge = merge;
}
void qn_vulndb_writer_set_strict(qn_vulndb_writer *w, bool strict)
{
	w->strict = strict;
}
qn_vuln_sink *qn_vulndb_writer_sink(qn_vulndb_writer *w)
{
	return &w->sink;
}
const qn_error *qn_vulndb_writer_error(const qn_vulndb_writer *w)
{
	return w->strict_err;
}

static void end_current(qn_vulndb_writer *w)
{
	free(w->source_name);
	free(w->source_kind);
	free(w->newest);
	w->source_name = w->source_kind = w->newest = NULL;
	w->in_source = false;
}

int qn_vulndb_writer_source_end(qn_vulndb_writer *w, qn_vuln_result *r, qn_error **err)
{
	if (w->skipped > QN_VULN_MAX_WARN_SHOWN)
		qn_warn("%s: %llu malformed entries skipped in all (the first %d are shown above)", w->source_name,
			(unsigned long long)w->skipped, QN_VULN_MAX_WARN_SHOWN);
	sqlite3_stmt *st = w->st[S_END_SOURCE];
	sqlite3_bind_int64(st, 1, w->source_id);
	sqlite3_bind_int64(st, 2, (int64_t)w->records);
	sqlite3_bind_int64(st, 3, (int64_t)w->affected);
	sqlite3_bind_int64(st, 4, (int64_t)w->skipped);
	bind_str(st, 5, w->newest);
	if (run(w, st, err) < 0)
		return -1;
	*r = (qn_vuln_result){.name = xstrdup(w->source_name),
			      .kind = xstrdup(w->source_kind),
			      .action = "imported",
			      .records = w->records,
			      .affected = w->affected,
			      .skipped = w->skipped};
	end_current(w);
	return 0;
}

int qn_vulndb_writer_touch(qn_vulndb_writer *w, const char *name, qn_error **err)
{
	(void)err;
	qn_ptrvec_push(&w->touched, xstrdup(name));
	return 0;
}

/* Copies one old source with its records and rows. Record ids are shifted by `off` past every
 * id written so far, so the copied rows keep their links without a join. Parameters: ?1 old
 * source id, ?2 offset, ?3 new source id, ?4 touched (a 304), ?5 now. */
static int copy_source(qn_vulndb_writer *w, int64_t old_id, const char *name, int64_t off, qn_error **err)
{
	static const char *const sql[] = {
	    "INSERT INTO main.sources(name, kind, url, fetched_at, changed_at, etag, last_modified, newest,"
	    " data_date, sha256, records, affected, skipped) SELECT name, kind, url,"
	    " CASE WHEN ?4 THEN ?5 ELSE fetched_at END, changed_at, etag, last_modified, newest, data_date, sha256,"
	    " records, affected, skipped FROM old.sources WHERE id = ?1",
	    "INSERT INTO main.vulns SELECT id + ?2, ?3, vuln_id, summary, details, published,"
	    " modified, aliases, related, upstream, refs, cvss3_score, cvss3_vector, cvss4_vector, severity"
	    " FROM old.vulns WHERE source_id = ?1",
	    "INSERT INTO main.affected(vuln_ref, ecosystem, release, package, package_key, introduced, fixed,"
	    " last_affected, limit_ver, n_versions, versions, status, urgency) SELECT a.vuln_ref + ?2, a.ecosystem,"
	    " a.release, a.package, a.package_key, a.introduced, a.fixed, a.last_affected, a.limit_ver,"
	    " a.n_versions, a.versions, a.status, a.urgency FROM old.vulns v JOIN old.affected a ON a.vuln_ref = v.id"
	    " WHERE v.source_id = ?1",
	};
	int64_t new_id = 0;
	for (size_t i = 0; i < QN_ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(w->db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return qn_vuln_sqlite_error(err, w->db, w->path);
		int np = sqlite3_bind_parameter_count(st);
		sqlite3_bind_int64(st, 1, old_id);
		if (np >= 2)
			sqlite3_bind_int64(st, 2, off);
		if (np >= 3)
			sqlite3_bind_int64(st, 3, new_id);
		if (np >= 4) {
			sqlite3_bind_int(st, 4, in_list(&w->touched, name));
			sqlite3_bind_text(st, 5, w->now, -1, SQLITE_STATIC);
		}
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return qn_vuln_sqlite_error(err, w->db, w->path);
		if (i == 0)
			new_id = sqlite3_last_insert_rowid(w->db);
	}
	return 0;
}

static int copy_old(qn_vulndb_writer *w, qn_error **err)
{
	if (!w->have_old)
		return 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db,
			       "SELECT (SELECT COALESCE(MAX(id), 0) FROM main.vulns), id, name FROM old.sources"
			       " ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return qn_vuln_sqlite_error(err, w->db, w->path);
	int rc, ret = 0;
	qn_ptrvec ids = {0}, names = {0};
	int64_t off = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		off = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 2);
		if (in_list(&w->replaced, name))
			continue;
		qn_ptrvec_push(&ids, (void *)(intptr_t)sqlite3_column_int64(st, 1));
		qn_ptrvec_push(&names, xstrdup(name));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		ret = qn_vuln_sqlite_error(err, w->db, w->path);
	for (size_t i = 0; ret == 0 && i < ids.n; i++)
		ret = copy_source(w, (int64_t)(intptr_t)ids.v[i], names.v[i], off, err);
	qn_ptrvec_clear(&ids, NULL);
	qn_ptrvec_clear(&names, free);
	return ret;
}

static int write_meta(qn_vulndb_writer *w, qn_error **err)
{
	const char *created = w->now;
	_cleanup_free_ char *old_created = NULL;
	if (w->have_old) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(w->db, "SELECT value FROM old.meta WHERE key = 'created_at'", -1, &st, NULL) ==
			SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			created = old_created = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	char *sql =
	    sqlite3_mprintf("INSERT INTO meta VALUES('schema_version', '%d'), ('created_at', %Q), ('updated_at', %Q),"
			    " ('quench_version', %Q);",
			    QN_VULNDB_SCHEMA_VERSION, created, w->now, QN_VERSION);
	int rc = exec(w, sql, err);
	sqlite3_free(sql);
	return rc;
}

/* fsync the file and, after the rename, its folder: the new database must be on disk before the
 * old one disappears from the name. */
static int sync_path(const char *path, bool dir, qn_error **err)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s", path);
	int rc = fsync(fd) < 0 && errno != EINVAL ? qn_error_errno(err, errno, "%s: fsync", path) : 0;
	close(fd);
	return rc;
}

int qn_vulndb_writer_commit(qn_vulndb_writer *w, qn_error **err)
{
	int rc = -1;
	if (w->in_source)
		qn_error_set(err, QN_ERR_RUNTIME, "database: source \"%s\" was not ended", w->source_name);
	else if (copy_old(w, err) == 0 && exec(w, qn_vulndb_index_sql, err) == 0 && write_meta(w, err) == 0 &&
		 exec(w, "COMMIT", err) == 0) {
		if (w->have_old)
			exec(w, "DETACH DATABASE old", NULL);
		for (int i = 0; i < S_N; i++) {
			sqlite3_finalize(w->st[i]);
			w->st[i] = NULL;
		}
		if (sqlite3_close(w->db) != SQLITE_OK)
			qn_vuln_sqlite_error(err, w->db, w->path);
		else {
			w->db = NULL;
			_cleanup_free_ char *c = xstrdup(w->path);
			if (sync_path(w->tmp, false, err) == 0) {
				if (rename(w->tmp, w->path) < 0)
					qn_error_errno(err, errno, "%s: cannot rename the new database into place",
						       w->path);
				else {
					rc = 0;
					qn_cleanup_unregister(w->tmp);
					free(w->tmp);
					w->tmp = NULL;
					(void)sync_path(dirname(c), true, NULL);
				}
			}
		}
	}
	qn_vulndb_writer_free(w);
	return rc;
}

void qn_vulndb_writer_free(qn_vulndb_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < S_N; i++)
		sqlite3_finalize(w->st[i]);
	if (w->db)
		sqlite3_close(w->db);
	if (w->tmp) {
		unlink(w->tmp);
		qn_cleanup_unregister(w->tmp);
		free(w->tmp);
	}
	end_current(w);
	qn_ptrvec_clear(&w->replaced, free);
	qn_ptrvec_clear(&w->touched, free);
	qn_error_free(w->strict_err);
	for (size_t i = 0; i < QN_ARRAY_LEN(w->b); i++)
		qn_buf_clear(&w->b[i]);
	free(w->path);
	free(w);
}
