/* Fuzz target: probes files (docs/probes.md). Properties: a failed parse sets an error and
 * returns no probe; every probe parsed is complete (an HTTP probe has a method, a port 1-65535
 * and a path starting with '/'; an exec probe a non-empty argv) and has a label. */
#include "run/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_probe *v = NULL;
	size_t n = 0;
	qn_error *err = NULL;
	if (qn_probes_parse_json(data, size, "fuzz", &v, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			const qn_probe *p = &v[i];
			if (!p->label)
				__builtin_trap();
			if (p->kind == QN_PROBE_HTTP &&
			    (!p->method || p->port < 1 || p->port > 65535 || !p->path || p->path[0] != '/'))
				__builtin_trap();
			if (p->kind == QN_PROBE_EXEC && (!p->argv || !p->argv[0]))
				__builtin_trap();
		}
	} else if (!err)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		qn_probe_clear(&v[i]);
	free(v);
	qn_error_free(err);
	return 0;
}
