/* What the rule tests share: series loaded from promtool's texts. */
#ifndef TOKENTAIL_TEST_RULES_HELPERS_H
#define TOKENTAIL_TEST_RULES_HELPERS_H

#include <stdlib.h>

#include "series.h"

/* Adds the series written as series (a selector of = matchers) with
 * values in the expanding notation, one step_ms apart from 0. */
static inline void load_series(struct series_set *set, const char *series,
                               const char *values, int64_t step_ms)
{
    struct labels ls;
    struct promql_sample *s;
    size_t n;
    char err[SERIES_ERR_MAX];
    if (series_parse_labels(series, &ls, err) != 0)
        fail_msg("%s: %s", series, err);
    if (series_expand(values, 0, step_ms, &s, &n, err) != 0)
        fail_msg("%s: %s", values, err);
    assert_int_equal(series_set_add(set, &ls, s, n), 0);
    labels_free(&ls);
    free(s);
}

#endif
