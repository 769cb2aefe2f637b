/* quench verify: run the same probes on an image and its hardened form and show whether the
 * hardened one still behaves the same, what it lost, and which CVEs went with it. Option
 * parsing, the tables and the exit code live here; the work is qn_verify(). */
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "quench/verify.h"
#include "quench/vuln.h"
#include "run/run.h"
#include "util/json.h"

static const char *help =
    "Usage: quench verify [OPTIONS] ORIGINAL HARDENED\n\n"
    "Run the same probes on ORIGINAL and HARDENED (each in a container of its own under a real OCI\n"
    "runtime) and compare what they answer; run HARDENED under the path recorder and report every\n"
    "lookup that fails there but succeeds in ORIGINAL (a missing file is caught even when every\n"
    "probe passes); compare the interface (config, user, ports, annotations); list the packages\n"
    "kept, trimmed and removed; with --db, show the CVE delta and check that every CVE that went\n"
    "away went with its package. Exit 0 when everything matches, 1 on any divergence.\n\n"
    "Probes (repeatable; the same forms as quench harden):\n"
    "      --probe-http '[METHOD ]PORT/PATH[=STATUS]'   e.g. 'GET 8000/health=200'\n"
    "      --probe-exec 'CMD ARGS'   run a command inside the running container\n"
    "      --test 'CMD ARGS'         run your own test command inside the container\n"
    "      --probes FILE             a JSON array of probes (docs/probes.md)\n"
    "      --probes-from REPORT      the probes a harden report ran (quench harden --report)\n"
    "Comparison:\n"
    "      --normalize REGEX         also replace matches of REGEX (POSIX extended; its first group\n"
    "                                when it has one) before comparing output (repeatable)\n"
    "      --no-normalize            no built-in normalisation (timestamps, pids, addresses)\n"
    "      --header NAME             compare this HTTP response header (repeatable; default\n"
    "                                Content-Type)\n"
    "      --no-body                 do not compare HTTP bodies\n"
    "      --no-stderr               do not compare the stderr of exec probes\n"
    "      --no-trace                do not run the hardened image under the path recorder\n"
    "CVE delta:\n"
    "      --db FILE                 vulnerability database (quench db import / update)\n"
    "      --base IMAGE              the base image, to split CVEs into base and app\n"
    "      --scan-original FILE      use this scan document (quench scan --json) for ORIGINAL\n"
    "      --scan-hardened FILE      ... and this one for HARDENED, instead of scanning\n"
    "Output:\n"
    "      --json                    print the quench.verify/v1 document (docs/verify.md)\n"
    "  -o, --output FILE             write the output to FILE (atomically) instead of stdout\n"
    "      --report FILE             also write the JSON document to FILE\n"
    "Running:\n"
    "      --runtime NAME|PATH       runc (default), crun, or a runtime binary\n"
    "      --timeout SECONDS         wall-clock limit for each image's run (default 300)\n"
    "  -h, --help                    this help\n\n" QN_IMAGE_OPTS_HELP;

enum {
	O_JSON = QN_OPT_SHARED_LAST + 1,
	O_REPORT,
	O_PFROM,
	O_NORM,
	O_NONORM,
	O_HEADER,
	O_NOBODY,
	O_NOSTDERR,
	O_NOTRACE,
	O_DB,
	O_BASE,
	O_SCAN_A,
	O_SCAN_B,
	O_RUNTIME,
	O_TIMEOUT,
};

typedef struct {
	qn_verify_opts o;
	qn_image_opts io;
	struct qn_probe_list probes;
	qn_ptrvec norm, headers;
	const char *out, *report, *db, *base, *scan_a, *scan_b;
	bool json;
} args_t;

