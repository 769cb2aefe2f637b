/* Unit tests: the image writer — every output format reads back through the image reader with
 * the same files and config, the same spec gives the same bytes, and a failed write leaves
 * nothing behind. */
#include <sys/stat.h>

#include "image/writer.h"
#include "quench/tree.h"
#include "tap.h"
#include "util/json.h"

static qn_write_entry entries0[] = {
    {.path = "etc", .type = QN_TAR_DIR, .mode = 0755, .mtime = 1700000000},
    {.path = "etc/hostname",
     .type = QN_TAR_REG,
     .mode = 0644,
     .size = 4,
     .data = (const unsigned char *)"box\n",
     .mtime = 1700000000},
    {.path = "bin", .type = QN_TAR_SYMLINK, .mode = 0777, .link = "usr/bin"},
    {.path = "tmp", .type = QN_TAR_DIR, .mode = 01777},
};
static qn_write_entry entries1[] = {
    {.path = "srv", .type = QN_TAR_DIR, .mode = 0750, .uid = 65534, .gid = 65534},
    {.path = "srv/app", .type = QN_TAR_REG, .mode = 04755, .size = 3, .data = (const unsigned char *)"app"},
    {.path = "srv/app2",
     .type = QN_TAR_REG,
     .mode = 04755,
     .size = 3,
     .data = (const unsigned char *)"app",
     .hardlink = "srv/app"},
};

static void spec_init(qn_write_spec *s, qn_write_layer *layers, json_t *cfg, qn_image_format f, const char *out)
{
	layers[0] = (qn_write_layer){entries0, QN_ARRAY_LEN(entries0), "base", NULL};
	layers[1] = (qn_write_layer){entries1, QN_ARRAY_LEN(entries1), "app", "hardened"};
	*s = (qn_write_spec){.format = f, .out = out, .tag = "test:1", .config = cfg, .layers = layers, .n_layers = 2};
}

static json_t *config(void)
{
	return json_loads("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[\"/srv/app\"],"
			  "\"User\":\"65534\",\"ExposedPorts\":{\"8000/tcp\":{}}}}",
			  0, NULL);
}

static void read_back(const char *ref)
{
	qn_error *err = NULL;
	qn_image *img = qn_image_open(ref, NULL, &err);
	CHECK(img != NULL);
	if (!img) {
		printf("# %s\n", err->msg);
		qn_error_free(err);
		return;
	}
	const json_t *c = json_object_get(qn_image_config(img), "config");
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Entrypoint"), 0)), "/srv/app");
	CHECK_INT(qn_image_layer_count(img), 2);
	qn_tree *t = qn_tree_build(img, NULL, &err);
	CHECK(t != NULL);
	if (t) {
		const qn_node *n = qn_tree_lookup(t, "srv/app2");
		CHECK(n && n->type == QN_NODE_REG && n->mode == 04755 && n->size == 3 && n->layer == 1);
		CHECK(n && n->hardlink && !strcmp(n->hardlink, "srv/app"));
		n = qn_tree_lookup(t, "tmp");
		CHECK(n && n->mode == 01777);
		n = qn_tree_lookup(t, "srv");
		CHECK(n && n->uid == 65534);
		n = qn_tree_lookup(t, "bin");
		CHECK(n && n->type == QN_NODE_SYMLINK && !strcmp(n->link, "usr/bin"));
		CHECK_STR(qn_image_layer(img, 1)->created_by, "app");
	} else {
		printf("# %s\n", err->msg);
		qn_error_free(err);
	}
	qn_tree_free(t);
	qn_image_free(img);
}

static char *slurp(const char *path, size_t *n)
{
	return qn_read_file(path, 1 << 24, n, NULL);
}

static void test_formats_roundtrip(void)
{
	json_t *cfg = config();
	qn_write_layer layers[2];
	qn_write_spec s;
	qn_write_result r;
	static const struct {
		qn_image_format f;
		const char *out, *ref;
	} cases[] = {
	    {QN_FMT_OCI_LAYOUT, "layout", "oci:layout:test:1"},
	    {QN_FMT_OCI_ARCHIVE, "img.oci.tar", "oci-archive:img.oci.tar"},
	    {QN_FMT_DOCKER_ARCHIVE, "img.docker.tar", "docker-archive:img.docker.tar"},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(cases); i++) {
		spec_init(&s, layers, cfg, cases[i].f, cases[i].out);
		qn_error *err = NULL;
		CHECK_INT(qn_image_write(&s, &r, &err), 0);
		if (err)
			printf("# %s\n", err->msg);
		qn_error_free(err);
		read_back(cases[i].ref);
	}
	json_decref(cfg);
}

static void test_deterministic(void)
{
	json_t *cfg = config();
	qn_write_layer layers[2];
	qn_write_spec s;
	qn_write_result r1, r2;
	spec_init(&s, layers, cfg, QN_FMT_OCI_ARCHIVE, "a.tar");
	CHECK_INT(qn_image_write(&s, &r1, NULL), 0);
	spec_init(&s, layers, cfg, QN_FMT_OCI_ARCHIVE, "b.tar");
	CHECK_INT(qn_image_write(&s, &r2, NULL), 0);
	CHECK_STR(r1.manifest_digest, r2.manifest_digest);
	size_t na, nb;
	char *a = slurp("a.tar", &na), *b = slurp("b.tar", &nb);
	CHECK(a && b && na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	json_decref(cfg);
}

static void test_failure_leaves_nothing(void)
{
	json_t *cfg = config();
	qn_write_entry bad[] = {{.path = "f", .type = QN_TAR_REG, .mode = 0644, .size = 10, .src_file = "missing"}};
	qn_write_layer layers[1] = {{bad, 1, "x", NULL}};
	qn_write_spec s = {
	    .format = QN_FMT_OCI_ARCHIVE, .out = "out.tar", .config = cfg, .layers = layers, .n_layers = 1};
	qn_write_result r;
	qn_error *err = NULL;
	CHECK(qn_image_write(&s, &r, &err) < 0);
	CHECK(err && strstr(err->msg, "missing"));
	qn_error_free(err);
	CHECK(system("test -z \"$(ls -A)\"") == 0);
	json_decref(cfg);
}

int main(void)
{
	TAP_RUN(test_formats_roundtrip);
	TAP_RUN(test_deterministic);
	TAP_RUN(test_failure_leaves_nothing);
	return tap_done();
}
