/* A scan document (quench.scan/v1) as a CycloneDX 1.6 BOM with vulnerabilities: the image as
 * metadata.component, each package that has findings as a library component, and one
 * vulnerability object per finding (ratings, the affected component and version, the fix as a
 * recommendation, the VEX verdict as its analysis, layer and base/app as properties). The serial
 * number is derived from the image identity, the timestamp from the image config, so the same
 * scan gives the same bytes. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "quench/scan.h"
#include "util/json.h"
#include "util/strset.h"
#include "util/util.h"

static const char *or_str(const char *s, const char *d)
{
	return s && *s ? s : d;
}

/* A name-based UUID (RFC 4122 version 5 layout over SHA-1 of the name). */
static void uuid_of(const char *name, char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(name, strlen(name), md, &n, EVP_sha1(), NULL);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2],
		 md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
}

static const char *cdx_severity(const char *s)
{
	static const char *const map[][2] = {
	    {"CRITICAL", "critical"}, {"HIGH", "high"}, {"MEDIUM", "medium"}, {"LOW", "low"}};
	for (size_t i = 0; s && i < QN_ARRAY_LEN(map); i++)
		if (!strcmp(s, map[i][0]))
			return map[i][1];
	return "unknown";
}

/* OpenVEX justification -> CycloneDX impact analysis justification. */
static const char *cdx_justification(const char *j)
{
	static const char *const map[][2] = {
	    {"component_not_present", "code_not_present"},
	    {"vulnerable_code_not_present", "code_not_present"},
	    {"vulnerable_code_not_in_execute_path", "code_not_reachable"},
	    {"vulnerable_code_cannot_be_controlled_by_adversary", "protected_by_mitigating_control"},
	    {"inline_mitigations_already_exist", "protected_by_mitigating_control"}};
	for (size_t i = 0; j && i < QN_ARRAY_LEN(map); i++)
		if (!strcmp(j, map[i][0]))
			return map[i][1];
	return NULL;
}

static json_t *analysis_json(const json_t *vex)
{
	const char *st = qn_json_str(vex, "status");
	if (!st)
		return NULL;
	const char *state = !strcmp(st, "not_affected") ? "not_affected"
			    : !strcmp(st, "fixed")      ? "resolved"
			    : !strcmp(st, "affected")   ? "exploitable"
							: "in_triage";
	json_t *a = json_pack("{s:s}", "state", state);
	const char *just = qn_json_str(vex, "justification");
	if (cdx_justification(just))
		json_object_set_new(a, "justification", json_string(cdx_justification(just)));
	if (just) {
		_cleanup_free_ char *d =
		    xasprintf("OpenVEX %s: %s", or_str(qn_json_str(vex, "statement"), "statement"), just);
		json_object_set_new(a, "detail", json_string(d));
	}
	return a;
}

static json_t *prop(const char *name, const char *value)
{
	return json_pack("{s:s,s:s}", "name", name, "value", value);
}

static json_t *vuln_json(const json_t *f, const char *ref, size_t n)
{
	const char *id = qn_json_str(f, "id");
	char bref[64];
	snprintf(bref, sizeof(bref), "vulnerability-%zu", n);
	json_t *v = json_pack("{s:s,s:s}", "bom-ref", bref, "id", id);
	_cleanup_free_ char *url = xasprintf("https://osv.dev/vulnerability/%s", id);
	json_object_set_new(
	    v, "source", json_pack("{s:s,s:s}", "name", or_str(qn_json_str(f, "data_ecosystem"), "OSV"), "url", url));
	json_t *refs = json_array();
	size_t i;
	const json_t *a;
	json_array_foreach (json_object_get(f, "aliases"), i, a)
		json_array_append_new(refs,
				      json_pack("{s:s,s:{s:s}}", "id", json_string_value(a), "source", "name", "OSV"));
	json_array_foreach (json_object_get(f, "advisories"), i, a)
		json_array_append_new(
		    refs, json_pack("{s:s,s:{s:s}}", "id", json_string_value(a), "source", "name", "Debian"));
	if (json_array_size(refs))
		json_object_set_new(v, "references", refs);
	else
		json_decref(refs);
	json_t *rating = json_pack("{s:s}", "severity", cdx_severity(qn_json_str(f, "severity")));
	const json_t *cvss = json_object_get(f, "cvss");
	const char *vector = qn_json_str(f, "cvss_vector");
	if (json_is_number(cvss)) {
		json_object_set_new(rating, "score", json_real(json_number_value(cvss)));
		json_object_set_new(
		    rating, "method",
		    json_string(vector && qn_str_has_prefix(vector, "CVSS:3.0") ? "CVSSv3" : "CVSSv31"));
		if (vector)
			json_object_set_new(rating, "vector", json_string(vector));
	} else if (qn_json_str(f, "urgency"))
		json_object_set_new(rating, "method", json_string("other"));
	json_object_set_new(v, "ratings", json_pack("[o]", rating));
	if (qn_json_str(f, "summary"))
		json_object_set_new(v, "description", json_string(qn_json_str(f, "summary")));
	const char *fixed = qn_json_str(f, "fixed_version");
	_cleanup_free_ char *rec =
	    fixed ? xasprintf("Upgrade %s to %s or later", or_str(qn_json_str(f, "package"), "?"), fixed) : NULL;
	if (rec)
		json_object_set_new(v, "recommendation", json_string(rec));
	json_object_set_new(v, "affects",
			    json_pack("[{s:s,s:[{s:s,s:s}]}]", "ref", ref, "versions", "version",
				      or_str(qn_json_str(f, "version"), "unknown"), "status", "affected"));
	json_t *an = analysis_json(json_object_get(f, "vex"));
	if (an)
		json_object_set_new(v, "analysis", an);
	json_t *props = json_array();
	json_array_append_new(props, prop("quench:layer_kind", or_str(qn_json_str(f, "layer_kind"), "unknown")));
	json_array_append_new(props, prop("quench:status", or_str(qn_json_str(f, "status"), "affected")));
	const json_t *layer = json_object_get(f, "layer");
	if (qn_json_str(layer, "diff_id"))
		json_array_append_new(props, prop("quench:layer_diff_id", qn_json_str(layer, "diff_id")));
	if (qn_json_str(f, "urgency"))
		json_array_append_new(props, prop("quench:urgency", qn_json_str(f, "urgency")));
	if (json_is_true(json_object_get(f, "suppressed_by_vex")))
		json_array_append_new(props, prop("quench:suppressed_by_vex", "true"));
	json_object_set_new(v, "properties", props);
	return v;
}

