/* Language packages in the inventory: Python (dist-info, egg-info), Node (package.json), Java
 * archives and Go binaries, found among the files the tree captured. As common scanners do, a
 * file owned by an OS package does not also produce a language package (Debian's python3-*
 * packages would otherwise be counted twice). Each package's layer is the layer of the file it
 * was read from. */
#include <strings.h>

#include "inventory_int.h"
#include "lang.h"
#include "util/path.h"

typedef struct {
	qn_inventory *inv;
	const qn_tree *t;
	size_t skipped_owned;
} lang_ctx;

static void warn_err(lang_ctx *c, const char *path, qn_error *e)
{
	qn_osdb_warn(&c->inv->warn, "%s: %s", path, e ? e->msg : "unreadable");
	qn_error_free(e);
}

static void add_files_from(lang_ctx *c, qn_package *p, const char *dir, const char *name, bool record)
{
	_cleanup_free_ char *path = qn_path_join(dir, name);
	const qn_node *n = qn_inv_file(c->t, path);
	if (!n)
		return;
	qn_error *e = NULL;
	int rc = record ? qn_python_parse_record(n->content, n->content_len, dir, p, &e)
			: qn_python_parse_installed_files(n->content, n->content_len, dir, p, &e);
	if (rc < 0)
		warn_err(c, path, e);
	else
		qn_error_free(e);
}

static void python(lang_ctx *c, const qn_node *n, const char *path)
{
	const char *base = qn_path_base(path);
	_cleanup_free_ char *dir = qn_path_dir(path);
	bool dist = !strcmp(base, "METADATA") && qn_str_has_suffix(dir, ".dist-info");
	bool egg_dir = !strcmp(base, "PKG-INFO") && qn_str_has_suffix(dir, ".egg-info");
	bool egg_file = qn_str_has_suffix(base, ".egg-info");
	if (!dist && !egg_dir && !egg_file)
		return;
	qn_package pkg = {0};
	qn_error *e = NULL;
	if (qn_python_parse_metadata(n->content, n->content_len, path, &pkg, &e) < 0) {
		warn_err(c, path, e);
		return;
	}
	if (dist)
		add_files_from(c, &pkg, dir, "RECORD", true);
	else if (egg_dir)
		add_files_from(c, &pkg, dir, "installed-files.txt", false);
	qn_package *p = qn_pkglist_add(&c->inv->pkgs);
	*p = pkg;
	p->layer = n->layer;
	qn_inv_resolve_files(c->t, p);
}

static void node_pkg(lang_ctx *c, const qn_node *n, const char *path)
{
	qn_package pkg = {0};
	qn_error *e = NULL;
	int rc = qn_npm_parse_package_json(n->content, n->content_len, path, &pkg, &e);
	if (rc < 0) {
		warn_err(c, path, e);
		return;
	}
	if (rc == 0)
		return;
	qn_package *p = qn_pkglist_add(&c->inv->pkgs);
	*p = pkg;
	p->layer = n->layer;
}

static void many(lang_ctx *c, const qn_node *n, const char *path, bool jar)
{
	size_t from = c->inv->pkgs.n;
	qn_error *e = NULL;
	int rc = jar ? qn_jar_parse(n->content, n->content_len, path, &c->inv->pkgs, &e)
		     : qn_gobin_parse(n->content, n->content_len, path, &c->inv->pkgs, &e);
	if (rc < 0) {
		warn_err(c, path, e);
		return;
	}
	if (jar && rc > 0)
		qn_osdb_warn(&c->inv->warn, "%s: %d nested archives could not be read", path, rc);
	if (n->content_truncated)
		qn_osdb_warn(&c->inv->warn, "%s: larger than the inventory reads; only its start was examined", path);
	for (size_t i = from; i < c->inv->pkgs.n; i++)
		c->inv->pkgs.v[i].layer = n->layer;
}

static int visit(void *ud, const qn_node *n, const char *path)
{
	lang_ctx *c = ud;
	if (n->type != QN_NODE_REG || !n->content)
		return 0;
	const char *base = qn_path_base(path);
	bool py = !strcmp(base, "METADATA") || !strcmp(base, "PKG-INFO") || qn_str_has_suffix(base, ".egg-info");
	bool js = !strcmp(base, "package.json");
	size_t bl = strlen(base);
	bool jar = bl > 4 && (!strcasecmp(base + bl - 4, ".jar") || !strcasecmp(base + bl - 4, ".war") ||
			      !strcasecmp(base + bl - 4, ".ear") || !strcasecmp(base + bl - 4, ".par"));
	bool go = !py && !js && !jar && n->content_len >= QN_GOBIN_MAGIC_LEN &&
		  !memcmp(n->content, QN_GOBIN_MAGIC, QN_GOBIN_MAGIC_LEN);
	if (!py && !js && !jar && !go)
		return 0;
	if (qn_inventory_owner(c->inv, path)) {
		c->skipped_owned++;
		return 0;
	}
	if (py)
		python(c, n, path);
	else if (js)
		node_pkg(c, n, path);
	else
		many(c, n, path, jar);
	return 0;
}

int qn_inv_lang(qn_inventory *inv, const qn_tree *t, qn_error **err)
{
	(void)err;
	lang_ctx c = {inv, t, 0};
	qn_tree_walk(t, visit, &c);
	return 0;
}
