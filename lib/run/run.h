/* libquench run module: running an image under a real OCI runtime (runc; crun or another runtime
 * by path) from an unpacked root folder, and probing it (HTTP and exec).
 *
 * The container gets the image's own interface (Entrypoint + Cmd, Env, WorkingDir, User resolved
 * through the image's passwd/group), the default capability set of common engines,
 * no_new_privileges, memory/pids limits, a network namespace of its own with only loopback, and
 * an overlay root whose writes go to a private upper folder, so the unpacked image stays as it
 * was. This module owns the privileged work of running (mounts, namespaces, runtime calls). */
#ifndef QN_RUN_H
#define QN_RUN_H

#include <jansson.h>
#include <sys/types.h>

#include "util/util.h"

/* ---- users ---- */

typedef struct {
	uint32_t uid, gid;
	uint32_t *groups; /* supplementary groups from /etc/group */
	size_t n_groups;
	char *home;
	char *name; /* NULL when the user is numeric without a passwd entry */
} qn_user;

/* Resolves "user[:group]" (names or ids; "" = root) through passwd and group file contents.
 * Fails (QN_ERR_INPUT) for a name that the files do not know. Clear with qn_user_clear. */
int qn_user_resolve(const char *spec, const uint8_t *passwd, size_t plen, const uint8_t *group, size_t glen,
		    qn_user *out, qn_error **err);
void qn_user_clear(qn_user *u);

/* ---- bundles ---- */

typedef struct {
	const json_t *config;   /* the image config document */
	const char *rootfs;     /* absolute path of the container's root folder */
	char *const *args;      /* process args; NULL = the image's Entrypoint + Cmd */
	const char *helper_dir; /* host folder bind-mounted read-only at /.quench-bin (or NULL) */
	const char *log_dir;    /* host folder bind-mounted read-write at /.quench (or NULL) */
	uint64_t memory;        /* memory limit in bytes (0: 1 GiB) */
	int64_t pids;           /* pids limit (0: 1024) */
	const char *hostname;
} qn_bundle_opts;

/* The default capabilities of common container engines (Docker, containerd, Podman). */
extern const char *const qn_default_caps[];
/* Builds an OCI runtime config (config.json) for the image. The user is resolved through the
 * rootfs's etc/passwd and etc/group. Returns a new reference or NULL with err (QN_ERR_INPUT
 * when the image names no command or an unknown user). */
json_t *qn_bundle_config(const qn_bundle_opts *o, qn_error **err);
/* The image's command: Entrypoint + Cmd, as a NULL-terminated vector (caller frees each and the
 * vector), or NULL when both are empty. */
char **qn_image_command(const json_t *config);
/* The signal that stops the image's command: its config's StopSignal ("SIGQUIT", "QUIT" or a
 * number), SIGTERM when it names none or one we do not know. */
int qn_image_stop_signal(const json_t *config);

/* ---- containers ---- */

typedef struct {
	const char *runtime;    /* "runc", "crun" or a path; NULL = runc */
	const char *rootfs;     /* unpacked image, used as the overlay's lower folder (unchanged) */
	const char *workdir;    /* private folder that exists: bundle, overlay, state, logs */
	const json_t *config;   /* image config */
	char *const *args;      /* override the command (NULL = Entrypoint + Cmd) */
	const char *helper_dir; /* folder holding quench-trace (bind-mounted at /.quench-bin) */
	bool trace;             /* run the command under /.quench-bin/quench-trace */
	bool trace_exec;        /* run exec probes under it too */
	uint64_t memory;
	int64_t pids;
	/* called once the overlay root is mounted, before the runtime starts anything in it (to
	 * start recorders); a failure stops the start */
	int (*before_start)(void *ud, const char *root, qn_error **err);
	void *before_ud;
} qn_run_opts;

typedef struct qn_container qn_container;

/* Mounts the overlay, writes the bundle and starts the container in the background; returns
 * once the runtime reports its first process (or fails). Destroy it in every case. */
qn_container *qn_container_start(const qn_run_opts *o, qn_error **err);
/* The overlay root as the host sees it (for fanotify), the host path of the ptrace log, and the
 * container's first process on the host. */
const char *qn_container_root(const qn_container *c);
const char *qn_container_trace_log(const qn_container *c);
pid_t qn_container_pid(const qn_container *c);
/* Whether the first process still runs (reaps it when it has exited); *status then holds its
 * exit status as `runc run` reported it. */
bool qn_container_running(qn_container *c, int *status);
/* Whether the container's first process has ended (gone, a zombie not yet reaped, or exiting) while the
 * runtime may still be tearing the container down: the runtime's own exit can lag by seconds on
 * a busy machine, the first process's end cannot. */
bool qn_container_ending(qn_container *c);
/* Whether a /proc/PID/stat line shows a process that is ending: a zombie (Z, X), or one whose
 * flags have PF_EXITING, as a namespace's first process has while it waits for the rest of its
 * namespace to die (its state then reads S for as long as that takes, and the namespace
 * accepts no new process). COMM, in parentheses, may hold anything, ')' and spaces included. */
