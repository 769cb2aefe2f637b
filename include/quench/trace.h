/* libquench trace module: which paths a running container touched.
 *
 * Two recorders, used together by `quench harden` (docs/tracing.md says what each one catches):
 *   - quench-trace, a static helper run inside the container (as PID 1, or wrapping an exec
 *     probe), appends one line per path lookup to a log; qn_trace_log_parse reads that log.
 *     It sees every path-taking system call, including stat, access, readlink and lookups
 *     that fail, but not the files the kernel opens on its own behalf.
 *   - qn_fanrec watches the container's root filesystem from the outside with fanotify. It sees
 *     every file and folder actually opened or executed there (the kernel's own opens too),
 *     by its real path, but nothing that only looks at a name (stat, access, failed lookups).
 *
 * Paths are canonical and relative to the container's root: "usr/bin/python3". The root itself
 * ("") is never reported: it is always kept. This module records; it does not run containers.
 *
 * qn_strset comes from libquench's internal util/strset.h: the module's users are inside
 * libquench (the include path holds both include/ and lib/). */
#ifndef QUENCH_TRACE_H
#define QUENCH_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"
#include "util/strset.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the quench-trace log ---- */

/* Parses a log written by quench-trace (one or several instances appended to one file) and adds
 * each path it names to paths as a canonical relative path ("etc/passwd"): the leading '/' goes,
 * "." and ".." are resolved lexically (".." stops at the root), escapes are undone. Left out:
 * the root itself; /proc, /sys and /dev and everything below them (the runtime mounts them; no
 * image content is reached through them); and every path whose first component begins with
 * ".quench" (the helper, its log and their mount points). Both paths of a two-path line (rename,
 * link, symlink) count. Lines beginning with '#' are comments.
 *
 * Returns 0, or -1 with QN_ERR_INPUT for a malformed line (bad escape, a path that is not
 * absolute, a NUL byte, a last line without its newline) or QN_ERR_LIMIT for a path longer
 * than 16 KiB; paths is changed only on success. Keeps no reference to buf or paths. */
int qn_trace_log_parse(const uint8_t *buf, size_t len, qn_strset *paths, qn_error **err);

/* ---- the fanotify recorder ---- */

/* How a path was seen (bits; several may be set). */
enum {
	QN_FANREC_OPEN = 1,   /* opened (a file, a device, a fifo) */
	QN_FANREC_EXEC = 2,   /* opened for execution: execve, the ELF interpreter, uselib */
	QN_FANREC_LISTED = 4, /* a folder opened, which is how listing it starts (opendir) */
};

typedef struct qn_fanrec qn_fanrec;

/* Starts recording the opens under mountpoint, on a thread of its own, until qn_fanrec_stop.
 * When mountpoint is the root of an overlay mount (what quench mounts as a container's root),
 * the whole overlay filesystem is marked (FAN_MARK_FILESYSTEM): the runtime's copies of the
 * mount in the container's mount namespace are other mounts, which a mount mark would not
 * see. Anything else gets a mount mark (FAN_MARK_MOUNT) and only paths under mountpoint count.
 * Opens made by the calling process itself (any of its threads) are not recorded.
 *
 * Needs CAP_SYS_ADMIN. Returns a new recorder (free with qn_fanrec_free) or NULL with err:
 * QN_ERR_RUNTIME (errnum EPERM or ENOSYS when fanotify is not available). Copies mountpoint. */
qn_fanrec *qn_fanrec_start(const char *mountpoint, qn_error **err);

/* Stops the thread after reading every event already queued (each open that returned before
 * this call is in). Returns 0, or -1 with QN_ERR_RUNTIME when events were lost (queue
 * overflow, a failed read): a partial record would make a broken keep set. Calling it again
 * returns 0. */
int qn_fanrec_stop(qn_fanrec *r, qn_error **err);

/* The paths seen, each with its QN_FANREC_* bits as value ((uintptr_t)qn_strset_get(set, p)).
 * Valid after qn_fanrec_stop, until qn_fanrec_free; borrowed, do not change it. */
const qn_strset *qn_fanrec_paths(const qn_fanrec *r);

/* The QN_FANREC_* bits seen for path (0 when not seen). After qn_fanrec_stop. */
unsigned qn_fanrec_kinds(const qn_fanrec *r, const char *path);

/* Events whose file could not be mapped to a path under mountpoint any more (deleted or moved
 * before the event was read, or opened through a bind mount of a subfolder). After stop. */
size_t qn_fanrec_unmapped(const qn_fanrec *r);

/* Stops the recorder if it is still running (errors dropped) and frees it. NULL is a no-op. */
void qn_fanrec_free(qn_fanrec *r);

#ifdef __cplusplus
}
#endif
#endif
