/*
 * The PromQL parser (promql.h): each construct of the subset parses to the
 * tree its text means (shown fully parenthesised by promql_format), with
 * Prometheus' precedence and associativity; what lies outside the subset
 * is refused naming the construct at its column.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "promql.h"

/* text parses, and prints as want. */
static void parses(const char *text, const char *want)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    int rc = promql_parse(text, strlen(text), &n, err, &pos);
    if (rc != 0)
        fail_msg("\"%s\": %s at %zu", text, err, pos);
    struct buf out = {0};
    promql_format(&out, n);
    if (strcmp(out.data, want) != 0)
        fail_msg("\"%s\" parsed as \"%s\", not \"%s\"", text, out.data, want);
    /* What is printed parses to the same tree again. */
    struct promql_node *again;
    assert_int_equal(promql_parse(out.data, out.len, &again, err, &pos), 0);
    struct buf out2 = {0};
    promql_format(&out2, again);
    assert_string_equal(out2.data, want);
    buf_free(&out);
    buf_free(&out2);
    promql_free(n);
    promql_free(again);
}

/* text is refused at byte pos with a message containing why. */
static void refused(const char *text, size_t want_pos, const char *why)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos = 0;
    int rc = promql_parse(text, strlen(text), &n, err, &pos);
    if (rc == 0) {
        promql_free(n);
        fail_msg("\"%s\" was accepted", text);
    }
    assert_int_equal(rc, -EINVAL);
    assert_null(n);
    if (strstr(err, why) == NULL || pos != want_pos)
        fail_msg("\"%s\": \"%s\" at %zu, not \"%s\" at %zu", text, err, pos,
                 why, want_pos);
}

static void test_selectors(void **state)
{
    (void)state;
    parses("up", "up");
    parses("http_requests_total{job=\"api\", code!=\"200\"}",
           "http_requests_total{job=\"api\", code!=\"200\"}");
    parses("x{a=~\"a|b\",b!~'c.*',}", "x{a=~\"a|b\", b!~\"c.*\"}");
    parses("{__name__=\"x\"}", "x");
    parses("{__name__=~\"x|y\"}", "{__name__=~\"x|y\"}");
    parses("job:rate5m:sum", "job:rate5m:sum");
    parses("x{a=`raw\\n`}", "x{a=\"raw\\\\n\"}");
    parses("x{a=\"tab\\there \\u00e9 \\x41\"}",
           "x{a=\"tab\\there \xc3\xa9 A\"}");
    parses("rate(x[5m])", "rate(x[5m])");
    parses("rate(x[1h30m] offset 1d)", "rate(x[1h30m] offset 1d)");
    parses("x offset -5m", "x offset -5m");
    parses("x offset 90s", "x offset 1m30s");
    parses("avg_over_time(x[2w])", "avg_over_time(x[2w])");
    parses("count_over_time(x{a=\"b\"}[500ms])",
           "count_over_time(x{a=\"b\"}[500ms])");
    parses("x # a comment\n", "x");
    /* Keywords are fine as label names. */
    parses("x{on=\"1\", by=\"2\"}", "x{on=\"1\", by=\"2\"}");
}

static void test_numbers(void **state)
{
    (void)state;
    parses("1", "1");
    parses("1.5e3", "1500");
    parses("0x1f", "31");
    parses(".5", "0.5");
    parses("Inf", "Inf");
    parses("-inf", "(-Inf)");
    parses("NaN", "NaN");
    parses("-1", "(-1)");
    parses("- 2", "(-2)");
    parses("+3", "3");
}

static void test_precedence(void **state)
{
    (void)state;
    parses("1 + 2 * 3", "(1 + (2 * 3))");
    parses("1 * 2 + 3", "((1 * 2) + 3)");
    parses("1 - 2 - 3", "((1 - 2) - 3)");
    parses("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))");
    parses("-2 ^ 2", "-(2 ^ 2)");
    parses("-x * 2", "(-x * 2)");
    parses("-x ^ 2", "-(x ^ 2)");
    parses("a > 1 and b < 2 or c", "(((a > 1) and (b < 2)) or c)");
    parses("a or b unless c", "(a or (b unless c))");
    parses("a and b unless c", "((a and b) unless c)");
    parses("a + b > bool 2 * c", "((a + b) > bool (2 * c))");
    parses("a % 3 / 2", "((a % 3) / 2)");
    parses("(1 + 2) * 3", "((1 + 2) * 3)");
    parses("1 == bool 1", "(1 == bool 1)");
    parses("a / on (x, y) b", "(a / on (x, y) b)");
    parses("a / ignoring (x) b", "(a / ignoring (x) b)");
    parses("a and on () b", "(a and on () b)");
    parses("a != bool ignoring (le) b", "(a != bool ignoring (le) b)");
}

static void test_calls(void **state)
{
    (void)state;
    parses("sum(x)", "sum(x)");
    parses("sum by (job) (x)", "sum by (job) (x)");
    parses("SUM(x) BY (job, code)", "sum by (job, code) (x)");
    parses("avg without (instance) (rate(x[5m]))",
           "avg without (instance) (rate(x[5m]))");
    parses("count(x) without ()", "count without () (x)");
    parses("max by () (x)", "max by () (x)");
    parses("min(x > 1)", "min((x > 1))");
    parses("histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))",
           "histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))");
    parses("absent(x{a=\"b\"})", "absent(x{a=\"b\"})");
    parses("time()", "time()");
    parses("vector(1)", "vector(1)");
    parses("scalar(x)", "scalar(x)");
    parses("clamp_min(x, 0)", "clamp_min(x, 0)");
    parses("clamp_max(x, -1)", "clamp_max(x, (-1))");
    parses("abs(-x)", "abs(-x)");
    parses("irate(x[1m]) * 60", "(irate(x[1m]) * 60)");
    parses("increase(x[1h]) - delta(y[1h])",
           "(increase(x[1h]) - delta(y[1h]))");
    parses("time", "time"); /* a metric, without the parentheses */
}

