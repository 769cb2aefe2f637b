/* report.html: the evidence bundle as one self-contained page for people. Inline CSS, inline SVG
 * charts, no script, no external loads (it opens the same from a mail attachment, an archive or
 * an air-gapped share). Every string that comes from an image or a document is HTML-escaped on
 * the way out; numbers are printed by us. The page shows what report.json and compliance.json
 * say; it computes nothing new. */
#include <math.h>

#include "evidence_int.h"
#include "util/json.h"

#define MAX_ROWS 1000 /* longer tables are cut, with a note pointing to report.json */

static const char *const sevs[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
static const char *const sev_color[] = {"#8e1b1b", "#d9480f", "#e8a317", "#3b7dd8", "#8c8c8c"};

char *qn_html_escape(const char *s)
{
	qn_buf b = QN_BUF_INIT;
	qn_buf_adds(&b, "");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			qn_buf_adds(&b, "&amp;");
			break;
		case '<':
			qn_buf_adds(&b, "&lt;");
			break;
		case '>':
			qn_buf_adds(&b, "&gt;");
			break;
		case '"':
			qn_buf_adds(&b, "&quot;");
			break;
		case '\'':
			qn_buf_adds(&b, "&#39;");
			break;
		default:
			/* control bytes have no business in text and some are invalid in HTML */
			if (c >= 0x20 || c == '\n' || c == '\t')
				qn_buf_addc(&b, (char)c);
		}
	}
	return qn_buf_steal(&b);
}

/* Appends s escaped; NULL prints as an em dash. */
static void esc(qn_buf *b, const char *s)
{
	if (!s) {
		qn_buf_adds(b, "&#8212;");
		return;
	}
	_cleanup_free_ char *e = qn_html_escape(s);
	qn_buf_adds(b, e);
}

/* Appends s escaped and cut to max bytes (on a UTF-8 boundary) with an ellipsis. */
static void esc_cut(qn_buf *b, const char *s, size_t max)
{
	if (!s || strlen(s) <= max) {
		esc(b, s);
		return;
	}
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	_cleanup_free_ char *c = xstrndup(s, n);
	esc(b, c);
	qn_buf_adds(b, "&#8230;");
}

static void fmt_bytes(qn_buf *b, long long n)
{
	char s[16];
	qn_buf_adds(b, qn_fmt_size(n < 0 ? 0 : (uint64_t)n, s));
}

static const char css[] =
    "*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe "
    "UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1d2430;background:#f4f6f9}"
    "header{background:#14213d;color:#fff;padding:22px 0 18px}main,.wrap{max-width:1180px;margin:0 auto;padding:0 "
    "24px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px;color:#14213d}h3{font-size:15px;margin:"
    "18px 0 6px}h4{font-size:14px;margin:14px 0 4px}"
    ".sub{color:#c9d3e6;font-size:13px;word-break:break-all}.badge{display:inline-block;padding:2px 10px;border-"
    "radius:12px;font-size:12px;font-weight:600;vertical-align:middle;margin-left:8px}"
    ".pass{background:#2b8a3e;color:#fff}.fail{background:#c92a2a;color:#fff}.warn{background:#e8a317;color:#"
    "1d2430}"
    "section{overflow-x:auto;background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:18px 20px;margin:18px "
    "0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}"
    ".card{border:1px solid #dde3ec;border-radius:8px;padding:12px 14px;background:#fafbfd}.card .k{font-size:"
    "12px;color:#5b6576;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:22px;font-weight:650;"
    "margin-top:2px}.card .d{font-size:12px;color:#5b6576}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px;margin-bottom:16px}"
    ".charts3{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}.chart{border:1px solid "
    "#e6eaf0;border-radius:8px;padding:10px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px "
    "8px;border-bottom:1px solid #e6eaf0;vertical-align:top}"
    "td.files{white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}td."
    "lbl{min-width:170px;word-break:normal}td.res{min-width:220px;word-break:break-word}"
    "th{background:#f0f3f8;font-weight:600;color:#33405a}td.n,th.n{white-space:nowrap;text-align:right;font-variant-"
    "numeric:"
    "tabular-nums}"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:"
    "break-all}"
    ".ok{color:#2b8a3e;font-weight:600}.bad{color:#c92a2a;font-weight:600}.muted{color:#5b6576}"
    ".sev{display:inline-block;min-width:74px;text-align:center;border-radius:4px;color:#fff;font-size:11px;font-"
    "weight:600;padding:1px 6px}"
    ".st-supported{color:#2b8a3e;font-weight:600}.st-partial{color:#b7791f;font-weight:600}.st-not_supported{"
    "color:#c92a2a;font-weight:600}"
    "details>summary{cursor:pointer;color:#14213d;font-weight:600;margin:6px 0}.meth "
    "p,.meth li{max-width:900px}.meth ul{padding-left:22px}"
    "footer{color:#5b6576;font-size:12px;padding:8px 0 30px}";

