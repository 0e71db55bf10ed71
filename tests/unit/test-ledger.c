/*
 * The usage ledger (ledger.h) in memory: each update placed in its day and
 * hour by its event time, in a zone with summer time in spring and in
 * autumn (Europe/Berlin, America/New_York) and one half an hour off UTC
 * (Asia/Kolkata), over a leap day, out of order; and the queries: rows of
 * stored and unsaved amounts merged, sums grouped and filtered, the
 * overflow series, and the calendar periods asked for.
 *
 * The expected rows were computed from the same lines by Python with
 * zoneinfo and Decimal (days from local midnight to midnight, hours from
 * each whole local hour), independently of this code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "civil.h"
#include "ledger_helpers.h"

#define ALL_DAYS  -1000000, 10000000
#define ALL_HOURS INT64_MIN, INT64_MAX
#define TOKENS    0 /* the usage metrics' indices */
#define LATENCY   1

/* The lines: time, model, tokens, latency (or none). */
static const char *const lines[][4] = {
    {"2024-02-28T23:30:00Z", "a", "4", "0.5"},
    {"2024-02-29T18:45:00Z", "b", "0.5", NULL},
    {"2025-03-09T06:30:00Z", "a", "1.25", "1.5"},
    {"2025-03-09T07:30:00Z", "a", "2", NULL},
    {"2025-03-30T00:30:00Z", "a", "1.5", "0.25"},
    {"2025-03-30T01:30:00Z", "a", "2", "0.25"},
    {"2025-10-26T00:30:00Z", "a", "0.1", NULL},
    {"2025-10-26T01:30:00Z", "a", "0.2", "2"},
    {"2025-10-25T21:59:59Z", "a", "3", NULL},
    {"2025-11-02T05:30:00Z", "b", "7", NULL},
    {"2025-11-02T06:30:00Z", "b", "0.000001", "0.001"},
    {"2025-10-26T22:30:00Z", "b", "1", NULL},
};
#define N_LINES (sizeof(lines) / sizeof(*lines))

static const char *const berlin_days[] = {
    "19782 1709161200 1709247600 a 4/0",
    "19782 1709161200 1709247600 b 0.5/0",
    "20156 1741474800 1741561200 a 3.25/0",
    "20177 1743289200 1743372000 a 3.5/0",
    "20386 1761343200 1761429600 a 3/0",
    "20387 1761429600 1761519600 a 0.3/0",
    "20387 1761429600 1761519600 b 1/0",
    "20394 1762038000 1762124400 b 7.000001/0",
    NULL};
static const char *const berlin_hours[] = {
    "19782 1709161200 1709164800 a 4/0",
    "19782 1709229600 1709233200 b 0.5/0",
    "20156 1741500000 1741503600 a 1.25/0",
    "20156 1741503600 1741507200 a 2/0",
    "20177 1743292800 1743296400 a 1.5/0",
    "20177 1743296400 1743300000 a 2/0",
    "20386 1761426000 1761429600 a 3/0",
    "20387 1761436800 1761440400 a 0.1/0",
    "20387 1761440400 1761444000 a 0.2/0",
    "20387 1761516000 1761519600 b 1/0",
    "20394 1762059600 1762063200 b 7/0",
    "20394 1762063200 1762066800 b 0.000001/0",
    NULL};
static const char *const berlin_latency_days[] = {
    "19782 1709161200 1709247600 a 0.5/1",
    "20156 1741474800 1741561200 a 1.5/1",
    "20177 1743289200 1743372000 a 0.5/2",
    "20387 1761429600 1761519600 a 2/1",
    "20394 1762038000 1762124400 b 0.001/1",
    NULL};
static const char *const berlin_latency_hours[] = {
    "19782 1709161200 1709164800 a 0.5/1",
    "20156 1741500000 1741503600 a 1.5/1",
    "20177 1743292800 1743296400 a 0.25/1",
    "20177 1743296400 1743300000 a 0.25/1",
    "20387 1761440400 1761444000 a 2/1",
    "20394 1762063200 1762066800 b 0.001/1",
    NULL};
