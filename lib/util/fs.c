/* File helpers: bounded whole-file reads, EINTR-safe I/O, atomic output files (temporary name in
 * the target folder, fsync, rename) and a registry of paths to remove when a signal ends the
 * process, so that an interrupted run never leaves a half-written output behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

ssize_t qn_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t qn_pread_full(int fd, void *buf, size_t n, off_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int qn_write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = write(fd, (const char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

char *qn_read_file(const char *path, size_t max, size_t *len_out, qn_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		qn_error_set(err, QN_ERR_INPUT, "%s: not a regular file", path);
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		qn_error_set(err, QN_ERR_LIMIT, "%s: file is %lld bytes, limit is %zu", path, (long long)st.st_size,
			     max);
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	_cleanup_free_ char *buf = xmalloc(n + 1);
	ssize_t r = qn_read_full(fd, buf, n);
	if (r < 0) {
		qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	buf[r] = 0;
	if (len_out)
		*len_out = (size_t)r;
	return steal_pointer(&buf);
}

/* ---- signal-time cleanup registry ----
 * A fixed table so the signal handler needs no locks or allocation: it only reads entries whose
 * `ready` flag is set. */
#define CLEANUP_SLOTS 64
static struct {
	atomic_int ready;
	char path[4096];
} cleanup_tab[CLEANUP_SLOTS];

void qn_cleanup_register(const char *path)
{
	if (strlen(path) >= sizeof(cleanup_tab[0].path))
		return;
	for (int i = 0; i < CLEANUP_SLOTS; i++) {
		if (atomic_load(&cleanup_tab[i].ready) == 0 && cleanup_tab[i].path[0] == 0) {
			strcpy(cleanup_tab[i].path, path);
			atomic_store(&cleanup_tab[i].ready, 1);
			return;
		}
	}
}

void qn_cleanup_unregister(const char *path)
{
	for (int i = 0; i < CLEANUP_SLOTS; i++) {
		if (atomic_load(&cleanup_tab[i].ready) && strcmp(cleanup_tab[i].path, path) == 0) {
			atomic_store(&cleanup_tab[i].ready, 0);
			cleanup_tab[i].path[0] = 0;
			return;
		}
	}
}

/* Recursive removal from a signal handler: raw getdents64 into a stack buffer, openat, unlinkat
 * — no allocation, no stdio. Depth is bounded so the stack is too. */
static void rm_rf_signal(int dfd, const char *name, int depth)
{
	if (unlinkat(dfd, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	if (depth > 32)
		return;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[2048];
	/* passes over the folder until one finds nothing left to remove (or nothing removable) */
	for (int pass = 0; pass < 64; pass++) {
		int seen = 0;
		lseek(fd, 0, SEEK_SET);
		long n;
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			for (long off = 0; off < n;) {
				struct linux_dirent64 {
					uint64_t ino;
					int64_t off;
					unsigned short reclen;
					unsigned char type;
					char name[];
				} *d = (void *)(buf + off);
				if (strcmp(d->name, ".") && strcmp(d->name, "..")) {
					rm_rf_signal(fd, d->name, depth + 1);
					seen++;
				}
				off += d->reclen;
			}
		}
		if (!seen)
			break;
	}
	close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

void qn_cleanup_run_signal(void)
{
	for (int i = 0; i < CLEANUP_SLOTS; i++)
		if (atomic_load(&cleanup_tab[i].ready))
			rm_rf_signal(AT_FDCWD, cleanup_tab[i].path, 0);
}

static int rm_rf_at(int dfd, const char *name, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (depth > 4096) {
		errno = ELOOP;
		return -1;
	}
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* A folder without permission bits (e.g. mode 000 from an image): make it ours. */
		if (errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
			fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), de->d_name, depth + 1) < 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int qn_rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path, 0);
}

/* ---- atomic output files ---- */

int qn_atomic_open(qn_atomic_file *af, const char *path, int mode, qn_error **err)
{
	memset(af, 0, sizeof(*af));
	af->fd = -1;
	_cleanup_free_ char *copy = xstrdup(path);
	_cleanup_free_ char *copy2 = xstrdup(path);
	const char *dir = dirname(copy);
	const char *base = basename(copy2);
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s: cannot create temporary file", path);
		free(tmp);
		return -1;
	}
	qn_cleanup_register(tmp);
	(void)fchmod(fd, (mode_t)(mode & 07777));
	af->path = xstrdup(path);
	af->tmp = tmp;
	af->fd = fd;
	return 0;
}

int qn_atomic_commit(qn_atomic_file *af, qn_error **err)
{
	int rc = 0;
	if (af->fp) {
		if (fflush(af->fp) != 0 || ferror(af->fp))
			rc = qn_error_errno(err, errno ? errno : EIO, "%s: write failed", af->path);
	}
	if (rc == 0 && fsync(af->fd) < 0 && errno != EINVAL)
		rc = qn_error_errno(err, errno, "%s: fsync failed", af->path);
	if (af->fp) {
		fclose(af->fp);
		af->fp = NULL;
		af->fd = -1;
	} else if (af->fd >= 0) {
		close(af->fd);
		af->fd = -1;
	}
	if (rc == 0 && rename(af->tmp, af->path) < 0)
		rc = qn_error_errno(err, errno, "%s: cannot rename into place", af->path);
	if (rc < 0)
		unlink(af->tmp);
	qn_cleanup_unregister(af->tmp);
	free(af->tmp);
	free(af->path);
	memset(af, 0, sizeof(*af));
	af->fd = -1;
	return rc;
}

void qn_atomic_abort(qn_atomic_file *af)
{
	if (af->fp)
		fclose(af->fp);
	else if (af->fd >= 0)
		close(af->fd);
	if (af->tmp) {
		unlink(af->tmp);
		qn_cleanup_unregister(af->tmp);
	}
	free(af->tmp);
	free(af->path);
	memset(af, 0, sizeof(*af));
	af->fd = -1;
}

int qn_write_file_atomic(const char *path, const void *data, size_t len, int mode, qn_error **err)
{
	qn_atomic_file af;
	if (qn_atomic_open(&af, path, mode, err) < 0)
		return -1;
	if (qn_write_full(af.fd, data, len) < 0) {
		qn_error_errno(err, errno, "%s: write failed", path);
		qn_atomic_abort(&af);
		return -1;
	}
	return qn_atomic_commit(&af, err);
}

char *qn_work_dir_new(const char *parent, uint64_t need, const char *name, qn_error **err)
{
	if (!parent || !*parent)
		parent = getenv("TMPDIR");
	if (!parent || !*parent) {
		struct statfs sf;
		parent = statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC && access("/dev/shm", W_OK) == 0 &&
				 (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize / 4 >= need + (64u << 20)
			     ? "/dev/shm"
			     : "/tmp";
	}
	char *dir = xasprintf("%s/%s.XXXXXX", parent, name);
	if (!mkdtemp(dir)) {
		int e = errno;
		free(dir);
		qn_error_errno(err, e, "creating a work folder in %s", parent);
		return NULL;
	}
	qn_cleanup_register(dir);
	return dir;
}
