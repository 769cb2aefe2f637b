/* dpkg databases as bytes: the status file (and each file of the distroless status.d/ layout),
 * the per-package info/PKG.list and PKG.md5sums files, and /usr/share/doc/PKG/copyright; plus
 * deb purls and the warning list and text checks the three OS readers share.
 *
 * It does not read files, walk info/ or pair a .list with its package: the inventory does that.
 * It does not build purls while parsing either, because the purl needs the distro (os-release),
 * which another step finds. */
#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

#include "osdb.h"
#include "purl.h"
#include "util/path.h"

/* Longest path a .list or md5sums line may name (PATH_MAX; longer ones are skipped). */
#define LIST_PATH_MAX 4096

/* ---- shared by dpkg.c, apk.c and rpm.c ---- */

void qn_osdb_warn(qn_osdb_warnings *w, const char *fmt, ...)
{
	if (!w)
		return;
	if (w->lines.n >= QN_OSDB_MAX_WARNINGS) {
		w->suppressed++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	qn_ptrvec_push(&w->lines, xvasprintf(fmt, ap));
	va_end(ap);
}

void qn_osdb_warnings_clear(qn_osdb_warnings *w)
{
	qn_ptrvec_clear(&w->lines, free);
	w->suppressed = 0;
}

int qn_osdb_check_text(const uint8_t *buf, size_t len, const char *location, qn_error **err)
{
	if (len > QN_OSDB_MAX_INPUT)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: %zu bytes, over the limit of %zu", location, len,
				    QN_OSDB_MAX_INPUT);
	const uint8_t *z = len ? memchr(buf, 0, len) : NULL;
	if (z)
		return qn_error_set(err, QN_ERR_INPUT, "%s: NUL byte at offset %zu: not a text file", location,
				    (size_t)(z - buf));
	return 0;
}

/* ---- small text helpers ---- */

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Names, versions and architectures are single words of printable ASCII. Anything else (spaces,
 * control bytes, high bytes) means a corrupt record, and would be unsafe to print later. */
static bool is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static bool starts_with_ci(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && strncasecmp(s, prefix, k) == 0;
}

/* ---- status paragraphs ---- */

enum {
	F_PACKAGE,
	F_VERSION,
	F_ARCH,
	F_STATUS,
	F_SOURCE,
	F_MAINT,
	F_DESC,
	F_HOME,
	F_DEPENDS,
	F_PREDEPENDS,
	F_PROVIDES,
	F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "Package",     "Version",  "Architecture", "Status",      "Source",   "Maintainer",
    "Description", "Homepage", "Depends",      "Pre-Depends", "Provides",
};

/* A field's raw text inside the buffer: from after "Name:" to the end of its last continuation line. */
typedef struct {
	const char *v;
	size_t n;
} span;

typedef struct {
	span f[F_COUNT];
	size_t line; /* first line of the paragraph, for warnings */
	bool open;
} para;

typedef struct {
	const char *loc;
	bool require_status;
	qn_pkglist *out;
	qn_osdb_warnings *w;
} status_ctx;

/* Field names are case-insensitive in deb822. */
static int field_index(const char *s, size_t n)
{
	for (int i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == n && strncasecmp(field_names[i], s, n) == 0)
			return i;
	return -1;
}

/* The field as one line: line breaks and the indentation of continuation lines become single
 * spaces (a folded Depends spans lines). NULL when absent or empty. */
static char *fold(span sp)
{
	if (!sp.v)
		return NULL;
	qn_buf b = QN_BUF_INIT;
	bool space = false;
	for (size_t i = 0; i < sp.n; i++) {
		char ch = sp.v[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			space = b.len > 0;
			continue;
		}
		if (space)
			qn_buf_addc(&b, ' ');
		space = false;
		qn_buf_addc(&b, ch);
	}
	if (!b.len) {
		qn_buf_clear(&b);
		return NULL;
	}
	return qn_buf_steal(&b);
}