static const char *const new_york_days[] = {
    "19781 1709096400 1709182800 a 4/0",
    "19782 1709182800 1709269200 b 0.5/0",
    "20156 1741496400 1741579200 a 3.25/0",
    "20176 1743220800 1743307200 a 3.5/0",
    "20386 1761364800 1761451200 a 3.3/0",
    "20387 1761451200 1761537600 b 1/0",
    "20394 1762056000 1762146000 b 7.000001/0",
    NULL};
static const char *const new_york_hours[] = {
    "19781 1709161200 1709164800 a 4/0",
    "19782 1709229600 1709233200 b 0.5/0",
    "20156 1741500000 1741503600 a 1.25/0",
    "20156 1741503600 1741507200 a 2/0",
    "20176 1743292800 1743296400 a 1.5/0",
    "20176 1743296400 1743300000 a 2/0",
    "20386 1761426000 1761429600 a 3/0",
    "20386 1761436800 1761440400 a 0.1/0",
    "20386 1761440400 1761444000 a 0.2/0",
    "20387 1761516000 1761519600 b 1/0",
    "20394 1762059600 1762063200 b 7/0",
    "20394 1762063200 1762066800 b 0.000001/0",
    NULL};
static const char *const new_york_latency_days[] = {
    "19781 1709096400 1709182800 a 0.5/1",
    "20156 1741496400 1741579200 a 1.5/1",
    "20176 1743220800 1743307200 a 0.5/2",
    "20386 1761364800 1761451200 a 2/1",
    "20394 1762056000 1762146000 b 0.001/1",
    NULL};
static const char *const new_york_latency_hours[] = {
    "19781 1709161200 1709164800 a 0.5/1",
    "20156 1741500000 1741503600 a 1.5/1",
    "20176 1743292800 1743296400 a 0.25/1",
    "20176 1743296400 1743300000 a 0.25/1",
    "20386 1761440400 1761444000 a 2/1",
    "20394 1762063200 1762066800 b 0.001/1",
    NULL};
static const char *const kolkata_days[] = {
    "19782 1709145000 1709231400 a 4/0",
    "19783 1709231400 1709317800 b 0.5/0",
    "20156 1741458600 1741545000 a 3.25/0",
    "20177 1743273000 1743359400 a 3.5/0",
    "20387 1761417000 1761503400 a 3.3/0",
    "20388 1761503400 1761589800 b 1/0",
    "20394 1762021800 1762108200 b 7.000001/0",
    NULL};
static const char *const kolkata_hours[] = {
    "19782 1709163000 1709166600 a 4/0",
    "19783 1709231400 1709235000 b 0.5/0",
    "20156 1741501800 1741505400 a 1.25/0",
    "20156 1741505400 1741509000 a 2/0",
    "20177 1743294600 1743298200 a 1.5/0",
    "20177 1743298200 1743301800 a 2/0",
    "20387 1761427800 1761431400 a 3/0",
    "20387 1761438600 1761442200 a 0.1/0",
    "20387 1761442200 1761445800 a 0.2/0",
    "20388 1761517800 1761521400 b 1/0",
    "20394 1762061400 1762065000 b 7/0",
    "20394 1762065000 1762068600 b 0.000001/0",
    NULL};
static const char *const kolkata_latency_days[] = {
    "19782 1709145000 1709231400 a 0.5/1",
    "20156 1741458600 1741545000 a 1.5/1",
    "20177 1743273000 1743359400 a 0.5/2",
    "20387 1761417000 1761503400 a 2/1",
    "20394 1762021800 1762108200 b 0.001/1",
    NULL};
static const char *const kolkata_latency_hours[] = {
    "19782 1709163000 1709166600 a 0.5/1",
    "20156 1741501800 1741505400 a 1.5/1",
    "20177 1743294600 1743298200 a 0.25/1",
    "20177 1743298200 1743301800 a 0.25/1",
    "20387 1761442200 1761445800 a 2/1",
    "20394 1762065000 1762068600 b 0.001/1",
    NULL};

