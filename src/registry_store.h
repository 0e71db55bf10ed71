/*
 * The registry's part of the durable state (state.h): the values of every
 * configured family, tokentail's own left out.
 *
 * Two tables: families holds each saved metric's signature (its type,
 * label names and buckets: registry_signature), chunks its series, 64 to
 * a row in the order they were created, so a checkpoint rewrites only the
 * rows holding a changed series. At start-up, saved series come back into
 * the families of the same name and signature; those of a metric no
 * longer configured, or whose signature changed, are dropped (and said
 * so in the log). Series that no longer fit their saved places (a lower
 * max_series, an expiry) are saved anew.
 */
#ifndef TOKENTAIL_REGISTRY_STORE_H
#define TOKENTAIL_REGISTRY_STORE_H

#include "registry.h"
#include "state.h"

/*
 * Makes reg (borrowed: it must outlive s) the state's STATE_PART_SERIES
 * participant. Returns 0 or -errno.
 */
int registry_store_join(struct state *s, struct registry *reg);

#endif
