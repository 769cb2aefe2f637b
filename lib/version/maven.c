/* Maven version ordering, as maven-artifact's ComparableVersion (Maven 3.9) defines it. This file
 * orders single versions; it does not evaluate version ranges ("[1.0,2.0)").
 *
 * A version is split into items at '.', at '-' and at digit/letter transitions; '-' and a
 * transition open a nested list, and since 3.9 so does a qualifier that follows '.' ("1.0.RC1"
 * == "1.0-RC1"). Items are numbers or qualifiers; alpha (a1) < beta (b1) < milestone (m1) <
 * rc = cr < snapshot < "" = ga = final = release < sp < any other qualifier (those compare as
 * lowercase strings). Trailing null items (0, "", ga, final, release, empty lists) are dropped
 * from each list, so "1" == "1.0" == "1.0.0" == "1-ga". Where items of different kinds meet:
 * number > list > qualifier; a missing item compares like 0 / "" against the other side.
 *
 * Case folding is ASCII only (Java lowercases every Unicode letter); digits are ASCII only. Like
 * Maven, a number whose text is ten or more zeros ("0000000000") counts as a "long" item, which
 * Maven 3.9 ranks above every number of nine digits or fewer. */
#include <string.h>

#include "util/util.h"
#include "version/version_int.h"

enum { IT_NUM, IT_QUAL };

/* Qualifier ranks; QUAL_RELEASE is the null qualifier, QUAL_OTHER compares by its text. */
enum { QUAL_ALPHA, QUAL_BETA, QUAL_MILESTONE, QUAL_RC, QUAL_SNAPSHOT, QUAL_RELEASE, QUAL_SP, QUAL_OTHER };

typedef struct {
	int kind;
	int rank;      /* IT_NUM: 0 int, 1 long, 2 BigInteger (by digit count, as Maven picks);
			* IT_QUAL: QUAL_* */
	const char *p; /* IT_NUM: digits without leading zeros; IT_QUAL: the qualifier text */
	size_t n;
} mitem;

/* A list owns items[first .. first+count) and, unless it is the last list, the next list as its
 * final element: Maven's lists always form a chain. */
typedef struct {
	size_t first, count;
} mlist;

typedef struct {
	mitem *items;
	size_t nitems;
	mlist *lists;
	size_t nlists;
	size_t alive; /* lists [0, alive) survive normalisation; the rest were empty and removed */
} mver;

static bool is_null_item(const mitem *it)
{
	return it->kind == IT_NUM ? it->n == 0 : it->rank == QUAL_RELEASE;
}

static bool word_is(const char *p, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (qn_ver_tolower((unsigned char)p[i]) != w[i])
			return false;
	return true;
}

/* Maven's StringItem: "a", "b", "m" directly followed by a digit mean alpha, beta, milestone;
 * ga/final/release alias "" and cr aliases rc. */
static void make_qualifier(mitem *it, const char *p, size_t n, bool before_digit)
{
	static const struct {
		const char *w;
		int rank;
	} known[] = {{"alpha", QUAL_ALPHA},     {"beta", QUAL_BETA},  {"milestone", QUAL_MILESTONE},
		     {"rc", QUAL_RC},           {"cr", QUAL_RC},      {"snapshot", QUAL_SNAPSHOT},
		     {"", QUAL_RELEASE},        {"ga", QUAL_RELEASE}, {"final", QUAL_RELEASE},
		     {"release", QUAL_RELEASE}, {"sp", QUAL_SP}};
	it->kind = IT_QUAL;
	it->p = p;
	it->n = n;
	it->rank = QUAL_OTHER;
	if (before_digit && n == 1) {
		int c = qn_ver_tolower((unsigned char)*p);
		if (c == 'a' || c == 'b' || c == 'm') {
			it->rank = c == 'a' ? QUAL_ALPHA : c == 'b' ? QUAL_BETA : QUAL_MILESTONE;
			return;
		}
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(known); i++)
		if (word_is(p, n, known[i].w))
			it->rank = known[i].rank;
}

