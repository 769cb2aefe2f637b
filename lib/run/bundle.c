/* OCI runtime bundles from image configs: process (Entrypoint + Cmd, Env, WorkingDir, User
 * resolved through the image's own passwd and group), the default capabilities of common
 * engines, no_new_privileges, resource limits and namespaces (a network namespace of its own:
 * the runtime brings up only loopback in it). The result mirrors what `docker run IMAGE` would
 * run, so profiling sees the same behaviour the image shows in production. */
#include <signal.h>
#include <sys/resource.h>

#include "run.h"
#include "util/json.h"

const char *const qn_default_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
    NULL,
};

static void push_strings(char ***v, size_t *n, const json_t *a)
{
	size_t i;
	json_t *e;
	json_array_foreach (a, i, e)
		if (json_is_string(e)) {
			*v = xreallocarray(*v, *n + 2, sizeof(char *));
			(*v)[(*n)++] = xstrdup(json_string_value(e));
			(*v)[*n] = NULL;
		}
}

char **qn_image_command(const json_t *config)
{
	const json_t *c = json_object_get(config, "config");
	char **v = NULL;
	size_t n = 0;
	push_strings(&v, &n, json_object_get(c, "Entrypoint"));
	push_strings(&v, &n, json_object_get(c, "Cmd"));
	return v;
}

static json_t *str_array(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, qn_json_string(v[i]));
	return a;
}

static json_t *caps(void)
{
	json_t *c = json_object();
	static const char *sets[] = {"bounding", "effective", "permitted"};
	for (size_t i = 0; i < QN_ARRAY_LEN(sets); i++)
		json_object_set_new(c, sets[i], str_array(qn_default_caps));
	return c;
}

/* Env from the image, with PATH and HOME added when missing (as engines do). */
static json_t *env(const json_t *c, const qn_user *u)
{
	json_t *e = json_array();
	bool path = false, home = false;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(c, "Env"), i, v) {
		const char *s = json_string_value(v);
		if (!s)
			continue;
		path |= qn_str_has_prefix(s, "PATH=");
		home |= qn_str_has_prefix(s, "HOME=");
		json_array_append_new(e, qn_json_string(s));
	}
	if (!path)
		json_array_append_new(e,
				      json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	if (!home) {
		_cleanup_free_ char *h = xasprintf("HOME=%s", u->home ? u->home : "/");
		json_array_append_new(e, qn_json_string(h));
	}
	json_array_append_new(e, json_string("HOSTNAME=quench"));
	return e;
}

static int read_etc(const char *rootfs, const char *name, char **buf, size_t *len)
{
	/* the user database of the image; absent files mean numeric users only */
	_cleanup_free_ char *p = xasprintf("%s/etc/%s", rootfs, name);
	*buf = qn_read_file(p, 16 << 20, len, NULL);
	if (!*buf) {
		*buf = xstrdup("");
		*len = 0;
	}
	return 0;
}

static json_t *process(const qn_bundle_opts *o, char *const *args, const qn_user *u)
{
	const json_t *c = json_object_get(o->config, "config");
	json_t *p = json_object();
	json_object_set_new(p, "terminal", json_false());
	json_t *user = json_object();
	json_object_set_new(user, "uid", json_integer(u->uid));
	json_object_set_new(user, "gid", json_integer(u->gid));
	if (u->n_groups) {
		json_t *g = json_array();
		for (size_t i = 0; i < u->n_groups; i++)
			json_array_append_new(g, json_integer(u->groups[i]));
		json_object_set_new(user, "additionalGids", g);
	}
	json_object_set_new(p, "user", user);
	json_object_set_new(p, "args", str_array((const char *const *)args));
	json_object_set_new(p, "env", env(c, u));
	const char *wd = qn_json_str(c, "WorkingDir");
	json_object_set_new(p, "cwd", json_string(wd && *wd == '/' ? wd : "/"));
	json_object_set_new(p, "capabilities", caps());
	/* engines default to a high open-file limit; never ask for more than we hold ourselves, which
	 * the runtime could not grant */
	struct rlimit lim = {65536, 65536};
	getrlimit(RLIMIT_NOFILE, &lim);
	json_int_t nf = (json_int_t)QN_MIN((rlim_t)65536, lim.rlim_max);
	json_t *rl = json_array(), *nofile = json_object();
	json_object_set_new(nofile, "type", json_string("RLIMIT_NOFILE"));
	json_object_set_new(nofile, "hard", json_integer(nf));
	json_object_set_new(nofile, "soft", json_integer(nf));
	json_array_append_new(rl, nofile);
	json_object_set_new(p, "rlimits", rl);
	json_object_set_new(p, "noNewPrivileges", json_true());
	return p;
}

static json_t *mount(const char *dst, const char *type, const char *src, const char *const *opts)
{
	json_t *m = json_object();
	json_object_set_new(m, "destination", json_string(dst));
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "source", json_string(src));
	json_object_set_new(m, "options", str_array(opts));
	return m;
}

