/* Unit tests: run — the parsers of what an image and a probed container hand over: the HTTP
 * response reader (status line, Content-Length, chunked bodies, malformed answers) and User
 * resolution through the image's own /etc/passwd and /etc/group. */
#include "run/http.h"
#include "run/run.h"
#include "tap.h"

/* Parses the response text; returns the status, or -1 with the error in *error. */
static int parse(const char *text, qn_http_resp *r, char **error)
{
	*error = NULL;
	int rc = qn_http_parse_response(text, strlen(text), r, error);
	return rc < 0 ? -1 : r->status;
}

static void test_http_response(void)
{
	qn_http_resp r;
	char *error = NULL;
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello, and more", &r,
			&error),
		  200);
	CHECK_STR(r.body, "hello");
	CHECK_INT(r.body_len, 5);
	CHECK_STR(r.content_type, "text/plain");
	CHECK_STR(r.headers, "Content-Type: text/plain\r\nContent-Length: 5\r\n");
	qn_http_resp_clear(&r);

	/* chunked, with an extension and a trailer-free end */
	CHECK_INT(
	    parse(
		"HTTP/1.1 201 Created\r\ntransfer-encoding: Chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		&r, &error),
	    201);
	CHECK_STR(r.body, "hello world");
	CHECK(r.content_type == NULL);
	qn_http_resp_clear(&r);

	/* no length: the body is what came; a length beyond it is cut to it; an empty body is "" */
	CHECK_INT(parse("HTTP/1.0 404 Not Found\r\n\r\nall of it", &r, &error), 404);
	CHECK_STR(r.body, "all of it");
	qn_http_resp_clear(&r);
	CHECK_INT(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nshort", &r, &error), 200);
	CHECK_STR(r.body, "short");
	qn_http_resp_clear(&r);
	CHECK_INT(parse("HTTP/1.1 204 No Content\r\n\r\n", &r, &error), 204);
	CHECK(r.body && r.body[0] == 0 && r.body_len == 0);
	qn_http_resp_clear(&r);

	/* malformed: a clean error, nothing filled */
	static const char *const bad[][2] = {
	    {"", "not an HTTP response"},
	    {"HTTP/1.1 200 OK\r\n", "not an HTTP response"}, /* no end of headers */
	    {"HTTP/1.1 20\r\n\r\n", "not an HTTP response"},
	    {"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP response"},
	    {"HTTP/x.1 200 OK\r\n\r\n", "not an HTTP response"},
	    {"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP response"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nx", "malformed chunked body"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort", "malformed chunked body"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunked body"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "malformed chunked body"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(bad); i++) {
		CHECK_INT(parse(bad[i][0], &r, &error), -1);
		CHECK(error && strcmp(error, bad[i][1]) == 0);
		CHECK(!r.body && !r.headers && !r.content_type);
		free(error);
	}
	/* the length given is the end: a status line cut short is not read on into the bytes after it */
	const char text[] = "HTTP/1.1 200 OK\r\n\r\n";
	CHECK_INT(qn_http_parse_response(text, 10, &r, &error), -1);
	free(error);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\n"
			     "# a comment:x:1:1:::\n"
			     "broken line\n"
			     "app:x:1000:1001:App:/srv/app:/bin/sh\n"
			     "big:x:99999999999:1:::\n"
			     "nginx:x:101:101:nginx user:/nonexistent:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\n"
			    "adm:x:4:app,nginx\n"
			    "staff:x:50:app\n"
			    "app:x:1001:\n"
			    "nginx:x:101:\n";

static int resolve(const char *spec, qn_user *u, qn_error **err)
{
	return qn_user_resolve(spec, (const uint8_t *)passwd, strlen(passwd), (const uint8_t *)group, strlen(group), u,
			       err);
}

static void test_user(void)
{
	qn_user u;
	qn_error *err = NULL;
	CHECK_INT(resolve("app", &u, &err), 0);
	CHECK(u.uid == 1000 && u.gid == 1001);
	CHECK_STR(u.home, "/srv/app");
	CHECK_STR(u.name, "app");
	CHECK(u.n_groups == 2 && u.groups[0] == 4 && u.groups[1] == 50);
	qn_user_clear(&u);

	CHECK_INT(resolve("", &u, &err), 0); /* root */
	CHECK(u.uid == 0 && u.gid == 0);
	CHECK_STR(u.home, "/root");
	qn_user_clear(&u);

	CHECK_INT(resolve("nginx:adm", &u, &err), 0);
	CHECK(u.uid == 101 && u.gid == 4 && u.n_groups == 1);
	qn_user_clear(&u);

	/* numeric without an entry: gid 0, home "/", no name; a numeric group need not exist */
	CHECK_INT(resolve("4242:777", &u, &err), 0);
	CHECK(u.uid == 4242 && u.gid == 777 && !u.name && u.n_groups == 0);
	CHECK_STR(u.home, "/");
	qn_user_clear(&u);

	/* an id beyond 32 bits is no id: the line is skipped, and a name that is not there fails */
	CHECK_INT(resolve("big", &u, &err), -1);
	CHECK(err && strcmp(err->msg, "user \"big\": no such user in the image's /etc/passwd") == 0);
	qn_error_free(err);
	err = NULL;
	CHECK_INT(resolve("app:wheel", &u, &err), -1);
	CHECK(err && strcmp(err->msg, "group \"wheel\": no such group in the image's /etc/group") == 0);
	CHECK(!u.home && !u.name && !u.groups);
	qn_error_free(err);
	err = NULL;
	/* a hostile name stays one line in the error */
	CHECK_INT(resolve("evil\nname", &u, &err), -1);
	CHECK(err && !strchr(err->msg, '\n'));
	qn_error_free(err);
}

/* /proc/PID/stat lines as the kernel writes them (the flags are the ninth field) */
static void test_proc_stat(void)
{
	/* a first process waiting for its namespace to die: S, with PF_EXITING (0x4) in 4194572 */
	CHECK(qn_proc_stat_exiting("25485 (quench-trace) S 25473 25485 25485 0 -1 4194572 718 78 0 0"));
	/* the same process at work: 4194560 has no PF_EXITING */
	CHECK(!qn_proc_stat_exiting("25485 (quench-trace) S 25473 25485 25485 0 -1 4194560 718 78 0 0"));
	CHECK(!qn_proc_stat_exiting("7 (python3) R 1 7 7 34816 7 4194304 100 0 0 0"));
	CHECK(qn_proc_stat_exiting("7 (python3) Z 1 7 7 0 -1 4227084 100 0 0 0"));
	CHECK(qn_proc_stat_exiting("7 (python3) X 1 7 7 0 -1 0 100 0 0 0"));
	/* a command name that looks like the rest of the line: the last ')' counts */
	CHECK(!qn_proc_stat_exiting("9 (a) Z 1 1 1 0 -1 4 x) S 1 9 9 0 -1 4194560 1 0 0 0"));
	CHECK(qn_proc_stat_exiting("9 (a) S 1 1 1 0 -1 0 x) S 1 9 9 0 -1 4194564 1 0 0 0"));
	/* cut short or malformed: not taken as ending */
	CHECK(!qn_proc_stat_exiting("9 (sh) S 1 9 9 0 -1"));
	CHECK(!qn_proc_stat_exiting("9 (sh) S 1 9 9 0 -1 "));
	CHECK(!qn_proc_stat_exiting("9 (sh)"));
	CHECK(!qn_proc_stat_exiting("9 (sh"));
	CHECK(!qn_proc_stat_exiting(""));
	CHECK(!qn_proc_stat_exiting("9 (sh) S 1 9 9 0 -1 x4"));
}

int main(void)
{
	TAP_RUN(test_http_response);
	TAP_RUN(test_user);
	TAP_RUN(test_proc_stat);
	return tap_done();
}
