/*
 * Loading the budgets section: each key with its default, the budgets'
 * metrics joining the usage ledger (a usage section made when there is
 * none), and every mistake reported where it is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"
#include "helpers.h"
#include "tz.h"

#define METRICS                                                                \
    "inputs:\n  - paths: [/var/log/*.log]\n"                                   \
    "metrics:\n"                                                               \
    "  - {name: cost_usd_total, type: counter, value: c,\n"                    \
    "     labels: {provider: p, model: m}}\n"                                  \
    "  - {name: latency_seconds, type: histogram, value: d,\n"                 \
    "     buckets: [1, 2]}\n"                                                  \
    "  - {name: queue_depth, type: gauge, value: q}\n"                         \
    "  - {name: tokens_total, type: counter, value: t}\n"

static void test_budgets(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(METRICS
             "usage: {metrics: [tokens_total], timezone: Asia/Kolkata}\n"
             "budgets:\n"
             "  - name: openai\n"
             "    metric: cost_usd_total\n"
             "    match: {provider: openai}\n"
             "    period: month\n"
             "    limit: 80.50\n"
             "    warn_at: [0.5, 0.9, 1.2]\n"
             "  - {name: ollama, metric: cost_usd_total, period: week,"
             " limit: unlimited}\n"
             "  - {name: tokens, metric: tokens_total, period: hour,"
             " limit: 100000}\n",
             &cfg),
        "");
    assert_int_equal(cfg->n_budgets, 3);
    const struct cfg_budget *b = &cfg->budgets[0];
    assert_string_equal(b->name, "openai");
    assert_int_equal(b->metric, 0);
    assert_int_equal(b->n_match, 1);
    assert_string_equal(b->match[0].label, "provider");
    assert_string_equal(b->match[0].value, "openai");
    assert_int_equal(b->period, PERIOD_MONTH);
    assert_false(b->unlimited);
    assert_true(b->limit == dec("80.5"));
    assert_int_equal(b->n_warn, 3);
    assert_true(b->warn_at[2] == dec("1.2"));
    b = &cfg->budgets[1];
    assert_true(b->unlimited);
    assert_int_equal(b->n_warn, 0);
    assert_int_equal(b->period, PERIOD_WEEK);
    /* The default warn_at. */
    b = &cfg->budgets[2];
    assert_int_equal(b->n_warn, 2);
    assert_true(b->warn_at[0] == dec("0.8"));
    assert_true(b->warn_at[1] == NUM_ONE);
    /* cost_usd_total joined the ledger after what usage named. */
    assert_int_equal(cfg->usage->n_metrics, 2);
    assert_int_equal(cfg->usage->metrics[0], 3);
    assert_int_equal(cfg->usage->metrics[1], 0);
    assert_string_equal(tz_name(cfg->usage->zone), "Asia/Kolkata");
    config_free(cfg);

    /* No usage section: one with the defaults; usage without metrics. */
    assert_string_equal(load(METRICS "budgets: [{name: t, metric: tokens_total,"
                                     " period: day, limit: 5}]\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->usage->n_metrics, 1);
    assert_int_equal(cfg->usage->metrics[0], 3);
    assert_string_equal(tz_name(cfg->usage->zone), "UTC");
    assert_int_equal(cfg->usage->retention_ms, 400 * CONFIG_DAY_MS);
    config_free(cfg);
    assert_string_equal(load(METRICS "usage: {timezone: Europe/Berlin}\n"
                                     "budgets: [{name: t, metric: tokens_total,"
                                     " period: day, limit: 5}]\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->usage->n_metrics, 1);
    config_free(cfg);
}

#define ONE(fields) METRICS "budgets:\n  - {" fields "}\n"

static void test_budget_errors(void **state)
{
    (void)state;
    expect_error(ONE("name: a, metric: cost_usd, period: day, limit: 1"),
                 "t.yaml:11:23: budget metric: no metric is named "
                 "\"cost_usd\" (did you mean \"cost_usd_total\"?)");
    expect_error(ONE("name: a, metric: queue_depth, period: day, limit: 1"),
                 "t.yaml:11:23: budget metric: queue_depth is a gauge");
    expect_error(ONE("name: a, metric: latency_seconds, period: day, "
                     "limit: 1"),
                 "latency_seconds is a histogram");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: 1, "
                     "match: {model: x}"),
                 "t.yaml:11:68: match: tokens_total has no label \"model\"");
    expect_error(ONE("name: a, metric: tokens_total, period: year, limit: 1"),
                 "t.yaml:11:45: period must be hour, day, week or month, not "
                 "\"year\"");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: 0"),
                 "t.yaml:11:57: limit must be a positive number");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: -3"),
                 "limit must be a positive number");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: lots"),
                 "limit must be a decimal number, not \"lots\"");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: 1, "
                     "warn_at: [0.9, 0.5]"),
                 "t.yaml:11:75: warn_at: the fractions must ascend");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: 1, "
                     "warn_at: [0]"),
                 "warn_at: each fraction must be above 0");
    expect_error(ONE("name: a, metric: tokens_total, period: day, "
                     "limit: unlimited, warn_at: [0.5]"),
                 "warn_at: an unlimited budget has nothing to warn of");
    expect_error(ONE("name: a b, metric: tokens_total, period: day, limit: 1"),
                 "t.yaml:11:12: budget name \"a b\" must be 1 to 64");
    expect_error(METRICS "budgets:\n"
                         "  - {name: a, metric: tokens_total, period: day,"
                         " limit: 1}\n"
                         "  - {name: a, metric: tokens_total, period: hour,"
                         " limit: 1}\n",
                 "t.yaml:12:12: duplicate budget name \"a\"");
    expect_error(ONE("metric: tokens_total, period: day"),
                 "a budget needs a \"name\"");
    expect_error(ONE("name: a, metric: tokens_total, period: day"),
                 "a budget needs a \"limit\"");
    expect_error(ONE("name: a, metric: tokens_total, limit: 1"),
                 "a budget needs a \"period\"");
    expect_error(ONE("name: a, metric: tokens_total, period: day, limit: 1, "
                     "warn: [1]"),
                 "(did you mean \"warn_at\"?)");
    expect_error(METRICS "usage: {metrics: [tokens_total], "
                         "hourly_retention: 0s}\n"
                         "budgets:\n  - {name: a, metric: tokens_total, "
                         "period: hour, limit: 1}\n",
                 "t.yaml:12:45: period: hour needs the hours usage keeps");
    expect_error(METRICS "usage: {metrics: [tokens_total], retention: 30d}\n"
                         "budgets:\n  - {name: a, metric: tokens_total, "
                         "period: month, limit: 1}\n",
                 "t.yaml:12:45: period: month needs 31 days of usage");
    expect_error(METRICS "usage: {metrics: [tokens_total], retention: 6d,"
                         " hourly_retention: 1d}\n"
                         "budgets:\n  - {name: a, metric: tokens_total, "
                         "period: week, limit: 1}\n",
                 "period: week needs 7 days of usage");
    expect_error(METRICS "usage: {timezone: UTC}\n",
                 "t.yaml:10:8: usage needs \"metrics\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budgets),
        cmocka_unit_test(test_budget_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
