/* Layer decompression (see decomp.h). gzip goes through ISA-L's igzip when it was found at build
 * time (more than twice as fast as zlib on these machines) and through zlib otherwise. Both
 * accept concatenated gzip members, as Go's reader does, and nothing else after the last one;
 * checksums and lengths in the gzip trailer are verified by the inflater. */
#include <zlib.h>
#include <zstd.h>
#ifdef QN_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "decomp.h"

#define OUT_SIZE (512 * 1024)

struct qn_decomp {
	qn_comp comp;
	qn_decomp_out out;
	void *ud;
	char *what;
	unsigned char *obuf;
	bool started;     /* some input was seen */
	bool member_done; /* the last gzip member / zstd frame ended cleanly */
	uint64_t in_total;
#ifdef QN_HAVE_ISAL
	struct inflate_state *isal;
#endif
	z_stream *z;
	ZSTD_DStream *zs;
};

const char *qn_comp_name(qn_comp c)
{
	switch (c) {
	case QN_COMP_NONE:
		return "none";
	case QN_COMP_GZIP:
		return "gzip";
	case QN_COMP_ZSTD:
		return "zstd";
	case QN_COMP_UNKNOWN:
		break;
	}
	return "unknown";
}

qn_comp qn_comp_detect(const unsigned char *p, size_t n, qn_error **err)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return QN_COMP_GZIP;
	if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return QN_COMP_ZSTD;
	if (n >= 3 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h') {
		qn_error_set(err, QN_ERR_INPUT, "bzip2 compression is not supported");
		return QN_COMP_UNKNOWN;
	}
	if (n >= 6 && memcmp(p,
			     "\xfd"
			     "7zXZ\0",
			     6) == 0) {
		qn_error_set(err, QN_ERR_INPUT, "xz compression is not supported");
		return QN_COMP_UNKNOWN;
	}
	if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18) {
		qn_error_set(err, QN_ERR_INPUT, "lz4 compression is not supported");
		return QN_COMP_UNKNOWN;
	}
	return QN_COMP_NONE;
}

qn_decomp *qn_decomp_new(qn_comp c, qn_decomp_out out, void *ud, const char *what)
{
	qn_decomp *d = xcalloc(1, sizeof(*d));
	d->comp = c;
	d->out = out;
	d->ud = ud;
	d->what = xstrdup(what);
	if (c != QN_COMP_NONE)
		d->obuf = xmalloc(OUT_SIZE);
	if (c == QN_COMP_GZIP) {
#ifdef QN_HAVE_ISAL
		d->isal = xcalloc(1, sizeof(*d->isal));
		isal_inflate_init(d->isal);
		d->isal->crc_flag = ISAL_GZIP;
#else
		d->z = xcalloc(1, sizeof(*d->z));
		if (inflateInit2(d->z, 16 + MAX_WBITS) != Z_OK)
			abort();
#endif
	} else if (c == QN_COMP_ZSTD) {
		d->zs = ZSTD_createDStream();
		if (!d->zs)
			abort();
		ZSTD_initDStream(d->zs);
	}
	return d;
}

void qn_decomp_free(qn_decomp *d)
{
	if (!d)
		return;
#ifdef QN_HAVE_ISAL
	free(d->isal);
#endif
	if (d->z) {
		inflateEnd(d->z);
		free(d->z);
	}
	ZSTD_freeDStream(d->zs);
	free(d->obuf);
	free(d->what);
	free(d);
}

static int corrupt(qn_decomp *d, qn_error **err, const char *detail)
{
	return qn_error_set(err, QN_ERR_INPUT, "%s: corrupt %s stream: %s", d->what, qn_comp_name(d->comp), detail);
}

/* Called at a member boundary with the bytes that follow it: they must start another member. */
static int next_member(qn_decomp *d, const unsigned char *p, size_t n, qn_error **err)
{
	if (n >= 1 && p[0] != 0x1f)
		return corrupt(d, err, "data after the end of the gzip stream");
	if (n >= 2 && p[1] != 0x8b)
		return corrupt(d, err, "data after the end of the gzip stream");
	return 0;
}

