/*
 * Usage periods: the days and hours of a time zone in which the usage
 * ledger places what was added to a metric, and the calendar periods
 * (hour, day, ISO week, month, year) that budgets and reports ask about.
 *
 * A day is a date of the zone's calendar, named by its day number (days
 * since 1970-01-01, civil.h). It runs from local midnight to the next,
 * 24 hours, or 23 and 25 on the days clocks change (tz_day_start).
 *
 * An hour is an hour of the zone's wall clock: it starts where the local
 * time is a whole hour, and is named by that instant (UTC seconds). Where
 * the offset is a whole number of hours these are the UTC hours; in
 * Asia/Kolkata (+05:30) they run from half past to half past in UTC, so
 * that a local day is always made of whole hours. An hour never spans a
 * change of offset nor a day's end: where a change does not fall on a
 * whole hour (Australia/Lord_Howe moves by half an hour) or a day starts
 * elsewhere than at midnight, the hours around it are shorter. When
 * clocks go back, the repeated hour is two hours, each with its own
 * start.
 *
 * Pure functions of a zone (borrowed); nothing is allocated.
 */
#ifndef TOKENTAIL_PERIOD_H
#define TOKENTAIL_PERIOD_H

#include <stdint.h>

#include "tz.h"

#define PERIOD_SECONDS_PER_HOUR 3600
#define PERIOD_DAYS_PER_WEEK    7

/* The calendar periods, from the shortest. */
enum period_kind {
    PERIOD_HOUR,
    PERIOD_DAY,
    PERIOD_WEEK, /* ISO 8601: from Monday */
    PERIOD_MONTH,
    PERIOD_YEAR,
};
#define PERIOD_KIND_COUNT (PERIOD_YEAR + 1)

/* "hour", "day", "week", "month" or "year". */
const char *period_kind_name(enum period_kind k);

/* The kind named s; -1 when there is none of that name. */
int period_kind_parse(const char *s);

/* Where an instant falls: its day and its hour. */
struct period_place {
    int64_t day;                  /* the day number */
    int64_t day_start, day_end;   /* the day, UTC seconds [start, end) */
    int64_t hour_start, hour_end; /* the hour, UTC seconds [start, end) */
};

/* The day and hour of the UTC instant t in zone z. */
void period_place(const struct tz *z, int64_t t, struct period_place *out);

/*
 * A stretch of whole days: [first_day, end_day) as day numbers and
 * [start, end) as UTC seconds. For an hour, the hour itself in start and
 * end, and its day in first_day.
 */
struct period_span {
    enum period_kind kind;
    int64_t first_day, end_day;
    int64_t start, end;
};

/* The period of kind that holds the UTC instant t in zone z. */
void period_of(const struct tz *z, enum period_kind kind, int64_t t,
               struct period_span *out);

/*
 * The days [first_day, end_day) of zone z as a span (kind PERIOD_DAY,
 * whatever their number), for a range of dates.
 */
void period_days(const struct tz *z, int64_t first_day, int64_t end_day,
                 struct period_span *out);

#endif
