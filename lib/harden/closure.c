/* The loader closure: which files glibc's dynamic loader opens to start a program in an image.
 *
 * For each start file we replay, over the image tree, what the kernel and ld.so do: the kernel
 * opens the program and its PT_INTERP; ld.so maps LD_PRELOAD and /etc/ld.so.preload libraries,
 * then the DT_NEEDED graph breadth-first, reusing an object already loaded under the same name,
 * SONAME or file. A name with a '/' is a path ($ORIGIN, $LIB, $PLATFORM expanded). Any other name
 * is searched, as _dl_map_object does (and ld.so(8) documents), in this order:
 *   1. DT_RPATH of the loading object, then of the object that loaded it, and so on up to the
 *      program, but only when the loading object has no DT_RUNPATH (an object with both has
 *      its DT_RPATH ignored, so it adds nothing to the chain either);
 *   2. LD_LIBRARY_PATH (':' or ';' separated, $ORIGIN being the program's folder);
 *   3. DT_RUNPATH of the loading object only;
 *   4. /etc/ld.so.cache, when present and well-formed, entries of the program's ABI only;
 *      with DF_1_NODEFLIB on the loading object, entries below the default folders are skipped;
 *   5. the default folders, unless the loading object has DF_1_NODEFLIB.
 * In each folder, glibc-hwcaps and legacy hwcap subfolders are searched first; their files are
 * added (which one wins depends on the CPU and the glibc version), but only a file in the folder
 * itself ends the search, so the closure holds the file every CPU falls back to.
 * Candidates of another ELF class or machine are skipped, as ld.so skips them; a candidate that
 * is not ELF, has the wrong byte order or cannot be parsed stops the search, because ld.so then
 * fails ("invalid ELF header"): the file is kept and a warning says so.
 * A candidate in an existing folder whose lookup fails otherwise than "no such file" (a symlink
 * loop, a link through a file) ends that one search list, as glibc's open_path does; the next
 * list is still searched, and the links read on the way are kept so that the hardened image
 * fails the same way. A program whose PT_INTERP is missing adds only itself: the kernel's exec
 * fails before anything else is opened.
 *
 * The default folders are compiled into each glibc; we infer them from the image, per ABI:
 *   - Debian/Ubuntu multiarch, when lib/<triplet> or usr/lib/<triplet> exists:
 *     /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib ($LIB = lib/<triplet>), which is what
 *     bookworm's `ld.so --help` lists;
 *   - otherwise for 64-bit ABIs when lib64 or usr/lib64 exists (Fedora, RHEL, SUSE):
 *     /lib64, /usr/lib64 ($LIB = lib64);
 *   - otherwise for i386 or x32 with lib32 / libx32 (Debian's biarch packages):
 *     /lib32, /usr/lib32, /lib, /usr/lib;
 *   - otherwise /lib, /usr/lib ($LIB = lib).
 * $PLATFORM is known for x86-64 ("x86_64"), i386 ("i686") and AArch64 ("aarch64"); elsewhere it
 * depends on the CPU and an element using it is dropped with a warning.
 *
 * Not modelled: setuid restrictions on $ORIGIN and LD_LIBRARY_PATH (the closure is a superset),
 * dlopen() calls (the runtime trace sees those files; start them here to get their closure),
 * audit modules, and musl's loader (its libraries sit in /lib and /usr/lib, which these rules
 * search too, but /etc/ld-musl-*.path is not read). */
#include "closure.h"
#include "util/path.h"

#define MAX_LINKS 40
#define MAX_OBJECTS 100000
#define MAX_DIRS 4096
#define FIRST_READ (256u << 10)
#define DEFAULT_MAX_READ (256u << 20)
#define MAX_CACHE_SIZE (64u << 20)
#define MAX_ALTS 16
#define DF_1_PIE 0x08000000
/* The kernel reads BINPRM_BUF bytes of a file to find "#!", and follows MAX_SCRIPT_DEPTH
 * interpreters that are scripts themselves: a script run through four more scripts works, a
 * fifth fails (ELOOP). */
#define BINPRM_BUF 256
#define MAX_SCRIPT_DEPTH 4

/* ---- resolution inside the tree ---- */

static bool only_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return !*s;
}

/* Replaces the consumed part of rest by a link target: rest = target + "/" + remaining. */
static void splice(qn_buf *rest, size_t *pos, const char *target)
{
	qn_buf nb = QN_BUF_INIT;
	qn_buf_adds(&nb, target);
	qn_buf_addc(&nb, '/');
	qn_buf_adds(&nb, rest->data + *pos);
	qn_buf_clear(rest);
	*rest = nb;
	*pos = 0;
}

static bool hop_inside(const qn_ptrvec *hops, const char *dir)
{
	for (size_t i = 0; i < hops->n; i++)
		if (qn_path_is_under(hops->v[i], dir))
			return true;
	return false;
}

static void go_up(qn_buf *cur)
{
	char *s = strrchr(cur->data, '/');
	cur->len = s ? (size_t)(s - cur->data) : 0;
	cur->data[cur->len] = 0;
}

/* Why a resolution failed, as the kernel's errno would say. */
typedef enum { R_OK, R_NOENT, R_NOTDIR, R_LOOP } rfail;

/* qn_harden_resolve, also saying why it failed (*why, when not NULL); with hops_on_fail the
 * hops crossed are pushed even then (a lookup that ends in ELOOP still read those links). */
static const qn_node *resolve_why(const qn_tree *t, const char *cwd, const char *path, bool follow_last,
				  qn_ptrvec *hops, char **final, rfail *why, bool hops_on_fail)
{
	rfail fail = R_NOENT;
	qn_buf rest = QN_BUF_INIT, cur = QN_BUF_INIT;
	qn_ptrvec mine = {0};
	if (path[0] != '/' && cwd && *cwd)
		qn_buf_printf(&rest, "/%s/", cwd);
	qn_buf_adds(&rest, path);
	qn_buf_adds(&cur, "");
	const qn_node *node = qn_tree_root(t), *result = NULL;
	size_t pos = 0;
	for (int links = 0;;) {
		while (rest.data[pos] == '/')
			pos++;
		if (!rest.data[pos]) {
			result = node;
			break;
		}
		const char *p = rest.data + pos;
		size_t len = strcspn(p, "/");
		pos += len;
		if (len == 1 && p[0] == '.')
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* ".." needs the folder it leaves (unless a hop already lies in it, as when a
			 * link's target starts with ".."); the root's ".." is the root, as in a chroot */
			if (cur.len) {
				if (!hop_inside(&mine, cur.data))
					qn_ptrvec_push(&mine, xstrdup(cur.data));
				go_up(&cur);
				node = node->parent;
			}
			continue;
		}
		if (node->type != QN_NODE_DIR) {
			fail = R_NOTDIR;
			break;
		}
		_cleanup_free_ char *cand = cur.len ? xasprintf("%s/%.*s", cur.data, (int)len, p) : xstrndup(p, len);
		const qn_node *child = qn_tree_lookup(t, cand);
		if (!child)
			break;
		if (child->type == QN_NODE_SYMLINK && (follow_last || !only_slashes(rest.data + pos))) {
			if (++links > MAX_LINKS || !child->link) {
				fail = child->link ? R_LOOP : R_NOENT;
				break;
			}
			qn_ptrvec_push(&mine, xstrdup(cand));
			splice(&rest, &pos, child->link);
			if (child->link[0] == '/') { /* absolute targets start at the image root */
				node = qn_tree_root(t);
				qn_buf_reset(&cur);
			}
			continue;
		}
		node = child;
		qn_buf_reset(&cur);
		qn_buf_adds(&cur, cand);
	}
	if (result && final)
		*final = xstrdup(cur.data);
	for (size_t i = 0; i < mine.n; i++)
		if ((result || hops_on_fail) && hops)
			qn_ptrvec_push(hops, mine.v[i]);
		else
			free(mine.v[i]);
	free(mine.v);
	qn_buf_clear(&rest);
	qn_buf_clear(&cur);
	if (why)
		*why = result ? R_OK : fail;
	return result;
}

