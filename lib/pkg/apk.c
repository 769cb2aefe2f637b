/* Alpine's installed-package database (lib/apk/db/installed) as bytes, and apk purls.
 *
 * The database is a list of records separated by blank lines; each line is "X:value" with a
 * one-letter key. Files are given as an F: folder followed by the R: names in it, each optionally
 * followed by its Z: checksum. It does not read the other files of lib/apk/db (triggers,
 * scripts.tar) or etc/apk/world, and does not check checksums against file contents. */
#include <ctype.h>

#include "osdb.h"
#include "purl.h"
#include "util/path.h"

#define APK_PATH_MAX 4096

typedef struct {
	const char *loc;
	qn_pkglist *out;
	qn_osdb_warnings *w;
} apk_ctx;

/* The record being read. */
typedef struct {
	qn_package pkg;
	size_t line; /* first line, for warnings */
	size_t files_cap, deps_cap, provides_cap;
	char *folder;     /* canonical path of the last F:, NULL when it was unusable */
	bool folder_seen; /* an F: line came (R: before any F: means the root folder) */
	bool file_last;   /* the last file entry is still the one a Z: line belongs to */
	bool open;
} apk_rec;

static bool is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes standard base64 of exactly `want` bytes (with '=' padding) into out; false otherwise. */
static bool b64_decode(const char *s, size_t n, uint8_t *out, size_t want)
{
	if (n != (want + 2) / 3 * 4)
		return false;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (size_t j = 0; j < 4; j++) {
			int d = b64val(s[i + j]);
			if (d < 0 && s[i + j] == '=' && i + 4 == n && j >= 2)
				pad++, d = 0;
			else if (d < 0 || pad)
				return false; /* a bad character, or data after padding */
			v = v << 6 | (uint32_t)d;
		}
		for (int j = 0; j < 3 - pad; j++)
			if (o < want)
				out[o++] = (uint8_t)(v >> (16 - 8 * j));
	}
	return o == want;
}

/* "Q1" + base64 SHA-1 (apk's usual file checksum) or "Q2" + base64 SHA-256; NULL for anything
 * else (plain hex MD5 in very old databases is not kept). */
static char *apk_digest(const char *v, size_t n)
{
	uint8_t raw[32];
	size_t want = 0;
	const char *algo = NULL;
	if (n > 2 && v[0] == 'Q' && v[1] == '1')
		want = 20, algo = "sha1";
	else if (n > 2 && v[0] == 'Q' && v[1] == '2')
		want = 32, algo = "sha256";
	if (!algo || !b64_decode(v + 2, n - 2, raw, want))
		return NULL;
	qn_buf b = QN_BUF_INIT;
	qn_buf_printf(&b, "%s:", algo);
	for (size_t i = 0; i < want; i++)
		qn_buf_printf(&b, "%02x", raw[i]);
	return qn_buf_steal(&b);
}

static void set_field(const apk_ctx *cx, char **dst, const char *v, size_t n, size_t lineno, char key)
{
	if (*dst) {
		qn_osdb_warn(cx->w, "%s:%zu: second %c: line in one record, ignored", cx->loc, lineno, key);
		return;
	}
	*dst = xstrndup(v, n);
}

/* D: is a space-separated list. Kept: package names and "so:", "cmd:", "pc:" names (which
 * other packages' p: lines provide), with the constraint text after them ("busybox>=1.36" ->
 * busybox, ">=1.36"). Left out: "!name" conflicts and "/bin/sh" file dependencies. */
