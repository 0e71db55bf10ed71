/*
 * The civil calendar: dates of the proleptic Gregorian calendar and the
 * days since the Unix epoch (1970-01-01 is day 0), both ways, exact for
 * any year an int64_t day count can reach.
 *
 * Pure arithmetic on values: nothing is allocated, nothing is borrowed.
 * Time zones (tz.h) and time formats (timefmt.h) build on it; the usage
 * periods (days, months) will too.
 */
#ifndef TOKENTAIL_CIVIL_H
#define TOKENTAIL_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define CIVIL_SECONDS_PER_DAY 86400
#define CIVIL_DAYS_PER_400Y   146097 /* days in a 400-year cycle */
#define CIVIL_DAYS_PER_100Y   36524  /* a century whose last year is common */
#define CIVIL_DAYS_PER_4Y     1461   /* four years, one of them leap */
/* Days from 0000-03-01 to 1970-01-01: years counted from March put the
 * leap day at the end of a year, where it disturbs nothing. */
#define CIVIL_EPOCH_FROM_MARCH 719468

/* a / b rounded down, for any sign of a (b > 0). */
static inline int64_t civil_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return q - (a % b < 0);
}

static inline bool civil_is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days in month m (1-12) of year y. */
static inline int civil_month_days(int64_t y, int m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30,
                                           31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && civil_is_leap(y));
}

/* The day number of y-m-d (m 1-12, d 1-31; not checked). */
static inline int64_t civil_days(int64_t y, int m, int d)
{
    /* From March: March is month 0, January and February end the year
     * before. A month's first day is then (153 * month + 2) / 5 days in. */
    int64_t year = y - (m < 3);
    int64_t month = m < 3 ? m + 9 : m - 3;
    int64_t days = 365 * year + civil_floor_div(year, 4) -
                   civil_floor_div(year, 100) + civil_floor_div(year, 400);
    return days + (153 * month + 2) / 5 + d - 1 - CIVIL_EPOCH_FROM_MARCH;
}

/* The date of day number days. */
static inline void civil_date(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t n = days + CIVIL_EPOCH_FROM_MARCH; /* days since 0000-03-01 */
    int64_t cycle = civil_floor_div(n, CIVIL_DAYS_PER_400Y);
    int64_t rest = n - cycle * CIVIL_DAYS_PER_400Y; /* 0 .. 146096 */
    /* The last century of a cycle, and the last year of four, are a day
     * longer: their leap day must not start a new one. */
    int64_t centuries = rest / CIVIL_DAYS_PER_100Y;
    if (centuries > 3)
        centuries = 3;
    rest -= centuries * CIVIL_DAYS_PER_100Y;
    int64_t quads = rest / CIVIL_DAYS_PER_4Y;
    rest -= quads * CIVIL_DAYS_PER_4Y;
    int64_t years = rest / 365;
    if (years > 3)
        years = 3;
    rest -= years * 365; /* day of the year from March 1st, 0 .. 365 */
    int month = (int)((5 * rest + 2) / 153); /* 0 is March */
    *d = (int)(rest - (153 * month + 2) / 5) + 1;
    *m = month < 10 ? month + 3 : month - 9;
    *y = cycle * 400 + centuries * 100 + quads * 4 + years + (*m < 3);
}

/* The day of the week of day number days: 0 is Sunday. */
static inline int civil_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday. */
    return (int)(days + 4 - 7 * civil_floor_div(days + 4, 7));
}

#endif
