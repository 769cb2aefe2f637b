/* The compliance map: for a handful of controls in NIST SP 800-53 Rev. 5 (the catalogue FedRAMP
 * baselines select from), PCI DSS 4.0 and the SOC 2 Trust Services Criteria, what this bundle
 * shows, which of its files show it, and what it does not cover.
 *
 * The statements are written from the figures of the verify document, so a run without CVE data
 * says so instead of claiming scanning, an unsigned bundle does not claim integrity protection,
 * and a failed verification is reported as a gap. This is supporting evidence for an assessor,
 * not an assessment: no control is "met" by a file alone. */
#include "evidence_int.h"
#include "util/json.h"

typedef struct {
	const json_t *v;
	bool is_signed, have_cves, verify_ok, have_vex;
	long long removed, trimmed, kept, paths_removed, probes, probes_same, cves_before, cves_after, cves_gone,
	    cves_added, cves_unexplained, missing;
	const char *db;
} facts;

/* Whether the bundle gets a VEX document: a removed CVE with a package purl (as vex.c decides). */
static bool has_vex(const json_t *v)
{
	size_t i;
	json_t *r;
	json_array_foreach (qn_ev_arr(v, "cves.removed"), i, r) {
		const char *p = qn_json_str(r, "purl"), *e = qn_json_str(r, "explained_by");
		if (qn_json_str(r, "id") &&
		    ((p && qn_str_has_prefix(p, "pkg:")) || (e && qn_str_has_prefix(e, "pkg:"))))
			return true;
	}
	return false;
}

static void gather(facts *f, const json_t *v, bool is_signed)
{
	f->v = v;
	f->is_signed = is_signed;
	f->verify_ok = qn_ev_bool(v, "ok") == 1;
	f->kept = (long long)json_array_size(qn_ev_arr(v, "packages.kept"));
	f->trimmed = (long long)json_array_size(qn_ev_arr(v, "packages.trimmed"));
	f->removed = (long long)json_array_size(qn_ev_arr(v, "packages.removed"));
	f->paths_removed = qn_ev_int(v, "paths.removed", 0);
	const json_t *pr = qn_ev_arr(v, "probes");
	f->probes = (long long)json_array_size(pr);
	size_t i;
	json_t *p;
	json_array_foreach (pr, i, p)
		f->probes_same += json_is_true(json_object_get(p, "same"));
	f->missing = (long long)json_array_size(qn_ev_arr(v, "missing_paths"));
	f->have_cves = json_is_object(qn_ev_get(v, "cves"));
	f->have_vex = has_vex(v);
	f->cves_before = qn_ev_int(v, "cves.before.total", 0);
	f->cves_after = qn_ev_int(v, "cves.after.total", 0);
	f->cves_gone = (long long)json_array_size(qn_ev_arr(v, "cves.removed"));
	f->cves_added = (long long)json_array_size(qn_ev_arr(v, "cves.added"));
	f->cves_unexplained = (long long)json_array_size(qn_ev_arr(v, "cves.unexplained"));
	f->db = qn_ev_str(json_array_get(qn_ev_arr(v, "cves.db.sources"), 0), "name", NULL);
}

/* The bundle files of a space-separated list. */
static json_t *files(const char *list)
{
	json_t *a = json_array();
	const char *s = list;
	while (*s) {
		size_t n = strcspn(s, " ");
		_cleanup_free_ char *f = xstrndup(s, n);
		json_array_append_new(a, json_string(f));
		s += n + (s[n] == ' ');
	}
	return a;
}

/* status: "supported" (the bundle shows what the control asks of an image), "partial" (it shows
 * part of it), "not_supported" (this run produced no evidence for it). */
static void add(json_t *controls, const char *id, const char *title, const char *status, char *statement,
		const char *file_list, const char *not_covered)
{
	json_t *c = json_object();
	qn_json_set_str(c, "id", id);
	qn_json_set_str(c, "title", title);
	qn_json_set_str(c, "status", status);
	qn_json_set_str(c, "statement", statement);
	json_object_set_new(c, "evidence", files(file_list));
	qn_json_set_str(c, "not_covered", not_covered);
	json_array_append_new(controls, c);
	free(statement);
}

static char *cve_line(const facts *f)
{
	if (!f->have_cves)
		return xstrdup("No vulnerability database was given for this run (--db), so no CVE scan is recorded.");
	char *base =
	    xasprintf("Both images were matched against %s: %lld CVE findings before, %lld after; %lld went "
		      "with removed packages, each listed with the package that explains it",
		      f->db ? f->db : "the vulnerability database", f->cves_before, f->cves_after, f->cves_gone);
	if (!f->cves_added && !f->cves_unexplained) {
		char *s = xasprintf("%s.", base);
		free(base);
		return s;
	}
	char *s = xasprintf("%s; %lld findings are new in the hardened image and %lld went without a removed "
			    "package to explain them (verification fails on both).",
			    base, f->cves_added, f->cves_unexplained);
	free(base);
	return s;
}

