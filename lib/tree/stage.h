/* A staged layer: its entries, normalised, in archive order. Private to the tree module. */
#ifndef QN_STAGE_H
#define QN_STAGE_H

#include "tree_int.h"

typedef enum { QN_WH_NONE = 0, QN_WH_FILE, QN_WH_OPAQUE } qn_wh_kind;

typedef struct {
	char *path; /* canonical; for whiteouts the path they delete (or the opaque folder) */
	char *link; /* symlink target as stored; hardlink target canonical */
	qn_tar_type type;
	qn_wh_kind wh;
	uint32_t mode, uid, gid, devmajor, devminor;
	uint64_t size;
	int64_t mtime;
	uint32_t mtime_nsec;
	uint64_t index;
	qn_xattr *xattrs;
	size_t n_xattrs;
	unsigned char *content;
	size_t content_len;
	bool content_truncated;
	bool history; /* keep a snapshot of the content when merging */
} qn_staged;

struct qn_stage {
	int layer;
	size_t max_path;
	qn_capture_fn capture;
	void *capture_ud;
	qn_staged *v;
	size_t n, cap;
	ssize_t cur; /* entry receiving data, or -1 */
	size_t cap_max;
	qn_capture_kind cap_kind;
	/* Go build-info scan of the current entry */
	uint64_t file_off;       /* bytes of the entry seen so far */
	unsigned char carry[16]; /* last bytes of the previous chunk (a magic may straddle) */
	size_t carry_len;
	bool go_found; /* magic found: now copying into content */
	bool not_elf;
	uint64_t aufs_skipped;
};

void qn_staged_clear(qn_staged *e);

#endif
