/* Alpine secdb importer (the JSON that secdb.alpinelinux.org serves per release and repository):
 *   {distroversion: "v3.20", reponame: "main", packages: [{pkg: {name, secfixes: {fixed version:
 *    [ids]}}}]}
 * Every (package, fixed version, id) becomes an affected row for ecosystem "Alpine", release
 * "3.20", fixed in that version. secdb lists fixes only; version "0" means "never affected" and
 * gives no row. An id entry may carry several tokens ("CVE-2020-11740 CVE-2020-11741 XSA-313"):
 * each CVE token is a record and the other tokens become its aliases; without a CVE token each
 * token is a record of its own. It does not know about unfixed issues (secdb has none). */
#include "util/json.h"
#include "vuln_int.h"

typedef struct {
	qn_vuln_sink *sink;
	const char *release;
	const char *what;
} secdb_ctx;

static bool is_cve(const char *s)
{
	if (strncmp(s, "CVE-", 4) != 0 || strlen(s) < 13)
		return false;
	for (int i = 4; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[8] != '-')
		return false;
	for (const char *p = s + 9; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Tokens worth keeping as identifiers: letters, digits and . _ : + -, with at least one digit
 * (drops placeholders such as "CVE-????-?????" and stray words). */
static bool id_token(const char *s)
{
	bool digit = false;
	size_t n = 0;
	for (const char *p = s; *p; p++, n++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || strchr("._:+-", *p)))
			return false;
	}
	return digit && n > 0 && n <= QN_VULN_MAX_ID;
}

static int emit(secdb_ctx *c, const char *id, const char *const *aliases, size_t n_aliases, const char *pkg,
		const char *fixed, qn_error **err)
{
	qn_vuln_record r = {.id = id, .aliases = aliases, .n_aliases = n_aliases, .cvss3_score = -1};
	qn_vuln_affected a = {.vuln_id = id,
			      .ecosystem = "Alpine",
			      .release = c->release,
			      .package = pkg,
			      .fixed = fixed,
			      .status = QN_VULN_FIXED};
	if (c->sink->record(c->sink, &r, err) < 0)
		return -1;
	return c->sink->affected(c->sink, &a, err);
}

/* One secfixes entry ("CVE-2016-9932 XSA-200"). */
static int add_entry(secdb_ctx *c, const char *pkg, const char *fixed, const char *entry, qn_error **err)
{
	_cleanup_free_ char *copy = xstrdup(entry);
	const char *tok[16];
	size_t n = 0, n_cve = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, " \t", &save); t && n < QN_ARRAY_LEN(tok); t = strtok_r(NULL, " \t", &save))
		if (id_token(t)) {
			tok[n++] = t;
			n_cve += is_cve(t);
		}
	if (n == 0) {
		if (c->sink->skipped) {
			_cleanup_free_ char *q = qn_str_quote(entry, 60);
			_cleanup_free_ char *msg =
			    xasprintf("%s: package \"%.80s\" %.60s: no identifier in %s", c->what, pkg, fixed, q);
			c->sink->skipped(c->sink, msg);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (n_cve && !is_cve(tok[i]))
			continue;
		const char *aliases[16];
		size_t na = 0;
		for (size_t k = 0; k < n && n_cve; k++)
			if (!is_cve(tok[k]))
				aliases[na++] = tok[k];
		if (emit(c, tok[i], aliases, na, pkg, fixed, err) < 0)
			return -1;
	}
	return 0;
}

/* Names and versions are stored and printed as they are: no control characters, bounded. */
static bool clean(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return n > 0 && n <= 256;
}

static int add_package(secdb_ctx *c, const json_t *p, size_t idx, qn_error **err)
{
	const json_t *pkg = json_object_get(p, "pkg");
	const char *name = qn_json_str(pkg, "name");
	const json_t *fixes = json_object_get(pkg, "secfixes");
	if (!name || !clean(name) || (fixes && !json_is_null(fixes) && !json_is_object(fixes))) {
		if (c->sink->skipped) {
			_cleanup_free_ char *msg =
			    xasprintf("%s: packages[%zu]: no pkg.name or secfixes is not an object", c->what, idx);
			c->sink->skipped(c->sink, msg);
		}
		return 0;
	}
	const char *ver;
	json_t *ids;
	json_object_foreach ((json_t *)fixes, ver, ids) {
		if (!strcmp(ver, "0"))
			continue; /* "not affected" claims: nothing to match */
		if (!clean(ver)) {
			if (c->sink->skipped) {
				_cleanup_free_ char *msg = xasprintf(
				    "%s: package \"%s\": a fixed version is not a one-line string", c->what, name);
				c->sink->skipped(c->sink, msg);
			}
			continue;
		}
		size_t i;
		json_t *id;
		json_array_foreach (ids, i, id) {
			if (!json_is_string(id))
				continue;
			if (add_entry(c, name, ver, json_string_value(id), err) < 0)
				return -1;
		}
	}
	return 0;
}

int qn_secdb_parse(const uint8_t *buf, size_t len, qn_vuln_sink *sink, qn_error **err)
{
	_cleanup_json_ json_t *j = qn_json_parse(buf, len, QN_VULN_MAX_DOC, "alpine secdb", err);
	if (!j)
		return -1;
	return qn_secdb_parse_json(j, sink, err);
}

int qn_secdb_parse_json(const json_t *j, qn_vuln_sink *sink, qn_error **err)
{
	const char *dv = qn_json_str(j, "distroversion"), *repo = qn_json_str(j, "reponame");
	const json_t *pkgs = json_object_get(j, "packages");
	if (!dv || !*dv || !json_is_array(pkgs))
		return qn_error_set(err, QN_ERR_INPUT, "alpine secdb: need \"distroversion\" and a \"packages\" array");
	/* "v3.20" -> "3.20" to match os-release VERSION_ID prefixes and OSV's Alpine releases. */
	const char *release = dv[0] == 'v' && dv[1] >= '0' && dv[1] <= '9' ? dv + 1 : dv;
	_cleanup_free_ char *what = xasprintf("alpine secdb %s/%s", dv, repo ? repo : "?");
	secdb_ctx c = {.sink = sink, .release = release, .what = what};
	size_t i;
	json_t *p;
	json_array_foreach (pkgs, i, p) {
		if (add_package(&c, p, i, err) < 0)
			return -1;
	}
	return 0;
}
