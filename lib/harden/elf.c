/* ELF parsing for the loader closure: the ELF header, PT_INTERP, and from PT_DYNAMIC the
 * DT_NEEDED list, DT_RPATH, DT_RUNPATH, DT_SONAME and DT_FLAGS_1, for 32- and 64-bit files of
 * either byte order. Addresses in the dynamic section (DT_STRTAB, and PT_DYNAMIC's own address)
 * are mapped to file offsets through the PT_LOAD segments, because that is what the loader sees
 * once it has mapped them.
 *
 * It does not read section headers, symbols, versions or notes, and it does not relocate.
 * The files come from untrusted images: every offset, size and count is checked against the
 * buffer with overflow-safe arithmetic before it is used, and strings and lists have limits.
 * The caller may pass only a prefix of a large file; the parser then says how much it needs
 * (QN_ELF_NEED_MORE) instead of failing, so big executables are read in two or three steps. */
#include "closure.h"

#define EI_NIDENT 16
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_SONAME 14
#define DT_RPATH 15
#define DT_RUNPATH 29
#define DT_FLAGS_1 0x6ffffffbULL

#define MAX_INTERP 4096  /* the kernel refuses a PT_INTERP longer than PATH_MAX */
#define MAX_STRING 65536 /* longest DT_NEEDED / RPATH string we accept */
#define MAX_NEEDED 4096  /* far beyond any real file */
#define MAX_DYN_ENTRIES (1u << 20)

typedef struct {
	const uint8_t *b;
	size_t len;
	bool be, is64;
	size_t *need;
	qn_error **err;
} rd;

typedef struct {
	uint64_t vaddr, off, filesz;
} load_seg;

typedef struct {
	load_seg *loads;
	size_t n_loads;
	bool have_interp, have_dyn;
	uint64_t interp_off, interp_sz;
	uint64_t dyn_vaddr, dyn_sz;
} phdr_scan;

bool qn_elf_is_elf(const uint8_t *buf, size_t len)
{
	return buf && len >= 4 && buf[0] == 0x7f && buf[1] == 'E' && buf[2] == 'L' && buf[3] == 'F';
}

static uint64_t get(const rd *r, uint64_t off, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		uint8_t c = r->b[off + (uint64_t)(r->be ? i : n - 1 - i)];
		v = (v << 8) | c;
	}
	return v;
}

/* A word: 4 bytes in 32-bit files, 8 in 64-bit ones. */
static uint64_t word(const rd *r, uint64_t off)
{
	return get(r, off, r->is64 ? 8 : 4);
}

/* Checks that [off, off+n) lies in the buffer. Returns 0 when it does; QN_ELF_NEED_MORE with
 * *need set when it lies past the end (the file may be longer than what we were given); -1 when
 * off+n does not even fit in 64 bits, which no file can satisfy. */
static int avail(const rd *r, uint64_t off, uint64_t n, const char *what)
{
	if (off > UINT64_MAX - n)
		return qn_error_set(r->err, QN_ERR_INPUT, "%s: offset out of range", what);
	if (off + n <= r->len)
		return 0;
	if (off + n > SIZE_MAX)
		return qn_error_set(r->err, QN_ERR_INPUT, "%s: offset beyond any file size", what);
	if (r->need)
		*r->need = (size_t)(off + n);
	return QN_ELF_NEED_MORE;
}

static int parse_ident(rd *r, qn_elf_info *out)
{
	if (r->len >= 4 && !qn_elf_is_elf(r->b, r->len))
		return qn_error_set(r->err, QN_ERR_INPUT, "not an ELF file");
	if (r->len < EI_NIDENT)
		return avail(r, 0, 64, "ELF header");
	uint8_t cls = r->b[4], data = r->b[5];
	if (cls != QN_ELFCLASS32 && cls != QN_ELFCLASS64)
		return qn_error_set(r->err, QN_ERR_INPUT, "ELF class %u is neither 32- nor 64-bit", cls);
	if (data != QN_ELFDATA2LSB && data != QN_ELFDATA2MSB)
		return qn_error_set(r->err, QN_ERR_INPUT, "ELF data encoding %u is unknown", data);
	if (r->b[6] != 1)
		return qn_error_set(r->err, QN_ERR_INPUT, "ELF identification version %u is not 1", r->b[6]);
	r->is64 = cls == QN_ELFCLASS64;
	r->be = data == QN_ELFDATA2MSB;
	out->elf_class = cls;
	out->data = data;
	out->osabi = r->b[7];
	out->abiversion = r->b[8];
	return 0;
}

