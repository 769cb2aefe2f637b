/* The vuln module's one door to the network: fetch one URL over libcurl into a file descriptor
 * or memory, with conditional headers, retries with exponential backoff, a size limit and TLS
 * verification. Nothing else in the module talks to the network. */
#ifndef QN_VULN_FETCH_H
#define QN_VULN_FETCH_H

#include "util/util.h"

typedef struct {
	const char *url;
	const char *etag;          /* sends If-None-Match when set */
	const char *last_modified; /* sends If-Modified-Since when set */
	uint64_t max_size;         /* body bytes (decoded); more is QN_ERR_LIMIT */
	long timeout;              /* seconds per attempt, whole transfer */
	long connect_timeout;      /* seconds */
	int retries;               /* extra attempts after a 5xx, 408, 429, timeout or network error */
	double retry_delay;        /* seconds before the first retry; doubled after each */
	int fd;                    /* the body goes here (truncated first) when >= 0 ... */
	qn_buf *mem;               /* ... else here */
} qn_fetch_req;

typedef struct {
	long status; /* 200 (body written) or 304 (not modified, nothing written) */
	char *etag;  /* validators the server sent (caller frees), or NULL */
	char *last_modified;
	uint64_t size; /* body bytes written */
	int attempts;
} qn_fetch_res;

/* Fetches req->url. http, https and file URLs only (redirects: http and https only, at most 5).
 * Any status other than 200/304 after the retries is an error: 404 and other 4xx are
 * QN_ERR_NOTFOUND/QN_ERR_INPUT, network failures and 5xx QN_ERR_RUNTIME; an over-size body
 * QN_ERR_LIMIT. Returns 0 with *res filled (qn_fetch_res_clear), or -1 with err. */
int qn_fetch(const qn_fetch_req *req, qn_fetch_res *res, qn_error **err);
void qn_fetch_res_clear(qn_fetch_res *r);

#endif
