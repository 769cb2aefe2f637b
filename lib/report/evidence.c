/* The evidence bundle: writing it (every file into a temporary folder beside the target, renamed
 * into place at the end, so a failure leaves nothing) and checking it (signature, the statement
 * against the signed payload, every file's sha256, and no file that is not listed).
 *
 * This file assembles documents the other evidence files build; it does not decide what they
 * say. See docs/evidence.md for the layout and docs/attestation.md for the statement. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evidence_int.h"
#include "methodology_text.h"
#include "quench/image.h"
#include "quench/pkg.h"
#include "quench/report.h"
#include "quench/tree.h"
#include "util/digest.h"
#include "util/json.h"
#include "util/path.h"

#define MAX_FILE (256u << 20) /* a bundle file larger than this is refused when checking */

const char *const qn_ev_files[] = {
    "report.json",
    "report.html",
    "sbom-original.cdx.json",
    "sbom-hardened.cdx.json",
    "sbom-original.spdx.json",
    "sbom-hardened.spdx.json",
    "vex.openvex.json",
    "compliance.json",
    "methodology.md",
    "attestation.intoto.json",
    "attestation.dsse.json",
};
const size_t qn_ev_n_files = QN_ARRAY_LEN(qn_ev_files);

const char *qn_methodology_text(void)
{
	return qn_methodology_fixed;
}

static void sev_line(qn_buf *b, const char *label, const json_t *counts)
{
	static const char *const sev[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
	qn_buf_printf(b, "| %s |", label);
	for (size_t i = 0; i < QN_ARRAY_LEN(sev); i++)
		qn_buf_printf(b, " %lld |", qn_ev_int(counts, sev[i], 0));
	qn_buf_printf(b, " %lld |\n", qn_ev_int(counts, "total", 0));
}

char *qn_methodology_md(const json_t *v, const json_t *h)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, qn_methodology_fixed);
	qn_buf_adds(&b, "\n## This run\n");
	qn_buf_printf(&b, "- Original: `%s` (%s)\n", qn_ev_str(v, "original.ref", "?"),
		      qn_ev_str(v, "original.digest", qn_ev_str(v, "original.config_digest", "no digest")));
	qn_buf_printf(&b, "- Hardened: `%s` (%s)\n", qn_ev_str(v, "hardened.ref", "?"),
		      qn_ev_str(v, "hardened.digest", qn_ev_str(v, "hardened.config_digest", "no digest")));
	qn_buf_printf(&b, "- Verification: %s; %zu probes; interface %s; %zu lookups missing in the hardened image\n",
		      qn_ev_bool(v, "ok") == 1 ? "passed" : "FAILED", json_array_size(qn_ev_arr(v, "probes")),
		      qn_ev_bool(v, "interface.ok") == 1 ? "unchanged" : "changed",
		      json_array_size(qn_ev_arr(v, "missing_paths")));
	qn_buf_printf(&b, "- Packages: %zu kept, %zu trimmed, %zu removed; paths: %lld kept, %lld removed\n",
		      json_array_size(qn_ev_arr(v, "packages.kept")), json_array_size(qn_ev_arr(v, "packages.trimmed")),
		      json_array_size(qn_ev_arr(v, "packages.removed")), qn_ev_int(v, "paths.kept", 0),
		      qn_ev_int(v, "paths.removed", 0));
	if (json_is_object(h))
		qn_buf_printf(&b,
			      "- Profile: %lld paths recorded (%lld by fanotify, %lld by ptrace), %lld in the image; "
			      "stopped by %s\n",
			      qn_ev_int(h, "profile.paths_recorded", 0), qn_ev_int(h, "profile.fanotify_paths", 0),
			      qn_ev_int(h, "profile.ptrace_paths", 0), qn_ev_int(h, "profile.paths_in_image", 0),
			      qn_ev_str(h, "profile.stopped_by", "?"));
	else
		qn_buf_adds(&b, "- Profile: no harden report was given, so the profile figures are not part of this "
				"bundle\n");
	const json_t *c = qn_ev_get(v, "cves");
	if (!json_is_object(c)) {
		qn_buf_adds(&b, "- CVEs: no vulnerability database was given (--db); no CVE delta\n");
		return qn_buf_steal(&b);
	}
	size_t i;
	json_t *s;
	json_array_foreach (qn_ev_arr(c, "db.sources"), i, s)
		qn_buf_printf(&b, "- Database source: %s (%s), data of %s, %lld records\n", qn_ev_str(s, "name", "?"),
			      qn_ev_str(s, "url", "no URL"), qn_ev_str(s, "fetched_at", qn_ev_str(s, "data_date", "?")),
			      qn_ev_int(s, "records", 0));
	qn_buf_adds(&b, "\n| CVE findings | CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN | total |\n"
			"|---|---|---|---|---|---|---|\n");
	sev_line(&b, "before, base", qn_ev_get(c, "before.base"));
	sev_line(&b, "before, app", qn_ev_get(c, "before.app"));
	sev_line(&b, "after, base", qn_ev_get(c, "after.base"));
	sev_line(&b, "after, app", qn_ev_get(c, "after.app"));
	if (qn_ev_int(c, "before.unknown.total", 0) || qn_ev_int(c, "after.unknown.total", 0)) {
		sev_line(&b, "before, unknown layer", qn_ev_get(c, "before.unknown"));
		sev_line(&b, "after, unknown layer", qn_ev_get(c, "after.unknown"));
	}
	qn_buf_printf(&b, "\n%zu findings left with removed packages; %zu remain; %zu unexplained; %zu new.\n",
		      json_array_size(qn_ev_arr(c, "removed")), json_array_size(qn_ev_arr(c, "remaining")),
		      json_array_size(qn_ev_arr(c, "unexplained")), json_array_size(qn_ev_arr(c, "added")));
	return qn_buf_steal(&b);
}

