/* Unit tests: the loader closure (lib/harden). ELF files written byte by byte (32/64-bit, both
 * byte orders) and real ones built with gcc/clang; ld.so.cache files written byte by byte and by
 * ldconfig (all three layouts, compared with `ldconfig -p`); ld.so.conf includes; closures over
 * folder images compared with exact expectations and with glibc's own `ld.so --list` run in a
 * chroot; scripts; and malformed inputs. A missing tool or image prints "# SKIP". */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harden/closure.h"
#include "image/tarwrite.h"
#include "tap.h"
#include "tree/tree_int.h"
#include "util/path.h"

/* ---- helpers: files, trees, readers ---- */

static void mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

static void put_file(const char *root, const char *path, const void *data, size_t len, int mode)
{
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	char *dir = qn_path_dir(full);
	mkdirs(dir);
	free(dir);
	tap_write(full, data, len);
	chmod(full, (mode_t)mode);
}

static void put_link(const char *root, const char *path, const char *target)
{
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", root, path);
	char *dir = qn_path_dir(full);
	mkdirs(dir);
	free(dir);
	unlink(full);
	CHECK(symlink(target, full) == 0);
}

/* Reads a file of a folder image; canonical paths have no symlinks, and O_NOFOLLOW refuses a
 * last component that is one anyway. */
