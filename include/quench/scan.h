/* libquench scan: an image's packages matched against the vulnerability database.
 *
 * qn_scan_image() is the entry point other commands use: it reads the image once (the inventory's
 * capture rules plus Debian changelogs), matches every package against the database and returns
 * the scan document (schema "quench.scan/v1", docs/scan.md) with each finding attributed to the
 * layer that introduced its package and to the base image or the application.
 *
 * Matching (lib/vuln/match.c): Debian binary packages are looked up by their source package and
 * source version (dpkg Source:) in ecosystem Debian, release os-release VERSION_ID ("12");
 * Alpine packages by origin in release major.minor; PyPI, npm, Go and Maven packages by name in
 * their OSV ecosystem, each with its own version ordering (lib/version). VEX documents
 * (OpenVEX 0.2, lib/vuln/vex.c) mark findings as suppressed. */
#ifndef QUENCH_SCAN_H
#define QUENCH_SCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quench/error.h"
#include "quench/image.h"
#include "quench/pkg.h"
#include "quench/vuln.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- severities ---- */

typedef enum {
	QN_SEV_UNKNOWN = 0,
	QN_SEV_LOW,
	QN_SEV_MEDIUM,
	QN_SEV_HIGH,
	QN_SEV_CRITICAL,
} qn_severity;
#define QN_SEV_COUNT 5

/* "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL" (static strings). */
const char *qn_severity_name(qn_severity s);
/* Parses a severity name, case-insensitively ("moderate" is MEDIUM). Returns 0 or -1. */
int qn_severity_parse(const char *s, qn_severity *out);
/* Parses a comma-separated list of severity names into a bit mask (1u << severity). Returns 0,
 * or -1 with QN_ERR_USAGE naming the bad entry. */
int qn_severity_mask_parse(const char *list, unsigned *mask, qn_error **err);

/* ---- OpenVEX 0.2 ---- */

typedef enum {
	QN_VEX_NONE = 0, /* no statement applies */
	QN_VEX_NOT_AFFECTED,
	QN_VEX_AFFECTED,
	QN_VEX_FIXED,
	QN_VEX_UNDER_INVESTIGATION,
} qn_vex_status;

/* "not_affected", "affected", "fixed", "under_investigation" (static), or NULL for NONE. */
const char *qn_vex_status_name(qn_vex_status s);

typedef struct qn_vex qn_vex;

/* Parses an OpenVEX document (0.2; the 0.0.x forms with a string "vulnerability" and string
 * products are accepted too). `what` names the input in messages ("vex.json"). Every statement
 * needs a vulnerability name and a known status; products are purls (their "@id" or
 * identifiers.purl), optionally with subcomponents. Malformed input is QN_ERR_INPUT naming the
 * statement and field. Keeps nothing of buf. Returns a new document (qn_vex_free) or NULL. */
qn_vex *qn_vex_parse(const uint8_t *buf, size_t len, const char *what, qn_error **err);
/* Reads and parses a file (at most 64 MiB). */
qn_vex *qn_vex_load(const char *path, qn_error **err);
void qn_vex_free(qn_vex *v);
size_t qn_vex_statement_count(const qn_vex *v);

/* The status the document gives to vulnerability ids[0..n) (a finding's id and aliases) in the
 * package with purl `purl`, inside the image whose purls/digests are image_ids[0..n_img). A
 * statement applies when its vulnerability (name, @id or an alias) is one of the ids and one of
 * its products matches the package purl, or names the image and either has no subcomponents or
 * a subcomponent matching the package purl. Purls match on type, namespace and name; a version
 * or qualifiers in the statement must be equal in the package's purl. The last applicable
 * statement in timestamp order (document order for equal times) wins. *justification and
 * *statement_id (either may be NULL) receive its justification (or impact statement) and its
 * "@id" or "statements[N]"; both belong to the document. */
qn_vex_status qn_vex_match(const qn_vex *v, const char *const *ids, size_t n_ids, const char *purl,
			   const char *const *image_ids, size_t n_img, const char **justification,
			   const char **statement_id);

/* ---- matching one package list ---- */

typedef struct {
	char *id;       /* primary id: a CVE when the record or an alias is one */
	char **aliases; /* other ids of the same vulnerability (sorted, without id) */
	size_t n_aliases;
	char **advisories; /* distribution advisories naming it (DSA-..., DLA-...) */
	size_t n_advisories;
	const qn_package *pkg; /* borrowed from the caller's list */
	char *ecosystem;       /* the data's ecosystem:release ("Debian:12", "PyPI") */
	char *package;         /* the name looked up (Debian source package, Alpine origin) */
	char *version;         /* the version compared (Debian source version) */
	char *fixed_version;   /* NULL when no fix is known */
	qn_vuln_status status;
	qn_severity severity;
	const char *severity_source; /* "cvss", "feed", "urgency", "none" (static) */
	double cvss;                 /* CVSS 3 base score, < 0 when none */
	char *cvss_vector;
	char *urgency;
	char *summary;
	char *data_source; /* database source name of the first matching row */
} qn_finding;

