/*
 * Alert states (alert.h), stepped one evaluation at a time: pending from
 * the first evaluation that finds the series, firing once `for` has
 * passed, kept firing for keep_firing_for, resolved and kept 15 minutes,
 * then forgotten; labels and annotations as Prometheus builds them.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "rules_helpers.h"
#include "series.h"

#define MIN_MS 60000

static struct series_set *set;

static void load(const char *series, const char *values)
{
    load_series(set, series, values, MIN_MS);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(series_set_new(&set), 0);
    /* Above 10 from 3m to 6m, and again from 30m. */
    load("x{job=\"api\", instance=\"a\"}", "1 2 3 11 12 13 14 5x22 20x10");
    load("y{job=\"api\"}", "1x40");
    load("y{job=\"web\"}", "1x40");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    series_set_free(set);
    return 0;
}

struct rule_fixture {
    struct rule_alert rule;
    struct label labels[1], annotations[1];
};

static void make_rule(struct rule_fixture *r, const char *expr, int64_t for_ms,
                      int64_t keep_ms)
{
    char err[PROMQL_ERR_MAX];
    size_t pos;
    memset(r, 0, sizeof(*r));
    r->rule.name = "High";
    assert_int_equal(promql_parse(expr, strlen(expr), &r->rule.expr, err, &pos),
                     0);
    r->rule.for_ms = for_ms;
    r->rule.keep_firing_for_ms = keep_ms;
    r->labels[0] = (struct label){"severity", "{{ $labels.job }}-page"};
    r->annotations[0] = (struct label){"summary", "{{ $value }} high"};
    r->rule.labels = r->labels;
    r->rule.n_labels = 1;
    r->rule.annotations = r->annotations;
    r->rule.n_annotations = 1;
}

/* Evaluates at minute m; the rule then has n alerts, the first in state. */
static void step(struct alert_rule *ar, int m, size_t n, enum alert_state st)
{
    struct promql_source src = series_set_source(set);
    char err[PROMQL_ERR_MAX];
    if (alert_rule_eval(ar, &src, (int64_t)m * MIN_MS, err) != 0)
        fail_msg("at %dm: %s", m, err);
    if (ar->n != n || (n > 0 && ar->v[0].state != st))
        fail_msg("at %dm: %zu alerts, the first %s; want %zu, %s", m, ar->n,
                 ar->n ? alert_state_name(ar->v[0].state) : "-", n,
                 alert_state_name(st));
}

static void test_for_and_keep_firing(void **state)
{
    (void)state;
    struct rule_fixture r;
    make_rule(&r, "x > 10", 2 * MIN_MS, 3 * MIN_MS);
    struct alert_rule ar;
    alert_rule_init(&ar, &r.rule);
    step(&ar, 2, 0, ALERT_INACTIVE);
    step(&ar, 3, 1, ALERT_PENDING);
    assert_int_equal(ar.v[0].active_at_ms, 3 * MIN_MS);
    step(&ar, 4, 1, ALERT_PENDING);
    step(&ar, 5, 1, ALERT_FIRING);
    assert_int_equal(ar.v[0].fired_at_ms, 5 * MIN_MS);
    const struct alert *a = &ar.v[0];
    assert_int_equal(a->labels.n, 4);
    assert_string_equal(labels_get(&a->labels, "alertname"), "High");
    assert_string_equal(labels_get(&a->labels, "severity"), "api-page");
    assert_string_equal(labels_get(&a->labels, "instance"), "a");
    assert_null(labels_get(&a->labels, "__name__"));
    assert_string_equal(labels_get(&a->annotations, "summary"), "13 high");
    step(&ar, 6, 1, ALERT_FIRING);
    /* No longer found at 7m: kept firing 3 minutes, value as last seen. */
    step(&ar, 7, 1, ALERT_FIRING);
    assert_int_equal(ar.v[0].keep_firing_since_ms, 7 * MIN_MS);
    assert_true(ar.v[0].value == 14);
    step(&ar, 9, 1, ALERT_FIRING);
    step(&ar, 10, 1, ALERT_INACTIVE);
    assert_int_equal(ar.v[0].resolved_at_ms, 10 * MIN_MS);
    /* Kept 15 minutes once resolved, then forgotten. */
    step(&ar, 25, 1, ALERT_INACTIVE);
    step(&ar, 26, 0, ALERT_INACTIVE);
    /* Found again: pending anew. */
    step(&ar, 30, 1, ALERT_PENDING);
    assert_int_equal(ar.v[0].active_at_ms, 30 * MIN_MS);
    alert_rule_clear(&ar);
    promql_free(r.rule.expr);
}

static void test_pending_forgotten(void **state)
{
    (void)state;
    struct rule_fixture r;
    make_rule(&r, "x > 10", 10 * MIN_MS, 0);
    struct alert_rule ar;
    alert_rule_init(&ar, &r.rule);
    step(&ar, 3, 1, ALERT_PENDING);
    step(&ar, 6, 1, ALERT_PENDING);
    step(&ar, 7, 0, ALERT_INACTIVE); /* a pending alert leaves at once */
    alert_rule_clear(&ar);
    promql_free(r.rule.expr);
}

static void test_no_for_fires_at_once(void **state)
{
    (void)state;
    struct rule_fixture r;
    make_rule(&r, "y > 0", 0, 0);
    struct alert_rule ar;
    alert_rule_init(&ar, &r.rule);
    step(&ar, 0, 2, ALERT_FIRING);
    alert_rule_clear(&ar);
    alert_rule_clear(&ar); /* cleared twice is fine */
    promql_free(r.rule.expr);
}

static void test_scalar_and_errors(void **state)
{
    (void)state;
    struct rule_fixture r;
    make_rule(&r, "time() > bool 0", 0, 0);
    struct alert_rule ar;
    alert_rule_init(&ar, &r.rule);
    step(&ar, 1, 1, ALERT_FIRING);
    /* A scalar is one element without labels. */
    assert_int_equal(ar.v[0].labels.n, 2);
    assert_string_equal(labels_get(&ar.v[0].labels, "severity"), "-page");
    alert_rule_clear(&ar);
    promql_free(r.rule.expr);

    /* Two series that differ only by the name give the same alert. */
    make_rule(&r, "{__name__=~\"x|y\", job=\"api\", instance=~\"a|\"} > 0", 0,
              0);
    r.labels[0] = (struct label){"instance", "a"};
    alert_rule_init(&ar, &r.rule);
    struct promql_source src = series_set_source(set);
    char err[PROMQL_ERR_MAX];
    assert_int_equal(alert_rule_eval(&ar, &src, 4 * MIN_MS, err), -EINVAL);
    assert_string_equal(err, "vector contains metrics with the same labelset "
                             "after applying alert labels");
    assert_int_equal(ar.n, 0);
    alert_rule_clear(&ar);
    promql_free(r.rule.expr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_for_and_keep_firing),
        cmocka_unit_test(test_pending_forgotten),
        cmocka_unit_test(test_no_for_fires_at_once),
        cmocka_unit_test(test_scalar_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