static uint8_t *read_dir(void *ud, const char *path, size_t max, size_t *len)
{
	int dfd = open((const char *)ud, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = dfd < 0 ? -1 : openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		close(dfd);
	if (fd < 0)
		return NULL;
	uint8_t *buf = xmalloc(max + 1);
	ssize_t n = qn_read_full(fd, buf, max);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}

static qn_tree *tree_of(const char *root)
{
	char ref[4200];
	char *abs = realpath(root, NULL);
	snprintf(ref, sizeof(ref), "dir:%s", abs ? abs : root);
	free(abs);
	qn_error *err = NULL;
	qn_image *img = qn_image_open(ref, NULL, &err);
	qn_tree *t = img ? qn_tree_build(img, NULL, &err) : NULL;
	if (!t)
		printf("# %s: %s\n", ref, err ? err->msg : "?");
	CHECK(t != NULL);
	qn_image_free(img);
	qn_error_free(err);
	return t;
}

/* Compares a set with the expected members (NULL-terminated), listing every difference. */
static void check_set(const qn_strset *s, const char *const *want)
{
	qn_strset w = QN_STRSET_INIT;
	for (size_t i = 0; want[i]; i++) {
		qn_strset_add(&w, want[i]);
		if (!qn_strset_has(s, want[i])) {
			printf("# missing: %s\n", want[i]);
			tap_cur_failed = 1;
		}
	}
	size_t n;
	const char **keys = qn_strset_sorted(s, &n);
	for (size_t i = 0; i < n; i++)
		if (!qn_strset_has(&w, keys[i])) {
			printf("# extra: %s\n", keys[i]);
			tap_cur_failed = 1;
		}
	free(keys);
	qn_strset_clear(&w);
}

static void check_lines(const qn_ptrvec *got, const char *const *want)
{
	size_t n = 0;
	bool bad = false;
	for (; want[n]; n++) {
		bool found = false;
		for (size_t i = 0; i < got->n; i++)
			found = found || !strcmp(got->v[i], want[n]);
		if (!found) {
			printf("# missing line: %s\n", want[n]);
			tap_cur_failed = 1;
			bad = true;
		}
	}
	if (bad || got->n != n) {
		for (size_t i = 0; i < got->n; i++)
			printf("# got line: %s\n", (char *)got->v[i]);
		tap_cur_failed = 1;
	}
}

/* Runs a shell command; true when it exits 0. */
static bool sh(const char *fmt, ...) QN_PRINTF(1, 2);
static bool sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	free(cmd);
	return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

static char *slurp(const char *path)
{
	size_t len;
	return qn_read_file(path, 64u << 20, &len, NULL);
}

/* ---- an ELF writer ---- */

typedef struct {
	int bits;
	bool be;
	uint16_t machine, type;
	uint8_t osabi;
	uint32_t eflags;
	const char *interp;
	const char *needed[8];
	const char *rpath, *runpath, *soname;
	uint64_t flags_1;
	size_t dyn_pad;  /* padding before the dynamic section, to push it far into the file */
	bool no_dynamic; /* a static program */
} elf_spec;

static void put(qn_buf *b, size_t off, uint64_t v, int n, bool be)
{
	for (int i = 0; i < n; i++) {
		int shift = 8 * (be ? n - 1 - i : i);
		b->data[off + (size_t)i] = (char)((v >> shift) & 0xff);
	}
}

static size_t add_str(qn_buf *strs, const char *s)
{
	size_t off = strs->len;
	qn_buf_add(strs, s, strlen(s) + 1);
	return off;
}

/* One PT_LOAD maps the whole file at base; PT_INTERP and PT_DYNAMIC point inside it. */
static uint8_t *make_elf(const elf_spec *s, size_t *len)
{
	bool is64 = s->bits == 64, be = s->be;
	size_t eh = is64 ? 64 : 52, ph = is64 ? 56 : 32, dsz = is64 ? 16 : 8, w = is64 ? 8 : 4;
	uint64_t base = is64 ? 0x400000 : 0x8048000;
	size_t nph = 1 + (s->interp ? 1 : 0) + (s->no_dynamic ? 0 : 1);
	qn_buf strs = QN_BUF_INIT;
	qn_buf_addc(&strs, 0);
	size_t o_need[8], n_need = 0, o_rpath = 0, o_runpath = 0, o_soname = 0;
	for (; n_need < 8 && s->needed[n_need]; n_need++)
		o_need[n_need] = add_str(&strs, s->needed[n_need]);
	if (s->rpath)
		o_rpath = add_str(&strs, s->rpath);
	if (s->runpath)
		o_runpath = add_str(&strs, s->runpath);
	if (s->soname)
		o_soname = add_str(&strs, s->soname);
	size_t interp_off = eh + nph * ph, interp_len = s->interp ? strlen(s->interp) + 1 : 0;
	size_t str_off = interp_off + interp_len;
	size_t dyn_off = (str_off + strs.len + s->dyn_pad + 7) & ~(size_t)7;
	size_t ndyn = n_need + 3 + !!s->rpath + !!s->runpath + !!s->soname + !!s->flags_1;
	size_t total = s->no_dynamic ? str_off : dyn_off + ndyn * dsz;
	qn_buf b = QN_BUF_INIT;
	qn_buf_reserve(&b, total);
	memset(b.data, 0, total);
	b.len = total;
	memcpy(b.data,
	       "\x7f"
	       "ELF",
	       4);
	b.data[4] = is64 ? 2 : 1, b.data[5] = be ? 2 : 1, b.data[6] = 1, b.data[7] = (char)s->osabi;
	put(&b, 16, s->type ? s->type : QN_ET_DYN, 2, be);
	put(&b, 18, s->machine ? s->machine : 62, 2, be);
	put(&b, 20, 1, 4, be);
	put(&b, is64 ? 32 : 28, eh, (int)w, be);   /* e_phoff */
	put(&b, is64 ? 48 : 36, s->eflags, 4, be); /* e_flags */
	put(&b, is64 ? 52 : 40, eh, 2, be);        /* e_ehsize */
	put(&b, is64 ? 54 : 42, ph, 2, be);        /* e_phentsize */
	put(&b, is64 ? 56 : 44, nph, 2, be);       /* e_phnum */
	size_t p = eh;
	/* p_type, p_offset, p_vaddr, p_filesz (64-bit: p_flags comes second) */
#define PHDR(type, off, vaddr, size)                             \
	do {                                                     \
		put(&b, p, type, 4, be);                         \
		put(&b, p + (is64 ? 8 : 4), off, (int)w, be);    \
		put(&b, p + (is64 ? 16 : 8), vaddr, (int)w, be); \
		put(&b, p + (is64 ? 32 : 16), size, (int)w, be); \
		put(&b, p + (is64 ? 40 : 20), size, (int)w, be); \
		p += ph;                                         \
	} while (0)
	PHDR(1, 0, base, total);
	if (s->interp) {
		PHDR(3, interp_off, base + interp_off, interp_len);
		memcpy(b.data + interp_off, s->interp, interp_len);
	}
	if (!s->no_dynamic) {
		PHDR(2, dyn_off, base + dyn_off, ndyn * dsz);
		memcpy(b.data + str_off, strs.data, strs.len);
	}
#undef PHDR
	size_t d = dyn_off;
#define DYN(tag, val)                            \
	do {                                     \
		put(&b, d, tag, (int)w, be);     \
		put(&b, d + w, val, (int)w, be); \
		d += dsz;                        \
	} while (0)
	if (!s->no_dynamic) {
		for (size_t i = 0; i < n_need; i++)
			DYN(1, o_need[i]);
		DYN(5, base + str_off);
		DYN(10, strs.len);
		if (s->rpath)
			DYN(15, o_rpath);
		if (s->runpath)
			DYN(29, o_runpath);
		if (s->soname)
			DYN(14, o_soname);
		if (s->flags_1)
			DYN(0x6ffffffb, s->flags_1);
		DYN(0, 0);
	}
#undef DYN
	qn_buf_clear(&strs);
	*len = b.len;
	return (uint8_t *)b.data;
}

static void put_elf(const char *root, const char *path, const elf_spec *s)
{
	size_t len;
	uint8_t *e = make_elf(s, &len);
	put_file(root, path, e, len, 0755);
	free(e);
}

/* ---- ELF parsing ---- */

static void check_parsed(const qn_elf_info *in, const elf_spec *s)
{
	CHECK_INT(in->elf_class, s->bits == 64 ? QN_ELFCLASS64 : QN_ELFCLASS32);
	CHECK_INT(in->data, s->be ? QN_ELFDATA2MSB : QN_ELFDATA2LSB);
	CHECK_INT(in->machine, s->machine);
	CHECK_INT(in->type, s->type);
	CHECK_INT(in->eflags, s->eflags);
	CHECK_STR(in->interp, s->interp);
	CHECK(in->dynamic);
	size_t n = 0;
	while (s->needed[n])
		n++;
	CHECK_INT(in->n_needed, n);
	for (size_t i = 0; i < n && i < in->n_needed; i++)
		CHECK_STR(in->needed[i], s->needed[i]);
	CHECK_STR(in->rpath, s->rpath);
	CHECK_STR(in->runpath, s->runpath);
	CHECK_STR(in->soname, s->soname);
	CHECK_INT(in->flags_1, s->flags_1);
}

static void test_elf_crafted(void)
{
	/* every class and byte order, with each dynamic field set */
	for (int k = 0; k < 4; k++) {
		elf_spec s = {.bits = k & 1 ? 64 : 32,
			      .be = k & 2,
			      .machine = k & 2 ? 21 : 62,
			      .type = QN_ET_EXEC,
			      .eflags = 0x12345678,
			      .interp = "/lib/ld-test.so.1",
			      .needed = {"liba.so.1", "libb.so.2", "libc.so.6"},
			      .rpath = "$ORIGIN/../lib:/opt/x",
			      .runpath = "/run/path",
			      .soname = "libself.so.9",
			      .flags_1 = QN_DF_1_NODEFLIB};
		size_t len, need = 0;
		uint8_t *e = make_elf(&s, &len);
		qn_elf_info in;
		qn_error *err = NULL;
		CHECK(qn_elf_is_elf(e, len));
		CHECK_INT(qn_elf_parse(e, len, &in, &need, &err), 0);
		if (!err)
			check_parsed(&in, &s);
		qn_elf_info_clear(&in);
		qn_error_free(err);
		free(e);
	}
	/* a static program: no interpreter, no dynamic section */
	elf_spec st = {.bits = 64, .machine = 62, .type = QN_ET_EXEC, .no_dynamic = true};
	size_t len;
	uint8_t *e = make_elf(&st, &len);
	qn_elf_info in;
	CHECK_INT(qn_elf_parse(e, len, &in, NULL, NULL), 0);
	CHECK(!in.interp && !in.dynamic && in.n_needed == 0 && !in.soname);
	qn_elf_info_clear(&in);
	free(e);
	CHECK(!qn_elf_is_elf((const uint8_t *)"\x7f"
					      "EL",
			     3));
	CHECK(!qn_elf_is_elf(NULL, 0));
}

static void test_elf_need_more(void)
{
	/* the dynamic section 300 kB in: the first 256 KiB hold the headers only */
	elf_spec s = {.bits = 64, .machine = 62, .type = QN_ET_DYN, .needed = {"libfar.so"}, .dyn_pad = 300000};
	size_t len, need = 0;
	uint8_t *e = make_elf(&s, &len);
	qn_elf_info in;
	qn_error *err = NULL;
	CHECK_INT(qn_elf_parse(e, 256 << 10, &in, &need, &err), QN_ELF_NEED_MORE);
	CHECK_INT(need, len); /* the whole dynamic section, which ends the file here */
	CHECK(err == NULL);
	CHECK_INT(qn_elf_parse(e, need, &in, &need, &err), 0);
	CHECK(in.n_needed == 1 && !strcmp(in.needed[0], "libfar.so"));
	qn_elf_info_clear(&in);
	/* too short for a header: asks for a 64-bit header's worth */
	CHECK_INT(qn_elf_parse(e, 10, &in, &need, &err), QN_ELF_NEED_MORE);
	CHECK_INT(need, 64);
	CHECK_INT(qn_elf_header(e, 10, &in, &err), -1);
	CHECK_CONTAINS(err ? err->msg : NULL, "file too short");
	qn_error_free(err);
	free(e);
}

/* Parses a modified copy of a good file; expects an error containing msg, or NEED_MORE with
 * need_want when msg is NULL. */
static void expect_bad(const uint8_t *good, size_t len, size_t at, uint64_t val, int n, bool be, const char *msg,
		       uint64_t need_want)
{
	uint8_t *b = xmemdup(good, len);
	qn_buf q = {(char *)b, len, len};
	if (n)
		put(&q, at, val, n, be);
	qn_elf_info in;
	qn_error *err = NULL;
	size_t need = 0;
	int rc = qn_elf_parse(b, len, &in, &need, &err);
	if (msg) {
		CHECK_INT(rc, -1);
		CHECK_CONTAINS(err ? err->msg : NULL, msg);
	} else {
		CHECK_INT(rc, QN_ELF_NEED_MORE);
		CHECK_INT(need, need_want);
	}
	if (rc == 0)
		qn_elf_info_clear(&in);
	qn_error_free(err);
	free(b);
}

static void test_elf_malformed(void)
{
	elf_spec s = {.bits = 64,
		      .machine = 62,
		      .type = QN_ET_DYN,
		      .interp = "/lib/ld.so",
		      .needed = {"liba.so"},
		      .soname = "libs.so"};
	size_t len;
	uint8_t *e = make_elf(&s, &len);
	/* layout: ehdr 64, 3 phdrs of 56 (LOAD at 64, INTERP at 120, DYNAMIC at 176), interp at 232 */
	expect_bad(e, len, 1, 'X', 1, false, "not an ELF file", 0);
	expect_bad(e, len, 4, 3, 1, false, "ELF class 3", 0);
	expect_bad(e, len, 5, 0, 1, false, "data encoding 0", 0);
	expect_bad(e, len, 54, 40, 2, false, "program header entry size 40", 0);
	expect_bad(e, len, 56, 0xffff, 2, false, "PN_XNUM", 0);
	/* program headers beyond the end: asks for them; offsets that cannot exist: an error */
	expect_bad(e, len, 32, 1000000, 8, false, NULL, 1000000 + 3 * 56);
	expect_bad(e, len, 32, UINT64_MAX - 10, 8, false, "offset out of range", 0);
	/* PT_INTERP: too long, past the end, not terminated */
	expect_bad(e, len, 120 + 32, 5000, 8, false, "PT_INTERP of 5000 bytes", 0);
	expect_bad(e, len, 120 + 8, UINT64_MAX - 4, 8, false, "offset out of range", 0);
	expect_bad(e, len, 120 + 32, 4, 8, false, "not a NUL-terminated path", 0);
	/* PT_DYNAMIC's address outside PT_LOAD; a huge size is clamped to the segment */
	expect_bad(e, len, 176 + 16, 0x10, 8, false, "PT_DYNAMIC at 0x10 is outside the loadable segments", 0);
	/* the string table: DT_STRTAB outside the segment, a name offset beyond DT_STRSZ */
	qn_elf_info in;
	qn_error *err = NULL;
	CHECK_INT(qn_elf_parse(e, len, &in, NULL, &err), 0);
	qn_elf_info_clear(&in);
	size_t d = len - 5 * 16; /* entries: NEEDED, STRTAB, STRSZ, SONAME, NULL */
	expect_bad(e, len, d + 16 + 8, 0x10, 8, false, "DT_STRTAB at 0x10 is outside", 0);
	expect_bad(e, len, d + 8, 1u << 30, 8, false, "DT_NEEDED: string offset 1073741824 beyond the string table", 0);
	expect_bad(e, len, d + 32 + 8, 3, 8, false, "DT_NEEDED: string runs past the end of the string table", 0);
	expect_bad(e, len, d + 48 + 8, 1u << 20, 8, false, "DT_SONAME: string offset", 0);
	/* no DT_STRTAB at all (its tag turned into DT_NULL's neighbour DT_DEBUG) */
	expect_bad(e, len, d + 16, 21, 8, false, "no DT_STRTAB", 0);
	/* truncated files: every cut either asks for more or fails, never reads past the end */
	for (size_t cut = 0; cut < len; cut++) {
		size_t need = 0;
		uint8_t *b = xmemdup(e, cut);
		int rc = qn_elf_parse(b, cut, &in, &need, NULL);
		CHECK(rc == QN_ELF_NEED_MORE && need > cut);
		free(b);
	}
	/* huge sizes for PT_DYNAMIC and PT_LOAD: the entries are read up to DT_NULL only */
	for (size_t at = 64 + 32; at <= 176 + 32; at += 112) {
		uint8_t *b = xmemdup(e, len);
		qn_buf q = {(char *)b, len, len};
		put(&q, at, UINT64_MAX / 2, 8, false);
		CHECK_INT(qn_elf_parse(b, len, &in, NULL, NULL), 0);
		CHECK(in.n_needed == 1 && !strcmp(in.needed[0], "liba.so"));
		qn_elf_info_clear(&in);
		free(b);
	}
	qn_error_free(err);
	free(e);
}

static qn_elf_info parse_path(const char *path)
{
	qn_elf_info in = {0};
	char *buf = slurp(path);
	size_t len = 0;
	char *again = buf ? qn_read_file(path, 64u << 20, &len, NULL) : NULL;
	qn_error *err = NULL;
	if (!again || qn_elf_parse((const uint8_t *)again, len, &in, NULL, &err) < 0) {
		printf("# %s: %s\n", path, err ? err->msg : "cannot read");
		tap_cur_failed = 1;
	}
	qn_error_free(err);
	free(buf);
	free(again);
	return in;
}

static void test_elf_real(void)
{
	if (!sh("command -v gcc >/dev/null 2>&1")) {
		printf("# SKIP gcc not installed\n");
		return;
	}
	tap_write("foo.c", "int foo(void) { return 1; }\n", 28);
	tap_write("main.c", "int foo(void);\nint main(void) { return foo(); }\n", 47);
	/* the library calls into libc: gcc links with --as-needed on some systems (Debian's gcc
	 * does), which leaves out libc.so.6 from a library that uses nothing of it */
	const char *foolibc = "int puts(const char *);\nint foo(void) { return puts(\"x\"); }\n";
	tap_write("foolibc.c", foolibc, strlen(foolibc));
	CHECK(sh("gcc -shared -fPIC -o libfoo.so.1 -Wl,-soname,libfoo.so.1 foolibc.c"));
	CHECK(sh("gcc -o app main.c ./libfoo.so.1 -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'"));
	CHECK(sh("gcc -o app2 main.c ./libfoo.so.1 -Wl,--enable-new-dtags -Wl,-rpath,/r1:/r2 -Wl,-z,nodefaultlib"));
	CHECK(sh("gcc -static -o static main.c foo.c 2>/dev/null || gcc -nostdlib -static -o static foo.c -Wl,-e,foo"));
	qn_elf_info in = parse_path("libfoo.so.1");
	CHECK_STR(in.soname, "libfoo.so.1");
	CHECK(in.n_needed == 1 && !strcmp(in.needed[0], "libc.so.6"));
	CHECK(!in.interp && in.type == QN_ET_DYN && in.machine == 62 && in.elf_class == QN_ELFCLASS64);
	qn_elf_info_clear(&in);
	in = parse_path("app");
	CHECK_STR(in.interp, "/lib64/ld-linux-x86-64.so.2");
	CHECK(in.n_needed == 2 && !strcmp(in.needed[0], "libfoo.so.1") && !strcmp(in.needed[1], "libc.so.6"));
	CHECK_STR(in.rpath, "$ORIGIN/../lib");
	CHECK(!in.runpath && !in.soname);
	qn_elf_info_clear(&in);
	in = parse_path("app2");
	CHECK_STR(in.runpath, "/r1:/r2");
	CHECK(!in.rpath);
	CHECK(in.flags_1 & QN_DF_1_NODEFLIB);
	qn_elf_info_clear(&in);
	in = parse_path("static");
	CHECK(!in.interp && in.n_needed == 0);
	qn_elf_info_clear(&in);
	/* other machines and byte orders, from clang and lld (no C library needed) */
	if (!sh("command -v clang >/dev/null 2>&1 && command -v ld.lld >/dev/null 2>&1")) {
		printf("# SKIP clang or ld.lld not installed: cross-target ELF files not checked\n");
		return;
	}
	static const struct {
		const char *target;
		int cls, data, machine;
	} tg[] = {{"i386-linux-gnu", 1, 1, 3},
		  {"powerpc64-linux-gnu", 2, 2, 21},
		  {"powerpc-linux-gnu", 1, 2, 20},
		  {"aarch64-linux-gnu", 2, 1, 183},
		  {"s390x-linux-gnu", 2, 2, 22}};
	for (size_t i = 0; i < QN_ARRAY_LEN(tg); i++) {
		bool ok = sh(
		    "clang --target=%s -fuse-ld=lld -nostdlib -shared -fPIC -o libdep.so -Wl,-soname,libdep.so.2 "
		    "foo.c 2>build.err && clang --target=%s -fuse-ld=lld -nostdlib -shared -fPIC -o libx.so "
		    "-Wl,-soname,libx.so.1 -Wl,-rpath,'$ORIGIN' -Wl,--enable-new-dtags foo.c ./libdep.so 2>>build.err",
		    tg[i].target, tg[i].target);
		/* a target clang or lld cannot build for at all (lld before 18 has no s390x) is a
		 * missing toolchain, not a parser failure: a trivial library fails to link too */
		if (!ok && !sh("clang --target=%s -fuse-ld=lld -nostdlib -shared -o probe.so foo.c >/dev/null 2>&1",
			       tg[i].target)) {
			char *why = slurp("build.err");
			char *nl = why ? strchr(why, '\n') : NULL;
			if (nl)
				*nl = 0;
			printf("# SKIP %s: no toolchain (%s)\n", tg[i].target, why && *why ? why : "clang failed");
			free(why);
			continue;
		}
		CHECK(ok);
		if (!ok)
			continue;
		in = parse_path("libx.so");
		CHECK_INT(in.elf_class, tg[i].cls);
		CHECK_INT(in.data, tg[i].data);
		CHECK_INT(in.machine, tg[i].machine);
		CHECK_STR(in.soname, "libx.so.1");
		CHECK_STR(in.runpath, "$ORIGIN");
		CHECK(in.n_needed == 1 && !strcmp(in.needed[0], "libdep.so.2"));
		qn_elf_info_clear(&in);
	}
}

/* ---- ld.so.cache ---- */

typedef struct {
	int32_t flags;
	const char *key, *value;
	uint64_t hwcap;
} cent;

enum { C_NEW, C_OLD, C_COMPAT };

/* Writes a cache the way ldconfig lays it out; endian_flag goes into the new header. */
static uint8_t *make_cache(int fmt, bool be, int endian_flag, const cent *e, size_t n, size_t *len)
{
	qn_buf strs = QN_BUF_INIT;
	size_t *ko = xcalloc(n + 1, sizeof(size_t)), *vo = xcalloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		ko[i] = add_str(&strs, e[i].key);
		vo[i] = add_str(&strs, e[i].value);
	}
	size_t old_sz = fmt == C_NEW ? 0 : 16 + 12 * n;
	size_t new_at = fmt == C_OLD ? 0 : (old_sz + 7) & ~(size_t)7;
	size_t new_sz = fmt == C_OLD ? 0 : 48 + 24 * n;
	size_t str_at = fmt == C_OLD ? old_sz : new_at + new_sz;
	qn_buf b = QN_BUF_INIT;
	qn_buf_reserve(&b, str_at + strs.len);
	memset(b.data, 0, str_at + strs.len);
	b.len = str_at + strs.len;
	memcpy(b.data + str_at, strs.data, strs.len);
	if (fmt != C_NEW) {
		memcpy(b.data, "ld.so-1.7.0", 11);
		put(&b, 12, n, 4, be);
		for (size_t i = 0; i < n; i++) { /* old strings: relative to the end of the old entries */
			put(&b, 16 + 12 * i, (uint32_t)e[i].flags, 4, be);
			put(&b, 16 + 12 * i + 4, str_at - old_sz + ko[i], 4, be);
			put(&b, 16 + 12 * i + 8, str_at - old_sz + vo[i], 4, be);
		}
	}
	if (fmt != C_OLD) {
		memcpy(b.data + new_at, "glibc-ld.so.cache1.1", 20);
		put(&b, new_at + 20, n, 4, be);
		put(&b, new_at + 24, strs.len, 4, be);
		b.data[new_at + 28] = (char)endian_flag;
		for (size_t i = 0; i < n; i++) { /* new strings: relative to the new header */
			size_t at = new_at + 48 + 24 * i;
			put(&b, at, (uint32_t)e[i].flags, 4, be);
			put(&b, at + 4, str_at - new_at + ko[i], 4, be);
			put(&b, at + 8, str_at - new_at + vo[i], 4, be);
			put(&b, at + 16, e[i].hwcap, 8, be);
		}
	}
	free(ko);
	free(vo);
	qn_buf_clear(&strs);
	*len = b.len;
	return (uint8_t *)b.data;
}

