/* quench sbom: the inventory of an image as a table, quench's JSON, CycloneDX 1.6 or SPDX 2.3.
 * Reads the image once (the inventory's capture rules keep only package databases, language
 * metadata, archives and Go build info), builds the document in the library and prints it to
 * stdout or writes it atomically to -o FILE. The table is made from the JSON document. */
#include "cli.h"
#include "quench/pkg.h"
#include "quench/report.h"
#include "quench/tree.h"
#include "util/json.h"

static const char *help =
    "Usage: quench sbom [--format table|json|cyclonedx|spdx] [-o FILE] [OPTIONS] IMAGE\n\n"
    "List every package installed in an image: OS packages (dpkg, apk, rpm) and language\n"
    "packages (Python, Node, Java archives, Go binaries), each with its version, source package,\n"
    "architecture, declared licence, purl, files and the layer that introduced it.\n\n"
    "Options:\n"
    "  -f, --format FORMAT      table (default): one line per package (type, name, version,\n"
    "                           source, layer, licence), then the OS and any warnings\n"
    "                           json: quench's own document (docs/sbom.md)\n"
    "                           cyclonedx: CycloneDX 1.6 JSON (image as the root component)\n"
    "                           spdx: SPDX 2.3 JSON (a document describing the image)\n"
    "  -o, --output FILE        write to FILE (atomically: nothing is left on failure)\n"
    "  -h, --help               this help\n\n" QN_IMAGE_OPTS_HELP
    "\nOutput is deterministic: the same image gives the same bytes (timestamps come from the\n"
    "image config, document ids from the image digest).\n"
    "Exit codes: 0 ok, 2 usage or bad input (unreadable or hostile image), 3 runtime failure.\n";

typedef enum { F_TABLE, F_JSON, F_CDX, F_SPDX } sbom_format;

