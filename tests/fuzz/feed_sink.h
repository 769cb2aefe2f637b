/* The checks every vulnerability feed fuzz target applies to what its parser emits: each record
 * has a one-line id and aliases, each affected row is complete with a known status, and each
 * skip message is one line. Included by fuzz_osv.c, fuzz_debtracker.c and fuzz_secdb.c. */
#ifndef QN_FUZZ_FEED_SINK_H
#define QN_FUZZ_FEED_SINK_H

#include "vuln/vuln_int.h"

static int on_record(qn_vuln_sink *s, const qn_vuln_record *r, qn_error **err)
{
	(void)s, (void)err;
	if (!r->id || !*r->id || strchr(r->id, '\n'))
		__builtin_trap();
	for (size_t i = 0; i < r->n_aliases; i++)
		if (!r->aliases[i] || strchr(r->aliases[i], '\n'))
			__builtin_trap();
	return 0;
}

static int on_affected(qn_vuln_sink *s, const qn_vuln_affected *a, qn_error **err)
{
	(void)s, (void)err;
	if (!a->vuln_id || !a->ecosystem || !a->release || !a->package)
		__builtin_trap();
	if (a->status != QN_VULN_AFFECTED && a->status != QN_VULN_FIXED && a->status != QN_VULN_WILL_NOT_FIX)
		__builtin_trap();
	for (size_t i = 0; i < a->n_versions; i++)
		if (!a->versions[i] || strchr(a->versions[i], '\n'))
			__builtin_trap();
	return 0;
}

static void on_skipped(qn_vuln_sink *s, const char *msg)
{
	(void)s;
	if (!msg || strchr(msg, '\n'))
		__builtin_trap();
}

/* Runs a feed parser's result through the checks: a failure must come with a one-line message. */
static void check_feed_result(int rc, qn_error *err)
{
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
}

#endif
