/* Fuzz target: the ld.so.cache parser and the ld.so.conf line parser. A cache either fails
 * with a one-line message or gives entries whose strings are NUL-terminated inside its own copy;
 * lookups and flag names over them stay in bounds. Any bytes are also read as an ld.so.conf:
 * folders are absolute without trailing slashes, and each include has a position. A filtered
 * copy written by qn_ldcache_write reads back as exactly the entries kept. */
#include "harden/closure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool keep_even(void *ud, const qn_ldcache_entry *e)
{
	return (size_t)(e - ((const qn_ldcache *)ud)->entries) % 2 == 0;
}

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
		/* a filtered copy (every other entry) reads back as exactly the kept entries */
		size_t len = 0, kept = 0;
		uint8_t *out = qn_ldcache_write(c, keep_even, c, &len, &kept);
		qn_ldcache *r = qn_ldcache_parse(out, len, NULL);
		if (!r || r->n != kept || r->n_bad || r->format != QN_LDCACHE_NEW)
			__builtin_trap();
		for (size_t i = 0; i < r->n; i++)
			if (strcmp(r->entries[i].key, c->entries[2 * i].key) ||
			    strcmp(r->entries[i].value, c->entries[2 * i].value) ||
			    r->entries[i].hwcap != c->entries[2 * i].hwcap)
				__builtin_trap();
		qn_ldcache_free(r);
		free(out);
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
