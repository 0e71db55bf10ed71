/*
 * The rules' history in the durable state: the rule engine's participant
 * (engine_store.h) calls these inside its checkpoint transaction. Each
 * save writes only what changed since the last one committed — the
 * series not saved yet, the samples taken since, the series forgotten —
 * and lets go of the samples that left the window, so a checkpoint costs
 * one row a series a round, not the whole window again.
 *
 * Two tables: rule_series (id, key, labels) and rule_samples (id, t, v),
 * with an index on t for letting go of the old samples.
 *
 * struct history_store holds prepared statements; history_store_free()
 * finalizes them (NULL is a no-op). The state and the history are
 * borrowed for each call. Functions return 0 or -errno (SQLite's message
 * recorded in the state).
 */
#ifndef TOKENTAIL_RULES_HISTORY_STORE_H
#define TOKENTAIL_RULES_HISTORY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "state.h"

struct history_store;

int history_store_new(struct history_store **out);
void history_store_free(struct history_store *hs);

/* Creates the tables when absent. */
int history_store_prepare(struct state *s);

/* Reads the series and samples back into h, keeping what the window from
 * now_ms holds. */
int history_store_restore(struct history_store *hs, struct state *s,
                          struct history *h, int64_t now_ms);

/* Writes what changed in h, adding the rows written to *written; call
 * history_saved(h) once the transaction commits. */
int history_store_save(struct history_store *hs, struct state *s,
                       struct history *h, size_t *written);

#endif