const qn_node *qn_harden_resolve(const qn_tree *t, const char *cwd, const char *path, bool follow_last, qn_ptrvec *hops,
				 char **final)
{
	return resolve_why(t, cwd, path, follow_last, hops, final, NULL, false);
}

/* The lexical canonical form of path (relative to cwd when not absolute), or NULL when it has a
 * ".." component: "a/b/../c" names a/c lexically but the kernel's a/b/.. depends on whether b is
 * a symlink, so only the resolved hops are trustworthy there. */
static char *lexical(const char *cwd, const char *path)
{
	_cleanup_free_ char *full = path[0] != '/' && cwd && *cwd ? xasprintf("%s/%s", cwd, path) : xstrdup(path);
	const char *s = full;
	while (*s == '/')
		s++;
	char *out = NULL;
	qn_error *e = NULL;
	if (qn_path_normalize(s, SIZE_MAX, &out, &e) < 0)
		out = NULL;
	qn_error_free(e);
	return out;
}

void qn_harden_touch(qn_strset *out, const char *cwd, const char *path, const qn_ptrvec *hops, const char *final)
{
	_cleanup_free_ char *lex = path ? lexical(cwd, path) : NULL;
	if (lex && *lex)
		qn_strset_add(out, lex);
	for (size_t i = 0; hops && i < hops->n; i++)
		if (*(const char *)hops->v[i])
			qn_strset_add(out, hops->v[i]);
	if (final && *final)
		qn_strset_add(out, final);
}

/* ---- shared state of one call ---- */

typedef enum { F_OK, F_NOT_ELF, F_BAD, F_UNREADABLE } file_status;

/* What we know of one regular file, by canonical path. */
typedef struct {
	file_status st;
	qn_elf_info hdr;  /* header fields; valid unless F_NOT_ELF / F_UNREADABLE */
	qn_elf_info info; /* the whole parse; valid when F_OK */
	char *why;        /* why not F_OK */
} file_ent;

typedef struct {
	const qn_tree *t;
	const qn_closure_opts *o;
	char *cwd; /* canonical */
	size_t max_read;
	qn_strset *out;
	qn_ptrvec *warnings;
	qn_strset warned;
	qn_strset files;    /* canonical path -> file_ent * */
	qn_strset dirflags; /* absolute folder -> which hwcap subfolders it has */
	int cache_state;    /* 0 not read yet, 1 usable, -1 absent or rejected */
	qn_ldcache *cache;
	qn_strset cache_touch;
	bool cache_used;
	bool conf_loaded;
	qn_ldconf conf;
	bool preload_read;
	qn_ptrvec preload;                       /* names from /etc/ld.so.preload */
	qn_strset ran;                           /* programs and scripts already followed */
	const char *chain[MAX_SCRIPT_DEPTH + 2]; /* the scripts of the "#!" chain being followed */
	size_t objects;
	bool failed;
	qn_error **err;
} ctx;

QN_PRINTF(2, 3)
static void warn(ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->warnings && qn_strset_add(&c->warned, m))
		qn_ptrvec_push(c->warnings, m);
	else
		free(m);
}

/* Reads and parses a file, growing the prefix read while the parser asks for more. */
static void parse_file(ctx *c, const char *path, file_ent *f)
{
	size_t want = QN_MIN((size_t)FIRST_READ, c->max_read);
	for (int round = 0; round < 8; round++) {
		size_t len = 0, need = 0;
		uint8_t *buf = c->o->read(c->o->read_ud, path, want, &len);
		if (!buf) {
			f->st = F_UNREADABLE;
			f->why = xstrdup("cannot be read");
			return;
		}
		qn_error *e = NULL;
		int rc = round ? 0 : qn_elf_header(buf, len, &f->hdr, &e);
		if (!rc)
			rc = qn_elf_parse(buf, len, &f->info, &need, &e);
		free(buf);
		if (rc == QN_ELF_NEED_MORE && len >= want && need <= c->max_read) {
			want = QN_MAX(need, want);
			continue;
		}
		if (rc == 0) {
			f->st = F_OK;
		} else if (rc == QN_ELF_NEED_MORE) {
			f->st = F_BAD;
			f->why = len < want
				     ? xasprintf("truncated: %zu bytes, its headers point at byte %zu", len, need)
				     : xasprintf("its headers point at byte %zu, beyond the read limit", need);
		} else {
			f->st = round == 0 && !f->hdr.elf_class ? F_NOT_ELF : F_BAD;
			f->why = xstrdup(e ? e->msg : "malformed");
		}
		qn_error_free(e);
		return;
	}
	f->st = F_BAD;
	f->why = xstrdup("headers keep pointing further into the file");
}

static const file_ent *load_file(ctx *c, const char *path)
{
	file_ent *f = qn_strset_get(&c->files, path);
	if (f)
		return f;
	f = xcalloc(1, sizeof(*f));
	parse_file(c, path, f);
	qn_strset_put(&c->files, path, f);
	return f;
}

static void file_ent_free(file_ent *f)
{
	qn_elf_info_clear(&f->hdr);
	qn_elf_info_clear(&f->info);
	free(f->why);
	free(f);
}

/* ---- the ABI of a process: default folders, $LIB, $PLATFORM, hwcap subfolders ---- */

enum {
	EM_386 = 3,
	EM_MIPS = 8,
	EM_PPC = 20,
	EM_PPC64 = 21,
	EM_S390 = 22,
	EM_ARM = 40,
	EM_SPARCV9 = 43,
	EM_X86_64 = 62,
	EM_AARCH64 = 183,
	EM_RISCV = 243,
	EM_LOONGARCH = 258,
};

