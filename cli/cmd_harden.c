/* quench harden: profile an image under a real OCI runtime and write a minimal drop-in image.
 * Option parsing, the summary and the report file live here; the work is qn_harden(). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "quench/evidence.h"
#include "quench/harden.h"
#include "run/run.h"
#include "util/json.h"

static const char *help =
    "Usage: quench harden [OPTIONS] IMAGE -o OUT\n\n"
    "Run IMAGE under a real OCI runtime, record every path it touches while probes exercise it,\n"
    "add what static analysis proves necessary (ELF dependencies, script interpreters, symlinks,\n"
    "users, name service, TLS trust), and write OUT: the same image interface with only that.\n"
    "Packages whose files all went are removed from the package database; packages with any file\n"
    "left stay listed as they were (\"trimmed\").\n\n"
    "Output:\n"
    "  -o, --output OUT          the hardened image (required)\n"
    "      --format FMT          docker-archive, oci-archive or oci (default: as the input)\n"
    "      --tag NAME:TAG        the tag to write (default: the input's tag + \"-hardened\")\n"
    "      --report FILE         write the JSON report (docs/harden-report.md)\n"
    "      --json                print the JSON report instead of the summary\n"
    "Probes (repeatable; with none, the image's command runs until it exits or --timeout):\n"
    "      --probe-http '[METHOD ]PORT/PATH[=STATUS]'   e.g. 'GET 8000/health=200'\n"
    "      --probe-exec 'CMD ARGS'   run a command inside the running container\n"
    "      --test 'CMD ARGS'         run your own test command inside the container (exit 0 = pass)\n"
    "      --probes FILE             a JSON array of probes (docs/probes.md)\n"
    "      --continue-after WHEN     probes (default), SECONDS after the probes, or signal (SIGUSR1)\n"
    "Keeping:\n"
    "      --include PATH            keep PATH (a folder: everything below it)\n"
    "      --exclude GLOB            drop matching paths even if used ('**' crosses folders)\n"
    "      --keep-shell              keep shells          --keep-package-manager  keep dpkg/apt/apk/rpm/pip/npm\n"
    "      --keep-compilers          keep toolchains      --keep-docs             keep docs, man, info\n"
    "      --keep-locales            keep all locales     --keep-caches           keep package caches and logs\n"
    "      --keep-setuid             keep setuid/setgid bits\n"
    "Running:\n"
    "      --runtime NAME|PATH       runc (default), crun, or a runtime binary\n"
    "      --timeout SECONDS         wall-clock limit for the profile run (default 300)\n"
    "      --no-ptrace               fanotify only (misses stat/access/readlink lookups)\n"
    "Evidence (docs/evidence.md):\n"
    "      --evidence DIR            then verify OUT against IMAGE with the same probes and write\n"
    "                                the evidence bundle to DIR (as quench evidence does)\n"
    "      --key PRIVATE.pem         sign the bundle's attestation (quench keygen makes a key)\n"
    "      --db FILE                 vulnerability database for the bundle's CVE delta\n"
    "      --base IMAGE              base image, to split the CVE delta into base and app\n"
    "  -h, --help                    this help\n\n"
    "Exit status: 0 hardened (and verified, with --evidence); 1 hardened, but a probe failed on the\n"
    "original image or the hardened image failed verification; 2 usage error\n"
    "or bad input; 3 runtime failure; 128+N interrupted by signal N (nothing is written).\n\n" QN_IMAGE_OPTS_HELP;

enum {
	O_FORMAT = QN_OPT_SHARED_LAST + 1,
	O_TAG,
	O_REPORT,
	O_JSON,
	O_CONT,
	O_INCLUDE,
	O_EXCLUDE,
	O_KSHELL,
	O_KPM,
	O_KCC,
	O_KDOCS,
	O_KLOC,
	O_KCACHE,
	O_KSUID,
	O_RUNTIME,
	O_TIMEOUT,
	O_NOPTRACE,
	O_EVIDENCE,
	O_KEY,
	O_DB,
	O_BASE,
};

typedef struct {
	qn_harden_opts o;
	qn_image_opts io;
	struct qn_probe_list probes;
	qn_ptrvec inc, exc;
	const char *report;
	bool json;
	const char *evidence, *key, *db, *base; /* --evidence DIR and what it takes */
} args_t;

