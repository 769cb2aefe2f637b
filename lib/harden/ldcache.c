/* The loader's configuration inside an image: /etc/ld.so.cache and ld.so.conf.
 *
 * ld.so.cache comes in three layouts, all still written by glibc's `ldconfig -c`: the old one
 * ("ld.so-1.7.0", 12-byte entries, strings after the entries), the new one ("glibc-ld.so.cache1.1",
 * 24-byte entries, strings relative to the new header) and "compat", the old layout with the new one
 * appended after the old entries; the loader then reads only the new part. A cache the loader would
 * reject as a whole (bad magic, an entry table larger than the file, a byte-order mark saying
 * "invalid") is an error; single entries with out-of-range strings are skipped, as the loader
 * skips them. The loader looks entries up by binary search over ldconfig's sort order; we scan
 * linearly, which finds the same entries in a well-formed cache and never misses one in a
 * hostile, unsorted one.
 *
 * ld.so.conf is read the way ldconfig reads it: '#' comments, one folder per line ("=TYPE"
 * suffixes dropped), `include` with glob patterns relative to the including file's folder, and
 * `hwcap` lines ignored. The loader itself never reads ld.so.conf; the closure keeps the files
 * because they are what rebuilds the cache, and uses them to explain a library the cache misses.
 * qn_ldcache_write writes a filtered copy of a cache, always in the new layout. */
#include <ctype.h>
#include <strings.h>

#include "closure.h"
#include "util/path.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HDR 16   /* magic[11], padding, uint32 nlibs */
#define OLD_ENTRY 12 /* int32 flags, uint32 key, uint32 value */
#define NEW_HDR 48   /* magic[17] version[3] nlibs len_strings flags pad[3] extension_offset unused[3] */
#define NEW_ENTRY 24 /* flags key value osversion uint64 hwcap */
#define MAX_CONF_DEPTH 16
#define MAX_CONF_FILES 1024
#define MAX_CONF_SIZE (1u << 20)

/* ---- ld.so.cache ---- */

