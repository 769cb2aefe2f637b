/* Blob access for local image sources. Every blob, whether a file in an OCI layout folder or a
 * member of an archive, is located as (fd, offset, size), so layers can be read in parallel with
 * pread and never copied out of an archive first. */
#ifndef QN_STORE_H
#define QN_STORE_H

#include "util/util.h"

typedef struct {
	int fd; /* borrowed from the store */
	uint64_t off;
	uint64_t size;
} qn_blob_loc;

typedef struct qn_store qn_store;

/* A folder (OCI layout). */
qn_store *qn_store_open_dir(const char *dir, qn_error **err);
/* A tar archive (docker-archive, oci-archive). A gzip or zstd compressed archive is first
 * decompressed into a private temporary file. `max_members` bounds the member count. */
qn_store *qn_store_open_tar(const char *path, uint64_t max_members, qn_error **err);
void qn_store_free(qn_store *s);

/* Locates a member by its relative name ("index.json", "blobs/sha256/<hex>"). Symlinks inside
 * an archive are followed within the archive (docker's legacy layout links repeated layers).
 * Returns 0, or -1 with QN_ERR_NOTFOUND when absent. */
int qn_store_locate(qn_store *s, const char *name, qn_blob_loc *out, qn_error **err);
bool qn_store_has(qn_store *s, const char *name);
/* Reads a whole member of at most max bytes (QN_ERR_LIMIT beyond). Caller frees. */
char *qn_store_read(qn_store *s, const char *name, size_t max, size_t *len, qn_error **err);
/* Source description for errors ("archive.tar", "layout/"). */
const char *qn_store_name(const qn_store *s);

/* The outer-archive indexer, exposed for the fuzz target: indexes a tar held in memory. */
int qn_store_index_buffer(const void *buf, size_t len, qn_error **err);

#endif