static void card(qn_buf *b, const char *k, const char *v, const char *d)
{
	qn_buf_adds(b, "<div class=\"card\"><div class=\"k\">");
	esc(b, k);
	qn_buf_printf(b, "</div><div class=\"v\">%s</div><div class=\"d\">%s</div></div>\n", v, d);
}

static const char *sev_col(const char *s)
{
	for (size_t i = 0; i < QN_ARRAY_LEN(sevs); i++)
		if (s && !strcmp(s, sevs[i]))
			return sev_color[i];
	return sev_color[4];
}

static void sev_badge(qn_buf *b, const char *s)
{
	qn_buf_printf(b, "<span class=\"sev\" style=\"background:%s\">", sev_col(s));
	esc(b, s ? s : "UNKNOWN");
	qn_buf_adds(b, "</span>");
}

/* ---- charts ---- */

/* Grouped bars: before and after per severity, for one part (base or app). */
static void cve_chart(qn_buf *b, const char *title, const json_t *before, const json_t *after)
{
	long long maxv = 1;
	for (size_t i = 0; i < QN_ARRAY_LEN(sevs); i++)
		maxv = QN_MAX(maxv, QN_MAX(qn_ev_int(before, sevs[i], 0), qn_ev_int(after, sevs[i], 0)));
	const int W = 520, H = 230, top = 34, bottom = 40, left = 40, gw = (W - left - 10) / 5;
	const double ph = H - top - bottom;
	qn_buf_printf(b,
		      "<div class=\"chart\"><svg role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
		      "xmlns=\"http://www.w3.org/2000/svg\"><title>",
		      W, H);
	esc(b, title);
	qn_buf_printf(b, "</title><text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#14213d\">");
	esc(b, title);
	qn_buf_printf(b, " &#8212; %lld &#8594; %lld</text>", qn_ev_int(before, "total", 0),
		      qn_ev_int(after, "total", 0));
	qn_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#9aa5b5\"/>", left, H - bottom, W - 6,
		      H - bottom);
	for (size_t i = 0; i < QN_ARRAY_LEN(sevs); i++) {
		long long v[2] = {qn_ev_int(before, sevs[i], 0), qn_ev_int(after, sevs[i], 0)};
		int x0 = left + (int)i * gw + 10;
		for (int k = 0; k < 2; k++) {
			double h = ph * (double)v[k] / (double)maxv;
			int x = x0 + k * (gw / 2 - 6);
			int bw = gw / 2 - 10;
			qn_buf_printf(b,
				      "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\" "
				      "fill-opacity=\"%s\"/><text x=\"%d\" y=\"%.1f\" font-size=\"11\" "
				      "text-anchor=\"middle\" fill=\"#1d2430\">%lld</text>",
				      x, H - bottom - h, bw, h, sev_color[i], k ? "1" : "0.35", x + bw / 2,
				      H - bottom - h - 4, v[k]);
		}
		qn_buf_printf(
		    b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#33405a\">%s</text>",
		    x0 + gw / 2 - 8, H - bottom + 16, sevs[i]);
	}
	qn_buf_printf(
	    b,
	    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"#5b6576\" fill-opacity=\"0.35\"/><text "
	    "x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#33405a\">before</text><rect x=\"%d\" y=\"%d\" "
	    "width=\"12\" height=\"10\" fill=\"#5b6576\"/><text x=\"%d\" y=\"%d\" font-size=\"11\" "
	    "fill=\"#33405a\">after</text></svg></div>\n",
	    left, H - 14, left + 16, H - 5, left + 80, H - 14, left + 96, H - 5);
}

/* Horizontal bars with labels: rows of {label, value, colour}, values formatted as bytes or counts. */
typedef struct {
	const char *label;
	long long v;
	const char *color;
} hbar;

