/* Fuzz target: image documents — OCI index/manifest, docker-archive manifest.json and image
 * config — through the same validation that opening an image uses. */
#include "image/image_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(int rc, qn_error *err)
{
	/* a failure must carry a one-line message; success must not leave an error behind */
	if ((rc < 0) != (err != NULL) || (err && strchr(err->msg, '\n')))
		__builtin_trap();
	qn_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	int rc = qn_oci_check_document(data, size, "linux/amd64", &err);
	one(rc, err);
	err = NULL;
	rc = qn_oci_check_document(data, size, "linux/arm/v7", &err);
	one(rc, err);
	err = NULL;
	rc = qn_docker_check_manifest(data, size, NULL, &err);
	one(rc, err);
	err = NULL;
	rc = qn_image_check_config(data, size, &err);
	one(rc, err);
	return 0;
}