/* The first line of a field (the synopsis of a Description), trimmed; NULL when empty. */
static char *first_line(span sp)
{
	if (!sp.v)
		return NULL;
	/* an empty synopsis is malformed; take the first line that has text rather than nothing */
	const char *v = sp.v, *end = sp.v + sp.n;
	while (v < end && strchr(" \t\r\n", *v))
		v++;
	size_t n = 0;
	while (v + n < end && v[n] != '\n' && v[n] != '\r')
		n++;
	return fold((span){v, n});
}

/* Handles one non-blank line of a paragraph; returns the field later continuation lines extend
 * (-1: none yet, F_COUNT: a field we do not keep). */
static int take_line(const status_ctx *cx, para *pa, int cur, const char *s, size_t n, size_t lineno)
{
	if (s[0] == ' ' || s[0] == '\t') {
		/* lines are contiguous in the buffer, so a continuation just moves the span's end */
		if (cur >= 0 && cur < F_COUNT)
			pa->f[cur].n = (size_t)(s + n - pa->f[cur].v);
		else if (cur < 0)
			qn_osdb_warn(cx->w, "%s:%zu: continuation line outside a field, ignored", cx->loc, lineno);
		return cur;
	}
	const char *colon = memchr(s, ':', n);
	if (!colon || colon == s) {
		qn_osdb_warn(cx->w, "%s:%zu: not a \"Field: value\" line, ignored", cx->loc, lineno);
		return F_COUNT;
	}
	int f = field_index(s, (size_t)(colon - s));
	if (f < 0)
		return F_COUNT;
	if (pa->f[f].v) {
		qn_osdb_warn(cx->w, "%s:%zu: second %s field in one paragraph, ignored", cx->loc, lineno,
			     field_names[f]);
		return F_COUNT;
	}
	const char *v = colon + 1, *e = s + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	pa->f[f] = (span){v, (size_t)(e - v)};
	return f;
}

/* dpkg's Status is "WANT FLAG STATE"; only STATE "installed" has every file configured. The states
 * in between (unpacked, half-configured, triggers-*) may leave the package's files on disk, so
 * skipping them is said aloud; config-files and not-installed have no files and go silently. */
static bool status_installed(const status_ctx *cx, const para *pa, const char *name)
{
	_cleanup_free_ char *st = fold(pa->f[F_STATUS]);
	if (!st && !cx->require_status)
		return true; /* status.d files: being there means installed */
	const char *first = st ? strchr(st, ' ') : NULL;
	const char *state = first ? strchr(first + 1, ' ') : NULL;
	bool three = state && !strchr(state + 1, ' '); /* fold left single spaces between words */
	if (three && strcmp(state + 1, "installed") == 0)
		return true;
	if (three && (strcmp(state + 1, "config-files") == 0 || strcmp(state + 1, "not-installed") == 0))
		return false;
	_cleanup_free_ char *q = qn_str_quote(name ? name : "", 80);
	_cleanup_free_ char *qs = qn_str_quote(st, 80);
	if (!st)
		qn_osdb_warn(cx->w, "%s:%zu: package \"%s\" has no Status field, skipped", cx->loc, pa->line, q);
	else if (three)
		qn_osdb_warn(cx->w, "%s:%zu: package \"%s\" is in state \"%s\", not installed: skipped", cx->loc,
			     pa->line, q, qs);
	else
		qn_osdb_warn(cx->w, "%s:%zu: package \"%s\": Status \"%s\" is not \"WANT FLAG STATE\", skipped",
			     cx->loc, pa->line, q, qs);
	return false;
}

/* "Source: name" or "Source: name (version)"; without a usable Source field the source package is
 * the binary package itself, as dpkg-query's ${source:Package} and ${source:Version} say. */
static void fill_source(qn_package *p, span sp)
{
	_cleanup_free_ char *s = fold(sp);
	if (s) {
		char *open = strchr(s, '(');
		char *name_end = strcspn(s, " (") + s;
		char *close = open ? strchr(open, ')') : NULL;
		if (open && close) {
			*close = 0;
			_cleanup_free_ char *v = fold((span){open + 1, strlen(open + 1)});
			if (is_token(v))
				p->source_version = steal_pointer(&v);
		}
		*name_end = 0;
		if (is_token(s))
			p->source_name = xstrdup(s);
	}
	if (!p->source_name)
		p->source_name = xstrdup(p->name);
	if (!p->source_version)
		p->source_version = xstrdup(p->version);
}

