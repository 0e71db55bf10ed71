#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include "registry_private.h"

static void test_buckets(void **state)
{
    struct registry *r;
    const char *names[] = {"path"};
    num_fixed bounds[] = {dec("0.005"), dec("0.1"), dec("1")};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "h",
                               .type = METRIC_HISTOGRAM,
                               .label_names = names,
                               .n_labels = 1,
                               .bounds = bounds,
                               .n_bounds = 3};
    struct family *f = registry_add(r, &spec);
    struct series *s = get(f, "/x", 3);

    /* A value equal to a bound belongs to that bucket (le means <=). */
    series_observe(f, s, dec("0.005"));
    series_observe(f, s, dec("0.0050000001"));
    series_observe(f, s, dec("0"));
    series_observe(f, s, dec("-3"));
    series_observe(f, s, dec("1"));
    series_observe(f, s, dec("1.000000000001"));
    series_observe(f, s, dec("100"));
    assert_int_equal(s->buckets[0], 3); /* 0.005, 0, -3 */
    assert_int_equal(s->buckets[1], 1); /* 0.0050000001 */
    assert_int_equal(s->buckets[2], 1); /* 1 */
    assert_int_equal(s->count, 7);
    assert_true(s->value == dec("99.010000000101"));
    registry_free(r);
}

/* A gauge set, moved, or kept at its largest or smallest value; max and
 * min take a new series' first value as it is, not against zero. */
static void test_gauge_updates(void **state)
{
    struct registry *r;
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "g", .type = METRIC_GAUGE};
    struct series *s[GAUGE_UPDATE_COUNT];
    for (int u = 0; u < GAUGE_UPDATE_COUNT; u++) {
        spec.update = (enum gauge_update)u;
        s[u] = get(registry_add(r, &spec), "", 0);
    }
    static const char *const values[] = {"7", "9.5", "-2", "8"};
    for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++)
        for (int u = 0; u < GAUGE_UPDATE_COUNT; u++)
            series_gauge(s[u], (enum gauge_update)u, dec(values[i]));
    assert_true(s[GAUGE_SET]->value == dec("8"));
    assert_true(s[GAUGE_ADD]->value == dec("22.5"));
    assert_true(s[GAUGE_MAX]->value == dec("9.5"));
    assert_true(s[GAUGE_MIN]->value == dec("-2"));
    struct series *pos = get(registry_family(r, GAUGE_MIN), "p", 2);
    series_gauge(pos, GAUGE_MIN, dec("3"));
    assert_true(pos->value == dec("3"));
    /* An update that changes nothing leaves nothing to save. */
    s[GAUGE_MAX]->dirty = false;
    series_gauge(s[GAUGE_MAX], GAUGE_MAX, dec("1"));
    assert_false(s[GAUGE_MAX]->dirty);

    char sig[64];
    assert_true(
        family_signature(registry_family(r, GAUGE_SET), sig, sizeof(sig)) > 0);
    assert_string_equal(sig, "gauge||");
    family_signature(registry_family(r, GAUGE_MAX), sig, sizeof(sig));
    assert_string_equal(sig, "gauge:max||");
    assert_int_equal(gauge_update_parse("add"), GAUGE_ADD);
    assert_int_equal(gauge_update_parse("sum"), -1);
    registry_free(r);
}

static void test_lookup_and_growth(void **state)
{
    struct registry *r;
    const char *names[] = {"a", "b"};
    char key[64];
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "c_total",
                               .type = METRIC_COUNTER,
                               .label_names = names,
                               .n_labels = 2};
    struct family *f = registry_add(r, &spec);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5000; i++) {
            int n = snprintf(key, sizeof(key), "v%d", i) + 1;
            n += snprintf(key + n, sizeof(key) - (size_t)n, "w%d", i % 7) + 1;
            struct series *s = get(f, key, (size_t)n);
            assert_non_null(s);
            series_add(s, NUM_ONE * (i + 1));
        }
    assert_int_equal(f->n_series, 5000);
    assert_null(f->overflow);
    /* Same key, same series; the tuple boundary matters. */
    assert_true(get(f, "v1\0w1", 6)->value == 2 * NUM_ONE * 2);
    struct series *ab = get(f, "ab\0c", 5), *a_bc = get(f, "a\0bc", 5);
    assert_true(ab != a_bc);
    assert_int_equal(f->n_series, 5002);
    registry_free(r);
}