static void make_number(mitem *it, const char *p, size_t n)
{
	size_t z = 0;
	while (z < n && p[z] == '0')
		z++;
	/* Maven strips leading zeros, but keeps an all-zero text whole, and then picks int, long
	 * or BigInteger by the remaining length. */
	size_t len = z == n ? n : n - z;
	it->kind = IT_NUM;
	it->rank = len <= 9 ? 0 : len <= 18 ? 1 : 2;
	it->p = p + z;
	it->n = n - z;
}

static mitem *add_item(mver *v)
{
	mitem *it = &v->items[v->nitems++];
	v->lists[v->nlists - 1].count++;
	return it;
}

static void open_list(mver *v)
{
	v->lists[v->nlists++] = (mlist){v->nitems, 0};
}

/* Adds the token s[start, i) to the current list (the text between separators). */
static void add_token(mver *v, const char *s, size_t start, size_t i, bool digit)
{
	mitem *it = add_item(v);
	if (i == start)
		*it = (mitem){IT_NUM, 0, s + i, 0};
	else if (digit)
		make_number(it, s + start, i - start);
	else
		make_qualifier(it, s + start, i - start, false);
}

/* ComparableVersion.parseVersion(): one pass over the characters. */
static void tokenize(mver *v, const char *s, size_t n)
{
	bool digit = false;
	size_t start = 0;
	open_list(v);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' || c == '-') {
			add_token(v, s, start, i, digit);
			start = i + 1;
			if (c == '-')
				open_list(v);
		} else if (qn_ver_isdigit((unsigned char)c)) {
			if (!digit && i > start) {
				/* 1.0.X1 == 1.0-X1: a qualifier after '.' opens a list too */
				if (v->lists[v->nlists - 1].count)
					open_list(v);
				make_qualifier(add_item(v), s + start, i - start, true);
				start = i;
				open_list(v);
			}
			digit = true;
		} else {
			if (digit && i > start) {
				make_number(add_item(v), s + start, i - start);
				start = i;
				open_list(v);
			}
			digit = false;
		}
	}
	if (n > start) {
		if (!digit && v->lists[v->nlists - 1].count)
			open_list(v);
		add_token(v, s, start, n, digit);
	}
}

/* ListItem.normalize(), innermost list first: trailing null items are dropped from each list,
 * and a list left with nothing (no items, no surviving child) is dropped from its parent. */
static void normalize(mver *v)
{
	v->alive = v->nlists;
	for (size_t k = v->nlists; k-- > 0;) {
		mlist *l = &v->lists[k];
		while (l->count && is_null_item(&v->items[l->first + l->count - 1]))
			l->count--;
		if (l->count == 0 && k + 1 >= v->alive)
			v->alive = k;
	}
}

/* An upper bound on the number of tokens: one per separator or digit/letter transition, plus
 * the last; sizing by tokens rather than bytes keeps a long digit run cheap. */
static size_t count_tokens(const char *s, size_t n)
{
	size_t t = 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == '-' ||
		    (i && qn_ver_isdigit((unsigned char)s[i]) != qn_ver_isdigit((unsigned char)s[i - 1])))
			t++;
	return t;
}

static void mver_parse(mver *v, const char *s)
{
	size_t n = strlen(s);
	size_t t = count_tokens(s, n);
	/* each token adds at most one item and opens at most two lists */
	v->items = xcalloc(t + 1, sizeof(*v->items));
	v->lists = xcalloc(2 * t + 2, sizeof(*v->lists));
	v->nitems = v->nlists = 0;
	tokenize(v, s, n);
	normalize(v);
}

static void mver_clear(mver *v)
{
	free(v->items);
	free(v->lists);
}

static int qual_cmp(const mitem *a, const mitem *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->rank != QUAL_OTHER)
		return 0;
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		int r = qn_ver_tolower((unsigned char)a->p[i]) - qn_ver_tolower((unsigned char)b->p[i]);
		if (r)
			return qn_ver_sign(r);
	}
	return a->n < b->n ? -1 : a->n > b->n;
}

