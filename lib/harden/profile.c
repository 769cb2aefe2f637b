/* The profile run: the image runs under the runtime with both recorders on (fanotify on its
 * overlay root from outside, the ptrace helper as its first process inside), the probes
 * exercise it, and every path it touched is collected.
 *
 * When the image's own command ends at once (python3 without a terminal does), the exec probes
 * and tests still run: a second container from the same image is started with the helper's
 * pause mode as its first process, and the probes run inside it under the tracer; what they
 * touch counts. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include "harden_int.h"
#include "quench/trace.h"

typedef struct {
	qn_hardening *h;
	qn_fanrec *fan;
	qn_strset raw; /* every recorded path */
} prof_t;

static int start_fan(void *ud, const char *root, qn_error **err)
{
	prof_t *p = ud;
	p->fan = qn_fanrec_start(root, err);
	return p->fan ? 0 : -1;
}

/* Collects what the recorders saw in container c and frees c. */
static int collect(prof_t *p, qn_container *c, qn_error **err)
{
	double t0 = qn_now();
	int rc = 0;
	if (p->fan) {
		rc = qn_fanrec_stop(p->fan, err);
		const qn_strset *s = qn_fanrec_paths(p->fan);
		for (size_t i = 0; rc == 0 && i < s->cap; i++)
			if (s->keys[i]) {
				qn_strset_add(&p->raw, s->keys[i]);
				p->h->fan_paths++;
			}
		qn_fanrec_free(p->fan);
		p->fan = NULL;
	}
	const char *log = c ? qn_container_trace_log(c) : NULL;
	size_t len = 0;
	_cleanup_free_ char *buf = log ? qn_read_file(log, (size_t)1 << 31, &len, NULL) : NULL;
	if (rc == 0 && buf) {
		qn_strset tp = QN_STRSET_INIT;
		rc = qn_trace_log_parse((const uint8_t *)buf, len, &tp, err);
		if (rc < 0)
			qn_error_prefix(err, "ptrace log");
		for (size_t i = 0; i < tp.cap; i++)
			if (tp.keys[i] && qn_strset_add(&p->raw, tp.keys[i]))
				p->h->ptrace_paths++;
		qn_strset_clear(&tp);
	}
	p->h->t.trace += qn_now() - t0;
	qn_container_destroy(c);
	return rc;
}

static qn_container *start(prof_t *p, const char *name, char *const *args, qn_error **err)
{
	qn_hardening *h = p->h;
	_cleanup_free_ char *wd = xasprintf("%s/%s", h->workdir, name);
	if (mkdir(wd, 0700) < 0) {
		qn_error_errno(err, errno, "%s", wd);
		return NULL;
	}
	bool ptrace = !h->o->no_ptrace;
	qn_run_opts ro = {.runtime = h->o->runtime,
			  .rootfs = h->rootfs,
			  .workdir = wd,
			  .config = qn_image_config(h->img),
			  .args = args,
			  .helper_dir = h->o->helper_dir,
			  .trace = ptrace && !args,
			  .trace_exec = ptrace,
			  .before_start = start_fan,
			  .before_ud = p};
	qn_container *c = qn_container_start(&ro, err);
	if (err && *err) {
		qn_fanrec_free(p->fan);
		p->fan = NULL;
		qn_container_destroy(c);
		return NULL;
	}
	return c;
}

static void record_probe(qn_hardening *h, const qn_probe *pr, const qn_probe_result *r)
{
	json_array_append_new(h->probes, qn_probe_json(pr, r));
	if (!r->ok) {
		h->probes_ok = false;
		qn_harden_warn(h, "probe %s on the original image: %s", pr->label, r->error ? r->error : "failed");
	}
}

/* Runs probes from *next while the container runs; returns false when it stopped early. */
static bool run_probes(qn_hardening *h, qn_container *c, size_t *next, double deadline, bool exec_only)
{
	const struct qn_probe_list *pl = h->o->probes;
	for (; pl && *next < pl->n; (*next)++) {
		const qn_probe *pr = &pl->v[*next];
		if (qn_interrupted() || !qn_container_running(c, NULL))
			return false;
		if (exec_only && pr->kind != QN_PROBE_EXEC) {
			qn_probe_result r = {
			    .error = xasprintf("the image's command had exited (status %d)", h->exit_status)};
			record_probe(h, pr, &r);
			qn_probe_result_clear(&r);
			continue;
		}
		qn_probe_result r;
		qn_probe_run(c, pr, QN_MAX(1.0, QN_MIN(60.0, deadline - qn_now())), &r);
		/* a probe the command's end cut short is not the image's answer */
		if (!exec_only && qn_probe_met_command_end(c, pr, &r)) {
			qn_debug("probe %s ended with the image's command (%s); it runs again", pr->label,
				 r.error ? r.error : "failed");
			qn_probe_result_clear(&r);
			return false;
		}
		record_probe(h, pr, &r);
		qn_probe_result_clear(&r);
	}
	return true;
}

