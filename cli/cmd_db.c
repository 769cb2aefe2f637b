/* quench db: the vulnerability database. `update` downloads the live feeds, `import` reads local
 * feed files, `status` describes the database and warns when its data is old, and `lookup` /
 * `show` query it (for people and tests). Option parsing, output and exit codes only: the work
 * is in lib/vuln. */
#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "quench/vuln.h"
#include "util/json.h"

static const char *help_db = "Usage: quench db COMMAND [OPTIONS]\n\n"
			     "The vulnerability database: an SQLite file, by default $XDG_CACHE_HOME/quench/db.sqlite\n"
			     "(~/.cache/quench/db.sqlite). Every command takes --db FILE to use another one.\n\n"
			     "Commands:\n"
			     "  update     download the live feeds (osv.dev, Debian security tracker, Alpine secdb)\n"
			     "  import     import local feed files: OSV folders, all.zip, tracker JSON, secdb JSON\n"
			     "  status     sources, record counts, data age, size and schema version\n"
			     "  lookup     affected rows for (ECOSYSTEM, RELEASE, PACKAGE...)\n"
			     "  show       every stored record with an id\n\n"
			     "Run 'quench db COMMAND --help' for a command's options. See docs/vulndb.md.\n";

static const char *help_update =
    "Usage: quench db update [OPTIONS]\n\n"
    "Download the feeds and rebuild the database: osv.dev's per-ecosystem all.zip\n"
    "(<osv-url>/<Ecosystem>/all.zip), the Debian security tracker JSON and Alpine secdb\n"
    "(<alpine-secdb-url>/<release>/<repo>.json). Requests are conditional (ETag /\n"
    "Last-Modified from the last run): a feed answered with 304 keeps its stored data.\n"
    "Server errors and timeouts are retried with exponential backoff. All or nothing: when a\n"
    "download or a feed fails, the database is left exactly as it was.\n\n"
    "Options:\n"
    "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite)\n"
    "      --config FILE        read settings from the [db] section of FILE (default\n"
    "                           $XDG_CONFIG_HOME/quench/config, ~/.config/quench/config, if present)\n"
    "      --mirror URL         a base URL replacing every feed's scheme and host (same paths)\n"
    "      --ecosystems LIST    osv.dev ecosystems (default: Debian Alpine PyPI npm Go Maven)\n"
    "      --feeds LIST         feed families (default: osv debian-tracker alpine-secdb)\n"
    "      --set KEY=VALUE      any config setting (repeatable; see below)\n"
    "      --json               print the result as JSON\n"
    "  -h, --help               this help\n\n"
    "Settings (config file keys, also for --set): mirror, osv-url, debian-tracker-url,\n"
    "alpine-secdb-url, osv-ecosystems, alpine-releases (default v3.19 v3.20 v3.21 v3.22 edge),\n"
    "alpine-repos (default main community), feeds, max-size (per download, default 2G),\n"
    "timeout (seconds per attempt, 600), connect-timeout (30), retries (4), retry-delay\n"
    "(seconds before the first retry, doubled each time, 1). Lists are space- or\n"
    "comma-separated.\n\n"
    "Exit codes: 0 ok, 2 bad settings or a malformed feed, 3 network or disk failure.\n";

