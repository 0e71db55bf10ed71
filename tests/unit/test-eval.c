/*
 * The PromQL evaluator (eval.h) over series in memory (series.h), each
 * answer worked out by hand from Prometheus' definitions: rate's
 * extrapolation to the window's edges (limited to 1.1 average intervals,
 * never below a counter's zero), counter resets, the 5-minute lookback,
 * staleness, the labels each operator and aggregation keeps, one-to-one
 * matching and its errors, histogram_quantile's interpolation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eval.h"
#include "rules_helpers.h"
#include "series.h"

#define MINUTE_MS 60000

static struct series_set *set;

static void load(const char *series, const char *values)
{
    load_series(set, series, values, MINUTE_MS);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(series_set_new(&set), 0);
    load("http_requests_total{job=\"api\", code=\"200\"}", "0+60x10");
    load("http_requests_total{job=\"api\", code=\"500\"}", "0+6x10");
    load("http_requests_total{job=\"web\", code=\"200\"}", "0+30x10");
    load("resets", "0 10 20 5 15");
    load("g", "1 3 2 5 4");
    load("g2", "7 7 7 7 7");
    load("sparse", "_x7 10 20");
    load("st", "1 2 stale");
    load("h_bucket{le=\"0.1\"}", "0+1x10");
    load("h_bucket{le=\"0.5\"}", "0+3x10");
    load("h_bucket{le=\"1\"}", "0+4x10");
    load("h_bucket{le=\"+Inf\"}", "0+5x10");
    load("noinf_bucket{le=\"1\"}", "0+1x10");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    series_set_free(set);
    return 0;
}

static int elem_cmp(const void *a, const void *b)
{
    return labels_cmp(&((const struct promql_elem *)a)->labels,
                      &((const struct promql_elem *)b)->labels);
}

/* The result as lines "labels value", sorted; a scalar as "scalar v". */
static void render(struct promql_value *v, struct buf *out)
{
    char num[PROMQL_FLOAT_MAX];
    if (v->type == PROMQL_SCALAR) {
        promql_format_float(v->scalar, 'g', num);
        buf_printf(out, "scalar %s\n", num);
        return;
    }
    if (v->vec.n > 1)
        qsort(v->vec.v, v->vec.n, sizeof(*v->vec.v), elem_cmp);
    for (size_t i = 0; i < v->vec.n; i++) {
        labels_format(out, &v->vec.v[i].labels);
        promql_format_float(v->vec.v[i].v, 'g', num);
        buf_printf(out, " %s\n", num);
    }
}

/* Whether two renderings agree: labels exactly, values to 1e-12. */
static bool same(const char *got, const char *want)
{
    while (*got != '\0' && *want != '\0') {
        size_t gl = strcspn(got, "\n"), wl = strcspn(want, "\n");
        const char *gs = memrchr(got, ' ', gl), *ws = memrchr(want, ' ', wl);
        if (gs == NULL || ws == NULL || gs - got != ws - want ||
            memcmp(got, want, (size_t)(gs - got)) != 0)
            return false;
        double g = strtod(gs + 1, NULL), w = strtod(ws + 1, NULL);
        if (!(g == w || (isnan(g) && isnan(w)) ||
              fabs(g - w) <= 1e-12 * fabs(w)))
            return false;
        got += gl + (got[gl] == '\n');
        want += wl + (want[wl] == '\n');
    }
    return *got == '\0' && *want == '\0';
}

/* expr evaluated at t seconds gives want (lines as render() writes). */
static void expect(const char *expr, int64_t t, const char *want)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    if (promql_parse(expr, strlen(expr), &n, err, &pos) != 0)
        fail_msg("%s: %s at %zu", expr, err, pos);
    struct promql_source src = series_set_source(set);
    struct promql_value v;
    if (promql_eval(n, &src, t * 1000, &v, err) != 0)
        fail_msg("%s: %s", expr, err);
    struct buf got = {0};
    render(&v, &got);
    if (!same(got.data ? got.data : "", want))
        fail_msg("%s at %llds:\ngot:\n%swant:\n%s", expr, (long long)t,
                 got.data ? got.data : "", want);
    buf_free(&got);
    promql_value_free(&v);
    promql_free(n);
}

/* expr fails at t with a message containing why. */
static void fails(const char *expr, int64_t t, const char *why)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    assert_int_equal(promql_parse(expr, strlen(expr), &n, err, &pos), 0);
    struct promql_source src = series_set_source(set);
    struct promql_value v;
    int rc = promql_eval(n, &src, t * 1000, &v, err);
    if (rc != -EINVAL || strstr(err, why) == NULL)
        fail_msg("%s: %d \"%s\", not \"%s\"", expr, rc, err, why);
    promql_free(n);
}

