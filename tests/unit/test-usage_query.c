/*
 * Usage reports (usage_query.h): the parameters parsed into a request,
 * every refusal with its exact sentence, the current periods by a fixed
 * clock, and summaries of a few lines (around a leap day, in
 * Europe/Berlin) summed, grouped and filtered, checked as the JSON the
 * API answers. The numbers were added up by hand from the lines.
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
#include "usage_helpers.h"
#include "usage_render.h"

#define MAX_PARAMS 16

struct parsed {
    char storage[512];
    struct usage_param p[MAX_PARAMS];
    struct usage_request r;
    struct buf why;
    int rc;
};

static void parse_at(struct lfix *f, enum usage_kind kind, const char *q,
                     int64_t now, struct parsed *out)
{
    size_t n = usage_split(q, out->storage, out->p, MAX_PARAMS);
    out->why = (struct buf){0};
    out->rc = usage_parse(f->l, kind, out->p, n, now, &out->r, &out->why);
}

static void parsed_free(struct parsed *p)
{
    usage_request_free(&p->r);
    buf_free(&p->why);
}

/* --- refusals ------------------------------------------------------------- */

static const struct {
    enum usage_kind kind;
    const char *query, *why;
} refusals[] = {
    {USAGE_SUMMARY, "metric=nope",
     "unknown metric \"nope\" (the usage metrics: cost_total, "
     "latency_seconds, requests_total)"},
    {USAGE_SUMMARY, "metric=",
     "unknown metric \"\" (the usage metrics: cost_total, latency_seconds, "
     "requests_total)"},
    {USAGE_SUMMARY, "metric=cost_total&metric=cost_total",
     "metric \"cost_total\" is asked for twice"},
    {USAGE_SUMMARY, "period=hour",
     "period must be day, week, month or year, not \"hour\""},
    {USAGE_SUMMARY, "period=Month",
     "period must be day, week, month or year, not \"Month\""},
    {USAGE_SUMMARY, "period=day&period=day", "period is given twice"},
    {USAGE_SUMMARY, "period=day&start_date=2024-01-01&end_date=2024-01-02",
     "period and start_date/end_date exclude each other"},
    {USAGE_SUMMARY, "start_date=2024-01-01",
     "start_date and end_date go together: end_date is missing"},
    {USAGE_SUMMARY, "end_date=2024-01-01",
     "start_date and end_date go together: start_date is missing"},
    {USAGE_SUMMARY, "start_date=2023-02-29&end_date=2024-01-01",
     "start_date \"2023-02-29\" is not a date (YYYY-MM-DD)"},
    {USAGE_SUMMARY, "start_date=2024-1-01&end_date=2024-01-01",
     "start_date \"2024-1-01\" is not a date (YYYY-MM-DD)"},
    {USAGE_SUMMARY, "start_date=2024-01-01&end_date=2024-13-01",
     "end_date \"2024-13-01\" is not a date (YYYY-MM-DD)"},
    {USAGE_SUMMARY, "start_date=0000-01-01&end_date=2024-01-01",
     "start_date \"0000-01-01\" is not a date (YYYY-MM-DD)"},
    {USAGE_SUMMARY, "start_date=2024-03-02&end_date=2024-03-01",
     "start_date 2024-03-02 is after end_date 2024-03-01"},
    {USAGE_SUMMARY, "start_date=2024-03-01&start_date=2024-03-01",
     "start_date is given twice"},
    {USAGE_SUMMARY, "by=", "by \"\" has an empty label name"},
    {USAGE_SUMMARY, "by=model,,user",
     "by \"model,,user\" has an empty "
     "label name"},
    {USAGE_SUMMARY, "by=model,model", "by names the label model twice"},
    {USAGE_SUMMARY, "by=region",
     "by \"region\": no metric asked for has that label (their labels: "
     "model, user, route)"},
    {USAGE_SUMMARY, "metric=latency_seconds&by=user",
     "by \"user\": no metric asked for has that label (their labels: "
     "model)"},
    {USAGE_SUMMARY, "metric=requests_total&model=a",
     "filter \"model\": no metric asked for has that label (their labels: "
     "route)"},
    {USAGE_SUMMARY, "model=a&model=b", "the filter model is given twice"},
    {USAGE_SUMMARY, "=a", "a parameter has no name"},
    {USAGE_SUMMARY, "granularity=day",
     "granularity is not a parameter of the usage summary (it is one of the "
     "export)"},
    {USAGE_SUMMARY, "format=csv",
     "format is not a parameter of the usage summary (it is one of the "
     "export)"},
    {USAGE_EXPORT, "",
     "the export needs a metric: one of cost_total, "
     "latency_seconds, requests_total"},
    {USAGE_EXPORT, "metric=cost_total&metric=requests_total",
     "the export takes one metric at a time, not \"requests_total\" as "
     "well"},
    {USAGE_EXPORT, "metric=cost_total&by=model",
     "by is not a parameter of the export (it is one of the usage summary)"},
    {USAGE_EXPORT, "metric=cost_total&granularity=minute",
     "granularity must be day or hour, not \"minute\""},
    {USAGE_EXPORT, "metric=cost_total&format=xml",
     "format must be csv or json, not \"xml\""},
    {USAGE_EXPORT, "metric=cost_total&format=table",
     "format must be csv or json, not \"table\""},
    {USAGE_EXPORT, "metric=cost_total&format=csv&format=csv",
     "format is given twice"},
    {USAGE_EXPORT, "metric=cost_total&route=/v1",
     "filter \"route\": no metric asked for has that label (their labels: "
     "model, user)"},
};

