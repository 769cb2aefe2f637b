/* `quench db import`: local inputs into the database. Detects each input by content (a folder
 * tree of OSV records, an OSV all.zip, one OSV record, the Debian tracker JSON, an Alpine secdb
 * file), feeds it to its parser and the parser's records to a writer, one source per input.
 * Policy for malformed data (docs/vulndb.md): inside a tree or zip, a record that does not parse
 * or is over the limits is skipped with a warning and counted; a damaged container (a truncated
 * zip, a tracker document cut short) or a single-record input that is malformed aborts the whole
 * import; --strict makes every skip fatal. It does not download (update.c does). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/digest.h"
#include "util/json.h"
#include "util/zip.h"
#include "vuln_int.h"

typedef struct {
	qn_vulndb_writer *w;
	const qn_vuln_import_opts *o;
	uint64_t max_record;
	qn_buf buf; /* reused for every file of a tree */
	uint64_t files;
} import_ctx;

static void skipped(import_ctx *c, const char *fmt, ...) QN_PRINTF(2, 3);
static void skipped(import_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	qn_vuln_sink *s = qn_vulndb_writer_sink(c->w);
	s->skipped(s, msg);
}

/* A strict writer turns the first skip into the import's error. */
static int strict_check(import_ctx *c, qn_error **err)
{
	const qn_error *e = qn_vulndb_writer_error(c->w);
	if (e)
		return qn_error_set(err, e->kind, "%s", e->msg);
	return 0;
}

/* Counts a parse outcome inside a tree or zip: a malformed record is skipped, not fatal. */
static int member_done(import_ctx *c, int rc, qn_error *perr, qn_error **err)
{
	if (rc < 0) {
		if (perr->kind == QN_ERR_RUNTIME) { /* the database failed, not the record */
			*err = perr;
			return -1;
		}
		skipped(c, "%s", perr->msg);
		qn_error_free(perr);
	}
	c->files++;
	if (c->files % 10000 == 0)
		qn_info("%llu records read", (unsigned long long)c->files);
	return strict_check(c, err);
}

/* One OSV record inside a zip. */
static int osv_member(import_ctx *c, const uint8_t *buf, size_t len, const char *what, qn_error **err)
{
	qn_error *perr = NULL;
	qn_vulndb_writer_set_merge(c->w, false);
	int rc = qn_osv_parse(buf, len, c->max_record, what, qn_vulndb_writer_sink(c->w), &perr);
	return member_done(c, rc, perr, err);
}

/* One file of a folder tree: parsed once, then dispatched on its keys. OSV records are the
 * norm; a secdb document is accepted too; anything else (the tracker is a whole-file feed, not
 * a tree member) is skipped. */
static int tree_member(import_ctx *c, const uint8_t *buf, size_t len, const char *what, qn_error **err)
{
	qn_error *perr = NULL;
	qn_vuln_sink *sink = qn_vulndb_writer_sink(c->w);
	json_t *j = qn_json_parse(buf, len, c->max_record, what, &perr);
	int rc = j ? 0 : -1;
	if (j && json_object_get(j, "id")) {
		qn_vulndb_writer_set_merge(c->w, false);
		rc = qn_osv_parse_json(j, what, sink, &perr);
	} else if (j && json_object_get(j, "distroversion") && json_object_get(j, "packages")) {
		qn_vulndb_writer_set_merge(c->w, true);
		rc = qn_secdb_parse_json(j, sink, &perr);
		if (rc < 0 && perr->kind != QN_ERR_RUNTIME)
			qn_error_prefix(&perr, "%s", what);
	} else if (j)
		rc = qn_error_set(&perr, QN_ERR_INPUT, "%s: not an OSV record", what);
	json_decref(j);
	return member_done(c, rc, perr, err);
}

