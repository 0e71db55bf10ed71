#include "registry_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "registry_private.h"

/*
 * Series are saved in chunks of STORE_CHUNK by creation order (the slot),
 * one row per chunk: a checkpoint rewrites only the chunks holding a
 * changed series, and one row costs far less than many. A chunk is, per
 * series: the key length (4 bytes), the key, the value (16), the count (8)
 * and the family's bucket counts (8 each), in this machine's byte order.
 * The overflow series is chunk -1.
 */
#define STORE_CHUNK    64
#define OVERFLOW_CHUNK (-1)
#define KEY_LEN_BYTES  sizeof(uint32_t)
#define VALUE_BYTES    sizeof(num_fixed)
#define COUNT_BYTES    sizeof(uint64_t)
#define SIG_MAX        4096 /* bytes of a family's signature */
#define CREATED_BYTES  sizeof(int64_t)
#define DIGEST_BYTES   sizeof(uint64_t)

_Static_assert(sizeof(num_fixed) == 16, "a saved value is 16 bytes");

/*
 * series_created: when each saved series began (series.created_ms), a row
 * per chunk of the chunks table: a digest of the chunk's keys (their
 * hashes, in order), then 8 bytes per series. A table of its own, so that
 * files written before it, and releases that do not know it, still load;
 * the digest tells whether the chunk still holds the series it was written
 * for (a release that does not know the table rewrites chunks without it),
 * and when it does not, their beginnings are not known (0).
 *
 * removed: when each saved metric was first found no longer configured
 * (unix seconds). A table of its own, not a column of families, so that a
 * file stays readable by releases that do not know it (they drop such
 * series at once, as they always did).
 */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS families ("
    " metric TEXT PRIMARY KEY, signature TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS chunks ("
    " metric TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (metric, chunk)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS removed ("
    " metric TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS series_created ("
    " metric TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY (metric, chunk)) WITHOUT ROWID;";

#define TIME_TEXT_MAX 32 /* "2025-11-13T10:30:00Z" and a NUL */
#define MS_PER_S      1000

struct registry_store {
    struct registry *reg;
    int64_t keep_removed_s; /* how long series of a removed metric stay */
    sqlite3_stmt *put_chunk;
    sqlite3_stmt *put_created;
    sqlite3_stmt *del_chunks;
    sqlite3_stmt *del_created;
    sqlite3_stmt *unremove;
    struct buf blob;
    bool legacy; /* series still in schema 1's one-row-per-series table */
};

/* Whether the state keeps f's series: tokentail's own are not kept. */
static bool kept(const struct family *f)
{
    return !(f->flags & FAMILY_SELF);
}

/* --- writing ------------------------------------------------------------- */

static void encode(struct buf *b, const struct family *f,
                   const struct series *se)
{
    uint32_t key_len = se->key_len;
    buf_append(b, &key_len, KEY_LEN_BYTES);
    buf_append(b, se->key, key_len);
    buf_append(b, &se->value, VALUE_BYTES);
    buf_append(b, &se->count, COUNT_BYTES);
    if (se->buckets != NULL)
        buf_append(b, se->buckets, f->n_bounds * sizeof(uint64_t));
}

/* The digest of the keys of n series: what a series_created row was
 * written for. */
static uint64_t keys_digest(struct series *const *se, size_t n)
{
    uint64_t d = (uint64_t)n;
    for (size_t i = 0; i < n; i++)
        d = (d ^ se[i]->hash) * 0x100000001b3ULL;
    return d;
}

static void encode_created(struct buf *b, struct series *const *se, size_t n)
{
    uint64_t d = keys_digest(se, n);
    buf_append(b, &d, DIGEST_BYTES);
    for (size_t i = 0; i < n; i++)
        buf_append(b, &se[i]->created_ms, CREATED_BYTES);
}

static int put_chunk(struct registry_store *rs, struct state *s,
                     sqlite3_stmt *st, const struct family *f, int64_t chunk)
{
    if (rs->blob.oom)
        return -ENOMEM;
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, chunk);
    sqlite3_bind_blob(st, 3, rs->blob.data ? rs->blob.data : "",
                      (int)rs->blob.len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : state_fail(s, "cannot save series");
}

/*
 * Writes the n series at se as chunk c: their values when one changed,
 * their beginnings when one is new; counts the series written.
 */
static int write_chunk(struct registry_store *rs, struct state *s,
                       const struct family *f, int64_t c,
                       struct series *const *se, size_t n, size_t *series)
{
    bool dirty = false, fresh = false;
    for (size_t i = 0; i < n; i++) {
        dirty |= se[i]->dirty;
        fresh |= se[i]->created_new;
    }
    int rc = 0;
    if (dirty) {
        buf_reset(&rs->blob);
        for (size_t i = 0; i < n; i++)
            encode(&rs->blob, f, se[i]);
        rc = put_chunk(rs, s, rs->put_chunk, f, c);
        *series += n;
    }
    if (rc == 0 && fresh) {
        buf_reset(&rs->blob);
        encode_created(&rs->blob, se, n);
        rc = put_chunk(rs, s, rs->put_created, f, c);
    }
    return rc;
}

/* Writes every chunk of f holding a changed or new series; counts them. */
static int write_family(struct registry_store *rs, struct state *s,
                        const struct family *f, size_t *series)
{
    int rc = 0;
    for (size_t c = 0; rc == 0 && c * STORE_CHUNK < f->n_series; c++) {
        size_t lo = c * STORE_CHUNK, hi = lo + STORE_CHUNK;
        if (hi > f->n_series)
            hi = f->n_series;
        rc =
            write_chunk(rs, s, f, (int64_t)c, f->by_slot + lo, hi - lo, series);
    }
    if (rc == 0 && f->overflow)
        rc = write_chunk(rs, s, f, OVERFLOW_CHUNK, &f->overflow, 1, series);
    return rc;
}

/* Deletes every saved chunk of the metric. */
static int drop_chunks(struct registry_store *rs, struct state *s,
                       const char *metric)
{
    sqlite3_stmt *del[] = {rs->del_chunks, rs->del_created};
    int rc = 0;
    for (size_t i = 0; i < sizeof(del) / sizeof(del[0]) && rc == 0; i++) {
        sqlite3_bind_text(del[i], 1, metric, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(del[i]) == SQLITE_DONE ? 0
                                                 : state_fail(s, "cannot drop");
        sqlite3_reset(del[i]);
    }
    return rc;
}

/* Replaces every saved chunk of f with its series as they are now. */
static int rewrite_family(struct registry_store *rs, struct state *s,
                          struct family *f, size_t *series)
{
    int rc = drop_chunks(rs, s, f->name);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < f->n_series; i++)
        f->by_slot[i]->dirty = f->by_slot[i]->created_new = true;
    if (f->overflow)
        f->overflow->dirty = f->overflow->created_new = true;
    return write_family(rs, s, f, series);
}

/* --- restoring ----------------------------------------------------------- */

/*
 * One saved series: set in place, or added up in the overflow series.
 * family_get() has restarted an expiring series' time to live.
 */
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
    se->seen = true;
    /* Whatever it holds now began before this start: when, only
     * series_created can say (apply_created). */
    se->created_ms = 0;
    se->created_new = false;
}

