/*
 * The ledger's tables, in the state file (as its participant, state.h),
 * in an in-memory database of its own, or read only from a file.
 *
 *   ledger_metrics   one row per metric name, type and label names
 *                    ("model,status"): a series' labels are read with
 *                    the names its metric had when it was stored
 *   ledger_series    (metric, chunk): the keys of series chunk *
 *                    LEDGER_CHUNK on (ledger_names.h), a key being the
 *                    label values, each ended by a NUL, or
 *                    LEDGER_OVERFLOW_KEY
 *   ledger_days      (metric, day, chunk): the rows of series
 *                    chunk * LEDGER_CHUNK on, in that day (ledger_chunk.h)
 *   ledger_hours     (metric, start, chunk): the same per hour
 *   ledger_settings  the zone the days were last counted in
 *
 * A save numbers the series it has not seen stored (reading a metric's
 * numbers once), writes the records of new numbers, turns the cells into
 * updates sorted by record, reads each record touched, adds the updates
 * to its rows and writes it back; then drops the records of periods past
 * retention. Tables of their own, not a new
 * schema version: a release that does not know them leaves them alone.
 */
#include "ledger_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_batch.h"
#include "log.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS ledger_metrics ("
    " id INTEGER PRIMARY KEY, metric TEXT NOT NULL, type TEXT NOT NULL,"
    " labels TEXT NOT NULL, UNIQUE (metric, type, labels));"
    "CREATE TABLE IF NOT EXISTS ledger_series ("
    " metric INTEGER NOT NULL, chunk INTEGER NOT NULL, keys BLOB NOT NULL,"
    " PRIMARY KEY (metric, chunk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ledger_days ("
    " metric INTEGER NOT NULL, day INTEGER NOT NULL, chunk INTEGER NOT NULL,"
    " data BLOB NOT NULL, PRIMARY KEY (metric, day, chunk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ledger_hours ("
    " metric INTEGER NOT NULL, start INTEGER NOT NULL,"
    " chunk INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (metric, start, chunk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ledger_settings ("
    " name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

/* The statements a save uses, prepared once: two on the series ... */
enum names_stmt { ST_NAMES_GET, ST_NAMES_PUT, NAMES_STMTS };

static const char *const names_sql[NAMES_STMTS] = {
    [ST_NAMES_GET] = "SELECT chunk, keys FROM ledger_series WHERE metric = "
                     "?1 ORDER BY chunk",
    [ST_NAMES_PUT] = "INSERT OR REPLACE INTO ledger_series VALUES (?1, ?2, "
                     "?3)",
};

/* ... and four on each grain's table: its name and period column fill
 * the %s, in that order. */
enum grain_stmt { ST_GET, ST_PUT, ST_OLD, ST_DROP, GRAIN_STMTS };

static const char *const grain_sql[GRAIN_STMTS] = {
    [ST_GET] = "SELECT data FROM %s WHERE metric = ?1 AND %s = ?2 AND "
               "chunk = ?3",
    [ST_PUT] = "INSERT OR REPLACE INTO %s (metric, %s, chunk, data) "
               "VALUES (?1, ?2, ?3, ?4)",
    [ST_OLD] = "SELECT data FROM %s WHERE metric = ?1 AND %s < ?2",
    [ST_DROP] = "DELETE FROM %s WHERE metric = ?1 AND %s < ?2",
};

const struct ledger_table ledger_tables[LEDGER_GRAIN_COUNT] = {
    [LEDGER_DAYS] = {"ledger_days", "day"},
    [LEDGER_HOURS] = {"ledger_hours", "start"},
};

#define SQL_MAX 160 /* bytes of a statement with its table's names */

struct ledger_db {
    sqlite3 *db;
    bool own;      /* opened here (in memory, or read only): closed here */
    bool readonly; /* ledger_open: nothing is written */
    sqlite3_stmt *names_st[NAMES_STMTS];
    sqlite3_stmt *grain_st[LEDGER_GRAIN_COUNT][GRAIN_STMTS];
    bool in_flight; /* a save not committed: numbers may be rolled back */
    int64_t pruned_day, pruned_hour; /* the cuts the last prune applied */
    int64_t pending_day, pending_hour;
    uint64_t pending_dropped[LEDGER_GRAIN_COUNT];
    size_t pending_written;
    struct ledger_batch batch; /* the save's updates */
    struct buf blob;
    struct log_limit bad_log; /* "a record is damaged" */
};

