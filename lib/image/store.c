/* Blob stores (see store.h). An archive is indexed once by reading only its headers and seeking
 * over member data. Member names are normalised like every other archive path; duplicate names
 * are refused, because two tools could pick different copies of "manifest.json". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decomp.h"
#include "store.h"
#include "tar.h"
#include "util/path.h"

typedef struct {
	char *name;
	char *link; /* symlink target (raw), or NULL */
	bool is_reg;
	bool is_hardlink;
	uint64_t off, size;
} member;

struct qn_store {
	char *name;
	int dirfd;      /* folder stores */
	int fd;         /* archive stores */
	char *tmp_path; /* decompressed copy of a compressed archive */
	member *m;
	size_t n, cap;
	/* Folder stores: each blob is opened once and its fd kept until the store is freed, so that
	 * every later read of a name (a layer read again, by verify or harden) reads the file that
	 * was verified first, even if the folder changes meanwhile. */
	struct {
		char *name;
		int fd;
		uint64_t size;
	} * open;
	size_t n_open;
	pthread_mutex_t open_mu; /* layers are located from several worker threads at once */
};

const char *qn_store_name(const qn_store *s)
{
	return s->name;
}

qn_store *qn_store_open_dir(const char *dir, qn_error **err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s", dir);
		return NULL;
	}
	qn_store *s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(dir);
	s->dirfd = fd;
	s->fd = -1;
	pthread_mutex_init(&s->open_mu, NULL);
	return s;
}

void qn_store_free(qn_store *s)
{
	if (!s)
		return;
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->fd >= 0)
		close(s->fd);
	for (size_t i = 0; i < s->n_open; i++) {
		close(s->open[i].fd);
		free(s->open[i].name);
	}
	free(s->open);
	pthread_mutex_destroy(&s->open_mu);
	for (size_t i = 0; i < s->n; i++) {
		free(s->m[i].name);
		free(s->m[i].link);
	}
	free(s->m);
	if (s->tmp_path) {
		unlink(s->tmp_path);
		qn_cleanup_unregister(s->tmp_path);
		free(s->tmp_path);
	}
	free(s->name);
	free(s);
}

/* ---- archive index ---- */

typedef struct {
	qn_store *s;
	uint64_t max_members;
} index_ctx;

static member *find_member(qn_store *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].name, name))
			return &s->m[i];
	return NULL;
}

