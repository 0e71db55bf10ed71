/*
 * The ledger's insides, for its own files only: ledger.c (the cells and
 * the hot path), ledger_store.c (the tables), ledger_query.c (the
 * queries) and their unit tests. Every other module asks through
 * ledger.h.
 *
 * The stored rows: a (series, period) row is kept with up to
 * LEDGER_CHUNK - 1 neighbours in one record (ledger_chunk.h), as the
 * registry keeps its series, because SQLite writes one record of many
 * rows far faster than many records: a checkpoint rewrites only the
 * records holding a changed row.
 */
#ifndef TOKENTAIL_LEDGER_PRIVATE_H
#define TOKENTAIL_LEDGER_PRIVATE_H

#include <sqlite3.h>

#include "buf.h"
#include "ledger.h"
#include "ledger_chunk.h"
#include "ledger_names.h"

/* Where a grain's rows are stored: its table, and the column that names
 * their periods. */
struct ledger_table {
    const char *table, *period;
};

extern const struct ledger_table ledger_tables[LEDGER_GRAIN_COUNT];

/* A period of no grain: an update too old to keep. */
#define LEDGER_NONE LEDGER_GRAIN_COUNT

/* Cells: what was added to one series in one period since the last save. */
struct ledger_cell {
    num_fixed sum;
    const struct series *se; /* NULL: a free place */
    int64_t period;          /* day number or hour start */
    uint64_t count;
    uint32_t metric; /* the usage metric's index */
    uint8_t grain;   /* enum ledger_grain */
};

/* One usage metric as the ledger keeps it. */
struct ledger_metric {
    const struct cfg_metric *cfg;
    const char **labels; /* its label names, borrowed from cfg */
    size_t n_labels;
    char *labels_text;         /* "model,status": as ledger_metrics.labels */
    int64_t id;                /* its ledger_metrics row; 0: not stored yet */
    struct ledger_names names; /* its series' numbers */
    uint64_t heard;            /* updates observed: ledger_heard() */
};

/* The period the last update fell in, [lo, hi) in num_fixed seconds. */
struct ledger_spot {
    num_fixed lo, hi;
    int64_t period;
    uint8_t grain; /* LEDGER_NONE: too old */
};

struct ledger_db; /* ledger_store.c: the statements on the database */

struct ledger {
    const struct config *cfg;
    const struct cfg_usage *usage;
    struct ledger_metric *metrics;
    size_t n_metrics;

    struct ledger_cell *cells; /* open addressing, power-of-two size */
    size_t cap;
    uint32_t *used; /* the places of the cells held, in no order */
    size_t n_used;
    struct ledger_spot spot;
    int64_t first_day;  /* days before it are too old */
    int64_t first_hour; /* hours starting before it are kept as days */

    struct ledger_db *db; /* NULL until attached or opened */
    struct ledger_stats stats;
};

/* Sets first_day and first_hour for the wall clock's now (UTC seconds),
 * and forgets the spot. */
void ledger_cut(struct ledger *l, int64_t now);

/* The stored key of a series: its label values, or LEDGER_OVERFLOW_KEY;
 * and the key's registry_hash. */
void ledger_series_key(const struct series *se, const void **key, size_t *len,
                       uint64_t *hash);

/* Empties the cells after a save committed, keeping room for as many. */
void ledger_cells_clear(struct ledger *l);

/* The database the ledger reads, or NULL. */
sqlite3 *ledger_store_db(const struct ledger *l);

/* Frees the ledger's hold on its database (closing its own). */
void ledger_store_close(struct ledger *l);

#endif
