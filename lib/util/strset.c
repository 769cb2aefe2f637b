/* String sets by open addressing with linear probing; removal uses backward-shift deletion so
 * no tombstones accumulate. Keys are copied and owned by the set. */
#include "strset.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t find(const qn_strset *s, const char *key, bool *found)
{
	size_t mask = s->cap - 1, i = (size_t)hash(key) & mask;
	while (s->keys[i]) {
		if (!strcmp(s->keys[i], key)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

static void grow(qn_strset *s)
{
	size_t oc = s->cap;
	char **ok = s->keys;
	void **ov = s->vals;
	s->cap = oc ? oc * 2 : 64;
	s->keys = xcalloc(s->cap, sizeof(char *));
	s->vals = xcalloc(s->cap, sizeof(void *));
	for (size_t i = 0; i < oc; i++) {
		if (!ok[i])
			continue;
		bool f;
		size_t j = find(s, ok[i], &f);
		s->keys[j] = ok[i];
		s->vals[j] = ov[i];
	}
	free(ok);
	free(ov);
}

void *qn_strset_put(qn_strset *s, const char *key, void *val)
{
	if ((s->n + 1) * 4 > s->cap * 3)
		grow(s);
	bool f;
	size_t i = find(s, key, &f);
	void *old = f ? s->vals[i] : NULL;
	if (!f) {
		s->keys[i] = xstrdup(key);
		s->n++;
	}
	s->vals[i] = val;
	return old;
}

bool qn_strset_add(qn_strset *s, const char *key)
{
	if (qn_strset_has(s, key))
		return false;
	qn_strset_put(s, key, NULL);
	return true;
}

bool qn_strset_has(const qn_strset *s, const char *key)
{
	if (!s->cap)
		return false;
	bool f;
	find(s, key, &f);
	return f;
}

void *qn_strset_get(const qn_strset *s, const char *key)
{
	if (!s->cap)
		return NULL;
	bool f;
	size_t i = find(s, key, &f);
	return f ? s->vals[i] : NULL;
}

bool qn_strset_remove(qn_strset *s, const char *key)
{
	if (!s->cap)
		return false;
	bool f;
	size_t i = find(s, key, &f);
	if (!f)
		return false;
	free(s->keys[i]);
	s->keys[i] = NULL;
	s->vals[i] = NULL;
	s->n--;
	/* shift later members of the probe run back so lookups never stop early */
	size_t mask = s->cap - 1;
	for (size_t j = (i + 1) & mask; s->keys[j]; j = (j + 1) & mask) {
		size_t home = (size_t)hash(s->keys[j]) & mask;
		bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (between)
			continue;
		s->keys[i] = s->keys[j];
		s->vals[i] = s->vals[j];
		s->keys[j] = NULL;
		s->vals[j] = NULL;
		i = j;
	}
	return true;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **qn_strset_sorted(const qn_strset *s, size_t *n)
{
	const char **v = xcalloc(s->n + 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < s->cap; i++)
		if (s->keys[i])
			v[k++] = s->keys[i];
	qn_sort(v, k, sizeof(char *), cmp);
	*n = k;
	return v;
}

void qn_strset_clear(qn_strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}
