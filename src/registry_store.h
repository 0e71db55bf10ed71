/*
 * The registry's part of the durable state (state.h): the values of every
 * configured family, tokentail's own left out.
 *
 * Two tables: families holds each saved metric's signature (its type,
 * label names and buckets: registry_signature), chunks its series, 64 to
 * a row in the order they were created, so a checkpoint rewrites only the
 * rows holding a changed series. At start-up, saved series come back into
 * the families of the same name and signature; those whose signature
 * changed are dropped, and the log says what changed. Those of a metric
 * no longer configured are kept for a while (a third table, removed,
 * records since when), so that going back to the previous configuration
 * loses nothing, then dropped; the log says which. Series that no longer
 * fit their saved places (a lower max_series, an expiry) are saved anew.
 */
#ifndef TOKENTAIL_REGISTRY_STORE_H
#define TOKENTAIL_REGISTRY_STORE_H

#include <stdint.h>

#include "registry.h"
#include "state.h"

/*
 * Makes reg (borrowed: it must outlive s) the state's STATE_PART_SERIES
 * participant. The series of a metric no longer configured are kept for
 * keep_removed_ms (whole seconds count) from the first start without it,
 * checked at each start; 0 drops them at once. Returns 0 or -errno.
 */
int registry_store_join(struct state *s, struct registry *reg,
                        uint64_t keep_removed_ms);

#endif
