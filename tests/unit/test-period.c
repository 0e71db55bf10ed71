/*
 * Usage periods (period.h): an instant's day and hour, and the calendar
 * periods around it, in zones with summer time (Europe/Berlin,
 * America/New_York, Australia/Adelaide), a half-hour offset
 * (Asia/Kolkata, Adelaide), a half-hour change (Australia/Lord_Howe) and
 * UTC, over a leap day. The expected instants were computed with Python's
 * zoneinfo; every hour of two years must tile its day.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "civil.h"
#include "period.h"

#define HOUR 3600

static struct tz *load(const char *name)
{
    struct tz *z;
    if (tz_load(name, &z) != 0)
        fail_msg("tz_load(%s)", name);
    return z;
}

/* Days of 23, 24 and 25 hours: where they start and end. */
static const struct {
    const char *zone;
    int y, m, d;
    int64_t start, end;
} odd_days[] = {
    {"Europe/Berlin", 2025, 3, 30, 1743289200, 1743372000},     /* 23 h */
    {"Europe/Berlin", 2025, 10, 26, 1761429600, 1761519600},    /* 25 h */
    {"America/New_York", 2025, 3, 9, 1741496400, 1741579200},   /* 23 h */
    {"America/New_York", 2025, 11, 2, 1762056000, 1762146000},  /* 25 h */
    {"Asia/Kolkata", 2024, 2, 29, 1709145000, 1709231400},      /* leap */
    {"Australia/Adelaide", 2025, 4, 6, 1743859800, 1743949800}, /* 25 h */
    {"Australia/Adelaide", 2025, 10, 5, 1759588200, 1759671000},
    {"UTC", 2024, 2, 29, 1709164800, 1709251200},
};

static void test_days(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(odd_days) / sizeof(*odd_days); i++) {
        struct tz *z = load(odd_days[i].zone);
        struct period_place at;
        int64_t day = civil_days(odd_days[i].y, odd_days[i].m, odd_days[i].d);
        /* Its first and last instants are on it; the ones around not. */
        period_place(z, odd_days[i].start, &at);
        assert_int_equal(at.day, day);
        assert_int_equal(at.day_start, odd_days[i].start);
        assert_int_equal(at.day_end, odd_days[i].end);
        assert_int_equal(at.hour_start, odd_days[i].start);
        period_place(z, odd_days[i].end - 1, &at);
        assert_int_equal(at.day, day);
        assert_int_equal(at.hour_end, odd_days[i].end);
        period_place(z, odd_days[i].start - 1, &at);
        assert_int_equal(at.day, day - 1);
        period_place(z, odd_days[i].end, &at);
        assert_int_equal(at.day, day + 1);
        tz_free(z);
    }
}

/* Local hours: from half past in Kolkata; two 02:00 hours in Berlin's
 * autumn; Lord Howe's half-hour change makes a half hour. */
static void test_hours(void **state)
{
    struct period_place at;
    (void)state;
    struct tz *z = load("Asia/Kolkata");
    period_place(z, 1709181900, &at); /* 2024-02-29 10:15 */
    assert_int_equal(at.hour_start, 1709181000);
    assert_int_equal(at.hour_end, 1709184600);
    tz_free(z);
    z = load("Europe/Berlin");
    period_place(z, 1761438600, &at); /* 02:30 CEST */
    assert_int_equal(at.hour_start, 1761438600 - 30 * 60);
    assert_int_equal(at.hour_end, 1761438600 + 30 * 60);
    period_place(z, 1761442200, &at); /* 02:30 CET, an hour later */
    assert_int_equal(at.hour_start, 1761442200 - 30 * 60);
    assert_int_equal(at.day, civil_days(2025, 10, 26));
    tz_free(z);
    z = load("Australia/Adelaide");
    period_place(z, 1759596000, &at); /* 03:10, just past the change */
    assert_int_equal(at.hour_start, 1759595400);
    assert_int_equal(at.hour_end, 1759595400 + HOUR);
    tz_free(z);
    z = load("Australia/Lord_Howe");
    period_place(z, 1759591800, &at); /* 02:30, just changed */
    assert_int_equal(at.hour_start, 1759591800);
    assert_int_equal(at.hour_end, 1759591800 + HOUR / 2);
    period_place(z, 1759591799, &at);
    assert_int_equal(at.hour_start, 1759591800 - HOUR);
    assert_int_equal(at.hour_end, 1759591800);
    tz_free(z);
}

