/*
 * A line's fields read as text and numbers (fields.h), and conditions
 * evaluated over them (cond.h), on lines parsed by the JSON parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"

#include "cond.h"
#include "config.h"
#include "fields.h"
#include "parser.h"

/* One metric per condition under test, in this order; its fields are
 * numbered as the configuration first names them. */
static const char yaml[] =
    "inputs: [{paths: [x.log]}]\n"
    "metrics:\n"
    "  - {name: a_total, type: counter, labels: {t: text, n: num, s: str,"
    " o: obj, u: usage.in}}\n"
    "  - {name: b_total, type: counter, when: {field: num, gt: 2.5}}\n"
    "  - {name: c_total, type: counter, when: {field: text, matches: '^h.l'}}\n"
    "  - {name: d_total, type: counter, when: {any: [{field: nope, exists: "
    "true}, {not: {field: str, in: ['7', '8']}}]}}\n";

struct fixture {
    struct config *cfg;
    struct parser *json;
    struct fields fs;
    struct cond conds[3];
};

enum { TEXT, NUM, STR, OBJ, USAGE_IN, NOPE };

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->cfg = config_or_fail(yaml);
    json_fields(f->cfg, &f->json, &f->fs);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cond_build(f->cfg->metrics[i + 1].when, &f->conds[i]),
                         0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 3; i++)
        cond_free(&f->conds[i]);
    fields_free(&f->fs);
    parser_free(f->json);
    config_free(f->cfg);
    free(f);
    return 0;
}

static void parse(struct fixture *f, const char *line)
{
    fields_next(&f->fs);
    assert_int_equal(parser_parse(f->json, line, strlen(line), &f->fs.set),
                     PARSE_OK);
}

