/* libquench evidence: the documents that prove a hardened image, and the signed bundle that
 * carries them (docs/evidence.md, docs/attestation.md).
 *
 * Everything here is built from documents other modules computed: the "quench.verify/v1"
 * document (probe comparison, interface, CVE delta, package and path sets), the optional
 * "quench.harden/v1" report, and the SBOMs of both images. Nothing here runs containers, reads
 * images or matches CVEs.
 *
 *   vex.openvex.json         OpenVEX 0.2: not_affected / component_not_present for every CVE
 *                            whose package left the image
 *   compliance.json          NIST SP 800-53 / FedRAMP, PCI DSS 4.0, SOC 2: what the bundle shows
 *                            for each control, which file shows it, and what it does not cover
 *   report.html              one self-contained page (inline CSS and SVG, no script)
 *   attestation.intoto.json  in-toto Statement v1 about the hardened image, listing every
 *                            bundle file's sha256
 *   attestation.dsse.json    the statement in a DSSE envelope, signed (ECDSA P-256 or Ed25519)
 */
#ifndef QUENCH_EVIDENCE_H
#define QUENCH_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keys (PEM, as cosign writes and reads them) ---- */

typedef enum { QN_KEY_ECDSA_P256 = 1, QN_KEY_ED25519 } qn_key_type;

typedef struct qn_sign_key qn_sign_key;

/* Parses a PEM private key: PKCS#8 "PRIVATE KEY", PKCS#8 "ENCRYPTED PRIVATE KEY" (password
 * required) or SEC1 "EC PRIVATE KEY". Only ECDSA P-256 and Ed25519 keys are accepted. Returns a
 * new key (qn_key_free) or NULL with err (QN_ERR_INPUT). */
qn_sign_key *qn_key_parse_private(const uint8_t *pem, size_t len, const char *password, qn_error **err);
/* Parses a PEM SubjectPublicKeyInfo "PUBLIC KEY" (P-256 or Ed25519). */
qn_sign_key *qn_key_parse_public(const uint8_t *pem, size_t len, qn_error **err);
/* Reads and parses a key file (at most 64 KiB); errors name the path. */
qn_sign_key *qn_key_load_private(const char *path, const char *password, qn_error **err);
qn_sign_key *qn_key_load_public(const char *path, qn_error **err);
void qn_key_free(qn_sign_key *k);
qn_key_type qn_key_get_type(const qn_sign_key *k);
const char *qn_key_type_name(qn_key_type t); /* "ecdsa-p256", "ed25519" */
/* The key id: lowercase hex sha256 of the public key's SubjectPublicKeyInfo DER. Borrowed. */
const char *qn_key_id(const qn_sign_key *k);
bool qn_key_has_private(const qn_sign_key *k);
/* Generates a key pair and writes PREFIX.key (mode 0600) and PREFIX.pub (SubjectPublicKeyInfo
 * PEM, 0644), each atomically. The private key is unencrypted PKCS#8 PEM, or, with a
 * seal_password (which may be empty), cosign's "ENCRYPTED SIGSTORE PRIVATE KEY". Refuses to
 * overwrite existing files unless force. */
int qn_key_generate(qn_key_type t, const char *prefix, bool force, const char *seal_password, qn_error **err);

/* ---- DSSE (Dead Simple Signing Envelope v1) ---- */

#define QN_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

/* The pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with
 * LEN as ASCII decimal. Returns a new buffer (caller frees) of *out_len bytes. */
uint8_t *qn_dsse_pae(const char *payload_type, const uint8_t *body, size_t len, size_t *out_len);
/* Signs msg: ECDSA P-256 over SHA-256 (DER signature, as cosign writes it) or Ed25519 (pure).
 * *sig is a new buffer (caller frees). */
int qn_key_sign(const qn_sign_key *k, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len, qn_error **err);
/* 0 when sig is a valid signature of msg by k, -1 (with err) otherwise. */
int qn_key_verify(const qn_sign_key *k, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len,
		  qn_error **err);
/* A DSSE envelope {payloadType, payload (base64), signatures[{keyid, sig}]} over payload. With
 * key NULL, signatures is empty (an unsigned envelope). Returns a new reference or NULL. */
json_t *qn_dsse_envelope(const char *payload_type, const uint8_t *payload, size_t len, const qn_sign_key *key,
			 qn_error **err);
/* Checks an envelope: well-formed, and (when pub is not NULL) a signature whose keyid is pub's
 * key id verifies over the PAE. On success *payload (caller frees) and *payload_len get the
 * decoded payload. Errors say which part failed. */
int qn_dsse_open(const json_t *env, const qn_sign_key *pub, uint8_t **payload, size_t *payload_len, qn_error **err);

