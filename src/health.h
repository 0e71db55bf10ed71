/*
 * The /health document: whether tokentail is healthy, and what it follows.
 *
 *   {"status":"healthy"|"degraded","version":...,"uptime_seconds":...,
 *    "config":{"file":...,"sha256":...,"loaded_at":...,...},
 *    "state":{"file":...,"last_checkpoint":...,"error":...},
 *    "inputs":[{"name":...,"paths":[...],"unmatched":[...],"lag":...,
 *               "files":[...],"errors":[...]}]}
 *
 * Degraded means something persists that an operator must fix: the state
 * cannot be used (or the last checkpoint failed), or a path exists that
 * an input cannot follow. A path that does not exist yet is not an error:
 * a glob that leads to no file is listed under "unmatched", healthy.
 * Everything is read through the inputs' accessors and the figures handed
 * in; nothing is kept between documents.
 */
#ifndef TOKENTAIL_HEALTH_H
#define TOKENTAIL_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "config_status.h"
#include "input.h"
#include "state.h"

/* What the document is made from; every pointer borrowed for the call. */
struct health_sources {
    const struct config *cfg;    /* the paths configured for each input */
    struct input *const *inputs; /* cfg->inputs[i] made inputs[i] */
    size_t n_inputs;
    const struct state_stats *state;
    const char *state_path;  /* "" without durable state */
    const char *state_error; /* why there is none, or the last failure;
                                "" when neither */
    uint64_t uptime_ms;
    const struct config_status *config; /* NULL: no "config" section */
};

/* Appends the document and a newline to out; returns true when healthy. */
bool health_write(const struct health_sources *src, struct buf *out);

#endif
