/* Go binaries: the modules a Go executable was built from, read from the build-info blob the Go
 * linker leaves in its data ("\xff Go buildinf:", 16-byte aligned, 32-byte header).
 *
 * Two layouts exist. Go 1.18 and later set flag 0x2 and store the Go version and the module
 * info inline after the header as uvarint-length-prefixed strings, so a chunk starting at the
 * magic is enough. Older linkers store two pointers (pointer size in header byte 14, byte order
 * in flag 0x1) to Go string headers {data, len} elsewhere in the file; following them needs the
 * ELF program headers to map virtual addresses to file offsets (32/64-bit, either byte order).
 * In the whole-ELF case the blob is looked for where Go's own reader looks: the .go.buildinfo
 * section, else the first writable, non-executable PT_LOAD segment.
 *
 * Module info lines: "path" (main package, unused), "mod" (main module), "dep" (a dependency),
 * "=>" (replacement of the dependency before it), "build" (settings, unused). The module text is
 * framed by 16-byte sentinels, stripped as Go strips them.
 *
 * Following Trivy (pkg/dependency/parser/golang/binary): one package per dependency, with a
 * replacement's path and version used instead of the original's; the main module when the blob
 * names one; "stdlib" at the Go version as "v1.22.3" (the "go" prefix and anything after a
 * space, such as " X:boringcrypto", dropped); purls pkg:golang/<lower-cased path>@version, none
 * for local replacements ("./x", "../x"). Deliberate differences: the main module keeps the
 * version "(devel)" as recorded (Trivy empties it and may guess one from -ldflags "-X
 * main.version=..."); its purl carries no version either way. It does not read Mach-O or PE
 * headers (their inline-format blobs are still found by the aligned search). */
#include <ctype.h>

#include "lang.h"
#include "pkg/purl.h"

#define HDR_LEN 32
#define FLAG_BIG 0x1
#define FLAG_INLINE 0x2
/* Module info of real binaries is tens of KiB; beyond these it is not something a linker wrote. */
#define MAX_STRING ((size_t)16 << 20)
#define MAX_MODULES 100000

/* ---- ELF ---- */

typedef struct {
	const uint8_t *b;
	size_t len;
	bool is64, big;
	uint64_t phoff, shoff;
	size_t phnum, phent, shnum, shent, shstrndx;
} elf;

static uint64_t rdn(const uint8_t *p, int n, bool big)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
	return v;
}

/* Reads an n-byte field at off (bounds-checked: 0 when outside, which no caller accepts). */
static uint64_t fld(const elf *e, uint64_t off, int n)
{
	if (off > e->len || e->len - off < (uint64_t)n)
		return 0;
	return rdn(e->b + off, n, e->big);
}

/* Fills e from the ELF header. Returns 1 for ELF, 0 when buf is not ELF, -1 when the header
 * itself is unusable. */
static int elf_open(const uint8_t *b, size_t len, elf *e, qn_error **err)
{
	if (len < 16 || memcmp(b,
			       "\x7f"
			       "ELF",
			       4) != 0)
		return 0;
	*e = (elf){.b = b, .len = len, .is64 = b[4] == 2, .big = b[5] == 2};
	if ((b[4] != 1 && b[4] != 2) || (b[5] != 1 && b[5] != 2) || len < (e->is64 ? 64u : 52u))
		return qn_error_set(err, QN_ERR_INPUT, "ELF header is truncated or of an unknown class");
	int w = e->is64 ? 8 : 4;
	e->phoff = fld(e, e->is64 ? 32 : 28, w);
	e->shoff = fld(e, e->is64 ? 40 : 32, w);
	size_t base = e->is64 ? 54 : 42;
	e->phent = (size_t)fld(e, base, 2);
	e->phnum = (size_t)fld(e, base + 2, 2);
	e->shent = (size_t)fld(e, base + 4, 2);
	e->shnum = (size_t)fld(e, base + 6, 2);
	e->shstrndx = (size_t)fld(e, base + 8, 2);
	/* table entries shorter than the structures we read would make fld() read the next entry */
	if (e->phnum && e->phent < (e->is64 ? 56u : 32u))
		e->phnum = 0;
	if (e->shnum && e->shent < (e->is64 ? 64u : 40u))
		e->shnum = 0;
	return 1;
}

typedef struct {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz;
} phdr;

