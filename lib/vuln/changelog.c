/* Debian changelogs as evidence of fixes. The vulnerability data stops at the day it was fetched;
 * a package built later may record in its own changelog.Debian.gz that it fixes a CVE the data
 * still lists as open. qn_changelog_cves() reads such a changelog (bytes, gzip or plain) and
 * reports each CVE id named in an entry at or below a given version. It interprets nothing else
 * (no "not affected" wording): an id named in a released entry of the installed package counts. */
#include <ctype.h>
#include <string.h>
#include <zlib.h>

#include "quench/scan.h"
#include "quench/version.h"
#include "util/util.h"

#define CHANGELOG_MAX (64u << 20)

static int gunzip(const uint8_t *buf, size_t len, qn_buf *out, qn_error **err)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return qn_error_set(err, QN_ERR_RUNTIME, "changelog: zlib init failed");
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)QN_MIN(len, (size_t)UINT32_MAX);
	int rc = Z_OK;
	while (rc != Z_STREAM_END) {
		qn_buf_reserve(out, 65536);
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = 65536;
		rc = inflate(&z, Z_NO_FLUSH);
		out->len += 65536 - z.avail_out;
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			break; /* truncated: keep what was read, complain below */
		if (rc != Z_OK && rc != Z_STREAM_END) {
			inflateEnd(&z);
			return qn_error_set(err, QN_ERR_INPUT, "changelog: corrupt gzip stream (%s)",
					    z.msg ? z.msg : "error");
		}
		if (out->len > CHANGELOG_MAX) {
			inflateEnd(&z);
			return qn_error_set(err, QN_ERR_LIMIT, "changelog: more than %u MiB uncompressed",
					    CHANGELOG_MAX >> 20);
		}
	}
	inflateEnd(&z);
	if (rc != Z_STREAM_END)
		return qn_error_set(err, QN_ERR_INPUT, "changelog: truncated gzip stream");
	qn_buf_addc(out, '\0');
	out->len--;
	return 0;
}

/* "name (version) dists; urgency=..." at the start of a line: the version, else NULL. */
static char *entry_version(const char *line, size_t n)
{
	if (n == 0 || isspace((unsigned char)line[0]))
		return NULL;
	const char *open = memchr(line, '(', n);
	if (!open || open == line || open[-1] != ' ')
		return NULL;
	for (const char *p = line; p < open - 1; p++)
		if (isspace((unsigned char)*p))
			return NULL;
	const char *close = memchr(open, ')', n - (size_t)(open - line));
	if (!close || close == open + 1 || !memchr(close, ';', n - (size_t)(close - line)))
		return NULL;
	return xstrndup(open + 1, (size_t)(close - open - 1));
}

static int scan_line(const char *l, size_t n, const char *version, qn_changelog_cve_fn fn, void *ud)
{
	for (size_t i = 0; i + 13 <= n; i++) {
		if (memcmp(l + i, "CVE-", 4) || (i > 0 && isalnum((unsigned char)l[i - 1])))
			continue;
		size_t j = i + 4, d = 0;
		while (j < n && isdigit((unsigned char)l[j]) && d < 4)
			j++, d++;
		if (d != 4 || j >= n || l[j] != '-')
			continue;
		size_t k = ++j;
		while (k < n && isdigit((unsigned char)l[k]) && k - j < 12)
			k++;
		if (k - j < 4)
			continue;
		char id[32];
		snprintf(id, sizeof(id), "%.*s", (int)(k - i), l + i);
		int r = fn(ud, id, version);
		if (r)
			return r;
		i = k - 1;
	}
	return 0;
}

int qn_changelog_cves(const uint8_t *buf, size_t len, const char *upto, qn_changelog_cve_fn fn, void *ud,
		      qn_error **err)
{
	_cleanup_buf_ qn_buf text = QN_BUF_INIT;
	const char *s;
	size_t n;
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		if (gunzip(buf, len, &text, err) < 0)
			return -1;
		s = text.data ? text.data : "";
		n = text.len;
	} else {
		if (len > CHANGELOG_MAX)
			return qn_error_set(err, QN_ERR_LIMIT, "changelog: more than %u MiB", CHANGELOG_MAX >> 20);
		s = (const char *)buf;
		n = len;
	}
	_cleanup_free_ char *cur = NULL;
	bool counted = false;
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(s + off, '\n', n - off);
		size_t ll = nl ? (size_t)(nl - (s + off)) : n - off;
		char *v = entry_version(s + off, ll);
		if (v) {
			free(cur);
			cur = v;
			counted = upto && qn_dpkg_version_valid(cur) && qn_dpkg_vercmp(cur, upto) <= 0;
		} else if (cur && counted) {
			int r = scan_line(s + off, ll, cur, fn, ud);
			if (r)
				return r < 0 ? -1 : 0;
		}
		off += ll + 1;
	}
	return 0;
}
