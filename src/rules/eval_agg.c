/*
 * Aggregations: sum, avg, min, max and count over groups of a vector's
 * elements, the groups given by by (the labels kept) or without (the
 * labels dropped, with the metric name).
 */
#include "eval_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* One group's running value, as Prometheus accumulates it. */
struct acc {
    double value, mean, count;
};

static void acc_add(struct acc *a, enum promql_agg op, double v)
{
    if (a->count++ == 0) {
        a->value = a->mean = v;
        return;
    }
    switch (op) {
    case PROMQL_SUM:
        a->value += v;
        break;
    case PROMQL_AVG:
        /* An incremental mean, which does not overflow where a sum
         * would; an infinite mean stays put unless v is its opposite or
         * NaN. */
        if (isinf(a->mean)) {
            if (isinf(v) && (a->mean > 0) == (v > 0))
                break;
            if (!isinf(v) && !isnan(v))
                break;
        }
        a->mean += v / a->count - a->mean / a->count;
        break;
    case PROMQL_MAX:
        if (a->value < v || isnan(a->value))
            a->value = v;
        break;
    case PROMQL_MIN:
        if (a->value > v || isnan(a->value))
            a->value = v;
        break;
    case PROMQL_COUNT:
        break;
    }
}

static double acc_result(const struct acc *a, enum promql_agg op)
{
    if (op == PROMQL_AVG)
        return a->mean;
    if (op == PROMQL_COUNT)
        return a->count;
    return a->value;
}

int ev_aggregate(struct ev *e, const struct promql_node *n,
                 struct promql_value *out)
{
    struct promql_value in;
    int rc = ev_node(e, n->u.agg.arg, &in);
    if (rc != 0)
        return rc;
    const char *const *names = (const char *const *)n->u.agg.grouping.v;
    size_t n_names = n->u.agg.grouping.n;
    enum labels_pick pick =
        n->u.agg.without ? LABELS_ALL_BUT_NAME : LABELS_ONLY;
    struct keyset ks;
    rc = keyset_build(&ks, &in.vec, names, n_names, pick);
    /* Each group's elements are adjacent, in the order they came. */
    for (size_t i = 0; rc == 0 && i < ks.n;) {
        struct acc a = {0};
        size_t first = ks.e[i].idx;
        size_t j = i;
        for (; j < ks.n && keyent_same(&ks.e[i], &ks.e[j]); j++)
            acc_add(&a, n->u.agg.op, in.vec.v[ks.e[j].idx].v);
        struct labels ls;
        rc = labels_filter(&ls, &in.vec.v[first].labels, names, n_names, pick);
        if (rc == 0)
            rc = vec_push(&out->vec, &ls, acc_result(&a, n->u.agg.op));
        i = j;
    }
    keyset_free(&ks);
    promql_value_free(&in);
    return rc;
}
