/*
 * The rule engine on a clock of the test's own: groups due at instants
 * aligned to their interval, in file order, one round of samples per
 * instant; alerts pending then firing then resolved; transitions and the
 * alerts due to be sent as Prometheus sends them (resend_delay, endsAt,
 * the generator URL); tokentail_alerts and the endpoints' answers.
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

#define RULES                                                                  \
    "groups:\n"                                                                \
    "  - name: fast\n"                                                         \
    "    interval: 1s\n"                                                       \
    "    rules:\n"                                                             \
    "      - alert: High\n"                                                    \
    "        expr: x > 10\n"                                                   \
    "        for: 3s\n"                                                        \
    "        labels: {severity: critical}\n"                                   \
    "        annotations: {summary: '{{ $labels.job }} at {{ $value }}'}\n"    \
    "  - name: slow\n"                                                         \
    "    rules:\n"                                                             \
    "      - alert: Rate\n"                                                    \
    "        expr: rate(x[1m]) > 100\n"

/* What the sink received. */
struct got {
    int fired, resolved, sends, sent;
    struct engine_alert last; /* of the last send; pointers not kept */
    char summary[64];
};

static void on_transition(void *ctx, const struct engine_alert *a)
{
    struct got *g = ctx;
    if (a->resolved)
        g->resolved++;
    else
        g->fired++;
}

static void on_send(void *ctx, const struct engine_alert *v, size_t n,
                    int64_t now_ms)
{
    struct got *g = ctx;
    (void)now_ms;
    g->sends++;
    g->sent += (int)n;
    g->last = v[n - 1];
    snprintf(g->summary, sizeof(g->summary), "%s",
             labels_get(v[n - 1].annotations, "summary"));
    g->last.labels = NULL;
    g->last.annotations = NULL;
}

static void test_schedule(void **state)
{
    struct efix x = {0};
    struct engine_group_info gi;
    efix_open_in(&x, RULES, *state);
    x.s[0] = (struct efix_series){"x", "api", 1};
    /* At T0 + 0.5s both groups are due: one round, both evaluated at
     * T0 (the instant aligned to each interval). */
    assert_int_equal(engine_run_due(x.e, EFIX_T0 + 500), 500);
    assert_int_equal(x.rounds, 1);
    engine_group(x.e, 0, &gi);
    assert_string_equal(gi.name, "fast");
    assert_int_equal(gi.last_eval_ms, EFIX_T0);
    assert_int_equal(gi.interval_ms, 1000);
    engine_group(x.e, 1, &gi);
    assert_int_equal(gi.last_eval_ms, EFIX_T0);
    assert_int_equal(gi.interval_ms, 15000); /* the default */
    /* Early: nothing; on time: the fast group only. */
    assert_int_equal(engine_run_due(x.e, EFIX_T0 + 900), 100);
    assert_int_equal(x.rounds, 1);
    assert_int_equal(engine_run_due(x.e, EFIX_T0 + 1000), 1000);
    assert_int_equal(x.rounds, 2);
    engine_group(x.e, 0, &gi);
    assert_int_equal(gi.evaluations, 2);
    engine_group(x.e, 1, &gi);
    assert_int_equal(gi.evaluations, 1);
    /* A late wake-up evaluates once, at the latest instant. */
    engine_run_due(x.e, EFIX_T0 + 4300);
    engine_group(x.e, 0, &gi);
    assert_int_equal(gi.evaluations, 3);
    assert_int_equal(gi.last_eval_ms, EFIX_T0 + 4000);
    /* The wall clock set back a minute: evaluated at once, not in a
     * minute. */
    assert_int_equal(engine_run_due(x.e, EFIX_T0 - 60000), 1000);
    engine_group(x.e, 0, &gi);
    assert_int_equal(gi.evaluations, 4);
    assert_int_equal(gi.last_eval_ms, EFIX_T0 - 60000);
    efix_close(&x);
}

