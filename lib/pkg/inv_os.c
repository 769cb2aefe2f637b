/* OS packages in the inventory: dpkg (status and the distroless status.d layout, with file lists,
 * md5sums and copyright licences), apk and rpm. A package's layer is the first layer whose copy
 * of the database lists the installed version: the layer that introduced what is there now
 * (an upgrade in a later layer moves the package to that layer, as it should for CVEs). */
#include "inventory_int.h"
#include "purl.h"
#include "util/path.h"

static char *pkg_key(const qn_package *p)
{
	return xasprintf("%s\t%s\t%s", p->name ? p->name : "", p->version ? p->version : "", p->arch ? p->arch : "");
}

typedef int (*db_parse_fn)(const uint8_t *buf, size_t len, const char *location, qn_pkglist *out, qn_osdb_warnings *w,
			   qn_error **err);

/* key -> first layer (+1) whose snapshot of `path` lists the package */
static void attribute(const qn_tree *t, const char *path, db_parse_fn parse, qn_strset *first)
{
	for (size_t i = 0; i < qn_tree_snapshot_count(t); i++) {
		const qn_tree_snapshot *s = qn_tree_snapshot_get(t, i);
		if (strcmp(s->path, path))
			continue;
		qn_pkglist l = {0};
		qn_error *e = NULL;
		parse(s->content, s->len, path, &l, NULL, &e); /* partial results still count */
		qn_error_free(e);
		for (size_t k = 0; k < l.n; k++) {
			_cleanup_free_ char *key = pkg_key(&l.v[k]);
			if (!qn_strset_get(first, key))
				qn_strset_put(first, key, (void *)(uintptr_t)(s->layer + 1));
		}
		qn_pkglist_clear(&l);
	}
}

static void set_layers(qn_inventory *inv, size_t from, const qn_strset *first, int fallback)
{
	for (size_t i = from; i < inv->pkgs.n; i++) {
		_cleanup_free_ char *key = pkg_key(&inv->pkgs.v[i]);
		uintptr_t l = (uintptr_t)qn_strset_get(first, key);
		inv->pkgs.v[i].layer = l ? (int)l - 1 : fallback;
	}
}

static void move_into(qn_inventory *inv, qn_pkglist *tmp)
{
	for (size_t i = 0; i < tmp->n; i++) {
		qn_package *p = qn_pkglist_add(&inv->pkgs);
		*p = tmp->v[i];
	}
	free(tmp->v);
	memset(tmp, 0, sizeof(*tmp));
}

static int status_require(const uint8_t *b, size_t n, const char *loc, qn_pkglist *o, qn_osdb_warnings *w, qn_error **e)
{
	return qn_dpkg_parse_status(b, n, loc, true, o, w, e);
}

static int status_d(const uint8_t *b, size_t n, const char *loc, qn_pkglist *o, qn_osdb_warnings *w, qn_error **e)
{
	return qn_dpkg_parse_status(b, n, loc, false, o, w, e);
}

/* Reads one database file into the inventory; a broken file is a warning, not a failure. */
static void read_db(qn_inventory *inv, const qn_tree *t, const char *path, db_parse_fn parse)
{
	const qn_node *n = qn_inv_file(t, path);
	if (!n)
		return;
	size_t from = inv->pkgs.n;
	qn_pkglist tmp = {0};
	qn_error *e = NULL;
	if (parse(n->content, n->content_len, path, &tmp, &inv->warn, &e) < 0) {
		const char *why = e ? e->msg : "unreadable";
		/* the parsers name the file themselves; say it once */
		if (qn_str_has_prefix(why, path))
			qn_osdb_warn(&inv->warn, "%s (its packages are not listed)", why);
		else
			qn_osdb_warn(&inv->warn, "%s: %s (its packages are not listed)", path, why);
		qn_error_free(e);
		qn_pkglist_clear(&tmp);
		return;
	}
	move_into(inv, &tmp);
	qn_strset first = QN_STRSET_INIT;
	attribute(t, path, parse, &first);
	set_layers(inv, from, &first, n->layer);
	qn_strset_clear(&first);
}

/* distroless: status.d/NAME.md5sums holds the file list ("<md5>  <path>" lines) */
static void files_from_md5sums(qn_package *p, const qn_node *n)
{
	const char *s = (const char *)n->content, *end = s + n->content_len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		if (le - s > 34 && s[32] == ' ' && s[33] == ' ') {
			p->files = xreallocarray(p->files, p->n_files + 1, sizeof(qn_pkg_file));
			qn_pkg_file *f = &p->files[p->n_files++];
			f->path = xstrndup(s + 34, (size_t)(le - s - 34));
			f->size = 0;
			f->digest = xasprintf("md5:%.32s", s);
		}
		s = nl ? nl + 1 : end;
	}
}

