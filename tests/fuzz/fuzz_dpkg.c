/* Fuzz target: the dpkg readers over arbitrary bytes: the status parser (with and without
 * require_status) and the copyright licence reader on the whole input; the .list parser on the
 * part before the first form feed and md5sums, matched against that list, on the part after it;
 * and purl building on whatever packages came out. */
#include "pkg/osdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* every failure must come with a one-line message */
static void check_err(int rc, qn_error *err)
{
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	if (rc == 0 && err)
		__builtin_trap();
}

static void status(const uint8_t *data, size_t size, bool require_status, qn_osdb_warnings *w)
{
	qn_pkglist l = {0};
	qn_error *err = NULL;
	int rc = qn_dpkg_parse_status(data, size, "status", require_status, &l, w, &err);
	check_err(rc, err);
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].name || !l.v[i].version || !l.v[i].source_name || !l.v[i].source_version)
			__builtin_trap();
		free(qn_dpkg_purl(&l.v[i], "debian", "12"));
	}
	qn_error_free(err);
	qn_pkglist_clear(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_osdb_warnings w = {0};
	status(data, size, true, &w);
	status(data, size, false, &w);
	const uint8_t *ff = size ? memchr(data, '\f', size) : NULL;
	size_t nlist = ff ? (size_t)(ff - data) : size;
	qn_pkg_file *files = NULL;
	size_t n = 0;
	qn_error *err = NULL;
	int rc = qn_dpkg_parse_list(data, nlist, "x.list", &files, &n, &w, &err);
	check_err(rc, err);
	qn_error_free(err);
	err = NULL;
	if (rc == 0) {
		if (ff) {
			rc = qn_dpkg_parse_md5sums(ff + 1, size - nlist - 1, "x.md5sums", files, n, &w, &err);
			check_err(rc, err);
			qn_error_free(err);
		}
		for (size_t i = 0; i < n; i++) {
			if (!files[i].path || files[i].path[0] == '/' || !files[i].path[0])
				__builtin_trap();
			free(files[i].path);
			free(files[i].digest);
		}
		free(files);
	}
	char *lic = NULL;
	if ((qn_dpkg_copyright_licenses(data, size, &lic) > 0) != (lic != NULL))
		__builtin_trap();
	free(lic);
	for (size_t i = 0; i < w.lines.n; i++)
		if (strchr(w.lines.v[i], '\n'))
			__builtin_trap();
	qn_osdb_warnings_clear(&w);
	return 0;
}
