/* What is kept besides the profile, and the default hardening rules.
 *
 * Essentials: what a running program needs even when a short profile never touched it — the
 * user and group databases, name service configuration, hosts and resolver files, the loader's
 * cache, os-release and the distribution's release files (scanners identify the OS by them),
 * the CA bundle when a TLS library is kept, the WorkingDir, Volumes and /tmp.
 *
 * Rules: categories that are removed unless the profile used them (shells, package managers,
 * compilers, docs, locales, caches); switching one off keeps the whole category. Each rule
 * counts what it removed for the report. */
#include "harden_int.h"
#include "util/path.h"

/* The loader reads ld.so.cache, never ld.so.conf: that is ldconfig's input, kept only with
 * ldconfig (qn_harden_loader_config). /etc/localtime is kept unless it names UTC (below). */
static const char *const essentials[] = {
    "etc/passwd",
    "etc/group",
    "etc/shadow",
    "etc/gshadow",
    "etc/nsswitch.conf",
    "etc/hosts",
    "etc/host.conf",
    "etc/resolv.conf",
    "etc/hostname",
    "etc/os-release",
    "usr/lib/os-release",
    "etc/ld.so.cache",
    /* scanners name the distribution (and so pick its advisories) by these files */
    "etc/debian_version",
    "etc/alpine-release",
    "etc/redhat-release",
    "etc/system-release",
    "etc/lsb-release",
    NULL,
};

typedef struct {
	unsigned rule;
	const char *name;
	const char *const *globs;
} category;

static const char *const shells[] = {"bin/sh",        "bin/bash",    "bin/dash",    "bin/rbash",    "bin/zsh",
				     "bin/ksh",       "bin/ash",     "usr/bin/sh",  "usr/bin/bash", "usr/bin/dash",
				     "usr/bin/rbash", "usr/bin/zsh", "usr/bin/ksh", "usr/bin/ash",  "usr/bin/busybox",
				     "bin/busybox",   NULL};
static const char *const pkg_managers[] = {"usr/bin/apt",
					   "usr/bin/apt-*",
					   "usr/bin/dpkg",
					   "usr/bin/dpkg-*",
					   "usr/sbin/dpkg-*",
					   "usr/lib/apt/**",
					   "usr/lib/dpkg/**",
					   "usr/share/dpkg/**",
					   "sbin/apk",
					   "usr/sbin/apk",
					   "usr/bin/rpm",
					   "usr/bin/rpm*",
					   "usr/bin/yum",
					   "usr/bin/dnf",
					   "usr/bin/microdnf",
					   "usr/bin/pip",
					   "usr/bin/pip3*",
					   "usr/lib/python3/dist-packages/pip/**",
					   "usr/local/bin/pip*",
					   "usr/lib/python3*/site-packages/pip/**",
					   "usr/local/lib/python3*/site-packages/pip/**",
					   "usr/bin/npm",
					   "usr/bin/npx",
					   "usr/lib/node_modules/npm/**",
					   NULL};
static const char *const compilers[] = {"usr/bin/gcc*",
					"usr/bin/g++*",
					"usr/bin/cc",
					"usr/bin/c++",
					"usr/bin/cpp*",
					"usr/bin/x86_64-linux-gnu-*",
					"usr/bin/aarch64-linux-gnu-*",
					"usr/bin/ld",
					"usr/bin/ld.*",
					"usr/bin/as",
					"usr/bin/make",
					"usr/lib/gcc/**",
					"usr/libexec/gcc/**",
					"usr/include/**",
					"usr/bin/clang*",
					"usr/bin/rustc",
					"usr/bin/go",
					NULL};
static const char *const docs[] = {"usr/share/doc/**",
				   "usr/share/man/**",
				   "usr/share/info/**",
				   "usr/share/lintian/**",
				   "usr/share/gtk-doc/**",
				   "usr/local/share/man/**",
				   NULL};
static const char *const locales[] = {"usr/share/locale/**", "usr/lib/locale/**", "usr/share/i18n/**", NULL};
static const char *const caches[] = {"var/cache/apt/**", "var/lib/apt/lists/**", "var/cache/debconf/**",
				     "var/cache/apk/**", "var/cache/yum/**",     "var/cache/dnf/**",
				     "var/log/**",       "root/.cache/**",       NULL};

static const category categories[] = {
    {QN_RULE_SHELLS, "shells", shells},          {QN_RULE_PKG_MANAGERS, "package-managers", pkg_managers},
    {QN_RULE_COMPILERS, "compilers", compilers}, {QN_RULE_DOCS, "docs", docs},
    {QN_RULE_LOCALES, "locales", locales},       {QN_RULE_CACHES, "caches", caches},
};

