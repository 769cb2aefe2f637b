/* rpm databases as bytes: one header blob as the rpmdb stores it, the sqlite rpmdb
 * (var/lib/rpm/rpmdb.sqlite, or usr/lib/sysimage/rpm/rpmdb.sqlite) that holds them, detection of
 * the other database kinds, and rpm purls.
 *
 * A header is an index of {tag, type, offset, count} entries over a data store; every entry of a
 * hostile header is checked against the store before any is read. Berkeley DB (Packages) and
 * SUSE's ndb (Packages.db) databases are detected but not read: the caller warns that they were
 * seen. Nothing here checks signatures or digests of the headers. */
#include <ctype.h>
#include <sqlite3.h>

#include "osdb.h"
#include "purl.h"
#include "util/path.h"

/* rpm's own header limits (hdrchkTags, hdrchkData): more is never a real package */
#define RPM_MAX_TAGS 0xffffu
#define RPM_MAX_DATA 0x0fffffffu
/* strings in one array (files, requires): far above any real package, low enough to bound memory */
#define RPM_MAX_ARRAY (1u << 20)
#define RPM_PATH_MAX 4096
/* packages read from one database, and the SQLite VM steps allowed for reading it */
#define RPM_MAX_PACKAGES 200000
#define RPM_SQLITE_STEPS (1u << 28)

enum { T_NULL, T_CHAR, T_INT8, T_INT16, T_INT32, T_INT64, T_STRING, T_BIN, T_STRING_ARRAY, T_I18NSTRING };
static const uint32_t type_size[] = {0, 1, 1, 2, 4, 8, 1, 1, 1, 1};

enum {
	TAG_HEADERIMAGE = 61,
	TAG_HEADERSIGNATURES = 62,
	TAG_HEADERIMMUTABLE = 63,
	TAG_NAME = 1000,
	TAG_VERSION = 1001,
	TAG_RELEASE = 1002,
	TAG_EPOCH = 1003,
	TAG_SUMMARY = 1004,
	TAG_VENDOR = 1011,
	TAG_LICENSE = 1014,
	TAG_PACKAGER = 1015,
	TAG_URL = 1020,
	TAG_ARCH = 1022,
	TAG_FILESIZES = 1028,
	TAG_FILEDIGESTS = 1035,
	TAG_SOURCERPM = 1044,
	TAG_REQUIREFLAGS = 1048,
	TAG_REQUIRENAME = 1049,
	TAG_REQUIREVERSION = 1050,
	TAG_DIRINDEXES = 1116,
	TAG_BASENAMES = 1117,
	TAG_DIRNAMES = 1118,
	TAG_LONGFILESIZES = 5008,
	TAG_FILEDIGESTALGO = 5011,
};

static const uint8_t header_magic[8] = {0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0};

typedef struct {
	const uint8_t *index; /* il entries of 16 bytes */
	const uint8_t *data;  /* the data store, dl bytes */
	uint32_t il, dl;
	const char *label; /* error context: "LOCATION" or "LOCATION: header 12" */
} rpm_hdr;

typedef struct {
	uint32_t tag, type, offset, count;
} rpm_entry;

typedef struct {
	const char **v; /* pointers into the data store; owned array */
	uint32_t n;
} strv;

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static rpm_entry entry_at(const rpm_hdr *h, uint32_t i)
{
	const uint8_t *e = h->index + (size_t)i * 16;
	return (rpm_entry){be32(e), be32(e + 4), be32(e + 8), be32(e + 12)};
}

static bool is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* ---- header structure ---- */

/* A region entry (61-63) points at a 16-byte trailer in the data store that repeats the region
 * tag and gives, as a negative offset, the size of the index the region covers. rpm trusts it
 * when it re-reads the immutable part; we check it the same way so a lying trailer is refused. */
static int check_region(const rpm_hdr *h, uint32_t i, rpm_entry e, qn_error **err)
{
	if (e.type != T_BIN || e.count != 16 || (uint64_t)e.offset + 16 > h->dl)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: entry %u: region tag %u is not a 16-byte trailer inside the data store",
				    h->label, i, e.tag);
	const uint8_t *t = h->data + e.offset;
	uint32_t ttag = be32(t), ttype = be32(t + 4), tcount = be32(t + 12);
	int64_t toff = (int32_t)be32(t + 8);
	if (ttag != e.tag || ttype != T_BIN || tcount != 16 || toff >= 0 || -toff % 16 != 0 ||
	    -toff / 16 > (int64_t)h->il)
		return qn_error_set(err, QN_ERR_INPUT, "%s: entry %u: region tag %u has a malformed trailer", h->label,
				    i, e.tag);
	return 0;
}

/* Every entry, read or not, must stay inside the data store: a later reader (or ours, through a
 * second tag) must never be able to follow one out of it. Strings are only bounded here (each
 * needs at least its NUL byte); their terminators are checked when a tag is read. */
