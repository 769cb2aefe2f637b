/* Image writer (see writer.h). Determinism is the point: layer tars come from the entry lists
 * in the order given with the entries' own metadata, gzip uses zlib at a fixed level with no
 * name or time in its header, JSON documents are serialised with a fixed key order, outer
 * archives use fixed times and owners, and nothing reads the clock. The same spec gives the
 * same bytes, so the same input and profile give the same digest.
 *
 * Blobs are written into a private temporary folder next to the output; the output appears
 * only when complete (rename), and the folder is removed on every exit path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tarwrite.h"
#include "util/digest.h"
#include "util/json.h"
#include "util/strset.h"
#include "writer.h"

#define GZIP_LEVEL 6
#define CHUNK (256 * 1024)

typedef struct {
	int fd;
	const char *what;
	qn_hasher *h_blob, *h_diff;
	z_stream *z;
	unsigned char *zbuf;
	uint64_t blob_size, diff_size;
} blob_sink;

static int put(blob_sink *b, const void *p, size_t n, qn_error **err)
{
	qn_hasher_update(b->h_blob, p, n);
	b->blob_size += n;
	if (qn_write_full(b->fd, p, n) < 0)
		return qn_error_errno(err, errno, "%s: write", b->what);
	return 0;
}

static int deflate_some(blob_sink *b, const void *p, size_t n, int flush, qn_error **err)
{
	b->z->next_in = (Bytef *)p;
	b->z->avail_in = (uInt)n;
	do {
		b->z->next_out = b->zbuf;
		b->z->avail_out = CHUNK;
		int rc = deflate(b->z, flush);
		if (rc == Z_STREAM_ERROR)
			return qn_error_set(err, QN_ERR_RUNTIME, "%s: compression failed", b->what);
		size_t got = CHUNK - b->z->avail_out;
		if (got && put(b, b->zbuf, got, err) < 0)
			return -1;
	} while (b->z->avail_out == 0);
	return 0;
}

static int sink_write(void *ud, const void *p, size_t n, qn_error **err)
{
	blob_sink *b = ud;
	b->diff_size += n;
	if (!b->z)
		return put(b, p, n, err); /* uncompressed: one hash serves as digest and diff_id */
	qn_hasher_update(b->h_diff, p, n);
	while (n > 0) {
		size_t take = QN_MIN(n, (size_t)1 << 30);
		if (deflate_some(b, p, take, Z_NO_FLUSH, err) < 0)
			return -1;
		p = (const char *)p + take;
		n -= take;
	}
	return 0;
}