static void hbar_chart(qn_buf *b, const char *title, const hbar *rows, size_t n, bool bytes)
{
	long long maxv = 1;
	for (size_t i = 0; i < n; i++)
		maxv = QN_MAX(maxv, rows[i].v);
	const int W = 520, left = 120, rh = 34, H = 34 + (int)n * rh + 6;
	qn_buf_printf(b,
		      "<div class=\"chart\"><svg role=\"img\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
		      "xmlns=\"http://www.w3.org/2000/svg\"><title>",
		      W, H);
	esc(b, title);
	qn_buf_adds(b, "</title><text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"600\" fill=\"#14213d\">");
	esc(b, title);
	qn_buf_adds(b, "</text>");
	for (size_t i = 0; i < n; i++) {
		int y = 32 + (int)i * rh;
		double w = (W - left - 110) * (double)rows[i].v / (double)maxv;
		qn_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\" fill=\"#33405a\">",
			      left - 8, y + 16);
		esc(b, rows[i].label);
		qn_buf_printf(b,
			      "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"22\" rx=\"3\" fill=\"%s\"/><text "
			      "x=\"%.1f\" y=\"%d\" font-size=\"12\" fill=\"#1d2430\">",
			      left, y, w < 1 && rows[i].v ? 1.0 : w, rows[i].color, left + w + 6, y + 16);
		if (bytes)
			fmt_bytes(b, rows[i].v);
		else
			qn_buf_printf(b, "%lld", rows[i].v);
		qn_buf_adds(b, "</text>");
	}
	qn_buf_adds(b, "</svg></div>\n");
}

/* ---- sections ---- */

static void head(qn_buf *b, const json_t *rep)
{
	const json_t *v = qn_ev_get(rep, "verify");
	bool ok = qn_ev_bool(rep, "ok") == 1;
	qn_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
		       "'unsafe-inline'; img-src data:\"><title>Hardening evidence: ");
	esc(b, qn_ev_str(v, "hardened.ref", "image"));
	qn_buf_printf(b, "</title><style>%s</style></head><body>\n<header><div class=\"wrap\"><h1>Hardening evidence",
		      css);
	qn_buf_printf(b, "<span class=\"badge %s\">%s</span></h1>", ok ? "pass" : "fail",
		      ok ? "VERIFIED" : "VERIFICATION FAILED");
	qn_buf_adds(b, "<div class=\"sub\">original <code>");
	esc(b, qn_ev_str(v, "original.ref", NULL));
	qn_buf_adds(b, "</code> ");
	esc(b, qn_ev_str(v, "original.digest", qn_ev_str(v, "original.config_digest", NULL)));
	qn_buf_adds(b, "</div><div class=\"sub\">hardened <code>");
	esc(b, qn_ev_str(v, "hardened.ref", NULL));
	qn_buf_adds(b, "</code> ");
	esc(b, qn_ev_str(v, "hardened.digest", qn_ev_str(v, "hardened.config_digest", NULL)));
	qn_buf_printf(b, "</div><div class=\"sub\">quench %s</div></div></header>\n<main>\n", QN_VERSION);
}