/* ---- writing ---- */

typedef struct {
	char *tmp;     /* the temporary folder */
	json_t *files; /* [{name, sha256, size}] in writing order */
} writer;

static int put(writer *w, const char *name, const void *data, size_t len, qn_error **err)
{
	_cleanup_free_ char *path = qn_path_join(w->tmp, name);
	if (qn_write_file_atomic(path, data, len, 0644, err) < 0)
		return -1;
	char dg[72];
	qn_ev_sha256(data, len, dg);
	json_array_append_new(w->files,
			      json_pack("{s:s,s:s,s:I}", "name", name, "sha256", dg, "size", (json_int_t)len));
	return 0;
}

static int put_json(writer *w, const char *name, const json_t *doc, qn_error **err)
{
	_cleanup_free_ char *s = qn_json_dump(doc, true);
	return put(w, name, s, strlen(s), err);
}

/* The subject digest: given, else the hardened manifest digest from verify, else its config. */
static const char *subject_digest(const qn_evidence_inputs *in)
{
	if (in->subject_digest)
		return in->subject_digest;
	const char *d = qn_ev_str(in->verify, "hardened.digest", NULL);
	return d ? d : qn_ev_str(in->verify, "hardened.config_digest", NULL);
}

static int check_inputs(const qn_evidence_inputs *in, qn_error **err)
{
	const char *schema = qn_ev_str(in->verify, "schema", NULL);
	if (!json_is_object(in->verify) || !schema || !qn_str_has_prefix(schema, "quench.verify/"))
		return qn_error_set(err, QN_ERR_INPUT,
				    "evidence: the verify document has no \"quench.verify/...\" schema");
	for (int i = 0; i < 2; i++)
		if (!json_is_object(in->cdx[i]) || !json_is_object(in->spdx[i]))
			return qn_error_set(err, QN_ERR_USAGE, "evidence: the SBOMs of both images are required");
	const char *d = subject_digest(in);
	qn_digest dg;
	if (!d || qn_digest_parse(d, &dg, NULL) < 0 || dg.algo != QN_DIGEST_SHA256)
		return qn_error_set(err, QN_ERR_INPUT, "evidence: the hardened image has no sha256 digest (got %s)",
				    d ? d : "none");
	if (in->key && !qn_key_has_private(in->key))
		return qn_error_set(err, QN_ERR_USAGE, "evidence: --key must be a private key");
	return 0;
}

