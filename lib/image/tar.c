/* Streaming tar reader (see tar.h). A small state machine: collect a 512-byte header, then either
 * pass the entry's data straight from the caller's buffer to the data callback (no copy), or
 * collect an extended header (pax, GNU long name) that applies to the next entry.
 *
 * It never trusts a size: extended headers are bounded by max_ext_header, paths by max_path, and
 * a checksum must match before any field of a header is used. */
#include <errno.h>
#include <inttypes.h>

#include "tar.h"

#define BLOCK 512

typedef enum { ST_HEADER, ST_DATA, ST_EXT, ST_PAD, ST_ZERO1, ST_END } state_t;

/* Extended values collected from pax and GNU headers for the next entry. */
typedef struct {
	char *path, *linkpath, *uname, *gname;
	bool has_size, has_uid, has_gid, has_mtime;
	uint64_t size;
	uint32_t uid, gid;
	int64_t mtime;
	uint32_t mtime_nsec;
	qn_tar_xattr *xattrs;
	size_t n_xattrs;
} ext_t;

struct qn_tar_reader {
	qn_tar_callbacks cb;
	void *ud;
	qn_tar_limits lim;
	char *what;
	state_t st;
	unsigned char hdr[BLOCK];
	size_t hdr_fill;
	uint64_t remaining; /* data or ext bytes left */
	uint64_t pad;       /* padding bytes left */
	bool want_data;
	char ext_type; /* 'x', 'g', 'L', 'K' while in ST_EXT */
	qn_buf ext_buf;
	ext_t local, global;
	uint64_t off;       /* bytes consumed */
	uint64_t entry_off; /* offset of the first header of the current entry */
	uint64_t n_entries;
	char *last_path; /* for errors that follow an entry */
	/* storage for the entry handed to callbacks */
	char name_buf[BLOCK];
	char link_buf[BLOCK];
	char uname_buf[33], gname_buf[33];
};

static void ext_clear(ext_t *e)
{
	free(e->path);
	free(e->linkpath);
	free(e->uname);
	free(e->gname);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free((char *)e->xattrs[i].key);
		free((char *)e->xattrs[i].value);
	}
	free(e->xattrs);
	memset(e, 0, sizeof(*e));
}

qn_tar_reader *qn_tar_reader_new(const qn_tar_callbacks *cb, void *ud, const qn_tar_limits *lim, const char *what)
{
	qn_tar_reader *r = xcalloc(1, sizeof(*r));
	r->cb = *cb;
	r->ud = ud;
	r->lim = *lim;
	if (!r->lim.max_path)
		r->lim.max_path = 4096;
	if (!r->lim.max_ext_header)
		r->lim.max_ext_header = 1 << 20;
	r->what = xstrdup(what ? what : "tar stream");
	r->st = ST_HEADER;
	return r;
}

void qn_tar_reader_free(qn_tar_reader *r)
{
	if (!r)
		return;
	ext_clear(&r->local);
	ext_clear(&r->global);
	qn_buf_clear(&r->ext_buf);
	free(r->last_path);
	free(r->what);
	free(r);
}

uint64_t qn_tar_reader_offset(const qn_tar_reader *r)
{
	return r->off;
}
uint64_t qn_tar_reader_entries(const qn_tar_reader *r)
{
	return r->n_entries;
}
bool qn_tar_reader_at_end(const qn_tar_reader *r)
{
	return r->st == ST_END;
}

/* An error about the current position: "<what>: entry N at offset O ("path"): msg". */
QN_PRINTF(4, 5)
static int fail(qn_tar_reader *r, qn_error **err, qn_error_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	return qn_error_set(err, kind, "%s: entry %" PRIu64 " at offset %" PRIu64 ": %s", r->what, r->n_entries,
			    r->entry_off, m);
}