static void summary(qn_buf *b, const json_t *v, const json_t *comp)
{
	qn_buf_adds(b, "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n");
	char val[128], d[256];
	const json_t *c = qn_ev_get(v, "cves");
	if (json_is_object(c)) {
		snprintf(val, sizeof(val), "%lld &#8594; %lld", qn_ev_int(c, "before.total", 0),
			 qn_ev_int(c, "after.total", 0));
		long long ub = qn_ev_int(c, "before.unknown.total", 0), ua = qn_ev_int(c, "after.unknown.total", 0);
		char unk[64] = "";
		if (ub || ua)
			snprintf(unk, sizeof(unk), ", unknown layer %lld &#8594; %lld", ub, ua);
		snprintf(d, sizeof(d), "base %lld &#8594; %lld, app %lld &#8594; %lld%s",
			 qn_ev_int(c, "before.base.total", 0), qn_ev_int(c, "after.base.total", 0),
			 qn_ev_int(c, "before.app.total", 0), qn_ev_int(c, "after.app.total", 0), unk);
		card(b, "CVE findings", val, d);
	} else
		card(b, "CVE findings", "&#8212;", "no vulnerability database given");
	/* file bytes when verify gives them, else the layer (blob) sizes */
	bool files = qn_ev_get(v, "size.original_bytes") != NULL;
	long long so = qn_ev_int(v, files ? "size.original_bytes" : "size.original", 0),
		  sh = qn_ev_int(v, files ? "size.hardened_bytes" : "size.hardened", 0);
	char s1[16], s2[16], s3[16];
	snprintf(val, sizeof(val), "%s", qn_fmt_size((uint64_t)QN_MAX(sh, 0), s2));
	snprintf(d, sizeof(d), "%s from %s (%.1f%% less)%s%s", files ? "files" : "layers",
		 qn_fmt_size((uint64_t)QN_MAX(so, 0), s1), so > 0 ? 100.0 * (double)(so - sh) / (double)so : 0.0,
		 files ? "; layers " : "",
		 files ? qn_fmt_size((uint64_t)QN_MAX(qn_ev_int(v, "size.hardened", 0), 0), s3) : "");
	card(b, "Size", val, d);
	snprintf(val, sizeof(val), "%zu removed", json_array_size(qn_ev_arr(v, "packages.removed")));
	snprintf(d, sizeof(d), "%zu trimmed, %zu kept", json_array_size(qn_ev_arr(v, "packages.trimmed")),
		 json_array_size(qn_ev_arr(v, "packages.kept")));
	card(b, "Packages", val, d);
	size_t np = json_array_size(qn_ev_arr(v, "probes")), same = 0, i;
	json_t *p;
	json_array_foreach (qn_ev_arr(v, "probes"), i, p)
		same += json_is_true(json_object_get(p, "same"));
	snprintf(val, sizeof(val), "<span class=\"%s\">%zu / %zu</span>", same == np ? "ok" : "bad", same, np);
	snprintf(d, sizeof(d), "probes with the same results; %zu missing lookups",
		 json_array_size(qn_ev_arr(v, "missing_paths")));
	card(b, "Behaviour", val, d);
	bool iok = qn_ev_bool(v, "interface.ok") == 1;
	card(b, "Interface", iok ? "<span class=\"ok\">unchanged</span>" : "<span class=\"bad\">changed</span>",
	     "config, user, ports, annotations");
	bool sig = qn_ev_bool(comp, "signed") == 1;
	card(b, "Attestation", sig ? "<span class=\"ok\">signed</span>" : "<span class=\"bad\">unsigned</span>",
	     "in-toto statement in a DSSE envelope");
	qn_buf_adds(b, "</div>");
	const json_t *checks = qn_ev_get(v, "checks");
	if (json_is_object(checks) && json_object_size(checks)) {
		qn_buf_adds(b, "<p>Checks: ");
		const char *k;
		json_t *x;
		bool first = true;
		json_object_foreach ((json_t *)checks, k, x) {
			qn_buf_printf(b, "%s<span class=\"%s\">", first ? "" : " &#183; ",
				      json_is_true(x) ? "ok" : "bad");
			esc(b, k);
			qn_buf_printf(b, " %s</span>", json_is_true(x) ? "&#10003;" : "&#10007; failed");
			first = false;
		}
		qn_buf_adds(b, "</p>");
	}
	qn_buf_adds(b, "</section>\n");
}

static void charts(qn_buf *b, const json_t *v)
{
	qn_buf_adds(b, "<section id=\"charts\"><h2>CVEs, size and packages</h2><div class=\"charts\">\n");
	const json_t *c = qn_ev_get(v, "cves");
	if (json_is_object(c)) {
		cve_chart(b, "Base-image CVEs by severity", qn_ev_get(c, "before.base"), qn_ev_get(c, "after.base"));
		cve_chart(b, "Application CVEs by severity", qn_ev_get(c, "before.app"), qn_ev_get(c, "after.app"));
		/* without a base image the scan cannot tell base from app: those findings get their own chart
		 * rather than vanishing from both */
		if (qn_ev_int(c, "before.unknown.total", 0) || qn_ev_int(c, "after.unknown.total", 0))
			cve_chart(b, "CVEs in layers of unknown kind (no base image given)",
				  qn_ev_get(c, "before.unknown"), qn_ev_get(c, "after.unknown"));
	}
	qn_buf_adds(b, "</div><div class=\"charts3\">\n");
	hbar size[] = {{"original files", qn_ev_int(v, "size.original_bytes", 0), "#8c99ad"},
		       {"hardened files", qn_ev_int(v, "size.hardened_bytes", 0), "#2b6cb0"},
		       {"original layers", qn_ev_int(v, "size.original", 0), "#b6bfcc"},
		       {"hardened layers", qn_ev_int(v, "size.hardened", 0), "#6c9bd2"}};
	bool fb = qn_ev_get(v, "size.original_bytes") != NULL;
	hbar_chart(b, "Image size (files uncompressed; layers as stored)", fb ? size : size + 2, fb ? 4 : 2, true);
	hbar pk[] = {{"kept", (long long)json_array_size(qn_ev_arr(v, "packages.kept")), "#2b8a3e"},
		     {"trimmed", (long long)json_array_size(qn_ev_arr(v, "packages.trimmed")), "#e8a317"},
		     {"removed", (long long)json_array_size(qn_ev_arr(v, "packages.removed")), "#c92a2a"}};
	hbar_chart(b, "Packages", pk, 3, false);
	hbar files[] = {{"paths kept", qn_ev_int(v, "paths.kept", 0), "#2b6cb0"},
			{"paths removed", qn_ev_int(v, "paths.removed", 0), "#8c99ad"}};
	hbar_chart(b, "Paths", files, 2, false);
	qn_buf_adds(b, "</div>");
	if (!json_is_object(c))
		qn_buf_adds(b,
			    "<p class=\"muted\">No vulnerability database was given (<code>--db</code>), so there are "
			    "no CVE charts.</p>");
	qn_buf_adds(b, "</section>\n");
}