static void push_dep(qn_package *p, size_t *cap, char *name, char *constraint, bool alternative)
{
	if (p->n_deps == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		p->deps = xreallocarray(p->deps, *cap, sizeof(*p->deps));
	}
	p->deps[p->n_deps++] = (qn_pkg_dep){name, constraint, alternative};
}

/* One relation: "libc6 (>= 2.34)", "python3:any", "foo [amd64] <!nocheck>". ":any"/":amd64"
 * and "[arch]" or "<profile>" restrictions are dropped from the name; the "(op version)" text
 * is kept as is. Returns false when the name is not one word (it is then left out). */
static bool add_relation(qn_package *p, size_t *cap, const char *item, size_t n, bool alternative)
{
	while (n && item[0] == ' ')
		item++, n--;
	while (n && item[n - 1] == ' ')
		n--;
	size_t nl = 0;
	while (nl < n && !strchr(" ([<:", item[nl]))
		nl++;
	_cleanup_free_ char *name = xstrndup(item, nl);
	if (!is_token(name))
		return false;
	char *constraint = NULL;
	const char *open = memchr(item, '(', n);
	if (open) {
		const char *close = memchr(open, ')', (size_t)(item + n - open));
		constraint = xstrndup(open, close ? (size_t)(close - open + 1) : (size_t)(item + n - open));
	}
	push_dep(p, cap, steal_pointer(&name), constraint, alternative);
	return true;
}

/* One comma-separated item, "a (>= 1) | b": every alternative is kept, the second and later
 * marked as alternatives of the first, since which one is installed is only known once the
 * whole inventory is (init-system-helpers needs "usrmerge | usr-is-merged"). */
static void add_dep(qn_package *p, size_t *cap, const char *item, size_t n)
{
	bool first = true;
	while (n) {
		const char *bar = memchr(item, '|', n);
		size_t k = bar ? (size_t)(bar - item) : n;
		if (add_relation(p, cap, item, k, !first))
			first = false;
		item += bar ? k + 1 : k;
		n -= bar ? k + 1 : k;
	}
}

static void add_deps(qn_package *p, size_t *cap, span sp)
{
	_cleanup_free_ char *s = fold(sp);
	for (char *item = s; item && *item;) {
		char *comma = strchr(item, ',');
		size_t n = comma ? (size_t)(comma - item) : strlen(item);
		add_dep(p, cap, item, n);
		item = comma ? comma + 1 : NULL;
	}
}

/* Provides: "awk, libc-dev (= 2.36-9)": the virtual names, without versions. */
static void add_provides(qn_package *p, span sp)
{
	_cleanup_free_ char *s = fold(sp);
	size_t cap = 0;
	char *save = NULL;
	for (char *item = s ? strtok_r(s, ",", &save) : NULL; item; item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " ");
		_cleanup_free_ char *name = xstrndup(item, strcspn(item, " (:"));
		if (!is_token(name))
			continue;
		if (p->n_provides == cap) {
			cap = cap ? cap * 2 : 4;
			p->provides = xreallocarray(p->provides, cap, sizeof(char *));
		}
		p->provides[p->n_provides++] = steal_pointer(&name);
	}
}

