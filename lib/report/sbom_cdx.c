/* The inventory as a CycloneDX 1.6 JSON BOM (https://cyclonedx.org/docs/1.6/json/):
 *   metadata.component   the image, type "container": name, version = its digest, SHA-256
 *                        hash, and quench:image:* properties (format, reference, digests,
 *                        platform, created)
 *   components[0]        the OS, type "operating-system" (os-release id, VERSION_ID, PRETTY_NAME)
 *   components[1..]      one "library" per package: purl, version, supplier (the maintainer),
 *                        description, licences (licence.c), homepage as a "website" reference,
 *                        quench:package:* and quench:layer:* properties, and its files as nested
 *                        components of type "file" (name = absolute path, recorded hash,
 *                        quench:file:size)
 *   dependencies         image -> OS and language packages, OS -> OS packages, package ->
 *                        the packages its database says it depends on (sbom_deps.c)
 * Everything comes from the inventory in its sorted order, and serialNumber and timestamp from
 * the image (sbom.c), so the output is reproducible. No vulnerabilities, no signatures. */
#include "license.h"
#include "sbom_int.h"

#define OS_REF "quench:os"
#define IMAGE_REF "quench:image"

static void prop(json_t *props, const char *name, const char *value)
{
	if (value)
		json_array_append_new(props, json_pack("{s:s,s:o}", "name", name, "value", qn_json_string(value)));
}

static void prop_int(json_t *props, const char *name, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	prop(props, name, buf);
}

static void set_props(json_t *obj, json_t *props)
{
	if (json_array_size(props))
		json_object_set_new(obj, "properties", props);
	else
		json_decref(props);
}

static json_t *hash_array(const char *digest)
{
	const char *algo, *hex;
	if (!qn_sbom_digest(digest, &algo, &hex))
		return NULL;
	return json_pack("[{s:s,s:s}]", "alg", algo, "content", hex);
}

static json_t *file_component(const qn_pkg_file *f)
{
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("file"));
	_cleanup_free_ char *abs = qn_sbom_abs(f->path);
	qn_json_set_str(j, "name", abs);
	json_t *h = hash_array(f->digest);
	if (h)
		json_object_set_new(j, "hashes", h);
	json_t *props = json_array();
	prop_int(props, "quench:file:size", (long long)f->size);
	set_props(j, props);
	return j;
}

static json_t *package_props(const qn_sbom_ctx *c, const qn_package *p)
{
	json_t *props = json_array();
	prop(props, "quench:package:type", qn_ecosystem_name(p->eco));
	prop(props, "quench:package:source_name", p->source_name);
	prop(props, "quench:package:source_version", p->source_version);
	prop(props, "quench:package:arch", p->arch);
	prop(props, "quench:package:license_declared", p->license);
	_cleanup_free_ char *loc = p->location ? qn_sbom_abs(p->location) : NULL;
	prop(props, "quench:package:location", loc);
	prop(props, "quench:package:go_version", p->go_version);
	const qn_layer_info *l = qn_sbom_layer(c, p);
	if (l) {
		prop_int(props, "quench:layer:index", (long long)l->index);
		prop(props, "quench:layer:diff_id", l->diff_id);
		prop(props, "quench:layer:digest", l->digest);
		prop(props, "quench:layer:created_by", l->created_by);
	}
	return props;
}

static json_t *package_component(const qn_sbom_ctx *c, size_t i)
{
	const qn_package *p = qn_inventory_get(c->inv, i);
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("library"));
	json_object_set_new(j, "bom-ref", qn_json_string(c->ref[i]));
	if (p->maintainer && *p->maintainer)
		json_object_set_new(j, "supplier", json_pack("{s:o}", "name", qn_json_string(p->maintainer)));
	if (p->eco == QN_ECO_MAVEN && p->namespace_)
		qn_json_set_str(j, "group", p->namespace_);
	qn_json_set_str(j, "name", p->name ? p->name : "");
	if (p->version)
		qn_json_set_str(j, "version", p->version);
	if (p->description && *p->description)
		qn_json_set_str(j, "description", p->description);
	json_t *lic = qn_license_cdx(p->license);
	if (lic)
		json_object_set_new(j, "licenses", lic);
	if (p->purl)
		qn_json_set_str(j, "purl", p->purl);
	const char *url = qn_sbom_url(p->homepage);
	if (url)
		json_object_set_new(j, "externalReferences", json_pack("[{s:s,s:s}]", "type", "website", "url", url));
	set_props(j, package_props(c, p));
	if (p->n_files) {
		json_t *files = json_array();
		for (size_t k = 0; k < p->n_files; k++)
			json_array_append_new(files, file_component(&p->files[k]));
		json_object_set_new(j, "components", files);
	}
	return j;
}

