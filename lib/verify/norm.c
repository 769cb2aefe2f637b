/* Normalisation of probe output before two runs are compared: timestamps, process ids and
 * addresses differ from one run to the next without saying anything about behaviour. Each
 * pattern is a POSIX extended regex; what it matches (or, for a pattern with a group, the
 * first group) is replaced by a fixed token. Built-in patterns are applied first, longest
 * forms before shorter ones, so that "2026-12-04T04:06:28Z" becomes one <TIME>, not three.
 * This file does not decide what is compared; compare.c does. */
#include <regex.h>

#include "quench/verify.h"
#include "util/util.h"

typedef struct {
	regex_t re;
	int group; /* 0: the whole match */
	const char *token;
} pattern;

struct qn_verify_norm {
	pattern *v;
	size_t n;
};

#define MONTHS "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#define DAYS "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"

static const struct {
	unsigned bit;
	const char *re;
	int group;
	const char *token;
} builtins[] = {
    /* RFC 7231 / RFC 2822 dates: "Fri, 04 Dec 2026 04:06:28 GMT" */
    {QN_NORM_TIMESTAMPS, DAYS ", [0-9]{1,2} " MONTHS " [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}( (GMT|UTC|[+-][0-9]{4}))?",
     0, "<TIME>"},
    /* ctime: "Fri Dec  4 04:06:28 2026" */
    {QN_NORM_TIMESTAMPS, DAYS " " MONTHS " +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}( [0-9]{4})?", 0, "<TIME>"},
    /* common log format: "04/Dec/2026:04:06:28 +0000" */
    {QN_NORM_TIMESTAMPS, "[0-9]{2}/" MONTHS "/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}( [+-][0-9]{4})?", 0, "<TIME>"},
    /* ISO 8601 / RFC 3339, also "2026/12/04 04:06:28" (nginx) and dates alone */
    {QN_NORM_TIMESTAMPS,
     "[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?(Z|z| ?[+-][0-9]{2}:?[0-9]{2}| "
     "?UTC)?)?",
     0, "<TIME>"},
    /* syslog: "Dec  4 04:06:28" */
    {QN_NORM_TIMESTAMPS, MONTHS " +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}", 0, "<TIME>"},
    /* a time of day alone: "04:06:28", "04:06:28.123" */
    {QN_NORM_TIMESTAMPS, "[0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]+)?", 0, "<TIME>"},
    /* nginx "12#12:" (pid#tid) */
    {QN_NORM_PIDS, "[0-9]+#[0-9]+:", 0, "<PID>#<PID>:"},
    /* "pid 123", "pid=123", "PID: 123", "(pid 123)" */
    {QN_NORM_PIDS, "[Pp][Ii][Dd][ =:#]*([0-9]+)", 1, "<PID>"},
    /* "python3[123]", "nginx[1]:" */
    {QN_NORM_PIDS, "[A-Za-z_][A-Za-z0-9_.-]*\\[([0-9]+)\\]", 1, "<PID>"},
    /* "process 123", "worker process 123" */
    {QN_NORM_PIDS, "process ([0-9]+)", 1, "<PID>"},
    /* addresses printed by reprs and loggers: "0x7f3a2c1d9e40" */
    {QN_NORM_ADDRS, "0x[0-9a-fA-F]{8,16}", 0, "<ADDR>"},
};

static int add(qn_verify_norm *n, const char *re, int group, const char *token, qn_error **err)
{
	n->v = xreallocarray(n->v, n->n + 1, sizeof(pattern));
	pattern *p = &n->v[n->n];
	int rc = regcomp(&p->re, re, REG_EXTENDED);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &p->re, msg, sizeof(msg));
		_cleanup_free_ char *q = qn_str_quote(re, 100);
		return qn_error_set(err, QN_ERR_USAGE, "normalisation regex \"%s\": %s", q, msg);
	}
	if (group < 0)
		group = p->re.re_nsub > 0 ? 1 : 0;
	p->group = group;
	p->token = token;
	n->n++;
	return 0;
}

qn_verify_norm *qn_verify_norm_new(unsigned builtin, const char *const *regex, size_t nre, qn_error **err)
{
	qn_verify_norm *n = xcalloc(1, sizeof(*n));
	for (size_t i = 0; i < QN_ARRAY_LEN(builtins); i++)
		if ((builtin & builtins[i].bit) &&
		    add(n, builtins[i].re, builtins[i].group, builtins[i].token, err) < 0) {
			qn_verify_norm_free(n);
			return NULL;
		}
	for (size_t i = 0; i < nre; i++)
		if (add(n, regex[i], -1, "<X>", err) < 0) {
			qn_verify_norm_free(n);
			return NULL;
		}
	return n;
}

void qn_verify_norm_free(qn_verify_norm *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		regfree(&n->v[i].re);
	free(n->v);
	free(n);
}

/* Replaces every match of p in s; returns a new string. */
static char *apply(const pattern *p, const char *s)
{
	qn_buf out = QN_BUF_INIT;
	regmatch_t m[10];
	const char *cur = s;
	int flags = 0;
	while (*cur && regexec(&p->re, cur, QN_ARRAY_LEN(m), m, flags) == 0) {
		regmatch_t g = m[p->group];
		if (g.rm_so < 0)
			g = m[0];
		if (m[0].rm_eo == 0) {
			/* an empty match at the start: keep one byte and go on */
			qn_buf_addc(&out, *cur++);
			flags = REG_NOTBOL;
			continue;
		}
		qn_buf_add(&out, cur, (size_t)g.rm_so);
		qn_buf_adds(&out, p->token);
		qn_buf_add(&out, cur + g.rm_eo, (size_t)(m[0].rm_eo - g.rm_eo));
		cur += m[0].rm_eo;
		flags = REG_NOTBOL;
	}
	qn_buf_adds(&out, cur);
	return qn_buf_steal(&out);
}

char *qn_verify_normalize(const qn_verify_norm *n, const char *text, size_t len)
{
	/* regexec works on C strings: text with a NUL byte is binary, and compared as it is */
	if (!text)
		return xstrdup("");
	if (memchr(text, 0, len) || !n)
		return xstrndup(text, len);
	char *s = xstrndup(text, len);
	for (size_t i = 0; i < n->n; i++) {
		char *t = apply(&n->v[i], s);
		free(s);
		s = t;
	}
	return s;
}
