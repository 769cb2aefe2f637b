/* Unit tests: the zip reader over archives written here (stored, deflated, zip64, prefixed, by
 * Python's zipfile) and the malformed ones it must refuse with a clear error. */
#include "tap.h"
#include "util/zip.h"
#include "zipw.h"

static const char hello[] = "hello, world\n";
static char big[100000];

static void fill_big(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)("abcdefghij"[i % 10] + (i / 1000) % 7);
}

/* A three-entry archive: stored file, deflated file, directory. */
static void make_basic(qn_buf *b, bool zip64, zw_layout *lay)
{
	fill_big();
	zw_entry e[] = {
	    {"a/hello.txt", hello, sizeof(hello) - 1, 0},
	    {"a/big.bin", big, sizeof(big), 8},
	    {"a/empty/", "", 0, 0},
	};
	zw_write(b, e, 3, zip64, lay);
}

/* Opens b, iterates, reads every entry; returns how many entries matched the basic archive. */
static int check_basic(const qn_buf *b, size_t prefix)
{
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b->data, b->len, 0, &err);
	CHECK(z != NULL);
	if (!z) {
		printf("# %s\n", err ? err->msg : "?");
		qn_error_free(err);
		return 0;
	}
	CHECK_INT(qn_zip_count(z), 3);
	int ok = 0;
	qn_zip_entry e;
	while (qn_zip_next(z, &e, &err) > 0) {
		uint8_t *data = NULL;
		size_t n = 0;
		CHECK_INT(qn_zip_read(z, &e, 1 << 20, &data, &n, &err), 0);
		if (e.index == 0 && strcmp(e.name, "a/hello.txt") == 0 && e.method == 0 && n == sizeof(hello) - 1 &&
		    memcmp(data, hello, n) == 0 && e.offset == prefix)
			ok++;
		if (e.index == 1 && strcmp(e.name, "a/big.bin") == 0 && e.method == 8 && e.csize < e.usize &&
		    n == sizeof(big) && memcmp(data, big, n) == 0)
			ok++;
		if (e.index == 2 && qn_zip_is_dir(&e) && n == 0 && e.name_len == 8)
			ok++;
		free(data);
	}
	CHECK(err == NULL);
	/* a second pass sees the same entries */
	qn_zip_rewind(z);
	CHECK_INT(qn_zip_next(z, &e, &err), 1);
	CHECK_STR(e.name, "a/hello.txt");
	qn_zip_free(z);
	qn_error_free(err);
	return ok;
}

static void test_basic(void)
{
	qn_buf b = QN_BUF_INIT;
	make_basic(&b, false, NULL);
	CHECK_INT(check_basic(&b, 0), 3);
	qn_buf_clear(&b);
}

static void test_zip64(void)
{
	qn_buf b = QN_BUF_INIT;
	make_basic(&b, true, NULL);
	CHECK_INT(check_basic(&b, 0), 3);
	qn_buf_clear(&b);
}

/* A launch script in front of the archive (Spring Boot's executable jars, self-extractors):
 * recorded offsets are relative to the archive, and the reader finds the shift. */
static void test_prefix(void)
{
	for (int z64 = 0; z64 < 2; z64++) {
		qn_buf b = QN_BUF_INIT;
		qn_buf_adds(&b, "#!/bin/sh\nexec java -jar \"$0\" \"$@\"\n");
		size_t prefix = b.len;
		qn_buf arch = QN_BUF_INIT;
		make_basic(&arch, z64, NULL);
		qn_buf_add(&b, arch.data, arch.len);
		CHECK_INT(check_basic(&b, prefix), 3);
		qn_buf_clear(&b);
		qn_buf_clear(&arch);
	}
}

static void test_empty_and_comment(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_write(&b, NULL, 0, false, NULL);
	/* a trailing comment holding a look-alike end record (claiming a 2-byte comment): the
	 * real record, whose comment reaches the end, wins */
	static const char comment[] = "PK\x05\x06\1\0\0\0\1\0\1\0\0\0\0\0\0\0\0\0\2\0xxxxxxxxxx";
	b.data[b.len - 2] = (char)(sizeof(comment) - 1);
	qn_buf_add(&b, comment, sizeof(comment) - 1);
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	CHECK(z != NULL);
	qn_zip_entry e;
	CHECK_INT(z ? qn_zip_next(z, &e, &err) : -1, 0);
	qn_zip_free(z);
	qn_buf_clear(&b);
	qn_error_free(err);
}

