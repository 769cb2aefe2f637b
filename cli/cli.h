/* Shared pieces of the quench command line: exit codes, error printing, output files and the
 * options every image-reading command accepts. */
#ifndef QN_CLI_H
#define QN_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "quench/error.h"
#include "quench/image.h"
#include "util/util.h"

enum {
	QN_EXIT_OK = 0,
	QN_EXIT_FAIL = 1,    /* findings over threshold, policy or verification failed */
	QN_EXIT_USAGE = 2,   /* usage or bad input */
	QN_EXIT_RUNTIME = 3, /* runtime failure */
};

typedef struct {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} qn_command;

/* Prints "quench: <msg>" for err and returns its exit code. Frees err. */
int qn_cli_fail(qn_error *err);
/* Prints "quench: <cmd>: <msg>" plus a hint to use --help; returns 2. */
int qn_cli_usage_error(const char *cmd, const char *fmt, ...) QN_PRINTF(2, 3);

/* Reads --timeout SECONDS (harden, verify, evidence) into *out; on bad input prints the usage
 * error for cmd and returns -1. */
int qn_cli_timeout(const char *cmd, const char *arg, double *out);

/* Long option ids shared by commands: the image options (--platform, --max-size, --max-entries,
 * --max-path, --threads) and the probe options (--probe-http, --probe-exec, --test, --probes).
 * A command's own ids start at QN_OPT_SHARED_LAST + 1. */
enum {
	QN_OPT_PLATFORM = 1000,
	QN_OPT_MAX_SIZE,
	QN_OPT_MAX_ENTRIES,
	QN_OPT_MAX_PATH,
	QN_OPT_THREADS,
	QN_OPT_PROBE_HTTP,
	QN_OPT_PROBE_EXEC,
	QN_OPT_TEST,
	QN_OPT_PROBES,
	QN_OPT_SHARED_LAST,
};
#define QN_IMAGE_LONGOPTS                                                 \
	{"platform", required_argument, NULL, QN_OPT_PLATFORM},           \
	    {"max-size", required_argument, NULL, QN_OPT_MAX_SIZE},       \
	    {"max-entries", required_argument, NULL, QN_OPT_MAX_ENTRIES}, \
	    {"max-path", required_argument, NULL, QN_OPT_MAX_PATH},       \
	{                                                                 \
		"threads", required_argument, NULL, QN_OPT_THREADS        \
	}
#define QN_IMAGE_OPTS_HELP                                                                                     \
	"Image options:\n"                                                                                     \
	"      --platform OS/ARCH[/VARIANT]  image to pick from a multi-platform index (default: this host)\n" \
	"      --max-size SIZE      refuse images larger than SIZE uncompressed (default 64G)\n"               \
	"      --max-entries N      refuse images with more than N tar entries (default 4000000)\n"            \
	"      --max-path N         refuse paths longer than N bytes (default 4096)\n"                         \
	"      --threads N          worker threads (default: number of CPUs)\n"

/* Handles one of the image options; returns 1 if c was one, 0 if not, -1 on a bad value
 * (message printed). */
int qn_cli_image_opt(const char *cmd, int c, const char *arg, qn_image_opts *o);

/* Output to stdout or to a file written atomically. */
typedef struct {
	FILE *fp;
	qn_atomic_file af;
	bool to_file;
} qn_output;
int qn_output_open(qn_output *o, const char *path, qn_error **err);
/* Commits the file (or flushes stdout). */
int qn_output_close(qn_output *o, qn_error **err);
void qn_output_abort(qn_output *o);

/* Whether colours/terminal decorations may be used on stream f (NO_COLOR respected). */
bool qn_cli_color(FILE *f);

/* The folder holding quench-trace, the helper run inside containers: $QUENCH_HELPER_DIR, else
 * next to the program (build tree or installed layout), else /usr/libexec/quench. Caller frees. */
char *qn_cli_helper_dir(void);

/* From here on SIGINT, SIGTERM and SIGHUP ask the running work to stop and clean up
 * (qn_interrupted()) instead of killing the process; with usr1, SIGUSR1 means "go on"
 * (qn_continue_requested()). */
void qn_cli_defer_signals(bool usr1);

/* ---- probes given on the command line (harden, verify, evidence) ---- */
struct qn_probe_list;
#define QN_PROBE_LONGOPTS                                               \
	{"probe-http", required_argument, NULL, QN_OPT_PROBE_HTTP},     \
	    {"probe-exec", required_argument, NULL, QN_OPT_PROBE_EXEC}, \
	    {"test", required_argument, NULL, QN_OPT_TEST},             \
	{                                                               \
		"probes", required_argument, NULL, QN_OPT_PROBES        \
	}
/* Handles a probe option: --probe-http, --probe-exec or --test appends the probe it describes,
 * --probes FILE those of the file. Returns 1 when c was one of them, 0 when not, -1 after
 * printing the one-line error for bad input. */
int qn_cli_probe_opt(struct qn_probe_list *l, int c, const char *arg);
/* Appends the probes of a probes file (--probes FILE, docs/probes.md), or those a harden report
 * records (--probes-from REPORT). On bad input prints the error and returns -1. */
int qn_cli_probes_file(struct qn_probe_list *l, const char *path, bool from_report);
/* Frees every probe of l and the list's array. */
void qn_cli_probes_clear(struct qn_probe_list *l);

int qn_cmd_inspect(int argc, char **argv);
int qn_cmd_sbom(int argc, char **argv);
int qn_cmd_harden(int argc, char **argv);
int qn_cmd_db(int argc, char **argv);
int qn_cmd_scan(int argc, char **argv);
int qn_cmd_evidence(int argc, char **argv);
/* For `harden --evidence DIR` (cli/cmd_evidence.c): verifies the image harden just wrote against
 * the original with the same probes and writes the evidence bundle, printing its summary unless
 * quiet. key may be NULL (unsigned). Returns the exit code: 0 verified, 1 verification failed
 * (bundle written, marked failed), 2 bad input, 3 runtime. */
struct qn_sign_key;
struct qn_probe_list;
typedef struct {
	qn_image *original;       /* borrowed */
	const char *hardened_ref; /* what harden wrote: "oci-archive:OUT", "oci:OUT", ... */
	const qn_image_opts *io;
	const struct qn_probe_list *probes; /* the probes harden ran */
	const json_t *harden_report;        /* qn_harden's report (profile coverage), or NULL */
	const char *dir;
	const struct qn_sign_key *key;   /* from qn_cli_load_signing_key, or NULL */
	const char *db, *base, *runtime; /* optional: CVE delta database, base image, runtime */
	double timeout;
	bool quiet;
} qn_cli_evidence_opts;
int qn_cli_evidence_after_harden(const qn_cli_evidence_opts *o);
/* The password of an encrypted private key: QUENCH_KEY_PASSWORD, else COSIGN_PASSWORD, else NULL. */
const char *qn_cli_key_password(void);
/* Loads a PEM private key for signing (PKCS#8, SEC1, encrypted PKCS#8, or cosign's encrypted
 * format); an encrypted one takes its password from qn_cli_key_password(). */
struct qn_sign_key *qn_cli_load_signing_key(const char *path, qn_error **err);
int qn_cmd_keygen(int argc, char **argv);
int qn_cmd_verify(int argc, char **argv);

#endif