static void apk_deps(apk_rec *r, const char *v, size_t n)
{
	_cleanup_free_ char *s = xstrndup(v, n);
	char *save = NULL;
	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (t[0] == '!' || t[0] == '/')
			continue;
		size_t nl = strcspn(t, "<>=~@");
		if (nl == 0)
			continue;
		char *constraint = NULL;
		if (t[nl] && t[nl] != '@')
			constraint = xstrndup(t + nl, strcspn(t + nl, "@")); /* "@tag" pins a repository */
		qn_package *p = &r->pkg;
		if (p->n_deps == r->deps_cap) {
			r->deps_cap = r->deps_cap ? r->deps_cap * 2 : 8;
			p->deps = xreallocarray(p->deps, r->deps_cap, sizeof(*p->deps));
		}
		p->deps[p->n_deps++] = (qn_pkg_dep){xstrndup(t, nl), constraint, false};
	}
}

/* p: "so:libc.musl-x86_64.so.1=1 cmd:getconf=1.2.5-r0": what the package provides, without
 * the versions. */
static void apk_provides(apk_rec *r, const char *v, size_t n)
{
	_cleanup_free_ char *s = xstrndup(v, n);
	char *save = NULL;
	qn_package *p = &r->pkg;
	for (char *t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		size_t nl = strcspn(t, "<>=~");
		if (nl == 0)
			continue;
		if (p->n_provides == r->provides_cap) {
			r->provides_cap = r->provides_cap ? r->provides_cap * 2 : 8;
			p->provides = xreallocarray(p->provides, r->provides_cap, sizeof(char *));
		}
		p->provides[p->n_provides++] = xstrndup(t, nl);
	}
}

static void apk_folder(const apk_ctx *cx, apk_rec *r, const char *v, size_t n, size_t lineno)
{
	free(r->folder);
	r->folder = NULL;
	r->folder_seen = true;
	r->file_last = false;
	_cleanup_free_ char *raw = xstrndup(v, n);
	_cleanup_error_ qn_error *e = NULL;
	/* folders are relative; ".." or "/" would let a package claim files outside the image root */
	if (qn_path_normalize(raw, APK_PATH_MAX, &r->folder, &e) < 0) {
		_cleanup_free_ char *q = qn_str_quote(raw, 120);
		qn_osdb_warn(cx->w, "%s:%zu: folder \"%s\": %s, its files skipped", cx->loc, lineno, q, e->msg);
	}
}

static void apk_file(const apk_ctx *cx, apk_rec *r, const char *v, size_t n, size_t lineno)
{
	r->file_last = false;
	if (r->folder_seen && !r->folder)
		return; /* the folder was refused (warned once there) */
	/* R: is one name inside the folder: a '/' or a dot name would reach elsewhere */
	if (n == 0 || memchr(v, '/', n) || (n == 1 && v[0] == '.') || (n == 2 && v[0] == '.' && v[1] == '.')) {
		_cleanup_free_ char *raw = xstrndup(v, n), *q = qn_str_quote(raw, 120);
		qn_osdb_warn(cx->w, "%s:%zu: file name \"%s\" is not one path component, skipped", cx->loc, lineno, q);
		return;
	}
	_cleanup_free_ char *name = xstrndup(v, n);
	char *path = qn_path_join(r->folder ? r->folder : "", name);
	if (strlen(path) > APK_PATH_MAX) {
		free(path);
		qn_osdb_warn(cx->w, "%s:%zu: path longer than %d bytes, skipped", cx->loc, lineno, APK_PATH_MAX);
		return;
	}
	qn_package *p = &r->pkg;
	if (p->n_files == r->files_cap) {
		r->files_cap = r->files_cap ? r->files_cap * 2 : 16;
		p->files = xreallocarray(p->files, r->files_cap, sizeof(*p->files));
	}
	p->files[p->n_files++] = (qn_pkg_file){path, 0, NULL};
	r->file_last = true;
}