static json_t *component_json(const json_t *f, const char *ref)
{
	json_t *c =
	    json_pack("{s:s,s:s,s:s,s:s}", "type", "library", "bom-ref", ref, "name",
		      or_str(qn_json_str(f, "package"), "unknown"), "version", or_str(qn_json_str(f, "version"), ""));
	if (qn_json_str(f, "purl"))
		json_object_set_new(c, "purl", json_string(qn_json_str(f, "purl")));
	return c;
}

json_t *qn_report_scan_cyclonedx(const json_t *scan)
{
	const json_t *img = json_object_get(scan, "image");
	const char *ident = or_str(qn_json_str(img, "digest"),
				   or_str(qn_json_str(img, "config_digest"), or_str(qn_json_str(img, "ref"), "image")));
	char uuid[37];
	_cleanup_free_ char *name = xasprintf("quench-scan:%s", ident);
	uuid_of(name, uuid);
	_cleanup_free_ char *serial = xasprintf("urn:uuid:%s", uuid);
	json_t *comps = json_array(), *vulns = json_array();
	qn_strset refs = QN_STRSET_INIT; /* package key -> bom-ref number + 1 */
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(scan, "findings"), i, f) {
		_cleanup_free_ char *key =
		    xasprintf("%s|%s|%s", or_str(qn_json_str(f, "purl"), ""), or_str(qn_json_str(f, "package"), ""),
			      or_str(qn_json_str(f, "version"), ""));
		uintptr_t k = (uintptr_t)qn_strset_get(&refs, key);
		if (!k) {
			k = json_array_size(comps) + 1;
			qn_strset_put(&refs, key, (void *)k);
		}
		char ref[48];
		snprintf(ref, sizeof(ref), "component-%zu", (size_t)k);
		if (k == json_array_size(comps) + 1)
			json_array_append_new(comps, component_json(f, ref));
		json_array_append_new(vulns, vuln_json(f, ref, i + 1));
	}
	qn_strset_clear(&refs);
	json_t *meta = json_pack("{s:{s:[{s:s,s:s,s:s}]},s:{s:s,s:s,s:s}}", "tools", "components", "type",
				 "application", "name", "quench", "version", QN_VERSION, "component", "type",
				 "container", "bom-ref", "image", "name", or_str(qn_json_str(img, "ref"), "image"));
	const char *created = qn_json_str(img, "created");
	if (created && strlen(created) >= 20 && created[4] == '-' && created[10] == 'T')
		json_object_set_new(meta, "timestamp", json_string(created));
	if (qn_json_str(img, "digest") || qn_json_str(img, "config_digest"))
		json_object_set_new(json_object_get(meta, "component"), "version",
				    json_string(or_str(qn_json_str(img, "digest"), qn_json_str(img, "config_digest"))));
	return json_pack("{s:s,s:s,s:s,s:i,s:o,s:o,s:o}", "bomFormat", "CycloneDX", "specVersion", "1.6",
			 "serialNumber", serial, "version", 1, "metadata", meta, "components", comps, "vulnerabilities",
			 vulns);
}
