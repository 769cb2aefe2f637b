/* Fuzz target: the [db] section of the config file (`quench db update` feeds and mirrors).
 * Properties: a failure sets a one-line error naming the file; a success leaves settings that
 * can be cleared. */
#include <stdlib.h>
#include <string.h>

#include "quench/vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	if (size)
		memcpy(copy, data, size);
	qn_vuln_feeds f;
	qn_vuln_feeds_init(&f);
	qn_error *err = NULL;
	int rc = qn_vuln_feeds_parse(&f, copy, size, "config", &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n') || strncmp(err->msg, "config: ", 8) != 0))
		__builtin_trap();
	if (rc == 0 && err)
		__builtin_trap();
	qn_vuln_feeds_clear(&f);
	qn_error_free(err);
	free(copy);
	return 0;
}
