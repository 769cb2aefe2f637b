/* Unit tests for the evidence documents: DSSE PAE, base64, keys (both types, encrypted PKCS#8,
 * cosign's encrypted format, refused curves), signatures, envelopes, the OCI purl, OpenVEX, the compliance map, HTML
 * escaping and the page, the in-toto statement, and the bundle writer and checker (every
 * changed byte fails). */
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "quench/evidence.h"
#include "report/evidence_int.h"
#include "tap.h"
#include "util/json.h"

/* A verify document as qn_verify writes it, small but with every part the evidence reads. */
static const char fixture[] =
    "{\"schema\":\"quench.verify/v1\",\"ok\":true,"
    "\"original\":{\"ref\":\"oci:/img/oci:pyapp\",\"digest\":\"sha256:"
    "1111111111111111111111111111111111111111111111111111111111111111\",\"config_digest\":\"sha256:"
    "2222222222222222222222222222222222222222222222222222222222222222\",\"size\":1000000,\"files\":900,"
    "\"packages\":5},"
    "\"hardened\":{\"ref\":\"oci-archive:/tmp/h.tar:pyapp:hardened\",\"digest\":\"sha256:"
    "3333333333333333333333333333333333333333333333333333333333333333\",\"config_digest\":\"sha256:"
    "4444444444444444444444444444444444444444444444444444444444444444\",\"size\":300000,\"files\":200,"
    "\"packages\":3},"
    "\"interface\":{\"ok\":true,\"fields\":[{\"field\":\"User\",\"original\":\"app\",\"hardened\":\"app\","
    "\"same\":true}],\"annotations\":{}},"
    "\"probes\":[{\"label\":\"GET 8000/health\",\"kind\":\"http\",\"same\":true,\"original\":{\"status\":200},"
    "\"hardened\":{\"status\":200},\"diffs\":[]}],"
    "\"missing_paths\":[],"
    "\"packages\":{\"kept\":[{\"name\":\"libc6\",\"version\":\"2.36\",\"purl\":\"pkg:deb/debian/libc6@2.36\"}],"
    "\"trimmed\":[{\"name\":\"libsqlite3-0\",\"version\":\"3.40\",\"purl\":\"pkg:deb/debian/libsqlite3-0@3.40\","
    "\"kept_files\":1,\"total_files\":4}],"
    "\"removed\":[{\"name\":\"bash\",\"version\":\"5.2\",\"purl\":\"pkg:deb/debian/bash@5.2\",\"files\":10,"
    "\"bytes\":1000},{\"name\":\"perl-base\",\"version\":\"5.36\",\"purl\":\"pkg:deb/debian/perl-base@5.36\","
    "\"files\":20,\"bytes\":2000}]},"
    "\"paths\":{\"kept\":200,\"removed\":700,\"kept_sha256\":\"sha256:"
    "5555555555555555555555555555555555555555555555555555555555555555\",\"removed_sha256\":\"sha256:"
    "6666666666666666666666666666666666666666666666666666666666666666\",\"removed_list\":[\"bin/bash\"]},"
    "\"size\":{\"original\":1000000,\"hardened\":300000},"
    "\"cves\":{\"db\":{\"sources\":[{\"name\":\"debian-osv\",\"url\":\"file:///data\",\"fetched_at\":"
    "\"2025-02-12T00:00:00Z\",\"records\":10}]},"
    "\"before\":{\"base\":{\"CRITICAL\":1,\"HIGH\":2,\"MEDIUM\":0,\"LOW\":1,\"UNKNOWN\":0,\"total\":4},"
    "\"app\":{\"CRITICAL\":0,\"HIGH\":0,\"MEDIUM\":0,\"LOW\":0,\"UNKNOWN\":0,\"total\":0},\"total\":4},"
    "\"after\":{\"base\":{\"CRITICAL\":0,\"HIGH\":1,\"MEDIUM\":0,\"LOW\":0,\"UNKNOWN\":0,\"total\":1},"
    "\"app\":{\"CRITICAL\":0,\"HIGH\":0,\"MEDIUM\":0,\"LOW\":0,\"UNKNOWN\":0,\"total\":0},\"total\":1},"
    "\"removed\":["
    "{\"id\":\"CVE-2023-31486\",\"package\":\"perl-base\",\"purl\":\"pkg:deb/debian/perl-base@5.36\","
    "\"severity\":\"CRITICAL\",\"layer_kind\":\"base\",\"explained_by\":\"pkg:deb/debian/perl-base@5.36\"},"
    "{\"id\":\"CVE-2022-3715\",\"package\":\"bash\",\"purl\":\"pkg:deb/debian/bash@5.2\",\"severity\":\"HIGH\","
    "\"layer_kind\":\"base\",\"explained_by\":\"pkg:deb/debian/bash@5.2\"},"
    "{\"id\":\"CVE-2022-3715\",\"package\":\"perl-base\",\"purl\":\"pkg:deb/debian/perl-base@5.36\","
    "\"severity\":\"HIGH\",\"layer_kind\":\"base\",\"explained_by\":\"pkg:deb/debian/perl-base@5.36\"},"
    "{\"id\":\"CVE-2011-3374\",\"package\":\"apt\",\"severity\":\"LOW\",\"layer_kind\":\"base\"}],"
    "\"remaining\":[{\"id\":\"CVE-2025-0395\",\"package\":\"libc6\",\"purl\":\"pkg:deb/debian/libc6@2.36\","
    "\"severity\":\"HIGH\",\"layer_kind\":\"base\",\"package_state\":\"kept\"}]}}";