static void test_field_numbering(void **state)
{
    struct fixture *f = *state;
    const char *want[] = {"text", "num", "str", "obj", "usage.in", "nope"};
    assert_int_equal(f->cfg->n_fields, 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(f->cfg->fields[i].path, want[i]);
}

static void test_text(void **state)
{
    struct fixture *f = *state;
    size_t len;
    parse(f, "{\"text\":\"h\\u00e9llo \\\"q\\\"\",\"num\":12.50,"
             "\"obj\":{\"k\":1},\"str\":true}");
    const char *t = fields_text(&f->fs, fields_get(&f->fs, TEXT), &len);
    assert_int_equal(len, 10);
    assert_memory_equal(t, "h\xc3\xa9llo \"q\"", 10);
    t = fields_text(&f->fs, fields_get(&f->fs, NUM), &len);
    assert_int_equal(len, 5);
    assert_memory_equal(t, "12.50", 5); /* a number's text as written */
    t = fields_text(&f->fs, fields_get(&f->fs, STR), &len);
    assert_memory_equal(t, "true", len);
    assert_null(fields_text(&f->fs, fields_get(&f->fs, OBJ), &len));
    assert_null(fields_get(&f->fs, NOPE));

    /* A new line forgets the old values. */
    parse(f, "{\"num\":1}");
    assert_null(fields_get(&f->fs, TEXT));
    assert_non_null(fields_get(&f->fs, NUM));
}

static void test_numbers(void **state)
{
    struct fixture *f = *state;
    struct num_dec scale = {.mant = 1, .exp = -3}; /* 0.001 */
    num_fixed v;
    parse(f, "{\"num\":1250,\"str\":\"42.5\",\"text\":\"x\",\"obj\":[1],"
             "\"usage\":{\"in\":1e30}}");
    assert_int_equal(fields_number(&f->fs, NUM, &scale, NULL, &v),
                     FIELD_READ_OK);
    assert_true(v == 1250 * NUM_ONE / 1000);
    assert_int_equal(fields_number(&f->fs, STR, NULL, NULL, &v), FIELD_READ_OK);
    assert_true(v == 425 * NUM_ONE / 10);
    assert_int_equal(fields_number(&f->fs, TEXT, NULL, NULL, &v),
                     FIELD_READ_WRONG_TYPE);
    assert_int_equal(fields_number(&f->fs, OBJ, NULL, NULL, &v),
                     FIELD_READ_WRONG_TYPE);
    assert_int_equal(fields_number(&f->fs, NOPE, NULL, NULL, &v),
                     FIELD_READ_MISSING);
    assert_int_equal(fields_number(&f->fs, USAGE_IN, NULL, NULL, &v),
                     FIELD_READ_OUT_OF_RANGE);
    parse(f, "{\"num\":null}");
    assert_int_equal(fields_number(&f->fs, NUM, NULL, NULL, &v),
                     FIELD_READ_MISSING);
}

/* Text holding a number reads as people write numbers; JSON number
 * tokens stay strict (the parser refuses 0040 as JSON). */
static void test_numbers_in_text(void **state)
{
    static const struct {
        const char *text;
        const char *want; /* as num_format writes it; NULL: wrong_type */
    } cases[] = {
        {"0040", "40"},    {"+1", "1"},           {".5", "0.5"},
        {"5.", "5"},       {"-007.250", "-7.25"}, {"+.5e1", "5"},
        {"1E+03", "1000"}, {"00", "0"},           {"-0", "0"},
        {"", NULL},        {".", NULL},           {"+", NULL},
        {"-.", NULL},      {" 1", NULL},          {"1 ", NULL},
        {"1e", NULL},      {"0x10", NULL},        {"inf", NULL},
        {"NaN", NULL},     {"1,000", NULL},       {"1_000", NULL},
        {"++1", NULL},
    };
    struct fixture *f = *state;
    char line[128], out[NUM_FMT_MAX];
    num_fixed v;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        snprintf(line, sizeof(line), "{\"str\":\"%s\"}", cases[i].text);
        parse(f, line);
        enum field_read r = fields_number(&f->fs, STR, NULL, NULL, &v);
        if (cases[i].want == NULL) {
            if (r != FIELD_READ_WRONG_TYPE)
                fail_msg("\"%s\" read as a number", cases[i].text);
            continue;
        }
        if (r != FIELD_READ_OK)
            fail_msg("\"%s\" not read: %d", cases[i].text, (int)r);
        num_format(v, out);
        assert_string_equal(out, cases[i].want);
    }
    /* An escaped digit is decoded before it is read. */
    parse(f, "{\"str\":\"\\u00300\\u0034\"}");
    assert_int_equal(fields_number(&f->fs, STR, NULL, NULL, &v), FIELD_READ_OK);
    assert_true(v == 4 * NUM_ONE);
}

static void test_conditions(void **state)
{
    struct fixture *f = *state;
    struct cond *gt = &f->conds[0], *re = &f->conds[1], *any = &f->conds[2];
    parse(f, "{\"num\":2.5,\"text\":\"hello\",\"str\":\"7\"}");
    assert_false(cond_eval(&f->fs, gt)); /* 2.5 > 2.5 */
    assert_true(cond_eval(&f->fs, re));
    assert_false(cond_eval(&f->fs, any));
    parse(f, "{\"num\":\"2.51\",\"text\":\"help\",\"str\":9}");
    assert_true(cond_eval(&f->fs, gt)); /* a number in a string */
    assert_true(cond_eval(&f->fs, re));
    assert_true(cond_eval(&f->fs, any)); /* 9 is not in [7, 8] */
    parse(f, "{\"num\":{},\"text\":\"ahl\",\"nope\":0,\"str\":\"8\"}");
    assert_false(cond_eval(&f->fs, gt)); /* an object is no number */
    assert_false(cond_eval(&f->fs, re));
    assert_true(cond_eval(&f->fs, any)); /* nope exists */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_numbering),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_numbers_in_text),
        cmocka_unit_test(test_conditions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
