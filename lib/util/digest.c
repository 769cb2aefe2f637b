/* Digest parsing and hashing (OpenSSL EVP). Parsing is strict on purpose: digests become file
 * names under blobs/, so only the exact canonical form is accepted. */
#include <openssl/evp.h>

#include "digest.h"

struct qn_hasher {
	EVP_MD_CTX *ctx;
	qn_digest_algo algo;
};

size_t qn_digest_len(qn_digest_algo a)
{
	switch (a) {
	case QN_DIGEST_SHA256:
		return 32;
	case QN_DIGEST_SHA512:
		return 64;
	case QN_DIGEST_NONE:
		break;
	}
	return 0;
}

const char *qn_digest_algo_name(qn_digest_algo a)
{
	switch (a) {
	case QN_DIGEST_SHA256:
		return "sha256";
	case QN_DIGEST_SHA512:
		return "sha512";
	case QN_DIGEST_NONE:
		break;
	}
	return "none";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int qn_digest_parse(const char *s, qn_digest *out, qn_error **err)
{
	qn_digest d = {0};
	const char *hex;
	if (qn_str_has_prefix(s, "sha256:")) {
		d.algo = QN_DIGEST_SHA256;
		hex = s + 7;
	} else if (qn_str_has_prefix(s, "sha512:")) {
		d.algo = QN_DIGEST_SHA512;
		hex = s + 7;
	} else {
		_cleanup_free_ char *q = qn_str_quote(s, 80);
		return qn_error_set(err, QN_ERR_INPUT,
				    "digest \"%s\": unsupported or missing algorithm (want sha256 or sha512)", q);
	}
	size_t n = qn_digest_len(d.algo);
	if (strlen(hex) != n * 2) {
		_cleanup_free_ char *q = qn_str_quote(s, 80);
		return qn_error_set(err, QN_ERR_INPUT, "digest \"%s\": wrong length", q);
	}
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			_cleanup_free_ char *q = qn_str_quote(s, 80);
			return qn_error_set(err, QN_ERR_INPUT, "digest \"%s\": not lowercase hex", q);
		}
		d.raw[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = d;
	return 0;
}

const char *qn_digest_hex(const qn_digest *d, char out[static 129])
{
	static const char hx[] = "0123456789abcdef";
	size_t n = qn_digest_len(d->algo);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d->raw[i] >> 4];
		out[2 * i + 1] = hx[d->raw[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}

const char *qn_digest_str(const qn_digest *d, char out[static QN_DIGEST_STR_MAX])
{
	char hex[129];
	snprintf(out, QN_DIGEST_STR_MAX, "%s:%s", qn_digest_algo_name(d->algo), qn_digest_hex(d, hex));
	return out;
}

bool qn_digest_eq(const qn_digest *a, const qn_digest *b)
{
	return a->algo == b->algo && a->algo != QN_DIGEST_NONE && memcmp(a->raw, b->raw, qn_digest_len(a->algo)) == 0;
}

qn_hasher *qn_hasher_new(qn_digest_algo algo)
{
	qn_hasher *h = xcalloc(1, sizeof(*h));
	h->algo = algo;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		abort();
	const EVP_MD *md = algo == QN_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
	if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		abort();
	return h;
}

void qn_hasher_update(qn_hasher *h, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

void qn_hasher_final(qn_hasher *h, qn_digest *out)
{
	unsigned int len = 0;
	memset(out, 0, sizeof(*out));
	out->algo = h->algo;
	EVP_DigestFinal_ex(h->ctx, out->raw, &len);
}

void qn_hasher_free(qn_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void qn_digest_buf(qn_digest_algo algo, const void *p, size_t n, qn_digest *out)
{
	qn_hasher *h = qn_hasher_new(algo);
	qn_hasher_update(h, p, n);
	qn_hasher_final(h, out);
	qn_hasher_free(h);
}
