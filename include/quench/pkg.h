/* libquench pkg module: what is installed in an image (OS identity; package inventories). */
#ifndef QUENCH_PKG_H
#define QUENCH_PKG_H

#include <stddef.h>
#include <stdint.h>

#include "quench/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OS identity from os-release(5). Any field may be NULL. */
typedef struct {
	char *id;               /* "debian", "alpine" */
	char *id_like;
	char *name;
	char *pretty_name;
	char *version;
	char *version_id;       /* "12", "3.20.3" */
	char *version_codename; /* "bookworm" */
	char *source;           /* which file it came from ("etc/os-release") */
} qn_os_info;

/* Parses os-release text (KEY=VALUE lines, shell-style quoting). Never fails: lines that do not
 * parse are skipped. Fills out (clear it with qn_os_info_clear). */
void qn_osrelease_parse(const uint8_t *buf, size_t len, qn_os_info *out);
void qn_os_info_clear(qn_os_info *os);
/* Finds etc/os-release (following symlinks inside the image) or usr/lib/os-release in a tree
 * whose build captured them (see qn_os_capture). Returns 0 when found, -1 when the image has
 * none (out is left empty). */
int qn_os_detect(const qn_tree *t, qn_os_info *out);
/* Capture limit for os-release files, for use inside a qn_capture_fn: returns a byte limit for
 * the paths qn_os_detect reads, else 0. */
size_t qn_os_capture(const char *path);

#ifdef __cplusplus
}
#endif
#endif