/* Locales that stay whatever the rules say: C and C.UTF-8 are what programs fall back to. */
static bool c_locale(const char *path)
{
	return qn_str_has_prefix(path, "usr/lib/locale/C.utf8") || qn_str_has_prefix(path, "usr/lib/locale/C.UTF-8");
}

static bool in_category(const category *c, const char *path)
{
	if (c->rule == QN_RULE_LOCALES && c_locale(path))
		return false;
	for (size_t i = 0; c->globs[i]; i++)
		if (qn_path_glob_match(c->globs[i], path))
			return true;
	return false;
}

static bool tls_library(const char *path)
{
	const char *b = qn_path_base(path);
	return qn_str_has_prefix(b, "libssl.so") || qn_str_has_prefix(b, "libgnutls.so") ||
	       qn_str_has_prefix(b, "libnss3.so") || qn_str_has_prefix(b, "libmbedtls.so") ||
	       qn_str_has_prefix(b, "libwolfssl.so");
}

static void keep_config_paths(qn_hardening *h)
{
	const json_t *c = json_object_get(qn_image_config(h->img), "config");
	const char *wd = qn_json_str(c, "WorkingDir");
	if (wd && *wd)
		qn_keep_path(&h->keep, wd, true, "config");
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(c, "Volumes"), k, v)
		qn_keep_path(&h->keep, k, true, "config");
	if (qn_tree_lookup(h->tree, "tmp"))
		qn_keep_path(&h->keep, "tmp", false, "essential");
}

/* glibc without /etc/localtime (and without TZ) uses UTC: a link to a UTC zone file says the
 * same thing, so it need not keep the time zone database. Any other zone stays. */
static bool localtime_is_utc(const qn_tree *t)
{
	const qn_node *n = qn_tree_lookup(t, "etc/localtime");
	if (!n || n->type != QN_NODE_SYMLINK)
		return false;
	char *res = NULL;
	const qn_node *to = qn_tree_resolve(t, "etc/localtime", true, &res, NULL);
	_cleanup_free_ char *resolved = res;
	if (!to || to->type != QN_NODE_REG || !resolved || !qn_str_has_prefix(resolved, "usr/share/zoneinfo/"))
		return false;
	static const char *const utc[] = {"UTC",           "Etc/UTC", "UCT",      "Etc/UCT", "Universal",
					  "Etc/Universal", "Zulu",    "Etc/Zulu", "Etc/GMT", "GMT",
					  "Etc/GMT0",      "GMT0",    NULL};
	const char *zone = resolved + strlen("usr/share/zoneinfo/");
	for (size_t i = 0; utc[i]; i++)
		if (!strcmp(zone, utc[i]))
			return true;
	return false;
}

void qn_harden_essentials(qn_hardening *h)
{
	for (size_t i = 0; essentials[i]; i++)
		if (qn_tree_resolve(h->tree, essentials[i], false, NULL, NULL))
			qn_keep_path(&h->keep, essentials[i], true, "essential");
	if (qn_tree_lookup(h->tree, "etc/localtime") && !localtime_is_utc(h->tree))
		qn_keep_path(&h->keep, "etc/localtime", true, "essential");
	keep_config_paths(h);
	for (size_t i = 0; i < QN_ARRAY_LEN(h->rules); i++)
		h->rules[i].rule = 0;
	h->rules[0] = (qn_rule_stat){QN_RULE_SETUID, "setuid", 0, 0, 0, !(h->o->rules & QN_RULE_SETUID)};
	for (size_t i = 0; i < QN_ARRAY_LEN(categories); i++)
		h->rules[i + 1] = (qn_rule_stat){
		    categories[i].rule, categories[i].name, 0, 0, 0, !(h->o->rules & categories[i].rule)};
}

typedef struct {
	qn_hardening *h;
	bool tls;
} walk_ctx;

static int keep_switched_off(void *ud, const qn_node *n, const char *path)
{
	walk_ctx *w = ud;
	qn_hardening *h = w->h;
	if (!*path || n->type == QN_NODE_DIR)
		return 0;
	for (size_t i = 0; i < QN_ARRAY_LEN(categories); i++)
		if (!(h->o->rules & categories[i].rule) && in_category(&categories[i], path))
			qn_keep_path(&h->keep, path, true, categories[i].name);
	return 0;
}

