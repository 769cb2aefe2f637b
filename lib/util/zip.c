/* Zip reader over an in-memory buffer (PKWARE APPNOTE 6.3): finds the end-of-central-directory
 * record (searching back at most 64 KiB + 22 bytes, the largest a trailing comment allows),
 * follows the zip64 locator when there is one, walks the central directory record by record and
 * extracts single entries (stored or raw deflate) with every claim checked against the buffer:
 * offsets, sizes, the local header's agreement with the central directory, and the CRC-32.
 *
 * It does not write files, follow names (callers normalise them), handle multi-disk archives,
 * decrypt, or support methods other than stored and deflate. Archives are attacker-controlled
 * (jars inside image layers, feeds from the network), so every size read from the archive is
 * treated as a claim to verify before it is used for an allocation or an offset. */
#include "zip.h"

#include <limits.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define EOCD_LEN 22
#define EOCD64_LEN 56
#define LOC64_LEN 20
#define CENTRAL_LEN 46
#define LOCAL_LEN 30
/* Deflate cannot expand data by more than about 1032:1; a recorded size beyond that (plus slack
 * for tiny entries) is a lie we refuse before allocating for it. */
#define DEFLATE_MAX_RATIO 1032u

struct qn_zip {
	const uint8_t *buf;
	size_t len;
	uint64_t base;   /* bytes in front of the archive proper (launch scripts, SFX stubs) */
	size_t cd_start; /* central directory [cd_start, cd_end) inside buf */
	size_t cd_end;
	size_t count; /* declared entries */
	size_t pos;   /* iteration: next record */
	size_t seen;  /* iteration: records returned so far */
	qn_buf name;  /* NUL-terminated copy of the current entry's name */
};

/* One parsed central directory record; name points into the archive buffer. */
typedef struct {
	const uint8_t *name;
	size_t name_len;
	uint64_t csize, usize, offset;
	uint32_t crc;
	uint16_t method, flags;
	size_t next; /* first byte after the record */
} cdrec;

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A quoted, bounded copy of a raw name for one-line error messages. Caller frees. */
static char *qname(const uint8_t *p, size_t n)
{
	_cleanup_free_ char *s = xstrndup((const char *)p, QN_MIN(n, (size_t)200));
	return qn_str_quote(s, 120);
}

/* The end record: searching backwards, the first signature whose comment runs exactly to the end
 * of the buffer; failing that (bytes appended after the archive), the last one whose comment
 * fits. The exact match keeps a look-alike signature inside the comment from winning. Returns
 * its offset or SIZE_MAX. */
static size_t find_eocd(const uint8_t *b, size_t len)
{
	if (len < EOCD_LEN)
		return SIZE_MAX;
	size_t hi = len - EOCD_LEN, found = SIZE_MAX;
	size_t lo = hi > 0xFFFF ? hi - 0xFFFF : 0;
	for (size_t p = hi + 1; p-- > lo;) {
		if (rd32(b + p) != SIG_EOCD)
			continue;
		size_t end = p + EOCD_LEN + rd16(b + p + 20);
		if (end == len)
			return p;
		if (end < len && found == SIZE_MAX)
			found = p;
	}
	return found;
}

/* Directory facts from the (zip64) end record. */
typedef struct {
	uint64_t count, cd_size, cd_off;
	size_t dir_end; /* where the central directory must end: the first end record */
} eocd_info;

/* Reads the zip64 end record that the locator just before the EOCD points to. The recorded
 * offset is wrong when bytes were prepended, so the usual place (right before the locator) is
 * tried too. Returns 1 when zip64 applies, 0 when there is no locator, -1 on error. */
static int read_eocd64(const uint8_t *b, size_t eocd, eocd_info *d, qn_error **err)
{
	if (eocd < LOC64_LEN || rd32(b + eocd - LOC64_LEN) != SIG_LOC64)
		return 0;
	size_t loc = eocd - LOC64_LEN;
	uint64_t rec = rd64(b + loc + 8);
	size_t usual = loc >= EOCD64_LEN ? loc - EOCD64_LEN : SIZE_MAX;
	/* the record must fit whole between its offset and the locator */
	if (rec > loc || loc - rec < EOCD64_LEN || rd32(b + rec) != SIG_EOCD64)
		rec = usual;
	if (rec == SIZE_MAX || rd32(b + rec) != SIG_EOCD64)
		return qn_error_set(err, QN_ERR_INPUT, "zip: zip64 locator points to no zip64 end record");
	d->count = rd64(b + rec + 32);
	d->cd_size = rd64(b + rec + 40);
	d->cd_off = rd64(b + rec + 48);
	d->dir_end = (size_t)rec;
	return 1;
}