typedef struct {
	const char *triplet;       /* Debian's multiarch name, or NULL */
	const char *platform;      /* $PLATFORM, or NULL when it depends on the CPU */
	const char *interp;        /* the usual PT_INTERP of the ABI, or NULL */
	const char *const *hwcaps; /* glibc-hwcaps subfolder names, NULL-terminated */
	char *lib;                 /* $LIB */
	char *dirs[4];             /* default folders, absolute */
	size_t n_dirs;
} layout;

static const char *const no_hwcaps[] = {NULL};
static const char *const x86_64_hwcaps[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2", NULL};
static const char *const ppc64le_hwcaps[] = {"power10", "power9", NULL};
static const char *const s390x_hwcaps[] = {"z16", "z15", "z14", "z13", NULL};

static void abi_names(const qn_elf_info *a, layout *l)
{
	bool is64 = a->elf_class == QN_ELFCLASS64, be = a->data == QN_ELFDATA2MSB;
	l->hwcaps = no_hwcaps;
	switch (a->machine) {
	case EM_X86_64:
		l->triplet = is64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
		l->platform = is64 ? "x86_64" : NULL;
		l->interp = is64 ? "/lib64/ld-linux-x86-64.so.2" : "/libx32/ld-linux-x32.so.2";
		l->hwcaps = is64 ? x86_64_hwcaps : no_hwcaps;
		break;
	case EM_386:
		l->triplet = "i386-linux-gnu", l->platform = "i686", l->interp = "/lib/ld-linux.so.2";
		break;
	case EM_AARCH64:
		l->triplet = be ? "aarch64_be-linux-gnu" : "aarch64-linux-gnu", l->platform = "aarch64";
		l->interp = be ? "/lib/ld-linux-aarch64_be.so.1" : "/lib/ld-linux-aarch64.so.1";
		break;
	case EM_ARM: /* EF_ARM_ABI_FLOAT_HARD */
		l->triplet = a->eflags & 0x400 ? "arm-linux-gnueabihf" : "arm-linux-gnueabi";
		l->interp = a->eflags & 0x400 ? "/lib/ld-linux-armhf.so.3" : "/lib/ld-linux.so.3";
		break;
	case EM_PPC64:
		l->triplet = be ? "powerpc64-linux-gnu" : "powerpc64le-linux-gnu";
		l->interp = be ? "/lib64/ld64.so.1" : "/lib64/ld64.so.2";
		l->hwcaps = be ? no_hwcaps : ppc64le_hwcaps;
		break;
	case EM_PPC:
		l->triplet = "powerpc-linux-gnu", l->interp = "/lib/ld.so.1";
		break;
	case EM_S390:
		l->triplet = is64 ? "s390x-linux-gnu" : "s390-linux-gnu";
		l->interp = is64 ? "/lib/ld64.so.1" : "/lib/ld.so.1";
		l->hwcaps = is64 ? s390x_hwcaps : no_hwcaps;
		break;
	case EM_RISCV:
		l->triplet = is64 ? "riscv64-linux-gnu" : NULL;
		l->interp = is64 ? "/lib/ld-linux-riscv64-lp64d.so.1" : NULL;
		break;
	case EM_MIPS:
		l->triplet = is64 ? (be ? "mips64-linux-gnuabi64" : "mips64el-linux-gnuabi64")
				  : (be ? "mips-linux-gnu" : "mipsel-linux-gnu");
		break;
	case EM_SPARCV9:
		l->triplet = "sparc64-linux-gnu";
		break;
	case EM_LOONGARCH:
		l->triplet = "loongarch64-linux-gnu", l->interp = "/lib64/ld-linux-loongarch-lp64d.so.1";
		break;
	default:
		break;
	}
}

static bool is_dir(ctx *c, const char *path)
{
	const qn_node *n = qn_harden_resolve(c->t, NULL, path, true, NULL, NULL);
	return n && n->type == QN_NODE_DIR;
}

static void set_dirs(layout *l, const char *lib, const char *a, const char *b, bool plain)
{
	l->lib = xstrdup(lib);
	l->dirs[l->n_dirs++] = xstrdup(a);
	l->dirs[l->n_dirs++] = xstrdup(b);
	if (plain) {
		l->dirs[l->n_dirs++] = xstrdup("/lib");
		l->dirs[l->n_dirs++] = xstrdup("/usr/lib");
	}
}

static void layout_init(ctx *c, const qn_elf_info *abi, layout *l)
{
	memset(l, 0, sizeof(*l));
	abi_names(abi, l);
	_cleanup_free_ char *ta = l->triplet ? xasprintf("/lib/%s", l->triplet) : NULL;
	_cleanup_free_ char *tb = l->triplet ? xasprintf("/usr/lib/%s", l->triplet) : NULL;
	bool x32 = abi->machine == EM_X86_64 && abi->elf_class == QN_ELFCLASS32;
	if (l->triplet && (is_dir(c, ta) || is_dir(c, tb))) {
		_cleanup_free_ char *lib = xasprintf("lib/%s", l->triplet);
		set_dirs(l, lib, ta, tb, true);
	} else if (abi->elf_class == QN_ELFCLASS64 && (is_dir(c, "/lib64") || is_dir(c, "/usr/lib64"))) {
		set_dirs(l, "lib64", "/lib64", "/usr/lib64", false);
	} else if (abi->machine == EM_386 && (is_dir(c, "/lib32") || is_dir(c, "/usr/lib32"))) {
		set_dirs(l, "lib32", "/lib32", "/usr/lib32", true);
	} else if (x32 && (is_dir(c, "/libx32") || is_dir(c, "/usr/libx32"))) {
		set_dirs(l, "libx32", "/libx32", "/usr/libx32", true);
	} else {
		set_dirs(l, "lib", "/lib", "/usr/lib", false);
	}
}

static void layout_clear(layout *l)
{
	free(l->lib);
	for (size_t i = 0; i < l->n_dirs; i++)
		free(l->dirs[i]);
}

/* Whether path lies in a default folder: the loader compares the start of the path with each
 * default folder and its trailing slash. */
static bool in_default_dir(const layout *l, const char *path)
{
	for (size_t i = 0; i < l->n_dirs; i++) {
		size_t n = strlen(l->dirs[i]);
		if (!strncmp(path, l->dirs[i], n) && path[n] == '/')
			return true;
	}
	return false;
}

/* ---- one process: the objects ld.so maps, in order ---- */

typedef struct {
	char *realname; /* absolute path as opened: its folder is $ORIGIN */
	char *origin;
	char *final; /* canonical path of the file */
	const file_ent *f;
	int loader; /* index of the object whose DT_NEEDED mapped it; -1 for the program */
	bool rtld;  /* the interpreter: mapped by the kernel, its own dependencies are not followed */
} obj;

typedef struct {
	ctx *c;
	obj *v;
	size_t n, cap;
	qn_strset names; /* every name an object was requested under, its SONAME -> index + 1 */
	qn_strset ident; /* canonical file (hardlinks folded) -> index + 1 */
	qn_elf_info abi; /* the program's header fields */
	layout lay;
} proc;

typedef struct {
	int idx;
	bool done;
	bool stop;     /* the current search list ends here (open_path's "something went wrong") */
	char *stopped; /* the first candidate that ended a list, and why, for the warning */
} found_t;

/* An absolute path for p: relative ones are relative to the working folder. */
static char *absolute(const ctx *c, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return *c->cwd ? xasprintf("/%s/%s", c->cwd, p) : xasprintf("/%s", p);
}

static char *origin_of(const char *realname)
{
	const char *s = strrchr(realname, '/');
	/* like the loader: a file in the root folder has "/" as its origin */
	return !s || s == realname ? xstrdup("/") : xstrndup(realname, (size_t)(s - realname));
}

static void name_put(proc *p, const char *name, int idx)
{
	if (name && *name && !qn_strset_has(&p->names, name))
		qn_strset_put(&p->names, name, (void *)(uintptr_t)(idx + 1));
}

/* Adds a mapped object, or returns the one already mapped from the same file (ld.so compares
 * device and inode; hardlinks in the tree are folded the same way). Names are registered unless
 * the object is a CPU-specific alternative, which must not capture the plain name. */
static int add_obj(proc *p, const char *name, const char *realname, const char *final, const file_ent *f, int loader,
		   bool alt)
{
	const qn_node *n = qn_tree_lookup(p->c->t, final);
	const char *id = n && n->hardlink ? n->hardlink : final;
	void *v = qn_strset_get(&p->ident, id);
	if (v) {
		if (!alt)
			name_put(p, name, (int)(uintptr_t)v - 1);
		return (int)(uintptr_t)v - 1;
	}
	if (++p->c->objects > MAX_OBJECTS) {
		if (!p->c->failed)
			qn_error_set(p->c->err, QN_ERR_LIMIT, "closure: more than %d objects", MAX_OBJECTS);
		p->c->failed = true;
		return -1;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xreallocarray(p->v, p->cap, sizeof(obj));
	}
	int idx = (int)p->n++;
	p->v[idx] = (obj){xstrdup(realname), origin_of(realname), xstrdup(final), f, loader, false};
	qn_strset_put(&p->ident, id, (void *)(uintptr_t)(idx + 1));
	if (!alt) {
		name_put(p, name, idx);
		name_put(p, realname, idx);
		if (f->st == F_OK)
			name_put(p, f->info.soname, idx);
	}
	return idx;
}

static void proc_clear(proc *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].realname);
		free(p->v[i].origin);
		free(p->v[i].final);
	}
	free(p->v);
	qn_strset_clear(&p->names);
	qn_strset_clear(&p->ident);
	layout_clear(&p->lay);
}