static void test_selectors(void **state)
{
    (void)state;
    expect(
        "http_requests_total{code=\"200\"}", 600,
        "{__name__=\"http_requests_total\", code=\"200\", job=\"api\"} 600\n"
        "{__name__=\"http_requests_total\", code=\"200\", job=\"web\"} 300\n");
    expect(
        "http_requests_total{job=~\"a.*\", code!=\"200\"}", 600,
        "{__name__=\"http_requests_total\", code=\"500\", job=\"api\"} 60\n");
    expect("{__name__=~\"g|g2\", job!~\".+\"} offset 1m", 240,
           "{__name__=\"g\"} 5\n{__name__=\"g2\"} 7\n");
    /* The lookback: a sample exactly 5 minutes old still counts. */
    expect("sparse", 600, "{__name__=\"sparse\"} 20\n");
    expect("sparse", 780, "{__name__=\"sparse\"} 20\n");
    expect("sparse", 781, "");
    expect("sparse", 419, "");
    /* A staleness marker ends a series at once. */
    expect("st", 100, "{__name__=\"st\"} 2\n");
    expect("st", 130, "");
    expect("count_over_time(st[5m])", 130, "{} 2\n");
}

static void test_rate(void **state)
{
    (void)state;
    expect("rate(http_requests_total{job=\"api\", code=\"200\"}[5m])", 600,
           "{code=\"200\", job=\"api\"} 1\n");
    expect("increase(http_requests_total{code=\"200\", job=\"api\"}[5m])", 630,
           "{code=\"200\", job=\"api\"} 300\n");
    /* Two samples far from both edges: toward the start only as far as
     * the counter's zero (60 s), toward the end half an interval (30 s);
     * 10 over 60 s becomes 25 over 150 s. */
    expect("increase(sparse[5m])", 600, "{} 25\n");
    expect("rate(sparse[5m])", 600, "{} 0.08333333333333333\n");
    /* The reset from 20 to 5 adds 20 back; extrapolated to the zero
     * point, which is the first sample itself. */
    expect("increase(resets[5m])", 240, "{} 35\n");
    expect("rate(resets[5m])", 240, "{} 0.11666666666666667\n");
    /* delta is not a counter: no resets, no zero point. 3 over 240 s,
     * extended 60 s to the window's start. */
    expect("delta(g[5m])", 240, "{} 3.75\n");
    expect("delta(resets[5m])", 240, "{} 18.75\n");
    expect("irate(resets[5m])", 240, "{} 0.16666666666666666\n");
    expect("irate(resets[5m])", 180, "{} 0.08333333333333333\n");
    /* One sample is no rate. */
    expect("rate(sparse[1m])", 479, "");
    expect("rate(sparse[1m])", 480, "{} 0.16666666666666666\n");
    expect("rate(g[5m] offset 4m)", 240, "");
    /* 1, 3, 2: the drop adds 3 back; 4 over 120 s is extended 30 s to
     * the zero point: 5 over the 300 s range. */
    expect("rate(g[5m] offset 2m)", 240, "{} 0.016666666666666666\n");
}

static void test_over_time(void **state)
{
    (void)state;
    expect("avg_over_time(g[5m])", 240, "{} 3\n");
    expect("min_over_time(g[5m])", 240, "{} 1\n");
    expect("max_over_time(g[5m])", 240, "{} 5\n");
    expect("sum_over_time(g[5m])", 240, "{} 15\n");
    expect("count_over_time(g[5m])", 240, "{} 5\n");
    /* The window is closed at both ends: [60 s, 180 s]. */
    expect("count_over_time(g[2m] offset 1m)", 240, "{} 3\n");
    expect("sum_over_time(g[2m] offset 1m)", 240, "{} 10\n");
}

static void test_aggregations(void **state)
{
    (void)state;
    expect("sum by (job) (rate(http_requests_total[5m]))", 600,
           "{job=\"api\"} 1.1\n{job=\"web\"} 0.5\n");
    expect("sum without (code) (rate(http_requests_total[5m]))", 600,
           "{job=\"api\"} 1.1\n{job=\"web\"} 0.5\n");
    expect("sum(http_requests_total) by (code)", 600,
           "{code=\"200\"} 900\n{code=\"500\"} 60\n");
    expect("count(http_requests_total)", 600, "{} 3\n");
    expect("avg(http_requests_total)", 600, "{} 320\n");
    expect("max by (code) (http_requests_total)", 600,
           "{code=\"200\"} 600\n{code=\"500\"} 60\n");
    expect("min without () (http_requests_total)", 600,
           "{code=\"200\", job=\"api\"} 600\n{code=\"200\", job=\"web\"} 300\n"
           "{code=\"500\", job=\"api\"} 60\n");
    expect("sum by (__name__) (g)", 60, "{__name__=\"g\"} 3\n");
    expect("sum(nothing)", 60, "");
}

