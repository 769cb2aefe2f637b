/* Signing keys and DSSE envelopes over OpenSSL libcrypto (EVP).
 *
 * Keys are PEM files as cosign reads and writes them: PKCS#8 private keys (plain, or encrypted
 * with a password), SEC1 "EC PRIVATE KEY", and SubjectPublicKeyInfo public keys. Only ECDSA over
 * P-256 with SHA-256 (DER signatures, as cosign and most DSSE tools write them) and Ed25519 are
 * accepted: a signature scheme we do not name is refused rather than guessed.
 *
 * DSSE (github.com/secure-systems-lab/dsse, protocol.md) signs the pre-authentication encoding
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, never the JSON around it,
 * so the envelope's own bytes carry no meaning for the signature. This file does not know what
 * the payload says. */
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence_int.h"
#include "util/digest.h"
#include "util/json.h"

struct qn_sign_key {
	EVP_PKEY *pkey;
	qn_key_type type;
	bool priv;
	char id[65];
};

const char *qn_key_type_name(qn_key_type t)
{
	switch (t) {
	case QN_KEY_ECDSA_P256:
		return "ecdsa-p256";
	case QN_KEY_ED25519:
		return "ed25519";
	}
	return "unknown";
}

/* The first OpenSSL error as text (the queue is cleared). */
static const char *ossl_reason(char buf[256])
{
	unsigned long e = ERR_peek_last_error();
	if (!e)
		snprintf(buf, 256, "unknown OpenSSL failure");
	else {
		const char *r = ERR_reason_error_string(e);
		snprintf(buf, 256, "%s", r ? r : "OpenSSL failure");
	}
	ERR_clear_error();
	return buf;
}

/* Wraps pkey (taking it) after checking that it is a P-256 or Ed25519 key. */
static qn_sign_key *wrap_key(EVP_PKEY *pkey, bool priv, const char *what, qn_error **err)
{
	qn_key_type t = 0;
	int id = EVP_PKEY_get_base_id(pkey);
	if (id == EVP_PKEY_ED25519)
		t = QN_KEY_ED25519;
	else if (id == EVP_PKEY_EC) {
		char group[64] = "";
		size_t glen = 0;
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) == 1 &&
		    (!strcmp(group, "prime256v1") || !strcmp(group, "P-256") || !strcmp(group, "secp256r1")))
			t = QN_KEY_ECDSA_P256;
		else {
			EVP_PKEY_free(pkey);
			return qn_error_set(err, QN_ERR_INPUT, "%s: EC key on curve \"%s\": only P-256 is supported",
					    what, group[0] ? group : "?"),
			       NULL;
		}
	} else {
		EVP_PKEY_free(pkey);
		return qn_error_set(err, QN_ERR_INPUT, "%s: key type %s: only ECDSA P-256 and Ed25519 are supported",
				    what, OBJ_nid2sn(id)),
		       NULL;
	}
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der);
	if (n <= 0) {
		EVP_PKEY_free(pkey);
		char b[256];
		return qn_error_set(err, QN_ERR_INPUT, "%s: cannot encode the public key: %s", what, ossl_reason(b)),
		       NULL;
	}
	qn_sign_key *k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->type = t;
	k->priv = priv;
	qn_digest d;
	qn_digest_buf(QN_DIGEST_SHA256, der, (size_t)n, &d);
	char hex[129];
	snprintf(k->id, sizeof(k->id), "%s", qn_digest_hex(&d, hex));
	OPENSSL_free(der);
	return k;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	if (!pw)
		return -1; /* encrypted key without a password: fail instead of prompting */
	size_t n = strlen(pw);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

qn_sign_key *qn_key_parse_private(const uint8_t *pem, size_t len, const char *password, qn_error **err)
{
	if (len > INT32_MAX)
		return qn_error_set(err, QN_ERR_LIMIT, "private key: too large"), NULL;
	if (qn_sigstore_key_is(pem, len)) {
		size_t n = 0;
		uint8_t *der = qn_sigstore_key_open(pem, len, password, &n, err);
		if (!der)
			return NULL;
		const unsigned char *p = der;
		EVP_PKEY *pkey = n <= INT32_MAX ? d2i_AutoPrivateKey(NULL, &p, (long)n) : NULL;
		bool whole = p == der + n;
		OPENSSL_cleanse(der, n);
		free(der);
		if (!pkey || !whole) {
			EVP_PKEY_free(pkey);
			return qn_error_set(err, QN_ERR_INPUT,
					    "cosign private key: the decrypted key is not PKCS#8 DER"),
			       NULL;
		}
		return wrap_key(pkey, true, "cosign private key", err);
	}
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)password);
	BIO_free(bio);
	if (!pkey) {
		char b[256];
		bool enc = memmem(pem, len, "ENCRYPTED", 9) != NULL;
		return qn_error_set(
			   err, QN_ERR_INPUT, "private key: %s",
			   enc && !password
			       ? "encrypted, and no password given (set QUENCH_KEY_PASSWORD or COSIGN_PASSWORD)"
			       : ossl_reason(b)),
		       NULL;
	}
	return wrap_key(pkey, true, "private key", err);
}

