/* `quench db update`: downloads every enabled feed, then rebuilds the database. All feeds are
 * fetched first, each into an unlinked temporary file next to the database (nothing to clean
 * up, even after SIGKILL), with If-None-Match / If-Modified-Since from the sources table when
 * the URL is unchanged. Only when every download succeeded is anything written: changed feeds
 * are imported into a new database file (the rest copied from the old one) that is renamed into
 * place (also when nothing changed: the sources' fetched_at records the check). Any failure
 * before the rename leaves the database byte-identical. Network access goes through fetch.c
 * only; parsing through import.c. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "util/digest.h"
#include "vuln_int.h"

typedef struct {
	char *name, *url;
	qn_feed_kind expect;
	int fd;
	qn_fetch_res res;
	qn_vuln_source *old; /* the stored source of this name, or NULL */
} feed;

/* With a mirror, the scheme and host of url are replaced by the mirror base; the path stays. */
static char *feed_url(const qn_vuln_feeds *f, const char *base, const char *path)
{
	const char *b = base;
	if (f->mirror) {
		const char *s = strstr(base, "://");
		const char *p = s ? strchr(s + 3, '/') : NULL;
		return xasprintf("%s%s%s", f->mirror, p ? p : "", path);
	}
	return xasprintf("%s%s", b, path);
}

static void add_feed(qn_ptrvec *v, char *name, char *url, qn_feed_kind k)
{
	feed *fd = xcalloc(1, sizeof(*fd));
	fd->name = name;
	fd->url = url;
	fd->expect = k;
	fd->fd = -1;
	qn_ptrvec_push(v, fd);
}

static void build_feeds(const qn_vuln_feeds *f, qn_ptrvec *v)
{
	for (size_t i = 0; f->osv && i < f->n_osv_ecosystems; i++) {
		_cleanup_free_ char *path = xasprintf("/%s/all.zip", f->osv_ecosystems[i]);
		add_feed(v, xasprintf("osv/%s", f->osv_ecosystems[i]), feed_url(f, f->osv_url, path), QN_FEED_ZIP);
	}
	if (f->debian_tracker)
		add_feed(v, xstrdup("debian-tracker"), feed_url(f, f->debian_tracker_url, ""), QN_FEED_DEBTRACKER);
	for (size_t i = 0; f->alpine_secdb && i < f->n_alpine_releases; i++)
		for (size_t k = 0; k < f->n_alpine_repos; k++) {
			_cleanup_free_ char *path = xasprintf("/%s/%s.json", f->alpine_releases[i], f->alpine_repos[k]);
			add_feed(v, xasprintf("alpine-secdb/%s/%s", f->alpine_releases[i], f->alpine_repos[k]),
				 feed_url(f, f->alpine_secdb_url, path), QN_FEED_SECDB);
		}
}

static void feed_free(void *p)
{
	feed *f = p;
	if (f->fd >= 0)
		close(f->fd);
	qn_fetch_res_clear(&f->res);
	free(f->name);
	free(f->url);
	free(f);
}

/* An unlinked file in the database's folder: the download never lands in a name. */
static int temp_fd(const char *db_path, qn_error **err)
{
	_cleanup_free_ char *c1 = xstrdup(db_path), *c2 = xstrdup(db_path);
	_cleanup_free_ char *tmpl = xasprintf("%s/.%s.dl.XXXXXX", dirname(c1), basename(c2));
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s: cannot create a download file next to it", db_path);
	unlink(tmpl);
	return fd;
}

static int fetch_one(const char *db_path, const qn_vuln_feeds *f, feed *fd, qn_error **err)
{
	fd->fd = temp_fd(db_path, err);
	if (fd->fd < 0)
		return -1;
	bool cond = fd->old && fd->old->url && !strcmp(fd->old->url, fd->url);
	qn_fetch_req req = {.url = fd->url,
			    .etag = cond ? fd->old->etag : NULL,
			    .last_modified = cond ? fd->old->last_modified : NULL,
			    .max_size = f->max_size,
			    .timeout = f->timeout,
			    .connect_timeout = f->connect_timeout,
			    .retries = f->retries,
			    .retry_delay = f->retry_delay,
			    .fd = fd->fd};
	if (qn_fetch(&req, &fd->res, err) < 0)
		return qn_error_prefix(err, "update %s", fd->name);
	qn_info("%s: %s (%llu bytes)", fd->name, fd->res.status == 304 ? "not modified" : "downloaded",
		(unsigned long long)fd->res.size);
	return 0;
}

/* "Wed, 12 Feb 2025 10:00:00 GMT" -> RFC 3339, for feeds whose records carry no dates. */
static const char *http_date(const char *s, char out[static 32])
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s || !strptime(s, "%a, %d %b %Y %H:%M:%S", &tm))
		return NULL;
	return qn_vuln_time_str((int64_t)timegm(&tm), out);
}

