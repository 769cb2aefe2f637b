/* Feed settings for `quench db update`: which feeds to download and from where, from defaults,
 * the [db] section of the config file and command-line settings, all through one key namespace
 * (qn_vuln_feeds_set). It does not download anything (download.c does). */

#include "vuln_int.h"

static const char *const default_ecosystems[] = {"Debian", "Alpine", "PyPI", "npm", "Go", "Maven"};
static const char *const default_alpine_releases[] = {"v3.19", "v3.20", "v3.21", "v3.22", "edge"};
static const char *const default_alpine_repos[] = {"main", "community"};

static void set_list(char ***v, size_t *n, const char *const *src, size_t cnt)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = cnt ? xcalloc(cnt, sizeof(char *)) : NULL;
	for (size_t i = 0; i < cnt; i++)
		(*v)[i] = xstrdup(src[i]);
	*n = cnt;
}

void qn_vuln_feeds_init(qn_vuln_feeds *f)
{
	memset(f, 0, sizeof(*f));
	f->osv_url = xstrdup("https://osv-vulnerabilities.storage.googleapis.com");
	f->debian_tracker_url = xstrdup("https://security-tracker.debian.org/tracker/data/json");
	f->alpine_secdb_url = xstrdup("https://secdb.alpinelinux.org");
	set_list(&f->osv_ecosystems, &f->n_osv_ecosystems, default_ecosystems, QN_ARRAY_LEN(default_ecosystems));
	set_list(&f->alpine_releases, &f->n_alpine_releases, default_alpine_releases,
		 QN_ARRAY_LEN(default_alpine_releases));
	set_list(&f->alpine_repos, &f->n_alpine_repos, default_alpine_repos, QN_ARRAY_LEN(default_alpine_repos));
	f->osv = f->debian_tracker = f->alpine_secdb = true;
	f->max_size = 2ULL << 30;
	f->timeout = 600;
	f->connect_timeout = 30;
	f->retries = 4;
	f->retry_delay = 1.0;
}

void qn_vuln_feeds_clear(qn_vuln_feeds *f)
{
	free(f->osv_url);
	free(f->debian_tracker_url);
	free(f->alpine_secdb_url);
	free(f->mirror);
	set_list(&f->osv_ecosystems, &f->n_osv_ecosystems, NULL, 0);
	set_list(&f->alpine_releases, &f->n_alpine_releases, NULL, 0);
	set_list(&f->alpine_repos, &f->n_alpine_repos, NULL, 0);
	memset(f, 0, sizeof(*f));
}

/* Names that become URL path segments: no separators, queries or escapes. */
static bool segment_ok(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("/?#%\\", *p))
			return false;
	return true;
}

/* "a b,c" -> {a, b, c}. Returns -1 when an element is not a valid path segment. */
static int parse_list(const char *key, const char *value, char ***v, size_t *n, qn_error **err)
{
	qn_ptrvec items = {0};
	_cleanup_free_ char *copy = xstrdup(value);
	char *save = NULL;
	for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
		if (!segment_ok(t)) {
			qn_ptrvec_clear(&items, NULL);
			return qn_error_set(err, QN_ERR_USAGE, "%s: \"%.60s\" is not a valid name", key, t);
		}
		qn_ptrvec_push(&items, t);
	}
	set_list(v, n, (const char *const *)items.v, items.n);
	qn_ptrvec_clear(&items, NULL);
	return 0;
}

static int set_url(const char *key, const char *value, char **slot, qn_error **err)
{
	if (!qn_str_has_prefix(value, "https://") && !qn_str_has_prefix(value, "http://") &&
	    !qn_str_has_prefix(value, "file:/"))
		return qn_error_set(err, QN_ERR_USAGE, "%s: want an http(s):// or file:/ URL, got \"%.100s\"", key,
				    value);
	free(*slot);
	*slot = xstrdup(value);
	size_t n = strlen(*slot);
	while (n > 8 && (*slot)[n - 1] == '/')
		(*slot)[--n] = 0; /* bases are joined with "/" */
	return 0;
}

static int set_feeds(qn_vuln_feeds *f, const char *value, qn_error **err)
{
	char **v = NULL;
	size_t n = 0;
	if (parse_list("feeds", value, &v, &n, err) < 0)
		return -1;
	f->osv = f->debian_tracker = f->alpine_secdb = false;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!strcmp(v[i], "osv"))
			f->osv = true;
		else if (!strcmp(v[i], "debian-tracker"))
			f->debian_tracker = true;
		else if (!strcmp(v[i], "alpine-secdb"))
			f->alpine_secdb = true;
		else
			rc = qn_error_set(err, QN_ERR_USAGE,
					  "feeds: unknown feed \"%s\" (osv, debian-tracker, alpine-secdb)", v[i]);
	}
	set_list(&v, &n, NULL, 0);
	return rc;
}