/* A finished paragraph: appended to the list when it is an installed package. */
static void emit(const status_ctx *cx, const para *pa)
{
	_cleanup_free_ char *name = fold(pa->f[F_PACKAGE]);
	if (!status_installed(cx, pa, name))
		return;
	_cleanup_free_ char *ver = fold(pa->f[F_VERSION]), *arch = fold(pa->f[F_ARCH]);
	if (!name || !ver) {
		qn_osdb_warn(cx->w, "%s:%zu: paragraph without a %s field, skipped", cx->loc, pa->line,
			     name ? "Version" : "Package");
		return;
	}
	if (!is_token(name) || !is_token(ver) || (arch && !is_token(arch))) {
		_cleanup_free_ char *q = qn_str_quote(name, 80);
		qn_osdb_warn(cx->w,
			     "%s:%zu: package \"%s\": name, version or architecture is not one printable word, skipped",
			     cx->loc, pa->line, q);
		return;
	}
	qn_package *p = qn_pkglist_add(cx->out);
	p->eco = QN_ECO_DEB;
	p->name = steal_pointer(&name);
	p->version = steal_pointer(&ver);
	p->arch = steal_pointer(&arch);
	fill_source(p, pa->f[F_SOURCE]);
	p->maintainer = fold(pa->f[F_MAINT]);
	p->description = first_line(pa->f[F_DESC]);
	p->homepage = fold(pa->f[F_HOME]);
	p->location = xstrdup(cx->loc);
	size_t cap = 0;
	add_deps(p, &cap, pa->f[F_DEPENDS]);
	add_deps(p, &cap, pa->f[F_PREDEPENDS]);
	add_provides(p, pa->f[F_PROVIDES]);
}

int qn_dpkg_parse_status(const uint8_t *buf, size_t len, const char *location, bool require_status, qn_pkglist *out,
			 qn_osdb_warnings *w, qn_error **err)
{
	status_ctx cx = {location ? location : "dpkg status", require_status, out, w};
	if (qn_osdb_check_text(buf, len, cx.loc, err) < 0)
		return -1;
	para pa = {0};
	int cur = -1;
	qn_osdb_lines c;
	qn_osdb_lines_init(&c, buf, len);
	const char *s;
	size_t n;
	while (qn_osdb_next_line(&c, &s, &n)) {
		if (is_blank(s, n)) {
			/* any number of blank lines (or lines of blanks) end a paragraph */
			if (pa.open)
				emit(&cx, &pa);
			memset(&pa, 0, sizeof(pa));
			cur = -1;
			continue;
		}
		if (!pa.open) {
			pa.open = true;
			pa.line = c.lineno;
		}
		cur = take_line(&cx, &pa, cur, s, n, c.lineno);
	}
	if (pa.open)
		emit(&cx, &pa);
	return 0;
}

char *qn_dpkg_purl(const qn_package *p, const char *distro_id, const char *distro_version_id)
{
	if (!p->name || !p->version)
		return NULL;
	/* purl-spec deb: namespace (vendor) and name are lower-cased */
	_cleanup_free_ char *ns = lower_dup(distro_id && *distro_id ? distro_id : "debian");
	_cleanup_free_ char *name = lower_dup(p->name);
	_cleanup_free_ char *distro = NULL;
	if (distro_id && *distro_id && distro_version_id && *distro_version_id)
		distro = xasprintf("%s-%s", ns, distro_version_id);
	const char *upstream = NULL;
	if (p->source_name && strcmp(p->source_name, p->name) != 0)
		upstream = p->source_name;
	const char *quals[] = {"arch", p->arch, "distro", distro, "upstream", upstream, NULL};
	return qn_purl("deb", ns, name, p->version, quals, NULL);
}

/* ---- info/PKG.list and PKG.md5sums ---- */

/* A path from a .list or md5sums line as a canonical image path; NULL (with a warning when it was
 * not just the root) when it cannot be one. */