static const char *help_import =
    "Usage: quench db import [OPTIONS] PATH...\n\n"
    "Import local feed files. Each PATH is detected by its content, not its name:\n"
    "  a folder       every *.json below it (recursively; symlinks and dot-files skipped),\n"
    "                 each an OSV record (osv.dev's layout, schema 1.6)\n"
    "  an OSV zip     osv.dev's per-ecosystem all.zip\n"
    "  an OSV record  a single OSV JSON file\n"
    "  tracker JSON   https://security-tracker.debian.org/tracker/data/json\n"
    "  secdb JSON     an Alpine secdb file (secdb.alpinelinux.org/<release>/<repo>.json)\n"
    "Compressed archives (.tar.xz, .gz) must be unpacked first (e.g. tar -xJf).\n\n"
    "Each PATH becomes the source \"file:<absolute path>\", replacing an earlier import of\n"
    "the same path; other sources are kept. Inside a folder or zip, a malformed record (bad\n"
    "JSON, wrong types, over the size or depth limits) is skipped with a warning and counted;\n"
    "a damaged zip or tracker document, or a malformed single-record PATH, aborts the import.\n"
    "All or nothing: on any failure or interruption the database is left as it was.\n\n"
    "Options:\n"
    "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite)\n"
    "      --source NAME        import every PATH into one source NAME (e.g. osv/Debian, to\n"
    "                           replace what 'update' downloaded)\n"
    "      --strict             abort on the first malformed record instead of skipping it\n"
    "      --max-record-size SIZE  largest OSV record or zip member (default 32M)\n"
    "      --json               print the result as JSON\n"
    "  -h, --help               this help\n\n"
    "Exit codes: 0 ok, 2 bad input (unrecognised or malformed feed, --strict skip), 3 I/O failure.\n";

static const char *help_status =
    "Usage: quench db status [OPTIONS]\n\n"
    "Show the database: path, size, schema version, and for each source its kind, record and\n"
    "affected-row counts, skipped entries, when it was fetched and how old its data is (the\n"
    "newest record date, else the server's Last-Modified or the file's time). Warns on stderr\n"
    "when a source's data is older than --max-age days; the exit code stays 0.\n\n"
    "Options:\n"
    "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite)\n"
    "      --max-age DAYS       warn about data older than DAYS (default 7)\n"
    "      --json               print a JSON document instead of a table\n"
    "  -h, --help               this help\n\n"
    "Exit codes: 0 ok, 2 no database or not a quench database, 3 read failure.\n";

static const char *help_lookup =
    "Usage: quench db lookup [OPTIONS] ECOSYSTEM RELEASE PACKAGE...\n\n"
    "Print the stored affected rows for each PACKAGE (\"-\": read names from stdin, one per\n"
    "line). ECOSYSTEM and RELEASE as osv.dev names them: Debian 12, Alpine 3.20, PyPI \"\".\n"
    "Debian packages are SOURCE packages. No version matching is done here.\n\n"
    "Options:\n"
    "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite)\n"
    "      --json               one JSON document\n"
    "      --count              print only the number of rows per package\n"
    "  -h, --help               this help\n";

static const char *help_show = "Usage: quench db show [OPTIONS] ID...\n\n"
			       "Print every stored record with each ID (one per source), as JSON.\n\n"
			       "Options:\n"
			       "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite)\n"
			       "  -h, --help               this help\n\nExit codes: 0 found, 2 an ID is not stored.\n";

enum {
	OPT_DB = 2000,
	OPT_CONFIG,
	OPT_MIRROR,
	OPT_ECOS,
	OPT_FEEDS,
	OPT_SET,
	OPT_JSON,
	OPT_SOURCE,
	OPT_STRICT,
	OPT_MAX_RECORD,
	OPT_MAX_AGE,
	OPT_COUNT
};

/* Pretty JSON to stdout. Reals get 6 significant digits: a CVSS score of 7.8 prints as 7.8, not
 * as the nearest double's 17 digits. */
static void print_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	if (s)
		printf("%s\n", s);
	free(s);
}

/* --db, else the default path; create_dir makes the default folder (never a --db one). */
static char *db_path(const char *opt, bool create_dir, qn_error **err)
{
	if (opt)
		return xstrdup(opt);
	char *p = qn_vulndb_default_path(err);
	if (!p || !create_dir)
		return p;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int rc = mkdir(p, 0755);
		int e = errno;
		*s = '/';
		if (rc < 0 && e != EEXIST) {
			qn_error_errno(err, e, "%s: cannot create its folder", p);
			free(p);
			return NULL;
		}
	}
	return p;
}

