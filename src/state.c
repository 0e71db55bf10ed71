#include "state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

/*
 * Series are saved in chunks of STATE_CHUNK by creation order (the slot),
 * one row per chunk: a checkpoint rewrites only the chunks holding a
 * changed series, and one row costs far less than many. A chunk is, per
 * series: the key length (4 bytes), the key, the value (16), the count (8)
 * and the family's bucket counts (8 each), in this machine's byte order.
 * The overflow series is chunk -1.
 */
#define STATE_CHUNK    64
#define OVERFLOW_CHUNK (-1)

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS families ("
    " metric TEXT PRIMARY KEY, signature TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS chunks ("
    " metric TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (metric, chunk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS inputs (name TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS files ("
    " input TEXT NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    " head_len INTEGER NOT NULL, head_hash INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, tail BLOB NOT NULL,"
    " discarding INTEGER NOT NULL, path TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL);";

struct state {
    sqlite3 *db;
    sqlite3_stmt *put_chunk;
    sqlite3_stmt *del_chunks;
    struct buf blob;
    bool legacy; /* series still in schema 1's one-row-per-series table */
    sqlite3_stmt *put_file;
    sqlite3_stmt *put_input;
    bool inputs_written;
    char err[256];
};

const char *state_recovery_name(enum state_recovery r)
{
    static const char *const names[] = {"none", "empty", "corrupt",
                                        "future_version"};
    return names[r];
}

const char *state_error(const struct state *s)
{
    return s->err;
}

static int fail(struct state *s, const char *what)
{
    snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
    return -EIO;
}

static int exec(struct state *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(s->err, sizeof(s->err), "%s", msg ? msg : "unknown error");
    sqlite3_free(msg);
    return -EIO;
}

/* Renames a bad database (and its WAL files) out of the way. */
static void set_aside(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char from[4096], to[4096];
    long now = (long)time(NULL);
    for (int i = 0; i < 3; i++) {
        snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
        snprintf(to, sizeof(to), "%s.bad-%ld%s", path, now, suffixes[i]);
        if (rename(from, to) == 0 && i == 0)
            log_warn("state file set aside as %s", to);
    }
}

/* Single-value PRAGMA as text ("ok", "wal", a number); NULL on error. */
static const char *pragma(struct state *s, const char *sql, char *out,
                          size_t cap)
{
    sqlite3_stmt *st;
    const char *r = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        r = out;
    }
    sqlite3_finalize(st);
    return r;
}

/* Opens the file and checks it; STATE_RECOVERY_NONE when usable. */
static enum state_recovery try_open(struct state *s, const char *path, int *rc)
{
    char buf[64];
    *rc = 0;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        *rc = fail(s, "cannot open");
        return STATE_RECOVERY_NONE;
    }
    sqlite3_extended_result_codes(s->db, 1);
    const char *v = pragma(s, "PRAGMA user_version", buf, sizeof(buf));
    if (v == NULL) {
        int code = sqlite3_errcode(s->db) & 0xff;
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            return STATE_RECOVERY_CORRUPT;
        *rc = fail(s, "cannot read");
        return STATE_RECOVERY_NONE;
    }
    if (strtol(v, NULL, 10) > STATE_SCHEMA_VERSION)
        return STATE_RECOVERY_FUTURE;
    const char *check = pragma(s, "PRAGMA quick_check", buf, sizeof(buf));
    if (check == NULL || strcmp(check, "ok") != 0)
        return STATE_RECOVERY_CORRUPT;
    return STATE_RECOVERY_NONE;
}

static int prepare(struct state *s)
{
    char buf[64];
    const char *mode = pragma(s, "PRAGMA journal_mode=WAL", buf, sizeof(buf));
    if (mode == NULL || strcmp(mode, "wal") != 0)
        return fail(s, "cannot use WAL mode");
    /* A process crash loses nothing; power loss may lose the last
     * checkpoints but never mixes two. */
    if (exec(s, "PRAGMA synchronous=NORMAL") != 0 || exec(s, schema) != 0)
        return -EIO;
    char v[64];
    s->legacy = pragma(s,
                       "SELECT name FROM sqlite_master WHERE type = 'table' "
                       "AND name = 'series'",
                       v, sizeof(v)) != NULL;
    snprintf(v, sizeof(v), "PRAGMA user_version=%d", STATE_SCHEMA_VERSION);
    if (exec(s, v) != 0)
        return -EIO;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO chunks VALUES (?,?,?)", -1,
                           &s->put_chunk, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "DELETE FROM chunks WHERE metric = ?", -1,
                           &s->del_chunks, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)", -1,
                           &s->put_file, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO inputs VALUES (?)", -1,
                           &s->put_input, NULL) != SQLITE_OK)
        return fail(s, "cannot prepare");
    return 0;
}

