/*
 * Rule tests (ruletest.h): files in promtool's format pass, fail with
 * promtool's report, or are refused (exit 2); values compare to a
 * relative 1e-9; rule files are found relative to the test file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ruletest.h"

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tokentail-ruletest-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put("rules-a.yml", "groups:\n"
                       "- name: g\n"
                       "  rules:\n"
                       "  - alert: High\n"
                       "    expr: x > 10\n"
                       "    for: 1m\n"
                       "    labels: {severity: page}\n"
                       "    annotations: {summary: '{{ $value }}'}\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"rules-a.yml", "t.yml"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

/* Runs the test file text; its exit code and report (caller frees). */
static int run(const char *text, char **report)
{
    put("t.yml", text);
    char path[128];
    snprintf(path, sizeof(path), "%s/t.yml", dir);
    size_t len;
    FILE *out = open_memstream(report, &len);
    assert_non_null(out);
    const char *files[] = {path};
    int rc = ruletest_run(files, 1, out);
    fclose(out);
    /* The path is the temporary directory's: show it as t.yml. */
    char *at;
    while ((at = strstr(*report, dir)) != NULL)
        memmove(at, at + strlen(dir) + 1, strlen(at + strlen(dir) + 1) + 1);
    return rc;
}

#define SERIES                                                                 \
    "  input_series:\n"                                                        \
    "  - series: 'x{job=\"api\"}'\n"                                           \
    "    values: '0 5 11 12 13 1'\n"

static void test_passes(void **state)
{
    (void)state;
    char *report;
    int rc = run("rule_files: ['rules-*.yml']\n"
                 "group_eval_order: [g]\n"
                 "tests:\n"
                 "- interval: 1m\n" SERIES "  alert_rule_test:\n"
                 "  - {eval_time: 2m, alertname: High}\n"
                 "  - eval_time: 3m\n"
                 "    alertname: High\n"
                 "    exp_alerts:\n"
                 "    - exp_labels: {job: api, severity: page}\n"
                 "      exp_annotations: {summary: '12'}\n"
                 "  promql_expr_test:\n"
                 "  - expr: x / 3\n"
                 "    eval_time: 2m\n"
                 "    exp_samples:\n"
                 "    - {labels: '{job=\"api\"}', value: 3.6666666666}\n"
                 "  - expr: sum(x) / 0 - sum(x) / 0\n"
                 "    eval_time: 2m\n"
                 "    exp_samples: [{labels: '{}', value: .nan}]\n"
                 "  - {expr: nothing, eval_time: 0s, exp_samples: []}\n",
                 &report);
    if (rc != 0)
        fail_msg("%s", report);
    assert_string_equal(report, "Unit Testing:  t.yml\n  SUCCESS\n\n");
    free(report);
}

static void test_fails(void **state)
{
    (void)state;
    char *report;
    int rc = run("rule_files: [rules-a.yml]\n"
                 "evaluation_interval: 30s\n"
                 "tests:\n"
                 "- interval: 1m\n" SERIES "  alert_rule_test:\n"
                 "  - {eval_time: 210s, alertname: High}\n"
                 "  promql_expr_test:\n"
                 "  - expr: x / 3\n"
                 "    eval_time: 2m\n"
                 "    exp_samples:\n"
                 "    - {labels: '{job=\"api\"}', value: 3.6666}\n"
                 "  - {expr: 'x + on (a) group_left y', eval_time: 0s}\n",
                 &report);
    assert_int_equal(rc, 1);
    assert_string_equal(
        report,
        "Unit Testing:  t.yml\n"
        "  FAILED:\n"
        "    alertname: High, time: 3m30s, \n"
        "        exp:[], \n"
        "        got:[\n"
        "            0:\n"
        "              Labels:{alertname=\"High\", job=\"api\", "
        "severity=\"page\"}\n"
        "              Annotations:{summary=\"12\"}\n"
        "            ]\n"
        "    expr: \"x / 3\", time: 2m,\n"
        "        exp: {job=\"api\"} 3.6666E+00\n"
        "        got: {job=\"api\"} 3.6666666666666665E+00\n"
        "    expr: \"x + on (a) group_left y\", time: 0s, err: group_left is "
        "not supported\n"
        "\n");
    free(report);
}

static void test_refused(void **state)
{
    (void)state;
    char *report;
    int rc = run("rule_files: [missing.yml]\n"
                 "evaluation_interval: 0s\n"
                 "tests:\n"
                 "- input_series:\n"
                 "  - {series: 'x{a=~\"b\"}', values: '1 2x'}\n"
                 "  external_labels: [a, b]\n"
                 "  promql_expr_test:\n"
                 "  - {expr: x, eval_time: soon}\n",
                 &report);
    assert_int_equal(rc, 2);
    assert_string_equal(report,
                        "Unit Testing:  t.yml\n"
                        "  FAILED:\n"
                        "t.yml:2:22: evaluation_interval must be more than 0\n"
                        "t.yml:1:14: rule_files: no file matches missing.yml\n"
                        "t.yml:6:20: external_labels must be a mapping\n"
                        "t.yml:4:3: interval must be more than 0\n"
                        "\n");
    free(report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passes),
        cmocka_unit_test(test_fails),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
