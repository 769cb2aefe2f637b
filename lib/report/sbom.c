/* The inventory of an image as quench's own JSON document (schema quench.sbom/v1, described in
 * docs/sbom.md), and what the three SBOM builders share: a unique reference per package, the
 * dependencies the package databases record resolved to packages present in the image, a UTC
 * timestamp taken from the image config (never from the clock) and a UUID derived from the
 * image identity, so the same image always gives the same documents. CycloneDX and SPDX live in
 * sbom_cdx.c and sbom_spdx.c. Nothing here reads files or finds packages: the inventory did. */
#include <ctype.h>
#include <openssl/evp.h>
#include <time.h>

#include "sbom_int.h"
#include "util/path.h"
#include "util/strset.h"
#include "license.h"

const char *qn_sbom_image_id(const qn_image *img)
{
	if (qn_image_config_digest(img))
		return qn_image_config_digest(img);
	if (qn_image_manifest_digest(img))
		return qn_image_manifest_digest(img);
	return qn_image_ref(img);
}

bool qn_sbom_is_os_pkg(const qn_package *p)
{
	return p->eco == QN_ECO_DEB || p->eco == QN_ECO_APK || p->eco == QN_ECO_RPM;
}

const char *qn_sbom_url(const char *s)
{
	if (!s || !(qn_str_has_prefix(s, "https://") || qn_str_has_prefix(s, "http://")))
		return NULL;
	size_t host = strcspn(s + 8, "/?#");
	if (host == 0 && s[4] == 's')
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (!isalnum(*c) && !strchr("-._~:/?#[]@!$&'()*+,;=%", *c))
			return NULL;
	return s;
}

const qn_layer_info *qn_sbom_layer(const qn_sbom_ctx *c, const qn_package *p)
{
	return p->layer >= 0 ? qn_image_layer(c->img, (size_t)p->layer) : NULL;
}

bool qn_sbom_digest(const char *digest, const char **algo, const char **hex)
{
	static const struct {
		const char *prefix, *name;
		size_t len;
	} algos[] = {
	    {"md5:", "MD5", 32}, {"sha1:", "SHA-1", 40}, {"sha256:", "SHA-256", 64}, {"sha512:", "SHA-512", 128}};
	for (size_t i = 0; digest && i < QN_ARRAY_LEN(algos); i++) {
		if (!qn_str_has_prefix(digest, algos[i].prefix))
			continue;
		const char *h = digest + strlen(algos[i].prefix);
		if (strlen(h) != algos[i].len || strspn(h, "0123456789abcdef") != algos[i].len)
			return false;
		*algo = algos[i].name;
		*hex = h;
		return true;
	}
	return false;
}

char *qn_sbom_abs(const char *path)
{
	return xasprintf("/%s", path);
}

