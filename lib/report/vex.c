/* OpenVEX 0.2 from a verify document: for every CVE that left the image because its package
 * left it, a statement "not_affected, component_not_present" about the hardened image (as an
 * OCI purl) with the removed package as the subcomponent. Nothing else is claimed: CVEs still
 * present get no statement (quench does not know whether they are exploitable), and a removed
 * CVE whose package has no purl is left out rather than stated about the whole image.
 *
 * Also the small evidence helpers (defensive JSON access, sha256 strings) the other evidence
 * files share. */
#include <ctype.h>

#include "evidence_int.h"
#include "util/digest.h"
#include "util/json.h"
#include "util/path.h"
#include "util/strset.h"

const json_t *qn_ev_get(const json_t *j, const char *path)
{
	char key[128];
	while (j && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key) || !json_is_object(j))
			return NULL;
		memcpy(key, path, n);
		key[n] = 0;
		j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return j;
}

const char *qn_ev_str(const json_t *j, const char *path, const char *dflt)
{
	const json_t *v = qn_ev_get(j, path);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

long long qn_ev_int(const json_t *j, const char *path, long long dflt)
{
	const json_t *v = qn_ev_get(j, path);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return dflt;
}

int qn_ev_bool(const json_t *j, const char *path)
{
	const json_t *v = qn_ev_get(j, path);
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

const json_t *qn_ev_arr(const json_t *j, const char *path)
{
	static json_t *empty;
	if (!empty)
		empty = json_array();
	const json_t *v = qn_ev_get(j, path);
	return json_is_array(v) ? v : empty;
}

void qn_ev_sha256(const void *p, size_t n, char out[72])
{
	qn_digest d;
	qn_digest_buf(QN_DIGEST_SHA256, p, n, &d);
	char s[QN_DIGEST_STR_MAX];
	snprintf(out, 72, "%s", qn_digest_str(&d, s));
}

/* Percent-encodes everything but unreserved characters (purl qualifier values). */
static void pct(qn_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			qn_buf_addc(b, (char)c);
		else
			qn_buf_printf(b, "%%%02X", c);
	}
}

/* The image reference inside a local source ("oci:DIR:REF", "docker-archive:FILE:NAME:TAG"),
 * or the file's name without .tar when there is none. Caller frees. */
static char *local_ref(const char *s)
{
	/* the path ends at the first colon (the source syntax allows no colon in it) */
	const char *colon = strchr(s, ':');
	if (colon && colon[1] && colon[1] != '@')
		return xstrdup(colon + 1);
	_cleanup_free_ char *path = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	char *base = xstrdup(qn_path_base(path));
	static const char *const exts[] = {".tar.gz", ".tgz", ".tar"};
	for (size_t i = 0; i < QN_ARRAY_LEN(exts); i++)
		if (qn_str_has_suffix(base, exts[i])) {
			base[strlen(base) - strlen(exts[i])] = 0;
			break;
		}
	return base;
}

char *qn_oci_purl(const char *name, const char *digest)
{
	const char *s = name ? name : "";
	static const char *const local[] = {"docker-archive:", "oci-archive:", "oci:", "dir:"};
	_cleanup_free_ char *ref = NULL;
	for (size_t i = 0; i < QN_ARRAY_LEN(local); i++)
		if (qn_str_has_prefix(s, local[i]))
			s = ref = local_ref(s + strlen(local[i]));
	if (qn_str_has_prefix(s, "docker://"))
		s += 9;
	_cleanup_free_ char *copy = xstrndup(s, strcspn(s, "@"));
	char *base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	char *tag = strchr(base, ':');
	if (tag)
		*tag++ = 0;
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "pkg:oci/");
	size_t start = b.len;
	for (char *p = base; *p; p++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*p);
		qn_buf_addc(&b, isalnum(c) || c == '.' || c == '_' || c == '-' ? (char)c : '-');
	}
	if (b.len == start)
		qn_buf_adds(&b, "image");
	if (digest && qn_str_has_prefix(digest, "sha256:"))
		qn_buf_printf(&b, "@sha256%%3A%s", digest + 7);
	if (tag && *tag) {
		qn_buf_adds(&b, "?tag=");
		pct(&b, tag);
	}
	return qn_buf_steal(&b);
}

