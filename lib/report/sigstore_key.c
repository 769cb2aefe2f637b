/* cosign's encrypted private key: a PEM block "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign before
 * 2.0: "ENCRYPTED COSIGN PRIVATE KEY") whose body is a JSON document
 *
 *   {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 *
 * The key is scrypt(password, salt, N, r, p) of 32 bytes; the ciphertext is NaCl's secretbox
 * (XSalsa20-Poly1305, tag first) of the PKCS#8 DER of the private key. The password may be
 * empty. Only the scrypt costs cosign writes are accepted (N of 2^15, 2^16 or 2^17 with r = 8,
 * p = 1): a key file is input like any other, and a made-up N of 2^40 must not be a way to
 * make us allocate terabytes. */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "evidence_int.h"
#include "util/json.h"

#define KEY_MAX (64u << 10)
#define SALT_LEN 32
#define SCRYPT_N 32768 /* what cosign writes */

#define PEM_TYPE "ENCRYPTED SIGSTORE PRIVATE KEY"
static const struct {
	const char *begin, *end;
} pem_lines[] = {
    {"-----BEGIN " PEM_TYPE "-----", "-----END " PEM_TYPE "-----"},
    {"-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----", "-----END ENCRYPTED COSIGN PRIVATE KEY-----"},
};

/* Where the first line of a sigstore PEM block starts, and which kind it is; NULL if none. */
static const uint8_t *find_begin(const uint8_t *pem, size_t len, size_t *kind)
{
	for (size_t i = 0; i < QN_ARRAY_LEN(pem_lines); i++) {
		const uint8_t *b = memmem(pem, len, pem_lines[i].begin, strlen(pem_lines[i].begin));
		if (b) {
			*kind = i;
			return b;
		}
	}
	return NULL;
}

bool qn_sigstore_key_is(const uint8_t *pem, size_t len)
{
	size_t kind;
	return find_begin(pem, len, &kind) != NULL;
}

/* The base64 body of the first sigstore PEM block, whitespace removed; NULL if there is none. */
static char *pem_body(const uint8_t *pem, size_t len, qn_error **err)
{
	size_t kind = 0;
	const uint8_t *b = find_begin(pem, len, &kind);
	if (!b)
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: no ENCRYPTED SIGSTORE PRIVATE KEY block"),
		       NULL;
	b += strlen(pem_lines[kind].begin);
	const char *end = pem_lines[kind].end;
	const uint8_t *e = memmem(b, len - (size_t)(b - pem), end, strlen(end));
	if (!e)
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: no \"%s\" line", end), NULL;
	char *out = xmalloc((size_t)(e - b) + 1);
	size_t o = 0;
	for (const uint8_t *p = b; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			out[o++] = (char)*p;
	out[o] = 0;
	return out;
}

/* Decodes the base64 string at obj.key; its length must lie in [min, max]. */
static uint8_t *b64_field(const json_t *obj, const char *key, size_t min, size_t max, size_t *n, qn_error **err)
{
	const char *s = qn_json_req_str(obj, key, "cosign private key", err);
	if (!s)
		return NULL;
	uint8_t *v = qn_base64_decode(s, n);
	if (!v)
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: \"%s\" is not base64", key), NULL;
	if (*n < min || *n > max) {
		free(v);
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: \"%s\" is %zu bytes, want %zu to %zu", key,
				    *n, min, max),
		       NULL;
	}
	return v;
}

static int check_name(const json_t *obj, const char *want, const char *what, qn_error **err)
{
	const char *name = qn_json_req_str(obj, "name", what, err);
	if (!name)
		return -1;
	if (strcmp(name, want))
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: %s \"%s\" is not supported (only %s)", what,
				    name, want);
	return 0;
}

static int derive(const char *password, const uint8_t *salt, size_t salt_len, uint64_t N, uint8_t key[32],
		  qn_error **err)
{
	/* scrypt needs 128 * r * N bytes; allow that and a little more */
	uint64_t maxmem = 128u * 8u * N + (1u << 20);
	const char *pw = password ? password : "";
	if (EVP_PBE_scrypt(pw, strlen(pw), salt, salt_len, N, 8, 1, maxmem, key, 32) != 1)
		return qn_error_set(err, QN_ERR_RUNTIME, "cosign private key: scrypt failed");
	return 0;
}

static int sodium_ready(qn_error **err)
{
	if (sodium_init() < 0)
		return qn_error_set(err, QN_ERR_RUNTIME, "libsodium could not be initialised");
	return 0;
}