static json_t *report_doc(const qn_evidence_inputs *in)
{
	bool ok = qn_ev_bool(in->verify, "ok") == 1;
	return json_pack("{s:s,s:s,s:b,s:s,s:O,s:O}", "schema", "quench.evidence/v1", "quench_version", QN_VERSION,
			 "ok", ok, "status", ok ? "passed" : "failed", "verify", in->verify, "harden",
			 in->harden ? in->harden : json_null());
}

static int write_all(writer *w, const qn_evidence_inputs *in, qn_error **err)
{
	const json_t *v = in->verify;
	_cleanup_json_ json_t *report = report_doc(in);
	_cleanup_free_ char *name =
	    xstrdup(in->subject_name ? in->subject_name : qn_ev_str(v, "hardened.ref", "image"));
	_cleanup_free_ char *purl = qn_oci_purl(name, subject_digest(in));
	qn_vex_opts vo = {.product_purl = purl, .timestamp = in->timestamp};
	qn_error *verr = NULL;
	_cleanup_json_ json_t *vex = qn_vex_build(v, &vo, &verr);
	if (verr)
		return qn_error_prefix(&verr, "vex"), *err = verr, -1;
	_cleanup_json_ json_t *comp = qn_compliance_build(v, in->key != NULL);
	_cleanup_free_ char *meth = qn_methodology_md(v, in->harden);
	_cleanup_free_ char *html = qn_report_html(report, comp, meth);
	if (put_json(w, "report.json", report, err) < 0 || put(w, "report.html", html, strlen(html), err) < 0 ||
	    put_json(w, "sbom-original.cdx.json", in->cdx[0], err) < 0 ||
	    put_json(w, "sbom-hardened.cdx.json", in->cdx[1], err) < 0 ||
	    put_json(w, "sbom-original.spdx.json", in->spdx[0], err) < 0 ||
	    put_json(w, "sbom-hardened.spdx.json", in->spdx[1], err) < 0 ||
	    (vex && put_json(w, "vex.openvex.json", vex, err) < 0) || put_json(w, "compliance.json", comp, err) < 0 ||
	    put(w, "methodology.md", meth, strlen(meth), err) < 0)
		return -1;

	json_t *pred = qn_attest_predicate(in);
	json_t *bundle = json_object();
	json_object_set(bundle, "files", w->files);
	qn_json_set_str(bundle, "vex", vex ? "vex.openvex.json" : NULL);
	if (!vex)
		qn_json_set_str(bundle, "vex_note",
				"no CVE left the image with a removed package, so there is no "
				"OpenVEX statement to make");
	json_object_set_new(pred, "bundle", bundle);
	_cleanup_json_ json_t *st = qn_attest_statement(name, subject_digest(in), pred);
	_cleanup_free_ char *payload = qn_json_dump(st, true);
	_cleanup_json_ json_t *env =
	    qn_dsse_envelope(QN_INTOTO_PAYLOAD_TYPE, (const uint8_t *)payload, strlen(payload), in->key, err);
	if (!env)
		return -1;
	_cleanup_free_ char *tmp = qn_path_join(w->tmp, "attestation.intoto.json");
	if (qn_write_file_atomic(tmp, payload, strlen(payload), 0644, err) < 0)
		return -1;
	_cleanup_free_ char *es = qn_json_dump(env, true);
	_cleanup_free_ char *ep = qn_path_join(w->tmp, "attestation.dsse.json");
	return qn_write_file_atomic(ep, es, strlen(es), 0644, err);
}