/*
 * Gives the n series loaded from a chunk (se, in the chunk's order) the
 * beginnings its series_created row holds (d, len bytes; NULL when none),
 * if the row was written for these very series.
 */
static void apply_created(struct series *const *se, size_t n,
                          const unsigned char *d, size_t len)
{
    uint64_t digest;
    if (d == NULL || len != DIGEST_BYTES + n * CREATED_BYTES)
        return;
    memcpy(&digest, d, DIGEST_BYTES);
    if (digest != keys_digest(se, n))
        return;
    for (size_t i = 0; i < n; i++)
        memcpy(&se[i]->created_ms, d + DIGEST_BYTES + i * CREATED_BYTES,
               CREATED_BYTES);
}

/*
 * Loads one chunk; returns false when it is malformed or its series did
 * not come back in their saved slots (then the family is written anew).
 */
static bool load_chunk(struct family *f, int64_t chunk, const unsigned char *d,
                       size_t len, const unsigned char *created,
                       size_t created_len, size_t *n)
{
    struct series *got[STORE_CHUNK];
    size_t fixed = VALUE_BYTES + COUNT_BYTES + f->n_bounds * sizeof(uint64_t);
    size_t at = 0, k = 0;
    bool in_place = true;
    while (at < len) {
        uint32_t key_len;
        num_fixed v;
        uint64_t count;
        if (len - at < KEY_LEN_BYTES)
            return false;
        memcpy(&key_len, d + at, KEY_LEN_BYTES);
        at += KEY_LEN_BYTES;
        if (len - at < (size_t)key_len + fixed)
            return false;
        const char *key = (const char *)d + at;
        memcpy(&v, d + at + key_len, VALUE_BYTES);
        memcpy(&count, d + at + key_len + VALUE_BYTES, COUNT_BYTES);
        const unsigned char *bk = d + at + key_len + VALUE_BYTES + COUNT_BYTES;
        at += key_len + fixed;
        struct series *se =
            chunk == OVERFLOW_CHUNK
                ? family_overflow(f)
                : family_get(f, key, key_len, registry_hash(key, key_len));
        if (se == NULL)
            return false;
        restore_one(f, se, v, count, bk);
        if (k < STORE_CHUNK)
            got[k] = se;
        size_t slot = (size_t)chunk * STORE_CHUNK + k;
        if (chunk != OVERFLOW_CHUNK &&
            (slot >= f->n_series || f->by_slot[slot] != se))
            in_place = false;
        k++;
        (*n)++;
    }
    if (k <= STORE_CHUNK)
        apply_created(got, k, created, created_len);
    return in_place;
}