sqlite3 *ledger_store_db(const struct ledger *l)
{
    return l->db != NULL ? l->db->db : NULL;
}

static int fail(struct ledger_db *d, const char *what)
{
    log_limited(&d->bad_log, LOG_ERROR, "usage ledger: %s: %s", what,
                sqlite3_errmsg(d->db));
    return -EIO;
}

static sqlite3_stmt *prepared(struct ledger_db *d, sqlite3_stmt **st,
                              const char *sql)
{
    if (*st == NULL &&
        sqlite3_prepare_v2(d->db, sql, -1, st, NULL) != SQLITE_OK)
        return NULL;
    return *st;
}

static sqlite3_stmt *names_stmt(struct ledger_db *d, enum names_stmt s)
{
    return prepared(d, &d->names_st[s], names_sql[s]);
}

static sqlite3_stmt *grain_stmt(struct ledger_db *d, enum grain_stmt s,
                                uint8_t grain)
{
    char sql[SQL_MAX];
    if (d->grain_st[grain][s] != NULL)
        return d->grain_st[grain][s];
    snprintf(sql, sizeof(sql), grain_sql[s], ledger_tables[grain].table,
             ledger_tables[grain].period);
    return prepared(d, &d->grain_st[grain][s], sql);
}

/* Steps st to its end and resets it; 0 or -EIO. */
static int run(struct ledger_db *d, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(d, what);
}

/* --- series numbers -------------------------------------------------------
 */

/* Loading a record of keys: each must be the next number. */
struct loading {
    struct ledger_names *names;
    int64_t first;
};

static int load_key(void *ctx, size_t slot, const char *key, size_t len)
{
    struct loading *ld = ctx;
    if ((int64_t)ld->names->n != ld->first + (int64_t)slot)
        return -EBADMSG;
    return ledger_names_add(ld->names, key, len, registry_hash(key, len)) < 0
               ? -ENOMEM
               : 0;
}

/* Reads the numbers of metric m's stored series. */
static int load_names(struct ledger *l, struct ledger_metric *m)
{
    struct ledger_db *d = l->db;
    sqlite3_stmt *st = names_stmt(d, ST_NAMES_GET);
    if (st == NULL)
        return fail(d, "cannot prepare");
    ledger_names_clear(&m->names);
    sqlite3_bind_int64(st, 1, m->id);
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct loading ld = {&m->names,
                             sqlite3_column_int64(st, 0) * LEDGER_CHUNK};
        rc = ledger_names_decode(sqlite3_column_blob(st, 1),
                                 (size_t)sqlite3_column_bytes(st, 1), load_key,
                                 &ld);
    }
    sqlite3_reset(st);
    if (rc == -EBADMSG)
        log_error("usage ledger: the stored series of %s are damaged from "
                  "number %zu on; later ones are numbered anew",
                  m->cfg->name, m->names.n);
    else if (rc == 0 && step != SQLITE_DONE)
        return fail(d, "cannot read the series");
    m->names.saved = m->names.n;
    m->names.loaded = true;
    return rc == -ENOMEM ? rc : 0;
}

/* The number of se, a series of metric mi: stored, or the next one. */
static int64_t resolve(struct ledger *l, uint32_t mi, const struct series *se)
{
    struct ledger_metric *m = &l->metrics[mi];
    const void *key;
    size_t len;
    uint64_t hash;
    if (!m->names.loaded && load_names(l, m) != 0)
        return -1;
    ledger_series_key(se, &key, &len, &hash);
    int64_t n = ledger_names_find(&m->names, key, len, hash);
    return n >= 0 ? n : ledger_names_add(&m->names, key, len, hash);
}

