/* A small HTTP/1.1 client for probes, run from a thread that has joined the container's network
 * namespace (setns only moves the calling thread), so probes reach services that listen on the
 * container's loopback without any port leaving it. Responses are bounded; chunked transfer
 * encoding is decoded. Not a general HTTP client: one request per connection, no TLS. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define MAX_RESPONSE (4u << 20)

typedef struct {
	int netns;
	pid_t alive_pid;
	const qn_http_req *req;
	double deadline;
	qn_http_resp *resp;
	char *error;
} job_t;

static int connect_retry(job_t *j)
{
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			j->error = xasprintf("socket: %s", strerror(errno));
			return -1;
		}
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)j->req->port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		close(fd);
		/* the service may still be starting: retry until the deadline or until it died */
		bool dead = j->alive_pid > 0 && kill(j->alive_pid, 0) < 0 && errno == ESRCH;
		if (dead || qn_now() >= j->deadline || qn_interrupted() || (e != ECONNREFUSED && e != EINTR)) {
			j->error = xasprintf("connect to 127.0.0.1:%d: %s%s", j->req->port, strerror(e),
					     dead ? " (the container exited)" : "");
			return -1;
		}
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int send_all(job_t *j, int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			j->error = xasprintf("send: %s", strerror(errno));
			return -1;
		}
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int recv_all(job_t *j, int fd, qn_buf *b)
{
	char buf[16384];
	for (;;) {
		double left = j->deadline - qn_now();
		if (left <= 0) {
			j->error = xstrdup("timed out waiting for the response");
			return -1;
		}
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			j->error = xasprintf("recv: %s", strerror(errno));
			return -1;
		}
		if (got == 0)
			return 0;
		if (b->len + (size_t)got > MAX_RESPONSE) {
			j->error = xstrdup("response larger than 4 MiB");
			return -1;
		}
		qn_buf_add(b, buf, (size_t)got);
	}
}