static json_t *load_fixture(void)
{
	json_error_t je;
	json_t *j = json_loads(fixture, 0, &je);
	if (!j)
		printf("# fixture: %s at %d\n", je.text, je.position);
	return j;
}

static void test_pae(void)
{
	/* the example of the DSSE protocol description */
	size_t n;
	uint8_t *p = qn_dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &n);
	const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	CHECK_INT(n, sizeof(want) - 1);
	CHECK(memcmp(p, want, n) == 0);
	free(p);
	p = qn_dsse_pae("", (const uint8_t *)"", 0, &n);
	CHECK_INT(n, 12);
	CHECK(memcmp(p, "DSSEv1 0  0 ", n) == 0);
	free(p);
	/* lengths count bytes, not characters, and bytes are carried as they are */
	const uint8_t body[] = {'a', 0, 0xff, '\n'};
	p = qn_dsse_pae("t/é", body, sizeof(body), &n);
	CHECK(n == strlen("DSSEv1 4 t/é 4 ") + 4 && !memcmp(p, "DSSEv1 4 t/\xc3\xa9 4 a\0\xff\n", n));
	free(p);
}

static void test_base64(void)
{
	const char *cases[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		char *e = qn_base64_encode((const uint8_t *)cases[i][0], strlen(cases[i][0]));
		CHECK_STR(e, cases[i][1]);
		size_t n;
		uint8_t *d = qn_base64_decode(e, &n);
		CHECK(d && n == strlen(cases[i][0]) && !memcmp(d, cases[i][0], n));
		free(d);
		free(e);
	}
	size_t n;
	uint8_t *d = qn_base64_decode("Zm8", &n); /* unpadded is accepted (DSSE allows it) */
	CHECK(d && n == 2 && !memcmp(d, "fo", 2));
	free(d);
	CHECK(qn_base64_decode("Zm9v!", &n) == NULL);
	d = qn_base64_decode("Zg", &n);
	CHECK(d && n == 1 && d[0] == 'f');
	free(d);
	CHECK(qn_base64_decode("Zh==", &n) == NULL); /* leftover bits: one text, one meaning */
	CHECK(qn_base64_decode("Z", &n) == NULL);
	CHECK(qn_base64_decode("Zg===", &n) == NULL);
}

