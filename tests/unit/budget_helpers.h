/*
 * Budgets in unit tests: the ledger fixture (ledger_helpers.h) with the
 * budgets of its configuration, joined to the state as the daemon joins
 * them, before it restores; lines at fixed instants around NOW.
 */
#ifndef TOKENTAIL_TEST_BUDGET_HELPERS_H
#define TOKENTAIL_TEST_BUDGET_HELPERS_H

#include "budget.h"
#include "budget_store.h"
#include "ledger_helpers.h"

/* 2024-02-29T10:45:00Z, and the month around it. */
#define NOW         1709203500
#define MONTH_START 1706745600
#define MONTH_END   1709251200

#define BUDGETS_YAML(zone)                                                     \
    LEDGER_YAML(zone, LEDGER_KEEP_ALL)                                         \
    "budgets:\n"                                                               \
    "  - {name: month_a, metric: tokens_total, match: {model: a},"             \
    " period: month, limit: 100}\n"                                            \
    "  - {name: day_a, metric: tokens_total, match: {model: a},"               \
    " period: day, limit: unlimited}\n"                                        \
    "  - {name: hour, metric: tokens_total, period: hour, limit: 10,"          \
    " warn_at: [0.5, 1, 2]}\n"

struct bfix {
    struct lfix f;
    struct budgets *b;
};

/* Builds everything for yaml, the state at path ("" for none). */
static inline void bfix_open(struct bfix *x, const char *yaml, const char *path)
{
    lfix_build(&x->f, yaml, path);
    assert_int_equal(budgets_new(x->f.cfg, x->f.l, &x->b), 0);
    assert_int_equal(budget_store_join(x->f.s, x->b), 0);
    assert_int_equal(state_restore(x->f.s), 0);
}

/* Closes it all without a checkpoint: as a kill -9 would. */
static inline void bfix_close(struct bfix *x)
{
    state_close(x->f.s);
    budgets_free(x->b);
    lfix_close_rest(&x->f);
}

/* The lines of February 2024 the tests share (and one of January). */
static inline void bfix_feed(struct lfix *f)
{
    lfix_line(f, "2024-01-31T23:59:59Z", "a", "1000", NULL); /* last month */
    lfix_line(f, "2024-02-28T12:00:00Z", "a", "20", NULL);
    lfix_line(f, "2024-02-29T09:59:59Z", "a", "3", NULL);
    lfix_line(f, "2024-02-29T10:15:00Z", "a", "50", NULL);
    lfix_line(f, "2024-02-29T10:40:00Z", "b", "7", NULL);
}

/* Budget i's used, as the ledger sums it at NOW, is want. */
static inline void expect_num_used(struct budgets *b, size_t i,
                                   const char *want)
{
    char s[NUM_FMT_MAX];
    assert_int_equal(budgets_eval(b, NOW), 0);
    num_format(budgets_figures(b, i)->used, s);
    assert_string_equal(s, want);
}

#endif
