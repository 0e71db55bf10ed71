/*
 * The durable state: one SQLite database in WAL mode, and the checkpoints
 * that write it.
 *
 * Modules that keep durable data take part as participants: each owns its
 * tables, creates or converts them when the state is restored, reads them
 * back then, and at each checkpoint writes what it changed since the
 * previous one. A checkpoint is one transaction for all of them, so the
 * series values (registry_store.h), where every file stands
 * (input_store.h) and the usage ledger (usage/ledger.h) always agree: after a
 * restart, even after kill -9 at any moment, the values continue from the last
 * checkpoint and the lines after it are read again, so each line is counted
 * exactly once. A transaction commits whole or not at all, so a crash during a
 * checkpoint only means the previous one is used.
 *
 * The state owns the database, the transaction, the schema version and
 * the order in which participants restore; it knows nothing of what they
 * save.
 *
 * A database that is empty, corrupt or written by a newer tokentail never
 * stops start-up: it is renamed aside (path.bad-<time>) and a fresh one is
 * created; the reason is counted for a self-metric. Without a usable file
 * tokentail runs on, keeping nothing: restoring and checkpoints do
 * nothing, state_error() says why, and the statistics can still be read.
 */
#ifndef TOKENTAIL_STATE_H
#define TOKENTAIL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * The schema version, kept in the file's user_version. Each participant
 * converts its own tables from the version the file had.
 *   1  families (signatures), series (one row per series), inputs, files.
 *   2  series saved 64 to a row by creation order (chunks); schema 1's
 *      series table is converted at the first start.
 *   3  files: per container stream, up to where its lines were delivered
 *      (done_stdout, done_stderr, done_none), so a restart joins an
 *      unfinished line again from its first piece, and the envelope the
 *      file's first line decided; older rows get 0 (nothing delivered
 *      past the offset, as they meant) and 'auto'.
 * Tables added without a new version, because a release that does not
 * know them leaves them alone: removed and series_created
 * (registry_store.c), the usage ledger's ledger_* tables
 * (usage/ledger_store.c), budget_warnings (usage/budget_store.c), and
 * rule_alerts, rule_series and rule_samples (rules/engine_store.c,
 * rules/history_store.c).
 */
#define STATE_SCHEMA_VERSION 3

struct state;
struct sqlite3;
struct sqlite3_stmt;

/* The participants, in the order they restore. */
enum state_part {
    STATE_PART_SERIES,    /* the registry's values: registry_store.h */
    STATE_PART_POSITIONS, /* where every file stands: input_store.h */
    STATE_PART_LEDGER,    /* usage per day and hour: usage/ledger.h */
    STATE_PART_BUDGETS,   /* budget warnings given: usage/budget_store.h */
    STATE_PART_RULES,     /* alerts and sample history: rules/engine_store.h */
    STATE_PART_COUNT
};

/*
 * What a module does to take part: a table of callbacks, one per module,
 * each given back the ctx the module joined with. Every callback returns
 * 0 or -errno: state_fail() records SQLite's message; for another failure
 * the state says which participant failed doing what. They run inside the
 * state's transaction: a participant never begins or ends one.
 */
struct state_participant {
    const char *name; /* what it keeps, for messages: "series" */
    /* Creates its tables, or converts them from version: the file's
     * schema version before this start, 0 for a new file. */
    int (*prepare)(void *ctx, struct state *s, int version);
    /* Reads back what it saved. */
    int (*restore)(void *ctx, struct state *s);
    /* Whether it has anything to write. */
    bool (*changed)(void *ctx);
    /* Writes what changed, adding to *written how many items (series,
     * files) it wrote. Called only when changed() said so. */
    int (*save)(void *ctx, struct state *s, size_t *written);
    /* The checkpoint committed: what save() wrote is clean. Not called
     * when the transaction was rolled back, so it is all written again. */
    void (*committed)(void *ctx);
    /* Frees ctx; state_close() calls it before the database closes, so it
     * can finalize its statements. NULL: nothing to free. */
    void (*free)(void *ctx);
};

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
    uint64_t last_written[STATE_PART_COUNT];   /* what each part wrote then */
    uint64_t recoveries[STATE_RECOVERY_COUNT]; /* files set aside, by why */
};