static char *canon_path(const char *s, size_t n, const char *loc, size_t lineno, qn_osdb_warnings *w)
{
	while (n && s[0] == '/')
		s++, n--;
	_cleanup_free_ char *raw = xstrndup(s, n);
	_cleanup_error_ qn_error *e = NULL;
	char *out = NULL;
	/* ".." is refused: a hostile package must not claim files outside the image root */
	if (qn_path_normalize(raw, LIST_PATH_MAX, &out, &e) < 0) {
		_cleanup_free_ char *q = qn_str_quote(raw, 120);
		qn_osdb_warn(w, "%s:%zu: \"%s\": %s, skipped", loc, lineno, q, e->msg);
		return NULL;
	}
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

int qn_dpkg_parse_list(const uint8_t *buf, size_t len, const char *location, qn_pkg_file **files, size_t *n,
		       qn_osdb_warnings *w, qn_error **err)
{
	const char *loc = location ? location : "dpkg file list";
	if (qn_osdb_check_text(buf, len, loc, err) < 0)
		return -1;
	qn_pkg_file *v = NULL;
	size_t nv = 0, cap = 0;
	qn_osdb_lines c;
	qn_osdb_lines_init(&c, buf, len);
	const char *s;
	size_t sn;
	while (qn_osdb_next_line(&c, &s, &sn)) {
		if (sn == 0)
			continue;
		if (s[0] != '/') {
			qn_osdb_warn(w, "%s:%zu: not an absolute path, skipped", loc, c.lineno);
			continue;
		}
		char *path = canon_path(s, sn, loc, c.lineno, w);
		if (!path)
			continue; /* "/." names the root, which no package owns alone */
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[nv++] = (qn_pkg_file){path, 0, NULL};
	}
	*files = v;
	*n = nv;
	return 0;
}

static int cmp_file_ptr(const void *a, const void *b)
{
	return strcmp((*(qn_pkg_file *const *)a)->path, (*(qn_pkg_file *const *)b)->path);
}

typedef struct {
	const char *loc;
	qn_pkg_file **idx; /* files sorted by path, for bsearch */
	size_t n;
	qn_osdb_warnings *w;
} md5_ctx;

static void md5_line(const md5_ctx *cx, const char *s, size_t n, size_t lineno)
{
	if (n == 0)
		return;
	/* "<32 hex>", then md5sum(1)'s separator: a space, then a space (text) or '*' (binary mode) */
	bool ok = n > 34 && s[32] == ' ' && (s[33] == ' ' || s[33] == '*');
	for (size_t i = 0; ok && i < 32; i++)
		ok = isxdigit((unsigned char)s[i]) != 0;
	if (!ok) {
		qn_osdb_warn(cx->w, "%s:%zu: not an \"MD5  PATH\" line, skipped", cx->loc, lineno);
		return;
	}
	_cleanup_free_ char *path = canon_path(s + 34, n - 34, cx->loc, lineno, cx->w);
	if (!path)
		return;
	qn_pkg_file key = {.path = path};
	const qn_pkg_file *kp = &key;
	qn_pkg_file **hit = bsearch(&kp, cx->idx, cx->n, sizeof(*cx->idx), cmp_file_ptr);
	if (!hit)
		return; /* not listed: nothing to attach the digest to */
	while (hit > cx->idx && strcmp(hit[-1]->path, path) == 0)
		hit--; /* a path listed twice gets the digest on every copy */
	for (; hit < cx->idx + cx->n && strcmp((*hit)->path, path) == 0; hit++) {
		free((*hit)->digest);
		(*hit)->digest = xasprintf("md5:%.32s", s);
		for (char *d = (*hit)->digest; *d; d++)
			*d = (char)tolower((unsigned char)*d);
	}
}

int qn_dpkg_parse_md5sums(const uint8_t *buf, size_t len, const char *location, qn_pkg_file *files, size_t n,
			  qn_osdb_warnings *w, qn_error **err)
{
	const char *loc = location ? location : "dpkg md5sums";
	if (qn_osdb_check_text(buf, len, loc, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	md5_ctx cx = {loc, xcalloc(n, sizeof(qn_pkg_file *)), n, w};
	for (size_t i = 0; i < n; i++)
		cx.idx[i] = &files[i];
	qsort(cx.idx, n, sizeof(*cx.idx), cmp_file_ptr);
	qn_osdb_lines c;
	qn_osdb_lines_init(&c, buf, len);
	const char *s;
	size_t sn;
	while (qn_osdb_next_line(&c, &s, &sn))
		md5_line(&cx, s, sn, c.lineno);
	free(cx.idx);
	return 0;
}

/* ---- copyright licences ---- */

#define LIC_MAX_TERMS 64 /* distinct terms kept per file; more is noise, not information */
#define LIC_MAX_NAME 64  /* a licence short name longer than this is prose */
#define LIC_MAX_WORDS 24 /* words in one License value */

typedef struct {
	char *v[LIC_MAX_TERMS];
	size_t n;
} lic_set;

static void lic_add(lic_set *ls, char *term)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->v[i], term) == 0) {
			free(term);
			return;
		}
	if (ls->n < LIC_MAX_TERMS)
		ls->v[ls->n++] = term;
	else
		free(term);
}

