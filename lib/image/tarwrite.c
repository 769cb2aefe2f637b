/* Deterministic tar writer (see tarwrite.h). */
#include <inttypes.h>

#include "tarwrite.h"

#define BLOCK 512

void qn_tarw_init(qn_tarw *w, qn_tarw_sink sink, void *ud)
{
	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->ud = ud;
}

int qn_tarw_sink_buf(void *ud, const void *p, size_t n, qn_error **err)
{
	(void)err;
	qn_buf_add(ud, p, n);
	return 0;
}

static int out(qn_tarw *w, const void *p, size_t n, qn_error **err)
{
	w->offset += n;
	return w->sink(w->ud, p, n, err);
}

/* Writes v as zero-padded octal filling len-1 digits plus NUL; false when it does not fit. */
static bool put_octal(unsigned char *f, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(len - 1), v);
	if (n < 0 || (size_t)n > len - 1)
		return false;
	memcpy(f, tmp, len - 1);
	f[len - 1] = 0;
	return true;
}

static char flag_of(qn_tar_type t)
{
	switch (t) {
	case QN_TAR_REG:
		return '0';
	case QN_TAR_HARDLINK:
		return '1';
	case QN_TAR_SYMLINK:
		return '2';
	case QN_TAR_CHR:
		return '3';
	case QN_TAR_BLK:
		return '4';
	case QN_TAR_DIR:
		return '5';
	case QN_TAR_FIFO:
		return '6';
	}
	return '0';
}

static void pax_add(qn_buf *b, const char *key, const char *val, size_t vlen)
{
	/* the record length counts its own digits: find the fixed point */
	size_t base = strlen(key) + vlen + 3; /* ' ' '=' '\n' */
	size_t len = base + 1;
	for (;;) {
		char d[24];
		size_t digits = (size_t)snprintf(d, sizeof(d), "%zu", len);
		if (base + digits == len)
			break;
		len = base + digits;
	}
	qn_buf_printf(b, "%zu %s=", len, key);
	qn_buf_add(b, val, vlen);
	qn_buf_addc(b, '\n');
}

static void fill_header(unsigned char *h, const char *name, char flag, const qn_tar_entry *e, uint64_t size,
			const char *link)
{
	memset(h, 0, BLOCK);
	memcpy(h, name, QN_MIN(strlen(name), (size_t)100));
	put_octal(h + 100, 8, e ? e->mode & 07777 : 0644);
	put_octal(h + 108, 8, e && e->uid <= 07777777 ? e->uid : 0);
	put_octal(h + 116, 8, e && e->gid <= 07777777 ? e->gid : 0);
	put_octal(h + 124, 12, size <= 077777777777ULL ? size : 0);
	put_octal(h + 136, 12, e && e->mtime > 0 && (uint64_t)e->mtime <= 077777777777ULL ? (uint64_t)e->mtime : 0);
	h[156] = (unsigned char)flag;
	if (link)
		memcpy(h + 157, link, QN_MIN(strlen(link), (size_t)100));
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	if (e && e->uname)
		memcpy(h + 265, e->uname, QN_MIN(strlen(e->uname), (size_t)31));
	if (e && e->gname)
		memcpy(h + 297, e->gname, QN_MIN(strlen(e->gname), (size_t)31));
	if (e && (e->type == QN_TAR_CHR || e->type == QN_TAR_BLK)) {
		put_octal(h + 329, 8, e->devmajor);
		put_octal(h + 337, 8, e->devminor);
	}
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

int qn_tarw_header(qn_tarw *w, const qn_tar_entry *e, qn_error **err)
{
	if (w->pending || w->pad)
		return qn_error_set(err, QN_ERR_RUNTIME, "tar writer: previous entry not finished");
	uint64_t size = e->type == QN_TAR_REG ? e->size : 0;
	qn_buf pax = QN_BUF_INIT;
	size_t plen = strlen(e->path), llen = strlen(e->linkname ? e->linkname : "");
	if (plen > 100)
		pax_add(&pax, "path", e->path, plen);
	if (llen > 100)
		pax_add(&pax, "linkpath", e->linkname, llen);
	char num[32];
	if (size > 077777777777ULL) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		pax_add(&pax, "size", num, strlen(num));
	}
	if (e->uid > 07777777) {
		snprintf(num, sizeof(num), "%u", e->uid);
		pax_add(&pax, "uid", num, strlen(num));
	}
	if (e->gid > 07777777) {
		snprintf(num, sizeof(num), "%u", e->gid);
		pax_add(&pax, "gid", num, strlen(num));
	}
	for (size_t i = 0; i < e->n_xattrs; i++) {
		_cleanup_free_ char *k = xasprintf("SCHILY.xattr.%s", e->xattrs[i].key);
		pax_add(&pax, k, e->xattrs[i].value, e->xattrs[i].value_len);
	}
	unsigned char h[BLOCK];
	int rc = 0;
	if (pax.len) {
		/* "PaxHeaders/<name>" is informational; readers apply the record to the next entry */
		char pname[101];
		snprintf(pname, sizeof(pname), "PaxHeaders/%.88s", qn_str_has_suffix(e->path, "/") ? "dir" : e->path);
		qn_tar_entry pe = {.mode = 0644};
		fill_header(h, pname, 'x', &pe, pax.len, NULL);
		static const unsigned char zero[BLOCK];
		size_t padn = (BLOCK - pax.len % BLOCK) % BLOCK;
		rc = out(w, h, BLOCK, err);
		if (rc == 0)
			rc = out(w, pax.data, pax.len, err);
		if (rc == 0 && padn)
			rc = out(w, zero, padn, err);
	}
	qn_buf_clear(&pax);
	if (rc < 0)
		return -1;
	fill_header(h, e->path, flag_of(e->type), e, size, e->linkname);
	if (out(w, h, BLOCK, err) < 0)
		return -1;
	w->pending = size;
	w->pad = (BLOCK - size % BLOCK) % BLOCK;
	return 0;
}

int qn_tarw_data(qn_tarw *w, const void *p, size_t n, qn_error **err)
{
	if (n > w->pending)
		return qn_error_set(err, QN_ERR_RUNTIME, "tar writer: more data than the header's size");
	w->pending -= n;
	return out(w, p, n, err);
}

int qn_tarw_end_entry(qn_tarw *w, qn_error **err)
{
	static const unsigned char zero[BLOCK];
	if (w->pending)
		return qn_error_set(err, QN_ERR_RUNTIME, "tar writer: entry is missing %" PRIu64 " bytes", w->pending);
	size_t p = (size_t)w->pad;
	w->pad = 0;
	return p ? out(w, zero, p, err) : 0;
}

int qn_tarw_finish(qn_tarw *w, qn_error **err)
{
	static const unsigned char zero[2 * BLOCK];
	if (qn_tarw_end_entry(w, err) < 0)
		return -1;
	return out(w, zero, sizeof(zero), err);
}
