/* quench-trace: records every path a command and all its descendants look up.
 *
 *   quench-trace --log PATH [--] CMD [ARGS...]
 *   quench-trace --pause
 *
 * The helper forks; the child asks to be traced (PTRACE_TRACEME), stops, installs a seccomp
 * filter that stops only the system calls that take a path (SECCOMP_RET_TRACE) and lets every
 * other call run at full speed, then execs CMD (searched in PATH). The parent follows every
 * process and thread, reads the path arguments at each seccomp stop, makes them absolute
 * lexically (against the cwd or the dirfd; symlinks are not followed, so a failed lookup of a
 * path that does not exist is recorded too) and appends one line per distinct event to the log:
 *
 *   <syscall>\t<absolute path>[\t<second absolute path>]\n
 *
 * Paths are escaped so that no name can forge a line or a field: a backslash becomes two
 * backslashes, a newline "\n", a tab "\t", any other byte below 0x20 and 0x7f "\xHH" (two
 * lowercase hex digits); everything else, UTF-8 included, is copied. Besides syscall names the
 * pseudo-name "exec" lists each file the kernel mapped for an exec (the program actually run
 * and its ELF interpreter: for a script, its interpreter), which no system call names.
 *
 * With --pause it runs nothing and records nothing: it is the first process of a container in
 * which commands are run from outside (`runc exec`, each under its own quench-trace --log) when
 * the image's own command ends at once. It reaps orphans and exits 0 on SIGTERM, SIGINT, SIGHUP
 * or SIGQUIT.
 *
 * It is also a small init: as PID 1 it reaps every zombie (orphans included), forwards SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the command and exits with its status
 * (128+N when killed by signal N). Its own failures exit 125; a command that cannot be run
 * exits 126 (not executable) or 127 (not found).
 *
 * It is a recorder, not a sandbox: a hostile process can change a path between our read and the
 * kernel's, or write to the log itself. It does not follow symlinks, does not see the files the
 * kernel opens on its own (apart from exec mappings), and refuses 32-bit (i386, x32, arm32)
 * system calls, which it could not decode (see docs/tracing.md).
 *
 * This file is built as a static binary with no project dependency: it runs inside containers
 * whose libc we know nothing about. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define TRACE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TRACE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "quench-trace supports x86_64 and aarch64"
#endif

/* System calls newer than the build host's headers; numbers from 424 on are the same on every
 * architecture. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#define SYS_setxattrat_ 463
#define SYS_getxattrat_ 464
#define SYS_listxattrat_ 465
#define SYS_removexattrat_ 466
#define SYS_open_tree_attr_ 467
#define SYS_file_getattr_ 468
#define SYS_file_setattr_ 469

#define EXIT_TRACER 125
#define MAX_NR 512
/* Reads from the tracee never cross this boundary, so never cross a page boundary either. */
#define CHUNK 4096
/* Longest joined path we build: a folder of PATH_MAX and a path of PATH_MAX. */
#define JOIN_MAX (2 * PATH_MAX + 2)
#define LINE_MAX_ (32 + 2 * (4 * JOIN_MAX + 1) + 2)
#define LOG_FLUSH_AT (64 * 1024)
#define PID_BITS (1u << 22) /* PID_MAX_LIMIT on 64-bit kernels */

/* ---- the path-taking system calls ---- */

/* Where one path argument is: dirfd == AT (-1) means relative to the cwd; path < 0 means none. */
typedef struct {
	signed char dirfd, path;
} pspec;
#define AT (-1)
#define NOPATH         \
	{              \
		AT, -1 \
	}
enum { F_SYMLINK = 1 };
typedef struct {
	int nr;
	const char *name;
	pspec p[2];
	int flags; /* F_SYMLINK: p[0] is a link's target, resolved against p[1]'s folder */
} sysent;

#define P0                      \
	{                       \
		{AT, 0}, NOPATH \
	}
#define P1                      \
	{                       \
		{AT, 1}, NOPATH \
	}
#define D01                    \
	{                      \
		{0, 1}, NOPATH \
	}
#define E(n, sp)                   \
	{                          \
		SYS_##n, #n, sp, 0 \
	}