/* The purl that explains a removed CVE: its own purl, else explained_by when that is a purl. */
static const char *removed_purl(const json_t *r)
{
	const char *p = qn_json_str(r, "purl");
	if (p && qn_str_has_prefix(p, "pkg:"))
		return p;
	p = qn_json_str(r, "explained_by");
	return p && qn_str_has_prefix(p, "pkg:") ? p : NULL;
}

/* CVE id -> array of distinct subcomponent purls, ids sorted. */
static json_t *group_removed(const json_t *verify)
{
	json_t *by_id = json_object();
	size_t i;
	json_t *r;
	json_array_foreach (qn_ev_arr(verify, "cves.removed"), i, r) {
		const char *id = qn_json_str(r, "id"), *purl = removed_purl(r);
		if (!id || !*id || !purl)
			continue;
		json_t *list = json_object_get(by_id, id);
		if (!list) {
			list = json_array();
			json_object_set_new(by_id, id, list);
		}
		bool dup = false;
		size_t k;
		json_t *e;
		json_array_foreach (list, k, e)
			dup |= !strcmp(json_string_value(e), purl);
		if (!dup)
			json_array_append_new(list, json_string(purl));
	}
	return by_id;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *statement(const char *id, const json_t *purls, const char *product)
{
	json_t *subs = json_array();
	size_t i;
	json_t *p;
	qn_buf names = QN_BUF_INIT;
	json_array_foreach (purls, i, p) {
		json_array_append_new(subs, json_pack("{s:{s:s}}", "identifiers", "purl", json_string_value(p)));
		qn_buf_printf(&names, "%s%s", i ? ", " : "", json_string_value(p));
	}
	json_t *prod =
	    json_pack("{s:s,s:{s:s},s:o}", "@id", product, "identifiers", "purl", product, "subcomponents", subs);
	_cleanup_free_ char *why = xasprintf("Removed from the image by quench: no file of %s remains in the hardened "
					     "image and its package database no longer lists it.",
					     names.data);
	qn_buf_clear(&names);
	return json_pack("{s:{s:s},s:[o],s:s,s:s,s:s}", "vulnerability", "name", id, "products", prod, "status",
			 "not_affected", "justification", "component_not_present", "impact_statement", why);
}

json_t *qn_vex_build(const json_t *verify, const qn_vex_opts *o, qn_error **err)
{
	if (!o || !o->product_purl || !qn_str_has_prefix(o->product_purl, "pkg:oci/"))
		return qn_error_set(err, QN_ERR_USAGE, "vex: the product must be an OCI purl"), NULL;
	const json_t *cves = qn_ev_get(verify, "cves");
	if (cves && !json_is_null(cves) && !json_is_object(cves))
		return qn_error_set(err, QN_ERR_INPUT, "verify document: \"cves\" is not an object"), NULL;
	json_t *by_id = group_removed(verify);
	size_t n = json_object_size(by_id);
	if (!n) {
		json_decref(by_id);
		return NULL;
	}
	const char **ids = xcalloc(n, sizeof(*ids));
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach (by_id, key, v)
		ids[k++] = key;
	qn_sort(ids, n, sizeof(*ids), cmp_str);
	json_t *stmts = json_array();
	for (k = 0; k < n; k++)
		json_array_append_new(stmts, statement(ids[k], json_object_get(by_id, ids[k]), o->product_purl));
	free(ids);
	json_decref(by_id);

	/* the id names the content: the same image and the same statements give the same id */
	_cleanup_free_ char *body = qn_json_dump(stmts, false);
	_cleanup_free_ char *seed = xasprintf("%s\n%s", o->product_purl, body);
	char dg[72];
	qn_ev_sha256(seed, strlen(seed), dg);
	_cleanup_free_ char *docid = xasprintf("https://quench.invalid/vex/%s", dg + 7);
	_cleanup_free_ char *tooling = xasprintf("quench %s", QN_VERSION);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:o}", "@context", "https://openvex.dev/ns/v0.2.0", "@id", docid,
			 "author", o->author ? o->author : "quench", "role", "image hardening tool", "timestamp",
			 o->timestamp ? o->timestamp : "1970-01-01T00:00:00Z", "version", 1, "tooling", tooling,
			 "statements", stmts);
}
