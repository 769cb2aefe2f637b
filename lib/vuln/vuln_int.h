/* Private interfaces of the vuln module: the sink that feed parsers emit records into, the three
 * feed parsers (bytes in, plain structs out: testable and fuzzable without SQLite), and the
 * database writer that builds a new database file next to the old one. */
#ifndef QN_VULN_INT_H
#define QN_VULN_INT_H

#include <jansson.h>
#include <sqlite3.h>

#include "quench/vuln.h"
#include "util/util.h"

/* Default bounds. */
#define QN_VULN_MAX_RECORD (32u << 20) /* one OSV record */
#define QN_VULN_MAX_FILE (4ULL << 30)  /* one input file */
#define QN_VULN_MAX_DOC (256u << 20)   /* one secdb document, one tracker package entry */
#define QN_VULN_MAX_ID 128             /* bytes in a vulnerability id */
#define QN_VULN_MAX_WARN_SHOWN 10      /* skipped-record warnings printed per source */

/* Where parsers put what they read. A parser calls record() once per vulnerability and then
 * affected() for each of its rows; a record is emitted only after it validated completely, so
 * a malformed record never leaves half its rows behind. skipped() reports an entry the parser
 * left out (one line naming it); the parser then goes on. */
typedef struct qn_vuln_sink {
	int (*record)(struct qn_vuln_sink *s, const qn_vuln_record *r, qn_error **err);
	int (*affected)(struct qn_vuln_sink *s, const qn_vuln_affected *a, qn_error **err);
	void (*skipped)(struct qn_vuln_sink *s, const char *msg);
	/* Called by parsers that know their data's date (OSV modified), newest first or not. */
	void (*date)(struct qn_vuln_sink *s, const char *rfc3339);
} qn_vuln_sink;

typedef enum {
	QN_FEED_UNKNOWN = 0,
	QN_FEED_OSV,
	QN_FEED_DEBTRACKER,
	QN_FEED_SECDB,
	QN_FEED_ZIP,
} qn_feed_kind;

/* Guesses a document's format from its content: a zip signature, else the keys of the top-level
 * JSON object (OSV: "id"; secdb: "distroversion" and "packages"; the tracker: package objects of
 * CVE objects with "releases"). Reads only as much as it needs. */
qn_feed_kind qn_feed_detect(const uint8_t *buf, size_t len);
const char *qn_feed_kind_name(qn_feed_kind k);

/* One OSV record (a JSON object). Returns 0 (the record was emitted, or it has no affected row
 * worth storing), or -1 with err for a malformed record (nothing emitted). what names it. */
int qn_osv_parse(const uint8_t *buf, size_t len, size_t max_len, const char *what, qn_vuln_sink *sink, qn_error **err);

/* The same over a parsed document (a folder tree's files are parsed once, then dispatched). */
int qn_osv_parse_json(const json_t *j, const char *what, qn_vuln_sink *sink, qn_error **err);
int qn_secdb_parse_json(const json_t *j, qn_vuln_sink *sink, qn_error **err);

/* The Debian security tracker JSON. Walks the top-level object one package at a time (the
 * document is large; only one package's entry is parsed at once). A document that is not JSON
 * or is truncated fails (-1, err); a package or CVE entry of the wrong shape is skipped through
 * sink->skipped. */
int qn_debtracker_parse(const uint8_t *buf, size_t len, qn_vuln_sink *sink, qn_error **err);
/* Debian release number for a codename ("bookworm" -> "12", "sid" -> "unstable"), or NULL. */
const char *qn_debian_release(const char *codename);

/* One Alpine secdb document. Fails for a document that is not a secdb object; skips malformed
 * package entries through sink->skipped. */
int qn_secdb_parse(const uint8_t *buf, size_t len, qn_vuln_sink *sink, qn_error **err);

/* Walks the members of a top-level JSON object without parsing the values: calls fn with each
 * key (decoded, NUL-terminated) and the raw bytes of its value. fn returns 0 to go on, > 0 to
 * stop, < 0 to fail. Returns 0, or -1 with err (QN_ERR_INPUT) when the text is not a
 * well-formed object (the values are only checked for balanced brackets and strings). */
typedef int (*qn_json_member_fn)(void *ud, const char *key, const uint8_t *val, size_t len, qn_error **err);
int qn_json_members(const uint8_t *buf, size_t len, const char *what, qn_json_member_fn fn, void *ud, qn_error **err);

/* Lookup key of a package name: PEP 503 normal form for PyPI, the name itself otherwise.
 * Caller frees. */
