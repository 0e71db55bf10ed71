#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include "expfmt.h"

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

static void test_counter(void **state)
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
    struct series *a = get(f, "a\"b\\c\nd\xc3\xa9", 10), *b = get(f, "b", 2);
    series_add(a, dec("0.25"));
    series_add(b, dec("12345678901234567890"));
    a->created_ms = T0;
    b->created_ms = 0; /* not known: no _created */
    expect_om(r,
              "# HELP e Help with \\\\ and\\nnewline \\\"quotes\\\".\n"
              "# TYPE e counter\n"
              "e_total{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"}"
              " 0.25\n"
              "e_created{v=\"a\\\"b\\\\c\\nd\xc3\xa9\",env=\"q\\\"a\\\\b\\nc\"}"
              " 1764410400.123\n"
              "e_total{v=\"b\",env=\"q\\\"a\\\\b\\nc\"} 12345678901234567890\n"
              "# EOF\n");
    registry_free(r);
}

static void test_units_and_gauges(void **state)
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

static void test_histogram(void **state)
{
    struct registry *r;
    const char *names[] = {"path"};
    num_fixed bounds[] = {dec("0.005"), dec("2.5"), dec("10"), dec("100")};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "d_seconds",
                               .help = "D.",
                               .type = METRIC_HISTOGRAM,
                               .label_names = names,
                               .n_labels = 1,
                               .bounds = bounds,
                               .n_bounds = 4,
                               .max_series = 1};
    struct family *f = registry_add(r, &spec);
    struct series *s = get(f, "/a", 3);
    series_observe(f, s, dec("0.001"));
    series_observe(f, s, dec("3"));
    series_observe(f, s, dec("99"));
    s->created_ms = T0;
    /* Over the cap of one series: the overflow series. */
    struct series *o = get(f, "/b", 3);
    series_observe(f, o, dec("1"));
    o->created_ms = T0 + 1;
    expect_om(r,
              "# HELP d_seconds D.\n# TYPE d_seconds histogram\n"
              "# UNIT d_seconds seconds\n"
              "d_seconds_bucket{path=\"/a\",le=\"0.005\"} 1\n"
              "d_seconds_bucket{path=\"/a\",le=\"2.5\"} 1\n"
              "d_seconds_bucket{path=\"/a\",le=\"10.0\"} 2\n"
              "d_seconds_bucket{path=\"/a\",le=\"100.0\"} 3\n"
              "d_seconds_bucket{path=\"/a\",le=\"+Inf\"} 3\n"
              "d_seconds_sum{path=\"/a\"} 102.001\n"
              "d_seconds_count{path=\"/a\"} 3\n"
              "d_seconds_created{path=\"/a\"} 1764410400.123\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"0.005\"} 0\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"2.5\"} 1\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"10.0\"} 1\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"100.0\"} 1\n"
              "d_seconds_bucket{tokentail_overflow=\"true\",le=\"+Inf\"} 1\n"
              "d_seconds_sum{tokentail_overflow=\"true\"} 1\n"
              "d_seconds_count{tokentail_overflow=\"true\"} 1\n"
              "d_seconds_created{tokentail_overflow=\"true\"} 1764410400.124\n"
              "# EOF\n");
    registry_free(r);
}

/* The text format is unchanged by what OpenMetrics adds. */
static void test_text_unchanged(void **state)
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

static void test_pieces(void **state)
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
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_units_and_gauges),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_text_unchanged),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_created_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