static const sysent calls[] = {
#ifdef SYS_open
    E(open, P0),
    E(creat, P0),
    E(stat, P0),
    E(lstat, P0),
    E(access, P0),
    E(readlink, P0),
    E(mkdir, P0),
    E(rmdir, P0),
    E(unlink, P0),
    E(chmod, P0),
    E(chown, P0),
    E(lchown, P0),
    E(mknod, P0),
    E(utime, P0),
    E(utimes, P0),
    E(uselib, P0),
    E(futimesat, D01),
    {SYS_rename, "rename", {{AT, 0}, {AT, 1}}, 0},
    {SYS_link, "link", {{AT, 0}, {AT, 1}}, 0},
    {SYS_symlink, "symlink", {{AT, 0}, {AT, 1}}, F_SYMLINK},
#endif
#ifdef SYS_renameat
    {SYS_renameat, "renameat", {{0, 1}, {2, 3}}, 0},
#endif
#ifdef SYS_newfstatat
    E(newfstatat, D01),
#endif
    E(openat, D01),
    E(openat2, D01),
    E(statx, D01),
    E(faccessat, D01),
    E(faccessat2, D01),
    E(readlinkat, D01),
    E(execve, P0),
    E(execveat, D01),
    E(chdir, P0),
    E(chroot, P0),
    E(statfs, P0),
    E(truncate, P0),
    E(getxattr, P0),
    E(lgetxattr, P0),
    E(listxattr, P0),
    E(llistxattr, P0),
    E(setxattr, P0),
    E(lsetxattr, P0),
    E(removexattr, P0),
    E(lremovexattr, P0),
    E(mkdirat, D01),
    E(mknodat, D01),
    E(unlinkat, D01),
    E(fchmodat, D01),
    E(fchmodat2, D01),
    E(fchownat, D01),
    E(utimensat, D01),
    E(inotify_add_watch, P1),
    E(name_to_handle_at, D01),
    E(acct, P0),
    E(swapon, P0),
    E(swapoff, P0),
    E(umount2, P0),
    E(mount, P1),
    E(open_tree, D01),
    E(fspick, D01),
    E(mount_setattr, D01),
    {SYS_pivot_root, "pivot_root", {{AT, 0}, {AT, 1}}, 0},
    {SYS_renameat2, "renameat2", {{0, 1}, {2, 3}}, 0},
    {SYS_linkat, "linkat", {{0, 1}, {2, 3}}, 0},
    {SYS_symlinkat, "symlinkat", {{AT, 0}, {1, 2}}, F_SYMLINK},
    {SYS_move_mount, "move_mount", {{0, 1}, {2, 3}}, 0},
    {SYS_fanotify_mark, "fanotify_mark", {{3, 4}, NOPATH}, 0},
    {SYS_setxattrat_, "setxattrat", D01, 0},
    {SYS_getxattrat_, "getxattrat", D01, 0},
    {SYS_listxattrat_, "listxattrat", D01, 0},
    {SYS_removexattrat_, "removexattrat", D01, 0},
    {SYS_open_tree_attr_, "open_tree_attr", D01, 0},
    {SYS_file_getattr_, "file_getattr", D01, 0},
    {SYS_file_setattr_, "file_setattr", D01, 0},
};

static const sysent *by_nr[MAX_NR];

/* ---- reporting, also from the child after fork ---- */

/* "quench-trace: A B[: errno N]\n" on stderr. strlen, memcpy and write are async-signal-safe. */
static void say(const char *a, const char *b, int errnum)
{
	static const char pre[] = ": errno ";
	char tail[32];
	size_t i = sizeof(tail);
	tail[--i] = '\n';
	if (errnum > 0) {
		do {
			tail[--i] = (char)('0' + errnum % 10);
			errnum /= 10;
		} while (errnum && i > sizeof(pre));
		i -= sizeof(pre) - 1;
		memcpy(tail + i, pre, sizeof(pre) - 1);
	}
	/* best effort: there is nowhere else to report a failed report */
	if (write(2, "quench-trace: ", 14) < 0 || write(2, a, strlen(a)) < 0 || write(2, b, strlen(b)) < 0)
		return;
	if (write(2, tail + i, sizeof(tail) - i) < 0)
		return;
}

/* The parent's reports, with the system's words for errnum (0: none). */
static void fail(const char *what, int errnum)
{
	if (errnum)
		fprintf(stderr, "quench-trace: %s: %s\n", what, strerror(errnum));
	else
		fprintf(stderr, "quench-trace: %s\n", what);
}