static const cent cache_ents[] = {
    {0x0303, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", 0},
    {0x0003, "libz.so.1", "/lib32/libz.so.1", 0},
    {0x0303, "libfoo.so.2", "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libfoo.so.2", (1ULL << 62) | 1},
    {0x0303, "libfoo.so.2", "/usr/lib/x86_64-linux-gnu/libfoo.so.2", 0},
    {0x0a03, "libfoo.so.2", "/usr/lib/aarch64-linux-gnu/libfoo.so.2", 0},
};

static void check_cache(const qn_ldcache *c, qn_ldcache_format fmt, bool be)
{
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(c->format, fmt);
	CHECK_INT(c->big_endian, be);
	CHECK_INT(c->n, 5);
	CHECK_INT(c->n_bad, 0);
	for (size_t i = 0; i < c->n && i < 5; i++) {
		CHECK_INT(c->entries[i].flags, cache_ents[i].flags);
		CHECK_STR(c->entries[i].key, cache_ents[i].key);
		CHECK_STR(c->entries[i].value, cache_ents[i].value);
		CHECK_INT(c->entries[i].hwcap, fmt == QN_LDCACHE_OLD ? 0 : cache_ents[i].hwcap);
	}
	qn_elf_info x86_64 = {.elf_class = 2, .data = 1, .machine = 62},
		    i386 = {.elf_class = 1, .data = 1, .machine = 3};
	qn_elf_info a64 = {.elf_class = 2, .data = 1, .machine = 183};
	const qn_ldcache_entry *m[4];
	CHECK_INT(qn_ldcache_lookup(c, "libz.so.1", &x86_64, m, 4), 1);
	CHECK_STR(m[0]->value, "/lib/x86_64-linux-gnu/libz.so.1");
	CHECK_INT(qn_ldcache_lookup(c, "libz.so.1", &i386, m, 4), 1);
	CHECK_STR(m[0]->value, "/lib32/libz.so.1");
	CHECK_INT(qn_ldcache_lookup(c, "libfoo.so.2", &x86_64, m, 1), 2); /* only the first is stored */
	CHECK_INT(qn_ldcache_lookup(c, "libfoo.so.2", &a64, m, 4), 1);
	CHECK_STR(m[0]->value, "/usr/lib/aarch64-linux-gnu/libfoo.so.2");
	CHECK_INT(qn_ldcache_lookup(c, "libnone.so", &x86_64, m, 4), 0);
}

static void test_ldcache_crafted(void)
{
	static const struct {
		int fmt, flag;
		bool be;
		qn_ldcache_format want;
	} v[] = {{C_NEW, 2, false, QN_LDCACHE_NEW},      {C_NEW, 3, true, QN_LDCACHE_NEW},
		 {C_NEW, 0, true, QN_LDCACHE_NEW},       {C_NEW, 0, false, QN_LDCACHE_NEW},
		 {C_OLD, 0, false, QN_LDCACHE_OLD},      {C_OLD, 0, true, QN_LDCACHE_OLD},
		 {C_COMPAT, 2, false, QN_LDCACHE_COMPAT}};
	for (size_t i = 0; i < QN_ARRAY_LEN(v); i++) {
		size_t len;
		uint8_t *b = make_cache(v[i].fmt, v[i].be, v[i].flag, cache_ents, 5, &len);
		qn_error *err = NULL;
		qn_ldcache *c = qn_ldcache_parse(b, len, &err);
		check_cache(c, v[i].want, v[i].be);
		qn_ldcache_free(c);
		/* every truncation fails cleanly or drops entries, never reads past the end */
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *t = xmemdup(b, cut);
			qn_ldcache *tc = qn_ldcache_parse(t, cut, NULL);
			CHECK(!tc || tc->n + tc->n_bad <= 5);
			qn_ldcache_free(tc);
			free(t);
		}
		qn_error_free(err);
		free(b);
	}
	size_t len;
	uint8_t *b = make_cache(C_NEW, false, 2, cache_ents, 5, &len);
	qn_buf q = {(char *)b, len, len};
	qn_error *err = NULL;
	b[28] = 1; /* byte order marked invalid */
	CHECK(!qn_ldcache_parse(b, len, &err));
	CHECK_CONTAINS(err ? err->msg : NULL, "byte order marked invalid");
	qn_error_free(err), err = NULL;
	b[28] = 2;
	put(&q, 20, 0x7fffffff, 4, false); /* a huge entry count */
	CHECK(!qn_ldcache_parse(b, len, &err));
	CHECK_CONTAINS(err ? err->msg : NULL, "entries do not fit");
	qn_error_free(err), err = NULL;
	put(&q, 20, 5, 4, false);
	put(&q, 48 + 4, 0xfffffff0, 4, false); /* a key far outside, a value just past the end */
	put(&q, 48 + 24 + 8, (uint32_t)len, 4, false);
	qn_ldcache *c = qn_ldcache_parse(b, len, &err);
	CHECK(c && c->n == 3 && c->n_bad == 2);
	qn_ldcache_free(c);
	CHECK(!qn_ldcache_parse((const uint8_t *)"not a cache at all", 18, &err));
	CHECK_CONTAINS(err ? err->msg : NULL, "unknown format");
	qn_error_free(err), err = NULL;
	CHECK(!qn_ldcache_parse((const uint8_t *)"glibc-ld.so.cache1.1", 20, &err));
	CHECK_CONTAINS(err ? err->msg : NULL, "header truncated");
	qn_error_free(err);
	free(b);
	char nm[48];
	CHECK_STR(qn_ldcache_flags_name(0x0303, nm), "libc6,x86-64");
	CHECK_STR(qn_ldcache_flags_name(0x0003, nm), "libc6");
	CHECK_STR(qn_ldcache_flags_name(0x0803, nm), "libc6,x32");
	CHECK_STR(qn_ldcache_flags_name(0x0a03, nm), "libc6,AArch64");
	CHECK_STR(qn_ldcache_flags_name(0x0903, nm), "libc6,hard-float");
	CHECK_STR(qn_ldcache_flags_name(0x1003, nm), "libc6,double-float");
	CHECK_STR(qn_ldcache_flags_name(0x0001, nm), "ELF");
	CHECK_STR(qn_ldcache_flags_name(0x2003, nm), "libc6,8192");
	CHECK_STR(qn_ldcache_flags_name(0x0007, nm), "unknown");
	/* which flags each loader accepts */
	qn_elf_info x86_64 = {.elf_class = 2, .machine = 62}, x32 = {.elf_class = 1, .machine = 62};
	qn_elf_info i386 = {.elf_class = 1, .machine = 3}, armhf = {.elf_class = 1, .machine = 40, .eflags = 0x5000400};
	CHECK(qn_ldcache_flags_match(0x0303, &x86_64) && !qn_ldcache_flags_match(0x0003, &x86_64));
	CHECK(qn_ldcache_flags_match(0x0803, &x32) && !qn_ldcache_flags_match(0x0303, &x32));
	CHECK(qn_ldcache_flags_match(0x0003, &i386) && qn_ldcache_flags_match(0x0001, &i386));
	CHECK(!qn_ldcache_flags_match(0x0803, &i386));
	CHECK(qn_ldcache_flags_match(0x0903, &armhf) && !qn_ldcache_flags_match(0x0b03, &armhf));
}

/* Compares our reading of a cache file with `ldconfig -p -C FILE`: the count and every line. */
static void compare_ldconfig(const char *file)
{
	char *out = NULL;
	if (!sh("ldconfig -p -C '%s' > ldp.txt 2>/dev/null", file) || !(out = slurp("ldp.txt"))) {
		printf("# ldconfig -p -C %s failed\n", file);
		tap_cur_failed = 1;
		return;
	}
	size_t len = 0;
	char *buf = qn_read_file(file, 64u << 20, &len, NULL);
	qn_error *err = NULL;
	qn_ldcache *c = buf ? qn_ldcache_parse((const uint8_t *)buf, len, &err) : NULL;
	CHECK(c != NULL);
	size_t count = 0, line = 0, hw = 0;
	CHECK(sscanf(out, "%zu libs found", &count) == 1);
	CHECK_INT(count, c ? c->n + c->n_bad : 0);
	for (char *l = strtok(out, "\n"); l && c; l = strtok(NULL, "\n")) {
		if (l[0] != '\t')
			continue; /* the count line, and "Cache generated by: ..." */
		if (line >= c->n) {
			line++;
			continue;
		}
		const qn_ldcache_entry *e = &c->entries[line++];
		char nm[48], want[8192];
		if (e->hwcap) { /* ldconfig adds the hwcap name it reads from the extension section */
			hw++;
			snprintf(want, sizeof(want), "\t%s (%s, hwcap: ", e->key, qn_ldcache_flags_name(e->flags, nm));
			CHECK(!strncmp(l, want, strlen(want)));
			snprintf(want, sizeof(want), ") => %s", e->value);
			CHECK(qn_str_has_suffix(l, want));
			continue;
		}
		snprintf(want, sizeof(want), "\t%s (%s) => %s", e->key, qn_ldcache_flags_name(e->flags, nm), e->value);
		if (strcmp(l, want))
			printf("# %s: line %zu: got \"%s\", ldconfig \"%s\"\n", file, line, want + 1, l + 1);
		CHECK_STR(l, want);
	}
	CHECK_INT(line, c ? c->n : 0);
	printf("# %s: %zu entries (%zu CPU-specific) match ldconfig -p\n", file, line, hw);
	qn_ldcache_free(c);
	qn_error_free(err);
	free(buf);
	free(out);
}

/* ---- writing a filtered ld.so.cache ---- */

/* `ldconfig -p -C FILE` as lines: the entry lines and the "Cache generated by" line, without
 * the count line (it names the file); the count goes to *count. False when ldconfig fails. */
static bool ldconfig_lines(const char *file, qn_ptrvec *lines, size_t *count)
{
	char *out = NULL;
	if (!sh("ldconfig -p -C '%s' > ldw.txt 2>/dev/null", file) || !(out = slurp("ldw.txt")))
		return false;
	*count = 0;
	bool ok = sscanf(out, "%zu libs found", count) == 1;
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
		if (!strstr(l, " libs found in cache "))
			qn_ptrvec_push(lines, xstrdup(l));
	free(out);
	return ok;
}

/* Line l without the subfolder name in "hwcap: \"NAME\"". ldconfig -p looks the names of a
 * compat file up relative to the file's start while ldconfig wrote them relative to the new
 * header, so it prints "" for them; the rewritten file is in the new layout, where it finds them. */
static char *strip_hwcap_name(const char *l)
{
	const char *p = strstr(l, "hwcap: \""), *q = p ? strstr(p + 8, "\")") : NULL;
	if (!q)
		return xstrdup(l);
	return xasprintf("%.*s%s", (int)(p + 8 - l), l, q);
}

/* Whether ldconfig's listing lines match, up to the subfolder names when compat is set. */
static bool same_line(const char *got, const char *want, bool compat)
{
	if (!compat)
		return !strcmp(got, want);
	_cleanup_free_ char *a = strip_hwcap_name(got), *b = strip_hwcap_name(want);
	return !strcmp(a, b);
}

static size_t keep_calls;
/* Drops every third entry, starting with the second. */
static bool keep_some(void *ud, const qn_ldcache_entry *e)
{
	const qn_ldcache *c = ud;
	keep_calls++;
	return (size_t)(e - c->entries) % 3 != 1;
}

static bool keep_none(void *ud, const qn_ldcache_entry *e)
{
	(void)ud, (void)e;
	return false;
}

static bool entries_equal(const qn_ldcache_entry *a, const qn_ldcache_entry *b)
{
	return a->flags == b->flags && a->osversion == b->osversion && a->hwcap == b->hwcap &&
	       !strcmp(a->key, b->key) && !strcmp(a->value, b->value);
}

/* Writes out of the cache in file both a filtered copy and a full one, and checks them with our
 * parser and with ldconfig. */