static void more_rows(qn_buf *b, size_t n, int cols)
{
	if (n > MAX_ROWS)
		qn_buf_printf(b, "<tr><td colspan=\"%d\" class=\"muted\">%zu more rows in report.json</td></tr>", cols,
			      n - MAX_ROWS);
}

static void packages(qn_buf *b, const json_t *v)
{
	const json_t *rem = qn_ev_arr(v, "packages.removed"), *tr = qn_ev_arr(v, "packages.trimmed");
	qn_buf_printf(b, "<section id=\"packages\"><h2>Packages</h2><h3>Removed (%zu)</h3>", json_array_size(rem));
	qn_buf_adds(b, "<p class=\"muted\">None of their files remain; they are no longer in the package "
		       "database.</p><table><tr><th>package</th><th>version</th><th class=\"n\">files</th><th "
		       "class=\"n\">bytes</th><th>purl</th></tr>\n");
	size_t i;
	json_t *p;
	json_array_foreach (rem, i, p) {
		if (i >= MAX_ROWS)
			break;
		qn_buf_adds(b, "<tr><td>");
		esc(b, qn_json_str(p, "name"));
		qn_buf_adds(b, "</td><td class=\"mono\">");
		esc(b, qn_json_str(p, "version"));
		qn_buf_printf(b, "</td><td class=\"n\">%lld</td><td class=\"n\">", qn_ev_int(p, "files", 0));
		fmt_bytes(b, qn_ev_int(p, "bytes", 0));
		qn_buf_adds(b, "</td><td class=\"mono\">");
		esc(b, qn_json_str(p, "purl"));
		qn_buf_adds(b, "</td></tr>\n");
	}
	more_rows(b, json_array_size(rem), 5);
	qn_buf_printf(b,
		      "</table><h3>Trimmed (%zu)</h3><p class=\"muted\">Some files removed; still listed in the "
		      "package database with all their CVEs.</p><table><tr><th>package</th><th>version</th><th "
		      "class=\"n\">files kept</th><th>purl</th></tr>\n",
		      json_array_size(tr));
	json_array_foreach (tr, i, p) {
		if (i >= MAX_ROWS)
			break;
		qn_buf_adds(b, "<tr><td>");
		esc(b, qn_json_str(p, "name"));
		qn_buf_adds(b, "</td><td class=\"mono\">");
		esc(b, qn_json_str(p, "version"));
		qn_buf_printf(b, "</td><td class=\"n\">%lld / %lld</td><td class=\"mono\">",
			      qn_ev_int(p, "kept_files", 0), qn_ev_int(p, "total_files", 0));
		esc(b, qn_json_str(p, "purl"));
		qn_buf_adds(b, "</td></tr>\n");
	}
	more_rows(b, json_array_size(tr), 4);
	qn_buf_printf(
	    b, "</table><p class=\"muted\">%zu packages kept whole (listed in sbom-hardened.cdx.json).</p></section>\n",
	    json_array_size(qn_ev_arr(v, "packages.kept")));
}

static void cve_rows(qn_buf *b, const json_t *list, bool removed)
{
	size_t i;
	json_t *r;
	json_array_foreach (list, i, r) {
		if (i >= MAX_ROWS)
			break;
		qn_buf_adds(b, "<tr><td class=\"mono\">");
		esc(b, qn_json_str(r, "id"));
		qn_buf_adds(b, "</td><td>");
		sev_badge(b, qn_json_str(r, "severity"));
		qn_buf_adds(b, "</td><td>");
		esc(b, qn_json_str(r, "package"));
		qn_buf_adds(b, "</td><td>");
		esc(b, qn_json_str(r, "layer_kind"));
		qn_buf_adds(b, "</td><td class=\"mono\">");
		esc(b, removed ? qn_json_str(r, "explained_by") : qn_json_str(r, "package_state"));
		qn_buf_adds(b, "</td></tr>\n");
	}
	more_rows(b, json_array_size(list), 5);
}

