/* Unit tests: trace — the quench-trace log reader (canonical paths, what is left out, escapes,
 * malformed logs), the helper's escaping round-tripped through the reader on hostile file
 * names, and the fanotify recorder on a bind mount and on an overlay opened from another mount
 * namespace the way runc does it. The fanotify and helper tests need root; without fanotify
 * or mount permission they print "# SKIP" lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "quench/trace.h"
#include "tap.h"
#include "util/util.h"

/* Parses text; returns the result code, keeping the error kind in *kind. */
static int parse(const char *text, qn_strset *set, int *kind)
{
	qn_error *err = NULL;
	int rc = qn_trace_log_parse((const uint8_t *)text, strlen(text), set, &err);
	*kind = err ? (int)err->kind : 0;
	if (rc == 0 && err)
		rc = 99; /* success must leave err alone */
	qn_error_free(err);
	return rc;
}

static void test_log_paths(void)
{
	qn_strset s = QN_STRSET_INIT;
	int kind;
	const char *log = "# quench-trace 1\n"
			  "openat\t/etc/hostname\n"
			  "newfstatat\t/usr/lib/python3.11/json/__init__.py\n"
			  "execve\t//usr/./bin//python3\n"
			  "openat\t/usr/lib/x/../y/./z\n"
			  "openat\t/../../../etc/passwd\n"
			  "rename\t/tmp/a\t/tmp/b\n"
			  "statx\t/\n"
			  "openat\t/proc/self/maps\n"
			  "openat\t/proc\n"
			  "openat\t/sys/fs/cgroup\n"
			  "openat\t/dev/null\n"
			  "openat\t/devices/x\n"
			  "openat\t/.quench/trace.log\n"
			  "execve\t/.quench-bin/quench-trace\n"
			  "openat\t/etc/hostname\n";
	CHECK_INT(parse(log, &s, &kind), 0);
	const char *want[] = {"etc/hostname",    "usr/lib/python3.11/json/__init__.py",
			      "usr/bin/python3", "usr/lib/y/z",
			      "etc/passwd",      "tmp/a",
			      "tmp/b",           "devices/x"};
	for (size_t i = 0; i < QN_ARRAY_LEN(want); i++)
		CHECK(qn_strset_has(&s, want[i]));
	CHECK_INT(qn_strset_count(&s), QN_ARRAY_LEN(want));
	/* parsing adds to what the set already holds */
	CHECK_INT(parse("access\t/bin/sh\n", &s, &kind), 0);
	CHECK(qn_strset_has(&s, "bin/sh") && qn_strset_has(&s, "etc/hostname"));
	CHECK_INT(parse("", &s, &kind), 0);
	qn_strset_clear(&s);
}

static void test_log_escapes(void)
{
	qn_strset s = QN_STRSET_INIT;
	int kind;
	const char *log = "openat\t/tmp/a\\nb\n"
			  "openat\t/tmp/t\\tx\n"
			  "openat\t/tmp/back\\\\slash\n"
			  "openat\t/tmp/c\\x01trl\\x7F\n"
			  "openat\t/tmp/utf-\xc3\xa9\n"
			  "rename\t/tmp/x\\n\t/tmp/y\\\\n\n";
	CHECK_INT(parse(log, &s, &kind), 0);
	CHECK(qn_strset_has(&s, "tmp/a\nb"));
	CHECK(qn_strset_has(&s, "tmp/t\tx"));
	CHECK(qn_strset_has(&s, "tmp/back\\slash"));
	CHECK(qn_strset_has(&s, "tmp/c\001trl\177"));
	CHECK(qn_strset_has(&s, "tmp/utf-\xc3\xa9"));
	CHECK(qn_strset_has(&s, "tmp/x\n"));
	CHECK(qn_strset_has(&s, "tmp/y\\n"));
	CHECK_INT(qn_strset_count(&s), 7);
	qn_strset_clear(&s);
}