/*
 * Loads f's series from schema 1, which saved one row per series, and marks
 * them changed so that they are written as chunks.
 */
static int load_legacy(struct state *s, struct family *f, size_t *n)
{
    sqlite3_stmt *st = NULL;
    if (state_prepare(s, &st,
                      "SELECT key, value, count, buckets FROM series "
                      "WHERE metric = ?") != 0)
        return -EIO;
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
    return rc == SQLITE_DONE ? 0 : state_fail(s, "cannot read series");
}

/*
 * Loads the saved series of f into it. *rewrite is set when they must be
 * saved anew: read from schema 1, or no longer in their saved slots (a
 * lower max_series, a damaged chunk).
 */
static int load_family(struct registry_store *rs, struct state *s,
                       struct family *f, bool *rewrite)
{
    sqlite3_stmt *st = NULL;
    if (state_prepare(s, &st,
                      "SELECT c.chunk, c.data, t.data FROM chunks c "
                      "LEFT JOIN series_created t "
                      "ON t.metric = c.metric AND t.chunk = c.chunk "
                      "WHERE c.metric = ? ORDER BY c.chunk") != 0)
        return -EIO;
    sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
    int rc;
    size_t n = 0;
    bool in_place = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        in_place &= load_chunk(
            f, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
            (size_t)sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 2),
            (size_t)sqlite3_column_bytes(st, 2), &n);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return state_fail(s, "cannot read series");
    if (!in_place)
        log_warn("metric %s: saved series no longer fit their places (a "
                 "lower max_series?); they are saved anew",
                 f->name);
    size_t chunked = n;
    if (rs->legacy && load_legacy(s, f, &n) != 0)
        return -EIO;
    *rewrite = !in_place || n > chunked;
    if (n > 0)
        log_info("restored %zu series of %s", n, f->name);
    return 0;
}

/* A time for the log, as /health writes times. */
static const char *time_text(int64_t t, char out[TIME_TEXT_MAX])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(out, TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, TIME_TEXT_MAX, "%lld", (long long)t);
    return out;
}

/* When metric was first found no longer configured; 0: not yet. */
static int64_t removed_since(sqlite3_stmt *sel, const char *metric)
{
    sqlite3_bind_text(sel, 1, metric, -1, SQLITE_STATIC);
    int64_t since =
        sqlite3_step(sel) == SQLITE_ROW ? sqlite3_column_int64(sel, 0) : 0;
    sqlite3_reset(sel);
    return since;
}

/*
 * A saved metric the configuration no longer has: its series are kept
 * for keep_removed_s from the first start without it, so that going back
 * to the previous configuration loses nothing; then they are dropped.
 */
static int keep_or_drop(struct registry_store *rs, struct state *s,
                        const char *m, int64_t since, int64_t now)
{
    char until[TIME_TEXT_MAX];
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (since == 0 && rs->keep_removed_s > 0) {
        if (state_prepare(s, &st, "INSERT INTO removed VALUES (?, ?)") != 0)
            return -EIO;
        sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : state_fail(s, "cannot save");
        sqlite3_finalize(st);
        since = now;
    }
    if (rc != 0)
        return rc;
    if (since > 0 && now - since < rs->keep_removed_s) {
        log_info("metric %s is not configured; its saved series are kept "
                 "until %s (state.keep_removed_metrics), and continue if it "
                 "is configured again by then",
                 m, time_text(since + rs->keep_removed_s, until));
        return 0;
    }
    if (since > 0)
        log_info("metric %s has not been configured since %s; its saved "
                 "series are dropped (state.keep_removed_metrics)",
                 m, time_text(since, until));
    else
        log_info("metric %s is not configured; its saved series are dropped "
                 "(state.keep_removed_metrics: 0s)",
                 m);
    return drop_chunks(rs, s, m);
}

/*
 * Forgets the signatures of the metrics in names (not configured) that no
 * longer have saved series. A configured metric keeps its signature even
 * without series, so that a later change of its definition is still seen.
 */
