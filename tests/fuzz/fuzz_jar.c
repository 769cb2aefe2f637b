/* Fuzz target: Java archives (pom.properties, MANIFEST.MF, nested archives) with a small
 * extraction budget, so nested zips and bombs stay cheap. Every package must carry a name, a
 * version, a purl and a location under the outer archive's. */
#include "pkg/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_pkglist l = {0};
	qn_jar_limits lim = {4 << 20, 3};
	int rc = qn_jar_parse_limits(data, size, "app/lib/x-1.0.jar", &lim, &l, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n') || l.n))
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++)
		if (!l.v[i].name || !l.v[i].version || !l.v[i].purl ||
		    !qn_str_has_prefix(l.v[i].location, "app/lib/x-1.0.jar"))
			__builtin_trap();
	qn_pkglist_clear(&l);
	qn_error_free(err);
	return 0;
}
