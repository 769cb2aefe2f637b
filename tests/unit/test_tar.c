/* Unit tests: tar reader and writer, including the malformed inputs the reader must refuse. */
#include "image/tar.h"
#include "image/tarwrite.h"
#include "tap.h"

typedef struct {
	int n;
	char paths[16][512];
	char links[16][256];
	qn_tar_type types[16];
	uint64_t sizes[16];
	uint32_t modes[16];
	qn_buf data;
	size_t n_xattrs[16];
} seen_t;

static int on_entry(void *ud, const qn_tar_entry *e, qn_error **err)
{
	(void)err;
	seen_t *s = ud;
	if (s->n < 16) {
		snprintf(s->paths[s->n], 512, "%s", e->path);
		snprintf(s->links[s->n], 256, "%s", e->linkname);
		s->types[s->n] = e->type;
		s->sizes[s->n] = e->size;
		s->modes[s->n] = e->mode;
		s->n_xattrs[s->n] = e->n_xattrs;
	}
	s->n++;
	return 1;
}

static int on_data(void *ud, const void *p, size_t n, qn_error **err)
{
	(void)err;
	seen_t *s = ud;
	qn_buf_add(&s->data, p, n);
	return 0;
}

static const qn_tar_callbacks cb = {on_entry, on_data, NULL};

/* Parses buf, feeding it in chunks of `chunk` bytes; returns the reader's result. */
static int parse(const qn_buf *buf, size_t chunk, seen_t *s, qn_error **err)
{
	memset(s, 0, sizeof(*s));
	qn_tar_limits lim = {4096, 1 << 20};
	qn_tar_reader *r = qn_tar_reader_new(&cb, s, &lim, "test");
	int rc = 0;
	for (size_t off = 0; off < buf->len && rc == 0; off += chunk)
		rc = qn_tar_reader_feed(r, buf->data + off, QN_MIN(chunk, buf->len - off), err);
	if (rc == 0)
		rc = qn_tar_reader_finish(r, err);
	qn_tar_reader_free(r);
	return rc;
}

static void add_file(qn_tarw *w, const char *path, const char *content)
{
	qn_tar_entry e = {.path = path, .linkname = "", .type = QN_TAR_REG, .mode = 0644, .size = strlen(content)};
	CHECK(qn_tarw_header(w, &e, NULL) == 0);
	CHECK(qn_tarw_data(w, content, strlen(content), NULL) == 0);
	CHECK(qn_tarw_end_entry(w, NULL) == 0);
}

static void test_roundtrip(void)
{
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	add_file(&w, "etc/hostname", "box\n");
	qn_tar_entry d = {.path = "usr/", .linkname = "", .type = QN_TAR_DIR, .mode = 0755};
	CHECK(qn_tarw_header(&w, &d, NULL) == 0);
	qn_tar_entry l = {.path = "bin", .linkname = "usr/bin", .type = QN_TAR_SYMLINK, .mode = 0777};
	CHECK(qn_tarw_header(&w, &l, NULL) == 0);
	char longp[300];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	longp[100] = '/';
	add_file(&w, longp, "x");
	qn_tar_xattr xa = {"security.capability", "\x01\x00\x00\x02", 4};
	qn_tar_entry c = {
	    .path = "usr/bin/ping", .linkname = "", .type = QN_TAR_REG, .mode = 04755, .xattrs = &xa, .n_xattrs = 1};
	CHECK(qn_tarw_header(&w, &c, NULL) == 0);
	CHECK(qn_tarw_finish(&w, NULL) == 0);
	CHECK_INT(b.len % 512, 0);
	/* byte-at-a-time and all-at-once feeding must agree */
	size_t chunks[] = {1, 7, 512, 100000};
	for (size_t i = 0; i < 4; i++) {
		seen_t s;
		qn_error *err = NULL;
		CHECK_INT(parse(&b, chunks[i], &s, &err), 0);
		CHECK(err == NULL);
		CHECK_INT(s.n, 5);
		CHECK_STR(s.paths[0], "etc/hostname");
		CHECK_INT(s.types[1], QN_TAR_DIR);
		CHECK_STR(s.links[2], "usr/bin");
		CHECK_STR(s.paths[3], longp);
		CHECK_INT(s.modes[4], 04755);
		CHECK_INT(s.n_xattrs[4], 1);
		CHECK_STR(s.data.data, "box\nx");
		qn_buf_clear(&s.data);
		qn_error_free(err);
	}
	qn_buf_clear(&b);
}

