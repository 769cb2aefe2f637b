/* OS package databases as bytes: dpkg (status, status.d, info/PKG.list and PKG.md5sums, copyright),
 * apk (lib/apk/db/installed) and rpm (header blobs and the sqlite rpmdb).
 *
 * Every reader takes a buffer, never a path, so it can be tested and fuzzed on its own. Input
 * comes from image layers and is treated as hostile: every count and offset is bounded, bad input
 * fails with one clear line, and what is skipped without failing is reported as a warning. */
#ifndef QN_OSDB_H
#define QN_OSDB_H

#include "quench/pkg.h"
#include "util/util.h"

/* Largest database any reader accepts (QN_ERR_LIMIT beyond it). The biggest real rpmdb.sqlite
 * files are a few hundred MB; a status file is a few MB. */
#define QN_OSDB_MAX_INPUT ((size_t)1 << 30)

/* ---- warnings ----
 * Input that is skipped without failing the whole read ("var/lib/dpkg/status:12: paragraph has no
 * Version field, skipped") becomes one human-readable line. Every reader appends to a caller-owned
 * list passed as `w` (NULL: warnings are dropped). At most QN_OSDB_MAX_WARNINGS lines are kept,
 * later ones are only counted in `suppressed`, so hostile input cannot grow the list unbounded. */
#define QN_OSDB_MAX_WARNINGS 200
typedef struct {
	qn_ptrvec lines;   /* char *, owned by the list */
	size_t suppressed; /* warnings past the limit: counted, not kept */
} qn_osdb_warnings;

/* Appends one warning line (no trailing newline). No-op when w is NULL. */
void qn_osdb_warn(qn_osdb_warnings *w, const char *fmt, ...) QN_PRINTF(2, 3);
/* Frees the lines and zeroes w. */
void qn_osdb_warnings_clear(qn_osdb_warnings *w);

/* ---- helpers shared by the three readers (defined in dpkg.c) ---- */

/* Fails with QN_ERR_INPUT on a NUL byte (none of the text formats has one: it means a binary or
 * corrupt file, and would cut every string taken from the input short) and with QN_ERR_LIMIT past
 * QN_OSDB_MAX_INPUT. The message starts with location. */
int qn_osdb_check_text(const uint8_t *buf, size_t len, const char *location, qn_error **err);

/* Line cursor over a buffer: each call yields the next line without its "\n" or "\r\n". */
typedef struct {
	const char *p, *end;
	size_t lineno; /* 1-based number of the line last returned */
} qn_osdb_lines;

static inline void qn_osdb_lines_init(qn_osdb_lines *c, const uint8_t *buf, size_t len)
{
	c->p = (const char *)buf;
	c->end = buf ? c->p + len : c->p; /* no arithmetic on a NULL pointer */
	c->lineno = 0;
}

static inline bool qn_osdb_next_line(qn_osdb_lines *c, const char **s, size_t *n)
{
	if (c->p >= c->end)
		return false;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char *e = nl ? nl : c->end;
	*s = c->p;
	*n = (size_t)(e - c->p);
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	c->p = nl ? nl + 1 : c->end;
	c->lineno++;
	return true;
}

/* ---- dpkg ---- */

/* Reads Debian control paragraphs: var/lib/dpkg/status, or one file of the distroless
 * var/lib/dpkg/status.d/ layout (require_status=false: those may lack Status; a paragraph without
 * Status then counts as installed). Only installed packages (Status "WANT ok installed") are
 * appended to out, with eco QN_ECO_DEB, layer -1 and location copied; no purl (see qn_dpkg_purl).
 * Paragraphs without Package or Version, or in another state, are skipped with a warning
 * (config-files and not-installed silently). NUL bytes fail with QN_ERR_INPUT; on failure out may
 * hold the packages read before the bad byte was found, so callers clear it. */
int qn_dpkg_parse_status(const uint8_t *buf, size_t len, const char *location, bool require_status, qn_pkglist *out,
			 qn_osdb_warnings *w, qn_error **err);

/* Builds "pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl".
 * The version keeps its epoch ("1:2.4.47-2") as the purl-spec deb examples do; upstream=SOURCE is
 * added when the source name differs from the binary name; distro is "ID-VERSION_ID" when both
 * are known. distro_id NULL or empty means "debian". Returns NULL when p has no name or version;
 * caller frees. */
char *qn_dpkg_purl(const qn_package *p, const char *distro_id, const char *distro_version_id);

/* Reads var/lib/dpkg/info/PKG[:ARCH].list (one absolute path a line) into canonical relative
 * paths: "/." and empty lines are skipped; lines that are not absolute or climb with ".." are
 * skipped with a warning. Sizes stay 0 and digests NULL. On success *files (caller frees each
 * path, digest and the array) and *n are set; NUL bytes fail with QN_ERR_INPUT. */
int qn_dpkg_parse_list(const uint8_t *buf, size_t len, const char *location, qn_pkg_file **files, size_t *n,
		       qn_osdb_warnings *w, qn_error **err);

/* Reads PKG.md5sums ("<32 hex>  <relative path>" lines) and sets digest "md5:<hex>" on the
 * matching entries of files (replacing an earlier digest). Lines naming no listed path are
 * ignored; malformed lines are skipped with a warning; NUL bytes fail with QN_ERR_INPUT. */
int qn_dpkg_parse_md5sums(const uint8_t *buf, size_t len, const char *location, qn_pkg_file *files, size_t n,
			  qn_osdb_warnings *w, qn_error **err);

