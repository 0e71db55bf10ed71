/*
 * What the rule engine's files share (engine.c, engine_metrics.c,
 * engine_http.c): the engine's structs. Not part of its interface.
 */
#ifndef TOKENTAIL_RULES_ENGINE_PRIVATE_H
#define TOKENTAIL_RULES_ENGINE_PRIVATE_H

#include "engine.h"

#define ENGINE_SEND_MIN  8     /* room for alerts handed over, at first */
#define ENGINE_IDLE_MS   60000 /* the next look without any group (ms) */
#define ENGINE_NAMES_MAX 256   /* metric names listed; more: keep all */

struct engine_rule {
    struct alert_rule ar;
    char *generator_url;
    char last_error[PROMQL_ERR_MAX]; /* "": the last evaluation went well */
    int64_t last_eval_ms;
    uint64_t last_us;
};

struct engine_group {
    const struct rule_group *group; /* borrowed from the configuration */
    const char *file;               /* borrowed from the configuration */
    int64_t interval_ms, next_ms, last_eval_ms;
    uint64_t last_us, evaluations, failures;
    struct engine_rule *rules;
    size_t n_rules;
};

struct engine {
    struct engine_options opts; /* external_url owned */
    struct engine_group *groups;
    size_t n_groups;
    struct history *history;
    struct engine_sink sink;
    engine_sample_fn sample;
    void *sample_ctx;
    int64_t last_sample_ms;
    int last_sample_rc;
    bool changed; /* evaluated since the last save */
    /* The metric names the rules select (borrowed from their
     * expressions), or any_name when one selector may read any. */
    const char *names[ENGINE_NAMES_MAX];
    size_t n_names;
    bool any_name;
    uint64_t sample_us; /* how long the last round of samples took */
};

#endif
