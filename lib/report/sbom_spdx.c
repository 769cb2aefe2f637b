/* The inventory as an SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/):
 *   SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image     the image package (purpose CONTAINER, SHA256
 *                                                checksum of its manifest or config digest)
 *   SPDXRef-Image CONTAINS SPDXRef-OperatingSystem   the OS (purpose OPERATING_SYSTEM)
 *   SPDXRef-OperatingSystem CONTAINS each dpkg/apk/rpm package, SPDXRef-Image CONTAINS each
 *   language package, and PACKAGE DEPENDS_ON PACKAGE for the dependencies the databases record.
 * Packages carry name, versionInfo, a PACKAGE-MANAGER purl reference, licenseDeclared (a valid
 * SPDX expression; terms that are not SPDX ids become LicenseRef-… declared in
 * hasExtractedLicensingInfos; NOASSERTION when nothing is declared), sourceInfo (source package
 * and version), homepage, summary, and annotations "quench:KEY=VALUE" for the type,
 * architecture, metadata location and the layer that introduced the package. Files are not
 * listed (filesAnalyzed false): SPDX 2.3 wants a SHA-1 for every file, which package databases
 * do not record; quench's JSON and the CycloneDX BOM list them. `created` is the image's
 * creation time and the namespace is derived from the image digest, so output is
 * reproducible. There is no top-level $schema key: the 2.3 schema refuses it. */
#include <ctype.h>

#include "license.h"
#include "sbom_int.h"
#include "util/digest.h"
#include "util/strset.h"

#define TOOL "Tool: quench-" QN_VERSION
#define NOASSERTION "NOASSERTION"

typedef struct {
	qn_sbom_ctx c;
	char **id;      /* SPDXID per package */
	qn_strset refs; /* LicenseRef id -> text */
	json_t *rels;
} spdx_doc;

/* SPDXRef-<type>-<name with other characters as '-'>-<16 hex of the reference's SHA-256>. */
static char *spdx_id(const qn_package *p, const char *ref)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_printf(&b, "SPDXRef-%s-", qn_ecosystem_name(p->eco));
	for (const char *s = p->name ? p->name : ""; *s && b.len < 80; s++)
		qn_buf_addc(&b, isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '-');
	qn_digest d;
	char hex[129];
	qn_digest_buf(QN_DIGEST_SHA256, ref, strlen(ref), &d);
	qn_buf_printf(&b, "-%.16s", qn_digest_hex(&d, hex));
	return qn_buf_steal(&b);
}

static void relate(spdx_doc *d, const char *a, const char *type, const char *b)
{
	json_array_append_new(
	    d->rels, json_pack("{s:s,s:s,s:s}", "spdxElementId", a, "relationshipType", type, "relatedSpdxElement", b));
}

static void note(json_t *anns, const char *created, const char *key, const char *value)
{
	if (!value)
		return;
	_cleanup_free_ char *text = xasprintf("quench:%s=%s", key, value);
	json_array_append_new(anns, json_pack("{s:s,s:s,s:s,s:o}", "annotationDate", created, "annotationType", "OTHER",
					      "annotator", TOOL, "comment", qn_json_string(text)));
}

static json_t *annotations(const spdx_doc *d, const qn_package *p)
{
	json_t *a = json_array();
	const char *cr = d->c.created;
	note(a, cr, "package:type", qn_ecosystem_name(p->eco));
	note(a, cr, "package:arch", p->arch);
	_cleanup_free_ char *loc = p->location ? qn_sbom_abs(p->location) : NULL;
	note(a, cr, "package:location", loc);
	note(a, cr, "package:go_version", p->go_version);
	const qn_layer_info *l = qn_sbom_layer(&d->c, p);
	if (l) {
		char idx[24];
		snprintf(idx, sizeof(idx), "%zu", l->index);
		note(a, cr, "layer:index", idx);
		note(a, cr, "layer:diff_id", l->diff_id);
		note(a, cr, "layer:digest", l->digest);
		note(a, cr, "layer:created_by", l->created_by);
	}
	return a;
}

/* The fields every SPDX package here has. */
static json_t *base_package(const char *id, const char *name, const char *version, const char *purpose)
{
	json_t *j = json_object();
	qn_json_set_str(j, "SPDXID", id);
	qn_json_set_str(j, "name", name ? name : "");
	if (version)
		qn_json_set_str(j, "versionInfo", version);
	qn_json_set_str(j, "downloadLocation", NOASSERTION);
	json_object_set_new(j, "filesAnalyzed", json_false());
	qn_json_set_str(j, "licenseConcluded", NOASSERTION);
	qn_json_set_str(j, "licenseDeclared", NOASSERTION);
	qn_json_set_str(j, "copyrightText", NOASSERTION);
	qn_json_set_str(j, "primaryPackagePurpose", purpose);
	return j;
}