/* Reads the file header; returns the program header table's offset, count and entry size. */
static int parse_ehdr(rd *r, qn_elf_info *out, uint64_t *phoff, uint64_t *phnum)
{
	int rc = avail(r, 0, r->is64 ? 64 : 52, "ELF header");
	if (rc)
		return rc;
	out->type = (uint16_t)get(r, 16, 2);
	out->machine = (uint16_t)get(r, 18, 2);
	if (get(r, 20, 4) != 1)
		return qn_error_set(r->err, QN_ERR_INPUT, "ELF version %llu is not 1",
				    (unsigned long long)get(r, 20, 4));
	*phoff = r->is64 ? get(r, 32, 8) : get(r, 28, 4);
	out->eflags = (uint32_t)get(r, r->is64 ? 48 : 36, 4);
	uint64_t phentsize = get(r, r->is64 ? 54 : 42, 2);
	*phnum = get(r, r->is64 ? 56 : 44, 2);
	/* 0xffff (PN_XNUM) moves the real count into section 0; the loader does not support that
	 * either, so such a file cannot be a working dynamic executable */
	if (*phnum == 0xffff)
		return qn_error_set(r->err, QN_ERR_INPUT, "extended program header count (PN_XNUM) is not supported");
	/* ld.so refuses any other entry size ("ELF file's phentsize not the expected size") */
	if (*phnum && phentsize != (r->is64 ? 56u : 32u))
		return qn_error_set(r->err, QN_ERR_INPUT, "program header entry size %llu, expected %u",
				    (unsigned long long)phentsize, r->is64 ? 56u : 32u);
	return 0;
}

static int scan_phdrs(rd *r, uint64_t phoff, uint64_t phnum, phdr_scan *s)
{
	uint64_t esz = r->is64 ? 56 : 32;
	int rc = avail(r, phoff, phnum * esz, "program headers"); /* phnum < 0xffff: no overflow */
	if (rc)
		return rc;
	s->loads = xcalloc(phnum ? phnum : 1, sizeof(load_seg));
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t p = phoff + i * esz;
		uint32_t type = (uint32_t)get(r, p, 4);
		uint64_t off = r->is64 ? get(r, p + 8, 8) : get(r, p + 4, 4);
		uint64_t vaddr = r->is64 ? get(r, p + 16, 8) : get(r, p + 8, 4);
		uint64_t filesz = r->is64 ? get(r, p + 32, 8) : get(r, p + 16, 4);
		if (type == PT_LOAD) {
			s->loads[s->n_loads++] = (load_seg){vaddr, off, filesz};
		} else if (type == PT_INTERP && !s->have_interp) { /* the kernel uses the first */
			s->have_interp = true;
			s->interp_off = off;
			s->interp_sz = filesz;
		} else if (type == PT_DYNAMIC) { /* ld.so keeps the last one it sees */
			s->have_dyn = true;
			s->dyn_vaddr = vaddr;
			s->dyn_sz = filesz;
		}
	}
	return 0;
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. *room receives the
 * number of file-backed bytes from there to the end of its segment. Returns false when the
 * address is in no segment's file-backed part (zero-filled memory holds no strings). */
static bool map_addr(const phdr_scan *s, uint64_t addr, uint64_t *off, uint64_t *room)
{
	for (size_t i = 0; i < s->n_loads; i++) {
		const load_seg *l = &s->loads[i];
		if (addr < l->vaddr || addr - l->vaddr >= l->filesz)
			continue;
		uint64_t delta = addr - l->vaddr;
		if (l->off > UINT64_MAX - delta)
			return false;
		*off = l->off + delta;
		*room = l->filesz - delta;
		return true;
	}
	return false;
}

static int read_interp(rd *r, const phdr_scan *s, qn_elf_info *out)
{
	/* same bounds as the kernel: at least one character and its NUL, at most PATH_MAX */
	if (s->interp_sz < 2 || s->interp_sz > MAX_INTERP)
		return qn_error_set(r->err, QN_ERR_INPUT, "PT_INTERP of %llu bytes", (unsigned long long)s->interp_sz);
	int rc = avail(r, s->interp_off, s->interp_sz, "PT_INTERP");
	if (rc)
		return rc;
	const char *p = (const char *)r->b + s->interp_off;
	if (p[s->interp_sz - 1] != 0 || !p[0])
		return qn_error_set(r->err, QN_ERR_INPUT, "PT_INTERP is not a NUL-terminated path");
	out->interp = xstrdup(p); /* stops at the first NUL, as the kernel's open does */
	return 0;
}

/* The string-valued entries: DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH. */
enum { S_NEEDED, S_SONAME, S_RPATH, S_RUNPATH };

