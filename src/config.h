/*
 * The configuration: one YAML file, validated strictly, turned into a
 * read-only struct config.
 *
 * Loading reports every problem it finds, each as "file:line:column:
 * message", and keeps going so a single run shows all mistakes. Strings
 * expand ${VAR} and ${VAR:-default} from the environment ($$ is a literal
 * dollar). Everything the struct points to lives in its arena and is
 * released by config_free(); nothing in it changes after loading. A reload
 * builds a new struct config and matches it with the running one
 * (config_match, at the end of this file).
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
#include "envelope.h"
#include "num.h"
#include "period.h"
#include "registry.h"
#include "timefmt.h"

/* Lines: an input's max_line_bytes. */
#define CONFIG_DEFAULT_MAX_LINE (1024 * 1024)      /* bytes */
#define CONFIG_MIN_MAX_LINE     256                /* bytes */
#define CONFIG_MAX_MAX_LINE     (64 * 1024 * 1024) /* bytes */

/* Series: a metric's max_series, and limits.max_series over all metrics. */
#define CONFIG_DEFAULT_MAX_SERIES   10000     /* series per metric */
#define CONFIG_MAX_MAX_SERIES       10000000  /* series per metric, at most */
#define CONFIG_DEFAULT_TOTAL_SERIES 100000    /* series of all metrics */
#define CONFIG_MAX_TOTAL_SERIES     100000000 /* of all metrics, at most */
#define CONFIG_DEFAULT_RULE_SAMPLES 1000000   /* the rules' history */
#define CONFIG_MAX_RULE_SAMPLES     1000000000

/* Shapes the loader refuses beyond these. */
#define CONFIG_MAX_ERRORS       100 /* reported before giving up */
#define CONFIG_MAX_LABELS       128 /* per metric, value labels too */
#define CONFIG_MAX_CONST_LABELS 64  /* per metric */
#define CONFIG_MAX_COND_DEPTH   16  /* conditions nested in all, any, not */

/* Durations, all in milliseconds. */
#define CONFIG_DEFAULT_GRACE_MS      5000 /* keep a rotated file open */
#define CONFIG_DEFAULT_RECONCILE_MS  2000 /* re-check every file this often */
#define CONFIG_DEFAULT_CHECKPOINT_MS 1000 /* save state this often */
/* The shortest reconcile or checkpoint interval: shorter would keep the
 * loop busy re-checking instead of reading. */
#define CONFIG_MIN_INTERVAL_MS 10
/* The longest rotate_grace, reconcile or checkpoint interval (one hour). */
#define CONFIG_MAX_INTERVAL_MS (60 * 60 * 1000)
/* expire_after: series expire in whole seconds (registry), so at least one
 * second, and at most 31 days. */
#define CONFIG_MIN_EXPIRE_MS 1000
#define CONFIG_MAX_EXPIRE_MS (31 * 24 * 60 * 60 * 1000ULL)

/* How long the saved series of a metric no longer configured are kept:
 * 30 days by default, at most ten years. */
#define CONFIG_DEFAULT_KEEP_REMOVED_MS (30 * 24 * 60 * 60 * 1000ULL)
#define CONFIG_MAX_KEEP_REMOVED_MS     (3650 * 24 * 60 * 60 * 1000ULL)

/* The usage ledger's retention (usage: retention, hourly_retention). */
#define CONFIG_DAY_MS                     (24 * 60 * 60 * 1000ULL)
#define CONFIG_DEFAULT_USAGE_RETENTION_MS (400 * CONFIG_DAY_MS) /* days */
#define CONFIG_DEFAULT_USAGE_HOURLY_MS    (8 * CONFIG_DAY_MS)   /* hours */
#define CONFIG_MIN_USAGE_RETENTION_MS     CONFIG_DAY_MS /* a day at least */
#define CONFIG_MAX_USAGE_RETENTION_MS     (36600 * CONFIG_DAY_MS) /* 100 y */
#define CONFIG_DEFAULT_USAGE_ZONE         "UTC"