static void check_write(const char *file)
{
	size_t len = 0;
	char *buf = qn_read_file(file, 64u << 20, &len, NULL);
	qn_ldcache *c = buf ? qn_ldcache_parse((const uint8_t *)buf, len, NULL) : NULL;
	CHECK(c != NULL);
	if (!c) {
		free(buf);
		return;
	}
	qn_ptrvec orig = {0};
	size_t orig_count = 0;
	CHECK(ldconfig_lines(file, &orig, &orig_count));
	CHECK_INT(orig_count, c->n);
	/* (a) the filtered cache reads back as exactly the kept entries, in order */
	size_t flen = 0, kept = 0, flen2 = 0;
	keep_calls = 0;
	uint8_t *f = qn_ldcache_write(c, keep_some, c, &flen, &kept);
	CHECK_INT(keep_calls, c->n);
	CHECK_INT(kept, c->n - (c->n + 1) / 3);
	printf("# %s: %zu of %zu entries written\n", file, kept, c->n);
	uint8_t *f2 = qn_ldcache_write(c, keep_some, c, &flen2, NULL);
	CHECK(flen == flen2 && !memcmp(f, f2, flen)); /* deterministic */
	free(f2);
	qn_error *err = NULL;
	qn_ldcache *r = qn_ldcache_parse(f, flen, &err);
	CHECK(r != NULL);
	if (r) {
		CHECK_INT(r->format, QN_LDCACHE_NEW);
		CHECK_INT(r->big_endian, c->big_endian);
		CHECK_INT(r->n_bad, 0);
		CHECK_INT(r->n, kept);
		size_t j = 0;
		for (size_t i = 0; i < c->n; i++) {
			if (i % 3 == 1)
				continue;
			if (j < r->n && !entries_equal(&r->entries[j], &c->entries[i]))
				printf("# %s: entry %zu differs from original %zu\n", file, j, i);
			CHECK(j < r->n && entries_equal(&r->entries[j], &c->entries[i]));
			j++;
		}
	}
	qn_ldcache_free(r);
	qn_error_free(err);
	/* (b) ldconfig prints exactly the kept lines of its listing of the original */
	CHECK(qn_write_file_atomic("filtered.cache", f, flen, 0644, NULL) == 0);
	qn_ptrvec got = {0};
	size_t got_count = 0;
	CHECK(ldconfig_lines("filtered.cache", &got, &got_count));
	CHECK_INT(got_count, kept);
	qn_ptrvec want = {0};
	for (size_t i = 0, e = 0; i < orig.n; i++) {
		const char *l = orig.v[i];
		if (l[0] == '\t' && e++ % 3 == 1)
			continue;
		qn_ptrvec_push(&want, (void *)l);
	}
	CHECK_INT(got.n, want.n);
	for (size_t i = 0; i < got.n && i < want.n; i++)
		if (!same_line(got.v[i], want.v[i], c->format == QN_LDCACHE_COMPAT)) {
			printf("# %s: filtered line %zu: \"%s\", want \"%s\"\n", file, i, (char *)got.v[i],
			       (char *)want.v[i]);
			CHECK_STR(got.v[i], want.v[i]);
			break;
		}
	qn_ptrvec_clear(&want, NULL);
	qn_ptrvec_clear(&got, free);
	free(f);
	/* (c) keeping everything: ldconfig prints the same listing as for the original */
	f = qn_ldcache_write(c, NULL, NULL, &flen, &kept);
	CHECK_INT(kept, c->n);
	CHECK(qn_write_file_atomic("full.cache", f, flen, 0644, NULL) == 0);
	CHECK(ldconfig_lines("full.cache", &got, &got_count));
	CHECK_INT(got_count, c->n);
	CHECK_INT(got.n, orig.n);
	for (size_t i = 0; i < got.n && i < orig.n; i++)
		if (!same_line(got.v[i], orig.v[i], c->format == QN_LDCACHE_COMPAT)) {
			printf("# %s: full line %zu: \"%s\", want \"%s\"\n", file, i, (char *)got.v[i],
			       (char *)orig.v[i]);
			CHECK_STR(got.v[i], orig.v[i]);
			break;
		}
	qn_ptrvec_clear(&got, free);
	free(f);
	/* and nothing kept: an empty cache that the loader and ldconfig still accept */
	f = qn_ldcache_write(c, keep_none, NULL, &flen, &kept);
	CHECK_INT(kept, 0);
	CHECK(qn_write_file_atomic("empty.cache", f, flen, 0644, NULL) == 0);
	CHECK(ldconfig_lines("empty.cache", &got, &got_count));
	CHECK_INT(got_count, 0);
	qn_ptrvec_clear(&got, free);
	free(f);
	qn_ptrvec_clear(&orig, free);
	qn_ldcache_free(c);
	free(buf);
}

static void test_ldcache_write(void)
{
	/* big-endian and CPU-specific entries survive a round trip through our own reader */
	size_t len = 0, flen = 0, kept = 0;
	uint8_t *b = make_cache(C_NEW, true, 3, cache_ents, 5, &len);
	qn_ldcache *c = qn_ldcache_parse(b, len, NULL);
	uint8_t *f = c ? qn_ldcache_write(c, NULL, NULL, &flen, &kept) : NULL;
	qn_ldcache *r = f ? qn_ldcache_parse(f, flen, NULL) : NULL;
	check_cache(r, QN_LDCACHE_NEW, true);
	CHECK(f && f[28] == 3);
	qn_ldcache_free(r);
	qn_ldcache_free(c);
	free(f);
	free(b);
}

static void test_ldcache_ldconfig(void)
{
	if (!sh("command -v ldconfig >/dev/null 2>&1")) {
		printf("# SKIP ldconfig not installed\n");
		return;
	}
	if (access("/etc/ld.so.cache", R_OK) == 0) {
		compare_ldconfig("/etc/ld.so.cache");
		check_write("/etc/ld.so.cache");
	}
	/* a small root of real libraries, with a glibc-hwcaps variant and 32-bit libraries when the
	 * host has them; ldconfig -r writes only inside it (-X: no links changed) */
	CHECK(sh("mkdir -p r/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3 r/usr/lib32 r/etc && "
		 "cp -L /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libz.so.1 r/usr/lib/x86_64-linux-gnu/ && "
		 "cp -L /lib/x86_64-linux-gnu/libz.so.1 r/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/ && "
		 "{ cp -L /lib32/libc.so.6 r/usr/lib32/ 2>/dev/null || true; } && "
		 "printf '/usr/lib/x86_64-linux-gnu\\n/usr/lib32\\n' > r/etc/ld.so.conf"));
	static const char *const fmts[] = {"old", "new", "compat"};
	for (size_t i = 0; i < 3; i++) {
		char file[64];
		snprintf(file, sizeof(file), "r/etc/%s.cache", fmts[i]);
		if (!sh("ldconfig -X -r r -c %s -C /etc/%s.cache 2>ldc.err", fmts[i], fmts[i])) {
			printf("# SKIP ldconfig -c %s not supported here\n", fmts[i]);
			continue;
		}
		compare_ldconfig(file);
		check_write(file); /* filtered copies: new and compat have a glibc-hwcaps entry */
		size_t len = 0;
		char *b = qn_read_file(file, 1 << 20, &len, NULL);
		qn_ldcache *c = b ? qn_ldcache_parse((const uint8_t *)b, len, NULL) : NULL;
		CHECK(c && c->format == (i == 0 ? QN_LDCACHE_OLD : i == 1 ? QN_LDCACHE_NEW : QN_LDCACHE_COMPAT));
		qn_ldcache_free(c);
		free(b);
	}
	/* the test image's own cache */
	const char *img = "/var/cache/quench-testimages/rootfs/bookworm-python311-slim.tar";
	if (access(img, R_OK) != 0) {
		printf("# SKIP %s missing (build it with /work/shared/testimages/build.sh)\n", img);
		return;
	}
	CHECK(
	    sh("mkdir -p img && (tar -xf %s -C img ./etc/ld.so.cache 2>/dev/null || tar -xf %s -C img etc/ld.so.cache)",
	       img, img));
	compare_ldconfig("img/etc/ld.so.cache");
	check_write("img/etc/ld.so.cache");
}

/* ---- ld.so.conf ---- */

static void test_glob(void)
{
	CHECK(qn_glob_match("*.conf", "a.conf"));
	CHECK(!qn_glob_match("*.conf", ".hidden.conf"));
	CHECK(qn_glob_match(".*.conf", ".hidden.conf"));
	CHECK(!qn_glob_match("*.conf", "conf"));
	CHECK(qn_glob_match("[ab]?.c*", "b1.conf"));
	CHECK(!qn_glob_match("[!a]*", "abc"));
	CHECK(qn_glob_match("[^a]*", "bcd"));
	CHECK(qn_glob_match("[a-c]x", "bx"));
	CHECK(!qn_glob_match("[a-c]x", "dx"));
	CHECK(qn_glob_match("[]]", "]"));
	CHECK(qn_glob_match("[", "["));
	CHECK(qn_glob_match("\\*x", "*x"));
	CHECK(!qn_glob_match("\\*x", "ax"));
	CHECK(qn_glob_match("a*b*c", "aXbYbZc"));
	CHECK(!qn_glob_match("a*b*c", "aXbYbZ"));
	CHECK(qn_glob_match("*", "x"));
	CHECK(qn_glob_match("x??", "xyz") && !qn_glob_match("x??", "xy"));
}

static void test_ldconf(void)
{
	const char *r = "root";
	const char *main_conf = "# comment\n"
				"include /etc/ld.so.conf.d/*.conf\n"
				"/usr/local/lib   # trailing comment\n"
				"hwcap 1 nosegneg\n"
				"/opt/typed=libc6\n"
				"include sub/*.conf other/none*.conf\n"
				"relative/dir\n"
				"/usr/local/lib/\n"
				"   \n";
	put_file(r, "etc/ld.so.conf", main_conf, strlen(main_conf), 0644);
	put_file(r, "etc/ld.so.conf.d/a.conf", "/opt/a\n", 7, 0644);
	put_file(r, "etc/ld.so.conf.d/b.conf", "/opt/b\ninclude b.conf\n", 22, 0644); /* includes itself */
	put_file(r, "etc/ld.so.conf.d/.hidden.conf", "/opt/hidden\n", 12, 0644);
	put_file(r, "etc/ld.so.conf.d/z.txt", "/opt/z\n", 7, 0644);
	put_link(r, "etc/ld.so.conf.d/c.conf", "../c-real.conf");
	put_file(r, "etc/c-real.conf", "/opt/c\n", 7, 0644);
	put_file(r, "etc/sub/s1.conf", "/opt/s1\n", 8, 0644);
	put_file(r, "etc/sub/s2.conf", "/opt/s2\n/opt/a\n", 15, 0644);
	qn_tree *t = tree_of(r);
	qn_ldconf conf;
	qn_ptrvec w = {0};
	CHECK_INT(qn_ldconf_load(t, read_dir, (void *)r, "etc/ld.so.conf", &conf, &w, NULL), 0);
	static const char *const dirs[] = {"/opt/a",     "/opt/b",  "/opt/c", "/usr/local/lib",
					   "/opt/typed", "/opt/s1", "/opt/s2"};
	CHECK_INT(conf.dirs.n, QN_ARRAY_LEN(dirs));
	for (size_t i = 0; i < conf.dirs.n && i < QN_ARRAY_LEN(dirs); i++)
		CHECK_STR(conf.dirs.v[i], dirs[i]);
	static const char *const files[] = {
	    "etc/ld.so.conf",  "etc/ld.so.conf.d/a.conf", "etc/ld.so.conf.d/b.conf", "etc/ld.so.conf.d/c.conf",
	    "etc/c-real.conf", "etc/sub/s1.conf",         "etc/sub/s2.conf",         NULL};
	check_set(&conf.files, files);
	static const char *const warns[] = {
	    "etc/ld.so.conf.d/b.conf: includes nest more than 16 deep (a loop?), ignored",
	    "etc/ld.so.conf:7: not an absolute folder, ignored: \"relative/dir\"", NULL};
	check_lines(&w, warns);
	qn_ldconf_clear(&conf);
	qn_ptrvec_clear(&w, free);
	/* no configuration at all is an empty one */
	qn_tree *t2 = tree_of("root/etc/sub");
	CHECK_INT(qn_ldconf_load(t2, read_dir, (void *)"root/etc/sub", "etc/ld.so.conf", &conf, NULL, NULL), 0);
	CHECK(conf.dirs.n == 0 && qn_strset_count(&conf.files) == 0);
	qn_ldconf_clear(&conf);
	/* the tree glob on its own: sorted, hidden names left out, symlinked entries listed */
	qn_ptrvec m = {0};
	qn_tree_glob(t, "/etc/*/?*.conf", &m);
	static const char *const g[] = {"/etc/ld.so.conf.d/a.conf", "/etc/ld.so.conf.d/b.conf",
					"/etc/ld.so.conf.d/c.conf", "/etc/sub/s1.conf", "/etc/sub/s2.conf"};
	CHECK_INT(m.n, QN_ARRAY_LEN(g));
	for (size_t i = 0; i < m.n && i < QN_ARRAY_LEN(g); i++)
		CHECK_STR(m.v[i], g[i]);
	qn_ptrvec_clear(&m, free);
	qn_tree_free(t);
	qn_tree_free(t2);
	/* the same order from ldconfig itself: `ldconfig -v` lists the folders it scans as it reads
	 * the configuration (a copy without the self-include, which ldconfig follows until it runs
	 * out of file descriptors) */
	if (!sh("command -v ldconfig >/dev/null 2>&1")) {
		printf("# SKIP ldconfig not installed\n");
		return;
	}
	CHECK(sh("cp -a root rootl && printf '/opt/b\\n' > rootl/etc/ld.so.conf.d/b.conf && "
		 "mkdir -p rootl/opt/a rootl/opt/b rootl/opt/c rootl/opt/typed rootl/opt/s1 rootl/opt/s2 "
		 "rootl/usr/local/lib rootl/opt/hidden rootl/opt/z"));
	CHECK(sh("ldconfig -r rootl -v -N -X 2>/dev/null | sed -n 's/^\\(\\/[^:]*\\): (from .*/\\1/p' > order.txt"));
	qn_tree *t3 = tree_of("rootl");
	CHECK_INT(qn_ldconf_load(t3, read_dir, (void *)"rootl", "etc/ld.so.conf", &conf, NULL, NULL), 0);
	char *order = slurp("order.txt");
	size_t i = 0;
	for (char *l = order ? strtok(order, "\n") : NULL; l; l = strtok(NULL, "\n"), i++) {
		if (i < conf.dirs.n && strcmp(conf.dirs.v[i], l))
			printf("# folder %zu: ldconfig \"%s\", ours \"%s\"\n", i, l, (char *)conf.dirs.v[i]);
		CHECK(i < conf.dirs.n && !strcmp(conf.dirs.v[i], l));
	}
	CHECK_INT(i, conf.dirs.n);
	CHECK(i == QN_ARRAY_LEN(dirs));
	free(order);
	qn_ldconf_clear(&conf);
	qn_tree_free(t3);
}

