/*
 * Time formats (timefmt.h): every named format and the pattern
 * directives, read to the exact instant; what is refused and why; the
 * RFC 3339 writer; and the cache giving the same answers as no cache.
 * 1761061342 is 2025-10-21T15:42:22Z.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers.h"
#include "timefmt.h"
#include "tz.h"

static struct tz *berlin;

static int setup(void **state)
{
    (void)state;
    return tz_load("Europe/Berlin", &berlin);
}

static int teardown(void **state)
{
    (void)state;
    tz_free(berlin);
    return 0;
}

static void compile(struct timefmt *f, const char *format,
                    const struct tz *zone)
{
    char why[TIMEFMT_WHY_MAX];
    if (timefmt_compile(f, format, zone, why, sizeof(why)) != 0)
        fail_msg("%s: %s", format, why);
}

/* Reads text in format; number says it was a JSON number. */
static int parse(const char *format, const struct tz *zone, const char *text,
                 bool number, num_fixed *out)
{
    struct timefmt f;
    struct timefmt_cache c = {0};
    compile(&f, format, zone);
    return timefmt_parse(&f, &c, text, strlen(text), number, out);
}

static void expect_in(const char *format, const struct tz *zone,
                      const char *text, bool number, const char *seconds)
{
    num_fixed v;
    int rc = parse(format, zone, text, number, &v);
    if (rc != 0)
        fail_msg("%s \"%s\": %s", format, text, strerror(-rc));
    if (v != dec(seconds)) {
        char got[NUM_FMT_MAX];
        num_format(v, got);
        fail_msg("%s \"%s\": %s, not %s", format, text, got, seconds);
    }
}

static void expect(const char *format, const char *text, const char *seconds)
{
    expect_in(format, NULL, text, false, seconds);
}

static void refuse(const char *format, const char *text, int rc)
{
    num_fixed v;
    int got = parse(format, NULL, text, false, &v);
    if (got != rc)
        fail_msg("%s \"%s\": %d, not %d", format, text, got, rc);
}

static void test_rfc3339(void **state)
{
    (void)state;
    expect("rfc3339", "2025-10-21T15:42:22.000Z", "1761061342");
    expect("rfc3339", "2025-10-21T15:42:22.392Z", "1761061342.392");
    expect("rfc3339", "2025-10-21 15:42:22.392+02:00", "1761054142.392");
    expect("rfc3339", "2025-10-21T15:42:22+0200", "1761054142");
    expect("rfc3339", "2025-10-21T15:42:22+02", "1761054142");
    expect("rfc3339", "2025-10-21T15:42:22-05:30", "1761081142");
    expect("rfc3339", "2025-10-21T15:42:22-00:00", "1761061342");
    expect("rfc3339", "2025-10-21t15:42:22z", "1761061342");
    expect("rfc3339", "2025-10-21T15:42Z", "1761061320");
    expect("rfc3339", "2025-10-21T15:42:22,392Z", "1761061342.392");
    expect("rfc3339", "2025-10-21", "1761004800");
    expect("rfc3339", "2025-10-21T15:42:22.123456789012Z",
           "1761061342.123456789012");
    /* Beyond twelve digits: half to even. */
    expect("rfc3339", "2025-10-21T15:42:22.1234567890125Z",
           "1761061342.123456789012");
    expect("rfc3339", "2025-10-21T15:42:22.1234567890135Z",
           "1761061342.123456789014");
    expect("rfc3339", "2025-10-21T15:42:22.12345678901250001Z",
           "1761061342.123456789013");
    expect("rfc3339", "2025-10-21T15:42:22.9999999999995Z", "1761061343");
    expect("rfc3339", "2025-10-21T15:42:60Z", "1761061380"); /* leap second */
    expect("rfc3339", "2024-02-29T00:00:00Z", "1709164800");
    expect("rfc3339", "1969-12-31T23:59:59.5Z", "-0.5");
    expect("rfc3339", "0001-01-01T00:00:00Z", "-62135596800");
    expect("rfc3339", "9999-12-31T23:59:59.999999999999Z",
           "253402300799.999999999999");
    /* No offset: the zone's local time, gaps resolved as tz.h says. */
    expect_in("rfc3339", berlin, "2025-10-21T15:42:22", false, "1761054142");
    expect_in("rfc3339", berlin, "2025-01-21T15:42:22", false, "1737470542");
    expect_in("rfc3339", berlin, "2025-03-30T02:30:00", false, "1743298200");
    expect_in("rfc3339", berlin, "2025-10-26T02:30:00", false, "1761438600");
    expect_in("rfc3339", berlin, "2025-10-21T15:42:22Z", false, "1761061342");
}