static void test_cap(void **state)
{
    struct registry *r;
    const char *names[] = {"user"};
    char key[32];
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "u_total",
                               .type = METRIC_COUNTER,
                               .label_names = names,
                               .n_labels = 1,
                               .max_series = 100};
    struct family *f = registry_add(r, &spec);
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof(key), "user%d", i) + 1;
        series_add(get(f, key, (size_t)n), NUM_ONE);
    }
    assert_int_equal(f->n_series, 100);
    assert_non_null(f->overflow);
    assert_int_equal(f->overflow_updates, 900);
    assert_true(f->overflow->value == 900 * NUM_ONE);
    /* Existing series keep counting exactly. */
    series_add(get(f, "user5", 6), NUM_ONE);
    assert_true(get(f, "user5", 6)->value == 2 * NUM_ONE);
    registry_free(r);
}

static void test_global_cap(void **state)
{
    struct registry *r;
    const char *names[] = {"user"};
    char key[32];
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    registry_set_max_series(r, 150);
    struct family_spec a = {.name = "a_total",
                            .type = METRIC_COUNTER,
                            .label_names = names,
                            .n_labels = 1,
                            .max_series = 100};
    struct family_spec b = a, self = a;
    b.name = "b_total";
    self.name = "tokentail_x_total";
    self.flags = FAMILY_SELF;
    struct family *fa = registry_add(r, &a), *fb = registry_add(r, &b),
                  *fs = registry_add(r, &self);
    struct family *fams[] = {fa, fb, fs};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 1000; i++) {
            int n = snprintf(key, sizeof(key), "user%d", i) + 1;
            series_add(get(fams[k], key, (size_t)n), NUM_ONE);
        }
    /* a reaches its own cap first; b gets what is left of the total. */
    assert_int_equal(fa->n_series, 100);
    assert_false(family_over_global(fa));
    assert_int_equal(fb->n_series, 50);
    assert_true(family_over_global(fb));
    assert_int_equal(r->n_series, 150);
    assert_true(fb->overflow->value == 950 * NUM_ONE);
    assert_int_equal(fb->overflow_updates, 950);
    /* tokentail's own families do not count against the total. */
    assert_int_equal(fs->n_series, 100);
    registry_free(r);
}

static void test_expiry(void **state)
{
    struct registry *r;
    const char *names[] = {"k"};
    char key[32];
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "g",
                               .type = METRIC_GAUGE,
                               .label_names = names,
                               .n_labels = 1,
                               .expire_s = 60};
    struct family *f = registry_add(r, &spec);
    /* 100 series; the even ones last updated at 1000 s, the odd at 1050. */
    for (int i = 0; i < 100; i++) {
        int n = snprintf(key, sizeof(key), "k%02d", i) + 1;
        struct series *s = get(f, key, (size_t)n);
        series_set(s, i * NUM_ONE);
        s->touched = i % 2 ? 1050 : 1000;
    }
    family_sort(f);
    assert_int_equal(family_expire(f, 1059), 0);
    assert_int_equal(f->n_series, 100);
    assert_int_equal(family_expire(f, 1060), 50);
    assert_int_equal(f->n_series, 50);
    assert_int_equal(r->n_series, 50);
    assert_int_equal(f->expired, 50);
    assert_true(f->renumbered);
    for (int i = 0; i < 50; i++) {
        /* Slots are renumbered densely, in creation order... */
        assert_int_equal(f->by_slot[i]->key[2] - '0', (2 * i + 1) % 10);
        snprintf(key, sizeof(key), "k%02d", 2 * i + 1);
        assert_string_equal(f->by_slot[i]->key, key);
        /* ...and the exposition order stays sorted. */
        if (i > 0)
            assert_true(strcmp(f->order[i - 1]->key, f->order[i]->key) < 0);
    }
    assert_int_equal(f->n_sorted, 50);
    /* The survivors are found; the expired ones come back at zero. */
    assert_true(get(f, "k51", 4)->value == 51 * NUM_ONE);
    assert_int_equal(f->n_series, 50);
    assert_true(get(f, "k50", 4)->value == 0);
    assert_int_equal(f->n_series, 51);
    assert_int_equal(r->n_series, 51);
    registry_free(r);
}

