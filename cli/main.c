/* quench: entry point. Parses global options, installs signal handling that removes half-written
 * outputs, and dispatches to one cmd_<name>.c per subcommand. */
#include <signal.h>
#include <unistd.h>

#include "cli.h"

static const qn_command commands[] = {
    {"inspect", "show what is inside an image: config, OS, layers, sizes", qn_cmd_inspect},
    {"sbom", "list an image's packages: table, JSON, CycloneDX 1.6, SPDX 2.3", qn_cmd_sbom},
    {"harden", "profile an image at runtime and write a minimal drop-in image", qn_cmd_harden},
    {"db", "vulnerability database: update, import, status", qn_cmd_db},
    {"scan", "find CVEs in an image, split into base-image and application findings", qn_cmd_scan},
    {"evidence", "write and check the signed evidence bundle of a hardened image", qn_cmd_evidence},
    {"keygen", "make a signing key pair (ECDSA P-256 or Ed25519) for evidence bundles", qn_cmd_keygen},
    {"verify", "prove a hardened image: same probes, missing paths, interface, CVE delta", qn_cmd_verify},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: quench [--version] [--help] [-q|-v] COMMAND [ARGS]\n\n"
		   "quench turns a container image into a hardened one and proves it.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < QN_ARRAY_LEN(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nIMAGE is docker-archive:FILE, oci-archive:FILE, oci:DIR[:TAG], dir:ROOTFS, or a path\n"
		   "whose kind is detected. Run 'quench COMMAND --help' for a command's options.\n\n"
		   "Global options:\n"
		   "  -q, --quiet     only errors on stderr\n"
		   "  -v, --verbose   more detail on stderr (repeat for debug output)\n"
		   "  -h, --help      this help\n"
		   "      --version   print the version\n\n"
		   "Exit codes: 0 ok, 1 findings/policy/verification failed, 2 usage or bad input,\n"
		   "3 runtime failure.\n");
}

static void on_signal(int sig)
{
	qn_cleanup_run_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	install_signals();
	int i = 1;
	qn_log_level lvl = QN_LOG_WARN;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--version")) {
			printf("quench %s\n", QN_VERSION);
			return 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			lvl = QN_LOG_ERROR;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			lvl = lvl < QN_LOG_INFO ? QN_LOG_INFO : QN_LOG_DEBUG;
		else if (!strcmp(a, "-vv"))
			lvl = QN_LOG_DEBUG;
		else {
			fprintf(stderr, "quench: unknown option %s\nTry 'quench --help'.\n", a);
			return QN_EXIT_USAGE;
		}
	}
	qn_log_set_level(lvl);
	if (i >= argc) {
		usage(stderr);
		return QN_EXIT_USAGE;
	}
	for (size_t k = 0; k < QN_ARRAY_LEN(commands); k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].run(argc - i, argv + i);
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc)
			for (size_t k = 0; k < QN_ARRAY_LEN(commands); k++)
				if (!strcmp(argv[i + 1], commands[k].name)) {
					char *args[] = {argv[i + 1], "--help", NULL};
					return commands[k].run(2, args);
				}
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "quench: unknown command '%s'\nTry 'quench --help'.\n", argv[i]);
	return QN_EXIT_USAGE;
}
