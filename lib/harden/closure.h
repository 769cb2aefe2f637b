/* harden module: the static closure of ELF files and scripts inside an image.
 *
 * Given paths a container was seen using, find every file the dynamic loader (glibc's ld.so)
 * would open to start them, resolved inside the image exactly as ld.so would resolve them there.
 * Three layers, each usable on its own:
 *   - qn_elf_parse:     ELF headers, PT_INTERP and the dynamic section, over bytes (elf.c);
 *   - qn_ldcache_parse: /etc/ld.so.cache in all three of glibc's layouts, and ld.so.conf with its
 *                       include globs (ldcache.c);
 *   - qn_closure_elf / qn_closure_shebang: the loader's search over an image tree (closure.c).
 * Parsers take bytes and bound every offset and count by the buffer: the files come from
 * untrusted images. */
#ifndef QN_HARDEN_CLOSURE_H
#define QN_HARDEN_CLOSURE_H

#include "quench/tree.h"
#include "util/strset.h"
#include "util/util.h"

/* ---- ELF ---- */

#define QN_ELFCLASS32 1
#define QN_ELFCLASS64 2
#define QN_ELFDATA2LSB 1
#define QN_ELFDATA2MSB 2
#define QN_ET_EXEC 2
#define QN_ET_DYN 3
#define QN_DF_1_NODEFLIB 0x800

/* What the loader needs to know about one ELF file. Strings are owned by the struct. */
typedef struct {
	uint8_t elf_class; /* QN_ELFCLASS32 / QN_ELFCLASS64 */
	uint8_t data;      /* QN_ELFDATA2LSB / QN_ELFDATA2MSB */
	uint8_t osabi, abiversion;
	uint16_t type;    /* e_type: QN_ET_EXEC, QN_ET_DYN, ... */
	uint16_t machine; /* e_machine (EM_X86_64 = 62, EM_AARCH64 = 183, ...) */
	uint32_t eflags;  /* e_flags (ARM and RISC-V float ABI, MIPS ABI) */
	char *interp;     /* PT_INTERP as written, or NULL (static binaries, libraries) */
	bool dynamic;     /* has a PT_DYNAMIC segment */
	char **needed;    /* DT_NEEDED names in file order */
	size_t n_needed;
	char *rpath;      /* DT_RPATH, or NULL (the last one wins, as in ld.so) */
	char *runpath;    /* DT_RUNPATH, or NULL */
	char *soname;     /* DT_SONAME, or NULL */
	uint64_t flags_1; /* DT_FLAGS_1 (QN_DF_1_NODEFLIB) */
} qn_elf_info;

/* Parser result besides 0 and -1: the buffer ends before something the headers point at. */
#define QN_ELF_NEED_MORE 1

/* True when buf starts with the ELF magic. */
bool qn_elf_is_elf(const uint8_t *buf, size_t len);
/* Parses the leading len bytes of an ELF file (buf need not hold the whole file).
 * Returns 0 with *out filled (release with qn_elf_info_clear); QN_ELF_NEED_MORE when every
 * structure read so far is sane but the next one lies beyond len: *need_bytes then says how many
 * leading bytes of the file to pass next time (if the file is shorter than that, it is
 * truncated), and *out is untouched; -1 with err (QN_ERR_INPUT) when the file is malformed or
 * not ELF, or QN_ERR_LIMIT when a string or list is beyond the parser's sanity limits.
 * need_bytes may be NULL when the caller always passes whole files. */
int qn_elf_parse(const uint8_t *buf, size_t len, qn_elf_info *out, size_t *need_bytes, qn_error **err);
void qn_elf_info_clear(qn_elf_info *info);
/* Parses only the identification and file header (class, data, osabi, type, machine, flags);
 * the loader's first checks of a candidate library. 0, or -1 with err ("file too short", "not an
 * ELF file", ...). *out gets no strings. */
int qn_elf_header(const uint8_t *buf, size_t len, qn_elf_info *out, qn_error **err);

