/*
 * Budgets: the projection rule, the figures and status from what was
 * used, the sums over the calendar periods of the ledger (one a leap
 * month), and each warning given once per fraction and period. The
 * expected numbers were computed apart, with Python's Decimal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budget.h"
#include "budget_helpers.h"

static void expect_num(num_fixed v, const char *want)
{
    char s[NUM_FMT_MAX];
    num_format(v, s);
    assert_string_equal(s, want);
}

static void test_project(void **state)
{
    struct period_span sp = {.kind = PERIOD_HOUR, .start = 0, .end = 1000};
    (void)state;
    /* The first 5 % of the period: what was used. */
    expect_num(budget_project(dec("3"), &sp, 0), "3");
    expect_num(budget_project(dec("3"), &sp, 49), "3");
    expect_num(budget_project(dec("3"), &sp, 50), "60");
    expect_num(budget_project(dec("3"), &sp, 500), "6");
    expect_num(budget_project(dec("3"), &sp, 1000), "3");
    /* Rounded half to even at 10^-12. */
    sp.end = 3000;
    expect_num(budget_project(NUM_ONE, &sp, 700), "4.285714285714");
    /* Too large to project: the largest value. */
    assert_true(budget_project(NUM_FIXED_MAX / 2, &sp, 700) == NUM_FIXED_MAX);
}

static void test_figures(void **state)
{
    const num_fixed warn[] = {dec("0.8"), NUM_ONE};
    struct cfg_budget b = {
        .name = "b", .limit = dec("120"), .warn_at = warn, .n_warn = 2};
    struct period_span sp = {.kind = PERIOD_MONTH, .start = 0, .end = 100};
    struct budget_figures f;
    (void)state;
    budget_figures_of(&b, &sp, 50, dec("95.999999999999"), &f);
    assert_int_equal(f.status, BUDGET_OK);
    assert_int_equal(f.reached, 0);
    expect_num(f.remaining, "24.000000000001");
    expect_num(f.utilization, "0.8"); /* rounded; the status is not */
    expect_num(f.projected, "191.999999999998");
    budget_figures_of(&b, &sp, 50, dec("96"), &f);
    assert_int_equal(f.status, BUDGET_WARNING);
    assert_int_equal(f.reached, 1);
    budget_figures_of(&b, &sp, 50, dec("120"), &f);
    assert_int_equal(f.status, BUDGET_EXCEEDED);
    assert_int_equal(f.reached, 2);
    expect_num(f.remaining, "0");
    budget_figures_of(&b, &sp, 50, dec("130.5"), &f);
    expect_num(f.remaining, "-10.5");
    expect_num(f.utilization, "1.0875");
    assert_string_equal(budget_status_name(f.status), "exceeded");

    b.unlimited = true;
    budget_figures_of(&b, &sp, 50, dec("1000"), &f);
    assert_false(f.limited);
    assert_int_equal(f.status, BUDGET_OK);
    assert_int_equal(f.reached, 0);
    expect_num(f.projected, "2000");
}

static void test_eval(void **state)
{
    struct lfix f;
    struct budgets *b;
    (void)state;
    lfix_open(&f, BUDGETS_YAML("UTC"), "");
    assert_int_equal(budgets_new(f.cfg, f.l, &b), 0);
    assert_int_equal(budgets_count(b), 3);
    bfix_feed(&f);
    assert_int_equal(budgets_eval(b, NOW), 0);

    const struct budget_figures *m = budgets_figures(b, 0);
    assert_int_equal(m->span.start, MONTH_START);
    assert_int_equal(m->span.end, MONTH_END);
    expect_num(m->used, "73");
    expect_num(m->limit, "100");
    expect_num(m->remaining, "27");
    expect_num(m->utilization, "0.73");
    expect_num(m->projected, "74.41669718052");
    assert_int_equal(m->status, BUDGET_OK);

    const struct budget_figures *d = budgets_figures(b, 1);
    expect_num(d->used, "53");
    expect_num(d->projected, "118.325581395349");
    assert_false(d->limited);

    const struct budget_figures *h = budgets_figures(b, 2);
    assert_int_equal(h->span.start, NOW - 45 * 60);
    expect_num(h->used, "57");
    expect_num(h->projected, "76");
    assert_int_equal(h->status, BUDGET_EXCEEDED);
    assert_int_equal(h->reached, 3);

    /* Saved or not, the sums are the same. */
    assert_int_equal(ledger_sync(f.l), 0);
    lfix_line(&f, "2024-02-01T00:00:00Z", "a", "0.5", NULL);
    assert_int_equal(budgets_eval(b, NOW), 0);
    expect_num(budgets_figures(b, 0)->used, "73.5");
    /* The next hour starts empty. */
    assert_int_equal(budgets_eval(b, NOW + 15 * 60), 0);
    expect_num(budgets_figures(b, 2)->used, "0");
    expect_num(budgets_figures(b, 0)->used, "73.5");
    budgets_free(b);
    lfix_close(&f);
}

/* Budgets of one metric and period are summed by one query, grouped: each
 * gets its own series, the overflow series only a budget without match. */
