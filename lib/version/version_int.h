/* Internal to the version module: what version.c needs from each scheme's file, and the helpers
 * they share. Nothing here is part of the public API. */
#ifndef QN_VERSION_INT_H
#define QN_VERSION_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "quench/version.h"

/* ASCII-only classes: version syntaxes are defined over ASCII and must not depend on the locale. */
static inline bool qn_ver_isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static inline bool qn_ver_islower(int c)
{
	return c >= 'a' && c <= 'z';
}
static inline bool qn_ver_isupper(int c)
{
	return c >= 'A' && c <= 'Z';
}
static inline bool qn_ver_isalpha(int c)
{
	return qn_ver_islower(c) || qn_ver_isupper(c);
}
static inline bool qn_ver_isalnum(int c)
{
	return qn_ver_isdigit(c) || qn_ver_isalpha(c);
}
static inline int qn_ver_tolower(int c)
{
	return qn_ver_isupper(c) ? c - 'A' + 'a' : c;
}
static inline int qn_ver_sign(long long v)
{
	return v < 0 ? -1 : v > 0 ? 1 : 0;
}

/* Compares two runs of ASCII digits as unbounded non-negative integers: leading zeros are skipped,
 * then the longer run is larger, then the bytes decide. Empty runs are zero. Returns -1, 0, 1. */
int qn_ver_digits_cmp(const char *a, size_t an, const char *b, size_t bn);
/* Length of the run of ASCII digits at s (at most n bytes). */
size_t qn_ver_digits_span(const char *s, size_t n);

/* dpkg.c: NULL when dpkg accepts v silently; otherwise dpkg's own complaint, with *fatal set
 * when dpkg refuses the version (an error) rather than warning about it. */
const char *qn_ver_dpkg_problem(const char *v, bool *fatal);

/* apk.c: NULL when apk_version_validate accepts v, else a reason. */
const char *qn_ver_apk_problem(const char *v);

/* rpm.c: NULL when v is a well-formed EVR, else a reason. */
const char *qn_ver_rpm_problem(const char *v);

/* semver.c: semver 2.0.0 (go=false: npm's leading "v"/"=" and surrounding blanks tolerated) or
 * Go module versions (go=true: "v" required, "v1" and "v1.2" shorthands). The problem function
 * returns NULL when v parses, else a reason; compare requires both to parse. */
const char *qn_ver_semver_problem(const char *v, bool go);
int qn_ver_semver_compare(const char *a, const char *b, bool go);

/* pep440.c: same pair for PEP 440. */
const char *qn_ver_pep440_problem(const char *v);
int qn_ver_pep440_compare(const char *a, const char *b);

#endif