static int check_entry(const rpm_hdr *h, uint32_t i, qn_error **err)
{
	rpm_entry e = entry_at(h, i);
	if (e.type > T_I18NSTRING)
		return qn_error_set(err, QN_ERR_INPUT, "%s: entry %u (tag %u): unknown type %u", h->label, i, e.tag,
				    e.type);
	if (e.tag >= TAG_HEADERIMAGE && e.tag <= TAG_HEADERIMMUTABLE)
		return check_region(h, i, e, err);
	if (e.count == 0 || e.count > RPM_MAX_DATA)
		return qn_error_set(err, QN_ERR_INPUT, "%s: entry %u (tag %u): count %u out of range", h->label, i,
				    e.tag, e.count);
	if (e.offset > h->dl)
		return qn_error_set(err, QN_ERR_INPUT, "%s: entry %u (tag %u): offset %u beyond the %u-byte data store",
				    h->label, i, e.tag, e.offset, h->dl);
	uint64_t need = (uint64_t)e.count * type_size[e.type];
	if (e.type == T_STRING && e.count != 1)
		return qn_error_set(err, QN_ERR_INPUT, "%s: entry %u (tag %u): a STRING with count %u", h->label, i,
				    e.tag, e.count);
	if (need > h->dl - e.offset)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: entry %u (tag %u): %u items of type %u run past the %u-byte data store",
				    h->label, i, e.tag, e.count, e.type, h->dl);
	return 0;
}

/* Finds the index and data store, with or without the 8-byte magic, and checks every entry. */
static int hdr_open(const uint8_t *b, size_t len, const char *label, rpm_hdr *h, qn_error **err)
{
	h->label = label;
	if (len >= 8 && memcmp(b, header_magic, 8) == 0)
		b += 8, len -= 8;
	if (len < 8)
		return qn_error_set(err, QN_ERR_INPUT, "%s: %zu bytes, too short for an rpm header", label, len);
	h->il = be32(b);
	h->dl = be32(b + 4);
	if (h->il == 0 || h->il > RPM_MAX_TAGS || h->dl > RPM_MAX_DATA)
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: rpm header claims %u entries and %u data bytes (limits %u, %u)", label, h->il,
				    h->dl, RPM_MAX_TAGS, RPM_MAX_DATA);
	/* both are at most 2^28, so this sum cannot overflow 64 bits */
	uint64_t need = 8 + (uint64_t)h->il * 16 + h->dl;
	if (need > len)
		return qn_error_set(err, QN_ERR_INPUT, "%s: rpm header needs %llu bytes, only %zu given (truncated)",
				    label, (unsigned long long)need, len);
	h->index = b + 8;
	h->data = h->index + (size_t)h->il * 16;
	for (uint32_t i = 0; i < h->il; i++)
		if (check_entry(h, i, err) < 0)
			return -1;
	return 0;
}

/* The first entry with tag, or false. */
static bool find_tag(const rpm_hdr *h, uint32_t tag, rpm_entry *out)
{
	for (uint32_t i = 0; i < h->il; i++) {
		rpm_entry e = entry_at(h, i);
		if (e.tag == tag) {
			*out = e;
			return true;
		}
	}
	return false;
}

/* ---- typed tag readers: absent tags give 0 with nothing set, malformed ones -1 ---- */

static int get_strv(const rpm_hdr *h, uint32_t tag, strv *out, qn_error **err)
{
	rpm_entry e;
	out->v = NULL;
	out->n = 0;
	if (!find_tag(h, tag, &e))
		return 0;
	if (e.type != T_STRING && e.type != T_STRING_ARRAY && e.type != T_I18NSTRING)
		return qn_error_set(err, QN_ERR_INPUT, "%s: tag %u has type %u, not a string", h->label, tag, e.type);
	if (e.count > RPM_MAX_ARRAY)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: tag %u has %u strings (limit %u)", h->label, tag, e.count,
				    RPM_MAX_ARRAY);
	out->v = xcalloc(e.count, sizeof(char *));
	const char *p = (const char *)h->data + e.offset, *end = (const char *)h->data + h->dl;
	for (uint32_t i = 0; i < e.count; i++) {
		/* the terminator must be inside the store, or the string would run into whatever follows */
		const char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
		if (!z) {
			free(out->v);
			out->v = NULL;
			return qn_error_set(err, QN_ERR_INPUT, "%s: tag %u: string %u runs past the data store",
					    h->label, tag, i);
		}
		out->v[out->n++] = p;
		p = z + 1;
	}
	return 0;
}

static int get_str(const rpm_hdr *h, uint32_t tag, const char **out, qn_error **err)
{
	rpm_entry e;
	*out = NULL;
	if (!find_tag(h, tag, &e))
		return 0;
	if (e.type != T_STRING && e.type != T_STRING_ARRAY && e.type != T_I18NSTRING)
		return qn_error_set(err, QN_ERR_INPUT, "%s: tag %u has type %u, not a string", h->label, tag, e.type);
	/* only the first string is used (of an I18NSTRING: the C locale's); its NUL must be in the store */
	const char *p = (const char *)h->data + e.offset;
	if (!memchr(p, 0, h->dl - e.offset))
		return qn_error_set(err, QN_ERR_INPUT, "%s: tag %u: string runs past the data store", h->label, tag);
	*out = p;
	return 0;
}