#define CONFIG_DEFAULT_STATE_FILE "/var/lib/tokentail/tokentail.db"
/* The configuration's file name where it is looked for by default. */
#define CONFIG_FILE_NAME "exporter.yaml"

/*
 * Each enum the file names has one name table (config_names.c, or the
 * owning module's: metric_type in registry.h, envelope_kind in
 * envelope.h); its name and parse functions serve the loader, its
 * messages and anyone who prints a setting.
 */

/* Where a file present at start-up is first read from. */
enum start_at { START_AT_END, START_AT_BEGINNING };
#define START_AT_COUNT (START_AT_BEGINNING + 1)

/* "end" or "beginning". */
const char *config_start_at_name(enum start_at s);

/* The start_at named s; -1 when there is none of that name. */
int config_start_at_parse(const char *s);

enum parser_kind {
    PARSER_JSON,   /* one JSON object per line; fields by dotted path */
    PARSER_REGEX,  /* PCRE2 named groups; fields by group name */
    PARSER_LOGFMT, /* key=value pairs; fields by key */
};
#define PARSER_KIND_COUNT (PARSER_LOGFMT + 1)

/* "json", "regex" or "logfmt". */
const char *config_parser_name(enum parser_kind k);

/* The parser kind named s; -1 when there is none of that name. */
int config_parser_parse(const char *s);

/*
 * What the JSON parser makes of NaN, Infinity and -Infinity: not JSON, but
 * Python's json.dumps writes them. reject: the line is not_json (RFC 8259);
 * missing: the line is kept and those values read as missing.
 */
enum json_non_finite { JSON_NON_FINITE_REJECT, JSON_NON_FINITE_MISSING };
#define JSON_NON_FINITE_COUNT (JSON_NON_FINITE_MISSING + 1)

/* "reject" or "missing". */
const char *config_non_finite_name(enum json_non_finite n);

/* The setting named s; -1 when there is none of that name. */
int config_non_finite_parse(const char *s);

struct cfg_parser {
    enum parser_kind kind;
    const char *pattern;             /* PARSER_REGEX */
    enum json_non_finite non_finite; /* PARSER_JSON */
};

/*
 * A field path as written ("usage.prompt_tokens"), split at the dots. In
 * JSON a part that is a whole number also names an array element: "0" the
 * first, "-1" the last, back to -CONFIG_MAX_FROM_END.
 */
#define CONFIG_MAX_FROM_END 16 /* elements a part counts back from the end */

struct cfg_field {
    const char *path;
    const char *const *parts;
    const uint32_t *part_lens;
    uint32_t n_parts;
};

/*
 * An input's event time: the field that says when each line happened,
 * and how it is written (config_time.c loads it).
 */
struct cfg_time {
    int field;          /* index into config.fields */
    const char *format; /* as written; "auto" when not */
    struct timefmt fmt; /* compiled; its zone belongs to the config */
};

struct cfg_input {
    const char *name;
    const char *const *paths; /* globs */
    size_t n_paths;
    enum start_at start_at;     /* for files present at start-up */
    struct cfg_parser *parsers; /* tried in order; the first that fits wins */
    size_t n_parsers;
    enum envelope_kind envelope;
    size_t max_line_bytes;
    uint64_t rotate_grace_ms; /* keep a rotated file open this long */
    uint64_t reconcile_ms;    /* re-check every file this often */
    struct cfg_time *time;    /* NULL: lines happen when they are read */
};

enum cond_op {
    COND_EQUALS,  /* the field's text equals values[0] */
    COND_IN,      /* ... equals one of values[] */
    COND_EXISTS,  /* the field is present (and not null) */
    COND_ABSENT,  /* the field is missing or null */
    COND_GT,      /* the field is a number > number */
    COND_GE,      /* ... >= number */
    COND_LT,      /* ... < number */
    COND_LE,      /* ... <= number */
    COND_MATCHES, /* the field's text matches the regular expression */
    COND_ALL,     /* every sub-condition holds */
    COND_ANY,     /* at least one sub-condition holds */
    COND_NOT,     /* subs[0] does not hold */
};

