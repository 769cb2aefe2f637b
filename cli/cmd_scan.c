/* quench scan: an image's packages against the vulnerability database, with every finding placed
 * in the base image or the application. Opens the database, the image (and --base, of which only
 * the config is read), the VEX document; qn_scan_image does the work; this file prints the table,
 * JSON, SARIF or CycloneDX and turns --fail-on into the exit code. */
#include <stdlib.h>

#include "cli.h"
#include "quench/scan.h"
#include "util/json.h"

static const char *help =
    "Usage: quench scan [OPTIONS] IMAGE\n\n"
    "Match every package of IMAGE (OS packages and Python, npm, Go, Maven packages) against the\n"
    "vulnerability database and report each finding with its package, installed version, fixed\n"
    "version, status, severity, the layer that introduced the package and whether that layer\n"
    "belongs to the base image (base) or was added on top of it (app).\n\n"
    "Options:\n"
    "      --db FILE            the database (default $XDG_CACHE_HOME/quench/db.sqlite; fill it\n"
    "                           with 'quench db update' or 'quench db import')\n"
    "  -f, --format FORMAT      table (default), json (quench.scan/v1, docs/scan.md), sarif\n"
    "                           (SARIF 2.1.0), cyclonedx (CycloneDX 1.6 with vulnerabilities)\n"
    "  -o, --output FILE        write to FILE (atomically)\n"
    "      --base IMAGE         the base image: its layers must be the first layers of IMAGE;\n"
    "                           without it the org.opencontainers.image.base.* annotations name\n"
    "                           the base, else findings are in layers of unknown kind\n"
    "      --fail-on SEVERITY   exit 1 when a finding not suppressed by VEX is at least SEVERITY\n"
    "                           (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)\n"
    "      --ignore-unfixed     leave out findings without a fixed version\n"
    "      --severity LIST      only these severities (comma-separated, e.g. CRITICAL,HIGH)\n"
    "      --vex FILE           an OpenVEX document: findings it declares not_affected or fixed are\n"
    "                           marked suppressed and do not count for --fail-on\n"
    "      --no-changelog       do not treat a CVE named in the package's changelog.Debian.gz at or\n"
    "                           below the installed version as fixed\n"
    "  -h, --help               this help\n\n" QN_IMAGE_OPTS_HELP
    "\nExit codes: 0 ok, 1 a finding at or above --fail-on, 2 usage or bad input (image, --base\n"
    "that is not a base of IMAGE, VEX, database of another schema), 3 runtime failure.\n";

typedef enum { F_TABLE, F_JSON, F_SARIF, F_CDX } scan_format;

typedef struct {
	const char *db, *out, *base, *vex, *severity;
	scan_format fmt;
	int fail_on; /* -1: none */
	qn_scan_opts so;
	qn_image_opts io;
} scan_args;

enum { OPT_DB = QN_OPT_SHARED_LAST + 1, OPT_BASE, OPT_FAIL_ON, OPT_IGNORE_UNFIXED, OPT_SEVERITY, OPT_VEX, OPT_NO_CL };

static int parse_format(const char *s, scan_format *f)
{
	static const struct {
		const char *name;
		scan_format f;
	} names[] = {{"table", F_TABLE}, {"json", F_JSON}, {"sarif", F_SARIF}, {"cyclonedx", F_CDX}, {"cdx", F_CDX}};
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++)
		if (!strcmp(s, names[i].name)) {
			*f = names[i].f;
			return 0;
		}
	return -1;
}

