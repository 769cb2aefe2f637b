/* Resolving an image's User ("name", "uid", "name:group", "uid:gid", "" for root) through the
 * image's own /etc/passwd and /etc/group, the way container engines do: a numeric user without
 * a passwd entry runs with gid 0 and home "/"; a name that is not in passwd is an error; the
 * primary group comes from passwd unless a group is named; supplementary groups are those of
 * /etc/group that list the user by name. The files are parsed as bytes (they come from the
 * image) and malformed lines are skipped. */
#include <ctype.h>

#include "run.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool parse_id(const char *s, uint32_t *out)
{
	if (!all_digits(s) || strlen(s) > 10)
		return false;
	unsigned long long v = strtoull(s, NULL, 10);
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Splits one colon-separated line of buf into at most max fields (copies; caller frees). */
static size_t split_line(const char *line, size_t len, char **f, size_t max)
{
	size_t n = 0, start = 0;
	for (size_t i = 0; i <= len && n < max; i++) {
		if (i == len || line[i] == ':') {
			f[n++] = xstrndup(line + start, i - start);
			start = i + 1;
		}
	}
	return n;
}

static void free_fields(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
}

/* Calls fn for every line of a colon file with its fields; stops when fn returns true. */
typedef bool (*line_fn)(void *ud, char **f, size_t n);

static void each_line(const uint8_t *buf, size_t len, size_t want, line_fn fn, void *ud)
{
	const char *p = (const char *)buf, *end = p + len;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		char *f[8] = {0};
		if (l && p[0] != '#' && !memchr(p, 0, l)) {
			size_t n = split_line(p, l, f, QN_MIN(want, QN_ARRAY_LEN(f)));
			bool stop = n >= want && fn(ud, f, n);
			free_fields(f, n);
			if (stop)
				return;
		}
		p = nl ? nl + 1 : end;
	}
}

typedef struct {
	const char *name; /* look up by name, or */
	bool by_id;
	uint32_t id;
	bool found;
	char *found_name;
	uint32_t uid, gid;
	char *home;
} pw_query;

static bool pw_match(void *ud, char **f, size_t n)
{
	pw_query *q = ud;
	uint32_t uid, gid;
	if (n < 7 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return false;
	if (q->by_id ? uid != q->id : strcmp(f[0], q->name) != 0)
		return false;
	q->found = true;
	q->found_name = xstrdup(f[0]);
	q->uid = uid;
	q->gid = gid;
	q->home = xstrdup(f[5]);
	return true;
}

typedef struct {
	const char *name;
	bool by_id;
	uint32_t id;
	bool found;
	uint32_t gid;
	const char *member; /* collect supplementary groups of this user */
	uint32_t *groups;
	size_t n_groups;
} gr_query;

static bool gr_match(void *ud, char **f, size_t n)
{
	gr_query *q = ud;
	uint32_t gid;
	if (n < 4 || !parse_id(f[2], &gid))
		return false;
	if (q->member) {
		char *save = NULL;
		for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
			if (!strcmp(m, q->member) && q->n_groups < 64) {
				q->groups = xreallocarray(q->groups, q->n_groups + 1, sizeof(uint32_t));
				q->groups[q->n_groups++] = gid;
			}
		return false;
	}
	if (q->by_id ? gid != q->id : strcmp(f[0], q->name) != 0)
		return false;
	q->found = true;
	q->gid = gid;
	return true;
}

int qn_user_resolve(const char *spec, const uint8_t *passwd, size_t plen, const uint8_t *group, size_t glen,
		    qn_user *out, qn_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *copy = xstrdup(spec && *spec ? spec : "0");
	char *gpart = strchr(copy, ':');
	if (gpart)
		*gpart++ = 0;
	pw_query pq = {.name = copy};
	pq.by_id = parse_id(copy, &pq.id);
	each_line(passwd, plen, 7, pw_match, &pq);
	if (!pq.found && !pq.by_id)
		return qn_error_set(err, QN_ERR_INPUT, "user \"%s\": no such user in the image's /etc/passwd", copy);
	out->uid = pq.found ? pq.uid : pq.id;
	out->gid = pq.found ? pq.gid : 0;
	out->home = pq.home ? pq.home : xstrdup("/");
	out->name = pq.found_name;
	if (gpart && *gpart) {
		gr_query gq = {.name = gpart};
		gq.by_id = parse_id(gpart, &gq.id);
		each_line(group, glen, 4, gr_match, &gq);
		if (!gq.found && !gq.by_id) {
			qn_user_clear(out);
			return qn_error_set(err, QN_ERR_INPUT, "group \"%s\": no such group in the image's /etc/group",
					    gpart);
		}
		out->gid = gq.found ? gq.gid : gq.id;
	}
	if (out->name) {
		gr_query sq = {.member = out->name};
		each_line(group, glen, 4, gr_match, &sq);
		out->groups = sq.groups;
		out->n_groups = sq.n_groups;
	}
	return 0;
}

void qn_user_clear(qn_user *u)
{
	free(u->home);
	free(u->name);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}