static int option(args_t *a, int c, const char *arg)
{
	switch (c) {
	case 'o':
		a->out = arg;
		return 0;
	case O_JSON:
		a->json = true;
		return 0;
	case O_REPORT:
		a->report = arg;
		return 0;
	case O_PFROM:
		return qn_cli_probes_file(&a->probes, arg, true);
	case O_NORM: {
		qn_error *err = NULL;
		qn_verify_norm *n = qn_verify_norm_new(0, &arg, 1, &err);
		if (!n)
			return qn_cli_fail(err), -1;
		qn_verify_norm_free(n);
		qn_ptrvec_push(&a->norm, (void *)arg);
		return 0;
	}
	case O_NONORM:
		a->o.normalize = 0;
		return 0;
	case O_HEADER:
		qn_ptrvec_push(&a->headers, (void *)arg);
		return 0;
	case O_NOBODY:
		a->o.compare_body = false;
		return 0;
	case O_NOSTDERR:
		a->o.compare_stderr = false;
		return 0;
	case O_NOTRACE:
		a->o.no_trace = true;
		return 0;
	case O_DB:
		a->db = arg;
		return 0;
	case O_BASE:
		a->base = arg;
		return 0;
	case O_SCAN_A:
		a->scan_a = arg;
		return 0;
	case O_SCAN_B:
		a->scan_b = arg;
		return 0;
	case O_RUNTIME:
		a->o.runtime = arg;
		return 0;
	case O_TIMEOUT:
		return qn_cli_timeout("verify", arg, &a->o.timeout);
	default:
		return qn_cli_usage_error("verify", "unknown option"), -1;
	}
}

static int parse(args_t *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, O_JSON},
	    {"report", required_argument, NULL, O_REPORT},
	    QN_PROBE_LONGOPTS,
	    {"probes-from", required_argument, NULL, O_PFROM},
	    {"normalize", required_argument, NULL, O_NORM},
	    {"no-normalize", no_argument, NULL, O_NONORM},
	    {"header", required_argument, NULL, O_HEADER},
	    {"no-body", no_argument, NULL, O_NOBODY},
	    {"no-stderr", no_argument, NULL, O_NOSTDERR},
	    {"no-trace", no_argument, NULL, O_NOTRACE},
	    {"db", required_argument, NULL, O_DB},
	    {"base", required_argument, NULL, O_BASE},
	    {"scan-original", required_argument, NULL, O_SCAN_A},
	    {"scan-hardened", required_argument, NULL, O_SCAN_B},
	    {"runtime", required_argument, NULL, O_RUNTIME},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"help", no_argument, NULL, 'h'},
	    QN_IMAGE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 1;
		}
		if (c == '?')
			return qn_cli_usage_error("verify", "bad option"), -1;
		int r = qn_cli_image_opt("verify", c, optarg, &a->io);
		if (r == 0)
			r = qn_cli_probe_opt(&a->probes, c, optarg);
		if (r < 0)
			return -1;
		if (r == 0 && option(a, c, optarg) < 0)
			return -1;
	}
	if (optind + 2 != argc)
		return qn_cli_usage_error("verify", "expected ORIGINAL and HARDENED"), -1;
	if (!a->scan_a != !a->scan_b)
		return qn_cli_usage_error("verify", "--scan-original and --scan-hardened go together"), -1;
	return 0;
}

/* ---- the text report ---- */

static char *short_json(const json_t *v)
{
	if (!v || json_is_null(v))
		return xstrdup("(none)");
	char *s = qn_json_dump(v, false);
	if (strlen(s) > 70) {
		s[67] = 0;
		char *t = xasprintf("%s...", s);
		free(s);
		return t;
	}
	return s;
}

static void print_interface(FILE *f, const json_t *itf)
{
	const json_t *fields = json_object_get(itf, "fields");
	size_t i, diff = 0;
	json_t *fl;
	json_array_foreach (fields, i, fl)
		diff += !json_is_true(json_object_get(fl, "same"));
	const json_t *ann = json_object_get(itf, "annotations");
	fprintf(f, "interface: %s (%zu fields compared, %zu differ; annotations %s)\n",
		json_is_true(json_object_get(itf, "ok")) ? "same" : "DIFFERENT", json_array_size(fields), diff,
		json_is_true(json_object_get(ann, "ok")) ? "ok" : "DIFFERENT");
	json_array_foreach (fields, i, fl) {
		if (json_is_true(json_object_get(fl, "same")))
			continue;
		_cleanup_free_ char *x = short_json(json_object_get(fl, "original"));
		_cleanup_free_ char *y = short_json(json_object_get(fl, "hardened"));
		fprintf(f, "  %-12s %s\n  %-12s -> %s\n", qn_json_str(fl, "field"), x, "", y);
	}
	json_t *c;
	json_array_foreach (json_object_get(ann, "changed"), i, c) {
		_cleanup_free_ char *x = short_json(json_object_get(c, "original"));
		_cleanup_free_ char *y = short_json(json_object_get(c, "hardened"));
		fprintf(f, "  annotation %s: %s -> %s\n", qn_json_str(c, "key"), x, y);
	}
	json_array_foreach (json_object_get(ann, "removed"), i, c)
		fprintf(f, "  annotation %s: removed\n", json_string_value(c));
	json_array_foreach (json_object_get(ann, "source_checks"), i, c)
		if (json_is_false(json_object_get(c, "ok")))
			fprintf(f, "  annotation %s = %s, but the original is %s\n", qn_json_str(c, "annotation"),
				qn_json_str(c, "value"), qn_json_str(c, "expected"));
}