/* ---- closures over a folder image ---- */

#define X64(...)                                       \
	{                                              \
		.bits = 64, .machine = 62, __VA_ARGS__ \
	}
#define INTERP64 "/lib64/ld-linux-x86-64.so.2"

/* The tree builder refuses images with symlink loops (qn_tree_finish). The closure bounds its
 * own lookups all the same; to show that, this builds a tree of a folder without that check. */
static qn_stage *uf_stage;
static size_t uf_skip;

static int uf_walk(const char *fpath, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = fpath + uf_skip;
	while (*rel == '/')
		rel++;
	char target[4096] = "";
	qn_tar_entry e = {.path = *rel ? rel : ".", .linkname = target, .uname = "", .gname = ""};
	e.mode = st->st_mode & 07777;
	if (S_ISDIR(st->st_mode)) {
		e.type = QN_TAR_DIR;
	} else if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(fpath, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		e.type = QN_TAR_SYMLINK;
	} else {
		e.type = QN_TAR_REG; /* no content: the closure reads files through its read function */
	}
	(void)flag, (void)ftw;
	return qn_stage_entry(uf_stage, &e, NULL) < 0 || qn_stage_entry_end(uf_stage, NULL) < 0;
}

static qn_tree *tree_unfinished(const char *root)
{
	qn_tree *t = qn_tree_new();
	uf_stage = qn_stage_new(0, 4096, NULL, NULL);
	uf_skip = strlen(root);
	CHECK(nftw(root, uf_walk, 16, FTW_PHYS) == 0);
	CHECK(qn_tree_merge(t, uf_stage, NULL) == 0);
	qn_stage_free(uf_stage);
	return t;
}

/* Runs a closure (ELF or shebang) over the folder image at root and compares the result and the
 * warnings with exact expectations (both NULL-terminated). */
static bool unfinished_trees; /* build trees with tree_unfinished */

static void expect_closure(const char *root, const qn_closure_opts *base, bool shebang, const char *const *start,
			   const char *const *want, const char *const *warns)
{
	qn_tree *t = unfinished_trees ? tree_unfinished(root) : tree_of(root);
	if (!t)
		return;
	qn_closure_opts o = base ? *base : (qn_closure_opts){0};
	o.read = read_dir, o.read_ud = (void *)root;
	size_t n = 0;
	while (start[n])
		n++;
	qn_strset out = QN_STRSET_INIT;
	qn_ptrvec w = {0};
	qn_error *err = NULL;
	int rc = shebang ? qn_closure_shebang(t, &o, start, n, &out, &w, &err)
			 : qn_closure_elf(t, &o, start, n, &out, &w, &err);
	CHECK_INT(rc, 0);
	if (err)
		printf("# error: %s\n", err->msg);
	check_set(&out, want);
	static const char *const none[] = {NULL};
	check_lines(&w, warns ? warns : none);
	qn_strset_clear(&out);
	qn_ptrvec_clear(&w, free);
	qn_error_free(err);
	qn_tree_free(t);
}

/* A merged-/usr x86-64 base: lib -> usr/lib, lib64 -> usr/lib64, the loader reached through
 * lib64's link into the multiarch folder (as Debian lays it out), and libc. */
static void base_image(const char *r)
{
	put_link(r, "lib", "usr/lib");
	put_link(r, "lib64", "usr/lib64");
	elf_spec ld = X64(.type = QN_ET_DYN, .soname = "ld-linux-x86-64.so.2");
	put_elf(r, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", &ld);
	put_link(r, "usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	elf_spec libc = X64(.type = QN_ET_DYN, .soname = "libc.so.6");
	put_elf(r, "usr/lib/x86_64-linux-gnu/libc.so.6", &libc);
}

/* What starting any program of base_image touches besides the program: the interpreter's path
 * and links, and libc found in the first default folder /lib/x86_64-linux-gnu (through lib). */
#define BASE_LD                                                                         \
	"lib64", "lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2", "lib", \
	    "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
#define BASE_LIBC "lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6"

static void test_closure_tree(void)
{
	/* a program with $ORIGIN RUNPATH, a library found in the multiarch default folder, and a
	 * script whose interpreter is that program via env */
	const char *r = "root";
	base_image(r);
	elf_spec foo = X64(.type = QN_ET_DYN, .soname = "libfoo.so.1", .needed = {"libc.so.6"});
	put_elf(r, "usr/lib/app/libfoo.so.1.2", &foo);
	put_link(r, "usr/lib/app/libfoo.so.1", "libfoo.so.1.2");
	elf_spec app = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libfoo.so.1", "libc.so.6"},
			   .runpath = "$ORIGIN/../lib/app");
	put_elf(r, "usr/bin/app", &app);
	elf_spec env = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libc.so.6"});
	put_elf(r, "usr/bin/env", &env);
	put_file(r, "usr/bin/run.sh", "#!/usr/bin/env app\n", 19, 0755);
	put_file(r, "etc/unrelated", "x", 1, 0644);
	/* env's PATH search misses in /usr/local/sbin, /usr/local/bin and /usr/sbin, which do not
	 * exist: nothing there to keep. "$ORIGIN/../lib/app" climbs out of usr/bin, which the kernel
	 * needs to resolve it; the lexical form of a ".." path names nothing and is left out. libc
	 * is mapped once although three objects need it. */
	static const char *const start[] = {"usr/bin/run.sh", "etc/unrelated", NULL};
	static const char *const want[] = {"usr/bin/run.sh",
					   "usr/bin/env",
					   "usr/bin/app",
					   "usr/bin",
					   BASE_LD,
					   "usr/lib/app/libfoo.so.1",
					   "usr/lib/app/libfoo.so.1.2",
					   BASE_LIBC,
					   NULL};
	expect_closure(r, NULL, true, start, want, NULL);
	/* the same tree without env: the kernel cannot start the script, so nothing it would
	 * have run is needed */
	CHECK(unlink("root/usr/bin/env") == 0);
	static const char *const want2[] = {"usr/bin/run.sh", NULL};
	static const char *const warn2[] = {"usr/bin/run.sh: interpreter \"/usr/bin/env\" not found", NULL};
	expect_closure(r, NULL, true, start, want2, warn2);
}

/* RPATH, RUNPATH and LD_LIBRARY_PATH: which copy of a library each program gets. */
static void test_closure_search_order(void)
{
	const char *r = "a";
	base_image(r);
	elf_spec x = X64(.type = QN_ET_DYN, .soname = "libx.so.1");
	put_elf(r, "r1/libx.so.1", &x);
	put_elf(r, "r2/libx.so.1", &x);
	put_elf(r, "ll/libx.so.1", &x);
	put_elf(r, "usr/lib/x86_64-linux-gnu/libx.so.1", &x);
	elf_spec la = X64(.type = QN_ET_DYN, .soname = "liba.so.1", .needed = {"libb.so.1"});
	put_elf(r, "usr/lib/x86_64-linux-gnu/liba.so.1", &la);
	elf_spec lb = X64(.type = QN_ET_DYN, .soname = "libb.so.1");
	put_elf(r, "r1/libb.so.1", &lb);
	elf_spec rp = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libx.so.1"}, .rpath = "/r1");
	put_elf(r, "usr/bin/rp", &rp);
	elf_spec both =
	    X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libx.so.1"}, .rpath = "/r1", .runpath = "/r2");
	put_elf(r, "usr/bin/both", &both);
	elf_spec run = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libx.so.1"}, .runpath = "/r2");
	put_elf(r, "usr/bin/run", &run);
	elf_spec chain = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"liba.so.1"}, .rpath = "/r1");
	put_elf(r, "usr/bin/chain", &chain);
	elf_spec chain2 = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"liba.so.1"}, .runpath = "/r1");
	put_elf(r, "usr/bin/chain2", &chain2);
	qn_closure_opts ll = {.ld_library_path = "/nowhere::/ll"}; /* an empty element is the working folder */

	/* DT_RPATH comes before LD_LIBRARY_PATH */
	static const char *const s_rp[] = {"usr/bin/rp", NULL};
	static const char *const w_rp[] = {"usr/bin/rp", BASE_LD, "r1/libx.so.1", NULL};
	expect_closure(r, NULL, false, s_rp, w_rp, NULL);
	expect_closure(r, &ll, false, s_rp, w_rp, NULL);
	/* with a DT_RUNPATH the object's DT_RPATH is ignored */
	static const char *const s_both[] = {"usr/bin/both", NULL};
	static const char *const w_both[] = {"usr/bin/both", BASE_LD, "r2/libx.so.1", NULL};
	expect_closure(r, NULL, false, s_both, w_both, NULL);
	/* LD_LIBRARY_PATH comes before DT_RUNPATH */
	static const char *const s_run[] = {"usr/bin/run", NULL};
	static const char *const w_run[] = {"usr/bin/run", BASE_LD, "r2/libx.so.1", NULL};
	static const char *const w_run_ll[] = {"usr/bin/run", BASE_LD, "ll/libx.so.1", NULL};
	expect_closure(r, NULL, false, s_run, w_run, NULL);
	expect_closure(r, &ll, false, s_run, w_run_ll, NULL);
	/* the program's DT_RPATH serves its dependencies' dependencies too */
	static const char *const s_chain[] = {"usr/bin/chain", NULL};
	static const char *const w_chain[] = {
	    "usr/bin/chain", BASE_LD, "lib/x86_64-linux-gnu/liba.so.1", "usr/lib/x86_64-linux-gnu/liba.so.1",
	    "r1/libb.so.1",  NULL};
	expect_closure(r, NULL, false, s_chain, w_chain, NULL);
	/* its DT_RUNPATH does not */
	static const char *const s_chain2[] = {"usr/bin/chain2", NULL};
	static const char *const w_chain2[] = {"usr/bin/chain2", BASE_LD, "lib/x86_64-linux-gnu/liba.so.1",
					       "usr/lib/x86_64-linux-gnu/liba.so.1", NULL};
	static const char *const warn_chain2[] = {"libb.so.1 (needed by usr/lib/x86_64-linux-gnu/liba.so.1): not found",
						  NULL};
	expect_closure(r, NULL, false, s_chain2, w_chain2, warn_chain2);
	/* no search list: the default folders, /lib/x86_64-linux-gnu first */
	elf_spec plain = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libx.so.1", "libc.so.6"});
	put_elf(r, "usr/bin/plain", &plain);
	static const char *const s_plain[] = {"usr/bin/plain", NULL};
	static const char *const w_plain[] = {
	    "usr/bin/plain", BASE_LD, "lib/x86_64-linux-gnu/libx.so.1", "usr/lib/x86_64-linux-gnu/libx.so.1",
	    BASE_LIBC,       NULL};
	expect_closure(r, NULL, false, s_plain, w_plain, NULL);
	/* LD_PRELOAD (spaces or colons) is mapped before DT_NEEDED, searched like it */
	/* (with the program as their loader: its DT_RPATH applies); a preloaded SONAME satisfies a
	 * later DT_NEEDED of the same name; a preload that is not found is skipped */
	qn_closure_opts pre = {.ld_preload = "libb.so.1 libzz.so.9:/r2/libx.so.1"};
	static const char *const w_pre[] = {"usr/bin/rp", BASE_LD, "r1/libb.so.1", "r2/libx.so.1", NULL};
	static const char *const warn_pre[] = {"libzz.so.9 (needed by LD_PRELOAD): not found", NULL};
	expect_closure(r, &pre, false, s_rp, w_pre, warn_pre);
}

