/*
 * rule_alerts and rule_history: rewritten whole at each checkpoint after
 * an evaluation, read back at start-up. Labels are stored as a blob of
 * NUL-terminated names and values; samples as the array of struct
 * promql_sample the history holds (this machine's byte order: the file
 * is not meant to move between machines).
 */
#include "engine_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"

struct store {
    struct engine *e;
    int64_t (*now_ms)(void);
    sqlite3_stmt *put_alert, *put_series;
    struct buf a, b; /* blobs being written */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS rule_alerts ("
    " grp TEXT NOT NULL, rule INTEGER NOT NULL, alertname TEXT NOT NULL,"
    " labels BLOB NOT NULL, annotations BLOB NOT NULL, state INTEGER NOT NULL,"
    " value REAL, active_at INTEGER NOT NULL, fired_at INTEGER NOT NULL,"
    " resolved_at INTEGER NOT NULL, keep_firing_since INTEGER NOT NULL,"
    " seen_at INTEGER NOT NULL, last_sent INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rule_history ("
    " key BLOB PRIMARY KEY, labels BLOB NOT NULL, samples BLOB NOT NULL)"
    " WITHOUT ROWID;";

static int part_prepare(void *ctx, struct state *s, int version)
{
    (void)ctx;
    (void)version;
    return state_exec(s, schema);
}

static void encode_labels(struct buf *b, const struct labels *ls)
{
    buf_reset(b);
    for (size_t i = 0; i < ls->n; i++) {
        buf_append(b, ls->v[i].name, strlen(ls->v[i].name) + 1);
        buf_append(b, ls->v[i].value, strlen(ls->v[i].value) + 1);
    }
}

/* The labels of a blob (len bytes); -EINVAL for one not ours. */
static int decode_labels(const char *p, size_t len, struct labels *out)
{
    const char *end = p + len;
    *out = (struct labels){0};
    while (p < end) {
        const char *name = p, *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == NULL || nul + 1 >= end)
            break;
        const char *value = nul + 1,
                   *vnul = memchr(value, '\0', (size_t)(end - value));
        if (vnul == NULL)
            break;
        if (labels_set(out, name, value) != 0) {
            labels_free(out);
            return -ENOMEM;
        }
        p = vnul + 1;
    }
    if (p != end) {
        labels_free(out);
        return -EINVAL;
    }
    return 0;
}

static const char *col_blob(sqlite3_stmt *q, int c, size_t *len)
{
    const char *p = sqlite3_column_blob(q, c);
    *len = (size_t)sqlite3_column_bytes(q, c);
    return p ? p : "";
}

static int restore_alert(struct engine *e, sqlite3_stmt *q)
{
    struct alert a = {0};
    size_t len;
    const char *grp = (const char *)sqlite3_column_text(q, 0);
    const char *name = (const char *)sqlite3_column_text(q, 2);
    const char *p = col_blob(q, 3, &len);
    int state = sqlite3_column_int(q, 5);
    if (grp == NULL || name == NULL || state < ALERT_INACTIVE ||
        state > ALERT_FIRING || decode_labels(p, len, &a.labels) != 0)
        return 0;
    p = col_blob(q, 4, &len);
    if (decode_labels(p, len, &a.annotations) != 0) {
        labels_free(&a.labels);
        return 0;
    }
    a.state = (enum alert_state)state;
    a.value = sqlite3_column_double(q, 6);
    a.active_at_ms = sqlite3_column_int64(q, 7);
    a.fired_at_ms = sqlite3_column_int64(q, 8);
    a.resolved_at_ms = sqlite3_column_int64(q, 9);
    a.keep_firing_since_ms = sqlite3_column_int64(q, 10);
    a.seen_at_ms = sqlite3_column_int64(q, 11);
    a.last_sent_ms = sqlite3_column_int64(q, 12);
    int rc = engine_restore_alert(e, grp, (size_t)sqlite3_column_int64(q, 1),
                                  name, &a);
    return rc < 0 ? rc : 0;
}

static int restore_series(struct store *st, sqlite3_stmt *q)
{
    struct labels ls;
    size_t klen, llen, slen;
    const char *key = col_blob(q, 0, &klen);
    const char *lab = col_blob(q, 1, &llen);
    const char *smp = col_blob(q, 2, &slen);
    if (decode_labels(lab, llen, &ls) != 0 ||
        slen % sizeof(struct promql_sample) != 0) {
        labels_free(&ls);
        return 0;
    }
    size_t n = slen / sizeof(struct promql_sample);
    struct promql_sample *s = malloc(n ? slen : 1);
    if (s == NULL) {
        labels_free(&ls);
        return -ENOMEM;
    }
    memcpy(s, smp, slen);
    int rc =
        history_restore(st->e->history, key, klen, &ls, s, n, st->now_ms());
    free(s);
    return rc;
}

static int read_table(struct store *st, struct state *s, const char *sql,
                      bool alerts)
{
    sqlite3_stmt *q = NULL;
    int rc = state_prepare(s, &q, sql), step;
    if (rc != 0)
        return rc;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        rc = alerts ? restore_alert(st->e, q) : restore_series(st, q);
    sqlite3_finalize(q);
    if (rc != 0)
        return rc;
    return step == SQLITE_DONE ? 0 : state_fail(s, "reading rule state");
}

static int part_restore(void *ctx, struct state *s)
{
    struct store *st = ctx;
    int rc = read_table(st, s,
                        "SELECT grp, rule, alertname, labels, annotations,"
                        " state, value, active_at, fired_at, resolved_at,"
                        " keep_firing_since, seen_at, last_sent"
                        " FROM rule_alerts ORDER BY rowid",
                        true);
    if (rc == 0)
        rc = read_table(st, s, "SELECT key, labels, samples FROM rule_history",
                        false);
    return rc;
}

static bool part_changed(void *ctx)
{
    return engine_changed(((struct store *)ctx)->e);
}

static int save_alert(struct store *st, struct state *s, const char *grp,
                      size_t r, const struct alert *a)
{
    sqlite3_stmt *q = st->put_alert;
    encode_labels(&st->a, &a->labels);
    encode_labels(&st->b, &a->annotations);
    if (st->a.oom || st->b.oom)
        return -ENOMEM;
    sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)r);
    sqlite3_bind_text(q, 3, labels_get(&a->labels, "alertname"), -1,
                      SQLITE_STATIC);
    sqlite3_bind_blob(q, 4, st->a.data ? st->a.data : "", (int)st->a.len,
                      SQLITE_STATIC);
    sqlite3_bind_blob(q, 5, st->b.data ? st->b.data : "", (int)st->b.len,
                      SQLITE_STATIC);
    sqlite3_bind_int(q, 6, (int)a->state);
    sqlite3_bind_double(q, 7, a->value);
    sqlite3_bind_int64(q, 8, a->active_at_ms);
    sqlite3_bind_int64(q, 9, a->fired_at_ms);
    sqlite3_bind_int64(q, 10, a->resolved_at_ms);
    sqlite3_bind_int64(q, 11, a->keep_firing_since_ms);
    sqlite3_bind_int64(q, 12, a->seen_at_ms);
    sqlite3_bind_int64(q, 13, a->last_sent_ms);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : state_fail(s, "writing an alert");
}