static phdr elf_ph(const elf *e, size_t i)
{
	uint64_t o = e->phoff + (uint64_t)i * e->phent;
	if (e->is64)
		return (phdr){(uint32_t)fld(e, o, 4), (uint32_t)fld(e, o + 4, 4), fld(e, o + 8, 8), fld(e, o + 16, 8),
			      fld(e, o + 32, 8)};
	return (phdr){(uint32_t)fld(e, o, 4), (uint32_t)fld(e, o + 24, 4), fld(e, o + 4, 4), fld(e, o + 8, 4),
		      fld(e, o + 16, 4)};
}

/* File offset of n bytes at virtual address va, through the PT_LOAD segments; false when they are
 * not all backed by file bytes inside buf. */
static bool elf_map(const elf *e, uint64_t va, uint64_t n, uint64_t *off)
{
	for (size_t i = 0; i < e->phnum; i++) {
		phdr p = elf_ph(e, i);
		if (p.type != 1 || va < p.vaddr || va - p.vaddr > p.filesz || p.filesz - (va - p.vaddr) < n)
			continue;
		uint64_t o = p.offset + (va - p.vaddr);
		if (o < p.offset || o > e->len || e->len - o < n)
			return false;
		*off = o;
		return true;
	}
	return false;
}

/* Where Go's reader looks for the blob: the .go.buildinfo section, else the first writable and
 * non-executable PT_LOAD segment. Returns false when neither is inside buf. */
static bool elf_data(const elf *e, uint64_t *off, uint64_t *size)
{
	uint64_t so = e->shoff + (uint64_t)e->shstrndx * e->shent;
	uint64_t str_off = fld(e, so + (e->is64 ? 24 : 16), e->is64 ? 8 : 4);
	for (size_t i = 0; e->shstrndx < e->shnum && i < e->shnum; i++) {
		uint64_t o = e->shoff + (uint64_t)i * e->shent;
		uint64_t name = str_off + fld(e, o, 4);
		static const char want[] = ".go.buildinfo";
		if (fld(e, o + 4, 4) == 8 /* SHT_NOBITS */ || name > e->len || e->len - name < sizeof(want) ||
		    memcmp(e->b + name, want, sizeof(want)) != 0)
			continue;
		*off = fld(e, o + (e->is64 ? 24 : 16), e->is64 ? 8 : 4);
		*size = fld(e, o + (e->is64 ? 32 : 20), e->is64 ? 8 : 4);
		return *off < e->len;
	}
	for (size_t i = 0; i < e->phnum; i++) {
		phdr p = elf_ph(e, i);
		if (p.type == 1 && (p.flags & 3) == 2 /* PF_W without PF_X */) {
			*off = p.offset;
			*size = p.filesz;
			return *off < e->len;
		}
	}
	return false;
}

/* ---- build-info header ---- */

const uint8_t *qn_gobin_find_magic(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; len >= QN_GOBIN_MAGIC_LEN && i <= len - QN_GOBIN_MAGIC_LEN; i += QN_GOBIN_ALIGN)
		if (buf[i] == 0xff && memcmp(buf + i, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN) == 0)
			return buf + i;
	return NULL;
}

bool qn_gobin_is_inline(const uint8_t *buf, size_t len)
{
	return len >= HDR_LEN && memcmp(buf, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN) == 0 && (buf[15] & FLAG_INLINE);
}

/* Copies n bytes as a NUL-terminated string; *out_len keeps the length, as the strings may hold
 * NUL bytes (the module text's closing sentinel does). */
static char *copy_bytes(const uint8_t *p, size_t n, size_t *out_len)
{
	char *s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	*out_len = n;
	return s;
}

/* A uvarint-length-prefixed string at *p (inline format); advances *p. NULL when it does not fit. */
static char *inline_string(const uint8_t *b, size_t len, size_t *p, size_t *out_len)
{
	uint64_t n = 0;
	for (int shift = 0;; shift += 7) {
		/* ten 7-bit groups cover 64 bits; more is not a length */
		if (*p >= len || shift > 63)
			return NULL;
		uint8_t c = b[(*p)++];
		n |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			break;
	}
	if (n > MAX_STRING || n > len - *p)
		return NULL;
	char *s = copy_bytes(b + *p, (size_t)n, out_len);
	*p += (size_t)n;
	return s;
}