/* ---- ld.so.cache ---- */

/* Entry flags as ldconfig writes them (glibc's ldconfig.h): a type in the low byte and the
 * ABI in the high byte. i386 and other "plain" ABIs use QN_LDCACHE_ELF_LIBC6 (0x0003) alone. */
#define QN_LDCACHE_TYPE_MASK 0x00ff
#define QN_LDCACHE_ELF 0x0001
#define QN_LDCACHE_ELF_LIBC6 0x0003
#define QN_LDCACHE_X8664_LIB64 0x0300  /* x86-64: 0x0303 */
#define QN_LDCACHE_X8664_LIBX32 0x0800 /* x32: 0x0803 */
#define QN_LDCACHE_AARCH64_LIB64 0x0a00

typedef enum {
	QN_LDCACHE_OLD = 1, /* "ld.so-1.7.0" only (libc5-era layout, still written by `ldconfig -c old`) */
	QN_LDCACHE_NEW,     /* "glibc-ld.so.cache1.1" only (the default since glibc 2.32) */
	QN_LDCACHE_COMPAT,  /* the old layout with the new one appended; the loader reads the new part */
} qn_ldcache_format;

typedef struct {
	int32_t flags;
	uint32_t osversion; /* new layout only; ldconfig writes 0 */
	uint64_t hwcap;     /* 0 for the plain entry; otherwise CPU-specific (legacy hwcap bits, or a
			     * glibc-hwcaps subfolder when bit 62 is set) */
	const char *key;    /* the soname; points into the cache's own copy of the file */
	const char *value;  /* the absolute path ldconfig recorded */
} qn_ldcache_entry;

typedef struct {
	qn_ldcache_format format;
	bool big_endian;
	qn_ldcache_entry *entries; /* in file order (ldconfig sorts them; `ldconfig -p` prints them so) */
	size_t n;
	size_t n_bad;  /* entries skipped: string offsets outside the string table */
	uint8_t *data; /* private copy of the file */
	size_t len;    /* its length */
	size_t new_at; /* offset of the new-layout header (0 for QN_LDCACHE_NEW; unused for OLD) */
} qn_ldcache;

/* Parses an ld.so.cache file. Returns a new cache (qn_ldcache_free; it copies buf) or NULL with
 * err (QN_ERR_INPUT) when the loader would not use the file at all (bad magic, entry count
 * beyond the file). Entries whose strings are out of range are skipped and counted in n_bad, as
 * the loader skips them. */
qn_ldcache *qn_ldcache_parse(const uint8_t *buf, size_t len, qn_error **err);
void qn_ldcache_free(qn_ldcache *c);
/* Writes a cache holding the entries of c for which keep(ud, entry) is true, in c's order, with
 * their flags, osversion and hwcap unchanged (keep NULL keeps all). The result is always in the
 * new layout ("glibc-ld.so.cache1.1", the only one glibc 2.32 and later read, and one every
 * glibc loader since 2.2 reads too), in c's byte order, whatever layout c had: an old or compat
 * cache becomes a new one. The extension directory is carried over with its generator string
 * and its glibc-hwcaps subfolder list (entries name those by index, so the list is copied whole);
 * sections of unknown kinds are dropped (the loader ignores them, and their contents may hold
 * offsets this writer cannot know to move). Strings are laid out in entry order, each distinct
 * string once, so the same input gives the same bytes. Returns a new buffer (caller frees) and
 * its length in *len; *kept (when not NULL) gets the number of entries written. */
uint8_t *qn_ldcache_write(const qn_ldcache *c, bool (*keep)(void *ud, const qn_ldcache_entry *e), void *ud, size_t *len,
			  size_t *kept);
/* Whether glibc's loader for the ABI of `abi` (class, data, machine, eflags) accepts entries
 * with these flags (e.g. x86-64 accepts only 0x0303, i386 accepts 0x0001 and 0x0003). */