bool qn_proc_stat_exiting(const char *stat);
/* Waits for the first process to exit for at most `timeout` seconds. Returns 1 when it exited,
 * 0 on timeout, -1 when interrupted (qn_interrupted()). */
int qn_container_wait(qn_container *c, double timeout, int *status);

typedef struct {
	int exit_code;   /* -1 when it could not run; 128+N when killed by signal N */
	char *out, *err; /* captured stdout and stderr (at most 1 MiB each), NUL-terminated */
	size_t out_len, err_len;
	bool timed_out;
	double seconds;
} qn_exec_result;
void qn_exec_result_clear(qn_exec_result *r);

/* Runs argv inside the running container (as its user, in its WorkingDir, with its Env), under
 * the ptrace helper when the container was started with trace. Returns 0 with *res filled
 * (whatever the command's exit code), -1 with err when the runtime could not be run. */
int qn_container_exec(qn_container *c, char *const *argv, const char *input, double timeout, qn_exec_result *res,
		      qn_error **err);
/* Sends sig to the first process, waits up to grace seconds, then kills everything. */
void qn_container_stop(qn_container *c, int sig, double grace);
/* Stops the container if needed, deletes it from the runtime, unmounts the overlay and removes
 * everything under workdir that the container created. Safe on NULL. */
void qn_container_destroy(qn_container *c);
/* A file descriptor of the container's network namespace (for probes), or -1. Borrowed. */
int qn_container_netns(qn_container *c);

/* ---- probes ---- */

typedef enum { QN_PROBE_HTTP = 1, QN_PROBE_EXEC } qn_probe_kind;

typedef struct qn_probe {
	qn_probe_kind kind;
	/* http */
	char *method; /* "GET" */
	int port;
	char *path;      /* "/health" */
	char *body_in;   /* request body or NULL */
	int want_status; /* 0 = any */
	char *want_body; /* exact expected body or NULL */
	/* exec */
	char **argv;       /* NULL-terminated */
	char *want_stdout; /* exact expected stdout or NULL */
	bool is_test;      /* from --test: the user's own test command (exit 0 expected) */
	char *label;       /* how it is shown: "GET 8000/health", "exec python3 -c ..." */
} qn_probe;

typedef struct {
	bool ran;   /* it got an answer (a connection, or the command ran) */
	bool ok;    /* it answered as expected */
	int status; /* HTTP status or exit code */
	char *body; /* HTTP body or stdout (bounded), NUL-terminated */
	size_t body_len;
	char *stderr_text;
	char *content_type;    /* HTTP Content-Type header or NULL */
	char *headers;         /* HTTP header lines as received ("Name: value\r\n"...) or NULL */
	char body_sha256[136]; /* "sha256:<hex>" of body (QN_DIGEST_STR_MAX) */
	char *error;           /* why it failed to run, or why it was not ok */
	double seconds;
} qn_probe_result;

void qn_probe_clear(qn_probe *p);
void qn_probe_result_clear(qn_probe_result *r);

/* Parses "[METHOD ]PORT/PATH[=STATUS]" (--probe-http). */
int qn_probe_parse_http(const char *spec, qn_probe *out, qn_error **err);
/* Parses a command line with shell-like quoting ('...', "...", backslash) into an exec probe. */
int qn_probe_parse_exec(const char *cmdline, bool is_test, qn_probe *out, qn_error **err);
/* Parses a JSON probes document: an array of {"http": METHOD, "port", "path", "body_in",
 * "status", "body"} or {"exec": [argv], "stdout", "test"} objects (or an object with such a "probes"
 * array). Appends to *v / *n. */
int qn_probes_parse_json(const uint8_t *buf, size_t len, const char *what, qn_probe **v, size_t *n, qn_error **err);
/* Runs one probe against a running container, retrying HTTP connections until `timeout`
 * seconds have passed (the service may still be starting). Never fails: the result says what
 * happened. */
void qn_probe_run(qn_container *c, const qn_probe *p, double timeout, qn_probe_result *res);
/* Whether a failed exec probe met the end of the container's command rather than answering
 * (python3 without a terminal ends at once, killing what runs beside it): true when the first
 * process has ended or ends within a second; it then waits for the runtime to finish, which can
 * take seconds on a busy machine. Such a probe deserves another run in a paused container. */
bool qn_probe_met_command_end(qn_container *c, const qn_probe *p, const qn_probe_result *r);
/* The probe and its result as JSON (for reports); "spec" holds the probe itself in the probes
 * file form (qn_probe_spec_json), so that a report's probes can be run again. */
json_t *qn_probe_json(const qn_probe *p, const qn_probe_result *r);
/* The probe in the form qn_probes_parse_json reads ({"http", "port", "path", ...} or {"exec": [argv],
 * "stdout", "test": true}). New reference. */
json_t *qn_probe_spec_json(const qn_probe *p);

#endif