static void cves(qn_buf *b, const json_t *v)
{
	const json_t *c = qn_ev_get(v, "cves");
	if (!json_is_object(c))
		return;
	const json_t *rem = qn_ev_arr(c, "removed"), *left = qn_ev_arr(c, "remaining");
	qn_buf_adds(b, "<section id=\"cves\"><h2>CVE delta</h2><p>Sources: ");
	size_t i;
	json_t *s;
	json_array_foreach (qn_ev_arr(c, "db.sources"), i, s) {
		qn_buf_adds(b, i ? "; " : "");
		esc(b, qn_json_str(s, "name"));
		qn_buf_adds(b, " (data of ");
		esc(b, qn_json_str(s, "fetched_at") ? qn_json_str(s, "fetched_at") : qn_json_str(s, "data_date"));
		qn_buf_printf(b, ", %lld records)", qn_ev_int(s, "records", 0));
	}
	qn_buf_printf(b,
		      ". A CVE leaves the count only with its package.</p><details %s><summary>Gone with removed "
		      "packages (%zu)</summary><table><tr><th>CVE</th><th>severity</th><th>package</th><th>layer</th>"
		      "<th>explained by</th></tr>\n",
		      json_array_size(rem) <= 200 ? "open" : "", json_array_size(rem));
	cve_rows(b, rem, true);
	qn_buf_printf(b,
		      "</table></details><details %s><summary>Still present (%zu)</summary><table><tr><th>CVE</th>"
		      "<th>severity</th><th>package</th><th>layer</th><th>package state</th></tr>\n",
		      json_array_size(left) <= 200 ? "open" : "", json_array_size(left));
	cve_rows(b, left, false);
	qn_buf_adds(b, "</table></details>");
	static const struct {
		const char *key, *title;
	} extra[] = {{"unexplained", "Gone without a removed package to explain it (a failure)"},
		     {"added", "New in the hardened image (a failure)"}};
	for (size_t e = 0; e < QN_ARRAY_LEN(extra); e++) {
		const json_t *l = qn_ev_arr(c, extra[e].key);
		if (!json_array_size(l))
			continue;
		qn_buf_printf(b,
			      "<h3 class=\"bad\">%s (%zu)</h3><table><tr><th>CVE</th><th>severity</th><th>package</th>"
			      "<th>layer</th><th>package state</th></tr>\n",
			      extra[e].title, json_array_size(l));
		cve_rows(b, l, false);
		qn_buf_adds(b, "</table>");
	}
	qn_buf_adds(b, "</section>\n");
}

/* A probe result object as "key value" lines of its scalar members, one level of objects
 * (headers) as "key.name value". */
static void result_obj(qn_buf *b, const json_t *r, const char *prefix, bool *first)
{
	const char *k;
	json_t *x;
	json_object_foreach ((json_t *)r, k, x) {
		if (json_is_object(x) && !prefix) {
			result_obj(b, x, k, first);
			continue;
		}
		if (json_is_object(x) || json_is_array(x) || json_is_null(x))
			continue;
		_cleanup_free_ char *s = json_is_string(x) ? xstrdup(json_string_value(x)) : qn_json_dump(x, false);
		qn_buf_adds(b, *first ? "" : "<br>");
		*first = false;
		qn_buf_adds(b, "<span class=\"muted\">");
		if (prefix) {
			esc(b, prefix);
			qn_buf_addc(b, '.');
		}
		esc(b, k);
		qn_buf_adds(b, "</span> <span class=\"mono\">");
		/* a digest is recognisable by its first hex digits; the full value is in report.json */
		esc_cut(b, s, qn_str_has_prefix(s, "sha256:") ? 19 : 120);
		qn_buf_adds(b, "</span>");
	}
}

static void result(qn_buf *b, const json_t *r)
{
	bool first = true;
	if (json_is_object(r))
		result_obj(b, r, NULL, &first);
	else
		esc(b, json_is_string(r) ? json_string_value(r) : NULL);
}