static void test_log_malformed(void)
{
	static const struct {
		const char *text;
		int kind;
	} bad[] = {
	    {"openat\t/etc/a", QN_ERR_INPUT},         /* truncated last line */
	    {"openat\tetc/a\n", QN_ERR_INPUT},        /* not absolute */
	    {"openat\t\n", QN_ERR_INPUT},             /* empty path */
	    {"openat /etc/a\n", QN_ERR_INPUT},        /* no tab */
	    {"\n", QN_ERR_INPUT},                     /* empty line */
	    {"\t/etc/a\n", QN_ERR_INPUT},             /* no call name */
	    {"Open$\t/etc/a\n", QN_ERR_INPUT},        /* bad call name */
	    {"rename\t/a\t/b\t/c\n", QN_ERR_INPUT},   /* three paths */
	    {"rename\t/a\t\n", QN_ERR_INPUT},         /* empty second path */
	    {"openat\t/etc/a\\q\n", QN_ERR_INPUT},    /* unknown escape */
	    {"openat\t/etc/a\\x4\n", QN_ERR_INPUT},   /* short hex escape */
	    {"openat\t/etc/a\\xzz\n", QN_ERR_INPUT},  /* bad hex */
	    {"openat\t/etc/a\\x00b\n", QN_ERR_INPUT}, /* escaped NUL */
	    {"openat\t/etc/a\\\n", QN_ERR_INPUT},     /* lone backslash */
	    {"openat\t/etc/a\rb\n", QN_ERR_INPUT},    /* raw control byte */
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++) {
		qn_strset s = QN_STRSET_INIT;
		qn_strset_add(&s, "keep");
		int kind;
		/* the good first line must not leak into the set when a later line fails */
		char *text = xasprintf("openat\t/etc/good\n%s", bad[i].text);
		if (parse(text, &s, &kind) != -1 || kind != bad[i].kind)
			printf("# case %zu accepted or wrong kind %d: %s", i, kind, bad[i].text);
		CHECK_INT(kind, bad[i].kind);
		CHECK_INT(qn_strset_count(&s), 1);
		free(text);
		qn_strset_clear(&s);
	}
	/* a raw NUL byte */
	qn_strset s = QN_STRSET_INIT;
	qn_error *err = NULL;
	static const uint8_t nul[] = "openat\t/etc/a\0b\n";
	CHECK_INT(qn_trace_log_parse(nul, sizeof(nul) - 1, &s, &err), -1);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, "line 1");
	qn_error_free(err);
	err = NULL;
	/* a path over the limit */
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "openat\t/");
	for (int i = 0; i < 17 * 1024; i++)
		qn_buf_addc(&b, 'a');
	qn_buf_addc(&b, '\n');
	CHECK_INT(qn_trace_log_parse((const uint8_t *)b.data, b.len, &s, &err), -1);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	qn_error_free(err);
	qn_buf_clear(&b);
	CHECK_INT(qn_strset_count(&s), 0);
}

/* build/tests/test_trace -> build/lib/trace/quench-trace (or $QUENCH_TRACE); NULL if absent. */
static char *helper_path(void)
{
	const char *env = getenv("QUENCH_TRACE");
	if (env && *env)
		return xstrdup(env);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	*slash = 0;
	char *p = xasprintf("%s/../lib/trace/quench-trace", self);
	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* Runs argv with stdout to /dev/null; returns the exit status or -1. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Hostile names through the real helper: each comes back intact, none forges a line. */
static void test_helper_escaping(void)
{
	_cleanup_free_ char *helper = helper_path();
	if (!helper) {
		printf("# SKIP quench-trace not built next to this test (set QUENCH_TRACE)\n");
		return;
	}
	static const char *names[] = {
	    "a\nb", "t\tx", "back\\slash", "c\001trl\177", "utf-\xc3\xa9", "n\n#forged\nopenat\t/etc/shadow", "x\\x41"};
	char *argv[16] = {helper, "--log", "trace.log", "--", "/bin/cat"};
	int argc = 5;
	/* the forged line needs folders: a name never holds '/', a path does */
	CHECK(mkdir("n\n#forged\nopenat\t", 0755) == 0 && mkdir("n\n#forged\nopenat\t/etc", 0755) == 0);
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++) {
		tap_write(names[i], "x", 1);
		argv[argc++] = (char *)names[i];
	}
	argv[argc] = NULL;
	CHECK_INT(run(argv), 0);
	size_t len = 0;
	qn_error *err = NULL;
	_cleanup_free_ char *log = qn_read_file("trace.log", 1 << 24, &len, &err);
	CHECK(log != NULL);
	qn_strset s = QN_STRSET_INIT;
	CHECK_INT(qn_trace_log_parse((const uint8_t *)log, len, &s, &err), 0);
	if (err)
		printf("# %s\n", err->msg);
	char here[PATH_MAX];
	CHECK(getcwd(here, sizeof(here)) != NULL);
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++) {
		_cleanup_free_ char *rel = xasprintf("%s/%s", here + 1, names[i]);
		CHECK(qn_strset_has(&s, rel));
	}
	CHECK(!qn_strset_has(&s, "etc/shadow"));
	CHECK(log && strstr(log, "/a\\nb\n") && strstr(log, "/c\\x01trl\\x7f\n") && strstr(log, "/x\\\\x41\n"));
	qn_error_free(err);
	qn_strset_clear(&s);
}

