/*
 * The PromQL evaluator: a parsed expression (promql.h) evaluated at one
 * instant over a source of series, with Prometheus' semantics — the
 * 5-minute lookback of instant selectors, rate's extrapolation, the
 * labels aggregations and operators keep, one-to-one vector matching,
 * histogram_quantile's interpolation. Values are doubles, as in PromQL.
 *
 * The source is an interface, so the daemon's history of samples and a
 * rule test's input series can both feed the evaluator: for a selector
 * it walks the series whose labels satisfy the matchers and gives the
 * samples of each inside a window of time, oldest first.
 *
 * Results (struct promql_value) own their label sets; promql_value_free()
 * frees them (NULL is a no-op). The expression and the source are
 * borrowed for the call.
 */
#ifndef TOKENTAIL_RULES_EVAL_H
#define TOKENTAIL_RULES_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labels.h"
#include "promql.h"

/* Prometheus' staleness marker: a NaN with these bits. A series whose
 * latest sample is one has ended. */
#define PROMQL_STALE_BITS 0x7ff0000000000002ULL

struct promql_sample {
    int64_t t_ms; /* milliseconds since the epoch */
    double v;
};

/* Whether v is the staleness marker, not merely a NaN. */
bool promql_is_stale(double v);
/* The staleness marker as a double. */
double promql_stale(void);

/* The index of the first of the n samples s (oldest first) at or after
 * t_ms; n when none is. For sources handing out a window. */
size_t promql_first_at(const struct promql_sample *s, size_t n, int64_t t_ms);

/*
 * Called by a source for each series selected: its labels and its n
 * samples in the window (all borrowed for the call). Returns 0 to go on,
 * or -errno to stop the walk with that error.
 */
typedef int (*promql_emit_fn)(void *arg, const struct labels *ls,
                              const struct promql_sample *s, size_t n);

struct promql_source {
    /*
     * Walks the series satisfying all n matchers (promql_matchers_match()
     * says which), calling emit with the samples of each whose times lie
     * in [from_ms, to_ms], oldest first, stale markers included; a series
     * with no sample there may be skipped. Returns 0 or what emit returned.
     */
    int (*select)(void *ctx, const struct promql_matcher *m, size_t n,
                  int64_t from_ms, int64_t to_ms, promql_emit_fn emit,
                  void *arg);
    void *ctx;
};

struct promql_elem {
    struct labels labels;
    double v;
};

/* An instant vector: elements in no particular order, each label set
 * once. */
struct promql_vector {
    struct promql_elem *v;
    size_t n, cap;
};

struct promql_value {
    enum promql_type type; /* PROMQL_SCALAR or PROMQL_VECTOR */
    double scalar;
    struct promql_vector vec;
};

/*
 * Evaluates expr (borrowed; of type scalar or instant vector) at t_ms
 * over src (borrowed) into *out (caller frees with promql_value_free).
 * Returns 0; -EINVAL with err (PROMQL_ERR_MAX bytes) set when Prometheus
 * would fail the query too ("multiple matches for labels: many-to-one
 * matching must be explicit (group_left/group_right)", "vector cannot
 * contain metrics with the same labelset"); -ENOMEM; or a source's
 * error.
 */
int promql_eval(const struct promql_node *expr, const struct promql_source *src,
                int64_t t_ms, struct promql_value *out, char *err);

void promql_value_free(struct promql_value *v);

#endif
