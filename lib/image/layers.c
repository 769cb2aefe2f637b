/* Layer streaming (see layers.h). Verification happens here and nowhere else: the blob digest
 * (when a descriptor states it) over the bytes as stored, and the diff_id over the bytes after
 * decompression. A visitor sees layer_end only after both matched, so nothing downstream can
 * act on an unverified layer's result.
 *
 * Limits against decompression bombs (total uncompressed bytes, total entries) are shared by
 * all layers of one read and checked as bytes arrive, so a bomb is stopped early rather than
 * after it has been inflated. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>

#include "decomp.h"
#include "image_int.h"
#include "layers.h"

#define READ_CHUNK (1 << 20)
#define QUEUE_SLOTS 8
#define SLOT_SIZE (512 * 1024)

typedef struct {
	qn_image *img;
	const qn_layer_visitor *v;
	void *ud;
	const size_t *which;
	size_t n_which;
	atomic_size_t next;
	atomic_bool stop;
	atomic_uint_fast64_t total_bytes;
	atomic_uint_fast64_t total_entries;
	qn_error **errs; /* per layer */
} run_t;

/* Bounded single-producer single-consumer queue of byte buffers. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[QUEUE_SLOTS];
	size_t len[QUEUE_SLOTS];
	size_t head, count;
	bool done;   /* producer finished */
	bool cancel; /* either side gave up */
} queue_t;

typedef struct {
	run_t *run;
	size_t idx;
	char what[96];
	void *lctx;
	qn_hasher *h_blob; /* over stored bytes */
	qn_hasher *h_diff; /* over uncompressed bytes (NULL when the layer is not compressed) */
	qn_tar_reader *tar;
	uint64_t ubytes;
	uint64_t files;
	qn_comp comp;
	queue_t q;
	qn_error *perr; /* producer-side error */
} layer_t;

/* A cancellation is not a cause: when one layer fails the others stop, and their "cancelled"
 * errors must not hide the real one. They carry errnum ECANCELED. */
static int cancelled(qn_error **err, const char *what)
{
	qn_error_set(err, QN_ERR_RUNTIME, "%s: cancelled", what);
	if (err && *err)
		(*err)->errnum = ECANCELED;
	return -1;
}

/* ---- consumer side: uncompressed bytes -> diff_id hash + tar ---- */

static int tar_entry(void *p, const qn_tar_entry *e, qn_error **err)
{
	layer_t *l = p;
	run_t *r = l->run;
	uint64_t n = atomic_fetch_add(&r->total_entries, 1) + 1;
	if (n > r->img->limits.max_entries)
		return qn_error_set(err, QN_ERR_LIMIT,
				    "%s: more than %" PRIu64
				    " entries in the image (raise the limit with --max-entries)",
				    l->what, r->img->limits.max_entries);
	if (e->type == QN_TAR_REG)
		l->files++;
	return r->v->entry ? r->v->entry(l->lctx, e, err) : 0;
}

static int tar_data(void *p, const void *d, size_t n, qn_error **err)
{
	layer_t *l = p;
	return l->run->v->data ? l->run->v->data(l->lctx, d, n, err) : 0;
}

static int tar_entry_end(void *p, qn_error **err)
{
	layer_t *l = p;
	return l->run->v->entry_end ? l->run->v->entry_end(l->lctx, err) : 0;
}

static const qn_tar_callbacks tar_cb = {tar_entry, tar_data, tar_entry_end};

static int consume(layer_t *l, const void *p, size_t n, qn_error **err)
{
	run_t *r = l->run;
	if (atomic_load(&r->stop))
		return cancelled(err, l->what);
	l->ubytes += n;
	uint64_t tot = atomic_fetch_add(&r->total_bytes, n) + n;
	if (tot > r->img->limits.max_total_size) {
		char s[16];
		return qn_error_set(
		    err, QN_ERR_LIMIT,
		    "%s: uncompressed size is over the limit of %s (decompression bomb? raise it with --max-size)",
		    l->what, qn_fmt_size(r->img->limits.max_total_size, s));
	}
	if (l->h_diff)
		qn_hasher_update(l->h_diff, p, n);
	return qn_tar_reader_feed(l->tar, p, n, err);
}

/* ---- the queue between inflater and consumer ---- */

static void queue_init(queue_t *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (int i = 0; i < QUEUE_SLOTS; i++)
		q->buf[i] = xmalloc(SLOT_SIZE);
}

