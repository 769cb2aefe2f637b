/* Containers under a real OCI runtime. quench never runs containers itself: it prepares an
 * overlay root (the unpacked image stays untouched below it), writes a bundle, and drives
 * `runc` (or another runtime with the same command line) with a private state folder so
 * nothing leaks into the host's runtime state. Every resource it makes — the overlay mount, the
 * runtime's container and cgroups, processes, folders — is undone by qn_container_destroy, which
 * callers run on every exit path (errors, timeouts, interruption). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "util/json.h"

struct qn_container {
	char *runtime;
	char *id;
	char *workdir, *bundle, *merged, *upper, *ovlwork, *state, *logdir;
	char *trace_log;
	pid_t runc_pid;
	pid_t init_pid;
	bool mounted, exited, trace_exec;
	int status;
	int netns_fd;
};

static char *find_runtime(const char *name, qn_error **err)
{
	if (!name)
		name = "runc";
	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return qn_error_errno(err, errno, "runtime %s", name), NULL;
		return xstrdup(name);
	}
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy =
	    xstrdup(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = xasprintf("%s/%s", d, name);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	qn_error_set(err, QN_ERR_RUNTIME, "container runtime \"%s\" not found in PATH (install runc)", name);
	return NULL;
}

/* fork + exec with the given stdio; the child gets its own process group so a terminal's
 * Ctrl-C reaches quench only, which then stops the container in order. Only async-signal-safe
 * calls happen between fork and exec. */
static pid_t spawn(char *const *argv, int in, int out, int errfd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) || (errfd >= 0 && dup2(errfd, 2) < 0))
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

/* Runs the runtime with args, output discarded; returns its exit status or -1. */
static int runtime_cmd(qn_container *c, const char *const *args)
{
	const char *argv[16];
	size_t n = 0;
	argv[n++] = c->runtime;
	argv[n++] = "--root";
	argv[n++] = c->state;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = spawn((char *const *)argv, devnull, devnull, devnull);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0)
		return -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int make_dirs(qn_container *c, qn_error **err)
{
	char **dirs[] = {&c->bundle, &c->merged, &c->upper, &c->ovlwork, &c->state, &c->logdir};
	const char *names[] = {"bundle", "merged", "upper", "ovlwork", "state", "log"};
	for (size_t i = 0; i < QN_ARRAY_LEN(dirs); i++) {
		*dirs[i] = xasprintf("%s/%s", c->workdir, names[i]);
		if (mkdir(*dirs[i], i == 5 ? 0777 : 0700) < 0)
			return qn_error_errno(err, errno, "%s", *dirs[i]);
	}
	chmod(c->logdir, 0777); /* the container's user (maybe not root) writes the trace log */
	c->trace_log = xasprintf("%s/trace.log", c->logdir);
	int fd = open(c->trace_log, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd >= 0) {
		fchmod(fd, 0666);
		close(fd);
	}
	return 0;
}

static int mount_overlay(qn_container *c, const char *lower, qn_error **err)
{
	/* the options string cannot quote: refuse paths that would change its meaning */
	if (strpbrk(lower, ",:\\") || strpbrk(c->workdir, ",:\\"))
		return qn_error_set(err, QN_ERR_USAGE, "%s: paths with ',', ':' or '\\' cannot be overlay folders",
				    lower);
	/* the overlay's root takes the upper folder's owner and mode: give it the image root's, or
	 * a non-root user could not even enter "/" */
	struct stat st;
	if (stat(lower, &st) < 0)
		return qn_error_errno(err, errno, "%s", lower);
	if (chown(c->upper, st.st_uid, st.st_gid) < 0 || chmod(c->upper, st.st_mode & 07777) < 0)
		return qn_error_errno(err, errno, "%s", c->upper);
	_cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, c->upper, c->ovlwork);
	if (mount("overlay", c->merged, "overlay", 0, opts) < 0)
		return qn_error_errno(err, errno, "mounting the container's overlay root at %s", c->merged);
	c->mounted = true;
	return 0;
}

