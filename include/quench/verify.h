/* libquench verify module: prove that a hardened image still does what the original did, and
 * explain what went away.
 *
 *   - the same probes run on both images (each in a container of its own, under the run
 *     module); exit codes, stdout and stderr (normalised for timestamps and pids, configurable),
 *     HTTP status, selected headers and body digests are compared;
 *   - the hardened image runs under the path recorders (ptrace helper and fanotify); every path
 *     it looked up that exists in the original image but not in the hardened one is reported as
 *     missing, even when every probe passed;
 *   - the interface (Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, Volumes, StopSignal,
 *     Healthcheck, Labels) and the OCI annotations are compared;
 *   - packages kept, trimmed and removed, paths kept and removed (with a digest of each list),
 *     sizes;
 *   - with a vulnerability database: the CVE delta. A CVE may leave the count only because its
 *     package left the image; any other disappearance is "unexplained" and fails verification.
 *
 * The document is "quench.verify/v1" (docs/verify.md). This module does not run containers
 * itself beyond calling the run module, and does not format output (cli/cmd_verify.c does). */
#ifndef QUENCH_VERIFY_H
#define QUENCH_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "quench/harden.h"
#include "quench/image.h"
#include "quench/vuln.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Built-in normalisation patterns (bits of qn_verify_opts.normalize). Each replaces what it
 * matches in stdout, stderr and HTTP bodies' text by a fixed token before comparison. */
enum {
	QN_NORM_TIMESTAMPS = 1 << 0, /* ISO 8601 / RFC 3339 date-times, "HH:MM:SS[.fff]", HTTP dates,
				      * syslog/CLF dates ("04/Dec/2026:04:06:28 +0000") -> <TIME> */
	QN_NORM_PIDS = 1 << 1,       /* "pid 123", "pid=123", "[123]" after a program name, "#123:"
				      * (nginx worker ids) -> <PID> */
	QN_NORM_ADDRS = 1 << 2,      /* hexadecimal addresses "0x7f..." (8+ digits) -> <ADDR> */
	QN_NORM_DEFAULT = QN_NORM_TIMESTAMPS | QN_NORM_PIDS | QN_NORM_ADDRS,
};

typedef struct {
	const struct qn_probe_list *probes; /* the probes (NULL or empty: only the image's command) */
	const char *runtime;                /* runc, crun or a path (NULL: runc) */
	double timeout;                     /* wall clock per image run, seconds (0: 300) */
	const char *helper_dir;             /* folder holding quench-trace (NULL: no ptrace recorder) */
	const char *workdir_parent;         /* where the private work folders go (NULL: TMPDIR) */
	/* normalisation: built-in patterns (QN_NORM_* bits; the cli passes QN_NORM_DEFAULT unless
	 * told otherwise) and extra POSIX extended regexes whose matches become "<X>" */
	unsigned normalize;
	const char *const *normalize_regex;
	size_t n_normalize_regex;
	/* HTTP response headers compared by name (case-insensitive). NULL: Content-Type only. */
	const char *const *headers;
	size_t n_headers;
	bool compare_body;   /* compare HTTP bodies by digest (after normalisation); default true via
			      * qn_verify_opts_init */
	bool compare_stderr; /* compare exec stderr (after normalisation); default true */
	bool no_trace;       /* skip the path recorders on the hardened run (no missing-path check) */
	/* CVE delta: db (borrowed; NULL = no delta, "cves" is null) and the base image for the
	 * base/app split (borrowed; NULL = the scan's own layer attribution). */
	qn_vulndb *db;
	qn_image *base;
	/* Already computed scan documents ("quench.scan/v1") of the original and the hardened image
	 * (borrowed). When both are set they are used instead of scanning (db may then be NULL). */
	const json_t *scan_original, *scan_hardened;
} qn_verify_opts;

/* Default options: QN_NORM_DEFAULT, compare_body and compare_stderr on, everything else 0. */
void qn_verify_opts_init(qn_verify_opts *o);

/* Verifies hardened against original. Returns the "quench.verify/v1" document (caller decrefs):
 * its "ok" is false on any divergence (a probe that differs, a missing path, an interface
 * change, an unexplained CVE). Returns NULL with err only when verification could not be done
 * (bad input, the runtime failed to start a container: QN_ERR_RUNTIME, interrupted). Both images
 * are borrowed. Cleans up containers, mounts and work folders on every path. */
json_t *qn_verify(qn_image *original, qn_image *hardened, const qn_verify_opts *o, qn_error **err);

/* Reads the probes a harden report ran ("quench.harden/v1", profile.probes) and appends them to
 * *v / *n (struct qn_probe from the run module; clear each with qn_probe_clear). Each probe is
 * taken from its "spec", or parsed from its label when the report has none. Returns 0, or -1
 * with QN_ERR_INPUT naming what is wrong (what names the report in messages); *v and *n are
 * changed only on success. */
int qn_verify_probes_from_report(const uint8_t *buf, size_t len, const char *what, struct qn_probe **v, size_t *n,
				 qn_error **err);

/* ---- pure parts (exposed for tests and for the evidence bundle) ---- */

/* Normalises text of len bytes with the built-in patterns in `builtin` and the compiled extra
 * regexes (see qn_verify_norm_new). Returns a new NUL-terminated string (caller frees). */
typedef struct qn_verify_norm qn_verify_norm;
qn_verify_norm *qn_verify_norm_new(unsigned builtin, const char *const *regex, size_t n, qn_error **err);
void qn_verify_norm_free(qn_verify_norm *n);
char *qn_verify_normalize(const qn_verify_norm *n, const char *text, size_t len);

/* Compares two probe results as qn_verify reports them (objects with "kind", "ran", "status"
 * or "exit_code", "stdout"/"stderr" (normalised text), "body_sha256", "headers" {name: value}).
 * Returns a new array of strings, one per difference ("status 200 != 500"); empty when same. */
json_t *qn_verify_probe_diffs(const json_t *original, const json_t *hardened);

/* The CVE delta from two "quench.scan/v1" documents and the verify "packages" object (kept,
 * trimmed, removed lists). Returns the "cves" object of the verify document (without "db"),
 * and sets *unexplained to the number of unexplained disappearances. */
json_t *qn_verify_cve_delta(const json_t *scan_before, const json_t *scan_after, const json_t *packages,
			    size_t *unexplained);

/* Compares two image config documents (and two annotation objects, which may be NULL).
 * Returns the "interface" object of the verify document. */
json_t *qn_verify_interface(const json_t *config_original, const json_t *config_hardened,
			    const json_t *annotations_original, const json_t *annotations_hardened);

#ifdef __cplusplus
}
#endif
#endif
