/* Fuzz target: the ld.so.cache parser and the ld.so.conf line parser. A cache either fails
 * with a one-line message or gives entries whose strings are NUL-terminated inside its own copy;
 * lookups and flag names over them stay in bounds. Any bytes are also read as an ld.so.conf:
 * folders are absolute without trailing slashes, and each include has a position. */
#include "harden/closure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_ldcache *c = qn_ldcache_parse(data, size, &err);
	if (!c && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
	if (c) {
		qn_elf_info x86_64 = {.elf_class = 2, .data = 1, .machine = 62};
		for (size_t i = 0; i < c->n; i++) {
			const qn_ldcache_entry *e = &c->entries[i];
			if (!e->key || !e->value)
				__builtin_trap();
			char nm[48];
			qn_ldcache_flags_name(e->flags, nm);
			if (!memchr(nm, 0, sizeof(nm)))
				__builtin_trap();
			const qn_ldcache_entry *m[4];
			size_t found = qn_ldcache_lookup(c, e->key, &x86_64, m, 4);
			if (qn_ldcache_flags_match(e->flags, &x86_64) && !found)
				__builtin_trap();
		}
		qn_ldcache_free(c);
	}
	qn_ldconf_file f;
	qn_ptrvec w = {0};
	qn_ldconf_parse(data, size, "etc/ld.so.conf", &f, &w);
	for (size_t i = 0; i < f.dirs.n; i++) {
		const char *d = f.dirs.v[i];
		size_t n = strlen(d);
		if (d[0] != '/' || (n > 1 && d[n - 1] == '/'))
			__builtin_trap();
	}
	for (size_t i = 0; i < f.includes.n; i++)
		if (f.include_at[i] > f.dirs.n || (i && f.include_at[i] < f.include_at[i - 1]))
			__builtin_trap();
	qn_ldconf_file_clear(&f);
	qn_ptrvec_clear(&w, free);
	return 0;
}
