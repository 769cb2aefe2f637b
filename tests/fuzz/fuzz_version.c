/* Fuzz target: version comparison under every scheme. The input is split into two strings at
 * its first NUL or newline; both are compared in both orders under each scheme, through
 * qn_version_cmp and the raw helpers. A violation of antisymmetry (cmp(a, b) == -cmp(b, a), with
 * the same verdict on whether a version parses) or reflexivity (cmp(a, a) == 0 when a parses),
 * a multi-line error message, or a crash, is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quench/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sgn(int v)
{
	return v < 0 ? -1 : v > 0;
}

/* qn_version_cmp as -1/0/1, or 2 when it refuses; every refusal must carry a one-line message. */
static int cmp(qn_version_scheme s, const char *a, const char *b)
{
	int r = 3;
	qn_error *e = NULL;
	if (qn_version_cmp(s, a, b, &r, &e) < 0) {
		if (!e || !e->msg || strchr(e->msg, '\n') || r != 3)
			__builtin_trap();
		qn_error_free(e);
		return 2;
	}
	if (e || r < -1 || r > 1)
		__builtin_trap();
	return r;
}

static void check_scheme(qn_version_scheme s, const char *a, const char *b)
{
	int ab = cmp(s, a, b), ba = cmp(s, b, a);
	if ((ab == 2) != (ba == 2) || (ab != 2 && ab != -ba))
		__builtin_trap();
	if (cmp(s, a, a) == 1 || cmp(s, a, a) == -1 || cmp(s, b, b) == 1 || cmp(s, b, b) == -1)
		__builtin_trap();
	/* a version that compares is one that qn_version_check does not call malformed for the
	 * strict schemes */
	qn_error *e = NULL;
	int ok = qn_version_check(s, a, &e) == 0;
	if (!ok && (!e || strchr(e->msg, '\n')))
		__builtin_trap();
	qn_error_free(e);
	if ((s == QN_VER_SEMVER || s == QN_VER_GO || s == QN_VER_PEP440) && ok != (cmp(s, a, a) == 0))
		__builtin_trap();
}

static void check_raw(int (*f)(const char *, const char *), const char *a, const char *b)
{
	if (sgn(f(a, b)) != -sgn(f(b, a)) || f(a, a) != 0 || f(b, b) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split = 0;
	while (split < size && data[split] != 0 && data[split] != '\n')
		split++;
	char *a = malloc(split + 1);
	size_t bn = split < size ? size - split - 1 : 0;
	char *b = malloc(bn + 1);
	if (!a || !b)
		abort();
	memcpy(a, data, split);
	a[split] = 0;
	if (bn)
		memcpy(b, data + split + 1, bn);
	b[bn] = 0;
	/* the second string ends at its own NUL, like any C string handed to the library */
	for (int s = QN_VER_DPKG; s <= QN_VER_GO; s++)
		check_scheme((qn_version_scheme)s, a, b);
	check_raw(qn_dpkg_vercmp, a, b);
	check_raw(qn_apk_vercmp, a, b);
	check_raw(qn_rpm_vercmp, a, b);
	check_raw(qn_rpm_rpmvercmp, a, b);
	check_raw(qn_maven_vercmp, a, b);
	if (qn_dpkg_version_valid(a) && cmp(QN_VER_DPKG, a, a) != 0)
		__builtin_trap();
	free(a);
	free(b);
	return 0;
}
