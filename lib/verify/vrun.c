/* Running the probes on one image for verification: a container from the unpacked image runs
 * the image's own command (under the ptrace recorder for the hardened image), the probes run
 * against it in order, and each probe's result is recorded in a comparable form (normalised
 * text, digests, selected headers). When the command ends at once (python3 without a
 * terminal), the exec probes run in a second container kept alive by the helper's pause mode,
 * as `quench harden` does, so both images are exercised the same way.
 *
 * For the hardened image the trace log's offset is noted before and after each probe, so that
 * every recorded lookup is attributed to the probe during which it first happened (or to the
 * image's command outside of probes). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "quench/trace.h"
#include "util/digest.h"
#include "verify_int.h"

#define TEXT_MAX (64 * 1024) /* stdout/stderr text kept in the document (digests cover all) */

typedef struct {
	off_t off;
	const char *label;
} mark;

typedef struct {
	mark *v;
	size_t n;
} marks;

static void mark_add(marks *m, qn_container *c, const char *label)
{
	struct stat st;
	const char *log = qn_container_trace_log(c);
	off_t off = log && stat(log, &st) == 0 ? st.st_size : 0;
	m->v = xreallocarray(m->v, m->n + 1, sizeof(mark));
	m->v[m->n++] = (mark){off, label};
}

static void digest_str(const char *p, size_t n, char out[static QN_DIGEST_STR_MAX])
{
	qn_digest d;
	qn_digest_buf(QN_DIGEST_SHA256, p ? p : "", n, &d);
	qn_digest_str(&d, out);
}

/* Sets KEY (normalised text, bounded) and KEY_sha256 (of all the normalised text). */
static void set_text(qn_verifying *v, json_t *j, const char *key, const char *text, size_t len)
{
	char dg[QN_DIGEST_STR_MAX];
	bool binary = text && memchr(text, 0, len);
	_cleanup_free_ char *n = binary ? NULL : qn_verify_normalize(v->norm, text, len);
	if (binary)
		digest_str(text, len, dg);
	else
		digest_str(n, strlen(n), dg);
	if (!binary) {
		if (strlen(n) > TEXT_MAX)
			n[TEXT_MAX] = 0; /* a cut multibyte character becomes U+FFFD */
		json_object_set_new(j, key, qn_json_string(n));
	}
	_cleanup_free_ char *dk = xasprintf("%s_sha256", key);
	qn_json_set_str(j, dk, dg);
}

/* The value of header name in the raw header block, or NULL. */
static char *header_value(const char *headers, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = headers; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t ll = e ? (size_t)(e - p) : strlen(p);
		if (ll > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *s = p + nl + 1, *t = p + ll;
			while (s < t && (*s == ' ' || *s == '\t'))
				s++;
			while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
				t--;
			return xstrndup(s, (size_t)(t - s));
		}
		p = e ? e + 1 : NULL;
	}
	return NULL;
}

static json_t *result_json(qn_verifying *v, const qn_probe *p, const qn_probe_result *r)
{
	const qn_verify_opts *o = v->o;
	json_t *j = json_object();
	bool http = p->kind == QN_PROBE_HTTP;
	qn_json_set_str(j, "kind", http ? "http" : "exec");
	json_object_set_new(j, "ran", json_boolean(r->ran));
	json_object_set_new(j, "ok", json_boolean(r->ok));
	qn_json_set_str(j, "error", r->error);
	if (r->ran) {
		qn_json_set_int(j, http ? "status" : "exit_code", r->status);
		qn_json_set_int(j, "body_bytes", (long long)r->body_len);
		if (http) {
			if (o->compare_body)
				set_text(v, j, "body", r->body, r->body_len);
			json_object_del(j, "body"); /* the digest is compared; the body itself can be large */
			json_t *h = json_object();
			static const char *const dflt[] = {"Content-Type"};
			const char *const *names = o->headers ? o->headers : dflt;
			size_t n = o->headers ? o->n_headers : 1;
			for (size_t i = 0; i < n; i++) {
				_cleanup_free_ char *val = header_value(r->headers, names[i]);
				_cleanup_free_ char *norm = val ? qn_verify_normalize(v->norm, val, strlen(val)) : NULL;
				json_object_set_new(h, names[i], norm ? qn_json_string(norm) : json_null());
			}
			json_object_set_new(j, "headers", h);
		} else {
			set_text(v, j, "stdout", r->body, r->body_len);
			if (o->compare_stderr)
				set_text(v, j, "stderr", r->stderr_text, r->stderr_text ? strlen(r->stderr_text) : 0);
			json_object_set_new(j, "timed_out",
					    json_boolean(r->error && qn_str_has_prefix(r->error, "timed out")));
		}
	}
	json_object_set_new(j, "seconds", json_real((double)(long long)(r->seconds * 1000) / 1000));
	return j;
}

static void not_run(qn_verifying *v, qn_verify_side *s, const qn_probe *p, size_t i, const char *why)
{
	qn_probe_result r = {.error = xstrdup(why)};
	json_array_set_new(s->results, i, result_json(v, p, &r));
	qn_probe_result_clear(&r);
}

