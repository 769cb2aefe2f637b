/* Fuzz target: the Debian changelog reader (gzip or plain bytes, entry headers, CVE tokens).
 * Every reported id must look like a CVE id and every failure must carry a one-line message. */
#include <string.h>

#include "quench/scan.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_cve(void *ud, const char *cve, const char *version)
{
	(void)ud;
	if (!cve || strncmp(cve, "CVE-", 4) || strlen(cve) < 13 || !version || !*version)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	if (qn_changelog_cves(data, size, "99:9", on_cve, NULL, &err) < 0 &&
	    (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
	return 0;
}
