/* quench harden, phase by phase: read and unpack the image, profile it under the runtime, build
 * the keep set (profile, closure, essentials, rules, package metadata), decide every package's
 * fate, rewrite the package database honestly, and write the new image. Each phase is timed
 * for the report. The work folder (unpacked root, overlay, bundles) is private and removed on
 * every exit path. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harden_int.h"
#include "util/path.h"

void qn_harden_warn(qn_hardening *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	qn_ptrvec_push(&h->warnings, m);
	qn_warn("%s", m);
}

void qn_harden_set_content(qn_hardening *h, const char *path, unsigned char *data, size_t len)
{
	qn_blob *b = xcalloc(1, sizeof(*b));
	b->data = data;
	b->len = len;
	qn_blob *old = qn_strset_put(&h->contents, path, b);
	if (old) {
		free(old->data);
		free(old);
	}
}

const qn_blob *qn_harden_content(const qn_hardening *h, const char *path)
{
	return qn_strset_get(&h->contents, path);
}

/* Reads files of the unpacked image for the closure: beneath the root, never through a symlink. */
static uint8_t *read_rootfs(void *ud, const char *path, size_t max, size_t *len)
{
	qn_hardening *h = ud;
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	int fd = (int)syscall(SYS_openat2, h->rootfd, path, &how, sizeof(how));
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	size_t want = (size_t)QN_MIN((uint64_t)st.st_size, (uint64_t)max);
	uint8_t *buf = xmalloc(want + 1);
	ssize_t got = qn_read_full(fd, buf, want);
	close(fd);
	if (got < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)got;
	return buf;
}

static char *env_value(const json_t *config, const char *name)
{
	size_t i, nl = strlen(name);
	json_t *v;
	json_array_foreach (json_object_get(json_object_get(config, "config"), "Env"), i, v) {
		const char *s = json_string_value(v);
		if (s && !strncmp(s, name, nl) && s[nl] == '=')
			return xstrdup(s + nl + 1);
	}
	return NULL;
}

/* The closure names the loader configuration it read to resolve libraries. The loader itself
 * reads only ld.so.cache; ld.so.conf is ldconfig's input and stays only with ldconfig
 * (qn_harden_loader_config). */
static bool ldconfig_input(const char *path)
{
	return !strcmp(path, "etc/ld.so.conf") || qn_str_has_prefix(path, "etc/ld.so.conf.d/");
}

int qn_harden_closure(qn_hardening *h, qn_error **err)
{
	/* start from every kept regular file: ELF files and scripts are picked out by the closure */
	size_t n;
	const char **all = qn_strset_sorted(&h->keep.paths, &n);
	const char **start = xcalloc(n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const qn_node *node = qn_tree_lookup(h->tree, all[i]);
		if (node && node->type == QN_NODE_REG)
			start[k++] = all[i];
	}
	const json_t *cfg = qn_image_config(h->img);
	_cleanup_free_ char *ldp = env_value(cfg, "LD_LIBRARY_PATH");
	_cleanup_free_ char *pre = env_value(cfg, "LD_PRELOAD");
	_cleanup_free_ char *path = env_value(cfg, "PATH");
	const char *wd = qn_json_str(json_object_get(cfg, "config"), "WorkingDir");
	qn_closure_opts co = {
	    .read = read_rootfs, .read_ud = h, .ld_library_path = ldp, .ld_preload = pre, .path = path, .cwd = wd};
	qn_strset out = QN_STRSET_INIT;
	qn_ptrvec warnings = {0};
	int rc = qn_closure_elf(h->tree, &co, start, k, &out, &warnings, err);
	if (rc == 0)
		rc = qn_closure_shebang(h->tree, &co, start, k, &out, &warnings, err);
	free(start);
	free(all);
	const char **added = qn_strset_sorted(&out, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!qn_keep_has(&h->keep, added[i]) && !ldconfig_input(added[i]))
			qn_keep_path(&h->keep, added[i], false, "closure");
	free(added);
	for (size_t i = 0; i < warnings.n; i++)
		qn_harden_warn(h, "closure: %s", (char *)warnings.v[i]);
	qn_ptrvec_clear(&warnings, free);
	qn_strset_clear(&out);
	return rc;
}

/* Whether the loader, resolving an entry's path inside the hardened image, still reaches a
 * regular file: the final file and every symlink on the way must be kept. */
static bool ldcache_entry_kept(void *ud, const qn_ldcache_entry *e)
{
	qn_hardening *h = ud;
	qn_ptrvec hops = {0};
	_cleanup_free_ char *final = NULL;
	const qn_node *n = qn_harden_resolve(h->tree, NULL, e->value, true, &hops, &final);
	bool ok = n && n->type == QN_NODE_REG && qn_keep_has(&h->keep, final);
	for (size_t i = 0; ok && i < hops.n; i++)
		ok = qn_keep_has(&h->keep, hops.v[i]);
	qn_ptrvec_clear(&hops, free);
	return ok;
}

