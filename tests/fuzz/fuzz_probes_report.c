/* Fuzz target: probes read back from a harden report (quench verify --probes-from), which goes
 * through the probes-file parser for each "spec". Success leaves only complete probes (a label,
 * an HTTP method, port and path, or a non-empty argv); failure leaves the list unchanged and
 * says why in one line. */
#include "quench/verify.h"
#include "run/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_error *err = NULL;
	qn_probe *v = NULL;
	size_t n = 0;
	int rc = qn_verify_probes_from_report(data, size, "report.json", &v, &n, &err);
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n') || n || v))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		const qn_probe *p = &v[i];
		if (!p->label)
			__builtin_trap();
		if (p->kind == QN_PROBE_HTTP &&
		    (!p->method || !p->path || p->path[0] != '/' || p->port < 1 || p->port > 65535))
			__builtin_trap();
		if (p->kind == QN_PROBE_EXEC && (!p->argv || !p->argv[0]))
			__builtin_trap();
		json_t *spec = qn_probe_spec_json(p);
		json_decref(spec);
		qn_probe_clear(&v[i]);
	}
	free(v);
	qn_error_free(err);
	return 0;
}