/* ---- the seccomp filter ---- */

#define LD_ABS(off) (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, (v))
#define JEQ(k, t, f) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JSET(k, t, f) (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))

#define QN_ARRAY_LEN_(a) (sizeof(a) / sizeof((a)[0]))
static struct sock_filter filter[32 + QN_ARRAY_LEN_(calls)];
_Static_assert(QN_ARRAY_LEN_(calls) < 256, "BPF jump offsets are 8 bits");
static struct sock_fprog filter_prog;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

/* fstat() in glibc >= 2.33 and musl is newfstatat(fd, "", AT_EMPTY_PATH), and statx(fd, "",
 * AT_EMPTY_PATH) is the same in Rust and libuv: no lookup, and a quarter of all path-call stops
 * in `find` or `python3 -c "import json"`. They run unstopped. The price: a call that sets
 * AT_EMPTY_PATH and still passes a non-empty path (meaningless, but legal) looks a name up
 * unrecorded. Expects the syscall number in A; leaves it there when it falls through. */
static size_t add_fstat_shortcut(size_t n)
{
	static const struct {
		long nr;
		int flags_arg;
	} calls_[] = {
#ifdef SYS_newfstatat
	    {SYS_newfstatat, 3},
#endif
	    {SYS_statx, 2},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN_(calls_); i++) {
		filter[n++] = JEQ((uint32_t)calls_[i].nr, 0, 4);
		filter[n++] = LD_ABS(ARG_LO(calls_[i].flags_arg));
		filter[n++] = JSET(AT_EMPTY_PATH, 0, 1);
		filter[n++] = RET(SECCOMP_RET_ALLOW);
		filter[n++] = RET(SECCOMP_RET_TRACE);
	}
	return n;
}

/* Builds: foreign architecture -> kill; x32 numbers -> kill; path calls -> trace; else allow.
 * Killing is deliberate: a 32-bit call would name a file we cannot decode, and letting it run
 * unrecorded would silently leave a needed file out of the hardened image. */
static void build_filter(void)
{
	size_t n = 0, k = QN_ARRAY_LEN_(calls);
	filter[n++] = LD_ABS(offsetof(struct seccomp_data, arch));
	filter[n++] = JEQ(TRACE_AUDIT_ARCH, 1, 0);
	filter[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	filter[n++] = LD_ABS(offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* syscall(-1) is a harmless ENOSYS probe; any other number with bit 30 is the x32 ABI,
	 * whose open would not match the numbers below. */
	filter[n++] = JEQ(0xffffffffu, 2, 0);
	filter[n++] = JSET(0x40000000u, 0, 1);
	filter[n++] = RET(SECCOMP_RET_KILL_PROCESS);
#endif
	n = add_fstat_shortcut(n);
	for (size_t i = 0; i < k; i++)
		filter[n + i] = JEQ((uint32_t)calls[i].nr, (uint8_t)(k - i), 0);
	n += k;
	filter[n++] = RET(SECCOMP_RET_ALLOW);
	filter[n++] = RET(SECCOMP_RET_TRACE);
	filter_prog.len = (unsigned short)n;
	filter_prog.filter = filter;
	for (size_t i = 0; i < k; i++)
		if (calls[i].nr >= 0 && calls[i].nr < MAX_NR)
			by_nr[calls[i].nr] = &calls[i];
}

/* ---- the log: whole lines, appended in one write() each flush, deduplicated ---- */

static struct {
	int fd;
	char *buf;
	size_t len, cap;
	bool failed;
	char **seen; /* open-addressing set of lines already logged by this instance */
	size_t seen_cap, seen_n;
} lg = {.fd = -1};

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void *xalloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p) {
		fail("out of memory", 0);
		exit(EXIT_TRACER);
	}
	return p;
}

/* Returns true when line (n bytes) was logged before; remembers it otherwise. Past a million
 * distinct lines it stops remembering: the log grows, nothing is lost. */
