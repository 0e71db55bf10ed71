/*
 * Writing usage reports (usage_render.h): CSV fields quoted as RFC 4180
 * asks, instants in RFC 3339 with the zone's offset at each (summer time
 * in Berlin, +05:30 in Kolkata, west of UTC in New York), an export's
 * rows as CSV, JSON and a table (days of 23 hours, the overflow series),
 * and a summary as CSV and a table.
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

#include "usage_helpers.h"
#include "usage_render.h"

static void expect_text(const char *what, const struct buf *got,
                        const char *want)
{
    const char *g = got->data ? got->data : "";
    if (got->oom || strcmp(g, want) != 0)
        fail_msg("%s:\n%s\nwant:\n%s", what, g, want);
}

static void test_csv_field(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {"\"", "\"\"\"\""},
        {" spaces kept ", " spaces kept "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct buf b = {0};
        usage_csv_field(&b, cases[i][0], strlen(cases[i][0]));
        expect_text(cases[i][0], &b, cases[i][1]);
        buf_free(&b);
    }
}

static void expect_instant(const char *zone, int64_t t, const char *want)
{
    struct tz *z;
    char got[USAGE_INSTANT_MAX];
    assert_int_equal(tz_load(zone, &z), 0);
    usage_instant(z, t, got);
    if (strcmp(got, want) != 0)
        fail_msg("%s %lld: %s, want %s", zone, (long long)t, got, want);
    tz_free(z);
}

static void test_instants(void **state)
{
    (void)state;
    expect_instant("UTC", 0, "1970-01-01T00:00:00Z");
    /* London in winter is at offset 0 too. */
    expect_instant("Europe/London", 1733011200, "2024-12-01T00:00:00Z");
    /* Berlin's spring change, 2025-03-30 at 01:00 UTC. */
    expect_instant("Europe/Berlin", 1743289200, "2025-03-30T00:00:00+01:00");
    expect_instant("Europe/Berlin", 1743372000, "2025-03-31T00:00:00+02:00");
    expect_instant("Asia/Kolkata", 1709231400, "2024-03-01T00:00:00+05:30");
    expect_instant("America/New_York", 1709269200, "2024-03-01T00:00:00-05:00");
    expect_instant("Australia/Adelaide", 1743859800,
                   "2025-04-06T00:00:00+10:30");
}

/* The export of q as written in format f. */
static void export(struct lfix *f, const char *q, enum usage_format fmt,
                   struct buf *out)
{
    char storage[256];
    struct usage_param p[8];
    struct usage_request r;
    struct usage_writer w;
    struct ledger_metric_info m;
    struct buf why = {0};
    size_t n = usage_split(q, storage, p, 8);
    if (usage_parse(f->l, USAGE_EXPORT, p, n, USAGE_NOW, &r, &why) != 0)
        fail_msg("%s: %s", q, why.data);
    ledger_metric(f->l, r.metrics[0], &m);
    assert_int_equal(usage_writer_begin(&w, fmt, ledger_zone(f->l), &m, out),
                     0);
    assert_int_equal(usage_export(f->l, &r, usage_writer_row, &w), 0);
    usage_writer_end(&w);
    usage_request_free(&r);
    buf_free(&why);
}

static void test_export(void **state)
{
    (void)state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    usage_feed(&f);
    /* 2025-03-30 has 23 hours in Berlin. */
    usage_line(&f, "2025-03-30T12:00:00Z", "a", "x", "0.000000000001", "3",
               "/v1");
    export(&f, "metric=cost_total&start_date=2024-02-28&end_date=2025-03-30",
           USAGE_FORMAT_CSV, &b);
    expect_text(
        "csv", &b,
        "start,end,model,user,value\r\n"
        "2024-02-28T00:00:00+01:00,2024-02-29T00:00:00+01:00,"
        "\"q,\"\"z\",x,2\r\n"
        "2024-02-29T00:00:00+01:00,2024-03-01T00:00:00+01:00,a,x,0.1\r\n"
        "2024-03-01T00:00:00+01:00,2024-03-02T00:00:00+01:00,a,y,0.2\r\n"
        "2024-03-01T00:00:00+01:00,2024-03-02T00:00:00+01:00,b,x,1\r\n"
        "2025-03-30T00:00:00+01:00,2025-03-31T00:00:00+02:00,a,x,"
        "0.000000000001\r\n");
    buf_reset(&b);
    export(&f,
           "metric=latency_seconds&start_date=2025-03-30&end_date=2025-03-30&"
           "granularity=hour&model=a",
           USAGE_FORMAT_JSON, &b);
    expect_text("json", &b,
                "{\"records\":[\n"
                "{\"start\":\"2025-03-30T14:00:00+02:00\",\"end\":\"2025-03-"
                "30T15:00:00+02:00\",\"labels\":{\"model\":\"a\"},\"count\":1,"
                "\"sum\":3}\n]}\n");
    buf_reset(&b);
    export(&f,
           "metric=requests_total&start_date=2024-01-01&end_date=2024-01-31",
           USAGE_FORMAT_JSON, &b);
    expect_text("empty json", &b, "{\"records\":[]}\n");
    buf_reset(&b);
    export(&f,
           "metric=latency_seconds&start_date=2024-02-28&end_date=2024-03-01",
           USAGE_FORMAT_TABLE, &b);
    expect_text("table", &b,
                "start                      end                        model  "
                "count   sum\n"
                "2024-02-28T00:00:00+01:00  2024-02-29T00:00:00+01:00  q,\"z   "
                "    1  0.25\n"
                "2024-02-29T00:00:00+01:00  2024-03-01T00:00:00+01:00  a      "
                "    1   0.5\n"
                "2024-03-01T00:00:00+01:00  2024-03-02T00:00:00+01:00  a      "
                "    1   1.5\n");
    buf_free(&b);
    lfix_close(&f);
}

