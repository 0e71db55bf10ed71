/*
 * The durable state: one SQLite database in WAL mode.
 *
 * A checkpoint writes, in one transaction, every series changed since the
 * previous one and where every file stands (its identity and its mark, see
 * tailer.h). Because the values and the offsets are committed together,
 * they always agree: after a restart, even after kill -9 at any moment,
 * the values continue from the last checkpoint and the lines after it are
 * read again, so each line is counted exactly once. A transaction either
 * commits whole or not at all, so a crash during a checkpoint only means
 * the previous one is used.
 *
 * A database that is empty, corrupt or written by a newer tokentail never
 * stops start-up: it is renamed aside (path.bad-<time>) and a fresh one is
 * created; the reason is reported for a self-metric. Saved series of a
 * metric that is no longer configured, or whose type, label names or
 * buckets changed, are dropped.
 */
#ifndef TOKENTAIL_STATE_H
#define TOKENTAIL_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "input.h"
#include "log.h"
#include "registry_private.h"

#define STATE_SCHEMA_VERSION 2
#define STATE_RECORD_TTL_S   (7 * 24 * 3600) /* forget files unseen this long */

struct state;

/* Why a database was set aside at start-up. */
enum state_recovery {
    STATE_RECOVERY_NONE,
    STATE_RECOVERY_EMPTY,   /* a zero-length file */
    STATE_RECOVERY_CORRUPT, /* not a database, or failing its check */
    STATE_RECOVERY_FUTURE,  /* written by a newer schema version */
    STATE_RECOVERY_COUNT
};

const char *state_recovery_name(enum state_recovery r);

/* What tokentail's own metrics and /health say about the durable state. */
struct state_stats {
    uint64_t checkpoints; /* written */
    uint64_t errors;      /* failed, and retried */
    uint64_t last_us;     /* duration of the last checkpoint written */
    time_t last_time;     /* when it was written; 0: never */
    uint64_t recoveries[STATE_RECOVERY_COUNT]; /* files set aside, by why */
    struct log_limit log_limit;                /* "checkpoint failed" */
};

/*
 * Opens (or creates) the database at path. A bad file is set aside and
 * *why says why (STATE_RECOVERY_NONE otherwise). Returns 0, or -errno when
 * no database can be used at that path (its directory is missing or not
 * writable); *err then holds SQLite's or the system's message.
 */
int state_open(const char *path, struct state **out, enum state_recovery *why,
               const char **err);

/*
 * Loads the saved series of every configured family of reg (skipping
 * tokentail's own) and drops those that no longer match. Returns 0 or a
 * negative error.
 */
int state_restore_series(struct state *s, struct registry *reg);

/*
 * Gives each input the records of its files and tells it whether the
 * state knew it (then files it has not seen are read from their start).
 */
int state_restore_inputs(struct state *s, struct input *const *inputs,
                         size_t n);

/*
 * Writes a checkpoint if anything changed. *series tells how many series
 * it wrote, *wrote whether it wrote one at all. Returns 0 or a negative
 * error (the transaction is rolled back and everything stays to be
 * written next time).
 */
int state_checkpoint(struct state *s, struct registry *reg,
                     struct input *const *inputs, size_t n, bool *wrote,
                     size_t *series);

/* SQLite's message for the last failure. */
const char *state_error(const struct state *s);

/* Closes the database; NULL is a no-op. */
void state_close(struct state *s);

#endif