/* GPL-family names in Debian's spellings ("GPL-2", "GPL-2+", "GPLv3+", "LGPL-2.1+", "GPL-2.0+")
 * to SPDX ids ("GPL-2.0-only", "GPL-3.0-or-later"); NULL when w is not one of those. */
static char *gpl_family(const char *w)
{
	static const char *const fam[] = {"AGPL", "LGPL", "GPL", "GFDL"};
	for (size_t i = 0; i < QN_ARRAY_LEN(fam); i++) {
		size_t k = strlen(fam[i]);
		if (strncasecmp(w, fam[i], k) != 0)
			continue;
		const char *r = w + k;
		if (*r == '-')
			r++;
		if (*r == 'v' || *r == 'V')
			r++;
		const char *maj = r;
		while (isdigit((unsigned char)*r))
			r++;
		size_t nmaj = (size_t)(r - maj);
		const char *min = "0";
		size_t nmin = 1;
		if (nmaj && r[0] == '.' && isdigit((unsigned char)r[1])) {
			min = ++r;
			while (isdigit((unsigned char)*r))
				r++;
			nmin = (size_t)(r - min);
		}
		bool plus = *r == '+';
		if (!nmaj || nmaj > 2 || nmin > 2 || r[plus] != 0)
			return NULL;
		return xasprintf("%s-%.*s.%.*s-%s", fam[i], (int)nmaj, maj, (int)nmin, min, plus ? "or-later" : "only");
	}
	return NULL;
}

/* One licence short name, mapped to its SPDX id where the mapping is clear (when map is set);
 * NULL when w is not a short name at all (a word of prose, punctuation). */
static char *lic_name(const char *w, bool map)
{
	size_t n = strlen(w);
	while (n && strchr(".;:", w[n - 1]))
		n--; /* "see /usr/share/common-licenses/GPL-2." ends a sentence */
	if (n == 0 || n > LIC_MAX_NAME || !isalpha((unsigned char)w[0]))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)w[i]) && !strchr(".+-", w[i]))
			return NULL;
	_cleanup_free_ char *s = xstrndup(w, n);
	char *g = map ? gpl_family(s) : NULL;
	if (g || !map)
		return g ? g : steal_pointer(&s);
	if (strcasecmp(s, "Expat") == 0)
		return xstrdup("MIT");
	if (strcasecmp(s, "Apache-2") == 0)
		return xstrdup("Apache-2.0");
	if (n == 12 && strncasecmp(s, "BSD-", 4) == 0 && strcasecmp(s + 5, "-clause") == 0)
		return xasprintf("BSD-%c-Clause", s[4]);
	return steal_pointer(&s);
}

/* Appends "WITH NAME" for "with staticLink exception"; false when the words are not name-like. */
static bool lic_with(qn_buf *b, char **words, size_t *i, size_t nw)
{
	qn_buf_adds(b, " WITH ");
	size_t start = *i + 1;
	while (*i + 1 < nw && strcasecmp(words[*i + 1], "or") != 0 && strcasecmp(words[*i + 1], "and") != 0) {
		(*i)++;
		for (const char *c = words[*i]; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr(".+-", *c))
				return false;
		if (*i > start)
			qn_buf_addc(b, '-');
		qn_buf_adds(b, words[*i]);
	}
	return *i >= start;
}

/* A License value ("GPL-2+", "GPL-1+ or Artistic", "LGPLv3+_or_GPLv2+") as one expression term;
 * NULL when it is prose. DEP-5's lower-case "or"/"and" become SPDX's OR/AND, which bind the same
 * way; a compound term is parenthesised so joining terms with AND keeps its meaning. */
