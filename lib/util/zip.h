/* Zip archives read from memory: jars, wars, wheels and osv.dev's per-ecosystem all.zip.
 *
 *   qn_zip *z = qn_zip_open(buf, len, 0, &err);
 *   qn_zip_entry e;
 *   while ((rc = qn_zip_next(z, &e, &err)) > 0)
 *           if (wanted(e.name)) qn_zip_read(z, &e, 1 << 20, &data, &n, &err);
 *   qn_zip_free(z);
 *
 * The handle keeps a pointer to buf (no copy): buf must outlive it. Iteration walks the central
 * directory without allocating, so archives with many entries stay cheap. */
#ifndef QN_ZIP_H
#define QN_ZIP_H

#include "util.h"

/* Entry count accepted when qn_zip_open is given max_entries = 0. osv.dev's largest all.zip has a
 * few hundred thousand records; a million leaves room without letting a forged count run away. */
#define QN_ZIP_MAX_ENTRIES_DEFAULT ((size_t)1 << 20)

typedef struct qn_zip qn_zip;

/* One central directory record. Names are returned raw (bytes as stored, callers normalise). */
typedef struct {
	const char *name; /* NUL-terminated copy, valid until the next qn_zip_next/qn_zip_free */
	size_t name_len;
	uint64_t csize; /* compressed size */
	uint64_t usize; /* uncompressed size as recorded (checked by qn_zip_read) */
	uint32_t crc32;
	uint16_t method; /* 0 stored, 8 deflate; qn_zip_read refuses anything else */
	uint16_t flags;  /* general purpose bits; bit 0 = encrypted */
	uint64_t offset; /* local header offset in buf (any prefix before the archive included) */
	size_t index;    /* position in the central directory, from 0 */
	size_t cd_pos;   /* where its central record starts in buf; qn_zip_read re-reads it there */
} qn_zip_entry;

/* Finds the end-of-central-directory record (zip64 included) and checks that the central
 * directory lies inside buf. max_entries bounds the entry count (0: QN_ZIP_MAX_ENTRIES_DEFAULT;
 * more is QN_ERR_LIMIT). Keeps buf. Returns a handle (qn_zip_free) or NULL with err set. */
qn_zip *qn_zip_open(const uint8_t *buf, size_t len, size_t max_entries, qn_error **err);
/* Number of entries the archive declares. */
size_t qn_zip_count(const qn_zip *z);
/* Reads the next central directory record into *e. Returns 1 for an entry, 0 at the end, -1 with
 * err set for a malformed record (iteration cannot continue past it). */
int qn_zip_next(qn_zip *z, qn_zip_entry *e, qn_error **err);
/* Starts the iteration again from the first entry. */
void qn_zip_rewind(qn_zip *z);
/* True for directory entries (name ends with '/'). */
bool qn_zip_is_dir(const qn_zip_entry *e);
/* Extracts one entry (stored or deflate), verifying that the local header agrees with the central
 * directory, the size and the CRC-32. Refuses encrypted entries and unknown methods
 * (QN_ERR_INPUT) and entries over max_bytes uncompressed (QN_ERR_LIMIT). On success *out is a
 * new buffer of *len bytes plus a NUL byte after them (caller frees). */
int qn_zip_read(qn_zip *z, const qn_zip_entry *e, size_t max_bytes, uint8_t **out, size_t *len, qn_error **err);
/* Releases the handle (not buf). NULL is a no-op. */
void qn_zip_free(qn_zip *z);

#endif
