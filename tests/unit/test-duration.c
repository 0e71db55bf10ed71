/*
 * Duration texts (duration.h): Go's time.Duration strings as exact
 * seconds, and what is not one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "duration.h"
#include "helpers.h"

static void expect(const char *text, const char *seconds)
{
    num_fixed v;
    int rc = duration_parse(text, strlen(text), &v);
    if (rc != 0)
        fail_msg("\"%s\": %s", text, strerror(-rc));
    if (v != dec(seconds)) {
        char got[NUM_FMT_MAX];
        num_format(v, got);
        fail_msg("\"%s\" is %s s, not %s", text, got, seconds);
    }
}

static void test_units(void **state)
{
    (void)state;
    expect("0", "0");
    expect("-0", "0");
    expect("+0", "0");
    expect("0s", "0");
    expect("771\xc2\xb5s", "0.000771"); /* micro sign */
    expect("771\xce\xbcs", "0.000771"); /* Greek mu */
    expect("771us", "0.000771");
    expect("381ms", "0.381");
    expect("1.2s", "1.2");
    expect("1m30s", "90");
    expect("1h", "3600");
    expect("2h45m0.5s", "9900.5");
    expect("-1h2m3.5s", "-3723.5");
    expect("+5s", "5");
    expect("1.5ns", "0.0000000015");
    expect(".5s", "0.5");
    expect("5.s", "5");
    expect("1s1s1ms", "2.001");
    expect("100ns", "0.0000001");
    expect("0.0000000000004s", "0"); /* below a picosecond */
    expect("0.0000000000005s", "0"); /* half: to even */
    expect("0.0000000000015s", "0.000000000002");
    expect("1.0000000000001ms", "0.001"); /* 10^-16 s */
    expect("87600h", "315360000");
    expect("000012s", "12");
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",   "-",    "s",         "1",    "12",   "1.5",   "1 s", "1S",
        "1d", "1sec", "1.2.3s",    "1e3s", "--1s", "1s-1s", ".s",  "1m 1s",
        "ms", "1µ",   "\xc2\xb5s", "0x1s", "1h ",  " 1h",   "1y",  "-s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        num_fixed v;
        if (duration_parse(bad[i], strlen(bad[i]), &v) != -EINVAL)
            fail_msg("\"%s\" was read as a duration", bad[i]);
    }
    num_fixed v;
    assert_int_equal(duration_parse("1000000000000000000000000000h", 29, &v),
                     -ERANGE);
    assert_int_equal(
        duration_parse("40000000000000000000000h40000000000000000000000h", 48,
                       &v),
        -ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
