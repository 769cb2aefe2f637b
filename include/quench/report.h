/* libquench report module: documents built from what the other modules computed. The library
 * builds data (JSON documents); the command line decides how to print them. */
#ifndef QUENCH_REPORT_H
#define QUENCH_REPORT_H

#include <jansson.h>

#include "quench/image.h"
#include "quench/pkg.h"
#include "quench/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The `quench inspect --json` document (docs/inspect.md): image identity, the drop-in config
 * fields, OS, layers, totals and the largest folders. os may be NULL. Returns a new reference. */
json_t *qn_report_inspect(const qn_image *img, const qn_tree *tree, const qn_os_info *os, size_t top_folders);

/* ---- SBOMs: the inventory of an image as documents (docs/sbom.md) ----
 * Each builder takes the opened image (identity, config, layers from qn_image_layer()) and its
 * inventory (qn_inventory_build), keeps neither, and returns a new reference (json_decref).
 * Output is deterministic: packages in the inventory's order, timestamps from the image
 * config's "created" (never the clock), document UUIDs derived from the image digest. */

/* quench's own JSON (schema "quench.sbom/v1"): image, OS, layers, and every package with its
 * type, name, version, source, architecture, declared licence (and as an SPDX expression),
 * purl, layer, dependencies (raw and resolved) and files; plus the inventory's warnings. */
json_t *qn_report_sbom(const qn_image *img, const qn_inventory *inv);
/* CycloneDX 1.6 JSON BOM: the image as metadata.component (container), the OS as an
 * operating-system component, packages as libraries with their files as nested file
 * components, and the dependency graph. */
json_t *qn_report_cyclonedx(const qn_image *img, const qn_inventory *inv);
/* SPDX 2.3 JSON document describing the image package, which CONTAINS the OS and the
 * packages; DEPENDS_ON relationships between packages. */
json_t *qn_report_spdx(const qn_image *img, const qn_inventory *inv);

#ifdef __cplusplus
}
#endif
#endif
