/* libquench version module: ordering rules for package versions, used to decide whether an
 * installed version is below a vulnerability's fixed version.
 *
 * Each scheme follows its reference implementation: dpkg (verrevcmp), apk-tools
 * (apk_version_compare), rpm (rpmvercmp / rpmverCmp), semver 2.0.0 (npm, crates.io), Go modules
 * (golang.org/x/mod/semver), PEP 440 (the `packaging` library) and Maven (ComparableVersion).
 * Digit runs of any length are compared exactly (by length after leading zeros, then bytes), so
 * no input overflows and no input makes the work more than linear in its length.
 *
 * Nothing here allocates on success paths that the caller must free, keeps a pointer to its
 * arguments, or touches global state; every function is safe to call from any thread. */
#ifndef QUENCH_VERSION_H
#define QUENCH_VERSION_H

#include <stdbool.h>

#include "quench/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	QN_VER_DPKG = 1, /* Debian, Ubuntu */
	QN_VER_APK,      /* Alpine, Wolfi, Chainguard */
	QN_VER_RPM,      /* Red Hat and derivatives, SUSE */
	QN_VER_SEMVER,   /* semver 2.0.0: npm (leading "v" / "=" tolerated), crates.io */
	QN_VER_PEP440,   /* PyPI */
	QN_VER_MAVEN,    /* Maven ComparableVersion */
	QN_VER_GO,       /* Go modules: "v" required, v1 == v1.0.0, pseudo-versions */
} qn_version_scheme;

/* Short lowercase name of a scheme ("dpkg", "apk", "rpm", "semver", "pep440", "maven", "go"), or
 * "unknown". The string is static. */
const char *qn_version_scheme_name(qn_version_scheme s);

/* The scheme that orders versions of an OSV ecosystem: "Debian", "Debian:12", "Ubuntu:22.04",
 * "Alpine:v3.20", "Red Hat", "AlmaLinux:9", "Rocky Linux", "openSUSE", "PyPI", "npm", "Go",
 * "Maven", "crates.io", ... Only the part before the first ':' matters, compared without regard
 * to case. Returns 0 for NULL, unknown ecosystems and ecosystems whose ordering is not
 * implemented here (RubyGems, NuGet, Packagist, ...). */
qn_version_scheme qn_version_scheme_for_ecosystem(const char *osv_ecosystem);

/* Compares two versions under scheme s and writes -1, 0 or 1 to *out (a < b, a == b, a > b).
 * Fails with QN_ERR_INPUT (message names the scheme and the version) when a or b is NULL or empty,
 * when a version does not parse under a strict scheme (semver, PEP 440, Go), or when dpkg itself
 * would refuse it (bad epoch, empty revision, embedded space); with QN_ERR_USAGE when s is not a
 * scheme. apk, rpm and Maven order any other string the way their tools do; dpkg accepts what
 * dpkg only warns about. *out is written only on success. */
int qn_version_cmp(qn_version_scheme s, const char *a, const char *b, int *out, qn_error **err);

/* Checks that v is a well-formed version under s: what the scheme's own tools accept without
 * complaint (dpkg: no error and no warning; apk: apk_version_validate; rpm: [epoch:]version
 * [-release] with rpmbuild's characters; semver, PEP 440, Go: the grammar; Maven: not empty).
 * Returns 0, or -1 with QN_ERR_INPUT naming the version and what is wrong with it (QN_ERR_USAGE
 * when s is not a scheme). */
int qn_version_check(qn_version_scheme s, const char *v, qn_error **err);

/* ---- dpkg ---- */

/* Orders two Debian versions like `dpkg --compare-versions`: epoch numerically, then upstream
 * version and revision with verrevcmp ('~' before everything, even the end; letters before
 * other characters; digit runs numerically). Returns <0, 0 or >0. A string dpkg refuses to parse
 * (see qn_dpkg_version_valid) is ordered as if it were a bare upstream version with epoch 0, so
 * the result is still antisymmetric. NULL is treated as "". */
int qn_dpkg_vercmp(const char *a, const char *b);
/* True when dpkg parses v without error or warning (Debian policy syntax). */
bool qn_dpkg_version_valid(const char *v);

/* ---- apk ---- */

/* Orders two Alpine versions like apk-tools' apk_version_compare:
 * digits{.digits}[letter]{_suffix[N]}[~hash][-rN], with suffixes
 * _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p. Invalid strings are
 * compared up to the point where they stop parsing, as apk does. Returns -1, 0 or 1. */
int qn_apk_vercmp(const char *a, const char *b);
/* True when apk-tools' apk_version_validate accepts v. */
bool qn_apk_version_valid(const char *v);

/* ---- rpm ---- */

/* Orders two [epoch:]version[-release] strings like rpm's rpmverCmp: a missing epoch is 0, the
 * epoch, version and release are compared with rpmvercmp, and a missing release sorts before any
 * release. Returns -1, 0 or 1. */
int qn_rpm_vercmp(const char *a, const char *b);
/* rpm's rpmvercmp on one version or release string: alphanumeric segments, digits numerically
 * and newer than letters, '~' before everything, '^' after the end but before anything else.
 * Returns -1, 0 or 1. */
int qn_rpm_rpmvercmp(const char *a, const char *b);
/* True when v is [digits:]version[-release] with version and release non-empty and made of
 * letters, digits and "._+~^" (the characters rpmbuild allows). */
bool qn_rpm_version_valid(const char *v);

/* ---- Maven ---- */

/* Orders two Maven versions like maven-artifact's ComparableVersion (3.9). Never fails: every
 * string is a Maven version. Returns -1, 0 or 1. */
int qn_maven_vercmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
