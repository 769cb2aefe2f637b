/* Java archives (.jar, .war, .ear, .par): which Maven artifacts an archive carries.
 *
 * Following Trivy's jar parser (pkg/dependency/parser/java/jar) in its offline mode: every
 * pom.properties in the archive gives a package (groupId:artifactId at version); when none of
 * them is the archive's own (same artifactId and version as its file name "name-1.2.jar"),
 * META-INF/MANIFEST.MF is consulted (groupId from Implementation-Vendor-Id, Bundle-SymbolicName
 * up to its last dot, Implementation-Vendor or Specification-Vendor; artifactId from
 * Implementation-Title, Specification-Title or Bundle-Name; version from Implementation-Version,
 * Specification-Version or Bundle-Version); nested .jar/.war/.ear entries are read recursively.
 * Packages are named "groupId:artifactId" as Trivy names them, with namespace_ = groupId and
 * purl pkg:maven/groupId/artifactId@version, and duplicates (same name, version and location)
 * are dropped.
 *
 * Deliberate differences: when neither pom.properties nor the manifest identifies the archive,
 * its file name still gives a package (name = artifactId, no groupId, purl without namespace);
 * Trivy would ask Maven Central or its Java DB for the groupId and reports nothing offline, but
 * a package we cannot fully name is better listed than hidden. Nested locations are written
 * "outer.war!/WEB-INF/lib/inner.jar" (Trivy joins them as paths). The manifest is read as the
 * specification says (main section only, 72-byte lines continued by a leading space, names
 * case-insensitive) and Bundle-SymbolicName loses its ";singleton:=true"-style parameters;
 * Trivy reads raw lines of the whole file. Nested archives whose names would escape the archive
 * ("../x.jar", absolute) are skipped, as Trivy skips them.
 *
 * Extraction is bounded by a byte budget shared by the whole tree of archives and by a nesting
 * depth, so a zip bomb costs at most the budget. It does not check signatures or read pom.xml. */
#include <ctype.h>

#include "lang.h"
#include "pkg/purl.h"
#include "util/path.h"
#include "util/zip.h"

/* pom.properties and manifests larger than these are not what a build tool writes; signed jars
 * list a digest per class in the manifest, so it gets room. */
#define MAX_POM_PROPS ((size_t)64 << 10)
#define MAX_MANIFEST ((size_t)8 << 20)
/* Packages one archive tree may yield; the duplicate check is linear per package, and the
 * largest real EARs carry a few thousand artifacts. */
#define MAX_PACKAGES 20000

typedef struct {
	size_t budget; /* bytes that may still be extracted */
	int max_depth;
	int skipped;    /* nested archives that could not be read */
	bool exhausted; /* the budget or the package limit ran out: the whole parse fails */
	qn_pkglist found;
} jctx;

typedef struct {
	char *group, *artifact, *version;
} props;

static void props_clear(props *p)
{
	free(p->group);
	free(p->artifact);
	free(p->version);
	memset(p, 0, sizeof(*p));
}

