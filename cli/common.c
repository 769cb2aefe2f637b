/* Command-line helpers shared by subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#include "cli.h"
#include "quench/harden.h"
#include "quench/verify.h"
#include "run/run.h"

int qn_cli_fail(qn_error *err)
{
	if (!err) {
		fprintf(stderr, "quench: unknown error\n");
		return QN_EXIT_RUNTIME;
	}
	fprintf(stderr, "quench: %s\n", err->msg);
	int code = qn_error_exit_code(err);
	qn_error_free(err);
	return code;
}

int qn_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "quench: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'quench %s --help'.\n", cmd);
	va_end(ap);
	return QN_EXIT_USAGE;
}

int qn_cli_timeout(const char *cmd, const char *arg, double *out)
{
	if (qn_parse_double(arg, 0.001, 1e7, out) < 0)
		return qn_cli_usage_error(cmd, "--timeout: want seconds > 0, got \"%s\"", arg), -1;
	return 0;
}

int qn_cli_image_opt(const char *cmd, int c, const char *arg, qn_image_opts *o)
{
	uint64_t v;
	switch (c) {
	case QN_OPT_PLATFORM:
		if (!strchr(arg, '/'))
			return qn_cli_usage_error(cmd, "--platform: want OS/ARCH[/VARIANT], got \"%s\"", arg), -1;
		o->platform = arg;
		return 1;
	case QN_OPT_MAX_SIZE:
		if (qn_parse_size(arg, &v) < 0 || v == 0)
			return qn_cli_usage_error(cmd, "--max-size: bad size \"%s\"", arg), -1;
		o->limits.max_total_size = v;
		return 1;
	case QN_OPT_MAX_ENTRIES:
		if (qn_parse_u64(arg, &v) < 0 || v == 0)
			return qn_cli_usage_error(cmd, "--max-entries: bad number \"%s\"", arg), -1;
		o->limits.max_entries = v;
		return 1;
	case QN_OPT_MAX_PATH:
		if (qn_parse_u64(arg, &v) < 0 || v == 0 || v > (1u << 20))
			return qn_cli_usage_error(cmd, "--max-path: bad number \"%s\"", arg), -1;
		o->limits.max_path = v;
		return 1;
	case QN_OPT_THREADS:
		if (qn_parse_u64(arg, &v) < 0 || v == 0 || v > 256)
			return qn_cli_usage_error(cmd, "--threads: bad number \"%s\"", arg), -1;
		o->threads = (int)v;
		return 1;
	default:
		return 0;
	}
}

int qn_output_open(qn_output *o, const char *path, qn_error **err)
{
	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->fp = stdout;
		return 0;
	}
	if (qn_atomic_open(&o->af, path, 0644, err) < 0)
		return -1;
	o->af.fp = fdopen(o->af.fd, "w");
	if (!o->af.fp) {
		qn_error_errno(err, errno, "%s", path);
		qn_atomic_abort(&o->af);
		return -1;
	}
	o->fp = o->af.fp;
	o->to_file = true;
	return 0;
}

int qn_output_close(qn_output *o, qn_error **err)
{
	if (!o->to_file) {
		if (fflush(stdout) != 0)
			return qn_error_errno(err, errno, "stdout");
		return 0;
	}
	o->fp = NULL;
	return qn_atomic_commit(&o->af, err);
}

void qn_output_abort(qn_output *o)
{
	if (o->to_file)
		qn_atomic_abort(&o->af);
	o->fp = NULL;
}

bool qn_cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(fileno(f));
}

char *qn_cli_helper_dir(void)
{
	const char *env = getenv("QUENCH_HELPER_DIR");
	if (env && *env)
		return xstrdup(env);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		static const char *const cands[] = {"/../lib/trace", "/../libexec/quench", "/../lib/quench"};
		for (size_t i = 0; i < QN_ARRAY_LEN(cands); i++) {
			char *d = xasprintf("%s%s", exe, cands[i]);
			char *h = xasprintf("%s/quench-trace", d);
			bool ok = access(h, X_OK) == 0;
			free(h);
			if (ok)
				return d;
			free(d);
		}
	}
	return xstrdup("/usr/libexec/quench");
}

static int add_probe(struct qn_probe_list *l, int c, const char *arg)
{
	qn_error *err = NULL;
	qn_probe p;
	int rc = c == QN_OPT_PROBE_HTTP ? qn_probe_parse_http(arg, &p, &err)
					: qn_probe_parse_exec(arg, c == QN_OPT_TEST, &p, &err);
	if (rc < 0)
		return qn_cli_fail(err), -1;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(qn_probe));
	l->v[l->n++] = p;
	return 0;
}

int qn_cli_probe_opt(struct qn_probe_list *l, int c, const char *arg)
{
	switch (c) {
	case QN_OPT_PROBE_HTTP:
	case QN_OPT_PROBE_EXEC:
	case QN_OPT_TEST:
		return add_probe(l, c, arg) < 0 ? -1 : 1;
	case QN_OPT_PROBES:
		return qn_cli_probes_file(l, arg, false) < 0 ? -1 : 1;
	default:
		return 0;
	}
}

int qn_cli_probes_file(struct qn_probe_list *l, const char *path, bool from_report)
{
	qn_error *err = NULL;
	size_t len;
	/* a probes file is small; a harden report lists every removed path */
	_cleanup_free_ char *buf = qn_read_file(path, from_report ? (size_t)256 << 20 : 1 << 20, &len, &err);
	int rc = !buf          ? -1
		 : from_report ? qn_verify_probes_from_report((const uint8_t *)buf, len, path, &l->v, &l->n, &err)
			       : qn_probes_parse_json((const uint8_t *)buf, len, path, &l->v, &l->n, &err);
	if (rc < 0)
		return qn_cli_fail(err), -1;
	return 0;
}

void qn_cli_probes_clear(struct qn_probe_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		qn_probe_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void on_defer(int sig)
{
	if (sig == SIGUSR1)
		qn_set_continue();
	else
		qn_set_interrupted(sig);
}

void qn_cli_defer_signals(bool usr1)
{
	struct sigaction sa = {.sa_handler = on_defer};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (usr1)
		sigaction(SIGUSR1, &sa, NULL);
}
