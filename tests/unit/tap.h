/* A small TAP test helper: one binary per module, each test in a fresh temporary folder.
 *
 *   static void test_thing(void) { CHECK(1 + 1 == 2); CHECK_STR(a, "b"); }
 *   int main(void) { TAP_RUN(test_thing); return tap_done(); }
 *
 * Output follows the Test Anything Protocol, which meson's test runner understands. */
#ifndef QN_TAP_H
#define QN_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed, tap_cur_failed;
static char tap_dir[256];

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			tap_cur_failed = 1;                                               \
		}                                                                         \
	} while (0)

#define CHECK_INT(a, b)                                                                             \
	do {                                                                                        \
		long long a_ = (long long)(a), b_ = (long long)(b);                                 \
		if (a_ != b_) {                                                                     \
			printf("# %s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #a, a_, b_); \
			tap_cur_failed = 1;                                                         \
		}                                                                                   \
	} while (0)

#define CHECK_STR(a, b)                                                                                            \
	do {                                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                                   \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                           \
			printf("# %s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", \
			       b_ ? b_ : "(null)");                                                                \
			tap_cur_failed = 1;                                                                        \
		}                                                                                                  \
	} while (0)

/* Checks that s contains sub (for error messages). */
#define CHECK_CONTAINS(s, sub)                                                                                      \
	do {                                                                                                        \
		const char *s_ = (s), *u_ = (sub);                                                                  \
		if (!s_ || !strstr(s_, u_)) {                                                                       \
			printf("# %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, s_ ? s_ : "(null)", \
			       u_);                                                                                 \
			tap_cur_failed = 1;                                                                         \
		}                                                                                                   \
	} while (0)

static void tap_run(void (*fn)(void), const char *name)
{
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	const char *base = getenv("TMPDIR");
	snprintf(tap_dir, sizeof(tap_dir), "%s/qntest.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tap_dir)) {
		printf("not ok %d - %s # cannot make a temporary folder\n", ++tap_n, name);
		tap_failed++;
		return;
	}
	if (chdir(tap_dir) != 0)
		tap_cur_failed = 1;
	tap_cur_failed = 0;
	fn();
	if (cwd[0] && chdir(cwd) != 0)
		tap_cur_failed = 1;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tap_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tap_dir);
	tap_n++;
	if (tap_cur_failed)
		tap_failed++;
	printf("%s %d - %s\n", tap_cur_failed ? "not ok" : "ok", tap_n, name);
	fflush(stdout);
}

#define TAP_RUN(fn) tap_run(fn, #fn)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Writes a file in the current (temporary) folder. */
static inline void tap_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		tap_cur_failed = 1;
		return;
	}
	if (len && fwrite(data, 1, len, f) != len)
		tap_cur_failed = 1;
	fclose(f);
}

#endif
