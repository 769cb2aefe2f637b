/* Package records and lists shared by every inventory reader. */
#include "quench/pkg.h"
#include "util/util.h"

const char *qn_ecosystem_name(qn_ecosystem e)
{
	switch (e) {
	case QN_ECO_DEB:
		return "deb";
	case QN_ECO_APK:
		return "apk";
	case QN_ECO_RPM:
		return "rpm";
	case QN_ECO_PYPI:
		return "pypi";
	case QN_ECO_NPM:
		return "npm";
	case QN_ECO_MAVEN:
		return "maven";
	case QN_ECO_GO:
		return "golang";
	}
	return "unknown";
}

void qn_package_clear(qn_package *p)
{
	free(p->name);
	free(p->version);
	free(p->source_name);
	free(p->source_version);
	free(p->arch);
	free(p->license);
	free(p->maintainer);
	free(p->description);
	free(p->homepage);
	free(p->purl);
	free(p->location);
	free(p->namespace_);
	free(p->go_version);
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].path);
		free(p->files[i].digest);
	}
	free(p->files);
	for (size_t i = 0; i < p->n_deps; i++) {
		free(p->deps[i].name);
		free(p->deps[i].version_constraint);
	}
	free(p->deps);
	for (size_t i = 0; i < p->n_provides; i++)
		free(p->provides[i]);
	free(p->provides);
	memset(p, 0, sizeof(*p));
}

qn_package *qn_pkglist_add(qn_pkglist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	qn_package *p = &l->v[l->n++];
	memset(p, 0, sizeof(*p));
	p->layer = -1;
	return p;
}

void qn_pkglist_clear(qn_pkglist *l)
{
	for (size_t i = 0; i < l->n; i++)
		qn_package_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