/* ---- fanotify ---- */

/* Starts a recorder on mnt, or prints a SKIP line and returns NULL when fanotify is refused. */
static qn_fanrec *start_or_skip(const char *mnt)
{
	qn_error *err = NULL;
	qn_fanrec *r = qn_fanrec_start(mnt, &err);
	if (!r && err && (err->errnum == EPERM || err->errnum == ENOSYS)) {
		printf("# SKIP fanotify not permitted here: %s\n", err->msg);
	} else if (!r) {
		printf("# %s\n", err ? err->msg : "no error");
		CHECK(r != NULL);
	}
	qn_error_free(err);
	return r;
}

static int stop(qn_fanrec *r)
{
	qn_error *err = NULL;
	int rc = qn_fanrec_stop(r, &err);
	if (err)
		printf("# %s\n", err->msg);
	qn_error_free(err);
	return rc;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	qn_error *err = NULL;
	char *data = qn_read_file(from, 64 << 20, &len, &err);
	CHECK(data != NULL);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	CHECK(fd >= 0 && data && qn_write_full(fd, data, len) == 0);
	if (fd >= 0)
		close(fd);
	free(data);
	qn_error_free(err);
}

/* In a child (the test is threaded now: only system calls there): open FILE, open DIR as a
 * folder, stat STATONLY, then exec EXE (which must exist) or exit. */
static void child_touch(const char *file, const char *dir, const char *statonly, const char *exe)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct stat st;
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || dfd < 0)
			_exit(3);
		close(fd);
		close(dfd);
		if (stat(statonly, &st) < 0 && errno != ENOENT)
			_exit(4);
		if (exe) {
			char *const argv[] = {(char *)exe, NULL};
			execv(exe, argv);
			_exit(5);
		}
		_exit(0);
	}
	int st = -1;
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK_INT(st, 0);
}

/* A bind mount (a mount mark): opens, folder opens and execs by other processes are recorded
 * with their kinds; stat-only paths and this process's own opens are not. */
static void test_fanrec_bind(void)
{
	CHECK(mkdir("src", 0755) == 0 && mkdir("src/d", 0755) == 0 && mkdir("mnt", 0755) == 0);
	tap_write("src/a", "a", 1);
	tap_write("src/b", "b", 1);
	tap_write("src/mine", "m", 1);
	copy_file("/bin/true", "src/true", 0755);
	if (mount("src", "mnt", NULL, MS_BIND, NULL) < 0) {
		printf("# SKIP cannot bind-mount: %s\n", strerror(errno));
		return;
	}
	qn_fanrec *r = start_or_skip("mnt");
	if (r) {
		child_touch("mnt/a", "mnt/d", "mnt/b", "mnt/true");
		child_touch("src/a", "src/d", "src/b", NULL); /* not through the mount: not seen */
		int fd = open("mnt/mine", O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_INT(stop(r), 0);
		CHECK_INT(stop(r), 0);
		CHECK_INT(qn_fanrec_kinds(r, "a"), QN_FANREC_OPEN);
		CHECK_INT(qn_fanrec_kinds(r, "d"), QN_FANREC_LISTED);
		CHECK_INT(qn_fanrec_kinds(r, "true"), QN_FANREC_OPEN | QN_FANREC_EXEC);
		CHECK_INT(qn_fanrec_kinds(r, "b"), 0);
		CHECK_INT(qn_fanrec_kinds(r, "mine"), 0);
		CHECK_INT(qn_strset_count(qn_fanrec_paths(r)), 3);
		qn_fanrec_free(r);
	}
	CHECK(umount2("mnt", MNT_DETACH) == 0);
}

/* The child's side of the namespace test, as runc sets up a root: a new mount namespace, the
 * root bind-mounted onto itself, pivot_root, the old root detached. System calls only. */
static void enter_like_runc(const char *root)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(root) < 0 ||
	    syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		_exit(6);
}

