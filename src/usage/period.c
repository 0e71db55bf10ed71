/*
 * Usage periods: an instant's hour and day from the zone's offset around
 * it, and the calendar periods from the day's date.
 */
#include "period.h"

#include <string.h>

#include "civil.h"

static const char *const kind_names[PERIOD_KIND_COUNT] = {
    [PERIOD_HOUR] = "hour",   [PERIOD_DAY] = "day",   [PERIOD_WEEK] = "week",
    [PERIOD_MONTH] = "month", [PERIOD_YEAR] = "year",
};

const char *period_kind_name(enum period_kind k)
{
    return (unsigned)k < PERIOD_KIND_COUNT ? kind_names[k] : "?";
}

int period_kind_parse(const char *s)
{
    for (int i = 0; i < PERIOD_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

void period_place(const struct tz *z, int64_t t, struct period_place *out)
{
    int64_t from, until;
    int32_t off = tz_offset_span(z, t, &from, &until);
    int64_t local = t + off;
    out->day = civil_floor_div(local, CIVIL_SECONDS_PER_DAY);
    out->day_start = tz_day_start(z, out->day);
    out->day_end = tz_day_start(z, out->day + 1);
    int64_t into = local - civil_floor_div(local, PERIOD_SECONDS_PER_HOUR) *
                               PERIOD_SECONDS_PER_HOUR;
    int64_t start = t - into, end = start + PERIOD_SECONDS_PER_HOUR;
    /* A change of offset inside the hour cuts it there; a change that
     * only renames the offset does not. */
    if (start < from && tz_offset(z, from - 1) != off)
        start = from;
    if (end > until && tz_offset(z, until) != off)
        end = until;
    out->hour_start = start > out->day_start ? start : out->day_start;
    out->hour_end = end < out->day_end ? end : out->day_end;
}

void period_days(const struct tz *z, int64_t first_day, int64_t end_day,
                 struct period_span *out)
{
    out->kind = PERIOD_DAY;
    out->first_day = first_day;
    out->end_day = end_day;
    out->start = tz_day_start(z, first_day);
    out->end = tz_day_start(z, end_day);
}

void period_of(const struct tz *z, enum period_kind kind, int64_t t,
               struct period_span *out)
{
    struct period_place at;
    int64_t y, first, end;
    int m, d;
    period_place(z, t, &at);
    civil_date(at.day, &y, &m, &d);
    switch (kind) {
    case PERIOD_HOUR:
        *out = (struct period_span){PERIOD_HOUR, at.day, at.day + 1,
                                    at.hour_start, at.hour_end};
        return;
    case PERIOD_DAY:
        first = at.day;
        end = first + 1;
        break;
    case PERIOD_WEEK:
        /* civil_weekday counts from Sunday; ISO weeks from Monday. */
        first = at.day - (civil_weekday(at.day) + PERIOD_DAYS_PER_WEEK - 1) %
                             PERIOD_DAYS_PER_WEEK;
        end = first + PERIOD_DAYS_PER_WEEK;
        break;
    case PERIOD_MONTH:
        first = civil_days(y, m, 1);
        end = first + civil_month_days(y, m);
        break;
    case PERIOD_YEAR:
    default:
        first = civil_days(y, 1, 1);
        end = civil_days(y + 1, 1, 1);
        break;
    }
    period_days(z, first, end, out);
    out->kind = kind;
}