static void print_results(const char *path, const qn_vuln_results *r, bool json)
{
	if (json) {
		json_t *doc = json_object(), *arr = json_array();
		qn_json_set_str(doc, "database", path);
		for (size_t i = 0; i < r->n; i++) {
			json_t *o = json_object();
			qn_json_set_str(o, "name", r->v[i].name);
			qn_json_set_str(o, "kind", r->v[i].kind);
			qn_json_set_str(o, "action", r->v[i].action);
			qn_json_set_int(o, "records", (long long)r->v[i].records);
			qn_json_set_int(o, "affected", (long long)r->v[i].affected);
			qn_json_set_int(o, "skipped", (long long)r->v[i].skipped);
			qn_json_set_int(o, "bytes", (long long)r->v[i].bytes);
			json_array_append_new(arr, o);
		}
		json_object_set_new(doc, "sources", arr);
		print_json(doc);
		json_decref(doc);
		return;
	}
	printf("%-40s %-14s %9s %9s %8s\n", "SOURCE", "ACTION", "RECORDS", "AFFECTED", "SKIPPED");
	for (size_t i = 0; i < r->n; i++)
		printf("%-40s %-14s %9llu %9llu %8llu\n", r->v[i].name, r->v[i].action,
		       (unsigned long long)r->v[i].records, (unsigned long long)r->v[i].affected,
		       (unsigned long long)r->v[i].skipped);
	printf("database: %s\n", path);
}

typedef struct {
	const char *db, *config;
	bool json;
	qn_ptrvec sets; /* "key=value" settings applied after the config file, in order */
} update_opts;

/* Returns 0, -1 after --help (exit 0) or -2 after a usage error (exit 2). */
static int update_options(int argc, char **argv, update_opts *o)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"mirror", required_argument, NULL, OPT_MIRROR},
	    {"ecosystems", required_argument, NULL, OPT_ECOS},
	    {"feeds", required_argument, NULL, OPT_FEEDS},
	    {"set", required_argument, NULL, OPT_SET},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *kv = NULL;
		switch (c) {
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_MIRROR:
			kv = xasprintf("mirror=%s", optarg);
			break;
		case OPT_ECOS:
			kv = xasprintf("osv-ecosystems=%s", optarg);
			break;
		case OPT_FEEDS:
			kv = xasprintf("feeds=%s", optarg);
			break;
		case OPT_SET:
			if (!strchr(optarg, '='))
				return qn_cli_usage_error("db update", "--set: want KEY=VALUE, got \"%s\"", optarg), -2;
			kv = xstrdup(optarg);
			break;
		case 'h':
			fputs(help_update, stdout);
			return -1;
		default:
			return qn_cli_usage_error("db update", "unknown option"), -2;
		}
		if (kv)
			qn_ptrvec_push(&o->sets, kv);
	}
	if (optind != argc)
		return qn_cli_usage_error("db update", "unexpected argument \"%s\"", argv[optind]), -2;
	return 0;
}

