/*
 * Remote write's queue and backoff: a full queue drops its oldest
 * batches, never the one being sent, and counts what it dropped; the
 * backoff doubles from min_backoff up to max_backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "remote_write.h"

static struct rw_batch *batch(size_t samples, int64_t ts)
{
    struct rw_batch *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->body = malloc(8);
    b->len = 8;
    b->samples = samples;
    b->ts_ms = ts;
    return b;
}

/* The timestamps of q's batches, oldest first, as a string "1,2,3". */
static const char *order(const struct rw_queue *q)
{
    static char out[128];
    size_t at = 0;
    out[0] = '\0';
    for (const struct rw_batch *b = q->head; b != NULL; b = b->next)
        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%lld",
                               at ? "," : "", (long long)b->ts_ms);
    return out;
}

static void test_queue(void **state)
{
    struct rw_queue q = {0};
    (void)state;
    assert_int_equal(rw_queue_push(&q, batch(40, 1), 100, false), 0);
    assert_int_equal(rw_queue_push(&q, batch(40, 2), 100, false), 0);
    assert_int_equal(q.samples, 80);
    /* 80 + 40 > 100: the oldest goes. */
    assert_int_equal(rw_queue_push(&q, batch(40, 3), 100, false), 40);
    assert_string_equal(order(&q), "2,3");
    /* Being sent, the head stays; the one after it goes. */
    assert_int_equal(rw_queue_push(&q, batch(40, 4), 100, true), 40);
    assert_string_equal(order(&q), "2,4");
    assert_int_equal(q.samples, 80);
    /* Nothing else may go: the queue holds more than capacity for now. */
    assert_int_equal(rw_queue_push(&q, batch(90, 5), 100, true), 40);
    assert_string_equal(order(&q), "2,5");
    assert_int_equal(q.samples, 130);
    rw_queue_pop(&q);
    assert_string_equal(order(&q), "5");
    assert_int_equal(q.samples, 90);
    /* Several old ones make room for a big one, the tail included. */
    assert_int_equal(rw_queue_push(&q, batch(5, 6), 100, false), 0);
    assert_int_equal(rw_queue_push(&q, batch(100, 7), 100, false), 95);
    assert_string_equal(order(&q), "7");
    assert_int_equal(rw_queue_push(&q, batch(1, 8), 100, false), 100);
    assert_string_equal(order(&q), "8");
    assert_ptr_equal(q.head, q.tail);
    rw_queue_clear(&q);
    assert_null(q.head);
    assert_null(q.tail);
    assert_int_equal(q.samples, 0);
    /* The tail after a busy head is dropped and the tail moves back. */
    rw_queue_push(&q, batch(60, 1), 100, false);
    rw_queue_push(&q, batch(30, 2), 100, true);
    assert_int_equal(rw_queue_push(&q, batch(30, 3), 100, true), 30);
    assert_string_equal(order(&q), "1,3");
    rw_queue_clear(&q);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(rw_backoff_ms(30, 5000, 1), 30);
    assert_int_equal(rw_backoff_ms(30, 5000, 2), 60);
    assert_int_equal(rw_backoff_ms(30, 5000, 8), 3840);
    assert_int_equal(rw_backoff_ms(30, 5000, 9), 5000);
    assert_int_equal(rw_backoff_ms(30, 5000, 4000000000u), 5000);
    assert_int_equal(rw_backoff_ms(100, 100, 3), 100);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(rw_result_name(RW_SUCCESS), "success");
    assert_string_equal(rw_result_name(RW_RETRIED), "retried");
    assert_string_equal(rw_result_name(RW_FAILED), "failed");
    assert_string_equal(rw_result_name(RW_RESULTS), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