static void queue_destroy(queue_t *q)
{
	for (int i = 0; i < QUEUE_SLOTS; i++)
		free(q->buf[i]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

static int queue_push(void *ud, const void *p, size_t n, qn_error **err)
{
	layer_t *l = ud;
	queue_t *q = &l->q;
	const unsigned char *s = p;
	while (n > 0) {
		pthread_mutex_lock(&q->mu);
		while (q->count == QUEUE_SLOTS && !q->cancel)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->cancel) {
			pthread_mutex_unlock(&q->mu);
			return cancelled(err, l->what);
		}
		size_t slot = (q->head + q->count) % QUEUE_SLOTS;
		pthread_mutex_unlock(&q->mu);
		size_t take = QN_MIN(n, (size_t)SLOT_SIZE);
		memcpy(q->buf[slot], s, take); /* the slot is ours until count covers it */
		q->len[slot] = take;
		pthread_mutex_lock(&q->mu);
		q->count++;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		s += take, n -= take;
	}
	return 0;
}

static void queue_finish(queue_t *q, bool cancel)
{
	pthread_mutex_lock(&q->mu);
	q->done = true;
	if (cancel)
		q->cancel = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* ---- producer: stored bytes -> blob hash -> decompressor ---- */

typedef struct {
	layer_t *l;
	qn_blob_loc loc;
	unsigned char *first;
	size_t first_len;
	qn_decomp_out out;
	void *out_ud;
} producer_t;

static int produce(producer_t *p, qn_error **err)
{
	layer_t *l = p->l;
	qn_decomp *d = qn_decomp_new(l->comp, p->out, p->out_ud, l->what);
	unsigned char *buf = xmalloc(READ_CHUNK);
	int rc = 0;
	uint64_t off = 0;
	while (off < p->loc.size) {
		if (atomic_load(&l->run->stop)) {
			rc = cancelled(err, l->what);
			break;
		}
		size_t want = (size_t)QN_MIN((uint64_t)READ_CHUNK, p->loc.size - off);
		ssize_t got = qn_pread_full(p->loc.fd, buf, want, (off_t)(p->loc.off + off));
		if (got < 0) {
			rc = qn_error_errno(err, errno, "%s: read", l->what);
			break;
		}
		if ((size_t)got != want) {
			rc = qn_error_set(err, QN_ERR_INPUT, "%s: blob is truncated", l->what);
			break;
		}
		qn_hasher_update(l->h_blob, buf, want);
		if ((rc = qn_decomp_feed(d, buf, want, err)) < 0)
			break;
		off += want;
	}
	if (rc == 0)
		rc = qn_decomp_finish(d, err);
	qn_decomp_free(d);
	free(buf);
	return rc;
}

static void *producer_main(void *arg)
{
	producer_t *p = arg;
	layer_t *l = p->l;
	int rc = produce(p, &l->perr);
	queue_finish(&l->q, rc < 0);
	return NULL;
}

/* Consumer loop for the threaded (compressed) path. */
static int drain(layer_t *l, qn_error **err)
{
	queue_t *q = &l->q;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->count == 0 && !q->done && !q->cancel)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->cancel) {
			pthread_mutex_unlock(&q->mu);
			return -1; /* the producer's error explains it */
		}
		if (q->count == 0 && q->done) {
			pthread_mutex_unlock(&q->mu);
			return 0;
		}
		size_t slot = q->head;
		pthread_mutex_unlock(&q->mu);
		int rc = consume(l, q->buf[slot], q->len[slot], err);
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % QUEUE_SLOTS;
		q->count--;
		if (rc < 0)
			q->cancel = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		if (rc < 0)
			return -1;
	}
}

static int consume_direct(void *ud, const void *p, size_t n, qn_error **err)
{
	return consume(ud, p, n, err);
}

static int verify(layer_t *l, qn_error **err)
{
	qn_image *img = l->run->img;
	qn_layer_src *src = &img->src[l->idx];
	qn_layer_info *info = &img->layers[l->idx];
	qn_digest blob, diff;
	char a[QN_DIGEST_STR_MAX], b[QN_DIGEST_STR_MAX];
	qn_hasher_final(l->h_blob, &blob);
	if (l->h_diff)
		qn_hasher_final(l->h_diff, &diff);
	else
		diff = blob;
	if (src->digest_known && !qn_digest_eq(&blob, &src->digest))
		return qn_error_set(err, QN_ERR_INPUT, "layer %zu blob %s: digest mismatch (content hashes to %s)",
				    l->idx, qn_digest_str(&src->digest, a), qn_digest_str(&blob, b));
	if (!qn_digest_eq(&diff, &src->diff_id))
		return qn_error_set(err, QN_ERR_INPUT,
				    "layer %zu (%s): uncompressed content hashes to %s, but the config's diff_id is %s",
				    l->idx, src->blob_name, qn_digest_str(&diff, a), qn_digest_str(&src->diff_id, b));
	if (!info->digest)
		info->digest = xstrdup(qn_digest_str(&blob, a));
	info->uncompressed_size = l->ubytes;
	info->n_entries = qn_tar_reader_entries(l->tar);
	info->n_files = l->files;
	info->compression = qn_comp_name(l->comp);
	info->read = true;
	return 0;
}