static char **trace_args(char *const *args)
{
	size_t n = 0;
	while (args[n])
		n++;
	char **v = xcalloc(n + 5, sizeof(char *));
	v[0] = xstrdup("/.quench-bin/quench-trace");
	v[1] = xstrdup("--log");
	v[2] = xstrdup("/.quench/trace.log");
	v[3] = xstrdup("--");
	for (size_t i = 0; i < n; i++)
		v[4 + i] = xstrdup(args[i]);
	return v;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int write_bundle(qn_container *c, const qn_run_opts *o, qn_error **err)
{
	char **cmd = o->args ? NULL : qn_image_command(o->config);
	char *const *args = o->args ? o->args : cmd;
	if (!args || !args[0]) {
		free_strv(cmd);
		return qn_error_set(err, QN_ERR_INPUT, "the image has no Entrypoint or Cmd to run");
	}
	char **traced = o->trace ? trace_args(args) : NULL;
	qn_bundle_opts bo = {.config = o->config,
			     .rootfs = c->merged,
			     .args = traced ? traced : args,
			     .helper_dir = o->helper_dir,
			     .log_dir = c->logdir,
			     .memory = o->memory,
			     .pids = o->pids};
	json_t *cfg = qn_bundle_config(&bo, err);
	free_strv(cmd);
	free_strv(traced);
	if (!cfg)
		return -1;
	_cleanup_free_ char *s = qn_json_dump(cfg, true);
	json_decref(cfg);
	_cleanup_free_ char *path = xasprintf("%s/config.json", c->bundle);
	return qn_write_file_atomic(path, s, strlen(s), 0600, err);
}

static int wait_started(qn_container *c, const char *pidfile, qn_error **err)
{
	for (int i = 0; i < 1500; i++) { /* up to 30 s for the runtime to create the container */
		char *buf = qn_read_file(pidfile, 64, NULL, NULL);
		if (buf) {
			c->init_pid = (pid_t)atoi(buf);
			free(buf);
			if (c->init_pid > 0)
				break;
		}
		int st;
		if (waitpid(c->runc_pid, &st, WNOHANG) == c->runc_pid) {
			c->exited = true;
			c->status = st;
			_cleanup_free_ char *ep = xasprintf("%s/runtime.err", c->workdir);
			_cleanup_free_ char *msg = qn_read_file(ep, 4096, NULL, NULL);
			char *nl = msg ? strrchr(msg, '\n') : NULL;
			if (nl && !nl[1])
				*nl = 0;
			_cleanup_free_ char *q = qn_str_quote(msg ? msg : "", 300);
			return qn_error_set(err, QN_ERR_RUNTIME, "%s failed to start the container: %s", c->runtime, q);
		}
		if (qn_interrupted())
			return qn_error_set(err, QN_ERR_RUNTIME, "interrupted");
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (c->init_pid <= 0)
		return qn_error_set(err, QN_ERR_RUNTIME, "%s did not start the container within 30 s", c->runtime);
	_cleanup_free_ char *ns = xasprintf("/proc/%d/ns/net", (int)c->init_pid);
	c->netns_fd = open(ns, O_RDONLY | O_CLOEXEC);
	return 0;
}

qn_container *qn_container_start(const qn_run_opts *o, qn_error **err)
{
	static int counter;
	qn_container *c = xcalloc(1, sizeof(*c));
	c->netns_fd = -1;
	c->trace_exec = o->trace_exec;
	c->workdir = xstrdup(o->workdir);
	c->id = xasprintf("quench-%d-%d", (int)getpid(), ++counter);
	c->runtime = find_runtime(o->runtime, err);
	if (!c->runtime || make_dirs(c, err) < 0 || mount_overlay(c, o->rootfs, err) < 0 || write_bundle(c, o, err) < 0)
		return c; /* the caller destroys it */
	if (o->before_start && o->before_start(o->before_ud, c->merged, err) < 0)
		return c;
	_cleanup_free_ char *pidfile = xasprintf("%s/init.pid", c->workdir);
	_cleanup_free_ char *outp = xasprintf("%s/container.out", c->workdir);
	_cleanup_free_ char *errp = xasprintf("%s/runtime.err", c->workdir);
	int out = open(outp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const char *argv[] = {c->runtime, "--root",     c->state, "run", "--bundle",
			      c->bundle,  "--pid-file", pidfile,  c->id, NULL};
	c->runc_pid = spawn((char *const *)argv, in, out, efd);
	if (out >= 0)
		close(out);
	if (efd >= 0)
		close(efd);
	if (in >= 0)
		close(in);
	if (c->runc_pid < 0)
		qn_error_errno(err, errno, "starting %s", c->runtime);
	else
		wait_started(c, pidfile, err);
	return c;
}

const char *qn_container_root(const qn_container *c)
{
	return c->merged;
}
const char *qn_container_trace_log(const qn_container *c)
{
	return c->trace_log;
}
pid_t qn_container_pid(const qn_container *c)
{
	return c->init_pid;
}
int qn_container_netns(qn_container *c)
{
	return c->netns_fd;
}

bool qn_proc_stat_exiting(const char *stat)
{
	/* "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ...": the state follows the last ')' */
	const char *p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || !p[2])
		return false;
	if (p[2] == 'Z' || p[2] == 'X')
		return true;
	p += 3;
	for (int field = 0; field < 6; field++) { /* to FLAGS, the sixth field after STATE */
		if (*p != ' ')
			return false;
		p++;
		if (field < 5)
			p += strcspn(p, " ");
	}
	char *end;
	errno = 0;
	unsigned long flags = strtoul(p, &end, 10);
	return end != p && errno == 0 && (flags & 0x4 /* PF_EXITING */);
}

bool qn_container_ending(qn_container *c)
{
	if (!qn_container_running(c, NULL))
		return true;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->init_pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	return qn_proc_stat_exiting(buf);
}

bool qn_container_running(qn_container *c, int *status)
{
	if (!c->exited && c->runc_pid > 0) {
		int st;
		if (waitpid(c->runc_pid, &st, WNOHANG) == c->runc_pid) {
			c->exited = true;
			c->status = st;
		}
	}
	if (c->exited && status)
		*status = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
	return !c->exited && c->runc_pid > 0;
}

int qn_container_wait(qn_container *c, double timeout, int *status)
{
	double end = qn_now() + timeout;
	while (qn_container_running(c, status)) {
		if (qn_interrupted())
			return -1;
		if (qn_now() >= end)
			return 0;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return 1;
}

void qn_container_stop(qn_container *c, int sig, double grace)
{
	if (!c || c->runc_pid <= 0 || !qn_container_running(c, NULL))
		return;
	char s[16];
	snprintf(s, sizeof(s), "%d", sig);
	runtime_cmd(c, (const char *[]){"kill", c->id, s, NULL});
	double end = qn_now() + grace;
	while (qn_container_running(c, NULL) && qn_now() < end) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (qn_container_running(c, NULL)) {
		runtime_cmd(c, (const char *[]){"kill", "--all", c->id, "KILL", NULL});
		kill(-c->runc_pid, SIGKILL);
		int st;
		while (waitpid(c->runc_pid, &st, 0) < 0 && errno == EINTR)
			;
		c->exited = true;
		c->status = st;
	}
}

void qn_container_destroy(qn_container *c)
{
	if (!c)
		return;
	if (c->runc_pid > 0) {
		qn_container_stop(c, SIGKILL, 2);
		runtime_cmd(c, (const char *[]){"delete", "--force", c->id, NULL});
	}
	if (c->netns_fd >= 0)
		close(c->netns_fd);
	if (c->mounted && umount2(c->merged, MNT_DETACH) < 0)
		qn_warn("%s: cannot unmount: %s", c->merged, strerror(errno));
	const char *dirs[] = {c->bundle, c->merged, c->upper, c->ovlwork, c->state};
	for (size_t i = 0; i < QN_ARRAY_LEN(dirs); i++)
		if (dirs[i])
			qn_rm_rf(dirs[i]);
	free(c->runtime);
	free(c->id);
	free(c->workdir);
	free(c->bundle);
	free(c->merged);
	free(c->upper);
	free(c->ovlwork);
	free(c->state);
	free(c->logdir);
	free(c->trace_log);
	free(c);
}

void qn_exec_result_clear(qn_exec_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

#define EXEC_CAP (1 << 20)

typedef struct {
	int fd;
	qn_buf *b;
} stream;

/* Reads both pipes until they close or the deadline passes; bounded to EXEC_CAP each. */
static bool pump(stream *s, size_t n, double deadline)
{
	char buf[16384];
	for (;;) {
		struct pollfd p[2];
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (s[i].fd >= 0)
				p[k++] = (struct pollfd){s[i].fd, POLLIN, 0};
		if (!k)
			return true;
		double left = deadline - qn_now();
		if (left <= 0 || qn_interrupted())
			return false;
		int r = poll(p, (nfds_t)k, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			return false;
		for (size_t j = 0; r > 0 && j < k; j++) {
			if (!p[j].revents)
				continue;
			for (size_t i = 0; i < n; i++) {
				if (s[i].fd != p[j].fd)
					continue;
				ssize_t got = read(s[i].fd, buf, sizeof(buf));
				if (got <= 0) {
					close(s[i].fd);
					s[i].fd = -1;
				} else if (s[i].b->len < EXEC_CAP)
					qn_buf_add(s[i].b, buf, QN_MIN((size_t)got, EXEC_CAP - s[i].b->len));
			}
		}
	}
}

int qn_container_exec(qn_container *c, char *const *argv, const char *input, double timeout, qn_exec_result *res,
		      qn_error **err)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	if (!qn_container_running(c, NULL))
		return qn_error_set(err, QN_ERR_RUNTIME, "the container is not running");
	size_t n = 0;
	while (argv[n])
		n++;
	char **traced = c->trace_exec ? trace_args(argv) : NULL;
	char *const *args = traced ? traced : argv;
	size_t m = traced ? n + 4 : n;
	const char **full = xcalloc(m + 6, sizeof(char *));
	size_t k = 0;
	full[k++] = c->runtime, full[k++] = "--root", full[k++] = c->state, full[k++] = "exec", full[k++] = c->id;
	for (size_t i = 0; i < m; i++)
		full[k++] = args[i];
	int po[2], pe[2], pi[2];
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(pi, O_CLOEXEC) < 0) {
		free(full);
		free_strv(traced);
		return qn_error_errno(err, errno, "pipe");
	}
	double t0 = qn_now();
	pid_t pid = spawn((char *const *)full, pi[0], po[1], pe[1]);
	int fork_errno = errno;
	free(full);
	free_strv(traced);
	close(po[1]), close(pe[1]), close(pi[0]);
	if (pid < 0) { /* waitpid(-1) below would reap the runtime's own `run` */
		close(po[0]), close(pe[0]), close(pi[1]);
		return qn_error_errno(err, fork_errno, "starting %s exec", c->runtime);
	}
	if (input)
		(void)qn_write_full(pi[1], input, strlen(input));
	close(pi[1]);
	qn_buf out = QN_BUF_INIT, errb = QN_BUF_INIT;
	stream s[2] = {{po[0], &out}, {pe[0], &errb}};
	bool done = pump(s, 2, t0 + timeout);
	if (!done) {
		res->timed_out = true;
		kill(pid, SIGTERM); /* runc exec passes it on to the process */
		struct timespec ts = {0, 500 * 1000 * 1000};
		nanosleep(&ts, NULL);
		kill(-pid, SIGKILL);
	}
	for (size_t i = 0; i < 2; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	res->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	res->seconds = qn_now() - t0;
	res->out_len = out.len;
	res->out = qn_buf_steal(&out);
	res->err_len = errb.len;
	res->err = qn_buf_steal(&errb);
	return 0;
}