/* RFC 4122 name-based UUID (version 5, SHA-1) in the URL namespace. */
static void uuid5(const char *name, char out[37])
{
	static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		abort();
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	EVP_DigestUpdate(ctx, ns, sizeof(ns));
	EVP_DigestUpdate(ctx, name, strlen(name));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	char *o = out;
	for (int i = 0; i < 16; i++) {
		o += sprintf(o, "%02x", md[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*o++ = '-';
	}
	*o = 0;
}

/* "2026-12-03T19:36:35.401Z" or "...+02:00" -> "2026-12-03T17:36:35Z"; the epoch when absent or
 * unreadable (a dir: source has no config). */
static void utc_time(const char *s, char out[32])
{
	struct tm tm = {0};
	int used = 0;
	long off = 0;
	time_t t = 0;
	if (s && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			&tm.tm_sec, &used) == 6) {
		const char *r = s + used;
		if (*r == '.')
			r += 1 + strspn(r + 1, "0123456789");
		int oh, om;
		if ((r[0] == '+' || r[0] == '-') && sscanf(r + 1, "%2d:%2d", &oh, &om) == 2)
			off = (r[0] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		t = timegm(&tm) - off;
	}
	struct tm g;
	if (t < 0 || !gmtime_r(&t, &g) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &g))
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static char *image_name(const qn_image *img)
{
	if (qn_image_tag(img))
		return xstrdup(qn_image_tag(img));
	static const char *const prefixes[] = {"docker-archive:", "oci-archive:", "oci:", "dir:"};
	const char *r = qn_image_ref(img);
	for (size_t i = 0; i < QN_ARRAY_LEN(prefixes); i++)
		if (qn_str_has_prefix(r, prefixes[i]))
			r += strlen(prefixes[i]);
	_cleanup_free_ char *copy = xstrdup(r);
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = 0;
	return xstrdup(qn_path_base(copy));
}

/* References: the purl, with the metadata location added for every package whose purl repeats
 * (the same npm package in two node_modules folders), and an index if that still repeats. */
static void make_refs(qn_sbom_ctx *c)
{
	qn_strset count = QN_STRSET_INIT, seen = QN_STRSET_INIT;
	char **base = xcalloc(c->n ? c->n : 1, sizeof(char *));
	for (size_t i = 0; i < c->n; i++) {
		const qn_package *p = qn_inventory_get(c->inv, i);
		base[i] = p->purl ? xstrdup(p->purl)
				  : xasprintf("quench:%s/%s@%s", qn_ecosystem_name(p->eco), p->name ? p->name : "",
					      p->version ? p->version : "");
		uintptr_t k = (uintptr_t)qn_strset_get(&count, base[i]);
		qn_strset_put(&count, base[i], (void *)(k + 1));
	}
	for (size_t i = 0; i < c->n; i++) {
		const qn_package *p = qn_inventory_get(c->inv, i);
		if ((uintptr_t)qn_strset_get(&count, base[i]) > 1)
			c->ref[i] = xasprintf("%s|%s", base[i], p->location ? p->location : "");
		else
			c->ref[i] = steal_pointer(&base[i]);
		if (!qn_strset_add(&seen, c->ref[i])) {
			char *r = xasprintf("%s|%zu", c->ref[i], i);
			free(c->ref[i]);
			c->ref[i] = r;
		}
		free(base[i]);
	}
	free(base);
	qn_strset_clear(&count);
	qn_strset_clear(&seen);
}

void qn_sbom_ctx_clear(qn_sbom_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->ref[i]);
		free(c->dep[i]);
	}
	free(c->ref);
	free(c->dep);
	free(c->n_dep);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

void qn_sbom_ctx_init(qn_sbom_ctx *c, const qn_image *img, const qn_inventory *inv, const char *kind)
{
	memset(c, 0, sizeof(*c));
	c->img = img;
	c->inv = inv;
	c->n = qn_inventory_count(inv);
	c->ref = xcalloc(c->n ? c->n : 1, sizeof(char *));
	c->dep = xcalloc(c->n ? c->n : 1, sizeof(size_t *));
	c->n_dep = xcalloc(c->n ? c->n : 1, sizeof(size_t));
	c->name = image_name(img);
	utc_time(qn_json_str(qn_image_config(img), "created"), c->created);
	_cleanup_free_ char *seed = xasprintf("quench:%s:%s", kind, qn_sbom_image_id(img));
	uuid5(seed, c->uuid);
	make_refs(c);
	qn_sbom_resolve_deps(c);
}

/* ---- quench.sbom/v1 ---- */

static json_t *layer_ref(const qn_layer_info *l)
{
	if (!l)
		return json_null();
	json_t *j = json_object();
	qn_json_set_int(j, "index", (long long)l->index);
	qn_json_set_str(j, "digest", l->digest);
	qn_json_set_str(j, "diff_id", l->diff_id);
	qn_json_set_str(j, "created_by", l->created_by);
	return j;
}

static json_t *files_json(const qn_package *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->n_files; i++) {
		json_t *f = json_object();
		_cleanup_free_ char *abs = qn_sbom_abs(p->files[i].path);
		qn_json_set_str(f, "path", abs);
		qn_json_set_int(f, "size", (long long)p->files[i].size);
		qn_json_set_str(f, "digest", p->files[i].digest);
		json_array_append_new(a, f);
	}
	return a;
}

static json_t *depends_json(const qn_package *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->n_deps; i++) {
		json_t *d = json_object();
		qn_json_set_str(d, "name", p->deps[i].name);
		qn_json_set_str(d, "constraint", p->deps[i].version_constraint);
		if (p->deps[i].alternative)
			json_object_set_new(d, "alternative", json_true());
		json_array_append_new(a, d);
	}
	return a;
}