struct cfg_cond {
    enum cond_op op;
    int field; /* index into config.fields; -1 for ALL/ANY/NOT */
    const char *const *values;
    const uint32_t *value_lens;
    size_t n_values;
    num_fixed number;    /* COND_GT ... COND_LE */
    const char *pattern; /* COND_MATCHES */
    struct cfg_cond *subs;
    size_t n_subs;
};

/*
 * How a field's text becomes a label value, applied in this order: regex,
 * lower, map, status_class, mask, hash. Any step may drop the update (no
 * match, not in the map, not a status code), unless otherwise gives the
 * value for a text a step refuses.
 */
struct cfg_transform {
    const char *regex; /* keep the first capture group (else the match) */
    bool lower;        /* ASCII lower case */
    const char *const *map_from, *const *map_to; /* text -> replacement */
    const uint32_t *map_from_len, *map_to_len;
    size_t n_map;
    const char *unmapped; /* for texts not in the map; NULL: drop */
    uint32_t unmapped_len;
    bool status_class;     /* "404" -> "4xx" */
    bool mask;             /* API keys: abcd...wxyz, short_key, unknown */
    bool hash;             /* the first 16 hex digits of SHA-256 */
    const char *otherwise; /* the value when a step refuses; NULL: drop */
    uint32_t otherwise_len;
};

/* A label value chosen by a condition. */
struct cfg_case {
    struct cfg_cond when;
    const char *value;
    uint32_t value_len;
};

struct cfg_label {
    const char *name;
    int field; /* index into config.fields; -1: a constant or cases */
    struct cfg_case *cases; /* the first that holds gives the value */
    size_t n_cases;
    const char *value; /* the constant, or the default for a missing field */
    uint32_t value_len;
    bool has_value;
    struct cfg_transform tf;
    bool has_tf;
};

/* How a value's text is read. */
enum value_as {
    VALUE_AS_NUMBER,   /* a number, or a text holding one */
    VALUE_AS_DURATION, /* a duration text, "381ms" (duration.h), in seconds */
};
#define VALUE_AS_COUNT (VALUE_AS_DURATION + 1)

/* "number" or "duration". */
const char *config_value_as_name(enum value_as a);

/* The value_as named s; -1 when there is none of that name. */
int config_value_as_parse(const char *s);

/* A value that is the time from one time field to another, in seconds. */
struct cfg_between {
    int from, to;       /* indices into config.fields */
    const char *format; /* as written; "auto" when not */
    struct timefmt fmt; /* compiled; both fields are in it */
};

struct expr;

/* One source of a metric's value: a field, the time between two, or an
 * expression of fields; scaled, with its own labels. */
struct cfg_value {
    int field; /* -1 when between or expr says where the value comes from */
    enum value_as as;
    struct cfg_between *between; /* NULL: the value is the field's */
    const struct expr *expr;     /* an expression of fields (expr.h) */
    const char *expr_text;       /* the expression as written */
    struct num_dec scale;
    bool has_scale;
    const char *regex;        /* take the number from a capture in the text */
    struct cfg_label *labels; /* constants told apart per source */
    size_t n_labels;
    struct cfg_cond *when; /* entries of values: the lines it applies to */
};

/*
 * The kinds of tokens a provider bills at prices of their own. Cached
 * tokens are prompt tokens read from the provider's prompt cache;
 * cache_write tokens are prompt tokens written to it (Anthropic bills
 * those above the prompt price).
 */
enum cost_kind {
    COST_PROMPT,
    COST_COMPLETION,
    COST_EMBEDDING,
    COST_CACHED,
    COST_CACHE_WRITE,
    COST_KINDS
};

/* "prompt", "completion", "embedding", "cached" or "cache_write". */
const char *config_cost_kind_name(enum cost_kind k);

/* The name providers use for k ("input" for prompt), or NULL. */
const char *config_cost_kind_alias(enum cost_kind k);

/* The kind named s, by its name or its alias; -1 when there is none. */
int config_cost_kind_parse(const char *s);

/*
 * A metric's value computed from token counts and the pricing table.
 * The model's text is taken as a label's is: its field (model.field; -1:
 * none, the default price), through the label transforms (model.tf when
 * model.has_tf: regex, lower, map), and looked up in the pricing table.
 * cached_in_prompt: the prompt field counts the cached and cache_write
 * tokens too (OpenAI's usage); otherwise they are apart from it
 * (Anthropic's).
 */
