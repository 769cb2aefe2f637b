/* libquench tree module: the merged filesystem view of an image's layers.
 *
 * Each node knows the layer that last wrote it. Whiteouts and opaque folders are applied, paths
 * are normalised once, and every escape is refused: absolute paths, "..", entries under a
 * symlinked folder, hardlinks to nothing or outside, symlink loops, and device nodes outside
 * /dev. Paths are relative and canonical: "usr/bin/python3"; the root is "". */
#ifndef QUENCH_TREE_H
#define QUENCH_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"
#include "quench/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	QN_NODE_REG = 0,
	QN_NODE_HARDLINK, /* not used for nodes: a hardlink becomes a node of its target's type */
	QN_NODE_SYMLINK,
	QN_NODE_CHR,
	QN_NODE_BLK,
	QN_NODE_DIR,
	QN_NODE_FIFO,
} qn_node_type;

typedef struct qn_xattr {
	char *key;
	unsigned char *value;
	size_t len;
} qn_xattr;

/* A file in the merged tree. Read-only for users of the tree. */
typedef struct qn_node {
	const char *name; /* last path component ("" for the root) */
	struct qn_node *parent;
	struct qn_node *first_child; /* children in no particular order; see qn_tree_children */
	struct qn_node *next_sibling, *prev_sibling;
	qn_node_type type;
	uint32_t mode; /* permission bits 07777 */
	uint32_t uid, gid;
	uint32_t devmajor, devminor;
	uint64_t size; /* bytes of a regular file */
	int64_t mtime;
	uint32_t mtime_nsec;
	char *link;     /* symlink target as stored */
	char *hardlink; /* for a hardlink: the canonical path it was linked to */
	int layer;      /* index of the layer that last wrote it; -1 for implicit folders */
	uint64_t entry; /* entry number inside that layer */
	qn_xattr *xattrs;
	size_t n_xattrs;
	unsigned char *content; /* captured bytes (see qn_tree_opts.capture), else NULL */
	size_t content_len;
	bool content_truncated; /* the file was larger than the capture limit */
	uint64_t subtree_size;  /* for folders: bytes of regular files below (after build) */
	uint32_t subtree_files; /* for folders: entries below */
} qn_node;

typedef struct qn_tree qn_tree;

/* What to keep of a regular file's content while layers stream by. */
typedef enum {
	QN_CAPTURE_NONE = 0,
	QN_CAPTURE_WHOLE,        /* the first `max` bytes */
	QN_CAPTURE_GO_BUILDINFO, /* for ELF files: `max` bytes from Go's build-info magic, if any */
} qn_capture_kind;

typedef struct {
	qn_capture_kind kind;
	size_t max;
	bool history; /* also keep the content as each layer wrote it (qn_tree_snapshot) */
} qn_capture;

/* Decides what to keep for one regular file (path canonical). Called from worker threads. */
typedef qn_capture (*qn_capture_fn)(void *ud, const char *path, uint64_t size, uint32_t mode);

typedef struct {
	qn_capture_fn capture;
	void *capture_ud;
} qn_tree_opts;

/* Reads every layer of img (verifying them) and merges them. Returns a new tree (qn_tree_free)
 * or NULL with err. The image must outlive nothing: the tree copies what it needs. */
qn_tree *qn_tree_build(qn_image *img, const qn_tree_opts *opts, qn_error **err);
void qn_tree_free(qn_tree *t);

const qn_node *qn_tree_root(const qn_tree *t);
/* Looks a canonical path up without following any symlink. NULL when absent. */
const qn_node *qn_tree_lookup(const qn_tree *t, const char *path);
/* Resolves a path as the kernel would inside a chroot at the image root: symlinks are followed
 * (absolute targets start at the image root, ".." stops at it), at most 40 of them. follow_last
 * says whether a symlink in the last component is followed. Returns the node, or NULL with
 * err (QN_ERR_NOTFOUND, or QN_ERR_INPUT for a loop). When resolved is not NULL it receives the
 * canonical path of the result (caller frees). */
const qn_node *qn_tree_resolve(const qn_tree *t, const char *path, bool follow_last, char **resolved, qn_error **err);
/* The canonical path of a node. Caller frees. */
char *qn_node_path(const qn_node *n);
/* Children sorted by name (a new array of n pointers, caller frees the array). */
const qn_node **qn_tree_children(const qn_node *dir, size_t *n);
/* Visits every node in sorted depth-first order (parents before children). Stops when the
 * callback returns non-zero, and returns that value. The root is visited too. */
typedef int (*qn_tree_visit_fn)(void *ud, const qn_node *n, const char *path);
int qn_tree_walk(const qn_tree *t, qn_tree_visit_fn fn, void *ud);

typedef struct {
	uint64_t files; /* regular files */
	uint64_t dirs;
	uint64_t symlinks;
	uint64_t others;
	uint64_t bytes;       /* sum of regular file sizes (hardlinked data counted once) */
	uint64_t whiteouts;   /* whiteout and opaque markers applied */
	uint64_t overwritten; /* entries replaced by a later layer */
} qn_tree_stats;
const qn_tree_stats *qn_tree_get_stats(const qn_tree *t);
/* Contents of files captured with history, as each layer wrote them, in layer order. */
typedef struct {
	int layer;
	const char *path;
	const unsigned char *content;
	size_t len;
} qn_tree_snapshot;
size_t qn_tree_snapshot_count(const qn_tree *t);
const qn_tree_snapshot *qn_tree_snapshot_get(const qn_tree *t, size_t i);

/* Unpacks the tree built from img into folder dir (created, mode 0700; it may exist empty):
 * layers are read again and only the entries that won the merge are written, beneath dir
 * (openat2 RESOLVE_BENEATH), with owners, modes, xattrs and times. Needs privileges to set
 * owners. Device nodes are skipped. Returns 0 or -1 with err; the caller removes dir on failure. */
int qn_tree_extract(qn_image *img, const qn_tree *tree, const char *dir, qn_error **err);

/* Warnings collected while merging (one line each, e.g. ignored AUFS metadata). */
size_t qn_tree_warning_count(const qn_tree *t);
const char *qn_tree_warning(const qn_tree *t, size_t i);

#ifdef __cplusplus
}
#endif
#endif