/* The paths of log lines whose call creates or removes a name: the name existed at run time. */
static int created_by_calls(qn_verify_side *s, const char *buf, size_t len, qn_error **err)
{
	static const char *const calls[] = {"mkdir\t",  "mkdirat\t",  "mknod\t", "mknodat\t",
					    "unlink\t", "unlinkat\t", "rmdir\t"};
	qn_buf sub = QN_BUF_INIT;
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		for (size_t i = 0; i < QN_ARRAY_LEN(calls); i++)
			if (n > strlen(calls[i]) && !strncmp(p, calls[i], strlen(calls[i]))) {
				qn_buf_add(&sub, p, n);
				break;
			}
		p += n;
	}
	int rc = sub.len ? qn_trace_log_parse((const uint8_t *)sub.data, sub.len, &s->created, err) : 0;
	qn_buf_clear(&sub);
	return rc;
}

/* Looked-up names the image lacks that exist in the container's root now: created at run time.
 * The root is the stopped container's overlay, still mounted; names are resolved inside it
 * (RESOLVE_IN_ROOT), so a symlink the container made cannot point the check at the host. */
static void created_on_disk(qn_verify_side *s, qn_container *c)
{
	_cleanup_close_ int root = open(qn_container_root(c), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	for (size_t i = 0; i < s->seen.cap; i++) {
		const char *p = s->seen.keys[i];
		if (!p || qn_strset_has(&s->created, p) || qn_tree_resolve(s->tree, p, false, NULL, NULL))
			continue;
		struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
		int fd = (int)syscall(SYS_openat2, root, p, &how, sizeof(how));
		if (fd >= 0) {
			close(fd);
			qn_strset_add(&s->created, p);
		}
	}
}

/* The runtime may report the container gone a moment before the helper's last write is in the
 * log: wait until the log has stopped growing (100 ms without change, at most 2 s). */
static void settle(const char *log)
{
	off_t last = -1;
	double t0 = qn_now(), since = t0;
	while (qn_now() - t0 < 2.0) {
		struct stat st;
		off_t sz = stat(log, &st) == 0 ? st.st_size : -1;
		if (sz != last) {
			last = sz;
			since = qn_now();
		} else if (qn_now() - since >= 0.1)
			return;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* Adds the paths of the trace log to s->seen, each attributed by the marks. */
static int collect(qn_verify_side *s, qn_container *c, const marks *m, qn_error **err)
{
	const char *log = qn_container_trace_log(c);
	if (log && s->trace)
		settle(log);
	size_t len = 0;
	_cleanup_free_ char *buf = log ? qn_read_file(log, (size_t)1 << 31, &len, NULL) : NULL;
	if (!buf)
		return 0;
	/* a line cut by a killed tracer is not a lookup we can name */
	while (len && buf[len - 1] != '\n')
		len--;
	for (size_t k = 0; k < m->n; k++) {
		size_t from = (size_t)QN_MIN((uint64_t)m->v[k].off, (uint64_t)len);
		size_t to = k + 1 < m->n ? (size_t)QN_MIN((uint64_t)m->v[k + 1].off, (uint64_t)len) : len;
		/* a mark may fall inside a line being written: segments start after a newline */
		while (from > 0 && from < len && buf[from - 1] != '\n')
			from++;
		while (to > 0 && to < len && buf[to - 1] != '\n')
			to++;
		if (to <= from)
			continue;
		qn_strset seg = QN_STRSET_INIT;
		if (qn_trace_log_parse((const uint8_t *)buf + from, to - from, &seg, err) < 0) {
			qn_strset_clear(&seg);
			return qn_error_prefix(err, "trace log of the %s image", s->which);
		}
		for (size_t i = 0; i < seg.cap; i++)
			if (seg.keys[i] && !qn_strset_has(&s->seen, seg.keys[i]))
				qn_strset_put(&s->seen, seg.keys[i], (void *)m->v[k].label);
		qn_strset_clear(&seg);
	}
	if (created_by_calls(s, buf, len, err) < 0)
		return qn_error_prefix(err, "trace log of the %s image", s->which);
	created_on_disk(s, c);
	return 0;
}

static qn_container *start(qn_verifying *v, qn_verify_side *s, const char *name, char *const *args, qn_error **err)
{
	_cleanup_free_ char *wd = xasprintf("%s/%s-%s", v->workdir, name, s->which);
	if (mkdir(wd, 0700) < 0) {
		qn_error_errno(err, errno, "%s", wd);
		return NULL;
	}
	qn_run_opts ro = {.runtime = v->o->runtime,
			  .rootfs = s->rootfs,
			  .workdir = wd,
			  .config = qn_image_config(s->img),
			  .args = args,
			  .helper_dir = v->o->helper_dir,
			  .trace = s->trace && !args,
			  .trace_exec = s->trace};
	qn_container *c = qn_container_start(&ro, err);
	if (err && *err) {
		qn_container_destroy(c);
		qn_error_prefix(err, "%s image", s->which);
		return NULL;
	}
	return c;
}

/* Runs probe i and records its result. In the command's own container (retry) it returns false,
 * recording nothing, when the command ended before the probe could answer: the probe then gets
 * another chance in the paused container. */
static bool run_one(qn_verifying *v, qn_verify_side *s, qn_container *c, size_t i, double deadline, marks *m,
		    bool retry)
{
	const qn_probe *p = &v->o->probes->v[i];
	qn_probe_result r;
	mark_add(m, c, p->label);
	double t0 = qn_now();
	qn_probe_run(c, p, QN_MAX(1.0, QN_MIN(60.0, deadline - qn_now())), &r);
	qn_debug("verify: %s: %s: %.2f s", s->which, p->label, qn_now() - t0);
	mark_add(m, c, "command");
	bool answered = !retry || ((r.ran || qn_container_running(c, NULL)) && !qn_probe_met_command_end(c, p, &r));
	if (answered)
		json_array_set_new(s->results, i, result_json(v, p, &r));
	else
		qn_debug("verify: %s: %s ended with the image's command (%s)", s->which, p->label,
			 r.error ? r.error : "failed");
	qn_probe_result_clear(&r);
	return answered;
}

static int main_run(qn_verifying *v, qn_verify_side *s, size_t *next, qn_error **err)
{
	const struct qn_probe_list *pl = v->o->probes;
	size_t n = pl ? pl->n : 0;
	double deadline = qn_now() + (v->o->timeout > 0 ? v->o->timeout : 300);
	qn_container *c = start(v, s, "run", NULL, err);
	if (!c)
		return -1;
	marks m = {0};
	mark_add(&m, c, "command");
	m.v[0].off = 0; /* what the command did before the first probe, however fast it was */
	for (; *next < n && !qn_interrupted() && qn_container_running(c, NULL); (*next)++)
		if (!run_one(v, s, c, *next, deadline, &m, true))
			break;
	/* without probes the command runs until it exits or the time is up, as in harden */
	while (!n && qn_container_running(c, NULL) && qn_now() < deadline && !qn_interrupted())
		qn_container_wait(c, 0.1, NULL);
	int status = -1;
	if (qn_container_running(c, NULL)) {
		s->stopped_by = xstrdup(n ? "probes done" : qn_interrupted() ? "interrupted" : "timeout");
		/* how the command shuts down is not compared: a short grace keeps verification quick */
		qn_container_stop(c, qn_image_stop_signal(qn_image_config(s->img)), 3);
	} else
		s->stopped_by = xstrdup("the command exited");
	qn_container_running(c, &status);
	s->exit_status = status;
	double t0 = qn_now();
	int rc = collect(s, c, &m, err);
	qn_debug("verify: %s trace log: %zu paths, %.2f s", s->which, qn_strset_count(&s->seen), qn_now() - t0);
	free(m.v);
	qn_container_destroy(c);
	return rc;
}

/* Exec probes the ended command left: run them in a container the helper keeps alive. */
static int pause_run(qn_verifying *v, qn_verify_side *s, size_t next, qn_error **err)
{
	const struct qn_probe_list *pl = v->o->probes;
	_cleanup_free_ char *why = xasprintf("the image's command had exited (status %d)", s->exit_status);
	bool any = false;
	for (size_t i = next; i < pl->n; i++)
		any |= pl->v[i].kind == QN_PROBE_EXEC;
	if (!any || !v->o->helper_dir) {
		for (size_t i = next; i < pl->n; i++)
			not_run(v, s, &pl->v[i], i, why);
		return 0;
	}
	double deadline = qn_now() + (v->o->timeout > 0 ? v->o->timeout : 300);
	char *args[] = {"/.quench-bin/quench-trace", "--pause", NULL};
	qn_container *c = start(v, s, "probes", args, err);
	if (!c)
		return -1;
	marks m = {0};
	mark_add(&m, c, "command");
	m.v[0].off = 0; /* what the command did before the first probe, however fast it was */
	for (size_t i = next; i < pl->n; i++) {
		if (pl->v[i].kind != QN_PROBE_EXEC || qn_interrupted() || !qn_container_running(c, NULL))
			not_run(v, s, &pl->v[i], i, why);
		else
			run_one(v, s, c, i, deadline, &m, false);
	}
	qn_container_stop(c, SIGTERM, 5);
	int rc = collect(s, c, &m, err);
	free(m.v);
	qn_container_destroy(c);
	return rc;
}

int qn_verify_run_side(qn_verifying *v, qn_verify_side *s, qn_error **err)
{
	const struct qn_probe_list *pl = v->o->probes;
	size_t n = pl ? pl->n : 0, next = 0;
	s->results = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(s->results, json_null());
	qn_info("verify: running the %s image %s", s->which, qn_image_ref(s->img));
	double t0 = qn_now();
	if (main_run(v, s, &next, err) < 0)
		return -1;
	qn_debug("verify: %s run: %.2f s (%s)", s->which, qn_now() - t0, s->stopped_by);
	if (next < n && !qn_interrupted() && pause_run(v, s, next, err) < 0)
		return -1;
	if (qn_interrupted())
		return qn_error_set(err, QN_ERR_RUNTIME, "interrupted");
	return 0;
}