static uint32_t get32(const uint8_t *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t get64(const uint8_t *p, bool be)
{
	uint64_t hi = get32(p + (be ? 0 : 4), be), lo = get32(p + (be ? 4 : 0), be);
	return hi << 32 | lo;
}

/* Whether n entries of esz bytes fit between off and the end of a len-byte file. Written with
 * divisions so a hostile count cannot overflow the product. */
static bool table_fits(size_t len, size_t off, uint64_t n, size_t esz)
{
	return off <= len && n <= (len - off) / esz;
}

/* The string at offset rel from base, if it starts inside the file and ends with a NUL there;
 * NULL otherwise (the loader only checks the start; we also refuse to run off the end). */
static const char *cache_string(const qn_ldcache *c, size_t len, size_t base, uint32_t rel)
{
	if (base > len || rel >= len - base)
		return NULL;
	const char *s = (const char *)c->data + base + rel;
	return memchr(s, 0, len - base - rel) ? s : NULL;
}

static void add_entry(qn_ldcache *c, size_t len, size_t base, const uint8_t *e, bool is_new)
{
	qn_ldcache_entry x = {.flags = (int32_t)get32(e, c->big_endian)};
	x.key = cache_string(c, len, base, get32(e + 4, c->big_endian));
	x.value = cache_string(c, len, base, get32(e + 8, c->big_endian));
	if (is_new) {
		x.osversion = get32(e + 12, c->big_endian);
		x.hwcap = get64(e + 16, c->big_endian);
	}
	if (!x.key || !x.value) {
		c->n_bad++;
		return;
	}
	c->entries[c->n++] = x;
}

/* The byte order of a header whose count field is at cnt_off: the one under which the table
 * fits in the file (little-endian first, as on nearly every machine that runs containers). */
static bool guess_be(const uint8_t *buf, size_t len, size_t cnt_off, size_t hdr, size_t esz)
{
	return !table_fits(len, hdr, get32(buf + cnt_off, false), esz) &&
	       table_fits(len, hdr, get32(buf + cnt_off, true), esz);
}

static int parse_new(qn_ldcache *c, size_t len, size_t base, qn_error **err)
{
	const uint8_t *h = c->data + base;
	if (len - base < NEW_HDR)
		return qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: new-format header truncated");
	/* flags bits 0-1: 0 unset (old ldconfig), 1 invalid, 2 little-endian, 3 big-endian; the
	 * loader ignores a cache marked for the other byte order or marked invalid */
	switch (h[28] & 3) {
	case 0:
		c->big_endian = guess_be(h, len - base, 20, NEW_HDR, NEW_ENTRY);
		break;
	case 1:
		return qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: byte order marked invalid");
	case 2:
		c->big_endian = false;
		break;
	default:
		c->big_endian = true;
		break;
	}
	uint32_t n = get32(h + 20, c->big_endian);
	if (!table_fits(len - base, NEW_HDR, n, NEW_ENTRY))
		return qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: %u entries do not fit in %zu bytes", n, len);
	c->new_at = base;
	c->entries = xcalloc(n ? n : 1, sizeof(qn_ldcache_entry));
	for (uint32_t i = 0; i < n; i++)
		add_entry(c, len, base, h + NEW_HDR + (size_t)i * NEW_ENTRY, true);
	return 0;
}

/* The new header inside a compat file: right after the old entries, aligned as the writer's
 * compiler aligned struct cache_file_new (8 on 64-bit machines, 4 on i386). */
static size_t find_new_part(const uint8_t *buf, size_t len, size_t end_old)
{
	size_t cands[2] = {(end_old + 7) & ~(size_t)7, (end_old + 3) & ~(size_t)3};
	for (size_t i = 0; i < 2; i++)
		if (cands[i] <= len && len - cands[i] >= NEW_HDR && !memcmp(buf + cands[i], NEW_MAGIC, 20))
			return cands[i];
	return 0;
}

static int parse_old(qn_ldcache *c, size_t len, qn_error **err)
{
	if (len < OLD_HDR)
		return qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: old-format header truncated");
	c->big_endian = guess_be(c->data, len, 12, OLD_HDR, OLD_ENTRY);
	uint32_t n = get32(c->data + 12, c->big_endian);
	if (!table_fits(len, OLD_HDR, n, OLD_ENTRY))
		return qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: %u entries do not fit in %zu bytes", n, len);
	size_t end_old = OLD_HDR + (size_t)n * OLD_ENTRY;
	size_t new_at = find_new_part(c->data, len, end_old);
	if (new_at) {
		c->format = QN_LDCACHE_COMPAT;
		return parse_new(c, len, new_at, err);
	}
	c->format = QN_LDCACHE_OLD;
	c->entries = xcalloc(n ? n : 1, sizeof(qn_ldcache_entry));
	for (uint32_t i = 0; i < n; i++) /* old strings are relative to the end of the entries */
		add_entry(c, len, end_old, c->data + OLD_HDR + (size_t)i * OLD_ENTRY, false);
	return 0;
}

qn_ldcache *qn_ldcache_parse(const uint8_t *buf, size_t len, qn_error **err)
{
	qn_ldcache *c = xcalloc(1, sizeof(*c));
	c->data = xmemdup(buf ? buf : (const uint8_t *)"", len);
	c->len = len;
	int rc;
	if (len >= 20 && !memcmp(buf, NEW_MAGIC, 20)) {
		c->format = QN_LDCACHE_NEW;
		rc = parse_new(c, len, 0, err);
	} else if (len >= 11 && !memcmp(buf, OLD_MAGIC, 11)) {
		rc = parse_old(c, len, err);
	} else {
		rc = qn_error_set(err, QN_ERR_INPUT, "ld.so.cache: unknown format (no ld.so cache magic)");
	}
	if (rc < 0) {
		qn_ldcache_free(c);
		return NULL;
	}
	return c;
}

void qn_ldcache_free(qn_ldcache *c)
{
	if (!c)
		return;
	free(c->entries);
	free(c->data);
	free(c);
}

/* ---- writing a filtered cache ---- */

#define EXT_MAGIC 0xeaa42174u /* struct cache_extension */
#define EXT_TAG_GENERATOR 0
#define EXT_TAG_HWCAPS 1

static void put32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v, bool be)
{
	put32(p + (be ? 4 : 0), (uint32_t)v, be);
	put32(p + (be ? 0 : 4), (uint32_t)(v >> 32), be);
}

static void buf_add32(qn_buf *b, uint32_t v, bool be)
{
	uint8_t x[4];
	put32(x, v, be);
	qn_buf_add(b, x, 4);
}

static void buf_align4(qn_buf *b)
{
	while (b->len % 4)
		qn_buf_addc(b, 0);
}