/* Length of the dynamic string token ref at s (after the '$'), braced or not; 0 if none. An
 * unbraced name must not run on into more identifier characters ("$ORIGINX" is not $ORIGIN). */
static size_t is_dst(const char *s, const char *ref)
{
	bool curly = s[0] == '{';
	size_t n = strlen(ref);
	if (strncmp(s + curly, ref, n))
		return 0;
	char next = s[curly + n];
	if (curly)
		return next == '}' ? n + 2 : 0;
	bool ident =
	    (next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || (next >= '0' && next <= '9') || next == '_';
	return ident ? 0 : n;
}

/* Expands $ORIGIN, $LIB and $PLATFORM. Returns NULL, with *unknown naming the token, when a
 * token has no known value: the loader then drops the whole element. */
static char *expand(const proc *p, const char *s, const char *origin, const char **unknown)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "");
	while (*s) {
		if (*s != '$') {
			qn_buf_addc(&b, *s++);
			continue;
		}
		s++;
		size_t len;
		const char *repl = NULL, *what = NULL;
		if ((len = is_dst(s, "ORIGIN")))
			repl = origin, what = "$ORIGIN";
		else if ((len = is_dst(s, "PLATFORM")))
			repl = p->lay.platform, what = "$PLATFORM";
		else if ((len = is_dst(s, "LIB")))
			repl = p->lay.lib, what = "$LIB";
		if (len && !repl) {
			*unknown = what;
			qn_buf_clear(&b);
			return NULL;
		}
		if (len) {
			qn_buf_adds(&b, repl);
			s += len;
		} else {
			qn_buf_addc(&b, '$'); /* not a token we know: kept as written */
		}
	}
	return qn_buf_steal(&b);
}

/* ---- candidates and the search ---- */

typedef enum { C_NONE, C_SKIP, C_OK, C_FATAL } verdict_t;

/* The loader's checks of an opened candidate (open_verify in glibc's dl-load.c), in its order:
 * another class or machine is skipped quietly, anything else wrong ends the search. */
static verdict_t verdict(const proc *p, const file_ent *f, const char **why)
{
	if (f->st == F_UNREADABLE || f->st == F_NOT_ELF) {
		*why = f->why;
		return C_FATAL;
	}
	if (f->hdr.elf_class != p->abi.elf_class)
		return C_SKIP;
	*why = f->hdr.data != p->abi.data               ? "wrong byte order"
	       : f->hdr.osabi != 0 && f->hdr.osabi != 3 ? "ELF file OS ABI invalid"
							: NULL;
	if (*why)
		return C_FATAL;
	if (f->hdr.machine != p->abi.machine)
		return C_SKIP;
	if (f->hdr.type != QN_ET_DYN && f->hdr.type != QN_ET_EXEC) {
		*why = "only ET_DYN and ET_EXEC can be loaded";
		return C_FATAL;
	}
	if (f->st == F_BAD) {
		*why = f->why;
		return C_FATAL;
	}
	return C_OK;
}

/* Opens one candidate (an absolute path). When the loader would take it (or stop at it), it is
 * added to the output with the symlinks crossed, and mapped unless the loader stops. dir is the
 * search folder for the plain candidate of a search list, NULL otherwise: when a candidate in an
 * existing folder fails with an error other than "no such file" (a symlink loop, or a link
 * through a file), glibc's open_path gives up on the rest of that list, and the links it read
 * are kept, so that the hardened image fails the same way. */