/* Places the central directory: at its recorded offset, or, when that holds no record but the
 * directory ends right before the end record, behind a prefix of (dir_end - size - offset). */
static int place_cd(qn_zip *z, const eocd_info *d, qn_error **err)
{
	if (d->cd_size > d->dir_end)
		return qn_error_set(err, QN_ERR_INPUT, "zip: central directory size %llu is larger than the archive",
				    (unsigned long long)d->cd_size);
	size_t real = d->dir_end - (size_t)d->cd_size;
	bool empty = d->count == 0;
	if (d->cd_off <= real && (empty || rd32(z->buf + d->cd_off) == SIG_CENTRAL)) {
		z->base = 0;
		z->cd_start = (size_t)d->cd_off;
	} else if (d->cd_off < real && rd32(z->buf + real) == SIG_CENTRAL) {
		z->base = real - d->cd_off;
		z->cd_start = real;
	} else {
		return qn_error_set(err, QN_ERR_INPUT, "zip: no central directory at offset %llu",
				    (unsigned long long)d->cd_off);
	}
	z->cd_end = z->cd_start + (size_t)d->cd_size;
	return 0;
}

qn_zip *qn_zip_open(const uint8_t *buf, size_t len, size_t max_entries, qn_error **err)
{
	size_t eocd = find_eocd(buf, len);
	if (eocd == SIZE_MAX) {
		qn_error_set(err, QN_ERR_INPUT, "zip: no end of central directory record (not a zip archive)");
		return NULL;
	}
	eocd_info d = {rd16(buf + eocd + 10), rd32(buf + eocd + 12), rd32(buf + eocd + 16), eocd};
	if (read_eocd64(buf, eocd, &d, err) < 0)
		return NULL;
	if (!max_entries)
		max_entries = QN_ZIP_MAX_ENTRIES_DEFAULT;
	if (d.count > max_entries) {
		qn_error_set(err, QN_ERR_LIMIT, "zip: %llu entries is over the limit of %zu",
			     (unsigned long long)d.count, max_entries);
		return NULL;
	}
	qn_zip *z = xcalloc(1, sizeof(*z));
	z->buf = buf;
	z->len = len;
	z->count = (size_t)d.count;
	if (place_cd(z, &d, err) < 0) {
		qn_zip_free(z);
		return NULL;
	}
	/* every record takes at least CENTRAL_LEN bytes: a count the directory cannot hold is forged */
	if (z->count > (z->cd_end - z->cd_start) / CENTRAL_LEN) {
		qn_error_set(err, QN_ERR_INPUT, "zip: %zu entries declared but the central directory holds at most %zu",
			     z->count, (z->cd_end - z->cd_start) / CENTRAL_LEN);
		qn_zip_free(z);
		return NULL;
	}
	z->pos = z->cd_start;
	return z;
}

/* Replaces 32-bit sizes and the offset that are saturated (0xFFFFFFFF) by the values of the zip64
 * extra field (id 1), which stores only the saturated ones, in this order. */
static int read_zip64_extra(const uint8_t *x, size_t m, cdrec *r, size_t index, qn_error **err)
{
	bool nu = r->usize == 0xFFFFFFFFu, nc = r->csize == 0xFFFFFFFFu, no = r->offset == 0xFFFFFFFFu;
	if (!nu && !nc && !no)
		return 0;
	for (size_t p = 0; m - p >= 4;) {
		size_t id = rd16(x + p), sz = rd16(x + p + 2);
		if (sz > m - p - 4)
			break;
		if (id == 1) {
			const uint8_t *f = x + p + 4;
			size_t need = 8 * ((size_t)nu + (size_t)nc + (size_t)no);
			if (sz < need)
				break;
			if (nu)
				r->usize = rd64(f), f += 8;
			if (nc)
				r->csize = rd64(f), f += 8;
			if (no)
				r->offset = rd64(f);
			return 0;
		}
		p += 4 + sz;
	}
	return qn_error_set(err, QN_ERR_INPUT, "zip: entry %zu: saturated size or offset without a zip64 extra field",
			    index);
}

