/*
 * Writing usage reports (usage_query.h): a summary or an export as JSON,
 * as CSV (RFC 4180: fields with a quote, comma, CR or LF quoted, quotes
 * doubled, lines ended by CRLF) or as a table aligned for a terminal.
 *
 * Numbers are exact decimals (num_format): "0.1" and "0.2" add up to
 * "0.3". A histogram's average is its sum divided by its count, rounded
 * half to even at the 12th decimal (the ledger's own precision); with no
 * observations it is null in JSON and empty in CSV and tables. The
 * overflow series of a metric at its max_series reads as the label
 * tokentail_overflow="true" in JSON, as /metrics writes it, and with
 * every label empty in CSV and tables.
 *
 * The CSV of a summary has the columns start_date, end_date, metric, the
 * by labels, value, count, sum, average (a counter fills value, a
 * histogram count, sum and average), one row per metric or, with by, per
 * group. An export's CSV has start, end, the metric's labels in order,
 * then value (a counter) or count and sum (a histogram).
 *
 * Output goes to a buffer (buf.h: an allocation failure shows as its oom
 * flag); every pointer is borrowed.
 */
#ifndef TOKENTAIL_USAGE_RENDER_H
#define TOKENTAIL_USAGE_RENDER_H

#include <stdbool.h>

#include "buf.h"
#include "usage_query.h"

/* Writes the summary s in format f to out. */
void usage_render_summary(const struct usage_summary *s, enum usage_format f,
                          struct buf *out);

/*
 * An export being written: begin, then a row per ledger row (the
 * callback usage_export takes), then end. A table holds its rows until
 * end; JSON and CSV are written as the rows come.
 */
struct usage_writer {
    enum usage_format format;
    const struct tz *zone;
    struct ledger_metric_info info;
    struct buf *out;
    size_t rows;
    struct usage_sheet *sheet; /* CSV and tables */
};

/*
 * Starts writing the export of metric (its info, borrowed) in zone to
 * out. Returns 0 or -ENOMEM.
 */
int usage_writer_begin(struct usage_writer *w, enum usage_format f,
                       const struct tz *zone,
                       const struct ledger_metric_info *info, struct buf *out);

/* Writes what follows to out (borrowed) instead: an export sent in
 * pieces gives each piece a buffer of its own. */
void usage_writer_to(struct usage_writer *w, struct buf *out);

/* usage_export's callback, ctx the writer: writes one row. Returns 0, or
 * -ENOMEM when out ran out of memory (which stops the export). */
int usage_writer_row(void *ctx, const struct ledger_row *row);

/* Finishes the export (a table is laid out now) and frees what the writer
 * holds; also after a failure. */
void usage_writer_end(struct usage_writer *w);

/* Frees what the writer holds without finishing; NULL is a no-op. */
void usage_writer_free(struct usage_writer *w);

/* Writes s (n bytes) as one CSV field, quoted when RFC 4180 needs it. */
void usage_csv_field(struct buf *out, const char *s, size_t n);

#endif
