/* Content digests as OCI writes them ("sha256:<64 hex>", "sha512:<128 hex>") and streaming
 * hashing over OpenSSL libcrypto. */
#ifndef QN_DIGEST_H
#define QN_DIGEST_H

#include "util.h"

typedef enum { QN_DIGEST_NONE = 0, QN_DIGEST_SHA256, QN_DIGEST_SHA512 } qn_digest_algo;

typedef struct {
	qn_digest_algo algo;
	unsigned char raw[64];
} qn_digest;

/* Longest "algo:hex" string plus NUL. */
#define QN_DIGEST_STR_MAX (7 + 128 + 1)

/* Parses "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>". Anything else (other
 * algorithms, upper case, wrong length) is refused: a digest names a file in blobs/ and must
 * not be able to carry path characters. Returns 0 or -1 with err (QN_ERR_INPUT). */
int qn_digest_parse(const char *s, qn_digest *out, qn_error **err);
/* Writes "algo:hex" into out. */
const char *qn_digest_str(const qn_digest *d, char out[static QN_DIGEST_STR_MAX]);
/* The hex part only. */
const char *qn_digest_hex(const qn_digest *d, char out[static 129]);
const char *qn_digest_algo_name(qn_digest_algo a);
size_t qn_digest_len(qn_digest_algo a);
bool qn_digest_eq(const qn_digest *a, const qn_digest *b);

typedef struct qn_hasher qn_hasher;
qn_hasher *qn_hasher_new(qn_digest_algo algo);
void qn_hasher_update(qn_hasher *h, const void *p, size_t n);
/* Finishes into out; the hasher can then only be freed. */
void qn_hasher_final(qn_hasher *h, qn_digest *out);
void qn_hasher_free(qn_hasher *h);
/* One-shot digest of a buffer. */
void qn_digest_buf(qn_digest_algo algo, const void *p, size_t n, qn_digest *out);

#endif
