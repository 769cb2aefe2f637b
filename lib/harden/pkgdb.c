/* The honest package database. A package leaves the database only when none of its files is
 * left in the hardened image; a package with any file left stays listed exactly as it was (the
 * report calls it trimmed). Nothing else changes: the paragraphs and records of the remaining
 * packages are kept byte for byte, so a scanner reads the same versions it read before.
 *
 * dpkg: paragraphs of var/lib/dpkg/status, files of the distroless status.d layout, and the
 * removed packages' var/lib/dpkg/info files. apk: records of lib/apk/db/installed. rpm: the
 * removed packages' rows of the sqlite rpmdb (Packages and every index table), deleted with
 * SQLite's secure_delete; the -wal, -shm and -journal files of the old database go with it. An
 * rpm database that cannot be rewritten (Berkeley DB, ndb, or one SQLite refuses) stays as it
 * was, with a warning: a scanner then sees more packages than the image holds, never fewer. */
#include "harden_int.h"
#include "pkg/osdb.h"
#include "util/path.h"

/* Field value of a control paragraph (first occurrence), or NULL; caller frees. */
static char *field(const char *para, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = para, *end = para + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((e ? e : end) - p);
		if (l > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (v < p + l && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = p + l;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			return xstrndup(v, (size_t)(ve - v));
		}
		p = e ? e + 1 : end;
	}
	return NULL;
}

/* How a removed package is named in the set the database rewriters consult: NAME:ARCH for dpkg
 * (Multi-Arch), NAME: for apk, NAME:ARCH@VERSION for rpm, which allows one name in several
 * versions (kernels) and architectures (multilib). Caller frees. */
static char *removed_key(qn_ecosystem eco, const char *name, const char *arch, const char *version)
{
	if (eco == QN_ECO_RPM)
		return xasprintf("%s:%s@%s", name, arch ? arch : "", version ? version : "");
	return xasprintf("%s:%s", name, eco == QN_ECO_DEB && arch ? arch : "");
}

static bool removed_pkg(const qn_strset *removed, qn_ecosystem eco, const char *name, const char *arch,
			const char *version)
{
	_cleanup_free_ char *k = removed_key(eco, name, arch, version);
	return qn_strset_has(removed, k);
}

/* Splits text into blank-line-separated records and keeps those keep_fn accepts. */
typedef bool (*keep_rec_fn)(const char *rec, size_t len, void *ud);

static char *filter_records(const unsigned char *text, size_t len, keep_rec_fn keep, void *ud, size_t *out_len,
			    size_t *dropped)
{
	qn_buf out = QN_BUF_INIT;
	qn_buf_adds(&out, "");
	const char *p = (const char *)text, *end = p + len;
	while (p < end) {
		/* a record ends at "\n\n" (or the end); the separator goes with it */
		const char *sep = p;
		const char *e = NULL;
		while (sep < end && (e = memchr(sep, '\n', (size_t)(end - sep)))) {
			if (e + 1 < end && (e[1] == '\n' || (e[1] == '\r' && e + 2 < end && e[2] == '\n')))
				break;
			sep = e + 1;
			e = NULL;
		}
		const char *rec_end = e ? e + 1 : end;
		const char *next = rec_end;
		while (next < end && (*next == '\n' || *next == '\r'))
			next++;
		if (keep((const char *)p, (size_t)(rec_end - p), ud))
			qn_buf_add(&out, p, (size_t)(next - p));
		else
			(*dropped)++;
		p = next;
	}
	*out_len = out.len;
	return qn_buf_steal(&out);
}

static bool keep_dpkg(const char *rec, size_t len, void *ud)
{
	_cleanup_free_ char *name = field(rec, len, "Package");
	_cleanup_free_ char *arch = field(rec, len, "Architecture");
	return !name || !removed_pkg(ud, QN_ECO_DEB, name, arch, NULL);
}

static bool keep_apk(const char *rec, size_t len, void *ud)
{
	/* apk records: "P:name" lines */
	const char *p = rec, *end = rec + len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((e ? e : end) - p);
		if (l > 2 && p[0] == 'P' && p[1] == ':') {
			_cleanup_free_ char *name = xstrndup(p + 2, l - 2);
			return !removed_pkg(ud, QN_ECO_APK, name, NULL, NULL);
		}
		p = e ? e + 1 : end;
	}
	return true;
}