static void consider(proc *p, const char *abs, const char *name, int loader, const char *by, bool alt, const char *dir,
		     found_t *fd)
{
	ctx *c = p->c;
	qn_ptrvec hops = {0};
	_cleanup_free_ char *fin = NULL;
	rfail rf = R_OK;
	const qn_node *n = resolve_why(c->t, NULL, abs, true, &hops, &fin, &rf, dir != NULL);
	const file_ent *f = NULL;
	const char *why = "not a regular file";
	verdict_t r = !n ? C_NONE : n->type != QN_NODE_REG ? C_FATAL : verdict(p, f = load_file(c, fin), &why);
	if (r == C_OK || r == C_FATAL)
		qn_harden_touch(c->out, NULL, abs, &hops, fin);
	if (!n && dir && (rf == R_LOOP || rf == R_NOTDIR) && is_dir(c, dir)) {
		qn_harden_touch(c->out, NULL, abs, &hops, NULL);
		fd->stop = true;
		if (!fd->stopped)
			fd->stopped = xasprintf("%s: %s", abs + 1,
						rf == R_LOOP ? "too many levels of symbolic links" : "not a folder");
	}
	qn_ptrvec_clear(&hops, free);
	if (r == C_FATAL)
		warn(c, "%s (needed by %s): the loader would stop at %s: %s", name, by, fin, why);
	if (r == C_OK) {
		int idx = add_obj(p, name, abs, fin, f, loader, alt);
		if (!alt)
			*fd = (found_t){idx, true, false, fd->stopped};
	} else if (r == C_FATAL && !alt) {
		*fd = (found_t){-1, true, false, fd->stopped};
	}
}

/* Which hwcap subfolders a folder has: 1 glibc-hwcaps, 2 tls, 4 the platform's name. Looked up
 * once per folder: most have none, and then only the folder itself is tried. */
static unsigned subdirs(proc *p, const char *dir)
{
	ctx *c = p->c;
	const char *plat = p->lay.platform ? p->lay.platform : "";
	_cleanup_free_ char *key = xasprintf("%s\n%s", dir, plat);
	uintptr_t v = (uintptr_t)qn_strset_get(&c->dirflags, key);
	if (v)
		return (unsigned)(v & 7);
	_cleanup_free_ char *a = xasprintf("%s/glibc-hwcaps", dir), *b = xasprintf("%s/tls", dir);
	_cleanup_free_ char *d = xasprintf("%s/%s", dir, plat);
	unsigned fl = (is_dir(c, a) ? 1u : 0u) | (is_dir(c, b) ? 2u : 0u) | (*plat && is_dir(c, d) ? 4u : 0u);
	qn_strset_put(&c->dirflags, key, (void *)(uintptr_t)(fl | 8));
	return fl;
}

static void try_sub(proc *p, const char *dir, const char *sub, const char *name, int loader, const char *by,
		    found_t *fd)
{
	_cleanup_free_ char *cand = xasprintf("%s/%s/%s", dir, sub, name);
	consider(p, cand, name, loader, by, true, NULL, fd);
}

/* One search folder (absolute, no trailing slash; "/" for the root). */
static void try_dir(proc *p, const char *dir, const char *name, int loader, const char *by, found_t *fd)
{
	const char *d = strcmp(dir, "/") ? dir : "";
	unsigned fl = subdirs(p, dir);
	const char *plat = p->lay.platform;
	for (size_t i = 0; (fl & 1) && p->lay.hwcaps[i]; i++) {
		_cleanup_free_ char *sub = xasprintf("glibc-hwcaps/%s", p->lay.hwcaps[i]);
		try_sub(p, d, sub, name, loader, by, fd);
	}
	if ((fl & 2) && plat) { /* legacy hwcap subfolders, as glibc up to 2.36 searches them */
		_cleanup_free_ char *pp = xasprintf("tls/%s/%s", plat, plat), *tp = xasprintf("tls/%s", plat);
		try_sub(p, d, pp, name, loader, by, fd);
		try_sub(p, d, tp, name, loader, by, fd);
	}
	if (fl & 2)
		try_sub(p, d, "tls", name, loader, by, fd);
	if (fl & 4) {
		_cleanup_free_ char *pp = xasprintf("%s/%s", plat, plat);
		try_sub(p, d, pp, name, loader, by, fd);
		try_sub(p, d, plat, name, loader, by, fd);
	}
	_cleanup_free_ char *cand = xasprintf("%s/%s", d, name);
	consider(p, cand, name, loader, by, false, *d ? d : "/", fd);
}

/* A search list (RPATH, RUNPATH or LD_LIBRARY_PATH): elements expanded with origin, emptied
 * ones dropped, an empty element meaning the working folder, repeats tried once. */
static void try_list(proc *p, const char *list, const char *origin, const char *seps, const char *what,
		     const char *name, int loader, const char *by, found_t *fd)
{
	_cleanup_free_ char *copy = xstrdup(list);
	qn_strset seen = QN_STRSET_INIT;
	char *rest = copy, *el;
	for (size_t count = 0; !fd->done && !fd->stop && !p->c->failed && (el = strsep(&rest, seps)); count++) {
		if (count == MAX_DIRS) {
			warn(p->c, "%s: %s has more than %d elements; the rest ignored", by, what, MAX_DIRS);
			break;
		}
		const char *unknown = NULL;
		_cleanup_free_ char *exp = expand(p, el, origin, &unknown);
		if (!exp) {
			_cleanup_free_ char *q = qn_str_quote(el, 200);
			warn(p->c, "%s: %s element \"%s\" ignored: %s has no fixed value on this machine", by, what, q,
			     unknown);
			continue;
		}
		if (*el && !*exp)
			continue;
		size_t n = strlen(exp);
		while (n > 1 && exp[n - 1] == '/')
			exp[--n] = 0;
		_cleanup_free_ char *dir = *exp ? absolute(p->c, exp) : absolute(p->c, ".");
		if (qn_strset_add(&seen, dir))
			try_dir(p, dir, name, loader, by, fd);
	}
	fd->stop = false; /* the next list is searched all the same */
	qn_strset_clear(&seen);
}

/* ---- /etc/ld.so.cache, ld.so.conf, /etc/ld.so.preload ---- */

/* Reads a whole small file of the image by absolute path, adding what it touched to touch.
 * Returns NULL when it is missing or not a regular file; unreadable or too large is a warning. */
static uint8_t *read_config(ctx *c, const char *abs, size_t max, size_t *len, qn_strset *touch)
{
	qn_ptrvec hops = {0};
	_cleanup_free_ char *fin = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, abs, true, &hops, &fin);
	uint8_t *buf = NULL;
	if (n && n->type == QN_NODE_REG) {
		buf = c->o->read(c->o->read_ud, fin, max + 1, len);
		if (!buf)
			warn(c, "%s: cannot be read, ignored", fin);
		else if (*len > max)
			warn(c, "%s: larger than %zu bytes, ignored", fin, max);
		if (buf && *len > max) {
			free(buf);
			buf = NULL;
		}
		if (buf)
			qn_harden_touch(touch, NULL, abs, &hops, fin);
	}
	qn_ptrvec_clear(&hops, free);
	return buf;
}