static char *cell(const json_t *r, const char *key)
{
	const json_t *v = json_object_get(r, key);
	if (!r || json_is_null(r))
		return xstrdup("-");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	const char *s = json_string_value(v);
	if (!s)
		return xstrdup("-");
	if (qn_str_has_prefix(s, "sha256:"))
		return xasprintf("%.19s", s);
	_cleanup_free_ char *q = qn_str_quote(s, 28);
	return xasprintf("\"%s\"", q);
}

static void row(FILE *f, const char *name, const json_t *a, const json_t *b, const char *key)
{
	if (!json_object_get(a, key) && !json_object_get(b, key))
		return;
	_cleanup_free_ char *x = cell(a, key), *y = cell(b, key);
	fprintf(f, "    %-14s %-32s %-32s %s\n", name, x, y, strcmp(x, y) ? "DIFFERENT" : "");
}

static void print_probe(FILE *f, const json_t *p)
{
	const json_t *a = json_object_get(p, "original"), *b = json_object_get(p, "hardened");
	bool same = json_is_true(json_object_get(p, "same"));
	fprintf(f, "probe %s: %s\n", qn_json_str(p, "label"), same ? "same" : "DIFFERENT");
	fprintf(f, "    %-14s %-32s %-32s\n", "", "original", "hardened");
	bool http = !strcmp(qn_json_str(p, "kind"), "http");
	row(f, http ? "status" : "exit code", a, b, http ? "status" : "exit_code");
	if (http) {
		row(f, "body", a, b, "body_sha256");
		row(f, "body bytes", a, b, "body_bytes");
		const json_t *ha = json_object_get(a, "headers"), *hb = json_object_get(b, "headers");
		const char *k;
		json_t *v;
		json_object_foreach ((json_t *)ha, k, v)
			row(f, k, ha, hb, k);
	} else {
		row(f, "stdout", a, b, "stdout");
		row(f, "stderr", a, b, "stderr");
		row(f, "ended", a, b, "stopped_by");
	}
	row(f, "error", a, b, "error");
	size_t i;
	json_t *d;
	json_array_foreach (json_object_get(p, "diffs"), i, d)
		fprintf(f, "    - %s\n", json_string_value(d));
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_cves(FILE *f, const json_t *c)
{
	if (!c || json_is_null(c)) {
		fprintf(f, "cves: not checked (no --db)\n");
		return;
	}
	const json_t *b = json_object_get(c, "before"), *a = json_object_get(c, "after");
	const json_t *n = json_object_get(c, "counts");
	fprintf(f, "cves: %lld -> %lld (base %lld -> %lld, app %lld -> %lld", num(b, "total"), num(a, "total"),
		num(json_object_get(b, "base"), "total"), num(json_object_get(a, "base"), "total"),
		num(json_object_get(b, "app"), "total"), num(json_object_get(a, "app"), "total"));
	if (num(json_object_get(b, "unknown"), "total") || num(json_object_get(a, "unknown"), "total"))
		fprintf(f, ", unattributed %lld -> %lld", num(json_object_get(b, "unknown"), "total"),
			num(json_object_get(a, "unknown"), "total"));
	fprintf(f, ")\n");
	static const char *const sev[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
	fprintf(f, "  by severity:");
	for (size_t i = 0; i < QN_ARRAY_LEN(sev); i++) {
		long long x = 0, y = 0;
		static const char *const kinds[] = {"base", "app", "unknown"};
		for (size_t k = 0; k < QN_ARRAY_LEN(kinds); k++) {
			x += num(json_object_get(b, kinds[k]), sev[i]);
			y += num(json_object_get(a, kinds[k]), sev[i]);
		}
		fprintf(f, " %s %lld -> %lld%s", sev[i], x, y, i + 1 < QN_ARRAY_LEN(sev) ? "," : "\n");
	}
	fprintf(f, "  %lld removed with their packages, %lld remaining, %lld unexplained, %lld new\n",
		num(n, "removed"), num(n, "remaining"), num(n, "unexplained"), num(n, "added"));
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(c, "unexplained"), i, r)
		fprintf(f, "  UNEXPLAINED %s in %s %s (package %s)\n", qn_json_str(r, "id"), qn_json_str(r, "package"),
			qn_json_str(r, "version") ? qn_json_str(r, "version") : "", qn_json_str(r, "package_state"));
	json_array_foreach (json_object_get(c, "added"), i, r)
		fprintf(f, "  NEW %s in %s %s\n", qn_json_str(r, "id"), qn_json_str(r, "package"),
			qn_json_str(r, "version") ? qn_json_str(r, "version") : "");
}

static void print_text(FILE *f, const json_t *d)
{
	const json_t *a = json_object_get(d, "original"), *b = json_object_get(d, "hardened");
	fprintf(f, "verify %s -> %s\n", qn_json_str(a, "ref"), qn_json_str(b, "ref"));
	print_interface(f, json_object_get(d, "interface"));
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(d, "probes"), i, p)
		print_probe(f, p);
	const json_t *miss = json_object_get(d, "missing_paths");
	if (!json_is_true(json_object_get(d, "missing_paths_checked")))
		fprintf(f, "missing paths: not checked (no path recorder)\n");
	else
		fprintf(f, "missing paths: %zu\n", json_array_size(miss));
	json_array_foreach (miss, i, p) {
		const char *pkg = qn_json_str(p, "package");
		const char *run = qn_json_str(p, "run"), *via = qn_json_str(p, "via");
		fprintf(f, "  /%s  (%s%s%slooked up by %s%s%s%s%s)\n", qn_json_str(p, "path"), via ? "through /" : "",
			via ? via : "", via ? "; " : "", qn_json_str(p, "seen_by"),
			run && !strcmp(run, "original") ? " in the original run" : "",
			run && !strcmp(run, "both") ? " in both runs" : "", pkg ? "; package " : "", pkg ? pkg : "");
	}
	const json_t *pc = json_object_get(json_object_get(d, "packages"), "counts");
	fprintf(f, "packages: %lld kept, %lld trimmed, %lld removed (of %lld)\n", num(pc, "kept"), num(pc, "trimmed"),
		num(pc, "removed"), num(pc, "total"));
	json_array_foreach (json_object_get(json_object_get(d, "packages"), "hidden"), i, p)
		fprintf(f, "  HIDDEN %s %s: removed from the package database with %lld files left (%s)\n",
			qn_json_str(p, "name"), qn_json_str(p, "version"), num(p, "files_left"),
			qn_json_str(p, "example"));
	const json_t *pt = json_object_get(d, "paths"), *sz = json_object_get(d, "size");
	char x[16], y[16];
	long long so = num(sz, "original"), sh = num(sz, "hardened");
	fprintf(f, "paths: %lld kept, %lld removed; image size %s -> %s (%.1f%% less)\n", num(pt, "kept"),
		num(pt, "removed"), qn_fmt_size((uint64_t)so, x), qn_fmt_size((uint64_t)sh, y),
		so ? 100.0 * (double)(so - sh) / (double)so : 0.0);
	print_cves(f, json_object_get(d, "cves"));
	json_array_foreach (json_object_get(d, "warnings"), i, p)
		fprintf(f, "warning: %s\n", json_string_value(p));
	bool ok = json_is_true(json_object_get(d, "ok"));
	fprintf(f, "result: %s\n", ok ? "verified: the hardened image behaves the same" : "FAILED");
}