static void test_refusals(void **state)
{
    (void)state;
    struct lfix f;
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    for (size_t i = 0; i < sizeof(refusals) / sizeof(*refusals); i++) {
        struct parsed p;
        parse_at(&f, refusals[i].kind, refusals[i].query, USAGE_NOW, &p);
        if (p.rc != -EINVAL ||
            strcmp(p.why.data ? p.why.data : "", refusals[i].why) != 0)
            fail_msg("%s: rc %d, why \"%s\", want \"%s\"", refusals[i].query,
                     p.rc, p.why.data ? p.why.data : "", refusals[i].why);
        parsed_free(&p);
    }
    lfix_close(&f);
}

/* --- what is asked
 * ------------------------------------------------------------ */

/* The span of q at now, as "first last" dates (inclusive). */
static void expect_span(struct lfix *f, enum usage_kind kind, const char *q,
                        int64_t now, const char *want)
{
    struct parsed p;
    char got[64];
    int64_t y[2];
    int m[2], d[2];
    parse_at(f, kind, q, now, &p);
    if (p.rc != 0)
        fail_msg("%s: %s", q, p.why.data);
    civil_date(p.r.span.first_day, &y[0], &m[0], &d[0]);
    civil_date(p.r.span.end_day - 1, &y[1], &m[1], &d[1]);
    snprintf(got, sizeof(got), "%04d-%02d-%02d %04d-%02d-%02d", (int)y[0], m[0],
             d[0], (int)y[1], m[1], d[1]);
    if (strcmp(got, want) != 0)
        fail_msg("%s: span %s, want %s", q, got, want);
    parsed_free(&p);
}

static void test_spans(void **state)
{
    (void)state;
    struct lfix f;
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    /* 2024-03-01T12:00:00Z is a Friday. */
    expect_span(&f, USAGE_SUMMARY, "", USAGE_NOW, "2024-03-01 2024-03-31");
    expect_span(&f, USAGE_SUMMARY, "period=day", USAGE_NOW,
                "2024-03-01 2024-03-01");
    expect_span(&f, USAGE_SUMMARY, "period=week", USAGE_NOW,
                "2024-02-26 2024-03-03");
    expect_span(&f, USAGE_SUMMARY, "period=year", USAGE_NOW,
                "2024-01-01 2024-12-31");
    /* 23:30 UTC on February 29th is March 1st in Berlin. */
    expect_span(&f, USAGE_SUMMARY, "period=month", 1709249400,
                "2024-03-01 2024-03-31");
    expect_span(&f, USAGE_SUMMARY, "period=month", 1709249400 - 3600,
                "2024-02-01 2024-02-29");
    expect_span(&f, USAGE_SUMMARY, "start_date=2024-02-29&end_date=2024-02-29",
                USAGE_NOW, "2024-02-29 2024-02-29");
    expect_span(&f, USAGE_EXPORT, "metric=cost_total", USAGE_NOW,
                "2024-03-01 2024-03-31");
    /* By the hour, today unless said. */
    expect_span(&f, USAGE_EXPORT, "metric=cost_total&granularity=hour",
                USAGE_NOW, "2024-03-01 2024-03-01");
    lfix_close(&f);
}