static json_t *package(spdx_doc *d, size_t i)
{
	const qn_package *p = qn_inventory_get(d->c.inv, i);
	json_t *j = base_package(d->id[i], p->name, p->version, "LIBRARY");
	_cleanup_free_ char *lic = qn_license_spdx(p->license, &d->refs);
	if (lic)
		qn_json_set_str(j, "licenseDeclared", lic);
	const char *url = qn_sbom_url(p->homepage);
	if (url)
		qn_json_set_str(j, "homepage", url);
	if (p->source_name) {
		_cleanup_free_ char *src =
		    xasprintf("built package from: %s %s", p->source_name, p->source_version ? p->source_version : "");
		qn_json_set_str(j, "sourceInfo", src);
	}
	if (p->description && *p->description)
		qn_json_set_str(j, "summary", p->description);
	if (p->purl)
		json_object_set_new(j, "externalRefs",
				    json_pack("[{s:s,s:s,s:o}]", "referenceCategory", "PACKAGE-MANAGER",
					      "referenceType", "purl", "referenceLocator", qn_json_string(p->purl)));
	json_object_set_new(j, "annotations", annotations(d, p));
	return j;
}

static json_t *image_package(const spdx_doc *d)
{
	const qn_image *img = d->c.img;
	const char *digest =
	    qn_image_manifest_digest(img) ? qn_image_manifest_digest(img) : qn_image_config_digest(img);
	json_t *j = base_package("SPDXRef-Image", d->c.name, digest, "CONTAINER");
	const char *algo, *hex;
	if (qn_sbom_digest(digest, &algo, &hex) && !strcmp(algo, "SHA-256"))
		json_object_set_new(j, "checksums",
				    json_pack("[{s:s,s:s}]", "algorithm", "SHA256", "checksumValue", hex));
	_cleanup_free_ char *comment =
	    xasprintf("format %s; reference %s; config %s; manifest %s; platform %s",
		      qn_image_format_name(qn_image_get_format(img)), qn_image_ref(img),
		      qn_image_config_digest(img) ? qn_image_config_digest(img) : "none",
		      qn_image_manifest_digest(img) ? qn_image_manifest_digest(img) : "none", qn_image_platform(img));
	qn_json_set_str(j, "comment", comment);
	return j;
}

static json_t *os_package(const qn_os_info *os)
{
	json_t *j =
	    base_package("SPDXRef-OperatingSystem", os->id ? os->id : "unknown", os->version_id, "OPERATING_SYSTEM");
	if (os->pretty_name)
		qn_json_set_str(j, "description", os->pretty_name);
	return j;
}

static json_t *extracted_licences(qn_strset *refs)
{
	size_t n;
	const char **keys = qn_strset_sorted(refs, &n);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *text = qn_strset_get(refs, keys[i]);
		json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "licenseId", keys[i], "extractedText",
						   qn_json_string(text), "name", qn_json_string(text)));
	}
	free(keys);
	return a;
}

static json_t *creation_info(const spdx_doc *d)
{
	return json_pack("{s:s,s:[s],s:s}", "created", d->c.created, "creators", TOOL, "licenseListVersion", "3.29");
}

static void add_packages(spdx_doc *d, json_t *pkgs, bool have_os)
{
	for (size_t i = 0; i < d->c.n; i++) {
		const qn_package *p = qn_inventory_get(d->c.inv, i);
		json_array_append_new(pkgs, package(d, i));
		relate(d, have_os && qn_sbom_is_os_pkg(p) ? "SPDXRef-OperatingSystem" : "SPDXRef-Image", "CONTAINS",
		       d->id[i]);
	}
	for (size_t i = 0; i < d->c.n; i++)
		for (size_t k = 0; k < d->c.n_dep[i]; k++)
			relate(d, d->id[i], "DEPENDS_ON", d->id[d->c.dep[i][k]]);
}

json_t *qn_report_spdx(const qn_image *img, const qn_inventory *inv)
{
	spdx_doc d = {.refs = QN_STRSET_INIT};
	qn_sbom_ctx_init(&d.c, img, inv, "spdx");
	d.id = xcalloc(d.c.n ? d.c.n : 1, sizeof(char *));
	for (size_t i = 0; i < d.c.n; i++)
		d.id[i] = spdx_id(qn_inventory_get(inv, i), d.c.ref[i]);
	d.rels = json_array();
	const qn_os_info *os = qn_inventory_os(inv);
	bool have_os = os->id || os->pretty_name;
	json_t *doc = json_object();
	qn_json_set_str(doc, "spdxVersion", "SPDX-2.3");
	qn_json_set_str(doc, "dataLicense", "CC0-1.0");
	qn_json_set_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
	qn_json_set_str(doc, "name", d.c.name);
	_cleanup_free_ char *ns = xasprintf("https://quench.invalid/spdxdocs/%s", d.c.uuid);
	qn_json_set_str(doc, "documentNamespace", ns);
	json_object_set_new(doc, "creationInfo", creation_info(&d));
	json_t *pkgs = json_array();
	json_array_append_new(pkgs, image_package(&d));
	relate(&d, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
	if (have_os) {
		json_array_append_new(pkgs, os_package(os));
		relate(&d, "SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem");
	}
	add_packages(&d, pkgs, have_os);
	json_object_set_new(doc, "packages", pkgs);
	json_object_set_new(doc, "relationships", d.rels);
	if (qn_strset_count(&d.refs))
		json_object_set_new(doc, "hasExtractedLicensingInfos", extracted_licences(&d.refs));
	qn_license_refs_clear(&d.refs);
	for (size_t i = 0; i < d.c.n; i++)
		free(d.id[i]);
	free(d.id);
	qn_sbom_ctx_clear(&d.c);
	return doc;
}
