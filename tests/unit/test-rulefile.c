/*
 * Rule files (rulefile.h): a file in Prometheus' format loads with every
 * field; every mistake in a bad one is reported at its file:line:column
 * in one run, an expression's at the column inside it.
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

#include "rulefile.h"

static char path[64];

/* Writes text to a temporary file named in path. */
static void write_file(const char *text)
{
    snprintf(path, sizeof(path), "/tmp/tokentail-rules-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void test_loads(void **state)
{
    (void)state;
    write_file("groups:\n"
               "- name: api\n"
               "  interval: 30s\n"
               "  rules:\n"
               "  - alert: HighErrorRate\n"
               "    expr: |\n"
               "      sum by (job) (rate(errors_total[5m]))\n"
               "        / sum by (job) (rate(requests_total[5m])) > 0.05\n"
               "    for: 5m\n"
               "    keep_firing_for: 1m30s\n"
               "    labels:\n"
               "      severity: critical\n"
               "    annotations:\n"
               "      summary: '{{ $labels.job }}: {{ humanizePercentage "
               "$value }}'\n"
               "  - alert: Down\n"
               "    expr: absent(up)\n"
               "- name: empty\n"
               "  rules: []\n");
    struct rule_file *f;
    struct buf errors = {0};
    int rc = rulefile_load(path, &f, &errors);
    if (rc != 0)
        fail_msg("%s", errors.data);
    assert_int_equal(f->n_groups, 2);
    const struct rule_group *g = &f->groups[0];
    assert_string_equal(g->name, "api");
    assert_int_equal(g->interval_ms, 30000);
    assert_int_equal(g->n_rules, 2);
    const struct rule_alert *a = &g->rules[0];
    assert_string_equal(a->name, "HighErrorRate");
    assert_int_equal(a->for_ms, 300000);
    assert_int_equal(a->keep_firing_for_ms, 90000);
    assert_int_equal(a->expr->kind, PROMQL_BINARY);
    assert_int_equal(a->n_labels, 1);
    assert_string_equal(a->labels[0].name, "severity");
    assert_string_equal(a->labels[0].value, "critical");
    assert_int_equal(a->n_annotations, 1);
    assert_string_equal(a->annotations[0].value,
                        "{{ $labels.job }}: {{ humanizePercentage $value }}");
    assert_int_equal(g->rules[1].for_ms, 0);
    assert_int_equal(f->groups[1].n_rules, 0);
    assert_int_equal(f->groups[1].interval_ms, 0);
    rulefile_free(f);
    rulefile_free(NULL);
    buf_free(&errors);
    unlink(path);
}

/* Loading text fails with exactly these lines (FILE for the path). */
static void fails_with(const char *text, const char *want)
{
    write_file(text);
    struct rule_file *f;
    struct buf errors = {0}, expected = {0};
    assert_int_equal(rulefile_load(path, &f, &errors), -EINVAL);
    assert_null(f);
    for (const char *p = want; *p != '\0'; p++)
        if (strncmp(p, "FILE", 4) == 0) {
            buf_puts(&expected, path);
            p += 3;
        } else {
            buf_putc(&expected, *p);
        }
    if (strcmp(errors.data, expected.data) != 0)
        fail_msg("got:\n%swant:\n%s", errors.data, expected.data);
    buf_free(&errors);
    buf_free(&expected);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    fails_with("groups:\n"
               "- name: g\n"
               "  rules:\n"
               "  - record: job:x:sum\n"
               "    expr: sum(x)\n"
               "  - alert: A\n"
               "    expr: rate(x[5m]) * on (a) group_left b\n"
               "    for: 5 minutes\n"
               "  - alert: B\n"
               "    expr: |\n"
               "      sum(x)\n"
               "        + topk(3, y)\n"
               "    annotations: {summary: '{{ if $value }}x{{ end }}'}\n"
               "    fer: 1m\n"
               "  - alert: 1bad\n"
               "    expr: \"x{a=~'('}\"\n"
               "- name: g\n"
               "  limit: 10\n",
               "FILE:4:5: recording rules are not supported (record: "
               "job:x:sum); keep it in a file only Prometheus loads\n"
               "FILE:7:32: expr: group_left is not supported\n"
               "FILE:8:10: for must be a duration such as 30s, 5m or 1h30m, "
               "not \"5 minutes\"\n"
               "FILE:14:5: a rule: unknown key \"fer\"\n"
               "FILE:12:11: expr: aggregation \"topk\" is not supported\n"
               "FILE:13:28: annotations summary: template action \"if\" is "
               "not supported\n"
               "FILE:15:12: alert: invalid name \"1bad\"\n"
               "FILE:16:17: expr: invalid regular expression \"(\"\n"
               "FILE:17:9: group g: the name is used twice\n"
               "FILE:18:3: limit is not supported\n");
    fails_with("groups: {}\n", "FILE:1:9: groups must be a list\n");
    fails_with("group:\n- name: x\n",
               "FILE:1:1: a rule file: unknown key \"group\"\n");
    fails_with("groups:\n- rules:\n  - alert: A\n",
               "FILE:2:3: a group needs a name\nFILE:3:5: alert A needs "
               "expr\n");
    fails_with("groups: [\n", "FILE:2:1: YAML: did not find expected node "
                              "content\n");
}

static void test_missing_file(void **state)
{
    (void)state;
    struct rule_file *f;
    struct buf errors = {0};
    assert_int_equal(rulefile_load("/nonexistent/rules.yml", &f, &errors),
                     -ENOENT);
    assert_string_equal(errors.data,
                        "/nonexistent/rules.yml: No such file or directory\n");
    buf_free(&errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
