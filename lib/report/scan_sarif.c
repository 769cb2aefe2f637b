/* A scan document (quench.scan/v1) as a SARIF 2.1.0 log, for code-scanning dashboards. One rule
 * per vulnerability id (with its CVSS score as "security-severity", which GitHub uses to rank),
 * one result per finding located at the package database that records the package; findings
 * suppressed by VEX keep their result with an accepted external suppression. Nothing here decides
 * what is a finding: the scan document did. */
#include <stdio.h>
#include <string.h>

#include "quench/scan.h"
#include "util/json.h"
#include "util/strset.h"
#include "util/util.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static const char *level_of(const char *sev)
{
	if (sev && (!strcmp(sev, "CRITICAL") || !strcmp(sev, "HIGH")))
		return "error";
	if (sev && !strcmp(sev, "MEDIUM"))
		return "warning";
	return "note";
}

static const char *or_str(const char *s, const char *d)
{
	return s && *s ? s : d;
}

static json_t *rule_json(const json_t *f)
{
	const char *id = qn_json_str(f, "id"), *summary = qn_json_str(f, "summary");
	json_t *props = json_pack("{s:[s,s],s:s}", "tags", "security", "vulnerability", "severity",
				  or_str(qn_json_str(f, "severity"), "UNKNOWN"));
	const json_t *cvss = json_object_get(f, "cvss");
	if (json_is_number(cvss)) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%.1f", json_number_value(cvss));
		json_object_set_new(props, "security-severity", json_string(buf));
	}
	_cleanup_free_ char *help = xasprintf("https://osv.dev/vulnerability/%s", id);
	json_t *r = json_pack("{s:s,s:s,s:{s:s},s:{s:s},s:s,s:o}", "id", id, "name", id, "shortDescription", "text",
			      or_str(summary, id), "defaultConfiguration", "level",
			      level_of(qn_json_str(f, "severity")), "helpUri", help, "properties", props);
	return r;
}

static json_t *result_json(const json_t *f, size_t rule_index)
{
	const char *id = qn_json_str(f, "id"), *pkg = or_str(qn_json_str(f, "package"), "?");
	const char *ver = or_str(qn_json_str(f, "version"), "?"), *fixed = qn_json_str(f, "fixed_version");
	const char *kind = or_str(qn_json_str(f, "layer_kind"), "unknown");
	_cleanup_free_ char *msg = fixed ? xasprintf("%s %s is affected by %s (%s, %s layer); fixed in %s", pkg, ver,
						     id, or_str(qn_json_str(f, "severity"), "UNKNOWN"), kind, fixed)
					 : xasprintf("%s %s is affected by %s (%s, %s layer); %s", pkg, ver, id,
						     or_str(qn_json_str(f, "severity"), "UNKNOWN"), kind,
						     !strcmp(or_str(qn_json_str(f, "status"), ""), "will_not_fix")
							 ? "the distribution will not fix it"
							 : "no fix yet");
	const char *loc = or_str(qn_json_str(f, "location"), "var/lib/dpkg/status");
	json_t *logical = json_pack("[{s:s,s:s}]", "name", pkg, "kind", "package");
	_cleanup_free_ char *fp = xasprintf("%s|%s|%s", id, or_str(qn_json_str(f, "purl"), pkg), ver);
	json_t *r = json_pack("{s:s,s:I,s:s,s:{s:s},s:[{s:{s:{s:s}},s:o}],s:{s:s}}", "ruleId", id, "ruleIndex",
			      (json_int_t)rule_index, "level", level_of(qn_json_str(f, "severity")), "message", "text",
			      msg, "locations", "physicalLocation", "artifactLocation", "uri", loc, "logicalLocations",
			      logical, "partialFingerprints", "quenchFinding/v1", fp);
	json_t *props = json_object();
	const char *keys[] = {"package",  "version",    "purl",   "fixed_version", "status",
			      "severity", "layer_kind", "source", "source_version"};
	for (size_t i = 0; i < QN_ARRAY_LEN(keys); i++)
		json_object_set(props, keys[i],
				json_object_get(f, keys[i]) ? json_object_get(f, keys[i]) : json_null());
	json_object_set(props, "layer", json_object_get(f, "layer"));
	json_object_set_new(r, "properties", props);
	if (json_is_true(json_object_get(f, "suppressed_by_vex"))) {
		const json_t *vex = json_object_get(f, "vex");
		_cleanup_free_ char *just =
		    xasprintf("VEX %s: %s", or_str(qn_json_str(vex, "status"), "?"),
			      or_str(qn_json_str(vex, "justification"), "no justification given"));
		json_object_set_new(
		    r, "suppressions",
		    json_pack("[{s:s,s:s,s:s}]", "kind", "external", "status", "accepted", "justification", just));
	}
	return r;
}

json_t *qn_report_scan_sarif(const json_t *scan)
{
	json_t *rules = json_array(), *results = json_array();
	qn_strset seen = QN_STRSET_INIT;
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(scan, "findings"), i, f) {
		const char *id = qn_json_str(f, "id");
		if (!id)
			continue;
		uintptr_t idx = (uintptr_t)qn_strset_get(&seen, id);
		if (!idx) {
			json_array_append_new(rules, rule_json(f));
			idx = json_array_size(rules);
			qn_strset_put(&seen, id, (void *)idx);
		}
		json_array_append_new(results, result_json(f, idx - 1));
	}
	qn_strset_clear(&seen);
	const json_t *img = json_object_get(scan, "image");
	json_t *run = json_pack("{s:{s:{s:s,s:s,s:o}},s:o,s:{s:O,s:O,s:O}}", "tool", "driver", "name", "quench",
				"version", QN_VERSION, "rules", rules, "results", results, "properties", "image", img,
				"base", json_object_get(scan, "base"), "summary", json_object_get(scan, "summary"));
	return json_pack("{s:s,s:s,s:[o]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
}