/* How often expiry runs follows the shortest expire_after, within bounds. */
static void test_expire_every(void **state)
{
    struct registry *r;
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    assert_int_equal(registry_expire_every_ms(r), 0);
    struct family_spec spec = {.name = "a", .type = METRIC_GAUGE};
    assert_non_null(registry_add(r, &spec));
    assert_int_equal(registry_expire_every_ms(r), 0);
    spec = (struct family_spec){
        .name = "b", .type = METRIC_GAUGE, .expire_s = 300};
    assert_non_null(registry_add(r, &spec));
    assert_int_equal(registry_expire_every_ms(r), 30000);
    spec =
        (struct family_spec){.name = "c", .type = METRIC_GAUGE, .expire_s = 5};
    assert_non_null(registry_add(r, &spec));
    assert_int_equal(registry_expire_every_ms(r), REGISTRY_EXPIRE_MIN_EVERY_MS);
    registry_free(r);
    assert_int_equal(registry_new(&r), 0);
    spec = (struct family_spec){
        .name = "d", .type = METRIC_GAUGE, .expire_s = 86400};
    assert_non_null(registry_add(r, &spec));
    assert_int_equal(registry_expire_every_ms(r), REGISTRY_EXPIRE_MAX_EVERY_MS);
    registry_free(r);
}

