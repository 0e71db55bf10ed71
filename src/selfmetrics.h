/*
 * tokentail's own metrics: what it read, what it skipped and why, what it
 * follows, how its HTTP endpoints answered, and the usual process_*
 * figures.
 *
 * The counters themselves live where the work happens (pipeline, inputs,
 * http) as plain integers; this module owns the tokentail_ families in the
 * registry and copies the current figures into them just before each
 * exposition. Their label sets are bounded by the configuration (inputs,
 * metrics, fixed reasons), never by log content.
 */
#ifndef TOKENTAIL_SELFMETRICS_H
#define TOKENTAIL_SELFMETRICS_H

#include <stddef.h>
#include <time.h>

#include "http.h"
#include "input.h"
#include "pipeline.h"
#include "registry.h"
#include "state.h"
#include "watch.h"

struct selfmetrics;

/* What the figures are read from; every pointer borrowed, any may be NULL. */
struct self_sources {
    const struct pipeline *pipe;
    struct input *const *inputs;
    size_t n_inputs;
    const struct watch *watch;
    const struct http *http;
    const struct state_stats *state;
};

/* Adds the tokentail_ and process_ families to reg (borrowed). */
int selfmetrics_new(struct registry *reg, const struct config *cfg,
                    struct selfmetrics **out);

void selfmetrics_free(struct selfmetrics *sm);

/* Records how long a checkpoint took, in microseconds. */
void selfmetrics_observe_checkpoint(struct selfmetrics *sm, uint64_t us);

/* Refreshes every self-metric from src. */
void selfmetrics_collect(struct selfmetrics *sm,
                         const struct self_sources *src);

#endif
