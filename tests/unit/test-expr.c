/*
 * Expressions (expr.h): what compiles to what, where a mistake is
 * reported, and exact values over lines the JSON parser read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include "config.h"
#include "expr.h"
#include "parser.h"

/* --- compiling ----------------------------------------------------------- */

/* The paths an expression registers, joined by spaces. */
struct seen {
    char paths[512];
    size_t len;
    int n;
    const char *refuse; /* a path the callback refuses */
};

static int remember(void *ctx, const char *path, size_t len)
{
    struct seen *s = ctx;
    if (s->refuse != NULL && strlen(s->refuse) == len &&
        memcmp(s->refuse, path, len) == 0)
        return -1;
    s->len += (size_t)snprintf(s->paths + s->len, sizeof(s->paths) - s->len,
                               "%s%.*s", s->n ? " " : "", (int)len, path);
    return s->n++;
}

/* The program as text: numbers, f<index>, len(f<index>), operators. */
static const char *program(const char *text, struct seen *s)
{
    static char out[1024];
    struct expr e;
    struct expr_error err;
    size_t n = 0;
    memset(s, 0, sizeof(*s));
    if (expr_compile(text, strlen(text), remember, s, &e, &err) != 0)
        fail_msg("\"%s\" does not compile: %zu: %s", text, err.at, err.msg);
    for (uint32_t i = 0; i < e.n_steps; i++) {
        const struct expr_step *st = &e.steps[i];
        char num[NUM_FMT_MAX];
        const char *sep = i ? " " : "";
        switch (st->op) {
        case EXPR_NUMBER:
            num_format(st->number, num);
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", sep, num);
            break;
        case EXPR_FIELD:
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%sf%d", sep,
                                  (int)st->field);
            break;
        case EXPR_LEN:
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%slen(f%d)", sep,
                                  (int)st->field);
            break;
        default:
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%c", sep,
                                  "~+-*/"[st->op - EXPR_NEG]);
            break;
        }
    }
    return out;
}

static void test_compile(void **state)
{
    struct seen s;
    (void)state;
    assert_string_equal(program("a + b", &s), "f0 f1 +");
    assert_string_equal(program("a - b - c", &s), "f0 f1 - f2 -");
    assert_string_equal(program("a - (b - c)", &s), "f0 f1 f2 - -");
    assert_string_equal(program("a + b * c", &s), "f0 f1 f2 * +");
    assert_string_equal(program("(a + b) * c / 2", &s), "f0 f1 + f2 * 2 /");
    assert_string_equal(program("-a * -(b)", &s), "f0 ~ f1 ~ *");
    assert_string_equal(program("+1.50 - .5e1 + 2.", &s), "1.5 5 - 2 +");
    assert_string_equal(
        program("usage.prompt_tokens+usage.completion_tokens", &s), "f0 f1 +");
    assert_string_equal(s.paths, "usage.prompt_tokens usage.completion_tokens");
    /* "-" after a dot counts from an array's end; between keys it is a
     * minus; a backslash keeps an operator (or a dot) inside a key. */
    assert_string_equal(program("choices.-1.n-a.0", &s), "f0 f1 -");
    assert_string_equal(s.paths, "choices.-1.n a.0");
    assert_string_equal(program("x\\-bytes * 2 + k\\.v + @t", &s),
                        "f0 2 * f1 + f2 +");
    assert_string_equal(s.paths, "x-bytes k\\.v @t");
    assert_string_equal(program("len(choices) + len ( a.b ) * len", &s),
                        "len(f0) len(f1) f2 * +");
    assert_string_equal(s.paths, "choices a.b len");
    assert_string_equal(program("caf\xc3\xa9\t*\t3", &s), "f0 3 *");
    assert_string_equal(program("7", &s), "7");
}

/* The error of text at its column (1-based), as the loader shows it. */
static void expect_error(const char *text, size_t column, const char *msg)
{
    struct seen s = {.refuse = "refused"};
    struct expr e;
    struct expr_error err;
    assert_int_equal(expr_compile(text, strlen(text), remember, &s, &e, &err),
                     -EINVAL);
    if (err.at + 1 != column || strcmp(err.msg, msg) != 0)
        fail_msg("\"%s\": column %zu: \"%s\", not column %zu: \"%s\"", text,
                 err.at + 1, err.msg, column, msg);
}