static int parse_central(const qn_zip *z, size_t pos, size_t index, cdrec *r, qn_error **err)
{
	const uint8_t *b = z->buf;
	if (pos < z->cd_start || pos > z->cd_end || z->cd_end - pos < CENTRAL_LEN || rd32(b + pos) != SIG_CENTRAL)
		return qn_error_set(err, QN_ERR_INPUT,
				    "zip: central directory entry %zu at offset %zu is missing or truncated", index,
				    pos);
	size_t n = rd16(b + pos + 28), m = rd16(b + pos + 30), k = rd16(b + pos + 32);
	if (z->cd_end - pos - CENTRAL_LEN < n + m + k)
		return qn_error_set(err, QN_ERR_INPUT, "zip: central directory entry %zu runs past the directory",
				    index);
	r->flags = rd16(b + pos + 8);
	r->method = rd16(b + pos + 10);
	r->crc = rd32(b + pos + 16);
	r->csize = rd32(b + pos + 20);
	r->usize = rd32(b + pos + 24);
	r->offset = rd32(b + pos + 42);
	r->name = b + pos + CENTRAL_LEN;
	r->name_len = n;
	r->next = pos + CENTRAL_LEN + n + m + k;
	/* a NUL inside a name would make the C string callers see differ from the stored name */
	if (memchr(r->name, 0, n))
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry %zu: name contains a NUL byte", index);
	if (read_zip64_extra(r->name + n, m, r, index, err) < 0)
		return -1;
	if (r->offset > UINT64_MAX - z->base)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry %zu: local header offset overflows", index);
	r->offset += z->base;
	return 0;
}

size_t qn_zip_count(const qn_zip *z)
{
	return z->count;
}

void qn_zip_rewind(qn_zip *z)
{
	z->pos = z->cd_start;
	z->seen = 0;
}

int qn_zip_next(qn_zip *z, qn_zip_entry *e, qn_error **err)
{
	if (z->seen >= z->count)
		return 0;
	cdrec r;
	if (parse_central(z, z->pos, z->seen, &r, err) < 0)
		return -1;
	qn_buf_reset(&z->name);
	qn_buf_add(&z->name, r.name, r.name_len);
	*e = (qn_zip_entry){
	    .name = z->name.data,
	    .name_len = r.name_len,
	    .csize = r.csize,
	    .usize = r.usize,
	    .crc32 = r.crc,
	    .method = r.method,
	    .flags = r.flags,
	    .offset = r.offset,
	    .index = z->seen,
	    .cd_pos = z->pos,
	};
	z->pos = r.next;
	z->seen++;
	return 1;
}

bool qn_zip_is_dir(const qn_zip_entry *e)
{
	return e->name_len && e->name[e->name_len - 1] == '/';
}

/* Checks the local header against the central record and finds the entry's data.
 * Returns the data offset or SIZE_MAX with err set. */
static size_t check_local(const qn_zip *z, const cdrec *r, const char *qn, qn_error **err)
{
	const uint8_t *b = z->buf;
	/* the offset comes from the archive: it must leave room for a whole local header */
	if (z->len < LOCAL_LEN || r->offset > z->len - LOCAL_LEN || rd32(b + r->offset) != SIG_LOCAL) {
		qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": no local header at offset %llu", qn,
			     (unsigned long long)r->offset);
		return SIZE_MAX;
	}
	const uint8_t *l = b + r->offset;
	uint16_t lflags = rd16(l + 6), lmethod = rd16(l + 8);
	size_t n = rd16(l + 26), m = rd16(l + 28);
	size_t data = (size_t)r->offset + LOCAL_LEN + n + m;
	/* two readers that trust different headers can be shown different files: they must agree */
	bool same = n == r->name_len && data <= z->len && memcmp(l + LOCAL_LEN, r->name, n) == 0 &&
		    lmethod == r->method && (lflags & 1) == (r->flags & 1);
	if (same && !(lflags & 8)) { /* without a data descriptor the local header carries crc and sizes */
		uint32_t lc = rd32(l + 18), lu = rd32(l + 22);
		same = rd32(l + 14) == r->crc && (lc == 0xFFFFFFFFu || lc == r->csize) &&
		       (lu == 0xFFFFFFFFu || lu == r->usize);
	}
	if (!same) {
		qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": local header disagrees with the central directory",
			     qn);
		return SIZE_MAX;
	}
	if (r->csize > z->len - data) {
		qn_error_set(err, QN_ERR_INPUT,
			     "zip: entry \"%s\": %llu compressed bytes run past the end of the archive", qn,
			     (unsigned long long)r->csize);
		return SIZE_MAX;
	}
	return data;
}