/* The sections of the original extension directory this writer carries over. */
typedef struct {
	const uint8_t *gen; /* generator string (not NUL-terminated), or NULL */
	uint32_t gen_len, gen_flags;
	const char **hwcaps; /* glibc-hwcaps subfolder names, by index */
	uint32_t n_hwcaps, hw_flags;
	bool has_hwcaps;
} ext_in;

static void read_extensions(const qn_ldcache *c, ext_in *x)
{
	memset(x, 0, sizeof(*x));
	if (c->format == QN_LDCACHE_OLD || c->len - c->new_at < NEW_HDR)
		return;
	/* the directory and section offsets count from the start of the file (in a compat file, before
	 * the new header); the subfolder names are in the string table, relative to the new header */
	const uint8_t *h = c->data;
	size_t hl = c->len;
	bool be = c->big_endian;
	uint32_t off = get32(h + c->new_at + 32, be);
	if (!off || off % 4 || off > hl || hl - off < 8 || get32(h + off, be) != EXT_MAGIC)
		return;
	uint32_t cnt = get32(h + off + 4, be);
	if (cnt > (hl - off - 8) / 16)
		return;
	for (uint32_t i = 0; i < cnt; i++) {
		const uint8_t *sec = h + off + 8 + (size_t)i * 16;
		uint32_t tag = get32(sec, be), fl = get32(sec + 4, be), so = get32(sec + 8, be),
			 sz = get32(sec + 12, be);
		if (so > hl || sz > hl - so)
			continue;
		if (tag == EXT_TAG_GENERATOR && !x->gen) {
			x->gen = h + so, x->gen_len = sz, x->gen_flags = fl;
		} else if (tag == EXT_TAG_HWCAPS && !x->has_hwcaps && sz % 4 == 0) {
			const char **names = xcalloc(sz / 4 + 1, sizeof(char *));
			bool ok = true;
			for (uint32_t k = 0; ok && k < sz / 4; k++)
				ok = (names[k] = cache_string(c, c->len, c->new_at,
							      get32(h + so + 4 * (size_t)k, be))) != NULL;
			if (!ok) { /* the loader cannot use a list with a broken name either */
				free(names);
				continue;
			}
			x->hwcaps = names, x->n_hwcaps = sz / 4, x->hw_flags = fl, x->has_hwcaps = true;
		}
	}
}

/* The offset (from the header) of s in the string table being built, adding it once. */
static uint32_t intern(qn_buf *strs, qn_strset *seen, size_t str_start, const char *s)
{
	void *v = qn_strset_get(seen, s);
	if (v)
		return (uint32_t)((uintptr_t)v - 1);
	uint32_t at = (uint32_t)(str_start + strs->len);
	qn_buf_add(strs, s, strlen(s) + 1);
	qn_strset_put(seen, s, (void *)((uintptr_t)at + 1));
	return at;
}

