/* Fuzz target: the quench-trace log reader. Properties: a failed parse sets an error and leaves
 * the set alone; every path it reports is canonical (no leading '/', no empty, "." or ".."
 * component), never the root, never under proc/, sys/ or dev/, never a ".quench" path. */
#include "quench/trace.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool bad(const char *p)
{
	if (!*p || *p == '/' || !strncmp(p, ".quench", 7))
		return true;
	static const char *const mounts[] = {"proc", "sys", "dev"};
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(mounts[i]);
		if (!strncmp(p, mounts[i], n) && (p[n] == 0 || p[n] == '/'))
			return true;
	}
	for (const char *c = p; *c;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return true;
		c = e ? e + 1 : c + n;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_strset s = QN_STRSET_INIT;
	qn_strset_add(&s, "sentinel");
	qn_error *err = NULL;
	if (qn_trace_log_parse(data, size, &s, &err) == 0) {
		for (size_t i = 0; i < s.cap; i++)
			if (s.keys[i] && strcmp(s.keys[i], "sentinel") && bad(s.keys[i]))
				__builtin_trap();
	} else if (!err || qn_strset_count(&s) != 1)
		__builtin_trap();
	qn_error_free(err);
	qn_strset_clear(&s);
	return 0;
}