int qn_tar_parse_octal(const unsigned char *f, size_t len, bool allow_negative, int64_t *out)
{
	if (len == 0)
		return -1;
	if (f[0] & 0x80) {
		/* GNU base-256: big-endian two's complement; 0x80 positive, 0xff negative */
		bool neg = f[0] == 0xff;
		if (!neg && f[0] != 0x80)
			return -1;
		if (neg && !allow_negative)
			return -1;
		uint64_t v = 0;
		for (size_t i = 1; i < len; i++) {
			unsigned char b = neg ? (unsigned char)~f[i] : f[i];
			if (v >> 56)
				return -1; /* overflow */
			v = v << 8 | b;
		}
		if (v > INT64_MAX)
			return -1;
		*out = neg ? -(int64_t)v - 1 : (int64_t)v;
		return 0;
	}
	size_t i = 0;
	while (i < len && (f[i] == ' ' || f[i] == 0))
		i++; /* leading padding (an all-blank field is 0) */
	uint64_t v = 0;
	bool digits = false;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
		digits = true;
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1; /* garbage after the digits */
	(void)digits;
	if (v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static bool is_zero_block(const unsigned char *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

static bool checksum_ok(const unsigned char *h)
{
	int64_t want;
	if (qn_tar_parse_octal(h + 148, 8, false, &want) < 0)
		return false;
	int64_t u = 0, s = 0;
	for (size_t i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		u += c;
		s += (signed char)c;
	}
	return want == u || want == s;
}

/* Copies a fixed-size, possibly unterminated header field. */
static void field_str(char *dst, const unsigned char *src, size_t len)
{
	size_t n = 0;
	while (n < len && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int num_field(qn_tar_reader *r, const unsigned char *f, size_t len, const char *name, bool neg, int64_t *out,
		     qn_error **err)
{
	if (qn_tar_parse_octal(f, len, neg, out) < 0)
		return fail(r, err, QN_ERR_INPUT, "invalid %s field in header", name);
	return 0;
}

/* ---- pax records: "%d %s=%s\n" ---- */

static int pax_set_str(qn_tar_reader *r, char **dst, const char *key, const char *v, size_t vlen, qn_error **err)
{
	if (memchr(v, 0, vlen))
		return fail(r, err, QN_ERR_INPUT, "pax header \"%s\" contains a NUL byte", key);
	free(*dst);
	*dst = xstrndup(v, vlen);
	return 0;
}

static int pax_num(qn_tar_reader *r, const char *key, const char *v, size_t vlen, uint64_t max, uint64_t *out,
		   qn_error **err)
{
	char tmp[32];
	if (vlen == 0 || vlen >= sizeof(tmp))
		return fail(r, err, QN_ERR_INPUT, "pax header \"%s\" has an invalid number", key);
	memcpy(tmp, v, vlen);
	tmp[vlen] = 0;
	uint64_t n;
	if (qn_parse_u64(tmp, &n) < 0 || n > max)
		return fail(r, err, QN_ERR_INPUT, "pax header \"%s\" has an invalid number", key);
	*out = n;
	return 0;
}

static int pax_mtime(qn_tar_reader *r, ext_t *e, const char *v, size_t vlen, qn_error **err)
{
	char tmp[64];
	if (vlen == 0 || vlen >= sizeof(tmp))
		return fail(r, err, QN_ERR_INPUT, "pax header \"mtime\" is invalid");
	memcpy(tmp, v, vlen);
	tmp[vlen] = 0;
	char *p = tmp;
	bool neg = *p == '-';
	if (neg)
		p++;
	char *dot = strchr(p, '.');
	if (dot)
		*dot = 0;
	uint64_t sec;
	if (qn_parse_u64(p, &sec) < 0 || sec > INT64_MAX)
		return fail(r, err, QN_ERR_INPUT, "pax header \"mtime\" is invalid");
	uint32_t ns = 0;
	if (dot) {
		const char *f = dot + 1;
		for (int i = 0; i < 9; i++) {
			ns *= 10;
			if (*f) {
				if (*f < '0' || *f > '9')
					return fail(r, err, QN_ERR_INPUT, "pax header \"mtime\" is invalid");
				ns += (uint32_t)(*f++ - '0');
			}
		}
		for (; *f; f++)
			if (*f < '0' || *f > '9')
				return fail(r, err, QN_ERR_INPUT, "pax header \"mtime\" is invalid");
	}
	e->mtime = neg ? -(int64_t)sec : (int64_t)sec;
	e->mtime_nsec = ns;
	e->has_mtime = true;
	return 0;
}

static int pax_record(qn_tar_reader *r, ext_t *e, const char *k, size_t klen, const char *v, size_t vlen,
		      qn_error **err)
{
	char key[256];
	if (klen == 0 || klen >= sizeof(key))
		return fail(r, err, QN_ERR_INPUT, "pax header has an invalid key");
	memcpy(key, k, klen);
	key[klen] = 0;
	uint64_t n;
	if (!strcmp(key, "path"))
		return pax_set_str(r, &e->path, key, v, vlen, err);
	if (!strcmp(key, "linkpath"))
		return pax_set_str(r, &e->linkpath, key, v, vlen, err);
	if (!strcmp(key, "uname"))
		return pax_set_str(r, &e->uname, key, v, vlen, err);
	if (!strcmp(key, "gname"))
		return pax_set_str(r, &e->gname, key, v, vlen, err);
	if (!strcmp(key, "size")) {
		if (pax_num(r, key, v, vlen, INT64_MAX, &n, err) < 0)
			return -1;
		e->size = n;
		e->has_size = true;
		return 0;
	}
	if (!strcmp(key, "uid") || !strcmp(key, "gid")) {
		if (pax_num(r, key, v, vlen, UINT32_MAX, &n, err) < 0)
			return -1;
		if (key[0] == 'u') {
			e->uid = (uint32_t)n;
			e->has_uid = true;
		} else {
			e->gid = (uint32_t)n;
			e->has_gid = true;
		}
		return 0;
	}
	if (!strcmp(key, "mtime"))
		return pax_mtime(r, e, v, vlen, err);
	if (qn_str_has_prefix(key, "GNU.sparse."))
		return fail(r, err, QN_ERR_INPUT, "sparse files are not supported");
	if (qn_str_has_prefix(key, "SCHILY.xattr.") && klen > 13) {
		e->xattrs = xreallocarray(e->xattrs, e->n_xattrs + 1, sizeof(*e->xattrs));
		e->xattrs[e->n_xattrs].key = xstrdup(key + 13);
		e->xattrs[e->n_xattrs].value = xmemdup(v, vlen);
		e->xattrs[e->n_xattrs].value_len = vlen;
		e->n_xattrs++;
		return 0;
	}
	return 0; /* atime, ctime, comment, charset and vendor keys carry nothing we use */
}

static int parse_pax(qn_tar_reader *r, ext_t *e, const char *buf, size_t len, qn_error **err)
{
	size_t pos = 0;
	while (pos < len) {
		/* a trailing run of NULs is padding some writers leave */
		if (buf[pos] == 0)
			break;
		size_t rlen = 0, i = pos;
		while (i < len && buf[i] >= '0' && buf[i] <= '9' && rlen < len + 1)
			rlen = rlen * 10 + (size_t)(buf[i++] - '0');
		if (i == pos || i >= len || buf[i] != ' ' || rlen <= i - pos + 1 || rlen > len - pos)
			return fail(r, err, QN_ERR_INPUT, "malformed pax record at byte %zu", pos);
		const char *rec = buf + i + 1;
		const char *end = buf + pos + rlen; /* one past the '\n' */
		if (end[-1] != '\n')
			return fail(r, err, QN_ERR_INPUT, "malformed pax record at byte %zu", pos);
		const char *eq = memchr(rec, '=', (size_t)(end - 1 - rec));
		if (!eq)
			return fail(r, err, QN_ERR_INPUT, "malformed pax record at byte %zu", pos);
		if (pax_record(r, e, rec, (size_t)(eq - rec), eq + 1, (size_t)(end - 1 - eq - 1), err) < 0)
			return -1;
		pos += rlen;
	}
	return 0;
}

/* ---- headers ---- */

static int finish_ext(qn_tar_reader *r, qn_error **err)
{
	const char *d = r->ext_buf.data ? r->ext_buf.data : "";
	size_t n = r->ext_buf.len;
	switch (r->ext_type) {
	case 'x':
		return parse_pax(r, &r->local, d, n, err);
	case 'g':
		return parse_pax(r, &r->global, d, n, err);
	case 'L':
	case 'K': {
		size_t len = strnlen(d, n); /* GNU terminates the name with NUL */
		char **dst = r->ext_type == 'L' ? &r->local.path : &r->local.linkpath;
		free(*dst);
		*dst = xstrndup(d, len);
		return 0;
	}
	default:
		return 0;
	}
}

static int type_from_flag(qn_tar_reader *r, char flag, qn_tar_type *t, qn_error **err)
{
	switch (flag) {
	case '0':
	case '\0':
	case '7':
		*t = QN_TAR_REG;
		return 0;
	case '1':
		*t = QN_TAR_HARDLINK;
		return 0;
	case '2':
		*t = QN_TAR_SYMLINK;
		return 0;
	case '3':
		*t = QN_TAR_CHR;
		return 0;
	case '4':
		*t = QN_TAR_BLK;
		return 0;
	case '5':
	case 'D':
		*t = QN_TAR_DIR;
		return 0;
	case '6':
		*t = QN_TAR_FIFO;
		return 0;
	case 'S':
		return fail(r, err, QN_ERR_INPUT, "sparse files are not supported");
	case 'M':
	case 'N':
	case 'V':
		return fail(r, err, QN_ERR_INPUT, "multi-volume and old GNU entries are not supported");
	default:
		if (flag >= 0x20 && flag < 0x7f)
			return fail(r, err, QN_ERR_INPUT, "unknown entry type '%c'", flag);
		return fail(r, err, QN_ERR_INPUT, "unknown entry type 0x%02x", (unsigned char)flag);
	}
}

/* Path from ustar name + prefix (POSIX, star) or name alone (v7, GNU: whose prefix area holds
 * other fields). */
static void header_path(qn_tar_reader *r, const unsigned char *h)
{
	bool ustar = memcmp(h + 257,
			    "ustar\0"
			    "00",
			    8) == 0;
	bool star = ustar && memcmp(h + 508, "tar\0", 4) == 0;
	char name[101];
	field_str(name, h, 100);
	if (ustar && h[345]) {
		char prefix[156];
		field_str(prefix, h + 345, star ? 131 : 155);
		snprintf(r->name_buf, sizeof(r->name_buf), "%s/%s", prefix, name);
	} else
		snprintf(r->name_buf, sizeof(r->name_buf), "%s", name);
}

static const char *ext_str(const char *local, const char *global, const char *fallback)
{
	return local ? local : global ? global : fallback;
}

static int begin_entry(qn_tar_reader *r, qn_error **err)
{
	const unsigned char *h = r->hdr;
	char flag = (char)h[156];
	int64_t mode, uid, gid, size, mtime, dmaj = 0, dmin = 0;
	if (num_field(r, h + 100, 8, "mode", false, &mode, err) < 0 ||
	    num_field(r, h + 108, 8, "uid", false, &uid, err) < 0 ||
	    num_field(r, h + 116, 8, "gid", false, &gid, err) < 0 ||
	    num_field(r, h + 124, 12, "size", false, &size, err) < 0 ||
	    num_field(r, h + 136, 12, "mtime", true, &mtime, err) < 0)
		return -1;
	if (flag == 'x' || flag == 'g' || flag == 'L' || flag == 'K') {
		if ((uint64_t)size > r->lim.max_ext_header)
			return fail(r, err, QN_ERR_LIMIT,
				    "extended header of %" PRId64 " bytes is over the limit of %zu", size,
				    r->lim.max_ext_header);
		r->ext_type = flag;
		qn_buf_reset(&r->ext_buf);
		r->remaining = (uint64_t)size;
		r->pad = (BLOCK - (uint64_t)size % BLOCK) % BLOCK;
		r->st = r->remaining ? ST_EXT : ST_PAD;
		if (!r->remaining && finish_ext(r, err) < 0)
			return -1;
		return 0;
	}
	qn_tar_entry e = {0};
	if (type_from_flag(r, flag, &e.type, err) < 0)
		return -1;
	bool has_dev = memcmp(h + 257, "ustar", 5) == 0;
	if ((e.type == QN_TAR_CHR || e.type == QN_TAR_BLK) && has_dev &&
	    (num_field(r, h + 329, 8, "devmajor", false, &dmaj, err) < 0 ||
	     num_field(r, h + 337, 8, "devminor", false, &dmin, err) < 0))
		return -1;
	header_path(r, h);
	field_str(r->link_buf, h + 157, 100);
	field_str(r->uname_buf, h + 265, 32);
	field_str(r->gname_buf, h + 297, 32);
	ext_t *l = &r->local, *g = &r->global;
	e.path = ext_str(l->path, g->path, r->name_buf);
	e.linkname = ext_str(l->linkpath, g->linkpath, r->link_buf);
	e.uname = ext_str(l->uname, g->uname, r->uname_buf);
	e.gname = ext_str(l->gname, g->gname, r->gname_buf);
	e.mode = (uint32_t)(mode & 07777);
	e.uid = l->has_uid ? l->uid : g->has_uid ? g->uid : (uint32_t)QN_MIN(uid, (int64_t)UINT32_MAX);
	e.gid = l->has_gid ? l->gid : g->has_gid ? g->gid : (uint32_t)QN_MIN(gid, (int64_t)UINT32_MAX);
	e.size = l->has_size ? l->size : g->has_size ? g->size : (uint64_t)size;
	e.mtime = l->has_mtime ? l->mtime : g->has_mtime ? g->mtime : mtime;
	e.mtime_nsec = l->has_mtime ? l->mtime_nsec : g->has_mtime ? g->mtime_nsec : 0;
	e.devmajor = (uint32_t)QN_MIN(dmaj, (int64_t)UINT32_MAX);
	e.devminor = (uint32_t)QN_MIN(dmin, (int64_t)UINT32_MAX);
	e.xattrs = l->xattrs;
	e.n_xattrs = l->n_xattrs;
	e.index = r->n_entries;
	e.offset = r->entry_off;
	e.data_offset = r->off;
	if (e.path[0] == 0)
		return fail(r, err, QN_ERR_INPUT, "empty path");
	if (strlen(e.path) > r->lim.max_path || strlen(e.linkname) > r->lim.max_path) {
		_cleanup_free_ char *q = qn_str_quote(e.path, 80);
		return fail(r, err, QN_ERR_LIMIT, "\"%s\": path longer than the limit of %zu bytes", q,
			    r->lim.max_path);
	}
	/* Header-only types carry no data in every reader we must agree with; a size here would make
	 * readers disagree about where the next header starts. 'D' (GNU dumpdir) is the exception. */
	if (e.type != QN_TAR_REG && e.size != 0 && flag != 'D') {
		_cleanup_free_ char *q = qn_str_quote(e.path, 80);
		return fail(r, err, QN_ERR_INPUT, "\"%s\": entry of this type must not have data (size %" PRIu64 ")", q,
			    e.size);
	}
	free(r->last_path);
	r->last_path = xstrdup(e.path);
	int want = r->cb.entry ? r->cb.entry(r->ud, &e, err) : 0;
	if (want < 0)
		return -1;
	if (flag == 'D')
		want = 0;
	r->want_data = want > 0;
	r->remaining = e.size;
	r->pad = (BLOCK - e.size % BLOCK) % BLOCK;
	r->n_entries++;
	ext_clear(&r->local);
	if (r->remaining)
		r->st = ST_DATA;
	else {
		r->st = ST_PAD;
		if (r->want_data && r->cb.entry_end && r->cb.entry_end(r->ud, err) < 0)
			return -1;
	}
	return 0;
}

static int on_header(qn_tar_reader *r, qn_error **err)
{
	if (is_zero_block(r->hdr)) {
		if (r->local.path || r->local.linkpath || r->local.has_size)
			return fail(r, err, QN_ERR_INPUT, "extended header not followed by an entry");
		r->st = r->st == ST_ZERO1 ? ST_END : ST_ZERO1;
		return 0;
	}
	if (r->st == ST_ZERO1)
		return fail(r, err, QN_ERR_INPUT, "a single zero block inside the archive");
	if (!checksum_ok(r->hdr)) {
		if (r->last_path) {
			_cleanup_free_ char *q = qn_str_quote(r->last_path, 80);
			return fail(r, err, QN_ERR_INPUT,
				    "invalid header checksum after \"%s\" (its data is longer or shorter than its "
				    "header says, or the stream is corrupt)",
				    q);
		}
		return fail(r, err, QN_ERR_INPUT, "invalid header checksum (not a tar stream?)");
	}
	return begin_entry(r, err);
}

int qn_tar_reader_feed(qn_tar_reader *r, const void *buf, size_t n, qn_error **err)
{
	const unsigned char *p = buf;
	while (n > 0) {
		switch (r->st) {
		case ST_HEADER:
		case ST_ZERO1: {
			if (r->hdr_fill == 0 && r->st == ST_HEADER)
				r->entry_off = r->off;
			size_t take = QN_MIN(n, BLOCK - r->hdr_fill);
			memcpy(r->hdr + r->hdr_fill, p, take);
			r->hdr_fill += take;
			p += take, n -= take, r->off += take;
			if (r->hdr_fill == BLOCK) {
				r->hdr_fill = 0;
				if (on_header(r, err) < 0)
					return -1;
			}
			break;
		}
		case ST_DATA: {
			size_t take = (size_t)QN_MIN((uint64_t)n, r->remaining);
			if (r->want_data && r->cb.data && r->cb.data(r->ud, p, take, err) < 0)
				return -1;
			p += take, n -= take, r->off += take;
			r->remaining -= take;
			if (r->remaining == 0) {
				r->st = ST_PAD;
				if (r->want_data && r->cb.entry_end && r->cb.entry_end(r->ud, err) < 0)
					return -1;
			}
			break;
		}
		case ST_EXT: {
			size_t take = (size_t)QN_MIN((uint64_t)n, r->remaining);
			qn_buf_add(&r->ext_buf, p, take);
			p += take, n -= take, r->off += take;
			r->remaining -= take;
			if (r->remaining == 0) {
				r->st = ST_PAD;
				if (finish_ext(r, err) < 0)
					return -1;
			}
			break;
		}
		case ST_PAD: {
			size_t take = (size_t)QN_MIN((uint64_t)n, r->pad);
			p += take, n -= take, r->off += take;
			r->pad -= take;
			break;
		}
		case ST_END: {
			/* After the end marker only zero padding may follow (GNU tar pads to 10 KiB). */
			for (size_t i = 0; i < n; i++)
				if (p[i])
					return qn_error_set(
					    err, QN_ERR_INPUT,
					    "%s: data after the end-of-archive marker at offset %" PRIu64, r->what,
					    r->off + i);
			r->off += n;
			n = 0;
			break;
		}
		}
		if (r->st == ST_PAD && r->pad == 0)
			r->st = ST_HEADER;
	}
	return 0;
}

uint64_t qn_tar_reader_skippable(const qn_tar_reader *r)
{
	if (r->st == ST_DATA && !r->want_data)
		return r->remaining + r->pad;
	if (r->st == ST_PAD)
		return r->pad;
	return 0;
}

void qn_tar_reader_skip(qn_tar_reader *r, uint64_t n)
{
	n = QN_MIN(n, qn_tar_reader_skippable(r));
	r->off += n;
	if (r->st == ST_DATA) {
		uint64_t d = QN_MIN(n, r->remaining);
		r->remaining -= d;
		n -= d;
		if (r->remaining == 0)
			r->st = ST_PAD;
	}
	if (r->st == ST_PAD) {
		r->pad -= QN_MIN(n, r->pad);
		if (r->pad == 0)
			r->st = ST_HEADER;
	}
}

int qn_tar_reader_finish(qn_tar_reader *r, qn_error **err)
{
	switch (r->st) {
	case ST_END:
		return 0;
	case ST_HEADER:
	case ST_ZERO1:
		/* Ending on a block boundary without the end marker is accepted, as Go's reader does. */
		if (r->hdr_fill == 0 && !r->local.path && !r->local.linkpath && !r->local.has_size)
			return 0;
		return qn_error_set(err, QN_ERR_INPUT, "%s: truncated inside a header at offset %" PRIu64, r->what,
				    r->off);
	case ST_DATA: {
		_cleanup_free_ char *q = qn_str_quote(r->last_path, 80);
		return qn_error_set(err, QN_ERR_INPUT,
				    "%s: entry \"%s\": data is shorter than its header says (%" PRIu64
				    " bytes missing)",
				    r->what, q, r->remaining);
	}
	case ST_EXT:
		return qn_error_set(err, QN_ERR_INPUT, "%s: truncated inside an extended header", r->what);
	case ST_PAD:
		return qn_error_set(err, QN_ERR_INPUT, "%s: truncated inside entry padding", r->what);
	}
	return 0;
}
