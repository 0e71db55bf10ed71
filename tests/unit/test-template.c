/*
 * Alert templates (template.h): each form Prometheus' alert rules use,
 * with the text Prometheus writes for it, and the forms refused.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "template.h"

static struct labels series, external;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(labels_set(&series, "__name__", "errors_total"), 0);
    assert_int_equal(labels_set(&series, "job", "api"), 0);
    assert_int_equal(labels_set(&series, "code", "500"), 0);
    assert_int_equal(labels_set(&external, "region", "eu-1"), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    labels_free(&series);
    labels_free(&external);
    return 0;
}

static void expands(const char *text, double value, const char *want)
{
    struct buf out = {0};
    char err[TEMPLATE_ERR_MAX];
    struct template_data d = {&series, value, &external, "http://prom:9090"};
    if (template_expand(text, &d, &out, err) != 0)
        fail_msg("\"%s\": %s", text, err);
    if (strcmp(out.data ? out.data : "", want) != 0)
        fail_msg("\"%s\" with %g gave \"%s\", not \"%s\"", text, value,
                 out.data ? out.data : "", want);
    buf_free(&out);
}

static void refused(const char *text, const char *why)
{
    struct buf out = {0};
    char err[TEMPLATE_ERR_MAX];
    struct template_data d = {&series, 1, NULL, NULL};
    if (template_expand(text, &d, &out, err) != -EINVAL)
        fail_msg("\"%s\" was expanded", text);
    if (strstr(err, why) == NULL)
        fail_msg("\"%s\": \"%s\", not \"%s\"", text, err, why);
    buf_free(&out);
}

static void test_labels_and_value(void **state)
{
    (void)state;
    expands("plain text", 1, "plain text");
    expands("{{ $labels.job }}/{{.Labels.code}}", 1, "api/500");
    expands("[{{ $labels.nope }}]", 1, "[]");
    expands("{{ $labels.__name__ }}", 1, "errors_total");
    expands("{{ $value }}", 0.11666666666666667, "0.11666666666666667");
    expands("{{ .Value }}", 1e6, "1e+06");
    expands("{{ $value }}", 123456, "123456");
    expands("{{ $value }}", 0.00001, "1e-05");
    expands("{{ $value }}", NAN, "NaN");
    expands("{{ $value }}", -INFINITY, "-Inf");
    expands("a {{- \" b \" -}} c", 1, "a b c");
    expands("x {{/* a comment */}}y", 1, "x y");
    expands("{{ $externalLabels.region }}/{{ .ExternalLabels.zone }}", 1,
            "eu-1/");
    expands("{{ $externalURL }}/alerts", 1, "http://prom:9090/alerts");
}

static void test_functions(void **state)
{
    (void)state;
    expands("{{ humanize $value }}", 0.11666666666666667, "116.7m");
    expands("{{ $value | humanize }}", 1234567, "1.235M");
    expands("{{ humanize 0 }}", 1, "0");
    expands("{{ humanize $value }}", 999, "999");
    expands("{{ humanize $value }}", -2500, "-2.5k");
    expands("{{ humanize $value }}", INFINITY, "+Inf");
    expands("{{ humanizePercentage $value }}", 0.0512, "5.12%");
    expands("{{ $value | humanizePercentage }}", 50, "5000%");
    expands("{{ humanizeDuration $value }}", 90, "1m 30s");
    expands("{{ humanizeDuration $value }}", 93784, "1d 2h 3m 4s");
    expands("{{ humanizeDuration $value }}", 3600, "1h 0m 0s");
    expands("{{ humanizeDuration $value }}", 1.5, "1.5s");
    expands("{{ humanizeDuration $value }}", 0.0015, "1.5ms");
    expands("{{ humanizeDuration $value }}", 0, "0s");
    /* Past int64, as Go converts on amd64 (promtool prints the same). */
    expands("{{ humanizeDuration $value }}", 1e20,
            "-106751991167300d -15h -30m -8s");
    expands("{{ printf \"%.2f\" $value }}", 2.0 / 3, "0.67");
    expands("{{ printf \"%s!\" $labels.job }}", 1, "api!");
    expands("{{ $value | printf \"%.1f%%\" }}", 12.34, "12.3%");
    expands("{{ $labels.job | toUpper }}", 1, "API");
    /* As Go's fmt writes them. */
    expands("{{ printf \"%.3f\" $value }}", INFINITY, "+Inf");
    expands("{{ printf \"%5.1f|\" $value }}", INFINITY, " +Inf|");
    expands("{{ printf \"[%6.2f]\" $value }}", -INFINITY, "[  -Inf]");
    expands("{{ printf \"%e\" $value }}", NAN, "NaN");
    expands("{{ printf \"%v\" $value }}", 1e6, "1e+06");
    expands("{{ printf \"%s\" $value }}", 0.5, "%!s(float64=0.5)");
    expands("{{ printf \"%.1f\" $labels.job }}", 1, "%!f(string=api)");
    expands("{{ printf \"%99.2f|\" $value }}", 1,
            "                                                                  "
            "                             1.00|");
}

static void test_refused_forms(void **state)
{
    (void)state;
    refused("{{ if gt $value 1.0 }}x{{ end }}", "\"if\" is not supported");
    refused("{{ range $labels }}{{ end }}", "\"range\" is not supported");
    refused("{{ query \"up\" }}", "\"query\" is not supported");
    refused("{{ $labels }}", "\"$labels\" is not supported");
    refused("{{ $value ", "unclosed action");
    refused("{{ }}", "an empty action");
    refused("{{ printf \"%d %d\" $value }}", "printf takes one");
    refused("{{ printf \"%.100f\" $value }}",
            "printf's width and precision go up to 99");
    refused("{{ printf \"%1422222222.1f\" $value }}", "go up to 99");
    refused("{{ humanize $labels.job }}", "\"api\" is not a number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_and_value),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_refused_forms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
