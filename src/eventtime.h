/*
 * Event time: when a line says it happened.
 *
 * An input with a "time" (cfg_time) has each parsed line's time field
 * read in its format; the line's event time is that instant. A line whose
 * field is missing, or holds no time in the format, or one outside the
 * years 0001 to 9999, happened — as far as tokentail can tell — when it
 * was read: the reason is counted (tokentail_event_time_fallbacks_total).
 *
 * How late lines arrive, the time they were read minus their event time,
 * is observed in the self-metric histogram tokentail_event_lateness_seconds
 * {input}, whose buckets reach from ten milliseconds (a live tail) to a
 * month (a backfill). A line from the future (another host's clock, a
 * wrong time zone) is counted in tokentail_event_time_ahead_total and
 * observed as 0, so that the histogram's sum only grows. Lines that fell
 * back are not observed.
 *
 * Times are num_fixed seconds since the epoch (timefmt.h). An eventtime
 * borrows its configuration and its series from the registry; it
 * allocates nothing per line.
 */
#ifndef TOKENTAIL_EVENTTIME_H
#define TOKENTAIL_EVENTTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fields.h"
#include "num.h"
#include "registry.h"
#include "timefmt.h"

#define EVENTTIME_LATENESS "tokentail_event_lateness_seconds"

/* Why a line's time is the time it was read. */
enum eventtime_fallback {
    EVENTTIME_MISSING,      /* no time field, or null */
    EVENTTIME_UNPARSABLE,   /* not a time in the input's format */
    EVENTTIME_OUT_OF_RANGE, /* a time outside the years 0001 to 9999 */
    EVENTTIME_FALLBACK_COUNT
};

/* "missing", "unparsable" or "out_of_range". */
const char *eventtime_fallback_name(enum eventtime_fallback f);

/* What became of the times of one input's lines. */
struct eventtime_stats {
    uint64_t fallbacks[EVENTTIME_FALLBACK_COUNT];
    uint64_t ahead; /* event time after the time it was read */
};

struct eventtime {
    const struct cfg_time *cfg; /* borrowed from the configuration */
    struct family *lateness;    /* borrowed from the registry */
    struct series *series;      /* this input's, in lateness */
    struct timefmt_cache cache;
    struct eventtime_stats stats;
};

/*
 * Adds the lateness histogram, labelled by input, to reg (borrowed; it
 * owns the family). NULL on -ENOMEM.
 */
struct family *eventtime_family(struct registry *reg);

/*
 * Readies et for the lines of the input named input, whose time is cfg,
 * observing lateness in the family eventtime_family gave (all borrowed).
 * Returns 0 or -ENOMEM.
 */
int eventtime_init(struct eventtime *et, const struct cfg_time *cfg,
                   struct family *lateness, const char *input);

/* The current time, to the nanosecond. */
num_fixed eventtime_now(void);

/*
 * The current time from the system's coarse clock: a millisecond or a few
 * behind eventtime_now() (clock_getres(CLOCK_REALTIME_COARSE) says how
 * far), at a fraction of its cost on every line.
 */
num_fixed eventtime_now_coarse(void);

/*
 * The event time of the line in fs, read at read_at: its time field, or
 * read_at (the reason counted). Observes the line's lateness. With
 * coarse, read_at is eventtime_now_coarse()'s, and a time after it is
 * compared once more with eventtime_now() before the line counts as from
 * the future: the coarse clock lags, the writer's does not.
 */
num_fixed eventtime_line(struct eventtime *et, struct fields *fs,
                         num_fixed read_at, bool coarse);

static inline void eventtime_get_stats(const struct eventtime *et,
                                       struct eventtime_stats *out)
{
    *out = et->stats;
}

/* Adds more (another reader's counts of the same input) to et's. */
static inline void eventtime_add_stats(struct eventtime *et,
                                       const struct eventtime_stats *more)
{
    for (int i = 0; i < EVENTTIME_FALLBACK_COUNT; i++)
        et->stats.fallbacks[i] += more->fallbacks[i];
    et->stats.ahead += more->ahead;
}

#endif