/* Whether path is absent (1), an empty folder (0, to be replaced) or something else (-1). */
static int target_state(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 1 : -1;
	if (!S_ISDIR(st.st_mode))
		return -1;
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	int state = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			state = -1;
	closedir(d);
	return state;
}

int qn_evidence_write(const char *dir_arg, const qn_evidence_inputs *in, qn_error **err)
{
	if (!in || check_inputs(in, err) < 0)
		return -1;
	/* "out/" names the folder out: the temporary folder goes beside it, not inside */
	_cleanup_free_ char *dir = xstrdup(dir_arg);
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = 0;
	if (!*dir || !strcmp(dir, "/") || !strcmp(qn_path_base(dir), ".") || !strcmp(qn_path_base(dir), ".."))
		return qn_error_set(err, QN_ERR_USAGE, "%s: not a folder name for a bundle", dir_arg);
	if (target_state(dir) < 0)
		return qn_error_set(err, QN_ERR_USAGE, "%s: exists and is not an empty folder", dir);
	_cleanup_free_ char *parent = qn_path_dir(dir);
	_cleanup_free_ char *tmpl = xasprintf("%s%s.%s.XXXXXX", parent, *parent ? "/" : "", qn_path_base(dir));
	if (dir[0] == '/' && !*parent) {
		free(tmpl);
		tmpl = xasprintf("/.%s.XXXXXX", qn_path_base(dir));
	}
	if (!mkdtemp(tmpl))
		return qn_error_errno(err, errno, "%s: cannot make a temporary folder beside it", dir);
	qn_cleanup_register(tmpl);
	writer w = {.tmp = tmpl, .files = json_array()};
	int rc = write_all(&w, in, err);
	if (rc == 0 && chmod(tmpl, 0755) < 0)
		rc = qn_error_errno(err, errno, "%s", tmpl);
	if (rc == 0 && rename(tmpl, dir) < 0)
		rc = qn_error_errno(err, errno, "%s: cannot move the bundle into place", dir);
	if (rc < 0) {
		qn_rm_rf(tmpl);
		qn_error_prefix(err, "%s", dir);
	}
	qn_cleanup_unregister(tmpl);
	json_decref(w.files);
	return rc;
}

/* The image config's "created" in UTC ("...Z"), or NULL. */
static char *created_utc(const qn_image *img)
{
	const char *s = qn_json_str(qn_image_config(img), "created");
	struct tm tm = {0};
	int used = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &used) != 6)
		return NULL;
	const char *r = s + used;
	if (*r == '.')
		r += 1 + strspn(r + 1, "0123456789");
	long off = 0;
	int oh, om;
	if ((r[0] == '+' || r[0] == '-') && sscanf(r + 1, "%2d:%2d", &oh, &om) == 2)
		off = (r[0] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm) - off;
	struct tm g;
	char out[32];
	if (t < 0 || !gmtime_r(&t, &g) || !strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &g))
		return NULL;
	return xstrdup(out);
}

/* CycloneDX and SPDX of one image, from its inventory. */
static int sboms(qn_image *img, json_t **cdx, json_t **spdx, qn_error **err)
{
	qn_tree_opts to = {.capture = qn_inventory_capture};
	qn_tree *tree = qn_tree_build(img, &to, err);
	qn_inventory *inv = tree ? qn_inventory_build(tree, err) : NULL;
	qn_tree_free(tree); /* the inventory keeps copies of what it needs */
	if (!inv)
		return qn_error_prefix(err, "%s", qn_image_ref(img));
	*cdx = qn_report_cyclonedx(img, inv);
	*spdx = qn_report_spdx(img, inv);
	qn_inventory_free(inv);
	return 0;
}