static void test_refused_constructs(void **state)
{
    (void)state;
    refused("predict_linear(x[1h], 3600)", 0,
            "function \"predict_linear\" is not supported");
    refused("1 + nosuch(x)", 4, "unknown function \"nosuch\"");
    refused("topk(3, x)", 0, "aggregation \"topk\" is not supported");
    refused("a * on (x) group_left b", 11, "group_left is not supported");
    refused("a * group_right b", 4, "group_right is not supported");
    refused("rate(x[5m:1m])", 6, "subqueries are not supported");
    refused("x @ 100", 2, "the @ modifier is not supported");
    refused("atan2(x, y)", 0, "unexpected");
    refused("x atan2 y", 2, "atan2 is not supported");
    refused("sum(x, y)", 5, "takes no parameter");
}

static void test_refused_types(void **state)
{
    (void)state;
    refused("x[5m]", 0,
            "must be of type instant vector or scalar, not range vector");
    refused("\"s\"", 0, "not string");
    refused("rate(x)", 5,
            "expected type range vector in call to function "
            "\"rate\", got instant vector");
    refused("rate(x[5m], 1)", 0, "expected 1 argument");
    refused("time(1)", 0, "expected 0 arguments");
    refused("histogram_quantile(x, y)", 19, "expected type scalar");
    refused("sum(1)", 4, "expected type instant vector in aggregation");
    refused("1 > 2", 2, "comparisons between scalars must use bool");
    refused("1 and x", 2, "set operator \"and\" not allowed");
    refused("x + bool 1", 4, "bool modifier can only be used on comparison");
    refused("x + on (a) 1", 2, "vector matching only allowed between instant");
    refused("(x)[5m]", 3, "ranges are only allowed for vector selectors");
    refused("rate(x[5m])[5m]", 11, "ranges are only allowed");
    refused("{}", 0, "at least one non-empty matcher");
    refused("{a=~\".*\"}", 0, "at least one non-empty matcher");
    refused("x{__name__=\"y\"}", 0, "metric name must not be set twice");
    refused("x{a=~\"(\"}", 5, "invalid regular expression");
    refused("x offset 1m offset 1m", 12, "offset may not be set multiple");
    refused("x offset 5m[5m]", 11, "a range must come before offset");
    refused("\"s\" + 1", 4, "binary expression must contain only scalar");
    refused("-\"s\"", 0, "unary expression only allowed");
}

static void test_refused_syntax(void **state)
{
    (void)state;
    refused("", 0, "unexpected end of input");
    refused("x{", 2, "unexpected end of input");
    refused("x{a=b}", 4, "expected a quoted string");
    refused("x{a==\"b\"}", 3, "expected =, !=, =~ or !~");
    refused("x{a:b=\"c\"}", 2, "expected a label name");
    refused("x{a=\"b\\q\"}", 4, "invalid escape");
    refused("x{a=\"b}", 4, "unterminated quoted string");
    refused("rate(x[5x])", 7, "bad number or duration");
    refused("rate(x[5m1h])", 7, "bad duration");
    refused("rate(x[0s])", 6, "a range must not be zero");
    refused("x > 5m", 4, "unexpected \"5m\"");
    refused("x y", 2, "unexpected \"y\" after the expression");
    refused("(x", 2, "expected \")\"");
    refused("sum by job (x)", 7, "expected \"(\"");
    refused("x $ y", 2, "unexpected character '$'");
    refused("offset", 0, "unexpected \"offset\"");
    refused("sum", 3, "expected \"(\"");
    refused("x + ", 4, "unexpected end of input");
}

static void test_depth(void **state)
{
    (void)state;
    char deep[2 * PROMQL_DEPTH_MAX + 8];
    size_t n = 0;
    for (size_t i = 0; i < PROMQL_DEPTH_MAX + 2; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    deep[n] = '\0';
    struct promql_node *node;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    assert_int_equal(promql_parse(deep, n, &node, err, &pos), -EINVAL);
    assert_non_null(strstr(err, "nested too deeply"));
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"5m", 300000},      {"1h30m", 5400000},   {"500ms", 500},
        {"1y", 31536000000}, {"2w3d", 1468800000}, {"1m1s1ms", 61001},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        assert_int_equal(
            promql_duration(good[i].text, strlen(good[i].text), &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {
        "", "5", "m", "1m1h", "1s1s", "5M", "99999999999999999999y", "1.5h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (promql_duration(bad[i], strlen(bad[i]), &ms) == 0)
            fail_msg("\"%s\" was read as a duration", bad[i]);
    struct buf out = {0};
    promql_format_duration(&out, 5400000);
    assert_string_equal(out.data, "1h30m");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_refused_constructs),
        cmocka_unit_test(test_refused_types),
        cmocka_unit_test(test_refused_syntax),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