static void test_histogram_quantile(void **state)
{
    (void)state;
    /* Increases 5, 15, 20, 25: the median's rank 12.5 falls in (0.1,
     * 0.5], 7.5 of its 10. */
    expect("histogram_quantile(0.5, increase(h_bucket[5m]))", 600, "{} 0.4\n");
    expect("histogram_quantile(0.9, h_bucket)", 600, "{} 1\n");
    expect("histogram_quantile(1, h_bucket)", 600, "{} 1\n");
    expect("histogram_quantile(0, h_bucket)", 600, "{} 0\n");
    expect("histogram_quantile(-1, h_bucket)", 600, "{} -Inf\n");
    expect("histogram_quantile(2, h_bucket)", 600, "{} +Inf\n");
    expect("histogram_quantile(0.5, h_bucket)", 0, "{} NaN\n");
    expect("histogram_quantile(0.5, noinf_bucket)", 600, "{} NaN\n");
    expect("histogram_quantile(NaN, h_bucket)", 600, "{} NaN\n");
}

static void test_operators(void **state)
{
    (void)state;
    expect("2 ^ 3 ^ 2", 0, "scalar 512\n");
    expect("-2 ^ 2", 0, "scalar -4\n");
    /* Go's math.Pow, special cases and all. */
    expect("(-2) ^ 3", 0, "scalar -8\n");
    expect("2 ^ -2", 0, "scalar 0.25\n");
    expect("(-8) ^ (1 / 3)", 0, "scalar NaN\n");
    expect("0 ^ -1", 0, "scalar +Inf\n");
    expect("10 ^ 400", 0, "scalar +Inf\n");
    expect("0.5 ^ 2000", 0, "scalar 0\n");
    expect("1.1 ^ 7", 0, "scalar 1.9487171000000012\n");
    expect("NaN ^ 0", 0, "scalar 1\n");
    expect("7 % 3 - 1 / 4", 0, "scalar 0.75\n");
    expect("1 < bool 2", 0, "scalar 1\n");
    expect("g * 2", 240, "{} 8\n");
    expect("-g", 240, "{} -4\n");
    expect("http_requests_total > 300", 600,
           "{__name__=\"http_requests_total\", code=\"200\", job=\"api\"} "
           "600\n");
    expect("300 < http_requests_total", 600,
           "{__name__=\"http_requests_total\", code=\"200\", job=\"api\"} "
           "600\n");
    expect("http_requests_total >= bool 300", 600,
           "{code=\"200\", job=\"api\"} 1\n{code=\"200\", job=\"web\"} 1\n"
           "{code=\"500\", job=\"api\"} 0\n");
    expect("http_requests_total{code=\"500\"} / ignoring (code) "
           "http_requests_total{code=\"200\"}",
           600, "{job=\"api\"} 0.1\n");
    expect("http_requests_total{code=\"500\"} / on (job) "
           "http_requests_total{code=\"200\"}",
           600, "{job=\"api\"} 0.1\n");
    expect("g + g2", 240, "{} 11\n");
    expect("g + on (x) sparse", 600, "");
    expect("g + ignoring (x) g", 240, "{} 8\n");
    expect("g == g", 240, "{__name__=\"g\"} 4\n");
}

static void test_sets(void **state)
{
    (void)state;
    expect("http_requests_total and http_requests_total{code=\"500\"}", 600,
           "{__name__=\"http_requests_total\", code=\"500\", job=\"api\"} "
           "60\n");
    expect("http_requests_total and on (job) "
           "http_requests_total{code=\"500\"}",
           600,
           "{__name__=\"http_requests_total\", code=\"200\", job=\"api\"} "
           "600\n{__name__=\"http_requests_total\", code=\"500\", "
           "job=\"api\"} 60\n");
    expect("http_requests_total unless on (job) "
           "http_requests_total{code=\"500\"}",
           600,
           "{__name__=\"http_requests_total\", code=\"200\", job=\"web\"} "
           "300\n");
    expect("g or g2", 240, "{__name__=\"g\"} 4\n");
    expect("g or on (x) sparse", 600, "{__name__=\"sparse\"} 20\n");
    expect("sum(g) or vector(0)", 6000, "{} 0\n");
}