static void test_compile_errors(void **state)
{
    char long_text[512];
    size_t n = 0;
    (void)state;
    expect_error("", 1, "the expression is empty");
    expect_error("  ", 3, "the expression is empty");
    expect_error("a +", 4, "an operand is missing at the end");
    expect_error("a + * b", 5, "an operand is missing before \"*\"");
    expect_error("a b", 3, "an operator (+ - * /) expected");
    expect_error("2x", 2, "an operator (+ - * /) expected");
    expect_error("(a + b", 7, "\")\" expected");
    expect_error("a + b)", 6, "\")\" without its \"(\"");
    expect_error("1.2.3 + a", 1, "\"1.2.3\" is not a number");
    expect_error("1e", 1, "\"1e\" is not a number");
    expect_error("1e27", 1, "1e27 is out of range (at most 1.7e26)");
    expect_error("a..b", 3, "a key is missing in the field path");
    expect_error("a.", 3, "a key is missing in the field path");
    expect_error("a\\", 2, "a backslash ends the text");
    expect_error("len()", 5, "len() takes a field path");
    expect_error("len(a b)", 7, "\")\" expected after len's field path");
    expect_error("---------------------------------a", 33,
                 "nested more than 32 deep");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(long_text + n, sizeof(long_text) - n, "%sa%d",
                              i ? "+" : "", i);
    /* The 65th step is the "+" before a32. */
    expect_error(long_text, 118, "too long: at most 64 operands and operators");
    /* The callback said why; the position is the path's. */
    expect_error("1 + refused", 5, "");
}

/* --- evaluating ---------------------------------------------------------- */

/* Metric i's value expression, over fields the JSON parser reads. */
static const char yaml[] =
    "inputs: [{paths: [x.log]}]\n"
    "metrics:\n"
    "  - {name: a, type: gauge, value: {expr: \"u.p + u.c\"}}\n"
    "  - {name: b, type: gauge, value: {expr: \"out - body\"}}\n"
    "  - {name: c, type: gauge, value: {expr: \"u.p * 1.5 / (u.c - 4)\"}}\n"
    "  - {name: d, type: gauge, value: {expr: \"len(choices) * 10\"}}\n"
    "  - {name: e, type: gauge, value: {expr: \"-choices.-1.n + 0.25\"}}\n"
    "  - {name: f, type: gauge, value: {expr: \"out / body\"}}\n";

