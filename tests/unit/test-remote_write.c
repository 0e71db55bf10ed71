/*
 * Remote write's queue and backoff: a full queue drops its oldest
 * batches, never the one being sent, and counts what it dropped; the
 * backoff doubles from min_backoff up to max_backoff. The pusher itself,
 * against a port that refuses: the last push, reloads, self-metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"
#include "loop.h"
#include "remote_write.h"
#include "selfmetrics.h"

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

static void snapshot(void *ctx, struct buf *out)
{
    (void)ctx;
    buf_puts(out, "# TYPE x gauge\nx 1\ny{a=\"b\"} 2\n");
}

#define INPUTS "inputs:\n  - paths: [/var/log/*.log]\n"

/* Port 1 on loopback refuses at once: every attempt fails, and may pass. */
static const char first[] =
    INPUTS "remote_write:\n"
           "  - {url: 'http://127.0.0.1:1/w', name: a, interval: 1h,\n"
           "     queue_config: {capacity: 500, max_samples_per_send: 1}}\n"
           "  - {url: 'http://127.0.0.1:1/w', name: b, interval: 1h}\n";
static const char second[] =
    INPUTS "remote_write:\n"
           "  - {url: 'http://127.0.0.1:1/w', name: a, interval: 1h,\n"
           "     headers: {X-A: b}, queue_config: {capacity: 1,\n"
           "     max_samples_per_send: 1}}\n"
           "  - {url: 'http://127.0.0.1:1/w', name: c, interval: 1h}\n";

static void expect_line(struct registry *reg, struct selfmetrics *sm,
                        const char *line)
{
    struct buf out = {0};
    selfmetrics_collect(sm, &(struct self_sources){0});
    expfmt_write(reg, &out);
    if (out.data == NULL || strstr(out.data, line) == NULL)
        fail_msg("no %s in\n%s", line, out.data ? out.data : "");
    buf_free(&out);
}

/*
 * The pusher without a receiver: the last push at shutdown makes one
 * attempt per remote and keeps what failed; a reload keeps a remote by
 * its name, with its queue trimmed to a smaller capacity, and stops the
 * one it no longer names. Its self-metrics say so.
 */
static void test_pusher(void **state)
{
    struct loop *loop;
    struct pusher *p;
    struct config *a, *b;
    struct registry *reg;
    struct selfmetrics *sm;
    struct rw_stats st;
    (void)state;
    assert_int_equal(loop_new(&loop), 0);
    assert_int_equal(pusher_new(loop, snapshot, NULL, &p), 0);
    assert_string_equal(load(first, &a), "");
    assert_int_equal(pusher_apply(p, a->push), 0);
    assert_int_equal(pusher_remotes(p), 2);
    assert_string_equal(pusher_remote_name(p, 1), "b");
    pusher_flush(p);
    pusher_stats(p, 0, &st);
    assert_int_equal(st.in, 2);
    assert_int_equal(st.queued, 2);
    assert_int_equal(st.sent, 0);
    assert_int_equal(st.requests[RW_RETRIED], 1); /* one attempt only */
    assert_int_equal(st.retried, 1);
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    assert_int_equal(pusher_selfmetrics(p, a->push, sm), 0);
    expect_line(reg, sm,
                "tokentail_remote_write_samples_in_total{remote=\"b\"} 2\n");
    expect_line(reg, sm,
                "tokentail_remote_write_queue_capacity_samples{remote=\"a\"} "
                "500\n");
    expect_line(reg, sm,
                "tokentail_remote_write_requests_total{remote=\"a\","
                "result=\"retried\"} 1\n");

    assert_string_equal(load(second, &b), "");
    assert_int_equal(pusher_apply(p, b->push), 0);
    config_free(a);
    assert_int_equal(pusher_remotes(p), 2);
    assert_string_equal(pusher_remote_name(p, 0), "a");
    assert_string_equal(pusher_remote_name(p, 1), "c");
    pusher_stats(p, 0, &st);
    assert_int_equal(st.in, 2);
    assert_int_equal(st.queued, 1); /* the new capacity */
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.capacity, 1);
    assert_int_equal(st.in, st.sent + st.failed + st.dropped + st.queued);
    pusher_stats(p, 1, &st);
    assert_int_equal(st.in, 0);
    expect_line(reg, sm,
                "tokentail_remote_write_samples_dropped_total{remote=\"a\"} "
                "1\n");
    selfmetrics_free(sm);
    registry_free(reg);
    pusher_free(p);
    config_free(b);
    loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pusher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