static void test_sort(void **state)
{
    struct registry *r;
    const char *names[] = {"k"};
    (void)state;
    assert_int_equal(registry_new(&r), 0);
    struct family_spec spec = {.name = "s_total",
                               .type = METRIC_COUNTER,
                               .label_names = names,
                               .n_labels = 1};
    struct family *f = registry_add(r, &spec);
    get(f, "m", 2);
    get(f, "c", 2);
    get(f, "x", 2);
    family_sort(f);
    get(f, "a", 2);
    get(f, "n", 2);
    get(f, "", 1);
    get(f, "ab", 3);
    family_sort(f);
    const char *want[] = {"", "a", "ab", "c", "m", "n", "x"};
    assert_int_equal(f->n_series, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(f->order[i]->key, want[i]);
    assert_ptr_equal(registry_find(r, "s_total"), f);
    assert_null(registry_find(r, "nope"));
    registry_free(r);
}

/* What changed between two signatures, in words. */
static void expect_change(const char *was, const char *now, const char *want)
{
    struct buf b = {0};
    registry_signature_change(was, now, &b);
    assert_false(b.oom);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_signature_change(void **state)
{
    (void)state;
    expect_change("counter|model,status|", "gauge|model,status|",
                  "its type (was counter; now gauge)");
    expect_change("counter|model,status|", "counter|model|",
                  "its label names (was model, status; now model)");
    expect_change("counter||", "counter|model|",
                  "its label names (was none; now model)");
    expect_change("histogram|path|0.1,1", "histogram|path|0.1,1,10",
                  "its buckets (was 0.1, 1; now 0.1, 1, 10)");
    expect_change("counter|a|", "histogram|b|1",
                  "its type (was counter; now histogram) and its label names "
                  "(was a; now b) and its buckets (was none; now 1)");
    expect_change("garbage", "counter||", "its definition");
    expect_change("gauge:max|a|", "gauge|a|", "its update (was max; now set)");
    expect_change("gauge|a|", "gauge:add|b|",
                  "its label names (was a; now b) and its update (was set; "
                  "now add)");
    expect_change("gauge:min||", "counter||",
                  "its type (was gauge; now counter)");
    expect_change("counter||", "counter||", "nothing");
}

/* Two registries with the same families, as a backfill's parts have. */
static struct registry *merge_registry(size_t max_series, size_t global)
{
    static const char *const k[] = {"k"};
    static const num_fixed bounds[] = {10 * NUM_ONE, 100 * NUM_ONE};
    struct registry *r;
    assert_int_equal(registry_new(&r), 0);
    registry_set_max_series(r, global);
    struct family_spec spec = {.name = "c",
                               .type = METRIC_COUNTER,
                               .label_names = k,
                               .n_labels = 1,
                               .max_series = max_series};
    assert_non_null(registry_add(r, &spec));
    static const char *const gauges[GAUGE_UPDATE_COUNT] = {"gs", "ga", "gx",
                                                           "gn"};
    for (int u = 0; u < GAUGE_UPDATE_COUNT; u++) {
        struct family_spec g = {.name = gauges[u],
                                .type = METRIC_GAUGE,
                                .update = (enum gauge_update)u};
        assert_non_null(registry_add(r, &g));
    }
    struct family_spec h = {
        .name = "h", .type = METRIC_HISTOGRAM, .bounds = bounds, .n_bounds = 2};
    assert_non_null(registry_add(r, &h));
    return r;
}

/* One value through every family of merge_registry. */
static void merge_feed(struct registry *r, const char *key, const char *v)
{
    series_add(get(registry_find(r, "c"), key, strlen(key) + 1), dec(v));
    static const char *const gauges[GAUGE_UPDATE_COUNT] = {"gs", "ga", "gx",
                                                           "gn"};
    for (int u = 0; u < GAUGE_UPDATE_COUNT; u++)
        series_gauge(get(registry_find(r, gauges[u]), "", 0),
                     (enum gauge_update)u, dec(v));
    struct family *h = registry_find(r, "h");
    series_observe(h, get(h, "", 0), dec(v));
}

/* What the lines that made src add to dst: counters and histograms sum,
 * a set gauge takes src's value, max and min compare, add adds; a series
 * new to dst comes after dst's own, in src's order. */
static void test_merge(void **state)
{
    (void)state;
    struct registry *dst = merge_registry(0, 0), *src = merge_registry(0, 0);
    merge_feed(dst, "a", "50");
    merge_feed(dst, "b", "7");
    merge_feed(src, "c", "3");
    merge_feed(src, "a", "20");
    merge_feed(src, "d", "200");
    merge_feed(src, "c", "4");
    assert_int_equal(registry_merge(dst, src), 0);

    struct family *c = registry_find(dst, "c");
    assert_int_equal(c->n_series, 4);
    static const char *const order[] = {"a", "b", "c", "d"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(c->by_slot[i]->key, order[i]);
    assert_true(get(c, "a", 2)->value == dec("70"));
    assert_true(get(c, "c", 2)->value == dec("7"));
    assert_true(get(c, "d", 2)->value == dec("200"));
    assert_true(get(registry_find(dst, "gs"), "", 0)->value == dec("4"));
    assert_true(get(registry_find(dst, "ga"), "", 0)->value == dec("284"));
    assert_true(get(registry_find(dst, "gx"), "", 0)->value == dec("200"));
    assert_true(get(registry_find(dst, "gn"), "", 0)->value == dec("3"));
    struct family *h = registry_find(dst, "h");
    struct series *hs = get(h, "", 0);
    assert_int_equal(hs->count, 6);
    assert_int_equal(hs->buckets[0], 3); /* 7, 3, 4 */
    assert_int_equal(hs->buckets[1], 2); /* 50, 20 */
    assert_true(hs->value == dec("284"));
    assert_true(get(c, "d", 2)->dirty);
    registry_free(src);
    registry_free(dst);
}

/* A merge that would reach an overflow series changes nothing: a
 * family's max_series, the registry's, an overflow in src itself. */
static void test_merge_over_cap(void **state)
{
    (void)state;
    /* dst holds 1 + 5 series (c's a, one per gauge and the histogram's);
     * src brings c's b and c. */
    static const size_t caps[][3] = {
        {2, 0, 0}, /* c's own cap: 1 + 2 > 2 */
        {0, 7, 0}, /* the registry's: 6 + 2 > 7 */
        {0, 0, 1}, /* src's c is over its cap of 1 */
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        struct registry *dst = merge_registry(caps[i][0], caps[i][1]);
        struct registry *src =
            merge_registry(caps[i][2] ? caps[i][2] : caps[i][0], 0);
        merge_feed(dst, "a", "1");
        merge_feed(src, "b", "1");
        merge_feed(src, "c", "1");
        assert_int_equal(registry_merge(dst, src), REGISTRY_MERGE_OVER_CAP);
        struct family *c = registry_find(dst, "c");
        assert_int_equal(c->n_series, 1);
        assert_true(get(c, "a", 2)->value == dec("1"));
        assert_true(get(registry_find(dst, "ga"), "", 0)->value == dec("1"));
        registry_free(src);
        registry_free(dst);
    }
    /* Exactly at the cap is no overflow. */
    struct registry *dst = merge_registry(3, 8), *src = merge_registry(3, 0);
    merge_feed(dst, "a", "1");
    merge_feed(src, "b", "1");
    merge_feed(src, "c", "1");
    assert_int_equal(registry_merge(dst, src), 0);
    assert_null(registry_find(dst, "c")->overflow);
    registry_free(src);
    registry_free(dst);
}

/* Families that differ cannot be merged. */
static void test_merge_other_shape(void **state)
{
    (void)state;
    struct registry *dst = merge_registry(0, 0), *src;
    assert_int_equal(registry_new(&src), 0);
    struct family_spec spec = {.name = "c", .type = METRIC_GAUGE};
    assert_non_null(registry_add(src, &spec));
    assert_int_equal(registry_merge(dst, src), -EINVAL);
    registry_free(src);
    assert_int_equal(registry_new(&src), 0);
    spec.name = "unknown";
    assert_non_null(registry_add(src, &spec));
    assert_int_equal(registry_merge(dst, src), -EINVAL);
    registry_free(src);
    registry_free(dst);
}

/*
 * The hash of every prefix of a key, 0 to 17 bytes (each length of the
 * tail, and two whole words), pinned: the durable state keeps digests of
 * series hashes, so a faster hash must give the very same values.
 */
static void test_hash_pinned(void **state)
{
    static const char key[] = "POST\0/api/v1/ai/chat\0"
                              "200";
    static const uint64_t want[] = {
        0xb8f36d91b59e3b00ULL, 0x762cf60a5ad20853ULL, 0x3c72d6ec20b0665bULL,
        0x5ff847261c594ca6ULL, 0x8cbe4fb8300d7e92ULL, 0x3c93116229274c04ULL,
        0x0a199568630c6da7ULL, 0x14619eca37c4cb1cULL, 0x0776456cbcc2575eULL,
        0xeb8c5af4401ce0ffULL, 0x9e47862490d3a942ULL, 0xb7cdffc7a1b75ff2ULL,
        0x8c7865e4ad8b8b2dULL, 0xccd91c34f664695aULL, 0xfc13c019e0ffc6ddULL,
        0xf9d2f8abcd2b32edULL, 0x59f22b049116ef41ULL, 0xa7663e74cecbf1d7ULL,
    };
    (void)state;
    for (size_t n = 0; n < sizeof(want) / sizeof(*want); n++)
        assert_int_equal(registry_hash(key, n), want[n]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_gauge_updates),
        cmocka_unit_test(test_lookup_and_growth),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_global_cap),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_expire_every),
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_signature_change),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_over_cap),
        cmocka_unit_test(test_merge_other_shape),
        cmocka_unit_test(test_hash_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
