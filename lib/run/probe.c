/* Probes: how quench exercises a running image. HTTP probes ("GET 8000/health=200" on the
 * command line, or JSON objects as the test images describe them) go to the container's
 * loopback; exec probes and the user's own tests run inside the container through the runtime.
 * Parsing here, running through the container and HTTP helpers. */
#include "http.h"
#include "run.h"
#include "util/digest.h"
#include "util/json.h"

void qn_probe_clear(qn_probe *p)
{
	free(p->method);
	free(p->path);
	free(p->body_in);
	free(p->want_body);
	for (size_t i = 0; p->argv && p->argv[i]; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->want_stdout);
	free(p->label);
	memset(p, 0, sizeof(*p));
}

void qn_probe_result_clear(qn_probe_result *r)
{
	free(r->body);
	free(r->stderr_text);
	free(r->content_type);
	free(r->headers);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static bool valid_method(const char *m)
{
	if (!*m || strlen(m) > 16)
		return false;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return false;
	return true;
}

static bool valid_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false; /* no spaces or control characters: they would break the request line */
	return true;
}

static void http_label(qn_probe *p)
{
	free(p->label);
	p->label = xasprintf("%s %d%s", p->method, p->port, p->path);
}

int qn_probe_parse_http(const char *spec, qn_probe *out, qn_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *s = xstrdup(spec);
	char *rest = s, *sp = strchr(s, ' ');
	out->kind = QN_PROBE_HTTP;
	out->method = xstrdup("GET");
	if (sp) {
		*sp = 0;
		free(out->method);
		out->method = xstrdup(s);
		rest = sp + 1;
	}
	char *eq = strrchr(rest, '=');
	if (eq) {
		*eq = 0;
		char *end;
		long st = strtol(eq + 1, &end, 10);
		if (*end || st < 100 || st > 599)
			goto bad;
		out->want_status = (int)st;
	}
	char *slash = strchr(rest, '/');
	char *end;
	long port = strtol(rest, &end, 10);
	if (!slash || end != slash || port < 1 || port > 65535 || !valid_method(out->method) || !valid_path(slash))
		goto bad;
	out->port = (int)port;
	out->path = xstrdup(slash);
	http_label(out);
	return 0;
bad:
	qn_probe_clear(out);
	_cleanup_free_ char *q = qn_str_quote(spec, 100);
	return qn_error_set(err, QN_ERR_USAGE,
			    "--probe-http \"%s\": want [METHOD ]PORT/PATH[=STATUS], e.g. \"GET 8000/health=200\"", q);
}

/* Splits a command line as a POSIX shell would for quoting: '...' literal, "..." with \" \\ \$ \`
 * escapes, and a backslash outside quotes escaping the next character. No expansions. */
static int split_words(const char *s, char ***out, size_t *n)
{
	char **v = NULL;
	size_t k = 0;
	qn_buf w = QN_BUF_INIT;
	bool in_word = false;
	char q = 0;
	for (const char *p = s;; p++) {
		char c = *p;
		if (!c) {
			if (q) {
				qn_buf_clear(&w);
				goto fail;
			}
			break;
		}
		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				qn_buf_addc(&w, c);
		} else if (q == '"') {
			if (c == '"')
				q = 0;
			else if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
				qn_buf_addc(&w, *++p);
			else
				qn_buf_addc(&w, c);
		} else if (c == '\'' || c == '"') {
			q = c;
			in_word = true;
		} else if (c == '\\' && p[1]) {
			qn_buf_addc(&w, *++p);
			in_word = true;
		} else if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				v = xreallocarray(v, k + 2, sizeof(char *));
				v[k++] = qn_buf_steal(&w);
				in_word = false;
			}
			continue;
		} else {
			qn_buf_addc(&w, c);
			in_word = true;
		}
		in_word = true;
	}
	if (in_word) {
		v = xreallocarray(v, k + 2, sizeof(char *));
		v[k++] = qn_buf_steal(&w);
	}
	if (!k)
		goto fail;
	v[k] = NULL;
	*out = v;
	*n = k;
	return 0;
fail:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free(v);
	return -1;
}

static void exec_label(qn_probe *p)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, p->is_test ? "test" : "exec");
	for (size_t i = 0; p->argv[i]; i++) {
		qn_buf_addc(&b, ' ');
		qn_buf_adds(&b, p->argv[i]);
	}
	free(p->label);
	p->label = qn_buf_steal(&b);
}

