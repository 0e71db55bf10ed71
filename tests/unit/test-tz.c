/*
 * Time zones (tz.h) and the calendar under them (civil.h).
 *
 * The expected instants were computed with Python's zoneinfo (fold=0,
 * the same resolution of gaps and overlaps) from the system's tzdata:
 * days of 23, 25, 23.5 and 24.5 hours, a day whose midnight is skipped
 * (America/Sao_Paulo, 2018), times before the first transition (local
 * mean time) and after the last one (the footer's rule, up to the year
 * 9998). A zone written with its footer alone must agree with the full
 * file at every hour of the years both describe.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "civil.h"
#include "helpers.h"
#include "tz.h"

#define HOUR 3600
#define DAY  86400

static struct tz *load(const char *name)
{
    struct tz *z;
    int rc = tz_load(name, &z);
    if (rc != 0)
        fail_msg("tz_load(%s): %s", name, strerror(-rc));
    return z;
}

static void test_civil(void **state)
{
    (void)state;
    assert_int_equal(civil_days(1970, 1, 1), 0);
    assert_int_equal(civil_days(2000, 3, 1), 11017);
    assert_int_equal(civil_days(1, 1, 1), -719162);
    assert_int_equal(civil_days(9999, 12, 31), 2932896);
    assert_int_equal(civil_days(1969, 12, 31), -1);
    assert_int_equal(civil_weekday(0), 4); /* a Thursday */
    assert_int_equal(civil_weekday(civil_days(2025, 10, 21)), 2);
    assert_int_equal(civil_weekday(-1), 3);
    assert_int_equal(civil_month_days(2024, 2), 29);
    assert_int_equal(civil_month_days(1900, 2), 28);
    assert_int_equal(civil_month_days(2000, 2), 29);
    /* Every day of years 0001 to 9999 there and back. */
    int64_t y = 1;
    int m = 1, d = 1;
    for (int64_t n = civil_days(1, 1, 1); n <= civil_days(9999, 12, 31); n++) {
        int64_t yy;
        int mm, dd;
        civil_date(n, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d)
            fail_msg("day %lld is %lld-%d-%d, not %lld-%d-%d", (long long)n,
                     (long long)yy, mm, dd, (long long)y, m, d);
        if (++d > civil_month_days(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

/* Days that are not 24 hours long, and two ordinary ones. */
static const struct {
    const char *zone;
    int y, m, d;
    int64_t start, length;
} odd_days[] = {
    {"Europe/Berlin", 2025, 3, 30, 1743289200, 82800},
    {"Europe/Berlin", 2025, 10, 26, 1761429600, 90000},
    {"America/New_York", 2025, 3, 9, 1741496400, 82800},
    {"America/New_York", 2025, 11, 2, 1762056000, 90000},
    {"Australia/Lord_Howe", 2025, 4, 6, 1743858000, 88200},
    {"Australia/Lord_Howe", 2025, 10, 5, 1759584600, 84600},
    {"America/Sao_Paulo", 2018, 2, 17, 1518832800, 90000},
    {"America/Sao_Paulo", 2018, 11, 4, 1541300400, 82800},
    {"Europe/Berlin", 2100, 3, 28, 4109871600, 82800},
    {"Europe/Berlin", 2100, 10, 31, 4128616800, 90000},
    {"America/New_York", 2200, 3, 9, 7263925200, 82800},
    {"America/New_York", 2200, 11, 2, 7284484800, 90000},
    {"Australia/Lord_Howe", 2300, 4, 1, 10421528400, 88200},
    {"Australia/Lord_Howe", 2300, 10, 7, 10437859800, 84600},
    {"Europe/Berlin", 9998, 3, 29, 253346742000, 82800},
    {"Europe/Berlin", 9998, 10, 25, 253364882400, 90000},
    {"Australia/Lord_Howe", 9998, 4, 5, 253347310800, 88200},
    {"Australia/Lord_Howe", 9998, 10, 4, 253363037400, 84600},
    {"Europe/Berlin", 1800, 1, 1, -5364665608, 86400},
    {"America/New_York", 1800, 1, 1, -5364644638, 86400},
    {"UTC", 2025, 3, 30, 1743292800, 86400},
};

static void test_day_start(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(odd_days) / sizeof(odd_days[0]); i++) {
        struct tz *z = load(odd_days[i].zone);
        int64_t day = civil_days(odd_days[i].y, odd_days[i].m, odd_days[i].d);
        int64_t start = tz_day_start(z, day);
        int64_t next = tz_day_start(z, day + 1);
        if (start != odd_days[i].start || next - start != odd_days[i].length)
            fail_msg("%s %d-%d-%d: starts %lld, lasts %lld", odd_days[i].zone,
                     odd_days[i].y, odd_days[i].m, odd_days[i].d,
                     (long long)start, (long long)(next - start));
        /* Every instant of the day is on it; the one before is not. */
        assert_int_equal(tz_day_of(z, start), day);
        assert_int_equal(tz_day_of(z, next - 1), day);
        assert_int_equal(tz_day_of(z, start - 1), day - 1);
        tz_free(z);
    }
}

/* The span of one offset: from the change before to the change after. */
static void test_offset_span(void **state)
{
    int64_t from, until;
    (void)state;
    struct tz *z = load("Europe/Berlin");
    /* Summer 2025: 2025-03-30T01:00Z to 2025-10-26T01:00Z. */
    assert_int_equal(tz_offset_span(z, 1751328000, &from, &until), 2 * HOUR);
    assert_int_equal(from, 1743296400);
    assert_int_equal(until, 1761440400);
    /* The change belongs to the span it starts. */
    assert_int_equal(tz_offset_span(z, 1761440400, &from, NULL), HOUR);
    assert_int_equal(from, 1761440400);
    assert_int_equal(tz_offset_span(z, 1761440399, NULL, &until), 2 * HOUR);
    assert_int_equal(until, 1761440400);
    tz_free(z);
    /* Lord Howe moves by half an hour: 2025-10-04T15:30Z. */
    z = load("Australia/Lord_Howe");
    assert_int_equal(tz_offset_span(z, 1759591800, &from, NULL), 11 * HOUR);
    assert_int_equal(from, 1759591800);
    assert_int_equal(tz_offset_span(z, 1759591799, NULL, &until),
                     10 * HOUR + HOUR / 2);
    assert_int_equal(until, 1759591800);
    tz_free(z);
    z = load("UTC");
    assert_int_equal(tz_offset_span(z, 0, &from, &until), 0);
    assert_true(from == INT64_MIN && until == INT64_MAX);
    tz_free(z);
}

/* Local times, gaps and overlaps among them, to UTC. */
static const struct {
    const char *zone;
    int y, m, d, h, min, s;
    int64_t utc;
} locals[] = {
    {"Europe/Berlin", 2025, 3, 30, 2, 30, 0, 1743298200},  /* gap */
    {"Europe/Berlin", 2025, 10, 26, 2, 30, 0, 1761438600}, /* overlap */
    {"Europe/Berlin", 2025, 10, 26, 3, 0, 0, 1761444000},
    {"Europe/Berlin", 2025, 10, 26, 1, 59, 59, 1761436799},
    {"America/New_York", 2025, 3, 9, 2, 30, 0, 1741505400},
    {"America/New_York", 2025, 11, 2, 1, 30, 0, 1762061400},
    {"Australia/Lord_Howe", 2025, 10, 5, 2, 15, 0, 1759592700},
    {"Australia/Lord_Howe", 2025, 4, 6, 1, 45, 0, 1743864300},
    {"Australia/Lord_Howe", 2025, 4, 6, 2, 0, 0, 1743867000},
    {"Europe/Berlin", 2100, 3, 28, 2, 30, 0, 4109880600},
    {"Europe/Berlin", 2100, 10, 31, 2, 30, 0, 4128625800},
    {"Australia/Lord_Howe", 2300, 10, 7, 2, 15, 0, 10437867900},
    {"America/Sao_Paulo", 2018, 11, 4, 0, 30, 0, 1541302200},
    {"Europe/Berlin", 1800, 6, 1, 12, 0, 0, -5351576008},
    {"America/New_York", 1800, 6, 1, 12, 0, 0, -5351555038},
    {"UTC", 2025, 3, 30, 2, 30, 0, 1743301800},
};

static void test_to_utc(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
        struct tz *z = load(locals[i].zone);
        int64_t local =
            civil_days(locals[i].y, locals[i].m, locals[i].d) * DAY +
            locals[i].h * HOUR + locals[i].min * 60 + locals[i].s;
        struct tz_span span;
        int64_t t = tz_to_utc(z, local, &span);
        if (t != locals[i].utc)
            fail_msg("%s local %lld: %lld, not %lld", locals[i].zone,
                     (long long)local, (long long)t, (long long)locals[i].utc);
        /* The span holds local and maps it the same way. */
        assert_true(span.lo <= local && local < span.hi);
        assert_int_equal(local - span.offset, t);
        tz_free(z);
    }
}

static const struct {
    const char *zone;
    int64_t t;
    int32_t offset;
} offsets[] = {
    {"Europe/Berlin", 1743296399, 3600},
    {"Europe/Berlin", 1743296400, 7200},
    {"Europe/Berlin", 1761440399, 7200},
    {"Europe/Berlin", 1761440400, 3600},
    {"Australia/Lord_Howe", 1759591799, 37800},
    {"Australia/Lord_Howe", 1759591800, 39600},
    {"Europe/Berlin", -5364662400, 3208}, /* local mean time */
    {"America/New_York", -5364662400, -17762},
    {"Europe/Berlin", 4111084800, 7200}, /* 2100, the footer's rule */
};

static void test_offsets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        struct tz *z = load(offsets[i].zone);
        assert_int_equal(tz_offset(z, offsets[i].t), offsets[i].offset);
        assert_int_equal(tz_to_local(z, offsets[i].t),
                         offsets[i].t + offsets[i].offset);
        tz_free(z);
    }
    struct tz *utc = load("UTC");
    assert_true(tz_is_utc(utc));
    assert_string_equal(tz_name(utc), "UTC");
    assert_int_equal(tz_offset(utc, INT64_MIN), 0);
    assert_int_equal(tz_offset(utc, INT64_MAX), 0);
    tz_free(utc);
    struct tz *berlin = load("Europe/Berlin");
    assert_false(tz_is_utc(berlin));
    tz_free(berlin);
}

