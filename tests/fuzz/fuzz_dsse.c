/* Fuzz target: what `quench evidence verify` reads from a bundle it did not write: the DSSE
 * envelope (JSON, base64 payload and signatures) checked against a key the input cannot know,
 * PEM keys, base64 text and HTML escaping. Nothing may crash; an envelope must never verify;
 * base64 that decodes must survive a round trip; escaped text must hold no markup character. */
#include <unistd.h>

#include "report/evidence_int.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static qn_sign_key *fixed_key(void)
{
	static qn_sign_key *k;
	if (!k) {
		char dir[] = "/tmp/qnfuzz.XXXXXX";
		if (!mkdtemp(dir))
			__builtin_trap();
		char *prefix = xasprintf("%s/k", dir), *pub = xasprintf("%s/k.pub", dir),
		     *priv = xasprintf("%s/k.key", dir);
		if (qn_key_generate(QN_KEY_ED25519, prefix, false, NULL, NULL) < 0 ||
		    !(k = qn_key_load_public(pub, NULL)))
			__builtin_trap();
		unlink(pub);
		unlink(priv);
		rmdir(dir);
		free(prefix);
		free(pub);
		free(priv);
	}
	return k;
}

static void one_line(qn_error *e)
{
	if (!e || !e->msg || strchr(e->msg, '\n'))
		__builtin_trap();
	qn_error_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	size_t n;
	uint8_t *d = qn_base64_decode(s, &n);
	if (d) {
		char *e = qn_base64_encode(d, n);
		size_t n2;
		uint8_t *d2 = qn_base64_decode(e, &n2);
		if (!d2 || n2 != n || memcmp(d, d2, n))
			__builtin_trap();
		free(d2);
		free(e);
		free(d);
	}
	char *h = qn_html_escape(s);
	if (strpbrk(h, "<>\"'"))
		__builtin_trap();
	free(h);
	free(s);

	qn_error *err = NULL;
	json_t *env = qn_json_parse(data, size, 1 << 20, "envelope", &err);
	if (!env) {
		one_line(err);
	} else {
		uint8_t *p = NULL;
		if (qn_dsse_open(env, NULL, &p, &n, &err) == 0)
			free(p);
		else
			one_line(steal_pointer(&err));
		if (qn_dsse_open(env, fixed_key(), &p, &n, &err) == 0)
			__builtin_trap(); /* a signature by a key made here cannot be in the input */
		one_line(err);
		json_decref(env);
	}
	err = NULL;
	qn_sign_key *k = qn_key_parse_public(data, size, &err);
	if (k)
		qn_key_free(k);
	else
		one_line(err);
	err = NULL;
	k = qn_key_parse_private(data, size, "pw", &err);
	if (k)
		qn_key_free(k);
	else
		one_line(err);
	return 0;
}
