/*
 * The usage ledger: for every series of the counters and histograms the
 * configuration's usage section names, what was added to it per day and
 * per hour (period.h: the days and hours of the usage zone), exactly, as
 * the counters add (num.h). A histogram keeps the count and the sum of its
 * observations per period; a counter its increase.
 *
 * Each update is placed by its line's event time (pipeline_event_time:
 * the input's time field, else the time the line was read), so a backfill
 * of last quarter's logs fills last quarter, and a late or out-of-order
 * line lands in its own period. The ledger hears the updates as the
 * pipeline's observer (ledger_observe) and knows nothing else of it.
 *
 * Days are kept for the usage retention, hours for hourly_retention: a
 * period is dropped once it ended that long ago (measured by the wall
 * clock, at checkpoints). An update whose day is already past the
 * retention is not kept at all (ledger_stats.too_old), nor its hour past
 * hourly_retention (its day is).
 *
 * Durable and small: in memory the ledger holds only what was added since
 * the last checkpoint, one cell per (series, hour), or per (series, day)
 * for a line older than the hourly window, and each metric's stored
 * series by key with their numbers (ledger_names.h), never the stored
 * periods. A checkpoint adds the cells to the rows of the state file in
 * the same transaction as the series values and the file positions
 * (ledger_attach), so after a crash both continue from the same
 * checkpoint and the sum of the ledger over all periods equals the
 * counter exactly (until retention drops periods, or a counter saturates
 * at NUM_FIXED_MAX). Without a state file the rows go to an in-memory
 * database at each ledger_sync(), which queries read the same way.
 *
 * Queries (ledger_sum, ledger_rows) read the stored rows plus the cells
 * not yet saved, so they always include every update heard. The same
 * queries answer offline from a state file (ledger_open), without a
 * daemon. A series is known by its label values; rows stored under other
 * label names (the configuration changed) answer with the metric's
 * current names, a label they lacked reading as "". The overflow series
 * (registry.h) is kept too: it has no label values and is flagged.
 *
 * Changing the usage zone keeps the stored days as they were: a day keeps
 * its date and its amounts, measured in the zone of the time; days after
 * the change follow the new zone (the log says so at start-up).
 *
 * One thread; every pointer is borrowed unless said otherwise.
 */
#ifndef TOKENTAIL_LEDGER_H
#define TOKENTAIL_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "num.h"
#include "period.h"
#include "registry.h"
#include "state.h"

struct ledger;
struct selfmetrics;

/* The two sizes of period the ledger keeps. */
enum ledger_grain {
    LEDGER_DAYS,  /* named by day numbers (period.h) */
    LEDGER_HOURS, /* named by their first instant, UTC seconds */
};
#define LEDGER_GRAIN_COUNT (LEDGER_HOURS + 1)

/* "day" or "hour". */
const char *ledger_grain_name(enum ledger_grain g);

/*
 * What was added in a period or several: a counter's increase in sum
 * (count unused, 0); a histogram's observations, their sum and count.
 */
struct ledger_amount {
    num_fixed sum;
    uint64_t count;
};

/* --- the ledger ------------------------------------------------------- */

/*
 * A ledger for cfg's usage section (cfg and its usage borrowed: they must
 * outlive the ledger; cfg->usage not NULL), holding nothing yet. Returns
 * 0, -EINVAL without a usage section, or -ENOMEM.
 */
int ledger_new(const struct config *cfg, struct ledger **out);

/*
 * Opens the ledger saved in the state file at path (borrowed), read only,
 * for the usage section of cfg (borrowed, must outlive it): queries
 * answer from the file as a running tokentail would, without one.
 * Returns 0; -EINVAL without a usage section; -ENOENT when path does not
 * exist or holds no ledger; -EIO when it cannot be read (the log says
 * why); -ENOMEM.
 */
int ledger_open(const struct config *cfg, const char *path,
                struct ledger **out);

/* NULL is a no-op. */
void ledger_free(struct ledger *l);

/*
 * The pipeline's observer (pipeline.h) for the usage metric at index
 * metric (the configuration's usage.metrics order), ctx the ledger: adds
 * amount to the series s in the period of when. Allocates nothing unless
 * more cells are held than ever before.
 */
void ledger_observe(void *ctx, size_t metric, const struct series *s,
                    num_fixed when, num_fixed amount);

/*
 * A ledger for a backfill worker (backfill.h): the same configuration
 * and the same retention window as main (borrowed; it must outlive the
 * new one), holding nothing, attached to no state; its cells go to main
 * by ledger_merge. Returns 0 or -ENOMEM.
 */
int ledger_new_beside(const struct ledger *main, struct ledger **out);

/* The series of dst's registry that src's series s stands for (the same
 * metric, the same label values); NULL when there is none. */
typedef const struct series *(*ledger_series_map)(void *ctx, size_t metric,
                                                  const struct series *s);

/*
 * Adds the cells src (borrowed, unchanged; made by ledger_new_beside(dst))
 * holds into dst, each under the series map gives for it (with ctx), as
 * if dst had heard src's updates itself; its counts of updates heard and
 * too old too. The cells' sums add exactly, in any order. Returns 0;
 * -ENOENT when map has no series for one (dst part merged); -ENOMEM.
 */
int ledger_merge(struct ledger *dst, const struct ledger *src,
                 ledger_series_map map, void *ctx);

/*
 * Where the ledger keeps its rows: with a usable state file, in it, as
 * its STATE_PART_LEDGER participant, saved by each checkpoint (call
 * before state_restore); else in an in-memory database of its own, filled
 * by ledger_sync(). s is borrowed and must outlive the ledger's use of
 * it; the ledger must outlive s (state_close frees the participant, not
 * the ledger). Returns 0 or -errno.
 */
