/* The keep set: canonical image paths that the hardened image keeps, each with the reason it is
 * kept (profile, closure, essential, include, package database, rule). Adding a path keeps what
 * the kernel would walk to reach it: every parent folder and every symlink on the way, and the
 * symlink's target. */
#ifndef QN_KEEP_H
#define QN_KEEP_H

#include "quench/tree.h"
#include "util/strset.h"

typedef struct {
	const qn_tree *t;
	qn_strset paths; /* path -> const char *reason (static string) */
} qn_keep;

void qn_keep_init(qn_keep *k, const qn_tree *t);
void qn_keep_clear(qn_keep *k);
/* Keeps path as a process inside the container would reach it (symlinks followed; with
 * follow_last the last symlink too). Paths absent from the image add only what exists on the
 * way. Returns true when the path (or its target) exists in the image. */
bool qn_keep_path(qn_keep *k, const char *path, bool follow_last, const char *reason);
/* Keeps a folder and everything below it (symlinks inside are kept as links, and their targets
 * too). */
void qn_keep_subtree(qn_keep *k, const char *path, const char *reason);
bool qn_keep_has(const qn_keep *k, const char *path);
const char *qn_keep_reason(const qn_keep *k, const char *path);
size_t qn_keep_count(const qn_keep *k);

/* Shell-style glob match of a canonical path (e.g. "usr/share/doc/" followed by "**"): '*' does not cross
 * '/', '**' does, '?' and '[...]' as in fnmatch. A leading '/' in the pattern is ignored. */
bool qn_path_glob_match(const char *pattern, const char *path);

#endif