/* Defaults, then the config file (a missing default one is fine), then the options. */
static int load_feeds(qn_vuln_feeds *f, const update_opts *o, qn_error **err)
{
	_cleanup_free_ char *dflt = o->config ? NULL : qn_vuln_config_default_path();
	const char *cfg = o->config ? o->config : dflt;
	if (cfg && qn_vuln_feeds_load(f, cfg, o->config != NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < o->sets.n; i++) {
		char *kv = o->sets.v[i], *eq = strchr(kv, '=');
		*eq = 0;
		if (qn_vuln_feeds_set(f, kv, eq + 1, err) < 0)
			return -1;
	}
	return 0;
}

static int cmd_update(int argc, char **argv)
{
	update_opts o = {0};
	int r = update_options(argc, argv, &o);
	if (r < 0) {
		qn_ptrvec_clear(&o.sets, free);
		return r == -1 ? QN_EXIT_OK : QN_EXIT_USAGE;
	}
	qn_error *err = NULL;
	qn_vuln_feeds f;
	qn_vuln_feeds_init(&f);
	qn_vuln_results res = {0};
	char *path = NULL;
	int rc = load_feeds(&f, &o, &err);
	if (rc == 0)
		rc = (path = db_path(o.db, true, &err)) ? 0 : -1;
	if (rc == 0)
		rc = qn_vulndb_update(path, &f, &res, &err);
	qn_vuln_feeds_clear(&f);
	qn_ptrvec_clear(&o.sets, free);
	if (rc == 0)
		print_results(path, &res, o.json);
	qn_vuln_results_clear(&res);
	free(path);
	return rc < 0 ? qn_cli_fail(err) : QN_EXIT_OK;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"strict", no_argument, NULL, OPT_STRICT},
	    {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	bool json = false;
	qn_vuln_import_opts o = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			db = optarg;
			break;
		case OPT_SOURCE:
			if (!*optarg || strchr(optarg, '\n'))
				return qn_cli_usage_error("db import", "--source: want a one-line name");
			o.source = optarg;
			break;
		case OPT_STRICT:
			o.strict = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_MAX_RECORD:
			if (qn_parse_size(optarg, &o.max_record_size) < 0 || o.max_record_size == 0 ||
			    o.max_record_size > (1ULL << 31))
				return qn_cli_usage_error("db import", "--max-record-size: bad size \"%s\"", optarg);
			break;
		case 'h':
			fputs(help_import, stdout);
			return QN_EXIT_OK;
		default:
			return qn_cli_usage_error("db import", "unknown option");
		}
	}
	if (optind >= argc)
		return qn_cli_usage_error("db import", "expected at least one PATH");
	qn_error *err = NULL;
	_cleanup_free_ char *path = db_path(db, true, &err);
	if (!path)
		return qn_cli_fail(err);
	qn_vuln_results res = {0};
	double t0 = qn_now();
	if (qn_vulndb_import(path, (const char *const *)argv + optind, (size_t)(argc - optind), &o, &res, &err) < 0)
		return qn_cli_fail(err);
	qn_info("import took %.2f s", qn_now() - t0);
	print_results(path, &res, json);
	qn_vuln_results_clear(&res);
	return QN_EXIT_OK;
}

static json_t *source_json(const qn_vuln_source *s, double age, bool stale)
{
	json_t *o = json_object();
	qn_json_set_str(o, "name", s->name);
	qn_json_set_str(o, "kind", s->kind);
	qn_json_set_str(o, "url", s->url);
	qn_json_set_str(o, "fetched_at", s->fetched_at);
	qn_json_set_str(o, "changed_at", s->changed_at);
	qn_json_set_str(o, "etag", s->etag);
	qn_json_set_str(o, "last_modified", s->last_modified);
	qn_json_set_str(o, "newest", s->newest);
	qn_json_set_str(o, "data_date", s->data_date);
	qn_json_set_str(o, "sha256", s->sha256);
	qn_json_set_int(o, "records", (long long)s->records);
	qn_json_set_int(o, "affected", (long long)s->affected);
	qn_json_set_int(o, "skipped", (long long)s->skipped);
	json_object_set_new(o, "age_days", age >= 0 ? json_real((double)(long long)(age * 10) / 10) : json_null());
	json_object_set_new(o, "stale", json_boolean(stale));
	return o;
}

static json_t *info_json(const char *path, const qn_vulndb_info *in)
{
	json_t *d = json_object();
	qn_json_set_str(d, "path", path);
	qn_json_set_int(d, "schema_version", in->schema_version);
	qn_json_set_int(d, "size", (long long)in->file_size);
	qn_json_set_str(d, "created_at", in->created_at);
	qn_json_set_str(d, "updated_at", in->updated_at);
	qn_json_set_str(d, "quench_version", in->quench_version);
	qn_json_set_int(d, "records", (long long)in->records);
	qn_json_set_int(d, "affected", (long long)in->affected);
	return d;
}

