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

#ifdef __cplusplus
}
#endif
#endif