static void probes(qn_buf *b, const json_t *v)
{
	const json_t *pr = qn_ev_arr(v, "probes");
	qn_buf_printf(b, "<section id=\"probes\"><h2>Probes (%zu)</h2>", json_array_size(pr));
	if (!json_array_size(pr))
		qn_buf_adds(b, "<p class=\"muted\">No probes were run; behaviour was not compared.</p>");
	else
		qn_buf_adds(b, "<table><tr><th>probe</th><th>kind</th><th>result</th><th>original</th><th>hardened</th>"
			       "<th>differences</th></tr>\n");
	size_t i, k;
	json_t *p, *d;
	json_array_foreach (pr, i, p) {
		bool same = json_is_true(json_object_get(p, "same"));
		qn_buf_adds(b, "<tr><td class=\"mono lbl\">");
		esc(b, qn_json_str(p, "label"));
		qn_buf_adds(b, "</td><td>");
		esc(b, qn_json_str(p, "kind"));
		qn_buf_printf(b, "</td><td class=\"%s\">%s</td>", same ? "ok" : "bad", same ? "same" : "DIFFERENT");
		qn_buf_adds(b, "<td class=\"res\">");
		result(b, json_object_get(p, "original"));
		qn_buf_adds(b, "</td><td class=\"res\">");
		result(b, json_object_get(p, "hardened"));
		qn_buf_adds(b, "</td><td class=\"res\">");
		if (!json_array_size(qn_ev_arr(p, "diffs")))
			qn_buf_adds(b, "<span class=\"muted\">none</span>");
		json_array_foreach (qn_ev_arr(p, "diffs"), k, d) {
			_cleanup_free_ char *s =
			    json_is_string(d) ? xstrdup(json_string_value(d)) : qn_json_dump(d, false);
			qn_buf_adds(b, k ? "<br>" : "");
			esc_cut(b, s, 200);
		}
		qn_buf_adds(b, "</td></tr>\n");
	}
	if (json_array_size(pr))
		qn_buf_adds(b, "</table>");
	qn_buf_adds(b, "</section>\n");
}

static void interface(qn_buf *b, const json_t *v)
{
	bool ok = qn_ev_bool(v, "interface.ok") == 1;
	qn_buf_printf(b,
		      "<section id=\"interface\"><h2>Interface <span class=\"badge %s\">%s</span></h2><table><tr>"
		      "<th>field</th><th>original</th><th>hardened</th><th>same</th></tr>\n",
		      ok ? "pass" : "fail", ok ? "unchanged" : "changed");
	size_t i;
	json_t *f;
	json_array_foreach (qn_ev_arr(v, "interface.fields"), i, f) {
		bool same = json_is_true(json_object_get(f, "same"));
		qn_buf_adds(b, "<tr><td>");
		esc(b, qn_json_str(f, "field"));
		for (int k = 0; k < 2; k++) {
			const json_t *x = json_object_get(f, k ? "hardened" : "original");
			_cleanup_free_ char *s = !x || json_is_null(x) ? NULL
						 : json_is_string(x)   ? xstrdup(json_string_value(x))
								       : qn_json_dump(x, false);
			qn_buf_adds(b, "</td><td class=\"mono\">");
			esc_cut(b, s, 300);
		}
		qn_buf_printf(b, "</td><td class=\"%s\">%s</td></tr>\n", same ? "ok" : "bad", same ? "yes" : "NO");
	}
	qn_buf_adds(b, "</table></section>\n");
}

static void missing(qn_buf *b, const json_t *v)
{
	const json_t *m = qn_ev_arr(v, "missing_paths");
	qn_buf_printf(b, "<section id=\"missing\"><h2>Missing paths (%zu)</h2>", json_array_size(m));
	if (!json_array_size(m)) {
		qn_buf_adds(b,
			    "<p class=\"ok\">No lookup failed in the hardened image that succeeds in the original.</p>"
			    "</section>\n");
		return;
	}
	qn_buf_adds(b, "<p>Lookups that failed in the hardened image but succeed in the original:</p><table><tr>"
		       "<th>path</th><th>seen by</th></tr>\n");
	size_t i;
	json_t *p;
	json_array_foreach (m, i, p) {
		if (i >= MAX_ROWS)
			break;
		const json_t *sb = json_object_get(p, "seen_by");
		_cleanup_free_ char *s = json_is_string(sb) ? xstrdup(json_string_value(sb))
					 : sb               ? qn_json_dump(sb, false)
							    : NULL;
		qn_buf_adds(b, "<tr><td class=\"mono\">");
		esc(b, qn_json_str(p, "path"));
		qn_buf_adds(b, "</td><td>");
		esc(b, s);
		qn_buf_adds(b, "</td></tr>\n");
	}
	more_rows(b, json_array_size(m), 2);
	qn_buf_adds(b, "</table></section>\n");
}