int state_open(const char *path, struct state **out, enum state_recovery *why,
               const char **err)
{
    static char open_err[256];
    struct state *s = calloc(1, sizeof(*s));
    struct stat st;
    int rc;

    *why = STATE_RECOVERY_NONE;
    *err = NULL;
    if (s == NULL)
        return -ENOMEM;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        *why = STATE_RECOVERY_EMPTY;
        set_aside(path);
    }
    enum state_recovery bad = try_open(s, path, &rc);
    if (bad != STATE_RECOVERY_NONE) {
        sqlite3_close(s->db);
        s->db = NULL;
        set_aside(path);
        *why = bad;
        bad = try_open(s, path, &rc);
    }
    if (rc == 0 && bad == STATE_RECOVERY_NONE)
        rc = prepare(s);
    else if (rc == 0)
        rc = -EIO;
    if (rc != 0) {
        snprintf(open_err, sizeof(open_err), "%s", s->err);
        *err = open_err;
        state_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void state_close(struct state *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->put_chunk);
    sqlite3_finalize(s->del_chunks);
    buf_free(&s->blob);
    sqlite3_finalize(s->put_file);
    sqlite3_finalize(s->put_input);
    sqlite3_close(s->db);
    free(s);
}

/* --- series chunks ------------------------------------------------------ */

static void encode(struct buf *b, const struct family *f,
                   const struct series *se)
{
    uint32_t key_len = se->key_len;
    buf_append(b, &key_len, 4);
    buf_append(b, se->key, key_len);
    buf_append(b, &se->value, 16);
    buf_append(b, &se->count, 8);
    if (se->buckets != NULL)
        buf_append(b, se->buckets, f->n_bounds * sizeof(uint64_t));
}

static int put_chunk(struct state *s, const struct family *f, int64_t chunk)
{
    sqlite3_stmt *st = s->put_chunk;
    if (s->blob.oom)
        return -ENOMEM;
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, chunk);
    sqlite3_bind_blob(st, 3, s->blob.data ? s->blob.data : "", (int)s->blob.len,
                      SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "cannot save series");
}

/* Writes every chunk of f holding a changed series; counts them. */
static int write_family(struct state *s, const struct family *f, size_t *series)
{
    for (size_t c = 0; c * STATE_CHUNK < f->n_series; c++) {
        size_t lo = c * STATE_CHUNK, hi = lo + STATE_CHUNK;
        if (hi > f->n_series)
            hi = f->n_series;
        bool dirty = false;
        for (size_t i = lo; i < hi && !dirty; i++)
            dirty = f->by_slot[i]->dirty;
        if (!dirty)
            continue;
        buf_reset(&s->blob);
        for (size_t i = lo; i < hi; i++)
            encode(&s->blob, f, f->by_slot[i]);
        int rc = put_chunk(s, f, (int64_t)c);
        if (rc != 0)
            return rc;
        *series += hi - lo;
    }
    if (f->overflow && f->overflow->dirty) {
        buf_reset(&s->blob);
        encode(&s->blob, f, f->overflow);
        (*series)++;
        return put_chunk(s, f, OVERFLOW_CHUNK);
    }
    return 0;
}

/* --- restoring ----------------------------------------------------------- */

/* One saved series: set in place, or added up in the overflow series. */
static void restore_one(struct family *f, struct series *se, num_fixed v,
                        uint64_t count, const unsigned char *bk)
{
    /* More saved series than the cap now allows: the rest add up. */
    bool add = se == f->overflow;
    se->value = add ? num_add_sat(se->value, v) : v;
    se->count = (add ? se->count : 0) + count;
    for (size_t i = 0; se->buckets != NULL && i < f->n_bounds; i++) {
        uint64_t c;
        memcpy(&c, bk + i * sizeof(c), sizeof(c));
        se->buckets[i] = (add ? se->buckets[i] : 0) + c;
    }
    se->dirty = add;
    /* An expiring series restarts its time to live. */
    se->touched = (uint32_t)(log_now_ms() / 1000);
}

/*
 * Loads one chunk; returns false when it is malformed or its series did
 * not come back in their saved slots (then the family is written anew).
 */
