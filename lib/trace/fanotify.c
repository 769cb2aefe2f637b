/* The fanotify recorder: which files and folders under a mount point were opened or executed,
 * watched from outside the container on a thread of its own.
 *
 * Events asked for: FAN_OPEN and FAN_OPEN_EXEC, with FAN_ONDIR so that opening a folder (how
 * a listing starts) counts. Not FAN_ACCESS: every read() would be one more event, and one more
 * file descriptor opened by the kernel for us, for a path that the open already gave. Each
 * event's file descriptor is turned into a path through /proc/self/fd and closed at once.
 *
 * What it sees: every open that reaches a file on the marked filesystem, including the ones the
 * kernel makes itself (the ELF interpreter of an exec, a script's interpreter), with the real
 * path (symlinks already resolved). What it misses: anything that only looks at a name (stat,
 * access, readlink, failed lookups), the symlinks followed on the way, files opened through
 * other filesystems mounted inside the container. The ptrace helper (quench-trace) covers those.
 *
 * Why a filesystem mark for overlays: a container runtime does not use our mount. runc copies it
 * into the container's mount namespace and bind-mounts it again before pivot_root, and a mount
 * mark sees none of the opens made through those copies (tested: zero events for a whole
 * python3 run). An overlay mount is its own superblock, so FAN_MARK_FILESYSTEM covers exactly
 * that tree, through every copy. Paths read from an event in the container's namespace come out
 * relative to the container's root ("/usr/bin/python3"), paths read through our own mount carry
 * the mount point; each guess is confirmed by comparing device and inode before it is kept. */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <errno.h>

#include "quench/trace.h"
#include "util/util.h"

#define EVENT_BUF (64 * 1024)

struct qn_fanrec {
	char *mountpoint; /* canonical absolute path */
	size_t mlen;
	int dirfd; /* O_PATH of the mount point: where candidate paths are checked */
	int fan;   /* the fanotify group */
	int wake;  /* eventfd: qn_fanrec_stop asks the thread to drain and return */
	pid_t self;
	pthread_t thread;
	bool running;
	char *buf;       /* EVENT_BUF bytes for read() */
	qn_strset paths; /* relative path -> QN_FANREC_* bits */
	size_t unmapped;
	qn_error *err; /* the thread's first error, handed to qn_fanrec_stop's caller */
};

/* The path of the file with stat st relative to the mount point, or NULL. */
static const char *map_path(qn_fanrec *r, const char *path, const struct stat *st)
{
	const char *cand[2];
	int n = 0;
	if (r->mlen == 1)
		cand[n++] = path + 1; /* the mount point is "/" */
	else if (!strncmp(path, r->mountpoint, r->mlen) && (path[r->mlen] == '/' || !path[r->mlen]))
		cand[n++] = path + r->mlen + (path[r->mlen] == '/'); /* opened through our mount */
	if (path[0] == '/' && r->mlen > 1)
		cand[n++] = path + 1; /* seen from the root of the container's mount namespace */
	for (int i = 0; i < n; i++) {
		struct stat s2;
		int flags = AT_SYMLINK_NOFOLLOW | (*cand[i] ? 0 : AT_EMPTY_PATH);
		if (fstatat(r->dirfd, cand[i], &s2, flags) == 0 && s2.st_dev == st->st_dev && s2.st_ino == st->st_ino)
			return cand[i];
	}
	return NULL;
}

static void on_event(qn_fanrec *r, const struct fanotify_event_metadata *m)
{
	if (m->mask & FAN_Q_OVERFLOW)
		qn_error_set(&r->err, QN_ERR_RUNTIME, "fanotify queue overflowed: events were lost");
	if (m->fd < 0)
		return;
	char proc[64], path[PATH_MAX];
	struct stat st;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", m->fd);
	ssize_t n = m->pid == r->self ? -1 : readlink(proc, path, sizeof(path) - 1);
	bool ok = n > 0 && fstat(m->fd, &st) == 0;
	/* the kernel opened this descriptor for us; close it now, events can be many */
	close(m->fd);
	if (m->pid == r->self)
		return;
	const char *rel = NULL;
	if (ok) {
		path[n] = 0;
		rel = map_path(r, path, &st);
	}
	if (!rel) {
		r->unmapped++;
		return;
	}
	if (!*rel)
		return; /* the root: always kept */
	uintptr_t kinds = (uintptr_t)qn_strset_get(&r->paths, rel);
	kinds |= S_ISDIR(st.st_mode) ? QN_FANREC_LISTED : QN_FANREC_OPEN;
	if (m->mask & FAN_OPEN_EXEC)
		kinds |= QN_FANREC_EXEC;
	qn_strset_put(&r->paths, rel, (void *)kinds);
}

/* Reads and handles every queued event, until the queue is empty or a read fails. Errors are
 * recorded, not fatal: the thread keeps reading so that the queue, unlimited, stays short. */