static int parse_format(const char *s, qn_image_format *f)
{
	if (!strcmp(s, "docker-archive"))
		*f = QN_FMT_DOCKER_ARCHIVE;
	else if (!strcmp(s, "oci-archive"))
		*f = QN_FMT_OCI_ARCHIVE;
	else if (!strcmp(s, "oci"))
		*f = QN_FMT_OCI_LAYOUT;
	else
		return -1;
	return 0;
}

static int parse_continue(const char *s, qn_harden_opts *o)
{
	if (!strcmp(s, "probes"))
		o->continue_mode = QN_CONTINUE_PROBES;
	else if (!strcmp(s, "signal"))
		o->continue_mode = QN_CONTINUE_SIGNAL;
	else {
		double v;
		if (qn_parse_double(s, 0, 86400, &v) < 0)
			return -1;
		o->continue_mode = QN_CONTINUE_SECONDS;
		o->continue_seconds = v;
	}
	return 0;
}

static int option(args_t *a, int c, const char *arg)
{
	static const struct {
		int opt;
		unsigned rule;
	} keeps[] = {{O_KSHELL, QN_RULE_SHELLS}, {O_KPM, QN_RULE_PKG_MANAGERS}, {O_KCC, QN_RULE_COMPILERS},
		     {O_KDOCS, QN_RULE_DOCS},    {O_KLOC, QN_RULE_LOCALES},     {O_KCACHE, QN_RULE_CACHES},
		     {O_KSUID, QN_RULE_SETUID}};
	for (size_t i = 0; i < QN_ARRAY_LEN(keeps); i++)
		if (c == keeps[i].opt) {
			a->o.rules &= ~keeps[i].rule;
			return 0;
		}
	switch (c) {
	case 'o':
		a->o.out = arg;
		return 0;
	case O_FORMAT:
		return parse_format(arg, &a->o.format) < 0
		       ? qn_cli_usage_error("harden", "--format: docker-archive, oci-archive or oci"),
		       -1 : 0;
	case O_TAG:
		a->o.tag = arg;
		return 0;
	case O_REPORT:
		a->report = arg;
		return 0;
	case O_JSON:
		a->json = true;
		return 0;
	case O_CONT:
		return parse_continue(arg, &a->o) < 0
		       ? qn_cli_usage_error("harden", "--continue-after: probes, SECONDS or signal"),
		       -1 : 0;
	case O_INCLUDE:
		qn_ptrvec_push(&a->inc, (void *)arg);
		return 0;
	case O_EXCLUDE:
		qn_ptrvec_push(&a->exc, (void *)arg);
		return 0;
	case O_RUNTIME:
		a->o.runtime = arg;
		return 0;
	case O_TIMEOUT:
		return qn_cli_timeout("harden", arg, &a->o.timeout);
	case O_NOPTRACE:
		a->o.no_ptrace = true;
		return 0;
	case O_EVIDENCE:
		a->evidence = arg;
		return 0;
	case O_KEY:
		a->key = arg;
		return 0;
	case O_DB:
		a->db = arg;
		return 0;
	case O_BASE:
		a->base = arg;
		return 0;
	default:
		return qn_cli_usage_error("harden", "unknown option"), -1;
	}
}

/* The bundle goes into a new or empty folder: found out before the run, not after it. */
static bool dir_empty_or_absent(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode))
		return false;
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *de;
	bool empty = true;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

