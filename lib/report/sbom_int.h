/* Inside the SBOM builders: what sbom.c (quench's own JSON), sbom_cdx.c (CycloneDX 1.6) and
 * sbom_spdx.c (SPDX 2.3) share. One context per document: the image, the inventory, a unique
 * reference per package, the dependencies the package databases record resolved to packages
 * of the inventory, and the deterministic identity of the document. */
#ifndef QN_REPORT_SBOM_INT_H
#define QN_REPORT_SBOM_INT_H

#include "quench/report.h"
#include "util/json.h"

typedef struct {
	const qn_image *img;
	const qn_inventory *inv;
	size_t n;     /* packages */
	char **ref;   /* per package: unique reference (purl; location added when repeated) */
	size_t **dep; /* per package: indices of the packages it depends on, sorted, unique */
	size_t *n_dep;
	char created[32]; /* image config "created" in UTC, "YYYY-MM-DDThh:mm:ssZ" */
	char uuid[37];    /* deterministic, from the image identity and the document kind */
	char *name;       /* the image's name: tag, else the file or folder name */
} qn_sbom_ctx;

/* kind names the document ("cyclonedx", "spdx", "quench") so each gets its own UUID. */
void qn_sbom_ctx_init(qn_sbom_ctx *c, const qn_image *img, const qn_inventory *inv, const char *kind);
void qn_sbom_ctx_clear(qn_sbom_ctx *c);

/* The image identity documents are derived from: config digest, else manifest digest, else
 * the reference as given. Borrowed. */
const char *qn_sbom_image_id(const qn_image *img);
/* True for dpkg, apk and rpm packages (those the OS component holds). */
bool qn_sbom_is_os_pkg(const qn_package *p);
/* s when it is an http(s) URL made only of characters RFC 3986 allows, else NULL (a homepage
 * field can hold anything; URI-typed schema fields must not). Borrowed. */
const char *qn_sbom_url(const char *s);
/* The layer that introduced p, or NULL. */
const qn_layer_info *qn_sbom_layer(const qn_sbom_ctx *c, const qn_package *p);
/* Algorithm and hex of a recorded digest ("md5:…", "sha1:…", "sha256:…", "sha512:…") when the
 * hex has the right length; false otherwise. */
bool qn_sbom_digest(const char *digest, const char **algo, const char **hex);
/* "/" + path. Caller frees. */
char *qn_sbom_abs(const char *path);
/* The OS identity as quench's JSON shows it (null when unknown). New reference. */
json_t *qn_sbom_os_json(const qn_os_info *os);
/* Fills c->dep / c->n_dep (sbom_deps.c). */
void qn_sbom_resolve_deps(qn_sbom_ctx *c);

#endif
