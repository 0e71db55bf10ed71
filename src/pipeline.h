/*
 * The pipeline: one complete log line in, metric updates out.
 *
 * Built from a configuration, it owns each input's parsers and one rule per
 * configured metric, and creates the metric families in the registry. For
 * each line the input's parsers are tried in order until one accepts it
 * and fills the field set; every rule that applies to the input then
 * checks its condition, reads its labels (through their transforms) and
 * its value — one or several sources, or the price of the line's tokens —
 * and updates the series. Nothing is allocated per line once the series
 * exist.
 *
 * Each parsed line has an event time (eventtime.h): when the line says it
 * happened, for an input with a "time", else when it was read; rules ask
 * for it with pipeline_event_time(). A module that wants to hear of a
 * metric's updates with their event times (the usage ledger) observes the
 * metric (pipeline_observe) and never sees the pipeline's structs.
 *
 * Whatever cannot be used is counted, never guessed: a line no parser
 * accepts in lines_skipped[reason]; a metric that cannot be updated from a
 * line (a field missing, of the wrong type, out of range, a label its
 * transform drops) in the rule's skipped[reason]; tokens of a model the
 * pricing table does not know in
 * tokentail_unpriced_tokens_total{metric,model}.
 *
 * Over an input's first lines, a field its metrics read that no line has
 * is reported once: a likely typo (field_probe.h).
 *
 * Label values are exposed as valid UTF-8: invalid byte sequences and NUL
 * bytes become U+FFFD before the series is looked up, so two values that
 * would print alike are one series.
 */
#ifndef TOKENTAIL_PIPELINE_H
#define TOKENTAIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "parser.h"
#include "buf.h"
#include "config.h"
#include "eventtime.h"
#include "fields.h"
#include "log.h"
#include "registry.h"
#include "tailer.h"

/* Longest label value kept; longer ones skip the update (label_too_long). */
#define PIPELINE_MAX_LABEL_BYTES 1024
/* Series (metric and model) tokentail_unpriced_tokens_total keeps apart. */
#define PIPELINE_MAX_UNPRICED_SERIES 100

/* Why a whole line was not used. */
enum line_skip {
    LINE_SKIP_NOT_JSON,     /* not valid JSON */
    LINE_SKIP_NOT_OBJECT,   /* JSON, but not an object */
    LINE_SKIP_TOO_COMPLEX,  /* nested deeper than JSON_MAX_DEPTH */
    LINE_SKIP_NO_MATCH,     /* the regex parser's pattern did not match */
    LINE_SKIP_NOT_LOGFMT,   /* not key=value pairs */
    LINE_SKIP_UNPARSED,     /* none of several parsers accepted it */
    LINE_SKIP_TOO_LONG,     /* longer than the input's max_line_bytes */
    LINE_SKIP_UNMATCHED,    /* parsed, but no metric was updated from it */
    LINE_SKIP_INCOMPLETE,   /* its file was closed before its newline came */
    LINE_SKIP_BAD_ENVELOPE, /* not in the container envelope of its file */
    LINE_SKIP_COUNT
};

/* Why one metric was not updated from a line. */
enum update_skip {
    UPDATE_SKIP_FIELD_MISSING,  /* a value or label field is absent */
    UPDATE_SKIP_WRONG_TYPE,     /* e.g. an object where a number belongs */
    UPDATE_SKIP_OUT_OF_RANGE,   /* a number beyond +-1.7e26 */
    UPDATE_SKIP_NEGATIVE,       /* a negative amount for a counter */
    UPDATE_SKIP_LABEL_TOO_LONG, /* a label value over the limit */
    UPDATE_SKIP_NO_MATCH,       /* a label's or value's regex did not match */
    UPDATE_SKIP_UNMAPPED,       /* a label's text is not in its map */
    UPDATE_SKIP_UNPRICED,       /* no price for the line's model */
    UPDATE_SKIP_CACHED_EXCEEDS_PROMPT, /* more cached tokens than prompt */
    UPDATE_SKIP_UNPARSABLE,       /* a time or duration not in its format */
    UPDATE_SKIP_DIVISION_BY_ZERO, /* an expression's divisor is zero */
    UPDATE_SKIP_COUNT
};

const char *pipeline_line_skip_name(enum line_skip r);
const char *pipeline_update_skip_name(enum update_skip r);

/*
 * The reasons that can happen for lines of an input configured as in, and
 * for updates of a metric configured as m: bit r set for each enum
 * line_skip (enum update_skip) r that is not ruled out by the
 * configuration (pipeline_reasons.c). The stats below carry them.
 */
uint32_t pipeline_line_reasons(const struct cfg_input *in);
uint32_t pipeline_update_reasons(const struct cfg_metric *m);

/*
 * Hears of a metric's updates (pipeline_observe): ctx and tag as given,
 * the series updated (borrowed from the registry: valid as long as it
 * is), the line's event time (pipeline_event_time) and the amount: what a
 * counter was increased by, the value a histogram observed.
 */
typedef void (*pipeline_observer)(void *ctx, size_t tag, const struct series *s,
                                  num_fixed when, num_fixed amount);

struct transform;
struct rx;
struct cond;
struct cost;
struct cost_prices;

/* Where a rule's value comes from, decided when it is built. */
enum rule_source {
    RULE_LINES,   /* no value: each line adds 1 */
    RULE_FIELD,   /* one field's number, without labels or a condition */
    RULE_DERIVED, /* one expression or time value, likewise */
    RULE_SEVERAL, /* sources, each where the line has it, with its labels */
    RULE_COST,    /* the price of the line's tokens */
};

