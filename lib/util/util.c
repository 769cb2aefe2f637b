/* Allocation, buffers, strings and logging helpers used by every module. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	static const char m[] = "quench: out of memory\n";
	ssize_t r = write(2, m, sizeof(m) - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n + 1);
	if (n)
		memcpy(q, p, n);
	((char *)q)[n] = 0;
	return q;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

/* ---- buffers ---- */

void qn_buf_reserve(qn_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2)
			oom();
		cap *= 2;
	}
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void qn_buf_add(qn_buf *b, const void *p, size_t n)
{
	qn_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
}

void qn_buf_adds(qn_buf *b, const char *s)
{
	qn_buf_add(b, s, strlen(s));
}

void qn_buf_addc(qn_buf *b, char c)
{
	qn_buf_add(b, &c, 1);
}

void qn_buf_printf(qn_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	qn_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len += (size_t)n;
}

void qn_buf_clear(qn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *qn_buf_steal(qn_buf *b)
{
	if (!b->data)
		return xstrdup("");
	char *d = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void qn_ptrvec_push(qn_ptrvec *pv, void *p)
{
	if (pv->n == pv->cap) {
		pv->cap = pv->cap ? pv->cap * 2 : 16;
		pv->v = xreallocarray(pv->v, pv->cap, sizeof(void *));
	}
	pv->v[pv->n++] = p;
}

void qn_ptrvec_clear(qn_ptrvec *pv, void (*free_fn)(void *))
{
	if (free_fn)
		for (size_t i = 0; i < pv->n; i++)
			free_fn(pv->v[i]);
	free(pv->v);
	pv->v = NULL;
	pv->n = pv->cap = 0;
}

/* ---- strings ---- */

bool qn_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool qn_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *qn_str_quote(const char *s, size_t max)
{
	qn_buf b = QN_BUF_INIT;
	if (!s)
		s = "";
	size_t i = 0;
	for (; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			qn_buf_printf(&b, "\\x%02x", c);
		else
			qn_buf_addc(&b, (char)c);
	}
	if (s[i])
		qn_buf_adds(&b, "...");
	return qn_buf_steal(&b);
}

const char *qn_fmt_size(uint64_t n, char out[static 16])
{
	static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < QN_ARRAY_LEN(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, 16, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 16, "%.1f %s", v, units[u]);
	return out;
}

int qn_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int qn_parse_double(const char *s, double lo, double hi, double *out)
{
	if (!s)
		return -1;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) /* NaN is in no range */
		return -1;
	*out = v;
	return 0;
}

int qn_parse_size(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 0:
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end) {
		const char *rest = end + 1;
		if (strcmp(rest, "") && strcmp(rest, "B") && strcmp(rest, "iB"))
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* ---- logging ---- */

static qn_log_level log_level = QN_LOG_WARN;

void qn_log_set_level(qn_log_level lvl)
{
	log_level = lvl;
}
qn_log_level qn_log_get_level(void)
{
	return log_level;
}

void qn_log(qn_log_level lvl, const char *fmt, ...)
{
	if (lvl > log_level)
		return;
	static const char *names[] = {"error", "warning", "info", "debug"};
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "quench: %s: %s\n", names[lvl], m);
	free(m);
}

static volatile sig_atomic_t interrupted_sig;

void qn_set_interrupted(int sig)
{
	interrupted_sig = sig;
}
int qn_interrupted(void)
{
	return interrupted_sig;
}

static volatile sig_atomic_t continue_flag;

void qn_set_continue(void)
{
	continue_flag = 1;
}
bool qn_continue_requested(void)
{
	return continue_flag != 0;
}

double qn_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