uint8_t *qn_ldcache_write(const qn_ldcache *c, bool (*keep)(void *ud, const qn_ldcache_entry *e), void *ud, size_t *len,
			  size_t *kept)
{
	bool be = c->big_endian;
	bool *take = xcalloc(c->n + 1, sizeof(bool));
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += take[i] = !keep || keep(ud, &c->entries[i]);
	ext_in x;
	read_extensions(c, &x);
	size_t str_start = NEW_HDR + n * NEW_ENTRY;
	qn_buf out = QN_BUF_INIT, strs = QN_BUF_INIT;
	qn_strset seen = QN_STRSET_INIT;
	qn_buf_reserve(&out, str_start);
	memset(out.data, 0, str_start);
	out.len = str_start;
	uint8_t *e = (uint8_t *)out.data + NEW_HDR;
	for (size_t i = 0; i < c->n; i++) {
		if (!take[i])
			continue;
		const qn_ldcache_entry *en = &c->entries[i];
		put32(e, (uint32_t)en->flags, be);
		put32(e + 4, intern(&strs, &seen, str_start, en->key), be);
		put32(e + 8, intern(&strs, &seen, str_start, en->value), be);
		put32(e + 12, en->osversion, be);
		put64(e + 16, en->hwcap, be);
		e += NEW_ENTRY;
	}
	uint32_t *hw_off = xcalloc(x.n_hwcaps + 1, sizeof(uint32_t));
	for (uint32_t k = 0; k < x.n_hwcaps; k++)
		hw_off[k] = intern(&strs, &seen, str_start, x.hwcaps[k]);
	size_t len_strings = strs.len;
	qn_buf_add(&out, strs.data, strs.len);
	uint32_t n_sec = (x.gen ? 1u : 0u) + (x.has_hwcaps ? 1u : 0u), ext_off = 0;
	if (n_sec) {
		buf_align4(&out);
		ext_off = (uint32_t)out.len;
		size_t dir_end = out.len + 8 + 16 * (size_t)n_sec;
		size_t gen_at = dir_end, hw_at = (gen_at + (x.gen ? x.gen_len : 0) + 3) & ~(size_t)3;
		buf_add32(&out, EXT_MAGIC, be);
		buf_add32(&out, n_sec, be);
		if (x.gen) {
			buf_add32(&out, EXT_TAG_GENERATOR, be);
			buf_add32(&out, x.gen_flags, be);
			buf_add32(&out, (uint32_t)gen_at, be);
			buf_add32(&out, x.gen_len, be);
		}
		if (x.has_hwcaps) {
			buf_add32(&out, EXT_TAG_HWCAPS, be);
			buf_add32(&out, x.hw_flags, be);
			buf_add32(&out, (uint32_t)hw_at, be);
			buf_add32(&out, 4 * x.n_hwcaps, be);
		}
		if (x.gen)
			qn_buf_add(&out, x.gen, x.gen_len);
		if (x.has_hwcaps) {
			buf_align4(&out);
			for (uint32_t k = 0; k < x.n_hwcaps; k++)
				buf_add32(&out, hw_off[k], be);
		}
	}
	uint8_t *hd = (uint8_t *)out.data;
	memcpy(hd, NEW_MAGIC, 20);
	put32(hd + 20, (uint32_t)n, be);
	put32(hd + 24, (uint32_t)len_strings, be);
	hd[28] = be ? 3 : 2; /* the byte-order mark ldconfig writes */
	put32(hd + 32, ext_off, be);
	free(hw_off);
	free(x.hwcaps);
	free(take);
	qn_strset_clear(&seen);
	qn_buf_clear(&strs);
	*len = out.len;
	if (kept)
		*kept = n;
	return (uint8_t *)qn_buf_steal(&out);
}

enum {
	EM_386 = 3,
	EM_MIPS = 8,
	EM_PPC64 = 21,
	EM_S390 = 22,
	EM_ARM = 40,
	EM_SPARCV9 = 43,
	EM_IA_64 = 50,
	EM_X86_64 = 62,
	EM_AARCH64 = 183,
	EM_RISCV = 243,
	EM_LOONGARCH = 258,
};

/* The ABI bits (high byte) glibc's loader for this ABI requires, from the per-architecture
 * dl-cache.h; -1 for ABIs that accept the plain 0x0001 / 0x0003 entries (i386, 32-bit PowerPC,
 * 31-bit s390, o32 MIPS, and everything not listed). */
static int required_bits(const qn_elf_info *abi)
{
	bool is64 = abi->elf_class == QN_ELFCLASS64;
	switch (abi->machine) {
	case EM_X86_64:
		return is64 ? QN_LDCACHE_X8664_LIB64 : QN_LDCACHE_X8664_LIBX32;
	case EM_AARCH64:
		return QN_LDCACHE_AARCH64_LIB64;
	case EM_ARM: /* EF_ARM_ABI_FLOAT_HARD: hard-float, else soft-float */
		return abi->eflags & 0x400 ? 0x0900 : 0x0b00;
	case EM_PPC64:
		return 0x0500;
	case EM_S390:
		return is64 ? 0x0400 : -1;
	case EM_SPARCV9:
		return 0x0100;
	case EM_IA_64:
		return 0x0200;
	case EM_MIPS: { /* EF_MIPS_NAN2008 0x400, EF_MIPS_ABI2 (n32) 0x20 */
		bool nan2008 = abi->eflags & 0x400;
		if (is64)
			return nan2008 ? 0x0e00 : 0x0700;
		if (abi->eflags & 0x20)
			return nan2008 ? 0x0d00 : 0x0600;
		return nan2008 ? 0x0c00 : -1;
	}
	case EM_RISCV: /* EF_RISCV_FLOAT_ABI: 0 soft, 4 double */
		if (!is64)
			return -1;
		return (abi->eflags & 6) == 4 ? 0x1000 : (abi->eflags & 6) == 0 ? 0x0f00 : -1;
	case EM_LOONGARCH: /* base ABI in the low bits: 1 soft (lp64s), 3 double (lp64d) */
		return (abi->eflags & 7) == 1 ? 0x1100 : 0x1200;
	default:
		return -1;
	}
}