static const char *header(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (const char *p = head; p && p < head + hlen;) {
		const char *e = memchr(p, '\n', (size_t)(head + hlen - p));
		if (!e)
			break;
		if ((size_t)(e - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *ve = e;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = e + 1;
	}
	return NULL;
}

/* A hex chunk size at p (at most 15 digits: it fits), or -1. */
static long long chunk_size(const char *p, const char *end)
{
	long long v = 0;
	int digits = 0;
	for (; p < end && isxdigit((unsigned char)*p); p++) {
		if (++digits > 15)
			return -1;
		v = v * 16 + (isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
	}
	return digits ? v : -1;
}

static int dechunk(const char *p, size_t n, qn_buf *out)
{
	const char *end = p + n;
	while (p < end) {
		long long sz = chunk_size(p, end);
		const char *nl = memchr(p, '\n', (size_t)(end - p)); /* past any chunk extension */
		if (sz < 0 || !nl)
			return -1;
		p = nl + 1;
		if (sz == 0)
			return 0;
		if ((unsigned long long)sz > (size_t)(end - p))
			return -1;
		qn_buf_add(out, p, (size_t)sz);
		p += sz;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	return -1;
}

/* "HTTP/D.D NNN" at the start of the response: the status, or -1. */
static int status_line(const char *d, size_t len)
{
	size_t i = 5;
	if (len < 12 || memcmp(d, "HTTP/", 5) != 0)
		return -1;
	while (i < len && isdigit((unsigned char)d[i]))
		i++;
	if (i == 5 || i >= len || d[i++] != '.')
		return -1;
	size_t minor = i;
	while (i < len && isdigit((unsigned char)d[i]))
		i++;
	if (i == minor || i >= len || d[i] != ' ')
		return -1;
	while (i < len && d[i] == ' ')
		i++;
	if (len - i < 3 || !isdigit((unsigned char)d[i]) || !isdigit((unsigned char)d[i + 1]) ||
	    !isdigit((unsigned char)d[i + 2]) || (len - i > 3 && isdigit((unsigned char)d[i + 3])))
		return -1;
	return (d[i] - '0') * 100 + (d[i + 1] - '0') * 10 + (d[i + 2] - '0');
}

int qn_http_parse_response(const char *d, size_t len, qn_http_resp *resp, char **error)
{
	memset(resp, 0, sizeof(*resp));
	const char *sep = len ? memmem(d, len, "\r\n\r\n", 4) : NULL;
	int status = sep ? status_line(d, (size_t)(sep - d)) : -1;
	if (status < 0) {
		*error = xstrdup("not an HTTP response");
		return -1;
	}
	size_t hlen = (size_t)(sep - d) + 2;
	const char *body = sep + 4;
	size_t blen = len - (size_t)(body - d), vl;
	const char *te = header(d, hlen, "Transfer-Encoding", &vl);
	qn_buf out = QN_BUF_INIT;
	if (te && vl >= 7 && !strncasecmp(te, "chunked", 7)) {
		if (dechunk(body, blen, &out) < 0) {
			qn_buf_clear(&out);
			*error = xstrdup("malformed chunked body");
			return -1;
		}
	} else {
		const char *cl = header(d, hlen, "Content-Length", &vl);
		size_t want = blen;
		if (cl) {
			unsigned long long v = 0;
			size_t k = 0;
			for (; k < vl && isdigit((unsigned char)cl[k]) && v <= blen; k++)
				v = v * 10 + (unsigned long long)(cl[k] - '0');
			want = (size_t)QN_MIN(v, (unsigned long long)blen);
		}
		qn_buf_add(&out, body, want);
	}
	resp->status = status;
	const char *ct = header(d, hlen, "Content-Type", &vl);
	resp->content_type = ct ? xstrndup(ct, vl) : NULL;
	const char *eol = memchr(d, '\n', hlen);
	resp->headers = eol ? xstrndup(eol + 1, hlen - (size_t)(eol + 1 - d)) : xstrdup("");
	qn_buf_adds(&out, ""); /* the body is NUL-terminated, even when empty */
	resp->body_len = out.len;
	resp->body = qn_buf_steal(&out);
	return 0;
}

static void *run_job(void *arg)
{
	job_t *j = arg;
	if (j->netns >= 0 && setns(j->netns, CLONE_NEWNET) < 0) {
		j->error = xasprintf("entering the container's network namespace: %s", strerror(errno));
		return NULL;
	}
	int fd = connect_retry(j);
	if (fd < 0)
		return NULL;
	const qn_http_req *r = j->req;
	qn_buf req = QN_BUF_INIT;
	size_t blen = r->body ? strlen(r->body) : 0;
	qn_buf_printf(&req,
		      "%s %s HTTP/1.1\r\nHost: localhost:%d\r\nUser-Agent: quench-probe\r\nAccept: */*\r\n"
		      "Connection: close\r\n",
		      r->method, r->path, r->port);
	if (r->body)
		qn_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	qn_buf_adds(&req, "\r\n");
	if (r->body)
		qn_buf_add(&req, r->body, blen);
	qn_buf resp = QN_BUF_INIT;
	if (send_all(j, fd, req.data, req.len) == 0 && recv_all(j, fd, &resp) == 0)
		qn_http_parse_response(resp.data ? resp.data : "", resp.len, j->resp, &j->error);
	close(fd);
	qn_buf_clear(&req);
	qn_buf_clear(&resp);
	return NULL;
}

int qn_http_do(int netns_fd, pid_t alive_pid, const qn_http_req *req, double timeout, qn_http_resp *resp, char **error)
{
	memset(resp, 0, sizeof(*resp));
	job_t j = {.netns = netns_fd, .alive_pid = alive_pid, .req = req, .deadline = qn_now() + timeout, .resp = resp};
	pthread_t th;
	/* a thread of its own: setns must not move the caller's thread into the container */
	if (pthread_create(&th, NULL, run_job, &j) != 0) {
		*error = xstrdup("cannot start a probe thread");
		return -1;
	}
	pthread_join(th, NULL);
	if (j.error) {
		*error = j.error;
		qn_http_resp_clear(resp);
		return -1;
	}
	return 0;
}

void qn_http_resp_clear(qn_http_resp *r)
{
	free(r->content_type);
	free(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}