/* Python's zipfile as an independent writer: deflate, a forced zip64 entry and a comment. */
static void test_python_interop(void)
{
	if (system("python3 -c 'import zipfile' 2>/dev/null") != 0) {
		printf("# SKIP python3 not installed\n");
		return;
	}
	const char *script = "import zipfile\n"
			     "with zipfile.ZipFile('py.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
			     "    z.comment = b'made by python'\n"
			     "    z.writestr('one.txt', 'one\\n' * 1000)\n"
			     "    z.writestr(zipfile.ZipInfo('stored.txt'), 'stored')\n"
			     "    with z.open('z64.txt', 'w', force_zip64=True) as f:\n"
			     "        f.write(b'zip64 ' * 100)\n";
	tap_write("mk.py", script, strlen(script));
	CHECK(system("python3 mk.py") == 0);
	size_t len = 0;
	qn_error *err = NULL;
	char *buf = qn_read_file("py.zip", 1 << 20, &len, &err);
	CHECK(buf != NULL);
	qn_zip *z = buf ? qn_zip_open((const uint8_t *)buf, len, 0, &err) : NULL;
	CHECK(z != NULL);
	const char *want[] = {"one.txt", "stored.txt", "z64.txt"};
	size_t want_len[] = {4000, 6, 600};
	qn_zip_entry e;
	int i = 0;
	while (z && qn_zip_next(z, &e, &err) > 0 && i < 3) {
		uint8_t *d = NULL;
		size_t n = 0;
		CHECK_STR(e.name, want[i]);
		CHECK_INT(qn_zip_read(z, &e, 1 << 20, &d, &n, &err), 0);
		CHECK_INT(n, want_len[i]);
		free(d);
		i++;
	}
	CHECK_INT(i, 3);
	if (err)
		printf("# %s\n", err->msg);
	qn_zip_free(z);
	free(buf);
	qn_error_free(err);
}

/* N stored "{}" entries named like osv.dev's records, written record by record (zw_write keeps
 * at most 64 entries). */
static void make_many(qn_buf *b, size_t n)
{
	size_t *local = xcalloc(n, sizeof(size_t));
	uint32_t crc = (uint32_t)crc32_z(0, (const Bytef *)"{}", 2);
	for (int pass = 0; pass < 2; pass++) {
		size_t cd = b->len;
		for (size_t i = 0; i < n; i++) {
			char name[32];
			int nl = snprintf(name, sizeof(name), "osv/GHSA-%05zu.json", i);
			if (pass == 0)
				local[i] = b->len;
			zw_put(b, pass ? 0x02014b50 : 0x04034b50, 4);
			if (pass)
				zw_put(b, 20, 2); /* version made by */
			zw_put(b, 20, 2);
			zw_put(b, 0, 8); /* flags, method, time, date */
			zw_put(b, crc, 4);
			zw_put(b, 2, 4);
			zw_put(b, 2, 4);
			zw_put(b, (uint64_t)nl, 2);
			zw_put(b, 0, 2);
			if (pass) {
				zw_put(b, 0, 6); /* comment length, disk, internal attributes */
				zw_put(b, 0, 4); /* external attributes */
				zw_put(b, local[i], 4);
			}
			qn_buf_add(b, name, (size_t)nl);
			if (!pass)
				qn_buf_adds(b, "{}");
		}
		if (pass) {
			size_t cd_size = b->len - cd;
			zw_put(b, 0x06054b50, 4);
			zw_put(b, 0, 4);
			zw_put(b, n, 2);
			zw_put(b, n, 2);
			zw_put(b, cd_size, 4);
			zw_put(b, cd, 4);
			zw_put(b, 0, 2);
		}
	}
	free(local);
}