bool qn_ldcache_flags_match(int32_t flags, const qn_elf_info *abi)
{
	int req = required_bits(abi);
	if (req < 0)
		return flags == QN_LDCACHE_ELF || flags == QN_LDCACHE_ELF_LIBC6;
	return flags == (req | QN_LDCACHE_ELF_LIBC6);
}

const char *qn_ldcache_flags_name(int32_t flags, char out[static 48])
{
	/* the words ldconfig -p prints (print_entry in glibc's elf/cache.c) */
	static const char *const types[] = {"libc4", "ELF", "libc5", "libc6"};
	static const char *const abis[] = {
	    NULL,          ",64bit",        ",IA-64",      ",x86-64",      ",64bit",
	    ",64bit",      ",N32",          ",64bit",      ",x32",         ",hard-float",
	    ",AArch64",    ",soft-float",   ",nan2008",    ",N32,nan2008", ",64bit,nan2008",
	    ",soft-float", ",double-float", ",soft-float", ",double-float"};
	uint32_t t = (uint32_t)flags & QN_LDCACHE_TYPE_MASK, a = ((uint32_t)flags & 0xff00) >> 8;
	const char *ts = t < QN_ARRAY_LEN(types) ? types[t] : "unknown";
	if (a == 0)
		snprintf(out, 48, "%s", ts);
	else if (a < QN_ARRAY_LEN(abis))
		snprintf(out, 48, "%s%s", ts, abis[a]);
	else
		snprintf(out, 48, "%s,%u", ts, a << 8);
	return out;
}

size_t qn_ldcache_lookup(const qn_ldcache *c, const char *soname, const qn_elf_info *abi, const qn_ldcache_entry **out,
			 size_t max)
{
	size_t found = 0;
	for (size_t i = 0; c && i < c->n; i++) {
		const qn_ldcache_entry *e = &c->entries[i];
		if (strcmp(e->key, soname) || !qn_ldcache_flags_match(e->flags, abi))
			continue;
		if (found < max)
			out[found] = e;
		found++;
	}
	return found;
}

/* ---- ld.so.conf ---- */

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void conf_warn(qn_ptrvec *w, const char *file, size_t line, const char *what, const char *text)
{
	if (!w)
		return;
	_cleanup_free_ char *q = qn_str_quote(text, 200);
	qn_ptrvec_push(w, xasprintf("%s:%zu: %s \"%s\"", file, line, what, q));
}

static void conf_line(char *s, const char *file, size_t lineno, qn_ldconf_file *out, qn_ptrvec *w)
{
	*strchrnul(s, '#') = 0; /* the format has no quoting: '#' always starts a comment */
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return;
	if (!strncmp(s, "include", 7) && blank(s[7])) {
		char *save = NULL;
		for (char *tok = strtok_r(s + 8, " \t\r\v\f", &save); tok; tok = strtok_r(NULL, " \t\r\v\f", &save)) {
			out->include_at = xreallocarray(out->include_at, out->includes.n + 1, sizeof(size_t));
			out->include_at[out->includes.n] = out->dirs.n;
			qn_ptrvec_push(&out->includes, xstrdup(tok));
		}
		return;
	}
	if (!strncasecmp(s, "hwcap", 5) && blank(s[5]))
		return;         /* ldconfig ignores hwcap lines too ("hwcap directive ignored") */
	*strchrnul(s, '=') = 0; /* "DIR=TYPE": the library type is of no interest to the loader */
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	while (n > 1 && s[n - 1] == '/')
		s[--n] = 0;
	if (!n)
		return;
	if (s[0] != '/') {
		conf_warn(w, file, lineno, "not an absolute folder, ignored:", s);
		return;
	}
	qn_ptrvec_push(&out->dirs, xstrdup(s));
}