static char *lic_expr(const char *v, size_t n)
{
	_cleanup_free_ char *s = xstrndup(v, n);
	for (char *c = s; *c; c++)
		if (*c == '_' || *c == ',' || *c == '\t')
			*c = ' ';
	char *words[LIC_MAX_WORDS], *save = NULL;
	size_t nw = 0;
	for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nw == LIC_MAX_WORDS)
			return NULL; /* a sentence, not a licence name */
		words[nw++] = t;
	}
	_cleanup_buf_ qn_buf b = QN_BUF_INIT;
	bool want_name = true, ok = nw > 0;
	size_t ops = 0;
	for (size_t i = 0; ok && i < nw; i++) {
		bool is_or = strcasecmp(words[i], "or") == 0, is_and = strcasecmp(words[i], "and") == 0;
		if (is_or || is_and) {
			ok = !want_name;
			qn_buf_adds(&b, is_or ? " OR " : " AND ");
			ops++;
			want_name = true;
		} else if (strcasecmp(words[i], "with") == 0) {
			ok = !want_name && lic_with(&b, words, &i, nw);
		} else {
			_cleanup_free_ char *name = want_name ? lic_name(words[i], true) : NULL;
			ok = name != NULL; /* two names without an operator between them: prose */
			if (ok)
				qn_buf_adds(&b, name);
			want_name = false;
		}
	}
	if (!ok || want_name)
		return NULL;
	return ops ? xasprintf("(%s)", b.data) : qn_buf_steal(&b);
}

/* Old-style copyright files name the licence by pointing at /usr/share/common-licenses/NAME. The
 * name is kept as the file is called ("GPL-2"): whether "or any later version" applies is in the
 * prose around it, so mapping it to GPL-2.0-only or -or-later would be a guess. */
static void lic_refs(const char *s, size_t n, lic_set *ls)
{
	static const char needle[] = "/usr/share/common-licenses/";
	const size_t k = sizeof(needle) - 1;
	const char *end = s + n;
	for (const char *p = memmem(s, n, needle, k); p; p = memmem(p, (size_t)(end - p), needle, k)) {
		p += k;
		size_t m = 0;
		while (p + m < end && m <= LIC_MAX_NAME && (isalnum((unsigned char)p[m]) || strchr("._+-", p[m])))
			m++;
		_cleanup_free_ char *w = xstrndup(p, m);
		char *name = lic_name(w, false);
		if (name)
			lic_add(ls, name);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int qn_dpkg_copyright_licenses(const uint8_t *buf, size_t len, char **out)
{
	*out = NULL;
	/* never fails: a file that is not text or names nothing simply gives no licence */
	if (!len || len > QN_OSDB_MAX_INPUT || memchr(buf, 0, len))
		return 0;
	lic_set ls = {.n = 0};
	bool dep5 = false, first = true;
	qn_osdb_lines c;
	qn_osdb_lines_init(&c, buf, len);
	const char *s;
	size_t n;
	while (qn_osdb_next_line(&c, &s, &n)) {
		if (first && !is_blank(s, n)) {
			/* DEP-5 files open with a Format (early drafts: Format-Specification) field */
			dep5 = starts_with_ci(s, n, "Format:") || starts_with_ci(s, n, "Format-Specification:");
			first = false;
		}
		if (!starts_with_ci(s, n, "License:"))
			continue;
		char *term = lic_expr(s + 8, n - 8);
		if (term)
			lic_add(&ls, term);
	}
	/* in a DEP-5 file the License fields are authoritative; its common-licenses pointers only
	 * repeat them, less precisely ("GPL-2" for "GPL-2+") */
	if (!dep5)
		lic_refs((const char *)buf, len, &ls);
	if (!ls.n)
		return 0;
	qsort(ls.v, ls.n, sizeof(char *), cmp_str);
	qn_buf b = QN_BUF_INIT;
	for (size_t i = 0; i < ls.n; i++) {
		if (i)
			qn_buf_adds(&b, " AND ");
		qn_buf_adds(&b, ls.v[i]);
		free(ls.v[i]);
	}
	*out = qn_buf_steal(&b);
	return (int)ls.n;
}