typedef struct {
	uint64_t val;
	uint64_t idx; /* the entry's place in the dynamic section */
	int kind;     /* S_* */
} dyn_str;

typedef struct {
	bool have_strtab, have_strsz;
	uint64_t strtab, strsz, flags_1;
	dyn_str *needed; /* kind S_NEEDED, in section order */
	size_t n_needed;
	dyn_str single[3]; /* S_SONAME, S_RPATH, S_RUNPATH (kind -1: absent); the last entry wins,
			    * as in the loader's l_info[] */
} dyn_vals;

static void set_single(dyn_vals *d, int kind, uint64_t val, uint64_t idx)
{
	d->single[kind - S_SONAME] = (dyn_str){val, idx, kind};
}

static int dyn_entry(rd *r, dyn_vals *d, uint64_t tag, uint64_t val, uint64_t idx)
{
	switch (tag) {
	case DT_NEEDED:
		if (d->n_needed >= MAX_NEEDED)
			return qn_error_set(r->err, QN_ERR_LIMIT, "more than %d DT_NEEDED entries", MAX_NEEDED);
		d->needed = xreallocarray(d->needed, d->n_needed + 1, sizeof(dyn_str));
		d->needed[d->n_needed++] = (dyn_str){val, idx, S_NEEDED};
		break;
	/* for single-valued tags the loader's l_info[] keeps the last entry seen */
	case DT_STRTAB:
		d->have_strtab = true, d->strtab = val;
		break;
	case DT_STRSZ:
		d->have_strsz = true, d->strsz = val;
		break;
	case DT_RPATH:
		set_single(d, S_RPATH, val, idx);
		break;
	case DT_RUNPATH:
		set_single(d, S_RUNPATH, val, idx);
		break;
	case DT_SONAME:
		set_single(d, S_SONAME, val, idx);
		break;
	case DT_FLAGS_1:
		d->flags_1 = val;
		break;
	default:
		break;
	}
	return 0;
}

static int read_dynamic(rd *r, const phdr_scan *s, dyn_vals *d)
{
	uint64_t off, room;
	if (!map_addr(s, s->dyn_vaddr, &off, &room))
		return qn_error_set(r->err, QN_ERR_INPUT, "PT_DYNAMIC at 0x%llx is outside the loadable segments",
				    (unsigned long long)s->dyn_vaddr);
	uint64_t esz = r->is64 ? 16 : 8;
	uint64_t n = QN_MIN(s->dyn_sz, room) / esz;
	if (n > MAX_DYN_ENTRIES)
		n = MAX_DYN_ENTRIES;
	for (uint64_t i = 0; i < n; i++) {
		if (off > r->len || (i + 1) * esz > r->len - off) { /* written so that it cannot wrap */
			/* ask for the rest of the section at once rather than one entry per round */
			int rc = avail(r, off, n * esz, "dynamic section");
			if (rc)
				return rc;
		}
		uint64_t tag = word(r, off + i * esz), val = word(r, off + i * esz + esz / 2);
		if (tag == DT_NULL)
			return 0;
		if (dyn_entry(r, d, tag, val, i) < 0)
			return -1;
	}
	return 0; /* no DT_NULL: the loader stops at the segment's end too */
}

/* Reads the NUL-terminated string at idx in a string table of tabsz bytes at file offset base. */
static int get_string(rd *r, uint64_t base, uint64_t tabsz, uint64_t idx, const char *what, char **out)
{
	if (idx >= tabsz)
		return qn_error_set(r->err, QN_ERR_INPUT, "%s: string offset %llu beyond the string table (%llu bytes)",
				    what, (unsigned long long)idx, (unsigned long long)tabsz);
	if (base > UINT64_MAX - idx)
		return qn_error_set(r->err, QN_ERR_INPUT, "%s: offset out of range", what);
	uint64_t max = QN_MIN(tabsz - idx, (uint64_t)MAX_STRING + 1);
	int rc = avail(r, base + idx, max, what);
	if (rc < 0)
		return rc;
	if (rc) {
		/* a prefix is enough when the NUL is already in it */
		uint64_t have = base + idx < r->len ? r->len - (base + idx) : 0;
		if (!have || !memchr(r->b + base + idx, 0, (size_t)have))
			return rc;
		max = have;
	}
	const char *p = (const char *)r->b + base + idx;
	const char *nul = memchr(p, 0, (size_t)max);
	if (!nul) {
		if (max > MAX_STRING)
			return qn_error_set(r->err, QN_ERR_LIMIT, "%s: string longer than %d bytes", what, MAX_STRING);
		return qn_error_set(r->err, QN_ERR_INPUT, "%s: string runs past the end of the string table", what);
	}
	*out = xstrndup(p, (size_t)(nul - p));
	return 0;
}

