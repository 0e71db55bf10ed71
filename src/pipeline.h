/*
 * The pipeline: one complete log line in, metric updates out.
 *
 * Built from a configuration, it owns one parser per input and one rule per
 * configured metric, and creates the metric families in the registry. For
 * each line the input's parser fills the field set; every rule that
 * applies to the input then checks its condition, reads its value and its
 * labels, and updates one series. Nothing is allocated per line once the
 * series exist.
 *
 * Whatever cannot be used is counted, never guessed: a line the parser
 * rejects in lines_skipped[reason]; a metric that cannot be updated from a
 * line (its field missing, of the wrong type, out of range) in the rule's
 * skipped[reason].
 *
 * Label values are exposed as valid UTF-8: invalid byte sequences and NUL
 * bytes become U+FFFD before the series is looked up, so two values that
 * would print alike are one series.
 */
#ifndef TOKENTAIL_PIPELINE_H
#define TOKENTAIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "../parsers/parser.h"
#include "buf.h"
#include "config.h"
#include "registry.h"

/* Longest label value kept; longer ones skip the update (label_too_long). */
#define PIPELINE_MAX_LABEL_BYTES 1024

/* Why a whole line was not used. */
enum line_skip {
    LINE_SKIP_NOT_JSON,     /* not valid JSON */
    LINE_SKIP_NOT_OBJECT,   /* JSON, but not an object */
    LINE_SKIP_TOO_COMPLEX,  /* more JSON tokens than the parser allows */
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
    UPDATE_SKIP_COUNT
};

const char *pipeline_line_skip_name(enum line_skip r);
const char *pipeline_update_skip_name(enum update_skip r);

struct rule {
    const struct cfg_metric *metric; /* borrowed from the config */
    struct family *family;           /* borrowed from the registry */
    uint64_t updates;
    uint64_t skipped[UPDATE_SKIP_COUNT];
};

struct pipeline_input {
    struct parser *parser;
    struct rule **rules; /* the rules that apply to this input */
    size_t n_rules;
    uint64_t lines; /* complete lines seen, used or not */
    uint64_t skipped[LINE_SKIP_COUNT];
};

struct pipeline {
    const struct config *cfg; /* borrowed */
    struct registry *reg;     /* borrowed */
    struct rule *rules;
    size_t n_rules;
    struct pipeline_input *inputs;
    size_t n_inputs;
    struct field_set fields;
    struct buf key; /* series key under construction */
    char *scratch;  /* decoded string values */
    size_t scratch_cap;
};

/*
 * Builds the pipeline for cfg and adds its families to reg (both borrowed,
 * both must outlive the pipeline). Returns 0 or -ENOMEM.
 */
int pipeline_new(const struct config *cfg, struct registry *reg,
                 struct pipeline **out);

void pipeline_free(struct pipeline *p);

/* Processes one complete line (without its newline) read by input. */
void pipeline_line(struct pipeline *p, size_t input, const char *line,
                   size_t len);

/* Counts a line the reader had to drop before parsing (too long). */
void pipeline_skip(struct pipeline *p, size_t input, enum line_skip reason);

#endif