static bool load_chunk(struct family *f, int64_t chunk, const unsigned char *d,
                       size_t len, size_t *n)
{
    size_t bucket_bytes = f->n_bounds * sizeof(uint64_t);
    size_t at = 0, k = 0;
    bool in_place = true;
    while (at < len) {
        uint32_t key_len;
        num_fixed v;
        uint64_t count;
        if (len - at < 4)
            return false;
        memcpy(&key_len, d + at, 4);
        at += 4;
        if (len - at < (size_t)key_len + 24 + bucket_bytes)
            return false;
        const char *key = (const char *)d + at;
        memcpy(&v, d + at + key_len, 16);
        memcpy(&count, d + at + key_len + 16, 8);
        const unsigned char *bk = d + at + key_len + 24;
        at += key_len + 24 + bucket_bytes;
        struct series *se =
            chunk == OVERFLOW_CHUNK
                ? family_overflow(f)
                : family_get(f, key, key_len, registry_hash(key, key_len));
        if (se == NULL)
            return false;
        restore_one(f, se, v, count, bk);
        size_t slot = (size_t)chunk * STATE_CHUNK + k;
        if (chunk != OVERFLOW_CHUNK &&
            (slot >= f->n_series || f->by_slot[slot] != se))
            in_place = false;
        k++;
        (*n)++;
    }
    return in_place;
}

/*
 * Loads f's series from schema 1, which saved one row per series, and marks
 * them changed so that they are written as chunks.
 */
static int load_legacy(struct state *s, struct family *f, size_t *n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT key, value, count, buckets FROM series "
                           "WHERE metric = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, "cannot read series");
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* An empty blob reads as NULL. */
        const char *key = sqlite3_column_blob(st, 0);
        uint32_t key_len = (uint32_t)sqlite3_column_bytes(st, 0);
        size_t bk_len = (size_t)sqlite3_column_bytes(st, 3);
        num_fixed v;
        if (key == NULL)
            key = "";
        if (sqlite3_column_bytes(st, 1) != sizeof(v) ||
            bk_len != (f->type == METRIC_HISTOGRAM
                           ? f->n_bounds * sizeof(uint64_t)
                           : 0))
            continue;
        memcpy(&v, sqlite3_column_blob(st, 1), sizeof(v));
        /* Schema 1 saved the overflow series under the key "\xff". */
        struct series *se =
            key_len == 1 && key[0] == '\xff'
                ? family_overflow(f)
                : family_get(f, key, key_len, registry_hash(key, key_len));
        if (se == NULL)
            continue;
        restore_one(f, se, v, (uint64_t)sqlite3_column_int64(st, 2),
                    sqlite3_column_blob(st, 3));
        se->dirty = true;
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "cannot read series");
}

/*
 * Loads the saved series of f into it. *rewrite is set when they must be
 * saved anew: read from schema 1, or no longer in their saved slots (a
 * lower max_series, a damaged chunk).
 */
static int load_family(struct state *s, struct family *f, bool *rewrite)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT chunk, data FROM chunks WHERE metric = ? "
                           "ORDER BY chunk",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, "cannot read series");
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    int rc;
    size_t n = 0;
    bool in_place = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        in_place &= load_chunk(f, sqlite3_column_int64(st, 0),
                               sqlite3_column_blob(st, 1),
                               (size_t)sqlite3_column_bytes(st, 1), &n);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, "cannot read series");
    if (!in_place)
        log_warn("metric %s: saved series no longer fit their places (a "
                 "lower max_series?); they are saved anew",
                 f->name);
    size_t chunked = n;
    if (s->legacy && load_legacy(s, f, &n) != 0)
        return -EIO;
    *rewrite = !in_place || n > chunked;
    if (n > 0)
        log_info("restored %zu series of %s", n, f->name);
    return 0;
}

/* Deletes every saved chunk of the metric. */
static int drop_chunks(struct state *s, const char *metric)
{
    sqlite3_bind_text(s->del_chunks, 1, metric, -1, SQLITE_TRANSIENT);
    int rc =
        sqlite3_step(s->del_chunks) == SQLITE_DONE ? 0 : fail(s, "cannot drop");
    sqlite3_reset(s->del_chunks);
    return rc;
}

/* Replaces every saved chunk of f with its series as they are now. */
static int rewrite_family(struct state *s, struct family *f, size_t *series)
{
    int rc = drop_chunks(s, f->name);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < f->n_series; i++)
        f->by_slot[i]->dirty = true;
    if (f->overflow)
        f->overflow->dirty = true;
    return write_family(s, f, series);
}

