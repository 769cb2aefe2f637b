/* quench keygen: a signing key pair for evidence bundles, as PEM files cosign also reads. */
#include "cli.h"
#include "quench/evidence.h"

static const char *help =
    "Usage: quench keygen [--type ecdsa-p256|ed25519] [--format pkcs8|cosign] [--force] -o PREFIX\n\n"
    "Write a new signing key pair: PREFIX.key (mode 0600) and PREFIX.pub (SubjectPublicKeyInfo\n"
    "\"PUBLIC KEY\" PEM). The private key is unencrypted PKCS#8 \"PRIVATE KEY\" PEM, or with\n"
    "--format cosign, cosign's \"ENCRYPTED SIGSTORE PRIVATE KEY\" (scrypt and NaCl secretbox)\n"
    "under the password in QUENCH_KEY_PASSWORD or COSIGN_PASSWORD (one must be set; it may be\n"
    "empty), as 'cosign generate-key-pair' writes it. Sign bundles with\n"
    "'quench evidence ... --key PREFIX.key' and check them with\n"
    "'quench evidence verify DIR --key PREFIX.pub' (or cosign verify-blob-attestation).\n\n"
    "Options:\n"
    "  -t, --type TYPE   ecdsa-p256 (default; ECDSA over P-256 with SHA-256) or ed25519\n"
    "  -F, --format FMT  pkcs8 (default) or cosign\n"
    "  -o, --output PREFIX  where to write PREFIX.key and PREFIX.pub (required)\n"
    "  -f, --force       replace existing files\n"
    "  -h, --help        this help\n\n"
    "The key id used in signatures is the sha256 of the public key's DER encoding; it is printed.\n"
    "Exit codes: 0 ok, 2 usage (or the files exist), 3 runtime failure.\n";

int qn_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"type", required_argument, NULL, 't'},   {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	qn_key_type t = QN_KEY_ECDSA_P256;
	const char *prefix = NULL;
	bool force = false, cosign = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:F:o:fh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!strcmp(optarg, "ecdsa-p256") || !strcmp(optarg, "ecdsa") || !strcmp(optarg, "p256"))
				t = QN_KEY_ECDSA_P256;
			else if (!strcmp(optarg, "ed25519"))
				t = QN_KEY_ED25519;
			else
				return qn_cli_usage_error("keygen", "--type: want ecdsa-p256 or ed25519, got \"%s\"",
							  optarg);
			break;
		case 'F':
			if (strcmp(optarg, "pkcs8") && strcmp(optarg, "cosign"))
				return qn_cli_usage_error("keygen", "--format: want pkcs8 or cosign, got \"%s\"",
							  optarg);
			cosign = !strcmp(optarg, "cosign");
			break;
		case 'o':
			prefix = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(help, stdout);
			return QN_EXIT_OK;
		default:
			return qn_cli_usage_error("keygen", "unknown option");
		}
	}
	if (optind != argc)
		return qn_cli_usage_error("keygen", "unexpected argument \"%s\"", argv[optind]);
	if (!prefix || !*prefix)
		return qn_cli_usage_error("keygen", "-o PREFIX is required");
	const char *pw = NULL;
	if (cosign && !(pw = qn_cli_key_password()))
		return qn_cli_usage_error("keygen", "--format cosign: set QUENCH_KEY_PASSWORD or COSIGN_PASSWORD "
						    "(it may be empty) to the key's password");
	qn_error *err = NULL;
	if (qn_key_generate(t, prefix, force, pw, &err) < 0)
		return qn_cli_fail(err);
	_cleanup_free_ char *pub = xasprintf("%s.pub", prefix);
	qn_sign_key *k = qn_key_load_public(pub, &err);
	if (!k)
		return qn_cli_fail(err);
	printf("wrote %s.key (private%s, mode 0600) and %s (public)\n%s key id %s\n", prefix,
	       cosign ? ", cosign's encrypted format" : "", pub, qn_key_type_name(t), qn_key_id(k));
	qn_key_free(k);
	return QN_EXIT_OK;
}