/* $ORIGIN in DT_RPATH and LD_LIBRARY_PATH is the program's real folder. */
static void test_closure_origin(void)
{
	const char *r = "o";
	base_image(r);
	elf_spec p = X64(.type = QN_ET_DYN, .soname = "libp.so.1");
	put_elf(r, "usr/lib/priv/libp.so.1", &p);
	elf_spec q = X64(.type = QN_ET_DYN, .soname = "libq.so.1");
	put_elf(r, "usr/bin/priv2/libq.so.1", &q);
	elf_spec orig = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libp.so.1", "libq.so.1"},
			    .rpath = "$ORIGIN/../lib/priv:${ORIGIN}/priv2");
	put_elf(r, "usr/bin/orig", &orig);
	put_link(r, "usr/local/bin/orig", "../../bin/orig");
	/* "$ORIGIN/../lib/priv" climbs out of usr/bin; the link's own ".." stay inside its folder */
	static const char *const start[] = {"usr/local/bin/orig", NULL};
	static const char *const want[] = {"usr/local/bin/orig",
					   "usr/bin/orig",
					   BASE_LD,
					   "usr/bin",
					   "usr/lib/priv/libp.so.1",
					   "usr/bin/priv2/libq.so.1",
					   NULL};
	expect_closure(r, NULL, false, start, want, NULL);
	elf_spec lq = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libq.so.1"});
	put_elf(r, "usr/bin/lq", &lq);
	qn_closure_opts o = {.ld_library_path = "$ORIGIN/priv2"};
	static const char *const s_lq[] = {"usr/bin/lq", NULL};
	static const char *const w_lq[] = {"usr/bin/lq", BASE_LD, "usr/bin/priv2/libq.so.1", NULL};
	expect_closure(r, &o, false, s_lq, w_lq, NULL);
	/* an unknown token drops its element, with a warning */
	elf_spec tok = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libq.so.1"}, .rpath = "$ORIGIN/priv2");
	put_elf(r, "usr/bin/tok", &tok);
	static const char *const s_tok[] = {"usr/bin/tok", NULL};
	static const char *const w_tok[] = {"usr/bin/tok", BASE_LD, "usr/bin/priv2/libq.so.1", NULL};
	expect_closure(r, NULL, false, s_tok, w_tok, NULL);
}

/* /etc/ld.so.cache: entries of the program's ABI, CPU-specific ones kept too, a stale entry
 * falling through to the default folders; the configuration that rebuilds it is kept. */
static void test_closure_cache(void)
{
	const char *r = "c";
	base_image(r);
	static const cent ents[] = {
	    {0x0303, "libgone.so.1", "/opt/gone/libgone.so.1", 0},
	    {0x0303, "libh.so.1", "/opt/q/glibc-hwcaps/x86-64-v3/libh.so.1", (1ULL << 62) | 1},
	    {0x0303, "libh.so.1", "/opt/q/libh.so.1", 0},
	    {0x0003, "libq.so.1", "/opt/q32/libq.so.1", 0},
	    {0x0303, "libq.so.1", "/opt/q/libq.so.1", 0},
	};
	size_t len;
	uint8_t *cache = make_cache(C_NEW, false, 2, ents, QN_ARRAY_LEN(ents), &len);
	put_file(r, "etc/ld.so.cache", cache, len, 0644);
	free(cache);
	put_file(r, "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 33, 0644);
	put_file(r, "etc/ld.so.conf.d/q.conf", "/opt/q\n", 7, 0644);
	elf_spec lq = X64(.type = QN_ET_DYN, .soname = "libq.so.1");
	put_elf(r, "opt/q/libq.so.1", &lq);
	put_elf(r, "opt/q32/libq.so.1", &lq);
	elf_spec lh = X64(.type = QN_ET_DYN, .soname = "libh.so.1");
	put_elf(r, "opt/q/libh.so.1", &lh);
	put_elf(r, "opt/q/glibc-hwcaps/x86-64-v3/libh.so.1", &lh);
	elf_spec lg = X64(.type = QN_ET_DYN, .soname = "libgone.so.1");
	put_elf(r, "usr/lib/x86_64-linux-gnu/libgone.so.1", &lg);
	elf_spec ls = X64(.type = QN_ET_DYN, .soname = "libs.so.1");
	put_elf(r, "opt/q/libs.so.1", &ls);
	elf_spec cq = X64(.type = QN_ET_DYN, .interp = INTERP64,
			  .needed = {"libq.so.1", "libh.so.1", "libgone.so.1", "libc.so.6"});
	put_elf(r, "usr/bin/cq", &cq);
	static const char *const s_cq[] = {"usr/bin/cq", NULL};
	static const char *const w_cq[] = {"usr/bin/cq",
					   BASE_LD,
					   "opt/q/libq.so.1",
					   "opt/q/glibc-hwcaps/x86-64-v3/libh.so.1",
					   "opt/q/libh.so.1",
					   "lib/x86_64-linux-gnu/libgone.so.1",
					   "usr/lib/x86_64-linux-gnu/libgone.so.1",
					   BASE_LIBC,
					   "etc/ld.so.cache",
					   "etc/ld.so.conf",
					   "etc/ld.so.conf.d/q.conf",
					   NULL};
	expect_closure(r, NULL, false, s_cq, w_cq, NULL);
	/* a library in an ld.so.conf folder that the cache does not list: not found, and why */
	elf_spec st = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libs.so.1"});
	put_elf(r, "usr/bin/stale", &st);
	static const char *const s_st[] = {"usr/bin/stale", NULL};
	static const char *const w_st[] = {"usr/bin/stale",           BASE_LD, "etc/ld.so.cache", "etc/ld.so.conf",
					   "etc/ld.so.conf.d/q.conf", NULL};
	static const char *const warn_st[] = {
	    "libs.so.1 (needed by usr/bin/stale): not found (libs.so.1 is in /opt/q, listed in ld.so.conf, but "
	    "etc/ld.so.cache does not list it: the cache is stale)",
	    NULL};
	expect_closure(r, NULL, false, s_st, w_st, warn_st);
	/* a cache the loader rejects is searched past, and said so */
	put_file(r, "etc/ld.so.cache", "glibc-ld.so.cache1.1", 20, 0644);
	static const char *const w_bad[] = {"usr/bin/stale", BASE_LD, NULL};
	static const char *const warn_bad[] = {
	    "etc/ld.so.cache ignored, as the loader ignores it: ld.so.cache: new-format header truncated",
	    "libs.so.1 (needed by usr/bin/stale): not found (libs.so.1 is in /opt/q, listed in ld.so.conf, but the "
	    "image has no usable etc/ld.so.cache)",
	    NULL};
	expect_closure(r, NULL, false, s_st, w_bad, warn_bad);
}

/* DF_1_NODEFLIB: no default folders and no cache entries below them, for that object only. */
static void test_closure_nodeflib(void)
{
	const char *r = "n";
	base_image(r);
	static const cent ents[] = {
	    {0x0303, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0},
	    {0x0303, "libn.so.1", "/opt/n/libn.so.1", 0},
	};
	size_t len;
	uint8_t *cache = make_cache(C_NEW, false, 2, ents, QN_ARRAY_LEN(ents), &len);
	put_file(r, "etc/ld.so.cache", cache, len, 0644);
	free(cache);
	elf_spec ln = X64(.type = QN_ET_DYN, .soname = "libn.so.1");
	put_elf(r, "opt/n/libn.so.1", &ln);
	elf_spec ln2 = X64(.type = QN_ET_DYN, .soname = "libn2.so.1", .needed = {"libc.so.6"});
	put_elf(r, "opt/n/libn2.so.1", &ln2);
	elf_spec nd = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libn.so.1", "libc.so.6"},
			  .flags_1 = QN_DF_1_NODEFLIB);
	put_elf(r, "usr/bin/nd", &nd);
	static const char *const s_nd[] = {"usr/bin/nd", NULL};
	static const char *const w_nd[] = {"usr/bin/nd", BASE_LD, "opt/n/libn.so.1", "etc/ld.so.cache", NULL};
	static const char *const warn_nd[] = {"libc.so.6 (needed by usr/bin/nd): not found", NULL};
	expect_closure(r, NULL, false, s_nd, w_nd, warn_nd);
	/* the flag is not inherited: libn2 gets libc from the cache */
	elf_spec nd2 = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libn2.so.1"}, .runpath = "/opt/n",
			   .flags_1 = QN_DF_1_NODEFLIB);
	put_elf(r, "usr/bin/nd2", &nd2);
	static const char *const s_nd2[] = {"usr/bin/nd2", NULL};
	static const char *const w_nd2[] = {"usr/bin/nd2", BASE_LD,           "opt/n/libn2.so.1",
					    BASE_LIBC,     "etc/ld.so.cache", NULL};
	expect_closure(r, NULL, false, s_nd2, w_nd2, NULL);
}

/* Missing libraries and interpreters, symlink loops, relative interpreters. */
static void test_closure_odd(void)
{
	const char *r = "d";
	base_image(r);
	elf_spec miss = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libnone.so.1", "libc.so.6"});
	put_elf(r, "usr/bin/miss", &miss);
	static const char *const s_miss[] = {"usr/bin/miss", NULL};
	static const char *const w_miss[] = {"usr/bin/miss", BASE_LD, BASE_LIBC, NULL};
	static const char *const warn_miss[] = {"libnone.so.1 (needed by usr/bin/miss): not found", NULL};
	expect_closure(r, NULL, false, s_miss, w_miss, warn_miss);
	/* a missing interpreter: the kernel's exec fails, nothing else is opened */
	elf_spec noint = X64(.type = QN_ET_DYN, .interp = "/lib/ld-missing.so.1", .needed = {"libc.so.6"});
	put_elf(r, "usr/bin/noint", &noint);
	static const char *const s_noint[] = {"usr/bin/noint", NULL};
	static const char *const w_noint[] = {"usr/bin/noint", NULL};
	static const char *const warn_noint[] = {"usr/bin/noint: interpreter \"/lib/ld-missing.so.1\" not found", NULL};
	expect_closure(r, NULL, false, s_noint, w_noint, warn_noint);
	/* symlink loops: quench refuses such an image when it builds the tree; the closure bounds
	 * its lookups as the kernel does (40 links) all the same, over a tree built without that check.
	 * A start path that loops is skipped quietly. */
	put_link(r, "usr/bin/loop1", "loop2");
	put_link(r, "usr/bin/loop2", "loop1");
	char ref[4200], *abs = realpath(r, NULL);
	snprintf(ref, sizeof(ref), "dir:%s", abs ? abs : r);
	free(abs);
	qn_error *err = NULL;
	qn_image *img = qn_image_open(ref, NULL, &err);
	qn_tree *looped = img ? qn_tree_build(img, NULL, &err) : NULL;
	CHECK(!looped);
	CHECK_CONTAINS(err ? err->msg : NULL, "symlink loop");
	qn_tree_free(looped);
	qn_image_free(img);
	qn_error_free(err);
	unfinished_trees = true;
	static const char *const s_loop[] = {"usr/bin/loop1", NULL};
	static const char *const w_none[] = {NULL};
	expect_closure(r, NULL, false, s_loop, w_none, NULL);
	/* a loop in an existing search folder ends that list (glibc's open_path gives up on ELOOP):
	 * the copy in the later default folder /usr/lib is never reached, and the loop is kept so
	 * that the hardened image fails the same way */
	put_link(r, "usr/lib/x86_64-linux-gnu/libloop.so.1", "libloop.so.1");
	elf_spec ll = X64(.type = QN_ET_DYN, .soname = "libloop.so.1");
	put_elf(r, "usr/lib/libloop.so.1", &ll);
	elf_spec lp = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libloop.so.1", "libc.so.6"});
	put_elf(r, "usr/bin/lp", &lp);
	static const char *const s_lp[] = {"usr/bin/lp", NULL};
	static const char *const w_lp[] = {
	    "usr/bin/lp", BASE_LD, "lib/x86_64-linux-gnu/libloop.so.1", "usr/lib/x86_64-linux-gnu/libloop.so.1",
	    BASE_LIBC,    NULL};
	static const char *const warn_lp[] = {"libloop.so.1 (needed by usr/bin/lp): not found (a search list ended at "
					      "lib/x86_64-linux-gnu/libloop.so.1: too many levels of symbolic links)",
					      NULL};
	expect_closure(r, NULL, false, s_lp, w_lp, warn_lp);
	/* a search folder that is itself a loop does not exist for the loader: the list goes on */
	put_link(r, "opt/self", "self");
	elf_spec ld = X64(.type = QN_ET_DYN, .soname = "libd.so.1");
	put_elf(r, "opt/d/libd.so.1", &ld);
	elf_spec lp2 = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libd.so.1"}, .rpath = "/opt/self:/opt/d");
	put_elf(r, "usr/bin/lp2", &lp2);
	static const char *const s_lp2[] = {"usr/bin/lp2", NULL};
	static const char *const w_lp2[] = {"usr/bin/lp2", BASE_LD, "opt/d/libd.so.1", NULL};
	expect_closure(r, NULL, false, s_lp2, w_lp2, NULL);
	unfinished_trees = false;
	CHECK(unlink("d/usr/bin/loop1") == 0 && unlink("d/usr/bin/loop2") == 0 && unlink("d/opt/self") == 0 &&
	      unlink("d/usr/lib/x86_64-linux-gnu/libloop.so.1") == 0);
	/* a relative PT_INTERP is opened from the working folder of the exec */
	elf_spec rel = X64(.type = QN_ET_DYN, .interp = "lib64/ld-linux-x86-64.so.2");
	put_elf(r, "usr/bin/rel", &rel);
	static const char *const s_rel[] = {"usr/bin/rel", NULL};
	static const char *const w_rel[] = {"usr/bin/rel", BASE_LD, NULL};
	expect_closure(r, NULL, false, s_rel, w_rel, NULL);
	qn_closure_opts usr = {.cwd = "/usr"};
	static const char *const w_rel_usr[] = {"usr/bin/rel", "usr/lib64/ld-linux-x86-64.so.2", "lib",
						"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", NULL};
	expect_closure(r, &usr, false, s_rel, w_rel_usr, NULL);
	put_file(r, "srv/data", "x", 1, 0644);
	qn_closure_opts srv = {.cwd = "/srv"};
	static const char *const warn_rel[] = {"usr/bin/rel: interpreter \"lib64/ld-linux-x86-64.so.2\" not found",
					       NULL};
	expect_closure(r, &srv, false, s_rel, s_rel, warn_rel);
}

