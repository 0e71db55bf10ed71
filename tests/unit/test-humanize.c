/*
 * Figures for people, byte for byte: separators, money's decimals by
 * magnitude and their rounding, byte units, relative times.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "humanize.h"
#include "out_helpers.h"

#define PICO(x) ((num_fixed)(x))

static void test_u64(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {999, "999"},
        {1000, "1,000"},
        {123456, "123,456"},
        {1234567, "1,234,567"},
        {UINT64_MAX, "18,446,744,073,709,551,615"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&out);
        humanize_u64(&out, cases[i].v);
        assert_string_equal(text(), cases[i].want);
    }
}

static void test_money(void **state)
{
    (void)state;
    static const struct {
        long long pico;
        const char *want;
    } cases[] = {
        {0, "0.00"}, /* none at all */
        {1000000000000LL, "1.00"},
        {12345678900000000LL, "12,345.68"},
        {1005000000000LL, "1.00"}, /* half to even: 100.5 cents */
        {1015000000000LL, "1.02"}, /* half to even: 101.5 cents */
        {999999000000LL, "1.000"}, /* under one unit: three decimals */
        {125000000000LL, "0.125"},
        {10000000000LL, "0.010"},
        {9999000000LL, "0.0100"}, /* under a cent: four decimals */
        {4200000000LL, "0.0042"},
        {49999999LL, "0.0000"},
        {50000001LL, "0.0001"},
        {-2500000000000LL, "-2.50"},
        {-40000000LL, "0.0000"}, /* rounds to zero: no sign */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&out);
        humanize_money(&out, PICO(cases[i].pico));
        assert_string_equal(text(), cases[i].want);
    }
    buf_reset(&out);
    humanize_money(&out, NUM_FIXED_MAX);
    assert_string_equal(text(), "170,141,183,460,469,231,731,687,303.72");
}

static void test_double(void **state)
{
    (void)state;
    humanize_double(&out, 1234.56, 1);
    assert_string_equal(text(), "1,234.6");
    buf_reset(&out);
    humanize_double(&out, 0.04, 1);
    assert_string_equal(text(), "0.0");
    buf_reset(&out);
    humanize_double(&out, -7.5, 0);
    assert_string_equal(text(), "-8");
    buf_reset(&out);
    humanize_double(&out, 3.14159, 9); /* at most three decimals */
    assert_string_equal(text(), "3.142");
    buf_reset(&out);
    humanize_double(&out, NAN, 2);
    assert_string_equal(text(), "\xe2\x80\x93");
    buf_reset(&out);
    humanize_double(&out, -INFINITY, 2);
    assert_string_equal(text(), "\xe2\x80\x93");
}

static void test_bytes(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        const char *want;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1536, "1.5 KiB"},
        {20u * 1024 * 1024, "20.0 MiB"},
        {5ull * 1024 * 1024 * 1024, "5.0 GiB"},
        {3000ull * 1024 * 1024 * 1024 * 1024, "3,000.0 TiB"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&out);
        humanize_bytes(&out, cases[i].v);
        assert_string_equal(text(), cases[i].want);
    }
}

static void test_ago(void **state)
{
    (void)state;
    const time_t now = 1700000000;
    static const struct {
        long delta; /* now - then */
        const char *want;
    } cases[] = {
        {0, "just now"},           {4, "just now"},     {5, "5 s ago"},
        {59, "59 s ago"},          {60, "1 min ago"},   {3599, "59 min ago"},
        {3600, "1 h ago"},         {86399, "23 h ago"}, {86400, "1 d ago"},
        {40L * 86400, "40 d ago"}, {-3, "just now"},    {-180, "in 3 min"},
        {-7200, "in 2 h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&out);
        humanize_ago(&out, now - cases[i].delta, now);
        assert_string_equal(text(), cases[i].want);
    }
    buf_reset(&out);
    humanize_ago(&out, 0, now);
    assert_string_equal(text(), "never");
    buf_reset(&out);
    humanize_duration(&out, 3);
    assert_string_equal(text(), "3 s");
    buf_reset(&out);
    humanize_duration(&out, 100000);
    assert_string_equal(text(), "1 d");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_u64, reset),
        cmocka_unit_test_setup(test_money, reset),
        cmocka_unit_test_setup(test_double, reset),
        cmocka_unit_test_setup(test_bytes, reset),
        cmocka_unit_test_setup(test_ago, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&out);
    return rc;
}
