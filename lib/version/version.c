/* The version module's front door: scheme names, the OSV ecosystem -> scheme map, and the
 * checked comparison that the rest of libquench uses (qn_version_cmp / qn_version_check). The
 * ordering rules themselves live in one file per scheme; this file holds no ordering logic beyond
 * the digit-run comparison they share. */
#include <strings.h>

#include "util/util.h"
#include "version/version_int.h"

size_t qn_ver_digits_span(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && qn_ver_isdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* Exact comparison at any length: converting to an integer would overflow on hostile input. */
int qn_ver_digits_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	while (an && *a == '0')
		a++, an--;
	while (bn && *b == '0')
		b++, bn--;
	if (an != bn)
		return an < bn ? -1 : 1;
	if (an == 0)
		return 0;
	int r = memcmp(a, b, an);
	return r < 0 ? -1 : r > 0;
}

const char *qn_version_scheme_name(qn_version_scheme s)
{
	switch (s) {
	case QN_VER_DPKG:
		return "dpkg";
	case QN_VER_APK:
		return "apk";
	case QN_VER_RPM:
		return "rpm";
	case QN_VER_SEMVER:
		return "semver";
	case QN_VER_PEP440:
		return "pep440";
	case QN_VER_MAVEN:
		return "maven";
	case QN_VER_GO:
		return "go";
	}
	return "unknown";
}

/* How error messages name a version of each scheme. */
static const char *scheme_noun(qn_version_scheme s)
{
	switch (s) {
	case QN_VER_DPKG:
		return "Debian version";
	case QN_VER_APK:
		return "Alpine version";
	case QN_VER_RPM:
		return "RPM version";
	case QN_VER_SEMVER:
		return "semantic version";
	case QN_VER_PEP440:
		return "PEP 440 version";
	case QN_VER_MAVEN:
		return "Maven version";
	case QN_VER_GO:
		return "Go module version";
	}
	return "version";
}

/* OSV ecosystem names (the part before ':'), from the OSV schema's list. Ecosystems whose
 * ordering is not one of ours (RubyGems, NuGet, Packagist, Pub, Hex, ...) are absent on purpose:
 * guessing an order there would produce wrong verdicts. */
static const struct {
	const char *name;
	qn_version_scheme scheme;
} ecosystems[] = {
    {"Debian", QN_VER_DPKG},
    {"Ubuntu", QN_VER_DPKG},
    {"Alpine", QN_VER_APK},
    {"Wolfi", QN_VER_APK},
    {"Chainguard", QN_VER_APK},
    {"Alpaquita", QN_VER_APK},
    {"BellSoft Hardened Containers", QN_VER_APK},
    {"MinimOS", QN_VER_APK},
    {"Red Hat", QN_VER_RPM},
    {"AlmaLinux", QN_VER_RPM},
    {"Rocky Linux", QN_VER_RPM},
    {"openSUSE", QN_VER_RPM},
    {"SUSE", QN_VER_RPM},
    {"Mageia", QN_VER_RPM},
    {"openEuler", QN_VER_RPM},
    {"Photon OS", QN_VER_RPM},
    {"Azure Linux", QN_VER_RPM},
    {"PyPI", QN_VER_PEP440},
    {"npm", QN_VER_SEMVER},
    {"crates.io", QN_VER_SEMVER},
    {"Go", QN_VER_GO},
    {"Maven", QN_VER_MAVEN},
};

qn_version_scheme qn_version_scheme_for_ecosystem(const char *osv_ecosystem)
{
	if (!osv_ecosystem)
		return 0;
	const char *colon = strchr(osv_ecosystem, ':');
	size_t n = colon ? (size_t)(colon - osv_ecosystem) : strlen(osv_ecosystem);
	for (size_t i = 0; i < QN_ARRAY_LEN(ecosystems); i++)
		if (strlen(ecosystems[i].name) == n && strncasecmp(ecosystems[i].name, osv_ecosystem, n) == 0)
			return ecosystems[i].scheme;
	return 0;
}

static bool scheme_known(qn_version_scheme s)
{
	return s >= QN_VER_DPKG && s <= QN_VER_GO;
}

static int version_error(qn_error **err, qn_version_scheme s, const char *v, const char *why)
{
	_cleanup_free_ char *q = qn_str_quote(v, 80);
	return qn_error_set(err, QN_ERR_INPUT, "%s \"%s\": %s", scheme_noun(s), q, why);
}

/* Why v cannot be compared under s at all, or NULL. Looser than qn_version_check for the schemes
 * whose tools compare anything (apk, rpm, Maven) or only warn (dpkg). */
static const char *cmp_problem(qn_version_scheme s, const char *v)
{
	bool fatal = false;
	const char *why = NULL;
	if (!*v)
		return "empty version";
	switch (s) {
	case QN_VER_DPKG:
		why = qn_ver_dpkg_problem(v, &fatal);
		return fatal ? why : NULL;
	case QN_VER_SEMVER:
	case QN_VER_GO:
		return qn_ver_semver_problem(v, s == QN_VER_GO);
	case QN_VER_PEP440:
		return qn_ver_pep440_problem(v);
	case QN_VER_APK:
	case QN_VER_RPM:
	case QN_VER_MAVEN:
		return NULL;
	}
	return "unknown version scheme";
}

int qn_version_cmp(qn_version_scheme s, const char *a, const char *b, int *out, qn_error **err)
{
	if (!scheme_known(s))
		return qn_error_set(err, QN_ERR_USAGE, "unknown version scheme %d", (int)s);
	const char *why = a ? cmp_problem(s, a) : "missing version";
	if (why)
		return version_error(err, s, a, why);
	why = b ? cmp_problem(s, b) : "missing version";
	if (why)
		return version_error(err, s, b, why);
	int r = 0;
	switch (s) {
	case QN_VER_DPKG:
		r = qn_dpkg_vercmp(a, b);
		break;
	case QN_VER_APK:
		r = qn_apk_vercmp(a, b);
		break;
	case QN_VER_RPM:
		r = qn_rpm_vercmp(a, b);
		break;
	case QN_VER_SEMVER:
	case QN_VER_GO:
		r = qn_ver_semver_compare(a, b, s == QN_VER_GO);
		break;
	case QN_VER_PEP440:
		r = qn_ver_pep440_compare(a, b);
		break;
	case QN_VER_MAVEN:
		r = qn_maven_vercmp(a, b);
		break;
	}
	*out = r < 0 ? -1 : r > 0;
	return 0;
}

int qn_version_check(qn_version_scheme s, const char *v, qn_error **err)
{
	if (!scheme_known(s))
		return qn_error_set(err, QN_ERR_USAGE, "unknown version scheme %d", (int)s);
	bool fatal;
	const char *why = !v ? "missing version" : !*v ? "empty version" : NULL;
	if (!why) {
		switch (s) {
		case QN_VER_DPKG:
			why = qn_ver_dpkg_problem(v, &fatal);
			break;
		case QN_VER_APK:
			why = qn_ver_apk_problem(v);
			break;
		case QN_VER_RPM:
			why = qn_ver_rpm_problem(v);
			break;
		case QN_VER_SEMVER:
		case QN_VER_GO:
		case QN_VER_PEP440:
		case QN_VER_MAVEN:
			why = cmp_problem(s, v);
			break;
		}
	}
	return why ? version_error(err, s, v, why) : 0;
}
