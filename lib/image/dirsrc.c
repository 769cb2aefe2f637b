/* dir: sources: an unpacked root filesystem presented as a single layer. The walk uses openat()
 * with O_NOFOLLOW from the root's descriptor, so a symlink inside the folder is reported as a
 * symlink and never followed out of it. Names are visited in sorted order, and files with
 * several links become tar-style hardlinks to the first name seen, as a layer would hold them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "layers.h"

typedef struct {
	dev_t dev;
	ino_t ino;
	char *path;
} link_seen;

typedef struct {
	const qn_limits *lim;
	const qn_layer_visitor *v;
	void *lctx;
	qn_layer_info *info;
	uint64_t entries, bytes;
	link_seen *links;
	size_t n_links, cap_links;
	qn_buf path;
	char *root;
} walk_t;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *first_link(walk_t *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n_links; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	if (w->n_links == w->cap_links) {
		w->cap_links = w->cap_links ? w->cap_links * 2 : 64;
		w->links = xreallocarray(w->links, w->cap_links, sizeof(*w->links));
	}
	w->links[w->n_links++] = (link_seen){st->st_dev, st->st_ino, xstrdup(w->path.data)};
	return NULL;
}

static int send_data(walk_t *w, int dfd, const char *name, uint64_t size, qn_error **err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
	unsigned char buf[65536];
	uint64_t left = size;
	while (left > 0) {
		ssize_t got = qn_read_full(fd, buf, (size_t)QN_MIN(left, sizeof(buf)));
		if (got < 0)
			return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
		if (got == 0)
			return qn_error_set(err, QN_ERR_RUNTIME, "%s/%s: file shrank while reading", w->root,
					    w->path.data);
		if (w->v->data && w->v->data(w->lctx, buf, (size_t)got, err) < 0)
			return -1;
		left -= (uint64_t)got;
	}
	return w->v->entry_end ? w->v->entry_end(w->lctx, err) : 0;
}

static int walk_dir(walk_t *w, int dfd, int depth, qn_error **err);

static int visit(walk_t *w, int dfd, const char *name, int depth, qn_error **err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
	if (++w->entries > w->lim->max_entries)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %llu entries", w->root,
				    (unsigned long long)w->lim->max_entries);
	if (w->path.len > w->lim->max_path)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: path longer than %llu bytes", w->root,
				    (unsigned long long)w->lim->max_path);
	char link[4097] = "";
	qn_tar_entry e = {.path = w->path.data, .linkname = link, .uname = "", .gname = ""};
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.mtime = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	e.index = w->entries - 1;
	const char *hl = NULL;
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		hl = first_link(w, &st);
	if (hl) {
		e.type = QN_TAR_HARDLINK;
		snprintf(link, sizeof(link), "%s", hl);
	} else if (S_ISREG(st.st_mode)) {
		e.type = QN_TAR_REG;
		e.size = (uint64_t)st.st_size;
	} else if (S_ISDIR(st.st_mode))
		e.type = QN_TAR_DIR;
	else if (S_ISLNK(st.st_mode)) {
		e.type = QN_TAR_SYMLINK;
		ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);
		if (n < 0)
			return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
		link[n] = 0;
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e.type = S_ISCHR(st.st_mode) ? QN_TAR_CHR : QN_TAR_BLK;
		e.devmajor = major(st.st_rdev);
		e.devminor = minor(st.st_rdev);
	} else if (S_ISFIFO(st.st_mode))
		e.type = QN_TAR_FIFO;
	else
		return 0; /* sockets are not image content */
	w->bytes += e.size;
	if (w->bytes > w->lim->max_total_size)
		return qn_error_set(err, QN_ERR_LIMIT, "%s: more than %llu bytes", w->root,
				    (unsigned long long)w->lim->max_total_size);
	int want = w->v->entry ? w->v->entry(w->lctx, &e, err) : 0;
	if (want < 0)
		return -1;
	if (want > 0 && e.type == QN_TAR_REG && send_data(w, dfd, name, e.size, err) < 0)
		return -1;
	if (want > 0 && e.type != QN_TAR_REG && w->v->entry_end && w->v->entry_end(w->lctx, err) < 0)
		return -1;
	w->info->uncompressed_size += e.size;
	if (e.type == QN_TAR_REG)
		w->info->n_files++;
	if (e.type != QN_TAR_DIR)
		return 0;
	if (depth > 512)
		return qn_error_set(err, QN_ERR_LIMIT, "%s/%s: folders nested too deep", w->root, w->path.data);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
	return walk_dir(w, fd, depth + 1, err); /* takes fd */
}

static int walk_dir(walk_t *w, int fd, int depth, qn_error **err)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return qn_error_errno(err, errno, "%s/%s", w->root, w->path.data);
	}
	qn_ptrvec names = {0};
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			qn_ptrvec_push(&names, xstrdup(de->d_name));
	qn_sort(names.v, names.n, sizeof(char *), cmp_str);
	size_t base = w->path.len;
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		if (base)
			qn_buf_addc(&w->path, '/');
		qn_buf_adds(&w->path, names.v[i]);
		rc = visit(w, dirfd(d), names.v[i], depth, err);
		w->path.len = base;
		w->path.data[base] = 0;
	}
	qn_ptrvec_clear(&names, free);
	closedir(d);
	return rc;
}

int qn_dirsrc_read(const char *root, const qn_limits *lim, const qn_layer_visitor *v, void *ud, qn_layer_info *info,
		   qn_error **err)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return qn_error_errno(err, errno, "%s", root);
	walk_t w = {.lim = lim, .v = v, .info = info, .root = (char *)root};
	qn_buf_adds(&w.path, "");
	info->uncompressed_size = 0;
	info->n_files = 0;
	int rc = 0;
	if (v->layer_begin) {
		w.lctx = v->layer_begin(ud, 0, err);
		if (!w.lctx && err && *err)
			rc = -1;
	}
	if (rc == 0)
		rc = walk_dir(&w, fd, 0, err);
	else
		close(fd);
	if (rc == 0) {
		info->n_entries = w.entries;
		info->compression = "none";
		info->read = true;
		if (v->layer_end)
			rc = v->layer_end(w.lctx, err);
	} else if (v->layer_abort)
		v->layer_abort(w.lctx);
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	free(w.links);
	qn_buf_clear(&w.path);
	return rc;
}
