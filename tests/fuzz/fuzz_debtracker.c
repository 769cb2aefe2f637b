/* Fuzz target: the Debian security tracker parser (the top-level member walker plus one package entry at a time)
 * over arbitrary bytes. Every emitted row must be complete and every failure must come with a
 * one-line message; the format detector runs on the same input. */
#include "feed_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_log_set_level(QN_LOG_ERROR);
	qn_vuln_sink s = {on_record, on_affected, on_skipped, NULL};
	qn_error *err = NULL;
	(void)qn_feed_detect(data, size);
	int rc = qn_debtracker_parse(data, size, &s, &err);
	check_feed_result(rc, err);
	return 0;
}