int ledger_attach(struct ledger *l, struct state *s);

/*
 * Without a state file, moves the cells into the in-memory database
 * (with one, checkpoints do that, and this does nothing). Call it where a
 * checkpoint would be. Returns 0 or -errno.
 */
int ledger_sync(struct ledger *l);

/* --- what it keeps -------------------------------------------------------
 */

/* The zone whose days and hours the ledger counts; borrowed from the
 * configuration. */
const struct tz *ledger_zone(const struct ledger *l);

/* One usage metric: its name, type and label names (borrowed from the
 * configuration), in the usage.metrics order. */
struct ledger_metric_info {
    const char *name;
    enum metric_type type; /* METRIC_COUNTER or METRIC_HISTOGRAM */
    const char *const *labels;
    size_t n_labels;
};

size_t ledger_n_metrics(const struct ledger *l);
void ledger_metric(const struct ledger *l, size_t metric,
                   struct ledger_metric_info *out);

/* The index of the usage metric named name, or -1. */
int ledger_find(const struct ledger *l, const char *name);

/*
 * How many updates of the usage metric at index metric the ledger has
 * kept since it was made: when it has not moved, no sum of that metric
 * has changed (only retention, at checkpoints, drops past periods).
 */
uint64_t ledger_heard(const struct ledger *l, size_t metric);

/*
 * The periods kept at the UTC instant now: days from first_day, hours
 * from first_hour (an hour's start, UTC seconds; INT64_MAX when no hours
 * are kept), and the retentions they follow, in seconds.
 */
struct ledger_window {
    int64_t first_day;
    int64_t first_hour;
    int64_t retention_s;
    int64_t hourly_retention_s;
};

void ledger_window(const struct ledger *l, int64_t now,
                   struct ledger_window *out);

/* --- queries --------------------------------------------------------------
 */

/* A label that must have a value, exactly. */
struct ledger_match {
    const char *label;
    const char *value;
};

/*
 * Which rows a query reads: those of the usage metric at index metric,
 * of grain, whose period is in [from, to) (day numbers, or hour starts in
 * UTC seconds: period_of and period_days give both), of the series whose
 * labels hold every match (none: every series; the overflow series never
 * matches). A label the metric does not have reads as "".
 */
struct ledger_query {
    size_t metric;
    enum ledger_grain grain;
    int64_t from, to;
    const struct ledger_match *match;
    size_t n_match;
    const char *const *by; /* ledger_sum: labels to group by; none: total */
    size_t n_by;
};

/* The amount of one group: its values of the query's by labels. */
struct ledger_group {
    const char *const *values; /* n_by of them */
    bool overflow;             /* the overflow series, alone */
    struct ledger_amount amount;
};

/* A query's sums: the total, and per group in the order of their values
 * (bytes), the overflow series last. */
struct ledger_sums {
    struct ledger_amount total;
    struct ledger_group *groups; /* none when the query has no by */
    size_t n_groups;
};

/*
 * Sums what the query's series had added over its periods: the total and,
 * with by, one group per distinct combination of those labels' values
 * that has rows. Stores them in *out (caller frees with
 * ledger_sums_free). Returns 0; -EINVAL for a metric out of range; -EIO
 * when the database fails (logged); -ENOMEM.
 */
int ledger_sum(struct ledger *l, const struct ledger_query *q,
               struct ledger_sums **out);

/* NULL is a no-op. */
void ledger_sums_free(struct ledger_sums *s);

/* One row: a series' amount in one period. */
struct ledger_row {
    int64_t start, end;        /* the period, UTC seconds [start, end) */
    int64_t day;               /* its day (the day number) */
    const char *const *values; /* one per label of the metric, in order */
    bool overflow;             /* the overflow series (values all "") */
    struct ledger_amount amount;
    size_t group; /* its series' (or group's) place in the query's order:
                   * the same in every period, below the query's count */
};

/*
 * Calls fn(ctx, row) for each row of the query (its by is ignored): by
 * period, then by label values as ledger_sums orders groups, the same
 * order every time. Rows and what they point to are valid during the
 * call. fn returns 0 to go on; anything else stops, and is returned.
 * Returns 0, or as ledger_sum.
 */
int ledger_rows(struct ledger *l, const struct ledger_query *q,
                int (*fn)(void *ctx, const struct ledger_row *row), void *ctx);

/*
 * As ledger_rows, but a row is a group of ledger_sum's (its values are
 * those of the query's by labels, none for the total): what the query's
 * series added in each period, one set-up for the whole range rather than
 * a ledger_sum per period. Returns as ledger_rows.
 */
int ledger_sum_periods(struct ledger *l, const struct ledger_query *q,
                       int (*fn)(void *ctx, const struct ledger_row *row),
                       void *ctx);

/* --- its own figures ------------------------------------------------------
 */

struct ledger_stats {
    uint64_t unsaved; /* cells held: (series, period) rows not saved yet */
    uint64_t written; /* (series, period) rows the last save wrote */
    uint64_t dropped[LEDGER_GRAIN_COUNT]; /* rows dropped by retention */
    uint64_t too_old; /* updates of a day past retention: not kept */
};

void ledger_get_stats(const struct ledger *l, struct ledger_stats *out);

/* Adds the ledger's self-metrics (tokentail_usage_*) to sm (borrowed; the
 * ledger must outlive it). Returns 0 or -errno. */
int ledger_selfmetrics(struct ledger *l, struct selfmetrics *sm);

#endif
