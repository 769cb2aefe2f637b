/* quench evidence: write the evidence bundle for a hardened image (verify both images, build
 * their SBOMs, write report, VEX, compliance map, methodology and the signed attestation), and
 * `quench evidence verify DIR` to check one. The work is in the library (qn_verify,
 * qn_evidence_write, qn_evidence_verify); this file parses options, opens things and picks the
 * exit code. */
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "quench/evidence.h"
#include "quench/verify.h"
#include "quench/vuln.h"
#include "run/run.h"
#include "util/json.h"

static const char *help =
    "Usage: quench evidence ORIGINAL HARDENED -o DIR [OPTIONS]\n"
    "       quench evidence verify DIR --key KEY.pub\n\n"
    "Verify HARDENED against ORIGINAL (the same probes on both, missing paths, interface, CVE\n"
    "delta) and write the evidence bundle DIR: report.json, report.html, CycloneDX and SPDX SBOMs\n"
    "of both images, vex.openvex.json, compliance.json, methodology.md, and an in-toto statement\n"
    "(attestation.intoto.json) listing every file's sha256, in a DSSE envelope\n"
    "(attestation.dsse.json) signed with --key. A failed verification still writes the bundle,\n"
    "marked failed, and exits 1. DIR must not exist (or be empty); a failure leaves nothing.\n\n"
    "Options:\n"
    "  -o, --output DIR          the bundle folder (required)\n"
    "      --key PRIVATE.pem     sign the attestation (ECDSA P-256 or Ed25519: PKCS#8 PEM from\n"
    "                            'quench keygen', or a cosign key); an encrypted key reads its password from\n"
    "                            QUENCH_KEY_PASSWORD (or COSIGN_PASSWORD). Without it: unsigned.\n"
    "      --db FILE             vulnerability database for the CVE delta\n"
    "      --base IMAGE          base image for the base/app split of CVEs\n"
    "      --harden-report FILE  the harden report (adds profile coverage to the attestation)\n"
    "      --verify-report FILE  use this quench.verify/v1 document instead of running verify\n"
    "      --json                print the summary as JSON\n"
    "Probes (as in verify and harden):\n"
    "      --probe-http '[METHOD ]PORT/PATH[=STATUS]'  --probe-exec 'CMD'  --test 'CMD'\n"
    "      --probes FILE         a JSON array of probes (docs/probes.md)\n"
    "      --probes-from REPORT  the probes a harden report ran (also used as --harden-report)\n"
    "Running:\n"
    "      --runtime NAME|PATH   runc (default), crun, or a runtime binary\n"
    "      --timeout SECONDS     wall clock per image run (default 300)\n"
    "      --no-trace            skip the path recorder on the hardened run\n"
    "  -h, --help                this help\n\n" QN_IMAGE_OPTS_HELP
    "\nExit codes: 0 ok, 1 verification failed (bundle written, marked failed), 2 usage or bad\n"
    "input, 3 runtime failure.\n";

static const char *verify_help =
    "Usage: quench evidence verify DIR --key KEY.pub [--json]\n"
    "       quench evidence verify DIR --no-signature\n\n"
    "Check an evidence bundle: the DSSE signature over the in-toto statement (with the public\n"
    "key: PEM \"PUBLIC KEY\", as 'quench keygen' or cosign writes it), that the statement file is\n"
    "the signed payload, that every file it lists has its sha256, and that no other file is\n"
    "present. Any changed byte fails.\n\n"
    "Options:\n"
    "  -k, --key KEY.pub     the public key to check the signature with\n"
    "      --no-signature    check the digests only (the bundle may be unsigned)\n"
    "      --json            print the result as JSON\n"
    "  -h, --help            this help\n\n"
    "Exit codes: 0 the bundle is intact, 1 a check failed (the message names the file or the\n"
    "signature), 2 usage or unreadable input.\n";

enum {
	O_KEY = QN_OPT_SHARED_LAST + 1,
	O_DB,
	O_BASE,
	O_HREPORT,
	O_VREPORT,
	O_JSON,
	O_PFROM,
	O_RUNTIME,
	O_TIMEOUT,
	O_NOTRACE,
	O_NOSIG,
};

typedef struct {
	qn_image_opts io;
	struct qn_probe_list probes;
	const char *out, *key, *db, *base, *hreport, *vreport, *runtime;
	double timeout;
	bool json, no_trace;
} args_t;

static int option(args_t *a, int c, const char *arg)
{
	switch (c) {
	case 'o':
		a->out = arg;
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
	case O_HREPORT:
		a->hreport = arg;
		return 0;
	case O_VREPORT:
		a->vreport = arg;
		return 0;
	case O_JSON:
		a->json = true;
		return 0;
	case O_PFROM:
		/* the harden report also gives the bundle its profile coverage */
		if (!a->hreport)
			a->hreport = arg;
		return qn_cli_probes_file(&a->probes, arg, true);
	case O_RUNTIME:
		a->runtime = arg;
		return 0;
	case O_TIMEOUT:
		return qn_cli_timeout("evidence", arg, &a->timeout);
	case O_NOTRACE:
		a->no_trace = true;
		return 0;
	default:
		return qn_cli_usage_error("evidence", "unknown option"), -1;
	}
}