qn_sign_key *qn_key_parse_public(const uint8_t *pem, size_t len, qn_error **err)
{
	if (len > INT32_MAX)
		return qn_error_set(err, QN_ERR_LIMIT, "public key: too large"), NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey) {
		char b[256];
		return qn_error_set(err, QN_ERR_INPUT, "public key: not a PEM \"PUBLIC KEY\": %s", ossl_reason(b)),
		       NULL;
	}
	return wrap_key(pkey, false, "public key", err);
}

static qn_sign_key *load(const char *path, bool priv, const char *password, qn_error **err)
{
	size_t len;
	_cleanup_free_ char *buf = qn_read_file(path, 64 << 10, &len, err);
	if (!buf)
		return NULL;
	qn_sign_key *k = priv ? qn_key_parse_private((const uint8_t *)buf, len, password, err)
			      : qn_key_parse_public((const uint8_t *)buf, len, err);
	OPENSSL_cleanse(buf, len);
	if (!k)
		qn_error_prefix(err, "%s", path);
	return k;
}

qn_sign_key *qn_key_load_private(const char *path, const char *password, qn_error **err)
{
	return load(path, true, password, err);
}

qn_sign_key *qn_key_load_public(const char *path, qn_error **err)
{
	return load(path, false, NULL, err);
}

void qn_key_free(qn_sign_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

qn_key_type qn_key_get_type(const qn_sign_key *k)
{
	return k->type;
}

const char *qn_key_id(const qn_sign_key *k)
{
	return k->id;
}

bool qn_key_has_private(const qn_sign_key *k)
{
	return k->priv;
}

/* The private key in cosign's encrypted format. */
static char *sealed_pem(EVP_PKEY *pkey, const char *password, size_t *len, qn_error **err)
{
	unsigned char *der = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey); /* cosign reads PKCS#8, not SEC1 */
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return qn_error_set(err, QN_ERR_RUNTIME, "encoding the key as PKCS#8 failed"), NULL;
	char *pem = qn_sigstore_key_seal(der, (size_t)n, password, len, err);
	OPENSSL_clear_free(der, (size_t)n);
	return pem;
}

/* PEM text of the key: private (PKCS#8, unencrypted) or public (SubjectPublicKeyInfo). */
static char *key_pem(EVP_PKEY *pkey, bool priv, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int ok = priv ? PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
		      : PEM_write_bio_PUBKEY(bio, pkey);
	char *out = NULL;
	if (ok == 1) {
		char *p;
		long n = BIO_get_mem_data(bio, &p);
		out = xmemdup(p, (size_t)n + 1);
		out[n] = 0;
		*len = (size_t)n;
	}
	BIO_free(bio);
	return out;
}

int qn_key_generate(qn_key_type t, const char *prefix, bool force, const char *seal_password, qn_error **err)
{
	_cleanup_free_ char *kpath = xasprintf("%s.key", prefix);
	_cleanup_free_ char *ppath = xasprintf("%s.pub", prefix);
	struct stat st;
	if (!force && (lstat(kpath, &st) == 0 || lstat(ppath, &st) == 0))
		return qn_error_set(err, QN_ERR_USAGE, "%s: exists (use --force to replace the key pair)",
				    lstat(kpath, &st) == 0 ? kpath : ppath);
	EVP_PKEY *pkey = t == QN_KEY_ED25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
					     : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pkey) {
		char b[256];
		return qn_error_set(err, QN_ERR_RUNTIME, "generating a %s key: %s", qn_key_type_name(t),
				    ossl_reason(b));
	}
	size_t klen = 0, plen = 0;
	char *kpem = seal_password ? sealed_pem(pkey, seal_password, &klen, err) : key_pem(pkey, true, &klen);
	_cleanup_free_ char *ppem = key_pem(pkey, false, &plen);
	EVP_PKEY_free(pkey);
	int rc = -1;
	if (!kpem) {
		if (!seal_password) /* sealing says itself what failed */
			qn_error_set(err, QN_ERR_RUNTIME, "encoding the %s key as PEM failed", qn_key_type_name(t));
	} else if (!ppem)
		qn_error_set(err, QN_ERR_RUNTIME, "encoding the %s key as PEM failed", qn_key_type_name(t));
	/* the private key first, with mode 0600 from its creation: it is never readable by others */
	else if (qn_write_file_atomic(kpath, kpem, klen, 0600, err) == 0 &&
		 qn_write_file_atomic(ppath, ppem, plen, 0644, err) == 0)
		rc = 0;
	else
		unlink(kpath);
	if (kpem) {
		OPENSSL_cleanse(kpem, klen);
		free(kpem);
	}
	return rc;
}

uint8_t *qn_dsse_pae(const char *payload_type, const uint8_t *body, size_t len, size_t *out_len)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_printf(&b, "DSSEv1 %zu %s %zu ", strlen(payload_type), payload_type, len);
	qn_buf_add(&b, body, len);
	*out_len = b.len;
	return (uint8_t *)qn_buf_steal(&b);
}