static void rewrite(qn_hardening *h, const char *path, keep_rec_fn fn, const qn_strset *removed)
{
	const qn_node *n = qn_tree_lookup(h->tree, path);
	if (!n || n->type != QN_NODE_REG || !n->content || n->content_truncated)
		return;
	size_t len = 0, dropped = 0;
	char *text = filter_records(n->content, n->content_len, fn, (void *)removed, &len, &dropped);
	if (!dropped) {
		free(text);
		return;
	}
	qn_strset_put(&h->rewritten, path, NULL);
	qn_harden_set_content(h, path, (unsigned char *)text, len);
}

static bool drop_rpm(const qn_package *p, void *ud)
{
	return removed_pkg(ud, QN_ECO_RPM, p->name, p->arch, p->version);
}

static void rewrite_rpmdb(qn_hardening *h, const char *path, const qn_strset *removed)
{
	const qn_node *n = qn_tree_lookup(h->tree, path);
	if (!n || n->type != QN_NODE_REG || !n->content)
		return;
	if (n->content_truncated) {
		qn_harden_warn(h, "%s: too large to rewrite; its removed packages stay listed", path);
		return;
	}
	uint8_t *out = NULL;
	size_t len = 0;
	_cleanup_error_ qn_error *e = NULL;
	int dropped = qn_rpm_sqlite_drop(n->content, n->content_len, path, drop_rpm, (void *)removed, &out, &len, &e);
	if (dropped < 0)
		qn_harden_warn(h, "%s not rewritten, its removed packages stay listed: %s", path, e->msg);
	if (dropped <= 0)
		return;
	qn_strset_put(&h->rewritten, path, NULL);
	qn_harden_set_content(h, path, out, len);
	/* a -wal file of the old database replayed over the new one would corrupt it */
	static const char *const sidecar[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < QN_ARRAY_LEN(sidecar); i++) {
		_cleanup_free_ char *side = xasprintf("%s%s", path, sidecar[i]);
		if (qn_tree_lookup(h->tree, side)) {
			qn_strset_remove(&h->keep.paths, side);
			qn_strset_add(&h->dropped_db, side);
		}
	}
}

/* Whether NAME is one of a dpkg package's info files: PKG.EXT or PKG:ARCH.EXT, where EXT has no
 * dot (package names may: "libgtk2.0-0.list" belongs to libgtk2.0-0, not to libgtk2). */
static bool is_info_file(const char *name, const qn_package *p)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return false;
	size_t bl = (size_t)(dot - name), nl = strlen(p->name);
	if (bl == nl && !strncmp(name, p->name, nl))
		return true;
	_cleanup_free_ char *ma = xasprintf("%s:%s", p->name, p->arch ? p->arch : "");
	return bl == strlen(ma) && !strncmp(name, ma, bl);
}

/* The info files of a removed dpkg package: var/lib/dpkg/info/NAME.* and NAME:ARCH.* */
static void drop_info_files(qn_hardening *h, const qn_package *p)
{
	const qn_node *info = qn_tree_lookup(h->tree, "var/lib/dpkg/info");
	if (!info || info->type != QN_NODE_DIR)
		return;
	for (const qn_node *c = info->first_child; c; c = c->next_sibling)
		if (is_info_file(c->name, p)) {
			_cleanup_free_ char *path = xasprintf("var/lib/dpkg/info/%s", c->name);
			qn_strset_remove(&h->keep.paths, path);
			qn_strset_add(&h->dropped_db, path);
		}
}

