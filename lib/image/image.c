/* Opening images: parses the reference, detects the source type, and validates the config
 * (rootfs.diff_ids against the layers, history against the layers). Format-specific loading
 * lives in image_oci.c and image_docker.c; layer streaming in layers.c. This file does not read
 * layer contents. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image_int.h"

const char *qn_image_format_name(qn_image_format f)
{
	switch (f) {
	case QN_FMT_DOCKER_ARCHIVE:
		return "docker-archive";
	case QN_FMT_OCI_ARCHIVE:
		return "oci-archive";
	case QN_FMT_OCI_LAYOUT:
		return "oci";
	case QN_FMT_DIR:
		return "dir";
	}
	return "unknown";
}

char *qn_host_platform(void)
{
	struct utsname u;
	const char *arch = "amd64", *variant = NULL;
	if (uname(&u) == 0) {
		if (!strcmp(u.machine, "x86_64"))
			arch = "amd64";
		else if (!strcmp(u.machine, "aarch64")) {
			arch = "arm64";
			variant = "v8";
		} else if (qn_str_has_prefix(u.machine, "armv7")) {
			arch = "arm";
			variant = "v7";
		} else if (qn_str_has_prefix(u.machine, "armv6")) {
			arch = "arm";
			variant = "v6";
		} else if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386"))
			arch = "386";
		else if (!strcmp(u.machine, "ppc64le"))
			arch = "ppc64le";
		else if (!strcmp(u.machine, "s390x"))
			arch = "s390x";
		else if (!strcmp(u.machine, "riscv64"))
			arch = "riscv64";
	}
	return variant ? xasprintf("linux/%s/%s", arch, variant) : xasprintf("linux/%s", arch);
}

/* Splits "PATH[:SEL]": the longest prefix that exists on disk wins, so paths containing ':'
 * still work; otherwise the last ':' separates the selector. */
static void split_path_selector(const char *s, char **path, char **sel)
{
	struct stat st;
	if (stat(s, &st) == 0) {
		*path = xstrdup(s);
		*sel = NULL;
		return;
	}
	const char *c = strrchr(s, ':');
	/* docker-archive selectors are NAME:TAG, so try the first ':' that leaves an existing path */
	for (const char *p = strchr(s, ':'); p; p = strchr(p + 1, ':')) {
		char *cand = xstrndup(s, (size_t)(p - s));
		if (stat(cand, &st) == 0) {
			*path = cand;
			*sel = xstrdup(p + 1);
			return;
		}
		free(cand);
	}
	if (c) {
		*path = xstrndup(s, (size_t)(c - s));
		*sel = xstrdup(c + 1);
	} else {
		*path = xstrdup(s);
		*sel = NULL;
	}
}

