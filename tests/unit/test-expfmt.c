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

/* A counter with everything that needs escaping: in a label value, a
 * constant label and the help; its series with "b" too, in *a and *b. */
static struct registry *escaping(struct series **a, struct series **b)
{
    struct registry *r;
    static const char *const names[] = {"v"};
    static const char *const cn[] = {"env"}, *const cv[] = {"q\"a\\b\nc"};
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
    *a = get(f, "a\"b\\c\nd\xc3\xa9", 10);
    *b = get(f, "b", 2);
    series_add(*a, NUM_ONE);
    series_add(*b, dec("12345678901234567890"));
    return r;
}

static void test_escaping(void **state)
{
    struct series *a, *b;
    (void)state;
    struct registry *r = escaping(&a, &b);
    expect_exposition(
        r, "# HELP e_total Help with \\\\ and\\nnewline \"quotes\".\n"
           "# TYPE e_total counter\n"
           "e_total{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"} 1\n"
           "e_total{v=\"b\",env=\"q\\\"a\\\\b\\nc\"} 12345678901234567890\n");
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

/* A histogram over a cap of one series: /a in *s, the overflow in *o. */
static struct registry *histogram(struct series **s, struct series **o)
{
    struct registry *r;
    static const char *const names[] = {"path"};
    static num_fixed bounds[3];
    bounds[0] = dec("0.005");
    bounds[1] = dec("2.5");
    bounds[2] = dec("10");
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
    *s = get(f, "/a", 3);
    series_observe(f, *s, dec("0.001"));
    series_observe(f, *s, dec("3"));
    series_observe(f, *s, dec("99"));
    /* Over the cap of one series: the overflow series. */
    *o = get(f, "/b", 3);
    series_observe(f, *o, dec("1"));
    return r;
}

