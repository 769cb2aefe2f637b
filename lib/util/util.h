/* Internal helpers for every libquench module: allocation that aborts on OOM, cleanup
 * attributes, growable buffers, small string helpers and fd-safe file I/O.
 * Nothing here knows about images. */
#ifndef QN_UTIL_H
#define QN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "quench/error.h"

#define QN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Each argument is evaluated once (a call such as QN_MAX(run(), 0) must not run twice); the
 * temporaries get names of their own per use, so the macros nest without shadowing. */
#define QN_CAT_(a, b) a##b
#define QN_CAT(a, b) QN_CAT_(a, b)
#define QN_PICK_(a, b, op, u)                                                               \
	__extension__({                                                                     \
		__typeof__(a) QN_CAT(qn_a_, u) = (a);                                       \
		__typeof__(b) QN_CAT(qn_b_, u) = (b);                                       \
		QN_CAT(qn_a_, u) op QN_CAT(qn_b_, u) ? QN_CAT(qn_a_, u) : QN_CAT(qn_b_, u); \
	})
#define QN_MIN(a, b) QN_PICK_(a, b, <, __COUNTER__)
#define QN_MAX(a, b) QN_PICK_(a, b, >, __COUNTER__)
#define QN_UNUSED __attribute__((unused))
#define QN_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- allocation: out of memory aborts (STYLE: do not thread ENOMEM everywhere) ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: grows p to n*size bytes, aborting on overflow. */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) QN_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) QN_PRINTF(1, 0);

/* ---- cleanup attributes ---- */
static inline void freep(void *p)
{
	free(*(void **)p);
}
void closep(int *fd);
void fclosep(FILE **f);
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_error_ _cleanup_(qn_error_freep)
static inline void qn_error_freep(qn_error **e)
{
	qn_error_free(*e);
}

/* steal_pointer: returns *pp and sets it to NULL, handing ownership on. */
static inline void *steal_pointer_(void *pp)
{
	void **p = (void **)pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) steal_pointer_(pp)
static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* ---- growable byte buffer; always NUL-terminated after its contents ---- */
typedef struct {
	char *data;
	size_t len;
	size_t cap;
} qn_buf;
#define QN_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}
void qn_buf_reserve(qn_buf *b, size_t extra);
void qn_buf_add(qn_buf *b, const void *p, size_t n);
void qn_buf_adds(qn_buf *b, const char *s);
void qn_buf_addc(qn_buf *b, char c);
void qn_buf_printf(qn_buf *b, const char *fmt, ...) QN_PRINTF(2, 3);
void qn_buf_clear(qn_buf *b);
/* Returns the contents (caller frees) and resets b. Never NULL. */
char *qn_buf_steal(qn_buf *b);
static inline void qn_buf_reset(qn_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}
static inline void qn_buf_clearp(qn_buf *b)
{
	qn_buf_clear(b);
}
#define _cleanup_buf_ _cleanup_(qn_buf_clearp)

/* ---- growable array of pointers ---- */
typedef struct {
	void **v;
	size_t n;
	size_t cap;
} qn_ptrvec;
void qn_ptrvec_push(qn_ptrvec *pv, void *p);
/* Frees the vector storage, calling free_fn on each element when not NULL. */
void qn_ptrvec_clear(qn_ptrvec *pv, void (*free_fn)(void *));

/* ---- strings ---- */
bool qn_str_has_prefix(const char *s, const char *prefix);
bool qn_str_has_suffix(const char *s, const char *suffix);
/* Copies s for safe printing in a one-line error: control characters and non-UTF-8-looking bytes
 * become \xNN, and anything past max bytes becomes "...". Caller frees. */
char *qn_str_quote(const char *s, size_t max);
/* Human-readable size, e.g. "12.3 MB" (decimal units). Writes into out (at least 16 bytes). */
const char *qn_fmt_size(uint64_t n, char out[static 16]);
/* Parses a size with optional K/M/G/T suffix (binary). Returns 0 ok, -1 bad input. */
int qn_parse_size(const char *s, uint64_t *out);
int qn_parse_u64(const char *s, uint64_t *out);
/* Parses a decimal number from lo to hi (inclusive). Returns 0 ok, -1 for an empty value,
 * trailing text, overflow, NaN or a value out of range. */