/* Integer arrays: returns the raw big-endian items (bounds were checked by check_entry). */
static int get_ints(const rpm_hdr *h, uint32_t tag, uint32_t type, const uint8_t **p, uint32_t *n, qn_error **err)
{
	rpm_entry e;
	*p = NULL;
	*n = 0;
	if (!find_tag(h, tag, &e))
		return 0;
	if (e.type != type)
		return qn_error_set(err, QN_ERR_INPUT, "%s: tag %u has type %u, want %u", h->label, tag, e.type, type);
	*p = h->data + e.offset;
	*n = e.count;
	return 0;
}

/* ---- package fields ---- */

/* "bash-5.1.8-6.el9.src.rpm" -> "bash", "5.1.8-6.el9": the name is everything before the last two
 * dashes, and ".src.rpm" (or ".nosrc.rpm") ends the file name. */
static bool split_srpm(const char *s, char **name, char **ver)
{
	size_t n = strlen(s);
	if (n < 4 || strcmp(s + n - 4, ".rpm") != 0)
		return false;
	n -= 4;
	const char *dot = memrchr(s, '.', n);
	const char *rel = dot ? memrchr(s, '-', (size_t)(dot - s)) : NULL;
	const char *ver_start = rel ? memrchr(s, '-', (size_t)(rel - s)) : NULL;
	if (!ver_start || ver_start == s || rel == ver_start + 1 || dot == rel + 1)
		return false;
	*name = xstrndup(s, (size_t)(ver_start - s));
	*ver = xstrndup(ver_start + 1, (size_t)(dot - ver_start - 1));
	return true;
}

static void fill_source(const rpm_hdr *h, qn_package *p, const char *srpm, const char *epoch, qn_osdb_warnings *w)
{
	char *name = NULL, *ver = NULL;
	if (srpm && split_srpm(srpm, &name, &ver) && is_token(name) && is_token(ver)) {
		p->source_name = name;
		/* a source rpm file name has no epoch; its packages share the one in the spec file */
		p->source_version = epoch ? xasprintf("%s:%s", epoch, ver) : xstrdup(ver);
		free(ver);
		return;
	}
	free(name);
	free(ver);
	if (srpm) {
		_cleanup_free_ char *q = qn_str_quote(srpm, 120), *qn = qn_str_quote(p->name, 80);
		qn_osdb_warn(w, "%s: package \"%s\": SOURCERPM \"%s\" is not NAME-VERSION-RELEASE.ARCH.rpm", h->label,
			     qn, q);
	}
	p->source_name = xstrdup(p->name);
	p->source_version = xstrdup(p->version);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* Name, version and the descriptive strings. */
static int fill_ident(const rpm_hdr *h, qn_package *p, const char *name, qn_osdb_warnings *w, qn_error **err)
{
	const char *ver, *rel, *arch, *sum, *vendor, *lic, *pkgr, *url, *srpm;
	const uint8_t *ep;
	uint32_t nep;
	if (get_str(h, TAG_VERSION, &ver, err) < 0 || get_str(h, TAG_RELEASE, &rel, err) < 0 ||
	    get_str(h, TAG_ARCH, &arch, err) < 0 || get_str(h, TAG_SUMMARY, &sum, err) < 0 ||
	    get_str(h, TAG_VENDOR, &vendor, err) < 0 || get_str(h, TAG_LICENSE, &lic, err) < 0 ||
	    get_str(h, TAG_PACKAGER, &pkgr, err) < 0 || get_str(h, TAG_URL, &url, err) < 0 ||
	    get_str(h, TAG_SOURCERPM, &srpm, err) < 0 || get_ints(h, TAG_EPOCH, T_INT32, &ep, &nep, err) < 0)
		return -1;
	if (!is_token(ver) || !is_token(rel) || (arch && !is_token(arch))) {
		_cleanup_free_ char *q = qn_str_quote(name, 80);
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: package \"%s\": VERSION, RELEASE or ARCH missing or not one printable word",
				    h->label, q);
	}
	_cleanup_free_ char *epoch = nep ? xasprintf("%u", be32(ep)) : NULL;
	p->eco = QN_ECO_RPM;
	p->name = xstrdup(name);
	p->version = epoch ? xasprintf("%s:%s-%s", epoch, ver, rel) : xasprintf("%s-%s", ver, rel);
	p->arch = dup_or_null(arch);
	p->license = dup_or_null(lic);
	/* the packager names who built it; the vendor is the next best "maintainer" */
	p->maintainer = dup_or_null(pkgr && *pkgr ? pkgr : vendor);
	p->description = dup_or_null(sum);
	p->homepage = dup_or_null(url);
	fill_source(h, p, srpm, epoch, w);
	return 0;
}

/* ---- files ---- */