static void test_rfc3339_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2025-13-01T00:00:00Z",
        "2025-02-29",
        "2024-02-30",
        "2025-10-21T24:00:00Z",
        "2025-10-21T15:60:00Z",
        "2025-10-21T15:42:61Z",
        "2025-10-21T15:42:22.Z",
        "2025-10-21X15:42:22Z",
        "0000-01-01",
        "2025-10-21T15:42:22+24:00",
        "2025-10-21T15:42:22+02:0",
        "2025-10-21T15:42:22Z ",
        "2025-1-21T00:00:00Z",
        "2025-10-21T",
        "2025-10-21T15",
        "2025-10-21T15:4",
        "2025-10-21T15:42:2",
        "2025-10-21T15:42:22+02:60",
        "2025-10-21 15:42:22 +0200",
        "x025-10-21",
        "2025/10/21",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refuse("rfc3339", bad[i], -EINVAL);
    refuse("rfc3339", "9999-12-31T23:59:59-01:00", -ERANGE);
    refuse("rfc3339", "0001-01-01T00:00:00+01:00", -ERANGE);
    refuse("rfc3339", "9999-12-31T23:59:59.9999999999995Z", -ERANGE);
    num_fixed v;
    assert_int_equal(parse("rfc3339", NULL, "1761061342", true, &v), -EINVAL);
}

static void test_unix(void **state)
{
    (void)state;
    expect_in("auto", NULL, "1761061342.392", true, "1761061342.392");
    expect_in("auto", NULL, "1761061342", false, "1761061342");
    expect_in("auto", NULL, "-1.5", true, "-1.5");
    expect_in("auto", NULL, "2025-10-21T15:42:22Z", false, "1761061342");
    expect_in("unix", NULL, "1761061342", true, "1761061342");
    expect_in("unix", NULL, "1761061342.5", false, "1761061342.5");
    expect_in("unix_ms", NULL, "1761061342392", true, "1761061342.392");
    expect_in("unix_ms", NULL, "1761061342392.5", false, "1761061342.3925");
    expect_in("unix_us", NULL, "1761061342392001", true, "1761061342.392001");
    expect_in("unix_ns", NULL, "1761061342392000001", false,
              "1761061342.392000001");
    expect_in("unix_ns", NULL, "1.5", true, "0.0000000015");
    num_fixed v;
    assert_int_equal(parse("unix", NULL, "abc", false, &v), -EINVAL);
    assert_int_equal(parse("unix", NULL, "1e20", true, &v), -ERANGE);
    assert_int_equal(parse("unix", NULL, "-62135596801", true, &v), -ERANGE);
    assert_int_equal(parse("unix", NULL, "253402300800", true, &v), -ERANGE);
    /* A Unix time in milliseconds read as seconds is beyond the year 9999:
     * refused, not guessed. */
    assert_int_equal(parse("auto", NULL, "1761061342392", true, &v), -ERANGE);
    assert_int_equal(parse("auto", NULL, "Tuesday", false, &v), -EINVAL);
    assert_int_equal(parse("auto", NULL, "", false, &v), -EINVAL);
}