/*
 * The state file to use: flag (the command line's) when given; else none
 * ("") in one-pass mode (follow false); else configured (the
 * configuration's); else the default, the first of: systemd's
 * $STATE_DIRECTORY with fallback's file name; fallback itself, whose
 * directory is made if its parent allows, when this user can write there;
 * the same name in $XDG_STATE_HOME/tokentail, else in
 * ~/.local/state/tokentail (made as needed), when one can be written;
 * else none (""). A default other than fallback is logged, with how to
 * choose another. Every argument is borrowed and may be NULL but
 * fallback. Caller frees; NULL on -ENOMEM.
 */
char *state_choose_path(const char *flag, const char *configured, bool follow,
                        const char *fallback);

/*
 * Opens (or creates) the database at path (borrowed; "" for none),
 * setting a bad file aside. A file that cannot be used is logged, kept in
 * state_error() and leaves a state without a database: it is not a
 * failure. Returns 0, or -ENOMEM.
 */
int state_open(const char *path, struct state **out);

/*
 * Like state_open, but when path is "" or its file cannot be used and
 * name (borrowed, unique to the process) is not NULL, with a database in
 * memory instead: it lasts while one state holds it open, and every state
 * opened with the same name shares it. A configuration reload hands the
 * values and positions over through it when there is no usable file;
 * state_file() and state_error() still say which file and why it is not
 * used, and its checkpoints are not counted. Returns 0, or -ENOMEM.
 */
int state_open_handover(const char *path, const char *name, struct state **out);

/*
 * Makes p, with ctx, the participant for part. p is borrowed (a static
 * table: it must outlive s); ctx is taken, freed with p->free at
 * state_close(), or at once when joining fails. Returns 0, or -EINVAL for
 * a part out of range or already taken.
 */
int state_join(struct state *s, enum state_part part,
               const struct state_participant *p, void *ctx);

/*
 * Prepares then restores every participant, in the order of enum
 * state_part, and records STATE_SCHEMA_VERSION, all in one transaction.
 * A failure is logged and kept in state_error(); the tables are still
 * made, so checkpoints can go on. Returns 0 or -errno.
 */
int state_restore(struct state *s);

/*
 * Writes a checkpoint if any participant changed anything: one
 * transaction, rolled back on any failure (logged, rate limited, and all
 * of it written again next time). Returns 1 when one was written to a
 * file, 0 when there was nothing to write, no database or one in memory
 * (which the statistics do not count), or -errno.
 */
int state_checkpoint(struct state *s);

void state_get_stats(const struct state *s, struct state_stats *out);

/* The file's path as given to state_open ("" for none); borrowed. */
const char *state_file(const struct state *s);

/* Why there is no database, or the last failure until a checkpoint
 * succeeds; "" when all is well. Borrowed. */
const char *state_error(const struct state *s);

/* Closes the database after freeing the participants; NULL is a no-op. */
void state_close(struct state *s);

/* --- for participants ---------------------------------------------------- */

/* The database, to prepare statements on; borrowed. */
struct sqlite3 *state_db(struct state *s);

/* Records "what: SQLite's last message" as the state's error; returns
 * -EIO. */
int state_fail(struct state *s, const char *what);

/*
 * Prepares sql into *st, unless *st already holds a statement: a
 * participant's statements can outlive one prepare() call. Returns 0, or
 * -EIO with SQLite's message recorded.
 */
int state_prepare(struct state *s, struct sqlite3_stmt **st, const char *sql);

/* Runs sql (statements without results); returns 0, or -EIO with
 * SQLite's message recorded. */
int state_exec(struct state *s, const char *sql);

#endif
