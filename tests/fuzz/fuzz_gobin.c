/* Fuzz target: Go build info, both as a whole file (ELF program and section headers, the
 * pointer format's virtual addresses) and as a chunk starting at the magic (the inline format).
 * Found build info always yields a "stdlib" package with the Go version. */
#include "pkg/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_pkglist l = {0};
	int rc = qn_gobin_parse(data, size, "usr/bin/x", &l, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n') || l.n))
		__builtin_trap();
	if (rc == 1 && (l.n == 0 || strcmp(l.v[l.n - 1].name, "stdlib") != 0 || !l.v[l.n - 1].go_version))
		__builtin_trap();
	if (rc == 0 && l.n)
		__builtin_trap();
	qn_pkglist_clear(&l);
	qn_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	const uint8_t *m = qn_gobin_find_magic(data, size);
	if (m && ((size_t)(m - data) % QN_GOBIN_ALIGN || memcmp(m, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN)))
		__builtin_trap();
	if (m && m != data)
		run(m, size - (size_t)(m - data));
	return 0;
}
