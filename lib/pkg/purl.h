/* Package URL construction (purl-spec). */
#ifndef QN_PURL_H
#define QN_PURL_H

#include "util/util.h"

/* Builds "pkg:TYPE/NS/NAME@VERSION?k=v&...#SUBPATH". ns, version, quals and subpath may be NULL.
 * quals is a NULL-terminated list of key, value pairs; pairs with an empty or NULL value are
 * left out; keys are sorted. TYPE and keys must already be lower-case. Caller frees. */
char *qn_purl(const char *type, const char *ns, const char *name, const char *version, const char *const *quals,
	      const char *subpath);
/* Appends s percent-encoded as a purl component ('/' kept when allow_slash). */
void qn_purl_encode(qn_buf *b, const char *s, bool allow_slash);

#endif
