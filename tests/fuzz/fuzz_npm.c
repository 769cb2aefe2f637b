/* Fuzz target: package.json. A described package must come out with a name, a version and a
 * purl; anything else is "not a package" or an error with a one-line message. */
#include "pkg/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_package p = {0};
	int rc = qn_npm_parse_package_json(data, size, "node_modules/x/package.json", &p, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	if (rc == 1 && (!p.name || !p.version || !p.purl || p.eco != QN_ECO_NPM))
		__builtin_trap();
	if (rc != 1 && p.name)
		__builtin_trap();
	qn_package_clear(&p);
	qn_error_free(err);
	return 0;
}