struct zone_case {
    const char *zone;
    const char *const *days, *const *hours, *const *latency_days,
                                                *const *latency_hours;
};

static const struct zone_case zones[] = {
    {"Europe/Berlin", berlin_days, berlin_hours, berlin_latency_days,
     berlin_latency_hours},
    {"America/New_York", new_york_days, new_york_hours, new_york_latency_days,
     new_york_latency_hours},
    {"Asia/Kolkata", kolkata_days, kolkata_hours, kolkata_latency_days,
     kolkata_latency_hours},
};

static void expect_all(struct lfix *f, const struct zone_case *z)
{
    struct buf b = {0};
    lfix_rows(f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    lfix_expect(&b, z->days);
    lfix_rows(f, TOKENS, LEDGER_HOURS, ALL_HOURS, &b);
    lfix_expect(&b, z->hours);
    lfix_rows(f, LATENCY, LEDGER_DAYS, ALL_DAYS, &b);
    lfix_expect(&b, z->latency_days);
    lfix_rows(f, LATENCY, LEDGER_HOURS, ALL_HOURS, &b);
    lfix_expect(&b, z->latency_hours);
    buf_free(&b);
}

/* Each zone: the rows while unsaved, once half are in the database, and
 * all of them. */
static void test_placement(void **state)
{
    char yaml[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
        struct lfix f;
        snprintf(yaml, sizeof(yaml), LEDGER_YAML("%s", LEDGER_KEEP_ALL),
                 zones[i].zone);
        lfix_open(&f, yaml, "");
        for (size_t k = 0; k < N_LINES; k++) {
            lfix_line(&f, lines[k][0], lines[k][1], lines[k][2], lines[k][3]);
            if (k == N_LINES / 2)
                assert_int_equal(ledger_sync(f.l), 0);
        }
        expect_all(&f, &zones[i]);
        assert_int_equal(ledger_sync(f.l), 0);
        struct ledger_stats st;
        ledger_get_stats(f.l, &st);
        assert_int_equal(st.unsaved, 0);
        expect_all(&f, &zones[i]);
        lfix_close(&f);
    }
}

/* The sum's groups as text: "values sum/count" joined by "; ". */
static void sums_text(const struct ledger_sums *s, size_t n_by, struct buf *b)
{
    char v[NUM_FMT_MAX];
    buf_reset(b);
    num_format(s->total.sum, v);
    buf_printf(b, "total %s/%llu", v, (unsigned long long)s->total.count);
    for (size_t i = 0; i < s->n_groups; i++) {
        const struct ledger_group *g = &s->groups[i];
        buf_puts(b, "; ");
        for (size_t k = 0; k < n_by; k++)
            buf_printf(b, "%s%s", k ? "," : "", g->values[k]);
        num_format(g->amount.sum, v);
        buf_printf(b, "%s %s/%llu", g->overflow ? "(overflow)" : "", v,
                   (unsigned long long)g->amount.count);
    }
}

static void expect_sum(struct lfix *f, const struct ledger_query *q,
                       const char *want)
{
    struct ledger_sums *s;
    struct buf b = {0};
    assert_int_equal(ledger_sum(f->l, q, &s), 0);
    sums_text(s, q->n_by, &b);
    if (strcmp(b.data, want) != 0)
        fail_msg("sum: %s\nwant: %s", b.data, want);
    ledger_sums_free(s);
    buf_free(&b);
}

/* Sums over calendar periods: grouped, filtered, the overflow series
 * apart, a label the metric lacks read as "". */
static void test_sums(void **state)
{
    struct lfix f;
    struct period_span month, hour;
    (void)state;
    lfix_open(&f, LEDGER_YAML("Europe/Berlin", LEDGER_KEEP_ALL), "");
    /* February 2024 in Berlin, a leap month; d and e overflow (3 series). */
    lfix_line(&f, "2024-02-01T00:10:00+01:00", "a", "0.1", "0.5");
    lfix_line(&f, "2024-02-29T23:59:59+01:00", "b", "0.2", "1.5");
    lfix_line(&f, "2024-02-15T12:00:00+01:00", "c", "1", NULL);
    lfix_line(&f, "2024-02-15T12:20:00+01:00", "d", "10", NULL);
    lfix_line(&f, "2024-02-15T12:40:00+01:00", "e", "100", NULL);
    lfix_line(&f, "2024-01-31T23:59:59+01:00", "a", "1000", NULL); /* Jan */
    lfix_line(&f, "2024-03-01T00:00:00+01:00", "a", "1000", NULL); /* Mar */
    assert_int_equal(ledger_sync(f.l), 0);
    lfix_line(&f, "2024-02-15T12:30:00+01:00", "a", "0.01", "0.25");

    period_of(ledger_zone(f.l), PERIOD_MONTH, 1708000000, &month);
    assert_int_equal(month.end_day - month.first_day, 29);
    static const char *const by_model[] = {"model"};
    struct ledger_query q = {.metric = TOKENS,
                             .grain = LEDGER_DAYS,
                             .from = month.first_day,
                             .to = month.end_day,
                             .by = by_model,
                             .n_by = 1};
    expect_sum(&f, &q,
               "total 111.31/0; a 0.11/0; b 0.2/0; c 1/0; (overflow) 110/0");
    q.n_by = 0;
    expect_sum(&f, &q, "total 111.31/0");
    struct ledger_match only_a = {"model", "a"};
    q.match = &only_a;
    q.n_match = 1;
    expect_sum(&f, &q, "total 0.11/0");
    /* A label tokens_total lacks: "" for every series, never the
     * overflow's. */
    static const char *const by_region[] = {"region"};
    struct ledger_match no_region = {"region", ""}, region = {"region", "eu"};
    q.match = &no_region;
    q.by = by_region;
    q.n_by = 1;
    expect_sum(&f, &q, "total 1.31/0;  1.31/0");
    q.match = &region;
    expect_sum(&f, &q, "total 0/0");
    /* The histogram: count and sum; the hour from 12:00 holds two. */
    period_of(ledger_zone(f.l), PERIOD_HOUR, 1707994800 + 600, &hour);
    assert_int_equal(hour.start, 1707994800); /* 2024-02-15T12:00+01:00 */
    q = (struct ledger_query){.metric = LATENCY,
                              .grain = LEDGER_HOURS,
                              .from = hour.start,
                              .to = hour.end};
    expect_sum(&f, &q, "total 0.25/1");
    q = (struct ledger_query){.metric = LATENCY,
                              .grain = LEDGER_DAYS,
                              .from = month.first_day,
                              .to = month.end_day,
                              .by = by_model,
                              .n_by = 1};
    expect_sum(&f, &q, "total 2.25/3; a 0.75/2; b 1.5/1");
    q.metric = 2;
    struct ledger_sums *s;
    assert_int_equal(ledger_sum(f.l, &q, &s), -EINVAL);
    assert_null(s);
    lfix_close(&f);
}

/* What the ledger says it keeps. */
static void test_info(void **state)
{
    struct lfix f;
    struct ledger_metric_info m;
    struct ledger_window w;
    (void)state;
    lfix_open(&f,
              LEDGER_YAML("Asia/Kolkata",
                          "  retention: 30d\n  hourly_retention: 2d\n"),
              "");
    assert_int_equal(ledger_n_metrics(f.l), 2);
    assert_int_equal(ledger_find(f.l, "latency_seconds"), LATENCY);
    assert_int_equal(ledger_find(f.l, "nothing"), -1);
    ledger_metric(f.l, LATENCY, &m);
    assert_string_equal(m.name, "latency_seconds");
    assert_int_equal(m.type, METRIC_HISTOGRAM);
    assert_int_equal(m.n_labels, 1);
    assert_string_equal(m.labels[0], "model");
    assert_string_equal(tz_name(ledger_zone(f.l)), "Asia/Kolkata");
    /* At 2024-03-01T00:15+05:30 the kept days start on 2024-01-31, the
     * kept hours at 2024-02-28T00:00+05:30. */
    ledger_window(f.l, 1709232300, &w);
    assert_int_equal(w.first_day, civil_days(2024, 1, 31));
    assert_int_equal(w.first_hour, 1709058600);
    assert_int_equal(w.retention_s, 30 * 86400);
    assert_int_equal(w.hourly_retention_s, 2 * 86400);
    lfix_close(&f);
}

/* Rows of the overflow series come after the others of their period. */
static void test_overflow_rows(void **state)
{
    struct lfix f;
    struct buf b = {0};
    (void)state;
    lfix_open(&f, LEDGER_YAML("UTC", LEDGER_KEEP_ALL), "");
    static const char *const models[] = {"z", "y", "x", "w", "v"};
    for (int i = 0; i < 5; i++)
        lfix_line(&f, "2024-02-29T10:00:00Z", models[i], "1", NULL);
    lfix_line(&f, "2024-02-28T10:00:00Z", "w", "2", NULL);
    lfix_rows(&f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    static const char *const want[] = {
        "19781 1709078400 1709164800 (overflow) 2/0",
        "19782 1709164800 1709251200 x 1/0",
        "19782 1709164800 1709251200 y 1/0",
        "19782 1709164800 1709251200 z 1/0",
        "19782 1709164800 1709251200 (overflow) 2/0",
        NULL};
    lfix_expect(&b, want);
    buf_free(&b);
    lfix_close(&f);
}

/* The core's series a part's series stands for: the one of the same
 * metric with the same label values (ctx: the core's fixture). */
static const struct series *merge_map(void *ctx, size_t metric,
                                      const struct series *s)
{
    struct lfix *f = ctx;
    struct ledger_metric_info m;
    ledger_metric(f->l, metric, &m);
    return get(registry_find(f->reg, m.name), s->key, s->key_len);
}

/* Half the lines heard by a ledger made beside the fixture's (as a
 * backfill's worker makes one), merged into it: the rows are those of all
 * the lines heard by one, and so is what it counted. */
static void test_merge(void **state)
{
    char yaml[1024];
    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
        struct lfix f, part;
        snprintf(yaml, sizeof(yaml), LEDGER_YAML("%s", LEDGER_KEEP_ALL),
                 zones[i].zone);
        lfix_open(&f, yaml, "");
        part.cfg = f.cfg;
        assert_int_equal(registry_new(&part.reg), 0);
        assert_int_equal(pipeline_new(f.cfg, part.reg, &part.p), 0);
        assert_int_equal(ledger_new_beside(f.l, &part.l), 0);
        for (size_t m = 0; m < ledger_n_metrics(part.l); m++) {
            struct ledger_metric_info info;
            ledger_metric(part.l, m, &info);
            assert_int_equal(
                pipeline_observe(part.p, info.name, ledger_observe, part.l, m),
                0);
        }
        size_t with_latency = 0;
        for (size_t k = 0; k < N_LINES; k++) {
            lfix_line(k % 3 == 0 ? &f : &part, lines[k][0], lines[k][1],
                      lines[k][2], lines[k][3]);
            with_latency += lines[k][3] != NULL;
        }
        assert_int_equal(registry_merge(f.reg, part.reg), 0);
        assert_int_equal(ledger_merge(f.l, part.l, merge_map, &f), 0);
        expect_all(&f, &zones[i]);
        assert_int_equal(ledger_heard(f.l, TOKENS), N_LINES);
        assert_int_equal(ledger_heard(f.l, LATENCY), with_latency);
        ledger_free(part.l);
        pipeline_free(part.p);
        registry_free(part.reg);
        lfix_close(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement), cmocka_unit_test(test_sums),
        cmocka_unit_test(test_info),      cmocka_unit_test(test_overflow_rows),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