static void wait_continue(qn_hardening *h, qn_container *c, double deadline)
{
	size_t n = h->o->probes ? h->o->probes->n : 0;
	double until = deadline;
	if (n && h->o->continue_mode == QN_CONTINUE_PROBES)
		return;
	if (n && h->o->continue_mode == QN_CONTINUE_SECONDS)
		until = QN_MIN(deadline, qn_now() + h->o->continue_seconds);
	while (qn_container_running(c, NULL) && qn_now() < until && !qn_interrupted()) {
		if (h->o->continue_mode == QN_CONTINUE_SIGNAL && qn_continue_requested())
			break;
		qn_container_wait(c, 0.1, NULL);
	}
	if (!qn_container_running(c, NULL) || qn_interrupted())
		return;
	/* still running: it is stopped now, for one of these reasons */
	if (qn_now() >= deadline)
		h->stopped_by = xstrdup("timeout");
	else if (n)
		h->stopped_by = xstrdup("continue-after"); /* the seconds passed, or SIGUSR1 came */
}

static int main_run(prof_t *p, size_t *next, qn_error **err)
{
	qn_hardening *h = p->h;
	double deadline = qn_now() + (h->o->timeout > 0 ? h->o->timeout : 300);
	qn_container *c = start(p, "run-main", NULL, err);
	if (!c)
		return -1;
	run_probes(h, c, next, deadline, false);
	wait_continue(h, c, deadline);
	int status = -1;
	if (qn_container_running(c, NULL)) {
		if (!h->stopped_by)
			h->stopped_by = xstrdup(qn_interrupted() ? "interrupted" : "probes done");
		qn_container_stop(c, qn_image_stop_signal(qn_image_config(h->img)), 10);
	} else if (!h->stopped_by)
		h->stopped_by = xstrdup("the command exited");
	qn_container_running(c, &status);
	h->exit_status = status;
	return collect(p, c, err);
}

/* Exec probes that could not run because the command ended: a paused container runs them. */
static int pause_run(prof_t *p, size_t *next, qn_error **err)
{
	qn_hardening *h = p->h;
	double deadline = qn_now() + (h->o->timeout > 0 ? h->o->timeout : 300);
	char *args[] = {"/.quench-bin/quench-trace", "--pause", NULL};
	qn_container *c = start(p, "run-probes", args, err);
	if (!c)
		return -1;
	run_probes(h, c, next, deadline, true);
	qn_container_stop(c, SIGTERM, 5);
	return collect(p, c, err);
}

/* A recorded path that exists in the image joins the profile. One that does not was created at
 * run time, or looked for in vain; either way the lookup walked the folders above it, and those
 * must stay folders: nginx's mkdir("/var/lib/nginx/body") needs /var/lib/nginx, and a failed
 * lookup of /etc/app/override.conf must fail the same way (ENOENT from inside /etc/app). So the
 * nearest existing folder above it joins instead (a file there would answer ENOTDIR; it is not
 * kept for that). */
static void add_to_profile(qn_hardening *h, const char *path)
{
	if (qn_tree_resolve(h->tree, path, false, NULL, NULL)) {
		qn_strset_add(&h->profile, path);
		return;
	}
	_cleanup_free_ char *dir = xstrdup(path);
	for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
		*slash = 0;
		const qn_node *n = qn_tree_resolve(h->tree, dir, true, NULL, NULL);
		if (!n)
			continue;
		if (n->type == QN_NODE_DIR)
			qn_strset_add(&h->profile, dir);
		return;
	}
}

int qn_harden_profile(qn_hardening *h, qn_error **err)
{
	double t0 = qn_now();
	prof_t p = {.h = h};
	h->probes_ok = true;
	size_t next = 0;
	qn_info("profiling %s", qn_image_ref(h->img));
	int rc = main_run(&p, &next, err);
	if (rc == 0 && h->o->probes && next < h->o->probes->n && !qn_interrupted())
		rc = pause_run(&p, &next, err);
	/* a probe that never got to run is a failed probe, never a silent one */
	for (; rc == 0 && h->o->probes && next < h->o->probes->n; next++) {
		qn_probe_result r = {.error = xstrdup("not run: the container stopped before it")};
		record_probe(h, &h->o->probes->v[next], &r);
		qn_probe_result_clear(&r);
	}
	if (rc == 0 && qn_interrupted())
		rc = qn_error_set(err, QN_ERR_RUNTIME, "interrupted");
	double t1 = qn_now();
	h->profile_raw = qn_strset_count(&p.raw);
	for (size_t i = 0; i < p.raw.cap; i++)
		if (p.raw.keys[i])
			add_to_profile(h, p.raw.keys[i]);
	qn_strset_clear(&p.raw);
	/* "trace" is collecting and reading what the recorders saw; "run" is the rest of the
	 * profile: starting, probing, waiting and stopping the containers */
	h->t.run = QN_MAX(0.0, t1 - t0 - h->t.trace);
	h->t.trace += qn_now() - t1;
	return rc;
}