static bool seen_before(const char *line, size_t n)
{
	if (lg.seen_n * 4 >= lg.seen_cap * 3) {
		if (lg.seen_cap >= (1u << 21))
			return false;
		size_t oc = lg.seen_cap, nc = oc ? oc * 2 : 4096;
		char **old = lg.seen;
		lg.seen = xalloc(nc * sizeof(char *));
		lg.seen_cap = nc;
		for (size_t i = 0; i < oc; i++) {
			if (!old[i])
				continue;
			size_t j = fnv(old[i], strlen(old[i])) & (nc - 1);
			while (lg.seen[j])
				j = (j + 1) & (nc - 1);
			lg.seen[j] = old[i];
		}
		free(old);
	}
	size_t mask = lg.seen_cap - 1, i = fnv(line, n) & mask;
	for (; lg.seen[i]; i = (i + 1) & mask)
		if (strncmp(lg.seen[i], line, n) == 0 && lg.seen[i][n] == 0)
			return true;
	lg.seen[i] = xalloc(n + 1);
	memcpy(lg.seen[i], line, n);
	lg.seen_n++;
	return false;
}

/* Writes the pending whole lines. The log is opened O_APPEND and each write() holds whole lines
 * only, so several tracers (PID 1 and every exec probe) can share one file without tearing. */
static void log_flush(void)
{
	size_t off = 0;
	while (off < lg.len) {
		ssize_t w = write(lg.fd, lg.buf + off, lg.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!lg.failed)
				fail("writing the log", w < 0 ? errno : EIO);
			lg.failed = true;
			break;
		}
		off += (size_t)w;
	}
	lg.len = 0;
}

static void log_line(const char *line, size_t n)
{
	if (seen_before(line, n))
		return;
	if (lg.len + n > lg.cap) {
		size_t nc = lg.cap ? lg.cap : LOG_FLUSH_AT * 2;
		while (nc < lg.len + n)
			nc *= 2;
		char *nb = xalloc(nc);
		memcpy(nb, lg.buf, lg.len);
		free(lg.buf);
		lg.buf = nb, lg.cap = nc;
	}
	memcpy(lg.buf + lg.len, line, n);
	lg.len += n;
	if (lg.len >= LOG_FLUSH_AT)
		log_flush();
}

/* Appends s escaped (see the top of this file) at out; returns the bytes written. */
static size_t escape(char *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\' || c == '\n' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\\' ? '\\' : c == '\n' ? 'n' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			out[o++] = '\\', out[o++] = 'x';
			out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

static void log_event(const char *name, const char *p1, const char *p2)
{
	static char line[LINE_MAX_];
	size_t n = strlen(name);
	memcpy(line, name, n);
	line[n++] = '\t';
	n += escape(line + n, p1);
	if (p2) {
		line[n++] = '\t';
		n += escape(line + n, p2);
	}
	line[n++] = '\n';
	log_line(line, n);
}

/* ---- the tracees we have seen (a bitmap over every possible pid) ---- */

static uint64_t known[PID_BITS / 64];

static bool known_has(pid_t p)
{
	return p > 0 && (unsigned)p < PID_BITS && (known[p / 64] >> (p % 64)) & 1;
}
static void known_set(pid_t p, bool on)
{
	if (p <= 0 || (unsigned)p >= PID_BITS)
		return;
	if (on)
		known[p / 64] |= 1ULL << (p % 64);
	else
		known[p / 64] &= ~(1ULL << (p % 64));
}

/* ---- reading the tracee ---- */

typedef struct {
	long nr;
	uint64_t a[6];
} call;

static int get_call(pid_t pid, call *c)
{
#if defined(__x86_64__)
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
		return -1;
	c->nr = (long)r.orig_rax;
	c->a[0] = r.rdi, c->a[1] = r.rsi, c->a[2] = r.rdx;
	c->a[3] = r.r10, c->a[4] = r.r8, c->a[5] = r.r9;
#elif defined(__aarch64__)
	struct user_regs_struct r;
	struct iovec io = {&r, sizeof(r)};
	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0)
		return -1;
	/* at a seccomp stop x0 still holds the first argument (it becomes the result on exit) */
	c->nr = (long)r.regs[8];
	for (int i = 0; i < 6; i++)
		c->a[i] = r.regs[i];
#endif
	return 0;
}

static bool no_vm_readv;

/* Copies n bytes at addr in pid (n never crosses a page). process_vm_readv does it in one call;
 * where it is refused (ENOSYS, EPERM under some seccomp profiles) PTRACE_PEEKDATA word by word. */