/* A Go string header {data pointer, length} at virtual address va (pointer format). */
static char *pointer_string(const elf *e, uint64_t va, int ptr, bool big, size_t *out_len)
{
	uint64_t off, data_off;
	if (!elf_map(e, va, 2 * (uint64_t)ptr, &off))
		return NULL;
	uint64_t data = rdn(e->b + off, ptr, big), n = rdn(e->b + off + ptr, ptr, big);
	if (n > MAX_STRING || !elf_map(e, data, n, &data_off))
		return NULL;
	return copy_bytes(e->b + data_off, (size_t)n, out_len);
}

/* Reads the Go version and module info from the header at h (len bytes from there to the end of
 * what we have). e is the whole ELF file, or NULL for a chunk. */
static int read_blob(const uint8_t *h, size_t len, const elf *e, const char *loc, char **vers, char **mod,
		     qn_error **err)
{
	if (len < HDR_LEN)
		return qn_error_set(err, QN_ERR_INPUT, "%s: Go build info header is truncated", loc);
	size_t p = HDR_LEN, vn = 0, n = 0;
	int ptr = h[14];
	bool big = h[15] & FLAG_BIG, inl = h[15] & FLAG_INLINE;
	if (!inl && !e)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: Go build info in the pre-1.18 pointer format needs the whole executable", loc);
	if (!inl && ptr != 4 && ptr != 8)
		return qn_error_set(err, QN_ERR_INPUT, "%s: Go build info has pointer size %d", loc, ptr);
	*vers = inl ? inline_string(h, len, &p, &vn) : pointer_string(e, rdn(h + 16, ptr, big), ptr, big, &vn);
	if (*vers && !vn)
		return 0; /* no version: Go's reader calls this "not a Go executable"; the caller checks */
	if (*vers)
		*mod =
		    inl ? inline_string(h, len, &p, &n) : pointer_string(e, rdn(h + 16 + ptr, ptr, big), ptr, big, &n);
	if (!*vers || !*mod) {
		free(*vers);
		*vers = NULL;
		return qn_error_set(err, QN_ERR_INPUT, "%s: Go build info strings run outside the file", loc);
	}
	/* module text sits between two 16-byte sentinels; Go keeps it only when framed that way */
	if (n >= 33 && (*mod)[n - 17] == '\n') {
		memmove(*mod, *mod + 16, n - 32);
		(*mod)[n - 32] = 0;
	} else {
		(*mod)[0] = 0;
	}
	return 0;
}

/* Finds the header: at the start of a chunk, where Go looks in an ELF file, else by an aligned
 * search. Returns its offset, or SIZE_MAX when there is none. */
static size_t locate(const uint8_t *buf, size_t len, const elf *e)
{
	size_t from = 0, to = len;
	uint64_t off, size;
	if (e) {
		if (!elf_data(e, &off, &size))
			return SIZE_MAX;
		from = (size_t)off;
		to = size > len - from ? len : from + (size_t)size;
	}
	const uint8_t *m = qn_gobin_find_magic(buf + from, to - from);
	return m ? (size_t)(m - buf) : SIZE_MAX;
}

/* ---- module info ---- */

typedef struct {
	char *path, *version;
} gomod;

typedef struct {
	gomod main;
	gomod *deps;
	size_t n;
} modinfo;

static void modinfo_clear(modinfo *mi)
{
	free(mi->main.path);
	free(mi->main.version);
	for (size_t i = 0; i < mi->n; i++) {
		free(mi->deps[i].path);
		free(mi->deps[i].version);
	}
	free(mi->deps);
}

static void set_mod(gomod *m, char *const f[4])
{
	free(m->path);
	free(m->version);
	m->path = xstrdup(f[1]);
	m->version = xstrdup(f[2]);
}

/* Splits "key\tpath\tversion\tsum" lines; a "=>" line replaces the dependency just before it.
 * Lines of other kinds, and dependencies without a path (old linkers wrote such), are skipped. */
