/* Writing images: layer tars generated from entry lists, compressed deterministically, with
 * config, manifest and index, as an OCI layout folder, an OCI archive or a docker archive.
 * Everything is assembled under a temporary name next to the output and renamed into place. */
#ifndef QN_WRITER_H
#define QN_WRITER_H

#include <jansson.h>

#include "quench/image.h"
#include "tar.h"
#include "util/util.h"

typedef struct {
	const char *path; /* canonical, no leading slash; folders without trailing slash */
	qn_tar_type type; /* QN_TAR_REG, DIR, SYMLINK, CHR, BLK, FIFO (not HARDLINK: see below) */
	uint32_t mode, uid, gid, devmajor, devminor;
	int64_t mtime;
	uint64_t size;        /* regular files */
	const char *link;     /* symlink target */
	const char *hardlink; /* regular file: written as a hardlink to this path when that
			       * path was written before (this layer or a lower one) */
	const qn_tar_xattr *xattrs;
	size_t n_xattrs;
	/* content of regular files: `data` when not NULL, else read from `src_file` (a host path,
	 * opened with O_NOFOLLOW; its size must equal `size`) */
	const unsigned char *data;
	const char *src_file;
} qn_write_entry;

typedef struct {
	qn_write_entry *entries; /* written in the order given (parents before children) */
	size_t n;
	const char *created_by; /* history entry for this layer */
	const char *comment;
} qn_write_layer;

typedef struct {
	qn_image_format format; /* QN_FMT_OCI_LAYOUT, QN_FMT_OCI_ARCHIVE or QN_FMT_DOCKER_ARCHIVE */
	const char *out;
	const char *tag;      /* "name:tag" (docker RepoTags) / ref.name annotation; may be NULL */
	const json_t *config; /* base config: copied; rootfs and history are replaced */
	const qn_write_layer *layers;
	size_t n_layers;
	const json_t *annotations; /* manifest annotations (object) or NULL */
	const json_t *history;     /* config history to write (array), or NULL: one entry per layer
				    * from the layers' created_by/comment */
} qn_write_spec;

typedef struct {
	char manifest_digest[136]; /* QN_DIGEST_STR_MAX */
	char config_digest[136];
	uint64_t total_size; /* compressed layer bytes */
	uint64_t uncompressed_size;
} qn_write_result;

/* Writes the image described by spec. Returns 0 with *res filled, or -1 with err; on failure
 * nothing is left at spec->out or next to it. */
int qn_image_write(const qn_write_spec *spec, qn_write_result *res, qn_error **err);

#endif
