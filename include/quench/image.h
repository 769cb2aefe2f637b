/* libquench image module: opening container images from files and folders, verifying every
 * blob, and streaming their layers.
 *
 * Sources (skopeo's names, or a bare path that is detected):
 *   docker-archive:FILE[:NAME:TAG|:@N]   `docker save` output (also gzip-compressed)
 *   oci-archive:FILE[:TAG]               a tar of an OCI image layout
 *   oci:DIR[:TAG]                        an OCI image layout folder
 *   dir:ROOTFS                           an unpacked root filesystem (one pseudo-layer, no config)
 */
#ifndef QUENCH_IMAGE_H
#define QUENCH_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "quench/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	QN_FMT_DOCKER_ARCHIVE = 1,
	QN_FMT_OCI_ARCHIVE,
	QN_FMT_OCI_LAYOUT,
	QN_FMT_DIR,
} qn_image_format;

/* Bounds against decompression bombs and hostile archives; 0 means the default. */
typedef struct {
	uint64_t max_total_size; /* uncompressed bytes over all layers (default 64 GiB) */
	uint64_t max_entries;    /* tar entries over all layers (default 4,000,000) */
	uint64_t max_path;       /* bytes in one path or link target (default 4096) */
} qn_limits;

#define QN_DEFAULT_MAX_TOTAL_SIZE (64ULL << 30)
#define QN_DEFAULT_MAX_ENTRIES 4000000ULL
#define QN_DEFAULT_MAX_PATH 4096ULL

typedef struct {
	const char *platform; /* "os/arch[/variant]" for image indexes; NULL = the host */
	qn_limits limits;
	int threads; /* worker threads for layers; 0 = number of online CPUs */
} qn_image_opts;

typedef struct qn_image qn_image;

typedef struct {
	size_t index;
	char *digest;     /* blob digest "sha256:..."; for docker-archive layers computed on read */
	char *media_type; /* as declared (may be NULL for docker-archive) */
	uint64_t size;    /* blob size in bytes (compressed) */
	char *diff_id;    /* uncompressed digest from the config's rootfs.diff_ids */
	char *created_by; /* from the config history (NULL when absent) */
	char *created;
	char *comment;
	/* filled in by qn_image_read_layers() */
	uint64_t uncompressed_size;
	uint64_t n_entries;      /* tar entries of every kind */
	uint64_t n_files;        /* regular files among them */
	const char *compression; /* "gzip", "zstd", "none" */
	bool read;
} qn_layer_info;

/* Opens and verifies an image's manifest and config (every digest and size is checked against
 * what references it). Layers are verified when read. Returns a new image (qn_image_free) or
 * NULL with err set. opts may be NULL. */
qn_image *qn_image_open(const char *ref, const qn_image_opts *opts, qn_error **err);
void qn_image_free(qn_image *img);

qn_image_format qn_image_get_format(const qn_image *img);
const char *qn_image_format_name(qn_image_format f);
/* The reference as given, and the tag or name selected inside the source (may be NULL). */
const char *qn_image_ref(const qn_image *img);
const char *qn_image_tag(const qn_image *img);
/* Manifest digest (NULL for docker-archive and dir sources) and config digest (the image ID;
 * NULL for dir sources). */
const char *qn_image_manifest_digest(const qn_image *img);
const char *qn_image_config_digest(const qn_image *img);
/* The whole config document ({} for dir sources). Borrowed. */
const json_t *qn_image_config(const qn_image *img);
/* The manifest document (NULL for docker-archive and dir). Borrowed. */
const json_t *qn_image_manifest(const qn_image *img);
/* "os/arch[/variant]" of the selected image. */
const char *qn_image_platform(const qn_image *img);
size_t qn_image_layer_count(const qn_image *img);
const qn_layer_info *qn_image_layer(const qn_image *img, size_t i);
const qn_limits *qn_image_limits(const qn_image *img);

#ifdef __cplusplus
}
#endif
#endif