static json_t *mounts(const qn_bundle_opts *o)
{
	json_t *a = json_array();
	json_array_append_new(a, mount("/proc", "proc", "proc", NULL));
	json_array_append_new(a, mount("/dev", "tmpfs", "tmpfs",
				       (const char *[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL}));
	json_array_append_new(
	    a, mount("/dev/pts", "devpts", "devpts",
		     (const char *[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL}));
	json_array_append_new(a,
			      mount("/dev/shm", "tmpfs", "shm",
				    (const char *[]){"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL}));
	json_array_append_new(
	    a, mount("/dev/mqueue", "mqueue", "mqueue", (const char *[]){"nosuid", "noexec", "nodev", NULL}));
	json_array_append_new(
	    a, mount("/sys", "sysfs", "sysfs", (const char *[]){"nosuid", "noexec", "nodev", "ro", NULL}));
	if (o->helper_dir)
		json_array_append_new(a, mount("/.quench-bin", "bind", o->helper_dir,
					       (const char *[]){"rbind", "ro", "nosuid", "nodev", NULL}));
	if (o->log_dir)
		json_array_append_new(a, mount("/.quench", "bind", o->log_dir,
					       (const char *[]){"rbind", "rw", "nosuid", "nodev", "noexec", NULL}));
	return a;
}

static json_t *linux_part(const qn_bundle_opts *o)
{
	json_t *l = json_object();
	json_t *ns = json_array();
	static const char *types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
	for (size_t i = 0; i < QN_ARRAY_LEN(types); i++) {
		json_t *n = json_object();
		json_object_set_new(n, "type", json_string(types[i]));
		json_array_append_new(ns, n);
	}
	json_object_set_new(l, "namespaces", ns);
	json_t *res = json_object(), *mem = json_object(), *pids = json_object();
	json_object_set_new(mem, "limit", json_integer((json_int_t)(o->memory ? o->memory : 1ULL << 30)));
	json_object_set_new(pids, "limit", json_integer(o->pids ? o->pids : 1024));
	json_object_set_new(res, "memory", mem);
	json_object_set_new(res, "pids", pids);
	json_t *dev = json_object();
	json_object_set_new(dev, "allow", json_false());
	json_object_set_new(dev, "access", json_string("rwm"));
	json_t *devs = json_array();
	json_array_append_new(devs, dev);
	json_object_set_new(res, "devices", devs);
	json_object_set_new(l, "resources", res);
	static const char *masked[] = {
	    "/proc/acpi",        "/proc/kcore",       "/proc/keys",    "/proc/latency_stats", "/proc/timer_list",
	    "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",          NULL};
	static const char *ro[] = {"/proc/asound", "/proc/bus",           "/proc/fs", "/proc/irq",
				   "/proc/sys",    "/proc/sysrq-trigger", NULL};
	json_object_set_new(l, "maskedPaths", str_array(masked));
	json_object_set_new(l, "readonlyPaths", str_array(ro));
	return l;
}

json_t *qn_bundle_config(const qn_bundle_opts *o, qn_error **err)
{
	char **own = NULL;
	char *const *args = o->args;
	if (!args) {
		own = qn_image_command(o->config);
		args = own;
	}
	if (!args || !args[0]) {
		qn_error_set(err, QN_ERR_INPUT, "the image has no Entrypoint or Cmd to run");
		return NULL;
	}
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	size_t pl, gl;
	read_etc(o->rootfs, "passwd", &pw, &pl);
	read_etc(o->rootfs, "group", &gr, &gl);
	qn_user u;
	const char *spec = qn_json_str(json_object_get(o->config, "config"), "User");
	json_t *cfg = NULL;
	if (qn_user_resolve(spec ? spec : "", (const uint8_t *)pw, pl, (const uint8_t *)gr, gl, &u, err) == 0) {
		cfg = json_object();
		json_object_set_new(cfg, "ociVersion", json_string("1.0.2"));
		json_object_set_new(cfg, "process", process(o, args, &u));
		json_t *root = json_object();
		json_object_set_new(root, "path", json_string(o->rootfs));
		json_object_set_new(root, "readonly", json_false());
		json_object_set_new(cfg, "root", root);
		json_object_set_new(cfg, "hostname", json_string(o->hostname ? o->hostname : "quench"));
		json_object_set_new(cfg, "mounts", mounts(o));
		json_object_set_new(cfg, "linux", linux_part(o));
		qn_user_clear(&u);
	}
	for (size_t i = 0; own && own[i]; i++)
		free(own[i]);
	free(own);
	return cfg;
}

int qn_image_stop_signal(const json_t *config)
{
	const char *s = qn_json_str(json_object_get(config, "config"), "StopSignal");
	if (!s)
		return SIGTERM;
	if (qn_str_has_prefix(s, "SIG"))
		s += 3;
	static const struct {
		const char *n;
		int sig;
	} names[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"HUP", SIGHUP},
		     {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"WINCH", SIGWINCH}};
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++)
		if (!strcmp(s, names[i].n))
			return names[i].sig;
	int n = atoi(s);
	return n > 0 && n < 65 ? n : SIGTERM;
}