/* Inflates raw deflate data into exactly out_len bytes. zlib counts in uInt, so both sides are
 * fed in pieces. One spare byte past out_len catches data that inflates to more than recorded;
 * a stream that ends early, or input that runs out first, is an error too. */
static int inflate_exact(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len, const char *qn, qn_error **err)
{
	z_stream s = {0};
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
		return qn_error_set(err, QN_ERR_RUNTIME, "zip: entry \"%s\": cannot initialise zlib", qn);
	size_t in_off = 0, out_off = 0;
	uint8_t spare[1];
	int rc;
	for (;;) {
		if (s.avail_in == 0 && in_off < in_len) {
			s.next_in = (Bytef *)(uintptr_t)(in + in_off);
			s.avail_in = (uInt)QN_MIN(in_len - in_off, (size_t)UINT_MAX);
			in_off += s.avail_in;
		}
		if (s.avail_out == 0 && out_off < out_len) {
			s.next_out = out + out_off;
			s.avail_out = (uInt)QN_MIN(out_len - out_off, (size_t)UINT_MAX);
			out_off += s.avail_out;
		} else if (s.avail_out == 0 && s.next_out != spare + 1) {
			s.next_out = spare;
			s.avail_out = 1;
		}
		rc = inflate(&s, Z_NO_FLUSH);
		if (rc != Z_OK || s.total_out > out_len)
			break;
	}
	uint64_t total = s.total_out;
	inflateEnd(&s);
	if (rc == Z_STREAM_END && total == out_len)
		return 0;
	if (total > out_len || rc == Z_STREAM_END)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": inflates to %s than its recorded %zu bytes",
				    qn, total > out_len ? "more" : "fewer", out_len);
	if (rc == Z_BUF_ERROR)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": deflate data is truncated", qn);
	return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": corrupt deflate data", qn);
}

/* Refusals that need no data: encryption, methods, sizes. */
static int check_entry(const cdrec *r, size_t max_bytes, const char *qn, qn_error **err)
{
	if ((r->flags & 1) || r->method == 99)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": encrypted entries are not supported", qn);
	if (r->method != 0 && r->method != 8)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": unsupported compression method %u", qn,
				    (unsigned)r->method);
	if (r->usize > max_bytes)
		return qn_error_set(err, QN_ERR_LIMIT,
				    "zip: entry \"%s\": %llu bytes uncompressed is over the limit of %zu", qn,
				    (unsigned long long)r->usize, max_bytes);
	if (r->method == 0 && r->csize != r->usize)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": stored entry with different sizes", qn);
	if (r->method == 8 && r->usize / DEFLATE_MAX_RATIO > r->csize + 64)
		return qn_error_set(err, QN_ERR_INPUT,
				    "zip: entry \"%s\": recorded size %llu is impossible for %llu compressed bytes", qn,
				    (unsigned long long)r->usize, (unsigned long long)r->csize);
	return 0;
}

int qn_zip_read(qn_zip *z, const qn_zip_entry *e, size_t max_bytes, uint8_t **out, size_t *len, qn_error **err)
{
	cdrec r;
	/* trust only the archive: the record is read again where the entry says it lives */
	if (parse_central(z, e->cd_pos, e->index, &r, err) < 0)
		return -1;
	_cleanup_free_ char *qn = qname(r.name, r.name_len);
	if (check_entry(&r, max_bytes, qn, err) < 0)
		return -1;
	size_t data = check_local(z, &r, qn, err);
	if (data == SIZE_MAX)
		return -1;
	size_t n = (size_t)r.usize;
	_cleanup_free_ uint8_t *o = xmalloc(n + 1);
	if (r.method == 0)
		memcpy(o, z->buf + data, n);
	else if (inflate_exact(z->buf + data, (size_t)r.csize, o, n, qn, err) < 0)
		return -1;
	o[n] = 0;
	if (crc32_z(0, o, n) != r.crc)
		return qn_error_set(err, QN_ERR_INPUT, "zip: entry \"%s\": CRC-32 mismatch", qn);
	*out = steal_pointer(&o);
	*len = n;
	return 0;
}

void qn_zip_free(qn_zip *z)
{
	if (!z)
		return;
	qn_buf_clear(&z->name);
	free(z);
}