static int parse(args_t *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"key", required_argument, NULL, O_KEY},
	    {"db", required_argument, NULL, O_DB},
	    {"base", required_argument, NULL, O_BASE},
	    {"harden-report", required_argument, NULL, O_HREPORT},
	    {"verify-report", required_argument, NULL, O_VREPORT},
	    {"json", no_argument, NULL, O_JSON},
	    QN_PROBE_LONGOPTS,
	    {"probes-from", required_argument, NULL, O_PFROM},
	    {"runtime", required_argument, NULL, O_RUNTIME},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"no-trace", no_argument, NULL, O_NOTRACE},
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
		int r = qn_cli_image_opt("evidence", c, optarg, &a->io);
		if (r == 0)
			r = qn_cli_probe_opt(&a->probes, c, optarg);
		if (r < 0 || (r == 0 && option(a, c, optarg) < 0))
			return -1;
	}
	if (optind + 2 != argc)
		return qn_cli_usage_error("evidence", "expected ORIGINAL and HARDENED"), -1;
	if (!a->out)
		return qn_cli_usage_error("evidence", "-o DIR is required"), -1;
	return 0;
}

static json_t *read_json(const char *path, const char *what, qn_error **err)
{
	size_t len;
	_cleanup_free_ char *buf = qn_read_file(path, 512u << 20, &len, err);
	json_t *j = buf ? qn_json_parse(buf, len, 512u << 20, path, err) : NULL;
	if (j && !json_is_object(j)) {
		json_decref(j);
		return qn_error_set(err, QN_ERR_INPUT, "%s: %s is not a JSON object", path, what), NULL;
	}
	return j;
}

typedef struct {
	qn_image *img[2], *base;
	qn_vulndb *db;
	qn_sign_key *key;
	json_t *verify, *harden;
} state_t;

static void state_clear(state_t *s)
{
	for (int i = 0; i < 2; i++)
		qn_image_free(s->img[i]);
	qn_image_free(s->base);
	qn_vulndb_close(s->db);
	qn_key_free(s->key);
	json_decref(s->verify);
	json_decref(s->harden);
}

static json_t *run_verify(args_t *a, state_t *s, qn_error **err)
{
	if (a->vreport)
		return read_json(a->vreport, "the verify report", err);
	if (a->db && !(s->db = qn_vulndb_open(a->db, err)))
		return NULL;
	if (a->base && !(s->base = qn_image_open(a->base, &a->io, err)))
		return NULL;
	qn_verify_opts vo;
	qn_verify_opts_init(&vo);
	vo.probes = &a->probes;
	vo.runtime = a->runtime;
	vo.timeout = a->timeout;
	_cleanup_free_ char *hd = qn_cli_helper_dir();
	vo.helper_dir = hd;
	vo.no_trace = a->no_trace;
	vo.db = s->db;
	vo.base = s->base;
	return qn_verify(s->img[0], s->img[1], &vo, err);
}

static void print_summary(const char *dir, const json_t *v, const qn_sign_key *key, bool as_json)
{
	bool ok = json_is_true(json_object_get(v, "ok"));
	if (as_json) {
		json_t *j =
		    json_pack("{s:s,s:b,s:b,s:s?,s:O?}", "bundle", dir, "verification_ok", ok, "signed", key != NULL,
			      "keyid", key ? qn_key_id(key) : NULL, "cves",
			      json_object_get(v, "cves") ? json_object_get(json_object_get(v, "cves"), "after") : NULL);
		_cleanup_free_ char *s = qn_json_dump(j, true);
		fputs(s, stdout);
		json_decref(j);
		return;
	}
	printf("evidence bundle %s: verification %s, %s", dir, ok ? "passed" : "FAILED",
	       key ? "signed with key " : "unsigned (no --key)");
	if (key)
		printf("%s (%s)", qn_key_id(key), qn_key_type_name(qn_key_get_type(key)));
	printf("\n");
	const json_t *c = json_object_get(v, "cves");
	if (json_is_object(c)) {
		const json_t *b = json_object_get(c, "before"), *af = json_object_get(c, "after");
#define T(o, k) json_integer_value(json_object_get(json_object_get(o, k), "total"))
		printf("CVEs: %lld -> %lld (base %lld -> %lld, app %lld -> %lld",
		       json_integer_value(json_object_get(b, "total")),
		       json_integer_value(json_object_get(af, "total")), T(b, "base"), T(af, "base"), T(b, "app"),
		       T(af, "app"));
		if (T(b, "unknown") || T(af, "unknown"))
			printf(", layer of unknown kind %lld -> %lld: give --base", T(b, "unknown"), T(af, "unknown"));
		printf(")\n");
#undef T
	}
	printf("report: %s/report.html\n", dir);
}

/* Opens and computes everything the bundle needs; what can be refused (the key, the reports,
 * the images) is checked before any container runs. */
const char *qn_cli_key_password(void)
{
	const char *pw = getenv("QUENCH_KEY_PASSWORD");
	return pw ? pw : getenv("COSIGN_PASSWORD");
}