static int parse_args(int argc, char **argv, scan_args *a)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"base", required_argument, NULL, OPT_BASE},
	    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
	    {"ignore-unfixed", no_argument, NULL, OPT_IGNORE_UNFIXED},
	    {"severity", required_argument, NULL, OPT_SEVERITY},
	    {"vex", required_argument, NULL, OPT_VEX},
	    {"no-changelog", no_argument, NULL, OPT_NO_CL},
	    {"help", no_argument, NULL, 'h'},
	    QN_IMAGE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		int r = qn_cli_image_opt("scan", c, optarg, &a->io);
		if (r < 0)
			return QN_EXIT_USAGE;
		if (r > 0)
			continue;
		qn_severity s;
		switch (c) {
		case OPT_DB:
			a->db = optarg;
			break;
		case 'f':
			if (parse_format(optarg, &a->fmt) < 0)
				return qn_cli_usage_error(
				    "scan", "--format: want table, json, sarif or cyclonedx, got \"%s\"", optarg);
			break;
		case 'o':
			a->out = optarg;
			break;
		case OPT_BASE:
			a->base = optarg;
			break;
		case OPT_FAIL_ON:
			if (qn_severity_parse(optarg, &s) < 0)
				return qn_cli_usage_error(
				    "scan", "--fail-on: want CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN, got \"%s\"",
				    optarg);
			a->fail_on = (int)s;
			break;
		case OPT_IGNORE_UNFIXED:
			a->so.ignore_unfixed = true;
			break;
		case OPT_SEVERITY: {
			qn_error *e = NULL;
			if (qn_severity_mask_parse(optarg, &a->so.severities, &e) < 0) {
				int rc = qn_cli_usage_error("scan", "--severity: %s", e->msg);
				qn_error_free(e);
				return rc;
			}
			break;
		}
		case OPT_VEX:
			a->vex = optarg;
			break;
		case OPT_NO_CL:
			a->so.no_changelog = true;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return qn_cli_usage_error("scan", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return qn_cli_usage_error("scan", "expected one IMAGE");
	return 0;
}

/* ---- table ---- */

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int sev_rank(const json_t *f)
{
	qn_severity s = QN_SEV_UNKNOWN;
	qn_severity_parse(qn_json_str(f, "severity"), &s);
	return (int)s;
}

static int kind_rank(const json_t *f)
{
	const char *k = qn_json_str(f, "layer_kind");
	return k && !strcmp(k, "base") ? 0 : k && !strcmp(k, "app") ? 1 : 2;
}

static int cmp_rows(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = kind_rank(x) - kind_rank(y);
	if (!c)
		c = sev_rank(y) - sev_rank(x);
	if (!c)
		c = strcmp(or_dash(qn_json_str(x, "package")), or_dash(qn_json_str(y, "package")));
	if (!c)
		c = strcmp(or_dash(qn_json_str(x, "id")), or_dash(qn_json_str(y, "id")));
	return c;
}

static void print_counts(FILE *f, const char *label, const json_t *c)
{
	fprintf(f, "%-8s %lld (CRITICAL %lld, HIGH %lld, MEDIUM %lld, LOW %lld, UNKNOWN %lld)\n", label,
		json_integer_value(json_object_get(c, "total")), json_integer_value(json_object_get(c, "CRITICAL")),
		json_integer_value(json_object_get(c, "HIGH")), json_integer_value(json_object_get(c, "MEDIUM")),
		json_integer_value(json_object_get(c, "LOW")), json_integer_value(json_object_get(c, "UNKNOWN")));
}

static void print_table(FILE *f, const json_t *doc)
{
	const json_t *fs = json_object_get(doc, "findings");
	size_t n = json_array_size(fs), i;
	const json_t **rows = xcalloc(n + 1, sizeof(*rows));
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(fs, i);
	qsort(rows, n, sizeof(*rows), cmp_rows);
	fprintf(f, "%-7s %-8s %-20s %-28s %-28s %-28s %-14s %s\n", "KIND", "SEVERITY", "ID", "PACKAGE", "VERSION",
		"FIXED", "STATUS", "LAYER");
	for (i = 0; i < n; i++) {
		const json_t *r = rows[i], *l = json_object_get(r, "layer");
		char layer[24] = "-";
		if (json_is_object(l))
			snprintf(layer, sizeof(layer), "%lld", json_integer_value(json_object_get(l, "index")));
		const char *status = json_is_true(json_object_get(r, "suppressed_by_vex"))
					 ? "vex:suppressed"
					 : or_dash(qn_json_str(r, "status"));
		fprintf(f, "%-7s %-8s %-20s %-28s %-28s %-28s %-14s %s\n", or_dash(qn_json_str(r, "layer_kind")),
			or_dash(qn_json_str(r, "severity")), or_dash(qn_json_str(r, "id")),
			or_dash(qn_json_str(r, "package")), or_dash(qn_json_str(r, "version")),
			or_dash(qn_json_str(r, "fixed_version")), status, layer);
	}
	free(rows);
	const json_t *s = json_object_get(doc, "summary"), *b = json_object_get(doc, "base");
	fprintf(f, "\nbase image: %s", or_dash(qn_json_str(b, "how")));
	if (qn_json_str(b, "ref"))
		fprintf(f, " %s", qn_json_str(b, "ref"));
	if (json_is_integer(json_object_get(b, "layers")))
		fprintf(f, " (%lld layers)", json_integer_value(json_object_get(b, "layers")));
	fputc('\n', f);
	print_counts(f, "base", json_object_get(s, "base"));
	print_counts(f, "app", json_object_get(s, "app"));
	print_counts(f, "unknown", json_object_get(s, "unknown"));
	fprintf(f, "total    %lld findings in %lld packages; %lld suppressed by VEX, %lld fixed per changelog\n",
		json_integer_value(json_object_get(s, "total")), json_integer_value(json_object_get(s, "packages")),
		json_integer_value(json_object_get(s, "suppressed")),
		json_integer_value(json_object_get(s, "fixed_per_changelog")));
	size_t k;
	const json_t *w;
	json_array_foreach (json_object_get(doc, "warnings"), k, w)
		fprintf(f, "warning: %s\n", json_string_value(w));
}

static int write_doc(const scan_args *a, const json_t *doc)
{
	qn_error *err = NULL;
	json_t *out_doc = a->fmt == F_SARIF ? qn_report_scan_sarif(doc)
			  : a->fmt == F_CDX ? qn_report_scan_cyclonedx(doc)
					    : json_incref((json_t *)doc);
	qn_output out;
	int rc = QN_EXIT_OK;
	if (qn_output_open(&out, a->out, &err) < 0)
		rc = qn_cli_fail(steal_pointer(&err));
	else {
		if (a->fmt == F_TABLE)
			print_table(out.fp, doc);
		else {
			_cleanup_free_ char *s = qn_json_dump(out_doc, true);
			fputs(s, out.fp);
		}
		if (qn_output_close(&out, &err) < 0)
			rc = qn_cli_fail(steal_pointer(&err));
	}
	json_decref(out_doc);
	return rc;
}

static int run(scan_args *a, const char *ref)
{
	qn_error *err = NULL;
	_cleanup_free_ char *dbpath = a->db ? xstrdup(a->db) : qn_vulndb_default_path(&err);
	if (!dbpath)
		return qn_cli_fail(err);
	qn_vex *vex = NULL;
	qn_image *base = NULL, *img = NULL;
	qn_vulndb *db = NULL;
	json_t *doc = NULL;
	int rc = QN_EXIT_OK;
	if (a->vex && !(vex = qn_vex_load(a->vex, &err)))
		goto fail;
	if (a->base && !(base = qn_image_open(a->base, &a->io, &err))) {
		qn_error_prefix(&err, "--base");
		goto fail;
	}
	if (!(db = qn_vulndb_open(dbpath, &err))) {
		if (err && err->kind == QN_ERR_NOTFOUND)
			qn_error_prefix(&err,
					"no vulnerability database (run 'quench db update' or 'quench db import', "
					"or pass --db)");
		goto fail;
	}
	if (!(img = qn_image_open(ref, &a->io, &err)))
		goto fail;
	a->so.vex = vex;
	a->so.base = base;
	a->so.base_ref = a->base;
	if (!(doc = qn_scan_image(img, db, &a->so, &err))) {
		qn_error_prefix(&err, "%s", ref);
		goto fail;
	}
	rc = write_doc(a, doc);
	if (rc == QN_EXIT_OK && a->fail_on >= 0 && qn_scan_max_severity(doc) >= a->fail_on) {
		fprintf(stderr, "quench: scan: findings at or above %s (--fail-on)\n",
			qn_severity_name((qn_severity)a->fail_on));
		rc = QN_EXIT_FAIL;
	}
	goto done;
fail:
	rc = qn_cli_fail(err);
done:
	json_decref(doc);
	qn_image_free(img);
	qn_image_free(base);
	qn_vulndb_close(db);
	qn_vex_free(vex);
	return rc;
}

int qn_cmd_scan(int argc, char **argv)
{
	scan_args a = {.fmt = F_TABLE, .fail_on = -1};
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? QN_EXIT_OK : rc;
	return run(&a, argv[optind]);
}