static bool cache_ready(ctx *c)
{
	if (c->cache_state)
		return c->cache_state > 0;
	c->cache_state = -1;
	size_t len = 0;
	uint8_t *buf = read_config(c, "/etc/ld.so.cache", MAX_CACHE_SIZE, &len, &c->cache_touch);
	if (!buf)
		return false;
	qn_error *e = NULL;
	c->cache = qn_ldcache_parse(buf, len, &e);
	free(buf);
	if (!c->cache) /* the loader then searches on as if there were no cache */
		warn(c, "etc/ld.so.cache ignored, as the loader ignores it: %s", e->msg);
	else if (c->cache->n_bad)
		warn(c, "etc/ld.so.cache: %zu entries with strings out of range skipped", c->cache->n_bad);
	qn_error_free(e);
	c->cache_state = c->cache ? 1 : -1;
	return c->cache != NULL;
}

static void try_cache(proc *p, const char *name, int loader, const char *by, found_t *fd)
{
	ctx *c = p->c;
	if (!cache_ready(c))
		return;
	c->cache_used = true;
	const qn_ldcache_entry *m[MAX_ALTS];
	size_t n = QN_MIN(qn_ldcache_lookup(c->cache, name, &p->abi, m, MAX_ALTS), (size_t)MAX_ALTS);
	bool nodeflib = p->v[loader].f->info.flags_1 & QN_DF_1_NODEFLIB, plain = false;
	for (size_t i = 0; i < n && !fd->done; i++) {
		if (nodeflib && in_default_dir(&p->lay, m[i]->value))
			continue;
		/* CPU-specific entries are all kept; of the plain ones the loader takes the first */
		if (!m[i]->hwcap && plain)
			continue;
		plain = plain || !m[i]->hwcap;
		_cleanup_free_ char *abs = absolute(c, m[i]->value);
		consider(p, abs, name, loader, by, m[i]->hwcap != 0, NULL, fd);
	}
}

static void conf_ready(ctx *c)
{
	if (c->conf_loaded)
		return;
	c->conf_loaded = true;
	qn_ldconf_load(c->t, c->o->read, c->o->read_ud, "etc/ld.so.conf", &c->conf, c->warnings, NULL);
}

/* Explains a miss when the library sits in an ld.so.conf folder: the cache is stale or absent. */
static char *conf_hint(proc *p, const char *name)
{
	ctx *c = p->c;
	conf_ready(c);
	for (size_t i = 0; i < c->conf.dirs.n; i++) {
		_cleanup_free_ char *cand = xasprintf("%s/%s", (char *)c->conf.dirs.v[i], name), *fin = NULL;
		const qn_node *n = qn_harden_resolve(c->t, NULL, cand, true, NULL, &fin);
		const char *why;
		if (!n || n->type != QN_NODE_REG || verdict(p, load_file(c, fin), &why) != C_OK)
			continue;
		return xasprintf(" (%s is in %s, listed in ld.so.conf, but %s)", name, (char *)c->conf.dirs.v[i],
				 c->cache_state > 0 ? "etc/ld.so.cache does not list it: the cache is stale"
						    : "the image has no usable etc/ld.so.cache");
	}
	return xstrdup("");
}

static void read_preload(ctx *c)
{
	if (c->preload_read)
		return;
	c->preload_read = true;
	size_t len = 0;
	_cleanup_free_ uint8_t *buf = read_config(c, "/etc/ld.so.preload", 1u << 20, &len, c->out);
	if (!buf)
		return;
	_cleanup_free_ char *text = xstrndup((const char *)buf, len);
	for (char *h = text; (h = strchr(h, '#'));) /* '#' comments run to the end of the line */
		while (*h && *h != '\n')
			*h++ = ' ';
	char *rest = text, *tok;
	while ((tok = strsep(&rest, " \t\n:")))
		if (*tok)
			qn_ptrvec_push(&c->preload, xstrdup(tok));
}

/* ---- mapping names ---- */

/* Maps one DT_NEEDED (or preload) name for the object at index loader, as _dl_map_object does. */
static void map_object(proc *p, const char *name, int loader, const char *by)
{
	ctx *c = p->c;
	if (qn_strset_has(&p->names, name))
		return; /* already mapped under this name or SONAME */
	found_t fd = {-1, false, false, NULL};
	const obj *l = &p->v[loader];
	const char *origin = l->origin;
	const qn_elf_info *li = &l->f->info;
	if (strchr(name, '/')) { /* a path, tokens expanded, relative to the working folder */
		const char *unknown = NULL;
		_cleanup_free_ char *exp = expand(p, name, origin, &unknown);
		if (!exp) {
			warn(c, "%s (needed by %s): %s has no fixed value on this machine; not loaded", name, by,
			     unknown);
			return;
		}
		_cleanup_free_ char *abs = absolute(c, exp);
		consider(p, abs, name, loader, by, false, NULL, &fd);
	} else {
		if (!li->runpath) /* RPATHs up the loader chain, only without a RUNPATH of our own */
			for (int i = loader; i >= 0 && !fd.done; i = p->v[i].loader) {
				const qn_elf_info *in = &p->v[i].f->info;
				if (in->rpath && !in->runpath)
					try_list(p, in->rpath, p->v[i].origin, ":", "RPATH", name, loader, by, &fd);
			}
		if (!fd.done && c->o->ld_library_path)
			try_list(p, c->o->ld_library_path, p->v[0].origin, ":;", "LD_LIBRARY_PATH", name, loader, by,
				 &fd);
		if (!fd.done && li->runpath)
			try_list(p, li->runpath, origin, ":", "RUNPATH", name, loader, by, &fd);
		if (!fd.done)
			try_cache(p, name, loader, by, &fd);
		for (size_t i = 0; !fd.done && !fd.stop && !(li->flags_1 & QN_DF_1_NODEFLIB) && i < p->lay.n_dirs; i++)
			try_dir(p, p->lay.dirs[i], name, loader, by, &fd);
	}
	if (!fd.done && !c->failed) {
		_cleanup_free_ char *hint = strchr(name, '/') ? xstrdup("") : conf_hint(p, name);
		_cleanup_free_ char *stop =
		    fd.stopped ? xasprintf(" (a search list ended at %s)", fd.stopped) : xstrdup("");
		warn(c, "%s (needed by %s): not found%s%s", name, by, stop, hint);
	}
	free(fd.stopped);
}

/* The interpreter: opened by the kernel, and an object the loader's name lookups find.
 * Returns false when it is missing: the kernel's exec then fails and nothing else is opened. */