static const char *hint_for(const uint8_t *buf, size_t len)
{
	if (len >= 6 && !memcmp(buf,
				"\xfd"
				"7zXZ",
				6))
		return " (an xz archive: unpack it first, e.g. tar -xJf)";
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return " (gzip-compressed: unpack it first)";
	return "";
}

static int import_zip(import_ctx *c, const uint8_t *buf, size_t len, const char *what, qn_error **err)
{
	qn_zip *z = qn_zip_open(buf, len, 0, err);
	if (!z)
		return qn_error_prefix(err, "%s", what);
	qn_zip_entry e;
	int rc;
	while ((rc = qn_zip_next(z, &e, err)) > 0) {
		if (qn_zip_is_dir(&e) || !qn_str_has_suffix(e.name, ".json"))
			continue;
		_cleanup_free_ char *ename = qn_str_quote(e.name, 200);
		_cleanup_free_ char *ewhat = xasprintf("%s: %s", what, ename);
		uint8_t *data = NULL;
		size_t n = 0;
		qn_error *zerr = NULL;
		if (qn_zip_read(z, &e, c->max_record, &data, &n, &zerr) < 0) {
			if (zerr->kind != QN_ERR_LIMIT) { /* a bad CRC or header: the archive is damaged */
				*err = zerr;
				rc = qn_error_prefix(err, "%s", what);
				break;
			}
			skipped(c, "%s: %s", what, zerr->msg);
			qn_error_free(zerr);
			if ((rc = strict_check(c, err)) < 0)
				break;
			continue;
		}
		rc = osv_member(c, data, n, ewhat, err);
		free(data);
		if (rc < 0)
			break;
	}
	if (rc < 0 && err && *err && !strstr((*err)->msg, what))
		qn_error_prefix(err, "%s", what);
	qn_zip_free(z);
	return rc < 0 ? -1 : 0;
}

/* A whole input held in memory: a zip, a single OSV record, a tracker or a secdb document. A
 * malformed single record is an error here (it is the whole input). */
static int import_buf(import_ctx *c, const uint8_t *buf, size_t len, const char *what, qn_error **err)
{
	qn_vuln_sink *sink = qn_vulndb_writer_sink(c->w);
	int rc;
	switch (qn_feed_detect(buf, len)) {
	case QN_FEED_ZIP:
		return import_zip(c, buf, len, what, err);
	case QN_FEED_OSV:
		qn_vulndb_writer_set_merge(c->w, false);
		rc = qn_osv_parse(buf, len, c->max_record, what, sink, err);
		break;
	case QN_FEED_DEBTRACKER:
		qn_vulndb_writer_set_merge(c->w, true);
		rc = qn_debtracker_parse(buf, len, sink, err);
		break;
	case QN_FEED_SECDB:
		qn_vulndb_writer_set_merge(c->w, true);
		rc = qn_secdb_parse(buf, len, sink, err);
		break;
	case QN_FEED_UNKNOWN:
	default:
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: not a recognised feed (OSV record or all.zip, Debian "
				    "tracker JSON, Alpine secdb)%s",
				    what, hint_for(buf, len));
	}
	if (rc < 0 && err && *err && (*err)->kind != QN_ERR_RUNTIME && !strstr((*err)->msg, what))
		qn_error_prefix(err, "%s", what);
	return rc < 0 ? -1 : strict_check(c, err);
}

