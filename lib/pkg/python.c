/* Python installed-package metadata: core metadata (dist-info METADATA, egg-info PKG-INFO, the
 * single-file .egg-info), wheel RECORD files and egg-info installed-files.txt.
 *
 * It does not find these files, read license files, or parse version specifiers beyond splitting
 * a requirement into its name and the rest.
 *
 * Where it follows Trivy (pkg/dependency/parser/python/packaging): Name and Version are
 * required; the licence is License-Expression, else License, else every "License :: ..."
 * classifier's last segment joined with ", "; the purl name is lower-cased with '_' as '-', as
 * the purl spec's pypi type says ("zope.interface" keeps its dot, unlike PEP 503's full
 * normalisation). Deliberate differences: License keeps only its first line (some packages
 * paste a whole licence text there) and "UNKNOWN" counts as absent; the bare grouping classifier
 * "License :: OSI Approved" names no licence and is skipped; License-File is not classified (no
 * licence text scanner here). */
#include <ctype.h>

#include "lang.h"
#include "pkg/purl.h"
#include "util/path.h"

/* A header block with more fields than this is not metadata a tool wrote. */
#define MAX_HEADERS 20000
#define MAX_DEPS 4096

typedef struct {
	char *key;
	qn_buf val; /* continuation lines joined with '\n', each trimmed */
} header;

static void header_free(void *p)
{
	header *h = p;
	free(h->key);
	qn_buf_clear(&h->val);
	free(h);
}

/* Narrows [*s, *s + *n) to its content without surrounding white space. */
static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static char *trim_dup(const char *s, size_t n)
{
	trim(&s, &n);
	return xstrndup(s, n);
}

/* Splits the RFC 822 header block into fields. The block ends at the first empty line; lines
 * starting with a space or tab continue the previous field; lines without a colon are skipped
 * (as Go's textproto reader tolerates them in Trivy). */
static int read_headers(const uint8_t *buf, size_t len, const char *loc, qn_ptrvec *out, qn_error **err)
{
	size_t p = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p = 3; /* a UTF-8 byte order mark some editors add */
	while (p < len) {
		const char *line = (const char *)buf + p;
		const char *nl = memchr(line, '\n', len - p);
		size_t n = nl ? (size_t)(nl - line) : len - p;
		p += n + (nl ? 1 : 0);
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			/* appended in place: old PKG-INFO files fold a whole README into Description */
			if (out->n) {
				header *h = out->v[out->n - 1];
				trim(&line, &n);
				qn_buf_addc(&h->val, '\n');
				qn_buf_add(&h->val, line, n);
			}
			continue;
		}
		const char *colon = memchr(line, ':', n);
		if (!colon)
			continue;
		if (out->n >= MAX_HEADERS)
			return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d metadata fields", loc, MAX_HEADERS);
		header *h = xcalloc(1, sizeof(*h));
		h->key = trim_dup(line, (size_t)(colon - line));
		const char *v = colon + 1;
		size_t vn = n - (size_t)(colon - line) - 1;
		trim(&v, &vn);
		qn_buf_add(&h->val, v, vn);
		qn_ptrvec_push(out, h);
	}
	return 0;
}

/* First value of a field (keys are case-insensitive), or NULL. */
static const char *hget(const qn_ptrvec *hs, const char *key)
{
	for (size_t i = 0; i < hs->n; i++) {
		const header *h = hs->v[i];
		if (strcasecmp(h->key, key) == 0)
			return h->val.data;
	}
	return NULL;
}

/* The first line of a field, trimmed; NULL when absent, empty or "UNKNOWN" (what setuptools
 * writes for fields the author left out). Caller frees. */