static void compliance(qn_buf *b, const json_t *comp)
{
	qn_buf_adds(b, "<section id=\"compliance\"><h2>Compliance map</h2><p class=\"muted\">");
	esc(b, qn_json_str(comp, "disclaimer"));
	qn_buf_adds(b, "</p>");
	size_t i, k, f;
	json_t *fw, *c, *e;
	json_array_foreach (qn_ev_arr(comp, "frameworks"), i, fw) {
		qn_buf_adds(b, "<h3>");
		esc(b, qn_json_str(fw, "name"));
		qn_buf_adds(
		    b, "</h3><table><tr><th>control</th><th>status</th><th>what the bundle shows</th><th>evidence</th>"
		       "<th>not covered</th></tr>\n");
		json_array_foreach (qn_ev_arr(fw, "controls"), k, c) {
			qn_buf_adds(b, "<tr><td><b>");
			esc(b, qn_json_str(c, "id"));
			qn_buf_adds(b, "</b><br><span class=\"muted\">");
			esc(b, qn_json_str(c, "title"));
			const char *st = qn_json_str(c, "status");
			_cleanup_free_ char *stc = qn_html_escape(st);
			qn_buf_printf(b, "</span></td><td class=\"st-%s\">", stc);
			esc(b, st);
			qn_buf_adds(b, "</td><td>");
			esc(b, qn_json_str(c, "statement"));
			qn_buf_adds(b, "</td><td class=\"files\">");
			json_array_foreach (qn_ev_arr(c, "evidence"), f, e) {
				qn_buf_adds(b, f ? "<br>" : "");
				esc(b, json_string_value(e));
			}
			qn_buf_adds(b, "</td><td class=\"muted\">");
			esc(b, qn_json_str(c, "not_covered"));
			qn_buf_adds(b, "</td></tr>\n");
		}
		qn_buf_adds(b, "</table>");
	}
	qn_buf_adds(b, "</section>\n");
}

/* Inline markdown of our own methodology text: `code` only. */
static void md_inline(qn_buf *b, const char *s, size_t n)
{
	_cleanup_free_ char *line = xstrndup(s, n);
	bool code = false;
	for (char *p = line; *p;) {
		char *q = strchr(p, '`');
		if (q)
			*q = 0;
		esc(b, p);
		if (!q)
			break;
		qn_buf_adds(b, code ? "</code>" : "<code>");
		code = !code;
		p = q + 1;
	}
	if (code)
		qn_buf_adds(b, "</code>");
}

/* The methodology text: headings, lists, paragraphs and tables as preformatted text. */
static void methodology(qn_buf *b, const char *md)
{
	qn_buf_adds(b, "<section id=\"methodology\" class=\"meth\"><h2>Methodology</h2>\n");
	bool in_list = false, in_p = false, in_pre = false;
	for (const char *s = md ? md : ""; *s;) {
		size_t n = strcspn(s, "\n");
		bool li = n > 2 && !strncmp(s, "- ", 2), cont = n > 2 && !strncmp(s, "  ", 2),
		     tab = n > 0 && s[0] == '|', blank = n == 0;
		if ((in_list && !li && !cont) || blank || tab || s[0] == '#') {
			qn_buf_adds(b, in_list ? "</li></ul>\n" : in_p ? "</p>\n" : "");
			in_list = in_p = false;
		}
		if (in_pre && !tab) {
			qn_buf_adds(b, "</pre>\n");
			in_pre = false;
		}
		if (!strncmp(s, "# ", 2) || !strncmp(s, "## ", 3)) {
			int lvl = s[1] == '#' ? 4 : 3, skip = lvl - 1;
			qn_buf_printf(b, "<h%d>", lvl);
			md_inline(b, s + skip, n - (size_t)skip);
			qn_buf_printf(b, "</h%d>\n", lvl);
		} else if (tab) {
			qn_buf_adds(b, in_pre ? "\n" : "<pre class=\"mono\">");
			in_pre = true;
			md_inline(b, s, n);
		} else if (li) {
			qn_buf_adds(b, in_list ? "</li><li>" : "<ul><li>");
			in_list = true;
			md_inline(b, s + 2, n - 2);
		} else if (!blank) {
			if (!in_list && !in_p) {
				qn_buf_adds(b, "<p>");
				in_p = true;
			} else
				qn_buf_addc(b, ' ');
			md_inline(b, s, n);
		}
		s += n + (s[n] == '\n');
	}
	qn_buf_adds(b, in_list ? "</li></ul>" : in_p ? "</p>" : in_pre ? "</pre>" : "");
	qn_buf_adds(b, "</section>\n");
}

char *qn_report_html(const json_t *report, const json_t *comp, const char *md)
{
	const json_t *v = qn_ev_get(report, "verify");
	qn_buf b = QN_BUF_INIT;
	head(&b, report);
	summary(&b, v, comp);
	charts(&b, v);
	packages(&b, v);
	cves(&b, v);
	probes(&b, v);
	interface(&b, v);
	missing(&b, v);
	compliance(&b, comp);
	methodology(&b, md);
	qn_buf_adds(&b, "<footer>Bundle files and their sha256 are listed in attestation.intoto.json; check them with "
			"<code>quench evidence verify DIR --key KEY.pub</code>.</footer>\n</main></body></html>\n");
	return qn_buf_steal(&b);
}