static int peek(pid_t pid, uint64_t addr, char *out, size_t n)
{
	if (!no_vm_readv) {
		struct iovec l = {out, n}, r = {(void *)(uintptr_t)addr, n};
		ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (got == (ssize_t)n)
			return 0;
		if (got >= 0 || (errno != ENOSYS && errno != EPERM))
			return -1;
		no_vm_readv = true;
	}
	uint64_t start = addr & ~(uint64_t)(sizeof(long) - 1);
	for (uint64_t w = start; w < addr + n; w += sizeof(long)) {
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)w, 0);
		if (v == -1 && errno)
			return -1;
		for (size_t b = 0; b < sizeof(long); b++)
			if (w + b >= addr && w + b < addr + n)
				out[w + b - addr] = ((char *)&v)[b];
	}
	return 0;
}

/* Reads the NUL-terminated string at addr into out (PATH_MAX bytes). A NULL pointer reads as ""
 * (the calls that accept one then mean the dirfd itself). Fails when unreadable or too long:
 * the kernel would refuse the call with EFAULT or ENAMETOOLONG before any lookup. */
static int read_path(pid_t pid, uint64_t addr, char *out)
{
	if (!addr) {
		out[0] = 0;
		return 0;
	}
	size_t got = 0;
	while (got < PATH_MAX) {
		size_t n = CHUNK - (size_t)((addr + got) % CHUNK);
		if (n > PATH_MAX - got)
			n = PATH_MAX - got;
		if (peek(pid, addr + got, out + got, n) < 0)
			return -1;
		if (memchr(out + got, 0, n))
			return 0;
		got += n;
	}
	return -1;
}

/* ---- making paths absolute, lexically ---- */

static bool chroot_seen;

/* Reads /proc/PID/WHAT (a symlink) into out (PATH_MAX bytes). Only a path counts: sockets,
 * pipes and anonymous inodes ("socket:[12]") are not files of the image. */
static int proc_link(pid_t pid, const char *what, char *out)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
	ssize_t n = readlink(p, out, PATH_MAX - 1);
	if (n <= 0)
		return -1;
	out[n] = 0;
	return out[0] == '/' ? 0 : -1;
}

/* The folder a path is relative to: the cwd for AT_FDCWD, else what the dirfd names. */
static int dir_of(pid_t pid, int dirfd, char *out)
{
	char what[32];
	if (dirfd == AT_FDCWD)
		return proc_link(pid, "cwd", out);
	snprintf(what, sizeof(what), "fd/%d", dirfd);
	return proc_link(pid, what, out);
}

/* Appends path's components to out[0..n), resolving "." and ".." without looking at the
 * filesystem; ".." never climbs below floor (the process's root). */
static int join(char *out, size_t n, size_t floor, const char *path)
{
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 1 && s[0] == '.')
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (n > floor && out[n - 1] != '/')
				n--;
			if (n > floor)
				n--;
			continue;
		}
		if (n + 1 + len >= JOIN_MAX)
			return -1;
		out[n++] = '/';
		memcpy(out + n, s, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	return 0;
}

/* Makes path absolute into out (JOIN_MAX bytes) as pid would look it up: from its root when
 * absolute, else from base (when given) or from dirfd. Until some process calls chroot every
 * root is "/", which saves a readlink per event. */
static int resolve(pid_t pid, const char *base, int dirfd, const char *path, char *out)
{
	char root[PATH_MAX];
	root[0] = 0;
	if (chroot_seen && (proc_link(pid, "root", root) < 0 || !strcmp(root, "/")))
		root[0] = 0;
	size_t floor = strlen(root), n;
	if (path[0] == '/') {
		memcpy(out, root, floor + 1);
		n = floor;
	} else {
		if (base)
			snprintf(out, PATH_MAX, "%s", base);
		else if (dir_of(pid, dirfd, out) < 0)
			return -1;
		n = strlen(out);
		if (n == 1)
			n = 0; /* "/" */
	}
	return join(out, n, floor, path);
}

static int dirfd_arg(pspec p, const call *c)
{
	return p.dirfd == AT ? AT_FDCWD : (int)(int32_t)c->a[(int)p.dirfd];
}

