/*
 * Field paths that never match: reported once, after FIELD_PROBE_LINES
 * parsed lines, naming the field, its metrics and the input; fields seen
 * even once, and fields expected to be absent, are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "field_probe.h"
#include "pipeline.h"

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

static const char *const yaml =
    "inputs:\n"
    "  - {name: app, paths: [x]}\n"
    "  - {name: other, paths: [y]}\n"
    "metrics:\n"
    "  - name: tokens_total\n"
    "    type: counter\n"
    "    value: usage.tokenz\n"
    "    labels: {model: model, tier: {field: tierr, default: free}}\n"
    "    when: [{field: ok, exists: true}, {field: error, exists: false},\n"
    "           {not: {field: retry, equals: 1}}]\n"
    "  - name: late_total\n"
    "    type: counter\n"
    "    labels: {model: model, late: late}\n"
    "  - name: tiers_total\n"
    "    type: counter\n"
    "    labels: {tier: tierr}\n"
    "  - name: other_total\n"
    "    type: counter\n"
    "    labels: {x: nowhere}\n"
    "    inputs: [other]\n";

static void test_never_seen(void **state)
{
    struct config *cfg;
    struct registry *reg;
    struct pipeline *p;
    struct buf errors = {0};
    struct log_capture c;
    const char *line = "{\"model\": \"m\", \"ok\": true, \"usage\": {}}";
    const char *late = "{\"late\": 1}";
    (void)state;
    assert_int_equal(
        config_load_text("t.yaml", yaml, strlen(yaml), &cfg, &errors), 0);
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(pipeline_new(cfg, reg, &p), 0);
    log_capture(&c);

    /* Lines that do not parse are not counted. */
    for (int i = 0; i < 10; i++)
        pipeline_line(p, 0, "not json", 8);
    for (int i = 0; i < FIELD_PROBE_LINES - 2; i++)
        pipeline_line(p, 0, line, strlen(line));
    pipeline_line(p, 0, late, strlen(late));
    assert_string_equal(log_captured(&c), "");
    pipeline_line(p, 0, line, strlen(line));
    const char *text = log_captured(&c);
    assert_int_equal(count(text, "level=warn"), 2);
    assert_non_null(
        strstr(text, "msg=\"input app: no line of the first 1000 had the "
                     "field usage.tokenz, which metric tokens_total reads; "
                     "is its path right?\"\n"));
    assert_non_null(
        strstr(text, "msg=\"input app: no line of the first 1000 had the "
                     "field tierr, which metrics tokens_total, tiers_total "
                     "read; is its path right?\"\n"));
    assert_null(strstr(text, "field error"));
    assert_null(strstr(text, "field retry"));
    assert_null(strstr(text, "nowhere")); /* not a metric of app */

    /* Once only. */
    for (int i = 0; i < FIELD_PROBE_LINES; i++)
        pipeline_line(p, 0, line, strlen(line));
    assert_int_equal(count(log_captured(&c), "level=warn"), 2);
    log_release(&c);

    pipeline_free(p);
    registry_free(reg);
    config_free(cfg);
}

/* The two times of a duration are fields the metric reads. */
static void test_duration_fields(void **state)
{
    static const char *const times =
        "inputs:\n  - {name: app, paths: [x]}\n"
        "metrics:\n"
        "  - name: latency_seconds\n"
        "    type: histogram\n"
        "    value: {duration: {from: startTime, to: endTme}}\n";
    const char *line = "{\"startTime\": 1, \"endTime\": 2}";
    struct config *cfg;
    struct registry *reg;
    struct pipeline *p;
    struct buf errors = {0};
    struct log_capture c;
    (void)state;
    assert_int_equal(
        config_load_text("t.yaml", times, strlen(times), &cfg, &errors), 0);
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(pipeline_new(cfg, reg, &p), 0);
    log_capture(&c);
    for (int i = 0; i < FIELD_PROBE_LINES; i++)
        pipeline_line(p, 0, line, strlen(line));
    const char *text = log_captured(&c);
    assert_int_equal(count(text, "level=warn"), 1);
    assert_non_null(
        strstr(text, "msg=\"input app: no line of the first 1000 had the "
                     "field endTme, which metric latency_seconds reads; is "
                     "its path right?\"\n"));
    log_release(&c);
    pipeline_free(p);
    registry_free(reg);
    config_free(cfg);
}

/* Without fields to look for, there is no probe. */
static void test_nothing_to_probe(void **state)
{
    static const char *const none = "inputs:\n  - {paths: [x]}\n"
                                    "metrics:\n"
                                    "  - {name: lines_total, type: counter}\n";
    struct config *cfg;
    struct field_probe *probe = (struct field_probe *)1;
    struct buf errors = {0};
    (void)state;
    assert_int_equal(
        config_load_text("t.yaml", none, strlen(none), &cfg, &errors), 0);
    const struct cfg_metric *m = &cfg->metrics[0];
    assert_int_equal(field_probe_new(cfg, "app", &m, 1, &probe), 0);
    assert_null(probe);
    field_probe_free(NULL);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_seen),
        cmocka_unit_test(test_duration_fields),
        cmocka_unit_test(test_nothing_to_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