typedef struct {
	qn_finding *v;
	size_t n, cap;
	char **warnings; /* packages or rows that could not be compared */
	size_t n_warnings;
	size_t n_changelog_fixed; /* matches not reported: the package's changelog records the fix */
	size_t n_packages;        /* packages looked up */
} qn_findings;

void qn_findings_clear(qn_findings *f);

/* Optional evidence that a package's own changelog records a fix: returns true (and the
 * changelog version in *version, borrowed) when the CVE is named in an entry at or below the
 * installed source version. */
typedef bool (*qn_changelog_fn)(void *ud, const qn_package *p, const char *cve, const char **version);

/* Matches pkgs[0..n) against db for the OS `os` (may be NULL: OS packages are then skipped with
 * a warning) and appends findings to out, in package order, each package's findings sorted by
 * id. A CVE the changelog callback (may be NULL) confirms as fixed is not reported. Packages
 * stay borrowed by out. Returns 0 or -1 with err (database errors). */
int qn_scan_match(qn_vulndb *db, const qn_os_info *os, const qn_package *const *pkgs, size_t n,
		  qn_changelog_fn changelog, void *changelog_ud, qn_findings *out, qn_error **err);

/* The OSV ecosystem, release and lookup name/version for a package on this OS; false when the
 * package's ecosystem or the OS has no data (the reason in *why, static). Strings are new
 * (caller frees) on true. */
bool qn_scan_key(const qn_os_info *os, const qn_package *p, char **ecosystem, char **release, char **name,
		 char **version, const char **why);

/* ---- Debian changelogs ---- */

/* Called for each CVE id named in a changelog entry whose version is at or below `upto` (dpkg
 * ordering), newest entry first; version is the entry's. Return 0 to go on. */
typedef int (*qn_changelog_cve_fn)(void *ud, const char *cve, const char *version);
/* Reads a changelog.Debian.gz (gzip bytes; plain text is accepted too), at most 64 MiB
 * uncompressed. Entry headers are "package (version) distributions; urgency=..."; CVE ids are
 * CVE-YYYY-NNNN... tokens in the entry's lines. Returns 0, or -1 with QN_ERR_INPUT for a
 * corrupt gzip stream, QN_ERR_LIMIT when it is too large. */
int qn_changelog_cves(const uint8_t *buf, size_t len, const char *upto, qn_changelog_cve_fn fn, void *ud,
		      qn_error **err);

/* ---- scanning an image ---- */

typedef struct {
	bool ignore_unfixed;      /* drop findings without a fixed version (affected, will_not_fix) */
	qn_severity min_severity; /* drop findings below this (QN_SEV_UNKNOWN: keep all) */
	unsigned severities;      /* when not 0: keep only severities whose bit (1u << s) is set */
	const qn_vex *vex;        /* mark findings a statement declares not_affected or fixed */
	/* The base image: its layers' diff_ids must be a prefix of the scanned image's. Either an
	 * opened image (only its config is read) or a list of diff_ids; base_ref names it. */
	const qn_image *base;
	const char *const *base_diff_ids;
	size_t n_base_diff_ids;
	const char *base_ref;
	bool no_changelog; /* do not use changelog.Debian.gz as evidence of fixes */
} qn_scan_opts;

/* Scans an image: reads its layers once (tree + inventory + changelogs), matches every package
 * against db and returns the scan document (schema "quench.scan/v1", docs/scan.md): image, os,
 * db (path and sources), base (how it was found, ref, number of layers), layers, findings (each
 * with package, versions, purl, ecosystem, source, fixed version, status, severity, cvss,
 * urgency, layer and layer_kind base|app|unknown, suppressed_by_vex), warnings and a summary of
 * unsuppressed findings by severity for base, app and unknown. A --base whose layers are not a
 * prefix of img's is QN_ERR_INPUT. opts may be NULL. Keeps nothing of its arguments. Returns a
 * new reference or NULL with err. */
json_t *qn_scan_image(qn_image *img, qn_vulndb *db, const qn_scan_opts *opts, qn_error **err);

/* The highest severity among the document's unsuppressed findings, or -1 when it has none. */
int qn_scan_max_severity(const json_t *doc);

/* ---- reports of a scan document (lib/report) ---- */

/* SARIF 2.1.0 log: one rule per vulnerability id, one result per unsuppressed finding (the
 * suppressed ones with a "suppressions" entry), located at the package's metadata file.
 * Returns a new reference. */
json_t *qn_report_scan_sarif(const json_t *scan);
/* CycloneDX 1.6 BOM: the image as metadata.component, each affected package as a component,
 * and a vulnerabilities array (ratings, affects, fix recommendation, VEX analysis). Returns a
 * new reference. */
json_t *qn_report_scan_cyclonedx(const json_t *scan);

#ifdef __cplusplus
}
#endif
#endif