static int read_small(import_ctx *c, int dfd, const char *name, const char *path, qn_error **err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return qn_error_errno(err, errno, "%s", path);
	if ((uint64_t)st.st_size > c->max_record) {
		skipped(c, "%s: %lld bytes is over the record limit of %llu", path, (long long)st.st_size,
			(unsigned long long)c->max_record);
		return strict_check(c, err);
	}
	qn_buf_reset(&c->buf);
	qn_buf_reserve(&c->buf, (size_t)st.st_size + 1);
	ssize_t n = qn_read_full(fd, c->buf.data, (size_t)st.st_size);
	if (n < 0)
		return qn_error_errno(err, errno, "%s", path);
	c->buf.len = (size_t)n;
	return tree_member(c, (const uint8_t *)c->buf.data, c->buf.len, path, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names so that the same tree always gives the same database. */
static int list_dir(int dfd, const char *path, qn_ptrvec *names, qn_error **err)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return qn_error_errno(err, errno, "%s", path);
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') /* also skips .git and editor droppings */
			qn_ptrvec_push(names, xstrdup(de->d_name));
	closedir(d);
	qn_sort(names->v, names->n, sizeof(void *), cmp_str);
	return 0;
}

static int walk(import_ctx *c, int dfd, const char *path, int depth, qn_error **err)
{
	if (depth > 64)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: folders nested deeper than 64 levels", path);
	qn_ptrvec names = {0};
	int rc = list_dir(dfd, path, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *name = names.v[i];
		_cleanup_free_ char *sub = xasprintf("%s/%s", path, name);
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = qn_error_errno(err, errno, "%s", sub);
		} else if (S_ISDIR(st.st_mode)) {
			int sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0)
				rc = qn_error_errno(err, errno, "%s", sub);
			else {
				rc = walk(c, sfd, sub, depth + 1, err);
				close(sfd);
			}
		} else if (S_ISREG(st.st_mode) && qn_str_has_suffix(name, ".json"))
			rc = read_small(c, dfd, name, sub, err);
	}
	qn_ptrvec_clear(&names, free);
	return rc;
}

typedef struct {
	void *p;
	size_t len;
} mapping;

static void unmapp(mapping *m)
{
	if (m->p && m->len)
		munmap(m->p, m->len);
}

/* Maps a whole input file read-only (feeds reach hundreds of megabytes; no copy on the heap). */
static int map_file(const char *path, uint64_t max, mapping *m, struct stat *st, qn_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0)
		return qn_error_errno(err, errno, "%s", path);
	if (!S_ISREG(st->st_mode))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not a regular file or folder", path);
	if ((uint64_t)st->st_size > max)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: %lld bytes is over the limit of %llu", path,
				    (long long)st->st_size, (unsigned long long)max);
	m->len = (size_t)st->st_size;
	m->p = m->len ? mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	if (m->len && m->p == MAP_FAILED) {
		m->p = NULL;
		return qn_error_errno(err, errno, "%s: mmap", path);
	}
	return 0;
}

int qn_vuln_import_mem(qn_vulndb_writer *w, const uint8_t *buf, size_t len, const char *what,
		       const qn_vuln_import_opts *o, qn_error **err)
{
	import_ctx c = {
	    .w = w, .o = o, .max_record = o && o->max_record_size ? o->max_record_size : QN_VULN_MAX_RECORD};
	qn_vulndb_writer_set_strict(w, o && o->strict);
	int rc = import_buf(&c, buf, len, what, err);
	qn_buf_clear(&c.buf);
	return rc;
}

/* Imports one path into the current source. */
static int import_path(import_ctx *c, const char *path, qn_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return qn_error_errno(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return qn_error_errno(err, errno, "%s", path);
		uint64_t before = c->files;
		if (walk(c, fd, path, 0, err) < 0)
			return -1;
		if (c->files == before)
			return qn_error_set(err, QN_ERR_INPUT, "%s: no *.json files in this folder", path);
		return 0;
	}
	_cleanup_(unmapp) mapping m = {0};
	if (map_file(path, c->o && c->o->max_file_size ? c->o->max_file_size : QN_VULN_MAX_FILE, &m, &st, err) < 0)
		return -1;
	return import_buf(c, m.p ? m.p : "", m.len, path, err);
}

/* Source metadata for a local input: name file:REALPATH, the file's time as the data date
 * (secdb and the tracker carry no dates of their own) and the file's digest. */