struct fixture {
    struct config *cfg;
    struct parser *json;
    struct fields fs;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->cfg = config_or_fail(yaml);
    json_fields(f->cfg, &f->json, &f->fs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    fields_free(&f->fs);
    parser_free(f->json);
    config_free(f->cfg);
    free(f);
    return 0;
}

/* Metric m's expression on line: its value as text, or the read result. */
static const char *eval(struct fixture *f, int m, const char *line)
{
    static char out[NUM_FMT_MAX + 16];
    num_fixed v;
    fields_next(&f->fs);
    assert_int_equal(parser_parse(f->json, line, strlen(line), &f->fs.set),
                     PARSE_OK);
    enum field_read r =
        expr_eval(f->cfg->metrics[m].values[0].expr, &f->fs, &v);
    static const char *const why[] = {
        [FIELD_READ_MISSING] = "missing",
        [FIELD_READ_WRONG_TYPE] = "wrong_type",
        [FIELD_READ_OUT_OF_RANGE] = "out_of_range",
        [FIELD_READ_NO_MATCH] = "no_match",
        [FIELD_READ_DIVISION_BY_ZERO] = "division_by_zero",
    };
    if (r != FIELD_READ_OK)
        return why[r];
    num_format(v, out);
    return out;
}

/* Expected values are Python's Decimal arithmetic, rounded half to even
 * at 10^-12 where a product or quotient has more decimals. */
static void test_eval(void **state)
{
    struct fixture *f = *state;
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 1200, \"c\": 34}}"),
                        "1234");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": \"0.1\", \"c\": 0.2}}"),
                        "0.3");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 5}}"), "missing");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 5, \"c\": null}}"),
                        "missing");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 5, \"c\": \"x\"}}"),
                        "wrong_type");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 1e26, \"c\": 1e26}}"),
                        "out_of_range");
    assert_string_equal(eval(f, 0, "{\"u\": {\"p\": 1e27, \"c\": 1}}"),
                        "out_of_range");
    assert_string_equal(eval(f, 1, "{\"out\": 1500, \"body\": 1200}"), "300");
    assert_string_equal(eval(f, 1, "{\"out\": 10, \"body\": 12.5}"), "-2.5");
    /* 7 * 1.5 / (7 - 4) = 3.5; 1 * 1.5 / 7 = 0.214285714285714... */
    assert_string_equal(eval(f, 2, "{\"u\": {\"p\": 7, \"c\": 7}}"), "3.5");
    assert_string_equal(eval(f, 2, "{\"u\": {\"p\": 1, \"c\": 11}}"),
                        "0.214285714286");
    assert_string_equal(eval(f, 2, "{\"u\": {\"p\": 1, \"c\": 4}}"),
                        "division_by_zero");
    assert_string_equal(eval(f, 3,
                             "{\"choices\": [1, {\"a\": [2, 3]}, \"x,y\", "
                             "[], {}, \"\\\"]\"]}"),
                        "60");
    assert_string_equal(eval(f, 3, "{\"choices\": []}"), "0");
    assert_string_equal(eval(f, 3, "{\"choices\": [ ]}"), "0");
    assert_string_equal(eval(f, 3, "{\"choices\": [null]}"), "10");
    assert_string_equal(eval(f, 3, "{\"choices\": {\"a\": 1}}"), "wrong_type");
    assert_string_equal(eval(f, 3, "{\"choices\": \"[1, 2]\"}"), "wrong_type");
    assert_string_equal(eval(f, 3, "{}"), "missing");
    assert_string_equal(
        eval(f, 4, "{\"choices\": [{\"n\": 1}, {\"n\": \"2.75\"}]}"), "-2.5");
    assert_string_equal(eval(f, 5, "{\"out\": 2, \"body\": 3}"),
                        "0.666666666667");
    assert_string_equal(eval(f, 5, "{\"out\": 0, \"body\": 0}"),
                        "division_by_zero");
}

/* Mistakes in an expression name the file, line and column, and the
 * column inside the expression; every mistake of the file is reported. */
static void test_config_errors(void **state)
{
    static const char bad[] =
        "inputs: [{paths: [x.log]}]\n"
        "metrics:\n"
        "  - {name: a, type: gauge, value: {expr: \"a + * b\"}}\n"
        "  - {name: b, type: gauge, value: {expr: \"c.-17\"}}\n"
        "  - {name: c, type: gauge, value: {expr: a, field: b}}\n"
        "  - {name: d, type: gauge, value: {expr: a, regex: '(\\d+)'}}\n"
        "  - {name: e, type: gauge, value: {scale: 2}}\n"
        "  - {name: f, type: gauge, value: {expr: a, duration: {from: s, to: "
        "t}}}\n"
        "  - {name: g, type: gauge, value: {expr: a, as: duration}}\n";
    struct config *cfg;
    struct buf errors = {0};
    (void)state;
    assert_int_equal(
        config_load_text("t.yaml", bad, strlen(bad), &cfg, &errors), -1);
    assert_string_equal(
        errors.data,
        "t.yaml:3:42: expr \"a + * b\": column 5: an operand is missing "
        "before \"*\"\n"
        "t.yaml:4:42: field in the expression \"c.-17\": a part counts at "
        "most 16 elements back from the end of an array (-1 is the last)\n"
        "t.yaml:5:42: a value takes \"field\" or \"expr\", not both\n"
        "t.yaml:6:52: regex takes the number out of one field's text; an "
        "expression has none\n"
        "t.yaml:7:35: a value needs \"field\" (or \"expr\" or "
        "\"duration\")\n"
        "t.yaml:8:42: a value takes its number from \"expr\" or from "
        "\"duration\", not both\n"
        "t.yaml:9:49: \"as\" says how a field's text is read; an "
        "expression reads its fields as numbers\n");
    buf_free(&errors);
    assert_null(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test_setup_teardown(test_eval, setup, teardown),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