static void test_alike(void **state)
{
    struct lfix f;
    struct budgets *b;
    (void)state;
    lfix_open(
        &f,
        LEDGER_YAML("UTC", LEDGER_KEEP_ALL) "budgets:\n"
                                            "  - {name: m_a, metric: "
                                            "tokens_total, match: {model: a},"
                                            " period: month, limit: 100}\n"
                                            "  - {name: m_all, metric: "
                                            "tokens_total, period: month,"
                                            " limit: 100}\n"
                                            "  - {name: d_b, metric: "
                                            "tokens_total, match: {model: b},"
                                            " period: day, limit: 100}\n"
                                            "  - {name: m_b, metric: "
                                            "tokens_total, match: {model: b},"
                                            " period: month, limit: 100}\n"
                                            "  - {name: m_d, metric: "
                                            "tokens_total, match: {model: d},"
                                            " period: month, limit: 100}\n",
        "");
    assert_int_equal(budgets_new(f.cfg, f.l, &b), 0);
    bfix_feed(&f);
    lfix_line(&f, "2024-02-29T10:40:00Z", "c", "1", NULL);
    lfix_line(&f, "2024-02-29T10:40:00Z", "d", "100", NULL); /* overflow */
    assert_int_equal(budgets_eval(b, NOW), 0);
    expect_num(budgets_figures(b, 0)->used, "73");
    expect_num(budgets_figures(b, 1)->used, "181");
    expect_num(budgets_figures(b, 2)->used, "7");
    expect_num(budgets_figures(b, 3)->used, "7");
    expect_num(budgets_figures(b, 4)->used, "0");
    /* Only the budgets whose metric moved are summed again. */
    lfix_line(&f, "2024-02-29T10:41:00Z", "b", "1", NULL);
    assert_int_equal(budgets_eval(b, NOW), 0);
    expect_num(budgets_figures(b, 1)->used, "182");
    expect_num(budgets_figures(b, 2)->used, "8");
    expect_num(budgets_figures(b, 3)->used, "8");
    budgets_free(b);
    lfix_close(&f);
}

static void test_warnings(void **state)
{
    struct lfix f;
    struct budgets *b;
    (void)state;
    lfix_open(&f, BUDGETS_YAML("UTC"), "");
    assert_int_equal(budgets_new(f.cfg, f.l, &b), 0);
    bfix_feed(&f);
    assert_false(budgets_warned_changed(b));
    /* hour: 57 of 10 reaches all three fractions at once. */
    assert_int_equal(budgets_check(b, NOW), 3);
    assert_true(budgets_warned_changed(b));
    budgets_saved(b);
    assert_int_equal(budgets_check(b, NOW), 0);
    assert_false(budgets_warned_changed(b));
    /* month_a: 80 of 100 reaches 0.8, then 100 reaches 1. */
    lfix_line(&f, "2024-02-29T10:41:00Z", "a", "7", NULL);
    assert_int_equal(budgets_check(b, NOW), 1);
    assert_int_equal(budgets_check(b, NOW), 0);
    lfix_line(&f, "2024-02-29T10:41:00Z", "a", "19.999999999999", NULL);
    assert_int_equal(budgets_check(b, NOW), 0);
    lfix_line(&f, "2024-02-29T10:41:00Z", "a", "0.000000000001", NULL);
    assert_int_equal(budgets_check(b, NOW), 1);
    assert_int_equal(budgets_figures(b, 0)->status, BUDGET_EXCEEDED);
    /* The next hour forgets the hour's warnings, keeps the month's. */
    budgets_saved(b);
    assert_int_equal(budgets_check(b, NOW + 3600), 0);
    assert_true(budgets_warned_changed(b));
    lfix_line(&f, "2024-02-29T11:50:00Z", "b", "5", NULL);
    assert_int_equal(budgets_check(b, NOW + 3600), 1);
    budgets_free(b);
    lfix_close(&f);
}

static int count_warned(void *ctx, const struct budget_warned *w)
{
    (void)w;
    (*(int *)ctx)++;
    return 0;
}

/* What was warned comes back after a restart: of the same period only. */
static void test_restore_warned(void **state)
{
    struct lfix f;
    struct budgets *b;
    int n = 0;
    (void)state;
    lfix_open(&f, BUDGETS_YAML("UTC"), "");
    assert_int_equal(budgets_new(f.cfg, f.l, &b), 0);
    bfix_feed(&f);
    struct budget_warned w = {"hour", PERIOD_HOUR, NOW - 45 * 60, NUM_ONE};
    budgets_restore_warned(b, &w);
    w.fraction = dec("0.5");
    budgets_restore_warned(b, &w);
    w.fraction = dec("0.7"); /* a fraction it does not have */
    budgets_restore_warned(b, &w);
    w.kind = PERIOD_DAY; /* another kind of period */
    w.fraction = dec("2");
    budgets_restore_warned(b, &w);
    w.budget = "gone";
    budgets_restore_warned(b, &w);
    assert_int_equal(budgets_each_warned(b, count_warned, &n), 0);
    assert_int_equal(n, 2);
    /* Only 2 is left to warn of. */
    assert_int_equal(budgets_check(b, NOW), 1);
    budgets_free(b);
    lfix_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_project),  cmocka_unit_test(test_figures),
        cmocka_unit_test(test_eval),     cmocka_unit_test(test_alike),
        cmocka_unit_test(test_warnings), cmocka_unit_test(test_restore_warned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