int qn_probe_parse_exec(const char *cmdline, bool is_test, qn_probe *out, qn_error **err)
{
	memset(out, 0, sizeof(*out));
	size_t n;
	if (split_words(cmdline, &out->argv, &n) < 0) {
		_cleanup_free_ char *q = qn_str_quote(cmdline, 100);
		return qn_error_set(err, QN_ERR_USAGE, "%s \"%s\": empty command or unbalanced quotes",
				    is_test ? "--test" : "--probe-exec", q);
	}
	out->kind = QN_PROBE_EXEC;
	out->is_test = is_test;
	exec_label(out);
	return 0;
}

static int parse_one(const json_t *o, const char *what, qn_probe *p, qn_error **err)
{
	memset(p, 0, sizeof(*p));
	if (!json_is_object(o))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not an object", what);
	json_t *http = json_object_get(o, "http"), *exec = json_object_get(o, "exec");
	if (json_is_string(http)) {
		p->kind = QN_PROBE_HTTP;
		p->method = xstrdup(json_string_value(http));
		json_int_t port = json_integer_value(json_object_get(o, "port"));
		const char *path = qn_json_str(o, "path");
		if (!valid_method(p->method) || port < 1 || port > 65535 || !path || !valid_path(path))
			return qn_error_set(
			    err, QN_ERR_INPUT,
			    "%s: an http probe needs a method, a port 1-65535 and a path starting with /", what);
		p->port = (int)port;
		p->path = xstrdup(path);
		p->body_in = qn_json_str(o, "body_in") ? xstrdup(qn_json_str(o, "body_in")) : NULL;
		p->want_body = qn_json_str(o, "body") ? xstrdup(qn_json_str(o, "body")) : NULL;
		p->want_status = (int)json_integer_value(json_object_get(o, "status"));
		http_label(p);
		return 0;
	}
	if (json_is_array(exec) && json_array_size(exec) > 0) {
		p->kind = QN_PROBE_EXEC;
		p->argv = xcalloc(json_array_size(exec) + 1, sizeof(char *));
		size_t i;
		json_t *a;
		json_array_foreach (exec, i, a) {
			if (!json_is_string(a))
				return qn_error_set(err, QN_ERR_INPUT, "%s: \"exec\" must be an array of strings",
						    what);
			p->argv[i] = xstrdup(json_string_value(a));
		}
		p->want_stdout = qn_json_str(o, "stdout") ? xstrdup(qn_json_str(o, "stdout")) : NULL;
		p->is_test = json_is_true(json_object_get(o, "test"));
		exec_label(p);
		return 0;
	}
	return qn_error_set(err, QN_ERR_INPUT, "%s: neither an \"http\" nor an \"exec\" probe", what);
}

int qn_probes_parse_json(const uint8_t *buf, size_t len, const char *what, qn_probe **v, size_t *n, qn_error **err)
{
	_cleanup_json_ json_t *doc = qn_json_parse(buf, len, 1 << 20, what, err);
	if (!doc)
		return -1;
	json_t *arr = json_is_object(doc) ? json_object_get(doc, "probes") : doc;
	if (!json_is_array(arr))
		return qn_error_set(err, QN_ERR_INPUT, "%s: want an array of probes (or {\"probes\": [...]})", what);
	size_t i;
	json_t *o;
	json_array_foreach (arr, i, o) {
		qn_probe p;
		_cleanup_free_ char *w = xasprintf("%s: probe %zu", what, i);
		if (parse_one(o, w, &p, err) < 0) {
			qn_probe_clear(&p);
			return -1;
		}
		*v = xreallocarray(*v, *n + 1, sizeof(qn_probe));
		(*v)[(*n)++] = p;
	}
	return 0;
}

static void set_digest(qn_probe_result *r)
{
	qn_digest d;
	qn_digest_buf(QN_DIGEST_SHA256, r->body ? r->body : "", r->body_len, &d);
	qn_digest_str(&d, r->body_sha256);
}

static void run_http(qn_container *c, const qn_probe *p, double timeout, qn_probe_result *r)
{
	qn_http_req req = {p->method, p->path, p->body_in, p->port};
	qn_http_resp resp;
	char *error = NULL;
	if (qn_http_do(qn_container_netns(c), qn_container_pid(c), &req, timeout, &resp, &error) < 0) {
		r->error = error;
		return;
	}
	r->ran = true;
	r->status = resp.status;
	r->body = steal_pointer(&resp.body);
	r->body_len = resp.body_len;
	r->content_type = steal_pointer(&resp.content_type);
	r->headers = steal_pointer(&resp.headers);
	qn_http_resp_clear(&resp);
	r->ok = (!p->want_status || r->status == p->want_status) &&
		(!p->want_body || (strlen(p->want_body) == r->body_len && !memcmp(p->want_body, r->body, r->body_len)));
	if (!r->ok)
		r->error = p->want_status && r->status != p->want_status
			       ? xasprintf("status %d, expected %d", r->status, p->want_status)
			       : xstrdup("body differs from the expected one");
}

