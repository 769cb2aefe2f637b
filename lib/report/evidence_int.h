/* Private helpers shared by the evidence files of the report module (dsse.c, vex.c, attest.c,
 * compliance.c, html.c, evidence.c). */
#ifndef QN_EVIDENCE_INT_H
#define QN_EVIDENCE_INT_H

#include <jansson.h>

#include "quench/evidence.h"
#include "util/util.h"

/* Standard padded base64. Caller frees. */
char *qn_base64_encode(const uint8_t *p, size_t n);
/* Standard or URL-safe, padded or not; NULL when s is not base64. Caller frees. */
uint8_t *qn_base64_decode(const char *s, size_t *out_len);

/* cosign's encrypted private key format (sigstore_key.c). _is: whether the PEM text holds such
 * a block. _open: the PKCS#8 DER inside (caller cleanses and frees), password may be empty but
 * not NULL. _seal: the PEM text of DER under password, as cosign writes it (caller frees). */
bool qn_sigstore_key_is(const uint8_t *pem, size_t len);
uint8_t *qn_sigstore_key_open(const uint8_t *pem, size_t len, const char *password, size_t *der_len, qn_error **err);
char *qn_sigstore_key_seal(const uint8_t *der, size_t n, const char *password, size_t *pem_len, qn_error **err);

/* Defensive access to documents whose keys may grow: a missing or mistyped value reads as
 * the default. p is a dotted path ("cves.before.total"). */
const json_t *qn_ev_get(const json_t *j, const char *path);
const char *qn_ev_str(const json_t *j, const char *path, const char *dflt);
long long qn_ev_int(const json_t *j, const char *path, long long dflt);
/* true / false / -1 when absent or not a boolean */
int qn_ev_bool(const json_t *j, const char *path);
/* The array at path, or an empty static array (never NULL; borrowed). */
const json_t *qn_ev_arr(const json_t *j, const char *path);

/* "sha256:HEX" of a buffer into out. */
void qn_ev_sha256(const void *p, size_t n, char out[72]);

/* The bundle's files, in the order they are written and listed. */
extern const char *const qn_ev_files[];
extern const size_t qn_ev_n_files;

/* The attestation's predicate builder (attest.c): everything except the file digests, which
 * evidence.c adds once the files exist. */
json_t *qn_attest_predicate(const qn_evidence_inputs *in);
/* The Statement around a predicate (taken). */
json_t *qn_attest_statement(const char *subject_name, const char *subject_digest, json_t *predicate);

#endif