/* Before the closure: switched-off categories, --include paths. */
void qn_harden_rules_before(qn_hardening *h)
{
	if ((h->o->rules & QN_RULE_ALL) != QN_RULE_ALL) {
		walk_ctx w = {h, false};
		qn_tree_walk(h->tree, keep_switched_off, &w);
	}
	for (size_t i = 0; i < h->o->n_includes; i++) {
		const char *p = h->o->includes[i];
		while (*p == '/')
			p++;
		const qn_node *n = qn_tree_resolve(h->tree, p, true, NULL, NULL);
		if (!n)
			qn_harden_warn(h, "--include %s: not in the image", h->o->includes[i]);
		else if (n->type == QN_NODE_DIR)
			qn_keep_subtree(&h->keep, p, "include");
		else
			qn_keep_path(&h->keep, p, true, "include");
	}
}

static int tls_scan(void *ud, const qn_node *n, const char *path)
{
	walk_ctx *w = ud;
	if (n->type == QN_NODE_REG && qn_keep_has(&w->h->keep, path) && tls_library(path))
		w->tls = true;
	return w->tls;
}

static int count_rules(void *ud, const qn_node *n, const char *path)
{
	qn_hardening *h = ud;
	if (!*path || n->type == QN_NODE_DIR)
		return 0;
	bool kept = qn_keep_has(&h->keep, path);
	if (kept && n->type == QN_NODE_REG && (n->mode & 06000) && (h->o->rules & QN_RULE_SETUID))
		h->setuid_stripped++;
	for (size_t i = 0; i < QN_ARRAY_LEN(categories); i++) {
		if (!in_category(&categories[i], path))
			continue;
		qn_rule_stat *r = &h->rules[i + 1];
		if (kept)
			r->files_used++;
		else {
			r->files_removed++;
			r->bytes_removed += n->type == QN_NODE_REG ? n->size : 0;
		}
		break;
	}
	return 0;
}

/* After the closure: the CA bundle when a TLS library is in use. */
void qn_harden_tls_trust(qn_hardening *h)
{
	walk_ctx w = {h, false};
	qn_tree_walk(h->tree, tls_scan, &w);
	if (w.tls) {
		/* the trust store and OpenSSL's configuration; not usr/lib/ssl/misc (CA scripts) */
		static const char *ca[] = {"etc/ssl/certs",
					   "etc/ssl/openssl.cnf",
					   "etc/ssl/cert.pem",
					   "usr/lib/ssl/certs",
					   "usr/lib/ssl/cert.pem",
					   "usr/lib/ssl/openssl.cnf",
					   "etc/pki/tls/certs",
					   "etc/pki/tls/cert.pem",
					   "etc/pki/ca-trust/extracted",
					   "etc/ca-certificates.conf",
					   NULL};
		for (size_t i = 0; ca[i]; i++) {
			const qn_node *n = qn_tree_resolve(h->tree, ca[i], true, NULL, NULL);
			if (n && n->type == QN_NODE_DIR)
				qn_keep_subtree(&h->keep, ca[i], "tls-trust");
			else if (n)
				qn_keep_path(&h->keep, ca[i], true, "tls-trust");
		}
	}
}

/* After the closure: ldconfig's configuration when ldconfig itself stays (the profile ran it,
 * or a kept script calls it), so that running it rebuilds the same cache. */
void qn_harden_loader_config(qn_hardening *h)
{
	if (!qn_keep_has(&h->keep, "usr/sbin/ldconfig") && !qn_keep_has(&h->keep, "sbin/ldconfig"))
		return;
	if (qn_tree_resolve(h->tree, "etc/ld.so.conf", false, NULL, NULL))
		qn_keep_path(&h->keep, "etc/ld.so.conf", true, "essential");
	const qn_node *confd = qn_tree_resolve(h->tree, "etc/ld.so.conf.d", true, NULL, NULL);
	if (confd && confd->type == QN_NODE_DIR)
		qn_keep_subtree(&h->keep, "etc/ld.so.conf.d", "essential");
}

/* Last: what each rule removed or saw used, for the report. */
void qn_harden_rule_stats(qn_hardening *h)
{
	qn_tree_walk(h->tree, count_rules, h);
}

void qn_harden_excludes(qn_hardening *h)
{
	if (!h->o->n_excludes)
		return;
	size_t n;
	const char **all = qn_strset_sorted(&h->keep.paths, &n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < h->o->n_excludes; j++)
			if (qn_path_glob_match(h->o->excludes[j], all[i])) {
				qn_strset_add(&h->excluded, all[i]);
				break;
			}
	for (size_t i = 0; i < h->excluded.cap; i++)
		if (h->excluded.keys[i])
			qn_strset_remove(&h->keep.paths, h->excluded.keys[i]);
	free(all);
}