void qn_ldconf_parse(const uint8_t *buf, size_t len, const char *file, qn_ldconf_file *out, qn_ptrvec *warnings)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *text = xmemdup(buf ? buf : (const uint8_t *)"", len);
	char *p = text, *end = text + len;
	for (size_t lineno = 1; p < end; lineno++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		*e = 0;
		if (memchr(p, 0, (size_t)(e - p)))
			conf_warn(warnings, file, lineno, "NUL byte in line, ignored:", p);
		else
			conf_line(p, file, lineno, out, warnings);
		p = e + 1;
	}
}

void qn_ldconf_file_clear(qn_ldconf_file *f)
{
	qn_ptrvec_clear(&f->dirs, free);
	qn_ptrvec_clear(&f->includes, free);
	free(f->include_at);
	f->include_at = NULL;
}

/* ---- glob over the tree ---- */

/* Matches one bracket expression starting after '['. Returns the position after ']' and sets
 * *hit, or NULL when the expression is not closed (the '[' is then an ordinary character). */
static const char *match_bracket(const char *p, char c, bool *hit)
{
	bool neg = *p == '!' || *p == '^';
	if (neg)
		p++;
	bool in = false;
	for (bool first = true; *p && (first || *p != ']'); first = false) {
		char lo = *p == '\\' && p[1] ? *++p : *p;
		p++;
		char hi = lo;
		if (*p == '-' && p[1] && p[1] != ']') {
			p++;
			hi = *p == '\\' && p[1] ? *++p : *p;
			p++;
		}
		if ((unsigned char)c >= (unsigned char)lo && (unsigned char)c <= (unsigned char)hi)
			in = true;
	}
	if (*p != ']')
		return NULL;
	*hit = in != neg;
	return p + 1;
}