void qn_harden_rewrite_pkgdb(qn_hardening *h)
{
	qn_strset removed = QN_STRSET_INIT;
	for (size_t i = 0; i < h->n_pkgs; i++) {
		const qn_pkg_state *s = &h->pkgs[i];
		if (s->state != QN_PKG_REMOVED)
			continue;
		const qn_package *p = s->pkg;
		_cleanup_free_ char *k = removed_key(p->eco, p->name, p->arch, p->version);
		qn_strset_add(&removed, k);
		if (p->eco == QN_ECO_DEB) {
			drop_info_files(h, p);
			if (p->location && qn_str_has_prefix(p->location, "var/lib/dpkg/status.d/")) {
				_cleanup_free_ char *md5 = xasprintf("%s.md5sums", p->location);
				qn_strset_remove(&h->keep.paths, p->location);
				qn_strset_remove(&h->keep.paths, md5);
				qn_strset_add(&h->dropped_db, p->location);
			}
		}
	}
	rewrite(h, "var/lib/dpkg/status", keep_dpkg, &removed);
	rewrite(h, "lib/apk/db/installed", keep_apk, &removed);
	rewrite_rpmdb(h, "var/lib/rpm/rpmdb.sqlite", &removed);
	rewrite_rpmdb(h, "usr/lib/sysimage/rpm/rpmdb.sqlite", &removed);
	qn_strset_clear(&removed);
}

static bool is_os(const qn_package *p)
{
	return p->eco == QN_ECO_DEB || p->eco == QN_ECO_APK || p->eco == QN_ECO_RPM;
}

/* The .list text of a dpkg package, from the tree (the inventory captured it), or NULL. */
static const qn_node *dpkg_list(const qn_hardening *h, const qn_package *p)
{
	_cleanup_free_ char *a = xasprintf("var/lib/dpkg/info/%s:%s.list", p->name, p->arch ? p->arch : "");
	_cleanup_free_ char *b = xasprintf("var/lib/dpkg/info/%s.list", p->name);
	const qn_node *n = qn_tree_lookup(h->tree, a);
	if (!n || n->type != QN_NODE_REG || !n->content)
		n = qn_tree_lookup(h->tree, b);
	return n && n->type == QN_NODE_REG && n->content && !n->content_truncated ? n : NULL;
}

/* Whether the list text names something below folder `dir` ("/dir/..."). */
static bool list_has_below(const qn_node *list, const char *dir)
{
	_cleanup_free_ char *pre = xasprintf("/%s/", dir);
	size_t pl = strlen(pre);
	const char *p = (const char *)list->content, *end = p + list->content_len;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((e ? e : end) - p);
		if (l > pl && !memcmp(p, pre, pl))
			return true;
		p = e ? e + 1 : end;
	}
	return false;
}

static bool link_to_dir(const qn_tree *t, const char *path)
{
	const qn_node *n = qn_tree_lookup(t, path);
	if (!n || n->type != QN_NODE_SYMLINK)
		return false;
	const qn_node *to = qn_tree_resolve(t, path, true, NULL, NULL);
	return to && to->type == QN_NODE_DIR;
}

/* dpkg lists a package's folders along with its files, and the inventory drops the folders. On a
 * merged-/usr system some of those folders are symlinks in the image (/lib -> usr/lib): the
 * inventory then sees a symlink, but it is not a file the package ships, and dpkg itself treats
 * it as the folder it leads to. Counting it would keep every package that lists /lib "trimmed"
 * for ever. Such a link is a folder in the package's view when the package's own list names
 * something below it, or when several packages list it (dpkg never lets two packages own one
 * non-folder path). A symlink a package really ships (nothing of its own below it, no other
 * owner) stays one of its files. */
static void find_folder_links(qn_hardening *h)
{
	qn_strset owners = QN_STRSET_INIT; /* path -> number of dpkg packages listing it */
	size_t n = qn_inventory_count(h->inv);
	for (size_t i = 0; i < n; i++) {
		const qn_package *p = qn_inventory_get(h->inv, i);
		if (p->eco != QN_ECO_DEB)
			continue;
		const qn_node *list = NULL;
		bool list_read = false;
		for (size_t j = 0; j < p->n_files; j++) {
			const char *f = p->files[j].path;
			if (!link_to_dir(h->tree, f))
				continue;
			uintptr_t c = (uintptr_t)qn_strset_get(&owners, f);
			qn_strset_put(&owners, f, (void *)(c + 1));
			if (!list_read) {
				list = dpkg_list(h, p);
				list_read = true;
			}
			if (c + 1 >= 2 || (list && list_has_below(list, f)))
				qn_strset_add(&h->folder_links, f);
		}
	}
	qn_strset_clear(&owners);
}