char *qn_vuln_package_key(const char *ecosystem, const char *name);
/* Current UTC time / a time_t as RFC 3339 ("2025-02-12T10:00:00Z") into out. */
const char *qn_vuln_time_str(int64_t t, char out[static 32]);
/* Parses an RFC 3339 / ISO 8601 date or date-time (UTC offset honoured) to a time_t; -1 when it
 * does not parse. */
int64_t qn_vuln_parse_time(const char *s);

/* ---- the writer ---- */

typedef struct qn_vulndb_writer qn_vulndb_writer;

/* Starts a new database next to path (a temporary file in the same folder, registered for removal
 * on signals). When path exists it must be a quench database of this schema version; its sources
 * are copied at commit unless replaced. Returns a writer or NULL with err. */
qn_vulndb_writer *qn_vulndb_writer_new(const char *path, qn_error **err);

typedef struct {
	const char *name;
	const char *kind;
	const char *url;
	const char *etag;
	const char *last_modified;
	const char *data_date; /* when the data itself says nothing: Last-Modified or file time */
	const char *sha256;
} qn_vuln_source_meta;

/* Begins a source (replacing any old one of that name). Two sources of one name in one writer
 * are refused. merge: a record id seen again in this source adds rows to the first (tracker,
 * secdb), else it replaces the earlier record (OSV). */
int qn_vulndb_writer_source_begin(qn_vulndb_writer *w, const qn_vuln_source_meta *m, qn_error **err);
/* Changes the merge mode (per input file). */
void qn_vulndb_writer_set_merge(qn_vulndb_writer *w, bool merge);
/* The sink for the current source. */
qn_vuln_sink *qn_vulndb_writer_sink(qn_vulndb_writer *w);
/* Ends the current source, writing its counts; fills *r (r->name/kind allocated). */
int qn_vulndb_writer_source_end(qn_vulndb_writer *w, qn_vuln_result *r, qn_error **err);
/* Marks an old source as checked now without changes (a 304): copied with fetched_at = now. */
int qn_vulndb_writer_touch(qn_vulndb_writer *w, const char *name, qn_error **err);
/* Skipped entries so far in the current source; strict mode makes the first one fatal. */
void qn_vulndb_writer_set_strict(qn_vulndb_writer *w, bool strict);
/* The first error a strict writer recorded, if any (owned by the writer). */
const qn_error *qn_vulndb_writer_error(const qn_vulndb_writer *w);
/* Copies the old sources that were not replaced, builds the indexes, commits, fsyncs and renames
 * the new file into place. Frees w in every case. Returns 0 or -1 with err. */
int qn_vulndb_writer_commit(qn_vulndb_writer *w, qn_error **err);
/* Abandons the new file (removed). NULL is a no-op. */
void qn_vulndb_writer_free(qn_vulndb_writer *w);

/* meta.schema_version of attached schema `schema` ("main", "old"): the version, 0 when the file
 * has no meta table (not ours), -1 with err for a database error or a file that is not SQLite. */
int qn_vulndb_schema_of(sqlite3 *db, const char *schema, const char *what, qn_error **err);

/* Imports one in-memory feed (zip, OSV record, tracker, secdb; detected) into the writer's
 * current source, with import.c's policy for malformed records. what names it in messages. */
int qn_vuln_import_mem(qn_vulndb_writer *w, const uint8_t *buf, size_t len, const char *what,
		       const qn_vuln_import_opts *o, qn_error **err);

/* Schema DDL shared by the writer and the tests. */
extern const char qn_vulndb_schema_sql[];
extern const char qn_vulndb_index_sql[];

/* Versions lists are stored zlib-compressed (they are most of the data): newline-joined text. */
void qn_vuln_versions_pack(const char *const *v, size_t n, qn_buf *out);
/* Unpacks into text (NUL-separated copy in *text) and an array of pointers into it. Returns 0 or
 * -1 for a corrupt blob. */
int qn_vuln_versions_unpack(const void *blob, size_t len, size_t n, qn_buf *text, qn_ptrvec *vec);

/* Joins strings with '\n' into b (empty array: nothing) / splits such text back (pointers into
 * a copy held by text). */
void qn_vuln_join(qn_buf *b, const char *const *v, size_t n);
void qn_vuln_split(const char *s, qn_buf *text, qn_ptrvec *vec);

/* A SQLite error as a qn_error (QN_ERR_RUNTIME) with context. Returns -1. */
int qn_vuln_sqlite_error(qn_error **err, sqlite3 *db, const char *what);

#endif