int state_restore_series(struct state *s, struct registry *reg)
{
    sqlite3_stmt *sel = NULL, *put = NULL, *names = NULL;
    int rc = exec(s, "BEGIN");
    if (rc != 0)
        return rc;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT signature FROM families WHERE metric = ?",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO families VALUES (?, ?)", -1,
                           &put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT metric FROM families", -1, &names,
                           NULL) != SQLITE_OK) {
        rc = fail(s, "cannot prepare");
        goto out;
    }

    /* Families saved but no longer configured. */
    while (sqlite3_step(names) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(names, 0);
        struct family *f = registry_find(reg, m);
        if (f != NULL && !(f->flags & FAMILY_SELF))
            continue;
        log_info("metric %s is no longer configured; its saved series are "
                 "dropped",
                 m);
        drop_chunks(s, m);
    }
    if (exec(s, s->legacy ? "DELETE FROM families WHERE metric NOT IN "
                            "(SELECT metric FROM chunks UNION "
                            "SELECT metric FROM series)"
                          : "DELETE FROM families WHERE metric NOT IN "
                            "(SELECT metric FROM chunks)") != 0) {
        rc = -EIO;
        goto out;
    }

    for (size_t i = 0; i < reg->n_fams; i++) {
        struct family *f = reg->fams[i];
        char sig[4096];
        if (f->flags & FAMILY_SELF)
            continue;
        if (family_signature(f, sig, sizeof(sig)) == 0)
            continue;
        sqlite3_bind_text(sel, 1, f->name, -1, SQLITE_STATIC);
        int step = sqlite3_step(sel);
        char *saved = step == SQLITE_ROW
                          ? strdup((const char *)sqlite3_column_text(sel, 0))
                          : NULL;
        sqlite3_reset(sel);
        if (saved != NULL && strcmp(saved, sig) == 0) {
            bool rewrite = false;
            size_t n = 0;
            rc = load_family(s, f, &rewrite);
            if (rc == 0 && rewrite)
                rc = rewrite_family(s, f, &n);
        } else if (saved != NULL) {
            log_warn("metric %s changed (was %s, now %s); its saved series "
                     "start afresh",
                     f->name, saved, sig);
            rc = drop_chunks(s, f->name);
        }
        free(saved);
        if (rc != 0)
            goto out;
        sqlite3_bind_text(put, 1, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 2, sig, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(put) != SQLITE_DONE) {
            rc = fail(s, "cannot save a family");
            goto out;
        }
        sqlite3_reset(put);
    }
    /* Schema 1's series are saved as chunks by now. */
    if (s->legacy && exec(s, "DROP TABLE series") != 0) {
        rc = -EIO;
        goto out;
    }
    rc = exec(s, "COMMIT");
    if (rc == 0)
        s->legacy = false;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    sqlite3_finalize(names);
    if (rc != 0)
        exec(s, "ROLLBACK");
    return rc;
}

int state_restore_inputs(struct state *s, struct input *const *inputs, size_t n)
{
    sqlite3_stmt *known = NULL, *files = NULL;
    int rc = 0;
    int64_t now = (int64_t)time(NULL);
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM inputs WHERE name = ?", -1,
                           &known, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "SELECT dev, ino, head_len, head_hash, offset, "
                           "tail, discarding, path, last_seen FROM files "
                           "WHERE input = ?",
                           -1, &files, NULL) != SQLITE_OK) {
        rc = fail(s, "cannot prepare");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct input *in = inputs[i];
        const char *name = input_name(in);
        sqlite3_bind_text(known, 1, name, -1, SQLITE_STATIC);
        bool history = sqlite3_step(known) == SQLITE_ROW;
        sqlite3_reset(known);
        sqlite3_bind_text(files, 1, name, -1, SQLITE_STATIC);
        size_t loaded = 0;
        while (sqlite3_step(files) == SQLITE_ROW) {
            struct tail_mark m = {0};
            int64_t seen = sqlite3_column_int64(files, 8);
            if (now - seen > STATE_RECORD_TTL_S)
                continue;
            m.head_len = (uint32_t)sqlite3_column_int64(files, 2);
            m.head_hash = (uint64_t)sqlite3_column_int64(files, 3);
            m.offset = (uint64_t)sqlite3_column_int64(files, 4);
            int tl = sqlite3_column_bytes(files, 5);
            if (tl > TAILER_TAIL_BYTES || m.head_len > TAILER_HEAD_BYTES)
                continue;
            m.tail_len = (uint32_t)tl;
            if (tl > 0)
                memcpy(m.tail, sqlite3_column_blob(files, 5), (size_t)tl);
            m.discarding = sqlite3_column_int(files, 6) != 0;
            input_add_record(in, (uint64_t)sqlite3_column_int64(files, 0),
                             (uint64_t)sqlite3_column_int64(files, 1), &m,
                             (const char *)sqlite3_column_text(files, 7), seen);
            loaded++;
        }
        sqlite3_reset(files);
        input_set_history(in, history);
        if (loaded > 0)
            log_info("input %s: %zu files known from the state", name, loaded);
    }
