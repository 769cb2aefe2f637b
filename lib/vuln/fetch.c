/* Fetching one URL over libcurl for `quench db update`: conditional requests (If-None-Match /
 * If-Modified-Since), retries with exponential backoff on 5xx, 408, 429, timeouts and connection
 * failures, a body size limit enforced while receiving, TLS peer and host verification always on,
 * and only http/https/file URLs (redirects to http/https only). It knows nothing about feeds. */
#include <errno.h>
#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"

typedef struct {
	const qn_fetch_req *req;
	uint64_t size;
	bool too_big, write_failed;
	int write_errno;
	char *etag, *last_modified;
} xfer;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = sz * n;
	if (x->size + len > x->req->max_size) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (x->req->fd >= 0) {
		if (qn_write_full(x->req->fd, p, len) < 0) {
			x->write_failed = true;
			x->write_errno = errno;
			return 0;
		}
	} else
		qn_buf_add(x->req->mem, p, len);
	x->size += len;
	return len;
}

/* Keeps the validators of the final response (headers of redirects are replaced). */
static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	xfer *x = ud;
	size_t len = sz * n;
	if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
		free(x->etag);
		free(x->last_modified);
		x->etag = x->last_modified = NULL;
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;
	size_t klen = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	char **slot = NULL;
	if (klen == 4 && !strncasecmp(p, "ETag", 4))
		slot = &x->etag;
	else if (klen == 13 && !strncasecmp(p, "Last-Modified", 13))
		slot = &x->last_modified;
	if (slot && end > v && end - v < 512) {
		free(*slot);
		*slot = xstrndup(v, (size_t)(end - v));
	}
	return len;
}

/* URLs in messages without user:password@ (mirror URLs may carry credentials). */
static char *redact(const char *url)
{
	const char *s = strstr(url, "://"), *at = s ? strchr(s + 3, '@') : NULL, *slash = s ? strchr(s + 3, '/') : NULL;
	if (!at || (slash && slash < at))
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(s + 3 - url), url, at);
}

static struct curl_slist *cond_headers(const qn_fetch_req *req)
{
	struct curl_slist *h = NULL;
	_cleanup_free_ char *a = req->etag ? xasprintf("If-None-Match: %s", req->etag) : NULL;
	_cleanup_free_ char *b = req->last_modified ? xasprintf("If-Modified-Since: %s", req->last_modified) : NULL;
	if (a)
		h = curl_slist_append(h, a);
	if (b)
		h = curl_slist_append(h, b);
	return h;
}

static void setup(CURL *c, const qn_fetch_req *req, xfer *x, struct curl_slist *hdrs, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* the tracker JSON compresses ~10x */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "quench/" QN_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout > 0 ? req->timeout : 600L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, req->connect_timeout > 0 ? req->connect_timeout : 30L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_size);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
}

static bool retryable(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 500 || status == 408 || status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int reset_sink(const qn_fetch_req *req, xfer *x, qn_error **err)
{
	x->size = 0;
	if (req->fd >= 0) {
		if (ftruncate(req->fd, 0) < 0 || lseek(req->fd, 0, SEEK_SET) < 0)
			return qn_error_errno(err, errno, "download file");
	} else
		qn_buf_reset(req->mem);
	return 0;
}

static int attempt_error(const qn_fetch_req *req, const xfer *x, CURLcode rc, long status, const char *errbuf,
			 int attempts, qn_error **err)
{
	_cleanup_free_ char *u = redact(req->url);
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: larger than the limit of %llu bytes", u,
				    (unsigned long long)req->max_size);
	if (x->write_failed)
		return qn_error_errno(err, x->write_errno, "%s: cannot store the download", u);
	if (rc == CURLE_FILE_COULDNT_READ_FILE) /* a file:// mirror without this feed */
		return qn_error_set(err, QN_ERR_NOTFOUND, "%s: %s", u, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (rc != CURLE_OK)
		return qn_error_set(err, QN_ERR_RUNTIME, "%s: %s (after %d attempt%s)", u,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc), attempts, attempts == 1 ? "" : "s");
	qn_error_kind k = status == 404 || status == 410 ? QN_ERR_NOTFOUND
			  : status >= 500                ? QN_ERR_RUNTIME
							 : QN_ERR_INPUT;
	return qn_error_set(err, k, "%s: HTTP status %ld (after %d attempt%s)", u, status, attempts,
			    attempts == 1 ? "" : "s");
}

static void backoff(double seconds)
{
	if (seconds > 60)
		seconds = 60;
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int qn_fetch(const qn_fetch_req *req, qn_fetch_res *res, qn_error **err)
{
	CURL *c = curl_easy_init();
	if (!c)
		return qn_error_set(err, QN_ERR_RUNTIME, "cannot initialise libcurl");
	struct curl_slist *hdrs = cond_headers(req);
	char errbuf[CURL_ERROR_SIZE];
	xfer x = {.req = req};
	setup(c, req, &x, hdrs, errbuf);
	double delay = req->retry_delay > 0 ? req->retry_delay : 1.0;
	int ret = -1, attempt;
	for (attempt = 1;; attempt++) {
		errbuf[0] = 0;
		if (reset_sink(req, &x, err) < 0)
			break;
		CURLcode rc = curl_easy_perform(c);
		long status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && !strncmp(req->url, "file:", 5))
			status = 200; /* file URLs have no status line */
		if (rc == CURLE_OK && (status == 200 || status == 304)) {
			*res = (qn_fetch_res){.status = status,
					      .etag = steal_pointer(&x.etag),
					      .last_modified = steal_pointer(&x.last_modified),
					      .size = x.size,
					      .attempts = attempt};
			ret = 0;
			break;
		}
		if (x.too_big || x.write_failed || !retryable(rc, status) || attempt > req->retries) {
			attempt_error(req, &x, rc, status, errbuf, attempt, err);
			break;
		}
		_cleanup_free_ char *u = redact(req->url);
		qn_warn("%s: %s; retrying in %.1f s", u, rc != CURLE_OK ? curl_easy_strerror(rc) : "server error",
			delay);
		backoff(delay);
		delay *= 2;
	}
	free(x.etag);
	free(x.last_modified);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

void qn_fetch_res_clear(qn_fetch_res *r)
{
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
}