/* Another ABI (i386 in a multiarch image), and the loader's checks of each candidate: another
 * class or machine is skipped, a file that is not ELF or has the wrong byte order ends the
 * search (it is kept, so that the hardened image fails the same way). */
static void test_closure_abi(void)
{
	const char *r = "m";
	put_link(r, "lib", "usr/lib");
	elf_spec ld = {.bits = 32, .machine = 3, .type = QN_ET_DYN, .soname = "ld-linux.so.2"};
	put_elf(r, "usr/lib/i386-linux-gnu/ld-linux.so.2", &ld);
	put_link(r, "usr/lib/ld-linux.so.2", "i386-linux-gnu/ld-linux.so.2");
	elf_spec c32 = {.bits = 32, .machine = 3, .type = QN_ET_DYN, .soname = "libc.so.6"};
	put_elf(r, "usr/lib/i386-linux-gnu/libc.so.6", &c32);
	elf_spec m32 = {.bits = 32, .machine = 3, .type = QN_ET_DYN, .soname = "libm.so.6"};
	put_elf(r, "usr/lib/i386-linux-gnu/libm.so.6", &m32);
	elf_spec c64 = X64(.type = QN_ET_DYN, .soname = "libc.so.6");
	put_elf(r, "opt/mixed/libc.so.6", &c64);
	elf_spec marm = {.bits = 32, .machine = 40, .type = QN_ET_DYN, .soname = "libm.so.6"};
	put_elf(r, "opt/mixed/libm.so.6", &marm);
	put_file(r, "opt/bad/libc.so.6", "this is not an ELF file\n", 24, 0644);
	elf_spec cbe = {.bits = 32, .be = true, .machine = 3, .type = QN_ET_DYN, .soname = "libc.so.6"};
	put_elf(r, "opt/be/libc.so.6", &cbe);
	elf_spec p = {.bits = 32,
		      .machine = 3,
		      .type = QN_ET_EXEC,
		      .interp = "/lib/ld-linux.so.2",
		      .needed = {"libc.so.6", "libm.so.6"},
		      .rpath = "/opt/mixed"};
	put_elf(r, "usr/bin/prog32", &p);
	p.rpath = "/opt/bad", p.needed[1] = NULL;
	put_elf(r, "usr/bin/bad", &p);
	p.rpath = "/opt/be";
	put_elf(r, "usr/bin/be", &p);
#define LD32 "lib", "lib/ld-linux.so.2", "usr/lib/ld-linux.so.2", "usr/lib/i386-linux-gnu/ld-linux.so.2"
	static const char *const s_p[] = {"usr/bin/prog32", NULL};
	static const char *const w_p[] = {"usr/bin/prog32",
					  LD32,
					  "lib/i386-linux-gnu/libc.so.6",
					  "usr/lib/i386-linux-gnu/libc.so.6",
					  "lib/i386-linux-gnu/libm.so.6",
					  "usr/lib/i386-linux-gnu/libm.so.6",
					  NULL};
	expect_closure(r, NULL, false, s_p, w_p, NULL);
	static const char *const s_bad[] = {"usr/bin/bad", NULL};
	static const char *const w_bad[] = {"usr/bin/bad", LD32, "opt/bad/libc.so.6", NULL};
	static const char *const warn_bad[] = {
	    "libc.so.6 (needed by usr/bin/bad): the loader would stop at opt/bad/libc.so.6: not an ELF file", NULL};
	expect_closure(r, NULL, false, s_bad, w_bad, warn_bad);
	static const char *const s_be[] = {"usr/bin/be", NULL};
	static const char *const w_be[] = {"usr/bin/be", LD32, "opt/be/libc.so.6", NULL};
	static const char *const warn_be[] = {
	    "libc.so.6 (needed by usr/bin/be): the loader would stop at opt/be/libc.so.6: wrong byte order", NULL};
	expect_closure(r, NULL, false, s_be, w_be, warn_be);
	/* a library started on its own gets the usual interpreter of its ABI, as `ld.so --list` */
	static const char *const s_lib[] = {"usr/lib/i386-linux-gnu/libm.so.6", NULL};
	static const char *const w_lib[] = {"usr/lib/i386-linux-gnu/libm.so.6", LD32, NULL};
	expect_closure(r, NULL, false, s_lib, w_lib, NULL);
#undef LD32
}