struct rule {
    const struct cfg_metric *metric; /* borrowed from the config */
    enum rule_source source;
    struct family *family;            /* borrowed from the registry */
    struct transform **label_tf;      /* per label: NULL without transforms */
    struct cond **label_cases;        /* per label: its cases, compiled */
    struct rx **value_rx;             /* per value source: NULL without regex */
    struct timefmt_cache *value_time; /* per value source; NULL: no times */
    struct cond *value_when;          /* per value source: cfg NULL without */
    struct cond *when;
    /* Where the when's result on the current line is kept: this rule, or
     * an earlier one whose condition is the same (cond_same). */
    struct rule *when_kept;
    uint64_t when_line; /* the line when_holds was computed for */
    bool when_holds;
    struct cost *cost; /* NULL for a metric without one */
    uint64_t updates;
    uint64_t skipped[UPDATE_SKIP_COUNT];
    struct log_limit overflow_log; /* "series cap reached" warnings */
    pipeline_observer observer;    /* NULL: nobody listens */
    void *observer_ctx;            /* borrowed */
    size_t observer_tag;
};

struct field_probe;

struct pipeline_input {
    struct pipeline *pipe; /* the pipeline it belongs to */
    struct tail_sink sink; /* where the input's reader sends its lines */
    struct parser **parsers;
    size_t n_parsers;
    struct rule **rules; /* the rules that apply to this input */
    size_t n_rules;
    struct field_probe *probe; /* fields never seen yet; NULL when done */
    uint64_t lines;            /* complete lines seen, used or not */
    struct eventtime *time;    /* NULL: lines happen when they are read */
    uint64_t skipped[LINE_SKIP_COUNT];
};

struct pipeline {
    const struct config *cfg; /* borrowed */
    struct registry *reg;     /* borrowed */
    struct rule *rules;
    size_t n_rules;
    struct pipeline_input *inputs;
    size_t n_inputs;
    struct fields fields;    /* the current line's */
    struct family *unpriced; /* tokentail_unpriced_tokens_total, or NULL */
    struct buf key;          /* series key under construction */
    struct buf text;         /* a transformed label value */

    struct cost_prices *prices; /* the pricing table, or NULL for none */
    struct family *lateness;    /* tokentail_event_lateness_seconds, or NULL */
    num_fixed event_time;       /* the current line's, once known */
    bool has_event_time;
    uint64_t line; /* lines parsed: names the current one for when_line */
};

/*
 * Builds the pipeline for cfg and adds its families to reg (both borrowed,
 * both must outlive the pipeline). Returns 0, -EINVAL or -ENOMEM.
 */
int pipeline_new(const struct config *cfg, struct registry *reg,
                 struct pipeline **out);

void pipeline_free(struct pipeline *p);

/* Processes one complete line (without its newline) read by input. */
void pipeline_line(struct pipeline *p, size_t input, const char *line,
                   size_t len);

/*
 * When the current line happened, in seconds since the epoch: the time
 * its input's time field gives, or else the time it was read. Valid from
 * the line's parsing until the next line.
 */
num_fixed pipeline_event_time(struct pipeline *p);

/*
 * Makes fn, with ctx (borrowed: it must outlive p) and tag, the observer
 * of the configured metric named metric: it is called after every update
 * of one of its series, on the per-line path, which allocates nothing,
 * so fn should not either once warmed up. Returns 0; -ENOENT when no
 * metric has that name; -EINVAL for a gauge (an update sets a level, it
 * adds no amount) or a metric already observed.
 */
int pipeline_observe(struct pipeline *p, const char *metric,
                     pipeline_observer fn, void *ctx, size_t tag);

/* Counts a line the reader had to drop before parsing (too long). */
void pipeline_skip(struct pipeline *p, size_t input, enum line_skip reason);

/*
 * Where the reader of input sends its lines (tailer.h): complete lines to
 * pipeline_line, lines it could not deliver counted by reason. Owned by
 * the pipeline; valid as long as it is.
 */
const struct tail_sink *pipeline_sink(struct pipeline *p, size_t input);

/*
 * Adds what src (borrowed, unchanged; built from dst's configuration)
 * counted — lines, skipped lines and updates by reason, updates, event
 * time fallbacks — to dst's counts, as if dst had read src's lines
 * (pipeline_merge.c). The series are the registry's: registry_merge.
 */
void pipeline_merge_counts(struct pipeline *dst, const struct pipeline *src);

/* Drops the field probes (field_probe.h) of p, whose lines another
 * pipeline's probe already looks at: one report, not one per pipeline. */
void pipeline_no_probe(struct pipeline *p);

/* What became of the lines of one input, for tokentail's own metrics. */
struct pipeline_input_stats {
    uint64_t lines; /* complete lines seen, used or not */
    uint64_t skipped[LINE_SKIP_COUNT];
    uint32_t reasons; /* pipeline_line_reasons: which skipped[] can grow */
    bool has_time;    /* the input reads event times: */
    uint64_t time_fallbacks[EVENTTIME_FALLBACK_COUNT];
    uint64_t time_ahead;
};

void pipeline_input_stats(const struct pipeline *p, size_t input,
                          struct pipeline_input_stats *out);

/* Configured metrics, in the configuration's order. */
size_t pipeline_n_metrics(const struct pipeline *p);

/* What one configured metric received, and what it holds. */
struct pipeline_metric_stats {
    const char *name;
    uint64_t updates;
    uint64_t skipped[UPDATE_SKIP_COUNT];
    uint32_t reasons; /* pipeline_update_reasons: which skipped[] can grow */
    struct family_stats family;
};

void pipeline_metric_stats(const struct pipeline *p, size_t metric,
                           struct pipeline_metric_stats *out);

#endif