int qn_key_sign(const qn_sign_key *k, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len, qn_error **err)
{
	if (!k->priv)
		return qn_error_set(err, QN_ERR_USAGE, "signing needs a private key");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = k->type == QN_KEY_ED25519 ? NULL : EVP_sha256();
	size_t n = 0;
	uint8_t *out = NULL;
	int rc = -1;
	if (ctx && EVP_DigestSignInit(ctx, NULL, md, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, NULL, &n, msg, len) == 1) {
		out = xmalloc(n ? n : 1);
		if (EVP_DigestSign(ctx, out, &n, msg, len) == 1)
			rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	if (rc < 0) {
		free(out);
		char b[256];
		return qn_error_set(err, QN_ERR_RUNTIME, "signing with the %s key: %s", qn_key_type_name(k->type),
				    ossl_reason(b));
	}
	*sig = out;
	*sig_len = n;
	return 0;
}

int qn_key_verify(const qn_sign_key *k, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len,
		  qn_error **err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = k->type == QN_KEY_ED25519 ? NULL : EVP_sha256();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) == 1 &&
		 EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return qn_error_set(err, QN_ERR_INPUT, "signature does not verify with %s key %.16s…",
				    qn_key_type_name(k->type), k->id);
	return 0;
}

/* ---- base64 (RFC 4648, standard alphabet, padded) ---- */

char *qn_base64_encode(const uint8_t *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v =
		    (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes standard or URL-safe base64, padded or not (DSSE allows both). Refuses anything else,
 * including bits left over in the last character, so that one text has one meaning. */
uint8_t *qn_base64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == '=')
		n--;
	if (n % 4 == 1 || strlen(s) - n > 2)
		return NULL;
	uint8_t *out = xmalloc(n / 4 * 3 + 3);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits && (acc & ((1u << bits) - 1))) {
		free(out);
		return NULL;
	}
	*out_len = o;
	return out;
}

json_t *qn_dsse_envelope(const char *payload_type, const uint8_t *payload, size_t len, const qn_sign_key *key,
			 qn_error **err)
{
	json_t *env = json_object();
	qn_json_set_str(env, "payloadType", payload_type);
	_cleanup_free_ char *b64 = qn_base64_encode(payload, len);
	qn_json_set_str(env, "payload", b64);
	json_t *sigs = json_array();
	json_object_set_new(env, "signatures", sigs);
	if (!key)
		return env;
	size_t plen;
	_cleanup_free_ uint8_t *pae = qn_dsse_pae(payload_type, payload, len, &plen);
	uint8_t *sig;
	size_t slen;
	if (qn_key_sign(key, pae, plen, &sig, &slen, err) < 0) {
		json_decref(env);
		return NULL;
	}
	_cleanup_free_ char *sb64 = qn_base64_encode(sig, slen);
	free(sig);
	json_array_append_new(sigs, json_pack("{s:s,s:s}", "keyid", key->id, "sig", sb64));
	return env;
}

int qn_dsse_open(const json_t *env, const qn_sign_key *pub, uint8_t **payload, size_t *payload_len, qn_error **err)
{
	const char *type = qn_json_str(env, "payloadType"), *b64 = qn_json_str(env, "payload");
	const json_t *sigs = json_object_get(env, "signatures");
	if (!json_is_object(env) || !type || !b64 || !json_is_array(sigs))
		return qn_error_set(err, QN_ERR_INPUT, "envelope: want payloadType, payload and signatures");
	size_t n;
	uint8_t *body = qn_base64_decode(b64, &n);
	if (!body)
		return qn_error_set(err, QN_ERR_INPUT, "envelope: payload is not base64");
	if (pub) {
		size_t plen;
		_cleanup_free_ uint8_t *pae = qn_dsse_pae(type, body, n, &plen);
		size_t i;
		json_t *s;
		bool matched = false, good = false;
		json_array_foreach (sigs, i, s) {
			const char *kid = qn_json_str(s, "keyid"), *sb = qn_json_str(s, "sig");
			/* a key id that names another key is not ours to try; an empty one is (DSSE makes
			 * keyid optional) */
			if (!sb || (kid && *kid && strcmp(kid, pub->id)))
				continue;
			matched = true;
			size_t slen;
			_cleanup_free_ uint8_t *sig = qn_base64_decode(sb, &slen);
			if (sig && qn_key_verify(pub, pae, plen, sig, slen, NULL) == 0)
				good = true;
		}
		if (!good) {
			free(body);
			if (!json_array_size(sigs))
				return qn_error_set(err, QN_ERR_INPUT, "signature: the envelope is not signed");
			if (!matched)
				return qn_error_set(err, QN_ERR_INPUT, "signature: no signature by key %s", pub->id);
			return qn_error_set(err, QN_ERR_INPUT, "signature: does not verify with key %s", pub->id);
		}
	}
	*payload = body;
	*payload_len = n;
	return 0;
}