/* Licences from /usr/share/doc/PKG/copyright, in the spirit of Trivy's reading of the same file.
 * Every "License:" field whose value is a licence short name or an expression of them ("GPL-2+",
 * "GPL-1+ or Artistic") gives one term, with common Debian names mapped to SPDX ids ("GPL-2+" ->
 * "GPL-2.0-or-later", "Expat" -> "MIT", "BSD-3-clause" -> "BSD-3-Clause") and compound terms
 * parenthesised ("(GPL-1.0-or-later OR Artistic)"); prose after "License:" is ignored. A file
 * that is not machine-readable (no "Format:" header) also contributes the
 * /usr/share/common-licenses/NAME files it points to, named as the files are ("GPL-2": whether
 * "or later" applies is in the prose). The distinct terms are sorted and joined with " AND " (the
 * package holds files under each). Returns the number of terms; *out is the new string (caller
 * frees), or NULL when the count is 0. Never fails: input that is not text gives 0. */
int qn_dpkg_copyright_licenses(const uint8_t *buf, size_t len, char **out);

/* ---- apk ---- */

/* Reads lib/apk/db/installed: blank-line-separated records of "X:value" lines (P name, V version,
 * A arch, L license, o origin, m maintainer, T description, U url, D depends, F folder, R file in
 * the last F, Z checksum of the last R). Appends one package per record with P and V (others are
 * skipped with a warning), eco QN_ECO_APK, source_name = origin (else the name) and
 * source_version = V. Depends keep plain package names ("so:", "cmd:", "pc:" provides, "/path"
 * and "!conflict" entries are left out); "Q1" SHA-1 checksums become "sha1:<hex>". NUL bytes fail
 * with QN_ERR_INPUT (out may then hold earlier packages). */
int qn_apk_parse_installed(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_osdb_warnings *w,
			   qn_error **err);

/* "pkg:apk/alpine/NAME@VERSION?arch=ARCH&distro=3.20.3" (distro left out when NULL). Returns NULL
 * when p has no name or version; caller frees. */
char *qn_apk_purl(const qn_package *p, const char *distro_version_id);

/* ---- rpm ---- */

/* Reads one rpm header blob as the rpmdb stores it: be32 index count il, be32 data length dl,
 * il 16-byte entries {tag, type, offset, count}, then dl bytes of data; the 8-byte header magic
 * (8e ad e8 01 00 00 00 00) in front is accepted too. Every entry is checked against the data
 * store, region tags included. Returns 0 with *out filled (eco QN_ECO_RPM, location copied,
 * files and requires), 1 when the header is a gpg-pubkey pseudo package (out untouched), or -1
 * with QN_ERR_INPUT (QN_ERR_LIMIT for oversized counts) on malformed input. Files whose path
 * cannot be made canonical are skipped with a warning. The caller clears *out. */
int qn_rpm_parse_header(const uint8_t *blob, size_t len, const char *location, qn_package *out, qn_osdb_warnings *w,
			qn_error **err);

/* Reads an sqlite rpmdb (var/lib/rpm/rpmdb.sqlite) from bytes: a private read-only in-memory copy,
 * defensive mode, no triggers, views or extensions, bounded length and work. Every row of
 * Packages is parsed in hnum order; a malformed header is skipped with a warning, gpg-pubkey
 * silently. Fails (QN_ERR_INPUT) only when the database itself cannot be read; out may then hold
 * the packages read so far. */
int qn_rpm_parse_sqlite(const uint8_t *db, size_t len, const char *location, qn_pkglist *out, qn_osdb_warnings *w,
			qn_error **err);

/* Writes a copy of an sqlite rpmdb without the packages drop() picks (it sees each header that
 * parses; gpg-pubkey and unreadable rows always stay): their Packages rows and every row of the
 * tables with an hnum column that points at them are deleted with secure_delete on, so nothing
 * of a removed header is left in the file. A database SQLite's integrity check finds damaged, or
 * whose Packages rows share an hnum, is refused. The same defenses as qn_rpm_parse_sqlite apply.
 * Returns the number of packages removed, with the new bytes in *out (caller frees; NULL when
 * none was), or -1 (QN_ERR_INPUT, QN_ERR_LIMIT) with *out NULL. The same input and choice give
 * the same bytes. */
typedef bool (*qn_rpm_drop_fn)(const qn_package *p, void *ud);
int qn_rpm_sqlite_drop(const uint8_t *db, size_t len, const char *location, qn_rpm_drop_fn drop, void *ud,
		       uint8_t **out, size_t *out_len, qn_error **err);

typedef enum {
	QN_RPMDB_UNKNOWN = 0,
	QN_RPMDB_SQLITE, /* rpmdb.sqlite: read by qn_rpm_parse_sqlite */
	QN_RPMDB_BDB,    /* Berkeley DB Packages (hash or btree): not read */
	QN_RPMDB_NDB,    /* SUSE's ndb Packages.db: not read */
} qn_rpmdb_kind;

/* Which kind of rpm database the bytes start with. */
qn_rpmdb_kind qn_rpm_detect_db(const uint8_t *buf, size_t len);
/* "sqlite", "bdb", "ndb", "unknown". */
const char *qn_rpmdb_kind_name(qn_rpmdb_kind k);

/* "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9.3". The version is VERSION-RELEASE;
 * a non-zero epoch goes into the `epoch` qualifier as the purl-spec rpm definition asks. The
 * namespace is the lower-cased os-release id, except rhel -> redhat, amzn -> amazon and
 * ol -> oracle (the vendor names scanners use); distro is "ID-VERSION_ID" with the os-release id.
 * Returns NULL when p has no name or version; caller frees. */
char *qn_rpm_purl(const qn_package *p, const char *distro_id, const char *distro_version_id);

#endif
