/*
 * The exposition: the Prometheus text format, version 0.0.4, and
 * OpenMetrics 1.0, which a scraper asks for with its Accept header
 * (accept.h: accept_openmetrics).
 *
 * Families appear in registry order, each with HELP and TYPE; series in
 * the order of their label values. Label values are escaped (\\, \", \n),
 * HELP text too (\\, \n; OpenMetrics also \"). Values print as exact
 * decimals (num_format): integers without a fraction, never in the
 * locale's notation.
 *
 * OpenMetrics differs in what surrounds the samples: a counter's family is
 * named without _total (its samples keep it), counters and histograms have
 * a _created sample per series (when the series began, series.created_ms,
 * left out when not known), a family whose name ends in a base unit
 * (_seconds, _bytes, _ratio, ...) has a UNIT line, bucket bounds are
 * written as floats (le="1.0"), and the exposition ends with # EOF.
 *
 * Every producer of exposition text writes through expfmt_header and is
 * given the format: the registry's families (expfmt_write_format) and
 * what others append after them (the rules' tokentail_alerts); the caller
 * ends the whole with expfmt_end.
 */
#ifndef TOKENTAIL_EXPFMT_H
#define TOKENTAIL_EXPFMT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "num.h"
#include "registry.h"

#define EXPFMT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define EXPFMT_OM_CONTENT_TYPE                                                 \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum expfmt_format {
    EXPFMT_TEXT,        /* text/plain; version=0.0.4 */
    EXPFMT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

/* The Content-Type of an exposition in fmt. */
const char *expfmt_content_type(enum expfmt_format fmt);

/* Appends s (n bytes) escaped for a label value. */
void expfmt_escape_label(struct buf *b, const char *s, size_t n);

/* Appends s escaped for a HELP line. */
void expfmt_escape_help(struct buf *b, const char *s);

/*
 * Appends the metadata lines of a family named name (borrowed) to out:
 * HELP and TYPE, and in OpenMetrics the UNIT its name carries.
 */
void expfmt_header(struct buf *out, enum expfmt_format fmt, const char *name,
                   enum metric_type type, const char *help);

/* Appends the families of r in fmt to out; sorts new series in place. */
void expfmt_write_format(struct registry *r, enum expfmt_format fmt,
                         struct buf *out);

/* Appends what ends an exposition in fmt: # EOF for OpenMetrics. */
void expfmt_end(struct buf *out, enum expfmt_format fmt);

/* Appends the whole exposition of r to out in the text format. */
void expfmt_write(struct registry *r, struct buf *out);

/* OpenMetrics' pieces, for expfmt.c and the unit tests. */
#define EXPFMT_LE_MAX (NUM_FMT_MAX + 2) /* a bound, ".0" and a NUL */

/* The length of name's family name: without _total for a counter. */
size_t expfmt_om_family_len(const char *name, enum metric_type type);

/* A bucket bound as OpenMetrics wants le: a float, "1.0" not "1". */
void expfmt_om_bound(num_fixed bound, char out[EXPFMT_LE_MAX]);

/* Appends ms (since the epoch) as seconds with three decimals. */
void expfmt_om_timestamp(struct buf *b, int64_t ms);

#endif
