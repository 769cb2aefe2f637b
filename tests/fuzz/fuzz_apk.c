/* Fuzz target: the apk installed-database reader over arbitrary bytes, and purls of its output. */
#include "pkg/osdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a ".." path component (a name like "...b" is fine) */
static bool has_dotdot(const char *p)
{
	size_t n = strlen(p);
	return strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") ||
	       (n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_pkglist l = {0};
	qn_osdb_warnings w = {0};
	qn_error *err = NULL;
	int rc = qn_apk_parse_installed(data, size, "installed", &l, &w, &err);
	/* every failure must come with a one-line message */
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const qn_package *p = &l.v[i];
		if (!p->name || !p->version || !p->source_name)
			__builtin_trap();
		for (size_t j = 0; j < p->n_files; j++)
			if (!p->files[j].path || p->files[j].path[0] == '/' || has_dotdot(p->files[j].path))
				__builtin_trap();
		free(qn_apk_purl(p, "3.20.3"));
	}
	for (size_t i = 0; i < w.lines.n; i++)
		if (strchr(w.lines.v[i], '\n'))
			__builtin_trap();
	qn_error_free(err);
	qn_pkglist_clear(&l);
	qn_osdb_warnings_clear(&w);
	return 0;
}
