/* quench inspect: what is inside an image. Builds the inspect document in the library and
 * prints it as a table (default), as JSON (--json), or lists every file (--tree). */
#include "cli.h"
#include "quench/pkg.h"
#include "quench/report.h"
#include "quench/tree.h"
#include "util/json.h"

static const char *help = "Usage: quench inspect [OPTIONS] IMAGE\n\n"
			  "Show an image's config (Entrypoint, Cmd, Env, WorkingDir, User, ports, volumes, labels,\n"
			  "stop signal, healthcheck), its OS, each layer (digest, compressed and uncompressed size,\n"
			  "entries, created_by), totals and the largest folders. Every blob is verified on the way.\n\n"
			  "Options:\n"
			  "      --json               print the JSON document (see docs/inspect.md)\n"
			  "      --tree               list every file of the merged tree instead:\n"
			  "                           TYPE MODE UID:GID SIZE LAYER PATH [-> TARGET]\n"
			  "      --top N              how many of the largest folders to show (default 10)\n"
			  "  -o, --output FILE        write to FILE (atomically) instead of stdout\n"
			  "  -h, --help               this help\n\n" QN_IMAGE_OPTS_HELP;

static qn_capture capture(void *ud, const char *path, uint64_t size, uint32_t mode)
{
	(void)ud, (void)size, (void)mode;
	return (qn_capture){QN_CAPTURE_WHOLE, qn_os_capture(path), false};
}

static char type_char(qn_node_type t)
{
	switch (t) {
	case QN_NODE_REG:
	case QN_NODE_HARDLINK:
		return 'f';
	case QN_NODE_SYMLINK:
		return 'l';
	case QN_NODE_CHR:
		return 'c';
	case QN_NODE_BLK:
		return 'b';
	case QN_NODE_DIR:
		return 'd';
	case QN_NODE_FIFO:
		return 'p';
	}
	return '?';
}

static int print_node(void *ud, const qn_node *n, const char *path)
{
	FILE *f = ud;
	if (!*path)
		return 0;
	fprintf(f, "%c %04o %u:%u %llu %d /%s", type_char(n->type), n->mode, n->uid, n->gid,
		(unsigned long long)(n->type == QN_NODE_REG ? n->size : 0), n->layer, path);
	if (n->type == QN_NODE_SYMLINK)
		fprintf(f, " -> %s", n->link);
	else if (n->type == QN_NODE_CHR || n->type == QN_NODE_BLK)
		fprintf(f, " %u,%u", n->devmajor, n->devminor);
	fputc('\n', f);
	return 0;
}

static void print_strings(FILE *f, const char *label, const json_t *a, bool one_per_line)
{
	fprintf(f, "%-12s", label);
	if (!json_is_array(a) || json_array_size(a) == 0) {
		fprintf(f, "%s\n", json_is_array(a) ? "[]" : "-");
		return;
	}
	if (one_per_line) {
		size_t i;
		json_t *v;
		json_array_foreach (a, i, v)
			fprintf(f, "%s%s\n", i ? "            " : "", json_string_value(v));
		return;
	}
	_cleanup_free_ char *s = qn_json_dump(a, false);
	fprintf(f, "%s\n", s);
}