/* A seccomp stop: log the call's paths (before the kernel runs it, so failures count too). */
static void on_syscall(pid_t pid)
{
	static char raw[2][PATH_MAX], abs_[2][JOIN_MAX], dir[JOIN_MAX];
	call c;
	if (get_call(pid, &c) < 0 || c.nr < 0 || c.nr >= MAX_NR || !by_nr[c.nr])
		return;
	const sysent *e = by_nr[c.nr];
	int n = 0;
	for (; n < 2 && e->p[n].path >= 0; n++)
		if (read_path(pid, c.a[(int)e->p[n].path], raw[n]) < 0)
			return;
	if (e->flags & F_SYMLINK) {
		/* the target of a new link is looked up later from the link's own folder */
		if (resolve(pid, NULL, dirfd_arg(e->p[1], &c), raw[1], abs_[1]) < 0)
			return;
		memcpy(dir, abs_[1], strlen(abs_[1]) + 1);
		char *slash = strrchr(dir, '/');
		slash[slash == dir ? 1 : 0] = 0;
		if (resolve(pid, dir, AT_FDCWD, raw[0], abs_[0]) < 0)
			return;
	} else {
		for (int i = 0; i < n; i++)
			if (resolve(pid, NULL, dirfd_arg(e->p[i], &c), raw[i], abs_[i]) < 0)
				return;
	}
	if (c.nr == SYS_chroot)
		chroot_seen = true;
	log_event(e->name, abs_[0], n > 1 ? abs_[1] : NULL);
}

/* /proc/PID/maps writes a newline in a name as "\012"; undo that in place. */
static void unmangle(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == '0' && s[2] == '1' && s[3] == '2')
			*o++ = '\n', s += 3;
		else
			*o++ = *s;
	}
	*o = 0;
}

/* An exec finished: log what the kernel mapped for it (program, ELF interpreter). The kernel
 * opens these itself, so no syscall stop names them; a script's execve names only the script. */
static void on_exec(pid_t pid)
{
	static char buf[65536];
	unsigned long former = 0;
	/* a non-leader thread that execs takes the leader's pid; its old id is gone */
	if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &former) == 0 && (pid_t)former != pid)
		known_set((pid_t)former, false);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t len = 0;
	while (len < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		char *path = strchr(line, '/'); /* no field before the name holds a '/' */
		if (path) {
			unmangle(path);
			log_event("exec", path, NULL);
		}
	}
}

/* ---- starting the command ---- */

extern char **environ;

/* Everything the child needs, prepared before fork so the child only makes system calls. */
typedef struct {
	char **argv;    /* the command and its arguments */
	char **cand;    /* where to try it: CMD itself, or each PATH folder + "/" + CMD */
	char **sh_argv; /* "/bin/sh", <candidate>, ARGS...: for scripts without "#!" (as execvp) */
	sigset_t mask;  /* the signal mask to restore */
} launch;

static const int fwd_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void prepare(launch *l, char **argv)
{
	size_t argc = 0;
	while (argv[argc])
		argc++;
	l->argv = argv;
	l->sh_argv = xalloc((argc + 2) * sizeof(char *));
	l->sh_argv[0] = "/bin/sh";
	for (size_t i = 1; i < argc; i++)
		l->sh_argv[i + 1] = argv[i];
	const char *cmd = argv[0];
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's execvp default */
	size_t n = 2;
	for (const char *p = path; *p; p++)
		n += *p == ':';
	l->cand = xalloc((n + 1) * sizeof(char *));
	if (strchr(cmd, '/')) {
		l->cand[0] = (char *)cmd;
		return;
	}
	size_t k = 0, cl = strlen(cmd);
	for (const char *p = path;;) {
		const char *e = strchrnul(p, ':');
		size_t dl = (size_t)(e - p);
		char *c = xalloc(dl + cl + 3);
		if (dl)
			memcpy(c, p, dl);
		else
			c[0] = '.', dl = 1; /* an empty element means the current folder, as in the shell */
		c[dl] = '/';
		memcpy(c + dl + 1, cmd, cl + 1);
		l->cand[k++] = c;
		if (!*e)
			break;
		p = e + 1;
	}
}