static int index_entry(void *ud, const qn_tar_entry *e, qn_error **err)
{
	index_ctx *c = ud;
	qn_store *s = c->s;
	_cleanup_free_ char *q = qn_str_quote(e->path, 200);
	char *name = NULL;
	if (qn_path_normalize(e->path, 4096, &name, err) < 0)
		return qn_error_prefix(err, "archive member \"%s\"", q);
	if (e->type == QN_TAR_DIR || !*name) {
		free(name);
		return 0;
	}
	if (find_member(s, name)) {
		free(name);
		return qn_error_set(err, QN_ERR_INPUT, "archive member \"%s\" appears twice", q);
	}
	if (s->n >= c->max_members) {
		free(name);
		return qn_error_set(err, QN_ERR_LIMIT, "archive has more than %llu members",
				    (unsigned long long)c->max_members);
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->m = xreallocarray(s->m, s->cap, sizeof(*s->m));
	}
	member *m = &s->m[s->n++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->off = e->data_offset;
	m->size = e->size;
	m->is_reg = e->type == QN_TAR_REG;
	if (e->type == QN_TAR_SYMLINK || e->type == QN_TAR_HARDLINK) {
		m->link = xstrdup(e->linkname);
		m->is_hardlink = e->type == QN_TAR_HARDLINK;
	}
	return 0;
}

static const qn_tar_callbacks index_cb = {.entry = index_entry};

int qn_store_index_buffer(const void *buf, size_t len, qn_error **err)
{
	qn_store s = {.dirfd = -1, .fd = -1, .name = "buffer"};
	index_ctx c = {&s, 10000};
	qn_tar_limits lim = {4096, 1 << 20};
	qn_tar_reader *r = qn_tar_reader_new(&index_cb, &c, &lim, "archive");
	int rc = qn_tar_reader_feed(r, buf, len, err);
	if (rc == 0)
		rc = qn_tar_reader_finish(r, err);
	qn_tar_reader_free(r);
	for (size_t i = 0; i < s.n; i++) {
		free(s.m[i].name);
		free(s.m[i].link);
	}
	free(s.m);
	return rc;
}

static int index_archive(qn_store *s, uint64_t max_members, qn_error **err)
{
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return qn_error_errno(err, errno, "%s", s->name);
	index_ctx c = {s, max_members};
	qn_tar_limits lim = {4096, 1 << 20};
	qn_tar_reader *r = qn_tar_reader_new(&index_cb, &c, &lim, s->name);
	uint64_t off = 0, size = (uint64_t)st.st_size;
	unsigned char blk[512 * 8];
	int rc = 0;
	while (rc == 0 && off < size) {
		uint64_t skip = qn_tar_reader_skippable(r);
		if (skip) {
			skip = QN_MIN(skip, size - off);
			qn_tar_reader_skip(r, skip);
			off += skip;
			continue;
		}
		/* one block at a time while in headers, so unwanted data can be skipped */
		size_t want = 512;
		ssize_t got = qn_pread_full(s->fd, blk, want, (off_t)off);
		if (got < 0) {
			rc = qn_error_errno(err, errno, "%s", s->name);
			break;
		}
		if (got == 0)
			break;
		rc = qn_tar_reader_feed(r, blk, (size_t)got, err);
		off += (uint64_t)got;
		if (qn_tar_reader_at_end(r))
			break; /* trailing padding is not read: nothing after the marker is used */
	}
	if (rc == 0)
		rc = qn_tar_reader_finish(r, err);
	qn_tar_reader_free(r);
	return rc;
}

/* Decompresses a compressed archive into a private temporary file. */
typedef struct {
	int fd;
	const char *path;
} copy_ctx;

static int copy_out(void *ud, const void *p, size_t n, qn_error **err)
{
	copy_ctx *c = ud;
	if (qn_write_full(c->fd, p, n) < 0)
		return qn_error_errno(err, errno, "%s", c->path);
	return 0;
}

static int decompress_to_temp(qn_store *s, int in_fd, qn_comp comp, qn_error **err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmp = xasprintf("%s/quench-archive.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s", tmp);
		free(tmp);
		return -1;
	}
	qn_cleanup_register(tmp);
	s->tmp_path = tmp;
	copy_ctx c = {fd, tmp};
	qn_decomp *d = qn_decomp_new(comp, copy_out, &c, s->name);
	unsigned char *buf = xmalloc(1 << 20);
	int rc = 0;
	for (;;) {
		ssize_t got = qn_read_full(in_fd, buf, 1 << 20);
		if (got < 0) {
			rc = qn_error_errno(err, errno, "%s", s->name);
			break;
		}
		if (got == 0)
			break;
		if ((rc = qn_decomp_feed(d, buf, (size_t)got, err)) < 0)
			break;
	}
	if (rc == 0)
		rc = qn_decomp_finish(d, err);
	qn_decomp_free(d);
	free(buf);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	return 0;
}

qn_store *qn_store_open_tar(const char *path, uint64_t max_members, qn_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	unsigned char head[8] = {0};
	ssize_t got = qn_pread_full(fd, head, sizeof(head), 0);
	if (got < 0) {
		qn_error_errno(err, errno, "%s", path);
		return NULL;
	}
	qn_store *s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(path);
	s->dirfd = -1;
	pthread_mutex_init(&s->open_mu, NULL);
	s->fd = -1;
	qn_comp comp = qn_comp_detect(head, (size_t)got, err);
	if (comp == QN_COMP_UNKNOWN) {
		qn_error_prefix(err, "%s", path);
		qn_store_free(s);
		return NULL;
	}
	if (comp == QN_COMP_NONE)
		s->fd = steal_fd(&fd);
	else if (decompress_to_temp(s, fd, comp, err) < 0) {
		qn_store_free(s);
		return NULL;
	}
	if (index_archive(s, max_members ? max_members : 100000, err) < 0) {
		qn_store_free(s);
		return NULL;
	}
	return s;
}

/* ---- lookup ---- */

