/*
 * Label sets as PromQL sees them: name and value pairs sorted by name,
 * each name at most once, the metric name under "__name__". A series of
 * the evaluator's input, a sample of its output and an alert all carry
 * one.
 *
 * A set owns its strings and its array; labels_free() frees them (NULL is
 * a no-op) and leaves an empty set. Functions taking a set borrow it for
 * the call. Functions that build a set return 0 or -ENOMEM and leave the
 * destination empty on failure.
 */
#ifndef TOKENTAIL_RULES_LABELS_H
#define TOKENTAIL_RULES_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define LABELS_NAME "__name__" /* the label holding the metric name */

struct label {
    char *name;
    char *value;
};

struct labels {
    struct label *v; /* sorted by name */
    size_t n;
};

void labels_free(struct labels *ls);

/* The value of name in ls, or NULL when ls has no such label. */
const char *labels_get(const struct labels *ls, const char *name);

/*
 * Sets name to value (both borrowed, copied) in ls; an empty value
 * removes the label, as Prometheus treats an empty value as no label.
 * 0 or -ENOMEM (ls unchanged).
 */
int labels_set(struct labels *ls, const char *name, const char *value);

/* Removes name from ls if present. */
void labels_del(struct labels *ls, const char *name);

/* A copy of src (borrowed) into *dst (caller frees). 0 or -ENOMEM. */
int labels_copy(struct labels *dst, const struct labels *src);

/* Which labels of a set a filter or a key takes, given a list of names. */
enum labels_pick {
    LABELS_ONLY,         /* only those listed (by, on) */
    LABELS_ALL_BUT,      /* every label but those listed */
    LABELS_ALL_BUT_NAME, /* every label but those and __name__ (without,
                          * ignoring) */
};

/*
 * A copy of src with the labels pick takes of names (borrowed, n
 * entries). 0 or -ENOMEM.
 */
int labels_filter(struct labels *dst, const struct labels *src,
                  const char *const *names, size_t n, enum labels_pick pick);

/* 0 when equal; otherwise the sign of a stable order of sets. */
int labels_cmp(const struct labels *a, const struct labels *b);

/*
 * Appends a key to out that is equal for two sets exactly when the
 * labels pick takes, as labels_filter() does, are equal (a missing label
 * and an empty one are the same). Used to group and match series.
 */
void labels_key(struct buf *out, const struct labels *ls,
                const char *const *names, size_t n, enum labels_pick pick);

/*
 * Appends ls as Prometheus prints a label set: {__name__="x", a="b"}
 * with values escaped as Go quotes them; "{}" for the empty set.
 */
void labels_format(struct buf *out, const struct labels *ls);

/* Appends s in double quotes, escaped as Go's strconv.Quote does for
 * printable text. */
void labels_quote(struct buf *out, const char *s);

#endif