/* An overlay (a filesystem mark): opens made from a runc-like mount namespace through copies
 * of the mount are recorded with paths relative to the overlay's root, and so are opens through
 * our own mount, and files created in the upper layer. */
static void test_fanrec_overlay(void)
{
	CHECK(mkdir("lower", 0755) == 0 && mkdir("upper", 0755) == 0 && mkdir("work", 0755) == 0);
	CHECK(mkdir("root", 0755) == 0 && mkdir("lower/etc", 0755) == 0 && mkdir("lower/usr", 0755) == 0);
	CHECK(mkdir("lower/usr/lib", 0755) == 0);
	tap_write("lower/etc/os-release", "x", 1);
	tap_write("lower/etc/hosts", "x", 1);
	tap_write("lower/etc/stat-only", "x", 1);
	char here[PATH_MAX], opts[3 * PATH_MAX + 64];
	CHECK(getcwd(here, sizeof(here)) != NULL);
	snprintf(opts, sizeof(opts), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", here, here, here);
	if (mount("overlay", "root", "overlay", 0, opts) < 0) {
		printf("# SKIP cannot mount an overlay: %s\n", strerror(errno));
		return;
	}
	tap_write("root/etc/new", "n", 1); /* our own write: a new upper file, not recorded */
	qn_fanrec *r = start_or_skip("root");
	if (r) {
		_cleanup_free_ char *root = xasprintf("%s/root", here);
		pid_t pid = fork();
		if (pid == 0) {
			enter_like_runc(root);
			struct stat st;
			int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
			int dfd = open("/usr/lib", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			int nfd = open("/etc/new", O_RDONLY | O_CLOEXEC);
			_exit(fd < 0 || dfd < 0 || nfd < 0 || stat("/etc/stat-only", &st) < 0 ? 7 : 0);
		}
		int st = -1;
		CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
		CHECK_INT(st, 0);
		child_touch("root/etc/hosts", "root/etc", "root/etc/stat-only", NULL);
		CHECK_INT(stop(r), 0);
		CHECK_INT(qn_fanrec_kinds(r, "etc/os-release"), QN_FANREC_OPEN);
		CHECK_INT(qn_fanrec_kinds(r, "usr/lib"), QN_FANREC_LISTED);
		CHECK_INT(qn_fanrec_kinds(r, "etc/new"), QN_FANREC_OPEN);
		CHECK_INT(qn_fanrec_kinds(r, "etc/hosts"), QN_FANREC_OPEN);
		CHECK_INT(qn_fanrec_kinds(r, "etc"), QN_FANREC_LISTED);
		CHECK_INT(qn_fanrec_kinds(r, "etc/stat-only"), 0);
		CHECK_INT(qn_strset_count(qn_fanrec_paths(r)), 5);
		CHECK_INT(qn_fanrec_unmapped(r), 0);
		qn_fanrec_free(r);
	}
	CHECK(umount2("root", MNT_DETACH) == 0);
}

/* Freed while running: stops the thread, no leak, no error. Bad mount point: NOTFOUND. */
static void test_fanrec_lifecycle(void)
{
	CHECK(mkdir("m", 0755) == 0);
	qn_fanrec *r = start_or_skip("m");
	qn_fanrec_free(r);
	qn_fanrec_free(NULL);
	qn_error *err = NULL;
	CHECK(qn_fanrec_start("does-not-exist", &err) == NULL);
	CHECK(err && err->kind == QN_ERR_NOTFOUND);
	qn_error_free(err);
}

int main(void)
{
	TAP_RUN(test_log_paths);
	TAP_RUN(test_log_escapes);
	TAP_RUN(test_log_malformed);
	TAP_RUN(test_helper_escaping);
	TAP_RUN(test_fanrec_bind);
	TAP_RUN(test_fanrec_overlay);
	TAP_RUN(test_fanrec_lifecycle);
	return tap_done();
}