static void sign_roundtrip(qn_key_type t)
{
	qn_error *err = NULL;
	CHECK(qn_key_generate(t, "k", false, NULL, &err) == 0);
	struct stat st;
	CHECK(stat("k.key", &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat("k.pub", &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK(qn_key_generate(t, "k", false, NULL, &err) < 0); /* never overwrites by accident */
	CHECK_CONTAINS(err ? err->msg : NULL, "exists");
	qn_error_free(err);
	err = NULL;
	qn_sign_key *priv = qn_key_load_private("k.key", NULL, &err), *pub = qn_key_load_public("k.pub", &err);
	CHECK(priv && pub);
	if (!priv || !pub)
		return;
	CHECK_INT(qn_key_get_type(priv), t);
	CHECK_STR(qn_key_id(priv), qn_key_id(pub));
	CHECK_INT(strlen(qn_key_id(pub)), 64);
	CHECK(qn_key_has_private(priv) && !qn_key_has_private(pub));
	uint8_t *sig;
	size_t slen;
	const char msg[] = "DSSEv1 4 type 5 hello";
	CHECK(qn_key_sign(priv, (const uint8_t *)msg, strlen(msg), &sig, &slen, &err) == 0);
	CHECK(qn_key_verify(pub, (const uint8_t *)msg, strlen(msg), sig, slen, NULL) == 0);
	if (t == QN_KEY_ECDSA_P256)
		CHECK(slen >= 8 && sig[0] == 0x30); /* DER SEQUENCE, as cosign writes */
	else
		CHECK_INT(slen, 64);
	char bad[sizeof(msg)];
	memcpy(bad, msg, sizeof(msg));
	bad[3] ^= 1;
	CHECK(qn_key_verify(pub, (const uint8_t *)bad, strlen(bad), sig, slen, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "does not verify");
	qn_error_free(err);
	err = NULL;
	free(sig);
	uint8_t *sig2 = NULL;
	CHECK(qn_key_sign(pub, (const uint8_t *)msg, 1, &sig2, &slen, &err) < 0); /* a public key cannot sign */
	qn_error_free(err);
	free(sig2);
	qn_key_free(priv);
	qn_key_free(pub);
}

static void test_sign_ecdsa(void)
{
	sign_roundtrip(QN_KEY_ECDSA_P256);
}

static void test_sign_ed25519(void)
{
	sign_roundtrip(QN_KEY_ED25519);
}

static char *pem_of(EVP_PKEY *k, const char *pass)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (pass)
		PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)pass);
	else
		PEM_write_bio_PKCS8PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *out = xstrndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

static void test_key_formats(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *enc = pem_of(k, "s3cret");
	CHECK_CONTAINS(enc, "ENCRYPTED PRIVATE KEY");
	qn_error *err = NULL;
	qn_sign_key *s = qn_key_parse_private((const uint8_t *)enc, strlen(enc), NULL, &err);
	CHECK(!s);
	CHECK_CONTAINS(err ? err->msg : NULL, "password");
	qn_error_free(err);
	err = NULL;
	s = qn_key_parse_private((const uint8_t *)enc, strlen(enc), "wrong", &err);
	CHECK(!s && err);
	qn_error_free(err);
	err = NULL;
	s = qn_key_parse_private((const uint8_t *)enc, strlen(enc), "s3cret", &err);
	CHECK(s && qn_key_get_type(s) == QN_KEY_ECDSA_P256);
	qn_key_free(s);
	free(enc);
	EVP_PKEY_free(k);

	/* other curves and algorithms are refused by name */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	char *p384 = pem_of(k, NULL);
	s = qn_key_parse_private((const uint8_t *)p384, strlen(p384), NULL, &err);
	CHECK(!s);
	CHECK_CONTAINS(err ? err->msg : NULL, "only P-256");
	qn_error_free(err);
	err = NULL;
	free(p384);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	char *x = pem_of(k, NULL);
	s = qn_key_parse_private((const uint8_t *)x, strlen(x), NULL, &err);
	CHECK(!s);
	CHECK_CONTAINS(err ? err->msg : NULL, "only ECDSA P-256 and Ed25519");
	qn_error_free(err);
	err = NULL;
	free(x);
	EVP_PKEY_free(k);
	const char junk[] = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
	CHECK(!qn_key_parse_public((const uint8_t *)junk, strlen(junk), &err));
	CHECK_CONTAINS(err ? err->msg : NULL, "public key");
	qn_error_free(err);
}

/* A cosign key whose JSON body is TEXT (any bytes), as PEM. */
static char *cosign_pem(const char *text)
{
	_cleanup_free_ char *b64 = qn_base64_encode((const uint8_t *)text, strlen(text));
	return xasprintf("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n%s\n-----END ENCRYPTED SIGSTORE PRIVATE "
			 "KEY-----\n",
			 b64);
}

static void expect_cosign_refused(const char *pem, const char *pw, const char *why)
{
	qn_error *err = NULL;
	qn_sign_key *k = qn_key_parse_private((const uint8_t *)pem, strlen(pem), pw, &err);
	CHECK(!k);
	CHECK(err && err->kind == QN_ERR_INPUT);
	CHECK_CONTAINS(err ? err->msg : NULL, why);
	qn_key_free(k);
	qn_error_free(err);
}

/* cosign's "ENCRYPTED SIGSTORE PRIVATE KEY": keygen writes it, the key reads back with the right
 * password (also an empty one), and a wrong password, a changed byte or scrypt costs that cosign
 * does not write are refused by name. */
static void test_cosign_key(void)
{
	qn_error *err = NULL;
	CHECK(qn_key_generate(QN_KEY_ECDSA_P256, "cos", false, "pw", &err) == 0);
	CHECK(qn_key_generate(QN_KEY_ED25519, "cose", false, "", &err) == 0);
	size_t n = 0, m = 0;
	_cleanup_free_ char *pem = qn_read_file("cos.key", 1 << 16, &n, &err);
	_cleanup_free_ char *pem2 = qn_read_file("cose.key", 1 << 16, &m, &err);
	CHECK(pem && pem2);
	if (!pem || !pem2)
		return;
	CHECK(qn_str_has_prefix(pem, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
	qn_sign_key *k = qn_key_parse_private((const uint8_t *)pem, n, "pw", &err);
	qn_sign_key *pub = qn_key_load_public("cos.pub", &err);
	CHECK(k && pub && qn_key_get_type(k) == QN_KEY_ECDSA_P256);
	if (k && pub)
		CHECK_STR(qn_key_id(k), qn_key_id(pub));
	qn_key_free(k);
	qn_key_free(pub);
	k = qn_key_parse_private((const uint8_t *)pem2, m, "", &err);
	CHECK(k && qn_key_get_type(k) == QN_KEY_ED25519);
	qn_key_free(k);
	expect_cosign_refused(pem, "wrong", "wrong password");
	expect_cosign_refused(pem, NULL, "COSIGN_PASSWORD");
	/* one changed byte of the ciphertext: the secretbox tag no longer matches */
	size_t jl = 0;
	char *body = xstrndup(pem + 46, n - 46 - 45);
	size_t w = 0;
	for (size_t i = 0; body[i]; i++)
		if (body[i] != '\n')
			body[w++] = body[i];
	body[w] = 0;
	_cleanup_free_ uint8_t *json = qn_base64_decode(body, &jl);
	free(body);
	CHECK(json);
	if (json) {
		_cleanup_free_ char *text = xstrndup((const char *)json, jl);
		char *ct = strstr(text, "\"ciphertext\":\"");
		CHECK(ct);
		if (ct) {
			ct[14] = ct[14] == 'A' ? 'B' : 'A';
			_cleanup_free_ char *bad = cosign_pem(text);
			expect_cosign_refused(bad, "pw", "wrong password, or the key file is corrupt");
		}
	}
	static const char *const salt = "\"salt\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"";
	static const char *const tail =
	    "\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
	    "\"ciphertext\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}";
	struct {
		const char *params, *why;
	} bad[] = {
	    {"\"N\":1099511627776,\"r\":8,\"p\":1", "unsupported scrypt parameters"},
	    {"\"N\":32768,\"r\":9,\"p\":1", "unsupported scrypt parameters"},
	    {"\"N\":-1,\"r\":8,\"p\":1", "N"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_free_ char *text =
		    xasprintf("{\"kdf\":{\"name\":\"scrypt\",\"params\":{%s},%s},%s", bad[i].params, salt, tail);
		_cleanup_free_ char *p = cosign_pem(text);
		expect_cosign_refused(p, "pw", bad[i].why);
	}
	_cleanup_free_ char *argon =
	    xasprintf("{\"kdf\":{\"name\":\"argon2\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},%s},%s", salt, tail);
	_cleanup_free_ char *p1 = cosign_pem(argon);
	expect_cosign_refused(p1, "pw", "key derivation \"argon2\" is not supported");
	_cleanup_free_ char *p2 = cosign_pem("{\"kdf\":[]}");
	expect_cosign_refused(p2, "pw", "must be objects");
	_cleanup_free_ char *p3 = cosign_pem("not json");
	expect_cosign_refused(p3, "pw", "cosign private key");
	const char trunc[] = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJ9\n";
	expect_cosign_refused(trunc, "pw", "END ENCRYPTED SIGSTORE PRIVATE KEY");
}

static void test_envelope(void)
{
	qn_error *err = NULL;
	CHECK(qn_key_generate(QN_KEY_ED25519, "e", false, NULL, &err) == 0);
	CHECK(qn_key_generate(QN_KEY_ECDSA_P256, "o", false, NULL, &err) == 0);
	qn_sign_key *priv = qn_key_load_private("e.key", NULL, &err), *pub = qn_key_load_public("e.pub", &err),
		    *other = qn_key_load_public("o.pub", &err);
	CHECK(priv && pub && other);
	if (!priv || !pub || !other)
		return;
	const char body[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
	json_t *env = qn_dsse_envelope(QN_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, strlen(body), priv, &err);
	CHECK(env);
	CHECK_STR(qn_json_str(env, "payloadType"), "application/vnd.in-toto+json");
	CHECK_STR(qn_json_str(json_array_get(json_object_get(env, "signatures"), 0), "keyid"), qn_key_id(pub));
	uint8_t *pl;
	size_t n;
	CHECK(qn_dsse_open(env, pub, &pl, &n, &err) == 0 && n == strlen(body) && !memcmp(pl, body, n));
	free(pl);
	CHECK(qn_dsse_open(env, other, &pl, &n, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "no signature by key");
	qn_error_free(err);
	err = NULL;
	/* the signature covers the type too */
	json_object_set_new(env, "payloadType", json_string("application/json"));
	CHECK(qn_dsse_open(env, pub, &pl, &n, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "does not verify");
	qn_error_free(err);
	err = NULL;
	json_decref(env);
	env = qn_dsse_envelope(QN_INTOTO_PAYLOAD_TYPE, (const uint8_t *)body, strlen(body), NULL, &err);
	CHECK(json_array_size(json_object_get(env, "signatures")) == 0);
	CHECK(qn_dsse_open(env, pub, &pl, &n, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "not signed");
	qn_error_free(err);
	json_decref(env);
	qn_key_free(priv);
	qn_key_free(pub);
	qn_key_free(other);
}

static void test_purl(void)
{
	const char *d = "sha256:abcdef";
	const char *cases[][2] = {
	    {"quench-test/pyapp:hardened", "pkg:oci/pyapp@sha256%3Aabcdef?tag=hardened"},
	    {"docker://registry.local:5000/team/App:1.0", "pkg:oci/app@sha256%3Aabcdef?tag=1.0"},
	    {"oci:/var/cache/x/oci:pyapp", "pkg:oci/pyapp@sha256%3Aabcdef"},
	    {"oci-archive:/tmp/h.tar:quench-test/pyapp:hardened", "pkg:oci/pyapp@sha256%3Aabcdef?tag=hardened"},
	    {"docker-archive:/tmp/nginx-hardened.tar", "pkg:oci/nginx-hardened@sha256%3Aabcdef"},
	    {"nginx@sha256:123", "pkg:oci/nginx@sha256%3Aabcdef"},
	    {"", "pkg:oci/image@sha256%3Aabcdef"},
	    {"we ird/na<me>:t+g", "pkg:oci/na-me-@sha256%3Aabcdef?tag=t%2Bg"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		char *p = qn_oci_purl(cases[i][0], d);
		CHECK_STR(p, cases[i][1]);
		free(p);
	}
}

static void test_vex(void)
{
	json_t *v = load_fixture();
	qn_vex_opts o = {.product_purl = "pkg:oci/pyapp@sha256%3A33", .timestamp = "2026-01-02T03:04:05Z"};
	qn_error *err = NULL;
	json_t *vex = qn_vex_build(v, &o, &err);
	CHECK(vex && !err);
	CHECK_STR(qn_json_str(vex, "@context"), "https://openvex.dev/ns/v0.2.0");
	CHECK_STR(qn_json_str(vex, "timestamp"), "2026-01-02T03:04:05Z");
	CHECK(qn_str_has_prefix(qn_json_str(vex, "@id"), "https://quench.invalid/vex/"));
	const json_t *st = json_object_get(vex, "statements");
	/* CVE-2011-3374 has no purl: it gets no statement rather than one about the whole image */
	CHECK_INT(json_array_size(st), 2);
	CHECK_STR(qn_ev_str(json_array_get(st, 0), "vulnerability.name", NULL), "CVE-2022-3715");
	CHECK_STR(qn_ev_str(json_array_get(st, 1), "vulnerability.name", NULL), "CVE-2023-31486");
	size_t i;
	json_t *s;
	json_array_foreach (st, i, s) {
		CHECK_STR(qn_json_str(s, "status"), "not_affected");
		CHECK_STR(qn_json_str(s, "justification"), "component_not_present");
		CHECK_STR(qn_ev_str(json_array_get(json_object_get(s, "products"), 0), "@id", NULL), o.product_purl);
	}
	/* a CVE explained by two removed packages names both */
	const json_t *subs =
	    qn_ev_get(json_array_get(json_object_get(json_array_get(st, 0), "products"), 0), "subcomponents");
	CHECK_INT(json_array_size(subs), 2);
	CHECK_STR(qn_ev_str(json_array_get(subs, 0), "identifiers.purl", NULL), "pkg:deb/debian/bash@5.2");
	/* deterministic: the same input gives the same document */
	json_t *again = qn_vex_build(v, &o, &err);
	char *a = qn_json_dump(vex, false), *b = qn_json_dump(again, false);
	CHECK_STR(a, b);
	free(a);
	free(b);
	json_decref(again);
	json_decref(vex);
	/* nothing removed: no document (OpenVEX needs a statement), and no error */
	json_object_set_new((json_t *)qn_ev_get(v, "cves"), "removed", json_array());
	CHECK(qn_vex_build(v, &o, &err) == NULL && err == NULL);
	o.product_purl = "pkg:deb/x";
	CHECK(qn_vex_build(v, &o, &err) == NULL && err);
	qn_error_free(err);
	json_decref(v);
}

static bool is_bundle_file(const char *f)
{
	for (size_t i = 0; i < qn_ev_n_files; i++)
		if (!strcmp(qn_ev_files[i], f))
			return true;
	return false;
}

static const json_t *control(const json_t *comp, const char *fw, const char *id)
{
	size_t i, k;
	json_t *f, *c;
	json_array_foreach (json_object_get(comp, "frameworks"), i, f)
		if (!strcmp(qn_json_str(f, "id"), fw))
			json_array_foreach (json_object_get(f, "controls"), k, c)
				if (!strcmp(qn_json_str(c, "id"), id))
					return c;
	return NULL;
}

static void test_compliance(void)
{
	json_t *v = load_fixture();
	json_t *c = qn_compliance_build(v, true);
	CHECK_STR(qn_json_str(c, "schema"), "quench.compliance/v1");
	CHECK_INT(json_array_size(json_object_get(c, "frameworks")), 3);
	const char *need[][2] = {{"nist-800-53r5", "CM-7"},  {"nist-800-53r5", "CM-8"}, {"nist-800-53r5", "RA-5"},
				 {"nist-800-53r5", "SI-2"},  {"nist-800-53r5", "SI-7"}, {"pci-dss-4.0", "2.2.4"},
				 {"pci-dss-4.0", "6.3.1"},   {"pci-dss-4.0", "11.3.1"}, {"soc2-tsc-2017", "CC7.1"},
				 {"soc2-tsc-2017", "CC8.1"}, {"soc2-tsc-2017", "CC6.8"}};
	for (size_t i = 0; i < QN_ARRAY_LEN(need); i++)
		CHECK(control(c, need[i][0], need[i][1]) != NULL);
	/* every control says something, points at files of the bundle, and names its limits */
	size_t i, k, f;
	json_t *fw, *ct, *e;
	json_array_foreach (json_object_get(c, "frameworks"), i, fw)
		json_array_foreach (json_object_get(fw, "controls"), k, ct) {
			CHECK(strlen(qn_json_str(ct, "statement")) > 20 && strlen(qn_json_str(ct, "not_covered")) > 10);
			CHECK(json_array_size(json_object_get(ct, "evidence")) > 0);
			json_array_foreach (json_object_get(ct, "evidence"), f, e)
				CHECK(is_bundle_file(json_string_value(e)));
		}
	CHECK_CONTAINS(qn_json_str(control(c, "nist-800-53r5", "RA-5"), "statement"), "4 CVE findings before, 1 after");
	CHECK_STR(qn_json_str(control(c, "nist-800-53r5", "SI-7"), "status"), "supported");
	json_decref(c);
	/* no CVE data and no signature: the map says so instead of claiming it */
	json_object_set_new(v, "cves", json_null());
	c = qn_compliance_build(v, false);
	CHECK_STR(qn_json_str(control(c, "nist-800-53r5", "RA-5"), "status"), "not_supported");
	CHECK_STR(qn_json_str(control(c, "nist-800-53r5", "SI-7"), "status"), "partial");
	CHECK_CONTAINS(qn_json_str(control(c, "nist-800-53r5", "SI-7"), "statement"), "NOT signed");
	/* and points at no VEX file, since the bundle then has none */
	_cleanup_free_ char *dump = qn_json_dump(c, false);
	CHECK(!strstr(dump, "vex.openvex.json"));
	json_decref(c);
	json_decref(v);
}

static void test_html_escape(void)
{
	char *e = qn_html_escape("<a href=\"x\">&'\x01ok</a>");
	CHECK_STR(e, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;ok&lt;/a&gt;");
	free(e);
	e = qn_html_escape(NULL);
	CHECK_STR(e, "");
	free(e);
}

static void test_html_page(void)
{
	json_t *v = load_fixture();
	/* strings from the image are hostile: a probe label, a path, a package name */
	json_object_set_new(json_array_get(json_object_get(v, "probes"), 0), "label",
			    json_string("<script>alert(1)</script>"));
	json_array_append_new(
	    (json_t *)qn_ev_get(v, "missing_paths"),
	    json_pack("{s:s,s:s}", "path", "/usr/lib/\"><img src=x onerror=alert(2)>", "seen_by", "ptrace"));
	json_object_set_new(json_array_get(qn_ev_get(v, "packages.removed"), 0), "name", json_string("b&sh</td>"));
	json_t *rep = json_pack("{s:b,s:O}", "ok", 1, "verify", v);
	json_t *comp = qn_compliance_build(v, true);
	char *md = qn_methodology_md(v, NULL);
	char *h = qn_report_html(rep, comp, md);
	CHECK(qn_str_has_prefix(h, "<!DOCTYPE html>"));
	CHECK(!strstr(h, "<script"));
	CHECK(!strstr(h, "<img"));
	CHECK_CONTAINS(h, "&lt;script&gt;alert(1)&lt;/script&gt;");
	CHECK_CONTAINS(h, "b&amp;sh&lt;/td&gt;");
	CHECK_CONTAINS(h, "&quot;&gt;&lt;img src=x");
	/* self-contained: charts inline, nothing fetched */
	CHECK_CONTAINS(h, "<svg");
	CHECK_CONTAINS(h, "Base-image CVEs by severity");
	CHECK(!strstr(h, "<link") && !strstr(h, " src=\"") && !strstr(h, "url("));
	CHECK_CONTAINS(h, "id=\"compliance\"");
	CHECK_CONTAINS(h, "id=\"methodology\"");
	CHECK_CONTAINS(h, "CM-7");
	CHECK_CONTAINS(h, "How quench hardens and verifies an image");
	free(h);
	free(md);
	json_decref(comp);
	json_decref(rep);
	json_decref(v);
}

static void test_methodology(void)
{
	json_t *v = load_fixture();
	char *md = qn_methodology_md(v, NULL);
	CHECK(qn_str_has_prefix(md, qn_methodology_text()));
	CHECK_CONTAINS(md, "## Limits");
	CHECK_CONTAINS(md, "## This run");
	CHECK_CONTAINS(md, "debian-osv");
	CHECK_CONTAINS(md, "2 removed");
	free(md);
	json_decref(v);
}

static json_t *read_json(const char *path)
{
	json_error_t je;
	return json_load_file(path, 0, &je);
}

static int write_bundle(const char *dir, const json_t *v, const qn_sign_key *k, qn_error **err)
{
	json_t *cdx = json_pack("{s:s,s:s}", "bomFormat", "CycloneDX", "specVersion", "1.6");
	json_t *spdx = json_pack("{s:s}", "spdxVersion", "SPDX-2.3");
	qn_evidence_inputs in = {.verify = v,
				 .cdx = {cdx, cdx},
				 .spdx = {spdx, spdx},
				 .subject_name = "quench-test/pyapp:hardened",
				 .timestamp = "2026-01-02T03:04:05Z",
				 .key = k};
	int rc = qn_evidence_write(dir, &in, err);
	json_decref(cdx);
	json_decref(spdx);
	return rc;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_statement(void)
{
	json_t *v = load_fixture();
	qn_error *err = NULL;
	CHECK(write_bundle("b", v, NULL, &err) == 0);
	json_t *st = read_json("b/attestation.intoto.json");
	CHECK_STR(qn_json_str(st, "_type"), "https://in-toto.io/Statement/v1");
	CHECK_STR(qn_json_str(st, "predicateType"), QN_ATTEST_PREDICATE_TYPE);
	const json_t *sub = json_array_get(json_object_get(st, "subject"), 0);
	CHECK_STR(qn_json_str(sub, "name"), "quench-test/pyapp:hardened");
	CHECK_STR(qn_ev_str(sub, "digest.sha256", NULL),
		  "3333333333333333333333333333333333333333333333333333333333333333");
	const json_t *p = json_object_get(st, "predicate");
	CHECK_STR(qn_ev_str(p, "original.digest", NULL),
		  "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	CHECK_STR(qn_ev_str(p, "keep.paths.sha256", NULL),
		  "sha256:5555555555555555555555555555555555555555555555555555555555555555");
	CHECK_STR(qn_ev_str(p, "remove.paths.sha256", NULL),
		  "sha256:6666666666666666666666666666666666666666666666666666666666666666");
	CHECK_INT(qn_ev_int(p, "remove.packages.count", -1), 2);
	CHECK(qn_str_has_prefix(qn_ev_str(p, "remove.packages.sha256", ""), "sha256:"));
	CHECK_INT(qn_ev_int(p, "cves.before.total", -1), 4);
	CHECK_INT(qn_ev_int(p, "cves.after.total", -1), 1);
	CHECK_STR(qn_ev_str(json_array_get(qn_ev_arr(p, "cves.database.sources"), 0), "fetched_at", NULL),
		  "2025-02-12T00:00:00Z");
	CHECK_STR(qn_ev_str(p, "quench_version", NULL), QN_VERSION);
	CHECK(qn_ev_bool(p, "verification.ok") == 1);
	CHECK_INT(json_array_size(qn_ev_arr(p, "verification.probes")), 1);
	CHECK_INT(json_array_size(qn_ev_arr(p, "bundle.files")), 9);
	/* the unsigned envelope carries the statement byte for byte */
	json_t *env = read_json("b/attestation.dsse.json");
	size_t n, slen;
	uint8_t *pl = qn_base64_decode(qn_json_str(env, "payload"), &n);
	char *sdata = qn_read_file("b/attestation.intoto.json", 1 << 20, &slen, NULL);
	CHECK(pl && sdata && n == slen && !memcmp(pl, sdata, n));
	free(pl);
	free(sdata);
	json_decref(env);
	json_decref(st);
	/* no signature: digests check, the signature check refuses */
	json_t *sum = NULL;
	CHECK(qn_evidence_verify("b", NULL, &sum, &err) == 0);
	CHECK(sum && json_is_false(json_object_get(sum, "signature_checked")));
	json_decref(sum);
	json_decref(v);
}

/* Flips one byte of a file and checks that the bundle then fails, naming the file; restores. */
static void flip_fails(const char *dir, const char *name, const qn_sign_key *pub)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	size_t len;
	char *data = qn_read_file(path, 64 << 20, &len, NULL);
	CHECK(data && len > 0);
	if (!data)
		return;
	size_t at[] = {0, len / 2, len - 2};
	for (size_t i = 0; i < QN_ARRAY_LEN(at); i++) {
		data[at[i]] ^= 0x01;
		tap_write(path, data, len);
		qn_error *err = NULL;
		int r = qn_evidence_verify(dir, pub, NULL, &err);
		if (r != 1)
			printf("# %s byte %zu changed, verify gave %d\n", name, at[i], r);
		CHECK_INT(r, 1);
		CHECK(err && (strstr(err->msg, name) || strstr(err->msg, "attestation")));
		qn_error_free(err);
		data[at[i]] ^= 0x01;
	}
	tap_write(path, data, len);
	free(data);
}

static void test_bundle(void)
{
	json_t *v = load_fixture();
	qn_error *err = NULL;
	CHECK(qn_key_generate(QN_KEY_ECDSA_P256, "k", false, NULL, &err) == 0);
	qn_sign_key *priv = qn_key_load_private("k.key", NULL, &err), *pub = qn_key_load_public("k.pub", &err);
	CHECK(priv && pub);
	if (!priv || !pub)
		return;
	CHECK(write_bundle("out", v, priv, &err) == 0);
	for (size_t i = 0; i < qn_ev_n_files; i++) {
		char p[256];
		snprintf(p, sizeof(p), "out/%s", qn_ev_files[i]);
		CHECK(access(p, R_OK) == 0);
	}
	CHECK_INT(count_entries("out"), qn_ev_n_files);
	CHECK_INT(count_entries("."), 3); /* k.key, k.pub, out: no temporary folder left */
	/* every file the compliance map points to is in the bundle */
	json_t *comp = read_json("out/compliance.json");
	size_t fi, ci, ei;
	json_t *fw, *ct, *ev;
	json_array_foreach (json_object_get(comp, "frameworks"), fi, fw)
		json_array_foreach (json_object_get(fw, "controls"), ci, ct)
			json_array_foreach (json_object_get(ct, "evidence"), ei, ev) {
				char p[256];
				snprintf(p, sizeof(p), "out/%s", json_string_value(ev));
				CHECK(access(p, R_OK) == 0);
			}
	json_decref(comp);
	json_t *sum = NULL;
	CHECK(qn_evidence_verify("out", pub, &sum, &err) == 0);
	CHECK(json_is_true(json_object_get(sum, "signature_checked")));
	CHECK_INT(json_integer_value(json_object_get(sum, "files")), 9);
	json_decref(sum);
	for (size_t i = 0; i < qn_ev_n_files; i++)
		flip_fails("out", qn_ev_files[i], pub);
	CHECK(qn_evidence_verify("out", pub, NULL, &err) == 0); /* restored */
	tap_write("out/extra.txt", "x", 1);
	CHECK(qn_evidence_verify("out", pub, NULL, &err) == 1);
	CHECK_CONTAINS(err ? err->msg : NULL, "extra.txt: in the bundle but not listed");
	qn_error_free(err);
	err = NULL;
	unlink("out/extra.txt");
	unlink("out/compliance.json");
	CHECK(qn_evidence_verify("out", pub, NULL, &err) == 1);
	CHECK_CONTAINS(err ? err->msg : NULL, "compliance.json");
	qn_error_free(err);
	err = NULL;
	/* a target that holds something is refused, and nothing is left beside it */
	CHECK(write_bundle("out", v, priv, &err) < 0);
	CHECK_CONTAINS(err ? err->msg : NULL, "not an empty folder");
	qn_error_free(err);
	err = NULL;
	/* bad input fails before anything is written */
	json_object_set_new(v, "schema", json_string("something/else"));
	CHECK(write_bundle("none", v, priv, &err) < 0 && access("none", F_OK) != 0);
	qn_error_free(err);
	err = NULL;
	json_object_set_new(v, "schema", json_string("quench.verify/v1"));
	CHECK(write_bundle("pubkey", v, pub, &err) < 0); /* a public key cannot sign */
	qn_error_free(err);
	CHECK_INT(count_entries("."), 3);
	qn_key_free(priv);
	qn_key_free(pub);
	json_decref(v);
}

static void test_failed_verification(void)
{
	json_t *v = load_fixture();
	json_object_set_new(v, "ok", json_false());
	qn_error *err = NULL;
	CHECK(write_bundle("f", v, NULL, &err) == 0);
	json_t *r = read_json("f/report.json");
	CHECK_STR(qn_json_str(r, "status"), "failed");
	CHECK(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	char *h = qn_read_file("f/report.html", 1 << 24, &(size_t){0}, NULL);
	CHECK_CONTAINS(h, "VERIFICATION FAILED");
	free(h);
	/* a trailing slash names the same folder; the temporary folder still goes beside it */
	CHECK(write_bundle("g/", v, NULL, &err) == 0);
	CHECK(access("g/report.json", R_OK) == 0);
	CHECK_INT(count_entries("."), 2);
	CHECK(write_bundle("..", v, NULL, &err) < 0);
	qn_error_free(err);
	json_decref(v);
}

int main(void)
{
	TAP_RUN(test_pae);
	TAP_RUN(test_base64);
	TAP_RUN(test_sign_ecdsa);
	TAP_RUN(test_sign_ed25519);
	TAP_RUN(test_key_formats);
	TAP_RUN(test_cosign_key);
	TAP_RUN(test_envelope);
	TAP_RUN(test_purl);
	TAP_RUN(test_vex);
	TAP_RUN(test_compliance);
	TAP_RUN(test_html_escape);
	TAP_RUN(test_html_page);
	TAP_RUN(test_methodology);
	TAP_RUN(test_statement);
	TAP_RUN(test_bundle);
	TAP_RUN(test_failed_verification);
	return tap_done();
}
