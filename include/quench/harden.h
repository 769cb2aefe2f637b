/* libquench harden module: profile an image at runtime, add what static analysis proves
 * necessary, and write a minimal drop-in image with an honest package database.
 *
 *   keep set = paths the container touched (fanotify + ptrace, while probes ran)
 *            ∪ ELF and shebang closure of what is kept
 *            ∪ essentials (users, name service, TLS trust, loader cache, os-release)
 *            ∪ --include paths and categories whose default removal was switched off
 *            ∪ package metadata of every package that keeps a file
 *            − --exclude globs
 *
 * The hardened image keeps the original's config (Entrypoint, Cmd, Env, WorkingDir, User,
 * ExposedPorts, Volumes, StopSignal, Healthcheck, Labels) byte for byte, one layer per original
 * layer, and annotations naming the original image. The same input and profile give the same
 * digest. */
#ifndef QUENCH_HARDEN_H
#define QUENCH_HARDEN_H

#include <jansson.h>

#include "quench/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	QN_CONTINUE_PROBES = 0, /* stop once the probes ran (or, without probes, when the command exits) */
	QN_CONTINUE_SECONDS,    /* after the probes, keep running for `continue_seconds` */
	QN_CONTINUE_SIGNAL,     /* after the probes, keep running until quench receives SIGUSR1 */
} qn_continue_mode;

/* Default hardening rules; each can be switched off (its content is then kept). */
enum {
	QN_RULE_SETUID = 1 << 0,       /* strip setuid/setgid bits */
	QN_RULE_SHELLS = 1 << 1,       /* remove shells unless used */
	QN_RULE_PKG_MANAGERS = 1 << 2, /* remove package managers unless used */
	QN_RULE_COMPILERS = 1 << 3,    /* remove compilers and toolchains unless used */
	QN_RULE_DOCS = 1 << 4,         /* remove docs, man and info pages unless used */
	QN_RULE_LOCALES = 1 << 5,      /* remove locales other than C/C.UTF-8 unless used */
	QN_RULE_CACHES = 1 << 6,       /* remove apt/dpkg/apk caches and lists unless used */
	QN_RULE_ALL = (1 << 7) - 1,
};

struct qn_probe; /* see lib/run/run.h */

typedef struct {
	const char *out;
	qn_image_format format; /* 0: the input's format (oci-archive for dir: sources) */
	const char *tag;        /* NULL: the original tag + "-hardened" */
	const struct qn_probe_list *probes;
	qn_continue_mode continue_mode;
	double continue_seconds;
	const char *const *includes; /* canonical or absolute paths */
	size_t n_includes;
	const char *const *excludes; /* globs */
	size_t n_excludes;
	unsigned rules;             /* QN_RULE_* bits that apply (default QN_RULE_ALL) */
	const char *runtime;        /* runc, crun or a path */
	double timeout;             /* wall clock for the whole profile run (seconds) */
	const char *helper_dir;     /* folder holding quench-trace */
	bool no_ptrace;             /* fanotify only (the ptrace recorder catches more) */
	const char *workdir_parent; /* where the private work folder goes (default TMPDIR) */
} qn_harden_opts;

/* A list of probes (defined by the run module). */
struct qn_probe_list {
	struct qn_probe *v;
	size_t n;
};

/* Hardens img. Returns the report document (docs/harden-report.md; caller decrefs) or NULL with
 * err. When the profile run fails (the container cannot start, a probe errors), the report is
 * still produced when possible and *err explains; no image is written. Cleans up containers,
 * mounts and temporary folders on every path, including interruption (qn_set_interrupted). */
json_t *qn_harden(qn_image *img, const qn_harden_opts *opts, qn_error **err);

#ifdef __cplusplus
}
#endif
#endif
