/* Unit tests: version ordering for every scheme (dpkg, apk, rpm, semver, Go, PEP 440, Maven).
 *
 * Each table row is (a, b, expected sign of cmp(a, b)); every row is also checked reversed, so
 * cmp(b, a) == -cmp(a, b) holds for the whole table, and against the scheme's raw helper where
 * there is one. The expected values were taken from the reference tools (dpkg 1.21, rpm 4.18's
 * rpm.vercmp / rpm.ver, node-semver, the `packaging` library, maven-artifact's
 * ComparableVersion) or, for apk and Go, worked out from their sources' rules. Ladders are lists
 * sorted from oldest to newest, checked pairwise (which also exercises transitivity). The dpkg
 * rows, and a few hundred generated strings, are also compared with the real dpkg when it is
 * installed. */
#include <stdint.h>
#include <sys/wait.h>

#include "quench/version.h"
#include "tap.h"
#include "util/util.h"

typedef struct {
	const char *a, *b;
	int want;
} vpair;

/* ---- dpkg ---- */
static const vpair dpkg_pairs[] = {
    {"1.0", "1.0", 0},
    {"1.0", "1.1", -1},
    {"1.0", "1.0.0", -1},
    {"1.00", "1.0", 0},
    {"1.01", "1.1", 0},
    {"1.9", "1.10", -1},
    {"1.099", "1.100", -1},
    {"10", "9", 1},
    {"0010", "10", 0},
    {"2.0", "10.0", -1},
    {"0:1.0", "1.0", 0},
    {"00:1.0", "1.0", 0},
    {"+0:1.0", "1.0", 0},
    {"-0:1.0", "1.0", 0},
    {"1:0.1", "2.0", 1},
    {"1:1.0", "2:0.1", -1},
    {"2147483647:1", "1:1", 1},
    {"1:1", "0:99999999999999999999", 1},
    {"1:2:3", "1:2:4", -1},
    {"1.0~rc1", "1.0", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~~", "1.0~", -1},
    {"1.0~~a", "1.0~", -1},
    {"1.0~", "1.0", -1},
    {"1.0~rc1", "1.0~", 1},
    {"1.2.3~alpha", "1.2.3~beta", -1},
    {"1.2.3", "1.2.3~", 1},
    {"1.0+b1", "1.0", 1},
    {"1.0+b1", "1.0.1", -1},
    {"1.0a", "1.0", 1},
    {"1.0a", "1.0+", -1},
    {"1.0a", "1.0A", 1},
    {"1.0Z", "1.0a", -1},
    {"1.0.", "1.0", 1},
    {"1.0a1", "1.0a10", -1},
    {"1.0", "1.0a~", -1},
    {"1.0-1", "1.0-2", -1},
    {"1.0-1", "1.0", 1},
    {"1.0-0", "1.0", 0},
    {"1.0-00", "1.0-0", 0},
    {"1.0-0.1", "1.0", 1},
    {"1.0-1ubuntu1", "1.0-1", 1},
    {"1.0-1ubuntu1", "1.0-2", -1},
    {"1.0-0ubuntu1", "1.0-0ubuntu2", -1},
    {"2.0-1ubuntu0.1", "2.0-1ubuntu0.20.04.1", -1},
    {"1.0-1~bpo1", "1.0-1", -1},
    {"1.0-1+deb12u1", "1.0-1", 1},
    {"1.0-1+deb12u1", "1.0-1+deb12u2", -1},
    {"1.0-1-2", "1.0-1-1", 1},
    {"1.0-1-2", "1.0-2", 1},
    {"2.30-1", "2.4-1", 1},
    {"7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1},
    {"3.0.11-1~deb12u2", "3.0.11-1", -1},
    {"1:2.39.2-1.1", "1:2.39.2-1", 1},
    {"2.36-9+deb12u4", "2.36-9+deb12u10", -1},
    {"1.2.13.dfsg-1", "1.2.13-1", 1},
    {"1.0+dfsg-1", "1.0-1", 1},
    {"1.0+dfsg-1", "1.0.1-1", -1},
    {"9.18.28-1~deb12u2", "1:9.18.28-1", -1},
    {"1.0~rc1-1", "1.0-1", -1},
    {"5.2.15-2+b2", "5.2.15-2", 1},
    {"4.19.0-0.bpo.8", "4.19.0-0.bpo.10", -1},
    {"1:1.0-1", "1:1.0-1", 0},
    {" 1.0 ", "1.0", 0},
    {"\t1.0", "1.0", 0},
    {"a", "b", -1},
    {"1_0", "1.0", 1},
    {"1.0\xc3\xa9", "1.0+", -1},
    {"1.0\xc3\xa9", "1.0z", 1},
    {"1.99999999999999999999999999", "1.100000000000000000000000000", -1},
    {"1.000000000000000000000000000001", "1.1", 0},
};

/* oldest to newest; equal neighbours are not allowed in a ladder */
static const char *const dpkg_ladder[] = {
    "0.9",     "1.0~~",      "1.0~~a", "1.0~",           "1.0~beta",     "1.0~rc1",  "1.0",
    "1.0-0.1", "1.0-1~bpo1", "1.0-1",  "1.0-1ubuntu0.1", "1.0-1ubuntu1", "1.0-1+b1", "1.0-1.1",
    "1.0-2",   "1.0a",       "1.0a+",  "1.0+dfsg-1",     "1.0.1",        "1.1",      "1.10",
    "2.0",     "10.0",       "1:0.1",  "1:1.0",          "2:0",
};

static const char *const dpkg_fatal[] = {
    "",   " ",  "1:",   ":1",  "a:1",     "-1:2",   "0x1:2", "2147483648:1", "99999999999999999999:1",
    "1-", "-1", "1:-1", "1 2", "1.0-a:b", "1.0 -1",
};

/* dpkg warns about these but uses them */
static const char *const dpkg_warned[] = {"abc", "1.0!", "1.0-a_b", "1_0", "1.0\xc3\xa9", "~1"};

static const char *const dpkg_valid[] = {
    "1.0", "0", "1:1.0-1", "2147483647:1", "1.0~rc1+dfsg-1ubuntu0.22.04.1", "1.0-1-1", "1:2:3", "1.0+b1", "1.0-1~",
};

/* ---- apk ---- */
static const vpair apk_pairs[] = {
    {"1.0", "1.0", 0},
    {"1.0", "1.1", -1},
    {"1.0", "1.0.0", -1},
    {"1.9", "1.10", -1},
    {"2.0", "10.0", -1},
    {"01", "1", 0},
    {"1.01", "1.1", -1},
    {"1.0", "1.00", -1},
    {"1.001", "1.01", -1},
    {"1.02", "1.1", -1},
    {"1.2.3", "1.2.3.0", -1},
    {"1.0_alpha", "1.0_beta", -1},
    {"1.0_beta", "1.0_pre", -1},
    {"1.0_pre", "1.0_rc", -1},
    {"1.0_rc", "1.0", -1},
    {"1.0", "1.0_cvs", -1},
    {"1.0_cvs", "1.0_svn", -1},
    {"1.0_svn", "1.0_git", -1},
    {"1.0_git", "1.0_hg", -1},
    {"1.0_hg", "1.0_p", -1},
    {"1.0_p1", "1.0_p2", -1},
    {"1.0_p", "1.0_p0", -1},
    {"1.0_alpha", "1.0_alpha1", -1},
    {"1.0_alpha10", "1.0_alpha9", 1},
    {"1.0_rc1", "1.0_rc1_p1", -1},
    {"1.0_rc1_pre1", "1.0_rc1", -1},
    {"1.0_rc9", "1.0.1_alpha1", -1},
    {"1.0_git20240101", "1.0_git20240102", -1},
    {"1.0_pre20240101", "1.0", -1},
    {"1.2.3_p0", "1.2.3", 1},
    {"1.0a", "1.0", 1},
    {"1.0a", "1.0b", -1},
    {"1.0a", "1.0.1", -1},
    {"1.0z", "1.0_p1", 1},
    {"1.0_rc1", "1.0a", -1},
    {"1.0a_rc1", "1.0a", -1},
    {"1.0-r1", "1.0-r2", -1},
    {"1.0-r0", "1.0", 1},
    {"1.0-r10", "1.0-r9", 1},
    {"1.0-r01", "1.0-r1", 0},
    {"1.0_p1-r0", "1.0-r5", 1},
    {"1.0_rc1-r5", "1.0-r0", -1},
    {"1.0~abc", "1.0", 1},
    {"1.0~abc", "1.0~abd", -1},
    {"1.0~abc", "1.0~ab", 1},
    {"1.0~abc-r1", "1.0~abc-r2", -1},
    {"1.0~abc", "1.0-r1", 1},
    {"1.0_rc1~1234abcd-r0", "1.0_rc1-r0", 1},
    {"2.4.32-r0", "2.4.32-r1", -1},
    {"3.3.2-r0", "3.3.10-r0", -1},
    {"1.36.1-r15", "1.36.1-r29", -1},
    {"99999999999999999999999", "99999999999999999999998", 1},
    {"1.99999999999999999999999", "1.100000000000000000000000", -1},
    /* invalid strings compare up to where they stop parsing; the invalid side is older */
    {"1.0-1", "1.0", -1},
    {"1.0-1", "1.0-2", 0},
    {"abc", "def", 0},
    {"abc", "1", -1},
    {"1.0bc", "1.0b", -1},
    {"1.0_foo", "1.0", -1},
    {"1.0_", "1.0", -1},
    {"1.0.", "1.0", -1},
    {"1.0-r", "1.0", -1},
    {"1.0~", "1.0", -1},
    {"1.0~ABC", "1.0", -1},
    {"1.0A", "1.0", -1},
    {"1.0a1", "1.0a", -1},
    {"1.0-r1a", "1.0-r1", -1},
    {"1.1!", "1.0", 1},
};

static const char *const apk_ladder[] = {
    "0.1",        "1.0_alpha", "1.0_alpha1", "1.0_alpha2_pre1",
    "1.0_alpha2", "1.0_beta",  "1.0_pre1",   "1.0_rc1",
    "1.0_rc1-r1", "1.0",       "1.0-r0",     "1.0-r1",
    "1.0~0a-r1",  "1.0_cvs",   "1.0_svn",    "1.0_git20240101",
    "1.0_hg",     "1.0_p1",    "1.0_p1-r3",  "1.0a",
    "1.0b",       "1.0.1",     "1.1",        "1.10",
    "2",
};

static const char *const apk_valid[] = {
    "1",
    "1.2",
    "1.2.3",
    "1.0a",
    "1.0_alpha",
    "1.0_alpha1",
    "1.0_p1",
    "1.0-r0",
    "1.36.1-r15",
    "1.2.4_git20230717-r4",
    "0.1_pre2~1234abcd",
    "0.1_p1_pre2",
    "3.1.4-r5",
    "1.0_rc1_p2-r3",
};

static const char *const apk_invalid[] = {
    "",      "a",    "v1.0",    "1.0-1",   "1.0-r",     "1.0_",      "1.0_foo", "1.0.", "1.0bc",    "1.0A",
    "1.0a1", "1.0~", "1.0~ABC", "1.0~xyz", "1.0-r1-r2", "1.0-r1_p1", "1.0 ",    " 1.0", "1.0_p1.2", "1..0",
};

/* ---- rpm: whole EVRs ---- */
static const vpair rpm_pairs[] = {
    {"1.0", "1.0", 0},
    {"1.0", "2.0", -1},
    {"2.0.1", "2.0", 1},
    {"2.0.1a", "2.0.1", 1},
    {"5.5p1", "5.5p10", -1},
    {"5.5p2", "5.6p1", -1},
    {"10xyz", "10.1xyz", -1},
    {"xyz10", "xyz10.1", -1},
    {"xyz.4", "8", -1},
    {"6.0.rc1", "6.0", 1},
    {"10b2", "10a1", 1},
    {"1.0aa", "1.0a", 1},
    {"10.0001", "10.1", 0},
    {"10.0001", "10.0039", -1},
    {"4.999.9", "5.0", -1},
    {"20101121", "20101122", -1},
    {"2_0", "2.0", 0},
    {"a+", "a_", 0},
    {"+", "_", 0},
    {"1.0", "1.0.", 0},
    {"1..0", "1.0", 0},
    {"1.0~rc1", "1.0", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~rc1~git123", "1.0~rc1", -1},
    {"1.0^", "1.0", 1},
    {"1.0^git1", "1.0", 1},
    {"1.0^git1", "1.0^git2", -1},
    {"1.0^git1", "1.01", -1},
    {"1.0^20160101", "1.0.1", -1},
    {"1.0~rc1^git1", "1.0~rc1", 1},
    {"1.0^git1", "1.0~rc1", 1},
    {"1.0^git1~pre", "1.0^git1", -1},
    {"1.a", "1.1", -1},
    {"1b.fc17", "1.fc17", -1},
    {"1g.fc17", "1.fc17", 1},
    {"1.0a", "1.0A", 1},
    {"1.\xce\xb1", "1.\xce\xb2", 0},
    {"1.99999999999999999999999", "1.100000000000000000000000", -1},
    {"1:1.0", "2.0", 1},
    {"0:1.0", "1.0", 0},
    {":1.0", "1.0", 0},
    {"01:1.0", "1:1.0", 0},
    {"1:1.0", "2:0.1", -1},
    {"1.0-1", "1.0-2", -1},
    {"1.0-1.el9", "1.0-1.el9_1", -1},
    {"1.0", "1.0-1", -1},
    {"1.0-", "1.0", 1},
    {"2.0-1", "1.0-5", 1},
    {"1:1.0-1", "1:1.0-1", 0},
    {"3.0.7-24.el9", "3.0.7-27.el9", -1},
    {"3.0.7-27.el9_4", "3.0.7-27.el9", 1},
    {"1.2.3-4.fc40", "1.2.3-4.fc39", 1},
    {"2.34-60.el9", "2.34-100.el9", -1},
    {"1.0-1-2", "1.0-1-1", 1},
    {"a:1.0", "1.0", -1},
    {"7.76.1-26.el9_3.2", "7.76.1-26.el9_3.3", -1},
    {"0:2.9.13-6.el9_4", "2.9.13-6.el9_4", 0},
    {"1:3.0.7-28.el9_4", "3.0.7-29.el9", 1},
    {"4.18.0-513.5.1.el8_9", "4.18.0-513.11.1.el8_9", -1},
    {"15.2-150500.3.6.1", "15.2-150500.3.9.1", -1},
    {"1.1.1k-12.el8_9", "1.1.1k-9.el8_7", 1},
    {"1.1.1l", "1.1.1k", 1},
};

/* rpmvercmp on single version strings (no EVR split: '-' and ':' are separators there) */
static const vpair rpm_segment_pairs[] = {
    {"1.0-1", "1.0.1", 0}, {"1:2", "1.2", 0}, {"1.0~rc1", "1.0", -1}, {"1.0^", "1.0", 1}, {"", "", 0},
    {"", "1", -1},         {"~", "", -1},     {"^", "", 1},           {"a", "1", -1},     {"el9_3", "el9.3", 0},
};

static const char *const rpm_valid[] = {"1.0", "1:1.0-1.el9", "0:2.9.13-6.el9_4", "1.0~rc1^git1-0.1", "1.0+b"};
static const char *const rpm_invalid[] = {"", ":1.0", "1.0-", "-1", "1:", "1.0 ", "a:1.0", "1.0-1-1", "1.0-1:2"};

/* ---- semver (npm, crates.io) ---- */
static const vpair semver_pairs[] = {
    {"1.0.0", "1.0.0", 0},
    {"1.0.0", "2.0.0", -1},
    {"2.0.0", "2.1.0", -1},
    {"2.1.0", "2.1.1", -1},
    {"1.10.0", "1.9.0", 1},
    {"1.0.10", "1.0.9", 1},
    {"0.0.0", "0.0.1", -1},
    {"0.1.0", "0.0.99", 1},
    {"0.4.20", "0.4.3", 1},
    {"10.0.0", "9.99.99", 1},
    {"1.0.0-alpha", "1.0.0", -1},
    {"1.0.0-alpha", "1.0.0-alpha.1", -1},
    {"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
    {"1.0.0-alpha.beta", "1.0.0-beta", -1},
    {"1.0.0-beta", "1.0.0-beta.2", -1},
    {"1.0.0-beta.2", "1.0.0-beta.11", -1},
    {"1.0.0-beta.11", "1.0.0-rc.1", -1},
    {"1.0.0-rc.1", "1.0.0", -1},
    {"1.0.0-0", "1.0.0-alpha", -1},
    {"1.0.0-1", "1.0.0-0", 1},
    {"1.0.0-2", "1.0.0-10", -1},
    {"1.0.0-a10", "1.0.0-a2", -1},
    {"1.0.0-A", "1.0.0-a", -1},
    {"1.0.0-Z", "1.0.0-a", -1},
    {"1.0.0--", "1.0.0-0", 1},
    {"1.0.0-alpha-1", "1.0.0-alpha-2", -1},
    {"1.0.0-x-y", "1.0.0-x", 1},
    {"1.0.0-0a", "1.0.0-1", 1},
    {"1.0.0-alpha.0", "1.0.0-alpha.a", -1},
    {"1.0.0-rc.1", "1.0.0-rc.1.0", -1},
    {"1.2.3-beta.3", "1.2.3-beta.11", -1},
    {"1.2.3-beta3", "1.2.3-beta11", 1},
    {"1.2.3-alpha.1.2", "1.2.3-alpha.1", 1},
    {"1.0.0-alpha.1", "1.0.0-alpha.0", 1},
    {"1.0.0-rc.1", "0.9.9", 1},
    {"1.0.0+build", "1.0.0", 0},
    {"1.0.0+build.1", "1.0.0+build.2", 0},
    {"1.0.0+001", "1.0.0", 0},
    {"1.0.0-rc.1+build", "1.0.0-rc.1", 0},
    {"1.0.0+build", "1.0.1-rc.1", -1},
    {"v1.2.3", "1.2.3", 0},
    {"=1.2.3", "1.2.3", 0},
    {"=v1.2.3", "1.2.3", 0},
    {" 1.2.3 ", "1.2.3", 0},
    {"\t1.2.3\n", "1.2.3", 0},
    {"v1.2.4", "1.2.3", 1},
    {"99999999999999999999.0.0", "99999999999999999998.0.0", 1},
    {"1.0.0-99999999999999999999", "1.0.0-100000000000000000000", -1},
    {"1.0.0-99999999999999999999", "1.0.0-a", -1},
    {"4.17.21", "4.17.20", 1},
    {"7.5.2", "7.5.10", -1},
    {"2.0.0-next.0", "2.0.0-next.1", -1},
    {"0.0.0-20240101", "0.0.0", -1},
    {"1.0.0-alpha+x", "1.0.0-alpha+y", 0},
    {"1.0.0-alpha", "1.0.0-alpha.0", -1},
    {"1.0.0-alpha.beta.1", "1.0.0-alpha.beta", 1},
    {"1.0.0-ALPHA", "1.0.0-alpha", -1},
    {"1.0.0-a.b.c", "1.0.0-a.b.d", -1},
    {"1.0.0-1.2.3", "1.0.0-1.2.10", -1},
    {"3.0.0", "3.0.0-rc.10", 1},
};

static const char *const semver_invalid[] = {
    "",       "1",          "1.2",      "1.2.3.4",    "01.2.3",    "1.02.3", "1.2.03",  "1.2.3-01",  "1.2.3-",
    "1.2.3+", "1.2.3-a..b", "1.2.3-a.", "1.2.3+a..b", "1.2.3-a_b", "V1.2.3", "1.2.3 4", "a.b.c",     "1.2.3-\xc3\xa9",
    "1.2.-3", "-1.2.3",     "1.2.3++",  "1.2.3+a+b",  "1.2.3-+",   " ",      "v",       "1.2.3\x01", "1..3",
    ".1.2.3",
};

/* ---- Go modules ---- */
static const vpair go_pairs[] = {
    {"v1.0.0", "v1.0.0", 0},
    {"v1", "v1.0.0", 0},
    {"v1.0", "v1.0.0", 0},
    {"v1.2", "v1.2.0", 0},
    {"v1.2", "v1.2.1", -1},
    {"v2", "v1", 1},
    {"v1.19", "v1.2", 1},
    {"v1.19.0", "v1.2.0", 1},
    {"v1.10.0", "v1.9.9", 1},
    {"v0.0.9", "v0.0.10", -1},
    {"v1.0.0-alpha", "v1.0.0-alpha.1", -1},
    {"v1.0.0-alpha.1", "v1.0.0-alpha.beta", -1},
    {"v1.0.0-alpha.beta", "v1.0.0-beta", -1},
    {"v1.0.0-beta.2", "v1.0.0-beta.11", -1},
    {"v1.0.0-rc.1", "v1.0.0", -1},
    {"v1.0.0-rc.1", "v1", -1},
    {"v1.2.3-456", "v1.2.3-456.789", -1},
    {"v1.2.3-456.789", "v1.2.3-456-789", -1},
    {"v1.2.3-456-789", "v1.2.3-456a", -1},
    {"v1.2.3-456a", "v1.2.3-pre", -1},
    {"v1.2.3-pre", "v1.2.3-pre+meta", 0},
    {"v1.2.3-pre+meta", "v1.2.3-pre.1", -1},
    {"v1.2.3-pre.1", "v1.2.3-zzz", -1},
    {"v1.2.3-zzz", "v1.2.3", -1},
    {"v1.2.3", "v1.2.3+meta", 0},
    {"v1.2.3+meta-pre", "v1.2.3+meta-pre.sha.256a", 0},
    {"v2.0.0+incompatible", "v2.0.0", 0},
    {"v2.0.0+incompatible", "v2.0.1+incompatible", -1},
    {"v2.1.0+incompatible", "v2.0.9", 1},
    {"v0.0.0-20190101000000-abcdef123456", "v0.0.0-20200101000000-abcdef123456", -1},
    {"v0.0.0-20190101000000-abcdef123456", "v0.0.0-20190101000000-bbcdef123456", -1},
    {"v0.0.0-20190101000000-abcdef123456", "v0.0.1", -1},
    {"v0.0.0-20190101000000-abcdef123456", "v0.0.0", -1},
    {"v1.2.4-0.20190101000000-abcdef123456", "v1.2.3", 1},
    {"v1.2.4-0.20190101000000-abcdef123456", "v1.2.4", -1},
    {"v1.2.4-0.20190101000000-abcdef123456", "v1.2.4-0.20190101000001-000000000000", -1},
    {"v1.2.4-pre.0.20190101000000-abcdef123456", "v1.2.4-pre", 1},
    {"v1.2.4-pre.0.20190101000000-abcdef123456", "v1.2.4-pre.1", -1},
    {"v0.0.0-20210101000000-abcdef123456+incompatible", "v0.0.0-20210101000000-abcdef123456", 0},
    {"v0.33.0", "v0.4.0", 1},
    {"v1.21.0", "v1.21.0-rc.1", 1},
    {"v99999999999999999999.0.0", "v1.0.0", 1},
    {"v1.0.0-99999999999999999999", "v1.0.0-100000000000000000000", -1},
    {"v0.1.0", "v0.1", 0},
    {"v3", "v3.0.1", -1},
    {"v1.0.0-0", "v1.0.0--", -1},
    {"v1.0.0-A", "v1.0.0-a", -1},
    {"v1.0.0-a.1", "v1.0.0-a.1.0", -1},
    {"v1.0.0-1", "v1.0.0-a", -1},
    {"v0.9.0", "v0.10.0-rc.1", -1},
    {"v1.7.0-rc.1", "v1.7.0-rc.2", -1},
    {"v1.7.0-rc.10", "v1.7.0-rc.9", 1},
    {"v4.5.6", "v4.5.6-0", 1},
    {"v5.0.0+build.2", "v5.0.0+build.1", 0},
    {"v1.2.3-x.7.z.92", "v1.2.3-x.7.z.93", -1},
    {"v1.0.0-beta", "v1.0.0-alpha.beta", 1},
    {"v10", "v9.9.9", 1},
    {"v0", "v0.0.0", 0},
    {"v0.0.0-0", "v0", -1},
    {"v1.1", "v1.0.9", 1},
};

static const char *const go_invalid[] = {
    "",          "1.2.3",         "V1.2.3",     "v",         "v1.",         "v1.2.",   "v1.2.3.4",
    "v01.2.3",   "v1.02.3",       "v1.2.03",    "v1.2.3-01", "v1-pre",      "v1+meta", "v1.2-pre",
    "v1.2+meta", "v1.2-pre+meta", "v1.2.3-",    "v1.2.3+",   "v1.2.3-a..b", " v1.2.3", "v1.2.3 ",
    "=v1.2.3",   "vv1.2.3",       "v1.2.3-a_b", "bad",
};

/* ---- PEP 440 ---- */
static const vpair pep440_pairs[] = {
    {"1.0", "1.0.0", 0},
    {"1.0", "1.0.0.0", 0},
    {"1", "1.0", 0},
    {"1.0.1", "1.0", 1},
    {"1.10", "1.9", 1},
    {"1.01", "1.1", 0},
    {"2.0", "10.0", -1},
    {"1.0.0.0.0.1", "1.0", 1},
    {"1.0a1", "1.0", -1},
    {"1.0a1", "1.0a2", -1},
    {"1.0a2", "1.0b1", -1},
    {"1.0b2", "1.0rc1", -1},
    {"1.0rc1", "1.0", -1},
    {"1.0alpha1", "1.0a1", 0},
    {"1.0beta2", "1.0b2", 0},
    {"1.0c1", "1.0rc1", 0},
    {"1.0pre1", "1.0rc1", 0},
    {"1.0preview1", "1.0rc1", 0},
    {"1.0-a1", "1.0a1", 0},
    {"1.0.a.1", "1.0a1", 0},
    {"1.0_a_1", "1.0a1", 0},
    {"1.0a", "1.0a0", 0},
    {"1.0a-1", "1.0a1", 0},
    {"1.0-c-1", "1.0rc1", 0},
    {"1.0RC1", "1.0rc1", 0},
    {"1.0.dev0", "1.0a0", -1},
    {"1.0.dev1", "1.0.dev2", -1},
    {"1.0.dev", "1.0.dev0", 0},
    {"1.0-dev-", "1.0.dev0", 0},
    {"1.0.DEV1", "1.0.dev1", 0},
    {"1.0a1.dev1", "1.0a1", -1},
    {"1.0a1.dev1", "1.0a0", 1},
    {"1.0", "1.0.post1", -1},
    {"1.0.post1", "1.0-1", 0},
    {"1.0post1", "1.0.post1", 0},
    {"1.0-post1", "1.0.post1", 0},
    {"1.0.rev1", "1.0.post1", 0},
    {"1.0.r1", "1.0.post1", 0},
    {"1.0.post", "1.0.post0", 0},
    {"1.0-r", "1.0.post0", 0},
    {"1.0.post-1", "1.0.post1", 0},
    {"1.0.post1.dev1", "1.0.post1", -1},
    {"1.0.post1.dev1", "1.0", 1},
    {"1.0.post0.dev0", "1.0", 1},
    {"1.0.dev0", "1.0.post0.dev0", -1},
    {"1.0rc1.post1", "1.0rc1", 1},
    {"1.0rc1.post1", "1.0rc2", -1},
    {"1.0a1-1", "1.0a1.post1", 0},
    {"1.0a1", "1.0.post1", -1},
    {"1!1.0", "2.0", 1},
    {"0!1.0", "1.0", 0},
    {"1!1.0", "1!1.0.0", 0},
    {"1!0.1", "1!0.2", -1},
    {"1.0+local", "1.0", 1},
    {"1.0+1", "1.0+a", 1},
    {"1.0+abc", "1.0+ABC", 0},
    {"1.0+a.1", "1.0+a", 1},
    {"1.0+a-1", "1.0+a.1", 0},
    {"1.0+a_1", "1.0+a.1", 0},
    {"1.0+01", "1.0+1", 0},
    {"1.0+2", "1.0+10", -1},
    {"1.0+abc", "1.0+abd", -1},
    {"1.0+ubuntu1", "1.0.post1", -1},
    {"1.0+zzz", "1.0.1", -1},
    {"v1.0", "1.0", 0},
    {"V1.0", "1.0", 0},
    {" 1.0\t", "1.0", 0},
    {"1.0\x0b", "1.0", 0},
    {"1.99999999999999999999", "1.100000000000000000000", -1},
    {"99999999999999999999!1.0", "1.0", 1},
    {"2.31.0", "2.32.0rc1", -1},
    {"3.2.0b1", "3.2.0a10", 1},
    {"42.0.8", "42.0.10", -1},
};

static const char *const pep440_invalid[] = {
    "",
    " ",
    "1.0-",
    "a",
    "1.0.x",
    "1.0+",
    "1.0+a..b",
    "1.0+a.",
    "1.0 1",
    "1..0",
    ".1",
    "1.0a1a2",
    "1.0-1-1",
    "1.0_1",
    "1.0.1-",
    "1!",
    "!1",
    "1.0+-a",
    "vv1.0",
    "1.0-dev-1-",
    "1.0.post1.post2",
    "1.0.dev1a1",
    "1.0+a+b",
    "1.0\xc3\xa9",
    "1.0.dev1.post1",
    "1.0~rc1",
    "1:1.0",
};

/* ---- Maven ---- */
static const vpair maven_pairs[] = {
    {"1", "1.0", 0},
    {"1", "1.0.0", 0},
    {"1.0", "1.0.1", -1},
    {"1.0.1", "1.1", -1},
    {"1.9", "1.10", -1},
    {"2.0", "10.0", -1},
    {"1.0.01", "1.0.1", 0},
    {"1-alpha", "1", -1},
    {"1-alpha1", "1-alpha2", -1},
    {"1.0-alpha1", "1.0-a1", 0},
    {"1-beta1", "1-b1", 0},
    {"1-milestone1", "1-m1", 0},
    {"1-a", "1-alpha", 1},
    {"1-alpha", "1-beta", -1},
    {"1-beta", "1-milestone", -1},
    {"1-milestone", "1-rc", -1},
    {"1-rc", "1-cr", 0},
    {"1-rc", "1-snapshot", -1},
    {"1-snapshot", "1", -1},
    {"1", "1-ga", 0},
    {"1", "1-final", 0},
    {"1", "1-release", 0},
    {"1", "1-sp", -1},
    {"1-sp", "1-foo", -1},
    {"1-foo", "1-bar", 1},
    {"1-sp1", "1-sp2", -1},
    {"1.0-SNAPSHOT", "1.0", -1},
    {"1.0-SNAPSHOT", "1.0-snapshot", 0},
    {"1.0-RC1", "1.0-rc1", 0},
    {"1.0-Final", "1.0", 0},
    {"1-1", "1.1", -1},
    {"1-1", "1", 1},
    {"1-sp", "1-1", -1},
    {"1.0.0.RC1", "1.0.0-RC1", 0},
    {"1.0.RC2", "1.0-RC3", -1},
    {"1.0-RC3", "1.0.1", -1},
    {"1a", "1-a", 0},
    {"1a1", "1-alpha-1", 0},
    {"1.0.0", "1.0.0-0", 0},
    {"1-", "1", 0},
    {"1..1", "1.0.1", 0},
    {"a", "b", -1},
    {"1.0-foo", "1.0-FOO", 0},
    {"1.0.foo", "1.0-foo", 0},
    {"1-0.1", "1", 1},
    {"1.0-alpha-1", "1.0-alpha-2", -1},
    {"1.2147483648", "1.2147483647", 1},
    {"1.9223372036854775808", "1.9223372036854775807", 1},
    {"1.99999999999999999999999", "1.100000000000000000000000", -1},
    {"1.0.0000000000.1", "1.0.5", 1}, /* Maven 3.9 ranks an all-zero 10-digit item as a long */
    {"2.17.0", "2.17.1", -1},
    {"2.15.0-rc1", "2.15.0", -1},
    {"5.3.18.RELEASE", "5.3.18", 0},
    {"5.3.18.RELEASE", "5.3.19", -1},
    {"31.1-jre", "31.1-android", 1},
    {"31.1-jre", "32.0.0-jre", -1},
    {"9.4.43.v20210629", "9.4.44.v20210927", -1},
    {"1.0.0.Final", "1.0.0.CR1", 1},
    {"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1", -1},
    {"1.0.0-M1", "1.0.0-RC1", -1},
};

static const char *const rpm_ladder[] = {
    "0.9",       "1.0~~",       "1.0~alpha", "1.0~rc1",  "1.0~rc1^git1", "1.0",     "1.0-0.1", "1.0-1",
    "1.0-1.el9", "1.0-1.el9_1", "1.0-2",     "1.0^git1", "1.0^git2",     "1.0a",    "1.0b",    "1.0.1",
    "1.1",       "1.10",        "2.0",       "10.0",     "1:0.1",        "1:1.0-1", "2:0",
};

static const char *const semver_ladder[] = {
    "0.0.1",      "0.1.0",        "1.0.0-0",       "1.0.0-1",     "1.0.0-1.1",     "1.0.0-2",
    "1.0.0-10",   "1.0.0--",      "1.0.0-A",       "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
    "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",  "1.0.0",         "1.0.1",
    "1.1.0",      "1.10.0",       "2.0.0-rc.1",    "2.0.0",       "10.0.0",
};

static const char *const go_ladder[] = {
    "v0.0.0-20190101000000-abcdef123456",
    "v0.0.0-20200101000000-abcdef123456",
    "v0.0.0",
    "v0.0.1",
    "v0.1.0-rc.1",
    "v0.1",
    "v0.9.0",
    "v0.10.0",
    "v1.0.0-alpha",
    "v1.0.0-beta.2",
    "v1.0.0-beta.11",
    "v1",
    "v1.2.3",
    "v1.2.4-0.20190101000000-abcdef123456",
    "v1.2.4-pre",
    "v1.2.4-pre.0.20190101000000-abcdef123456",
    "v1.2.4-pre.1",
    "v1.2.4",
    "v1.10.0",
    "v1.19",
    "v2.0.0+incompatible",
    "v2.0.1",
    "v10",
};

static const char *const pep440_ladder[] = {
    "0.9",
    "1.0.dev0",
    "1.0.dev1",
    "1.0a1.dev1",
    "1.0a1",
    "1.0a1.post1.dev1",
    "1.0a1.post1",
    "1.0a2",
    "1.0b1",
    "1.0rc1",
    "1.0rc2.dev1",
    "1.0rc2",
    "1.0",
    "1.0+a",
    "1.0+a.1",
    "1.0+b",
    "1.0+1",
    "1.0+2",
    "1.0.post1.dev1",
    "1.0.post1",
    "1.0.post2",
    "1.0.1",
    "1.1",
    "1.10",
    "1!0.1",
};

static const char *const maven_ladder[] = {
    "1-alpha", "1-alpha-1",   "1-alpha-2", "1-beta-1", "1-milestone-1", "1-rc-1", "1-snapshot", "1",
    "1-sp",    "1-sp-1",      "1-abc",     "1-jre",    "1-xyz",         "1-1",    "1-1.1",      "1-2",
    "1.0.0.1", "1.1-alpha-1", "1.1",       "1.1.1",    "1.2",           "1.10",   "2",          "10",
};

/* ---- helpers ---- */

static int sgn(int v)
{
	return v < 0 ? -1 : v > 0;
}

/* Prints a failed comparison with the strings quoted, then marks the test failed. */
static void report(const char *what, const char *a, const char *b, int got, int want)
{
	char *qa = qn_str_quote(a, 80), *qb = qn_str_quote(b, 80);
	printf("# %s(\"%s\", \"%s\") = %d, want %d\n", what, qa, qb, got, want);
	free(qa);
	free(qb);
	tap_cur_failed = 1;
}

/* cmp through qn_version_cmp; 2 stands for "refused" (and prints why unless quiet). */
static int checked_cmp(qn_version_scheme s, const char *a, const char *b, bool quiet)
{
	int r = 7;
	qn_error *e = NULL;
	if (qn_version_cmp(s, a, b, &r, &e) < 0) {
		if (!quiet)
			printf("# %s: %s\n", qn_version_scheme_name(s), e ? e->msg : "(no error)");
		qn_error_free(e);
		return 2;
	}
	return r;
}

typedef int (*raw_cmp)(const char *, const char *);

/* Checks a pair both ways, through qn_version_cmp and the raw helper when there is one. */
static void check_pair(qn_version_scheme s, raw_cmp raw, const char *a, const char *b, int want)
{
	const char *name = qn_version_scheme_name(s);
	int r = checked_cmp(s, a, b, false), rr = checked_cmp(s, b, a, false);
	if (r != want)
		report(name, a, b, r, want);
	if (rr != -want)
		report(name, b, a, rr, -want);
	if (raw && sgn(raw(a, b)) != want)
		report("raw", a, b, sgn(raw(a, b)), want);
	if (raw && sgn(raw(b, a)) != -want)
		report("raw", b, a, sgn(raw(b, a)), -want);
}

static size_t check_table(qn_version_scheme s, raw_cmp raw, const vpair *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check_pair(s, raw, t[i].a, t[i].b, t[i].want);
	return n;
}

/* Every element of a ladder is older than every later one, and equal to itself. */
static size_t check_ladder(qn_version_scheme s, raw_cmp raw, const char *const *l, size_t n)
{
	size_t pairs = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++, pairs++)
			check_pair(s, raw, l[i], l[j], i == j ? 0 : -1);
	return pairs;
}

/* qn_version_cmp refuses v (either side) with QN_ERR_INPUT and a one-line message naming it. */
static void check_refused(qn_version_scheme s, const char *v, const char *other)
{
	for (int side = 0; side < 2; side++) {
		int r = 42;
		qn_error *e = NULL;
		int rc = side ? qn_version_cmp(s, other, v, &r, &e) : qn_version_cmp(s, v, other, &r, &e);
		if (rc == 0 || !e || e->kind != QN_ERR_INPUT || r != 42 || strchr(e->msg, '\n')) {
			report("refused", v, other, rc, -1);
		} else {
			char *q = qn_str_quote(v, 80);
			CHECK_CONTAINS(e->msg, q);
			free(q);
		}
		qn_error_free(e);
	}
}

static void check_valid(qn_version_scheme s, const char *v, bool want)
{
	qn_error *e = NULL;
	bool ok = qn_version_check(s, v, &e) == 0;
	if (ok != want)
		report("check", v, e ? e->msg : "", ok, want);
	if (!ok && (!e || e->kind != QN_ERR_INPUT))
		report("check kind", v, "", e ? (int)e->kind : 0, QN_ERR_INPUT);
	qn_error_free(e);
}

#define TABLE(s, raw, t) check_table(s, raw, t, QN_ARRAY_LEN(t))
#define LADDER(s, raw, l) check_ladder(s, raw, l, QN_ARRAY_LEN(l))

/* ---- tests ---- */

static void test_dpkg_order(void)
{
	size_t n = TABLE(QN_VER_DPKG, qn_dpkg_vercmp, dpkg_pairs);
	n += LADDER(QN_VER_DPKG, qn_dpkg_vercmp, dpkg_ladder);
	printf("# dpkg: %zu pairs\n", n);
}

static void test_dpkg_validity(void)
{
	for (size_t i = 0; i < QN_ARRAY_LEN(dpkg_fatal); i++) {
		check_refused(QN_VER_DPKG, dpkg_fatal[i], "1.0");
		CHECK(!qn_dpkg_version_valid(dpkg_fatal[i]));
		/* the raw comparison still orders it, antisymmetrically */
		CHECK_INT(qn_dpkg_vercmp(dpkg_fatal[i], dpkg_fatal[i]), 0);
		CHECK_INT(sgn(qn_dpkg_vercmp(dpkg_fatal[i], "1")), -sgn(qn_dpkg_vercmp("1", dpkg_fatal[i])));
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(dpkg_warned); i++) {
		CHECK(checked_cmp(QN_VER_DPKG, dpkg_warned[i], "1.0", false) != 2);
		CHECK(!qn_dpkg_version_valid(dpkg_warned[i]));
		check_valid(QN_VER_DPKG, dpkg_warned[i], false);
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(dpkg_valid); i++) {
		CHECK(qn_dpkg_version_valid(dpkg_valid[i]));
		check_valid(QN_VER_DPKG, dpkg_valid[i], true);
	}
	qn_error *e = NULL;
	CHECK(qn_version_check(QN_VER_DPKG, "1:", &e) < 0);
	CHECK_CONTAINS(e ? e->msg : NULL, "nothing after colon");
	qn_error_free(e);
}

static void test_apk(void)
{
	size_t n = TABLE(QN_VER_APK, qn_apk_vercmp, apk_pairs);
	n += LADDER(QN_VER_APK, qn_apk_vercmp, apk_ladder);
	printf("# apk: %zu pairs\n", n);
	/* qn_version_cmp refuses empty versions; apk orders "" as an invalid version */
	CHECK_INT(qn_apk_vercmp("", "0"), -1);
	CHECK_INT(qn_apk_vercmp("0", ""), 1);
	CHECK_INT(qn_apk_vercmp("", ""), 0);
	for (size_t i = 0; i < QN_ARRAY_LEN(apk_valid); i++) {
		CHECK(qn_apk_version_valid(apk_valid[i]));
		check_valid(QN_VER_APK, apk_valid[i], true);
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(apk_invalid); i++) {
		CHECK(!qn_apk_version_valid(apk_invalid[i]));
		check_valid(QN_VER_APK, apk_invalid[i], false);
	}
}

static void test_rpm(void)
{
	size_t n = TABLE(QN_VER_RPM, qn_rpm_vercmp, rpm_pairs);
	n += LADDER(QN_VER_RPM, qn_rpm_vercmp, rpm_ladder);
	printf("# rpm: %zu pairs\n", n);
	for (size_t i = 0; i < QN_ARRAY_LEN(rpm_segment_pairs); i++) {
		const vpair *p = &rpm_segment_pairs[i];
		if (sgn(qn_rpm_rpmvercmp(p->a, p->b)) != p->want || sgn(qn_rpm_rpmvercmp(p->b, p->a)) != -p->want)
			report("rpmvercmp", p->a, p->b, qn_rpm_rpmvercmp(p->a, p->b), p->want);
	}
	/* rpmvercmp itself agrees with the EVR compare on strings without '-' or ':' */
	for (size_t i = 0; i < QN_ARRAY_LEN(rpm_pairs); i++) {
		const vpair *p = &rpm_pairs[i];
		if (!strpbrk(p->a, "-:") && !strpbrk(p->b, "-:") && sgn(qn_rpm_rpmvercmp(p->a, p->b)) != p->want)
			report("rpmvercmp", p->a, p->b, qn_rpm_rpmvercmp(p->a, p->b), p->want);
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(rpm_valid); i++)
		check_valid(QN_VER_RPM, rpm_valid[i], true);
	for (size_t i = 0; i < QN_ARRAY_LEN(rpm_invalid); i++) {
		CHECK(!qn_rpm_version_valid(rpm_invalid[i]));
		check_valid(QN_VER_RPM, rpm_invalid[i], false);
	}
}

static void test_semver(void)
{
	size_t n = TABLE(QN_VER_SEMVER, NULL, semver_pairs);
	n += LADDER(QN_VER_SEMVER, NULL, semver_ladder);
	printf("# semver: %zu pairs\n", n);
	for (size_t i = 0; i < QN_ARRAY_LEN(semver_invalid); i++) {
		check_refused(QN_VER_SEMVER, semver_invalid[i], "1.0.0");
		check_valid(QN_VER_SEMVER, semver_invalid[i], false);
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(semver_pairs); i++)
		check_valid(QN_VER_SEMVER, semver_pairs[i].a, true);
}

static void test_go(void)
{
	size_t n = TABLE(QN_VER_GO, NULL, go_pairs);
	n += LADDER(QN_VER_GO, NULL, go_ladder);
	printf("# go: %zu pairs\n", n);
	for (size_t i = 0; i < QN_ARRAY_LEN(go_invalid); i++) {
		check_refused(QN_VER_GO, go_invalid[i], "v1.0.0");
		check_valid(QN_VER_GO, go_invalid[i], false);
	}
	/* semver without the 'v' is not a Go version, and Go's shorthands are not semver */
	check_refused(QN_VER_GO, "1.2.3", "v1.2.3");
	check_refused(QN_VER_SEMVER, "v1.2", "1.2.0");
}

static void test_pep440(void)
{
	size_t n = TABLE(QN_VER_PEP440, NULL, pep440_pairs);
	n += LADDER(QN_VER_PEP440, NULL, pep440_ladder);
	printf("# pep440: %zu pairs\n", n);
	for (size_t i = 0; i < QN_ARRAY_LEN(pep440_invalid); i++) {
		check_refused(QN_VER_PEP440, pep440_invalid[i], "1.0");
		check_valid(QN_VER_PEP440, pep440_invalid[i], false);
	}
}

static void test_maven(void)
{
	size_t n = TABLE(QN_VER_MAVEN, qn_maven_vercmp, maven_pairs);
	n += LADDER(QN_VER_MAVEN, qn_maven_vercmp, maven_ladder);
	printf("# maven: %zu pairs\n", n);
	check_valid(QN_VER_MAVEN, "anything at all", true);
	check_valid(QN_VER_MAVEN, "", false);
	/* qn_version_cmp refuses empty versions; Maven itself reads "" as 0 */
	CHECK_INT(qn_maven_vercmp("", "0"), 0);
	CHECK_INT(qn_maven_vercmp("", "1"), -1);
	CHECK_INT(qn_maven_vercmp("1", ""), 1);
}

static void test_ecosystems(void)
{
	static const struct {
		const char *eco;
		qn_version_scheme want;
	} t[] = {
	    {"Debian", QN_VER_DPKG},
	    {"Debian:12", QN_VER_DPKG},
	    {"Ubuntu:22.04", QN_VER_DPKG},
	    {"Ubuntu:Pro:18.04:LTS", QN_VER_DPKG},
	    {"Alpine:v3.20", QN_VER_APK},
	    {"Alpine", QN_VER_APK},
	    {"Wolfi", QN_VER_APK},
	    {"Chainguard", QN_VER_APK},
	    {"Red Hat", QN_VER_RPM},
	    {"Red Hat:enterprise_linux:9::appstream", QN_VER_RPM},
	    {"AlmaLinux:9", QN_VER_RPM},
	    {"Rocky Linux", QN_VER_RPM},
	    {"Rocky Linux:8", QN_VER_RPM},
	    {"openSUSE", QN_VER_RPM},
	    {"openSUSE:Leap 15.5", QN_VER_RPM},
	    {"SUSE:Linux Enterprise Server 15 SP5", QN_VER_RPM},
	    {"Mageia:9", QN_VER_RPM},
	    {"PyPI", QN_VER_PEP440},
	    {"pypi", QN_VER_PEP440},
	    {"npm", QN_VER_SEMVER},
	    {"crates.io", QN_VER_SEMVER},
	    {"Go", QN_VER_GO},
	    {"Maven", QN_VER_MAVEN},
	    {"RubyGems", 0},
	    {"NuGet", 0},
	    {"Packagist", 0},
	    {"Hex", 0},
	    {"", 0},
	    {"Debianish", 0},
	    {"Deb", 0},
	    {":Debian", 0},
	    {"GIT", 0},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(t); i++)
		if (qn_version_scheme_for_ecosystem(t[i].eco) != t[i].want)
			report("ecosystem", t[i].eco, "", (int)qn_version_scheme_for_ecosystem(t[i].eco),
			       (int)t[i].want);
	CHECK_INT(qn_version_scheme_for_ecosystem(NULL), 0);
}

static void test_errors(void)
{
	int r = 42;
	qn_error *e = NULL;
	CHECK(qn_version_cmp(QN_VER_SEMVER, "1.2", "1.0.0", &r, &e) < 0);
	CHECK_STR(e ? e->msg : NULL, "semantic version \"1.2\": expected '.' and a patch version");
	CHECK_INT(r, 42);
	qn_error_free(e);
	e = NULL;
	CHECK(qn_version_cmp(QN_VER_PEP440, "1.0", "1.0\n\x01junk", &r, &e) < 0);
	CHECK_CONTAINS(e ? e->msg : NULL, "PEP 440 version \"1.0\\x0a\\x01junk\"");
	qn_error_free(e);
	for (int s = QN_VER_DPKG; s <= QN_VER_GO; s++) {
		CHECK(strcmp(qn_version_scheme_name((qn_version_scheme)s), "unknown") != 0);
		check_refused((qn_version_scheme)s, "", "1");
		e = NULL;
		CHECK(qn_version_cmp((qn_version_scheme)s, NULL, "1", &r, &e) < 0);
		CHECK(e && e->kind == QN_ERR_INPUT);
		qn_error_free(e);
		/* a NULL err is allowed */
		CHECK(qn_version_cmp((qn_version_scheme)s, "1", NULL, &r, NULL) < 0);
		CHECK(qn_version_check((qn_version_scheme)s, NULL, NULL) < 0);
	}
	CHECK_INT(r, 42);
	for (int s = 0; s < 10; s += 9) {
		e = NULL;
		CHECK(qn_version_cmp((qn_version_scheme)s, "1", "1", &r, &e) < 0);
		CHECK(e && e->kind == QN_ERR_USAGE);
		qn_error_free(e);
		e = NULL;
		CHECK(qn_version_check((qn_version_scheme)s, "1", &e) < 0);
		qn_error_free(e);
		CHECK_STR(qn_version_scheme_name((qn_version_scheme)s), "unknown");
	}
	/* raw helpers take NULL as "" */
	CHECK_INT(qn_dpkg_vercmp(NULL, ""), 0);
	CHECK_INT(qn_apk_vercmp(NULL, ""), 0);
	CHECK_INT(qn_rpm_vercmp(NULL, ""), 0);
	CHECK_INT(qn_rpm_rpmvercmp(NULL, ""), 0);
	CHECK_INT(qn_maven_vercmp(NULL, ""), 0);
}

/* Builds prefix + n copies of unit + suffix. Caller frees. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, prefix);
	for (size_t i = 0; i < n; i++)
		qn_buf_adds(&b, unit);
	qn_buf_adds(&b, suffix);
	return qn_buf_steal(&b);
}

/* Long digit runs must compare exactly (no overflow) and deep nesting must not recurse. */
static void test_hostile_sizes(void)
{
	static const char *const fmt[][2] = {
	    {"", ".0"}, {"", ".0"}, {"", ".0"}, {"", ".0.0"}, {"", ".0"}, {"", ".0"}, {"v", ".0.0"},
	};
	for (int s = QN_VER_DPKG; s <= QN_VER_GO; s++) {
		char *a = repeat(fmt[s - 1][0], "9", 1 << 18, fmt[s - 1][1]);
		char *b = repeat(fmt[s - 1][0], "1", 1, "");
		char *c = repeat(b, "0", 1 << 18, fmt[s - 1][1]);
		/* 999...9 (2^18 digits) < 1000...0 (2^18 + 1 digits) */
		check_pair((qn_version_scheme)s, NULL, a, c, -1);
		check_pair((qn_version_scheme)s, NULL, a, a, 0);
		free(a);
		free(b);
		free(c);
	}
	char *deep = repeat("1", "-1", 100000, "");
	char *deeper = repeat("1", "-1", 100000, "-2");
	check_pair(QN_VER_MAVEN, qn_maven_vercmp, deep, deeper, -1);
	check_pair(QN_VER_MAVEN, qn_maven_vercmp, deep, "1", 1);
	char *dots = repeat("1", ".1", 100000, "");
	static const qn_version_scheme dotted[] = {QN_VER_DPKG, QN_VER_APK, QN_VER_RPM, QN_VER_PEP440, QN_VER_MAVEN};
	for (size_t i = 0; i < QN_ARRAY_LEN(dotted); i++)
		check_pair(dotted[i], NULL, dots, "1.2", -1);
	free(deep);
	free(deeper);
	free(dots);
}

/* Every byte value in every position: no crash, and cmp stays antisymmetric and reflexive. */
static void test_all_bytes(void)
{
	char a[8], b[8];
	for (int c = 1; c < 256; c++) {
		snprintf(a, sizeof(a), "1.%c1", c);
		snprintf(b, sizeof(b), "%c", c);
		for (int s = QN_VER_DPKG; s <= QN_VER_GO; s++) {
			qn_version_scheme sc = (qn_version_scheme)s;
			int r1 = checked_cmp(sc, a, b, true), r2 = checked_cmp(sc, b, a, true);
			if ((r1 == 2) != (r2 == 2) || (r1 != 2 && r1 != -r2))
				report(qn_version_scheme_name(sc), a, b, r1, -r2);
			r1 = checked_cmp(sc, a, a, true);
			if (r1 != 0 && r1 != 2)
				report(qn_version_scheme_name(sc), a, a, r1, 0);
		}
	}
}

/* ---- the real dpkg ---- */

/* Appends s to b as one single-quoted shell word. */
static void shell_quote(qn_buf *b, const char *s)
{
	qn_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			qn_buf_adds(b, "'\\''");
		else
			qn_buf_addc(b, *s);
	}
	qn_buf_addc(b, '\'');
}

/* A deterministic pseudo-random version built from fragments that exercise dpkg's rules. */
static void random_dpkg_version(uint32_t *seed, char *out, size_t cap)
{
	/* the first 26 fragments keep a version parseable more often than not; the rest are the
	 * characters dpkg warns about or refuses */
	static const char *const frag[] = {
	    "0",           "1",        "2",       "9",       "00",
	    "01",          "10",       ".",       "-1",      "+",
	    "~",           "a",        "b",       "z",       "A",
	    "Z",           "~~",       "1.0",     "2.3",     "rc",
	    "+b1",         "~rc1",     "ubuntu1", "deb12u1", "99999999999999999999",
	    ".0",          "\xc3\xa9", "_",       "!",       "0:",
	    "1:",          "-",        ":",       "a:",      " ",
	    "2147483648:",
	};
	size_t len = 0;
	out[0] = 0;
	*seed = *seed * 1103515245u + 12345u;
	int n = 1 + (int)((*seed >> 16) % 6);
	for (int i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		uint32_t pick = *seed >> 16;
		const char *f = frag[pick % 8 ? pick % 26 : pick % QN_ARRAY_LEN(frag)];
		if (len + strlen(f) + 1 > cap)
			break;
		memcpy(out + len, f, strlen(f) + 1);
		len += strlen(f);
	}
}

typedef struct {
	char a[128], b[128];
} dpkg_case;

static size_t dpkg_cases(dpkg_case *c, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < QN_ARRAY_LEN(dpkg_pairs) && n < cap; i++, n++) {
		snprintf(c[n].a, sizeof(c[n].a), "%s", dpkg_pairs[i].a);
		snprintf(c[n].b, sizeof(c[n].b), "%s", dpkg_pairs[i].b);
	}
	for (size_t i = 0; i + 1 < QN_ARRAY_LEN(dpkg_ladder) && n < cap; i++, n++) {
		snprintf(c[n].a, sizeof(c[n].a), "%s", dpkg_ladder[i]);
		snprintf(c[n].b, sizeof(c[n].b), "%s", dpkg_ladder[i + 1]);
	}
	/* dpkg reads "" as "no version" rather than refusing it: leave it out */
	for (size_t i = 0; i < QN_ARRAY_LEN(dpkg_fatal) && n < cap; i++)
		if (*dpkg_fatal[i]) {
			snprintf(c[n].a, sizeof(c[n].a), "%s", dpkg_fatal[i]);
			snprintf(c[n].b, sizeof(c[n].b), "1.0");
			n++;
		}
	uint32_t seed = 20240601;
	while (n < cap) {
		random_dpkg_version(&seed, c[n].a, sizeof(c[n].a));
		if (n % 10 == 0)
			snprintf(c[n].b, sizeof(c[n].b), "%s", c[n].a);
		else
			random_dpkg_version(&seed, c[n].b, sizeof(c[n].b));
		n++;
	}
	return n;
}

/* Writes a shell script that prints "LT GT" for each case, one line per case: the exit codes of
 * dpkg --compare-versions A lt B and A gt B (the second only asked when the first was "false"). */
static int write_dpkg_script(const char *path, const dpkg_case *c, size_t n)
{
	qn_buf b = QN_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		for (int op = 0; op < 2; op++) {
			qn_buf_adds(&b, op ? "if [ $r = 1 ]; then dpkg --compare-versions -- "
					   : "dpkg --compare-versions -- ");
			shell_quote(&b, c[i].a);
			qn_buf_adds(&b, op ? " gt " : " lt ");
			shell_quote(&b, c[i].b);
			qn_buf_adds(&b, op ? " 2>/dev/null; g=$?; else g=$r; fi; echo \"$r $g\"\n"
					   : " 2>/dev/null; r=$?; ");
		}
	}
	tap_write(path, b.data, b.len);
	qn_buf_clear(&b);
	return tap_cur_failed ? -1 : 0;
}