/* After a layer failed to parse, a blob that does not match its digest is the better
 * explanation (the bytes are not the ones the manifest vouches for). Only on the error path. */
static void prefer_digest_error(layer_t *l, const qn_blob_loc *loc, qn_error **err)
{
	qn_layer_src *src = &l->run->img->src[l->idx];
	if (!src->digest_known || !err || !*err || (*err)->kind != QN_ERR_INPUT)
		return;
	qn_hasher *h = qn_hasher_new(src->digest.algo);
	unsigned char *buf = xmalloc(READ_CHUNK);
	bool ok = true;
	for (uint64_t off = 0; off < loc->size && ok;) {
		size_t want = (size_t)QN_MIN((uint64_t)READ_CHUNK, loc->size - off);
		ssize_t got = qn_pread_full(loc->fd, buf, want, (off_t)(loc->off + off));
		ok = got == (ssize_t)want;
		if (ok)
			qn_hasher_update(h, buf, want);
		off += want;
	}
	free(buf);
	qn_digest d;
	qn_hasher_final(h, &d);
	qn_hasher_free(h);
	if (ok && !qn_digest_eq(&d, &src->digest)) {
		char a[QN_DIGEST_STR_MAX], b[QN_DIGEST_STR_MAX];
		qn_error_free(*err);
		*err = NULL;
		qn_error_set(err, QN_ERR_INPUT, "layer %zu blob %s: digest mismatch (content hashes to %s)", l->idx,
			     qn_digest_str(&src->digest, a), qn_digest_str(&d, b));
	}
}

/* The algorithm of the blob hash: the descriptor's when known, else the diff_id's. */
static qn_digest_algo blob_algo(const qn_layer_src *src)
{
	return src->digest_known ? src->digest.algo : src->diff_id.algo;
}

static int read_one(run_t *r, size_t idx, qn_error **err)
{
	qn_image *img = r->img;
	qn_layer_src *src = &img->src[idx];
	layer_t l = {.run = r, .idx = idx};
	/* "layer 1 (sha256:0123456789ab)": enough of the digest to find the blob */
	snprintf(l.what, sizeof(l.what), "layer %zu (%.19s)", idx,
		 img->layers[idx].digest ? img->layers[idx].digest : src->blob_name);
	qn_blob_loc loc;
	if (qn_store_locate(img->store, src->blob_name, &loc, err) < 0) {
		qn_error_free(*err);
		*err = NULL;
		return qn_error_set(err, QN_ERR_INPUT, "%s: blob is missing from the image", l.what);
	}
	if (src->size_known && loc.size != img->layers[idx].size)
		return qn_error_set(err, QN_ERR_INPUT, "%s: blob is %" PRIu64 " bytes but its descriptor says %" PRIu64,
				    l.what, loc.size, img->layers[idx].size);
	unsigned char head[8] = {0};
	ssize_t hn = qn_pread_full(loc.fd, head, QN_MIN(sizeof(head), (size_t)loc.size), (off_t)loc.off);
	if (hn < 0)
		return qn_error_errno(err, errno, "%s", l.what);
	l.comp = qn_comp_detect(head, (size_t)hn, err);
	if (l.comp == QN_COMP_UNKNOWN)
		return qn_error_prefix(err, "%s", l.what);
	qn_tar_limits tl = {(size_t)img->limits.max_path, 1 << 20};
	l.tar = qn_tar_reader_new(&tar_cb, &l, &tl, l.what);
	l.h_blob = qn_hasher_new(blob_algo(src));
	if (l.comp != QN_COMP_NONE || src->diff_id.algo != blob_algo(src))
		l.h_diff = qn_hasher_new(src->diff_id.algo);
	int rc = 0;
	if (r->v->layer_begin) {
		l.lctx = r->v->layer_begin(r->ud, idx, err);
		if (!l.lctx && err && *err)
			rc = -1;
	}
	producer_t p = {.l = &l, .loc = loc};
	if (rc == 0 && l.comp == QN_COMP_NONE) {
		p.out = consume_direct;
		p.out_ud = &l;
		rc = produce(&p, err);
	} else if (rc == 0) {
		queue_init(&l.q);
		p.out = queue_push;
		p.out_ud = &l;
		pthread_t th;
		if (pthread_create(&th, NULL, producer_main, &p) != 0) {
			rc = qn_error_set(err, QN_ERR_RUNTIME, "%s: cannot start a thread", l.what);
		} else {
			qn_error *cerr = NULL;
			rc = drain(&l, &cerr);
			pthread_join(th, NULL);
			/* Report the root cause: the producer's error unless the consumer failed first. */
			if (cerr) {
				*err = cerr;
				qn_error_free(l.perr);
			} else if (l.perr) {
				*err = l.perr;
				rc = -1;
			}
			l.perr = NULL;
		}
		queue_destroy(&l.q);
	}
	if (rc == 0)
		rc = qn_tar_reader_finish(l.tar, err);
	if (rc == 0)
		rc = verify(&l, err);
	else
		prefer_digest_error(&l, &loc, err);
	if (rc == 0 && r->v->layer_end)
		rc = r->v->layer_end(l.lctx, err);
	else if (rc < 0 && r->v->layer_abort)
		r->v->layer_abort(l.lctx);
	qn_tar_reader_free(l.tar);
	qn_hasher_free(l.h_blob);
	qn_hasher_free(l.h_diff);
	return rc;
}

