/* Fuzz target: indexing an outer archive (docker-archive / oci-archive member table). */
#include "image/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	int rc = qn_store_index_buffer(data, size, &err);
	if ((rc < 0) != (err != NULL))
		__builtin_trap();
	qn_error_free(err);
	return 0;
}
