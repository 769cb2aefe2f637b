/* Staging one layer's entries. Runs on the layer's worker thread, so it only checks what needs
 * no other layer: the path's form (normalised here, once), whiteout names, device placement and
 * hardlink target form. Checks against the lower layers happen in the merge. */
#include "stage.h"
#include "util/path.h"

qn_stage *qn_stage_new(int layer, size_t max_path, qn_capture_fn capture, void *capture_ud)
{
	qn_stage *s = xcalloc(1, sizeof(*s));
	s->layer = layer;
	s->max_path = max_path ? max_path : 4096;
	s->capture = capture;
	s->capture_ud = capture_ud;
	s->cur = -1;
	return s;
}

void qn_staged_clear(qn_staged *e)
{
	free(e->path);
	free(e->link);
	for (size_t i = 0; i < e->n_xattrs; i++) {
		free(e->xattrs[i].key);
		free(e->xattrs[i].value);
	}
	free(e->xattrs);
	free(e->content);
	memset(e, 0, sizeof(*e));
}

void qn_stage_free(qn_stage *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		qn_staged_clear(&s->v[i]);
	free(s->v);
	free(s);
}

static qn_staged *push(qn_stage *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	qn_staged *e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* An error about an entry: `entry 12 "usr/x": msg`. */
QN_PRINTF(4, 5)
static int entry_fail(qn_error **err, qn_error_kind kind, const qn_tar_entry *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	_cleanup_free_ char *q = qn_str_quote(e->path, 200);
	return qn_error_set(err, kind, "entry %llu \"%s\": %s", (unsigned long long)e->index, q, m);
}

/* Whiteout names: ".wh..wh..opq" marks its folder opaque; ".wh.NAME" deletes NAME; other
 * ".wh..wh.*" names are AUFS bookkeeping that runtimes skip. */
static int classify_whiteout(const qn_tar_entry *e, const char *norm, qn_staged *st, bool *skip, qn_error **err)
{
	const char *base = qn_path_base(norm);
	*skip = false;
	if (!qn_str_has_prefix(base, ".wh."))
		return 0;
	_cleanup_free_ char *dir = qn_path_dir(norm);
	if (!strcmp(base, ".wh..wh..opq")) {
		st->wh = QN_WH_OPAQUE;
		st->path = steal_pointer(&dir);
		return 0;
	}
	if (qn_str_has_prefix(base, ".wh..wh.")) {
		*skip = true;
		return 0;
	}
	const char *target = base + 4;
	if (!*target || !strcmp(target, ".") || !strcmp(target, ".."))
		return entry_fail(err, QN_ERR_INPUT, e, "invalid whiteout name");
	if (e->type == QN_TAR_DIR)
		return entry_fail(err, QN_ERR_INPUT, e, "a whiteout must not be a folder");
	st->wh = QN_WH_FILE;
	st->path = qn_path_join(dir, target);
	return 0;
}

static void copy_xattrs(qn_staged *st, const qn_tar_entry *e)
{
	if (!e->n_xattrs)
		return;
	st->xattrs = xcalloc(e->n_xattrs, sizeof(qn_xattr));
	for (size_t i = 0; i < e->n_xattrs; i++) {
		st->xattrs[i].key = xstrdup(e->xattrs[i].key);
		st->xattrs[i].value = xmemdup(e->xattrs[i].value, e->xattrs[i].value_len);
		st->xattrs[i].len = e->xattrs[i].value_len;
	}
	st->n_xattrs = e->n_xattrs;
}

int qn_stage_entry(qn_stage *s, const qn_tar_entry *e, qn_error **err)
{
	char *norm = NULL;
	if (qn_path_normalize(e->path, s->max_path, &norm, err) < 0) {
		_cleanup_free_ char *q = qn_str_quote(e->path, 200);
		return qn_error_prefix(err, "entry %llu \"%s\"", (unsigned long long)e->index, q);
	}
	_cleanup_free_ char *path = norm;
	qn_staged tmp = {0};
	bool skip;
	if (classify_whiteout(e, path, &tmp, &skip, err) < 0)
		return -1;
	s->cur = -1;
	if (skip) {
		s->aufs_skipped++;
		return 0;
	}
	if (tmp.wh) {
		qn_staged *st = push(s);
		*st = tmp;
		st->index = e->index;
		return 0;
	}
	if (!*path && e->type != QN_TAR_DIR)
		return entry_fail(err, QN_ERR_INPUT, e, "the root must be a folder");
	/* Device nodes give access to host hardware when a runtime creates them; an image has no
	 * business shipping them anywhere but /dev. */
	if ((e->type == QN_TAR_CHR || e->type == QN_TAR_BLK) && !qn_path_is_under(path, "dev"))
		return entry_fail(err, QN_ERR_INPUT, e, "device node outside /dev");
	qn_staged *st = push(s);
	st->path = steal_pointer(&path);
	st->type = e->type;
	st->mode = e->mode;
	st->uid = e->uid;
	st->gid = e->gid;
	st->devmajor = e->devmajor;
	st->devminor = e->devminor;
	st->size = e->type == QN_TAR_REG ? e->size : 0;
	st->mtime = e->mtime;
	st->mtime_nsec = e->mtime_nsec;
	st->index = e->index;
	copy_xattrs(st, e);
	if (e->type == QN_TAR_HARDLINK) {
		char *t = NULL;
		if (qn_path_normalize(e->linkname, s->max_path, &t, err) < 0) {
			_cleanup_free_ char *q = qn_str_quote(e->linkname, 200);
			qn_error_prefix(err, "hardlink target \"%s\"", q);
			_cleanup_free_ char *p = qn_str_quote(e->path, 200);
			return qn_error_prefix(err, "entry %llu \"%s\"", (unsigned long long)e->index, p);
		}
		if (!*t) {
			free(t);
			return entry_fail(err, QN_ERR_INPUT, e, "hardlink to the root folder");
		}
		st->link = t;
	} else if (e->type == QN_TAR_SYMLINK) {
		if (!*e->linkname)
			return entry_fail(err, QN_ERR_INPUT, e, "symlink with an empty target");
		st->link = xstrdup(e->linkname);
	}
	if (e->type == QN_TAR_REG && s->capture) {
		qn_capture c = s->capture(s->capture_ud, st->path, e->size, e->mode);
		if (c.kind != QN_CAPTURE_NONE && c.max) {
			s->cur = (ssize_t)(s->n - 1);
			s->cap_max = c.max;
			s->cap_kind = c.kind;
			s->file_off = 0;
			s->carry_len = 0;
			s->go_found = false;
			s->not_elf = false;
			st->history = c.history;
			st->content = xmalloc(QN_MIN(c.max, e->size) + 1);
			st->content_truncated = c.kind == QN_CAPTURE_WHOLE && e->size > c.max;
			return 1;
		}
	}
	return 0;
}

static void keep(qn_stage *s, qn_staged *st, const void *p, size_t n)
{
	size_t room = s->cap_max > st->content_len ? s->cap_max - st->content_len : 0;
	size_t take = QN_MIN(room, n);
	if (take) {
		memcpy(st->content + st->content_len, p, take);
		st->content_len += take;
	}
}

#define GO_MAGIC "\xff Go buildinf:"
#define GO_MAGIC_LEN 14

/* Go's linker puts the build-info blob at a 16-byte aligned offset; we look for its magic in the
 * stream (also across chunk boundaries, through `carry`) and keep what follows it, so a 100 MB
 * binary costs a scan, not a copy. */
static void go_scan(qn_stage *s, qn_staged *st, const unsigned char *p, size_t n)
{
	static const unsigned char elf[4] = {0x7f, 'E', 'L', 'F'};
	for (size_t i = 0; s->file_off + i < 4 && i < n; i++)
		if (p[i] != elf[s->file_off + i])
			s->not_elf = true;
	if (s->not_elf)
		return;
	if (s->go_found) {
		keep(s, st, p, n);
		return;
	}
	/* a magic starting in the carried tail and ending in this chunk */
	unsigned char win[2 * GO_MAGIC_LEN];
	size_t head = QN_MIN(n, (size_t)GO_MAGIC_LEN - 1);
	memcpy(win, s->carry, s->carry_len);
	memcpy(win + s->carry_len, p, head);
	for (size_t w = 0; w < s->carry_len; w++) {
		uint64_t at = s->file_off - s->carry_len + w;
		if (at % 16 == 0 && w + GO_MAGIC_LEN <= s->carry_len + head &&
		    !memcmp(win + w, GO_MAGIC, GO_MAGIC_LEN)) {
			s->go_found = true;
			keep(s, st, win + w, s->carry_len - w);
			keep(s, st, p, n);
			return;
		}
	}
	for (const unsigned char *q = p; (q = memmem(q, n - (size_t)(q - p), GO_MAGIC, GO_MAGIC_LEN)); q++) {
		if ((s->file_off + (uint64_t)(q - p)) % 16 == 0) {
			s->go_found = true;
			keep(s, st, q, n - (size_t)(q - p));
			return;
		}
	}
	/* carry the last bytes that could begin a magic */
	size_t c = QN_MIN((size_t)GO_MAGIC_LEN - 1, s->carry_len + n);
	unsigned char tmp[2 * GO_MAGIC_LEN];
	size_t have = 0;
	if (n < c) {
		memcpy(tmp, s->carry + s->carry_len - (c - n), c - n);
		have = c - n;
	}
	memcpy(tmp + have, p + n - (c - have), c - have);
	memcpy(s->carry, tmp, c);
	s->carry_len = c;
}

int qn_stage_data(qn_stage *s, const void *p, size_t n, qn_error **err)
{
	(void)err;
	if (s->cur < 0)
		return 0;
	qn_staged *st = &s->v[s->cur];
	if (s->cap_kind == QN_CAPTURE_GO_BUILDINFO)
		go_scan(s, st, p, n);
	else
		keep(s, st, p, n);
	s->file_off += n;
	return 0;
}

int qn_stage_entry_end(qn_stage *s, qn_error **err)
{
	(void)err;
	if (s->cur >= 0) {
		qn_staged *st = &s->v[s->cur];
		st->content[st->content_len] = 0;
		/* an executable without Go build info keeps nothing */
		if (s->cap_kind == QN_CAPTURE_GO_BUILDINFO && !s->go_found) {
			free(st->content);
			st->content = NULL;
			st->content_len = 0;
		}
	}
	s->cur = -1;
	return 0;
}
