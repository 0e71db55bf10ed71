/*
 * The rules' sample history (history.h): a round per evaluation instant,
 * staleness markers for series that went away, nothing older than the
 * window, at most max_samples samples with the rest counted as dropped;
 * the evaluator reads it as a source; the registry's series sampled as
 * the exposition shows them.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "eval.h"
#include "helpers.h"
#include "history.h"

#define S_MS 1000

static int make_named(void *ctx, struct labels *ls)
{
    return labels_set(ls, LABELS_NAME, ctx);
}

static void put(struct history *h, const char *name, double v)
{
    assert_int_equal(
        history_put(h, name, strlen(name), v, make_named, (void *)name), 0);
}

/* The value of name at t through the evaluator; NAN when absent. */
static double instant(struct history *h, const char *name, int64_t t)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    struct promql_value v;
    assert_int_equal(promql_parse(name, strlen(name), &n, err, &pos), 0);
    struct promql_source src = history_source(h);
    assert_int_equal(promql_eval(n, &src, t, &v, err), 0);
    double out = v.vec.n == 1 ? v.vec.v[0].v : NAN;
    promql_value_free(&v);
    promql_free(n);
    return out;
}

static void test_window_and_staleness(void **state)
{
    (void)state;
    struct history *h;
    struct history_stats st;
    assert_int_equal(history_new(10 * S_MS, 1000, &h), 0);
    for (int i = 0; i < 30; i++) {
        history_begin(h, (int64_t)i * S_MS);
        put(h, "a", i);
        if (i < 20)
            put(h, "b", i);
        history_end(h);
    }
    history_get_stats(h, &st);
    /* a: seconds 19 to 29; b: a staleness marker at 20, nothing after,
     * and by 29 only samples from 19 on are kept: 19 and the marker. */
    assert_int_equal(st.series, 2);
    assert_int_equal(st.samples, 11 + 2);
    assert_int_equal(st.dropped, 0);
    assert_true(st.bytes > st.samples * sizeof(struct promql_sample));
    assert_true(instant(h, "a", 29 * S_MS) == 29);
    assert_true(isnan(instant(h, "b", 29 * S_MS))); /* stale: absent */
    assert_true(instant(h, "rate(a[5s])", 29 * S_MS) == 1);
    /* Once b's marker leaves the window, b is forgotten. */
    for (int i = 30; i < 32; i++) {
        history_begin(h, (int64_t)i * S_MS);
        put(h, "a", i);
        history_end(h);
    }
    history_get_stats(h, &st);
    assert_int_equal(st.series, 1);
    assert_int_equal(st.samples, 11);
    history_free(h);
}

static void test_cap(void **state)
{
    (void)state;
    struct history *h;
    struct history_stats st;
    assert_int_equal(history_new(60 * S_MS, 5, &h), 0);
    history_begin(h, 0);
    put(h, "a", 1);
    put(h, "b", 1);
    put(h, "c", 1);
    history_end(h);
    history_begin(h, S_MS);
    put(h, "a", 2);
    put(h, "b", 2);
    put(h, "c", 2); /* the sixth: over the cap */
    history_end(h);
    history_get_stats(h, &st);
    assert_int_equal(st.samples, 5);
    assert_int_equal(st.dropped, 1);
    assert_true(instant(h, "c", S_MS) == 1);
    history_free(h);
}

static void test_same_round_twice(void **state)
{
    (void)state;
    struct history *h;
    struct history_stats st;
    assert_int_equal(history_new(60 * S_MS, 100, &h), 0);
    for (int k = 0; k < 2; k++) {
        history_begin(h, 5 * S_MS);
        put(h, "a", 1 + k);
        history_end(h);
    }
    history_get_stats(h, &st);
    assert_int_equal(st.samples, 1);
    assert_true(instant(h, "a", 5 * S_MS) == 1);
    history_free(h);
}

/* What history_changes gave. */
struct changes {
    int series, samples, gone, clear;
    int64_t first_t, last_t;
};

static int on_series(void *ctx, uint64_t id, const char *key, size_t len,
                     const struct labels *ls)
{
    (void)id;
    (void)key;
    (void)len;
    (void)ls;
    ((struct changes *)ctx)->series++;
    return 0;
}

static int on_samples(void *ctx, uint64_t id, const struct promql_sample *s,
                      size_t n)
{
    struct changes *c = ctx;
    (void)id;
    if (c->samples == 0 || s[0].t_ms < c->first_t)
        c->first_t = s[0].t_ms;
    if (c->samples == 0 || s[n - 1].t_ms > c->last_t)
        c->last_t = s[n - 1].t_ms;
    c->samples += (int)n;
    return 0;
}

static int on_gone(void *ctx, uint64_t id)
{
    (void)id;
    ((struct changes *)ctx)->gone++;
    return 0;
}

static int on_clear(void *ctx)
{
    ((struct changes *)ctx)->clear++;
    return 0;
}

static struct changes changes(struct history *h)
{
    struct changes c = {0};
    struct history_changes cb = {on_series, on_samples, on_gone, on_clear, &c};
    assert_int_equal(history_changes(h, &cb), 0);
    return c;
}

