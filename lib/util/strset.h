/* A set of strings (open addressing, copies its keys), with an optional value per key. */
#ifndef QN_STRSET_H
#define QN_STRSET_H

#include "util.h"

typedef struct {
	char **keys;
	void **vals;
	size_t cap, n;
} qn_strset;

#define QN_STRSET_INIT           \
	{                        \
		NULL, NULL, 0, 0 \
	}
/* Adds s (copied). Returns true when it was not there yet. */
bool qn_strset_add(qn_strset *s, const char *key);
/* Adds or replaces key's value (the set never frees values). Returns the previous value. */
void *qn_strset_put(qn_strset *s, const char *key, void *val);
bool qn_strset_has(const qn_strset *s, const char *key);
/* The value stored for key, or NULL. */
void *qn_strset_get(const qn_strset *s, const char *key);
/* Removes key; returns true when it was there. */
bool qn_strset_remove(qn_strset *s, const char *key);
/* The keys, sorted (a new array of borrowed pointers; caller frees the array only). */
const char **qn_strset_sorted(const qn_strset *s, size_t *n);
void qn_strset_clear(qn_strset *s);
static inline size_t qn_strset_count(const qn_strset *s)
{
	return s->n;
}

#endif