int qn_parse_double(const char *s, double lo, double hi, double *out);

/* ---- files ---- */
/* Reads a whole regular file of at most max bytes. Returns NULL and sets err on failure or when
 * the file is larger than max (QN_ERR_LIMIT). Caller frees; *len_out gets the size. */
char *qn_read_file(const char *path, size_t max, size_t *len_out, qn_error **err);
/* Writes data to path atomically: a temporary file in the same folder, fsync, rename. */
int qn_write_file_atomic(const char *path, const void *data, size_t len, int mode, qn_error **err);
/* Full read/write with EINTR retry. read returns bytes read (short only at EOF) or -1. */
ssize_t qn_read_full(int fd, void *buf, size_t n);
ssize_t qn_pread_full(int fd, void *buf, size_t n, off_t off);
int qn_write_full(int fd, const void *buf, size_t n);

/* Atomic output file: writes to DIR/.NAME.XXXXXX, renamed into place by commit. */
typedef struct {
	char *path;
	char *tmp;
	int fd;
	FILE *fp;
} qn_atomic_file;
int qn_atomic_open(qn_atomic_file *af, const char *path, int mode, qn_error **err);
/* Flushes, fsyncs and renames; after this the struct is cleared. */
int qn_atomic_commit(qn_atomic_file *af, qn_error **err);
/* Removes the temporary file, if any (safe after commit and on zeroed structs). */
void qn_atomic_abort(qn_atomic_file *af);

/* Creates a private work folder PARENT/NAME.XXXXXX (mode 0700) and registers it for removal on
 * interruption. PARENT is the caller's choice when given, else $TMPDIR, else /dev/shm when it
 * is a writable tmpfs with room for four times NEED bytes (what is unpacked there is written
 * once, read by a container and removed: on a busy disk that costs more than the rest of the
 * run), else /tmp. Returns the path (caller frees, removes and unregisters), or NULL. */
char *qn_work_dir_new(const char *parent, uint64_t need, const char *name, qn_error **err);

/* Registers a path to unlink (or rm -rf) if the process is interrupted by a signal.
 * Used by the CLI's signal handler so an interrupted run leaves nothing half-written. */
void qn_cleanup_register(const char *path);
void qn_cleanup_unregister(const char *path);
/* Called from a signal handler: removes registered paths (async-signal-safe for files only). */
void qn_cleanup_run_signal(void);
/* Interruption: the command line's signal handler records the signal (async-signal-safe);
 * long waits in the library check qn_interrupted() and unwind so cleanup can run. Returns the
 * signal number, or 0. */
void qn_set_interrupted(int sig);
int qn_interrupted(void);
/* SIGUSR1: "go on" for waits that last until the user says so (harden --continue-after signal). */
void qn_set_continue(void);
bool qn_continue_requested(void);

/* qsort for arrays that may be empty: qsort must not be given a NULL base, even for no
 * elements, and an empty vector has one. */
static inline void qn_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* rm -rf without following symlinks; returns 0 or -1 with errno. */
int qn_rm_rf(const char *path);

/* ---- logging (stderr) ---- */
typedef enum { QN_LOG_ERROR, QN_LOG_WARN, QN_LOG_INFO, QN_LOG_DEBUG } qn_log_level;
void qn_log_set_level(qn_log_level lvl);
qn_log_level qn_log_get_level(void);
void qn_log(qn_log_level lvl, const char *fmt, ...) QN_PRINTF(2, 3);
#define qn_warn(...) qn_log(QN_LOG_WARN, __VA_ARGS__)
#define qn_info(...) qn_log(QN_LOG_INFO, __VA_ARGS__)
#define qn_debug(...) qn_log(QN_LOG_DEBUG, __VA_ARGS__)

/* monotonic clock in seconds */
double qn_now(void);

#endif
