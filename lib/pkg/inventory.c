/* The inventory of an image: which files the readers need (capture rules), running the OS
 * readers before the language readers (so files an OS package owns are known), and the result.
 * The readers themselves parse bytes (dpkg.c, apk.c, rpm.c, python.c, npm.c, java.c, gobin.c);
 * inv_os.c and inv_lang.c tie them to the tree. */
#include <strings.h>

#include "inventory_int.h"
#include "lang.h"
#include "util/path.h"

static bool has_ci_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

/* True when path is DIR/NAME with DIR ending in dir_suffix (e.g. ".dist-info"). */
static bool in_dir_with_suffix(const char *path, const char *dir_suffix, const char *name)
{
	const char *base = qn_path_base(path);
	if (strcmp(base, name) || base == path)
		return false;
	size_t dl = (size_t)(base - 1 - path), sl = strlen(dir_suffix);
	return dl >= sl && memcmp(path + dl - sl, dir_suffix, sl) == 0;
}

static bool is_node_manifest(const char *path)
{
	if (strcmp(qn_path_base(path), "package.json"))
		return false;
	return strstr(path, "node_modules/") || qn_str_has_prefix(path, "usr/share/nodejs/") ||
	       qn_str_has_prefix(path, "usr/lib/nodejs/");
}

/* usr/share/doc/PKG/copyright: where Debian packages state their licences */
static bool is_copyright(const char *path)
{
	if (!qn_str_has_prefix(path, "usr/share/doc/"))
		return false;
	const char *rest = path + 14, *sl = strchr(rest, '/');
	return sl && sl != rest && !strcmp(sl + 1, "copyright");
}

qn_capture qn_inventory_capture(void *ud, const char *path, uint64_t size, uint32_t mode)
{
	(void)ud, (void)size;
	size_t os = qn_os_capture(path);
	if (os)
		return (qn_capture){QN_CAPTURE_WHOLE, os, false};
	/* package databases, kept per layer for attribution */
	if (!strcmp(path, "var/lib/dpkg/status") || !strcmp(path, "lib/apk/db/installed"))
		return (qn_capture){QN_CAPTURE_WHOLE, 64 << 20, true};
	if (qn_str_has_prefix(path, "var/lib/dpkg/status.d/") && !strchr(path + 22, '/'))
		return (qn_capture){QN_CAPTURE_WHOLE, 4 << 20, !qn_str_has_suffix(path, ".md5sums")};
	if (qn_str_has_prefix(path, "var/lib/dpkg/info/") &&
	    (qn_str_has_suffix(path, ".list") || qn_str_has_suffix(path, ".md5sums")))
		return (qn_capture){QN_CAPTURE_WHOLE, 16 << 20, false};
	if (is_copyright(path))
		return (qn_capture){QN_CAPTURE_WHOLE, 1 << 20, false};
	if (!strcmp(path, "var/lib/rpm/rpmdb.sqlite") || !strcmp(path, "usr/lib/sysimage/rpm/rpmdb.sqlite"))
		return (qn_capture){QN_CAPTURE_WHOLE, 512 << 20, true};
	if (!strcmp(path, "var/lib/rpm/Packages") || !strcmp(path, "usr/lib/sysimage/rpm/Packages") ||
	    !strcmp(path, "var/lib/rpm/Packages.db") || !strcmp(path, "usr/lib/sysimage/rpm/Packages.db"))
		return (qn_capture){QN_CAPTURE_WHOLE, 4096, false}; /* only to say which format it is */
	/* language metadata */
	if (in_dir_with_suffix(path, ".dist-info", "METADATA") || in_dir_with_suffix(path, ".egg-info", "PKG-INFO") ||
	    in_dir_with_suffix(path, ".egg-info", "installed-files.txt") || qn_str_has_suffix(path, ".egg-info"))
		return (qn_capture){QN_CAPTURE_WHOLE, 4 << 20, false};
	if (in_dir_with_suffix(path, ".dist-info", "RECORD"))
		return (qn_capture){QN_CAPTURE_WHOLE, 32 << 20, false};
	if (is_node_manifest(path))
		return (qn_capture){QN_CAPTURE_WHOLE, QN_NPM_MAX_JSON, false};
	if (has_ci_suffix(path, ".jar") || has_ci_suffix(path, ".war") || has_ci_suffix(path, ".ear") ||
	    has_ci_suffix(path, ".par"))
		return (qn_capture){QN_CAPTURE_WHOLE, 256 << 20, false};
	/* any executable may be a Go binary: scan it, keep only the build info */
	if (mode & 0111)
		return (qn_capture){QN_CAPTURE_GO_BUILDINFO, QN_GOBIN_MAGIC_LEN + QN_GOBIN_CHUNK, false};
	return (qn_capture){QN_CAPTURE_NONE, 0, false};
}

