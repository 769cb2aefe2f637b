/* Fuzz target: the OpenVEX parser over arbitrary bytes, then a match of every statement shape
 * against a few package purls (purl parsing of hostile product ids). A document is either refused
 * with a one-line message or parsed into statements that can be matched. */
#include <string.h>

#include "quench/scan.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_log_set_level(QN_LOG_ERROR);
	qn_error *err = NULL;
	qn_vex *v = qn_vex_parse(data, size, "fuzz.json", &err);
	if (!v) {
		if (!err || !err->msg || strchr(err->msg, '\n'))
			__builtin_trap();
		qn_error_free(err);
		return 0;
	}
	static const char *const ids[] = {"CVE-2023-0001", "GHSA-xxxx-yyyy-zzzz", "DSA-5000-1"};
	static const char *const purls[] = {"pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12",
					    "pkg:pypi/requests@2.31.0",
					    "pkg:npm/%40scope/name@1.0.0",
					    "pkg:",
					    "",
					    NULL};
	static const char *const img[] = {"sha256:abc", "docker-archive:x.tar"};
	for (size_t i = 0; i < sizeof(purls) / sizeof(purls[0]); i++) {
		const char *just = NULL, *sid = NULL;
		qn_vex_status s = qn_vex_match(v, ids, 3, purls[i], img, 2, &just, &sid);
		if (s != QN_VEX_NONE && (!sid || !qn_vex_status_name(s)))
			__builtin_trap();
	}
	qn_vex_free(v);
	return 0;
}
