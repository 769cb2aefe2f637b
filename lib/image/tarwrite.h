/* Deterministic tar writer: POSIX ustar headers, with a pax extended header only when a value
 * does not fit (long paths and link targets, large sizes or ids, extended attributes). No
 * access/change times, no user or group names beyond what the entry states, so the same
 * entries always give the same bytes. */
#ifndef QN_TARWRITE_H
#define QN_TARWRITE_H

#include "tar.h"

typedef int (*qn_tarw_sink)(void *ud, const void *p, size_t n, qn_error **err);

typedef struct {
	qn_tarw_sink sink;
	void *ud;
	uint64_t offset;  /* bytes written */
	uint64_t pending; /* data bytes still owed for the current entry */
	uint64_t pad;     /* padding owed after them */
} qn_tarw;

void qn_tarw_init(qn_tarw *w, qn_tarw_sink sink, void *ud);
/* Writes the header(s) for e; e->size bytes of data must follow through qn_tarw_data for
 * regular files. e->path and e->linkname are written as given. */
int qn_tarw_header(qn_tarw *w, const qn_tar_entry *e, qn_error **err);
int qn_tarw_data(qn_tarw *w, const void *p, size_t n, qn_error **err);
/* Pads the current entry to a block boundary (fails if data is still owed). */
int qn_tarw_end_entry(qn_tarw *w, qn_error **err);
/* Writes the end-of-archive marker (two zero blocks). */
int qn_tarw_finish(qn_tarw *w, qn_error **err);

/* A sink that appends to a qn_buf (ud is the qn_buf *). */
int qn_tarw_sink_buf(void *ud, const void *p, size_t n, qn_error **err);

#endif
