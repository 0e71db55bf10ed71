/*
 * The budgets written out: the JSON of GET /api/v1/budgets in a zone with
 * a half-hour offset (numbers computed apart with Python's Decimal and
 * zoneinfo), the table, the 404 without budgets, and the same answer
 * offline from a state file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budget_helpers.h"
#include "budget_http.h"

/* What bfix_feed's lines make of the budgets at NOW in Asia/Kolkata: the
 * line of 2024-01-31T23:59:59Z is 05:29:59 on February 1st there. */
#define KOLKATA_JSON                                                           \
    "{\"timezone\":\"Asia/Kolkata\","                                          \
    "\"evaluated_at\":\"2024-02-29T16:15:00+05:30\",\"budgets\":["             \
    "{\"name\":\"month_a\",\"metric\":\"tokens_total\","                       \
    "\"match\":{\"model\":\"a\"},\"period\":{\"kind\":\"month\","              \
    "\"start\":\"2024-02-01T00:00:00+05:30\","                                 \
    "\"end\":\"2024-03-01T00:00:00+05:30\"},\"limit\":100,\"used\":1073,"      \
    "\"remaining\":-973,\"utilization\":10.73,"                                \
    "\"projected\":1085.082455503088,\"status\":\"exceeded\"},"                \
    "{\"name\":\"day_a\",\"metric\":\"tokens_total\","                         \
    "\"match\":{\"model\":\"a\"},\"period\":{\"kind\":\"day\","                \
    "\"start\":\"2024-02-29T00:00:00+05:30\","                                 \
    "\"end\":\"2024-03-01T00:00:00+05:30\"},\"limit\":null,\"used\":53,"       \
    "\"remaining\":null,\"utilization\":null,"                                 \
    "\"projected\":78.276923076923,\"status\":\"ok\"},"                        \
    "{\"name\":\"hour\",\"metric\":\"tokens_total\",\"match\":{},"             \
    "\"period\":{\"kind\":\"hour\",\"start\":\"2024-02-29T16:00:00+05:30\","   \
    "\"end\":\"2024-02-29T17:00:00+05:30\"},\"limit\":10,\"used\":7,"          \
    "\"remaining\":3,\"utilization\":0.7,\"projected\":28,"                    \
    "\"status\":\"warning\"}]}\n"

#define KOLKATA_CSV                                                            \
    "budget,metric,match,period,start,end,limit,used,remaining,"               \
    "utilization,projected,status\r\n"                                         \
    "month_a,tokens_total,model=a,month,2024-02-01T00:00:00+05:30,"            \
    "2024-03-01T00:00:00+05:30,100,1073,-973,10.73,1085.082455503088,"         \
    "exceeded\r\n"                                                             \
    "day_a,tokens_total,model=a,day,2024-02-29T00:00:00+05:30,"                \
    "2024-03-01T00:00:00+05:30,,53,,,78.276923076923,ok\r\n"                   \
    "hour,tokens_total,,hour,2024-02-29T16:00:00+05:30,"                       \
    "2024-02-29T17:00:00+05:30,10,7,3,0.7,28,warning\r\n"

static void test_json(void **state)
{
    struct bfix x;
    struct buf out = {0};
    (void)state;
    bfix_open(&x, BUDGETS_YAML("Asia/Kolkata"), "");
    bfix_feed(&x.f);
    assert_int_equal(budgets_eval(x.b, NOW), 0);
    budget_write_json(x.b, &out);
    assert_string_equal(out.data, KOLKATA_JSON);

    buf_reset(&out);
    budget_write_table(x.b, &out);
    assert_non_null(strstr(out.data, "BUDGET"));
    assert_non_null(strstr(out.data, "\nmonth_a "));
    assert_non_null(strstr(out.data, " 2024-03-01T00:00:00+05:30 "));
    assert_non_null(strstr(out.data, " -973 "));
    assert_non_null(strstr(out.data, " exceeded\n"));
    assert_non_null(strstr(out.data, "\nday_a "));
    buf_free(&out);
    bfix_close(&x);
}

/* A match value with a comma and a quote is one quoted CSV field. */
static void test_csv_quoting(void **state)
{
    struct bfix x;
    struct buf out = {0};
    (void)state;
    bfix_open(&x,
              LEDGER_YAML("UTC",
                          LEDGER_KEEP_ALL) "budgets:\n  - {name: q, metric: "
                                           "tokens_total, match: {model: "
                                           "'x,\"y'}, period: day, limit: 2}\n",
              "");
    lfix_line(&x.f, "2024-02-29T10:00:00Z", "x,\\\"y", "1", NULL);
    assert_int_equal(budgets_eval(x.b, NOW), 0);
    budget_write_csv(x.b, &out);
    assert_non_null(strstr(out.data,
                           "\r\nq,tokens_total,\"model=x,\"\"y\",day,"
                           "2024-02-29T00:00:00Z,2024-03-01T00:00:00Z,"
                           "2,1,1,0.5,"));
    buf_free(&out);
    bfix_close(&x);
}

static void test_not_configured(void **state)
{
    struct http_reply rep = {.status = 200};
    (void)state;
    budget_http_get(NULL, NULL, &rep);
    assert_int_equal(rep.status, 404);
    assert_string_equal(rep.content_type, "application/json");
    assert_non_null(strstr(rep.body.data, "{\"error\":\"Not Found\","
                                          "\"detail\":\"no budgets are "
                                          "configured"));
    buf_free(&rep.body);
}

/* The same answer from the state file, without a daemon. */
static void test_report(void **state)
{
    const struct tmp *t = *state;
    struct bfix x;
    struct buf out = {0};
    bfix_open(&x, BUDGETS_YAML("Asia/Kolkata"), t->path);
    bfix_feed(&x.f);
    assert_int_equal(state_checkpoint(x.f.s), 1);
    assert_int_equal(budget_report(x.f.cfg, t->path, NOW, BUDGET_JSON, &out),
                     0);
    assert_string_equal(out.data, KOLKATA_JSON);
    buf_reset(&out);
    assert_int_equal(budget_report(x.f.cfg, t->path, NOW, BUDGET_TABLE, &out),
                     0);
    assert_non_null(strstr(out.data, "\nhour "));
    buf_reset(&out);
    assert_int_equal(budget_report(x.f.cfg, t->path, NOW, BUDGET_CSV, &out), 0);
    assert_string_equal(out.data, KOLKATA_CSV);
    buf_free(&out);
    bfix_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_not_configured),
        cmocka_unit_test_setup_teardown(test_report, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