static int parse(args_t *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"tag", required_argument, NULL, O_TAG},
	    {"report", required_argument, NULL, O_REPORT},
	    {"json", no_argument, NULL, O_JSON},
	    QN_PROBE_LONGOPTS,
	    {"continue-after", required_argument, NULL, O_CONT},
	    {"include", required_argument, NULL, O_INCLUDE},
	    {"exclude", required_argument, NULL, O_EXCLUDE},
	    {"keep-shell", no_argument, NULL, O_KSHELL},
	    {"keep-package-manager", no_argument, NULL, O_KPM},
	    {"keep-compilers", no_argument, NULL, O_KCC},
	    {"keep-docs", no_argument, NULL, O_KDOCS},
	    {"keep-locales", no_argument, NULL, O_KLOC},
	    {"keep-caches", no_argument, NULL, O_KCACHE},
	    {"keep-setuid", no_argument, NULL, O_KSUID},
	    {"runtime", required_argument, NULL, O_RUNTIME},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"no-ptrace", no_argument, NULL, O_NOPTRACE},
	    {"evidence", required_argument, NULL, O_EVIDENCE},
	    {"key", required_argument, NULL, O_KEY},
	    {"db", required_argument, NULL, O_DB},
	    {"base", required_argument, NULL, O_BASE},
	    {"help", no_argument, NULL, 'h'},
	    QN_IMAGE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return qn_cli_usage_error("harden", "unknown option or missing value: %s", argv[optind - 1]),
			       -1;
		if (c == 'h') {
			fputs(help, stdout);
			return 1;
		}
		int r = qn_cli_image_opt("harden", c, optarg, &a->io);
		if (r == 0)
			r = qn_cli_probe_opt(&a->probes, c, optarg);
		if (r < 0)
			return -1;
		if (r == 0 && option(a, c, optarg) < 0)
			return -1;
	}
	if (optind + 1 != argc)
		return qn_cli_usage_error("harden", "expected one IMAGE"), -1;
	if (!a->o.out)
		return qn_cli_usage_error("harden", "-o OUT is required"), -1;
	if (!a->evidence && (a->key || a->db || a->base))
		return qn_cli_usage_error("harden", "--key, --db and --base go with --evidence DIR"), -1;
	if (a->evidence && !dir_empty_or_absent(a->evidence))
		return qn_cli_usage_error("harden", "--evidence %s: exists and is not an empty folder", a->evidence),
		       -1;
	return 0;
}

static void summary(const json_t *r)
{
	const json_t *p = json_object_get(r, "packages"), *s = json_object_get(r, "size");
	char a[16], b[16];
	printf("hardened %s -> %s (%s)\n", qn_json_str(json_object_get(r, "input"), "ref"),
	       qn_json_str(json_object_get(r, "output"), "path"), qn_json_str(json_object_get(r, "output"), "digest"));
	printf("packages: %lld kept, %lld trimmed, %lld removed (of %lld)\n",
	       json_integer_value(json_object_get(p, "kept")), json_integer_value(json_object_get(p, "trimmed")),
	       json_integer_value(json_object_get(p, "removed")), json_integer_value(json_object_get(p, "total")));
	printf("files: %lld -> %lld; bytes: %s -> %s (%.1f%% less)\n",
	       json_integer_value(json_object_get(json_object_get(s, "before"), "files")),
	       json_integer_value(json_object_get(json_object_get(s, "after"), "files")),
	       qn_fmt_size((uint64_t)json_integer_value(json_object_get(json_object_get(s, "before"), "bytes")), a),
	       qn_fmt_size((uint64_t)json_integer_value(json_object_get(json_object_get(s, "after"), "bytes")), b),
	       json_real_value(json_object_get(s, "bytes_removed_pct")));
	size_t i;
	json_t *pr;
	json_array_foreach (json_object_get(json_object_get(r, "profile"), "probes"), i, pr)
		printf("probe %-40s %s\n", qn_json_str(pr, "probe"),
		       json_is_true(json_object_get(pr, "ok")) ? "ok" : "FAILED");
}