static int parse_format(const char *s, sbom_format *f)
{
	static const struct {
		const char *name;
		sbom_format f;
	} names[] = {{"table", F_TABLE}, {"json", F_JSON}, {"cyclonedx", F_CDX},
		     {"cdx", F_CDX},     {"spdx", F_SPDX}, {"spdx-json", F_SPDX}};
	for (size_t i = 0; i < QN_ARRAY_LEN(names); i++)
		if (!strcmp(s, names[i].name)) {
			*f = names[i].f;
			return 0;
		}
	return -1;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static int width(const json_t *pkgs, const char *key, int cap)
{
	size_t i;
	json_t *p;
	int w = (int)strlen(key);
	json_array_foreach (pkgs, i, p) {
		const char *s = qn_json_str(p, key);
		int n = s ? (int)strlen(s) : 1;
		w = n > w ? n : w;
	}
	return w < cap ? w : cap;
}

static void print_row(FILE *f, const json_t *p, int wn, int wv, int ws)
{
	const json_t *l = json_object_get(p, "layer");
	char layer[24] = "-";
	if (json_is_object(l))
		snprintf(layer, sizeof(layer), "%lld", json_integer_value(json_object_get(l, "index")));
	const char *src = qn_json_str(p, "source_name");
	const char *srcv = qn_json_str(p, "source_version");
	_cleanup_free_ char *source = NULL;
	if (src && strcmp(src, or_dash(qn_json_str(p, "name"))))
		source = xasprintf("%s %s", src, or_dash(srcv));
	else if (srcv && strcmp(srcv, or_dash(qn_json_str(p, "version"))))
		source = xasprintf("%s %s", or_dash(src), srcv);
	_cleanup_free_ char *lic = qn_str_quote(or_dash(qn_json_str(p, "license")), 60);
	fprintf(f, "%-6s %-*s %-*s %-*s %-5s %s\n", qn_json_str(p, "type"), wn, or_dash(qn_json_str(p, "name")), wv,
		or_dash(qn_json_str(p, "version")), ws, or_dash(source), layer, lic);
}

static void print_table(FILE *f, const json_t *doc)
{
	const json_t *pkgs = json_object_get(doc, "packages"), *os = json_object_get(doc, "os");
	int wn = width(pkgs, "name", 48), wv = width(pkgs, "version", 32), ws = 24;
	fprintf(f, "%-6s %-*s %-*s %-*s %-5s %s\n", "TYPE", wn, "NAME", wv, "VERSION", ws, "SOURCE", "LAYER",
		"LICENSE");
	size_t i;
	json_t *p;
	json_array_foreach (pkgs, i, p)
		print_row(f, p, wn, wv, ws);
	fprintf(f, "\n%zu packages", json_array_size(pkgs));
	if (json_is_object(os))
		fprintf(f, "; OS %s (%s %s)\n", or_dash(qn_json_str(os, "pretty_name")), or_dash(qn_json_str(os, "id")),
			or_dash(qn_json_str(os, "version_id")));
	else
		fprintf(f, "; OS unknown (no os-release)\n");
	json_array_foreach (json_object_get(doc, "warnings"), i, p)
		fprintf(f, "warning: %s\n", json_string_value(p));
}

static int parse_args(int argc, char **argv, qn_image_opts *io, sbom_format *fmt, const char **out)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    QN_IMAGE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		int r = qn_cli_image_opt("sbom", c, optarg, io);
		if (r < 0)
			return QN_EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'f':
			if (parse_format(optarg, fmt) < 0)
				return qn_cli_usage_error(
				    "sbom", "--format: want table, json, cyclonedx or spdx, got \"%s\"", optarg);
			break;
		case 'o':
			*out = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return qn_cli_usage_error("sbom", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return qn_cli_usage_error("sbom", "expected one IMAGE");
	return 0;
}

/* json_dumpf writes token by token through stdio's locked fwrite; gather the pieces here. */
typedef struct {
	FILE *fp;
	size_t len;
	char buf[1 << 16];
} dump_buf;

static int dump_piece(const char *p, size_t n, void *ud)
{
	dump_buf *b = ud;
	if (b->len + n > sizeof(b->buf)) {
		if (b->len && fwrite_unlocked(b->buf, 1, b->len, b->fp) != b->len)
			return -1;
		b->len = 0;
		if (n > sizeof(b->buf))
			return fwrite_unlocked(p, 1, n, b->fp) == n ? 0 : -1;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int dump_json(const json_t *doc, FILE *fp)
{
	dump_buf *b = xmalloc(sizeof(*b));
	b->fp = fp;
	b->len = 0;
	int rc = json_dump_callback(doc, dump_piece, b, JSON_INDENT(2) | JSON_ENCODE_ANY);
	if (rc == 0 && b->len && fwrite_unlocked(b->buf, 1, b->len, fp) != b->len)
		rc = -1;
	free(b);
	return rc;
}

static int write_doc(const char *out_path, sbom_format fmt, const qn_image *img, const qn_inventory *inv)
{
	json_t *doc = fmt == F_CDX    ? qn_report_cyclonedx(img, inv)
		      : fmt == F_SPDX ? qn_report_spdx(img, inv)
				      : qn_report_sbom(img, inv);
	qn_error *err = NULL;
	qn_output out;
	int rc = QN_EXIT_OK;
	if (qn_output_open(&out, out_path, &err) < 0)
		rc = qn_cli_fail(steal_pointer(&err));
	else {
		if (fmt == F_TABLE)
			print_table(out.fp, doc);
		else if (dump_json(doc, out.fp) == 0)
			fputc('\n', out.fp); /* streamed: a CycloneDX BOM with every file is megabytes */
		if (qn_output_close(&out, &err) < 0)
			rc = qn_cli_fail(steal_pointer(&err));
	}
	json_decref(doc);
	return rc;
}

int qn_cmd_sbom(int argc, char **argv)
{
	qn_image_opts io = {0};
	sbom_format fmt = F_TABLE;
	const char *out_path = NULL;
	int rc = parse_args(argc, argv, &io, &fmt, &out_path);
	if (rc)
		return rc < 0 ? QN_EXIT_OK : rc;
	const char *ref = argv[optind];
	qn_error *err = NULL;
	qn_image *img = qn_image_open(ref, &io, &err);
	if (!img)
		return qn_cli_fail(err);
	qn_tree_opts to = {.capture = qn_inventory_capture};
	qn_tree *tree = qn_tree_build(img, &to, &err);
	qn_inventory *inv = tree ? qn_inventory_build(tree, &err) : NULL;
	qn_tree_free(tree); /* the inventory keeps copies of what it needs */
	if (!inv) {
		qn_error_prefix(&err, "%s", ref);
		rc = qn_cli_fail(err);
	} else
		rc = write_doc(out_path, fmt, img, inv);
	qn_inventory_free(inv);
	qn_image_free(img);
	return rc;
}
