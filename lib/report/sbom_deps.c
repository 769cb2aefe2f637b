/* Dependencies between the packages of an inventory, as the package databases record them,
 * resolved to packages that are present in the image:
 *   dpkg, apk, rpm   a dependency names a package; the one of the same architecture is preferred
 *                    (multi-arch), else the first of that name; failing that, a package that
 *                    provides the name (dpkg Provides: "awk" -> mawk; apk p: "so:libc.musl…").
 *                    Of dpkg alternatives ("usrmerge | usr-is-merged") the first one present
 *                    counts. rpm capabilities ("libc.so.6()(64bit)") and file requires are not
 *                    read (rpm.c keeps package names only) and stay unresolved.
 *   Python           Requires-Dist names, PEP 503-normalised, looked up in the same
 *                    site-packages folder first, then anywhere; requirements that only apply
 *                    with an extra ("; extra == 'socks'") are left out, since which extras were
 *                    installed is not recorded.
 *   Node             package.json dependencies resolved as Node does: DIR/node_modules/NAME
 *                    for the package's folder and each folder above it.
 * Java archives and Go build info record no dependency graph, so they get no edges. A
 * dependency that names no package present is dropped (the raw list stays in quench's JSON). */
#include <ctype.h>

#include "sbom_int.h"
#include "util/path.h"
#include "util/strset.h"

typedef struct {
	size_t *v;
	size_t n, cap;
} idxvec;

static void put_first(qn_strset *s, const char *key, size_t i)
{
	if (!qn_strset_get(s, key))
		qn_strset_put(s, key, (void *)(uintptr_t)(i + 1));
}

static bool get_idx(const qn_strset *s, const char *key, size_t *out)
{
	uintptr_t v = (uintptr_t)qn_strset_get(s, key);
	if (!v)
		return false;
	*out = v - 1;
	return true;
}

/* PEP 503: lower case, every run of '-', '_' and '.' as one '-'. Caller frees. */
static char *pep503(const char *s)
{
	qn_buf b = QN_BUF_INIT;
	for (; *s; s++) {
		if (strchr("-_.", *s)) {
			if (!b.len || b.data[b.len - 1] != '-')
				qn_buf_addc(&b, '-');
		} else
			qn_buf_addc(&b, (char)tolower((unsigned char)*s));
	}
	return qn_buf_steal(&b);
}

/* The folder holding a Python package's .dist-info / .egg-info ("" when at the root). */
static char *py_site(const char *loc)
{
	const char *e = strstr(loc, ".dist-info");
	if (!e)
		e = strstr(loc, ".egg-info");
	if (!e)
		return xstrdup("");
	while (e > loc && e[-1] != '/')
		e--;
	return xstrndup(loc, e > loc ? (size_t)(e - loc - 1) : 0);
}

static void build_index(const qn_sbom_ctx *c, qn_strset *idx)
{
	for (size_t i = 0; i < c->n; i++) {
		const qn_package *p = qn_inventory_get(c->inv, i);
		const char *eco = qn_ecosystem_name(p->eco);
		if (!p->name)
			continue;
		if (qn_sbom_is_os_pkg(p)) {
			_cleanup_free_ char *k1 = xasprintf("%s\t%s\t%s", eco, p->name, p->arch ? p->arch : "");
			_cleanup_free_ char *k2 = xasprintf("%s\t%s", eco, p->name);
			put_first(idx, k1, i);
			put_first(idx, k2, i);
		} else if (p->eco == QN_ECO_PYPI) {
			_cleanup_free_ char *norm = pep503(p->name);
			_cleanup_free_ char *site = py_site(p->location ? p->location : "");
			_cleanup_free_ char *k1 = xasprintf("pypi\t%s\t%s", site, norm);
			_cleanup_free_ char *k2 = xasprintf("pypi\t\t%s", norm);
			put_first(idx, k1, i);
			put_first(idx, k2, i);
		} else if (p->eco == QN_ECO_NPM && p->location) {
			_cleanup_free_ char *k = xasprintf("npm\t%s", p->location);
			put_first(idx, k, i);
		}
	}
	/* provided names in a key space of their own: a real package of the name always wins */
	for (size_t i = 0; i < c->n; i++) {
		const qn_package *p = qn_inventory_get(c->inv, i);
		for (size_t k = 0; qn_sbom_is_os_pkg(p) && k < p->n_provides; k++) {
			_cleanup_free_ char *key =
			    xasprintf("%s\tprovides\t%s", qn_ecosystem_name(p->eco), p->provides[k]);
			put_first(idx, key, i);
		}
	}
}