static int detect(const char *path, qn_image_format *fmt, qn_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return qn_error_errno(err, errno, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_free_ char *layout = xasprintf("%s/oci-layout", path);
		*fmt = access(layout, F_OK) == 0 ? QN_FMT_OCI_LAYOUT : QN_FMT_DIR;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return qn_error_set(err, QN_ERR_INPUT, "%s: not a file or folder", path);
	/* An archive: index it and look at what it holds. */
	qn_store *s = qn_store_open_tar(path, 0, err);
	if (!s)
		return -1;
	if (qn_store_has(s, "oci-layout") && qn_store_has(s, "index.json"))
		*fmt = QN_FMT_OCI_ARCHIVE;
	else if (qn_store_has(s, "manifest.json"))
		*fmt = QN_FMT_DOCKER_ARCHIVE;
	else {
		qn_store_free(s);
		return qn_error_set(
		    err, QN_ERR_INPUT,
		    "%s: neither a docker-archive (no manifest.json) nor an oci-archive (no oci-layout/index.json)",
		    path);
	}
	qn_store_free(s);
	return 0;
}

static int parse_ref(const char *ref, qn_image_format *fmt, char **path, char **sel, qn_error **err)
{
	static const struct {
		const char *prefix;
		qn_image_format fmt;
	} tr[] = {
	    {"docker-archive:", QN_FMT_DOCKER_ARCHIVE},
	    {"oci-archive:", QN_FMT_OCI_ARCHIVE},
	    {"oci:", QN_FMT_OCI_LAYOUT},
	    {"dir:", QN_FMT_DIR},
	};
	for (size_t i = 0; i < QN_ARRAY_LEN(tr); i++) {
		if (qn_str_has_prefix(ref, tr[i].prefix)) {
			*fmt = tr[i].fmt;
			const char *rest = ref + strlen(tr[i].prefix);
			if (!*rest)
				return qn_error_set(err, QN_ERR_USAGE, "%s: missing path", ref);
			if (tr[i].fmt == QN_FMT_DIR) {
				*path = xstrdup(rest);
				*sel = NULL;
			} else
				split_path_selector(rest, path, sel);
			return 0;
		}
	}
	if (qn_str_has_prefix(ref, "docker://") || qn_str_has_prefix(ref, "docker-daemon:"))
		return qn_error_set(err, QN_ERR_USAGE,
				    "%s: registry and daemon sources are not supported by this command yet", ref);
	*path = xstrdup(ref);
	*sel = NULL;
	return detect(ref, fmt, err);
}

qn_image *qn_image_open(const char *ref, const qn_image_opts *opts, qn_error **err)
{
	qn_image_opts dflt = {0};
	if (!opts)
		opts = &dflt;
	qn_image *img = xcalloc(1, sizeof(*img));
	img->ref = xstrdup(ref);
	img->limits = opts->limits;
	if (!img->limits.max_total_size)
		img->limits.max_total_size = QN_DEFAULT_MAX_TOTAL_SIZE;
	if (!img->limits.max_entries)
		img->limits.max_entries = QN_DEFAULT_MAX_ENTRIES;
	if (!img->limits.max_path)
		img->limits.max_path = QN_DEFAULT_MAX_PATH;
	img->threads = opts->threads > 0 ? opts->threads : (int)QN_MAX(1, sysconf(_SC_NPROCESSORS_ONLN));
	_cleanup_free_ char *sel = NULL;
	_cleanup_free_ char *host = qn_host_platform();
	const char *platform = opts->platform ? opts->platform : host;
	int rc = parse_ref(ref, &img->format, &img->path, &sel, err);
	if (rc == 0) {
		switch (img->format) {
		case QN_FMT_OCI_LAYOUT:
			img->store = qn_store_open_dir(img->path, err);
			rc = img->store ? qn_image_load_oci(img, sel, platform, err) : -1;
			break;
		case QN_FMT_OCI_ARCHIVE:
			img->store = qn_store_open_tar(img->path, 0, err);
			rc = img->store ? qn_image_load_oci(img, sel, platform, err) : -1;
			break;
		case QN_FMT_DOCKER_ARCHIVE:
			img->store = qn_store_open_tar(img->path, 0, err);
			rc = img->store ? qn_image_load_docker(img, sel, err) : -1;
			break;
		case QN_FMT_DIR: {
			struct stat st;
			if (stat(img->path, &st) < 0)
				rc = qn_error_errno(err, errno, "%s", img->path);
			else if (!S_ISDIR(st.st_mode))
				rc = qn_error_set(err, QN_ERR_USAGE, "%s: dir: needs a folder", img->path);
			else {
				img->config = json_object();
				img->platform = xstrdup(platform);
				img->n_layers = 1;
				img->layers = xcalloc(1, sizeof(*img->layers));
				img->src = xcalloc(1, sizeof(*img->src));
				img->layers[0].created_by = xasprintf("dir:%s", img->path);
			}
			break;
		}
		}
	}
	if (rc < 0) {
		qn_error_prefix(err, "%s", ref);
		qn_image_free(img);
		return NULL;
	}
	return img;
}

void qn_image_free(qn_image *img)
{
	if (!img)
		return;
	for (size_t i = 0; i < img->n_layers; i++) {
		qn_layer_info *l = &img->layers[i];
		free(l->digest);
		free(l->media_type);
		free(l->diff_id);
		free(l->created_by);
		free(l->created);
		free(l->comment);
		free(img->src[i].blob_name);
	}
	free(img->layers);
	free(img->src);
	qn_store_free(img->store);
	json_decref(img->manifest);
	json_decref(img->config);
	free(img->manifest_digest);
	free(img->config_digest);
	free(img->platform);
	free(img->tag);
	free(img->path);
	free(img->ref);
	free(img);
}

qn_image_format qn_image_get_format(const qn_image *img)
{
	return img->format;
}
const char *qn_image_ref(const qn_image *img)
{
	return img->ref;
}
const char *qn_image_tag(const qn_image *img)
{
	return img->tag;
}
const char *qn_image_manifest_digest(const qn_image *img)
{
	return img->manifest_digest;
}
const char *qn_image_config_digest(const qn_image *img)
{
	return img->config_digest;
}
const json_t *qn_image_config(const qn_image *img)
{
	return img->config;
}
const json_t *qn_image_manifest(const qn_image *img)
{
	return img->manifest;
}
const char *qn_image_platform(const qn_image *img)
{
	return img->platform;
}
size_t qn_image_layer_count(const qn_image *img)
{
	return img->n_layers;
}
const qn_layer_info *qn_image_layer(const qn_image *img, size_t i)
{
	return i < img->n_layers ? &img->layers[i] : NULL;
}
const qn_limits *qn_image_limits(const qn_image *img)
{
	return &img->limits;
}

/* ---- config validation ---- */

static int check_str_array(const json_t *obj, const char *key, qn_error **err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return qn_error_set(err, QN_ERR_INPUT, "config: \"config.%s\" is not an array", key);
	size_t i;
	json_t *e;
	json_array_foreach (v, i, e)
		if (!json_is_string(e))
			return qn_error_set(err, QN_ERR_INPUT, "config: \"config.%s[%zu]\" is not a string", key, i);
	return 0;
}

static int check_types(const json_t *cfg, qn_error **err)
{
	json_t *c = json_object_get(cfg, "config");
	if (c && !json_is_null(c)) {
		if (!json_is_object(c))
			return qn_error_set(err, QN_ERR_INPUT, "config: \"config\" is not an object");
		static const char *arrays[] = {"Entrypoint", "Cmd", "Env", "Shell", "OnBuild"};
		for (size_t i = 0; i < QN_ARRAY_LEN(arrays); i++)
			if (check_str_array(c, arrays[i], err) < 0)
				return -1;
		static const char *strs[] = {"User", "WorkingDir", "StopSignal"};
		for (size_t i = 0; i < QN_ARRAY_LEN(strs); i++) {
			json_t *v = json_object_get(c, strs[i]);
			if (v && !json_is_null(v) && !json_is_string(v))
				return qn_error_set(err, QN_ERR_INPUT, "config: \"config.%s\" is not a string",
						    strs[i]);
		}
		static const char *objs[] = {"ExposedPorts", "Volumes", "Labels", "Healthcheck"};
		for (size_t i = 0; i < QN_ARRAY_LEN(objs); i++) {
			json_t *v = json_object_get(c, objs[i]);
			if (v && !json_is_null(v) && !json_is_object(v))
				return qn_error_set(err, QN_ERR_INPUT, "config: \"config.%s\" is not an object",
						    objs[i]);
		}
		json_t *labels = json_object_get(c, "Labels");
		const char *k;
		json_t *v;
		json_object_foreach (labels, k, v)
			if (!json_is_string(v))
				return qn_error_set(err, QN_ERR_INPUT, "config: label \"%s\" is not a string", k);
	}
	json_t *h = json_object_get(cfg, "history");
	if (h && !json_is_null(h) && !json_is_array(h))
		return qn_error_set(err, QN_ERR_INPUT, "config: \"history\" is not an array");
	return 0;
}

int qn_image_apply_config(qn_image *img, qn_error **err)
{
	const json_t *cfg = img->config;
	if (!json_is_object(cfg))
		return qn_error_set(err, QN_ERR_INPUT, "config: not a JSON object");
	if (check_types(cfg, err) < 0)
		return -1;
	json_t *rootfs = json_object_get(cfg, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	const char *type = qn_json_str(rootfs, "type");
	if (!json_is_object(rootfs) || !json_is_array(ids) || !type || strcmp(type, "layers"))
		return qn_error_set(err, QN_ERR_INPUT,
				    "config: \"rootfs\" must be {\"type\": \"layers\", \"diff_ids\": [...]}");
	if (json_array_size(ids) != img->n_layers)
		return qn_error_set(err, QN_ERR_INPUT, "config lists %zu diff_ids but the manifest has %zu layers",
				    json_array_size(ids), img->n_layers);
	for (size_t i = 0; i < img->n_layers; i++) {
		json_t *v = json_array_get(ids, i);
		if (!json_is_string(v))
			return qn_error_set(err, QN_ERR_INPUT, "config: rootfs.diff_ids[%zu] is not a string", i);
		if (qn_digest_parse(json_string_value(v), &img->src[i].diff_id, err) < 0)
			return qn_error_prefix(err, "config: rootfs.diff_ids[%zu]", i);
		img->layers[i].diff_id = xstrdup(json_string_value(v));
	}
	/* History entries without empty_layer correspond to layers in order. When the counts
	 * disagree the history is not trusted for attribution. */
	json_t *hist = json_object_get(cfg, "history");
	size_t nonempty = 0, i;
	json_t *h;
	json_array_foreach (hist, i, h)
		if (!json_is_true(json_object_get(h, "empty_layer")))
			nonempty++;
	if (nonempty == img->n_layers) {
		size_t li = 0;
		json_array_foreach (hist, i, h) {
			if (json_is_true(json_object_get(h, "empty_layer")))
				continue;
			qn_layer_info *l = &img->layers[li++];
			const char *by = qn_json_str(h, "created_by");
			const char *at = qn_json_str(h, "created");
			const char *co = qn_json_str(h, "comment");
			l->created_by = by ? xstrdup(by) : NULL;
			l->created = at ? xstrdup(at) : NULL;
			l->comment = co ? xstrdup(co) : NULL;
		}
	}
	const char *os = qn_json_str(cfg, "os"), *arch = qn_json_str(cfg, "architecture");
	const char *variant = qn_json_str(cfg, "variant");
	if (!img->platform)
		img->platform = variant ? xasprintf("%s/%s/%s", os ? os : "unknown", arch ? arch : "unknown", variant)
					: xasprintf("%s/%s", os ? os : "unknown", arch ? arch : "unknown");
	return 0;
}

/* Validates a config document the way opening an image would, with as many layers as its
 * diff_ids name (fuzzing and tests). */
int qn_image_check_config(const uint8_t *buf, size_t len, qn_error **err)
{
	json_t *cfg = qn_json_parse(buf, len, QN_MAX_CONFIG_BYTES, "config", err);
	if (!cfg)
		return -1;
	qn_image *img = xcalloc(1, sizeof(*img));
	img->config = cfg;
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	img->n_layers = json_is_array(ids) ? QN_MIN(json_array_size(ids), (size_t)QN_MAX_LAYERS) : 0;
	img->layers = xcalloc(img->n_layers + 1, sizeof(*img->layers));
	img->src = xcalloc(img->n_layers + 1, sizeof(*img->src));
	int rc = qn_image_apply_config(img, err);
	qn_image_free(img);
	return rc;
}