qn_sign_key *qn_cli_load_signing_key(const char *path, qn_error **err)
{
	return qn_key_load_private(path, qn_cli_key_password(), err);
}

static int gather(args_t *a, char **argv, state_t *s, qn_error **err)
{
	if ((a->key && !(s->key = qn_cli_load_signing_key(a->key, err))) ||
	    (a->hreport && !(s->harden = read_json(a->hreport, "the harden report", err))) ||
	    !(s->img[0] = qn_image_open(argv[optind], &a->io, err)) ||
	    !(s->img[1] = qn_image_open(argv[optind + 1], &a->io, err)) || !(s->verify = run_verify(a, s, err)))
		return -1;
	return 0;
}

static int write_bundle(args_t *a, state_t *s, qn_error **err)
{
	return qn_evidence_write_images(a->out, s->img[0], s->img[1], s->verify, s->harden, s->key, err);
}

static int make_bundle(args_t *a, char **argv)
{
	state_t s = {0};
	qn_error *err = NULL;
	int rc;
	if (gather(a, argv, &s, &err) < 0 || write_bundle(a, &s, &err) < 0)
		rc = qn_cli_fail(err);
	else {
		print_summary(a->out, s.verify, s.key, a->json);
		rc = json_is_true(json_object_get(s.verify, "ok")) ? QN_EXIT_OK : QN_EXIT_FAIL;
	}
	state_clear(&s);
	return rc;
}

int qn_cli_evidence_after_harden(const qn_cli_evidence_opts *o)
{
	args_t a = {.out = o->dir, .db = o->db, .base = o->base, .runtime = o->runtime, .timeout = o->timeout};
	if (o->io)
		a.io = *o->io;
	if (o->probes)
		a.probes = *o->probes;
	state_t s = {.img[0] = o->original};
	qn_error *err = NULL;
	int rc;
	if (!(s.img[1] = qn_image_open(o->hardened_ref, &a.io, &err)) || !(s.verify = run_verify(&a, &s, &err)) ||
	    qn_evidence_write_images(o->dir, o->original, s.img[1], s.verify, o->harden_report, o->key, &err) < 0)
		rc = qn_cli_fail(err);
	else {
		if (!o->quiet)
			print_summary(o->dir, s.verify, o->key, false);
		rc = json_is_true(json_object_get(s.verify, "ok")) ? QN_EXIT_OK : QN_EXIT_FAIL;
	}
	s.img[0] = NULL; /* borrowed */
	state_clear(&s);
	return rc;
}

static int verify_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"no-signature", no_argument, NULL, O_NOSIG},
	    {"json", no_argument, NULL, O_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *key = NULL;
	bool nosig = false, json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		if (c == 'h')
			return fputs(verify_help, stdout), QN_EXIT_OK;
		else if (c == 'k')
			key = optarg;
		else if (c == O_NOSIG)
			nosig = true;
		else if (c == O_JSON)
			json = true;
		else
			return qn_cli_usage_error("evidence verify", "unknown option");
	}
	if (optind + 1 != argc)
		return qn_cli_usage_error("evidence verify", "expected one DIR");
	if (!key == !nosig)
		return qn_cli_usage_error("evidence verify",
					  "give --key KEY.pub, or --no-signature to check digests only");
	qn_error *err = NULL;
	qn_sign_key *k = key ? qn_key_load_public(key, &err) : NULL;
	if (key && !k)
		return qn_cli_fail(err);
	json_t *sum = NULL;
	int r = qn_evidence_verify(argv[optind], k, &sum, &err);
	qn_key_free(k);
	if (r != 0) {
		if (r < 0)
			return qn_cli_fail(err);
		fprintf(stderr, "quench: evidence verify %s: FAILED: %s\n", argv[optind], err->msg);
		qn_error_free(err);
		return QN_EXIT_FAIL;
	}
	if (json) {
		_cleanup_free_ char *s = qn_json_dump(sum, true);
		fputs(s, stdout);
	} else
		printf("%s: ok: %lld files match the attestation for %s (sha256:%s); signature %s; the bundle records "
		       "verification %s\n",
		       argv[optind], json_integer_value(json_object_get(sum, "files")), qn_json_str(sum, "subject"),
		       qn_json_str(sum, "digest"), nosig ? "NOT checked" : "verified",
		       json_is_true(json_object_get(sum, "verification_ok")) ? "passed" : "FAILED");
	json_decref(sum);
	return QN_EXIT_OK;
}

int qn_cmd_evidence(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return verify_bundle(argc - 1, argv + 1);
	args_t a = {.timeout = 300};
	int pr = parse(&a, argc, argv);
	int rc = pr < 0 ? QN_EXIT_USAGE : QN_EXIT_OK;
	if (pr == 0) {
		/* from here on a signal asks the run to stop and clean up */
		qn_cli_defer_signals(false);
		rc = make_bundle(&a, argv);
		if (qn_interrupted())
			rc = 128 + qn_interrupted();
	}
	qn_cli_probes_clear(&a.probes);
	return rc;
}