#ifdef QN_HAVE_ISAL
static int feed_gzip(qn_decomp *d, const unsigned char *p, size_t n, qn_error **err)
{
	struct inflate_state *s = d->isal;
	while (n > 0) {
		if (d->member_done) {
			if (next_member(d, p, n, err) < 0)
				return -1;
			isal_inflate_reset(s);
			s->crc_flag = ISAL_GZIP;
			d->member_done = false;
		}
		uint32_t chunk = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		s->next_in = (uint8_t *)p;
		s->avail_in = chunk;
		do {
			s->next_out = d->obuf;
			s->avail_out = OUT_SIZE;
			int rc = isal_inflate(s);
			if (rc < 0)
				return corrupt(d, err,
					       rc == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch" : "invalid data");
			size_t got = OUT_SIZE - s->avail_out;
			if (got && d->out(d->ud, d->obuf, got, err) < 0)
				return -1;
			if (s->block_state == ISAL_BLOCK_FINISH) {
				d->member_done = true;
				break;
			}
			if (got == 0 && s->avail_in == 0)
				break;
		} while (1);
		size_t used = chunk - s->avail_in;
		p += used, n -= used;
		if (!d->member_done && used == 0 && n > 0)
			return corrupt(d, err, "inflater made no progress");
	}
	return 0;
}
#else
static int feed_gzip(qn_decomp *d, const unsigned char *p, size_t n, qn_error **err)
{
	z_stream *z = d->z;
	while (n > 0) {
		if (d->member_done) {
			if (next_member(d, p, n, err) < 0)
				return -1;
			inflateReset(z);
			d->member_done = false;
		}
		uInt chunk = n > UINT_MAX ? UINT_MAX : (uInt)n;
		z->next_in = (Bytef *)p;
		z->avail_in = chunk;
		do {
			z->next_out = d->obuf;
			z->avail_out = OUT_SIZE;
			int rc = inflate(z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
				return corrupt(d, err, z->msg ? z->msg : "invalid data");
			size_t got = OUT_SIZE - z->avail_out;
			if (got && d->out(d->ud, d->obuf, got, err) < 0)
				return -1;
			if (rc == Z_STREAM_END) {
				d->member_done = true;
				break;
			}
			if (got == 0)
				break;
		} while (1);
		size_t used = chunk - z->avail_in;
		p += used, n -= used;
	}
	return 0;
}
#endif

static int feed_zstd(qn_decomp *d, const unsigned char *p, size_t n, qn_error **err)
{
	ZSTD_inBuffer in = {p, n, 0};
	bool full = false;
	/* keep going while input remains or the last call filled the output (more may be held) */
	while (in.pos < in.size || full) {
		ZSTD_outBuffer o = {d->obuf, OUT_SIZE, 0};
		size_t rc = ZSTD_decompressStream(d->zs, &o, &in);
		if (ZSTD_isError(rc))
			return corrupt(d, err, ZSTD_getErrorName(rc));
		if (o.pos && d->out(d->ud, d->obuf, o.pos, err) < 0)
			return -1;
		full = o.pos == OUT_SIZE;
		if (rc == 0)
			d->member_done = true; /* a frame ended; more frames may follow */
		else if (o.pos || in.pos)
			d->member_done = false;
	}
	return 0;
}

int qn_decomp_feed(qn_decomp *d, const void *p, size_t n, qn_error **err)
{
	if (n == 0)
		return 0;
	d->started = true;
	int rc;
	switch (d->comp) {
	case QN_COMP_NONE:
		rc = d->out(d->ud, p, n, err);
		break;
	case QN_COMP_GZIP:
		rc = feed_gzip(d, p, n, err);
		break;
	case QN_COMP_ZSTD:
		rc = feed_zstd(d, p, n, err);
		break;
	case QN_COMP_UNKNOWN:
	default:
		rc = qn_error_set(err, QN_ERR_INPUT, "%s: unknown compression", d->what);
		break;
	}
	d->in_total += n;
	return rc;
}

int qn_decomp_finish(qn_decomp *d, qn_error **err)
{
	if (d->comp == QN_COMP_NONE)
		return 0;
	if (!d->started)
		return qn_error_set(err, QN_ERR_INPUT, "%s: empty %s stream", d->what, qn_comp_name(d->comp));
	if (!d->member_done)
		return qn_error_set(err, QN_ERR_INPUT, "%s: truncated %s stream (%llu compressed bytes)", d->what,
				    qn_comp_name(d->comp), (unsigned long long)d->in_total);
	return 0;
}