static void *worker(void *arg)
{
	run_t *r = arg;
	for (;;) {
		size_t k = atomic_fetch_add(&r->next, 1);
		if (k >= r->n_which || atomic_load(&r->stop))
			break;
		size_t idx = r->which[k];
		if (read_one(r, idx, &r->errs[idx]) < 0)
			atomic_store(&r->stop, true);
	}
	return NULL;
}

static int by_size_desc(const void *a, const void *b, void *arg)
{
	const qn_image *img = arg;
	uint64_t x = img->layers[*(const size_t *)a].size, y = img->layers[*(const size_t *)b].size;
	return x < y ? 1 : x > y ? -1 : 0;
}

int qn_image_read_some_layers(qn_image *img, const size_t *which_in, size_t n, const qn_layer_visitor *v, void *ud,
			      qn_error **err)
{
	if (img->format == QN_FMT_DIR) {
		if (n == 0)
			return 0;
		return qn_dirsrc_read(img->path, &img->limits, v, ud, &img->layers[0], err);
	}
	/* Largest layers first, so the longest job does not start last. */
	size_t *which = xmemdup(which_in, n * sizeof(size_t));
	qsort_r(which, n, sizeof(size_t), by_size_desc, img);
	run_t r = {.img = img, .v = v, .ud = ud, .which = which, .n_which = n};
	r.errs = xcalloc(img->n_layers ? img->n_layers : 1, sizeof(qn_error *));
	size_t nthreads = QN_MIN((size_t)img->threads, n);
	pthread_t *th = xcalloc(nthreads ? nthreads : 1, sizeof(pthread_t));
	size_t started = 0;
	for (size_t i = 1; i < nthreads; i++) {
		if (pthread_create(&th[i], NULL, worker, &r) != 0)
			break;
		started = i;
	}
	worker(&r); /* the calling thread works too */
	for (size_t i = 1; i <= started; i++)
		pthread_join(th[i], NULL);
	free(th);
	free(which);
	/* the lowest-numbered layer's real error; a cancellation only if nothing else failed */
	qn_error *first = NULL;
	for (size_t i = 0; i < img->n_layers; i++) {
		qn_error *e = r.errs[i];
		if (!e)
			continue;
		if (!first || (first->errnum == ECANCELED && e->errnum != ECANCELED)) {
			qn_error_free(first);
			first = e;
		} else
			qn_error_free(e);
	}
	free(r.errs);
	if (!first)
		return 0;
	if (err && !*err)
		*err = first;
	else
		qn_error_free(first);
	return -1;
}

int qn_image_read_layers(qn_image *img, const qn_layer_visitor *v, void *ud, qn_error **err)
{
	size_t n = img->n_layers;
	size_t *which = xcalloc(n ? n : 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		which[i] = i;
	int rc = qn_image_read_some_layers(img, which, n, v, ud, err);
	free(which);
	return rc;
}
