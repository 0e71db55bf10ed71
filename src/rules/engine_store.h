/*
 * The rule engine's durable part, kept with the checkpoints (state.h):
 * every alert's state — active since, fired at, resolved at, kept firing
 * since, last sent, value, labels and annotations — and the sample
 * history the rules read, so that a restart, even after kill -9, neither
 * restarts a `for` timer nor sends a resolved-then-firing flap, and the
 * rates over the window go on from the samples already taken.
 *
 * rule_alerts, written whole at each checkpoint that follows an
 * evaluation: one row per alert, found again by group name, rule position
 * and alert name; an alert whose rule is gone is let go at restore. The
 * history's tables, rule_series and rule_samples, are written as they
 * grow (history_store.h).
 */
#ifndef TOKENTAIL_RULES_ENGINE_STORE_H
#define TOKENTAIL_RULES_ENGINE_STORE_H

#include <stdint.h>

#include "engine.h"
#include "state.h"

/*
 * Makes e (borrowed: it must outlive s's use of it) the STATE_PART_RULES
 * participant of s (borrowed); now_ms() gives the wall clock at restore,
 * which decides what of the history is still inside the window. Call
 * before state_restore. Returns 0 or -errno.
 */
int engine_store_join(struct state *s, struct engine *e,
                      int64_t (*now_ms)(void));

#endif