typedef struct {
	strv base, dirs, digests;
	const uint8_t *dirindex, *sizes;
	uint32_t n_dirindex, n_sizes, size_width;
	const char *algo; /* "md5:", "sha256:", ... or NULL when unknown */
	size_t hexlen;
} file_arrays;

static void file_arrays_clear(file_arrays *fa)
{
	free(fa->base.v);
	free(fa->dirs.v);
	free(fa->digests.v);
}

/* FILEDIGESTALGO values (PGP hash algorithm ids); without the tag rpm used MD5. */
static void digest_algo(const uint8_t *p, uint32_t n, file_arrays *fa)
{
	uint32_t a = n ? be32(p) : 1;
	static const struct {
		uint32_t id;
		const char *name;
		size_t hexlen;
	} algos[] = {{1, "md5:", 32},    {2, "sha1:", 40},     {8, "sha256:", 64},
		     {9, "sha384:", 96}, {10, "sha512:", 128}, {11, "sha224:", 56}};
	for (size_t i = 0; i < QN_ARRAY_LEN(algos); i++)
		if (algos[i].id == a) {
			fa->algo = algos[i].name;
			fa->hexlen = algos[i].hexlen;
		}
}

static int load_files(const rpm_hdr *h, file_arrays *fa, qn_error **err)
{
	const uint8_t *algo, *sz32, *sz64;
	uint32_t nalgo, n32, n64;
	if (get_strv(h, TAG_BASENAMES, &fa->base, err) < 0 || get_strv(h, TAG_DIRNAMES, &fa->dirs, err) < 0 ||
	    get_strv(h, TAG_FILEDIGESTS, &fa->digests, err) < 0 ||
	    get_ints(h, TAG_DIRINDEXES, T_INT32, &fa->dirindex, &fa->n_dirindex, err) < 0 ||
	    get_ints(h, TAG_FILESIZES, T_INT32, &sz32, &n32, err) < 0 ||
	    get_ints(h, TAG_LONGFILESIZES, T_INT64, &sz64, &n64, err) < 0 ||
	    get_ints(h, TAG_FILEDIGESTALGO, T_INT32, &algo, &nalgo, err) < 0)
		return -1;
	uint32_t n = fa->base.n;
	fa->sizes = n64 ? sz64 : sz32;
	fa->n_sizes = n64 ? n64 : n32;
	fa->size_width = n64 ? 8 : 4;
	/* the per-file arrays run in parallel: a count that differs would index past one of them */
	if (fa->n_dirindex != n || (fa->n_sizes && fa->n_sizes != n) || (fa->digests.n && fa->digests.n != n))
		return qn_error_set(err, QN_ERR_INPUT, "%s: %u file names but %u dir indexes, %u sizes, %u digests",
				    h->label, n, fa->n_dirindex, fa->n_sizes, fa->digests.n);
	for (uint32_t i = 0; i < n; i++)
		if (be32(fa->dirindex + (size_t)i * 4) >= fa->dirs.n)
			return qn_error_set(err, QN_ERR_INPUT, "%s: file %u: dir index %u, only %u dir names", h->label,
					    i, be32(fa->dirindex + (size_t)i * 4), fa->dirs.n);
	digest_algo(algo, nalgo, fa);
	return 0;
}

/* The recorded digest as "algo:hex", or NULL (directories and links have none; a digest of the
 * wrong length or with non-hex characters is not passed on). */
static char *file_digest(const file_arrays *fa, uint32_t i)
{
	if (!fa->digests.n || !fa->algo)
		return NULL;
	const char *d = fa->digests.v[i];
	if (strlen(d) != fa->hexlen)
		return NULL;
	for (const char *c = d; *c; c++)
		if (!isxdigit((unsigned char)*c))
			return NULL;
	char *s = xasprintf("%s%s", fa->algo, d);
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

static int read_files(const rpm_hdr *h, qn_package *p, qn_osdb_warnings *w, qn_error **err)
{
	file_arrays fa;
	memset(&fa, 0, sizeof(fa));
	if (load_files(h, &fa, err) < 0) {
		file_arrays_clear(&fa);
		return -1;
	}
	p->files = fa.base.n ? xcalloc(fa.base.n, sizeof(*p->files)) : NULL;
	for (uint32_t i = 0; i < fa.base.n; i++) {
		const char *dir = fa.dirs.v[be32(fa.dirindex + (size_t)i * 4)];
		_cleanup_free_ char *raw = xasprintf("%s%s", dir, fa.base.v[i]);
		_cleanup_error_ qn_error *e = NULL;
		char *path = NULL;
		const char *rel = raw + strspn(raw, "/");
		/* rpm paths are absolute; ".." is refused so a package cannot claim files outside the root */
		if (qn_path_normalize(rel, RPM_PATH_MAX, &path, &e) < 0 || !*path) {
			_cleanup_free_ char *q = qn_str_quote(raw, 120);
			if (e)
				qn_osdb_warn(w, "%s: package \"%s\": file \"%s\": %s, skipped", h->label, p->name, q,
					     e->msg);
			free(path);
			continue;
		}
		qn_pkg_file *f = &p->files[p->n_files++];
		f->path = path;
		if (fa.n_sizes)
			f->size = fa.size_width == 8 ? be64(fa.sizes + (size_t)i * 8) : be32(fa.sizes + (size_t)i * 4);
		f->digest = file_digest(&fa, i);
	}
	file_arrays_clear(&fa);
	return 0;
}

/* ---- requires ---- */

/* By name, then constraint (none first): a total order, so the result does not depend on qsort. */
static int cmp_dep(const void *a, const void *b)
{
	const qn_pkg_dep *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c || x->version_constraint == y->version_constraint)
		return c;
	if (!x->version_constraint || !y->version_constraint)
		return x->version_constraint ? 1 : -1;
	return strcmp(x->version_constraint, y->version_constraint);
}