static char *first_line(const qn_ptrvec *hs, const char *key)
{
	const char *v = hget(hs, key);
	if (!v)
		return NULL;
	char *s = trim_dup(v, strcspn(v, "\n"));
	if (!*s || strcasecmp(s, "UNKNOWN") == 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* All lines of a field joined by single spaces (a folded Summary); NULL when empty or
 * "UNKNOWN". Caller frees. */
static char *folded(const qn_ptrvec *hs, const char *key)
{
	const char *v = hget(hs, key);
	if (!v)
		return NULL;
	char *s = xstrdup(v);
	for (char *q = s; *q; q++)
		if (*q == '\n')
			*q = ' ';
	if (!*s || strcasecmp(s, "UNKNOWN") == 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Licence names from "License :: [OSI Approved ::] NAME" classifiers, joined with ", ". */
static char *classifier_licenses(const qn_ptrvec *hs)
{
	qn_buf b = QN_BUF_INIT;
	for (size_t i = 0; i < hs->n; i++) {
		const header *h = hs->v[i];
		if (strcasecmp(h->key, "Classifier") != 0 || !qn_str_has_prefix(h->val.data, "License :: "))
			continue;
		const char *last = h->val.data;
		for (const char *s; (s = strstr(last, " :: "));)
			last = s + 4;
		if (!*last || strcmp(last, "OSI Approved") == 0)
			continue;
		if (b.len)
			qn_buf_adds(&b, ", ");
		qn_buf_adds(&b, last);
	}
	return b.len ? qn_buf_steal(&b) : (qn_buf_clear(&b), NULL);
}

static char *pick_license(const qn_ptrvec *hs)
{
	char *l = first_line(hs, "License-Expression");
	if (!l)
		l = first_line(hs, "License");
	if (!l)
		l = classifier_licenses(hs);
	return l;
}

/* "Name <email>" from the author fields, falling back to the maintainer fields. */
static char *pick_person(const qn_ptrvec *hs, const char *name_key, const char *email_key)
{
	_cleanup_free_ char *name = first_line(hs, name_key);
	_cleanup_free_ char *email = first_line(hs, email_key);
	if (name && email && !strchr(email, '<'))
		return xasprintf("%s <%s>", name, email);
	if (email)
		return steal_pointer(&email);
	return steal_pointer(&name);
}

/* Home-page, else the Project-URL whose label normalises (PEP 753: lower case, punctuation and
 * spaces removed) to "homepage". */
static char *pick_homepage(const qn_ptrvec *hs)
{
	char *h = first_line(hs, "Home-page");
	for (size_t i = 0; !h && i < hs->n; i++) {
		const header *f = hs->v[i];
		const char *comma = strchr(f->val.data, ',');
		if (strcasecmp(f->key, "Project-URL") != 0 || !comma)
			continue;
		char label[32];
		size_t n = 0;
		for (const char *c = f->val.data; c < comma && n < sizeof(label) - 1; c++)
			if (isalnum((unsigned char)*c))
				label[n++] = (char)tolower((unsigned char)*c);
		label[n] = 0;
		if (strcmp(label, "homepage") == 0)
			h = trim_dup(comma + 1, strcspn(comma + 1, "\n"));
	}
	return h;
}

/* Requires-Dist "name[extra] (>=1) ; marker": the name, and the rest kept as the constraint. */
static int add_deps(const qn_ptrvec *hs, qn_package *p, const char *loc, qn_error **err)
{
	for (size_t i = 0; i < hs->n; i++) {
		const header *h = hs->v[i];
		const char *v = h->val.data;
		if (strcasecmp(h->key, "Requires-Dist") != 0)
			continue;
		size_t n = 0;
		while (v[n] && (isalnum((unsigned char)v[n]) || strchr("._-", v[n])))
			n++;
		if (n == 0)
			continue; /* not a requirement PEP 508 allows; nothing to name */
		if (p->n_deps >= MAX_DEPS)
			return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d Requires-Dist fields", loc, MAX_DEPS);
		if ((p->n_deps & (p->n_deps - 1)) == 0) /* grow at powers of two */
			p->deps = xreallocarray(p->deps, p->n_deps ? 2 * p->n_deps : 8, sizeof(*p->deps));
		char *rest = trim_dup(v + n, strlen(v + n));
		p->deps[p->n_deps] = (qn_pkg_dep){0};
		p->deps[p->n_deps].name = xstrndup(v, n);
		p->deps[p->n_deps].version_constraint = *rest ? rest : (free(rest), NULL);
		p->n_deps++;
	}
	return 0;
}

/* The purl spec's pypi name: lower case, '_' as '-'. Caller frees. */
static char *purl_name(const char *name)
{
	char *s = xstrdup(name);
	for (char *c = s; *c; c++)
		*c = *c == '_' ? '-' : (char)tolower((unsigned char)*c);
	return s;
}

int qn_python_parse_metadata(const uint8_t *buf, size_t len, const char *location, qn_package *out, qn_error **err)
{
	qn_ptrvec hs = {0};
	qn_package p = {.eco = QN_ECO_PYPI, .layer = -1};
	int rc = read_headers(buf, len, location, &hs, err);
	if (rc == 0) {
		p.name = first_line(&hs, "Name");
		p.version = first_line(&hs, "Version");
		if (!p.name || !p.version)
			rc = qn_error_set(err, QN_ERR_INPUT, "%s: no %s field (not Python package metadata)", location,
					  p.name ? "Version" : "Name");
	}
	if (rc == 0)
		rc = add_deps(&hs, &p, location, err);
	if (rc == 0) {
		p.license = pick_license(&hs);
		p.maintainer = pick_person(&hs, "Author", "Author-email");
		if (!p.maintainer)
			p.maintainer = pick_person(&hs, "Maintainer", "Maintainer-email");
		p.homepage = pick_homepage(&hs);
		p.description = folded(&hs, "Summary");
		p.location = xstrdup(location);
		_cleanup_free_ char *pn = purl_name(p.name);
		p.purl = qn_purl("pypi", NULL, pn, p.version, NULL, NULL);
		*out = p;
	} else {
		qn_package_clear(&p);
	}
	qn_ptrvec_clear(&hs, header_free);
	return rc;
}

/* ---- RECORD and installed-files.txt ---- */

/* Resolves rel against the folder base, both lexically: "." and empty components vanish, ".."
 * removes one. An absolute rel starts from the image root. Returns NULL when a ".." would climb
 * above the root (such a path names nothing inside the image) or the result is too long. */
static char *resolve(const char *base, const char *rel)
{
	if (strlen(rel) > QN_PYTHON_MAX_PATH)
		return NULL;
	_cleanup_free_ char *joined = rel[0] == '/' ? xstrdup(rel) : qn_path_join(base, rel);
	char *o = xmalloc(strlen(joined) + 1);
	size_t n = 0;
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (n == 0) {
				free(o);
				return NULL;
			}
			while (n && o[n - 1] != '/')
				n--;
			n = n ? n - 1 : 0;
			continue;
		}
		if (n)
			o[n++] = '/';
		memcpy(o + n, c, strlen(c));
		n += strlen(c);
	}
	o[n] = 0;
	if (n == 0 || n > QN_PYTHON_MAX_PATH) {
		free(o);
		return NULL;
	}
	return o;
}

static int b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* "sha256=<urlsafe base64, no padding>" -> "sha256:<hex>"; NULL when it does not decode. */
static char *record_digest(const char *h)
{
	const char *eq = strchr(h, '=');
	if (!eq || eq == h || eq - h > 16)
		return NULL;
	qn_buf b = QN_BUF_INIT;
	for (const char *c = h; c < eq; c++)
		qn_buf_addc(&b, (char)tolower((unsigned char)*c));
	qn_buf_addc(&b, ':');
	size_t start = b.len;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *c = eq + 1; *c && *c != '='; c++) {
		int v = b64url_val((unsigned char)*c);
		if (v < 0) {
			qn_buf_clear(&b);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			qn_buf_printf(&b, "%02x", (acc >> bits) & 0xFF);
		}
	}
	if (b.len == start) {
		qn_buf_clear(&b);
		return NULL;
	}
	return qn_buf_steal(&b);
}

/* Reads one CSV row at *pos, Python csv's default dialect (what pip and wheel write): fields
 * split by ',', quoted with '"' and doubled quotes inside, rows ended by \n or \r\n (also inside
 * quotes, where they belong to the field). Keeps the first three fields. */
static int csv_row(const uint8_t *buf, size_t len, size_t *pos, qn_buf f[3], size_t row, const char *loc,
		   qn_error **err)
{
	for (int i = 0; i < 3; i++)
		qn_buf_reset(&f[i]);
	size_t p = *pos, fi = 0;
	bool quoted = false;
	while (p < len) {
		char c = (char)buf[p++];
		if (quoted && c == '"' && p < len && buf[p] == '"')
			p++;
		else if (c == '"') {
			quoted = !quoted;
			continue;
		} else if (!quoted && c == ',') {
			fi++;
			continue;
		} else if (!quoted && (c == '\n' || c == '\r')) {
			if (c == '\r' && p < len && buf[p] == '\n')
				p++;
			break;
		}
		if (fi < 3)
			qn_buf_addc(&f[fi], c);
	}
	*pos = p;
	if (quoted)
		return qn_error_set(err, QN_ERR_INPUT, "%s/RECORD: row %zu: unterminated quoted field", loc, row);
	return 0;
}

typedef struct {
	qn_pkg_file *v;
	size_t n, cap;
} filevec;

static void files_push(filevec *fv, char *path, uint64_t size, char *digest)
{
	if (fv->n == fv->cap) {
		fv->cap = fv->cap ? fv->cap * 2 : 64;
		fv->v = xreallocarray(fv->v, fv->cap, sizeof(*fv->v));
	}
	fv->v[fv->n++] = (qn_pkg_file){path, size, digest};
}

static void files_free(filevec *fv)
{
	for (size_t i = 0; i < fv->n; i++) {
		free(fv->v[i].path);
		free(fv->v[i].digest);
	}
	free(fv->v);
}

/* Appends the collected files to pkg (which keeps them) and empties fv. */
static void files_commit(qn_package *pkg, filevec *fv)
{
	if (!fv->n) {
		free(fv->v);
		return;
	}
	pkg->files = xreallocarray(pkg->files, pkg->n_files + fv->n, sizeof(*pkg->files));
	memcpy(pkg->files + pkg->n_files, fv->v, fv->n * sizeof(*fv->v));
	pkg->n_files += fv->n;
	free(fv->v);
}

int qn_python_parse_record(const uint8_t *buf, size_t len, const char *dist_info_dir, qn_package *pkg, qn_error **err)
{
	/* RECORD paths are relative to the folder holding the .dist-info folder (site-packages) */
	_cleanup_free_ char *base = qn_path_dir(dist_info_dir);
	qn_buf f[3] = {QN_BUF_INIT, QN_BUF_INIT, QN_BUF_INIT};
	filevec fv = {0};
	int dropped = 0, rc = 0;
	size_t pos = 0, row = 0;
	while (pos < len && rc == 0) {
		row++;
		rc = csv_row(buf, len, &pos, f, row, dist_info_dir, err);
		if (rc < 0 || f[0].len == 0)
			continue;
		if (fv.n + (size_t)dropped >= QN_PYTHON_MAX_FILES) {
			rc = qn_error_set(err, QN_ERR_LIMIT, "%s/RECORD: more than %d rows", dist_info_dir,
					  QN_PYTHON_MAX_FILES);
			break;
		}
		char *path = strlen(f[0].data) == f[0].len ? resolve(base, f[0].data) : NULL;
		if (!path) {
			dropped++;
			continue;
		}
		uint64_t size = 0;
		if (f[2].len && qn_parse_u64(f[2].data, &size) < 0)
			size = 0;
		files_push(&fv, path, size, f[1].len ? record_digest(f[1].data) : NULL);
	}
	for (int i = 0; i < 3; i++)
		qn_buf_clear(&f[i]);
	if (rc < 0) {
		files_free(&fv);
		return -1;
	}
	files_commit(pkg, &fv);
	return dropped;
}

int qn_python_parse_installed_files(const uint8_t *buf, size_t len, const char *egg_info_dir, qn_package *pkg,
				    qn_error **err)
{
	filevec fv = {0};
	int dropped = 0;
	for (size_t p = 0; p < len;) {
		const char *line = (const char *)buf + p;
		const char *nl = memchr(line, '\n', len - p);
		size_t n = nl ? (size_t)(nl - line) : len - p;
		p += n + (nl ? 1 : 0);
		_cleanup_free_ char *t = trim_dup(line, n);
		if (!*t)
			continue;
		if (fv.n + (size_t)dropped >= QN_PYTHON_MAX_FILES) {
			files_free(&fv);
			return qn_error_set(err, QN_ERR_LIMIT, "%s/installed-files.txt: more than %d lines",
					    egg_info_dir, QN_PYTHON_MAX_FILES);
		}
		/* paths are relative to the .egg-info folder itself */
		char *path = memchr(line, 0, n) ? NULL : resolve(egg_info_dir, t);
		if (!path)
			dropped++;
		else
			files_push(&fv, path, 0, NULL);
	}
	files_commit(pkg, &fv);
	return dropped;
}