struct cfg_cost {
    struct cfg_label model;
    int tokens[COST_KINDS]; /* fields with token counts; -1: none */
    int prefer;             /* a field holding the cost itself; -1: none */
    bool cached_in_prompt;
};

/*
 * Which models a price entry prices, by the form of its key (cost.h
 * looks them up in this order: an exact name, the longest prefix, the
 * patterns in the order written, the default).
 */
enum price_match {
    PRICE_EXACT,   /* gpt-4o-mini: that model */
    PRICE_PREFIX,  /* gpt-4o*: the models starting with gpt-4o */
    PRICE_PATTERN, /* name: {match: REGEX}: the models REGEX finds a match in */
    PRICE_DEFAULT, /* default: every model no other entry prices */
};

/* A price entry: USD per token (already divided by the table's 1k or 1M). */
struct cfg_price {
    const char *model;  /* the key as written */
    uint32_t model_len; /* bytes compared: the name, or the prefix before "*" */
    enum price_match match;
    const char *pattern; /* PRICE_PATTERN */
    struct num_dec per_token[COST_KINDS];
    bool has[COST_KINDS];
};

struct cfg_metric {
    const char *name;
    const char *help;
    enum metric_type type;
    enum gauge_update update; /* gauges: set (the default), add, max, min */
    struct cfg_label *labels; /* taken from fields, in the order written */
    size_t n_labels;
    struct cfg_label *const_labels; /* same value on every series */
    size_t n_const_labels;
    struct cfg_value *values; /* none: a counter counting matching lines */
    size_t n_values;
    size_t n_value_labels;    /* labels each source adds (the same names) */
    struct cfg_cost *cost;    /* instead of values: the price of the tokens */
    const num_fixed *buckets; /* histograms: increasing bounds, no +Inf */
    size_t n_buckets;
    struct cfg_cond *when; /* NULL: every line */
    const int *inputs;     /* indices into config.inputs; none: all */
    size_t n_inputs;
    size_t max_series;
    uint64_t expire_ms; /* gauges: drop series unchanged this long (0: never) */
};

/*
 * The usage ledger (usage/ledger.h): the counters and histograms whose
 * increase it keeps per day and per hour, the zone whose calendar the
 * days follow, and how long days and hours are kept.
 */
struct cfg_usage {
    const int *metrics; /* indices into config.metrics, each once */
    size_t n_metrics;
    const struct tz *zone;        /* one of config.zones; UTC unless named */
    uint64_t retention_ms;        /* days are kept this long */
    uint64_t hourly_retention_ms; /* hours this long; 0: none */
};

/*
 * A budget (usage/budget.h): a limit on what one usage counter adds, over
 * its series whose labels hold every match, in each calendar period of
 * the usage zone; warnings when it reaches each warn_at fraction.
 */
#define CONFIG_MAX_BUDGETS       256 /* budgets in one file */
#define CONFIG_MAX_BUDGET_WARN   16  /* warn_at fractions of one budget */
#define CONFIG_MAX_BUDGET_NAME   64  /* bytes of a budget's name */
#define CONFIG_DEFAULT_WARN_LOW  "0.8"
#define CONFIG_DEFAULT_WARN_HIGH "1.0"

struct cfg_budget_match {
    const char *label;
    const char *value;
};

struct cfg_budget {
    const char *name;
    int metric; /* index into config.metrics: a counter in usage.metrics */
    const struct cfg_budget_match *match; /* in the order written */
    size_t n_match;
    enum period_kind period;  /* hour, day, week or month */
    bool unlimited;           /* limit: unlimited: used, no limit */
    num_fixed limit;          /* > 0 unless unlimited */
    const num_fixed *warn_at; /* ascending, each > 0; none when unlimited */
    size_t n_warn;
};

/* A time zone the configuration loaded, freed with it. */
struct cfg_zone {
    struct tz *tz;
    struct cfg_zone *next;
};