void qn_harden_ldcache(qn_hardening *h)
{
	h->ldcache_before = h->ldcache_after = -1;
	_cleanup_free_ char *final = NULL;
	const qn_node *n = qn_harden_resolve(h->tree, NULL, "etc/ld.so.cache", true, NULL, &final);
	if (!n || n->type != QN_NODE_REG || !qn_keep_has(&h->keep, final))
		return;
	size_t len = 0;
	_cleanup_free_ uint8_t *buf = read_rootfs(h, final, 256u << 20, &len);
	if (!buf) {
		qn_harden_warn(h, "%s: cannot be read; kept unchanged", final);
		return;
	}
	qn_error *err = NULL;
	qn_ldcache *c = qn_ldcache_parse(buf, len, &err);
	if (!c) {
		qn_harden_warn(h, "%s: %s; kept unchanged (the loader ignores it)", final, err->msg);
		qn_error_free(err);
		return;
	}
	size_t kept = 0, out_len = 0;
	uint8_t *out = qn_ldcache_write(c, ldcache_entry_kept, h, &out_len, &kept);
	h->ldcache_before = (long)c->n;
	h->ldcache_after = (long)kept;
	/* a cache that loses nothing stays byte for byte as it was; a hardlinked one is written as a
	 * link to its first name, so its content cannot be replaced here */
	if (kept == c->n || n->hardlink) {
		if (kept != c->n) {
			qn_harden_warn(h, "%s: hardlinked, kept unchanged with %zu entries for removed files", final,
				       c->n - kept);
			h->ldcache_after = (long)c->n;
		}
		free(out);
	} else {
		qn_strset_put(&h->rewritten, final, NULL);
		qn_harden_set_content(h, final, out, out_len);
	}
	qn_ldcache_free(c);
}

static int prepare(qn_hardening *h, qn_error **err)
{
	double t0 = qn_now();
	qn_tree_opts to = {.capture = qn_inventory_capture};
	h->tree = qn_tree_build(h->img, &to, err);
	if (!h->tree)
		return -1;
	h->inv = qn_inventory_build(h->tree, err);
	if (!h->inv)
		return -1;
	h->workdir = qn_work_dir_new(h->o->workdir_parent, qn_tree_get_stats(h->tree)->bytes, "quench-harden", err);
	if (!h->workdir)
		return -1;
	h->rootfs = xasprintf("%s/rootfs", h->workdir);
	qn_info("unpacking %s", qn_image_ref(h->img));
	if (qn_tree_extract(h->img, h->tree, h->rootfs, err) < 0)
		return -1;
	h->rootfd = open(h->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->rootfd < 0)
		return qn_error_errno(err, errno, "%s", h->rootfs);
	for (size_t i = 0; i < qn_image_layer_count(h->img); i++)
		h->size_before += qn_image_layer(h->img, i)->size;
	h->t.unpack = qn_now() - t0;
	return 0;
}

static int build_keep(qn_hardening *h, qn_error **err)
{
	qn_keep_init(&h->keep, h->tree);
	size_t n;
	const char **paths = qn_strset_sorted(&h->profile, &n);
	for (size_t i = 0; i < n; i++)
		qn_keep_path(&h->keep, paths[i], true, "profile");
	free(paths);
	qn_harden_essentials(h);
	qn_harden_rules_before(h);
	double t0 = qn_now();
	if (qn_harden_closure(h, err) < 0)
		return -1;
	h->t.closure = qn_now() - t0;
	qn_harden_tls_trust(h);
	qn_harden_loader_config(h);
	qn_harden_excludes(h);
	qn_harden_ldcache(h);
	/* a package's fate is decided on the final keep set; its metadata then stays with it (which
	 * only adds files of packages that stay, so the fates do not change; the counts do) */
	qn_harden_package_states(h);
	qn_harden_keep_package_metadata(h);
	qn_harden_package_states(h);
	qn_harden_rule_stats(h);
	qn_harden_rewrite_pkgdb(h);
	return 0;
}

void qn_harden_free_state(qn_hardening *h)
{
	if (h->rootfd > 0)
		close(h->rootfd);
	if (h->workdir) {
		qn_rm_rf(h->workdir);
		qn_cleanup_unregister(h->workdir);
	}
	free(h->workdir);
	free(h->rootfs);
	qn_keep_clear(&h->keep);
	qn_strset_clear(&h->profile);
	for (size_t i = 0; i < h->contents.cap; i++) {
		qn_blob *b = h->contents.keys && h->contents.keys[i] ? h->contents.vals[i] : NULL;
		if (b) {
			free(b->data);
			free(b);
		}
	}
	qn_strset_clear(&h->contents);
	qn_strset_clear(&h->rewritten);
	qn_strset_clear(&h->dropped_db);
	qn_strset_clear(&h->excluded);
	qn_strset_clear(&h->folder_links);
	free(h->pkgs);
	json_decref(h->probes);
	free(h->stopped_by);
	free(h->out_digest);
	qn_ptrvec_clear(&h->warnings, free);
	qn_inventory_free(h->inv);
	qn_tree_free(h->tree);
}

json_t *qn_harden(qn_image *img, const qn_harden_opts *opts, qn_error **err)
{
	qn_hardening h = {
	    .img = img, .o = opts, .rootfd = -1, .exit_status = -1, .ldcache_before = -1, .ldcache_after = -1};
	h.probes = json_array();
	double t0 = qn_now();
	json_t *report = NULL;
	int rc = prepare(&h, err);
	if (rc == 0)
		rc = qn_harden_profile(&h, err);
	if (rc == 0)
		rc = build_keep(&h, err);
	if (rc == 0 && qn_interrupted())
		rc = qn_error_set(err, QN_ERR_RUNTIME, "interrupted");
	if (rc == 0)
		rc = qn_harden_write(&h, err);
	h.t.total = qn_now() - t0;
	if (h.tree && h.inv)
		report = qn_harden_report(&h);
	qn_harden_free_state(&h);
	if (rc < 0) {
		json_decref(report);
		return NULL;
	}
	return report;
}