static bool counts_as_file(const qn_hardening *h, const qn_package *p, const char *path)
{
	return p->eco != QN_ECO_DEB || !qn_strset_has(&h->folder_links, path);
}

void qn_harden_package_states(qn_hardening *h)
{
	if (!h->folder_links_done)
		find_folder_links(h);
	h->folder_links_done = true;
	size_t n = qn_inventory_count(h->inv);
	free(h->pkgs);
	h->pkgs = xcalloc(n + 1, sizeof(*h->pkgs));
	h->n_pkgs = n;
	for (size_t i = 0; i < n; i++) {
		const qn_package *p = qn_inventory_get(h->inv, i);
		qn_pkg_state *s = &h->pkgs[i];
		s->pkg = p;
		for (size_t j = 0; j < p->n_files; j++) {
			if (!counts_as_file(h, p, p->files[j].path))
				continue;
			s->total_files++;
			s->total_bytes += p->files[j].size;
			if (qn_keep_has(&h->keep, p->files[j].path)) {
				s->kept_files++;
				s->kept_bytes += p->files[j].size;
			}
		}
		/* language packages read from one file (a jar, a Go binary) live or die with it */
		if (!is_os(p) && !p->n_files && p->location) {
			s->total_files = 1;
			s->kept_files = qn_keep_has(&h->keep, p->location) ? 1 : 0;
		}
		if (!s->total_files)
			s->state = QN_PKG_KEPT; /* no files even in the original: nothing we removed */
		else if (!s->kept_files)
			s->state = QN_PKG_REMOVED;
		else
			s->state = s->kept_files == s->total_files ? QN_PKG_KEPT : QN_PKG_TRIMMED;
	}
}

/* Metadata of a package that stays: what a scanner reads to find it (its database record and
 * info files). Nothing else of a package is kept for being its metadata: its copyright file and
 * docs go unless something used them, so they never keep a package listed on their own. */
static void keep_metadata(qn_hardening *h, const qn_package *p)
{
	qn_keep *k = &h->keep;
	if (p->eco == QN_ECO_DEB) {
		const qn_node *info = qn_tree_lookup(h->tree, "var/lib/dpkg/info");
		for (const qn_node *c = info ? info->first_child : NULL; c; c = c->next_sibling)
			if (is_info_file(c->name, p)) {
				_cleanup_free_ char *path = xasprintf("var/lib/dpkg/info/%s", c->name);
				qn_keep_path(k, path, false, "package-db");
			}
		if (p->location && qn_str_has_prefix(p->location, "var/lib/dpkg/status.d/")) {
			_cleanup_free_ char *md5 = xasprintf("%s.md5sums", p->location);
			qn_keep_path(k, p->location, false, "package-db");
			if (qn_tree_lookup(h->tree, md5))
				qn_keep_path(k, md5, false, "package-db");
		}
		return;
	}
	if (!p->location)
		return;
	/* dist-info and egg-info folders are the package's identity for scanners: keep them whole */
	_cleanup_free_ char *dir = qn_path_dir(p->location);
	if (qn_str_has_suffix(dir, ".dist-info") || qn_str_has_suffix(dir, ".egg-info"))
		qn_keep_subtree(k, dir, "package-db");
	else if (!strchr(p->location, '!'))
		qn_keep_path(k, p->location, false, "package-db");
}

void qn_harden_keep_package_metadata(qn_hardening *h)
{
	static const char *dbs[] = {"var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/rpm",
				    "usr/lib/sysimage/rpm", NULL};
	for (size_t i = 0; dbs[i]; i++) {
		const qn_node *n = qn_tree_lookup(h->tree, dbs[i]);
		if (n && n->type == QN_NODE_DIR)
			qn_keep_subtree(&h->keep, dbs[i], "package-db");
		else if (n)
			qn_keep_path(&h->keep, dbs[i], false, "package-db");
	}
	for (size_t i = 0; i < h->n_pkgs; i++)
		if (h->pkgs[i].state != QN_PKG_REMOVED)
			keep_metadata(h, h->pkgs[i].pkg);
}
