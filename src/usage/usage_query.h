/*
 * Usage reports: the questions GET /api/v1/usage, GET /api/v1/usage/export
 * and `tokentail report` ask of the usage ledger, parsed from the same
 * parameters (name=value pairs, as in a URL's query), and their answers.
 *
 * A summary (USAGE_SUMMARY) adds up each asked metric over a range of
 * whole days of the ledger's zone: a counter's increase, a histogram's
 * count, sum and average, in total and, with by, per group of label
 * values. An export (USAGE_EXPORT) lists one metric's rows, one per
 * (day or hour, series), in order. Both read the ledger through its
 * queries (ledger.h) and nothing else; the renderers (usage_render.h)
 * write what they give.
 *
 * The parameters (the README has the full list): metric (repeatable in a
 * summary; one in an export), period (day, week, month, year: the current
 * one by the wall clock) or start_date and end_date (YYYY-MM-DD,
 * inclusive), by (comma-separated label names; summary), granularity
 * (day or hour; export), format (json or csv; export), and any other
 * name=value as an exact filter on that label. A bad parameter is refused
 * with one sentence naming it, which the HTTP answer sends as its detail
 * and the command line prints.
 *
 * One thread; every pointer is borrowed unless said otherwise.
 */
#ifndef TOKENTAIL_USAGE_QUERY_H
#define TOKENTAIL_USAGE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ledger.h"
#include "timefmt.h"

/* Which report the parameters ask for. */
enum usage_kind {
    USAGE_SUMMARY, /* GET /api/v1/usage */
    USAGE_EXPORT,  /* GET /api/v1/usage/export */
};

/* How an answer is written: JSON over HTTP; CSV or an aligned table too
 * on the command line. */
enum usage_format {
    USAGE_FORMAT_JSON,
    USAGE_FORMAT_CSV,
    USAGE_FORMAT_TABLE, /* the command line only */
};

/* "json", "csv" or "table"; the format named s, or -1. */
const char *usage_format_name(enum usage_format f);
int usage_format_parse(const char *s);

/* One parameter as given: key=value (value "" when there was no '='). */
struct usage_param {
    const char *key;
    const char *value;
};

/* The days a report covers, [first_day, end_day) as day numbers. */
struct usage_span {
    int64_t first_day, end_day;
};

/*
 * A parsed request. Its strings point into the parameters it was parsed
 * from, which must outlive it.
 */
struct usage_request {
    enum usage_kind kind;
    struct usage_span span;
    size_t *metrics; /* ledger metric indices, in the order asked */
    size_t n_metrics;
    struct ledger_match *match; /* the filters, in the order given */
    size_t n_match;
    const char **by; /* summary: the labels to group by */
    size_t n_by;
    enum ledger_grain grain;  /* export: days or hours */
    enum usage_format format; /* export: how to write it (json unless said) */
    bool format_given;
    struct buf storage; /* the by labels, split */
};

/*
 * Parses the n parameters p (borrowed, see above) of a report of kind on
 * ledger l at the UTC instant now (the current period's clock) into *out
 * (caller frees with usage_request_free, also after a failure). Returns
 * 0; -EINVAL for a bad parameter, with the reason in why (one sentence,
 * no newline); -ENOMEM.
 */
int usage_parse(const struct ledger *l, enum usage_kind kind,
                const struct usage_param *p, size_t n, int64_t now,
                struct usage_request *out, struct buf *why);

/* Frees what out holds (not out itself); NULL is a no-op. */
void usage_request_free(struct usage_request *r);

/* Room for an instant as usage_instant writes it, with its NUL. */
#define USAGE_INSTANT_MAX TIMEFMT_RFC3339_MAX

/*
 * Writes the UTC instant t (whole seconds) as RFC 3339 in zone z, with the
 * zone's offset at that instant ("2025-03-30T00:00:00+01:00"; "Z" where
 * the offset is 0), to out; "?" outside the years 0001 to 9999.
 */
void usage_instant(const struct tz *z, int64_t t, char out[USAGE_INSTANT_MAX]);

/* --- a summary ---------------------------------------------------------- */

/* One metric of a summary: its sums and which of the by labels and
 * filters it has (the others do not apply to it). */
struct usage_metric_sums {
    size_t metric;
    struct ledger_metric_info info;
    const char **by; /* the request's by labels this metric has */
    size_t n_by;
    struct ledger_sums *sums;
};

struct usage_summary {
    struct usage_span span;
    const char *zone; /* the ledger's zone name, borrowed */
    struct usage_metric_sums *metrics;
    size_t n_metrics;
    const char *const *by; /* the request's by labels, all of them */
    size_t n_by;
};

/*
 * Answers the summary request r (kind USAGE_SUMMARY; borrowed, must
 * outlive the answer) from l into *out (caller frees with
 * usage_summary_free). Returns 0, or -errno from the ledger's queries.
 */
int usage_summarize(struct ledger *l, const struct usage_request *r,
                    struct usage_summary **out);

/* NULL is a no-op. */
void usage_summary_free(struct usage_summary *s);

/*
 * The average of sum over count: sum / count rounded half to even at the
 * 12th decimal (num.h), in *out. Returns false when count is 0.
 */
bool usage_average(num_fixed sum, uint64_t count, num_fixed *out);

/* --- an export ----------------------------------------------------------- */

/*
 * Calls fn(ctx, row) for each row of the export request r (kind
 * USAGE_EXPORT): its metric's rows of its grain in its span, by period,
 * then by series, filtered. Returns 0, what fn returned to stop, or
 * -errno from the ledger.
 */
int usage_export(struct ledger *l, const struct usage_request *r,
                 int (*fn)(void *ctx, const struct ledger_row *row), void *ctx);

/*
 * As usage_export, for the days [first_day, end_day) of r's span only (by
 * the hour: those days' hours), so that an export can be written a day
 * at a time; the days in turn give the rows of the whole span in order.
 */
int usage_export_days(struct ledger *l, const struct usage_request *r,
                      int64_t first_day, int64_t end_day,
                      int (*fn)(void *ctx, const struct ledger_row *row),
                      void *ctx);

#endif