static void print_table(FILE *f, const json_t *doc)
{
	const json_t *im = json_object_get(doc, "image"), *cfg = json_object_get(doc, "config");
	const json_t *os = json_object_get(doc, "os");
	char a[16], b[16];
	fprintf(f, "%-12s%s (%s)\n", "Image", qn_json_str(im, "ref"), qn_json_str(im, "format"));
	if (qn_json_str(im, "tag"))
		fprintf(f, "%-12s%s\n", "Tag", qn_json_str(im, "tag"));
	if (qn_json_str(im, "manifest_digest"))
		fprintf(f, "%-12s%s\n", "Manifest", qn_json_str(im, "manifest_digest"));
	if (qn_json_str(im, "config_digest"))
		fprintf(f, "%-12s%s\n", "Config", qn_json_str(im, "config_digest"));
	fprintf(f, "%-12s%s\n", "Platform", qn_json_str(im, "platform"));
	fprintf(f, "%-12s%s\n", "Created", qn_json_str(im, "created") ? qn_json_str(im, "created") : "-");
	if (json_is_object(os))
		fprintf(f, "%-12s%s (%s %s)\n", "OS",
			qn_json_str(os, "pretty_name") ? qn_json_str(os, "pretty_name") : "-",
			qn_json_str(os, "id") ? qn_json_str(os, "id") : "?",
			qn_json_str(os, "version_id") ? qn_json_str(os, "version_id") : "?");
	else
		fprintf(f, "%-12s%s\n", "OS", "unknown (no os-release)");
	fputc('\n', f);
	print_strings(f, "Entrypoint", json_object_get(cfg, "Entrypoint"), false);
	print_strings(f, "Cmd", json_object_get(cfg, "Cmd"), false);
	print_strings(f, "Env", json_object_get(cfg, "Env"), true);
	fprintf(f, "%-12s%s\n", "WorkingDir",
		qn_json_str(cfg, "WorkingDir") && *qn_json_str(cfg, "WorkingDir") ? qn_json_str(cfg, "WorkingDir")
										  : "-");
	fprintf(f, "%-12s%s\n", "User",
		qn_json_str(cfg, "User") && *qn_json_str(cfg, "User") ? qn_json_str(cfg, "User") : "- (root)");
	print_strings(f, "Ports", json_object_get(cfg, "ExposedPorts"), false);
	print_strings(f, "Volumes", json_object_get(cfg, "Volumes"), false);
	const json_t *labels = json_object_get(cfg, "Labels");
	fprintf(f, "%-12s", "Labels");
	if (json_object_size(labels) == 0)
		fprintf(f, "-\n");
	else {
		const char *k;
		json_t *v;
		int i = 0;
		json_object_foreach ((json_t *)labels, k, v)
			fprintf(f, "%s%s=%s\n", i++ ? "            " : "", k, json_string_value(v));
	}
	fprintf(f, "%-12s%s\n", "StopSignal", qn_json_str(cfg, "StopSignal") ? qn_json_str(cfg, "StopSignal") : "-");
	const json_t *hc = json_object_get(cfg, "Healthcheck");
	if (json_is_object(hc)) {
		_cleanup_free_ char *s = qn_json_dump(hc, false);
		fprintf(f, "%-12s%s\n", "Healthcheck", s);
	} else
		fprintf(f, "%-12s-\n", "Healthcheck");

	fprintf(f, "\nLayers\n  %-3s %-19s %10s %12s %7s  %s\n", "#", "DIGEST", "COMPRESSED", "UNCOMPRESSED", "FILES",
		"CREATED BY");
	size_t i;
	json_t *l;
	json_array_foreach (json_object_get(doc, "layers"), i, l) {
		const char *by = qn_json_str(l, "created_by");
		_cleanup_free_ char *q = qn_str_quote(by ? by : "-", 60);
		fprintf(f, "  %-3zu %-19.19s %10s %12s %7lld  %s\n", i, qn_json_str(l, "digest"),
			qn_fmt_size((uint64_t)json_integer_value(json_object_get(l, "size")), a),
			qn_fmt_size((uint64_t)json_integer_value(json_object_get(l, "uncompressed_size")), b),
			json_integer_value(json_object_get(l, "files")), q);
	}
	const json_t *t = json_object_get(doc, "totals");
	fprintf(f, "\nTotal       %lld layers, %s compressed, %s uncompressed\n",
		json_integer_value(json_object_get(t, "layers")),
		qn_fmt_size((uint64_t)json_integer_value(json_object_get(t, "size")), a),
		qn_fmt_size((uint64_t)json_integer_value(json_object_get(t, "uncompressed_size")), b));
	fprintf(f, "Merged tree %lld files, %lld folders, %lld symlinks, %lld other; %s in files\n",
		json_integer_value(json_object_get(t, "files")), json_integer_value(json_object_get(t, "dirs")),
		json_integer_value(json_object_get(t, "symlinks")), json_integer_value(json_object_get(t, "other")),
		qn_fmt_size((uint64_t)json_integer_value(json_object_get(t, "bytes")), a));
	fprintf(f, "\nLargest folders\n  %10s %8s  %s\n", "SIZE", "ENTRIES", "PATH");
	json_array_foreach (json_object_get(doc, "largest_folders"), i, l) {
		_cleanup_free_ char *q = qn_str_quote(qn_json_str(l, "path"), 200);
		fprintf(f, "  %10s %8lld  %s\n",
			qn_fmt_size((uint64_t)json_integer_value(json_object_get(l, "size")), a),
			json_integer_value(json_object_get(l, "entries")), q);
	}
	json_array_foreach (json_object_get(doc, "warnings"), i, l)
		fprintf(f, "warning: %s\n", json_string_value(l));
}

int qn_cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"tree", no_argument, NULL, 't'},
	    {"top", required_argument, NULL, 'T'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    QN_IMAGE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	qn_image_opts io = {0};
	bool json = false, tree_list = false;
	const char *out_path = NULL;
	uint64_t top = 10;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		int r = qn_cli_image_opt("inspect", c, optarg, &io);
		if (r < 0)
			return QN_EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'j':
			json = true;
			break;
		case 't':
			tree_list = true;
			break;
		case 'T':
			if (qn_parse_u64(optarg, &top) < 0)
				return qn_cli_usage_error("inspect", "--top: bad number \"%s\"", optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return QN_EXIT_OK;
		default:
			return qn_cli_usage_error("inspect", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return qn_cli_usage_error("inspect", "expected one IMAGE");
	qn_error *err = NULL;
	qn_image *img = qn_image_open(argv[optind], &io, &err);
	if (!img)
		return qn_cli_fail(err);
	qn_tree_opts to = {.capture = capture};
	qn_tree *tree = qn_tree_build(img, &to, &err);
	if (!tree) {
		qn_error_prefix(&err, "%s", argv[optind]);
		qn_image_free(img);
		return qn_cli_fail(err);
	}
	qn_output out;
	int rc = QN_EXIT_OK;
	if (qn_output_open(&out, out_path, &err) < 0)
		rc = qn_cli_fail(steal_pointer(&err));
	else {
		if (tree_list)
			qn_tree_walk(tree, print_node, out.fp);
		else {
			qn_os_info os = {0};
			qn_os_detect(tree, &os);
			json_t *doc = qn_report_inspect(img, tree, &os, (size_t)top);
			if (json) {
				_cleanup_free_ char *s = qn_json_dump(doc, true);
				fputs(s, out.fp);
			} else
				print_table(out.fp, doc);
			json_decref(doc);
			qn_os_info_clear(&os);
		}
		if (qn_output_close(&out, &err) < 0)
			rc = qn_cli_fail(steal_pointer(&err));
	}
	qn_tree_free(tree);
	qn_image_free(img);
	return rc;
}
