/*
 * Loading the usage section: its metrics, zone and retentions with their
 * defaults, and every mistake reported where it is written, with a
 * suggestion for a misspelt metric.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"
#include "tz.h"

#define METRICS                                                                \
    "inputs:\n  - paths: [/var/log/*.log]\n"                                   \
    "metrics:\n"                                                               \
    "  - {name: llm_tokens_total, type: counter, value: t}\n"                  \
    "  - {name: latency_seconds, type: histogram, value: d,\n"                 \
    "     buckets: [1, 2]}\n"                                                  \
    "  - {name: queue_depth, type: gauge, value: q}\n"

static void test_usage(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(METRICS
                             "usage:\n"
                             "  metrics: [latency_seconds, llm_tokens_total]\n"
                             "  timezone: Europe/Berlin\n"
                             "  retention: 30d\n"
                             "  hourly_retention: 36h\n",
                             &cfg),
                        "");
    const struct cfg_usage *u = cfg->usage;
    assert_non_null(u);
    assert_int_equal(u->n_metrics, 2);
    assert_int_equal(u->metrics[0], 1);
    assert_int_equal(u->metrics[1], 0);
    assert_string_equal(tz_name(u->zone), "Europe/Berlin");
    assert_int_equal(u->retention_ms, 30 * CONFIG_DAY_MS);
    assert_int_equal(u->hourly_retention_ms, 36 * 3600 * 1000ULL);
    config_free(cfg);

    /* Defaults: UTC, 400 days, 8 days of hours. */
    assert_string_equal(
        load(METRICS "usage: {metrics: [llm_tokens_total]}\n", &cfg), "");
    u = cfg->usage;
    assert_string_equal(tz_name(u->zone), "UTC");
    assert_int_equal(u->retention_ms, 400 * CONFIG_DAY_MS);
    assert_int_equal(u->hourly_retention_ms, 8 * CONFIG_DAY_MS);
    config_free(cfg);

    /* No section, no ledger; hours can be switched off. */
    assert_string_equal(load(METRICS, &cfg), "");
    assert_null(cfg->usage);
    config_free(cfg);
    assert_string_equal(load(METRICS "usage: {metrics: [llm_tokens_total],"
                                     " hourly_retention: 0s}\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->usage->hourly_retention_ms, 0);
    config_free(cfg);
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_error(METRICS "usage:\n  metrics: [llm_tokens]\n",
                 "t.yaml:9:13: usage.metrics: no metric is named "
                 "\"llm_tokens\" (did you mean \"llm_tokens_total\"?)");
    expect_error(METRICS "usage:\n  metrics: [latency_second]\n",
                 "(did you mean \"latency_seconds\"?)");
    expect_error(METRICS "usage:\n  metrics: [requests]\n",
                 "usage.metrics: no metric is named \"requests\"; name "
                 "counters or histograms of \"metrics\"");
    expect_error(METRICS "usage:\n  metrics: [queue_depth]\n",
                 "t.yaml:9:13: usage.metrics: queue_depth is a gauge");
    expect_error(METRICS "usage:\n  metrics: [llm_tokens_total, "
                         "llm_tokens_total]\n",
                 "t.yaml:9:31: usage.metrics names llm_tokens_total twice");
    expect_error(METRICS "usage: {metrics: []}\n",
                 "usage.metrics must name at least one metric");
    expect_error(METRICS "usage: {timezone: UTC}\n",
                 "t.yaml:8:8: usage needs \"metrics\"");
    expect_error(METRICS "usage: {metrics: [llm_tokens_total], "
                         "timezone: Europe/Berln}\n",
                 "unknown time zone \"Europe/Berln\" (did you mean "
                 "\"Europe/Berlin\"?)");
    expect_error(METRICS "usage: {metrics: [llm_tokens_total], "
                         "retention: 12h}\n",
                 "retention must be between");
    expect_error(METRICS "usage: {metrics: [llm_tokens_total], "
                         "retention: 7d, hourly_retention: 8d}\n",
                 "hourly_retention must not be longer than retention");
    expect_error(METRICS "usage: {metrics: [llm_tokens_total], "
                         "retention: forever}\n",
                 "retention must be a duration");
    expect_error(METRICS "usage: {metric: [llm_tokens_total]}\n",
                 "(did you mean \"metrics\"?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
