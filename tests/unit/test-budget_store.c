/*
 * Budget warnings kept with the checkpoints: after a restart from a
 * checkpoint, even without a last one (kill -9), a warning saved is not
 * given again and one not saved is given again with the lines read again;
 * a new period leaves nothing of the last one in the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budget_helpers.h"

static int count_warned(void *ctx, const struct budget_warned *w)
{
    (void)w;
    (*(int *)ctx)++;
    return 0;
}

static int warned(const struct budgets *b)
{
    int n = 0;
    assert_int_equal(budgets_each_warned(b, count_warned, &n), 0);
    return n;
}

static void test_restart(void **state)
{
    const struct tmp *t = *state;
    struct bfix x;
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    bfix_feed(&x.f);
    assert_int_equal(budgets_check(x.b, NOW), 3);
    assert_int_equal(state_checkpoint(x.f.s), 1);
    assert_false(budgets_warned_changed(x.b));
    bfix_close(&x);

    /* Saved: not given again. */
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    assert_int_equal(warned(x.b), 3);
    assert_int_equal(budgets_check(x.b, NOW), 0);
    /* Given, not saved: the line is read again, and so is the warning. */
    lfix_line(&x.f, "2024-02-29T10:50:00Z", "a", "7", NULL);
    assert_int_equal(budgets_check(x.b, NOW), 1);
    bfix_close(&x);
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    expect_num_used(x.b, 0, "73");
    assert_int_equal(budgets_check(x.b, NOW), 0);
    lfix_line(&x.f, "2024-02-29T10:50:00Z", "a", "7", NULL);
    assert_int_equal(budgets_check(x.b, NOW), 1);
    assert_int_equal(state_checkpoint(x.f.s), 1);
    bfix_close(&x);

    /* The next hour: the hour's warnings leave the file. */
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    assert_int_equal(warned(x.b), 4);
    assert_int_equal(budgets_check(x.b, NOW + 3600), 0);
    assert_int_equal(state_checkpoint(x.f.s), 1);
    bfix_close(&x);
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    assert_int_equal(warned(x.b), 1);
    bfix_close(&x);
}

/* A budget whose warn_at changed keeps the fractions it still has. */
static void test_changed_config(void **state)
{
    const struct tmp *t = *state;
    struct bfix x;
    bfix_open(&x, BUDGETS_YAML("UTC"), t->path);
    bfix_feed(&x.f);
    assert_int_equal(budgets_check(x.b, NOW), 3);
    assert_int_equal(state_checkpoint(x.f.s), 1);
    bfix_close(&x);
    bfix_open(
        &x,
        LEDGER_YAML("UTC", LEDGER_KEEP_ALL) "budgets:\n"
                                            "  - {name: hour, metric: "
                                            "tokens_total, period: hour,"
                                            " limit: 10, warn_at: [1, 3, 5]}\n",
        t->path);
    assert_int_equal(warned(x.b), 1);
    assert_int_equal(budgets_check(x.b, NOW), 2); /* 57 >= 30 and 50 */
    bfix_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restart, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_changed_config, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