/* Every hour of 2024 and 2025 starts where the one before ended, lies in
 * its day, and the day's last one ends with it. */
static void test_hours_tile_days(void **state)
{
    static const char *const zones[] = {
        "UTC",          "Europe/Berlin",      "America/New_York",
        "Asia/Kolkata", "Australia/Adelaide", "Australia/Lord_Howe"};
    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
        struct tz *z = load(zones[i]);
        struct period_place at, first;
        int64_t t = tz_day_start(z, civil_days(2024, 1, 1));
        int64_t stop = tz_day_start(z, civil_days(2026, 1, 1));
        size_t short_hours = 0;
        while (t < stop) {
            period_place(z, t, &at);
            period_place(z, at.hour_end - 1, &first);
            if (at.hour_start != t || first.hour_start != t ||
                at.hour_end <= t || at.hour_end > at.day_end ||
                first.day != at.day)
                fail_msg("%s: the hour at %lld", zones[i], (long long)t);
            short_hours += at.hour_end - t != HOUR;
            t = at.hour_end;
        }
        assert_int_equal(t, stop);
        /* Only Lord Howe has hours of another length: two a year. */
        assert_int_equal(short_hours,
                         strcmp(zones[i], "Australia/Lord_Howe") ? 0 : 4);
        tz_free(z);
    }
}

static void test_calendar(void **state)
{
    struct period_span s;
    (void)state;
    struct tz *z = load("Europe/Berlin");
    int64_t leap = civil_days(2024, 2, 29);
    int64_t t = tz_day_start(z, leap) + 12 * HOUR;
    period_of(z, PERIOD_DAY, t, &s);
    assert_int_equal(s.first_day, leap);
    assert_int_equal(s.end_day, leap + 1);
    period_of(z, PERIOD_WEEK, t, &s); /* a Thursday: from Monday the 26th */
    assert_int_equal(s.first_day, civil_days(2024, 2, 26));
    assert_int_equal(s.end_day, civil_days(2024, 3, 4));
    assert_int_equal(s.start, tz_day_start(z, civil_days(2024, 2, 26)));
    period_of(z, PERIOD_MONTH, t, &s);
    assert_int_equal(s.first_day, civil_days(2024, 2, 1));
    assert_int_equal(s.end_day - s.first_day, 29);
    period_of(z, PERIOD_YEAR, t, &s);
    assert_int_equal(s.end_day - s.first_day, 366);
    assert_int_equal(s.kind, PERIOD_YEAR);
    /* March 2025 in Berlin: 31 days, one hour short. */
    period_of(z, PERIOD_MONTH, 1743289200, &s);
    assert_int_equal(s.end - s.start, 31 * 24 * HOUR - HOUR);
    period_of(z, PERIOD_HOUR, 1743289200 + 90 * 60, &s);
    assert_int_equal(s.start, 1743289200 + HOUR);
    assert_int_equal(s.end, 1743289200 + 2 * HOUR);
    assert_int_equal(s.first_day, civil_days(2025, 3, 30));
    /* A Sunday is the end of its week. */
    period_of(z, PERIOD_WEEK, 1743289200, &s);
    assert_int_equal(s.first_day, civil_days(2025, 3, 24));
    period_days(z, civil_days(2025, 3, 1), civil_days(2025, 4, 1), &s);
    assert_int_equal(s.start, tz_day_start(z, civil_days(2025, 3, 1)));
    tz_free(z);
    assert_int_equal(period_kind_parse("week"), PERIOD_WEEK);
    assert_int_equal(period_kind_parse("fortnight"), -1);
    assert_string_equal(period_kind_name(PERIOD_MONTH), "month");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_hours),
        cmocka_unit_test(test_hours_tile_days),
        cmocka_unit_test(test_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