static int cmp_idx(const void *a, const void *b)
{
	uint64_t x = ((const dyn_str *)a)->idx, y = ((const dyn_str *)b)->idx;
	return x < y ? -1 : x > y;
}

/* Reads the names in the order of their entries, so that the first bad entry is the one
 * reported. */
static int read_strings(rd *r, const phdr_scan *s, const dyn_vals *d, qn_elf_info *out)
{
	/* the names in section order: the needed list, with the single ones merged in */
	size_t n = d->n_needed;
	_cleanup_free_ dyn_str *all = xcalloc(n + 3, sizeof(dyn_str));
	if (n)
		memcpy(all, d->needed, n * sizeof(dyn_str));
	for (int k = 0; k < 3; k++)
		if (d->single[k].kind >= 0)
			all[n++] = d->single[k];
	qn_sort(all, n, sizeof(dyn_str), cmp_idx);
	if (!n)
		return 0;
	uint64_t base, room;
	if (!d->have_strtab)
		return qn_error_set(r->err, QN_ERR_INPUT, "dynamic section has names but no DT_STRTAB");
	if (!map_addr(s, d->strtab, &base, &room))
		return qn_error_set(r->err, QN_ERR_INPUT, "DT_STRTAB at 0x%llx is outside the loadable segments",
				    (unsigned long long)d->strtab);
	/* DT_STRSZ bounds the table; a table cannot extend past its segment's file bytes either */
	uint64_t tabsz = d->have_strsz ? QN_MIN(d->strsz, room) : room;
	static const char *const what[] = {"DT_NEEDED", "DT_SONAME", "DT_RPATH", "DT_RUNPATH"};
	out->needed = xcalloc(d->n_needed ? d->n_needed : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const dyn_str *e = &all[i];
		char *str = NULL;
		int rc = get_string(r, base, tabsz, e->val, what[e->kind], &str);
		if (rc)
			return rc;
		switch (e->kind) {
		case S_NEEDED:
			out->needed[out->n_needed++] = str;
			if (!str[0])
				return qn_error_set(r->err, QN_ERR_INPUT, "DT_NEEDED entry %zu is an empty name",
						    out->n_needed - 1);
			break;
		case S_SONAME:
			out->soname = str;
			break;
		case S_RPATH:
			out->rpath = str;
			break;
		default:
			out->runpath = str;
			break;
		}
	}
	return 0;
}

void qn_elf_info_clear(qn_elf_info *info)
{
	if (!info)
		return;
	free(info->interp);
	for (size_t i = 0; i < info->n_needed; i++)
		free(info->needed[i]);
	free(info->needed);
	free(info->rpath);
	free(info->runpath);
	free(info->soname);
	memset(info, 0, sizeof(*info));
}

int qn_elf_parse(const uint8_t *buf, size_t len, qn_elf_info *out, size_t *need_bytes, qn_error **err)
{
	qn_elf_info info = {0};
	phdr_scan s = {0};
	dyn_vals d = {.single = {{.kind = -1}, {.kind = -1}, {.kind = -1}}};
	rd r = {.b = buf, .len = buf ? len : 0, .need = need_bytes, .err = err};
	uint64_t phoff = 0, phnum = 0;
	int rc = parse_ident(&r, &info);
	if (!rc)
		rc = parse_ehdr(&r, &info, &phoff, &phnum);
	if (!rc)
		rc = scan_phdrs(&r, phoff, phnum, &s);
	if (!rc && s.have_interp)
		rc = read_interp(&r, &s, &info);
	if (!rc && s.have_dyn) {
		info.dynamic = true;
		rc = read_dynamic(&r, &s, &d);
		if (!rc)
			rc = read_strings(&r, &s, &d, &info);
	}
	info.flags_1 = d.flags_1;
	free(s.loads);
	free(d.needed);
	if (rc) {
		qn_elf_info_clear(&info);
		return rc;
	}
	*out = info;
	return 0;
}

int qn_elf_header(const uint8_t *buf, size_t len, qn_elf_info *out, qn_error **err)
{
	qn_elf_info info = {0};
	size_t need = 0;
	uint64_t phoff, phnum;
	rd r = {.b = buf, .len = buf ? len : 0, .need = &need, .err = err};
	int rc = parse_ident(&r, &info);
	if (!rc)
		rc = parse_ehdr(&r, &info, &phoff, &phnum);
	if (rc > 0) /* what the loader says when fewer bytes than an ELF header could be read */
		return qn_error_set(err, QN_ERR_INPUT, "file too short");
	if (rc < 0)
		return -1;
	*out = info;
	return 0;
}