uint8_t *qn_sigstore_key_open(const uint8_t *pem, size_t len, const char *password, size_t *der_len, qn_error **err)
{
	if (len > KEY_MAX)
		return qn_error_set(err, QN_ERR_LIMIT, "cosign private key: larger than %u bytes", KEY_MAX), NULL;
	if (sodium_ready(err) < 0)
		return NULL;
	_cleanup_free_ char *body = pem_body(pem, len, err);
	if (!body)
		return NULL;
	size_t jlen = 0;
	_cleanup_free_ uint8_t *jtext = qn_base64_decode(body, &jlen);
	if (!jtext)
		return qn_error_set(err, QN_ERR_INPUT, "cosign private key: the PEM body is not base64"), NULL;
	_cleanup_json_ json_t *doc = qn_json_parse(jtext, jlen, KEY_MAX, "cosign private key", err);
	if (!doc)
		return NULL;
	const json_t *kdf = json_object_get(doc, "kdf"), *cipher = json_object_get(doc, "cipher");
	const json_t *params = json_object_get(kdf, "params");
	if (!json_is_object(kdf) || !json_is_object(cipher) || !json_is_object(params))
		return qn_error_set(err, QN_ERR_INPUT,
				    "cosign private key: \"kdf\", \"kdf.params\" and \"cipher\" "
				    "must be objects"),
		       NULL;
	if (check_name(kdf, "scrypt", "key derivation", err) < 0 ||
	    check_name(cipher, "nacl/secretbox", "cipher", err) < 0)
		return NULL;
	uint64_t N = 0, r = 0, p = 0;
	if (qn_json_u64(params, "N", 0, &N, "cosign private key kdf.params", err) < 0 ||
	    qn_json_u64(params, "r", 0, &r, "cosign private key kdf.params", err) < 0 ||
	    qn_json_u64(params, "p", 0, &p, "cosign private key kdf.params", err) < 0)
		return NULL;
	if ((N != 1u << 15 && N != 1u << 16 && N != 1u << 17) || r != 8 || p != 1)
		return qn_error_set(err, QN_ERR_INPUT,
				    "cosign private key: unsupported scrypt parameters N=%" PRIu64 " r=%" PRIu64
				    " p=%" PRIu64 " (want N of 32768, 65536 or 131072, r=8, p=1)",
				    N, r, p),
		       NULL;
	size_t salt_len = 0, nonce_len = 0, ct_len = 0;
	_cleanup_free_ uint8_t *salt = b64_field(kdf, "salt", 8, 1024, &salt_len, err);
	if (!salt)
		return NULL;
	_cleanup_free_ uint8_t *nonce =
	    b64_field(cipher, "nonce", crypto_secretbox_NONCEBYTES, crypto_secretbox_NONCEBYTES, &nonce_len, err);
	if (!nonce)
		return NULL;
	_cleanup_free_ uint8_t *ct = b64_field(doc, "ciphertext", crypto_secretbox_MACBYTES + 1, KEY_MAX, &ct_len, err);
	if (!ct)
		return NULL;
	if (!password)
		return qn_error_set(err, QN_ERR_INPUT,
				    "cosign private key: encrypted, and no password given (set COSIGN_PASSWORD or "
				    "QUENCH_KEY_PASSWORD; it may be empty)"),
		       NULL;
	uint8_t key[32];
	if (derive(password, salt, salt_len, N, key, err) < 0)
		return NULL;
	size_t n = ct_len - crypto_secretbox_MACBYTES;
	uint8_t *der = xmalloc(n);
	int ok = crypto_secretbox_open_easy(der, ct, ct_len, nonce, key);
	sodium_memzero(key, sizeof(key));
	if (ok != 0) {
		free(der);
		return qn_error_set(err, QN_ERR_INPUT,
				    "cosign private key: wrong password, or the key file is corrupt"),
		       NULL;
	}
	*der_len = n;
	return der;
}

char *qn_sigstore_key_seal(const uint8_t *der, size_t n, const char *password, size_t *pem_len, qn_error **err)
{
	if (sodium_ready(err) < 0)
		return NULL;
	uint8_t salt[SALT_LEN], nonce[crypto_secretbox_NONCEBYTES], key[32];
	if (RAND_bytes(salt, sizeof(salt)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
		return qn_error_set(err, QN_ERR_RUNTIME, "no random bytes for the key's salt and nonce"), NULL;
	if (derive(password, salt, sizeof(salt), SCRYPT_N, key, err) < 0)
		return NULL;
	size_t ct_len = n + crypto_secretbox_MACBYTES;
	uint8_t *ct = xmalloc(ct_len);
	crypto_secretbox_easy(ct, der, n, nonce, key);
	sodium_memzero(key, sizeof(key));
	_cleanup_free_ char *s_salt = qn_base64_encode(salt, sizeof(salt));
	_cleanup_free_ char *s_nonce = qn_base64_encode(nonce, sizeof(nonce));
	_cleanup_free_ char *s_ct = qn_base64_encode(ct, ct_len);
	free(ct);
	/* the same keys in the same order as cosign writes them */
	_cleanup_json_ json_t *doc =
	    json_pack("{s:{s:s,s:{s:i,s:i,s:i},s:s},s:{s:s,s:s},s:s}", "kdf", "name", "scrypt", "params", "N",
		      (json_int_t)SCRYPT_N, "r", (json_int_t)8, "p", (json_int_t)1, "salt", s_salt, "cipher", "name",
		      "nacl/secretbox", "nonce", s_nonce, "ciphertext", s_ct);
	_cleanup_free_ char *jtext = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	_cleanup_free_ char *b64 = qn_base64_encode((const uint8_t *)jtext, strlen(jtext));
	qn_buf out = QN_BUF_INIT;
	qn_buf_printf(&out, "%s\n", pem_lines[0].begin);
	for (size_t i = 0, l = strlen(b64); i < l; i += 64) {
		qn_buf_add(&out, b64 + i, QN_MIN((size_t)64, l - i));
		qn_buf_addc(&out, '\n');
	}
	qn_buf_printf(&out, "%s\n", pem_lines[0].end);
	*pem_len = out.len;
	return qn_buf_steal(&out);
}