int qn_evidence_write_images(const char *dir, qn_image *original, qn_image *hardened, const json_t *verify,
			     const json_t *harden, const qn_sign_key *key, qn_error **err)
{
	json_t *cdx[2] = {NULL, NULL}, *spdx[2] = {NULL, NULL};
	int rc = -1;
	if (sboms(original, &cdx[0], &spdx[0], err) == 0 && sboms(hardened, &cdx[1], &spdx[1], err) == 0) {
		_cleanup_free_ char *ts = created_utc(hardened);
		const char *tag = qn_image_tag(hardened), *md = qn_image_manifest_digest(hardened);
		qn_evidence_inputs in = {
		    .verify = verify,
		    .harden = harden,
		    .cdx = {cdx[0], cdx[1]},
		    .spdx = {spdx[0], spdx[1]},
		    .subject_name = tag ? tag : qn_image_ref(hardened),
		    /* docker archives have no manifest digest: the config digest (image id) names them */
		    .subject_digest = md ? md : qn_image_config_digest(hardened),
		    .timestamp = ts,
		    .key = key,
		};
		rc = qn_evidence_write(dir, &in, err);
	}
	for (int i = 0; i < 2; i++) {
		json_decref(cdx[i]);
		json_decref(spdx[i]);
	}
	return rc;
}

/* ---- checking ---- */

/* A failed check: sets err and returns 1. */
static int fail(qn_error **err, const char *fmt, ...) QN_PRINTF(2, 3);
static int fail(qn_error **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *m = xvasprintf(fmt, ap);
	va_end(ap);
	qn_error_set(err, QN_ERR_INPUT, "%s", m);
	return 1;
}

static char *read_in(const char *dir, const char *name, size_t *len, qn_error **err)
{
	_cleanup_free_ char *p = qn_path_join(dir, name);
	return qn_read_file(p, MAX_FILE, len, err);
}

/* A bundle file name: one plain component, no hidden files, nothing that could leave dir. */
static bool plain_name(const char *s)
{
	return s && *s && *s != '.' && !strchr(s, '/') && strlen(s) < 256;
}

static int check_statement(const json_t *st, const char **name, const char **hex, qn_error **err)
{
	const json_t *sub = json_array_get(json_object_get(st, "subject"), 0);
	*name = qn_json_str(sub, "name");
	*hex = qn_ev_str(sub, "digest.sha256", NULL);
	if (strcmp(qn_ev_str(st, "_type", ""), "https://in-toto.io/Statement/v1"))
		return fail(err, "attestation.intoto.json: _type is not https://in-toto.io/Statement/v1");
	if (!*name || !*hex || strlen(*hex) != 64 || strspn(*hex, "0123456789abcdef") != 64)
		return fail(err, "attestation.intoto.json: subject has no name and sha256 digest");
	if (strcmp(qn_ev_str(st, "predicateType", ""), QN_ATTEST_PREDICATE_TYPE))
		return fail(err, "attestation.intoto.json: predicateType is not %s", QN_ATTEST_PREDICATE_TYPE);
	if (!json_is_array(qn_ev_get(st, "predicate.bundle.files")))
		return fail(err, "attestation.intoto.json: predicate.bundle.files is missing");
	return 0;
}

static int check_files(const char *dir, const json_t *files, qn_error **err)
{
	size_t i;
	json_t *f;
	json_t *seen = json_object();
	int rc = 0;
	json_array_foreach (files, i, f) {
		const char *name = qn_json_str(f, "name"), *want = qn_json_str(f, "sha256");
		if (!plain_name(name) || !want || json_object_get(seen, name)) {
			rc = fail(err, "attestation.intoto.json: bad or repeated file entry %zu", i);
			break;
		}
		json_object_set_new(seen, name, json_true());
		_cleanup_free_ char *path = qn_path_join(dir, name);
		struct stat st;
		/* a bundle from elsewhere may hold links: only the regular files quench writes count */
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			rc = fail(err, "%s: not a regular file", name);
			break;
		}
		size_t len;
		qn_error *e = NULL;
		_cleanup_free_ char *data = read_in(dir, name, &len, &e);
		if (!data) {
			rc = fail(err, "%s: listed in the attestation but cannot be read: %s", name, e->msg);
			qn_error_free(e);
			break;
		}
		char got[72];
		qn_ev_sha256(data, len, got);
		if (strcmp(got, want)) {
			rc = fail(err, "%s: sha256 is %s, the attestation says %s", name, got, want);
			break;
		}
	}
	if (rc == 0) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) && rc == 0)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "attestation.intoto.json") &&
			    strcmp(e->d_name, "attestation.dsse.json") && !json_object_get(seen, e->d_name))
				rc = fail(err, "%s: in the bundle but not listed in the attestation", e->d_name);
		if (d)
			closedir(d);
	}
	json_decref(seen);
	return rc;
}