/* "(>= 1.2-3)" from REQUIREFLAGS' sense bits (LESS 2, GREATER 4, EQUAL 8) and REQUIREVERSION. */
static char *dep_constraint(uint32_t flags, const char *ver)
{
	if (!ver || !*ver || !(flags & 14))
		return NULL;
	char op[4] = {0}; /* all three bits may be set in a hostile header: room for "<>=" and NUL */
	size_t k = 0;
	if (flags & 2)
		op[k++] = '<';
	if (flags & 4)
		op[k++] = '>';
	if (flags & 8)
		op[k++] = '=';
	return xasprintf("(%s %s)", op, ver);
}

/* REQUIRENAME keeps plain package names: "rpmlib(...)", "/bin/sh" file requires and
 * "libc.so.6(GLIBC_2.34)(64bit)"-style capabilities name no package. Sorted by name; exact
 * repeats (a requirement for both %pre and %post) kept once, a range ("> 1", "< 9") as two. */
static int read_requires(const rpm_hdr *h, qn_package *p, qn_error **err)
{
	strv names, vers;
	const uint8_t *flags;
	uint32_t nflags;
	if (get_strv(h, TAG_REQUIRENAME, &names, err) < 0)
		return -1;
	if (get_strv(h, TAG_REQUIREVERSION, &vers, err) < 0 ||
	    get_ints(h, TAG_REQUIREFLAGS, T_INT32, &flags, &nflags, err) < 0) {
		free(names.v);
		free(vers.v); /* get_strv set it to NULL before anything could fail */
		return -1;
	}
	bool have_ver = vers.n == names.n && nflags == names.n; /* else constraints are not trusted */
	p->deps = names.n ? xcalloc(names.n, sizeof(*p->deps)) : NULL;
	for (uint32_t i = 0; i < names.n; i++) {
		const char *nm = names.v[i];
		if (!is_token(nm) || nm[0] == '/' || strchr(nm, '('))
			continue;
		qn_pkg_dep *d = &p->deps[p->n_deps];
		d->name = xstrdup(nm);
		d->version_constraint = have_ver ? dep_constraint(be32(flags + (size_t)i * 4), vers.v[i]) : NULL;
		p->n_deps++;
	}
	free(names.v);
	free(vers.v);
	qn_sort(p->deps, p->n_deps, sizeof(*p->deps), cmp_dep);
	size_t o = 0;
	for (size_t i = 0; i < p->n_deps; i++) {
		if (o && cmp_dep(&p->deps[o - 1], &p->deps[i]) == 0) {
			free(p->deps[i].name);
			free(p->deps[i].version_constraint);
			continue;
		}
		p->deps[o++] = p->deps[i];
	}
	p->n_deps = o;
	return 0;
}

/* ---- headers ---- */

static int parse_blob(const uint8_t *blob, size_t len, const char *location, const char *label, qn_package *out,
		      qn_osdb_warnings *w, qn_error **err)
{
	rpm_hdr h;
	const char *name;
	if (hdr_open(blob, len, label, &h, err) < 0 || get_str(&h, TAG_NAME, &name, err) < 0)
		return -1;
	if (!is_token(name))
		return qn_error_set(err, QN_ERR_INPUT, "%s: NAME tag missing or not one printable word", label);
	/* imported signing keys live in the rpmdb as packages named gpg-pubkey; they install nothing */
	if (strcmp(name, "gpg-pubkey") == 0)
		return 1;
	qn_package p;
	memset(&p, 0, sizeof(p));
	p.layer = -1;
	if (fill_ident(&h, &p, name, w, err) < 0 || read_files(&h, &p, w, err) < 0 || read_requires(&h, &p, err) < 0) {
		qn_package_clear(&p);
		return -1;
	}
	p.location = xstrdup(location);
	*out = p;
	return 0;
}

int qn_rpm_parse_header(const uint8_t *blob, size_t len, const char *location, qn_package *out, qn_osdb_warnings *w,
			qn_error **err)
{
	const char *loc = location ? location : "rpm header";
	return parse_blob(blob, len, loc, loc, out, w, err);
}

/* ---- the sqlite rpmdb ---- */

static int progress_budget(void *ud)
{
	unsigned *left = ud;
	if (*left == 0)
		return 1; /* non-zero interrupts the statement */
	(*left)--;
	return 0;
}