/* ---- running ---- */

static int load_json(const char *path, json_t **out)
{
	qn_error *err = NULL;
	size_t len;
	_cleanup_free_ char *buf = qn_read_file(path, (size_t)512 << 20, &len, &err);
	*out = buf ? qn_json_parse(buf, len, (size_t)512 << 20, path, &err) : NULL;
	if (*out && !json_is_object(json_object_get(*out, "summary")) &&
	    !json_is_array(json_object_get(*out, "findings"))) {
		json_decref(*out);
		*out = NULL;
		qn_error_set(&err, QN_ERR_INPUT, "%s: not a scan document (no \"findings\")", path);
	}
	return *out ? 0 : qn_cli_fail(err);
}

static int emit(args_t *a, const json_t *doc)
{
	qn_error *err = NULL;
	if (a->report) {
		_cleanup_free_ char *s = qn_json_dump(doc, true);
		if (qn_write_file_atomic(a->report, s, strlen(s), 0644, &err) < 0)
			return qn_cli_fail(err);
	}
	qn_output out;
	if (qn_output_open(&out, a->out, &err) < 0)
		return qn_cli_fail(err);
	if (a->json) {
		_cleanup_free_ char *s = qn_json_dump(doc, true);
		fputs(s, out.fp);
	} else
		print_text(out.fp, doc);
	if (qn_output_close(&out, &err) < 0)
		return qn_cli_fail(err);
	return json_is_true(json_object_get(doc, "ok")) ? QN_EXIT_OK : QN_EXIT_FAIL;
}