bool qn_ldcache_flags_match(int32_t flags, const qn_elf_info *abi);
/* The flags as `ldconfig -p` prints them: "libc6,x86-64", "libc6", "libc6,AArch64", ... Writes
 * into out (at least 48 bytes) and returns it. */
const char *qn_ldcache_flags_name(int32_t flags, char out[static 48]);
/* Entries for soname that the loader of abi's ABI accepts, in file order. Returns how many were
 * found; the first min(found, max) are stored in out (borrowed from c). */
size_t qn_ldcache_lookup(const qn_ldcache *c, const char *soname, const qn_elf_info *abi, const qn_ldcache_entry **out,
			 size_t max);

/* ---- ld.so.conf ---- */

/* One parsed configuration file: folders in order, and include patterns in order (a pattern
 * may be relative: it is taken relative to the including file's folder, as ldconfig does).
 * `hwcap` lines are ignored, comments and "=TYPE" suffixes dropped. ldconfig expands an include
 * where it stands, so include_at[i] records how many of dirs come before includes.v[i]. */
typedef struct {
	qn_ptrvec dirs;     /* char *, trailing slashes removed */
	qn_ptrvec includes; /* char * */
	size_t *include_at; /* includes.n entries */
} qn_ldconf_file;

/* Parses one ld.so.conf-style file. Never fails: lines that are not folders become warnings
 * ("FILE:LINE: ...", pushed as char * onto warnings when not NULL). Release with _clear. */
void qn_ldconf_parse(const uint8_t *buf, size_t len, const char *file, qn_ldconf_file *out, qn_ptrvec *warnings);
void qn_ldconf_file_clear(qn_ldconf_file *f);

/* Read function: returns a new buffer (caller frees) with the first min(max, size) bytes of the
 * regular file at canonical_path (relative, no symlinks in it: the closure resolves symlinks
 * through the tree first), and its length in *len; NULL when it cannot be read. A result shorter
 * than max means the whole file was read. Readers over a host folder should still refuse to
 * follow symlinks (O_NOFOLLOW, or openat2 with RESOLVE_IN_ROOT). */
typedef uint8_t *(*qn_read_fn)(void *ud, const char *canonical_path, size_t max, size_t *len);

/* The whole configuration from a root file (normally "etc/ld.so.conf", canonical): folders in
 * order without duplicates, and every file read (canonical, plus symlinks crossed to reach them).
 * Includes are globbed over the tree (`*`, `?`, `[...]` per component; sorted like glob(3) in the
 * C locale) and nest at most 16 deep. A missing root file is an empty configuration. */
typedef struct {
	qn_ptrvec dirs;  /* char *, absolute as written */
	qn_strset files; /* canonical paths read, and symlinks crossed */
} qn_ldconf;
int qn_ldconf_load(const qn_tree *t, qn_read_fn read, void *ud, const char *path, qn_ldconf *out, qn_ptrvec *warnings,
		   qn_error **err);
void qn_ldconf_clear(qn_ldconf *c);

/* glob(3)-style match of one name against one pattern component: `*`, `?`, `[abc]`, `[a-z]`,
 * `[!x]` / `[^x]`, `\` escapes. A leading '.' in name only matches a literal '.'. */
bool qn_glob_match(const char *pattern, const char *name);
/* Expands an absolute pattern over the tree (symlinked folders are followed; a relative pattern
 * starts at the root too). Appends the matches as glob(3) prints them (absolute, lexical:
 * "/etc/ld.so.conf.d/libc.conf"), sorted in the C locale, to out as new char *. */
void qn_tree_glob(const qn_tree *t, const char *pattern, qn_ptrvec *out);

/* ---- helpers shared by the harden files ---- */