static bool resolve_os(const qn_strset *idx, const qn_package *p, const char *dep, size_t *out)
{
	const char *eco = qn_ecosystem_name(p->eco);
	_cleanup_free_ char *k1 = xasprintf("%s\t%s\t%s", eco, dep, p->arch ? p->arch : "");
	_cleanup_free_ char *k2 = xasprintf("%s\t%s", eco, dep);
	_cleanup_free_ char *k3 = xasprintf("%s\tprovides\t%s", eco, dep);
	return get_idx(idx, k1, out) || get_idx(idx, k2, out) || get_idx(idx, k3, out);
}

static bool resolve_py(const qn_strset *idx, const qn_package *p, const qn_pkg_dep *d, size_t *out)
{
	const char *con = d->version_constraint;
	if (con && strstr(con, "extra") && strchr(con, ';'))
		return false;
	_cleanup_free_ char *norm = pep503(d->name);
	_cleanup_free_ char *site = py_site(p->location ? p->location : "");
	_cleanup_free_ char *k1 = xasprintf("pypi\t%s\t%s", site, norm);
	_cleanup_free_ char *k2 = xasprintf("pypi\t\t%s", norm);
	return get_idx(idx, k1, out) || get_idx(idx, k2, out);
}

/* Node's lookup: from the package's own folder upwards, DIR/node_modules/NAME/package.json,
 * skipping folders that are themselves named node_modules. */
static bool resolve_npm(const qn_strset *idx, const qn_package *p, const char *dep, size_t *out)
{
	if (!p->location)
		return false;
	_cleanup_free_ char *dir = qn_path_dir(p->location);
	while (true) {
		if (strcmp(qn_path_base(dir), "node_modules")) {
			_cleanup_free_ char *k =
			    xasprintf("npm\t%s%snode_modules/%s/package.json", dir, *dir ? "/" : "", dep);
			if (get_idx(idx, k, out))
				return true;
		}
		if (!*dir)
			return false;
		char *up = qn_path_dir(dir);
		free(dir);
		dir = up;
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void resolve_one(qn_sbom_ctx *c, const qn_strset *idx, size_t i)
{
	const qn_package *p = qn_inventory_get(c->inv, i);
	idxvec v = {0};
	for (size_t k = 0; k < p->n_deps; k++) {
		const qn_pkg_dep *d = &p->deps[k];
		size_t t;
		bool found = d->name && (qn_sbom_is_os_pkg(p)    ? resolve_os(idx, p, d->name, &t)
					 : p->eco == QN_ECO_PYPI ? resolve_py(idx, p, d, &t)
					 : p->eco == QN_ECO_NPM  ? resolve_npm(idx, p, d->name, &t)
								 : false);
		if (found) /* the first alternative present satisfies the group: skip the rest */
			while (k + 1 < p->n_deps && p->deps[k + 1].alternative)
				k++;
		if (!found || t == i)
			continue;
		if (v.n == v.cap) {
			v.cap = v.cap ? v.cap * 2 : 8;
			v.v = xreallocarray(v.v, v.cap, sizeof(size_t));
		}
		v.v[v.n++] = t;
	}
	qn_sort(v.v, v.n, sizeof(size_t), cmp_size);
	size_t w = 0;
	for (size_t k = 0; k < v.n; k++)
		if (!w || v.v[w - 1] != v.v[k])
			v.v[w++] = v.v[k];
	c->dep[i] = v.v;
	c->n_dep[i] = w;
}

void qn_sbom_resolve_deps(qn_sbom_ctx *c)
{
	qn_strset idx = QN_STRSET_INIT;
	build_index(c, &idx);
	for (size_t i = 0; i < c->n; i++)
		resolve_one(c, &idx, i);
	qn_strset_clear(&idx);
}
