/*
 * Label sets as the rules' tables store them: a blob of NUL-terminated
 * names and values, in the set's order. Shared by the alerts' and the
 * history's tables (engine_store.c, history_store.c).
 */
#ifndef TOKENTAIL_RULES_STORE_LABELS_H
#define TOKENTAIL_RULES_STORE_LABELS_H

#include <stddef.h>

#include "buf.h"
#include "labels.h"

struct sqlite3_stmt;

/* Replaces b's contents (borrowed) with ls (borrowed) as a blob; b.oom
 * tells a failure. */
void store_labels_encode(struct buf *b, const struct labels *ls);

/*
 * Reads a blob p (len bytes, borrowed) into *out (caller frees). 0,
 * -EINVAL for a blob not written by store_labels_encode, or -ENOMEM.
 */
int store_labels_decode(const char *p, size_t len, struct labels *out);

/* Column c of q's row as a blob (borrowed until q steps), "" for NULL;
 * its length in *len. */
const char *store_blob(struct sqlite3_stmt *q, int c, size_t *len);

#endif