static int check_sqlite_input(const uint8_t *db, size_t len, const char *loc, qn_error **err)
{
	if (len > QN_OSDB_MAX_INPUT)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: %zu bytes, over the limit of %zu", loc, len,
				    QN_OSDB_MAX_INPUT);
	/* 100 bytes is the SQLite file header; anything shorter is not a database */
	if (len < 100 || qn_rpm_detect_db(db, len) != QN_RPMDB_SQLITE)
		return qn_error_set(err, QN_ERR_INPUT, "%s: not an SQLite database", loc);
	return 0;
}

/* Opens a private copy of the bytes (which must look like an SQLite file), read-only unless
 * `writable`. The database is hostile input: defensive mode
 * refuses writes to the schema, triggers and views are off so no stored code runs, the schema is
 * untrusted (no functions with side effects), nothing can be attached or loaded, lengths are
 * bounded, and a progress handler bounds the work a crafted b-tree can cause. */
static int open_memdb(const uint8_t *db, size_t len, const char *loc, bool writable, sqlite3 **out, unsigned *budget,
		      qn_error **err)
{
	if (check_sqlite_input(db, len, loc, err) < 0)
		return -1;
	sqlite3 *h = NULL;
	if (sqlite3_open_v2(":memory:", &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return qn_error_set(err, QN_ERR_RUNTIME, "%s: cannot open an in-memory SQLite database", loc);
	}
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, (int *)NULL);
	sqlite3_limit(h, SQLITE_LIMIT_LENGTH, (int)(RPM_MAX_DATA + 16));
	sqlite3_limit(h, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(h, SQLITE_LIMIT_EXPR_DEPTH, 64);
	sqlite3_limit(h, SQLITE_LIMIT_COLUMN, 256);
	sqlite3_progress_handler(h, 1000, progress_budget, budget);
	unsigned char *copy = sqlite3_malloc64(len);
	if (!copy)
		abort(); /* out of memory: STYLE says abort */
	memcpy(copy, db, len);
	/* rpm keeps its sqlite database in WAL mode (header bytes 18-19 = 2); the in-memory copy has no
	 * -wal file, so read it as a rollback-journal database. Changes still in an un-checkpointed
	 * rpmdb.sqlite-wal are not seen. */
	if (copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	int rc = sqlite3_deserialize(h, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				     SQLITE_DESERIALIZE_FREEONCLOSE |
					 (writable ? SQLITE_DESERIALIZE_RESIZEABLE : SQLITE_DESERIALIZE_READONLY));
	if (rc != SQLITE_OK) {
		sqlite3_close(h);
		return qn_error_set(err, QN_ERR_INPUT, "%s: SQLite refused the database: %s", loc, sqlite3_errstr(rc));
	}
	*out = h;
	return 0;
}

/* One row of Packages: a header, parsed or skipped with a warning. */
static void take_row(sqlite3_stmt *st, const char *loc, qn_pkglist *out, qn_osdb_warnings *w)
{
	long long hnum = sqlite3_column_int64(st, 0);
	_cleanup_free_ char *label = xasprintf("%s: header %lld", loc, hnum);
	if (sqlite3_column_type(st, 1) != SQLITE_BLOB) {
		qn_osdb_warn(w, "%s: not a BLOB, skipped", label);
		return;
	}
	const void *b = sqlite3_column_blob(st, 1);
	int n = sqlite3_column_bytes(st, 1);
	qn_package p;
	_cleanup_error_ qn_error *e = NULL;
	int rc = parse_blob(b, (size_t)(n > 0 ? n : 0), loc, label, &p, w, &e);
	if (rc < 0)
		qn_osdb_warn(w, "%s, skipped", e->msg);
	else if (rc == 0)
		*qn_pkglist_add(out) = p; /* the list takes every pointer */
}

static int read_packages(sqlite3 *h, const char *loc, qn_pkglist *out, qn_osdb_warnings *w, qn_error **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT hnum, blob FROM Packages ORDER BY hnum", -1, &st, NULL) != SQLITE_OK)
		return qn_error_set(err, QN_ERR_INPUT, "%s: no readable Packages table: %s", loc, sqlite3_errmsg(h));
	int rc;
	size_t rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++rows > RPM_MAX_PACKAGES) {
			sqlite3_finalize(st);
			return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d packages", loc, RPM_MAX_PACKAGES);
		}
		take_row(st, loc, out, w);
	}
	if (rc != SQLITE_DONE) {
		qn_error_set(err, rc == SQLITE_INTERRUPT ? QN_ERR_LIMIT : QN_ERR_INPUT, "%s: reading Packages: %s", loc,
			     rc == SQLITE_INTERRUPT ? "work limit reached" : sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int qn_rpm_parse_sqlite(const uint8_t *db, size_t len, const char *location, qn_pkglist *out, qn_osdb_warnings *w,
			qn_error **err)
{
	const char *loc = location ? location : "rpmdb.sqlite";
	sqlite3 *h = NULL;
	unsigned budget = RPM_SQLITE_STEPS / 1000;
	if (open_memdb(db, len, loc, false, &h, &budget, err) < 0)
		return -1;
	int rc = read_packages(h, loc, out, w, err);
	sqlite3_close(h);
	return rc;
}

/* ---- removing packages from the sqlite rpmdb ---- */

static int sql_fail(sqlite3 *h, int rc, const char *loc, const char *what, qn_error **err)
{
	return qn_error_set(err, rc == SQLITE_INTERRUPT ? QN_ERR_LIMIT : QN_ERR_INPUT, "%s: %s: %s", loc, what,
			    rc == SQLITE_INTERRUPT ? "work limit reached" : sqlite3_errmsg(h));
}

/* The hnums of the Packages rows whose header parses and which drop() picks, in hnum order. */
static int rows_to_drop(sqlite3 *h, const char *loc, qn_rpm_drop_fn drop, void *ud, qn_buf *hnums, qn_error **err)
{
	sqlite3_stmt *st = NULL;
	/* rows are deleted by hnum: two rows sharing one (no primary key, as rpm declares it) would
	 * take a package that stays along with one that goes */
	int rc = sqlite3_prepare_v2(h, "SELECT count(*) = count(DISTINCT hnum) FROM Packages", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_int(st, 0) != 1) {
		sqlite3_finalize(st);
		return qn_error_set(err, QN_ERR_INPUT, "%s: Packages has rows sharing one hnum", loc);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_fail(h, rc, loc, "no readable Packages table", err);
	rc = sqlite3_prepare_v2(h, "SELECT hnum, blob FROM Packages ORDER BY hnum", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(h, rc, loc, "no readable Packages table", err);
	size_t rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++rows > RPM_MAX_PACKAGES) {
			sqlite3_finalize(st);
			return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d packages", loc, RPM_MAX_PACKAGES);
		}
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB)
			continue;
		int n = sqlite3_column_bytes(st, 1);
		qn_package p;
		_cleanup_error_ qn_error *e = NULL;
		/* a header that does not parse was never listed: it stays as it is */
		if (parse_blob(sqlite3_column_blob(st, 1), (size_t)(n > 0 ? n : 0), loc, loc, &p, NULL, &e) != 0)
			continue;
		if (drop(&p, ud)) {
			sqlite3_int64 hnum = sqlite3_column_int64(st, 0);
			qn_buf_add(hnums, &hnum, sizeof(hnum));
		}
		qn_package_clear(&p);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sql_fail(h, rc, loc, "reading Packages", err);
}

/* Deletes the rows of one table whose hnum is one of the n in hnums. */
static int delete_rows(sqlite3 *h, const char *loc, const char *table, const sqlite3_int64 *hnums, size_t n,
		       qn_error **err)
{
	char *sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE hnum = ?", table);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	sqlite3_free(sql);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		sqlite3_bind_int64(st, 1, hnums[i]);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sql_fail(h, rc, loc, table, err);
}

/* Deletes the packages from Packages and from every table with an hnum column (rpm's indexes:
 * Name, Basenames, Providename, Sigmd5 and the rest), whatever their names. */
static int delete_packages(sqlite3 *h, const char *loc, const qn_buf *hnums, qn_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    h,
	    "SELECT t.name FROM sqlite_schema t WHERE lower(t.type) = 'table' AND t.name NOT LIKE 'sqlite%' "
	    "AND EXISTS (SELECT 1 FROM pragma_table_info(t.name) c WHERE lower(c.name) = 'hnum') "
	    "ORDER BY t.name",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(h, rc, loc, "reading the schema", err);
	qn_ptrvec tables = {0};
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		qn_ptrvec_push(&tables, xstrdup((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	int out = rc == SQLITE_DONE ? 0 : sql_fail(h, rc, loc, "reading the schema", err);
	if (out == 0 && (rc = sqlite3_exec(h, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
		out = sql_fail(h, rc, loc, "BEGIN", err);
	for (size_t i = 0; out == 0 && i < tables.n; i++)
		out = delete_rows(h, loc, tables.v[i], (const sqlite3_int64 *)(const void *)hnums->data,
				  hnums->len / sizeof(sqlite3_int64), err);
	if (out == 0 && (rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		out = sql_fail(h, rc, loc, "COMMIT", err);
	qn_ptrvec_clear(&tables, free);
	return out;
}

/* 0 when SQLite's integrity check passes; else an error with the first problem it names. A
 * damaged b-tree can read well enough to list packages and still turn deletions into more
 * damage, so the rewriter refuses it before it starts and checks what it wrote. */
static int check_sound(sqlite3 *h, const char *loc, const char *what, qn_error **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sql_fail(h, rc, loc, "integrity check", err);
	}
	const char *r = (const char *)sqlite3_column_text(st, 0);
	int out = r && strcmp(r, "ok") == 0
		      ? 0
		      : qn_error_set(err, QN_ERR_INPUT, "%s: %s: %s", loc, what, r ? r : "integrity check failed");
	sqlite3_finalize(st);
	return out;
}

int qn_rpm_sqlite_drop(const uint8_t *db, size_t len, const char *location, qn_rpm_drop_fn drop, void *ud,
		       uint8_t **out, size_t *out_len, qn_error **err)
{
	*out = NULL;
	*out_len = 0;
	const char *loc = location ? location : "rpmdb.sqlite";
	sqlite3 *h = NULL;
	unsigned budget = RPM_SQLITE_STEPS / 1000;
	if (open_memdb(db, len, loc, true, &h, &budget, err) < 0)
		return -1;
	qn_buf hnums = QN_BUF_INIT;
	int rc = rows_to_drop(h, loc, drop, ud, &hnums, err);
	size_t dropped = hnums.len / sizeof(sqlite3_int64);
	if (rc == 0 && dropped)
		rc = check_sound(h, loc, "SQLite finds the database damaged", err);
	/* deleted content is overwritten with zeros, so nothing of a removed header stays in a free
	 * page. No VACUUM: it copies only what the schema calls a "table" in lower case, and a
	 * hostile schema can make it leave tables behind */
	int s;
	if (rc == 0 && dropped && (s = sqlite3_exec(h, "PRAGMA secure_delete = ON", NULL, NULL, NULL)) != SQLITE_OK)
		rc = sql_fail(h, s, loc, "secure_delete", err);
	if (rc == 0 && dropped)
		rc = delete_packages(h, loc, &hnums, err);
	if (rc == 0 && dropped)
		rc = check_sound(h, loc, "the rewritten database is damaged", err);
	if (rc == 0 && dropped) {
		sqlite3_int64 n = 0;
		unsigned char *bytes = sqlite3_serialize(h, "main", &n, 0);
		if (!bytes || n < 100)
			rc = qn_error_set(err, QN_ERR_RUNTIME, "%s: SQLite could not write the database", loc);
		else {
			*out = xmalloc((size_t)n);
			memcpy(*out, bytes, (size_t)n);
			*out_len = (size_t)n;
			/* the journal mode stays as rpm left it (WAL: bytes 18-19 = 2) */
			(*out)[18] = db[18];
			(*out)[19] = db[19];
		}
		sqlite3_free(bytes);
	}
	sqlite3_close(h);
	qn_buf_clear(&hnums);
	return rc < 0 ? -1 : (int)dropped;
}

qn_rpmdb_kind qn_rpm_detect_db(const uint8_t *buf, size_t len)
{
	if (len >= 16 && memcmp(buf, "SQLite format 3", 16) == 0)
		return QN_RPMDB_SQLITE;
	/* ndb's Packages.db starts with its magic "RpmP" */
	if (len >= 4 && memcmp(buf, "RpmP", 4) == 0)
		return QN_RPMDB_NDB;
	if (len >= 16) {
		/* Berkeley DB metadata page: the magic at offset 12, in the writer's byte order */
		const uint8_t *m = buf + 12;
		uint32_t be = be32(m), le = (uint32_t)m[3] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[1] << 8 | m[0];
		if (be == 0x00061561 || le == 0x00061561 || be == 0x00053162 || le == 0x00053162)
			return QN_RPMDB_BDB;
	}
	return QN_RPMDB_UNKNOWN;
}

const char *qn_rpmdb_kind_name(qn_rpmdb_kind k)
{
	switch (k) {
	case QN_RPMDB_SQLITE:
		return "sqlite";
	case QN_RPMDB_BDB:
		return "bdb";
	case QN_RPMDB_NDB:
		return "ndb";
	case QN_RPMDB_UNKNOWN:
		break;
	}
	return "unknown";
}

char *qn_rpm_purl(const qn_package *p, const char *distro_id, const char *distro_version_id)
{
	if (!p->name || !p->version)
		return NULL;
	/* the version keeps VERSION-RELEASE; the purl-spec rpm type carries the epoch as a qualifier */
	const char *v = p->version;
	size_t nd = strspn(v, "0123456789");
	_cleanup_free_ char *epoch = NULL;
	if (nd && v[nd] == ':') {
		if (strspn(v, "0") != nd)
			epoch = xstrndup(v, nd);
		v += nd + 1;
	}
	_cleanup_free_ char *id = distro_id && *distro_id ? xstrdup(distro_id) : NULL, *distro = NULL;
	for (char *c = id; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *ns = id;
	static const char *const vendor[][2] = {{"rhel", "redhat"}, {"amzn", "amazon"}, {"ol", "oracle"}};
	for (size_t i = 0; id && i < QN_ARRAY_LEN(vendor); i++)
		if (strcmp(id, vendor[i][0]) == 0)
			ns = vendor[i][1];
	if (id && distro_version_id && *distro_version_id)
		distro = xasprintf("%s-%s", id, distro_version_id);
	const char *quals[] = {"arch", p->arch, "distro", distro, "epoch", epoch, NULL};
	return qn_purl("rpm", ns, p->name, v, quals, NULL);
}