/* Runs the engine at T0 + s seconds. */
static void at(struct efix *x, int s)
{
    engine_run_due(x->e, EFIX_T0 + (int64_t)s * EFIX_S_MS);
}

static void test_alert_life(void **state)
{
    struct efix x = {0};
    struct got g = {0};
    struct engine_rule_info ri;
    struct buf b = {0};
    efix_open_in(&x, RULES, *state);
    struct engine_sink sink = {on_transition, on_send, &g};
    engine_set_sink(x.e, &sink);
    x.s[0] = (struct efix_series){"x", "api", 20};
    at(&x, 0);
    engine_rule(x.e, 0, 0, &ri);
    assert_int_equal(ri.n_alerts, 1);
    assert_int_equal(ri.alerts[0].state, ALERT_PENDING);
    assert_int_equal(ri.alerts[0].active_at_ms, EFIX_T0);
    assert_int_equal(g.sends, 0); /* pending alerts are not sent */
    engine_expose(x.e, EXPFMT_TEXT, &b);
    assert_non_null(strstr(b.data, "tokentail_alerts{alertname=\"High\","
                                   "alertstate=\"pending\",job=\"api\","
                                   "severity=\"critical\"} 1\n"));
    /* OpenMetrics: the same sample, under the same metadata. */
    buf_reset(&b);
    engine_expose(x.e, EXPFMT_OPENMETRICS, &b);
    assert_string_equal(b.data,
                        "# HELP tokentail_alerts Alerts pending or firing, 1 "
                        "each.\n# TYPE tokentail_alerts gauge\n"
                        "tokentail_alerts{alertname=\"High\","
                        "alertstate=\"pending\",job=\"api\","
                        "severity=\"critical\"} 1\n");
    buf_reset(&b);
    at(&x, 1);
    at(&x, 2);
    assert_int_equal(g.fired, 0);
    at(&x, 3); /* for: 3s */
    assert_int_equal(g.fired, 1);
    assert_int_equal(g.sends, 1);
    assert_false(g.last.resolved);
    assert_int_equal(g.last.starts_at_ms, EFIX_T0 + 3000);
    assert_int_equal(g.last.ends_at_ms, EFIX_T0 + 3000 + 4 * 60000);
    assert_string_equal(g.summary, "api at 20");
    assert_string_equal(g.last.generator_url,
                        "http://h:1/graph?g0.expr=x+%3E+10&g0.tab=1");
    /* Not sent again before resend_delay has passed. */
    for (int s = 4; s <= 63; s++)
        at(&x, s);
    assert_int_equal(g.sends, 1);
    at(&x, 64);
    assert_int_equal(g.sends, 2);
    /* Resolved: a transition, and sent at once with endsAt then. */
    x.s[0].v = 5;
    at(&x, 65);
    assert_int_equal(g.resolved, 1);
    assert_int_equal(g.sends, 3);
    assert_true(g.last.resolved);
    assert_int_equal(g.last.ends_at_ms, EFIX_T0 + 65000);
    engine_expose(x.e, EXPFMT_TEXT, &b);
    assert_null(strstr(b.data, "tokentail_alerts{"));
    buf_free(&b);
    efix_close(&x);
}

#define TWO_RULES(high_for)                                                    \
    "groups:\n"                                                                \
    "  - name: fast\n"                                                         \
    "    interval: 1s\n"                                                       \
    "    rules:\n"                                                             \
    "      - {alert: High, expr: x > 10, for: " high_for "}\n"                 \
    "      - {alert: Low, expr: x > 1, for: 3s}\n"

/* A reload: the new engine's alerts of a changed rule go, those of an
 * unchanged one stay; without rules before, every rule is new. */