static json_t *os_component(const qn_os_info *os)
{
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("operating-system"));
	json_object_set_new(j, "bom-ref", json_string(OS_REF));
	qn_json_set_str(j, "name", os->id ? os->id : "unknown");
	if (os->version_id)
		qn_json_set_str(j, "version", os->version_id);
	if (os->pretty_name)
		qn_json_set_str(j, "description", os->pretty_name);
	json_t *props = json_array();
	prop(props, "quench:os:version_codename", os->version_codename);
	prop(props, "quench:os:id_like", os->id_like);
	_cleanup_free_ char *src = os->source ? qn_sbom_abs(os->source) : NULL;
	prop(props, "quench:os:source", src);
	set_props(j, props);
	return j;
}

static json_t *image_component(const qn_sbom_ctx *c)
{
	const qn_image *img = c->img;
	const char *id = qn_image_manifest_digest(img) ? qn_image_manifest_digest(img) : qn_image_config_digest(img);
	json_t *j = json_object();
	json_object_set_new(j, "type", json_string("container"));
	json_object_set_new(j, "bom-ref", json_string(IMAGE_REF));
	qn_json_set_str(j, "name", c->name);
	if (id)
		qn_json_set_str(j, "version", id);
	json_t *h = hash_array(id);
	if (h)
		json_object_set_new(j, "hashes", h);
	json_t *props = json_array();
	prop(props, "quench:image:format", qn_image_format_name(qn_image_get_format(img)));
	prop(props, "quench:image:ref", qn_image_ref(img));
	prop(props, "quench:image:tag", qn_image_tag(img));
	prop(props, "quench:image:manifest_digest", qn_image_manifest_digest(img));
	prop(props, "quench:image:config_digest", qn_image_config_digest(img));
	prop(props, "quench:image:platform", qn_image_platform(img));
	prop(props, "quench:image:created", qn_json_str(qn_image_config(img), "created"));
	for (size_t i = 0; i < qn_image_layer_count(img); i++) {
		const qn_layer_info *l = qn_image_layer(img, i);
		char name[48];
		snprintf(name, sizeof(name), "quench:image:layer:%zu:diff_id", i);
		prop(props, name, l->diff_id);
	}
	set_props(j, props);
	return j;
}

static json_t *dependency(const char *ref, json_t *on)
{
	return json_pack("{s:o,s:o}", "ref", qn_json_string(ref), "dependsOn", on);
}

static json_t *dependencies(const qn_sbom_ctx *c, bool have_os)
{
	json_t *deps = json_array(), *image_on = json_array(), *os_on = json_array();
	if (have_os)
		json_array_append_new(image_on, json_string(OS_REF));
	for (size_t i = 0; i < c->n; i++) {
		const qn_package *p = qn_inventory_get(c->inv, i);
		json_array_append_new(have_os && qn_sbom_is_os_pkg(p) ? os_on : image_on, qn_json_string(c->ref[i]));
	}
	json_array_append_new(deps, dependency(IMAGE_REF, image_on));
	if (have_os)
		json_array_append_new(deps, dependency(OS_REF, os_on));
	else
		json_decref(os_on);
	for (size_t i = 0; i < c->n; i++) {
		json_t *on = json_array();
		for (size_t k = 0; k < c->n_dep[i]; k++)
			json_array_append_new(on, qn_json_string(c->ref[c->dep[i][k]]));
		json_array_append_new(deps, dependency(c->ref[i], on));
	}
	return deps;
}

static json_t *metadata(const qn_sbom_ctx *c)
{
	json_t *tool = json_pack("{s:s,s:s,s:s}", "type", "application", "name", "quench", "version", QN_VERSION);
	json_t *m = json_object();
	qn_json_set_str(m, "timestamp", c->created);
	json_object_set_new(m, "tools", json_pack("{s:[o]}", "components", tool));
	json_object_set_new(m, "component", image_component(c));
	return m;
}

json_t *qn_report_cyclonedx(const qn_image *img, const qn_inventory *inv)
{
	qn_sbom_ctx c;
	qn_sbom_ctx_init(&c, img, inv, "cyclonedx");
	const qn_os_info *os = qn_inventory_os(inv);
	bool have_os = os->id || os->pretty_name;
	json_t *doc = json_object();
	qn_json_set_str(doc, "bomFormat", "CycloneDX");
	qn_json_set_str(doc, "specVersion", "1.6");
	_cleanup_free_ char *serial = xasprintf("urn:uuid:%s", c.uuid);
	qn_json_set_str(doc, "serialNumber", serial);
	qn_json_set_int(doc, "version", 1);
	json_object_set_new(doc, "metadata", metadata(&c));
	json_t *comps = json_array();
	if (have_os)
		json_array_append_new(comps, os_component(os));
	for (size_t i = 0; i < c.n; i++)
		json_array_append_new(comps, package_component(&c, i));
	json_object_set_new(doc, "components", comps);
	json_object_set_new(doc, "dependencies", dependencies(&c, have_os));
	qn_sbom_ctx_clear(&c);
	return doc;
}