static void dpkg_details(qn_inventory *inv, const qn_tree *t, qn_package *p)
{
	_cleanup_free_ char *a1 = xasprintf("var/lib/dpkg/info/%s:%s.list", p->name, p->arch ? p->arch : "");
	_cleanup_free_ char *a2 = xasprintf("var/lib/dpkg/info/%s.list", p->name);
	const qn_node *list = qn_inv_file(t, a1);
	const char *lp = a1;
	if (!list) {
		list = qn_inv_file(t, a2);
		lp = a2;
	}
	qn_error *e = NULL;
	if (list &&
	    qn_dpkg_parse_list(list->content, list->content_len, lp, &p->files, &p->n_files, &inv->warn, &e) == 0) {
		_cleanup_free_ char *md5 =
		    xasprintf("%.*s.md5sums", (int)(strlen(lp) - 5), lp); /* PKG.list -> PKG.md5sums */
		const qn_node *m = qn_inv_file(t, md5);
		if (m)
			qn_dpkg_parse_md5sums(m->content, m->content_len, md5, p->files, p->n_files, &inv->warn, NULL);
	} else if (qn_str_has_prefix(p->location, "var/lib/dpkg/status.d/")) {
		_cleanup_free_ char *md5 = xasprintf("%s.md5sums", p->location);
		const qn_node *m = qn_inv_file(t, md5);
		if (m)
			files_from_md5sums(p, m);
	}
	qn_error_free(e);
	_cleanup_free_ char *cp = xasprintf("usr/share/doc/%s/copyright", p->name);
	const qn_node *c = qn_inv_file(t, cp);
	if (c && !p->license)
		qn_dpkg_copyright_licenses(c->content, c->content_len, &p->license);
	p->purl = qn_dpkg_purl(p, inv->os.id, inv->os.version_id);
	p->namespace_ = xstrdup(inv->os.id ? inv->os.id : "debian");
	qn_inv_resolve_files(t, p);
}

int qn_inv_dpkg(qn_inventory *inv, const qn_tree *t, qn_error **err)
{
	(void)err;
	size_t from = inv->pkgs.n;
	read_db(inv, t, "var/lib/dpkg/status", status_require);
	const qn_node *d = qn_tree_lookup(t, "var/lib/dpkg/status.d");
	if (d && d->type == QN_NODE_DIR) {
		size_t k;
		const qn_node **kids = qn_tree_children(d, &k);
		for (size_t i = 0; i < k; i++) {
			if (kids[i]->type != QN_NODE_REG || qn_str_has_suffix(kids[i]->name, ".md5sums"))
				continue;
			_cleanup_free_ char *p = xasprintf("var/lib/dpkg/status.d/%s", kids[i]->name);
			read_db(inv, t, p, status_d);
		}
		free(kids);
	}
	for (size_t i = from; i < inv->pkgs.n; i++)
		dpkg_details(inv, t, &inv->pkgs.v[i]);
	qn_inv_mark_owned(inv, from);
	return 0;
}

int qn_inv_apk(qn_inventory *inv, const qn_tree *t, qn_error **err)
{
	(void)err;
	size_t from = inv->pkgs.n;
	read_db(inv, t, "lib/apk/db/installed", qn_apk_parse_installed);
	for (size_t i = from; i < inv->pkgs.n; i++) {
		qn_package *p = &inv->pkgs.v[i];
		p->purl = qn_apk_purl(p, inv->os.version_id);
		p->namespace_ = xstrdup(inv->os.id ? inv->os.id : "alpine");
		qn_inv_resolve_files(t, p);
	}
	qn_inv_mark_owned(inv, from);
	return 0;
}

int qn_inv_rpm(qn_inventory *inv, const qn_tree *t, qn_error **err)
{
	(void)err;
	static const char *dbs[] = {"var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"};
	static const char *legacy[] = {"var/lib/rpm/Packages", "usr/lib/sysimage/rpm/Packages",
				       "var/lib/rpm/Packages.db", "usr/lib/sysimage/rpm/Packages.db"};
	size_t from = inv->pkgs.n;
	for (size_t i = 0; i < QN_ARRAY_LEN(dbs); i++)
		read_db(inv, t, dbs[i], qn_rpm_parse_sqlite);
	for (size_t i = 0; i < QN_ARRAY_LEN(legacy) && inv->pkgs.n == from; i++) {
		const qn_node *n = qn_inv_file(t, legacy[i]);
		if (n)
			qn_osdb_warn(&inv->warn,
				     "%s: a %s rpm database, which quench does not read: its packages are not listed",
				     legacy[i], qn_rpmdb_kind_name(qn_rpm_detect_db(n->content, n->content_len)));
	}
	for (size_t i = from; i < inv->pkgs.n; i++) {
		qn_package *p = &inv->pkgs.v[i];
		p->purl = qn_rpm_purl(p, inv->os.id, inv->os.version_id);
		p->namespace_ = xstrdup(inv->os.id ? inv->os.id : "redhat");
		qn_inv_resolve_files(t, p);
	}
	qn_inv_mark_owned(inv, from);
	return 0;
}