static void test_functions(void **state)
{
    (void)state;
    expect("absent(nothing{job=\"x\", a=~\"b\", c=\"d\", c=\"e\"})", 0,
           "{job=\"x\"} 1\n");
    expect("absent(g)", 0, "");
    /* Arguments mean the same in parentheses. */
    expect("absent(((nothing{job=\"x\"})))", 0, "{job=\"x\"} 1\n");
    expect("max_over_time(((g[5m])))", 240, "{} 5\n");
    expect("absent(sum(nothing))", 0, "{} 1\n");
    expect("time()", 600, "scalar 600\n");
    expect("vector(time())", 61, "{} 61\n");
    expect("scalar(g)", 240, "scalar 4\n");
    expect("scalar(http_requests_total)", 600, "scalar NaN\n");
    expect("clamp_min(g - 3, 0)", 60, "{} 0\n");
    expect("clamp_max(g, 2)", 240, "{} 2\n");
    expect("clamp_min(g, NaN)", 240, "{} NaN\n");
    expect("abs(g - 10)", 240, "{} 6\n");
}

static void test_errors(void **state)
{
    (void)state;
    fails("http_requests_total / on (job) sum by (job) "
          "(http_requests_total)",
          600,
          "multiple matches for labels: many-to-one matching must be "
          "explicit (group_left/group_right)");
    /* Pairs a comparison drops are no matches: only kept ones collide. */
    expect("http_requests_total > on (job) sum by (job) "
           "(http_requests_total)",
           600, "");
    fails("http_requests_total < on (job) sum by (job) (http_requests_total)",
          600, "multiple matches for labels");
    /* With one side empty, nothing is checked. */
    expect("nothing / on (job) http_requests_total", 600, "");
    fails("sum by (job) (http_requests_total) / on (job) "
          "http_requests_total",
          600, "found duplicate series for the match group");
    fails("abs({__name__=~\"g|g2\"})", 240,
          "vector cannot contain metrics with the same labelset");
    fails("{__name__=~\"g|g2\"} * 1", 240,
          "vector cannot contain metrics with the same labelset");
}

static void test_format(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *g, *e;
    } cases[] = {
        {0.1, "0.1", "1E-01"},
        {1e6, "1e+06", "1E+06"},
        {123456, "123456", "1.23456E+05"},
        {0.0001, "0.0001", "1E-04"},
        {0.00001, "1e-05", "1E-05"},
        {1.0 / 3, "0.3333333333333333", "3.333333333333333E-01"},
        {-2.5, "-2.5", "-2.5E+00"},
        {0, "0", "0E+00"},
    };
    char out[PROMQL_FLOAT_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        promql_format_float(cases[i].v, 'g', out);
        assert_string_equal(out, cases[i].g);
        promql_format_float(cases[i].v, 'E', out);
        assert_string_equal(out, cases[i].e);
    }
    promql_format_float(INFINITY, 'E', out);
    assert_string_equal(out, "+Inf");
    promql_format_float(NAN, 'g', out);
    assert_string_equal(out, "NaN");
}

static void test_series_texts(void **state)
{
    (void)state;
    struct promql_sample *s;
    size_t n;
    char err[SERIES_ERR_MAX];
    assert_int_equal(
        series_expand("1+2x2 _ -1-0.5x1 _x2 stale 3x1", 0, 10, &s, &n, err), 0);
    static const double want[] = {1, 3, 5, -1, -1.5, NAN, 3, 3};
    static const int64_t at[] = {0, 10, 20, 40, 50, 80, 90, 100};
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].t_ms, at[i]);
        if (i == 5)
            assert_true(promql_is_stale(s[i].v));
        else
            assert_true(s[i].v == want[i]);
    }
    free(s);
    assert_int_equal(series_expand("1 x", 0, 10, &s, &n, err), -EINVAL);
    assert_int_equal(series_expand("1+x3", 0, 10, &s, &n, err), -EINVAL);
    assert_int_equal(series_expand("1x-1", 0, 10, &s, &n, err), -EINVAL);
    struct labels ls;
    assert_int_equal(series_parse_labels("x{a=\"b\"}", &ls, err), 0);
    assert_int_equal(ls.n, 2);
    assert_string_equal(labels_get(&ls, "a"), "b");
    labels_free(&ls);
    assert_int_equal(series_parse_labels(" {} ", &ls, err), 0);
    assert_int_equal(ls.n, 0);
    assert_int_equal(series_parse_labels("x{a=~\"b\"}", &ls, err), -EINVAL);
    assert_int_equal(series_parse_labels("rate(x[5m])", &ls, err), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_over_time),
        cmocka_unit_test(test_aggregations),
        cmocka_unit_test(test_histogram_quantile),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_series_texts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