static void apk_line(const apk_ctx *cx, apk_rec *r, const char *s, size_t n, size_t lineno)
{
	if (n < 2 || s[1] != ':') {
		qn_osdb_warn(cx->w, "%s:%zu: not an \"X:value\" line, ignored", cx->loc, lineno);
		return;
	}
	const char *v = s + 2;
	size_t vn = n - 2;
	qn_package *p = &r->pkg;
	switch (s[0]) {
	case 'P':
		set_field(cx, &p->name, v, vn, lineno, 'P');
		break;
	case 'V':
		set_field(cx, &p->version, v, vn, lineno, 'V');
		break;
	case 'A':
		set_field(cx, &p->arch, v, vn, lineno, 'A');
		break;
	case 'L':
		set_field(cx, &p->license, v, vn, lineno, 'L');
		break;
	case 'o':
		set_field(cx, &p->source_name, v, vn, lineno, 'o');
		break;
	case 'm':
		set_field(cx, &p->maintainer, v, vn, lineno, 'm');
		break;
	case 'T':
		set_field(cx, &p->description, v, vn, lineno, 'T');
		break;
	case 'U':
		set_field(cx, &p->homepage, v, vn, lineno, 'U');
		break;
	case 'D':
		apk_deps(r, v, vn);
		break;
	case 'p':
		apk_provides(r, v, vn);
		break;
	case 'F':
		apk_folder(cx, r, v, vn, lineno);
		break;
	case 'R':
		apk_file(cx, r, v, vn, lineno);
		break;
	case 'Z':
		if (r->file_last && !p->files[p->n_files - 1].digest)
			p->files[p->n_files - 1].digest = apk_digest(v, vn);
		break;
	default:
		break; /* C, S, I, t, c, a, M, r, i, k, q...: not part of the inventory */
	}
}

/* The record is complete: moved into the list when it names a package, else dropped. */
static void apk_finish(const apk_ctx *cx, apk_rec *r)
{
	qn_package *p = &r->pkg;
	bool ok = is_token(p->name) && is_token(p->version) && (!p->arch || is_token(p->arch));
	if (!ok) {
		_cleanup_free_ char *q = qn_str_quote(p->name, 80);
		if (!p->name || !p->version)
			qn_osdb_warn(cx->w, "%s:%zu: record without a %s: line, skipped", cx->loc, r->line,
				     p->name ? "V" : "P");
		else
			qn_osdb_warn(cx->w,
				     "%s:%zu: package \"%s\": name, version or arch is not one printable word, skipped",
				     cx->loc, r->line, q);
		qn_package_clear(p);
	} else {
		if (!is_token(p->source_name)) {
			free(p->source_name);
			p->source_name = xstrdup(p->name); /* no origin: the package is its own source */
		}
		p->source_version = xstrdup(p->version);
		p->eco = QN_ECO_APK;
		p->location = xstrdup(cx->loc);
		p->layer = -1;
		*qn_pkglist_add(cx->out) = *p; /* the list takes every pointer */
	}
	free(r->folder);
	memset(r, 0, sizeof(*r));
}

int qn_apk_parse_installed(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_osdb_warnings *w,
			   qn_error **err)
{
	apk_ctx cx = {location ? location : "apk installed database", out, w};
	if (qn_osdb_check_text(buf, len, cx.loc, err) < 0)
		return -1;
	apk_rec r;
	memset(&r, 0, sizeof(r));
	qn_osdb_lines c;
	qn_osdb_lines_init(&c, buf, len);
	const char *s;
	size_t n;
	while (qn_osdb_next_line(&c, &s, &n)) {
		if (n == 0) {
			if (r.open)
				apk_finish(&cx, &r);
			continue;
		}
		if (!r.open) {
			r.open = true;
			r.line = c.lineno;
		}
		apk_line(&cx, &r, s, n, c.lineno);
	}
	if (r.open)
		apk_finish(&cx, &r);
	return 0;
}

char *qn_apk_purl(const qn_package *p, const char *distro_version_id)
{
	if (!p->name || !p->version)
		return NULL;
	/* purl-spec apk: the name is not case sensitive and is lower-cased */
	_cleanup_free_ char *name = xstrdup(p->name);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *quals[] = {"arch", p->arch, "distro", distro_version_id, NULL};
	return qn_purl("apk", "alpine", name, p->version, quals, NULL);
}