static void test_histogram(void **state)
{
    struct series *s, *o;
    (void)state;
    struct registry *r = histogram(&s, &o);
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

/* --- OpenMetrics ---------------------------------------------------------- */

#define T0 1764410400123LL /* 2025-11-29T10:00:00.123Z, in milliseconds */

static void expect_om(struct registry *r, const char *want)
{
    struct buf b = {0};
    expfmt_write_format(r, EXPFMT_OPENMETRICS, &b);
    expfmt_end(&b, EXPFMT_OPENMETRICS);
    assert_false(b.oom);
    if (strcmp(b.data ? b.data : "", want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", b.data ? b.data : "", want);
    buf_free(&b);
}

static void test_om_counter(void **state)
{
    struct series *a, *b;
    (void)state;
    struct registry *r = escaping(&a, &b);
    a->created_ms = T0;
    b->created_ms = 0; /* not known: no _created */
    expect_om(r,
              "# HELP e Help with \\\\ and\\nnewline \\\"quotes\\\".\n"
              "# TYPE e counter\n"
              "e_total{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"}"
              " 1\n"
              "e_created{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"}"
              " 1764410400.123\n"
              "e_total{v=\"b\",env=\"q\\\"a\\\\b\\nc\"} 12345678901234567890\n"
              "# EOF\n");
    registry_free(r);
}

static void test_om_histogram(void **state)
{
    struct series *s, *o;
    (void)state;
    struct registry *r = histogram(&s, &o);
    s->created_ms = T0;
    o->created_ms = T0 + 1;
    expect_om(r,
              "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
              "# UNIT d_seconds seconds\n"
              "d_seconds_bucket{path=\"/a\",le=\"0.005\"} 1\n"
              "d_seconds_bucket{path=\"/a\",le=\"2.5\"} 1\n"
              "d_seconds_bucket{path=\"/a\",le=\"10.0\"} 2\n"
              "d_seconds_bucket{path=\"/a\",le=\"+Inf\"} 3\n"
              "d_seconds_sum{path=\"/a\"} 102.001\n"
              "d_seconds_count{path=\"/a\"} 3\n"
              "d_seconds_created{path=\"/a\"} 1764410400.123\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"0.005\"} 0\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"2.5\"} 1\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"10.0\"} 1\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"+Inf\"} 1\n"
              "d_seconds_sum{tokentail_overflow=\"true\"} 1\n"
              "d_seconds_count{tokentail_overflow=\"true\"} 1\n"
              "d_seconds_created{tokentail_overflow=\"true\"} 1764410400.124\n"
              "# EOF\n");
    registry_free(r);
}

static void test_om_units_and_gauges(void **state)
{
    struct registry *r;
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec bytes = {
        .name = "io_bytes_total", .help = "B.", .type = METRIC_COUNTER};
    struct family_spec ratio = {
        .name = "hit_ratio", .help = "R.", .type = METRIC_GAUGE};
    struct family_spec ms = {
        .name = "wait_milliseconds", .help = "M.", .type = METRIC_GAUGE};
    struct family_spec bare = {
        .name = "seconds", .help = "S.", .type = METRIC_GAUGE};
    struct family_spec odd = {
        .name = "odd_count", .help = "O.", .type = METRIC_COUNTER};
    struct series *s = get(registry_add(r, &bytes), "", 0);
    series_add(s, dec("1024"));
    s->created_ms = T0 + 877;
    series_set(get(registry_add(r, &ratio), "", 0), dec("-0.5"));
    series_set(get(registry_add(r, &ms), "", 0), dec("3"));
    series_set(get(registry_add(r, &bare), "", 0), dec("1"));
    /* A counter without _total (none is configured so, but the registry
     * allows it): an unknown family, sampled under its own name. */
    series_add(get(registry_add(r, &odd), "", 0), dec("7"));
    expect_om(r, "# HELP io_bytes B.\n# TYPE io_bytes counter\n"
                 "# UNIT io_bytes bytes\n"
                 "io_bytes_total 1024\nio_bytes_created 1764410401.000\n"
                 "# HELP hit_ratio R.\n# TYPE hit_ratio gauge\n"
                 "# UNIT hit_ratio ratio\nhit_ratio -0.5\n"
                 "# HELP wait_milliseconds M.\n# TYPE wait_milliseconds gauge\n"
                 "wait_milliseconds 3\n"
                 "# HELP seconds S.\n# TYPE seconds gauge\nseconds 1\n"
                 "# HELP odd_count O.\n# TYPE odd_count unknown\n"
                 "odd_count 7\n"
                 "# EOF\n");
    registry_free(r);
}

/* The text format is unchanged by what OpenMetrics adds. */
static void test_om_text_unchanged(void **state)
{
    struct registry *r;
    num_fixed bounds[] = {dec("1")};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec c = {
        .name = "x_seconds_total", .help = "A \"q\".", .type = METRIC_COUNTER};
    struct family_spec h = {.name = "h",
                            .help = "H.",
                            .type = METRIC_HISTOGRAM,
                            .bounds = bounds,
                            .n_bounds = 1};
    series_add(get(registry_add(r, &c), "", 0), dec("2"));
    struct family *fh = registry_add(r, &h);
    series_observe(fh, get(fh, "", 0), dec("0.5"));
    struct buf b = {0};
    expfmt_write_format(r, EXPFMT_TEXT, &b);
    expfmt_end(&b, EXPFMT_TEXT);
    assert_string_equal(b.data,
                        "# HELP x_seconds_total A \"q\".\n"
                        "# TYPE x_seconds_total counter\nx_seconds_total 2\n"
                        "# HELP h H.\n# TYPE h histogram\n"
                        "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n"
                        "h_sum 0.5\nh_count 1\n");
    buf_free(&b);
    registry_free(r);
}

static void test_om_pieces(void **state)
{
    char le[EXPFMT_LE_MAX];
    struct buf b = {0};
    (void)state;
    expfmt_om_bound(dec("1"), le);
    assert_string_equal(le, "1.0");
    expfmt_om_bound(dec("0.25"), le);
    assert_string_equal(le, "0.25");
    expfmt_om_bound(dec("-3"), le);
    assert_string_equal(le, "-3.0");
    expfmt_om_timestamp(&b, 1000);
    buf_putc(&b, ' ');
    expfmt_om_timestamp(&b, 1764410400007LL);
    assert_string_equal(b.data, "1.000 1764410400.007");
    assert_int_equal(expfmt_om_family_len("a_total", METRIC_COUNTER), 1);
    assert_int_equal(expfmt_om_family_len("a_total", METRIC_GAUGE), 7);
    assert_string_equal(expfmt_content_type(EXPFMT_OPENMETRICS),
                        "application/openmetrics-text; version=1.0.0; "
                        "charset=utf-8");
    assert_string_equal(expfmt_content_type(EXPFMT_TEXT),
                        "text/plain; version=0.0.4; charset=utf-8");
    buf_free(&b);
}

/* A new series records when it began, by the wall clock. */
static void test_created_recorded(void **state)
{
    struct registry *r;
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec c = {
        .name = "c_total", .help = "C.", .type = METRIC_COUNTER};
    struct family *f = registry_add(r, &c);
    int64_t before = registry_wall_ms();
    struct series *s = get(f, "", 0);
    int64_t after = registry_wall_ms();
    assert_true(s->created_ms >= before && s->created_ms <= after);
    assert_true(s->created_new);
    /* Found again, it keeps its beginning. */
    s->created_ms = 1;
    assert_ptr_equal(get(f, "", 0), s);
    assert_int_equal(s->created_ms, 1);
    registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_values_and_order),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_many_labels_and_buckets),
        cmocka_unit_test(test_escape_helpers),
        cmocka_unit_test(test_om_counter),
        cmocka_unit_test(test_om_units_and_gauges),
        cmocka_unit_test(test_om_histogram),
        cmocka_unit_test(test_om_text_unchanged),
        cmocka_unit_test(test_om_pieces),
        cmocka_unit_test(test_created_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
