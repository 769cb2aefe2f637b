/* Fuzz target: the tar reader over arbitrary bytes (entries, pax and GNU headers, data). The
 * input is fed in two pieces split at its first byte's value, so header state that spans feeds
 * is exercised too. */
#include "image/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_entry(void *ud, const qn_tar_entry *e, qn_error **err)
{
	(void)err;
	size_t *n = ud;
	*n += strlen(e->path) + strlen(e->linkname);
	return e->size < 4096 ? 1 : 0;
}

static int on_data(void *ud, const void *p, size_t n, qn_error **err)
{
	(void)ud, (void)p, (void)err;
	return n > 1 << 20 ? -1 : 0;
}

static const qn_tar_callbacks cb = {on_entry, on_data, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t acc = 0;
	qn_tar_limits lim = {4096, 64 * 1024};
	qn_tar_reader *r = qn_tar_reader_new(&cb, &acc, &lim, "fuzz");
	qn_error *err = NULL;
	size_t split = size ? data[0] * 4u : 0;
	if (split > size)
		split = size;
	int rc = qn_tar_reader_feed(r, data, split, &err);
	if (rc == 0)
		rc = qn_tar_reader_feed(r, data + split, size - split, &err);
	if (rc == 0)
		rc = qn_tar_reader_finish(r, &err);
	/* every failure must come with a one-line message */
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
	qn_tar_reader_free(r);
	return 0;
}