static char *probe_line(const facts *f)
{
	if (!f->probes)
		return xasprintf("No probes were given: only the interface (%s) and the path recorder were compared.",
				 qn_ev_bool(f->v, "interface.ok") == 1 ? "unchanged" : "changed");
	return xasprintf("%lld of %lld probes gave the same results on both images; %lld lookups failed only in "
			 "the hardened image; the interface is %s.",
			 f->probes_same, f->probes, f->missing,
			 qn_ev_bool(f->v, "interface.ok") == 1 ? "unchanged" : "CHANGED");
}

static json_t *nist(const facts *f)
{
	json_t *c = json_array();
	add(c, "CM-7", "Least Functionality", "supported",
	    xasprintf("Software the workload never used was removed: %lld packages removed, %lld trimmed, %lld "
		      "kept; %lld paths removed (shells, package managers, compilers and docs unless used).",
		      f->removed, f->trimmed, f->kept, f->paths_removed),
	    "report.json report.html sbom-hardened.cdx.json methodology.md",
	    "Capabilities, ports, network policy and other runtime settings of the deployment; code paths the "
	    "probes did not exercise are judged by static closure only.");
	add(c, "CM-8", "System Component Inventory", "partial",
	    xstrdup("CycloneDX 1.6 and SPDX 2.3 inventories of both images: every package with version, purl, "
		    "licence, files and the layer that introduced it."),
	    "sbom-original.cdx.json sbom-hardened.cdx.json sbom-original.spdx.json sbom-hardened.spdx.json",
	    "Components outside the image (host, orchestrator, services); software that no package database or "
	    "build metadata describes is not listed.");
	add(c, "CM-2", "Baseline Configuration", "partial",
	    xasprintf("The hardened image is pinned by digest in the attestation, with the original it derives "
		      "from; its configuration fields were compared with the original's (%s).",
		      qn_ev_bool(f->v, "interface.ok") == 1 ? "unchanged" : "changed"),
	    "attestation.intoto.json report.json", "Baselines of the systems that run the image.");
	add(c, "CM-6", "Configuration Settings", "partial",
	    xstrdup("Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts, Volumes, StopSignal, Healthcheck, "
		    "labels and annotations are recorded for both images and compared field by field."),
	    "report.json report.html",
	    "The settings are not checked against a benchmark (CIS or DISA STIG); deployment settings are not "
	    "seen.");
	add(c, "RA-5", "Vulnerability Monitoring and Scanning", f->have_cves ? "partial" : "not_supported", cve_line(f),
	    "report.json report.html vex.openvex.json",
	    "A point-in-time scan of the image's packages against the named database snapshot; no continuous "
	    "monitoring, no scan of the running system, and no findings for software without package data.");
	add(c, "SI-2", "Flaw Remediation", f->have_cves ? "partial" : "not_supported",
	    f->have_cves ? xasprintf("%lld CVE findings were remediated by removing their packages (OpenVEX "
				     "not_affected / component_not_present); the %lld that remain are listed with "
				     "their packages, kept or trimmed.",
				     f->cves_gone, f->cves_after)
			 : xstrdup("No CVE data in this run (--db), so no remediation is shown."),
	    "vex.openvex.json report.json report.html",
	    "Remaining flaws are not patched: quench removes, it does not upgrade; timeliness of remediation is "
	    "the organisation's process.");
	add(c, "SA-11", "Developer Testing and Evaluation", f->verify_ok && f->probes ? "supported" : "partial",
	    probe_line(f), "report.json report.html",
	    "Behaviour outside the probes is not tested; the probes are only as good as the ones supplied.");
	add(c, "SI-7", "Software, Firmware, and Information Integrity", f->is_signed ? "supported" : "partial",
	    f->is_signed ? xstrdup("A signed in-toto statement (DSSE) binds the hardened image digest and the sha256 "
				   "of every bundle file; 'quench evidence verify' checks both.")
			 : xstrdup("The statement lists the sha256 of every bundle file, but this bundle is NOT "
				   "signed (no --key): anyone could rewrite it consistently."),
	    "attestation.dsse.json attestation.intoto.json",
	    "Verifying signatures at deployment (admission control) and protecting the signing key.");
	add(c, "SR-4", "Provenance", "partial",
	    xstrdup("The attestation records the original image digest, the hardened image digest, the keep and "
		    "remove sets (with digests) and the quench version that made the change."),
	    "attestation.intoto.json report.json", "The provenance of the original image itself.");
	return c;
}

