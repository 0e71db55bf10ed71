#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include "expfmt.h"

static void expect_exposition(struct registry *r, const char *want)
{
    struct buf b = {0};
    expfmt_write(r, &b);
    assert_false(b.oom);
    if (strcmp(b.data ? b.data : "", want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", b.data ? b.data : "", want);
    buf_free(&b);
}

static void test_escaping(void **state)
{
    struct registry *r;
    const char *names[] = {"v"};
    const char *cn[] = {"env"}, *cv[] = {"q\"a\\b\nc"};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "e_total",
                               .help = "Help with \\ and\nnewline \"quotes\".",
                               .type = METRIC_COUNTER,
                               .label_names = names,
                               .n_labels = 1,
                               .const_names = cn,
                               .const_values = cv,
                               .n_const = 1};
    struct family *f = registry_add(r, &spec);
    series_add(get(f, "a\"b\\c\nd\xc3\xa9", 10), NUM_ONE);
    expect_exposition(
        r,
        "# HELP e_total Help with \\\\ and\\nnewline \"quotes\".\n"
        "# TYPE e_total counter\n"
        "e_total{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"} 1\n");
    registry_free(r);
}

static void test_values_and_order(void **state)
{
    struct registry *r;
    const char *names[] = {"model", "op"};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec g = {
        .name = "g", .help = "A gauge.", .type = METRIC_GAUGE};
    struct family_spec c = {.name = "c_total",
                            .help = "C.",
                            .type = METRIC_COUNTER,
                            .label_names = names,
                            .n_labels = 2};
    struct family_spec empty = {.name = "empty_total",
                                .help = "None yet.",
                                .type = METRIC_COUNTER,
                                .label_names = names,
                                .n_labels = 2};
    struct family *fg = registry_add(r, &g);
    struct family *fc = registry_add(r, &c);
    registry_add(r, &empty);
    series_set(get(fg, "", 0), dec("-2.50"));
    series_add(get(fc, "qwen\0chat", 10), dec("0.0005"));
    series_add(get(fc, "gpt\0rewrite", 12), dec("12345678901234567890"));
    series_add(get(fc, "gpt\0chat", 9), dec("0.1"));
    series_add(get(fc, "gpt\0chat", 9), dec("0.2"));
    expect_exposition(
        r, "# HELP g A gauge.\n# TYPE g gauge\ng -2.5\n"
           "# HELP c_total C.\n# TYPE c_total counter\n"
           "c_total{model=\"gpt\",op=\"chat\"} 0.3\n"
           "c_total{model=\"gpt\",op=\"rewrite\"} 12345678901234567890\n"
           "c_total{model=\"qwen\",op=\"chat\"} 0.0005\n"
           "# HELP empty_total None yet.\n# TYPE empty_total counter\n");
    registry_free(r);
}

static void test_histogram(void **state)
{
    struct registry *r;
    const char *names[] = {"path"};
    num_fixed bounds[] = {dec("0.005"), dec("2.5"), dec("10")};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "d_seconds",
                               .help = "D.",
                               .type = METRIC_HISTOGRAM,
                               .label_names = names,
                               .n_labels = 1,
                               .bounds = bounds,
                               .n_bounds = 3,
                               .max_series = 1};
    struct family *f = registry_add(r, &spec);
    struct series *s = get(f, "/a", 3);
    series_observe(f, s, dec("0.001"));
    series_observe(f, s, dec("3"));
    series_observe(f, s, dec("99"));
    /* Over the cap of one series: the overflow series. */
    series_observe(f, get(f, "/b", 3), dec("1"));
    expect_exposition(
        r, "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
           "d_seconds_bucket{path=\"/a\",le=\"0.005\"} 1\n"
           "d_seconds_bucket{path=\"/a\",le=\"2.5\"} 1\n"
           "d_seconds_bucket{path=\"/a\",le=\"10\"} 2\n"
           "d_seconds_bucket{path=\"/a\",le=\"+Inf\"} 3\n"
           "d_seconds_sum{path=\"/a\"} 102.001\n"
           "d_seconds_count{path=\"/a\"} 3\n"
           "d_seconds_bucket{tokentail_overflow=\"true\",le=\"0.005\"} 0\n"
           "d_seconds_bucket{tokentail_overflow=\"true\",le=\"2.5\"} 1\n"
           "d_seconds_bucket{tokentail_overflow=\"true\",le=\"10\"} 1\n"
           "d_seconds_bucket{tokentail_overflow=\"true\",le=\"+Inf\"} 1\n"
           "d_seconds_sum{tokentail_overflow=\"true\"} 1\n"
           "d_seconds_count{tokentail_overflow=\"true\"} 1\n");
    registry_free(r);
}

/* More labels and buckets than fit the renderer's stack arrays. */
static void test_many_labels_and_buckets(void **state)
{
    struct registry *r;
    const char *names[20];
    char name_text[20][8], key[64];
    num_fixed bounds[20];
    size_t n = 0;
    (void)state;
    for (int i = 0; i < 20; i++) {
        snprintf(name_text[i], sizeof(name_text[i]), "l%02d", i);
        names[i] = name_text[i];
        bounds[i] = (num_fixed)(i + 1) * NUM_ONE;
        key[n++] = (char)('a' + i);
        key[n++] = '\0';
    }
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "h",
                               .help = "H.",
                               .type = METRIC_HISTOGRAM,
                               .label_names = names,
                               .n_labels = 20,
                               .bounds = bounds,
                               .n_bounds = 20};
    struct family *f = registry_add(r, &spec);
    series_observe(f, get(f, key, n), dec("19.5"));
    struct buf b = {0};
    expfmt_write(r, &b);
    assert_false(b.oom);
    char want[512];
    size_t w = (size_t)snprintf(want, sizeof(want), "h_bucket{");
    for (int i = 0; i < 20; i++)
        w += (size_t)snprintf(want + w, sizeof(want) - w, "l%02d=\"%c\",", i,
                              'a' + i);
    snprintf(want + w, sizeof(want) - w, "le=\"19\"} 0\nh_bucket{");
    assert_non_null(strstr(b.data, want));
    want[w] = '\0';
    strcat(want, "le=\"20\"} 1\n");
    assert_non_null(strstr(b.data, want));
    buf_free(&b);
    registry_free(r);
}

static void test_escape_helpers(void **state)
{
    struct buf b = {0};
    (void)state;
    expfmt_escape_label(&b, "plain", 5);
    expfmt_escape_label(&b, "\\\"\n", 3);
    assert_string_equal(b.data, "plain\\\\\\\"\\n");
    buf_reset(&b);
    expfmt_escape_help(&b, "a\\b\nc\"d");
    assert_string_equal(b.data, "a\\\\b\\nc\"d");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_values_and_order),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_many_labels_and_buckets),
        cmocka_unit_test(test_escape_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
