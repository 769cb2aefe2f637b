/* Fuzz target: resolving an image's User through its /etc/passwd and /etc/group. The input is
 * "SPEC\0PASSWD\0GROUP" (missing parts are empty). Properties: a failure sets a one-line error
 * and leaves nothing to free; a success has a home folder, and at most 64 supplementary groups. */
#include "run/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *z1 = memchr(data, 0, size);
	const uint8_t *pw = z1 ? z1 + 1 : end;
	const uint8_t *z2 = memchr(pw, 0, (size_t)(end - pw));
	const uint8_t *gr = z2 ? z2 + 1 : end;
	char *spec = strndup((const char *)data, (size_t)((z1 ? z1 : end) - data));
	/* private copies of exactly their bytes: the parser must not read past them */
	size_t plen = (size_t)((z2 ? z2 : end) - pw), glen = (size_t)(end - gr);
	uint8_t *p = malloc(plen ? plen : 1), *g = malloc(glen ? glen : 1);
	if (plen)
		memcpy(p, pw, plen);
	if (glen)
		memcpy(g, gr, glen);
	qn_user u;
	qn_error *err = NULL;
	if (qn_user_resolve(spec, p, plen, g, glen, &u, &err) == 0) {
		if (err || !u.home || u.n_groups > 64 || (u.n_groups && !u.groups))
			__builtin_trap();
		qn_user_clear(&u);
	} else if (!err || !err->msg || strchr(err->msg, '\n') || u.home || u.name || u.groups)
		__builtin_trap();
	qn_error_free(err);
	free(spec);
	free(p);
	free(g);
	return 0;
}
