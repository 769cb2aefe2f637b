/* Canonical relative paths inside an image ("" is the root, no leading or trailing slash). */
#ifndef QN_PATH_H
#define QN_PATH_H

#include "util.h"

/* Normalises an archive path (see path.c for the rules). On success *out is a new string
 * (caller frees). Fails with QN_ERR_INPUT for absolute paths and "..", QN_ERR_LIMIT beyond max. */
int qn_path_normalize(const char *raw, size_t max, char **out, qn_error **err);
/* Last component (borrowed from path). */
const char *qn_path_base(const char *path);
/* Everything before the last component ("" for a top-level name). Caller frees. */
char *qn_path_dir(const char *path);
/* a + "/" + b, either may be "". Caller frees. */
char *qn_path_join(const char *a, const char *b);
/* True when path is dir or below it ("" contains everything). */
bool qn_path_is_under(const char *path, const char *dir);

#endif