/* Tries each candidate like execvp; returns only on failure, with the errno to report. */
static int exec_candidates(launch *l)
{
	int err = ENOENT;
	bool denied = false;
	for (size_t i = 0; l->cand[i]; i++) {
		execve(l->cand[i], l->argv, environ);
		int e = errno;
		if (e == ENOEXEC) {
			l->sh_argv[1] = l->cand[i];
			execve(l->sh_argv[0], l->sh_argv, environ);
			e = errno;
		}
		if (e == EACCES)
			denied = true;
		else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT)
			return e;
	}
	return denied ? EACCES : err;
}

/* The child, between fork and exec. Only async-signal-safe calls (system calls, write, _exit):
 * whatever state the parent's libc had at fork time is not to be trusted here. */
__attribute__((noreturn)) static void child(launch *l)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (size_t i = 0; i < QN_ARRAY_LEN_(fwd_signals); i++)
		sigaction(fwd_signals[i], &dfl, NULL);
	sigprocmask(SIG_SETMASK, &l->mask, NULL);
	/* seccomp without CAP_SYS_ADMIN needs no_new_privs; runc sets it too by default */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		say("prctl(PR_SET_NO_NEW_PRIVS)", "", errno), _exit(EXIT_TRACER);
	/* tracing one's own parent needs no capability: this is what works in a container */
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		say("ptrace(PTRACE_TRACEME)", "", errno), _exit(EXIT_TRACER);
	/* wait until the parent has set PTRACE_O_TRACESECCOMP: a SECCOMP_RET_TRACE without it
	 * fails the call with ENOSYS instead of stopping */
	kill(getpid(), SIGSTOP);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter_prog) < 0 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter_prog, 0, 0) < 0)
		say("installing the seccomp filter", "", errno), _exit(EXIT_TRACER);
	int e = exec_candidates(l);
	if (e == ENOENT)
		say(l->argv[0], ": command not found", 0);
	else
		say(l->argv[0], e == EACCES ? ": permission denied" : ": cannot execute", e == EACCES ? 0 : e);
	_exit(e == ENOENT ? 127 : 126);
}

/* ---- signals: forwarded to the command ---- */

static volatile sig_atomic_t main_pid;

static void forward(int sig)
{
	int saved = errno;
	if (main_pid > 0)
		kill((pid_t)main_pid, sig);
	errno = saved;
}

/* Forks the command with the forwarded signals blocked across fork, so none is lost or
 * handled by the child's copy of our handler before it resets them. */