static void print_status_table(const char *path, const qn_vulndb_info *in, const qn_vuln_source *src, size_t n,
			       const double *age)
{
	char sz[16];
	printf("Database    %s\n", path);
	printf("Schema      %d (written by quench %s, updated %s)\n", in->schema_version,
	       in->quench_version ? in->quench_version : "?", in->updated_at ? in->updated_at : "?");
	printf("Size        %s\n", qn_fmt_size(in->file_size, sz));
	printf("Contents    %llu records, %llu affected rows, %zu sources\n\n", (unsigned long long)in->records,
	       (unsigned long long)in->affected, n);
	printf("%-40s %-14s %8s %9s %7s  %-20s  %-20s %s\n", "SOURCE", "KIND", "RECORDS", "AFFECTED", "SKIPPED",
	       "FETCHED", "DATA DATE", "AGE");
	for (size_t i = 0; i < n; i++) {
		char a[32] = "?";
		if (age[i] >= 0)
			snprintf(a, sizeof(a), "%.0fd", age[i]);
		printf("%-40s %-14s %8llu %9llu %7llu  %-20s  %-20s %s\n", src[i].name, src[i].kind,
		       (unsigned long long)src[i].records, (unsigned long long)src[i].affected,
		       (unsigned long long)src[i].skipped, src[i].fetched_at ? src[i].fetched_at : "-",
		       src[i].data_date ? src[i].data_date : "-", a);
	}
}

static int status_report(const char *path, qn_vulndb *db, double max_age, bool json, qn_error **err)
{
	qn_vulndb_info in;
	qn_vuln_source *src = NULL;
	size_t n = 0;
	if (qn_vulndb_get_info(db, &in, err) < 0)
		return -1;
	if (qn_vulndb_sources(db, &src, &n, err) < 0) {
		qn_vulndb_info_clear(&in);
		return -1;
	}
	time_t now = time(NULL);
	double *age = xcalloc(n ? n : 1, sizeof(double));
	bool any_stale = false;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		age[i] = src[i].data_time >= 0 ? (double)(now - src[i].data_time) / 86400.0 : -1;
		any_stale |= age[i] > max_age;
		json_array_append_new(arr, source_json(&src[i], age[i], age[i] > max_age));
	}
	if (json) {
		json_t *doc = json_object();
		json_object_set_new(doc, "database", info_json(path, &in));
		json_object_set_new(doc, "sources", arr);
		json_object_set_new(doc, "max_age_days", json_real(max_age));
		json_object_set_new(doc, "stale", json_boolean(any_stale));
		print_json(doc);
		json_decref(doc);
	} else {
		json_decref(arr);
		print_status_table(path, &in, src, n, age);
	}
	/* Warnings after the report, so that on a terminal they are the last thing read. */
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		if (age[i] > max_age)
			qn_warn("source %s: data is %.0f days old (older than %g); run 'quench db update'", src[i].name,
				age[i], max_age);
	if (n == 0)
		qn_warn("%s: the database has no sources", path);
	free(age);
	qn_vuln_sources_free(src, n);
	qn_vulndb_info_clear(&in);
	return 0;
}

/* Shared option loop for the read-only commands. Returns -1 after --help (exit 0), -2 on a
 * usage error (exit 2), else optind. */
typedef struct {
	const char *db;
	bool json, count;
	double max_age;
} read_opts;

static int read_options(const char *cmd, const char *help, int argc, char **argv, read_opts *o)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"max-age", required_argument, NULL, OPT_MAX_AGE},
	    {"count", no_argument, NULL, OPT_COUNT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	o->max_age = 7;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_COUNT:
			o->count = true;
			break;
		case OPT_MAX_AGE:
			if (qn_parse_double(optarg, 0, 1e6, &o->max_age) < 0)
				return qn_cli_usage_error(cmd, "--max-age: want a number of days, got \"%s\"", optarg),
				       -2;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return qn_cli_usage_error(cmd, "unknown option"), -2;
		}
	}
	return optind;
}

static qn_vulndb *open_db(const read_opts *o, char **path, qn_error **err)
{
	*path = db_path(o->db, false, err);
	return *path ? qn_vulndb_open(*path, err) : NULL;
}

