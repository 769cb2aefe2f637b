/* Probe HTTP requests inside a container's network namespace (private to the run module). */
#ifndef QN_HTTP_H
#define QN_HTTP_H

#include <sys/types.h>

#include "util/util.h"

typedef struct {
	const char *method, *path, *body;
	int port;
} qn_http_req;

typedef struct {
	int status;
	char *content_type;
	char *headers; /* the header lines after the status line, as received (NUL-terminated) */
	char *body;    /* NUL-terminated */
	size_t body_len;
} qn_http_resp;

/* Sends req to 127.0.0.1:port inside the network namespace netns_fd (-1: the caller's),
 * retrying the connection until timeout seconds pass or alive_pid (if > 0) is gone. Returns 0
 * with *resp filled, or -1 with *error (caller frees). */
int qn_http_do(int netns_fd, pid_t alive_pid, const qn_http_req *req, double timeout, qn_http_resp *resp, char **error);
void qn_http_resp_clear(qn_http_resp *r);
/* Parses a whole HTTP/1.x response of len bytes (no NUL needed): the status line, the headers and
 * the body, de-chunked when Transfer-Encoding says chunked, else cut at Content-Length. Returns 0
 * with *resp filled (clear it with qn_http_resp_clear), or -1 with *error (caller frees). */
int qn_http_parse_response(const char *data, size_t len, qn_http_resp *resp, char **error);

#endif