static pid_t spawn(launch *l)
{
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	sigset_t block;
	sigemptyset(&block);
	for (size_t i = 0; i < QN_ARRAY_LEN_(fwd_signals); i++) {
		sigaddset(&block, fwd_signals[i]);
		sigaction(fwd_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &l->mask);
	pid_t pid = fork();
	if (pid == 0)
		child(l);
	if (pid > 0)
		main_pid = pid;
	int e = errno;
	sigprocmask(SIG_SETMASK, &l->mask, NULL);
	if (pid < 0)
		fail("fork", e);
	return pid;
}

/* ---- the tracing loop ---- */

#define TRACE_OPTIONS                                                                                                  \
	(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | \
	 PTRACE_O_EXITKILL)

static pid_t wait_for(pid_t pid, int *st)
{
	for (;;) {
		pid_t r = waitpid(pid, st, __WALL);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* Waits for the next event. The log is flushed whenever nothing is pending, so it is current
 * whenever the traced processes are idle (a SIGKILLed container loses at most one burst). */
static pid_t wait_any(int *st)
{
	pid_t r = waitpid(-1, st, __WALL | WNOHANG);
	if (r != 0)
		return r < 0 && errno == EINTR ? wait_for(-1, st) : r;
	log_flush();
	return wait_for(-1, st);
}

/* Takes the child's self-stop after PTRACE_TRACEME and sets the options that make every
 * descendant traced too. Returns 0, or the exit code when the child did not get there. */
static int attach(pid_t pid)
{
	int st;
	if (wait_for(pid, &st) < 0) {
		fail("waitpid", errno);
		return EXIT_TRACER;
	}
	if (!WIFSTOPPED(st))
		return EXIT_TRACER; /* the child said why */
	if (ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)TRACE_OPTIONS) < 0) {
		fail("ptrace(PTRACE_SETOPTIONS)", errno);
		kill(pid, SIGKILL);
		return EXIT_TRACER;
	}
	known_set(pid, true);
	ptrace(PTRACE_CONT, pid, 0, 0);
	return 0;
}

/* Any stop of a tracee. Returns the signal to deliver when it resumes. */
static int on_stop(pid_t pid, int st)
{
	int sig = WSTOPSIG(st), ev = (int)((unsigned)st >> 16);
	if (!known_has(pid)) {
		known_set(pid, true);
		/* a new child or thread starts with a SIGSTOP of ptrace's own: swallow it */
		if (sig == SIGSTOP && ev == 0)
			return 0;
	}
	switch (ev) {
	case PTRACE_EVENT_SECCOMP:
		on_syscall(pid);
		return 0;
	case PTRACE_EVENT_EXEC:
		on_exec(pid);
		return 0;
	case 0: {
		/* a signal for the tracee: deliver it. GETSIGINFO fails for a group-stop (SIGSTOP,
		 * SIGTSTP taking effect); a tracer attached without PTRACE_SEIZE cannot keep a
		 * process in job-control stop and still see SIGCONT, so it is resumed. */
		siginfo_t si;
		return ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0 ? 0 : sig;
	}
	default: /* fork, vfork, clone: the new tracee reports itself */
		return 0;
	}
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Follows every tracee until the command itself exits; returns its exit code. waitpid(-1)
 * also reaps the orphans that the kernel re-parents to us when we are PID 1. */
static int trace_loop(pid_t main_child)
{
	for (;;) {
		int st;
		pid_t pid = wait_any(&st);
		if (pid < 0) {
			fail("waitpid", errno);
			return EXIT_TRACER;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			known_set(pid, false);
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
				fail("a traced process was killed by SIGSYS (32-bit system calls cannot be "
				     "recorded and are refused)",
				     0);
			if (pid == main_child)
				return exit_code(st);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = on_stop(pid, st);
		if (ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
			fail("ptrace(PTRACE_CONT)", errno);
	}
}

/* ---- pause ---- */

static void on_pause_signal(int sig)
{
	(void)sig;
}

/* Waits for a stop signal, reaping children meanwhile. The handler is a no-op, but it must
 * exist: PID 1 of a pid namespace never receives a signal whose action is the default one. */
static int pause_loop(void)
{
	static const int stops[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	struct sigaction sa = {.sa_handler = on_pause_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	for (size_t i = 0; i < QN_ARRAY_LEN_(stops); i++) {
		sigaddset(&set, stops[i]);
		sigaction(stops[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig) != 0)
			continue;
		while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
			;
		if (sig != SIGCHLD)
			return 0;
	}
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: quench-trace --log PATH [--] CMD [ARGS...]\n"
	      "       quench-trace --pause\n"
	      "Runs CMD and appends to PATH one line per path it or its descendants look up.\n"
	      "Exits with CMD's status (128+N if killed by signal N); 125 if tracing failed,\n"
	      "126 if CMD cannot be executed, 127 if it is not found.\n"
	      "With --pause it runs nothing: a first process that waits for SIGTERM.\n",
	      f);
}

/* Returns the index of CMD in argv, 0 after --help, or -1 on a usage error. */
static int parse_args(int argc, char **argv, const char **log)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--log") && i + 1 < argc)
			*log = argv[++i];
		else if (!strncmp(argv[i], "--log=", 6))
			*log = argv[i] + 6;
		else
			break;
	}
	if (!*log || !**log || i >= argc || (argv[i][0] == '-' && strcmp(argv[i - 1], "--"))) {
		usage(stderr);
		return -1;
	}
	return i;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--pause"))
		return pause_loop();
	const char *log = NULL;
	int first = parse_args(argc, argv, &log);
	if (first <= 0)
		return first == 0 ? 0 : EXIT_TRACER;
	/* O_APPEND: several tracers share the file; O_CLOEXEC: the command must not inherit it */
	lg.fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (lg.fd < 0) {
		fail(log, errno);
		return EXIT_TRACER;
	}
	log_line("# quench-trace 1\n", 17);
	log_flush();
	build_filter();
	launch l;
	prepare(&l, argv + first);
	pid_t pid = spawn(&l);
	if (pid < 0)
		return EXIT_TRACER;
	int code = attach(pid);
	if (code == 0)
		code = trace_loop(pid);
	log_flush();
	if (lg.failed) {
		fail("the log is incomplete", 0);
		code = EXIT_TRACER;
	}
	return code;
}