struct cfg_alerting; /* notify/config_alerting.h */
struct cfg_push;     /* push/config_remote_write.h */
struct cfg_rules;    /* rules/config_rules.h */

struct config {
    struct arena arena;
    const char *file;
    const char *state_file; /* NULL: not set, the daemon picks; "": none */
    uint64_t checkpoint_ms;
    uint64_t keep_removed_ms; /* series of metrics no longer configured */
    size_t max_series;        /* over all metrics */
    struct cfg_input *inputs;
    size_t n_inputs;
    struct cfg_metric *metrics;
    size_t n_metrics;
    struct cfg_field *fields;
    size_t n_fields;
    struct cfg_price *prices;
    size_t n_prices;
    int default_price;          /* index of the "default" entry, or -1 */
    struct cfg_zone *zones;     /* every zone named, each once */
    struct cfg_usage *usage;    /* NULL: no usage section, no ledger */
    struct cfg_budget *budgets; /* a budget's metric is always in usage */
    size_t n_budgets;
    const struct cfg_alerting *alerting; /* never NULL: defaults if absent */
    const struct cfg_push *push; /* never NULL: remote_write, external_labels */
    struct cfg_rules *rules;     /* NULL: no rule_files */
    size_t max_rule_samples;     /* the rules' sample history, at most */
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

/* Finds a metric by name; -1 when absent. */
int config_metric_index(const struct config *cfg, const char *name);

void config_free(struct config *cfg);

/*
 * The names of m's labels in the order its family has them: the labels as
 * written, then the labels its value sources add. Stores at most
 * CONFIG_MAX_LABELS of them in names (borrowed from the configuration)
 * and returns how many m has, which exceeds CONFIG_MAX_LABELS only for a
 * metric the loader refuses. A label the loader refused has a NULL name.
 */
size_t config_metric_label_names(const struct cfg_metric *m,
                                 const char *names[CONFIG_MAX_LABELS]);

/*
 * The signature of what m's saved series depend on (registry_signature of
 * its type, label names and buckets): the same as the family built for m
 * has. Written to sig (cap bytes, NUL-terminated); returns its length, or
 * 0 when it does not fit.
 */
size_t config_metric_signature(const struct cfg_metric *m, char *sig,
                               size_t cap);

/*
 * Swapping configurations. Runtime objects know a definition by its
 * identity: an input by its name (the state keeps file positions under
 * it), a metric by its name and signature (the state keeps series under
 * them). A reload (core.h) builds everything afresh from the new
 * configuration and restores it from the state, so these identities carry
 * what is kept; config_match tells which definitions were added, kept or
 * changed, for the reload's log.
 */
enum config_fate {
    CONFIG_ADDED,   /* no old definition has its name */
    CONFIG_KEPT,    /* the same-named old one is the same where it counts */
    CONFIG_CHANGED, /* the same-named old one differs where it counts */
};

/*
 * What counts: for a metric, its signature (config_metric_signature);
 * for an input, what it reads and how: paths, parsers, envelope,
 * max_line_bytes, start_at, rotate_grace and reconcile_interval.
 */
struct config_pair {
    enum config_fate fate;
    int old; /* the same-named old definition's index; -1 when ADDED */
};

struct config_match {
    struct config_pair *metrics; /* one per new metric, in its order */
    size_t n_metrics;
    struct config_pair *inputs; /* one per new input, in its order */
    size_t n_inputs;
    int *gone_metrics; /* indices of the old metrics no new one names */
    size_t n_gone_metrics;
    int *gone_inputs; /* indices of the old inputs no new one names */
    size_t n_gone_inputs;
};

/*
 * Matches the definitions of next with those of old, by name, without
 * changing either (both borrowed). Stores the answer in *out (caller
 * frees with config_match_free). Returns 0 or -ENOMEM.
 */
int config_match(const struct config *old, const struct config *next,
                 struct config_match **out);

/* Frees the whole answer at once; NULL is a no-op. */
void config_match_free(struct config_match *m);

/* Whether two optional strings (NULL: not set) say the same. */
bool config_same_text(const char *a, const char *b);

#endif