/* Resolves path in the tree as the kernel would inside a chroot at the image root: absolute
 * paths and symlink targets start at the root, ".." stops there, at most 40 symlinks. A relative
 * path starts at cwd (canonical; NULL or "" is the root). follow_last says whether a symlink in
 * the last component is followed. Returns the node, or NULL when a component is missing or not a
 * folder, or the links loop. On success pushes onto hops (when not NULL) a new char * for every
 * symlink crossed and every folder a ".." climbed out of (canonical paths), and sets *final
 * (when not NULL) to the canonical path of the result (caller frees). */
const qn_node *qn_harden_resolve(const qn_tree *t, const char *cwd, const char *path, bool follow_last, qn_ptrvec *hops,
				 char **final);
/* Adds to out what resolving path touched: its lexical form (relative to cwd when not absolute,
 * normalised; left out when it has a ".." component, whose lexical meaning differs from the
 * kernel's), every hop, and final when not NULL. */
void qn_harden_touch(qn_strset *out, const char *cwd, const char *path, const qn_ptrvec *hops, const char *final);

/* ---- closure ---- */

typedef struct {
	qn_read_fn read; /* required */
	void *read_ud;
	const char *ld_library_path; /* LD_LIBRARY_PATH from the image's Env, or NULL */
	const char *ld_preload;      /* LD_PRELOAD from the image's Env, or NULL */
	const char *path;            /* PATH from the image's Env for `#!/usr/bin/env NAME`; NULL means
				      * "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" */
	const char *cwd;             /* WorkingDir, for relative names; NULL or "" means "/" */
	size_t max_read;             /* most bytes read of one ELF file; 0 means 256 MiB */
} qn_closure_opts;

/* For every start path (canonical, e.g. "usr/bin/python3") that is an ELF executable or shared
 * library, adds to out everything the loader touches to start it in the image:
 *   - the start path itself, the symlinks crossed to reach it and its final target;
 *   - its interpreter (PT_INTERP), and for a library without one the usual interpreter of its
 *     ABI (a process that loads it has one; this is what `ld.so --list LIB` shows);
 *   - every DT_NEEDED library, breadth-first over the whole graph as ld.so maps them, plus
 *     /etc/ld.so.preload and LD_PRELOAD libraries and their dependencies;
 * each as the path searched (lexically normalised: "lib/x86_64-linux-gnu/libc.so.6", which may
 * run through a symlinked folder), every symlink crossed and every folder that a ".." climbed
 * out of (canonical), and the final file; plus etc/ld.so.cache and the ld.so.conf files when the
 * cache was consulted, and etc/ld.so.preload when present. Files found through glibc-hwcaps
 * and legacy hwcap subfolders are added too: which one the loader takes depends on the CPU.
 * A search list ends at a candidate whose lookup loops, as in glibc. A program whose interpreter
 * is missing adds only itself (the kernel cannot start it). Start paths that are missing or not
 * ELF are skipped quietly. Libraries not found, files the
 * loader would refuse, unreadable files and ignored caches become warnings (one line each, a new
 * char * pushed onto warnings, which may be NULL; the same line is not pushed twice in one call).
 * Returns 0, or -1 with err for a missing read function (QN_ERR_USAGE) or when the graph exceeds
 * 100,000 objects (QN_ERR_LIMIT). out keeps copies; nothing else is retained. */
int qn_closure_elf(const qn_tree *t, const qn_closure_opts *opts, const char *const *start, size_t n_start,
		   qn_strset *out, qn_ptrvec *warnings, qn_error **err);

/* For every start path that is a script starting with "#!": adds the script path (and its
 * symlinks), the interpreter as resolved in the image (relative to cwd when not absolute), and,
 * for `#!/usr/bin/env [-S] [VAR=x] NAME`, NAME looked up along opts->path like execvp does; then
 * the interpreters' own closure (an interpreter that is itself a script is followed up to 4
 * levels, as the kernel does). Other start paths are skipped. Same contract as qn_closure_elf. */
int qn_closure_shebang(const qn_tree *t, const qn_closure_opts *opts, const char *const *start, size_t n_start,
		       qn_strset *out, qn_ptrvec *warnings, qn_error **err);

#endif