/* What dpkg said, in qn_version_cmp's terms: -1, 0, 1, or 2 when dpkg refused a version. */
static int dpkg_verdict(int lt, int gt)
{
	if (lt > 1 || gt > 1)
		return 2;
	return lt == 0 ? -1 : gt == 0 ? 1 : 0;
}

static void test_dpkg_against_dpkg(void)
{
	if (access("/usr/bin/dpkg", X_OK) != 0) {
		printf("# SKIP /usr/bin/dpkg is not installed: the cross-check with the real dpkg did not run\n");
		/* CI installs every tool a test needs, so there a skip is a failure */
		const char *all = getenv("QUENCH_REQUIRE_ALL");
		if (all && strcmp(all, "1") == 0)
			tap_cur_failed = 1;
		return;
	}
	enum { N = 500 };
	static dpkg_case c[N];
	size_t n = dpkg_cases(c, N);
	if (write_dpkg_script("pairs.sh", c, n) < 0)
		return;
	FILE *f = popen("sh ./pairs.sh", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	size_t agree = 0, refused = 0;
	for (size_t i = 0; i < n; i++) {
		int lt, gt;
		if (fscanf(f, "%d %d", &lt, &gt) != 2) {
			printf("# dpkg output ended after %zu cases\n", i);
			tap_cur_failed = 1;
			break;
		}
		int want = dpkg_verdict(lt, gt), got = checked_cmp(QN_VER_DPKG, c[i].a, c[i].b, true);
		if (got != want)
			report("dpkg --compare-versions", c[i].a, c[i].b, got, want);
		agree += got == want;
		refused += want == 2;
	}
	CHECK(pclose(f) == 0);
	printf("# dpkg cross-check: %zu of %zu pairs agree with dpkg (%zu refused by both)\n", agree, n, refused);
}

int main(void)
{
	TAP_RUN(test_dpkg_order);
	TAP_RUN(test_dpkg_validity);
	TAP_RUN(test_dpkg_against_dpkg);
	TAP_RUN(test_apk);
	TAP_RUN(test_rpm);
	TAP_RUN(test_semver);
	TAP_RUN(test_go);
	TAP_RUN(test_pep440);
	TAP_RUN(test_maven);
	TAP_RUN(test_ecosystems);
	TAP_RUN(test_errors);
	TAP_RUN(test_hostile_sizes);
	TAP_RUN(test_all_bytes);
	return tap_done();
}
