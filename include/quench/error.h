/* quench: error contract shared by every libquench function.
 *
 * A function that can fail returns int (0 ok, <0 failed) or a pointer (NULL failed) and takes
 * `qn_error **err` last. On failure it sets *err exactly once (if err is not NULL) and leaves it
 * alone on success. Callers add context on the way up with qn_error_prefix(). The caller owns the
 * error and releases it with qn_error_free(). See docs/errors.md.
 */
#ifndef QUENCH_ERROR_H
#define QUENCH_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What kind of failure; the CLI maps kinds to exit codes (docs/errors.md). */
typedef enum {
	QN_ERR_INPUT = 1,    /* the input is malformed, hostile or inconsistent: exit 2 */
	QN_ERR_USAGE = 2,    /* the request itself is wrong (bad flag value): exit 2 */
	QN_ERR_LIMIT = 3,    /* a safety limit was hit (size, count, depth): exit 2 */
	QN_ERR_NOTFOUND = 4, /* a named file, blob, tag or platform does not exist: exit 2 */
	QN_ERR_RUNTIME = 5,  /* the environment failed (I/O, runtime, network): exit 3 */
} qn_error_kind;

typedef struct qn_error {
	qn_error_kind kind;
	int errnum; /* errno when the failure came from a system call, else 0 */
	char *msg;  /* one line, context first: "layer sha256:ab..: entry "x": ..." */
} qn_error;

/* Sets *err to a new error (if err and not already set). Always returns -1 for convenience. */
int qn_error_set(qn_error **err, qn_error_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like qn_error_set, appending ": strerror(errnum)" and recording errnum. Kind QN_ERR_RUNTIME
 * unless errnum is ENOENT/ENOTDIR (QN_ERR_NOTFOUND). */
int qn_error_errno(qn_error **err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepends "CONTEXT: " to an existing error; no-op when err or *err is NULL. Returns -1. */
int qn_error_prefix(qn_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qn_error_free(qn_error *e);
/* Exit code for an error kind: 2 for input/usage/limit/notfound, 3 for runtime. */
int qn_error_exit_code(const qn_error *e);

#ifdef __cplusplus
}
#endif
#endif