static int import_feed(qn_vulndb_writer *w, feed *fd, qn_vuln_result *r, qn_error **err)
{
	size_t len = (size_t)fd->res.size;
	void *p = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd->fd, 0) : NULL;
	if (len && p == MAP_FAILED)
		return qn_error_errno(err, errno, "%s: mmap", fd->name);
	qn_feed_kind k = qn_feed_detect(p ? p : "", len);
	int rc = -1;
	if (k != fd->expect) {
		qn_error_set(err, QN_ERR_INPUT, "update %s: %s: expected %s, got %s", fd->name, fd->url,
			     fd->expect == QN_FEED_ZIP ? "an OSV zip" : qn_feed_kind_name(fd->expect),
			     len == 0               ? "an empty body"
			     : k == QN_FEED_UNKNOWN ? "something else"
						    : qn_feed_kind_name(k));
	} else {
		qn_digest d;
		char hex[129], date[32];
		qn_digest_buf(QN_DIGEST_SHA256, p ? p : "", len, &d);
		qn_vuln_source_meta m = {.name = fd->name,
					 .kind = qn_feed_kind_name(k),
					 .url = fd->url,
					 .etag = fd->res.etag,
					 .last_modified = fd->res.last_modified,
					 .data_date = http_date(fd->res.last_modified, date),
					 .sha256 = qn_digest_hex(&d, hex)};
		_cleanup_free_ char *what = xasprintf("update %s", fd->name);
		if (qn_vulndb_writer_source_begin(w, &m, err) == 0 &&
		    qn_vuln_import_mem(w, p ? p : "", len, what, NULL, err) == 0 &&
		    qn_vulndb_writer_source_end(w, r, err) == 0) {
			r->action = "updated";
			r->bytes = len;
			rc = 0;
		}
	}
	if (p)
		munmap(p, len);
	return rc;
}

static void old_result(const feed *fd, qn_vuln_result *r)
{
	*r = (qn_vuln_result){.name = xstrdup(fd->name),
			      .kind = xstrdup(fd->old->kind),
			      .action = "not modified",
			      .records = fd->old->records,
			      .affected = fd->old->affected,
			      .skipped = fd->old->skipped};
}

static int rebuild(const char *db_path, qn_ptrvec *feeds, qn_vuln_results *out, qn_error **err)
{
	qn_vulndb_writer *w = qn_vulndb_writer_new(db_path, err);
	if (!w)
		return -1;
	out->v = xcalloc(feeds->n ? feeds->n : 1, sizeof(*out->v));
	for (size_t i = 0; i < feeds->n; i++) {
		feed *fd = feeds->v[i];
		qn_vuln_result *r = &out->v[out->n];
		if (fd->res.status == 304 && fd->old) {
			qn_vulndb_writer_touch(w, fd->name, NULL);
			old_result(fd, r);
		} else if (import_feed(w, fd, r, err) < 0) {
			qn_vulndb_writer_free(w);
			return -1;
		}
		out->n++;
	}
	return qn_vulndb_writer_commit(w, err);
}

static int load_old(const char *db_path, qn_ptrvec *feeds, qn_vuln_source **src, size_t *n_src, qn_error **err)
{
	*src = NULL;
	*n_src = 0;
	if (access(db_path, F_OK) != 0)
		return 0;
	qn_vulndb *db = qn_vulndb_open(db_path, err);
	if (!db)
		return -1;
	int rc = qn_vulndb_sources(db, src, n_src, err);
	qn_vulndb_close(db);
	for (size_t i = 0; rc == 0 && i < feeds->n; i++) {
		feed *fd = feeds->v[i];
		for (size_t k = 0; k < *n_src; k++)
			if (!strcmp((*src)[k].name, fd->name))
				fd->old = &(*src)[k];
	}
	return rc;
}

int qn_vulndb_update(const char *db_path, const qn_vuln_feeds *f, qn_vuln_results *res, qn_error **err)
{
	qn_ptrvec feeds = {0};
	build_feeds(f, &feeds);
	qn_vuln_source *src = NULL;
	size_t n_src = 0;
	qn_vuln_results out = {0};
	int rc = feeds.n ? 0 : qn_error_set(err, QN_ERR_USAGE, "update: no feeds enabled");
	if (rc == 0)
		rc = load_old(db_path, &feeds, &src, &n_src, err);
	for (size_t i = 0; rc == 0 && i < feeds.n; i++)
		rc = fetch_one(db_path, f, feeds.v[i], err);
	/* Even when every feed answered 304 the file is rebuilt (to record the check time): the
	 * database is never modified in place, so no journal can be left behind. */
	if (rc == 0)
		rc = rebuild(db_path, &feeds, &out, err);
	qn_ptrvec_clear(&feeds, feed_free);
	qn_vuln_sources_free(src, n_src);
	if (rc < 0) {
		qn_vuln_results_clear(&out);
		return -1;
	}
	*res = out;
	return 0;
}
