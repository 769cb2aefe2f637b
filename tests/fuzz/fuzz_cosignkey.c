/* Fuzz target: cosign's encrypted private key format over arbitrary bytes, read with a fixed
 * password. Every input is refused with a one-line message naming what was wrong, or gives a
 * signing key (the corpus holds real keys under that password). */
#include <string.h>

#include "quench/evidence.h"
#include "report/evidence_int.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	size_t n = 0;
	uint8_t *der = qn_sigstore_key_open(data, size, "fuzz", &n, &err);
	if (!der) {
		if (!err || !err->msg || strchr(err->msg, '\n'))
			__builtin_trap();
		qn_error_free(err);
	}
	free(der);
	err = NULL;
	/* the whole path a --key file takes */
	qn_sign_key *k = qn_key_parse_private(data, size, "fuzz", &err);
	if (!k && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_key_free(k);
	qn_error_free(err);
	return 0;
}