static int copy_file(qn_tarw *w, const qn_write_entry *e, qn_error **err)
{
	_cleanup_close_ int fd = open(e->src_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s", e->src_file);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
		return qn_error_set(err, QN_ERR_RUNTIME, "%s: not the expected regular file of %llu bytes", e->src_file,
				    (unsigned long long)e->size);
	_cleanup_free_ unsigned char *buf = xmalloc(CHUNK);
	uint64_t left = e->size;
	while (left) {
		ssize_t got = qn_read_full(fd, buf, (size_t)QN_MIN(left, (uint64_t)CHUNK));
		if (got <= 0)
			return got < 0
				   ? qn_error_errno(err, errno, "%s", e->src_file)
				   : qn_error_set(err, QN_ERR_RUNTIME, "%s: file shrank while writing", e->src_file);
		if (qn_tarw_data(w, buf, (size_t)got, err) < 0)
			return -1;
		left -= (uint64_t)got;
	}
	return 0;
}

static int write_entry(qn_tarw *w, const qn_write_entry *e, qn_strset *written, qn_error **err)
{
	_cleanup_free_ char *name = e->type == QN_TAR_DIR ? xasprintf("%s/", e->path) : xstrdup(e->path);
	qn_tar_entry te = {.path = name,
			   .linkname = "",
			   .type = e->type,
			   .mode = e->mode,
			   .uid = e->uid,
			   .gid = e->gid,
			   .devmajor = e->devmajor,
			   .devminor = e->devminor,
			   .mtime = e->mtime,
			   .uname = "",
			   .gname = ""};
	te.xattrs = e->xattrs;
	te.n_xattrs = e->n_xattrs;
	bool as_link = e->type == QN_TAR_REG && e->hardlink && qn_strset_has(written, e->hardlink);
	if (as_link) {
		te.type = QN_TAR_HARDLINK;
		te.linkname = e->hardlink;
	} else if (e->type == QN_TAR_SYMLINK)
		te.linkname = e->link ? e->link : "";
	else if (e->type == QN_TAR_REG)
		te.size = e->size;
	if (qn_tarw_header(w, &te, err) < 0)
		return -1;
	if (te.type == QN_TAR_REG) {
		int rc = e->data ? qn_tarw_data(w, e->data, (size_t)e->size, err) : copy_file(w, e, err);
		if (rc < 0)
			return -1;
	}
	if (e->type == QN_TAR_REG)
		qn_strset_add(written, e->path);
	return qn_tarw_end_entry(w, err);
}

typedef struct {
	qn_digest blob, diff;
	uint64_t size, usize;
} blob_t;

static void sink_free(blob_sink *b)
{
	qn_hasher_free(b->h_blob);
	qn_hasher_free(b->h_diff);
	if (b->z) {
		deflateEnd(b->z);
		free(b->z);
	}
	free(b->zbuf);
}

/* Writes one layer tar (gzip-compressed when asked) into dir/layer.tmp, hashing as it goes. */
static int write_layer(int dirfd, const qn_write_layer *L, size_t idx, bool gzip, qn_strset *written, blob_t *out,
		       qn_error **err)
{
	char what[64];
	snprintf(what, sizeof(what), "layer %zu", idx);
	_cleanup_close_ int fd = openat(dirfd, "layer.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s: temporary blob", what);
	blob_sink b = {.fd = fd, .what = what, .h_blob = qn_hasher_new(QN_DIGEST_SHA256)};
	if (gzip) {
		b.h_diff = qn_hasher_new(QN_DIGEST_SHA256);
		b.z = xcalloc(1, sizeof(*b.z));
		b.zbuf = xmalloc(CHUNK);
		/* windowBits 16+15: a gzip wrapper whose header has no name and time 0 */
		if (deflateInit2(b.z, GZIP_LEVEL, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
	}
	qn_tarw w;
	qn_tarw_init(&w, sink_write, &b);
	int rc = 0;
	for (size_t i = 0; i < L->n && rc == 0; i++)
		rc = write_entry(&w, &L->entries[i], written, err);
	if (rc == 0)
		rc = qn_tarw_finish(&w, err);
	if (rc == 0 && gzip)
		rc = deflate_some(&b, "", 0, Z_FINISH, err);
	if (rc == 0) {
		qn_hasher_final(b.h_blob, &out->blob);
		if (gzip)
			qn_hasher_final(b.h_diff, &out->diff);
		else
			out->diff = out->blob;
		out->size = b.blob_size;
		out->usize = b.diff_size;
	}
	sink_free(&b);
	if (rc < 0)
		qn_error_prefix(err, "%s", what);
	return rc;
}

/* Blob file names are PREFIX + hex digest + SUFFIX ("blobs/sha256/" + hex, or hex + ".tar"). */
typedef struct {
	const char *prefix, *suffix;
} blob_name;

static char *name_of(blob_name bn, const qn_digest *d)
{
	char hex[129];
	return xasprintf("%s%s%s", bn.prefix, qn_digest_hex(d, hex), bn.suffix);
}

static int place_blob(int dirfd, const char *tmp, const qn_digest *d, blob_name bn, qn_error **err)
{
	_cleanup_free_ char *name = name_of(bn, d);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		return qn_error_errno(err, errno, "%s", name);
	return 0;
}

static int put_json_blob(int dirfd, const json_t *doc, blob_name bn, qn_digest *d, uint64_t *size, qn_error **err)
{
	_cleanup_free_ char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		return qn_error_set(err, QN_ERR_RUNTIME, "cannot serialise a JSON document");
	size_t n = strlen(s);
	qn_digest_buf(QN_DIGEST_SHA256, s, n, d);
	*size = n;
	_cleanup_free_ char *name = name_of(bn, d);
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || qn_write_full(fd, s, n) < 0)
		return qn_error_errno(err, errno, "%s", name);
	return 0;
}

static json_t *make_config(const qn_write_spec *spec, const blob_t *blobs)
{
	json_t *cfg = json_is_object(spec->config) ? json_deep_copy(spec->config) : json_object();
	json_t *ids = json_array();
	char d[QN_DIGEST_STR_MAX];
	for (size_t i = 0; i < spec->n_layers; i++)
		json_array_append_new(ids, json_string(qn_digest_str(&blobs[i].diff, d)));
	json_t *rootfs = json_object();
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(rootfs, "diff_ids", ids);
	json_object_set_new(cfg, "rootfs", rootfs);
	if (spec->history) {
		json_object_set_new(cfg, "history", json_deep_copy(spec->history));
		return cfg;
	}
	json_t *hist = json_array();
	for (size_t i = 0; i < spec->n_layers; i++) {
		json_t *h = json_object();
		if (spec->layers[i].created_by)
			qn_json_set_str(h, "created_by", spec->layers[i].created_by);
		if (spec->layers[i].comment)
			qn_json_set_str(h, "comment", spec->layers[i].comment);
		json_array_append_new(hist, h);
	}
	json_object_set_new(cfg, "history", hist);
	return cfg;
}

static json_t *descriptor(const char *media_type, const qn_digest *d, uint64_t size)
{
	char s[QN_DIGEST_STR_MAX];
	json_t *j = json_object();
	json_object_set_new(j, "mediaType", json_string(media_type));
	json_object_set_new(j, "digest", json_string(qn_digest_str(d, s)));
	json_object_set_new(j, "size", json_integer((json_int_t)size));
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (relative to dirfd), regular files only. */
static int list_files(int base, const char *dir, qn_ptrvec *out, qn_error **err)
{
	int fd = openat(base, *dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s", dir);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return qn_error_errno(err, errno, "%s", dir);
	}
	struct dirent *de;
	struct stat st;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			qn_ptrvec_push(out, xasprintf("%s%s%s", dir, *dir ? "/" : "", de->d_name));
	closedir(d);
	qn_sort(out->v, out->n, sizeof(char *), cmp_str);
	return 0;
}

/* Tars the work folder's files (fixed owner, mode and time) into an atomically written file. */
static int write_archive(int wfd, const char *out, const char *const *dirs, size_t n_dirs, const qn_ptrvec *files,
			 qn_error **err)
{
	qn_atomic_file af;
	if (qn_atomic_open(&af, out, 0644, err) < 0)
		return -1;
	blob_sink b = {.fd = af.fd, .what = out, .h_blob = qn_hasher_new(QN_DIGEST_SHA256)};
	qn_tarw w;
	qn_tarw_init(&w, sink_write, &b);
	int rc = 0;
	for (size_t i = 0; i < n_dirs && rc == 0; i++) {
		qn_tar_entry e = {.path = dirs[i], .linkname = "", .type = QN_TAR_DIR, .mode = 0755};
		rc = qn_tarw_header(&w, &e, err);
	}
	for (size_t i = 0; i < files->n && rc == 0; i++) {
		const char *name = files->v[i];
		struct stat st;
		if (fstatat(wfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = qn_error_errno(err, errno, "%s", name);
			break;
		}
		_cleanup_free_ char *src = xasprintf("/proc/self/fd/%d/%s", wfd, name);
		qn_write_entry we = {
		    .path = name, .type = QN_TAR_REG, .mode = 0644, .size = (uint64_t)st.st_size, .src_file = src};
		qn_strset none = QN_STRSET_INIT;
		rc = write_entry(&w, &we, &none, err);
		qn_strset_clear(&none);
	}
	if (rc == 0)
		rc = qn_tarw_finish(&w, err);
	sink_free(&b);
	if (rc == 0)
		return qn_atomic_commit(&af, err);
	qn_atomic_abort(&af);
	return -1;
}

static int write_blobs(int wfd, const qn_write_spec *spec, bool docker, blob_t *blobs, qn_digest *cfg_d,
		       uint64_t *cfg_size, qn_error **err)
{
	qn_strset written = QN_STRSET_INIT;
	int rc = 0;
	for (size_t i = 0; i < spec->n_layers && rc == 0; i++) {
		rc = write_layer(wfd, &spec->layers[i], i, !docker, &written, &blobs[i], err);
		if (rc == 0)
			rc = place_blob(wfd, "layer.tmp", docker ? &blobs[i].diff : &blobs[i].blob,
					docker ? (blob_name){"", ".tar"} : (blob_name){"blobs/sha256/", ""}, err);
	}
	qn_strset_clear(&written);
	if (rc < 0)
		return -1;
	_cleanup_json_ json_t *cfg = make_config(spec, blobs);
	return put_json_blob(wfd, cfg, docker ? (blob_name){"", ".json"} : (blob_name){"blobs/sha256/", ""}, cfg_d,
			     cfg_size, err);
}

static int write_oci_docs(int wfd, const qn_write_spec *spec, const blob_t *blobs, const qn_digest *cfg_d,
			  uint64_t cfg_size, qn_write_result *res, qn_error **err)
{
	_cleanup_json_ json_t *man = json_object();
	json_object_set_new(man, "schemaVersion", json_integer(2));
	json_object_set_new(man, "mediaType", json_string("application/vnd.oci.image.manifest.v1+json"));
	json_object_set_new(man, "config", descriptor("application/vnd.oci.image.config.v1+json", cfg_d, cfg_size));
	json_t *layers = json_array();
	for (size_t i = 0; i < spec->n_layers; i++)
		json_array_append_new(
		    layers, descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &blobs[i].blob, blobs[i].size));
	json_object_set_new(man, "layers", layers);
	if (json_object_size(spec->annotations))
		json_object_set_new(man, "annotations", json_deep_copy(spec->annotations));
	qn_digest md;
	uint64_t msize;
	if (put_json_blob(wfd, man, (blob_name){"blobs/sha256/", ""}, &md, &msize, err) < 0)
		return -1;
	qn_digest_str(&md, res->manifest_digest);
	_cleanup_json_ json_t *idx = json_object();
	json_object_set_new(idx, "schemaVersion", json_integer(2));
	json_object_set_new(idx, "mediaType", json_string("application/vnd.oci.image.index.v1+json"));
	json_t *d = descriptor("application/vnd.oci.image.manifest.v1+json", &md, msize);
	if (spec->tag) {
		json_t *an = json_object();
		json_object_set_new(an, "org.opencontainers.image.ref.name", json_string(spec->tag));
		json_object_set_new(d, "annotations", an);
	}
	json_t *mans = json_array();
	json_array_append_new(mans, d);
	json_object_set_new(idx, "manifests", mans);
	_cleanup_free_ char *is = json_dumps(idx, JSON_COMPACT | JSON_PRESERVE_ORDER);
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_close_ int f1 = openat(wfd, "index.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	_cleanup_close_ int f2 = openat(wfd, "oci-layout", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f1 < 0 || f2 < 0 || qn_write_full(f1, is, strlen(is)) < 0 ||
	    qn_write_full(f2, layout, sizeof(layout) - 1) < 0)
		return qn_error_errno(err, errno, "index.json");
	return 0;
}

static int write_docker_manifest(int wfd, const qn_write_spec *spec, const blob_t *blobs, const qn_digest *cfg_d,
				 qn_error **err)
{
	char hex[129];
	_cleanup_json_ json_t *man = json_array();
	json_t *e = json_object();
	_cleanup_free_ char *cfg_name = xasprintf("%s.json", qn_digest_hex(cfg_d, hex));
	json_object_set_new(e, "Config", json_string(cfg_name));
	json_t *tags = json_array();
	if (spec->tag)
		json_array_append_new(tags, json_string(spec->tag));
	json_object_set_new(e, "RepoTags", tags);
	json_t *layers = json_array();
	for (size_t i = 0; i < spec->n_layers; i++) {
		_cleanup_free_ char *n = xasprintf("%s.tar", qn_digest_hex(&blobs[i].diff, hex));
		json_array_append_new(layers, json_string(n));
	}
	json_object_set_new(e, "Layers", layers);
	json_array_append_new(man, e);
	_cleanup_free_ char *s = json_dumps(man, JSON_COMPACT | JSON_PRESERVE_ORDER);
	_cleanup_close_ int fd = openat(wfd, "manifest.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || qn_write_full(fd, s, strlen(s)) < 0)
		return qn_error_errno(err, errno, "manifest.json");
	return 0;
}

/* The private work folder: next to the output so the final rename stays on one filesystem. */
static char *make_workdir(const char *out, qn_error **err)
{
	_cleanup_free_ char *copy = xstrdup(out);
	char *slash = strrchr(copy, '/');
	const char *dir = ".", *base = copy;
	if (slash) {
		*slash = 0;
		dir = *copy ? copy : "/";
		base = slash + 1;
	}
	char *w = xasprintf("%s/.%s.quench-XXXXXX", dir, base);
	if (!mkdtemp(w)) {
		qn_error_errno(err, errno, "%s: cannot create a work folder next to it", out);
		free(w);
		return NULL;
	}
	qn_cleanup_register(w);
	return w;
}

static int assemble(int wfd, const char *work, const qn_write_spec *spec, qn_write_result *res, qn_error **err)
{
	bool docker = spec->format == QN_FMT_DOCKER_ARCHIVE;
	if (!docker && (mkdirat(wfd, "blobs", 0755) < 0 || mkdirat(wfd, "blobs/sha256", 0755) < 0))
		return qn_error_errno(err, errno, "%s/blobs", work);
	blob_t *blobs = xcalloc(spec->n_layers + 1, sizeof(blob_t));
	qn_digest cfg_d;
	uint64_t cfg_size = 0;
	int rc = write_blobs(wfd, spec, docker, blobs, &cfg_d, &cfg_size, err);
	if (rc == 0)
		rc = docker ? write_docker_manifest(wfd, spec, blobs, &cfg_d, err)
			    : write_oci_docs(wfd, spec, blobs, &cfg_d, cfg_size, res, err);
	qn_digest_str(&cfg_d, res->config_digest);
	for (size_t i = 0; i < spec->n_layers; i++) {
		res->total_size += blobs[i].size;
		res->uncompressed_size += blobs[i].usize;
	}
	free(blobs);
	return rc;
}

int qn_image_write(const qn_write_spec *spec, qn_write_result *res, qn_error **err)
{
	memset(res, 0, sizeof(*res));
	if (spec->format != QN_FMT_OCI_LAYOUT && spec->format != QN_FMT_OCI_ARCHIVE &&
	    spec->format != QN_FMT_DOCKER_ARCHIVE)
		return qn_error_set(err, QN_ERR_USAGE,
				    "%s: images can be written as oci, oci-archive or docker-archive", spec->out);
	_cleanup_free_ char *work = make_workdir(spec->out, err);
	if (!work)
		return -1;
	int wfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = wfd < 0 ? qn_error_errno(err, errno, "%s", work) : assemble(wfd, work, spec, res, err);
	if (rc == 0 && spec->format == QN_FMT_OCI_LAYOUT) {
		/* rename(2) replaces an empty folder but never a non-empty one */
		if (rename(work, spec->out) < 0)
			rc = qn_error_errno(err, errno, "%s: cannot move the image into place (remove it first?)",
					    spec->out);
	} else if (rc == 0) {
		qn_ptrvec files = {0};
		bool docker = spec->format == QN_FMT_DOCKER_ARCHIVE;
		rc = list_files(wfd, "", &files, err);
		if (rc == 0 && !docker)
			rc = list_files(wfd, "blobs/sha256", &files, err);
		static const char *const oci_dirs[] = {"blobs/", "blobs/sha256/"};
		if (rc == 0) {
			qsort(files.v, files.n, sizeof(char *), cmp_str);
			rc = write_archive(wfd, spec->out, oci_dirs, docker ? 0 : 2, &files, err);
		}
		qn_ptrvec_clear(&files, free);
	}
	if (wfd >= 0)
		close(wfd);
	if (rc < 0 || spec->format != QN_FMT_OCI_LAYOUT)
		qn_rm_rf(work);
	qn_cleanup_unregister(work);
	return rc;
}