static json_t *pci(const facts *f)
{
	json_t *c = json_array();
	add(c, "2.2.1", "Configuration standards are developed, implemented and maintained", "partial",
	    xstrdup("The hardening method is documented and applied the same way to every image (methodology.md); "
		    "the result is recorded per image."),
	    "methodology.md report.json",
	    "The organisation's own configuration standard and its review are not part of the bundle.");
	add(c, "2.2.4", "Only necessary services, protocols, daemons and functions are enabled", "supported",
	    xasprintf("Everything the workload did not use was removed (%lld packages removed, %lld trimmed, %lld "
		      "paths removed), including shells and package managers unless used.",
		      f->removed, f->trimmed, f->paths_removed),
	    "report.json report.html sbom-hardened.spdx.json", "Services and ports of the host and the network.");
	add(c, "6.3.1", "Security vulnerabilities are identified and managed",
	    f->have_cves ? "partial" : "not_supported", cve_line(f), "report.json report.html",
	    "Risk ranking by the organisation and vulnerabilities in bespoke code are not covered.");
	add(c, "6.3.2", "An inventory of bespoke, custom and third-party software components is maintained", "partial",
	    xstrdup("SBOMs (CycloneDX and SPDX) of the image before and after hardening."),
	    "sbom-original.cdx.json sbom-hardened.cdx.json sbom-original.spdx.json sbom-hardened.spdx.json",
	    "Keeping the inventory current over time, and bespoke code without package metadata.");
	add(c, "6.3.3", "System components are protected from known vulnerabilities",
	    f->have_cves ? "partial" : "not_supported",
	    f->have_cves ? xasprintf("%lld findings removed with their packages; %lld remain and are listed "
				     "for patching.",
				     f->cves_gone, f->cves_after)
			 : xstrdup("No CVE data in this run (--db)."),
	    "vex.openvex.json report.json", "Installing patches within the required time frame.");
	add(c, "11.3.1", "Internal vulnerability scans are performed", f->have_cves ? "partial" : "not_supported",
	    xstrdup(f->have_cves ? "A scan of the image before and after hardening, with the database source and "
				   "date recorded."
				 : "No scan in this run (--db)."),
	    "report.json", "The quarterly cadence, rescans after significant change, and scans of running systems.");
	return c;
}

static json_t *soc2(const facts *f)
{
	json_t *c = json_array();
	add(c, "CC7.1", "Detection and monitoring of configuration changes and new vulnerabilities",
	    f->have_cves ? "partial" : "not_supported", cve_line(f), "report.json vex.openvex.json report.html",
	    "Ongoing monitoring: the bundle is a snapshot at the database date.");
	add(c, "CC8.1", "Changes are authorised, designed, tested, approved and implemented", "partial",
	    xasprintf("The change from original to hardened image is documented (what was removed and why), tested "
		      "(%s) and recorded in a %s attestation.",
		      f->verify_ok ? "verification passed" : "verification FAILED",
		      f->is_signed ? "signed" : "unsigned"),
	    "report.json report.html attestation.dsse.json", "Authorisation and approval of the change by people.");
	add(c, "CC6.8", "Prevent or detect unauthorised or malicious software", "partial",
	    xasprintf("Package managers and shells are removed unless used, which hinders installing software at "
		      "run time; the image contents are pinned by digest%s.",
		      f->is_signed ? " in a signed statement" : " (the bundle is not signed)"),
	    "report.json sbom-hardened.cdx.json attestation.dsse.json",
	    "Malware scanning of the kept files, and enforcement at deployment.");
	return c;
}

static void drop_file(json_t *fw, const char *name)
{
	size_t i, k, e;
	json_t *f, *c;
	json_array_foreach (fw, i, f)
		json_array_foreach (json_object_get(f, "controls"), k, c) {
			json_t *ev = json_object_get(c, "evidence");
			for (e = json_array_size(ev); e-- > 0;)
				if (!strcmp(json_string_value(json_array_get(ev, e)), name))
					json_array_remove(ev, e);
		}
}

static json_t *framework(const char *id, const char *name, json_t *controls)
{
	return json_pack("{s:s,s:s,s:o}", "id", id, "name", name, "controls", controls);
}

json_t *qn_compliance_build(const json_t *verify, bool is_signed)
{
	facts f = {0};
	gather(&f, verify, is_signed);
	json_t *doc = json_object();
	qn_json_set_str(doc, "schema", "quench.compliance/v1");
	qn_json_set_str(doc, "quench_version", QN_VERSION);
	json_object_set_new(doc, "verification_ok", json_boolean(f.verify_ok));
	json_object_set_new(doc, "signed", json_boolean(is_signed));
	qn_json_set_str(doc, "disclaimer",
			"Supporting evidence for an assessor, not an assessment. Each entry says what this bundle "
			"shows about the image, which file shows it, and what it does not cover. Controls also "
			"depend on the systems that build, store and run the image.");
	json_t *fw = json_array();
	json_array_append_new(fw, framework("nist-800-53r5", "NIST SP 800-53 Rev. 5 / FedRAMP", nist(&f)));
	json_array_append_new(fw, framework("pci-dss-4.0", "PCI DSS 4.0", pci(&f)));
	json_array_append_new(fw, framework("soc2-tsc-2017", "SOC 2 Trust Services Criteria", soc2(&f)));
	json_object_set_new(doc, "frameworks", fw);
	if (!f.have_vex) /* no CVE left with a removed package: the bundle has no VEX file to point to */
		drop_file(fw, "vex.openvex.json");
	return doc;
}
