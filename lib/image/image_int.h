/* The image object, shared by the files of the image module only. */
#ifndef QN_IMAGE_INT_H
#define QN_IMAGE_INT_H

#include "quench/image.h"
#include "store.h"
#include "util/digest.h"
#include "util/json.h"

typedef struct {
	char *blob_name;   /* member/file in the store holding the layer */
	bool digest_known; /* blob digest comes from a descriptor (not from docker-archive) */
	qn_digest digest;  /* expected blob digest when known */
	bool size_known;
	qn_digest diff_id; /* expected uncompressed digest */
} qn_layer_src;

struct qn_image {
	char *ref;
	qn_image_format format;
	char *path;       /* file or folder named by ref */
	char *tag;        /* selected tag/name, or NULL */
	qn_store *store;  /* NULL for dir sources */
	json_t *manifest; /* NULL for docker-archive / dir */
	json_t *config;
	char *manifest_digest;
	char *config_digest;
	char *platform;
	qn_limits limits;
	int threads;
	size_t n_layers;
	qn_layer_info *layers;
	qn_layer_src *src;
};

/* Limits applied to documents inside images. */
#define QN_MAX_MANIFEST_BYTES (4u << 20)
#define QN_MAX_CONFIG_BYTES (8u << 20)
#define QN_MAX_LAYERS 4096

/* image_docker.c / image_oci.c: fill in manifest, config and layers for one source type. */
int qn_image_load_oci(qn_image *img, const char *selector, const char *platform, qn_error **err);
int qn_image_load_docker(qn_image *img, const char *selector, qn_error **err);
/* image.c: validates the config and fills per-layer diff_ids and history. */
int qn_image_apply_config(qn_image *img, qn_error **err);
/* Document checks without a store, for fuzz targets and tests. */
int qn_oci_check_document(const uint8_t *buf, size_t len, const char *platform, qn_error **err);
int qn_docker_check_manifest(const uint8_t *buf, size_t len, const char *sel, qn_error **err);
int qn_image_check_config(const uint8_t *buf, size_t len, qn_error **err);
/* Host platform as "os/arch[/variant]". Caller frees. */
char *qn_host_platform(void);

#endif