static int cmd_status(int argc, char **argv)
{
	read_opts o = {0};
	int i = read_options("db status", help_status, argc, argv, &o);
	if (i < 0)
		return i == -1 ? QN_EXIT_OK : QN_EXIT_USAGE;
	if (o.count || i != argc)
		return qn_cli_usage_error("db status", "unexpected argument");
	qn_error *err = NULL;
	_cleanup_free_ char *path = NULL;
	qn_vulndb *db = open_db(&o, &path, &err);
	if (!db || status_report(path, db, o.max_age, o.json, &err) < 0) {
		qn_vulndb_close(db);
		return qn_cli_fail(err);
	}
	qn_vulndb_close(db);
	return QN_EXIT_OK;
}

typedef struct {
	FILE *f;
	json_t *arr;
	size_t n;
	bool count;
} lookup_out;

static json_t *affected_json(const qn_vuln_affected *a)
{
	json_t *o = json_object();
	qn_json_set_str(o, "id", a->vuln_id);
	qn_json_set_str(o, "source", a->record->source);
	qn_json_set_str(o, "ecosystem", a->ecosystem);
	qn_json_set_str(o, "release", a->release);
	qn_json_set_str(o, "package", a->package);
	qn_json_set_str(o, "status", qn_vuln_status_name(a->status));
	qn_json_set_str(o, "introduced", a->introduced);
	qn_json_set_str(o, "fixed", a->fixed);
	qn_json_set_str(o, "last_affected", a->last_affected);
	qn_json_set_str(o, "limit", a->limit);
	if (a->n_versions) {
		json_t *v = json_array();
		for (size_t i = 0; i < a->n_versions; i++)
			json_array_append_new(v, qn_json_string(a->versions[i]));
		json_object_set_new(o, "versions", v);
	}
	qn_json_set_str(o, "urgency", a->urgency);
	qn_json_set_str(o, "cvss3_vector", a->record->cvss3_vector);
	json_object_set_new(o, "cvss3_score",
			    a->record->cvss3_score >= 0 ? json_real(a->record->cvss3_score) : json_null());
	qn_json_set_str(o, "severity", a->record->severity);
	return o;
}

static int on_affected(void *ud, const qn_vuln_affected *a, qn_error **err)
{
	(void)err;
	lookup_out *o = ud;
	o->n++;
	if (o->count)
		return 0;
	if (o->arr) {
		json_array_append_new(o->arr, affected_json(a));
		return 0;
	}
	char score[16] = "-";
	if (a->record->cvss3_score >= 0)
		snprintf(score, sizeof(score), "%.1f", a->record->cvss3_score);
	fprintf(o->f, "%-20s %-30s %-20s %-13s %-30s %-18s %s\n", a->vuln_id, a->record->source, a->package,
		qn_vuln_status_name(a->status),
		a->fixed        ? a->fixed
		: a->n_versions ? "(versions list)"
				: "-",
		a->urgency ? a->urgency : "-", score);
	return 0;
}

static int lookup_one(qn_vulndb *db, const char *eco, const char *rel, const char *pkg, lookup_out *o, qn_error **err)
{
	size_t before = o->n;
	if (qn_vulndb_lookup(db, eco, rel, pkg, on_affected, o, err) < 0)
		return -1;
	if (o->count)
		printf("%s\t%zu\n", pkg, o->n - before);
	return 0;
}

static int lookup_all(qn_vulndb *db, char **argv, int argc, int i, lookup_out *out, qn_error **err)
{
	for (int k = i + 2; k < argc; k++) {
		if (strcmp(argv[k], "-") != 0) {
			if (lookup_one(db, argv[i], argv[i + 1], argv[k], out, err) < 0)
				return -1;
			continue;
		}
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, stdin)) > 0) {
			while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = 0;
			if (n && lookup_one(db, argv[i], argv[i + 1], line, out, err) < 0) {
				free(line);
				return -1;
			}
		}
		free(line);
	}
	return 0;
}

