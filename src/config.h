/*
 * The configuration: one YAML file, validated strictly, turned into a
 * read-only struct config.
 *
 * Loading reports every problem it finds, each as "file:line:column:
 * message", and keeps going so a single run shows all mistakes. Strings
 * expand ${VAR} and ${VAR:-default} from the environment ($$ is a literal
 * dollar). Everything the struct points to lives in its arena and is
 * released by config_free(); nothing in it changes after loading. A reload
 * builds a new struct config.
 *
 * Field paths used anywhere in the file (labels, values, conditions) are
 * collected into config.fields, deduplicated; the rest of the
 * configuration refers to them by index, which is also the index of the
 * value a parser fills for each line.
 */
#ifndef TOKENTAIL_CONFIG_H
#define TOKENTAIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "num.h"

#define CONFIG_DEFAULT_MAX_LINE      (1024 * 1024) /* bytes */
#define CONFIG_MIN_MAX_LINE          256           /* bytes */
#define CONFIG_MAX_MAX_LINE          (64 * 1024 * 1024)
#define CONFIG_DEFAULT_MAX_SERIES    10000 /* series per metric */
#define CONFIG_MAX_ERRORS            100   /* reported before giving up */
#define CONFIG_DEFAULT_GRACE_MS      5000  /* keep a rotated file open */
#define CONFIG_DEFAULT_RECONCILE_MS  2000  /* re-check every file this often */
#define CONFIG_DEFAULT_CHECKPOINT_MS 1000  /* save state this often */
#define CONFIG_DEFAULT_STATE_FILE    "/var/lib/tokentail/tokentail.db"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

enum start_at { START_AT_END, START_AT_BEGINNING };

enum parser_kind { PARSER_JSON };

/* How lines are wrapped by a container runtime before the app's own text. */
enum envelope_kind {
    ENVELOPE_AUTO,   /* decide per file from its first line */
    ENVELOPE_NONE,   /* the line is the app's line */
    ENVELOPE_DOCKER, /* Docker json-file: {"log":"...\n","stream":...} */
    ENVELOPE_CRI,    /* CRI: <time> <stream> <P|F> <text> */
};

/* A field path as written ("usage.prompt_tokens"), split at the dots. */
struct cfg_field {
    const char *path;
    const char **parts;
    const uint32_t *part_lens;
    uint32_t n_parts;
};

struct cfg_input {
    const char *name;
    const char **paths; /* globs */
    size_t n_paths;
    enum start_at start_at; /* for files present at start-up */
    enum parser_kind parser;
    enum envelope_kind envelope;
    size_t max_line_bytes;
    uint64_t rotate_grace_ms; /* keep a rotated file open this long */
    uint64_t reconcile_ms;    /* re-check every file this often */
};

enum cond_op {
    COND_EQUALS, /* the field's text equals values[0] */
    COND_IN,     /* ... equals one of values[] */
    COND_EXISTS, /* the field is present (and not null) */
    COND_ABSENT, /* the field is missing or null */
    COND_ALL,    /* every sub-condition holds */
    COND_ANY,    /* at least one sub-condition holds */
    COND_NOT,    /* subs[0] does not hold */
};

struct cfg_cond {
    enum cond_op op;
    int field; /* index into config.fields; -1 for ALL/ANY/NOT */
    const char **values;
    const uint32_t *value_lens;
    size_t n_values;
    struct cfg_cond *subs;
    size_t n_subs;
};

struct cfg_label {
    const char *name;
    int field;         /* index into config.fields; -1 for a constant */
    const char *value; /* the constant, or the default for a missing field */
    uint32_t value_len;
    bool has_value;
};

struct cfg_metric {
    const char *name;
    const char *help;
    enum metric_type type;
    struct cfg_label *labels; /* taken from fields, in the order written */
    size_t n_labels;
    struct cfg_label *const_labels; /* same value on every series */
    size_t n_const_labels;
    int value_field; /* -1: a counter counting matching lines */
    struct num_dec scale;
    bool has_scale;
    num_fixed *buckets; /* histograms: upper bounds, increasing, no +Inf */
    size_t n_buckets;
    struct cfg_cond *when; /* NULL: every line */
    int *inputs;           /* indices into config.inputs; none: all */
    size_t n_inputs;
    size_t max_series;
};

struct config {
    struct arena arena;
    const char *file;
    const char *state_file; /* "" disables durable state */
    uint64_t checkpoint_ms;
    struct cfg_input *inputs;
    size_t n_inputs;
    struct cfg_metric *metrics;
    size_t n_metrics;
    struct cfg_field *fields;
    size_t n_fields;
};

/*
 * Loads and validates the file at path. On success returns 0 and stores a
 * new config in *out (caller frees with config_free). On failure returns
 * -1 and appends one line per problem to errors ("path:line:col: ...").
 * errors is borrowed.
 */
int config_load(const char *path, struct config **out, struct buf *errors);

/* The same for text already in memory; name is used in messages. */
int config_load_text(const char *name, const char *text, size_t len,
                     struct config **out, struct buf *errors);

/* Finds an input by name; -1 when absent. */
int config_input_index(const struct config *cfg, const char *name);

const char *config_metric_type_name(enum metric_type t);

void config_free(struct config *cfg);

#endif
