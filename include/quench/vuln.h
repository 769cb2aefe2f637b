/* libquench vuln module: the vulnerability database.
 *
 * An embedded SQLite file (default $XDG_CACHE_HOME/quench/db.sqlite) filled from the real feeds:
 * osv.dev's OSV records (per-ecosystem all.zip, a folder tree, a single file), the Debian
 * security tracker JSON and Alpine secdb JSON. SQLite is reached through this module only: other
 * modules see the plain structs below.
 *
 * Data model. A *source* is one imported input or downloaded feed ("osv/Debian",
 * "debian-tracker", "alpine-secdb/v3.20/main", "file:/abs/path"). A source holds *records* (one
 * per vulnerability id) and each record holds *affected* rows: (ecosystem, release, package) plus
 * either a version interval or an explicit list of versions. The same id may appear in several
 * sources; a matcher decides how to combine them.
 *
 * Writing never modifies a database in place: imports and updates build a new file next to the
 * target (copying the sources they do not replace) and rename it into place, so a failed or
 * interrupted run leaves the previous database as it was. See docs/vulndb.md.
 */
#ifndef QUENCH_VULN_H
#define QUENCH_VULN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QN_VULNDB_SCHEMA_VERSION 1

typedef enum {
	QN_VULN_AFFECTED = 1,     /* affected and no fix known (yet) in this release */
	QN_VULN_FIXED = 2,        /* fixed in `fixed` (versions below it are affected) */
	QN_VULN_WILL_NOT_FIX = 3, /* affected; the distribution decided not to fix it (Debian
				   * no-dsa "ignored", end-of-life) */
} qn_vuln_status;

/* "affected", "fixed", "will_not_fix". */
const char *qn_vuln_status_name(qn_vuln_status s);

/* One vulnerability record. All strings may be NULL except id; arrays may be empty. In lookups
 * and qn_vulndb_get the strings belong to the database and are valid only during the callback. */
typedef struct {
	const char *id;        /* "CVE-2023-4911", "DSA-5514-1", "GHSA-..." */
	const char *source;    /* name of the source it came from (set by the store, not parsers) */
	const char *summary;   /* one line */
	const char *details;   /* free text (OSV details, the tracker's description) */
	const char *published; /* RFC 3339 as the feed gives it */
	const char *modified;
	const char *const *aliases; /* same vulnerability under other ids */
	size_t n_aliases;
	const char *const *related; /* related ids (a DSA's CVEs, a CVE's DSAs) */
	size_t n_related;
	const char *const *upstream; /* OSV "upstream" ids */
	size_t n_upstream;
	const char *const *refs; /* reference URLs */
	size_t n_refs;
	double cvss3_score;       /* CVSS 3.x base score computed from cvss3_vector; < 0: none */
	const char *cvss3_vector; /* "CVSS:3.1/AV:N/..." */
	const char *cvss4_vector; /* "CVSS:4.0/..." (stored; no score is computed) */
	const char *severity;     /* the feed's own label when it has one (GHSA "HIGH"), else NULL */
} qn_vuln_record;

/* One affected row. A row with n_versions > 0 matches exactly those versions and has no interval
 * fields. Otherwise it is an interval: versions >= introduced (NULL or "0": from the first) and
 * < fixed (when set) and <= last_affected (when set) and < limit (when set). The comparison
 * rules belong to the ecosystem (dpkg, apk, PEP 440, ...): this module stores no ordering. */
typedef struct {
	const char *vuln_id;
	const char *ecosystem; /* "Debian", "Alpine", "PyPI", "npm", "Go", "Maven", "Ubuntu", ... */
	const char *release;   /* "12", "3.20", "unstable", "edge"; "" when the ecosystem has none */
	const char *package;   /* as the feed names it: Debian SOURCE package, Alpine origin */
	const char *introduced;
	const char *fixed; /* NULL: not fixed */
	const char *last_affected;
	const char *limit;
	const char *const *versions; /* explicit affected versions (OSV "versions") */
	size_t n_versions;
	qn_vuln_status status;
	const char *urgency;          /* Debian tracker urgency ("low", "unimportant", "end-of-life", ...) */
	const qn_vuln_record *record; /* lookups: the record's id, source, summary and severity
				       * (its arrays are empty); NULL from parsers */
} qn_vuln_affected;

/* ---- reading ---- */

typedef struct qn_vulndb qn_vulndb;

/* The default database path: $XDG_CACHE_HOME/quench/db.sqlite, else ~/.cache/quench/db.sqlite.
 * Caller frees. Returns NULL with err when neither XDG_CACHE_HOME nor HOME is set. */
char *qn_vulndb_default_path(qn_error **err);

