#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "num.h"

static num_fixed fixed(const char *s, const char *scale)
{
    struct num_dec v, sc;
    num_fixed out = 0;
    assert_int_equal(num_parse_json(s, strlen(s), &v), 0);
    if (scale)
        assert_int_equal(num_parse_text(scale, strlen(scale), &sc), 0);
    assert_int_equal(num_to_fixed(&v, scale ? &sc : NULL, &out), 0);
    return out;
}

static const char *fmt(num_fixed v)
{
    static char out[NUM_FMT_MAX];
    num_format(v, out);
    return out;
}

static void test_json_grammar(void **state)
{
    static const char *const good[] = {"0",
                                       "-0",
                                       "1",
                                       "-1",
                                       "1250.5",
                                       "0.0005",
                                       "1e3",
                                       "1E-3",
                                       "2.5e+2",
                                       "-0.0",
                                       "123456789012345678901234567890"};
    static const char *const bad[] = {"",    "-",   "01",    "1.",  ".5",
                                      "+1",  "1e",  "1e+",   "2OO", "0x10",
                                      "inf", "NaN", "1.5.2", " 1",  "1 "};
    struct num_dec d;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_int_equal(num_parse_json(good[i], strlen(good[i]), &d), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(num_parse_json(bad[i], strlen(bad[i]), &d), -EINVAL);
    /* The configuration grammar is more forgiving. */
    assert_int_equal(num_parse_text("+1", 2, &d), 0);
    assert_int_equal(num_parse_text(".5", 2, &d), 0);
    assert_int_equal(num_parse_text("5.", 2, &d), 0);
    assert_int_equal(num_parse_text("007", 3, &d), 0);
    assert_int_equal(num_parse_text(".", 1, &d), -EINVAL);
}

static void test_format(void **state)
{
    (void)state;
    assert_string_equal(fmt(fixed("10", NULL)), "10");
    assert_string_equal(fmt(fixed("0.0005", NULL)), "0.0005");
    assert_string_equal(fmt(fixed("-2.5", NULL)), "-2.5");
    assert_string_equal(fmt(fixed("0", NULL)), "0");
    assert_string_equal(fmt(fixed("-0", NULL)), "0");
    assert_string_equal(fmt(fixed("1e3", NULL)), "1000");
    assert_string_equal(fmt(fixed("1.000", NULL)), "1");
    assert_string_equal(fmt(fixed("0.000000000001", NULL)), "0.000000000001");
    assert_string_equal(fmt(fixed("123456789012345678901234", NULL)),
                        "123456789012345678901234");
    assert_string_equal(fmt(NUM_FIXED_MAX),
                        "170141183460469231731687303.715884105727");
    assert_string_equal(fmt(-NUM_FIXED_MAX),
                        "-170141183460469231731687303.715884105727");
}

static void test_scale(void **state)
{
    (void)state;
    /* Milliseconds to seconds, exactly. */
    assert_string_equal(fmt(fixed("1250.5", "0.001")), "1.2505");
    assert_string_equal(fmt(fixed("5", "0.001")), "0.005");
    assert_string_equal(fmt(fixed("-3", "2")), "-6");
    assert_string_equal(fmt(fixed("3", "-0.5")), "-1.5");
    /* Rounding half to even at the twelfth decimal. */
    assert_string_equal(fmt(fixed("0.0000000000005", NULL)), "0");
    assert_string_equal(fmt(fixed("0.0000000000015", NULL)), "0.000000000002");
    assert_string_equal(fmt(fixed("0.0000000000025", NULL)), "0.000000000002");
    assert_string_equal(fmt(fixed("0.00000000000251", NULL)), "0.000000000003");
    assert_string_equal(fmt(fixed("1e-40", NULL)), "0");
    assert_string_equal(fmt(fixed("0e999999", NULL)), "0");
}

static void test_range(void **state)
{
    struct num_dec d;
    num_fixed out;
    (void)state;
    assert_int_equal(num_parse_json("1e999999", 8, &d), 0);
    assert_int_equal(num_to_fixed(&d, NULL, &out), -ERANGE);
    assert_int_equal(num_parse_json("-1e27", 5, &d), 0);
    assert_int_equal(num_to_fixed(&d, NULL, &out), -ERANGE);
    assert_int_equal(num_parse_json("1e26", 4, &d), 0);
    assert_int_equal(num_to_fixed(&d, NULL, &out), 0);
    assert_true(num_add_sat(NUM_FIXED_MAX, NUM_ONE) == NUM_FIXED_MAX);
    assert_true(num_add_sat(-NUM_FIXED_MAX, -NUM_ONE) == -NUM_FIXED_MAX);
}

/* Money does not drift: ten million micro-dollars make ten dollars. */
static void test_no_drift(void **state)
{
    (void)state;
    num_fixed micro = fixed("0.000001", NULL), sum = 0;
    for (int i = 0; i < 10000000; i++)
        sum = num_add_sat(sum, micro);
    assert_string_equal(fmt(sum), "10");
}

/* s as a value; "max" and "-max" are +-NUM_FIXED_MAX, whose 39 digits a
 * decimal does not keep. */
static num_fixed operand(const char *s)
{
    if (strcmp(s, "max") == 0 || strcmp(s, "-max") == 0)
        return s[0] == '-' ? -NUM_FIXED_MAX : NUM_FIXED_MAX;
    return fixed(s, NULL);
}

/* a OP b, as num_format writes it, or "ERANGE" / "EDOM". */
static const char *arith(int (*op)(num_fixed, num_fixed, num_fixed *),
                         const char *a, const char *b)
{
    num_fixed out = 0;
    int rc = op(operand(a), operand(b), &out);
    return rc == -ERANGE ? "ERANGE" : rc == -EDOM ? "EDOM" : fmt(out);
}

/* Each expected value is Python's Decimal result rounded half to even at
 * 10^-12 (ERANGE beyond 1.7e26). */
static void test_arithmetic(void **state)
{
    static const char *const max = "170141183460469231731687303.715884105727";
    static const struct {
        int (*op)(num_fixed, num_fixed, num_fixed *);
        const char *a, *b, *want;
    } cases[] = {
        {num_add, "0.1", "0.2", "0.3"},
        {num_add, "max", "0.000000000001", "ERANGE"},
        {num_add, "max", "-max", "0"},
        {num_sub, "1000", "1250.5", "-250.5"},
        {num_sub, "-max", "0.000000000001", "ERANGE"},
        {num_mul, "1.5", "2", "3"},
        {num_mul, "-1.5", "2", "-3"},
        {num_mul, "0.0000005", "0.000001", "0"},
        {num_mul, "0.0000015", "0.000001", "0.000000000002"},
        {num_mul, "0.0000025", "0.000001", "0.000000000002"},
        {num_mul, "10000000000000", "10000000000000",
         "100000000000000000000000000"},
        {num_mul, "20000000000000", "10000000000000", "ERANGE"},
        {num_mul, "123456789.123456789", "1000000.5",
         "123456850851851.3507283945"},
        {num_mul, "-98765432109.87654321", "0.000000000003", "-0.29629629633"},
        {num_mul, "max", "1", max},
        {num_mul, "max", "-0.5", "-85070591730234615865843651.857942052864"},
        {num_mul, "99999999.999999999999", "99999999.999999999999",
         "9999999999999999.9998"},
        {num_div, "1", "3", "0.333333333333"},
        {num_div, "2", "3", "0.666666666667"},
        {num_div, "-1", "3", "-0.333333333333"},
        {num_div, "0.000000000001", "2", "0"},
        {num_div, "0.000000000003", "2", "0.000000000002"},
        {num_div, "1", "0", "EDOM"},
        {num_div, "0", "0", "EDOM"},
        {num_div, "100000000000000000000", "3",
         "33333333333333333333.333333333333"},
        {num_div, "max", "1", max},
        {num_div, "max", "-7", "-24305883351495604533098186.245126300818"},
        {num_div, "100000000000000000000", "0.5", "200000000000000000000"},
        {num_div, "100000000000000000000", "0.000001",
         "100000000000000000000000000"},
        {num_div, "-500000000000000", "0.000000000001", "ERANGE"},
        {num_div, "7", "-0.000000000003", "-2333333333333.333333333333"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *got = arith(cases[i].op, cases[i].a, cases[i].b);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: %s and %s gave %s, not %s", i, cases[i].a,
                     cases[i].b, got, cases[i].want);
    }
}

/* A fixed-point value times a decimal scale, rounded half to even. */
static void test_scale_fixed(void **state)
{
    static const struct {
        const char *v, *scale, *want;
    } cases[] = {
        {"0.000000000003", "0.5", "0.000000000002"},
        {"0.000000000005", "0.5", "0.000000000002"},
        {"-2.5", "0.001", "-0.0025"},
        {"1250.5", "-2", "-2501"},
        {"max", "1", "170141183460469231731687303.715884105727"},
        {"100000000000000000000000000", "2", "ERANGE"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct num_dec sc;
        num_fixed out;
        assert_int_equal(
            num_parse_text(cases[i].scale, strlen(cases[i].scale), &sc), 0);
        int rc = num_scale(operand(cases[i].v), &sc, &out);
        assert_string_equal(rc == -ERANGE ? "ERANGE" : fmt(out), cases[i].want);
    }
}

static void test_u64(void **state)
{
    char out[24];
    (void)state;
    assert_int_equal(num_format_u64(0, out), 1);
    assert_string_equal(out, "0");
    num_format_u64(18446744073709551615ULL, out);
    assert_string_equal(out, "18446744073709551615");
}

/* One number's decimal: mantissa (64 bits here), exponent, sign. */
static void expect_dec(const char *s, bool json, uint64_t mant, int32_t exp,
                       bool neg)
{
    struct num_dec d;
    int rc = json ? num_parse_json(s, strlen(s), &d)
                  : num_parse_text(s, strlen(s), &d);
    assert_int_equal(rc, 0);
    assert_true(d.mant == mant);
    assert_int_equal(d.exp, exp);
    assert_int_equal(d.neg, neg);
}

/*
 * Short numbers are read in 64 bits and long ones in 128: both give the
 * same decimal, leading and trailing zeros, signs and 19 to 21 digits
 * included.
 */
static void test_decimals(void **state)
{
    (void)state;
    expect_dec("1604", true, 1604, 0, false);
    expect_dec("0.001604", true, 1604, -6, false);
    expect_dec("125.70", true, 12570, -2, false);
    expect_dec("-0.5", true, 5, -1, true);
    expect_dec("-0", true, 0, 0, false);
    expect_dec("-0.000", true, 0, 0, false);
    expect_dec("0", true, 0, 0, false);
    expect_dec("1e3", true, 1, 3, false);
    expect_dec("2.5E-2", true, 25, -3, false);
    expect_dec("9999999999999999999", true, 9999999999999999999ULL, 0, false);
    expect_dec("999999999.9999999999", true, 9999999999999999999ULL, -10,
               false);
    expect_dec("0.000000000000000000001", true, 1, -21, false);
    expect_dec("00040", false, 40, 0, false);
    expect_dec("00.50", false, 50, -2, false);
    expect_dec("+7", false, 7, 0, false);
    expect_dec(".5", false, 5, -1, false);
    expect_dec("5.", false, 5, 0, false);
    expect_dec("-00000000000000000001.5", false, 15, -1, true);
    struct num_dec d;
    assert_int_equal(num_parse_json("18446744073709551616", 20, &d), 0);
    assert_true(d.mant == (num_u128)UINT64_MAX + 1 && d.exp == 0);
    assert_int_equal(num_parse_json("123456789012345678901", 21, &d), 0);
    assert_true(d.mant / 1000 == 123456789012345678ULL &&
                d.mant % 1000 == 901 && d.exp == 0);
    assert_int_equal(num_parse_json("00", 2, &d), -EINVAL);
    assert_int_equal(num_parse_json("-01.5", 5, &d), -EINVAL);
    assert_int_equal(num_parse_json("1.5.", 4, &d), -EINVAL);
}

/* Conversions to fixed point in 64 bits and in 128 round alike. */
static void test_fixed_widths(void **state)
{
    (void)state;
    assert_string_equal(fmt(fixed("125.7", "0.001")), "0.1257");
    assert_string_equal(fmt(fixed("0.0000000000005", NULL)), "0");
    assert_string_equal(fmt(fixed("0.0000000000015", NULL)), "0.000000000002");
    assert_string_equal(fmt(fixed("0.0000000000025", NULL)), "0.000000000002");
    assert_string_equal(fmt(fixed("0.00000000000250001", NULL)),
                        "0.000000000003");
    assert_string_equal(fmt(fixed("1234567.1234567891234565", NULL)),
                        "1234567.123456789123");
    assert_string_equal(fmt(fixed("12345678901234", "1000000")),
                        "12345678901234000000");
    assert_string_equal(fmt(fixed("-3.5", "0.000000000001")),
                        "-0.000000000004");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_grammar),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_no_drift),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_scale_fixed),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_fixed_widths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