static void test_request(void **state)
{
    (void)state;
    struct lfix f;
    struct parsed p;
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    parse_at(&f, USAGE_SUMMARY,
             "model=a&metric=requests_total&by=user,model&metric=cost_total",
             USAGE_NOW, &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.n_metrics, 2);
    assert_int_equal(p.r.metrics[0], 2);
    assert_int_equal(p.r.metrics[1], 0);
    assert_int_equal(p.r.n_by, 2);
    assert_string_equal(p.r.by[0], "user");
    assert_string_equal(p.r.by[1], "model");
    assert_int_equal(p.r.n_match, 1);
    assert_string_equal(p.r.match[0].label, "model");
    assert_string_equal(p.r.match[0].value, "a");
    parsed_free(&p);

    parse_at(&f, USAGE_EXPORT, "metric=latency_seconds&format=csv", USAGE_NOW,
             &p);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.r.format, USAGE_FORMAT_CSV);
    assert_int_equal(p.r.grain, LEDGER_DAYS);
    parsed_free(&p);
    lfix_close(&f);

    /* With one usage metric, the export needs none named. */
    lfix_open(&f,
              "inputs: [{name: app, paths: [/dev/null]}]\n"
              "metrics: [{name: lines_total, type: counter}]\n"
              "usage: {metrics: [lines_total]}\n",
              "");
    parse_at(&f, USAGE_EXPORT, "", USAGE_NOW, &p);
    if (p.rc != 0)
        fail_msg("%s", p.why.data);
    parsed_free(&p);
    lfix_close(&f);
}

/* By the hour, only as far back as hours are kept. */
static void test_hour_window(void **state)
{
    (void)state;
    struct lfix f;
    struct parsed p;
    lfix_open(&f, USAGE_YAML("Asia/Kolkata", "8d"), "");
    parse_at(&f, USAGE_EXPORT,
             "metric=cost_total&granularity=hour&start_date=2024-02-22&"
             "end_date=2024-03-01",
             USAGE_NOW, &p);
    assert_int_equal(p.rc, -EINVAL);
    /* Now is 17:30 in Kolkata: the oldest hour kept started eight days
     * before, at 17:30. */
    assert_string_equal(
        p.why.data,
        "granularity=hour reaches back before the hours kept: hours are "
        "kept for 8 days (usage.hourly_retention), the oldest from "
        "2024-02-22T17:00:00+05:30; ask from start_date=2024-02-23 or use "
        "granularity=day");
    parsed_free(&p);
    parse_at(&f, USAGE_EXPORT,
             "metric=cost_total&granularity=hour&start_date=2024-02-23&"
             "end_date=2024-03-01",
             USAGE_NOW, &p);
    assert_int_equal(p.rc, 0);
    parsed_free(&p);
    lfix_close(&f);

    lfix_open(&f, USAGE_YAML("UTC", "0s"), "");
    parse_at(&f, USAGE_EXPORT, "metric=cost_total&granularity=hour", USAGE_NOW,
             &p);
    assert_int_equal(p.rc, -EINVAL);
    assert_string_equal(p.why.data,
                        "granularity=hour: no hours are kept "
                        "(usage.hourly_retention is 0s); use granularity=day");
    parsed_free(&p);
    lfix_close(&f);
}

/* --- summaries ---------------------------------------------------------------
 */

static void expect_summary(struct lfix *f, const char *q, const char *want)
{
    struct parsed p;
    struct usage_summary *s;
    struct buf out = {0};
    parse_at(f, USAGE_SUMMARY, q, USAGE_NOW, &p);
    if (p.rc != 0)
        fail_msg("%s: %s", q, p.why.data);
    assert_int_equal(usage_summarize(f->l, &p.r, &s), 0);
    usage_render_summary(s, USAGE_FORMAT_JSON, &out);
    if (strcmp(out.data, want) != 0)
        fail_msg("%s:\n%s\nwant:\n%s", q, out.data, want);
    usage_summary_free(s);
    buf_free(&out);
    parsed_free(&p);
}

#define PERIOD_0228_0301                                                       \
    "{\"period\":{\"start_date\":\"2024-02-28\",\"end_date\":\"2024-03-01\","  \
    "\"days\":3,\"timezone\":\"Europe/Berlin\"},\"metrics\":{"