const qn_node *qn_inv_file(const qn_tree *t, const char *path)
{
	const qn_node *n = qn_tree_resolve(t, path, true, NULL, NULL);
	return n && n->type == QN_NODE_REG && n->content ? n : NULL;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const qn_pkg_file *)a)->path, ((const qn_pkg_file *)b)->path);
}

void qn_inv_resolve_files(const qn_tree *t, qn_package *p)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n_files; i++) {
		qn_pkg_file *f = &p->files[i];
		char *res = NULL;
		const qn_node *n = qn_tree_resolve(t, f->path, false, &res, NULL);
		if (!n || n->type == QN_NODE_DIR) {
			free(res);
			free(f->path);
			free(f->digest);
			continue;
		}
		free(f->path);
		f->path = res;
		f->size = n->type == QN_NODE_REG ? n->size : 0;
		p->files[k++] = *f;
	}
	p->n_files = k;
	if (!k)
		return;
	qsort(p->files, k, sizeof(*p->files), cmp_file);
	size_t w = 1;
	for (size_t i = 1; i < k; i++) {
		if (!strcmp(p->files[i].path, p->files[w - 1].path)) {
			free(p->files[i].path);
			free(p->files[i].digest);
			continue;
		}
		p->files[w++] = p->files[i];
	}
	p->n_files = w;
}

void qn_inv_mark_owned(qn_inventory *inv, size_t from)
{
	for (size_t i = from; i < inv->pkgs.n; i++)
		for (size_t j = 0; j < inv->pkgs.v[i].n_files; j++)
			if (!qn_strset_get(&inv->owned, inv->pkgs.v[i].files[j].path))
				qn_strset_put(&inv->owned, inv->pkgs.v[i].files[j].path, (void *)(uintptr_t)(i + 1));
}

static int cmp_pkg(const void *a, const void *b)
{
	const qn_package *x = a, *y = b;
	if (x->eco != y->eco)
		return (int)x->eco - (int)y->eco;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");
	if (!c)
		c = strcmp(x->version ? x->version : "", y->version ? y->version : "");
	if (!c)
		c = strcmp(x->arch ? x->arch : "", y->arch ? y->arch : "");
	if (!c)
		c = strcmp(x->location ? x->location : "", y->location ? y->location : "");
	return c;
}

qn_inventory *qn_inventory_build(const qn_tree *t, qn_error **err)
{
	qn_inventory *inv = xcalloc(1, sizeof(*inv));
	qn_os_detect(t, &inv->os);
	if (qn_inv_dpkg(inv, t, err) < 0 || qn_inv_apk(inv, t, err) < 0 || qn_inv_rpm(inv, t, err) < 0 ||
	    qn_inv_lang(inv, t, err) < 0) {
		qn_inventory_free(inv);
		return NULL;
	}
	qn_sort(inv->pkgs.v, inv->pkgs.n, sizeof(qn_package), cmp_pkg);
	/* the order changed: index the owners again */
	qn_strset_clear(&inv->owned);
	for (size_t i = 0; i < inv->pkgs.n; i++)
		if (inv->pkgs.v[i].eco == QN_ECO_DEB || inv->pkgs.v[i].eco == QN_ECO_APK ||
		    inv->pkgs.v[i].eco == QN_ECO_RPM)
			for (size_t j = 0; j < inv->pkgs.v[i].n_files; j++)
				if (!qn_strset_get(&inv->owned, inv->pkgs.v[i].files[j].path))
					qn_strset_put(&inv->owned, inv->pkgs.v[i].files[j].path,
						      (void *)(uintptr_t)(i + 1));
	return inv;
}

void qn_inventory_free(qn_inventory *inv)
{
	if (!inv)
		return;
	qn_os_info_clear(&inv->os);
	qn_pkglist_clear(&inv->pkgs);
	qn_osdb_warnings_clear(&inv->warn);
	qn_strset_clear(&inv->owned);
	free(inv);
}

const qn_os_info *qn_inventory_os(const qn_inventory *inv)
{
	return &inv->os;
}
size_t qn_inventory_count(const qn_inventory *inv)
{
	return inv->pkgs.n;
}
const qn_package *qn_inventory_get(const qn_inventory *inv, size_t i)
{
	return i < inv->pkgs.n ? &inv->pkgs.v[i] : NULL;
}
size_t qn_inventory_warning_count(const qn_inventory *inv)
{
	return inv->warn.lines.n;
}
const char *qn_inventory_warning(const qn_inventory *inv, size_t i)
{
	return i < inv->warn.lines.n ? inv->warn.lines.v[i] : NULL;
}

const qn_package *qn_inventory_owner(const qn_inventory *inv, const char *path)
{
	uintptr_t k = (uintptr_t)qn_strset_get(&inv->owned, path);
	return k ? &inv->pkgs.v[k - 1] : NULL;
}