/* Writes the records of the numbers given since the last save. */
static int save_names(struct ledger *l)
{
    struct ledger_db *d = l->db;
    for (size_t i = 0; i < l->n_metrics; i++) {
        const struct ledger_metric *m = &l->metrics[i];
        const struct ledger_names *s = &m->names;
        for (size_t c = s->saved / LEDGER_CHUNK;
             s->n > s->saved && c * LEDGER_CHUNK < s->n; c++) {
            sqlite3_stmt *st = names_stmt(d, ST_NAMES_PUT);
            if (st == NULL)
                return fail(d, "cannot prepare");
            buf_reset(&d->blob);
            ledger_names_encode(s, (int64_t)c, &d->blob);
            if (d->blob.oom)
                return -ENOMEM;
            sqlite3_bind_int64(st, 1, m->id);
            sqlite3_bind_int64(st, 2, (int64_t)c);
            sqlite3_bind_blob(st, 3, d->blob.data, (int)d->blob.len,
                              SQLITE_STATIC);
            int rc = run(d, st, "cannot save the series");
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* --- a save ---------------------------------------------------------------
 */

/* The updates of every cell: to its hour and its day, where kept. */
static int collect(struct ledger *l)
{
    struct ledger_batch *b = &l->db->batch;
    int64_t hour = INT64_MIN, day = 0; /* the last hour's day */
    int rc = 0;
    ledger_batch_reset(b);
    /* An hour and a day each at most: room for all, grown once. */
    if (ledger_batch_reserve(b, l->n_used * 2) != 0)
        return -ENOMEM;
    for (size_t k = 0; k < l->n_used && rc == 0; k++) {
        const struct ledger_cell *c = &l->cells[l->used[k]];
        int64_t n = resolve(l, c->metric, c->se);
        uint64_t count =
            l->metrics[c->metric].cfg->type == METRIC_HISTOGRAM ? c->count : 0;
        if (n < 0)
            return -EIO;
        int64_t of_day = c->period;
        if (c->grain == LEDGER_HOURS) {
            if (c->period >= l->first_hour)
                rc = ledger_batch_add(b, LEDGER_HOURS, c->metric, c->period,
                                      (uint32_t)n, c->sum, count);
            if (c->period != hour) {
                hour = c->period;
                day = tz_day_of(l->usage->zone, hour);
            }
            of_day = day;
        }
        if (rc == 0 && of_day >= l->first_day)
            rc = ledger_batch_add(b, LEDGER_DAYS, c->metric, of_day,
                                  (uint32_t)n, c->sum, count);
    }
    return rc;
}

/* Binds the record of group g and series number n: its metric, period
 * and chunk. */
static void bind_record(sqlite3_stmt *st, const struct ledger *l,
                        const struct ledger_target *g, uint32_t n)
{
    sqlite3_bind_int64(st, 1, l->metrics[g->metric].id);
    sqlite3_bind_int64(st, 2, g->period);
    sqlite3_bind_int64(st, 3, n / LEDGER_CHUNK);
}

/* Reads the record of g and n into slots (empty when none). */
static int get_record(struct ledger *l, const struct ledger_target *g,
                      uint32_t n, struct ledger_slot slots[LEDGER_CHUNK])
{
    struct ledger_db *d = l->db;
    sqlite3_stmt *st = grain_stmt(d, ST_GET, g->grain);
    if (st == NULL)
        return fail(d, "cannot prepare");
    memset(slots, 0, LEDGER_CHUNK * sizeof(*slots));
    /* A record holds numbers stored before: none of a chunk numbered in
     * this save has one yet. */
    if ((size_t)(n / LEDGER_CHUNK) * LEDGER_CHUNK >=
        l->metrics[g->metric].names.saved)
        return 0;
    bind_record(st, l, g, n);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW &&
        ledger_chunk_decode(sqlite3_column_blob(st, 0),
                            (size_t)sqlite3_column_bytes(st, 0), slots) != 0)
        log_limited(&d->bad_log, LOG_ERROR,
                    "usage ledger: a stored %s of %s is damaged; its rows "
                    "start again from what is added now",
                    ledger_grain_name((enum ledger_grain)g->grain),
                    l->metrics[g->metric].cfg->name);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(d, "cannot read");
}

/* Adds the sorted updates [from, to), which share a record, to it. */
static int write_record(struct ledger *l, size_t from, size_t to,
                        size_t *written)
{
    struct ledger_db *d = l->db;
    struct ledger_slot slots[LEDGER_CHUNK];
    const struct ledger_update *u = d->batch.updates;
    const struct ledger_target *g =
        &d->batch.groups[ledger_update_group(&u[from])];
    uint32_t first = ledger_update_n(&u[from]);
    int rc = get_record(l, g, first, slots);
    if (rc != 0)
        return rc;
    for (size_t i = from; i < to; i++) {
        struct ledger_slot *s = &slots[ledger_update_n(&u[i]) % LEDGER_CHUNK];
        /* Several hours of one day add to one row. */
        if (i == from || u[i].key != u[i - 1].key)
            (*written)++;
        s->sum = ledger_add(s->sum, u[i].sum);
        s->count += u[i].count;
        s->used = true;
    }
    buf_reset(&d->blob);
    ledger_chunk_encode(slots, &d->blob);
    if (d->blob.oom)
        return -ENOMEM;
    sqlite3_stmt *st = grain_stmt(d, ST_PUT, g->grain);
    if (st == NULL)
        return fail(d, "cannot prepare");
    bind_record(st, l, g, first);
    sqlite3_bind_blob(st, 4, d->blob.data, (int)d->blob.len, SQLITE_STATIC);
    return run(d, st, "cannot save a row");
}

/* Drops the rows of grain before cut, of every metric ever stored. */
static int drop_before(struct ledger_db *d, uint8_t grain, int64_t cut)
{
    sqlite3_stmt *ids = NULL;
    sqlite3_stmt *old = grain_stmt(d, ST_OLD, grain);
    sqlite3_stmt *drop = grain_stmt(d, ST_DROP, grain);
    if (old == NULL || drop == NULL ||
        sqlite3_prepare_v2(d->db, "SELECT id FROM ledger_metrics", -1, &ids,
                           NULL) != SQLITE_OK)
        return fail(d, "cannot prepare");
    int rc = 0;
    while (rc == 0 && sqlite3_step(ids) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(ids, 0);
        struct ledger_slot slots[LEDGER_CHUNK];
        sqlite3_bind_int64(old, 1, id);
        sqlite3_bind_int64(old, 2, cut);
        while (sqlite3_step(old) == SQLITE_ROW)
            if (ledger_chunk_decode(sqlite3_column_blob(old, 0),
                                    (size_t)sqlite3_column_bytes(old, 0),
                                    slots) == 0)
                for (int i = 0; i < LEDGER_CHUNK; i++)
                    d->pending_dropped[grain] += slots[i].used;
        sqlite3_reset(old);
        sqlite3_bind_int64(drop, 1, id);
        sqlite3_bind_int64(drop, 2, cut);
        rc = run(d, drop, "cannot drop old rows");
    }
    sqlite3_finalize(ids);
    return rc;
}

static bool prune_due(const struct ledger *l)
{
    return l->first_day > l->db->pruned_day ||
           l->first_hour > l->db->pruned_hour;
}

/* Adds the cells to the stored rows and drops what retention no longer
 * keeps; written gets how many rows were written. */
static int save_cells(struct ledger *l, size_t *written)
{
    struct ledger_db *d = l->db;
    if (d->in_flight) /* the numbers given by a rolled back save */
        for (size_t i = 0; i < l->n_metrics; i++)
            ledger_names_clear(&l->metrics[i].names);
    d->in_flight = true;
    memset(d->pending_dropped, 0, sizeof(d->pending_dropped));
    d->pending_written = 0;
    ledger_cut(l, (int64_t)time(NULL));
    int rc = collect(l);
    if (rc == 0)
        rc = save_names(l);
    if (rc != 0)
        return rc;
    ledger_batch_sort(&d->batch);
    /* A record's updates share their key but for the slot's six bits. */
    const struct ledger_update *u = d->batch.updates;
    for (size_t i = 0, j; rc == 0 && i < d->batch.n; i = j) {
        for (j = i + 1; j < d->batch.n &&
                        u[j].key / LEDGER_CHUNK == u[i].key / LEDGER_CHUNK;
             j++)
            ;
        rc = write_record(l, i, j, &d->pending_written);
    }
    d->pending_day = d->pruned_day;
    d->pending_hour = d->pruned_hour;
    if (rc == 0 && l->first_day > d->pruned_day &&
        (rc = drop_before(d, LEDGER_DAYS, l->first_day)) == 0)
        d->pending_day = l->first_day;
    if (rc == 0 && l->first_hour > d->pruned_hour &&
        (rc = drop_before(d, LEDGER_HOURS, l->first_hour)) == 0)
        d->pending_hour = l->first_hour;
    *written += d->pending_written;
    return rc;
}

static void saved(struct ledger *l)
{
    struct ledger_db *d = l->db;
    ledger_cells_clear(l);
    d->in_flight = false;
    for (size_t i = 0; i < l->n_metrics; i++)
        l->metrics[i].names.saved = l->metrics[i].names.n;
    d->pruned_day = d->pending_day;
    d->pruned_hour = d->pending_hour;
    l->stats.written = d->pending_written;
    for (int g = 0; g < LEDGER_GRAIN_COUNT; g++)
        l->stats.dropped[g] += d->pending_dropped[g];
}

/* --- restoring --------------------------------------------------------------
 */

/* Runs sql with m's name, type and label names bound to ?1, ?2, ?3;
 * SQLITE_DONE, SQLITE_ROW (the first column in *id) or an error. */
static int metric_step(struct ledger_db *d, const struct ledger_metric *m,
                       const char *sql_text, int64_t *id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, sql_text, -1, &st, NULL) != SQLITE_OK)
        return SQLITE_ERROR;
    sqlite3_bind_text(st, 1, m->cfg->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, metric_type_name(m->cfg->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->labels_text, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* The id of m's row in ledger_metrics, made if it has none (found only
 * when read only: 0 then). */
static int metric_id(struct ledger_db *d, struct ledger_metric *m)
{
    m->id = 0;
    if (!d->readonly &&
        metric_step(d, m,
                    "INSERT OR IGNORE INTO ledger_metrics (metric, type, "
                    "labels) VALUES (?1, ?2, ?3)",
                    &m->id) != SQLITE_DONE)
        return fail(d, "cannot save a metric");
    int rc = metric_step(d, m,
                         "SELECT id FROM ledger_metrics WHERE metric = ?1 "
                         "AND type = ?2 AND labels = ?3",
                         &m->id);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(d, "cannot read");
}

/* Says when the zone changed since the days were stored, and records it. */
static int check_zone(struct ledger *l)
{
    struct ledger_db *d = l->db;
    sqlite3_stmt *st = NULL;
    const char *zone = tz_name(l->usage->zone);
    if (sqlite3_prepare_v2(d->db,
                           "SELECT value FROM ledger_settings WHERE name = "
                           "'timezone'",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(d, "cannot prepare");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *was = (const char *)sqlite3_column_text(st, 0);
        if (was != NULL && strcmp(was, zone) != 0)
            log_info("usage.timezone is %s, the ledger's days were counted "
                     "in %s until now: stored days keep their dates and "
                     "amounts, days from now on follow %s",
                     zone, was, zone);
    }
    sqlite3_finalize(st);
    if (d->readonly)
        return 0;
    st = NULL;
    if (sqlite3_prepare_v2(d->db,
                           "INSERT OR REPLACE INTO ledger_settings VALUES "
                           "('timezone', ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(d, "cannot prepare");
    sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(d, "cannot save");
    sqlite3_finalize(st);
    return rc;
}

static int restore_metrics(struct ledger *l)
{
    int rc = check_zone(l);
    for (size_t i = 0; i < l->n_metrics && rc == 0; i++) {
        ledger_names_clear(&l->metrics[i].names);
        rc = metric_id(l->db, &l->metrics[i]);
    }
    return rc;
}

/* --- the participant --------------------------------------------------------
 */

static int part_prepare(void *ctx, struct state *s, int version)
{
    (void)ctx;
    (void)version;
    return state_exec(s, schema);
}

static int part_restore(void *ctx, struct state *s)
{
    struct ledger *l = ctx;
    return restore_metrics(l) == 0
               ? 0
               : state_fail(s, "cannot restore the usage ledger");
}

static bool part_changed(void *ctx)
{
    struct ledger *l = ctx;
    if (l->n_used > 0)
        return true;
    ledger_cut(l, (int64_t)time(NULL));
    return prune_due(l);
}

static int part_save(void *ctx, struct state *s, size_t *written)
{
    struct ledger *l = ctx;
    int rc = save_cells(l, written);
    return rc == -EIO ? state_fail(s, "cannot save the usage ledger") : rc;
}

static void part_committed(void *ctx)
{
    saved(ctx);
}

static void finalize(struct ledger_db *d)
{
    for (int i = 0; i < NAMES_STMTS; i++) {
        sqlite3_finalize(d->names_st[i]);
        d->names_st[i] = NULL;
    }
    for (int g = 0; g < LEDGER_GRAIN_COUNT; g++)
        for (int i = 0; i < GRAIN_STMTS; i++) {
            sqlite3_finalize(d->grain_st[g][i]);
            d->grain_st[g][i] = NULL;
        }
}

/* The state closes its database: let go of it. */
static void part_free(void *ctx)
{
    struct ledger *l = ctx;
    finalize(l->db);
    l->db->db = NULL;
}

static const struct state_participant participant = {
    .name = "usage ledger",
    .prepare = part_prepare,
    .restore = part_restore,
    .changed = part_changed,
    .save = part_save,
    .committed = part_committed,
    .free = part_free,
};

/* --- where the rows are -----------------------------------------------------
 */

static int db_new(struct ledger *l)
{
    l->db = calloc(1, sizeof(*l->db));
    if (l->db == NULL)
        return -ENOMEM;
    l->db->pruned_day = l->db->pruned_hour = INT64_MIN;
    return 0;
}

/* An in-memory database of the ledger's own. */
static int open_memory(struct ledger *l)
{
    struct ledger_db *d = l->db;
    char *msg = NULL;
    d->own = true;
    if (sqlite3_open_v2(":memory:", &d->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        return fail(d, "cannot open an in-memory database");
    if (sqlite3_exec(d->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("usage ledger: %s", msg ? msg : "cannot create tables");
        sqlite3_free(msg);
        return -EIO;
    }
    return restore_metrics(l);
}

int ledger_attach(struct ledger *l, struct state *s)
{
    if (l->db != NULL)
        return -EINVAL;
    int rc = db_new(l);
    if (rc != 0)
        return rc;
    if (state_db(s) == NULL)
        return open_memory(l);
    l->db->db = state_db(s);
    return state_join(s, STATE_PART_LEDGER, &participant, l);
}

int ledger_sync(struct ledger *l)
{
    struct ledger_db *d = l->db;
    size_t written = 0;
    if (d == NULL || !d->own || d->readonly || d->db == NULL)
        return 0;
    ledger_cut(l, (int64_t)time(NULL));
    if (l->n_used == 0 && !prune_due(l))
        return 0;
    if (sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return fail(d, "cannot begin");
    int rc = save_cells(l, &written);
    if (rc == 0 && sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(d, "cannot commit");
    if (rc != 0) {
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    saved(l);
    return 0;
}

int ledger_open(const struct config *cfg, const char *path, struct ledger **out)
{
    struct ledger *l;
    sqlite3_stmt *st = NULL;
    int rc = ledger_new(cfg, &l);
    if (rc != 0)
        return rc;
    if ((rc = db_new(l)) != 0)
        goto fail;
    l->db->own = l->db->readonly = true;
    if (sqlite3_open_v2(path, &l->db->db,
                        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = sqlite3_errcode(l->db->db) == SQLITE_CANTOPEN ? -ENOENT : -EIO;
        log_error("cannot open %s: %s", path, sqlite3_errmsg(l->db->db));
        goto fail;
    }
    rc = sqlite3_prepare_v2(l->db->db,
                            "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'ledger_metrics'",
                            -1, &st, NULL) == SQLITE_OK
             ? sqlite3_step(st)
             : SQLITE_ERROR;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        log_error("%s holds no usage ledger%s", path,
                  rc == SQLITE_DONE ? "" : " that can be read");
        rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
        goto fail;
    }
    if ((rc = restore_metrics(l)) != 0)
        goto fail;
    *out = l;
    return 0;
fail:
    ledger_free(l);
    return rc;
}

void ledger_store_close(struct ledger *l)
{
    struct ledger_db *d = l->db;
    if (d == NULL)
        return;
    finalize(d);
    if (d->own)
        sqlite3_close(d->db);
    ledger_batch_free(&d->batch);
    buf_free(&d->blob);
    free(d);
    l->db = NULL;
}