/* Opens a database read-only. A missing file is QN_ERR_NOTFOUND; a file that is not a quench
 * database, or one of another schema version, is QN_ERR_INPUT. Keeps nothing of path's memory.
 * Returns a handle (qn_vulndb_close) or NULL with err set. */
qn_vulndb *qn_vulndb_open(const char *path, qn_error **err);
/* Closes the handle; NULL is a no-op. */
void qn_vulndb_close(qn_vulndb *db);
/* The path the database was opened with (owned by the handle). */
const char *qn_vulndb_path(const qn_vulndb *db);

/* Called once per affected row. Return 0 to go on, > 0 to stop early (the lookup then returns 0),
 * < 0 to fail (set err; the lookup returns -1). The row and its strings are valid only during
 * the call. */
typedef int (*qn_vuln_affected_fn)(void *ud, const qn_vuln_affected *a, qn_error **err);

/* Every affected row for (ecosystem, release, package), ordered by vulnerability id then source.
 * release "" (or NULL) for ecosystems without releases. Ecosystem names are osv.dev's ("Debian",
 * "Alpine", "PyPI", "npm", "Go", "Maven"); Alpine releases are stored without "v" ("3.20"; a
 * "v3.20" argument is accepted). PyPI names are
 * compared in PEP 503 normal form; all other names exactly. Uses one index range scan. Returns 0
 * or -1 with err set (database errors are QN_ERR_RUNTIME). */
int qn_vulndb_lookup(qn_vulndb *db, const char *ecosystem, const char *release, const char *package,
		     qn_vuln_affected_fn fn, void *ud, qn_error **err);

typedef int (*qn_vuln_record_fn)(void *ud, const qn_vuln_record *r, qn_error **err);
/* Every stored record with this id (one per source that has it), with all fields filled. Callback
 * contract as for lookups. Returns the number of records found (0: none) or -1 with err set. */
int qn_vulndb_get(qn_vulndb *db, const char *id, qn_vuln_record_fn fn, void *ud, qn_error **err);

/* One source as the sources table records it. Times are RFC 3339 UTC strings or NULL. */
typedef struct {
	char *name;       /* "osv/Debian", "debian-tracker", "alpine-secdb/v3.20/main", "file:..." */
	char *kind;       /* "osv", "debian-tracker", "alpine-secdb", "mixed" */
	char *url;        /* where it came from (a URL, or file:PATH for imports) */
	char *fetched_at; /* when it was last fetched or checked (a 304 counts) */
	char *changed_at; /* when its content last changed (imported / 200) */
	char *etag;       /* the server's validators, for conditional requests */
	char *last_modified;
	char *newest;      /* newest record date in the data (OSV modified), or NULL */
	char *data_date;   /* how old the data is: newest, else Last-Modified/file time, else changed_at */
	char *sha256;      /* digest of the bytes imported (the feed file), or NULL for folders */
	int64_t data_time; /* data_date in seconds since the epoch, or -1 when unknown */
	uint64_t records;  /* vulnerability records */
	uint64_t affected; /* affected rows */
	uint64_t skipped;  /* malformed entries skipped with a warning during import */
} qn_vuln_source;

/* All sources ordered by name. On success *out is a new array of *n entries
 * (qn_vuln_sources_free). Returns 0 or -1 with err. */
int qn_vulndb_sources(qn_vulndb *db, qn_vuln_source **out, size_t *n, qn_error **err);
void qn_vuln_sources_free(qn_vuln_source *s, size_t n);

typedef struct {
	int schema_version;
	char *created_at; /* RFC 3339 UTC */
	char *updated_at;
	char *quench_version; /* of the quench that last wrote it */
	uint64_t file_size;   /* bytes on disk */
	uint64_t records;     /* over all sources */
	uint64_t affected;
} qn_vulndb_info;
/* Fills *out (qn_vulndb_info_clear). Returns 0 or -1 with err. */
int qn_vulndb_get_info(qn_vulndb *db, qn_vulndb_info *out, qn_error **err);
void qn_vulndb_info_clear(qn_vulndb_info *i);

/* ---- importing ---- */

typedef struct {
	/* Put every input into this one source instead of one source per input ("file:REALPATH"). */
	const char *source;
	/* Abort on the first malformed record instead of skipping it with a warning. */
	bool strict;
	/* Largest single input file and largest single OSV record (0: defaults 4 GiB and 32 MiB). */
	uint64_t max_file_size;
	uint64_t max_record_size;
} qn_vuln_import_opts;

/* What happened to one source during an import or update. */
typedef struct {
	char *name;
	char *kind;
	const char *action; /* "imported", "updated", "not modified" (static strings) */
	uint64_t records;
	uint64_t affected;
	uint64_t skipped;
	uint64_t bytes; /* bytes read or downloaded (0 for a 304) */
} qn_vuln_result;

