/*
 * What the evaluator's files share: eval.c (nodes, selectors, vectors),
 * eval_binary.c (operators and vector matching), eval_agg.c
 * (aggregations) and eval_func.c (functions). Not part of the module's
 * interface.
 */
#ifndef TOKENTAIL_RULES_EVAL_PRIVATE_H
#define TOKENTAIL_RULES_EVAL_PRIVATE_H

#include "eval.h"

struct ev {
    const struct promql_source *src; /* borrowed */
    int64_t t_ms;
    char *err; /* PROMQL_ERR_MAX bytes */
};

/* Evaluates n into *out (emptied first; empty again on failure). 0 or
 * -errno, err set for -EINVAL. */
int ev_node(struct ev *e, const struct promql_node *n,
            struct promql_value *out);

/* Sets the error message; returns -EINVAL. */
int ev_fail(struct ev *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends an element, taking ls (emptied, also on failure). 0 or
 * -ENOMEM. */
int vec_push(struct promql_vector *v, struct labels *ls, double val);

/* Appends a copy of ls with __name__ removed when drop_name. */
int vec_push_copy(struct promql_vector *v, const struct labels *ls,
                  bool drop_name, double val);

void vec_free(struct promql_vector *v);

/* -EINVAL, as Prometheus fails, when two elements have the same labels. */
int vec_check_unique(struct ev *e, const struct promql_vector *v);

/*
 * The samples of each series n (a range selector) selects, stale markers
 * left out, handed to fn with the series' labels; fn returns 0 or
 * -errno.
 */
typedef int (*ev_series_fn)(void *arg, const struct labels *ls,
                            const struct promql_sample *s, size_t n);
int ev_range(struct ev *e, const struct promql_node *sel, ev_series_fn fn,
             void *arg);

/* An element's key (labels_key) and where it is in its vector. */
struct keyent {
    const char *key;
    size_t len, idx;
    bool used;
};

/* The elements of a vector by key, sorted by key and then by position. */
struct keyset {
    struct buf text;
    struct keyent *e;
    size_t n;
};

/* Builds ks for v (borrowed, must outlive ks) picking labels of names
 * as labels_key() does. 0 or -ENOMEM; keyset_free() in either case. */
int keyset_build(struct keyset *ks, const struct promql_vector *v,
                 const char *const *names, size_t n, enum labels_pick pick);
void keyset_free(struct keyset *ks);
/* Orders entries by key, then by position. */
int keyent_cmp(const void *a, const void *b);
/* Whether two entries have the same key. */
bool keyent_same(const struct keyent *a, const struct keyent *b);
/* The first entry with the key k holds, or NULL. */
struct keyent *keyset_find(const struct keyset *ks, const struct buf *k);

int ev_binary(struct ev *e, const struct promql_node *n,
              struct promql_value *out);
int ev_aggregate(struct ev *e, const struct promql_node *n,
                 struct promql_value *out);
int ev_call(struct ev *e, const struct promql_node *n,
            struct promql_value *out);

/* Go's math.Max and math.Min: an infinity of the right sign wins, then
 * NaN, unlike fmax and fmin. */
double ev_go_max(double a, double b);
double ev_go_min(double a, double b);

#endif