static bool match_from(const char *p, const char *n)
{
	const char *star_p = NULL, *star_n = NULL;
	while (*n) {
		bool ok = false;
		const char *next = p + 1;
		if (*p == '*') {
			star_p = ++p, star_n = n;
			continue;
		}
		if (*p == '?') {
			ok = true;
		} else if (*p == '[') {
			bool hit = false;
			const char *after = match_bracket(p + 1, *n, &hit);
			ok = after ? hit : *n == '[';
			next = after ? after : p + 1;
		} else if (*p == '\\' && p[1]) {
			ok = p[1] == *n;
			next = p + 2;
		} else {
			ok = *p && *p == *n;
		}
		if (ok) {
			p = next, n++;
		} else if (star_p) { /* backtrack: let the last star eat one more character */
			p = star_p, n = ++star_n;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

bool qn_glob_match(const char *pattern, const char *name)
{
	/* a leading '.' is matched only by a literal '.', as glob(3) does without GLOB_PERIOD */
	if (name[0] == '.' && pattern[0] != '.')
		return false;
	return match_from(pattern, name);
}

static bool has_magic(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* Expands the components at rest below the folder whose lexical path is prefix. */
static void glob_rec(const qn_tree *t, const char *prefix, const char *rest, qn_ptrvec *out, int depth)
{
	while (*rest == '/')
		rest++;
	if (depth > 256 || strlen(prefix) > 4096) /* bounds the recursion for hostile patterns */
		return;
	if (!*rest) {
		if (qn_harden_resolve(t, NULL, prefix, false, NULL, NULL))
			qn_ptrvec_push(out, xstrdup(prefix));
		return;
	}
	const char *e = strchrnul(rest, '/');
	size_t n = (size_t)(e - rest);
	if (!has_magic(rest, n)) {
		_cleanup_free_ char *comp = xstrndup(rest, n);
		_cleanup_free_ char *next = xasprintf("%s/%s", prefix, comp);
		glob_rec(t, next, e, out, depth + 1);
		return;
	}
	const qn_node *dir = qn_harden_resolve(t, NULL, prefix[0] ? prefix : "/", true, NULL, NULL);
	if (!dir || dir->type != QN_NODE_DIR)
		return;
	_cleanup_free_ char *pat = xstrndup(rest, n);
	size_t nc = 0;
	_cleanup_free_ const qn_node **kids = qn_tree_children(dir, &nc);
	for (size_t i = 0; i < nc; i++) {
		if (!qn_glob_match(pat, kids[i]->name))
			continue;
		_cleanup_free_ char *next = xasprintf("%s/%s", prefix, kids[i]->name);
		glob_rec(t, next, e, out, depth + 1);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void qn_tree_glob(const qn_tree *t, const char *pattern, qn_ptrvec *out)
{
	size_t first = out->n;
	/* canonical patterns ("etc/x") are taken from the root like absolute ones */
	glob_rec(t, "", pattern, out, 0);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(void *), cmp_str);
}

/* ---- the whole configuration ---- */

typedef struct {
	const qn_tree *t;
	qn_read_fn read;
	void *ud;
	qn_ldconf *out;
	qn_ptrvec *w;
	qn_strset seen;
	size_t files;
} conf_ctx;

static void conf_msg(conf_ctx *c, const char *path, const char *msg)
{
	if (!c->w)
		return;
	_cleanup_free_ char *q = qn_str_quote(path[0] == '/' ? path + 1 : path, 200); /* canonical in messages */
	qn_ptrvec_push(c->w, xasprintf("%s: %s", q, msg));
}

/* Reads the regular file at path (absolute, lexical) into *buf, recording what was touched.
 * Returns false when it is missing, not a regular file, unreadable or too large. */
static bool conf_read(conf_ctx *c, const char *path, uint8_t **buf, size_t *len)
{
	qn_ptrvec hops = {0};
	_cleanup_free_ char *final = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, path, true, &hops, &final);
	bool ok = n && n->type == QN_NODE_REG;
	if (ok) {
		qn_harden_touch(&c->out->files, NULL, path, &hops, final);
		*buf = c->read(c->ud, final, MAX_CONF_SIZE + 1, len);
		if (!*buf)
			conf_msg(c, path, "cannot be read, ignored");
		else if (*len > MAX_CONF_SIZE)
			conf_msg(c, path, "larger than 1 MiB, ignored");
		ok = *buf && *len <= MAX_CONF_SIZE;
		if (!ok)
			free(*buf);
	}
	qn_ptrvec_clear(&hops, free);
	return ok;
}

static void conf_file(conf_ctx *c, const char *path, int depth)
{
	if (depth > MAX_CONF_DEPTH) {
		conf_msg(c, path, "includes nest more than 16 deep (a loop?), ignored");
		return;
	}
	if (++c->files > MAX_CONF_FILES) {
		if (c->files == MAX_CONF_FILES + 1)
			conf_msg(c, path, "more than 1024 configuration files, the rest ignored");
		return;
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	if (!conf_read(c, path, &buf, &len))
		return;
	qn_ldconf_file f;
	qn_ldconf_parse(buf, len, path[0] == '/' ? path + 1 : path, &f, c->w);
	free(buf);
	/* folders and includes in the order of their lines: ldconfig expands an include at once, and
	 * a folder given twice keeps its first place */
	_cleanup_free_ char *dir = qn_path_dir(path);
	for (size_t i = 0, d = 0; i <= f.includes.n; i++) {
		for (size_t upto = i < f.includes.n ? f.include_at[i] : f.dirs.n; d < upto; d++)
			if (qn_strset_add(&c->seen, f.dirs.v[d]))
				qn_ptrvec_push(&c->out->dirs, xstrdup(f.dirs.v[d]));
		if (i == f.includes.n)
			break;
		const char *pat = f.includes.v[i];
		/* ldconfig: a relative pattern is relative to the including file's folder */
		_cleanup_free_ char *abs = pat[0] == '/' ? xstrdup(pat) : xasprintf("%s/%s", dir, pat);
		qn_ptrvec m = {0};
		qn_tree_glob(c->t, abs, &m);
		for (size_t k = 0; k < m.n; k++)
			conf_file(c, m.v[k], depth + 1);
		qn_ptrvec_clear(&m, free);
	}
	qn_ldconf_file_clear(&f);
}

int qn_ldconf_load(const qn_tree *t, qn_read_fn read, void *ud, const char *path, qn_ldconf *out, qn_ptrvec *warnings,
		   qn_error **err)
{
	if (!read)
		return qn_error_set(err, QN_ERR_USAGE, "ld.so.conf: no read function");
	qn_ldconf res = {0};
	conf_ctx c = {.t = t, .read = read, .ud = ud, .out = &res, .w = warnings};
	_cleanup_free_ char *abs = path[0] == '/' ? xstrdup(path) : xasprintf("/%s", path);
	conf_file(&c, abs, 0);
	qn_strset_clear(&c.seen);
	*out = res;
	return 0;
}

void qn_ldconf_clear(qn_ldconf *c)
{
	if (!c)
		return;
	qn_ptrvec_clear(&c->dirs, free);
	qn_strset_clear(&c->files);
}