/* Many small entries, as in osv.dev's all.zip: iteration is a walk, not a copy. */
static void test_many_entries(void)
{
	enum { N = 20000 };
	qn_buf b = QN_BUF_INIT;
	make_many(&b, N);
	qn_error *err = NULL;
	double t0 = qn_now();
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	CHECK(z != NULL);
	size_t n = 0, json = 0;
	qn_zip_entry en;
	while (z && qn_zip_next(z, &en, &err) > 0) {
		n++;
		if (en.name_len > 5 && memcmp(en.name + en.name_len - 5, ".json", 5) == 0)
			json++;
		if (en.index == N - 1) {
			uint8_t *d = NULL;
			size_t dl = 0;
			CHECK_INT(qn_zip_read(z, &en, 16, &d, &dl, &err), 0);
			CHECK(dl == 2 && memcmp(d, "{}", 2) == 0);
			free(d);
		}
	}
	printf("# %zu entries iterated in %.3f s\n", n, qn_now() - t0);
	CHECK_INT(n, N);
	CHECK_INT(json, N);
	/* the entry bound is enforced before anything is walked */
	qn_zip *z2 = qn_zip_open((const uint8_t *)b.data, b.len, 1000, &err);
	CHECK(z2 == NULL);
	CHECK(err && err->kind == QN_ERR_LIMIT);
	qn_zip_free(z);
	qn_error_free(err);
	qn_buf_clear(&b);
}

/* ---- malformed archives ---- */

/* Expects qn_zip_open to fail with kind and a message containing sub. */
static void expect_open_fail(const qn_buf *b, qn_error_kind kind, const char *sub)
{
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b->data, b->len, 0, &err);
	CHECK(z == NULL);
	CHECK(err != NULL);
	if (err) {
		CHECK_INT(err->kind, kind);
		CHECK_CONTAINS(err->msg, sub);
		CHECK(strchr(err->msg, '\n') == NULL);
	}
	qn_zip_free(z);
	qn_error_free(err);
}

/* Expects entry i to fail on read (or on iteration) with kind and a message containing sub. */
static void expect_read_fail(const qn_buf *b, size_t idx, size_t max, qn_error_kind kind, const char *sub)
{
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b->data, b->len, 0, &err);
	CHECK(z != NULL);
	qn_zip_entry e;
	int rc = 0;
	while (z && (rc = qn_zip_next(z, &e, &err)) > 0 && e.index < idx)
		;
	uint8_t *d = NULL;
	size_t n = 0;
	if (rc > 0)
		rc = qn_zip_read(z, &e, max, &d, &n, &err);
	CHECK_INT(rc, -1);
	CHECK(d == NULL);
	if (err) {
		CHECK_INT(err->kind, kind);
		CHECK_CONTAINS(err->msg, sub);
	} else {
		CHECK(err != NULL);
	}
	qn_zip_free(z);
	qn_error_free(err);
}

static void test_not_zip(void)
{
	qn_buf b = QN_BUF_INIT;
	expect_open_fail(&b, QN_ERR_INPUT, "no end of central directory");
	qn_buf_adds(&b, "this is not a zip archive, just text that is long enough to search");
	expect_open_fail(&b, QN_ERR_INPUT, "no end of central directory");
	qn_buf_clear(&b);
}

static void test_bad_crc(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	/* same wrong CRC in both headers: only the data can tell */
	zw_patch(&b, l.local[0] + 14, 0x12345678, 4);
	zw_patch(&b, l.central[0] + 16, 0x12345678, 4);
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "CRC-32 mismatch");
	qn_buf_clear(&b);
	/* a flipped data byte in a stored entry */
	make_basic(&b, false, &l);
	b.data[l.data[0]] ^= 1;
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "CRC-32 mismatch");
	qn_buf_clear(&b);
}

