/* Language package readers: Python dist-info/egg-info, Node package.json, Java archives and Go
 * build info. Each is a parser over bytes that never reads files itself; the inventory decides
 * which files to hand over (Trivy's rules: any "*.dist-info/METADATA", "*.egg-info/PKG-INFO",
 * a single-file "*.egg-info", every "package.json", files ending .jar/.war/.ear/.par, and
 * executables carrying Go build info) and attaches layers.
 *
 * Results follow what Trivy reports for the same files (names, versions, purls); each .c says
 * where and why it differs. */
#ifndef QN_PKG_LANG_H
#define QN_PKG_LANG_H

#include "quench/pkg.h"
#include "util/util.h"

/* ---- Python ---- */

/* Longest path (bytes) accepted from RECORD / installed-files.txt, and the most rows read. */
#define QN_PYTHON_MAX_PATH 4096
#define QN_PYTHON_MAX_FILES 1000000

/* Parses core metadata (dist-info METADATA, egg-info PKG-INFO, single-file .egg-info): the RFC
 * 822 header block up to the first blank line. Name and Version are required (QN_ERR_INPUT
 * otherwise). location is copied into out->location. On success fills *out completely (eco
 * QN_ECO_PYPI, layer -1; release with qn_package_clear) and returns 0; on failure leaves it
 * alone and returns -1. */
int qn_python_parse_metadata(const uint8_t *buf, size_t len, const char *location, qn_package *out, qn_error **err);

/* Parses a wheel RECORD (CSV: path,hash,size) and appends its files to pkg. dist_info_dir is
 * the canonical image path of the .dist-info folder; RECORD paths are relative to its parent
 * (site-packages) and may climb out with "../" (scripts in bin/) or be absolute. Paths that
 * would leave the image root, or are longer than QN_PYTHON_MAX_PATH, are dropped. Hashes
 * "sha256=<urlsafe base64>" become digests "sha256:<hex>". Returns the number of rows dropped
 * (>= 0) or -1 with err set (malformed CSV; more than QN_PYTHON_MAX_FILES rows), leaving pkg
 * alone. */
int qn_python_parse_record(const uint8_t *buf, size_t len, const char *dist_info_dir, qn_package *pkg, qn_error **err);

/* The same for an egg-info installed-files.txt (one path a line, relative to the .egg-info
 * folder egg_info_dir; no digests). Returns the number of lines dropped or -1. */
int qn_python_parse_installed_files(const uint8_t *buf, size_t len, const char *egg_info_dir, qn_package *pkg,
				    qn_error **err);

/* ---- Node ---- */

/* Largest package.json accepted (some carry a whole README). */
#define QN_NPM_MAX_JSON ((size_t)8 << 20)

/* Parses a package.json. Returns 1 and fills *out (eco QN_ECO_NPM, layer -1) when it describes a
 * package (string name and version, both non-empty); 0 when it does not (an application's
 * private package.json without a version; out untouched); -1 with err set for malformed JSON,
 * a document over QN_NPM_MAX_JSON, or a name npm would refuse. */
int qn_npm_parse_package_json(const uint8_t *buf, size_t len, const char *location, qn_package *out, qn_error **err);

/* ---- Java ---- */

/* Nested archives followed below the outer one, and the bytes all extractions together may
 * inflate to (nested archives, pom.properties, manifests): the defence against zip bombs. */
#define QN_JAR_MAX_DEPTH 4
#define QN_JAR_BUDGET ((size_t)512 << 20)

typedef struct {
	size_t budget; /* total extracted bytes; 0 = QN_JAR_BUDGET */
	int max_depth; /* nesting below the outer archive; 0 = QN_JAR_MAX_DEPTH, < 0 = none */
} qn_jar_limits;

/* Inventories a .jar/.war/.ear/.par held in buf, appending one package per Maven artifact found
 * (pom.properties; else MANIFEST.MF; else the file name), nested archives included. location is
 * the image path of the archive; nested ones get "outer.war!/WEB-INF/lib/inner.jar". Returns the
 * number of nested archives skipped because they were unreadable (>= 0; a warning for the
 * report), or -1 with err set when the outer archive is not a readable zip or the extraction
 * budget ran out (QN_ERR_LIMIT); out is then left as it was. */
int qn_jar_parse(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_error **err);
/* The same with explicit limits (NULL: defaults). */
int qn_jar_parse_limits(const uint8_t *buf, size_t len, const char *location, const qn_jar_limits *lim, qn_pkglist *out,
			qn_error **err);

/* ---- Go ---- */

/* The build-info blob starts with this 14-byte magic, at a 16-byte aligned offset of the
 * executable's data. A streaming reader that finds it at such an offset should hand over the
 * magic and the QN_GOBIN_CHUNK bytes after it (enough for the Go 1.18+ inline format). */
#define QN_GOBIN_MAGIC "\xff Go buildinf:"
#define QN_GOBIN_MAGIC_LEN 14
#define QN_GOBIN_ALIGN 16
#define QN_GOBIN_CHUNK ((size_t)64 * 1024)

/* First occurrence of the magic at an offset from buf that is a multiple of QN_GOBIN_ALIGN, or
 * NULL. buf must therefore start at an aligned offset of the file. */
const uint8_t *qn_gobin_find_magic(const uint8_t *buf, size_t len);

/* True when buf starts with a build-info header in the inline format (Go 1.18+), which needs
 * nothing else from the file; false for the older pointer format (pass the whole ELF file). */
bool qn_gobin_is_inline(const uint8_t *buf, size_t len);

/* Parses Go build info from a whole ELF executable or from a chunk that starts at the magic.
 * Appends one package per module (main module, dependencies with replacements applied) plus
 * "stdlib" at the Go version, each with go_version set. Returns 1 when build info was found,
 * 0 when buf carries none (not a Go binary; nothing appended), -1 with err set when it is
 * malformed (out left as it was). */
int qn_gobin_parse(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_error **err);

#endif