out:
    sqlite3_finalize(known);
    sqlite3_finalize(files);
    return rc;
}

/* --- checkpoints --------------------------------------------------------- */

static bool files_changed(struct input *const *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (input_positions_changed(inputs[i]))
            return true;
    return false;
}

static bool any_dirty(const struct registry *reg)
{
    for (size_t i = 0; i < reg->n_fams; i++) {
        const struct family *f = reg->fams[i];
        if (f->flags & FAMILY_SELF)
            continue;
        if (f->renumbered || (f->overflow && f->overflow->dirty))
            return true;
        for (size_t k = 0; k < f->n_series; k++)
            if (f->order[k]->dirty)
                return true;
    }
    return false;
}

static int put_file(struct state *s, const char *input, uint64_t dev,
                    uint64_t ino, const struct tail_mark *m, const char *path,
                    int64_t seen)
{
    sqlite3_stmt *st = s->put_file;
    sqlite3_bind_text(st, 1, input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)dev);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)ino);
    sqlite3_bind_int64(st, 4, m->head_len);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)m->head_hash);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)m->offset);
    sqlite3_bind_blob(st, 7, m->tail, (int)m->tail_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, m->discarding);
    sqlite3_bind_text(st, 9, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, seen);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : fail(s, "cannot save a file");
}

struct file_writer {
    struct state *s;
    const char *input;
};

static int write_position(void *ctx, uint64_t dev, uint64_t ino,
                          const struct tail_mark *m, const char *path,
                          int64_t last_seen)
{
    struct file_writer *w = ctx;
    return put_file(w->s, w->input, dev, ino, m, path, last_seen);
}

static int write_files(struct state *s, struct input *const *inputs, size_t n)
{
    int64_t now = (int64_t)time(NULL);
    if (exec(s, "DELETE FROM files") != 0)
        return -EIO;
    for (size_t i = 0; i < n; i++) {
        struct file_writer w = {s, input_name(inputs[i])};
        if (input_each_position(inputs[i], now, write_position, &w) != 0)
            return -EIO;
    }
    return 0;
}

static int write_inputs(struct state *s, struct input *const *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(s->put_input, 1, input_name(inputs[i]), -1,
                          SQLITE_STATIC);
        int rc = sqlite3_step(s->put_input);
        sqlite3_reset(s->put_input);
        if (rc != SQLITE_DONE)
            return fail(s, "cannot save an input");
    }
    return 0;
}

int state_checkpoint(struct state *s, struct registry *reg,
                     struct input *const *inputs, size_t n, bool *wrote,
                     size_t *series)
{
    bool files = files_changed(inputs, n);
    *wrote = false;
    *series = 0;
    if (s->inputs_written && !files && !any_dirty(reg))
        return 0;
    int rc = exec(s, "BEGIN");
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < reg->n_fams && rc == 0; i++) {
        struct family *f = reg->fams[i];
        if (f->flags & FAMILY_SELF)
            continue;
        /* Series expired: the others moved to lower slots. */
        rc = f->renumbered ? rewrite_family(s, f, series)
                           : write_family(s, f, series);
    }
    if (rc == 0 && !s->inputs_written)
        rc = write_inputs(s, inputs, n);
    if (rc == 0 && (files || !s->inputs_written))
        rc = write_files(s, inputs, n);
    if (rc == 0)
        rc = exec(s, "COMMIT");
    if (rc != 0) {
        char keep[sizeof(s->err)];
        memcpy(keep, s->err, sizeof(keep));
        exec(s, "ROLLBACK");
        memcpy(s->err, keep, sizeof(keep));
        return rc;
    }
    /* Committed: what was written is clean now. */
    for (size_t i = 0; i < reg->n_fams; i++) {
        struct family *f = reg->fams[i];
        if (f->flags & FAMILY_SELF)
            continue;
        for (size_t k = 0; k < f->n_series; k++)
            f->order[k]->dirty = false;
        if (f->overflow)
            f->overflow->dirty = false;
        f->renumbered = false;
    }
    for (size_t i = 0; i < n; i++)
        input_positions_saved(inputs[i]);
    s->inputs_written = true;
    *wrote = true;
    return 0;
}