static void path_meta(const char *path, const char *kind, qn_vuln_source_meta *m, char **owned, char date[32])
{
	char *real = realpath(path, NULL);
	owned[0] = xasprintf("file:%s", real ? real : path);
	free(real);
	m->name = m->url = owned[0];
	m->kind = kind;
	struct stat st;
	if (stat(path, &st) < 0)
		return;
	m->data_date = qn_vuln_time_str((int64_t)st.st_mtime, date);
	mapping map = {0};
	qn_error *e = NULL;
	if (S_ISREG(st.st_mode) && map_file(path, QN_VULN_MAX_FILE, &map, &st, &e) == 0 && map.p) {
		qn_digest d;
		char hex[129];
		qn_digest_buf(QN_DIGEST_SHA256, map.p, map.len, &d);
		owned[1] = xstrdup(qn_digest_hex(&d, hex));
		m->sha256 = owned[1];
	}
	unmapp(&map);
	qn_error_free(e);
}

/* The kind of a path without importing it: "osv" for folders and zips. */
static const char *path_kind(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || S_ISDIR(st.st_mode))
		return "osv";
	mapping m = {0};
	qn_error *e = NULL;
	qn_feed_kind k = QN_FEED_UNKNOWN;
	if (map_file(path, QN_VULN_MAX_FILE, &m, &st, &e) == 0 && m.p)
		k = qn_feed_detect(m.p, m.len);
	unmapp(&m);
	qn_error_free(e);
	return qn_feed_kind_name(k);
}

static int import_one_source(import_ctx *c, const char *const *paths, size_t n, const qn_vuln_source_meta *m,
			     qn_vuln_results *res, qn_error **err)
{
	if (qn_vulndb_writer_source_begin(c->w, m, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (import_path(c, paths[i], err) < 0)
			return -1;
	res->v = xreallocarray(res->v, res->n + 1, sizeof(*res->v));
	qn_vuln_result *r = &res->v[res->n];
	if (qn_vulndb_writer_source_end(c->w, r, err) < 0)
		return -1;
	res->n++;
	if (r->records == 0 && r->skipped > 0)
		return qn_error_set(err, QN_ERR_INPUT, "%s: no valid record (%llu malformed entries skipped)", r->name,
				    (unsigned long long)r->skipped);
	return 0;
}

int qn_vulndb_import(const char *db_path, const char *const *paths, size_t n_paths, const qn_vuln_import_opts *o,
		     qn_vuln_results *res, qn_error **err)
{
	qn_vuln_import_opts dflt = {0};
	o = o ? o : &dflt;
	qn_vuln_results out = {0};
	import_ctx c = {.o = o, .max_record = o->max_record_size ? o->max_record_size : QN_VULN_MAX_RECORD};
	c.w = qn_vulndb_writer_new(db_path, err);
	if (!c.w)
		return -1;
	qn_vulndb_writer_set_strict(c.w, o->strict);
	int rc = 0;
	if (o->source) {
		const char *kind = n_paths ? path_kind(paths[0]) : "osv";
		for (size_t i = 1; i < n_paths; i++)
			if (strcmp(path_kind(paths[i]), kind) != 0)
				kind = "mixed";
		qn_vuln_source_meta m = {.name = o->source, .kind = kind, .url = n_paths == 1 ? paths[0] : NULL};
		rc = import_one_source(&c, paths, n_paths, &m, &out, err);
	}
	for (size_t i = 0; !o->source && rc == 0 && i < n_paths; i++) {
		char *owned[2] = {NULL, NULL}, date[32];
		qn_vuln_source_meta m = {0};
		path_meta(paths[i], path_kind(paths[i]), &m, owned, date);
		rc = import_one_source(&c, &paths[i], 1, &m, &out, err);
		free(owned[0]);
		free(owned[1]);
	}
	qn_buf_clear(&c.buf);
	if (rc == 0)
		rc = qn_vulndb_writer_commit(c.w, err);
	else
		qn_vulndb_writer_free(c.w);
	if (rc < 0) {
		qn_vuln_results_clear(&out);
		return -1;
	}
	*res = out;
	return 0;
}
