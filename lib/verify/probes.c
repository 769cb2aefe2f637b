/* The probes of a harden report (docs/harden-report.md: profile.probes), read back so that
 * `quench verify --probes-from REPORT` runs exactly what hardening ran. Each probe carries its
 * definition in "spec" (the probes file form); a report written before that existed names the
 * probe only by its label ("GET 8000/health", "exec python3 -c ..."), which is parsed as the
 * command line would be. The report comes from a file a user names: it is parsed as input,
 * bounded, and a malformed entry fails the whole read. */
#include "quench/verify.h"
#include "run/run.h"
#include "util/json.h"
#include "util/util.h"

#define REPORT_MAX ((size_t)256 << 20)

static int from_label(const json_t *pr, const char *what, size_t i, qn_probe *p, qn_error **err)
{
	const char *label = qn_json_str(pr, "probe"), *kind = qn_json_str(pr, "kind");
	if (!label || !kind)
		return qn_error_set(err, QN_ERR_INPUT, "%s: probe %zu has neither \"spec\" nor \"probe\" and \"kind\"",
				    what, i);
	int rc;
	if (!strcmp(kind, "http"))
		rc = qn_probe_parse_http(label, p, err);
	else if ((!strcmp(kind, "exec") || !strcmp(kind, "test")) &&
		 (qn_str_has_prefix(label, "exec ") || qn_str_has_prefix(label, "test ")))
		rc = qn_probe_parse_exec(label + 5, !strcmp(kind, "test"), p, err);
	else
		return qn_error_set(err, QN_ERR_INPUT, "%s: probe %zu: unknown kind \"%s\"", what, i, kind);
	if (rc < 0)
		qn_error_prefix(err, "%s: probe %zu", what, i);
	return rc;
}

int qn_verify_probes_from_report(const uint8_t *buf, size_t len, const char *what, struct qn_probe **v, size_t *n,
				 qn_error **err)
{
	_cleanup_json_ json_t *doc = qn_json_parse(buf, len, REPORT_MAX, what, err);
	if (!doc)
		return -1;
	const char *schema = qn_json_str(doc, "schema");
	if (!schema || strcmp(schema, "quench.harden/v1"))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not a harden report (schema \"quench.harden/v1\" expected)",
				    what);
	const json_t *list = json_object_get(json_object_get(doc, "profile"), "probes");
	if (!json_is_array(list))
		return qn_error_set(err, QN_ERR_INPUT, "%s: profile.probes is missing or not an array", what);
	qn_probe *got = NULL;
	size_t k = 0, i;
	json_t *pr;
	int rc = 0;
	json_array_foreach (list, i, pr) {
		const json_t *spec = json_object_get(pr, "spec");
		if (json_is_object(spec)) {
			/* one probe at a time through the probes-file parser: same rules, same messages */
			json_t *one = json_pack("[O]", spec);
			_cleanup_free_ char *s = qn_json_dump(one, false);
			json_decref(one);
			_cleanup_free_ char *w = xasprintf("%s: probe %zu", what, i);
			rc = qn_probes_parse_json((const uint8_t *)s, strlen(s), w, &got, &k, err);
		} else {
			got = xreallocarray(got, k + 1, sizeof(qn_probe));
			rc = from_label(pr, what, i, &got[k], err);
			if (rc == 0)
				k++;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		for (size_t j = 0; j < k; j++)
			qn_probe_clear(&got[j]);
		free(got);
		return -1;
	}
	*v = xreallocarray(*v, *n + k + 1, sizeof(qn_probe));
	if (k)
		memcpy(*v + *n, got, k * sizeof(qn_probe));
	*n += k;
	free(got);
	return 0;
}