static void test_summaries(void **state)
{
    (void)state;
    struct lfix f;
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    usage_feed(&f);
    expect_summary(
        &f, "start_date=2024-02-29&end_date=2024-02-29",
        "{\"period\":{\"start_date\":\"2024-02-29\",\"end_date\":\"2024-02-"
        "29\",\"days\":1,\"timezone\":\"Europe/Berlin\"},\"metrics\":{"
        "\"cost_total\":{\"type\":\"counter\",\"total\":0.1},"
        "\"latency_seconds\":{\"type\":\"histogram\",\"count\":1,\"sum\":0.5,"
        "\"average\":0.5},\"requests_total\":{\"type\":\"counter\","
        "\"total\":1}}}\n");
    expect_summary(
        &f, "start_date=2024-02-28&end_date=2024-03-01&by=model",
        PERIOD_0228_0301
        "\"cost_total\":{\"type\":\"counter\",\"total\":3.3,\"by\":["
        "{\"labels\":{\"model\":\"a\"},\"value\":0.3},"
        "{\"labels\":{\"model\":\"b\"},\"value\":1},"
        "{\"labels\":{\"model\":\"q,\\\"z\"},\"value\":2}]},"
        "\"latency_seconds\":{\"type\":\"histogram\",\"count\":3,\"sum\":2.25,"
        "\"average\":0.75,\"by\":["
        "{\"labels\":{\"model\":\"a\"},\"count\":2,\"sum\":2,\"average\":1},"
        "{\"labels\":{\"model\":\"q,\\\"z\"},\"count\":1,\"sum\":0.25,"
        "\"average\":0.25}]},"
        "\"requests_total\":{\"type\":\"counter\",\"total\":4,\"by\":["
        "{\"labels\":{},\"value\":4}]}}}\n");
    /* A filter applies to the metrics that have its label. */
    expect_summary(
        &f, "start_date=2024-02-28&end_date=2024-03-01&model=a",
        PERIOD_0228_0301
        "\"cost_total\":{\"type\":\"counter\",\"total\":0.3},"
        "\"latency_seconds\":{\"type\":\"histogram\",\"count\":2,\"sum\":2,"
        "\"average\":1},"
        "\"requests_total\":{\"type\":\"counter\",\"total\":4}}}\n");
    expect_summary(
        &f,
        "start_date=2024-02-28&end_date=2024-03-01&by=user,model&metric=cost_"
        "total&user=x",
        PERIOD_0228_0301
        "\"cost_total\":{\"type\":\"counter\",\"total\":3.1,\"by\":["
        "{\"labels\":{\"user\":\"x\",\"model\":\"a\"},\"value\":0.1},"
        "{\"labels\":{\"user\":\"x\",\"model\":\"b\"},\"value\":1},"
        "{\"labels\":{\"user\":\"x\",\"model\":\"q,\\\"z\"},\"value\":2}]}}}"
        "\n");
    /* Nothing in the period: zeros, and no average. */
    expect_summary(
        &f, "metric=latency_seconds&by=model&period=year&model=none",
        "{\"period\":{\"start_date\":\"2024-01-01\",\"end_date\":\"2024-12-"
        "31\",\"days\":366,\"timezone\":\"Europe/Berlin\"},\"metrics\":{"
        "\"latency_seconds\":{\"type\":\"histogram\",\"count\":0,\"sum\":0,"
        "\"average\":null,\"by\":[]}}}\n");
    lfix_close(&f);
}

static void test_average(void **state)
{
    (void)state;
    num_fixed a;
    assert_true(usage_average(NUM_ONE, 3, &a));
    assert_true(a == 333333333333); /* 0.333333333333 */
    assert_true(usage_average(2 * NUM_ONE, 3, &a));
    assert_true(a == 666666666667);
    /* Half to even at the 12th decimal: 0.0000000000005 -> 0. */
    assert_true(usage_average(1, 2, &a));
    assert_true(a == 0);
    assert_true(usage_average(3, 2, &a));
    assert_true(a == 2);
    assert_false(usage_average(NUM_ONE, 0, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),  cmocka_unit_test(test_spans),
        cmocka_unit_test(test_request),   cmocka_unit_test(test_hour_window),
        cmocka_unit_test(test_summaries), cmocka_unit_test(test_average),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