typedef struct {
	qn_vuln_result *v;
	size_t n;
} qn_vuln_results;
void qn_vuln_results_clear(qn_vuln_results *r);

/* Imports each path into the database at db_path (created, with its folder, when missing). A
 * path is an OSV folder tree (every *.json under it, recursively, symlinks not followed), an
 * OSV all.zip, a single OSV record, the Debian tracker JSON, or an Alpine secdb file; the format
 * is detected from the content, never the name. Each path replaces the source of the same name
 * and every other source is kept. All or nothing: on failure (or a signal, through
 * qn_cleanup_register) the previous database is left untouched and no temporary file remains.
 * Malformed records are skipped with a warning and counted unless o->strict (docs/vulndb.md).
 * On success fills *res (qn_vuln_results_clear). Returns 0 or -1 with err. */
int qn_vulndb_import(const char *db_path, const char *const *paths, size_t n_paths, const qn_vuln_import_opts *o,
		     qn_vuln_results *res, qn_error **err);

/* ---- downloading ---- */

/* Which feeds `update` downloads and from where; filled from defaults, a config file and
 * command-line settings, all through the same keys (docs/vulndb.md lists them). */
typedef struct {
	char *osv_url;            /* base: <osv_url>/<Ecosystem>/all.zip */
	char *debian_tracker_url; /* the tracker JSON itself */
	char *alpine_secdb_url;   /* base: <url>/<release>/<repo>.json */
	char *mirror;             /* when set, replaces the scheme and host of all three */
	char **osv_ecosystems;    /* default Debian Alpine PyPI npm Go Maven */
	size_t n_osv_ecosystems;
	char **alpine_releases; /* default v3.19 .. v3.22, edge */
	size_t n_alpine_releases;
	char **alpine_repos; /* default main community */
	size_t n_alpine_repos;
	bool osv, debian_tracker, alpine_secdb; /* which feed families are enabled */
	uint64_t max_size;                      /* per download (default 2 GiB) */
	long timeout;                           /* seconds per attempt (default 600) */
	long connect_timeout;                   /* seconds (default 30) */
	int retries;                            /* extra attempts on 5xx, 408, 429 and network errors (default 4) */
	double retry_delay;                     /* seconds before the first retry, doubled each time (default 1) */
} qn_vuln_feeds;

/* Defaults. */
void qn_vuln_feeds_init(qn_vuln_feeds *f);
void qn_vuln_feeds_clear(qn_vuln_feeds *f);
/* Sets one key ("mirror", "osv-ecosystems", "timeout", ...). Unknown keys and bad values are
 * QN_ERR_USAGE. Returns 0 or -1 with err. */
int qn_vuln_feeds_set(qn_vuln_feeds *f, const char *key, const char *value, qn_error **err);
/* Reads the [db] section of an INI-style config file ("key = value", '#' comments). A missing
 * file is fine unless must_exist. Other sections are ignored. Returns 0 or -1 with err. */
int qn_vuln_feeds_load(qn_vuln_feeds *f, const char *path, bool must_exist, qn_error **err);
/* The same for the len bytes of such a file; name is what errors call it. */
int qn_vuln_feeds_parse(qn_vuln_feeds *f, const char *text, size_t len, const char *name, qn_error **err);
/* The default config path: $XDG_CONFIG_HOME/quench/config, else ~/.config/quench/config, or
 * NULL when neither is set. Caller frees. */
char *qn_vuln_config_default_path(void);

/* Downloads every enabled feed (conditional requests from the sources table; a 304 keeps the
 * stored data), then rebuilds the database with the changed feeds replaced. All or nothing, like
 * qn_vulndb_import: any failed download or malformed feed leaves the database byte-identical.
 * Network errors are QN_ERR_RUNTIME; malformed feeds QN_ERR_INPUT/QN_ERR_LIMIT. On success fills
 * *res (qn_vuln_results_clear). */
int qn_vulndb_update(const char *db_path, const qn_vuln_feeds *f, qn_vuln_results *res, qn_error **err);

/* ---- CVSS ---- */

/* The CVSS v3.0/v3.1 base score of a vector ("CVSS:3.1/AV:N/AC:L/..."), computed per the CVSS 3.1
 * specification (section 7 formulas and its Roundup). Temporal and environmental metrics are
 * accepted and ignored. Returns the score (0.0 .. 10.0) or -1 for a malformed vector (a missing,
 * repeated or unknown metric or value). */
double qn_cvss3_base_score(const char *vector);
/* "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL" for a score (the CVSS 3.x rating scale). */
const char *qn_cvss3_rating(double score);

#ifdef __cplusplus
}
#endif
#endif
