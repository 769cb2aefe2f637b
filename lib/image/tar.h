/* A streaming (push) tar reader: bytes go in, entries and their data come out through callbacks.
 * It understands ustar, GNU (long names, base-256 numbers), star and POSIX pax (local and global
 * headers, SCHILY.xattr.*). It does not look at paths beyond collecting them: normalising and
 * checking them is the tree module's job.
 *
 * Its reading follows Go's archive/tar (what Docker, containerd, skopeo and umoci use) wherever
 * the format is ambiguous, and refuses the cases where readers could disagree (non-zero sizes on
 * header-only types, sparse files, NUL bytes in pax paths), so that quench never sees a different
 * file tree than the runtime that will unpack the same layer. */
#ifndef QN_TAR_H
#define QN_TAR_H

#include "util/util.h"

typedef enum {
	QN_TAR_REG = 0,
	QN_TAR_HARDLINK,
	QN_TAR_SYMLINK,
	QN_TAR_CHR,
	QN_TAR_BLK,
	QN_TAR_DIR,
	QN_TAR_FIFO,
} qn_tar_type;

typedef struct {
	const char *key;   /* without the SCHILY.xattr. prefix */
	const char *value; /* may contain NULs: use value_len */
	size_t value_len;
} qn_tar_xattr;

typedef struct {
	const char *path;     /* raw path as stored, NUL-terminated */
	const char *linkname; /* raw link target for hardlinks and symlinks, else "" */
	const char *uname, *gname;
	qn_tar_type type;
	uint32_t mode; /* permission bits incl. setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	uint32_t devmajor, devminor;
	uint64_t size; /* data bytes that follow (0 for header-only types) */
	int64_t mtime;
	uint32_t mtime_nsec;
	const qn_tar_xattr *xattrs;
	size_t n_xattrs;
	uint64_t index;       /* 0-based entry number in this stream */
	uint64_t offset;      /* byte offset of the entry's first header in this stream */
	uint64_t data_offset; /* byte offset of the entry's data */
} qn_tar_entry;

typedef struct {
	/* A new entry. Return 1 to receive its data through `data`, 0 to skip it, <0 to stop with
	 * err set. The entry and its strings are valid until the next callback returns. */
	int (*entry)(void *ud, const qn_tar_entry *e, qn_error **err);
	/* A chunk of the current entry's data (only when `entry` returned 1). */
	int (*data)(void *ud, const void *p, size_t n, qn_error **err);
	/* All data of the current entry was delivered (only when `entry` returned 1). */
	int (*entry_end)(void *ud, qn_error **err);
} qn_tar_callbacks;

typedef struct {
	size_t max_path;       /* longest path or link name accepted (bytes) */
	size_t max_ext_header; /* largest pax / GNU long-name record accepted (bytes) */
} qn_tar_limits;

typedef struct qn_tar_reader qn_tar_reader;

/* `what` names the stream in errors (e.g. "layer sha256:ab12..."); it is copied. */
qn_tar_reader *qn_tar_reader_new(const qn_tar_callbacks *cb, void *ud, const qn_tar_limits *lim, const char *what);
void qn_tar_reader_free(qn_tar_reader *r);
/* Feeds n bytes. Returns 0 or -1 with err (bad header, limit, or a callback failure). */
int qn_tar_reader_feed(qn_tar_reader *r, const void *buf, size_t n, qn_error **err);
/* The stream ended. Fails when it ended inside a header, an entry's data or its padding. */
int qn_tar_reader_finish(qn_tar_reader *r, qn_error **err);
/* Bytes consumed so far, and entries seen. */
uint64_t qn_tar_reader_offset(const qn_tar_reader *r);
uint64_t qn_tar_reader_entries(const qn_tar_reader *r);
/* True once the end-of-archive marker (two zero blocks) was read. */
bool qn_tar_reader_at_end(const qn_tar_reader *r);

/* Bytes of unwanted entry data and padding the reader would discard next. A caller reading a
 * seekable source may jump over them and report it with qn_tar_reader_skip(r, n), n <= that. */
uint64_t qn_tar_reader_skippable(const qn_tar_reader *r);
void qn_tar_reader_skip(qn_tar_reader *r, uint64_t n);

/* Parses a numeric header field: octal (NUL/space padded) or GNU base-256 (high bit set).
 * Negative base-256 values are accepted only when allow_negative. Returns 0 or -1. */
int qn_tar_parse_octal(const unsigned char *field, size_t len, bool allow_negative, int64_t *out);

#endif