/* A save writes only what changed since the last one committed. */
static void test_changes(void **state)
{
    (void)state;
    struct history *h;
    assert_int_equal(history_new(3 * S_MS, 100, &h), 0);
    for (int i = 0; i < 2; i++) {
        history_begin(h, (int64_t)i * S_MS);
        put(h, "a", i);
        put(h, "b", i);
        history_end(h);
    }
    struct changes c = changes(h);
    assert_int_equal(c.series, 2);
    assert_int_equal(c.samples, 4);
    assert_true(history_changed(h));
    /* Not committed: the same again. */
    c = changes(h);
    assert_int_equal(c.samples, 4);
    history_saved(h);
    assert_false(history_changed(h));
    assert_int_equal(changes(h).samples, 0);
    /* b stops: its marker, then it leaves the window and is gone. */
    for (int i = 2; i < 7; i++) {
        history_begin(h, (int64_t)i * S_MS);
        put(h, "a", i);
        history_end(h);
    }
    c = changes(h);
    assert_int_equal(c.series, 0);
    assert_int_equal(c.gone, 1);
    assert_int_equal(c.samples, 5 - 1); /* a: 2 to 6, the 2 since trimmed */
    assert_int_equal(c.first_t, 3 * S_MS);
    assert_int_equal(c.last_t, 6 * S_MS);
    assert_int_equal(history_cutoff_ms(h), 3 * S_MS);
    history_saved(h);
    c = changes(h);
    assert_int_equal(c.gone + c.samples + c.series, 0);
    history_free(h);
}

static void test_restore(void **state)
{
    (void)state;
    struct history *h;
    struct labels ls = {0};
    const struct promql_sample s[] = {
        {0, 1}, {50 * S_MS, 2}, {55 * S_MS, 3}, {70 * S_MS, 4}};
    assert_int_equal(history_new(10 * S_MS, 100, &h), 0);
    assert_int_equal(labels_set(&ls, LABELS_NAME, "a"), 0);
    /* At 60s: the first is out of the window, the last in the future. */
    assert_int_equal(history_restore(h, 7, "a", 1, &ls, s, 4, 60 * S_MS), 0);
    assert_false(history_changed(h)); /* as saved */
    assert_true(instant(h, "a", 60 * S_MS) == 3);
    struct history_stats st;
    history_get_stats(h, &st);
    assert_int_equal(st.samples, 2);
    /* The next round is new; a new series is numbered after 7. */
    history_begin(h, 61 * S_MS);
    put(h, "a", 4);
    put(h, "b", 1);
    history_end(h);
    struct changes c = changes(h);
    assert_int_equal(c.series, 1);
    assert_int_equal(c.samples, 2);
    history_free(h);
}

static void test_registry(void **state)
{
    (void)state;
    struct registry *r;
    struct history *h;
    static const char *const names[] = {"model"};
    static const char *const cn[] = {"env"}, *const cv[] = {"prod"};
    const num_fixed bounds[] = {dec("0.1"), dec("1")};
    assert_int_equal(registry_new(&r), 0);
    struct family_spec c = {.name = "tokens_total",
                            .help = "h",
                            .type = METRIC_COUNTER,
                            .label_names = names,
                            .n_labels = 1,
                            .const_names = cn,
                            .const_values = cv,
                            .n_const = 1};
    struct family_spec d = {.name = "latency_seconds",
                            .help = "h",
                            .type = METRIC_HISTOGRAM,
                            .bounds = bounds,
                            .n_bounds = 2};
    struct family *fc = registry_add(r, &c), *fd = registry_add(r, &d);
    assert_non_null(fc);
    assert_non_null(fd);
    series_add(get(fc, "gpt\0", 4), dec("2.5"));
    struct series *hs = get(fd, "", 0);
    series_observe(fd, hs, dec("0.05"));
    series_observe(fd, hs, dec("0.5"));
    series_observe(fd, hs, dec("5"));
    assert_int_equal(history_new(60 * S_MS, 100, &h), 0);
    assert_int_equal(history_sample_registry(h, r, S_MS, NULL, NULL), 0);
    assert_true(instant(h, "tokens_total{model=\"gpt\",env=\"prod\"}", S_MS) ==
                2.5);
    assert_true(instant(h, "latency_seconds_bucket{le=\"0.1\"}", S_MS) == 1);
    assert_true(instant(h, "latency_seconds_bucket{le=\"1\"}", S_MS) == 2);
    assert_true(instant(h, "latency_seconds_bucket{le=\"+Inf\"}", S_MS) == 3);
    assert_true(instant(h, "latency_seconds_sum", S_MS) == 5.55);
    assert_true(instant(h, "latency_seconds_count", S_MS) == 3);
    assert_float_equal(
        instant(h, "histogram_quantile(0.5, latency_seconds_bucket)", S_MS),
        0.55, 1e-12);
    history_free(h);
    registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_and_staleness),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_same_round_twice),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