/* The fifth series of cost_total is past its max_series: the overflow. */
static void test_overflow(void **state)
{
    (void)state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, USAGE_YAML("UTC", "36600d"), "");
    usage_feed(&f);
    usage_line(&f, "2024-03-01T13:00:00Z", "c", "z", "5", NULL, "/v1");
    export(&f, "metric=cost_total&start_date=2024-03-01&end_date=2024-03-01",
           USAGE_FORMAT_JSON, &b);
    expect_text("overflow json", &b,
                "{\"records\":[\n"
                "{\"start\":\"2024-03-01T00:00:00Z\",\"end\":\"2024-03-"
                "02T00:00:00Z\",\"labels\":{\"model\":\"b\",\"user\":"
                "\"x\"},\"value\":1},\n"
                "{\"start\":\"2024-03-01T00:00:00Z\",\"end\":\"2024-03-"
                "02T00:00:00Z\",\"labels\":{\"tokentail_overflow\":"
                "\"true\"},\"value\":5}\n]}\n");
    buf_free(&b);
    lfix_close(&f);
}

static void summary(struct lfix *f, const char *q, enum usage_format fmt,
                    struct buf *out)
{
    char storage[256];
    struct usage_param p[8];
    struct usage_request r;
    struct usage_summary *s;
    struct buf why = {0};
    size_t n = usage_split(q, storage, p, 8);
    if (usage_parse(f->l, USAGE_SUMMARY, p, n, USAGE_NOW, &r, &why) != 0)
        fail_msg("%s: %s", q, why.data);
    assert_int_equal(usage_summarize(f->l, &r, &s), 0);
    usage_render_summary(s, fmt, out);
    usage_summary_free(s);
    usage_request_free(&r);
    buf_free(&why);
}

static void test_summary_sheets(void **state)
{
    (void)state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, USAGE_YAML("Europe/Berlin", "36600d"), "");
    usage_feed(&f);
    summary(&f, "start_date=2024-02-28&end_date=2024-03-01&by=model",
            USAGE_FORMAT_CSV, &b);
    expect_text("csv", &b,
                "start_date,end_date,metric,model,value,count,sum,average\r\n"
                "2024-02-28,2024-03-01,cost_total,a,0.3,,,\r\n"
                "2024-02-28,2024-03-01,cost_total,b,1,,,\r\n"
                "2024-02-28,2024-03-01,cost_total,\"q,\"\"z\",2,,,\r\n"
                "2024-02-28,2024-03-01,latency_seconds,a,,2,2,1\r\n"
                "2024-02-28,2024-03-01,latency_seconds,\"q,\"\"z\",,1,0.25,"
                "0.25\r\n"
                "2024-02-28,2024-03-01,requests_total,,4,,,\r\n");
    buf_reset(&b);
    summary(&f, "period=month", USAGE_FORMAT_TABLE, &b);
    expect_text("table", &b,
                "start_date  end_date    metric           value  count  sum  "
                "average\n"
                "2024-03-01  2024-03-31  cost_total         1.2\n"
                "2024-03-01  2024-03-31  latency_seconds             1  1.5  "
                "    1.5\n"
                "2024-03-01  2024-03-31  requests_total       2\n");
    buf_free(&b);
    lfix_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_field),      cmocka_unit_test(test_instants),
        cmocka_unit_test(test_export),         cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_summary_sheets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