static int forget_families(struct registry_store *rs, struct state *s,
                           char **names, size_t n)
{
    sqlite3_stmt *del = NULL;
    int rc = 0;
    if (state_prepare(s, &del,
                      rs->legacy
                          ? "DELETE FROM families WHERE metric = ?1 AND "
                            "metric NOT IN (SELECT metric FROM chunks UNION "
                            "SELECT metric FROM series)"
                          : "DELETE FROM families WHERE metric = ?1 AND "
                            "metric NOT IN (SELECT metric FROM chunks)") != 0)
        return -EIO;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_text(del, 1, names[i], -1, SQLITE_STATIC);
        rc =
            sqlite3_step(del) == SQLITE_DONE ? 0 : state_fail(s, "cannot drop");
        sqlite3_reset(del);
    }
    sqlite3_finalize(del);
    return rc;
}

/* Keeps or drops the saved series of families no longer configured. */
static int drop_unconfigured(struct registry_store *rs, struct state *s)
{
    sqlite3_stmt *names = NULL, *sel = NULL;
    int64_t now = (int64_t)time(NULL);
    char **gone = NULL;
    size_t n_gone = 0, cap = 0;
    int rc = 0;
    if (state_prepare(s, &names, "SELECT metric FROM families") != 0 ||
        state_prepare(s, &sel, "SELECT since FROM removed WHERE metric = ?") !=
            0)
        rc = -EIO;
    while (rc == 0 && sqlite3_step(names) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(names, 0);
        const struct family *f = registry_find(rs->reg, m);
        if (f != NULL && kept(f))
            continue;
        rc = keep_or_drop(rs, s, m, removed_since(sel, m), now);
        if (rc == 0 && n_gone == cap) {
            char **more =
                realloc(gone, (cap = cap ? 2 * cap : 8) * sizeof(*more));
            rc = more == NULL ? -ENOMEM : 0;
            gone = more == NULL ? gone : more;
        }
        if (rc == 0 && (gone[n_gone] = strdup(m)) != NULL)
            n_gone++;
        else if (rc == 0)
            rc = -ENOMEM;
    }
    sqlite3_finalize(names);
    sqlite3_finalize(sel);
    if (rc == 0)
        rc = forget_families(rs, s, gone, n_gone);
    for (size_t i = 0; i < n_gone; i++)
        free(gone[i]);
    free(gone);
    return rc != 0 ? rc
                   : state_exec(s, "DELETE FROM removed WHERE metric NOT IN "
                                   "(SELECT metric FROM families)");
}

/* The signature saved for metric (caller frees), or NULL when none. */
static char *saved_signature(sqlite3_stmt *sel, const char *metric)
{
    sqlite3_bind_text(sel, 1, metric, -1, SQLITE_STATIC);
    char *saved = sqlite3_step(sel) == SQLITE_ROW
                      ? strdup((const char *)sqlite3_column_text(sel, 0))
                      : NULL;
    sqlite3_reset(sel);
    return saved;
}

/*
 * Brings f's saved series back when its signature is the one saved, or
 * drops them when it changed; then records sig as f's signature.
 */