static bool load_interp(proc *p, const char *interp, bool guessed)
{
	ctx *c = p->c;
	qn_ptrvec hops = {0};
	_cleanup_free_ char *abs = absolute(c, interp), *fin = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, abs, true, &hops, &fin);
	if (n && n->type == QN_NODE_REG) {
		qn_harden_touch(c->out, NULL, abs, &hops, fin);
		const file_ent *f = load_file(c, fin);
		const char *why = NULL;
		if (verdict(p, f, &why) != C_OK && !guessed)
			warn(c, "%s (interpreter of %s): %s", fin, p->v[0].final,
			     why ? why : "another ELF class or machine");
		int idx = add_obj(p, interp, abs, fin, f, -1, false);
		if (idx >= 0)
			p->v[idx].rtld = true;
	} else if (!guessed) {
		_cleanup_free_ char *q = qn_str_quote(interp, 200);
		warn(c, "%s: interpreter \"%s\" not found", p->v[0].final, q);
	}
	qn_ptrvec_clear(&hops, free);
	return n && n->type == QN_NODE_REG;
}

static void load_preloads(proc *p)
{
	ctx *c = p->c;
	if (c->o->ld_preload) { /* LD_PRELOAD: separated by spaces or colons */
		_cleanup_free_ char *copy = xstrdup(c->o->ld_preload);
		char *rest = copy, *tok;
		while (!c->failed && (tok = strsep(&rest, " :")))
			if (*tok)
				map_object(p, tok, 0, "LD_PRELOAD");
	}
	read_preload(c);
	for (size_t i = 0; i < c->preload.n && !c->failed; i++)
		map_object(p, c->preload.v[i], 0, "etc/ld.so.preload");
}

/* The closure of one ELF program or library at an absolute path. */
static void run_elf(ctx *c, const char *abs)
{
	_cleanup_free_ char *key = xasprintf("elf:%s", abs);
	if (!qn_strset_add(&c->ran, key))
		return; /* the same start (or interpreter of many scripts) gives the same closure */
	qn_ptrvec hops = {0};
	_cleanup_free_ char *fin = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, abs, true, &hops, &fin);
	const file_ent *f = n && n->type == QN_NODE_REG ? load_file(c, fin) : NULL;
	if (f && f->st != F_NOT_ELF)
		qn_harden_touch(c->out, NULL, abs, &hops, fin);
	qn_ptrvec_clear(&hops, free);
	if (!f || f->st == F_NOT_ELF ||
	    (f->st != F_UNREADABLE && f->hdr.type != QN_ET_EXEC && f->hdr.type != QN_ET_DYN))
		return;
	if (f->st != F_OK) {
		warn(c, "%s: %s", fin, f->why);
		return;
	}
	proc p = {.c = c, .abi = f->hdr};
	layout_init(c, &f->hdr, &p.lay);
	/* the program's $ORIGIN comes from /proc/self/exe: its folder with symlinks resolved */
	_cleanup_free_ char *real = xasprintf("/%s", fin);
	add_obj(&p, NULL, real, fin, f, -1, false);
	if (f->info.interp && !load_interp(&p, f->info.interp, false)) {
		proc_clear(&p);
		return;
	}
	if (!f->info.interp && f->info.dynamic && f->hdr.type == QN_ET_DYN && !(f->info.flags_1 & DF_1_PIE) &&
	    p.lay.interp)
		load_interp(&p, p.lay.interp, true); /* a library: whichever process maps it has one */
	if (f->info.dynamic)
		load_preloads(&p);
	/* breadth-first: the program, preloads, then each object's DT_NEEDED in order */
	for (size_t i = 0; i < p.n && !c->failed; i++) {
		const file_ent *o = p.v[i].f;
		if (p.v[i].rtld || o->st != F_OK)
			continue;
		for (size_t k = 0; k < o->info.n_needed && !c->failed; k++) {
			_cleanup_free_ char *by = xstrdup(p.v[i].final); /* p.v may move while mapping */
			map_object(&p, o->info.needed[k], (int)i, by);
		}
	}
	proc_clear(&p);
}

/* ---- scripts ---- */

static void run_any(ctx *c, const char *abs, int depth);

/* The command `env` runs for a "#!/usr/bin/env ARG" line. The kernel passes everything after
 * the interpreter as one argument, which env splits only after -S; then options and VAR=value
 * assignments come before the command. Without -S, ARG is the command as a whole (an ARG with a
 * space in it is a command name with a space, which is not found, as with env itself). Returns a
 * new string, or NULL when ARG names no command. */
static char *env_command(const char *arg)
{
	const char *s = NULL;
	if (!strncmp(arg, "--split-string=", 15))
		s = arg + 15;
	else if (!strncmp(arg, "-S", 2))
		s = arg + 2;
	if (!s)
		return arg[0] == '-' || strchr(arg, '=') ? NULL : xstrdup(arg);
	_cleanup_free_ char *copy = xstrdup(s);
	char *rest = copy, *tok;
	bool skip = false;
	while ((tok = strsep(&rest, " \t"))) {
		if (!*tok)
			continue;
		if (skip) {
			skip = false;
			continue;
		}
		if (!strcmp(tok, "-u") || !strcmp(tok, "-C")) /* options with a separate value */
			skip = true;
		else if (tok[0] != '-' && !strchr(tok, '='))
			return xstrdup(tok);
	}
	return NULL;
}

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* execvp's search: PATH elements in order (an empty one is the working folder); the first
 * regular file with an execute bit wins. Returns a new absolute path or NULL. */
static char *path_lookup(ctx *c, const char *cmd)
{
	if (strchr(cmd, '/'))
		return absolute(c, cmd);
	_cleanup_free_ char *copy = xstrdup(c->o->path ? c->o->path : DEFAULT_PATH);
	char *rest = copy, *el;
	while ((el = strsep(&rest, ":"))) {
		_cleanup_free_ char *rel = xasprintf("%s/%s", *el ? el : ".", cmd);
		char *cand = absolute(c, rel);
		const qn_node *n = qn_harden_resolve(c->t, NULL, cand, true, NULL, NULL);
		if (n && n->type == QN_NODE_REG && (n->mode & 0111))
			return cand;
		free(cand);
	}
	return NULL;
}

/* Reads the first line of a "#!" script: the interpreter and its one optional argument, split
 * as the kernel splits them (spaces and tabs; the rest of the line is a single argument). */
static bool shebang_line(const uint8_t *buf, size_t len, char **interp, char **arg)
{
	if (len < 2 || buf[0] != '#' || buf[1] != '!')
		return false;
	_cleanup_free_ char *line = xstrndup((const char *)buf + 2, len - 2);
	*strchrnul(line, '\n') = 0;
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = 0;
	char *s = line + strspn(line, " \t");
	size_t il = strcspn(s, " \t");
	*interp = xstrndup(s, il);
	s += il;
	s += strspn(s, " \t");
	*arg = *s ? xstrdup(s) : NULL;
	return true;
}