static bool props_valid(const props *p)
{
	return p->group && *p->group && p->artifact && *p->artifact && p->version && *p->version;
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Appends group:artifact@version at loc unless the same package is already listed there. */
static int add_pkg(jctx *c, const char *group, const char *artifact, const char *version, const char *loc,
		   qn_error **err)
{
	_cleanup_free_ char *name = group ? xasprintf("%s:%s", group, artifact) : xstrdup(artifact);
	for (size_t i = 0; i < c->found.n; i++) {
		const qn_package *q = &c->found.v[i];
		if (strcmp(q->name, name) == 0 && same(q->version, version) && strcmp(q->location, loc) == 0)
			return 0;
	}
	if (c->found.n >= MAX_PACKAGES) {
		c->exhausted = true;
		return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d packages in one archive", loc, MAX_PACKAGES);
	}
	qn_package *p = qn_pkglist_add(&c->found);
	p->eco = QN_ECO_MAVEN;
	p->name = steal_pointer(&name);
	p->version = xstrdup(version);
	p->namespace_ = group ? xstrdup(group) : NULL;
	p->location = xstrdup(loc);
	p->purl = qn_purl("maven", group, artifact, version, NULL, NULL);
	return 0;
}

/* Trivy's file-name rule, `^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$`: the artifactId
 * is the longest prefix that ends before a '-' followed by a digit, the version runs from that
 * digit to the character before "jar". Linear: the two character-class conditions are
 * precomputed as positions. */
static bool name_props(const char *base, props *out)
{
	size_t n = strlen(base);
	if (n < 6 || strcmp(base + n - 3, "jar") != 0)
		return false;
	size_t end = n - 4;   /* the version stops before the (any) character preceding "jar" */
	size_t class_end = 0; /* base[0, class_end) is all [A-Za-z0-9._-] */
	while (class_end < n && (isalnum((unsigned char)base[class_end]) || strchr("._-", base[class_end])))
		class_end++;
	size_t ws_end = 0; /* one past the last white space before end: the version starts after it */
	for (size_t k = 0; k < end; k++)
		if (isspace((unsigned char)base[k]))
			ws_end = k + 1;
	for (size_t i = end - 2; i >= 1 && i + 1 >= ws_end; i--) {
		if (base[i] != '-' || !isdigit((unsigned char)base[i + 1]) || base[i - 1] == '-' ||
		    base[i - 1] == '*' || base[i - 1] == '\n' || i - 1 > class_end)
			continue;
		out->artifact = xstrndup(base, i);
		out->version = xstrndup(base + i + 1, end - i - 1);
		return true;
	}
	return false;
}

/* pom.properties: Java properties lines "key=value" (or "key: value"); comments start with '#'
 * or '!'. A later key wins, as in Trivy. */
static void parse_pom_props(const uint8_t *buf, size_t len, props *p)
{
	for (size_t pos = 0; pos < len;) {
		const char *line = (const char *)buf + pos;
		size_t n = strcspn(line, "\r\n");
		if (n > len - pos)
			n = len - pos;
		pos += n + 1;
		_cleanup_free_ char *t = trim_dup(line, n);
		size_t k = strcspn(t, "=:");
		if (!*t || *t == '#' || *t == '!' || !t[k])
			continue;
		char *key = trim_dup(t, k);
		char *val = trim_dup(t + k + 1, strlen(t + k + 1));
		if (strcmp(key, "groupId") == 0)
			set_str(&p->group, steal_pointer(&val));
		else if (strcmp(key, "artifactId") == 0)
			set_str(&p->artifact, steal_pointer(&val));
		else if (strcmp(key, "version") == 0)
			set_str(&p->version, steal_pointer(&val));
		free(key);
		free(val);
	}
}

/* ---- MANIFEST.MF ---- */

enum {
	M_IMPL_VERSION,
	M_IMPL_TITLE,
	M_IMPL_VENDOR,
	M_IMPL_VENDOR_ID,
	M_SPEC_TITLE,
	M_SPEC_VERSION,
	M_SPEC_VENDOR,
	M_BUNDLE_NAME,
	M_BUNDLE_VERSION,
	M_BUNDLE_SYMBOLIC,
	M_COUNT
};
static const char *const manifest_keys[M_COUNT] = {
    "Implementation-Version", "Implementation-Title",  "Implementation-Vendor", "Implementation-Vendor-Id",
    "Specification-Title",    "Specification-Version", "Specification-Vendor",  "Bundle-Name",
    "Bundle-Version",         "Bundle-SymbolicName",
};

typedef struct {
	char *v[M_COUNT];
} manifest;

static void manifest_clear(manifest *m)
{
	for (int i = 0; i < M_COUNT; i++)
		free(m->v[i]);
	memset(m, 0, sizeof(*m));
}

/* One logical "Name: value" line of the main section. Values that are placeholders ("%bundleName",
 * resolved from a properties file at run time) are skipped, as Trivy skips them. */
static void manifest_attr(manifest *m, const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	_cleanup_free_ char *key = trim_dup(line, (size_t)(colon - line));
	_cleanup_free_ char *val = trim_dup(colon + 1, strlen(colon + 1));
	if (!*val || *val == '%')
		return;
	for (int i = 0; i < M_COUNT; i++)
		if (strcasecmp(key, manifest_keys[i]) == 0 && !m->v[i])
			m->v[i] = steal_pointer(&val);
}

/* Main section: physical lines end with CR LF, LF or CR; a line starting with one space continues
 * the previous one (the specification wraps at 72 bytes); the first empty line ends it. */
static void parse_manifest(const uint8_t *buf, size_t len, manifest *m)
{
	qn_buf cur = QN_BUF_INIT;
	size_t pos = 0;
	while (pos < len) {
		const char *line = (const char *)buf + pos;
		size_t n = 0;
		while (pos + n < len && line[n] != '\r' && line[n] != '\n')
			n++;
		pos += n;
		if (pos < len && buf[pos] == '\r')
			pos++;
		if (pos < len && buf[pos] == '\n')
			pos++;
		if (n && line[0] == ' ') {
			qn_buf_add(&cur, line + 1, n - 1);
			continue;
		}
		if (cur.len)
			manifest_attr(m, cur.data);
		qn_buf_reset(&cur);
		if (n == 0)
			break;
		qn_buf_add(&cur, line, n);
	}
	if (cur.len)
		manifest_attr(m, cur.data);
	qn_buf_clear(&cur);
}

static const char *first_of(const manifest *m, int a, int b, int c)
{
	return m->v[a] ? m->v[a] : m->v[b] ? m->v[b] : m->v[c];
}

/* Trivy's determineGroupID / determineArtifactID / determineVersion. */
static void manifest_props(const manifest *m, props *p)
{
	if (m->v[M_IMPL_VENDOR_ID])
		p->group = xstrdup(m->v[M_IMPL_VENDOR_ID]);
	else if (m->v[M_BUNDLE_SYMBOLIC]) {
		/* "com.fasterxml.jackson.core.jackson-databind;singleton:=true" -> "com.fasterxml.jackson.core" */
		const char *s = m->v[M_BUNDLE_SYMBOLIC];
		size_t n = strcspn(s, ";");
		const char *dot = memrchr(s, '.', n);
		p->group = trim_dup(s, dot && dot > s ? (size_t)(dot - s) : n);
	} else if (m->v[M_IMPL_VENDOR] || m->v[M_SPEC_VENDOR])
		p->group = xstrdup(m->v[M_IMPL_VENDOR] ? m->v[M_IMPL_VENDOR] : m->v[M_SPEC_VENDOR]);
	const char *a = first_of(m, M_IMPL_TITLE, M_SPEC_TITLE, M_BUNDLE_NAME);
	const char *v = first_of(m, M_IMPL_VERSION, M_SPEC_VERSION, M_BUNDLE_VERSION);
	p->artifact = a ? xstrdup(a) : NULL;
	p->version = v ? xstrdup(v) : NULL;
}

/* ---- archives ---- */

static int parse_archive(jctx *c, const uint8_t *buf, size_t len, const char *loc, int depth, qn_error **err);

/* Trivy follows nested archives by extension, case as written. */
static bool is_artifact(const char *name)
{
	const char *dot = strrchr(qn_path_base(name), '.');
	return dot && (strcmp(dot, ".jar") == 0 || strcmp(dot, ".war") == 0 || strcmp(dot, ".ear") == 0);
}

/* Extracts e within the budget. cap is what this kind of file may reasonably need: larger entries
 * are not the file we look for and are skipped (returns 0). Returns 1 with *out, or -1 with err
 * set; c->exhausted tells that the shared budget ran out. */
static int extract(jctx *c, qn_zip *z, const qn_zip_entry *e, size_t cap, uint8_t **out, size_t *n, const char *loc,
		   qn_error **err)
{
	if (e->usize > cap)
		return 0;
	if (e->usize > c->budget) {
		c->exhausted = true;
		_cleanup_free_ char *q = qn_str_quote(e->name, 120);
		return qn_error_set(err, QN_ERR_LIMIT,
				    "%s: entry \"%s\": extraction budget exhausted (%llu bytes more, %zu left)", loc, q,
				    (unsigned long long)e->usize, c->budget);
	}
	if (qn_zip_read(z, e, c->budget, out, n, err) < 0)
		return qn_error_prefix(err, "%s", loc);
	c->budget -= *n;
	return 1;
}

/* Drops packages added after the first `keep` (a nested archive that failed half-way). */
static void rollback(jctx *c, size_t keep)
{
	while (c->found.n > keep)
		qn_package_clear(&c->found.v[--c->found.n]);
}

/* A nested archive: read it recursively. Its own failures only count as skipped; running out of
 * budget ends the whole parse. */
static int nested(jctx *c, qn_zip *z, const qn_zip_entry *e, const char *loc, int depth, qn_error **err)
{
	_cleanup_free_ char *norm = NULL;
	if (qn_path_normalize(e->name, QN_PYTHON_MAX_PATH, &norm, NULL) < 0 || !*norm)
		return 0; /* "../x.jar" or "/x.jar": a name that escapes is not an artifact of this archive */
	_cleanup_free_ char *inner = xasprintf("%s!/%s", loc, norm);
	_cleanup_free_ uint8_t *data = NULL;
	size_t n = 0, keep = c->found.n;
	qn_error *ie = NULL;
	int rc = extract(c, z, e, SIZE_MAX, &data, &n, loc, &ie);
	if (rc > 0)
		rc = parse_archive(c, data, n, inner, depth + 1, &ie);
	if (rc >= 0)
		return 0;
	rollback(c, keep);
	if (c->exhausted) {
		if (err && !*err)
			*err = steal_pointer(&ie);
		qn_error_free(ie);
		return -1;
	}
	qn_debug("skipped nested archive: %s", ie ? ie->msg : inner);
	qn_error_free(ie);
	c->skipped++;
	return 0;
}

static int on_pom(jctx *c, qn_zip *z, const qn_zip_entry *e, const char *loc, const props *own, bool *found_own,
		  qn_error **err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t n = 0;
	int rc = extract(c, z, e, MAX_POM_PROPS, &data, &n, loc, err);
	if (rc <= 0)
		return rc;
	props p = {0};
	parse_pom_props(data, n, &p);
	if (props_valid(&p)) {
		rc = add_pkg(c, p.group, p.artifact, p.version, loc, err);
		/* is this the archive's own pom.properties? then the manifest is not needed */
		if (own->artifact && strcmp(own->artifact, p.artifact) == 0 && strcmp(own->version, p.version) == 0)
			*found_own = true;
	}
	props_clear(&p);
	return rc < 0 ? -1 : 0;
}

static int on_manifest(jctx *c, qn_zip *z, const qn_zip_entry *e, const char *loc, manifest *m, qn_error **err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t n = 0;
	int rc = extract(c, z, e, MAX_MANIFEST, &data, &n, loc, err);
	if (rc > 0) {
		manifest_clear(m);
		parse_manifest(data, n, m);
	}
	return rc < 0 ? -1 : 0;
}

/* No pom.properties of its own: the manifest, else the file name. */
static int identify(jctx *c, const manifest *m, const props *own, const char *loc, qn_error **err)
{
	props mp = {0};
	int rc = 0;
	manifest_props(m, &mp);
	if (props_valid(&mp))
		rc = add_pkg(c, mp.group, mp.artifact, mp.version, loc, err);
	else if (own->artifact)
		rc = add_pkg(c, NULL, own->artifact, own->version, loc, err);
	props_clear(&mp);
	return rc;
}

static int parse_archive(jctx *c, const uint8_t *buf, size_t len, const char *loc, int depth, qn_error **err)
{
	qn_zip *z = qn_zip_open(buf, len, 0, err);
	if (!z)
		return qn_error_prefix(err, "%s", loc);
	props own = {0};
	name_props(qn_path_base(loc), &own);
	manifest m = {0};
	bool found_own = false;
	qn_zip_entry e;
	int rc;
	while ((rc = qn_zip_next(z, &e, err)) > 0) {
		int r = 0;
		if (strcmp(qn_path_base(e.name), "pom.properties") == 0)
			r = on_pom(c, z, &e, loc, &own, &found_own, err);
		else if (strcasecmp(e.name, "META-INF/MANIFEST.MF") == 0)
			r = on_manifest(c, z, &e, loc, &m, err);
		else if (is_artifact(e.name) && depth < c->max_depth)
			r = nested(c, z, &e, loc, depth, err);
		if (r < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && !found_own)
		rc = identify(c, &m, &own, loc, err);
	if (rc < 0 && err && *err && !qn_str_has_prefix((*err)->msg, loc))
		qn_error_prefix(err, "%s", loc);
	manifest_clear(&m);
	props_clear(&own);
	qn_zip_free(z);
	return rc;
}

int qn_jar_parse_limits(const uint8_t *buf, size_t len, const char *location, const qn_jar_limits *lim, qn_pkglist *out,
			qn_error **err)
{
	jctx c = {
	    .budget = lim && lim->budget ? lim->budget : QN_JAR_BUDGET,
	    .max_depth = lim && lim->max_depth ? lim->max_depth : QN_JAR_MAX_DEPTH,
	};
	if (parse_archive(&c, buf, len, location, 0, err) < 0) {
		qn_pkglist_clear(&c.found);
		return -1;
	}
	for (size_t i = 0; i < c.found.n; i++)
		*qn_pkglist_add(out) = c.found.v[i];
	free(c.found.v);
	return c.skipped;
}

int qn_jar_parse(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_error **err)
{
	return qn_jar_parse_limits(buf, len, location, NULL, out, err);
}