static int restore_family(struct registry_store *rs, struct state *s,
                          sqlite3_stmt *sel, sqlite3_stmt *put,
                          struct family *f, const char *sig)
{
    int rc = 0;
    char *saved = saved_signature(sel, f->name);
    if (saved != NULL && strcmp(saved, sig) == 0) {
        bool rewrite = false;
        size_t n = 0;
        rc = load_family(rs, s, f, &rewrite);
        if (rc == 0 && rewrite)
            rc = rewrite_family(rs, s, f, &n);
    } else if (saved != NULL) {
        struct buf change = {0};
        registry_signature_change(saved, sig, &change);
        log_warn("metric %s changed %s; its saved series start afresh", f->name,
                 change.oom ? "its definition" : change.data);
        buf_free(&change);
        rc = drop_chunks(rs, s, f->name);
    }
    free(saved);
    if (rc != 0)
        return rc;
    /* Configured (again): no longer on its way out. */
    sqlite3_bind_text(rs->unremove, 1, f->name, -1, SQLITE_STATIC);
    rc = sqlite3_step(rs->unremove);
    sqlite3_reset(rs->unremove);
    if (rc != SQLITE_DONE)
        return state_fail(s, "cannot save a family");
    sqlite3_bind_text(put, 1, f->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, sig, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(put) == SQLITE_DONE
             ? 0
             : state_fail(s, "cannot save a family");
    sqlite3_reset(put);
    return rc;
}

static int restore(void *ctx, struct state *s)
{
    struct registry_store *rs = ctx;
    sqlite3_stmt *sel = NULL, *put = NULL;
    int rc = drop_unconfigured(rs, s);
    if (rc != 0)
        return rc;
    if (state_prepare(s, &sel,
                      "SELECT signature FROM families WHERE metric = ?") != 0 ||
        state_prepare(s, &put,
                      "INSERT OR REPLACE INTO families VALUES (?, ?)") != 0)
        rc = -EIO;
    size_t n = registry_n_families(rs->reg);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct family *f = registry_family(rs->reg, i);
        char sig[SIG_MAX];
        if (kept(f) && family_signature(f, sig, sizeof(sig)) > 0)
            rc = restore_family(rs, s, sel, put, f, sig);
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    /* Schema 1's series are saved as chunks by now. */
    if (rc == 0 && rs->legacy && (rc = state_exec(s, "DROP TABLE series")) == 0)
        rs->legacy = false;
    return rc;
}

/* --- the participant ----------------------------------------------------- */

static int prepare(void *ctx, struct state *s, int version)
{
    struct registry_store *rs = ctx;
    sqlite3_stmt *st = NULL;
    (void)version;
    if (state_exec(s, schema) != 0 ||
        state_prepare(s, &st,
                      "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                      "AND name = 'series'") != 0)
        return -EIO;
    /* By its table, not the version: releases up to 0.1.0 recorded the
     * new version before converting. */
    rs->legacy = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (state_prepare(s, &rs->put_chunk,
                      "INSERT OR REPLACE INTO chunks VALUES (?,?,?)") != 0 ||
        state_prepare(s, &rs->put_created,
                      "INSERT OR REPLACE INTO series_created VALUES (?,?,?)") !=
            0 ||
        state_prepare(s, &rs->del_chunks,
                      "DELETE FROM chunks WHERE metric = ?") != 0 ||
        state_prepare(s, &rs->del_created,
                      "DELETE FROM series_created WHERE metric = ?") != 0 ||
        state_prepare(s, &rs->unremove,
                      "DELETE FROM removed WHERE metric = ?") != 0)
        return -EIO;
    return 0;
}

static bool changed(void *ctx)
{
    const struct registry_store *rs = ctx;
    size_t n = registry_n_families(rs->reg);
    for (size_t i = 0; i < n; i++) {
        const struct family *f = registry_family(rs->reg, i);
        if (!kept(f))
            continue;
        if (f->renumbered || (f->overflow && f->overflow->dirty))
            return true;
        for (size_t k = 0; k < f->n_series; k++)
            if (f->order[k]->dirty)
                return true;
    }
    return false;
}

static int save(void *ctx, struct state *s, size_t *written)
{
    struct registry_store *rs = ctx;
    size_t n = registry_n_families(rs->reg);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct family *f = registry_family(rs->reg, i);
        if (!kept(f))
            continue;
        /* Series expired: the others moved to lower slots. */
        rc = f->renumbered ? rewrite_family(rs, s, f, written)
                           : write_family(rs, s, f, written);
    }
    return rc;
}

static void committed(void *ctx)
{
    struct registry_store *rs = ctx;
    size_t n = registry_n_families(rs->reg);
    for (size_t i = 0; i < n; i++) {
        struct family *f = registry_family(rs->reg, i);
        if (!kept(f))
            continue;
        for (size_t k = 0; k < f->n_series; k++)
            f->order[k]->dirty = f->order[k]->created_new = false;
        if (f->overflow)
            f->overflow->dirty = f->overflow->created_new = false;
        f->renumbered = false;
    }
}

static void store_free(void *ctx)
{
    struct registry_store *rs = ctx;
    sqlite3_finalize(rs->put_chunk);
    sqlite3_finalize(rs->put_created);
    sqlite3_finalize(rs->del_chunks);
    sqlite3_finalize(rs->del_created);
    sqlite3_finalize(rs->unremove);
    buf_free(&rs->blob);
    free(rs);
}

static const struct state_participant participant = {
    .name = "series",
    .prepare = prepare,
    .restore = restore,
    .changed = changed,
    .save = save,
    .committed = committed,
    .free = store_free,
};

int registry_store_join(struct state *s, struct registry *reg,
                        uint64_t keep_removed_ms)
{
    struct registry_store *rs = calloc(1, sizeof(*rs));
    if (rs == NULL)
        return -ENOMEM;
    rs->reg = reg;
    rs->keep_removed_s = (int64_t)(keep_removed_ms / MS_PER_S);
    return state_join(s, STATE_PART_SERIES, &participant, rs);
}