/* Parses a JSON file of the bundle and insists that it is byte for byte what quench writes for
 * that document: an edit that keeps the JSON meaning (a space, a reordered key) still fails. */
static json_t *exact_json(const char *name, const char *data, size_t len, qn_error **err)
{
	qn_error *e = NULL;
	json_t *j = qn_json_parse(data, len, MAX_FILE, name, &e);
	if (!j) {
		fail(err, "%s", e->msg);
		qn_error_free(e);
		return NULL;
	}
	_cleanup_free_ char *again = qn_json_dump(j, true);
	if (strlen(again) != len || memcmp(again, data, len)) {
		json_decref(j);
		fail(err, "%s: changed (not the bytes quench wrote)", name);
		return NULL;
	}
	return j;
}

int qn_evidence_verify(const char *dir, const qn_sign_key *pub, json_t **summary, qn_error **err)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return qn_error_set(err, QN_ERR_NOTFOUND, "%s: not a folder", dir);
	size_t elen, slen, plen;
	qn_error *e = NULL;
	_cleanup_free_ char *edata = read_in(dir, "attestation.dsse.json", &elen, &e);
	if (!edata) {
		fail(err, "attestation.dsse.json: %s", e->msg);
		qn_error_free(e);
		return 1;
	}
	_cleanup_json_ json_t *env = exact_json("attestation.dsse.json", edata, elen, err);
	if (!env)
		return 1;
	if (strcmp(qn_ev_str(env, "payloadType", ""), QN_INTOTO_PAYLOAD_TYPE))
		return fail(err, "attestation.dsse.json: payloadType is not %s", QN_INTOTO_PAYLOAD_TYPE);
	_cleanup_free_ uint8_t *payload = NULL;
	if (qn_dsse_open(env, pub, &payload, &plen, &e) < 0) {
		fail(err, "attestation.dsse.json: %s", e->msg);
		qn_error_free(e);
		return 1;
	}
	_cleanup_free_ char *sdata = read_in(dir, "attestation.intoto.json", &slen, &e);
	if (!sdata) {
		fail(err, "attestation.intoto.json: %s", e->msg);
		qn_error_free(e);
		return 1;
	}
	if (slen != plen || memcmp(sdata, payload, plen))
		return fail(err, "attestation.intoto.json: differs from the payload of the signed envelope");
	_cleanup_json_ json_t *stmt = exact_json("attestation.intoto.json", sdata, slen, err);
	const char *name, *hex;
	if (!stmt || check_statement(stmt, &name, &hex, err))
		return 1;
	const json_t *files = qn_ev_get(stmt, "predicate.bundle.files");
	if (check_files(dir, files, err))
		return 1;
	if (summary)
		*summary = json_pack("{s:s,s:s,s:b,s:s?,s:I,s:b,s:b}", "subject", name, "digest", hex,
				     "signature_checked", pub != NULL, "keyid", pub ? qn_key_id(pub) : NULL, "files",
				     (json_int_t)json_array_size(files), "verification_ok",
				     json_is_true(qn_ev_get(stmt, "predicate.verification.ok")), "ok", 1);
	return 0;
}
