/* Fuzz target: os-release(5) text. The parser never fails; no value it keeps is longer than
 * the input (unquoting only shortens), and clearing leaves nothing behind. */
#include <string.h>

#include "quench/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_os_info os = {0};
	qn_osrelease_parse(data, size, &os);
	const char *fields[] = {os.id,         os.id_like,         os.name, os.pretty_name, os.version,
				os.version_id, os.version_codename};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] && strlen(fields[i]) > size)
			__builtin_trap(); /* a value is never longer than the input */
	qn_os_info_clear(&os);
	if (os.id || os.pretty_name || os.version_id)
		__builtin_trap();
	return 0;
}