static void test_forget_changed(void **state)
{
    struct efix was = {0}, x = {0};
    struct engine_rule_info ri;
    efix_open_in(&was, TWO_RULES("3s"), *state);
    efix_open_in(&x, TWO_RULES("4s"), *state);
    x.s[0] = (struct efix_series){"x", "api", 20};
    at(&x, 0);
    engine_rule(x.e, 0, 0, &ri);
    assert_int_equal(ri.n_alerts, 1);
    assert_int_equal(engine_forget_changed(x.e, was.e), 1);
    engine_rule(x.e, 0, 0, &ri);
    assert_int_equal(ri.n_alerts, 0);
    engine_rule(x.e, 0, 1, &ri);
    assert_int_equal(ri.n_alerts, 1);
    assert_int_equal(ri.alerts[0].active_at_ms, EFIX_T0);
    assert_int_equal(engine_forget_changed(x.e, NULL), 2);
    engine_rule(x.e, 0, 1, &ri);
    assert_int_equal(ri.n_alerts, 0);
    efix_close(&x);
    efix_close(&was);
}

static void test_failure_counted(void **state)
{
    struct efix x = {0};
    struct engine_group_info gi;
    struct engine_rule_info ri;
    efix_open_in(&x,
                 "groups:\n"
                 "  - name: g\n"
                 "    interval: 1s\n"
                 "    rules:\n"
                 "      - alert: Dup\n"
                 "        expr: x * on () x\n",
                 *state);
    x.s[0] = (struct efix_series){"x", "api", 1};
    x.s[1] = (struct efix_series){"x", "web", 1};
    at(&x, 0);
    engine_group(x.e, 0, &gi);
    engine_rule(x.e, 0, 0, &ri);
    assert_int_equal(gi.evaluations, 1);
    assert_int_equal(gi.failures, 1);
    assert_non_null(strstr(ri.last_error, "found duplicate series"));
    efix_close(&x);
}

/* Only the families the rules select are sampled: a histogram by its
 * series' names; a selector without a name reads every family. */
static void test_reads(void **state)
{
    struct efix x = {0};
    efix_open_in(&x,
                 "groups:\n  - name: g\n    rules:\n"
                 "      - alert: A\n"
                 "        expr: histogram_quantile(0.9, lat_bucket) > x\n",
                 *state);
    assert_true(engine_reads(x.e, "x"));
    assert_true(engine_reads(x.e, "lat"));
    assert_false(engine_reads(x.e, "la"));
    assert_false(engine_reads(x.e, "y"));
    efix_close(&x);
    efix_open_in(&x,
                 "groups:\n  - name: g\n    rules:\n"
                 "      - alert: A\n        expr: '{job=\"a\"} > x'\n",
                 *state);
    assert_true(engine_reads(x.e, "y"));
    efix_close(&x);
}

/* A rule file's problems at its own lines, then the entry that named it;
 * a missing file without wildcards is an error, a glob matching nothing
 * is not; an interval under 1s is refused. */
static void test_config_errors(void **state)
{
    const struct tmp *t = *state;
    char path[192], yaml[768];
    struct config *cfg = NULL;
    struct buf errors = {0};
    snprintf(path, sizeof(path), "%s/bad.yml", t->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("groups:\n  - name: g\n    interval: 500ms\n    rules:\n"
          "      - alert: A\n        expr: predict_linear(x[5m], 60) > 0\n",
          f);
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             "inputs: [{name: app, paths: [/dev/null]}]\n"
             "rule_files: [%s, %s/none.yml, '%s/*.none']\n",
             path, t->dir, t->dir);
    assert_int_equal(
        config_load_text("t.yaml", yaml, strlen(yaml), &cfg, &errors), -1);
    char want[256];
    snprintf(want, sizeof(want),
             "%s:6:15: expr: function \"predict_linear\" is not supported",
             path);
    if (strstr(errors.data, want) == NULL)
        fail_msg("%s", errors.data);
    assert_non_null(strstr(errors.data, "t.yaml:2:14: rule file "));
    assert_non_null(strstr(errors.data, "none.yml does not exist"));
    assert_null(strstr(errors.data, "*.none"));
    buf_free(&errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schedule, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_alert_life, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_forget_changed, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_failure_counted, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_reads, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