static void run_exec(qn_container *c, const qn_probe *p, double timeout, qn_probe_result *r)
{
	qn_exec_result x;
	qn_error *err = NULL;
	if (qn_container_exec(c, p->argv, NULL, timeout, &x, &err) < 0) {
		r->error = xstrdup(err->msg);
		qn_error_free(err);
		return;
	}
	r->ran = x.exit_code != 127 || x.err_len == 0;
	r->status = x.exit_code;
	r->body = steal_pointer(&x.out);
	r->body_len = x.out_len;
	r->stderr_text = steal_pointer(&x.err);
	r->ok = !x.timed_out && x.exit_code == 0 &&
		(!p->want_stdout ||
		 (strlen(p->want_stdout) == r->body_len && !memcmp(p->want_stdout, r->body, r->body_len)));
	if (x.timed_out)
		r->error = xasprintf("timed out after %.0f s", timeout);
	else if (!r->ok)
		r->error = x.exit_code ? xasprintf("exit code %d", x.exit_code)
				       : xstrdup("stdout differs from the expected one");
	qn_exec_result_clear(&x);
}

bool qn_probe_met_command_end(qn_container *c, const qn_probe *p, const qn_probe_result *r)
{
	if (p->kind != QN_PROBE_EXEC || r->ok)
		return false;
	if (!qn_container_ending(c) && qn_container_wait(c, 1.0, NULL) != 1 && !qn_container_ending(c))
		return false;
	qn_container_wait(c, 30.0, NULL);
	return true;
}

void qn_probe_run(qn_container *c, const qn_probe *p, double timeout, qn_probe_result *r)
{
	memset(r, 0, sizeof(*r));
	double t0 = qn_now();
	if (p->kind == QN_PROBE_HTTP)
		run_http(c, p, timeout, r);
	else
		run_exec(c, p, timeout, r);
	r->seconds = qn_now() - t0;
	set_digest(r);
}

json_t *qn_probe_spec_json(const qn_probe *p)
{
	json_t *j = json_object();
	if (p->kind == QN_PROBE_HTTP) {
		qn_json_set_str(j, "http", p->method);
		qn_json_set_int(j, "port", p->port);
		qn_json_set_str(j, "path", p->path);
		if (p->body_in)
			qn_json_set_str(j, "body_in", p->body_in);
		if (p->want_status)
			qn_json_set_int(j, "status", p->want_status);
		if (p->want_body)
			qn_json_set_str(j, "body", p->want_body);
		return j;
	}
	json_t *argv = json_array();
	for (size_t i = 0; p->argv && p->argv[i]; i++)
		json_array_append_new(argv, qn_json_string(p->argv[i]));
	json_object_set_new(j, "exec", argv);
	if (p->want_stdout)
		qn_json_set_str(j, "stdout", p->want_stdout);
	if (p->is_test)
		json_object_set_new(j, "test", json_true());
	return j;
}

json_t *qn_probe_json(const qn_probe *p, const qn_probe_result *r)
{
	json_t *j = json_object();
	qn_json_set_str(j, "probe", p->label);
	qn_json_set_str(j, "kind", p->kind == QN_PROBE_HTTP ? "http" : p->is_test ? "test" : "exec");
	json_object_set_new(j, "spec", qn_probe_spec_json(p));
	if (!r)
		return j;
	json_object_set_new(j, "ran", json_boolean(r->ran));
	json_object_set_new(j, "ok", json_boolean(r->ok));
	qn_json_set_int(j, p->kind == QN_PROBE_HTTP ? "status" : "exit_code", r->status);
	qn_json_set_str(j, "body_sha256", r->body_sha256);
	qn_json_set_int(j, "body_bytes", (long long)r->body_len);
	if (p->kind == QN_PROBE_HTTP)
		qn_json_set_str(j, "content_type", r->content_type);
	qn_json_set_str(j, "error", r->error);
	json_object_set_new(j, "seconds", json_real((double)(long long)(r->seconds * 1000) / 1000));
	return j;
}