static int run(args_t *a, char **argv)
{
	qn_error *err = NULL;
	qn_image *orig = NULL, *hard = NULL, *base = NULL;
	qn_vulndb *db = NULL;
	json_t *sa = NULL, *sb = NULL, *doc = NULL;
	int rc = QN_EXIT_OK;
	if (a->scan_a && (load_json(a->scan_a, &sa) || load_json(a->scan_b, &sb))) {
		rc = QN_EXIT_USAGE;
		goto out;
	}
	if ((a->db && !(db = qn_vulndb_open(a->db, &err))) ||
	    (a->base && !(base = qn_image_open(a->base, &a->io, &err))) ||
	    !(orig = qn_image_open(argv[optind], &a->io, &err)) ||
	    !(hard = qn_image_open(argv[optind + 1], &a->io, &err))) {
		rc = qn_cli_fail(err);
		goto out;
	}
	a->o.db = db;
	a->o.base = base;
	a->o.scan_original = sa;
	a->o.scan_hardened = sb;
	doc = qn_verify(orig, hard, &a->o, &err);
	rc = doc ? emit(a, doc) : qn_cli_fail(err);
out:
	json_decref(doc);
	json_decref(sa);
	json_decref(sb);
	qn_image_free(orig);
	qn_image_free(hard);
	qn_image_free(base);
	qn_vulndb_close(db);
	return rc;
}

int qn_cmd_verify(int argc, char **argv)
{
	args_t a = {0};
	qn_verify_opts_init(&a.o);
	a.o.timeout = 300;
	int pr = parse(&a, argc, argv);
	int rc = pr < 0 ? QN_EXIT_USAGE : QN_EXIT_OK;
	if (pr == 0) {
		/* from here on a signal asks the run to stop and clean up; it does not kill us */
		qn_cli_defer_signals(false);
		a.o.probes = &a.probes;
		a.o.normalize_regex = (const char *const *)a.norm.v;
		a.o.n_normalize_regex = a.norm.n;
		if (a.headers.n) {
			a.o.headers = (const char *const *)a.headers.v;
			a.o.n_headers = a.headers.n;
		}
		_cleanup_free_ char *hd = qn_cli_helper_dir();
		a.o.helper_dir = hd;
		rc = run(&a, argv);
		if (qn_interrupted())
			rc = 128 + qn_interrupted();
	}
	qn_cli_probes_clear(&a.probes);
	qn_ptrvec_clear(&a.norm, NULL);
	qn_ptrvec_clear(&a.headers, NULL);
	return pr > 0 ? QN_EXIT_OK : rc;
}
