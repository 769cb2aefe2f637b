/* Fuzz target: the rpm header parser over arbitrary bytes (as given, and behind the 8-byte header
 * magic), database detection, and the sqlite rpmdb reader and rewriter (dropping every other
 * package) on inputs that start with the SQLite magic. */
#include "pkg/osdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, qn_error *err)
{
	/* every failure must come with a one-line message, and success with none */
	if (rc < 0 && (!err || !err->msg || strchr(err->msg, '\n')))
		__builtin_trap();
	if (rc >= 0 && err)
		__builtin_trap();
}

static void header(const uint8_t *data, size_t size, qn_osdb_warnings *w)
{
	qn_package p;
	qn_error *err = NULL;
	int rc = qn_rpm_parse_header(data, size, "hdr", &p, w, &err);
	check(rc, err);
	if (rc == 0) {
		for (size_t i = 0; i < p.n_files; i++)
			if (!p.files[i].path[0] || p.files[i].path[0] == '/')
				__builtin_trap();
		free(qn_rpm_purl(&p, "rhel", "9.3"));
		qn_package_clear(&p);
	}
	qn_error_free(err);
}

static bool every_other(const qn_package *p, void *ud)
{
	(void)p;
	unsigned *n = ud;
	return (*n)++ % 2 == 0;
}

/* The rewritten database must read back, with as many packages fewer as were dropped. */
static void rewrite(const uint8_t *data, size_t size, size_t listed)
{
	uint8_t *out = NULL;
	size_t len = 0;
	unsigned n = 0;
	qn_error *err = NULL;
	int rc = qn_rpm_sqlite_drop(data, size, "rpmdb.sqlite", every_other, &n, &out, &len, &err);
	check(rc, err);
	if ((rc > 0) != (out != NULL) || (rc < 0 && out))
		__builtin_trap();
	if (rc > 0) {
		qn_pkglist l = {0};
		qn_error *e2 = NULL;
		if (qn_rpm_parse_sqlite(out, len, "rewritten", &l, NULL, &e2) < 0 || l.n + (size_t)rc != listed)
			__builtin_trap();
		qn_pkglist_clear(&l);
	}
	free(out);
	qn_error_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	qn_osdb_warnings w = {0};
	(void)qn_rpmdb_kind_name(qn_rpm_detect_db(data, size));
	if (qn_rpm_detect_db(data, size) == QN_RPMDB_SQLITE) {
		qn_pkglist l = {0};
		qn_error *err = NULL;
		int rc = qn_rpm_parse_sqlite(data, size, "rpmdb.sqlite", &l, &w, &err);
		check(rc, err);
		if (rc == 0)
			rewrite(data, size, l.n);
		qn_error_free(err);
		qn_pkglist_clear(&l);
	} else {
		header(data, size, &w);
		uint8_t *m = malloc(size + 8);
		memcpy(m, "\x8e\xad\xe8\x01\0\0\0\0", 8);
		if (size)
			memcpy(m + 8, data, size);
		header(m, size + 8, &w);
		free(m);
	}
	qn_osdb_warnings_clear(&w);
	return 0;
}
