/* Push decompressor for layer blobs: gzip (ISA-L, zlib fallback), zstd, or none. The format is
 * detected from the first bytes, not from the media type, which an attacker controls as freely as
 * the content and which tools often get wrong. */
#ifndef QN_DECOMP_H
#define QN_DECOMP_H

#include "util/util.h"

typedef enum { QN_COMP_UNKNOWN = 0, QN_COMP_NONE, QN_COMP_GZIP, QN_COMP_ZSTD } qn_comp;

const char *qn_comp_name(qn_comp c);

/* Detects the compression from at least the first 6 bytes (fewer only at end of stream).
 * Returns QN_COMP_UNKNOWN and sets err for bzip2/xz/lz4 (recognised but not supported). */
qn_comp qn_comp_detect(const unsigned char *p, size_t n, qn_error **err);

/* Output sink: receives decompressed bytes in order. */
typedef int (*qn_decomp_out)(void *ud, const void *p, size_t n, qn_error **err);

typedef struct qn_decomp qn_decomp;
/* `what` names the blob in errors; copied. */
qn_decomp *qn_decomp_new(qn_comp c, qn_decomp_out out, void *ud, const char *what);
void qn_decomp_free(qn_decomp *d);
/* Feeds compressed bytes; decompressed output goes to `out` before this returns. */
int qn_decomp_feed(qn_decomp *d, const void *p, size_t n, qn_error **err);
/* End of input: fails on a truncated stream. */
int qn_decomp_finish(qn_decomp *d, qn_error **err);

#endif