/* Two items: a number is newer than a qualifier. */
static int item_cmp(const mitem *a, const mitem *b)
{
	if (a->kind != b->kind)
		return a->kind == IT_NUM ? 1 : -1;
	if (a->kind == IT_QUAL)
		return qual_cmp(a, b);
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return qn_ver_digits_cmp(a->p, a->n, b->p, b->n);
}

/* An item against a missing one: 0 and the release qualifiers are null. */
static int item_vs_null(const mitem *a)
{
	if (a->kind == IT_NUM)
		return a->n ? 1 : 0;
	return a->rank < QUAL_RELEASE ? -1 : a->rank > QUAL_RELEASE;
}

/* List k (and its chain) against a missing item: its first non-null item decides (MNG-6964). */
static int list_vs_null(const mver *v, size_t k)
{
	for (; k < v->alive; k++) {
		const mlist *l = &v->lists[k];
		for (size_t i = 0; i < l->count; i++) {
			int r = item_vs_null(&v->items[l->first + i]);
			if (r)
				return r;
		}
	}
	return 0;
}

/* One element of a list: an item, the child list, or nothing (past the end). */
enum { EL_NONE, EL_ITEM, EL_LIST };
typedef struct {
	int kind;
	const mitem *it; /* EL_ITEM */
	size_t list;     /* EL_LIST: index of the child list */
} elem;

/* Element i of list k: its items come first, then its child when the child survived. */
static elem elem_at(const mver *v, size_t k, size_t i)
{
	if (k >= v->alive)
		return (elem){EL_NONE, NULL, 0};
	if (i < v->lists[k].count)
		return (elem){EL_ITEM, &v->items[v->lists[k].first + i], 0};
	if (i == v->lists[k].count && k + 1 < v->alive)
		return (elem){EL_LIST, NULL, k + 1};
	return (elem){EL_NONE, NULL, 0};
}

static int elem_vs_null(const mver *v, elem e)
{
	if (e.kind == EL_LIST)
		return list_vs_null(v, e.list);
	return e.it ? item_vs_null(e.it) : 0;
}

/* Two elements that are not both lists; a missing one compares like null. */
static int elem_cmp(const mver *va, elem a, const mver *vb, elem b)
{
	if (a.kind == EL_NONE)
		return -elem_vs_null(vb, b);
	if (b.kind == EL_NONE)
		return elem_vs_null(va, a);
	/* a list sorts below a number and above a qualifier */
	if (!a.it)
		return b.it && b.it->kind == IT_NUM ? -1 : 1;
	if (!b.it)
		return a.it->kind == IT_NUM ? 1 : -1;
	return item_cmp(a.it, b.it);
}

/* ListItem.compareTo(ListItem): element by element from the top list. When both sides reach
 * their child lists (always the last element) the comparison goes on in the children, in a loop
 * rather than by recursion so that deep nesting ("1-1-1-...") costs no stack. */
static int lists_cmp(const mver *va, const mver *vb)
{
	size_t ka = 0, kb = 0;
	for (size_t i = 0;; i++) {
		elem a = elem_at(va, ka, i), b = elem_at(vb, kb, i);
		if (a.kind == EL_NONE && b.kind == EL_NONE)
			return 0;
		if (a.kind == EL_LIST && b.kind == EL_LIST) {
			ka = a.list, kb = b.list;
			i = SIZE_MAX; /* the loop's i++ restarts at element 0 */
			continue;
		}
		int r = elem_cmp(va, a, vb, b);
		if (r)
			return r;
	}
}

int qn_maven_vercmp(const char *a, const char *b)
{
	mver va, vb;
	mver_parse(&va, a ? a : "");
	mver_parse(&vb, b ? b : "");
	int r = lists_cmp(&va, &vb);
	mver_clear(&va);
	mver_clear(&vb);
	return r;
}