static void test_truncated_cd(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	/* more entries than the directory can hold */
	zw_patch(&b, l.eocd + 8, 50, 2);
	zw_patch(&b, l.eocd + 10, 50, 2);
	expect_open_fail(&b, QN_ERR_INPUT, "entries declared");
	/* a record whose signature is gone: the walk stops there with an error */
	zw_patch(&b, l.eocd + 8, 3, 2);
	zw_patch(&b, l.eocd + 10, 3, 2);
	zw_patch(&b, l.central[2], 0x11111111, 4);
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	CHECK(z != NULL);
	qn_zip_entry e;
	int n = 0;
	while (z && qn_zip_next(z, &e, &err) > 0)
		n++;
	CHECK_INT(n, 2);
	CHECK(err && strstr(err->msg, "central directory entry 2 at offset"));
	qn_zip_free(z);
	qn_error_free(err);
	zw_patch(&b, l.central[2], 0x02014b50, 4);
	/* the directory cut short: the last record runs past it */
	zw_patch(&b, l.eocd + 8, 3, 2);
	zw_patch(&b, l.eocd + 10, 3, 2);
	zw_patch(&b, l.eocd + 12, l.eocd - l.cd - 4, 4);
	err = NULL;
	z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	n = 0;
	while (z && qn_zip_next(z, &e, &err) > 0)
		n++;
	CHECK_INT(n, 2);
	CHECK(err && strstr(err->msg, "runs past the directory"));
	qn_zip_free(z);
	qn_error_free(err);
	qn_buf_clear(&b);
}

static void test_offsets_out_of_range(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	zw_patch(&b, l.eocd + 16, 0xFFFFFF00u, 4);
	expect_open_fail(&b, QN_ERR_INPUT, "no central directory at offset");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.eocd + 12, 0x7FFFFFFF, 4);
	expect_open_fail(&b, QN_ERR_INPUT, "larger than the archive");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[1] + 42, 0xFFFFFF00u, 4);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "no local header at offset");
	qn_buf_clear(&b);
	/* compressed size beyond the buffer (both headers agree on the lie) */
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[0] + 20, 0x00FFFFFF, 4);
	zw_patch(&b, l.central[0] + 24, 0x00FFFFFF, 4);
	zw_patch(&b, l.local[0] + 18, 0x00FFFFFF, 4);
	zw_patch(&b, l.local[0] + 22, 0x00FFFFFF, 4);
	expect_read_fail(&b, 0, 1 << 30, QN_ERR_INPUT, "run past the end");
	qn_buf_clear(&b);
	/* zip64 locator pointing at garbage */
	make_basic(&b, true, &l);
	zw_patch(&b, l.eocd64, 0xdeadbeef, 4);
	expect_open_fail(&b, QN_ERR_INPUT, "zip64 locator");
	qn_buf_clear(&b);
}

static void test_zip64_missing_extra(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, true, &l);
	/* rename the zip64 extra (id 1 -> 0x9999): sizes stay saturated with nothing to replace them */
	zw_patch(&b, l.central[0] + 46 + strlen("a/hello.txt"), 0x9999, 2);
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	CHECK(z != NULL);
	qn_zip_entry e;
	CHECK_INT(z ? qn_zip_next(z, &e, &err) : 0, -1);
	CHECK(err && strstr(err->msg, "without a zip64 extra field"));
	qn_zip_free(z);
	qn_error_free(err);
	qn_buf_clear(&b);
}

static void test_local_mismatch(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	b.data[l.local[0] + 30] = 'X'; /* local name differs */
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "local header disagrees");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.local[1] + 8, 0, 2); /* local says stored, central says deflate */
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "local header disagrees");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.local[1] + 22, 5, 4); /* local size differs */
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "local header disagrees");
	qn_buf_clear(&b);
}

static void test_absurd_sizes(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[1] + 24, 0xFFFFFFF0u, 4);
	zw_patch(&b, l.local[1] + 22, 0xFFFFFFF0u, 4);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_LIMIT, "over the limit of 1048576");
	expect_read_fail(&b, 1, SIZE_MAX, QN_ERR_INPUT, "impossible for");
	qn_buf_clear(&b);
	/* recorded size smaller / larger than what the data inflates to */
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[1] + 24, 1000, 4);
	zw_patch(&b, l.local[1] + 22, 1000, 4);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "inflates to more");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[1] + 24, sizeof(big) + 10, 4);
	zw_patch(&b, l.local[1] + 22, sizeof(big) + 10, 4);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "inflates to fewer");
	qn_buf_clear(&b);
	/* stored entry whose sizes differ */
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[0] + 20, 3, 4);
	zw_patch(&b, l.local[0] + 18, 3, 4);
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "stored entry with different sizes");
	qn_buf_clear(&b);
}