static int cmd_lookup(int argc, char **argv)
{
	read_opts o = {0};
	int i = read_options("db lookup", help_lookup, argc, argv, &o);
	if (i < 0)
		return i == -1 ? QN_EXIT_OK : QN_EXIT_USAGE;
	if (argc - i < 3)
		return qn_cli_usage_error("db lookup", "expected ECOSYSTEM RELEASE PACKAGE...");
	qn_error *err = NULL;
	_cleanup_free_ char *path = NULL;
	qn_vulndb *db = open_db(&o, &path, &err);
	if (!db)
		return qn_cli_fail(err);
	lookup_out out = {.f = stdout, .arr = o.json && !o.count ? json_array() : NULL, .count = o.count};
	double t0 = qn_now();
	int rc = lookup_all(db, argv, argc, i, &out, &err);
	qn_info("%zu rows in %.1f ms", out.n, (qn_now() - t0) * 1000);
	if (rc == 0 && out.arr) {
		print_json(out.arr);
	}
	json_decref(out.arr);
	qn_vulndb_close(db);
	return rc < 0 ? qn_cli_fail(err) : QN_EXIT_OK;
}

static json_t *strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, qn_json_string(v[i]));
	return a;
}

static int on_record(void *ud, const qn_vuln_record *r, qn_error **err)
{
	(void)err;
	json_t *o = json_object();
	qn_json_set_str(o, "id", r->id);
	qn_json_set_str(o, "source", r->source);
	qn_json_set_str(o, "summary", r->summary);
	qn_json_set_str(o, "details", r->details);
	qn_json_set_str(o, "published", r->published);
	qn_json_set_str(o, "modified", r->modified);
	json_object_set_new(o, "aliases", strings_json(r->aliases, r->n_aliases));
	json_object_set_new(o, "related", strings_json(r->related, r->n_related));
	json_object_set_new(o, "upstream", strings_json(r->upstream, r->n_upstream));
	json_object_set_new(o, "references", strings_json(r->refs, r->n_refs));
	qn_json_set_str(o, "cvss3_vector", r->cvss3_vector);
	json_object_set_new(o, "cvss3_score", r->cvss3_score >= 0 ? json_real(r->cvss3_score) : json_null());
	qn_json_set_str(o, "cvss4_vector", r->cvss4_vector);
	qn_json_set_str(o, "severity", r->severity);
	json_array_append_new(ud, o);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	read_opts o = {0};
	int i = read_options("db show", help_show, argc, argv, &o);
	if (i < 0)
		return i == -1 ? QN_EXIT_OK : QN_EXIT_USAGE;
	if (i >= argc)
		return qn_cli_usage_error("db show", "expected at least one ID");
	qn_error *err = NULL;
	_cleanup_free_ char *path = NULL;
	qn_vulndb *db = open_db(&o, &path, &err);
	if (!db)
		return qn_cli_fail(err);
	json_t *arr = json_array();
	int rc = 0;
	for (int k = i; k < argc && rc >= 0; k++) {
		rc = qn_vulndb_get(db, argv[k], on_record, arr, &err);
		if (rc == 0)
			rc = qn_error_set(&err, QN_ERR_NOTFOUND, "%s: not in the database", argv[k]);
	}
	if (rc >= 0) {
		print_json(arr);
	}
	json_decref(arr);
	qn_vulndb_close(db);
	return rc < 0 ? qn_cli_fail(err) : QN_EXIT_OK;
}

int qn_cmd_db(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} sub[] = {
	    {"update", cmd_update}, {"import", cmd_import}, {"status", cmd_status},
	    {"lookup", cmd_lookup}, {"show", cmd_show},
	};
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help_db, argc < 2 ? stderr : stdout);
		return argc < 2 ? QN_EXIT_USAGE : QN_EXIT_OK;
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(sub); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].run(argc - 1, argv + 1);
	return qn_cli_usage_error("db", "unknown command \"%s\"", argv[1]);
}
