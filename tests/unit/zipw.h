/* A tiny zip writer for tests: stored and deflated entries, optional zip64 records and extra
 * fields, and the offsets of every structure so a test can corrupt exactly one field. Written
 * from PKWARE's APPNOTE; only what the tests need. */
#ifndef QN_TEST_ZIPW_H
#define QN_TEST_ZIPW_H

#include <zlib.h>

#include "util/util.h"

typedef struct {
	const char *name;
	const void *data;
	size_t len;
	int method;        /* 0 stored, 8 deflate */
	const void *cdata; /* precompressed deflate data for data/len (optional, saves time on bombs) */
	size_t clen;
} zw_entry;

typedef struct {
	size_t local[64];    /* local header offsets */
	size_t data[64];     /* entry data offsets */
	size_t central[64];  /* central record offsets */
	size_t cd;           /* central directory start */
	size_t eocd64, eocd; /* end records (eocd64 only with zip64) */
} zw_layout;

static inline void zw_put(qn_buf *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		qn_buf_addc(b, (char)(v >> (8 * i)));
}

/* Raw deflate (no zlib header) of data. Caller frees. */
static inline uint8_t *zw_deflate(const void *data, size_t len, size_t *out_len)
{
	z_stream s = {0};
	deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&s, (uLong)len) + 16;
	uint8_t *o = xmalloc(cap);
	s.next_in = (Bytef *)(uintptr_t)data;
	s.avail_in = (uInt)len;
	s.next_out = o;
	s.avail_out = (uInt)cap;
	deflate(&s, Z_FINISH);
	*out_len = s.total_out;
	deflateEnd(&s);
	return o;
}

/* Local header and data of entry e; records crc and compressed size for the central record. */
static inline void zw_local(qn_buf *b, const zw_entry *e, bool zip64, zw_layout *l, size_t i, uint32_t *crc,
			    size_t *csize)
{
	size_t clen = e->len;
	uint8_t *c = NULL;
	if (e->method == 8 && e->cdata)
		clen = e->clen;
	else if (e->method == 8)
		c = zw_deflate(e->data, e->len, &clen);
	const void *payload = e->method == 8 ? (e->cdata ? e->cdata : c) : e->data;
	*crc = (uint32_t)crc32_z(0, e->data, e->len);
	*csize = clen;
	size_t nl = strlen(e->name);
	l->local[i] = b->len;
	zw_put(b, 0x04034b50, 4);
	zw_put(b, zip64 ? 45 : 20, 2);
	zw_put(b, 0, 2);
	zw_put(b, (uint64_t)e->method, 2);
	zw_put(b, 0x00210000, 4); /* time 00:00, date 1980-01-01 */
	zw_put(b, *crc, 4);
	zw_put(b, zip64 ? 0xFFFFFFFFu : clen, 4);
	zw_put(b, zip64 ? 0xFFFFFFFFu : e->len, 4);
	zw_put(b, nl, 2);
	zw_put(b, zip64 ? 20 : 0, 2);
	qn_buf_add(b, e->name, nl);
	if (zip64) {
		zw_put(b, 1, 2);
		zw_put(b, 16, 2);
		zw_put(b, e->len, 8);
		zw_put(b, clen, 8);
	}
	l->data[i] = b->len;
	qn_buf_add(b, payload, clen);
	free(c);
}

static inline void zw_central(qn_buf *b, const zw_entry *e, bool zip64, zw_layout *l, size_t i, uint32_t crc,
			      size_t csize)
{
	size_t nl = strlen(e->name);
	l->central[i] = b->len;
	zw_put(b, 0x02014b50, 4);
	zw_put(b, 0x031e, 2);
	zw_put(b, zip64 ? 45 : 20, 2);
	zw_put(b, 0, 2);
	zw_put(b, (uint64_t)e->method, 2);
	zw_put(b, 0x00210000, 4);
	zw_put(b, crc, 4);
	zw_put(b, zip64 ? 0xFFFFFFFFu : csize, 4);
	zw_put(b, zip64 ? 0xFFFFFFFFu : e->len, 4);
	zw_put(b, nl, 2);
	zw_put(b, zip64 ? 28 : 0, 2);
	zw_put(b, 0, 6); /* comment length, disk, internal attributes */
	zw_put(b, 0, 4); /* external attributes */
	zw_put(b, zip64 ? 0xFFFFFFFFu : l->local[i], 4);
	qn_buf_add(b, e->name, nl);
	if (zip64) {
		zw_put(b, 1, 2);
		zw_put(b, 24, 2);
		zw_put(b, e->len, 8);
		zw_put(b, csize, 8);
		zw_put(b, l->local[i], 8);
	}
}

/* End records: zip64 record and locator when asked, then the classic one (saturated for zip64). */
static inline void zw_end(qn_buf *b, size_t n, bool zip64, zw_layout *l)
{
	size_t cd_size = b->len - l->cd;
	if (zip64) {
		l->eocd64 = b->len;
		zw_put(b, 0x06064b50, 4);
		zw_put(b, 44, 8);
		zw_put(b, 45, 2);
		zw_put(b, 45, 2);
		zw_put(b, 0, 8);
		zw_put(b, n, 8);
		zw_put(b, n, 8);
		zw_put(b, cd_size, 8);
		zw_put(b, l->cd, 8);
		zw_put(b, 0x07064b50, 4);
		zw_put(b, 0, 4);
		zw_put(b, l->eocd64, 8);
		zw_put(b, 1, 4);
	}
	l->eocd = b->len;
	zw_put(b, 0x06054b50, 4);
	zw_put(b, 0, 4);
	zw_put(b, zip64 ? 0xFFFF : n, 2);
	zw_put(b, zip64 ? 0xFFFF : n, 2);
	zw_put(b, zip64 ? 0xFFFFFFFFu : cd_size, 4);
	zw_put(b, zip64 ? 0xFFFFFFFFu : l->cd, 4);
	zw_put(b, 0, 2);
}

/* Appends an archive of n entries (at most 64) to b, which may already hold a prefix. */
static inline void zw_write(qn_buf *b, const zw_entry *e, size_t n, bool zip64, zw_layout *lay)
{
	zw_layout l = {0};
	uint32_t crc[64];
	size_t csize[64];
	for (size_t i = 0; i < n; i++)
		zw_local(b, &e[i], zip64, &l, i, &crc[i], &csize[i]);
	l.cd = b->len;
	for (size_t i = 0; i < n; i++)
		zw_central(b, &e[i], zip64, &l, i, crc[i], csize[i]);
	zw_end(b, n, zip64, &l);
	if (lay)
		*lay = l;
}

/* Overwrites n little-endian bytes at off. */
static inline void zw_patch(qn_buf *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b->data[off + i] = (char)(v >> (8 * i));
}

#endif
