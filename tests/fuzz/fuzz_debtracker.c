/* Fuzz target: the Debian security tracker parser (the top-level member walker plus one package entry at a time)
 * over arbitrary bytes. Every emitted row must be complete and every failure must come with a
 * one-line message; the format detector runs on the same input. */
#include "vuln/vuln_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_log_set_level(QN_LOG_ERROR);
	qn_vuln_sink s = {on_record, on_affected, on_skipped, NULL};
	qn_error *err = NULL;
	(void)qn_feed_detect(data, size);
	int rc = qn_debtracker_parse(data, size, &s, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
	return 0;
}
