/*
 * rule_series and rule_samples: appended to at each checkpoint, trimmed
 * to the window; labels as a blob of NUL-terminated names and values.
 */
#include "history_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_labels.h"

struct history_store {
    sqlite3_stmt *put_series, *put_sample, *del_series, *del_samples, *trim;
    struct buf labels; /* a series' labels, being written */
    struct state *s;   /* during a save */
    size_t *written;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS rule_series ("
    " id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE,"
    " labels BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rule_samples ("
    " id INTEGER NOT NULL, t INTEGER NOT NULL, v REAL,"
    " PRIMARY KEY (id, t)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS rule_samples_t ON rule_samples (t);";

int history_store_new(struct history_store **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void history_store_free(struct history_store *hs)
{
    if (hs == NULL)
        return;
    sqlite3_finalize(hs->put_series);
    sqlite3_finalize(hs->put_sample);
    sqlite3_finalize(hs->del_series);
    sqlite3_finalize(hs->del_samples);
    sqlite3_finalize(hs->trim);
    buf_free(&hs->labels);
    free(hs);
}

int history_store_prepare(struct state *s)
{
    return state_exec(s, schema);
}

/* --- restoring ----------------------------------------------------------- */

/* A series' samples, as saved, into *out (caller frees). */
static int read_samples(struct state *s, sqlite3_stmt *q, int64_t id,
                        struct promql_sample **out, size_t *n)
{
    size_t cap = 0;
    int step;
    *out = NULL;
    *n = 0;
    sqlite3_bind_int64(q, 1, id);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct promql_sample *p = realloc(*out, cap * sizeof(*p));
            if (p == NULL) {
                sqlite3_reset(q);
                return -ENOMEM;
            }
            *out = p;
        }
        (*out)[*n].t_ms = sqlite3_column_int64(q, 0);
        (*out)[(*n)++].v = sqlite3_column_double(q, 1);
    }
    sqlite3_reset(q);
    return step == SQLITE_DONE ? 0
                               : state_fail(s, "reading the rules' samples");
}

static int restore_one(struct state *s, sqlite3_stmt *series,
                       sqlite3_stmt *samples, struct history *h, int64_t now_ms)
{
    struct labels ls;
    struct promql_sample *v;
    size_t n, klen, llen;
    int64_t id = sqlite3_column_int64(series, 0);
    const char *key = store_blob(series, 1, &klen);
    const char *lab = store_blob(series, 2, &llen);
    if (id <= 0 || store_labels_decode(lab, llen, &ls) != 0)
        return 0; /* not ours: left for the next save to outlive */
    int rc = read_samples(s, samples, id, &v, &n);
    if (rc == 0)
        rc = history_restore(h, (uint64_t)id, key, klen, &ls, v, n, now_ms);
    else
        labels_free(&ls);
    free(v);
    return rc;
}

int history_store_restore(struct history_store *hs, struct state *s,
                          struct history *h, int64_t now_ms)
{
    sqlite3_stmt *series = NULL, *samples = NULL;
    int rc =
        state_prepare(s, &series, "SELECT id, key, labels FROM rule_series");
    if (rc == 0)
        rc = state_prepare(s, &samples,
                           "SELECT t, v FROM rule_samples WHERE id = ?1"
                           " ORDER BY t");
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(series)) == SQLITE_ROW)
        rc = restore_one(s, series, samples, h, now_ms);
    sqlite3_finalize(series);
    sqlite3_finalize(samples);
    (void)hs;
    if (rc != 0)
        return rc;
    return step == SQLITE_DONE ? 0 : state_fail(s, "reading the rules' series");
}

/* --- saving -------------------------------------------------------------- */

/* Runs q, bound already, once; then resets it. */
static int run(struct history_store *hs, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : state_fail(hs->s, what);
}

static int on_gone(void *ctx, uint64_t id)
{
    struct history_store *hs = ctx;
    sqlite3_bind_int64(hs->del_series, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(hs->del_samples, 1, (sqlite3_int64)id);
    int rc = run(hs, hs->del_samples, "letting go of a rule series");
    return rc != 0 ? rc
                   : run(hs, hs->del_series, "letting go of a rule series");
}

static int on_clear(void *ctx)
{
    struct history_store *hs = ctx;
    int rc = state_exec(hs->s, "DELETE FROM rule_samples");
    return rc != 0 ? rc : state_exec(hs->s, "DELETE FROM rule_series");
}

static int on_series(void *ctx, uint64_t id, const char *key, size_t len,
                     const struct labels *ls)
{
    struct history_store *hs = ctx;
    sqlite3_stmt *q = hs->put_series;
    store_labels_encode(&hs->labels, ls);
    if (hs->labels.oom)
        return -ENOMEM;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    sqlite3_bind_blob(q, 2, len ? key : "", (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 3, hs->labels.data ? hs->labels.data : "",
                      (int)hs->labels.len, SQLITE_STATIC);
    (*hs->written)++;
    return run(hs, q, "writing a rule series");
}

static int on_samples(void *ctx, uint64_t id, const struct promql_sample *s,
                      size_t n)
{
    struct history_store *hs = ctx;
    sqlite3_stmt *q = hs->put_sample;
    int rc = 0;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_bind_int64(q, 2, s[i].t_ms);
        sqlite3_bind_double(q, 3, s[i].v);
        rc = run(hs, q, "writing a rule sample");
    }
    *hs->written += n;
    return rc;
}

static int prepare_all(struct history_store *hs, struct state *s)
{
    int rc = state_prepare(s, &hs->put_series,
                           "INSERT OR REPLACE INTO rule_series (id, key,"
                           " labels) VALUES (?1, ?2, ?3)");
    if (rc == 0)
        rc = state_prepare(s, &hs->put_sample,
                           "INSERT OR REPLACE INTO rule_samples (id, t, v)"
                           " VALUES (?1, ?2, ?3)");
    if (rc == 0)
        rc = state_prepare(s, &hs->del_series,
                           "DELETE FROM rule_series WHERE id = ?1");
    if (rc == 0)
        rc = state_prepare(s, &hs->del_samples,
                           "DELETE FROM rule_samples WHERE id = ?1");
    if (rc == 0)
        rc = state_prepare(s, &hs->trim,
                           "DELETE FROM rule_samples WHERE t < ?1");
    return rc;
}

int history_store_save(struct history_store *hs, struct state *s,
                       struct history *h, size_t *written)
{
    struct history_changes c = {on_series, on_samples, on_gone, on_clear, hs};
    hs->s = s;
    hs->written = written;
    int rc = prepare_all(hs, s);
    if (rc == 0 && history_cutoff_ms(h) != INT64_MIN) {
        sqlite3_bind_int64(hs->trim, 1, history_cutoff_ms(h));
        rc = run(hs, hs->trim, "letting go of old rule samples");
    }
    return rc != 0 ? rc : history_changes(h, &c);
}