/* ---- documents ---- */

/* The OCI purl of an image: pkg:oci/NAME@sha256%3AHEX[?tag=TAG]. NAME is the last path
 * component of name without its tag, lowercased; digest is "sha256:HEX". Caller frees. */
char *qn_oci_purl(const char *name, const char *digest);

typedef struct {
	const char *product_purl; /* the hardened image (qn_oci_purl) */
	const char *timestamp;    /* RFC 3339; NULL: "1970-01-01T00:00:00Z" */
	const char *author;       /* NULL: "quench" */
} qn_vex_opts;

/* OpenVEX 0.2 document from a verify document: one not_affected / component_not_present
 * statement per CVE that left the image, the removed packages as subcomponents of the product.
 * The document id derives from the product and the statements (no clock, no randomness).
 * Returns NULL with *err == NULL when no CVE was removed (OpenVEX requires one statement), or
 * NULL with err on malformed input. */
json_t *qn_vex_build(const json_t *verify, const qn_vex_opts *o, qn_error **err);

/* The compliance map ("quench.compliance/v1"): frameworks → controls, each with what the
 * evidence shows, the bundle files that show it, and what it does not cover. signed says
 * whether the attestation carries a signature. Returns a new reference. */
json_t *qn_compliance_build(const json_t *verify, bool is_signed);

/* Appends s to a new string with &, <, >, " and ' escaped (and control bytes dropped). NULL
 * gives "". Caller frees. */
char *qn_html_escape(const char *s);

/* report.html: report is the bundle's report.json ({"verify", "harden"?, ...}); compliance as
 * built above; methodology the bundle's methodology text (rendered as preformatted text). Returns
 * a new NUL-terminated string. */
char *qn_report_html(const json_t *report, const json_t *compliance, const char *methodology);

/* methodology.md for a bundle: the fixed text of docs/methodology.md followed by a "This run"
 * section with the figures from verify. Caller frees. */
char *qn_methodology_md(const json_t *verify, const json_t *harden);
/* The fixed part alone (identical to docs/methodology.md). Borrowed. */
const char *qn_methodology_text(void);

/* ---- the bundle ---- */

#define QN_ATTEST_PREDICATE_TYPE "https://quench.invalid/attestation/hardened-image/v1"

typedef struct {
	const json_t *verify;       /* "quench.verify/v1" document (required) */
	const json_t *harden;       /* "quench.harden/v1" report, or NULL */
	const json_t *cdx[2];       /* CycloneDX of the original [0] and hardened [1] image */
	const json_t *spdx[2];      /* SPDX of the original [0] and hardened [1] image */
	const char *subject_name;   /* hardened image name (NULL: verify.hardened.ref) */
	const char *subject_digest; /* "sha256:..." of its manifest (NULL: verify.hardened.digest,
				       else its config digest) */
	const char *timestamp;      /* RFC 3339 from the hardened image config (NULL: 1970) */
	const qn_sign_key *key;     /* private key, or NULL for an unsigned bundle */
} qn_evidence_inputs;

/* Writes the bundle into dir (which must not exist, or be an empty folder): every file into a
 * temporary folder beside dir, renamed into place at the end; a failure leaves nothing.
 * report.json records verify.ok as "ok" (a failed verification still gives a bundle, marked
 * failed). Returns 0 or -1 with err. */
int qn_evidence_write(const char *dir, const qn_evidence_inputs *in, qn_error **err);

struct qn_image;
/* The whole job for callers that hold both images (quench evidence, harden --evidence): builds
 * the inventories and SBOMs of original and hardened, takes the subject from the hardened image
 * (manifest digest, else config digest for docker archives; its tag, else its reference), the
 * timestamp from its config's "created", and writes the bundle as qn_evidence_write does. verify
 * is the qn_verify document; harden and key may be NULL. Both images are borrowed (their layers
 * are read once more). */
int qn_evidence_write_images(const char *dir, struct qn_image *original, struct qn_image *hardened,
			     const json_t *verify, const json_t *harden, const qn_sign_key *key, qn_error **err);

/* Checks a bundle: the envelope's signature with pub (NULL: signature not checked), that the
 * envelope's payload is attestation.intoto.json byte for byte, that the statement is well formed,
 * that every file it lists has its sha256, that no other file is present, and that each JSON file
 * is exactly as written. Returns 0 when all holds; 1 with err naming the file or the signature
 * when a check fails; -1 with err when dir cannot be read. On 0, *summary (may be NULL) gets a
 * new {"subject","digest","signed","keyid","files":N,"ok"} object. */
int qn_evidence_verify(const char *dir, const qn_sign_key *pub, json_t **summary, qn_error **err);

#ifdef __cplusplus
}
#endif
#endif