static int locate_member(qn_store *s, const char *name, qn_blob_loc *out, qn_error **err)
{
	_cleanup_free_ char *cur = xstrdup(name);
	for (int hops = 0; hops < 16; hops++) {
		member *m = find_member(s, cur);
		if (!m)
			return qn_error_set(err, QN_ERR_NOTFOUND, "%s: no member \"%s\"", s->name, name);
		if (!m->link) {
			if (!m->is_reg)
				return qn_error_set(err, QN_ERR_INPUT, "%s: member \"%s\" is not a regular file",
						    s->name, name);
			out->fd = s->fd;
			out->off = m->off;
			out->size = m->size;
			return 0;
		}
		/* Symlinks resolve relative to the link's folder, hardlinks from the archive root;
		 * either way the result is normalised, so it cannot leave the archive. */
		_cleanup_free_ char *dir = m->is_hardlink ? xstrdup("") : qn_path_dir(m->name);
		_cleanup_free_ char *joined = m->link[0] == '/' ? xstrdup(m->link + 1) : qn_path_join(dir, m->link);
		/* resolve "a/../b" forms docker writes ("../<id>/layer.tar") lexically */
		qn_buf b = QN_BUF_INIT;
		char *save = NULL;
		for (char *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
			if (!strcmp(t, "."))
				continue;
			if (!strcmp(t, "..")) {
				char *slash = b.data ? strrchr(b.data, '/') : NULL;
				if (!b.len) {
					qn_buf_clear(&b);
					return qn_error_set(err, QN_ERR_INPUT,
							    "%s: member \"%s\" links outside the archive", s->name,
							    name);
				}
				b.len = slash ? (size_t)(slash - b.data) : 0;
				b.data[b.len] = 0;
				continue;
			}
			if (b.len)
				qn_buf_addc(&b, '/');
			qn_buf_adds(&b, t);
		}
		free(cur);
		cur = qn_buf_steal(&b);
	}
	return qn_error_set(err, QN_ERR_INPUT, "%s: member \"%s\": too many levels of links", s->name, name);
}

/* A folder store's blob: the fd opened earlier for this name, or a new one kept from now on. */
static int locate_file(qn_store *s, const char *name, qn_blob_loc *out, qn_error **err)
{
	int rc = 0;
	pthread_mutex_lock(&s->open_mu);
	for (size_t i = 0; i < s->n_open; i++)
		if (!strcmp(s->open[i].name, name)) {
			out->fd = s->open[i].fd;
			out->off = 0;
			out->size = s->open[i].size;
			goto done;
		}
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = qn_error_set(err, QN_ERR_NOTFOUND, "%s: no file \"%s\"", s->name, name);
		else
			rc = qn_error_errno(err, errno, "%s/%s", s->name, name);
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		rc = qn_error_set(err, QN_ERR_INPUT, "%s/%s: not a regular file", s->name, name);
		goto done;
	}
	s->open = xreallocarray(s->open, s->n_open + 1, sizeof(*s->open));
	s->open[s->n_open].name = xstrdup(name);
	s->open[s->n_open].fd = fd;
	s->open[s->n_open].size = (uint64_t)st.st_size;
	s->n_open++;
	out->fd = fd;
	out->off = 0;
	out->size = (uint64_t)st.st_size;
done:
	pthread_mutex_unlock(&s->open_mu);
	return rc;
}

int qn_store_locate(qn_store *s, const char *name, qn_blob_loc *out, qn_error **err)
{
	return s->dirfd < 0 ? locate_member(s, name, out, err) : locate_file(s, name, out, err);
}

bool qn_store_has(qn_store *s, const char *name)
{
	if (s->dirfd < 0)
		return find_member(s, name) != NULL;
	struct stat st;
	return fstatat(s->dirfd, name, &st, 0) == 0;
}

char *qn_store_read(qn_store *s, const char *name, size_t max, size_t *len, qn_error **err)
{
	qn_blob_loc loc;
	if (qn_store_locate(s, name, &loc, err) < 0)
		return NULL;
	if (loc.size > max) {
		qn_error_set(err, QN_ERR_LIMIT, "%s: \"%s\" is %llu bytes, over the limit of %zu", s->name, name,
			     (unsigned long long)loc.size, max);
		return NULL;
	}
	char *buf = xmalloc((size_t)loc.size + 1);
	ssize_t got = qn_pread_full(loc.fd, buf, (size_t)loc.size, (off_t)loc.off);
	if (got < 0 || (uint64_t)got != loc.size) {
		free(buf);
		if (got < 0)
			qn_error_errno(err, errno, "%s: reading \"%s\"", s->name, name);
		else
			qn_error_set(err, QN_ERR_INPUT, "%s: \"%s\" is truncated", s->name, name);
		return NULL;
	}
	buf[loc.size] = 0;
	if (len)
		*len = (size_t)loc.size;
	return buf;
}