static void run_interp(ctx *c, const char *script, const char *interp, const char *arg, int depth)
{
	_cleanup_free_ char *iabs = absolute(c, interp);
	_cleanup_free_ char *q = qn_str_quote(interp, 200);
	/* without its interpreter the kernel's exec fails: nothing else is run */
	if (!*interp) {
		warn(c, "%s: \"#!\" line names no interpreter", script);
		return;
	}
	if (!qn_harden_resolve(c->t, NULL, iabs, true, NULL, NULL)) {
		warn(c, "%s: interpreter \"%s\" not found", script, q);
		return;
	}
	run_any(c, iabs, depth + 1);
	if (!arg || strcmp(qn_path_base(interp), "env"))
		return;
	_cleanup_free_ char *cmd = env_command(arg);
	_cleanup_free_ char *found = cmd ? path_lookup(c, cmd) : NULL;
	_cleanup_free_ char *qc = qn_str_quote(cmd ? cmd : arg, 200);
	if (!found)
		warn(c, "%s: \"%s\" (run by env) not found along PATH", script, qc);
	else
		run_any(c, found, 0); /* env execs it afresh: the kernel's nesting count starts over */
}

static void run_script(ctx *c, const char *abs, int depth)
{
	qn_ptrvec hops = {0};
	_cleanup_free_ char *fin = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, abs, true, &hops, &fin);
	size_t len = 0;
	uint8_t *buf = n && n->type == QN_NODE_REG ? c->o->read(c->o->read_ud, fin, BINPRM_BUF, &len) : NULL;
	char *interp = NULL, *arg = NULL;
	bool script = buf && shebang_line(buf, len, &interp, &arg);
	free(buf);
	if (script)
		qn_harden_touch(c->out, NULL, abs, &hops, fin);
	qn_ptrvec_clear(&hops, free);
	if (!script)
		return;
	bool loop = false;
	for (int i = 0; i < depth && i <= MAX_SCRIPT_DEPTH && !loop; i++)
		loop = !strcmp(c->chain[i], fin);
	if (loop || depth > MAX_SCRIPT_DEPTH) {
		warn(c, "%s: more than %d levels of \"#!\" interpreters%s; the kernel refuses it", fin,
		     MAX_SCRIPT_DEPTH, loop ? " (they loop)" : "");
	} else if (qn_strset_add(&c->ran, fin)) { /* each script once: scripts may name each other */
		const char *saved = c->chain[depth];
		c->chain[depth] = fin;
		run_interp(c, fin, interp, arg, depth);
		c->chain[depth] = saved;
	}
	free(interp);
	free(arg);
}

/* An executable found as an interpreter or by env: an ELF program or another script. */
static void run_any(ctx *c, const char *abs, int depth)
{
	_cleanup_free_ char *fin = NULL;
	const qn_node *n = qn_harden_resolve(c->t, NULL, abs, true, NULL, &fin);
	size_t len = 0;
	_cleanup_free_ uint8_t *buf = n && n->type == QN_NODE_REG ? c->o->read(c->o->read_ud, fin, 4, &len) : NULL;
	if (buf && qn_elf_is_elf(buf, len))
		run_elf(c, abs);
	else if (buf)
		run_script(c, abs, depth);
}

/* ---- entry points ---- */

static int ctx_init(ctx *c, const qn_tree *t, const qn_closure_opts *o, qn_strset *out, qn_ptrvec *w, qn_error **err)
{
	memset(c, 0, sizeof(*c));
	if (!t || !o || !o->read || !out)
		return qn_error_set(err, QN_ERR_USAGE, "closure: needs a tree, a read function and an output set");
	c->t = t, c->o = o, c->out = out, c->warnings = w, c->err = err;
	c->max_read = o->max_read ? o->max_read : DEFAULT_MAX_READ;
	/* the working folder, resolved once; relative names start there */
	char *cwd = NULL;
	const char *wd = o->cwd && *o->cwd ? o->cwd : "/";
	const qn_node *n = qn_harden_resolve(t, NULL, wd, true, NULL, &cwd);
	if (!n || n->type != QN_NODE_DIR) {
		free(cwd);
		cwd = lexical(NULL, wd);
	}
	c->cwd = cwd ? cwd : xstrdup("");
	return 0;
}

static void add_all(qn_strset *out, const qn_strset *from)
{
	for (size_t i = 0; i < from->cap; i++)
		if (from->keys[i])
			qn_strset_add(out, from->keys[i]);
}

static int ctx_finish(ctx *c)
{
	if (!c->failed && c->cache_used) {
		/* the cache, and what rebuilds it: an ldconfig run in the hardened image must not lose
		 * folders */
		add_all(c->out, &c->cache_touch);
		conf_ready(c);
		add_all(c->out, &c->conf.files);
	}
	for (size_t i = 0; i < c->files.cap; i++)
		if (c->files.keys && c->files.keys[i])
			file_ent_free(c->files.vals[i]);
	qn_strset_clear(&c->files);
	qn_strset_clear(&c->warned);
	qn_strset_clear(&c->dirflags);
	qn_strset_clear(&c->cache_touch);
	qn_strset_clear(&c->ran);
	qn_ldcache_free(c->cache);
	qn_ldconf_clear(&c->conf);
	qn_ptrvec_clear(&c->preload, free);
	free(c->cwd);
	return c->failed ? -1 : 0;
}

typedef void (*run_fn)(ctx *c, const char *abs);

static void run_script0(ctx *c, const char *abs)
{
	run_script(c, abs, 0);
}

static int run_all(const qn_tree *t, const qn_closure_opts *opts, const char *const *start, size_t n_start,
		   qn_strset *out, qn_ptrvec *warnings, qn_error **err, run_fn fn)
{
	ctx c;
	if (ctx_init(&c, t, opts, out, warnings, err) < 0)
		return -1;
	for (size_t i = 0; i < n_start && !c.failed; i++) {
		if (!start[i])
			continue;
		/* start paths are canonical: relative to the image root, not to the working folder */
		_cleanup_free_ char *abs = start[i][0] == '/' ? xstrdup(start[i]) : xasprintf("/%s", start[i]);
		fn(&c, abs);
	}
	return ctx_finish(&c);
}

int qn_closure_elf(const qn_tree *t, const qn_closure_opts *opts, const char *const *start, size_t n_start,
		   qn_strset *out, qn_ptrvec *warnings, qn_error **err)
{
	return run_all(t, opts, start, n_start, out, warnings, err, run_elf);
}

int qn_closure_shebang(const qn_tree *t, const qn_closure_opts *opts, const char *const *start, size_t n_start,
		       qn_strset *out, qn_ptrvec *warnings, qn_error **err)
{
	return run_all(t, opts, start, n_start, out, warnings, err, run_script0);
}
