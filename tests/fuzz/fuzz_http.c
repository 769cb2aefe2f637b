/* Fuzz target: the HTTP response parser that reads what a probed container answers. Properties:
 * a failure sets an error and fills nothing; a parsed response has a three-digit status, a
 * NUL-terminated body no longer than the input, and headers that are a copy of input bytes. */
#include "run/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy of exactly size bytes: the parser must not read past them */
	char *copy = malloc(size ? size : 1);
	if (size)
		memcpy(copy, data, size);
	qn_http_resp r;
	char *error = NULL;
	if (qn_http_parse_response(copy, size, &r, &error) == 0) {
		if (error || r.status < 0 || r.status > 999 || !r.body || r.body[r.body_len] != 0 ||
		    r.body_len > size || !r.headers || strlen(r.headers) > size)
			__builtin_trap();
		qn_http_resp_clear(&r);
	} else if (!error || strchr(error, '\n') || r.body || r.headers || r.content_type)
		__builtin_trap();
	free(error);
	free(copy);
	return 0;
}