static int parse_modinfo(const char *mod, modinfo *mi, const char *loc, qn_error **err)
{
	bool after_dep = false;
	for (const char *line = mod; *line;) {
		size_t n = strcspn(line, "\n");
		_cleanup_free_ char *copy = xstrndup(line, n);
		line += n + (line[n] ? 1 : 0);
		char *f[4] = {copy, "", "", ""};
		for (int i = 1; i < 4; i++) {
			char *tab = strchr(f[i - 1], '\t');
			if (!tab)
				break;
			*tab = 0;
			f[i] = tab + 1;
		}
		bool was_dep = after_dep;
		after_dep = false;
		if (strcmp(f[0], "mod") == 0 && *f[1]) {
			set_mod(&mi->main, f);
		} else if (strcmp(f[0], "dep") == 0 && *f[1]) {
			if (mi->n >= MAX_MODULES)
				return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d modules in Go build info", loc,
						    MAX_MODULES);
			if ((mi->n & (mi->n - 1)) == 0) /* grow at powers of two */
				mi->deps = xreallocarray(mi->deps, mi->n ? 2 * mi->n : 16, sizeof(*mi->deps));
			mi->deps[mi->n] = (gomod){0};
			set_mod(&mi->deps[mi->n++], f);
			after_dep = true;
		} else if (strcmp(f[0], "=>") == 0 && *f[1] && was_dep) {
			set_mod(&mi->deps[mi->n - 1], f);
		}
	}
	return 0;
}

/* A replacement by a local folder has no identity outside this build: no purl, as in Trivy. */
static bool local_path(const char *p)
{
	return p[0] == '/' || qn_str_has_prefix(p, "./") || qn_str_has_prefix(p, "../") || strcmp(p, ".") == 0 ||
	       strcmp(p, "..") == 0;
}

/* One module. A dependency's "(devel)" (a local replacement) is no version at all, as in Trivy;
 * the main module keeps it (see the top of the file). */
static void add_module(qn_pkglist *l, const char *path, const char *version, bool is_main, const char *gover,
		       const char *loc)
{
	qn_package *p = qn_pkglist_add(l);
	p->eco = QN_ECO_GO;
	p->name = xstrdup(path);
	if (version && *version && (is_main || strcmp(version, "(devel)") != 0))
		p->version = xstrdup(version);
	p->go_version = xstrdup(gover);
	p->location = xstrdup(loc);
	const char *slash = strrchr(path, '/');
	if (local_path(path))
		return;
	if (slash)
		p->namespace_ = xstrndup(path, (size_t)(slash - path));
	_cleanup_free_ char *low = xstrdup(path);
	for (char *c = low; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char *ls = strrchr(low, '/');
	if (ls)
		*ls = 0;
	const char *pv = p->version && strcmp(p->version, "(devel)") != 0 ? p->version : NULL;
	p->purl = qn_purl("golang", ls ? low : NULL, ls ? ls + 1 : low, pv, NULL, NULL);
}

/* Appends the main module, the dependencies and stdlib to a scratch list, then to out. */
static void emit(const modinfo *mi, const char *vers, const char *loc, qn_pkglist *out)
{
	_cleanup_free_ char *gover = xstrndup(vers, strcspn(vers, " "));
	qn_pkglist l = {0};
	if (mi->main.path)
		add_module(&l, mi->main.path, mi->main.version, true, gover, loc);
	for (size_t i = 0; i < mi->n; i++)
		add_module(&l, mi->deps[i].path, mi->deps[i].version, false, gover, loc);
	qn_package *s = qn_pkglist_add(&l);
	s->eco = QN_ECO_GO;
	s->name = xstrdup("stdlib");
	s->version = xasprintf("v%s", qn_str_has_prefix(gover, "go") ? gover + 2 : gover);
	s->purl = qn_purl("golang", NULL, "stdlib", s->version, NULL, NULL);
	s->go_version = xstrdup(gover);
	s->location = xstrdup(loc);
	for (size_t i = 0; i < l.n; i++)
		*qn_pkglist_add(out) = l.v[i];
	free(l.v);
}

int qn_gobin_parse(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_error **err)
{
	elf e;
	int is_elf = elf_open(buf, len, &e, err);
	if (is_elf < 0)
		return qn_error_prefix(err, "%s", location);
	size_t off = locate(buf, len, is_elf ? &e : NULL);
	if (off == SIZE_MAX)
		return 0;
	_cleanup_free_ char *vers = NULL, *mod = NULL;
	if (read_blob(buf + off, len - off, is_elf ? &e : NULL, location, &vers, &mod, err) < 0)
		return -1;
	if (!vers || !*vers)
		return 0; /* Go's reader treats a blob without a version as "not a Go executable" */
	modinfo mi = {0};
	int rc = parse_modinfo(mod, &mi, location, err);
	if (rc == 0)
		emit(&mi, vers, location, out);
	modinfo_clear(&mi);
	return rc < 0 ? -1 : 1;
}
