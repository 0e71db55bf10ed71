/*
 * A save's updates (ledger_batch.h): groups found again, updates in
 * (grain, metric, period, number) order whatever order they came in,
 * equal keys kept in the order they came, and memory given back after a
 * burst.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ledger_batch.h"

static void test_small(void **state)
{
    struct ledger_batch b = {0};
    (void)state;
    ledger_batch_reset(&b);
    /* Hours (grain 1) before days (grain 0) as they come from cells. */
    assert_int_equal(ledger_batch_add(&b, 1, 0, 7200, 70, 5, 0), 0);
    assert_int_equal(ledger_batch_add(&b, 0, 0, 19000, 70, 5, 0), 0);
    assert_int_equal(ledger_batch_add(&b, 1, 0, 3600, 3, 2, 1), 0);
    assert_int_equal(ledger_batch_add(&b, 0, 0, 19000, 3, 2, 1), 0);
    assert_int_equal(ledger_batch_add(&b, 1, 0, 7200, 3, 4, 0), 0);
    assert_int_equal(ledger_batch_add(&b, 0, 0, 19000, 3, 4, 0), 0);
    assert_int_equal(ledger_batch_add(&b, 0, 1, 18999, 0, 9, 0), 0);
    assert_int_equal(b.n, 7);
    assert_int_equal(b.n_groups, 4);
    ledger_batch_sort(&b);
    static const struct {
        uint8_t grain;
        uint32_t metric;
        int64_t period;
        uint32_t n;
        num_fixed sum;
    } want[] = {
        {0, 0, 19000, 3, 2}, {0, 0, 19000, 3, 4}, {0, 0, 19000, 70, 5},
        {0, 1, 18999, 0, 9}, {1, 0, 3600, 3, 2},  {1, 0, 7200, 3, 4},
        {1, 0, 7200, 70, 5},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const struct ledger_update *u = &b.updates[i];
        const struct ledger_target *g = &b.groups[ledger_update_group(u)];
        assert_int_equal(g->grain, want[i].grain);
        assert_int_equal(g->metric, want[i].metric);
        assert_int_equal(g->period, want[i].period);
        assert_int_equal(ledger_update_n(u), want[i].n);
        assert_true(u->sum == want[i].sum);
    }
    /* The groups are in order too, so group indexes follow it. */
    assert_int_equal(b.groups[0].period, 19000);
    assert_int_equal(b.groups[3].period, 7200);
    assert_int_equal(b.updates[1].count, 0);
    assert_int_equal(b.updates[0].count, 1);
    ledger_batch_free(&b);
    ledger_batch_free(NULL);
}

/* A save that numbered its series adds each cell's hour and day with
 * numbers rising in both: sorted by the groups alone, still in order. */
static void test_numbers_in_order(void **state)
{
    struct ledger_batch b = {0};
    (void)state;
    ledger_batch_reset(&b);
    for (uint32_t n = 0; n < 1000; n++) {
        assert_int_equal(ledger_batch_add(&b, 1, 0, 7200, n, n, 0), 0);
        assert_int_equal(ledger_batch_add(&b, 0, 0, 19000, n, n, 0), 0);
    }
    assert_int_equal(ledger_batch_add(&b, 0, 0, 19000, 999, 5, 0), 0);
    ledger_batch_sort(&b);
    for (size_t i = 0; i < b.n; i++) {
        const struct ledger_update *u = &b.updates[i];
        const struct ledger_target *g = &b.groups[ledger_update_group(u)];
        uint32_t want =
            i < 1001 ? (uint32_t)(i < 1000 ? i : 999) : (uint32_t)(i - 1001);
        assert_int_equal(g->grain, i < 1001 ? 0 : 1);
        assert_int_equal(ledger_update_n(u), want);
    }
    /* Equal keys in the order added. */
    assert_true(b.updates[999].sum == 999);
    assert_true(b.updates[1000].sum == 5);
    ledger_batch_free(&b);
}

/* A number in [0, bound) from a fixed sequence. */
static uint32_t next(uint64_t *x, uint32_t bound)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((*x >> 33) % bound);
}

struct ref {
    uint8_t grain;
    uint32_t metric;
    int64_t period;
    uint32_t n;
    size_t seq; /* the order added: equal keys keep it */
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->grain != y->grain)
        return x->grain < y->grain ? -1 : 1;
    if (x->metric != y->metric)
        return x->metric < y->metric ? -1 : 1;
    if (x->period != y->period)
        return x->period < y->period ? -1 : 1;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Many updates, 600 groups (past one byte of the key) and numbers past
 * three bytes, against a comparison sort; then the same batch reused. */
static void test_against_qsort(void **state)
{
    enum { N = 20000 };
    struct ledger_batch b = {0};
    struct ref *ref = calloc(N, sizeof(*ref));
    uint64_t x = 42;
    (void)state;
    assert_non_null(ref);
    for (int round = 0; round < 2; round++) {
        ledger_batch_reset(&b);
        for (size_t i = 0; i < N; i++) {
            struct ref r = {(uint8_t)next(&x, 2), next(&x, 3),
                            (int64_t)next(&x, 100) * 3600 - 7200,
                            i % 7 == 0 ? next(&x, 1u << 30) : next(&x, 500), i};
            ref[i] = r;
            /* The sum says which add it was. */
            assert_int_equal(ledger_batch_add(&b, r.grain, r.metric, r.period,
                                              r.n, (num_fixed)i, i),
                             0);
        }
        assert_int_equal(b.n, N);
        assert_int_equal(b.n_groups, 600);
        ledger_batch_sort(&b);
        qsort(ref, N, sizeof(*ref), ref_cmp);
        for (size_t i = 0; i < N; i++) {
            const struct ledger_update *u = &b.updates[i];
            const struct ledger_target *g = &b.groups[ledger_update_group(u)];
            assert_true(u->sum == (num_fixed)ref[i].seq);
            assert_int_equal(u->count, ref[i].seq);
            assert_int_equal(g->grain, ref[i].grain);
            assert_int_equal(g->metric, ref[i].metric);
            assert_int_equal(g->period, ref[i].period);
            assert_int_equal(ledger_update_n(u), ref[i].n);
        }
    }
    /* A save of far fewer after the burst gives the memory back... */
    ledger_batch_reset(&b);
    assert_int_equal(b.n, 0);
    assert_int_equal(ledger_batch_add(&b, 0, 0, 1, 1, 1, 0), 0);
    ledger_batch_reset(&b);
    assert_true(b.cap <= 64);
    assert_true(b.table_cap <= 64);
    /* ... and an empty batch sorts to nothing. */
    ledger_batch_sort(&b);
    assert_int_equal(b.n, 0);
    ledger_batch_free(&b);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_numbers_in_order),
        cmocka_unit_test(test_against_qsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