static void test_truncated_deflate(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	uint32_t cs = (uint32_t)(l.central[0] - l.data[1]); /* real compressed size */
	zw_patch(&b, l.central[1] + 20, cs / 2, 4);
	zw_patch(&b, l.local[1] + 18, cs / 2, 4);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "truncated");
	qn_buf_clear(&b);
	/* garbage where deflate data should be */
	make_basic(&b, false, &l);
	memset(b.data + l.data[1], 0xff, 16);
	expect_read_fail(&b, 1, 1 << 20, QN_ERR_INPUT, "corrupt deflate data");
	qn_buf_clear(&b);
}

static void test_refusals(void)
{
	qn_buf b = QN_BUF_INIT;
	zw_layout l;
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[0] + 8, 1, 2);
	zw_patch(&b, l.local[0] + 6, 1, 2);
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "encrypted");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	zw_patch(&b, l.central[0] + 10, 12, 2);
	zw_patch(&b, l.local[0] + 8, 12, 2);
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "unsupported compression method 12");
	qn_buf_clear(&b);
	make_basic(&b, false, &l);
	b.data[l.central[0] + 46 + 1] = 0;
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_INPUT, "NUL byte");
	qn_buf_clear(&b);
}

/* 10 MiB of zeros deflate to about 10 KiB: the size limit stops it before inflating. */
static void test_bomb(void)
{
	size_t n = 10 << 20;
	char *zeros = xcalloc(1, n);
	zw_entry e[] = {{"bomb.bin", zeros, n, 8}};
	qn_buf b = QN_BUF_INIT;
	zw_write(&b, e, 1, false, NULL);
	CHECK(b.len < 64 * 1024);
	expect_read_fail(&b, 0, 1 << 20, QN_ERR_LIMIT, "over the limit");
	/* within a large enough limit the same entry reads fine */
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	qn_zip_entry en;
	uint8_t *d = NULL;
	size_t dl = 0;
	CHECK(z && qn_zip_next(z, &en, &err) == 1);
	CHECK_INT(z ? qn_zip_read(z, &en, n, &d, &dl, &err) : -1, 0);
	CHECK_INT(dl, n);
	free(d);
	qn_zip_free(z);
	qn_error_free(err);
	free(zeros);
	qn_buf_clear(&b);
}

/* qn_zip_read trusts the archive, not the caller's copy of the entry. */
static void test_stale_entry(void)
{
	qn_buf b = QN_BUF_INIT;
	make_basic(&b, false, NULL);
	qn_error *err = NULL;
	qn_zip *z = qn_zip_open((const uint8_t *)b.data, b.len, 0, &err);
	qn_zip_entry e;
	CHECK(z && qn_zip_next(z, &e, &err) == 1);
	e.cd_pos += 3;
	uint8_t *d = NULL;
	size_t n;
	CHECK_INT(z ? qn_zip_read(z, &e, 1 << 20, &d, &n, &err) : 0, -1);
	CHECK(err && strstr(err->msg, "missing or truncated"));
	qn_zip_free(z);
	qn_error_free(err);
	qn_buf_clear(&b);
}

int main(void)
{
	TAP_RUN(test_basic);
	TAP_RUN(test_zip64);
	TAP_RUN(test_prefix);
	TAP_RUN(test_empty_and_comment);
	TAP_RUN(test_python_interop);
	TAP_RUN(test_many_entries);
	TAP_RUN(test_not_zip);
	TAP_RUN(test_bad_crc);
	TAP_RUN(test_truncated_cd);
	TAP_RUN(test_offsets_out_of_range);
	TAP_RUN(test_zip64_missing_extra);
	TAP_RUN(test_local_mismatch);
	TAP_RUN(test_absurd_sizes);
	TAP_RUN(test_truncated_deflate);
	TAP_RUN(test_refusals);
	TAP_RUN(test_bomb);
	TAP_RUN(test_stale_entry);
	return tap_done();
}