static void expect_fail(const qn_buf *b, const char *needle)
{
	seen_t s;
	qn_error *err = NULL;
	CHECK(parse(b, 4096, &s, &err) < 0);
	CHECK(err != NULL);
	if (err)
		CHECK_CONTAINS(err->msg, needle);
	qn_error_free(err);
	qn_buf_clear(&s.data);
}

static void test_truncated(void)
{
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	add_file(&w, "a", "hello world");
	qn_tarw_finish(&w, NULL);
	b.len = 512 + 5; /* header plus 5 of 11 data bytes */
	expect_fail(&b, "data is shorter than its header says");
	b.len = 300; /* inside the header */
	expect_fail(&b, "truncated inside a header");
	qn_buf_clear(&b);
}

static void test_data_longer_than_header(void)
{
	/* entry "a" claims 3 bytes but 600 follow: the next "header" is file data */
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	add_file(&w, "a", "abc");
	b.len = 512;
	for (int i = 0; i < 1024; i++)
		qn_buf_addc(&b, 'z');
	expect_fail(&b, "invalid header checksum after \"a\"");
	qn_buf_clear(&b);
}

static void test_bad_checksum_and_garbage(void)
{
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	add_file(&w, "a", "abc");
	qn_tarw_finish(&w, NULL);
	qn_buf c = QN_BUF_INIT;
	qn_buf_add(&c, b.data, b.len);
	c.data[10] ^= 1;
	expect_fail(&c, "invalid header checksum");
	/* non-zero bytes after the end-of-archive marker */
	qn_buf_add(&b, "junk", 4);
	expect_fail(&b, "data after the end-of-archive marker");
	qn_buf_clear(&b);
	qn_buf_clear(&c);
}

static void test_header_only_with_size(void)
{
	/* a directory header with a non-zero size: readers disagree on where the next header is */
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	qn_tar_entry d = {.path = "d/", .linkname = "", .type = QN_TAR_REG, .mode = 0755, .size = 0};
	qn_tarw_header(&w, &d, NULL);
	qn_tarw_finish(&w, NULL);
	unsigned char *h = (unsigned char *)b.data;
	h[156] = '5';
	memcpy(h + 124, "00000001000", 11);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	expect_fail(&b, "must not have data");
	qn_buf_clear(&b);
}

static void test_octal(void)
{
	int64_t v;
	CHECK(qn_tar_parse_octal((const unsigned char *)"0000644\0", 8, false, &v) == 0 && v == 0644);
	CHECK(qn_tar_parse_octal((const unsigned char *)"   644 \0", 8, false, &v) == 0 && v == 0644);
	CHECK(qn_tar_parse_octal((const unsigned char *)"00006x4\0", 8, false, &v) < 0);
	const unsigned char b256[12] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	CHECK(qn_tar_parse_octal(b256, 12, false, &v) == 0 && v == 256);
	const unsigned char neg[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	CHECK(qn_tar_parse_octal(neg, 12, false, &v) < 0);
	CHECK(qn_tar_parse_octal(neg, 12, true, &v) == 0 && v == -1);
}

static void test_pax_limits(void)
{
	/* a pax header bigger than the limit is refused before it is buffered */
	qn_buf b = QN_BUF_INIT;
	qn_tarw w;
	qn_tarw_init(&w, qn_tarw_sink_buf, &b);
	char *longp = xmalloc(5000);
	memset(longp, 'p', 4999);
	longp[4999] = 0;
	add_file(&w, longp, "x");
	qn_tarw_finish(&w, NULL);
	expect_fail(&b, "path longer than the limit");
	free(longp);
	qn_buf_clear(&b);
}

int main(void)
{
	TAP_RUN(test_roundtrip);
	TAP_RUN(test_truncated);
	TAP_RUN(test_data_longer_than_header);
	TAP_RUN(test_bad_checksum_and_garbage);
	TAP_RUN(test_header_only_with_size);
	TAP_RUN(test_octal);
	TAP_RUN(test_pax_limits);
	return tap_done();
}