static void test_patterns(void **state)
{
    (void)state;
    expect("%Y-%m-%d %H:%M:%S,%f", "2025-10-21 15:42:22,392", "1761061342.392");
    expect_in("%Y-%m-%d %H:%M:%S,%f", berlin, "2025-10-21 15:42:22,392", false,
              "1761054142.392");
    expect("%d/%b/%Y:%H:%M:%S %z", "21/Oct/2025:15:42:22 +0200", "1761054142");
    expect_in("%d/%b/%Y:%H:%M:%S %z", berlin, "21/oct/2025:15:42:22 -0000",
              false, "1761061342");
    expect("%a, %d %b %Y %H:%M:%S %Z", "Tue, 21 Oct 2025 15:42:22 GMT",
           "1761061342");
    expect("%A %B %d %Y %T", "Tuesday October 21 2025 15:42:22", "1761061342");
    expect("%b %e %H:%M:%S %Y", "Oct  1 05:42:22 2025", "1759297342");
    expect("%b %e %H:%M:%S %Y", "Oct 21 15:42:22 2025", "1761061342");
    expect("%m/%d/%y %I:%M:%S %p", "10/21/25 03:42:22 PM", "1761061342");
    expect("%m/%d/%y %I:%M:%S %p", "10/21/25 12:05:00 am", "1761005100");
    expect("%m/%d/%y %I:%M:%S %p", "10/21/25 12:05:00 PM", "1761048300");
    expect("%m/%d/%y %H:%M", "1/2/70 3:04", "97440");
    expect("%s.%f", "1761061342.392", "1761061342.392");
    expect("%s", "-5", "-5");
    expect("%Y%j", "2025294", "1761004800");
    expect("%Y-%j", "2024-366", "1735603200");
    expect("%FT%T%z", "2025-10-21T15:42:22+02:00", "1761054142");
    expect("%B %d, %Y", "October 21, 2025", "1761004800");
    expect("%h %d %Y", "OCT 21 2025", "1761004800");
    expect("%Y-%m-%d%%", "2025-10-21%", "1761004800");
    expect("[%Y-%m-%d %H:%M:%S]", "[2025-10-21 15:42:22]", "1761061342");
    expect("%Y-%m-%d %H:%M:%S", "2025-10-21   15:42:22", "1761061342");
    expect("%Y-%m-%d%n%H:%M:%S", "2025-10-21\t15:42:22", "1761061342");
    expect("%d.%m.%Y %H:%M:%S", "21.10.2025 15:42:60", "1761061380");

    static const struct {
        const char *format, *text;
    } bad[] = {
        {"%d/%b/%Y:%H:%M:%S %z", "21/Okt/2025:15:42:22 +0200"},
        {"%d/%b/%Y:%H:%M:%S %z", "21/Oct/2025:15:42:22 +0200 x"},
        {"%d/%b/%Y:%H:%M:%S %z", "21/Oct/2025:15:42:22"},
        {"%Y-%m-%d", "2025-02-29"},
        {"%Y-%m-%d", "25-10-21"},
        {"%Y-%j", "2025-366"},
        {"%Y-%j", "2025-0"},
        {"%m/%d/%y %I:%M %p", "10/21/25 13:05 PM"},
        {"%m/%d/%y %I:%M %p", "10/21/25 0:05 AM"},
        {"%m/%d/%y %I:%M %p", "10/21/25 1:05 XM"},
        {"%Y-%m-%d %H", "2025-10-21 24"},
        {"%Y %b %d %Z", "2025 Oct 21 CEST"},
        {"%s", "x"},
        {"%Y-%m-%d%%", "2025-10-21"},
        {"%Y-%m-%d,%f", "2025-10-21,"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refuse(bad[i].format, bad[i].text, -EINVAL);
    refuse("%s", "253402300800", -ERANGE);
}

static void expect_refused_format(const char *format, const char *why)
{
    struct timefmt f;
    char got[TIMEFMT_WHY_MAX];
    assert_int_equal(timefmt_compile(&f, format, NULL, got, sizeof(got)),
                     -EINVAL);
    assert_string_equal(got, why);
}

static void test_compile_errors(void **state)
{
    (void)state;
    expect_refused_format("%Y-%m-%d %Q",
                          "time format \"%Y-%m-%d %Q\": unknown directive %Q");
    expect_refused_format("%Y-%m-%", "time format \"%Y-%m-%\": unknown "
                                     "directive % ");
    expect_refused_format("%H:%M", "time format \"%H:%M\": it has no year "
                                   "(%Y or %y)");
    expect_refused_format("%Y-%m", "time format \"%Y-%m\": it has no month "
                                   "and day (%m or %b, and %d), nor %j");
    expect_refused_format("%Y %j %m %d", "time format \"%Y %j %m %d\": it "
                                         "names the day twice: month and "
                                         "day, and %j");
    expect_refused_format("%F %I:%M", "time format \"%F %I:%M\": %I needs %p "
                                      "(AM or PM)");
    expect_refused_format("%F %H %p", "time format \"%F %H %p\": %p goes "
                                      "with %I, the hour from 1 to 12");
    expect_refused_format("%F %H %I %p", "time format \"%F %H %I %p\": it "
                                         "has the hour twice: %H and %I");
    expect_refused_format("%s %Y", "time format \"%s %Y\": %s is the whole "
                                   "time: it takes only %f beside");
    expect_refused_format("iso", "unknown time format \"iso\" (auto, rfc3339, "
                                 "unix, unix_ms, unix_us, unix_ns, or a "
                                 "pattern of % directives)");
    expect_refused_format("%F%T%F%T%F%T%F%T", "time format "
                                              "\"%F%T%F%T%F%T%F%T\" has more "
                                              "than 32 parts");
    assert_string_equal(timefmt_kind_name(TIMEFMT_UNIX_MS), "unix_ms");
    assert_string_equal(timefmt_kind_name(TIMEFMT_PATTERN), "pattern");
    assert_int_equal(timefmt_kind_parse("unix_ns"), TIMEFMT_UNIX_NS);
    assert_int_equal(timefmt_kind_parse("UNIX"), -1);
}

static void expect_text(const char *seconds, int32_t offset, const char *text)
{
    char out[TIMEFMT_RFC3339_MAX];
    size_t n = timefmt_rfc3339(dec(seconds), offset, out);
    assert_int_equal(n, strlen(text));
    assert_string_equal(out, text);
}

static void test_writing(void **state)
{
    (void)state;
    expect_text("0", 0, "1970-01-01T00:00:00Z");
    expect_text("0", 7200, "1970-01-01T02:00:00+02:00");
    expect_text("0", -19800, "1969-12-31T18:30:00-05:30");
    expect_text("1761061342.392", 0, "2025-10-21T15:42:22.392Z");
    expect_text("-0.5", 0, "1969-12-31T23:59:59.5Z");
    expect_text("253402300799.999999999999", 0,
                "9999-12-31T23:59:59.999999999999Z");
    expect_text("-62135596800", 0, "0001-01-01T00:00:00Z");
    expect_text("-5364662400", 3208, "1800-01-01T00:00:00Z"); /* LMT */
    char out[TIMEFMT_RFC3339_MAX];
    assert_int_equal(timefmt_rfc3339(dec("253402300800"), 0, out), 0);
    assert_int_equal(timefmt_rfc3339(dec("-62135596800"), -3600, out), 0);
    assert_int_equal(timefmt_rfc3339(NUM_FIXED_MAX, 0, out), 0);
    /* Written, then read: the same instant. */
    num_fixed v;
    assert_int_equal(
        timefmt_rfc3339(dec("1761061342.000000000001"), -3600, out), 38);
    assert_int_equal(parse("rfc3339", NULL, out, false, &v), 0);
    assert_true(v == dec("1761061342.000000000001"));
}

/* The second's and the day's caches and the zone's span give what a
 * fresh cache gives, refusals included. */
static void test_cache(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "2025-10-21T15:42:22", "2025-10-21T15:42:23.5", "2025-10-21T01:00:00Z",
        "2025-10-26T02:30:00", "2025-10-26T03:30:00", "2025-10-26T01:30:00",
        "2025-10-21X", "2025-10-21T15:42:22", "2025-03-30T02:30:00",
        "2025-03-30T01:59:59", "2025-03-30T03:00:00", "2100-03-28T02:30:00",
        "2025-10-21T15:42:22+01:00",
        /* the day kept, the second not */
        "2025-10-21T15:43:00Z", "2025-10-21T25:00:00Z", "2025-10-21",
        "2025-10-21T15:44", "2025-02-28T23:59:59Z", "2025-02-29T00:00:00Z",
        "2024-02-29T00:00:00Z", "2025-10-2lT15:44:00Z"};
    struct timefmt f;
    struct timefmt_cache warm = {0};
    compile(&f, "auto", berlin);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
            struct timefmt_cache fresh = {0};
            num_fixed a = 0, b = 0;
            size_t n = strlen(texts[i]);
            int ra = timefmt_parse(&f, &warm, texts[i], n, false, &a);
            int rb = timefmt_parse(&f, &fresh, texts[i], n, false, &b);
            assert_int_equal(ra, rb);
            assert_true(a == b);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_rfc3339_refused),
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_patterns),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_writing),
        cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
