/* Fuzz target: the zip reader over arbitrary bytes. Opens the input as an archive, walks the
 * whole central directory and extracts every entry under a small size limit, so end-record
 * search, zip64 records, the local/central cross-check, inflate and the CRC all see hostile
 * input. */
#include "util/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* every failure must come with a one-line message */
static void check_err(int rc, qn_error *err)
{
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open(data, size, 4096, &err);
	check_err(z ? 0 : -1, err);
	qn_zip_entry e;
	int rc = 0;
	while (z && (rc = qn_zip_next(z, &e, &err)) > 0) {
		if (strlen(e.name) != e.name_len)
			__builtin_trap();
		uint8_t *out = NULL;
		size_t n = 0;
		qn_error *rerr = NULL;
		int r = qn_zip_read(z, &e, 256 * 1024, &out, &n, &rerr);
		check_err(r, rerr);
		if (r == 0 && (n != e.usize || out[n] != 0))
			__builtin_trap();
		free(out);
		qn_error_free(rerr);
	}
	check_err(rc, err);
	qn_zip_free(z);
	qn_error_free(err);
	return 0;
}