static void write_text(const char *dir, const char *name, const void *text,
                       size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* A version 2 TZif file with one local time type and no transitions:
 * only its footer says when the offset changes. */
static void write_slim(const char *dir, const char *name, int32_t utoff,
                       const char *footer)
{
    unsigned char b[256] = {0};
    size_t n = 0;
    for (int copy = 0; copy < 2; copy++) {
        static const unsigned char magic[5] = {'T', 'Z', 'i', 'f', '2'};
        memcpy(b + n, magic, sizeof(magic));
        n += 20;
        n += 16;      /* isut, isstd, leap and time counts: 0 */
        b[n + 3] = 1; /* typecnt */
        b[n + 7] = 4; /* charcnt */
        n += 8;
        for (int k = 0; k < 4; k++)
            b[n + k] = (unsigned char)((uint32_t)utoff >> (24 - 8 * k));
        n += 6;
        memcpy(b + n, "ABC", 4);
        n += 4;
    }
    n += (size_t)snprintf((char *)b + n, sizeof(b) - n, "\n%s\n", footer);
    write_text(dir, name, b, n);
}

static void compare(struct tz *full, struct tz *rule, int from, int to)
{
    int64_t end = civil_days(to + 1, 1, 1) * DAY;
    for (int64_t t = civil_days(from, 1, 1) * DAY; t < end; t += HOUR / 4) {
        if (tz_offset(full, t) != tz_offset(rule, t))
            fail_msg("%s at %lld: %d by the table, %d by the rule",
                     tz_name(full), (long long)t, tz_offset(full, t),
                     tz_offset(rule, t));
        if (tz_to_utc(full, t, NULL) != tz_to_utc(rule, t, NULL))
            fail_msg("%s local %lld: %lld by the table, %lld by the rule",
                     tz_name(full), (long long)t,
                     (long long)tz_to_utc(full, t, NULL),
                     (long long)tz_to_utc(rule, t, NULL));
    }
}

static void test_rule_agrees_with_table(void **state)
{
    struct tmp *tmp = *state;
    write_slim(tmp->dir, "Berlin", 3600, "CET-1CEST,M3.5.0,M10.5.0/3");
    write_slim(tmp->dir, "New_York", -18000, "EST5EDT,M3.2.0,M11.1.0");
    write_slim(tmp->dir, "Lord_Howe", 37800,
               "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    static const struct {
        const char *full, *slim;
        int from, to;
    } pairs[] = {
        {"Europe/Berlin", "Berlin", 1997, 2037},
        {"America/New_York", "New_York", 2008, 2037},
        {"Australia/Lord_Howe", "Lord_Howe", 2009, 2037},
    };
    for (size_t i = 0; i < 3; i++) {
        struct tz *full = load(pairs[i].full);
        setenv("TZDIR", tmp->dir, 1);
        struct tz *slim = load(pairs[i].slim);
        unsetenv("TZDIR");
        compare(full, slim, pairs[i].from, pairs[i].to);
        tz_free(full);
        tz_free(slim);
    }
}

static void test_refused(void **state)
{
    struct tmp *tmp = *state;
    struct tz *z = (struct tz *)1;
    assert_int_equal(tz_load("Europe/Berln", &z), -ENOENT);
    assert_null(z);
    assert_int_equal(tz_load("Europe", &z), -ENOENT); /* a directory */
    assert_int_equal(tz_load("", &z), -EINVAL);
    assert_int_equal(tz_load("/etc/passwd", &z), -EINVAL);
    assert_int_equal(tz_load("../../../etc/passwd", &z), -EINVAL);
    assert_int_equal(tz_load("Europe/../../x", &z), -EINVAL);
    assert_int_equal(tz_load("Europe/Berlin\n", &z), -EINVAL);
    assert_int_equal(tz_load("right/UTC", &z), -EBADMSG); /* leap seconds */

    /* Files that are not zones, or broken ones. */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    assert_non_null(f);
    unsigned char b[4096];
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    write_text(tmp->dir, "Text", "not a zone\n", 11);
    write_text(tmp->dir, "Short", b, n / 2);
    write_text(tmp->dir, "NoFooter", b, n - 1);
    /* Two transitions at the same time, in the 64-bit block after the
     * header, the 32-bit block and the second header. */
    uint32_t c[6];
    for (int k = 0; k < 6; k++)
        c[k] = (uint32_t)b[20 + 4 * k] << 24 | (uint32_t)b[21 + 4 * k] << 16 |
               (uint32_t)b[22 + 4 * k] << 8 | b[23 + 4 * k];
    size_t v2 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0] + 44;
    memcpy(b + v2 + 8, b + v2, 8);
    write_text(tmp->dir, "Unsorted", b, n);
    setenv("TZDIR", tmp->dir, 1);
    assert_int_equal(tz_load("Text", &z), -EBADMSG);
    assert_int_equal(tz_load("Short", &z), -EBADMSG);
    assert_int_equal(tz_load("NoFooter", &z), -EBADMSG);
    assert_int_equal(tz_load("Unsorted", &z), -EBADMSG);
    assert_int_equal(tz_load("Europe/Berlin", &z), -ENOENT);
    /* UTC needs no file. */
    assert_int_equal(tz_load("UTC", &z), 0);
    tz_free(z);
    assert_string_equal(tz_dir(), tmp->dir);
    unsetenv("TZDIR");
    assert_string_equal(tz_dir(), "/usr/share/zoneinfo");
    tz_free(NULL);
}

struct names {
    int berlin, lord_howe, posix, tables;
};

static void count_name(void *ctx, const char *name)
{
    struct names *n = ctx;
    n->berlin += strcmp(name, "Europe/Berlin") == 0;
    n->lord_howe += strcmp(name, "Australia/Lord_Howe") == 0;
    n->posix +=
        strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0;
    n->tables += strchr(name, '.') != NULL;
}

static void test_names(void **state)
{
    (void)state;
    struct names n = {0};
    assert_int_equal(tz_each_name(count_name, &n), 0);
    assert_int_equal(n.berlin, 1);
    assert_int_equal(n.lord_howe, 1);
    assert_int_equal(n.posix, 0);
    assert_int_equal(n.tables, 0);
    setenv("TZDIR", "/nonexistent", 1);
    assert_int_equal(tz_each_name(count_name, &n), -ENOENT);
    unsetenv("TZDIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_day_start),
        cmocka_unit_test(test_to_utc),
        cmocka_unit_test(test_offset_span),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test_setup_teardown(test_rule_agrees_with_table, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_refused, tmp_setup, tmp_teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
