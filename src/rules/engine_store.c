/*
 * rule_alerts: rewritten whole at each checkpoint after an evaluation
 * (there are few), read back at start-up; the history's tables are
 * history_store.c's.
 */
#include "engine_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"
#include "history_store.h"
#include "store_labels.h"

struct store {
    struct engine *e;
    int64_t (*now_ms)(void);
    struct history_store *hs;
    sqlite3_stmt *put_alert;
    struct buf a, b; /* blobs being written */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS rule_alerts ("
    " grp TEXT NOT NULL, rule INTEGER NOT NULL, alertname TEXT NOT NULL,"
    " labels BLOB NOT NULL, annotations BLOB NOT NULL, state INTEGER NOT NULL,"
    " value REAL, active_at INTEGER NOT NULL, fired_at INTEGER NOT NULL,"
    " resolved_at INTEGER NOT NULL, keep_firing_since INTEGER NOT NULL,"
    " seen_at INTEGER NOT NULL, last_sent INTEGER NOT NULL);";

static int part_prepare(void *ctx, struct state *s, int version)
{
    (void)ctx;
    (void)version;
    int rc = state_exec(s, schema);
    return rc != 0 ? rc : history_store_prepare(s);
}

static int restore_alert(struct engine *e, sqlite3_stmt *q)
{
    struct alert a = {0};
    size_t len;
    const char *grp = (const char *)sqlite3_column_text(q, 0);
    const char *name = (const char *)sqlite3_column_text(q, 2);
    const char *p = store_blob(q, 3, &len);
    int state = sqlite3_column_int(q, 5);
    if (grp == NULL || name == NULL || state < ALERT_INACTIVE ||
        state > ALERT_FIRING || store_labels_decode(p, len, &a.labels) != 0)
        return 0;
    p = store_blob(q, 4, &len);
    if (store_labels_decode(p, len, &a.annotations) != 0) {
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

static int part_restore(void *ctx, struct state *s)
{
    struct store *st = ctx;
    sqlite3_stmt *q = NULL;
    int step = SQLITE_DONE;
    int rc = state_prepare(s, &q,
                           "SELECT grp, rule, alertname, labels, annotations,"
                           " state, value, active_at, fired_at, resolved_at,"
                           " keep_firing_since, seen_at, last_sent"
                           " FROM rule_alerts ORDER BY rowid");
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        rc = restore_alert(st->e, q);
    sqlite3_finalize(q);
    if (rc == 0 && step != SQLITE_DONE)
        rc = state_fail(s, "reading the alerts");
    return rc != 0 ? rc
                   : history_store_restore(st->hs, s, engine_history(st->e),
                                           st->now_ms());
}

static bool part_changed(void *ctx)
{
    struct engine *e = ((struct store *)ctx)->e;
    return engine_changed(e) || history_changed(engine_history(e));
}

static int save_alert(struct store *st, struct state *s, const char *grp,
                      size_t r, const struct alert *a)
{
    sqlite3_stmt *q = st->put_alert;
    store_labels_encode(&st->a, &a->labels);
    store_labels_encode(&st->b, &a->annotations);
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

static int part_save(void *ctx, struct state *s, size_t *written)
{
    struct store *st = ctx;
    int rc = engine_changed(st->e) ? save_alerts(st, s, written) : 0;
    return rc != 0
               ? rc
               : history_store_save(st->hs, s, engine_history(st->e), written);
}

static void part_committed(void *ctx)
{
    struct engine *e = ((struct store *)ctx)->e;
    engine_saved(e);
    history_saved(engine_history(e));
}

static void part_free(void *ctx)
{
    struct store *st = ctx;
    sqlite3_finalize(st->put_alert);
    history_store_free(st->hs);
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
    if (history_store_new(&st->hs) != 0) {
        free(st);
        return -ENOMEM;
    }
    return state_join(s, STATE_PART_RULES, &participant, st);
}