static int save_alerts(struct store *st, struct state *s, size_t *written)
{
    int rc = state_exec(s, "DELETE FROM rule_alerts");
    if (rc == 0)
        rc = state_prepare(s, &st->put_alert,
                           "INSERT INTO rule_alerts VALUES (?1, ?2, ?3, ?4,"
                           " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    for (size_t g = 0; rc == 0 && g < engine_n_groups(st->e); g++) {
        struct engine_group_info gi;
        engine_group(st->e, g, &gi);
        for (size_t r = 0; rc == 0 && r < gi.n_rules; r++) {
            struct engine_rule_info ri;
            engine_rule(st->e, g, r, &ri);
            for (size_t i = 0; rc == 0 && i < ri.n_alerts; i++)
                rc = save_alert(st, s, gi.name, r, &ri.alerts[i]);
            *written += ri.n_alerts;
        }
    }
    return rc;
}

struct saving {
    struct store *st;
    struct state *s;
    size_t *written;
};

static int save_series(void *ctx, const char *key, size_t len,
                       const struct labels *ls, const struct promql_sample *v,
                       size_t n)
{
    struct saving *sv = ctx;
    sqlite3_stmt *q = sv->st->put_series;
    encode_labels(&sv->st->a, ls);
    if (sv->st->a.oom)
        return -ENOMEM;
    sqlite3_bind_blob(q, 1, key, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, sv->st->a.data ? sv->st->a.data : "",
                      (int)sv->st->a.len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 3, n ? (const void *)v : "", (int)(n * sizeof(*v)),
                      SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return state_fail(sv->s, "writing the rules' history");
    (*sv->written)++;
    return 0;
}

static int part_save(void *ctx, struct state *s, size_t *written)
{
    struct store *st = ctx;
    struct saving sv = {st, s, written};
    int rc = save_alerts(st, s, written);
    if (rc == 0)
        rc = state_exec(s, "DELETE FROM rule_history");
    if (rc == 0)
        rc = state_prepare(s, &st->put_series,
                           "INSERT OR REPLACE INTO rule_history"
                           " (key, labels, samples) VALUES (?1, ?2, ?3)");
    return rc != 0 ? rc : history_each(st->e->history, save_series, &sv);
}

static void part_committed(void *ctx)
{
    engine_saved(((struct store *)ctx)->e);
}

static void part_free(void *ctx)
{
    struct store *st = ctx;
    sqlite3_finalize(st->put_alert);
    sqlite3_finalize(st->put_series);
    buf_free(&st->a);
    buf_free(&st->b);
    free(st);
}

static const struct state_participant participant = {
    .name = "alerting rules' state",
    .prepare = part_prepare,
    .restore = part_restore,
    .changed = part_changed,
    .save = part_save,
    .committed = part_committed,
    .free = part_free,
};

int engine_store_join(struct state *s, struct engine *e,
                      int64_t (*now_ms)(void))
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return -ENOMEM;
    st->e = e;
    st->now_ms = now_ms;
    return state_join(s, STATE_PART_RULES, &participant, st);
}