static json_t *package_json(const qn_sbom_ctx *c, size_t i, qn_strset *refs)
{
	const qn_package *p = qn_inventory_get(c->inv, i);
	json_t *j = json_object();
	qn_json_set_str(j, "id", c->ref[i]);
	qn_json_set_str(j, "type", qn_ecosystem_name(p->eco));
	qn_json_set_str(j, "name", p->name);
	qn_json_set_str(j, "version", p->version);
	qn_json_set_str(j, "source_name", p->source_name);
	qn_json_set_str(j, "source_version", p->source_version);
	qn_json_set_str(j, "arch", p->arch);
	qn_json_set_str(j, "license", p->license);
	_cleanup_free_ char *spdx = qn_license_spdx(p->license, refs);
	qn_json_set_str(j, "license_spdx", spdx);
	qn_json_set_str(j, "purl", p->purl);
	qn_json_set_str(j, "namespace", p->namespace_);
	qn_json_set_str(j, "maintainer", p->maintainer);
	qn_json_set_str(j, "description", p->description);
	qn_json_set_str(j, "homepage", p->homepage);
	_cleanup_free_ char *loc = p->location ? qn_sbom_abs(p->location) : NULL;
	qn_json_set_str(j, "location", loc);
	if (p->go_version)
		qn_json_set_str(j, "go_version", p->go_version);
	json_object_set_new(j, "layer", layer_ref(qn_sbom_layer(c, p)));
	json_object_set_new(j, "depends", depends_json(p));
	json_t *prov = json_array();
	for (size_t k = 0; k < p->n_provides; k++)
		json_array_append_new(prov, qn_json_string(p->provides[k]));
	json_object_set_new(j, "provides", prov);
	json_t *deps = json_array();
	for (size_t k = 0; k < c->n_dep[i]; k++)
		json_array_append_new(deps, qn_json_string(c->ref[c->dep[i][k]]));
	json_object_set_new(j, "dependencies", deps);
	json_object_set_new(j, "files", files_json(p));
	return j;
}

static json_t *image_json(const qn_sbom_ctx *c)
{
	json_t *im = json_object();
	qn_json_set_str(im, "ref", qn_image_ref(c->img));
	qn_json_set_str(im, "name", c->name);
	qn_json_set_str(im, "format", qn_image_format_name(qn_image_get_format(c->img)));
	qn_json_set_str(im, "tag", qn_image_tag(c->img));
	qn_json_set_str(im, "manifest_digest", qn_image_manifest_digest(c->img));
	qn_json_set_str(im, "config_digest", qn_image_config_digest(c->img));
	qn_json_set_str(im, "platform", qn_image_platform(c->img));
	qn_json_set_str(im, "created", qn_json_str(qn_image_config(c->img), "created"));
	return im;
}

json_t *qn_sbom_os_json(const qn_os_info *os)
{
	if (!os || (!os->id && !os->pretty_name))
		return json_null();
	json_t *j = json_object();
	qn_json_set_str(j, "id", os->id);
	qn_json_set_str(j, "version_id", os->version_id);
	qn_json_set_str(j, "version_codename", os->version_codename);
	qn_json_set_str(j, "pretty_name", os->pretty_name);
	qn_json_set_str(j, "id_like", os->id_like);
	_cleanup_free_ char *src = os->source ? qn_sbom_abs(os->source) : NULL;
	qn_json_set_str(j, "source", src);
	return j;
}

json_t *qn_report_sbom(const qn_image *img, const qn_inventory *inv)
{
	qn_sbom_ctx c;
	qn_sbom_ctx_init(&c, img, inv, "quench");
	json_t *doc = json_object();
	qn_json_set_str(doc, "schema", "quench.sbom/v1");
	json_object_set_new(doc, "image", image_json(&c));
	json_object_set_new(doc, "os", qn_sbom_os_json(qn_inventory_os(inv)));
	json_t *layers = json_array();
	for (size_t i = 0; i < qn_image_layer_count(img); i++)
		json_array_append_new(layers, layer_ref(qn_image_layer(img, i)));
	json_object_set_new(doc, "layers", layers);
	qn_strset refs = QN_STRSET_INIT;
	json_t *pkgs = json_array();
	for (size_t i = 0; i < c.n; i++)
		json_array_append_new(pkgs, package_json(&c, i, &refs));
	json_object_set_new(doc, "packages", pkgs);
	qn_license_refs_clear(&refs);
	json_t *w = json_array();
	for (size_t i = 0; i < qn_inventory_warning_count(inv); i++)
		json_array_append_new(w, qn_json_string(qn_inventory_warning(inv, i)));
	json_object_set_new(doc, "warnings", w);
	qn_sbom_ctx_clear(&c);
	return doc;
}
