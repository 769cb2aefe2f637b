/* Node packages: one package.json describes one installed package.
 *
 * It does not walk node_modules, read lock files or resolve version ranges.
 *
 * Where it follows Trivy (pkg/dependency/parser/nodejs/packagejson and the node-pkg analyzer):
 * a file is a package only with a non-empty name and version; a name outside npm's URL-safe set
 * is an error; "license" may be a string, an object with "type", or an array of such objects;
 * the purl is lower-cased and a scope becomes its namespace ("pkg:npm/%40scope/name@1.0.0").
 * Deliberate differences: the legacy "licenses" array is read when "license" names nothing
 * (Trivy ignores it), and several licences are joined with ", " into our one licence string.
 * Trivy reports no dependency edges for installed package.json files; we keep "dependencies"
 * and "optionalDependencies" (both are installed at run time; an optional entry overrides a
 * regular one of the same name, as npm does) as the package's declared dependencies, with the
 * range as the constraint. devDependencies and peerDependencies are not installed with a
 * package, so they are left out. */
#include <ctype.h>

#include "lang.h"
#include "pkg/purl.h"
#include "util/json.h"

#define MAX_DEPS 10000

/* Trivy's (and npm's) rule: "^(@[A-Za-z0-9-._]+/)?[A-Za-z0-9-._]+$". */
static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static bool valid_name(const char *s)
{
	if (*s == '@') {
		const char *slash = strchr(s, '/');
		if (!slash || slash == s + 1)
			return false;
		for (const char *c = s + 1; c < slash; c++)
			if (!name_char(*c))
				return false;
		s = slash + 1;
	}
	if (!*s)
		return false;
	for (; *s; s++)
		if (!name_char(*s))
			return false;
	return true;
}

static void add_name(qn_buf *b, const char *s)
{
	if (!s || !*s)
		return;
	if (b->len)
		qn_buf_adds(b, ", ");
	qn_buf_adds(b, s);
}

/* "MIT", {"type": "MIT", "url": ..}, or an array of either. */
static void add_licenses(qn_buf *b, const json_t *v)
{
	if (json_is_string(v))
		add_name(b, json_string_value(v));
	else if (json_is_object(v))
		add_name(b, qn_json_str(v, "type"));
	else if (json_is_array(v)) {
		size_t i;
		const json_t *e;
		json_array_foreach (v, i, e)
			if (json_is_string(e) || json_is_object(e))
				add_licenses(b, e);
	}
}

static char *pick_license(const json_t *j)
{
	qn_buf b = QN_BUF_INIT;
	add_licenses(&b, json_object_get(j, "license"));
	if (!b.len)
		add_licenses(&b, json_object_get(j, "licenses"));
	return b.len ? qn_buf_steal(&b) : (qn_buf_clear(&b), NULL);
}

/* "Name <email> (url)" as written, or {"name", "email"} put in that form. */
static char *pick_author(const json_t *j)
{
	const json_t *a = json_object_get(j, "author");
	if (json_is_string(a))
		return *json_string_value(a) ? xstrdup(json_string_value(a)) : NULL;
	if (!json_is_object(a))
		return NULL;
	const char *name = qn_json_str(a, "name"), *email = qn_json_str(a, "email");
	if (name && *name && email && *email)
		return xasprintf("%s <%s>", name, email);
	if (name && *name)
		return xstrdup(name);
	return email && *email ? xstrdup(email) : NULL;
}

static char *first_line(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strcspn(s, "\r\n");
	return n ? xstrndup(s, n) : NULL;
}

static int add_deps(qn_package *p, const json_t *deps, const json_t *skip, const char *loc, qn_error **err)
{
	const char *k;
	json_t *v;
	if (!json_is_object(deps))
		return 0;
	json_object_foreach ((json_t *)deps, k, v) {
		if (skip && json_object_get(skip, k))
			continue; /* overridden by optionalDependencies */
		if (p->n_deps >= MAX_DEPS)
			return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %d dependencies", loc, MAX_DEPS);
		if ((p->n_deps & (p->n_deps - 1)) == 0) /* grow at powers of two */
			p->deps = xreallocarray(p->deps, p->n_deps ? 2 * p->n_deps : 8, sizeof(*p->deps));
		p->deps[p->n_deps] = (qn_pkg_dep){0};
		p->deps[p->n_deps].name = xstrdup(k);
		p->deps[p->n_deps].version_constraint = json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
		p->n_deps++;
	}
	return 0;
}

/* pkg:npm/[%40scope/]name@version, lower-cased as Trivy does. */
static char *npm_purl(const char *name, const char *version)
{
	_cleanup_free_ char *low = xstrdup(name);
	for (char *c = low; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	char *slash = low[0] == '@' ? strchr(low, '/') : NULL;
	if (!slash)
		return qn_purl("npm", NULL, low, version, NULL, NULL);
	*slash = 0;
	return qn_purl("npm", low, slash + 1, version, NULL, NULL);
}

int qn_npm_parse_package_json(const uint8_t *buf, size_t len, const char *location, qn_package *out, qn_error **err)
{
	_cleanup_json_ json_t *j = qn_json_parse(buf, len, QN_NPM_MAX_JSON, location, err);
	if (!j)
		return -1;
	if (!json_is_object(j))
		return qn_error_set(err, QN_ERR_INPUT, "%s: package.json is not a JSON object", location);
	const char *name = qn_json_str(j, "name"), *version = qn_json_str(j, "version");
	if (name && *name && !valid_name(name)) {
		_cleanup_free_ char *q = qn_str_quote(name, 80);
		return qn_error_set(err, QN_ERR_INPUT, "%s: package name \"%s\" has characters npm does not allow",
				    location, q);
	}
	if (!name || !*name || !version || !*version)
		return 0;
	qn_package p = {.eco = QN_ECO_NPM, .layer = -1};
	const json_t *opt = json_object_get(j, "optionalDependencies");
	if (add_deps(&p, json_object_get(j, "dependencies"), json_is_object(opt) ? opt : NULL, location, err) < 0 ||
	    add_deps(&p, opt, NULL, location, err) < 0) {
		qn_package_clear(&p);
		return -1;
	}
	p.name = xstrdup(name);
	p.version = xstrdup(version);
	if (name[0] == '@')
		p.namespace_ = xstrndup(name, strcspn(name, "/"));
	p.license = pick_license(j);
	p.maintainer = pick_author(j);
	p.homepage =
	    qn_json_str(j, "homepage") && *qn_json_str(j, "homepage") ? xstrdup(qn_json_str(j, "homepage")) : NULL;
	p.description = first_line(qn_json_str(j, "description"));
	p.location = xstrdup(location);
	p.purl = npm_purl(name, version);
	*out = p;
	return 1;
}
