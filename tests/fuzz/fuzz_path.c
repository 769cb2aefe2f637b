/* Fuzz target: path normalisation. Properties: the result never starts with '/', never contains
 * "//", "." or ".." components, and normalising it again changes nothing. */
#include "util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool bad_component(const char *s)
{
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p = e ? e + 1 : p + n;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xmemdup(data, size); /* stops at the first NUL, as tar names do */
	char *out = NULL;
	qn_error *err = NULL;
	if (qn_path_normalize(in, 4096, &out, &err) == 0) {
		if (out[0] == '/' || bad_component(out))
			__builtin_trap();
		char *again = NULL;
		if (qn_path_normalize(out, 4096, &again, NULL) < 0 || strcmp(again, out))
			__builtin_trap();
		free(again);
		free(out);
	} else if (!err)
		__builtin_trap();
	qn_error_free(err);
	free(in);
	return 0;
}
