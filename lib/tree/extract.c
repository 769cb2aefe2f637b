/* Unpacking a merged tree into a folder (the root filesystem a container runs from). The tree
 * already decided which layer's entry wins for every path, so each layer is read once more in
 * parallel and only the winning entries are written: no whiteout handling on disk, no file
 * written twice.
 *
 * Every file is created with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) relative to the
 * root folder's descriptor, so nothing in the image (symlinks planted by an earlier layer, odd
 * names) can make a write land outside the folder. Ownership, modes (setuid bits included),
 * extended attributes and times are applied as the image states them; folders get their final
 * mode last, deepest first, so a read-only folder does not stop its own unpacking. Device nodes
 * are not created: a runtime provides /dev. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layers.h"
#include "quench/tree.h"
#include "util/path.h"

typedef struct {
	const qn_tree *tree;
	int rootfd;
	const char *root;
	size_t max_path;
} ex_ctx;

typedef struct {
	ex_ctx *c;
	int layer;
	int fd; /* file being written, or -1 */
	const qn_node *node;
	char *path;
} ex_layer;

static int open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
			       .mode = mode,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	long fd;
	do
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	return (int)fd;
}

/* The parent folder of path, opened beneath the root (for *at() calls on the last component). */
static int open_parent(int rootfd, const char *path)
{
	_cleanup_free_ char *dir = qn_path_dir(path);
	if (!*dir)
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	return open_beneath(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
}

static void apply_xattrs(int fd, const qn_node *n)
{
	/* security.capability and other xattrs matter (ping, some daemons); failures are not fatal:
	 * a filesystem without xattr support still runs most images */
	for (size_t i = 0; i < n->n_xattrs; i++)
		(void)fsetxattr(fd, n->xattrs[i].key, n->xattrs[i].value, n->xattrs[i].len, 0);
}

static int finish_file(ex_layer *l, qn_error **err)
{
	const qn_node *n = l->node;
	int rc = 0;
	if (fchown(l->fd, n->uid, n->gid) < 0 || fchmod(l->fd, n->mode & 07777) < 0)
		rc = qn_error_errno(err, errno, "%s/%s", l->c->root, l->path);
	if (rc == 0) {
		apply_xattrs(l->fd, n);
		struct timespec ts[2] = {{n->mtime, n->mtime_nsec}, {n->mtime, n->mtime_nsec}};
		(void)futimens(l->fd, ts);
	}
	close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
	return rc;
}

static void *ex_begin(void *ud, size_t i, qn_error **err)
{
	(void)err;
	ex_layer *l = xcalloc(1, sizeof(*l));
	l->c = ud;
	l->layer = (int)i;
	l->fd = -1;
	return l;
}

static int ex_entry(void *p, const qn_tar_entry *e, qn_error **err)
{
	ex_layer *l = p;
	if (e->type != QN_TAR_REG)
		return 0;
	char *path = NULL;
	if (qn_path_normalize(e->path, l->c->max_path, &path, NULL) < 0)
		return 0; /* the tree build refused such paths already */
	const qn_node *n = qn_tree_lookup(l->c->tree, path);
	/* only the entry that won the merge is written; hardlinks are made afterwards */
	if (!n || n->type != QN_NODE_REG || n->hardlink || n->layer != l->layer || n->entry != e->index) {
		free(path);
		return 0;
	}
	int fd = open_beneath(l->c->rootfd, path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		qn_error_errno(err, errno, "%s/%s", l->c->root, path);
		free(path);
		return -1;
	}
	l->fd = fd;
	l->node = n;
	l->path = path;
	return 1;
}

static int ex_data(void *p, const void *d, size_t n, qn_error **err)
{
	ex_layer *l = p;
	if (l->fd >= 0 && qn_write_full(l->fd, d, n) < 0)
		return qn_error_errno(err, errno, "%s/%s", l->c->root, l->path);
	return 0;
}

static int ex_entry_end(void *p, qn_error **err)
{
	ex_layer *l = p;
	return l->fd >= 0 ? finish_file(l, err) : 0;
}

static void ex_abort(void *p)
{
	ex_layer *l = p;
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}

static int ex_end(void *p, qn_error **err)
{
	(void)err;
	ex_abort(p);
	return 0;
}

static const qn_layer_visitor ex_visitor = {ex_begin, ex_entry, ex_data, ex_entry_end, ex_end, ex_abort};

/* ---- folders, links and special files, from the tree ---- */

static int make_dirs(void *ud, const qn_node *n, const char *path)
{
	ex_ctx *c = ud;
	if (n->type != QN_NODE_DIR || !*path)
		return 0;
	/* 0700 while unpacking; the final mode is applied at the end */
	if (mkdirat(c->rootfd, path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int make_others(void *ud, const qn_node *n, const char *path)
{
	ex_ctx *c = ud;
	if (!*path || n->type == QN_NODE_DIR || n->type == QN_NODE_CHR || n->type == QN_NODE_BLK)
		return 0;
	if (n->type == QN_NODE_REG && !n->hardlink)
		return 0;
	_cleanup_close_ int pfd = open_parent(c->rootfd, path);
	if (pfd < 0)
		return -errno;
	const char *base = qn_path_base(path);
	int rc = 0;
	if (n->type == QN_NODE_SYMLINK)
		rc = symlinkat(n->link, pfd, base);
	else if (n->type == QN_NODE_FIFO)
		rc = mknodat(pfd, base, S_IFIFO | (n->mode & 0777), 0);
	else if (n->hardlink) {
		_cleanup_close_ int src = open_parent(c->rootfd, n->hardlink);
		rc = src < 0 ? -1 : linkat(src, qn_path_base(n->hardlink), pfd, base, 0);
	}
	if (rc < 0)
		return -errno;
	if (fchownat(pfd, base, n->uid, n->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

typedef struct {
	const qn_node **v;
	char **paths;
	size_t n, cap;
} dirlist;

static int collect_dirs(void *ud, const qn_node *n, const char *path)
{
	dirlist *d = ud;
	if (n->type != QN_NODE_DIR)
		return 0;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
		d->paths = xreallocarray(d->paths, d->cap, sizeof(*d->paths));
	}
	d->v[d->n] = n;
	d->paths[d->n++] = xstrdup(path);
	return 0;
}

/* Final folder metadata, children before parents (the walk is parents first: go backwards). */
static int finish_dirs(ex_ctx *c, qn_error **err)
{
	dirlist d = {0};
	qn_tree_walk(c->tree, collect_dirs, &d);
	int rc = 0;
	for (size_t i = d.n; i-- > 0 && rc == 0;) {
		const qn_node *n = d.v[i];
		const char *path = *d.paths[i] ? d.paths[i] : ".";
		int fd = *d.paths[i] ? open_beneath(c->rootfd, path, O_RDONLY | O_DIRECTORY, 0)
				     : fcntl(c->rootfd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0 || fchown(fd, n->uid, n->gid) < 0 || fchmod(fd, n->mode & 07777) < 0)
			rc = qn_error_errno(err, errno, "%s/%s", c->root, d.paths[i]);
		if (fd >= 0) {
			apply_xattrs(fd, n);
			struct timespec ts[2] = {{n->mtime, n->mtime_nsec}, {n->mtime, n->mtime_nsec}};
			(void)futimens(fd, ts);
			close(fd);
		}
	}
	for (size_t i = 0; i < d.n; i++)
		free(d.paths[i]);
	free(d.paths);
	free(d.v);
	return rc;
}

int qn_tree_extract(qn_image *img, const qn_tree *tree, const char *dir, qn_error **err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return qn_error_errno(err, errno, "%s", dir);
	ex_ctx c = {.tree = tree, .root = dir, .max_path = (size_t)qn_image_limits(img)->max_path};
	c.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return qn_error_errno(err, errno, "%s", dir);
	int rc = qn_tree_walk(tree, make_dirs, &c);
	if (rc < 0)
		rc = qn_error_errno(err, -rc, "%s: creating folders", dir);
	if (rc == 0)
		rc = qn_image_read_layers(img, &ex_visitor, &c, err);
	if (rc == 0 && (rc = qn_tree_walk(tree, make_others, &c)) < 0)
		rc = qn_error_errno(err, -rc, "%s: creating links", dir);
	if (rc == 0)
		rc = finish_dirs(&c, err);
	close(c.rootfd);
	return rc;
}
