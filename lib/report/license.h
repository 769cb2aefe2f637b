/* Declared licences as SBOM formats want them: SPDX licence expressions (SPDX 2.3 Annex D) and
 * CycloneDX 1.6 licence choices. Inside the report module only. */
#ifndef QN_REPORT_LICENSE_H
#define QN_REPORT_LICENSE_H

#include <jansson.h>

#include "util/strset.h"
#include "util/util.h"

/* The canonical spelling of an SPDX licence id (matched case-insensitively, "mit" -> "MIT";
 * the deprecated "GPL-2.0+" forms included) or exception id, or NULL when s is none. Borrowed
 * from a static table (lib/report/spdx_ids.h, SPDX licence list 3.29.0). */
const char *qn_spdx_licence_id(const char *s);
const char *qn_spdx_exception_id(const char *s);

/* A valid SPDX licence expression for a declared licence text: known ids in their canonical
 * spelling, operators upper-case, and every term that is not an SPDX id (or a text that is no
 * expression at all) replaced by "LicenseRef-<name>". Each LicenseRef used is put into refs
 * (id -> a copy of the original text, owned by the caller: free the values before
 * qn_strset_clear) so the document can declare it. Returns NULL for NULL/blank text; caller
 * frees. */
char *qn_license_spdx(const char *text, qn_strset *refs);

/* Frees the texts qn_license_spdx put into refs, and clears refs. */
void qn_license_refs_clear(qn_strset *refs);

/* The CycloneDX `licenses` array for a declared licence text: [{"license":{"id":ID}}] for one
 * SPDX id, [{"expression":E}] for an expression (terms that are not SPDX ids written as
 * LicenseRef-…, as qn_license_spdx does), else one "name" for a text that is no expression.
 * Invalid ids never go into "id" (the schema refuses them). Returns a new reference, or NULL
 * for NULL/blank text. */
json_t *qn_license_cdx(const char *text);

#endif