/* "#!" lines: env with and without -S, PATH, nested interpreters and the kernel's limit. */
static void test_closure_scripts(void)
{
	const char *r = "s";
	base_image(r);
	elf_spec prog = X64(.type = QN_ET_DYN, .interp = INTERP64, .needed = {"libc.so.6"});
	put_elf(r, "usr/bin/env", &prog);
	put_elf(r, "usr/bin/python3.11", &prog);
	put_link(r, "usr/bin/python3", "python3.11");
	put_elf(r, "opt/bin/python3", &prog);
	const char *sc[][2] = {
	    {"usr/local/bin/s1", "#!/usr/bin/env -S python3 -u\n"},
	    {"usr/local/bin/s2", "#!/usr/bin/env -S VAR=1 -i python3\n"},
	    {"usr/local/bin/s3", "#!/usr/bin/env -S -u HOME python3\n"},
	    {"usr/local/bin/s4", "#!/usr/bin/env python3 -u\n"},
	    {"usr/local/bin/tool", "#! /usr/local/bin/wrap\n"},
	    {"usr/local/bin/wrap", "#!/usr/bin/python3 -E\n"},
	    {"usr/local/bin/selfy", "#!/usr/local/bin/selfy\n"},
	    {"usr/local/bin/c0", "#!/usr/bin/python3\n"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(sc); i++)
		put_file(r, sc[i][0], sc[i][1], strlen(sc[i][1]), 0755);
	for (int i = 1; i <= 5; i++) {
		char p[64], body[64];
		snprintf(p, sizeof(p), "usr/local/bin/c%d", i);
		snprintf(body, sizeof(body), "#!/usr/local/bin/c%d\n", i - 1);
		put_file(r, p, body, strlen(body), 0755);
	}
#define PY "usr/bin/env", "usr/bin/python3", "usr/bin/python3.11", BASE_LD, BASE_LIBC
	/* -S splits the argument; options and assignments come before the command */
	for (int i = 1; i <= 3; i++) {
		char s[32];
		snprintf(s, sizeof(s), "usr/local/bin/s%d", i);
		const char *start[] = {s, NULL};
		const char *want[] = {s, PY, NULL};
		expect_closure(r, NULL, true, start, want, NULL);
	}
	/* without -S the kernel passes "python3 -u" as one name, which env does not find */
	static const char *const s4[] = {"usr/local/bin/s4", NULL};
	static const char *const w4[] = {"usr/local/bin/s4", "usr/bin/env", BASE_LD, BASE_LIBC, NULL};
	static const char *const warn4[] = {"usr/local/bin/s4: \"python3 -u\" (run by env) not found along PATH", NULL};
	expect_closure(r, NULL, true, s4, w4, warn4);
	/* PATH from the image's Env decides which python3 env runs */
	qn_closure_opts path = {.path = "/opt/bin:/usr/bin"};
	static const char *const s1[] = {"usr/local/bin/s1", NULL};
	static const char *const w1[] = {"usr/local/bin/s1", "usr/bin/env", "opt/bin/python3", BASE_LD,
					 BASE_LIBC,          NULL};
	expect_closure(r, &path, true, s1, w1, NULL);
	/* an interpreter that is a script itself */
	static const char *const st[] = {"usr/local/bin/tool", NULL};
	static const char *const wt[] = {"usr/local/bin/tool",
					 "usr/local/bin/wrap",
					 "usr/bin/python3",
					 "usr/bin/python3.11",
					 BASE_LD,
					 BASE_LIBC,
					 NULL};
	expect_closure(r, NULL, true, st, wt, NULL);
	/* c4 runs through c3..c0 (four script interpreters): allowed; c5 needs five: ELOOP */
	static const char *const sc4[] = {"usr/local/bin/c4", NULL};
	static const char *const wc4[] = {"usr/local/bin/c4",
					  "usr/local/bin/c3",
					  "usr/local/bin/c2",
					  "usr/local/bin/c1",
					  "usr/local/bin/c0",
					  "usr/bin/python3",
					  "usr/bin/python3.11",
					  BASE_LD,
					  BASE_LIBC,
					  NULL};
	expect_closure(r, NULL, true, sc4, wc4, NULL);
	static const char *const sc5[] = {"usr/local/bin/c5", NULL};
	static const char *const wc5[] = {"usr/local/bin/c5",
					  "usr/local/bin/c4",
					  "usr/local/bin/c3",
					  "usr/local/bin/c2",
					  "usr/local/bin/c1",
					  "usr/local/bin/c0",
					  NULL};
	static const char *const warnc5[] = {
	    "usr/local/bin/c0: more than 4 levels of \"#!\" interpreters; the kernel refuses it", NULL};
	expect_closure(r, NULL, true, sc5, wc5, warnc5);
	static const char *const sself[] = {"usr/local/bin/selfy", NULL};
	static const char *const warnself[] = {
	    "usr/local/bin/selfy: more than 4 levels of \"#!\" interpreters (they loop); the kernel refuses it", NULL};
	expect_closure(r, NULL, true, sself, sself, warnself);
	/* the shebang closure skips ELF files, the ELF closure skips scripts */
	static const char *const sp[] = {"usr/bin/python3.11", NULL};
	static const char *const none[] = {NULL};
	expect_closure(r, NULL, true, sp, none, NULL);
	expect_closure(r, NULL, false, s1, none, NULL);
#undef PY
}

/* ---- against glibc's own loader ---- */

/* Runs `chroot ROOT INTERP --list PROG` (PROG absolute inside the root) and checks that the
 * closure of PROG holds every file the loader lists, both as the path it printed and as the
 * file that path ends at, and that the closure warns about exactly the libraries the loader
 * cannot find. Returns 1 when compared, 0 when chroot is not possible here (a SKIP line is
 * printed once), -1 on a failure. *n_listed and *n_missing get the number of files ld.so listed
 * and of names it did not find. */
/* A read function over a folder that keeps what it read: many closures over one image read
 * the same libraries. */
typedef struct {
	const char *root;
	qn_strset files; /* canonical path -> qn_buf * (the first bytes, as many as asked for) */
} read_cache;

static uint8_t *read_cached(void *ud, const char *path, size_t max, size_t *len)
{
	read_cache *rc = ud;
	qn_buf *b = qn_strset_get(&rc->files, path);
	if (!b || (b->len < max && b->cap > 0)) { /* cap > 0: the cached prefix may be short */
		size_t n = 0;
		uint8_t *data = read_dir((void *)rc->root, path, max, &n);
		if (!data)
			return NULL;
		if (!b) {
			b = xcalloc(1, sizeof(*b));
			qn_strset_put(&rc->files, path, b);
		}
		free(b->data);
		b->data = (char *)data, b->len = n, b->cap = n < max ? 0 : 1; /* cap 0: the whole file */
	}
	*len = QN_MIN(b->len, max);
	return xmemdup(b->data, *len ? *len : 1);
}

static void read_cache_clear(read_cache *rc)
{
	for (size_t i = 0; i < rc->files.cap; i++)
		if (rc->files.keys && rc->files.keys[i]) {
			qn_buf *b = rc->files.vals[i];
			free(b->data);
			free(b);
		}
	qn_strset_clear(&rc->files);
}

/* Runs `chroot ROOT INTERP --list PROG` for many programs from one shell, a few at a time: the
 * outputs go to ld.N.out, ld.N.err and ld.N.rc. */
static bool run_ld_lists(const char *root, const char *interp, const qn_ptrvec *progs)
{
	qn_buf b = QN_BUF_INIT;
	for (size_t i = 0; i < progs->n; i++) /* four at a time */
		qn_buf_printf(&b,
			      "(chroot '%s' '%s' --list '%s' > ld.%zu.out 2> ld.%zu.err; echo $? > ld.%zu.rc) &%s\n",
			      root, interp, (char *)progs->v[i], i, i, i, i % 4 == 3 ? " wait" : "");
	qn_buf_adds(&b, "wait\n");
	tap_write("ld.sh", b.data, b.len);
	qn_buf_clear(&b);
	return sh("sh ld.sh");
}

static int compare_ld_list(const char *root, const qn_tree *t, const char *interp, const char *prog, size_t *n_listed,
			   size_t *n_missing, read_cache *cache, int batch)
{
	static bool skipped;
	*n_listed = *n_missing = 0;
	qn_ptrvec missing = {0}; /* names ld.so did not find */
	char out_name[64] = "ldlist.txt", err_name[64] = "ldlist.err";
	bool ran;
	if (batch >= 0) {
		snprintf(out_name, sizeof(out_name), "ld.%d.out", batch);
		snprintf(err_name, sizeof(err_name), "ld.%d.err", batch);
		char rcf[64];
		snprintf(rcf, sizeof(rcf), "ld.%d.rc", batch);
		char *rct = slurp(rcf);
		ran = rct && atoi(rct) == 0;
		free(rct);
	} else {
		ran = sh("chroot '%s' '%s' --list '%s' > ldlist.txt 2> ldlist.err", root, interp, prog);
	}
	if (!ran) {
		char *why = slurp(err_name);
		bool cannot =
		    getuid() != 0 || (why && (strstr(why, "Operation not permitted") || strstr(why, "chroot:")));
		/* "PROG: error while loading shared libraries: NAME: cannot open shared object file" */
		const char *e = why ? strstr(why, "error while loading shared libraries: ") : NULL;
		const char *c = e ? strstr(e, ": cannot open shared object file") : NULL;
		if (c && !cannot) {
			e += strlen("error while loading shared libraries: ");
			qn_ptrvec_push(&missing, xstrndup(e, (size_t)(c - e)));
		} else {
			if (cannot && !skipped)
				printf("# SKIP chroot is not possible here (%s)\n", why && *why ? why : "not root");
			if (!cannot) {
				printf("# %s --list %s failed: %s\n", interp, prog, why ? why : "?");
				tap_cur_failed = 1;
			}
			skipped = skipped || cannot;
			free(why);
			return cannot ? 0 : -1;
		}
		free(why);
	}
	qn_ptrvec listed = {0};
	char *list = slurp(out_name);
	for (char *l = list ? strtok(list, "\n") : NULL; l; l = strtok(NULL, "\n")) {
		/* "\tNAME => PATH (0x...)", "\tPATH (0x...)", "\tlinux-vdso.so.1 (0x...)",
		 * "\tstatically linked", or "\tNAME => not found" */
		char *s = l + strspn(l, " \t"), *arrow = strstr(s, " => ");
		char *path = arrow ? arrow + 4 : s;
		if (arrow && !strcmp(path, "not found"))
			qn_ptrvec_push(&missing, xstrndup(s, (size_t)(arrow - s)));
		else if (path[0] == '/')
			qn_ptrvec_push(&listed, xstrndup(path, strcspn(path, " ")));
	}
	free(list);
	qn_closure_opts o = {.read = cache ? read_cached : read_dir, .read_ud = cache ? (void *)cache : (void *)root};
	const char *start[] = {prog + 1};
	qn_strset out = QN_STRSET_INIT;
	qn_ptrvec w = {0};
	CHECK_INT(qn_closure_elf(t, &o, start, 1, &out, &w, NULL), 0);
	int rc = 1;
	for (size_t i = 0; i < w.n; i++) { /* only "NAME (needed by ...): not found" for a missing NAME */
		bool expected = false;
		for (size_t k = 0; k < missing.n && !expected; k++) {
			size_t n = strlen(missing.v[k]);
			expected = !strncmp(w.v[i], missing.v[k], n) &&
				   !strncmp((char *)w.v[i] + n, " (needed by ", 12) && strstr(w.v[i], "): not found");
		}
		if (!expected) {
			printf("# %s: unexpected warning: %s\n", prog, (char *)w.v[i]);
			rc = -1;
		}
	}
	for (size_t k = 0; k < missing.n; k++) {
		bool warned = false;
		for (size_t i = 0; i < w.n && !warned; i++)
			warned = !strncmp(w.v[i], missing.v[k], strlen(missing.v[k]));
		if (!warned) {
			printf("# %s: ld.so does not find %s, the closure does not say so\n", prog,
			       (char *)missing.v[k]);
			rc = -1;
		}
	}
	for (size_t k = 0; k < listed.n; k++) {
		const char *path = listed.v[k];
		(*n_listed)++;
		char *fin = NULL, *lex = NULL;
		const qn_node *n = qn_harden_resolve(t, NULL, path, true, NULL, &fin);
		CHECK(qn_path_normalize(path + 1, 4096, &lex, NULL) == 0);
		if (!n || !fin || !qn_strset_has(&out, fin) || !lex || !qn_strset_has(&out, lex)) {
			printf("# %s: ld.so lists %s (%s), the closure does not hold it\n", prog, path,
			       fin ? fin : "?");
			rc = -1;
		}
		free(fin);
		free(lex);
	}
	if (rc < 0)
		tap_cur_failed = 1;
	*n_missing = missing.n;
	qn_ptrvec_clear(&listed, free);
	qn_ptrvec_clear(&missing, free);
	qn_strset_clear(&out);
	qn_ptrvec_clear(&w, free);
	return rc;
}

/* A root copied from the host: programs and the files `ldd` lists for them, as plain files at
 * the paths ldd prints (no ld.so.cache: the loader searches its default folders). */
static void test_closure_glibc_host(void)
{
	static const char *const progs[] = {"/usr/bin/python3", "/usr/bin/openssl", "/usr/bin/curl", "/usr/bin/git",
					    "/usr/bin/gpg",     "/usr/bin/tar",     "/usr/bin/ssh"};
	const char *r = "host";
	size_t copied = 0, compared = 0, listed = 0;
	mkdirs(r);
	for (size_t i = 0; i < QN_ARRAY_LEN(progs); i++) {
		if (access(progs[i], X_OK) != 0)
			continue;
		/* ldd prints "name => /path (addr)" and "/path (addr)" lines; copy each path */
		if (!sh("ldd '%s' 2>/dev/null | sed -n 's/.*=> \\(\\/[^ ]*\\) .*/\\1/p; s/^[[:space:]]*\\(\\/[^ ]*\\) "
			".*/\\1/p' "
			"> libs.txt && test -s libs.txt && cp -L --parents '%s' %s && "
			"while read -r f; do cp -L --parents \"$f\" %s || exit 1; done < libs.txt",
			progs[i], progs[i], r, r))
			continue;
		copied++;
	}
	if (!copied) {
		printf("# SKIP no dynamic program from the host list could be copied (is ldd installed?)\n");
		return;
	}
	qn_tree *t = tree_of(r);
	for (size_t i = 0; t && i < QN_ARRAY_LEN(progs); i++) {
		char full[4200];
		snprintf(full, sizeof(full), "%s%s", r, progs[i]);
		if (access(full, F_OK) != 0)
			continue;
		qn_elf_info in = parse_path(full);
		size_t n = 0, nm = 0;
		int rc = in.interp ? compare_ld_list(r, t, in.interp, progs[i], &n, &nm, NULL, -1) : -1;
		qn_elf_info_clear(&in);
		if (rc == 0)
			break;
		CHECK(rc == 1);
		compared++, listed += n;
	}
	if (compared)
		printf("# %zu host programs: all %zu files ld.so --list shows are in the closure\n", compared, listed);
	qn_tree_free(t);
	if (!compared)
		return;
	/* a library removed: ld.so reports it "not found", and the closure warns about it */
	char *victim = NULL;
	const char *prog = NULL;
	for (size_t i = 0; i < QN_ARRAY_LEN(progs) && !victim; i++) {
		char full[4200];
		snprintf(full, sizeof(full), "%s%s", r, progs[i]);
		if (access(full, F_OK) != 0 || !sh("ldd '%s' | sed -n 's/.*=> \\(\\/[^ ]*\\) .*/\\1/p' | grep -v "
						   "'/libc\\.so' | head -1 > victim.txt",
						   progs[i]))
			continue;
		victim = slurp("victim.txt");
		if (victim)
			victim[strcspn(victim, "\n")] = 0;
		if (victim && !*victim)
			free(victim), victim = NULL;
		prog = progs[i];
	}
	if (!victim) {
		printf("# SKIP no host program with a library besides libc\n");
		return;
	}
	char full[4200];
	snprintf(full, sizeof(full), "%s%s", r, victim);
	CHECK(unlink(full) == 0);
	t = tree_of(r);
	qn_elf_info in = {0};
	snprintf(full, sizeof(full), "%s%s", r, prog);
	in = parse_path(full);
	size_t n = 0, nm = 0;
	int rc = t && in.interp ? compare_ld_list(r, t, in.interp, prog, &n, &nm, NULL, -1) : -1;
	if (rc != 0) {
		CHECK_INT(rc, 1);
		CHECK(nm >= 1);
		printf("# %s without %s: ld.so and the closure agree it is missing\n", prog, victim);
	}
	qn_elf_info_clear(&in);
	free(victim);
	qn_tree_free(t);
}

/* The python-3.11 test image (a real ld.so.cache, merged /usr): python3.11, every extension
 * module of its lib-dynload folder, and every fifth ELF program of usr/bin and usr/sbin. */
static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_closure_glibc_image(void)
{
	const char *img = "/var/cache/quench-testimages/rootfs/bookworm-python311-slim.tar";
	if (access(img, R_OK) != 0) {
		printf("# SKIP %s missing (build it with /work/shared/testimages/build.sh)\n", img);
		return;
	}
	const char *r = "img";
	mkdirs(r);
	/* only what the loader can reach: the library folders, the programs, the loader's
	 * configuration (the whole image is several times larger) */
	CHECK(sh("tar -xf %s -C %s --wildcards './lib' './lib64' './bin' './sbin' './usr/lib/x86_64-linux-gnu/*' "
		 "'./usr/lib64/*' './usr/bin/*' './usr/sbin/*' './etc/ld.so*' './usr/lib/python3.11/lib-dynload/*' "
		 "2>tar.err",
		 img, r));
	qn_tree *t = tree_of(r);
	if (!t)
		return;
	size_t compared = 0, listed = 0;
	qn_ptrvec progs = {0};
	static const char *const dirs[] = {"/usr/lib/python3.11/lib-dynload", "/usr/bin", "/usr/sbin"};
	size_t seen = 0; /* of the programs in usr/bin and usr/sbin, a fixed fifth keeps this fast */
	for (size_t k = 0; k < QN_ARRAY_LEN(dirs); k++) {
		qn_ptrvec names = {0};
		char path[4200];
		snprintf(path, sizeof(path), "%s%s", r, dirs[k]);
		DIR *d = opendir(path);
		for (struct dirent *e; d && (e = readdir(d));)
			qn_ptrvec_push(&names, xstrdup(e->d_name));
		if (d)
			closedir(d);
		if (names.n)
			qsort(names.v, names.n, sizeof(char *), cmp_name);
		for (size_t i = 0; i < names.n; i++) {
			snprintf(path, sizeof(path), "%s%s/%s", r, dirs[k], (char *)names.v[i]);
			struct stat st;
			char magic[4] = "";
			FILE *f = lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
			bool elf = f && fread(magic, 1, 4, f) == 4 && qn_elf_is_elf((const uint8_t *)magic, 4);
			if (f)
				fclose(f);
			bool take = k == 0 || !strcmp(names.v[i], "python3.11") || (elf && seen++ % 5 == 0);
			if (elf && take)
				qn_ptrvec_push(&progs, xasprintf("%s/%s", dirs[k], (char *)names.v[i]));
		}
		qn_ptrvec_clear(&names, free);
	}
	CHECK(progs.n > 20);
	read_cache cache = {.root = r};
	CHECK(run_ld_lists(r, "/lib64/ld-linux-x86-64.so.2", &progs));
	for (size_t i = 0; i < progs.n; i++) {
		size_t n = 0, nm = 0;
		int rc = compare_ld_list(r, t, "/lib64/ld-linux-x86-64.so.2", progs.v[i], &n, &nm, &cache, (int)i);
		CHECK_INT(nm, 0);
		if (rc == 0)
			break;
		compared++, listed += n;
	}
	if (compared)
		printf("# %zu programs and extension modules: all %zu files ld.so --list shows are in the closure\n",
		       compared, listed);
	read_cache_clear(&cache);
	qn_ptrvec_clear(&progs, free);
	qn_tree_free(t);
}

int main(void)
{
	TAP_RUN(test_elf_crafted);
	TAP_RUN(test_elf_need_more);
	TAP_RUN(test_elf_malformed);
	TAP_RUN(test_elf_real);
	TAP_RUN(test_ldcache_crafted);
	TAP_RUN(test_ldcache_ldconfig);
	TAP_RUN(test_ldcache_write);
	TAP_RUN(test_glob);
	TAP_RUN(test_ldconf);
	TAP_RUN(test_closure_tree);
	TAP_RUN(test_closure_search_order);
	TAP_RUN(test_closure_origin);
	TAP_RUN(test_closure_cache);
	TAP_RUN(test_closure_nodeflib);
	TAP_RUN(test_closure_odd);
	TAP_RUN(test_closure_abi);
	TAP_RUN(test_closure_scripts);
	TAP_RUN(test_closure_glibc_host);
	TAP_RUN(test_closure_glibc_image);
	return tap_done();
}