static void drain(qn_fanrec *r)
{
	for (;;) {
		ssize_t n = read(r->fan, r->buf, EVENT_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* e.g. EMFILE: the kernel could not open the event's file for us, and the
			 * event is gone */
			qn_error_errno(&r->err, n < 0 ? errno : EIO, "reading fanotify events");
			return;
		}
		const struct fanotify_event_metadata *m = (const void *)r->buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (m->vers == FANOTIFY_METADATA_VERSION) {
				on_event(r, m);
				continue;
			}
			if (m->fd >= 0)
				close(m->fd);
			qn_error_set(&r->err, QN_ERR_RUNTIME, "fanotify metadata version %u, expected %u", m->vers,
				     FANOTIFY_METADATA_VERSION);
		}
	}
}

static void *reader(void *arg)
{
	qn_fanrec *r = arg;
	struct pollfd pf[2] = {{.fd = r->fan, .events = POLLIN}, {.fd = r->wake, .events = POLLIN}};
	for (;;) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			qn_error_errno(&r->err, errno, "waiting for fanotify events");
			return NULL;
		}
		/* stop only after a drain that began after the wake-up: every open that returned
		 * before qn_fanrec_stop was called is queued by then */
		bool stopping = pf[1].revents != 0;
		drain(r);
		if (stopping)
			return NULL;
	}
}

/* Marks the filesystem for an overlay (see the top of this file), else the mount. */
static int mark(qn_fanrec *r, qn_error **err)
{
	struct statfs sf;
	if (statfs(r->mountpoint, &sf) < 0)
		return qn_error_errno(err, errno, "statfs %s", r->mountpoint);
	unsigned how = sf.f_type == OVERLAYFS_SUPER_MAGIC ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT;
	uint64_t mask = FAN_OPEN | FAN_OPEN_EXEC | FAN_ONDIR;
	int rc = fanotify_mark(r->fan, FAN_MARK_ADD | how, mask, AT_FDCWD, r->mountpoint);
	if (rc < 0 && errno == EINVAL) /* before Linux 5.0 there is no FAN_OPEN_EXEC; exec opens are FAN_OPEN */
		rc =
		    fanotify_mark(r->fan, FAN_MARK_ADD | how, mask & ~(uint64_t)FAN_OPEN_EXEC, AT_FDCWD, r->mountpoint);
	if (rc < 0)
		return qn_error_errno(err, errno, "fanotify_mark %s", r->mountpoint);
	return 0;
}

/* Starts the reader thread with every signal blocked: signals are for the program's threads. */
static int start_thread(qn_fanrec *r, qn_error **err)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&r->thread, NULL, reader, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return qn_error_errno(err, rc, "starting the fanotify thread");
	r->running = true;
	return 0;
}

qn_fanrec *qn_fanrec_start(const char *mountpoint, qn_error **err)
{
	qn_fanrec *r = xcalloc(1, sizeof(*r));
	r->dirfd = r->fan = r->wake = -1;
	r->self = getpid();
	r->mountpoint = realpath(mountpoint, NULL);
	if (!r->mountpoint) {
		qn_error_errno(err, errno, "mount point %s", mountpoint);
		goto fail;
	}
	r->mlen = strlen(r->mountpoint);
	r->dirfd = open(r->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0) {
		qn_error_errno(err, errno, "mount point %s", r->mountpoint);
		goto fail;
	}
	/* O_NONBLOCK for the event descriptors too: the kernel opens each event's file for us,
	 * and opening a fifo without it could wait for a writer */
	r->fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
			       O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NONBLOCK);
	if (r->fan < 0) {
		qn_error_errno(err, errno, "fanotify_init");
		goto fail;
	}
	if (mark(r, err) < 0)
		goto fail;
	r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake < 0) {
		qn_error_errno(err, errno, "eventfd");
		goto fail;
	}
	r->buf = xmalloc(EVENT_BUF);
	if (start_thread(r, err) < 0)
		goto fail;
	return r;
fail:
	qn_fanrec_free(r);
	return NULL;
}

int qn_fanrec_stop(qn_fanrec *r, qn_error **err)
{
	if (!r->running)
		return 0;
	uint64_t one = 1;
	while (write(r->wake, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(r->thread, NULL);
	r->running = false;
	close(r->fan); /* drops the mark: nothing more is queued for us */
	r->fan = -1;
	if (!r->err)
		return 0;
	qn_error *e = steal_pointer(&r->err);
	if (err && !*err)
		*err = e;
	else
		qn_error_free(e);
	return -1;
}

const qn_strset *qn_fanrec_paths(const qn_fanrec *r)
{
	return &r->paths;
}

unsigned qn_fanrec_kinds(const qn_fanrec *r, const char *path)
{
	return (unsigned)(uintptr_t)qn_strset_get(&r->paths, path);
}

size_t qn_fanrec_unmapped(const qn_fanrec *r)
{
	return r->unmapped;
}

void qn_fanrec_free(qn_fanrec *r)
{
	if (!r)
		return;
	qn_fanrec_stop(r, NULL);
	qn_error_free(r->err);
	if (r->fan >= 0)
		close(r->fan);
	if (r->wake >= 0)
		close(r->wake);
	if (r->dirfd >= 0)
		close(r->dirfd);
	qn_strset_clear(&r->paths);
	free(r->buf);
	free(r->mountpoint);
	free(r);
}
