/* The error contract (docs/errors.md): one error per failure, set once, context prepended while
 * it rises. Errors are plain heap objects; nothing here prints or exits. */
#include <errno.h>
#include <stdarg.h>

#include "util.h"

/* An error is one line (docs/errors.md), whatever its parts carry: a message from a library
 * (SQLite quotes a hostile schema's text) or a name from the input can hold newlines and other
 * control bytes. Each becomes a space. */
static void one_line(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

QN_PRINTF(4, 0)
static int set_v(qn_error **err, qn_error_kind kind, int errnum, const char *fmt, va_list ap)
{
	if (!err || *err)
		return -1;
	qn_error *e = xcalloc(1, sizeof(*e));
	e->kind = kind;
	e->errnum = errnum;
	e->msg = xvasprintf(fmt, ap);
	if (errnum) {
		char *m = xasprintf("%s: %s", e->msg, strerror(errnum));
		free(e->msg);
		e->msg = m;
	}
	one_line(e->msg);
	*err = e;
	return -1;
}

int qn_error_set(qn_error **err, qn_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(err, kind, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int qn_error_errno(qn_error **err, int errnum, const char *fmt, ...)
{
	qn_error_kind kind = (errnum == ENOENT || errnum == ENOTDIR) ? QN_ERR_NOTFOUND : QN_ERR_RUNTIME;
	va_list ap;
	va_start(ap, fmt);
	set_v(err, kind, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int qn_error_prefix(qn_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *m = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	one_line(m);
	(*err)->msg = m;
	return -1;
}

void qn_error_free(qn_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

int qn_error_exit_code(const qn_error *e)
{
	if (!e)
		return 0;
	switch (e->kind) {
	case QN_ERR_INPUT:
	case QN_ERR_USAGE:
	case QN_ERR_LIMIT:
	case QN_ERR_NOTFOUND:
		return 2;
	case QN_ERR_RUNTIME:
		return 3;
	}
	return 3;
}
