/* Fuzz target: Python package metadata. The input is parsed as core metadata (METADATA /
 * PKG-INFO), as a wheel RECORD and as an egg-info installed-files.txt; every file path that comes
 * out must be canonical (relative, no "." or ".." components, no empty ones). */
#include "pkg/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int rc, qn_error *err)
{
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
}

static void check_paths(const qn_package *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const char *s = p->files[i].path;
		if (!*s || *s == '/' || strstr(s, "//") || s[strlen(s) - 1] == '/')
			__builtin_trap();
		for (const char *c = s; c; c = strchr(c, '/')) {
			c += *c == '/';
			if ((c[0] == '.' && (c[1] == '/' || !c[1])) ||
			    (c[0] == '.' && c[1] == '.' && (c[2] == '/' || !c[2])))
				__builtin_trap();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_package p = {0};
	int rc = qn_python_parse_metadata(data, size, "site-packages/x-1.dist-info/METADATA", &p, &err);
	check_err(rc, err);
	if (rc == 0 && (!p.name || !p.version || !p.purl))
		__builtin_trap();
	qn_error_free(err);
	err = NULL;
	rc = qn_python_parse_record(data, size, "usr/lib/python3/site-packages/x-1.dist-info", &p, &err);
	check_err(rc, err);
	qn_error_free(err);
	err = NULL;
	rc = qn_python_parse_installed_files(data, size, "usr/lib/python3/dist-packages/x.egg-info", &p, &err);
	check_err(rc, err);
	check_paths(&p);
	qn_error_free(err);
	qn_package_clear(&p);
	return 0;
}