static int finish(args_t *a, json_t *report, qn_error *err)
{
	int rc = QN_EXIT_OK;
	if (report && a->report) {
		_cleanup_free_ char *s = qn_json_dump(report, true);
		qn_error *e2 = NULL;
		if (qn_write_file_atomic(a->report, s, strlen(s), 0644, &e2) < 0)
			rc = qn_cli_fail(e2);
	}
	if (err)
		return qn_cli_fail(err);
	if (a->json) {
		_cleanup_free_ char *s = qn_json_dump(report, true);
		fputs(s, stdout);
	} else
		summary(report);
	/* the image is written, but a profile taken while the original failed its probes is not
	 * one to trust: say so in the exit code */
	const json_t *prof = json_object_get(report, "profile");
	if (rc == QN_EXIT_OK && json_is_false(json_object_get(prof, "probes_ok"))) {
		fprintf(stderr,
			"quench: harden: probes failed on the original image (see the report's profile.probes)\n");
		rc = QN_EXIT_FAIL;
	}
	return rc;
}

/* --evidence DIR: verifies what was just written against the original, with the same probes,
 * and writes the bundle (cli/cmd_evidence.c does the work). */
static int evidence(args_t *a, qn_image *img, const json_t *report, const qn_sign_key *key)
{
	qn_image_format f = a->o.format;
	if (!f)
		f = qn_image_get_format(img) == QN_FMT_DIR ? QN_FMT_OCI_ARCHIVE : qn_image_get_format(img);
	_cleanup_free_ char *ref = xasprintf("%s:%s", qn_image_format_name(f), a->o.out);
	qn_cli_evidence_opts eo = {.original = img,
				   .hardened_ref = ref,
				   .io = &a->io,
				   .probes = &a->probes,
				   .harden_report = report,
				   .dir = a->evidence,
				   .key = key,
				   .db = a->db,
				   .base = a->base,
				   .runtime = a->o.runtime,
				   .timeout = a->o.timeout,
				   .quiet = a->json};
	return qn_cli_evidence_after_harden(&eo);
}

int qn_cmd_harden(int argc, char **argv)
{
	args_t a = {.o = {.rules = QN_RULE_ALL, .timeout = 300}};
	int pr = parse(&a, argc, argv);
	int rc = pr < 0 ? QN_EXIT_USAGE : QN_EXIT_OK;
	if (pr == 0) {
		/* from here on a signal asks the run to stop and clean up; it does not kill us */
		qn_cli_defer_signals(true);
		a.o.probes = &a.probes;
		a.o.includes = (const char *const *)a.inc.v;
		a.o.n_includes = a.inc.n;
		a.o.excludes = (const char *const *)a.exc.v;
		a.o.n_excludes = a.exc.n;
		_cleanup_free_ char *hd = qn_cli_helper_dir();
		a.o.helper_dir = hd;
		qn_error *err = NULL;
		/* a key that cannot be used is found before the long run, not after it */
		qn_sign_key *key = a.key ? qn_cli_load_signing_key(a.key, &err) : NULL;
		qn_image *img = (!a.key || key) ? qn_image_open(argv[optind], &a.io, &err) : NULL;
		json_t *report = img ? qn_harden(img, &a.o, &err) : NULL;
		rc = finish(&a, report, err);
		if (a.evidence && report && rc != QN_EXIT_USAGE && rc != QN_EXIT_RUNTIME && !qn_interrupted()) {
			int erc = evidence(&a, img, report, key);
			rc = QN_MAX(rc, erc);
		}
		qn_key_free(key);
		json_decref(report);
		qn_image_free(img);
		if (qn_interrupted())
			rc = 128 + qn_interrupted();
	}
	qn_cli_probes_clear(&a.probes);
	qn_ptrvec_clear(&a.inc, NULL);
	qn_ptrvec_clear(&a.exc, NULL);
	return pr > 0 ? QN_EXIT_OK : rc;
}
