/*
 * The rule engine's alerts and history kept with the checkpoints: after a
 * restart from a checkpoint an alert pending for part of its `for` goes on
 * from when it became active, one firing is not fired (or sent) again, and
 * the history holds the samples taken before; after a kill -9, what the
 * last checkpoint held.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine_helpers.h"
#include "engine_store.h"
#include "state.h"

#define RULES                                                                  \
    "groups:\n"                                                                \
    "  - name: g\n"                                                            \
    "    interval: 1s\n"                                                       \
    "    rules:\n"                                                             \
    "      - alert: High\n"                                                    \
    "        expr: x > 10\n"                                                   \
    "        for: 5s\n"                                                        \
    "        annotations: {summary: '{{ $value }}'}\n"                         \
    "      - alert: Rising\n"                                                  \
    "        expr: rate(x[5s]) > 0\n"

static int64_t clock_now = EFIX_T0;

static int64_t fake_now(void)
{
    return clock_now;
}

static int fired;

static void on_transition(void *ctx, const struct engine_alert *a)
{
    (void)ctx;
    fired += !a->resolved && strcmp(a->rule, "High") == 0;
}

struct running {
    struct efix x;
    struct state *s;
};

static void start(struct running *r, const struct tmp *t)
{
    struct engine_sink sink = {on_transition, NULL, NULL};
    memset(r, 0, sizeof(*r));
    efix_open_in(&r->x, RULES, t);
    engine_set_sink(r->x.e, &sink);
    assert_int_equal(state_open(t->path, &r->s), 0);
    assert_int_equal(engine_store_join(r->s, r->x.e, fake_now), 0);
    assert_int_equal(state_restore(r->s), 0);
    r->x.s[0] = (struct efix_series){"x", "api", 0};
}

static void stop(struct running *r)
{
    state_close(r->s);
    efix_close(&r->x);
}

static void at(struct running *r, int s, double v)
{
    clock_now = EFIX_T0 + (int64_t)s * EFIX_S_MS;
    r->x.s[0].v = v;
    engine_run_due(r->x.e, clock_now);
}

static const struct alert *first(struct running *r, size_t rule)
{
    struct engine_rule_info ri;
    engine_rule(r->x.e, 0, rule, &ri);
    return ri.n_alerts > 0 ? &ri.alerts[0] : NULL;
}

static void test_restart_during_for(void **state)
{
    struct running r;
    fired = 0;
    start(&r, *state);
    at(&r, 0, 11);
    at(&r, 1, 12);
    at(&r, 2, 13);
    assert_int_equal(first(&r, 0)->state, ALERT_PENDING);
    assert_int_equal(state_checkpoint(r.s), 1);
    assert_false(engine_changed(r.x.e));
    /* Written as they came: one series, three samples. */
    assert_int_equal(query(state_db(r.s), "SELECT count(*) FROM rule_series"),
                     1);
    assert_int_equal(query(state_db(r.s), "SELECT count(*) FROM rule_samples"),
                     3);
    assert_int_equal(query(state_db(r.s), "SELECT count(*) FROM rule_alerts"),
                     2);
    /* Evaluated after the checkpoint and lost (kill -9). */
    at(&r, 3, 14);
    stop(&r);

    start(&r, *state);
    const struct alert *a = first(&r, 0);
    assert_non_null(a);
    assert_int_equal(a->state, ALERT_PENDING);
    assert_int_equal(a->active_at_ms, EFIX_T0);
    struct history_stats hs;
    history_get_stats(engine_history(r.x.e), &hs);
    assert_int_equal(hs.samples, 3);
    /* The rate over the restored samples goes on. */
    at(&r, 4, 15);
    assert_non_null(first(&r, 1));
    at(&r, 5, 16); /* 5s after T0: fires */
    assert_int_equal(first(&r, 0)->state, ALERT_FIRING);
    assert_int_equal(first(&r, 0)->fired_at_ms, EFIX_T0 + 5000);
    assert_int_equal(fired, 1);
    assert_int_equal(state_checkpoint(r.s), 1);
    stop(&r);

    /* Firing, restored: not fired again, not even when the restart comes
     * within the second it fired in. */
    start(&r, *state);
    at(&r, 5, 16);
    assert_int_equal(fired, 1);
    at(&r, 6, 17);
    assert_int_equal(first(&r, 0)->state, ALERT_FIRING);
    assert_int_equal(first(&r, 0)->fired_at_ms, EFIX_T0 + 5000);
    assert_string_equal(labels_get(&first(&r, 0)->annotations, "summary"),
                        "17");
    assert_int_equal(fired, 1);
    stop(&r);
}

/* The file keeps what memory keeps: samples that left the window (5s of
 * rate plus the 5m lookback) are let go of there too. */
static void test_window_in_file(void **state)
{
    struct running r;
    struct history_stats hs;
    start(&r, *state);
    for (int s = 0; s <= 400; s++) {
        at(&r, s, s);
        if (s % 40 == 0)
            assert_int_equal(state_checkpoint(r.s), 1);
    }
    history_get_stats(engine_history(r.x.e), &hs);
    assert_int_equal(hs.samples, 306); /* 95s to 400s */
    assert_int_equal(query(state_db(r.s), "SELECT count(*) FROM rule_samples"),
                     306);
    assert_int_equal(query(state_db(r.s), "SELECT min(t) FROM rule_samples"),
                     EFIX_T0 + 95 * EFIX_S_MS);
    stop(&r);
}

static void test_gone_rule(void **state)
{
    struct running r;
    start(&r, *state);
    at(&r, 0, 11);
    assert_int_equal(state_checkpoint(r.s), 1);
    stop(&r);
    /* The rule file changed: the alert has no rule to go back to. */
    struct efix x = {0};
    struct state *s;
    efix_open_in(&x,
                 "groups:\n  - name: g\n    interval: 1s\n    rules:\n"
                 "      - alert: Other\n        expr: x > 10\n",
                 *state);
    assert_int_equal(state_open(((const struct tmp *)*state)->path, &s), 0);
    assert_int_equal(engine_store_join(s, x.e, fake_now), 0);
    assert_int_equal(state_restore(s), 0);
    struct engine_rule_info ri;
    engine_rule(x.e, 0, 0, &ri);
    assert_int_equal(ri.n_alerts, 0);
    state_close(s);
    efix_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restart_during_for, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_window_in_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_gone_rule, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