static int set_number(const char *key, const char *value, double lo, double hi, double *out, qn_error **err)
{
	if (qn_parse_double(value, lo, hi, out) < 0)
		return qn_error_set(err, QN_ERR_USAGE, "%s: want a number from %g to %g, got \"%.40s\"", key, lo, hi,
				    value);
	return 0;
}

int qn_vuln_feeds_set(qn_vuln_feeds *f, const char *key, const char *value, qn_error **err)
{
	double d;
	uint64_t sz;
	if (!strcmp(key, "mirror"))
		return set_url(key, value, &f->mirror, err);
	if (!strcmp(key, "osv-url"))
		return set_url(key, value, &f->osv_url, err);
	if (!strcmp(key, "debian-tracker-url"))
		return set_url(key, value, &f->debian_tracker_url, err);
	if (!strcmp(key, "alpine-secdb-url"))
		return set_url(key, value, &f->alpine_secdb_url, err);
	if (!strcmp(key, "osv-ecosystems"))
		return parse_list(key, value, &f->osv_ecosystems, &f->n_osv_ecosystems, err);
	if (!strcmp(key, "alpine-releases"))
		return parse_list(key, value, &f->alpine_releases, &f->n_alpine_releases, err);
	if (!strcmp(key, "alpine-repos"))
		return parse_list(key, value, &f->alpine_repos, &f->n_alpine_repos, err);
	if (!strcmp(key, "feeds"))
		return set_feeds(f, value, err);
	if (!strcmp(key, "max-size")) {
		if (qn_parse_size(value, &sz) < 0 || sz == 0)
			return qn_error_set(err, QN_ERR_USAGE, "max-size: bad size \"%.40s\"", value);
		f->max_size = sz;
		return 0;
	}
	if (!strcmp(key, "timeout") || !strcmp(key, "connect-timeout")) {
		if (set_number(key, value, 1, 86400, &d, err) < 0)
			return -1;
		*(key[0] == 't' ? &f->timeout : &f->connect_timeout) = (long)d;
		return 0;
	}
	if (!strcmp(key, "retries")) {
		if (set_number(key, value, 0, 20, &d, err) < 0)
			return -1;
		f->retries = (int)d;
		return 0;
	}
	if (!strcmp(key, "retry-delay"))
		return set_number(key, value, 0.01, 600, &f->retry_delay, err);
	return qn_error_set(err, QN_ERR_USAGE, "unknown setting \"%.60s\"", key);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

int qn_vuln_feeds_parse(qn_vuln_feeds *f, const char *text, size_t len, const char *name, qn_error **err)
{
	if (memchr(text, 0, len))
		return qn_error_set(err, QN_ERR_USAGE, "%s: a NUL byte: not a text file", name);
	_cleanup_free_ char *copy = xstrndup(text, len);
	bool in_db = false;
	int lineno = 0;
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			in_db = !strcmp(l, "[db]");
			continue;
		}
		if (!in_db)
			continue;
		char *eq = strchr(l, '=');
		if (!eq)
			return qn_error_set(err, QN_ERR_USAGE, "%s: line %d: want KEY = VALUE", name, lineno);
		*eq = 0;
		if (qn_vuln_feeds_set(f, trim(l), trim(eq + 1), err) < 0)
			return qn_error_prefix(err, "%s: line %d", name, lineno);
	}
	return 0;
}

int qn_vuln_feeds_load(qn_vuln_feeds *f, const char *path, bool must_exist, qn_error **err)
{
	qn_error *rerr = NULL;
	size_t len = 0;
	_cleanup_free_ char *text = qn_read_file(path, 1 << 20, &len, &rerr);
	if (!text) {
		if (!must_exist && rerr->kind == QN_ERR_NOTFOUND) {
			qn_error_free(rerr);
			return 0;
		}
		*err = rerr;
		return -1;
	}
	return qn_vuln_feeds_parse(f, text, len, path, err);
}

char *qn_vuln_config_default_path(void)
{
	const char *c = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	if (c && *c == '/')
		return xasprintf("%s/quench/config", c);
	if (h && *h)
		return xasprintf("%s/.config/quench/config", h);
	return NULL;
}
