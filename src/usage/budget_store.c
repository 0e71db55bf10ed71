/*
 * budget_warnings: written whole at each checkpoint that follows a change,
 * read back at start-up.
 */
#include "budget_store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct store {
    struct budgets *b;
    sqlite3_stmt *insert;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS budget_warnings ("
    " budget TEXT NOT NULL, period TEXT NOT NULL, start INTEGER NOT NULL,"
    " fraction TEXT NOT NULL, PRIMARY KEY (budget, period, start, fraction))"
    " WITHOUT ROWID";

static int part_prepare(void *ctx, struct state *s, int version)
{
    (void)ctx;
    (void)version;
    return state_exec(s, schema);
}

/* One row into the budgets; rows that no longer parse are ignored. */
static void restore_row(struct budgets *b, sqlite3_stmt *st)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *kind = (const char *)sqlite3_column_text(st, 1);
    const char *frac = (const char *)sqlite3_column_text(st, 3);
    struct num_dec d;
    struct budget_warned w = {.budget = name,
                              .start = sqlite3_column_int64(st, 2)};
    int k = kind != NULL ? period_kind_parse(kind) : -1;
    if (name == NULL || frac == NULL || k < 0 ||
        num_parse_text(frac, strlen(frac), &d) != 0 ||
        num_to_fixed(&d, NULL, &w.fraction) != 0)
        return;
    w.kind = (enum period_kind)k;
    budgets_restore_warned(b, &w);
}

static int part_restore(void *ctx, struct state *s)
{
    struct store *st = ctx;
    sqlite3_stmt *q = NULL;
    int rc = state_prepare(s, &q,
                           "SELECT budget, period, start, fraction "
                           "FROM budget_warnings");
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        restore_row(st->b, q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : state_fail(s, "reading budget warnings");
}

static bool part_changed(void *ctx)
{
    return budgets_warned_changed(((struct store *)ctx)->b);
}

struct saving {
    struct store *st;
    struct state *s;
    size_t *written;
};

static int save_one(void *ctx, const struct budget_warned *w)
{
    struct saving *sv = ctx;
    sqlite3_stmt *q = sv->st->insert;
    char frac[NUM_FMT_MAX];
    size_t len = num_format(w->fraction, frac);
    sqlite3_bind_text(q, 1, w->budget, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, period_kind_name(w->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, w->start);
    sqlite3_bind_text(q, 4, frac, (int)len, SQLITE_TRANSIENT);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return state_fail(sv->s, "writing a budget warning");
    (*sv->written)++;
    return 0;
}

static int part_save(void *ctx, struct state *s, size_t *written)
{
    struct store *st = ctx;
    struct saving sv = {st, s, written};
    int rc = state_exec(s, "DELETE FROM budget_warnings");
    if (rc == 0)
        rc = state_prepare(s, &st->insert,
                           "INSERT OR IGNORE INTO budget_warnings "
                           "(budget, period, start, fraction) "
                           "VALUES (?1, ?2, ?3, ?4)");
    return rc != 0 ? rc : budgets_each_warned(st->b, save_one, &sv);
}

static void part_committed(void *ctx)
{
    budgets_saved(((struct store *)ctx)->b);
}

static void part_free(void *ctx)
{
    struct store *st = ctx;
    sqlite3_finalize(st->insert);
    free(st);
}

static const struct state_participant participant = {
    .name = "budget warnings",
    .prepare = part_prepare,
    .restore = part_restore,
    .changed = part_changed,
    .save = part_save,
    .committed = part_committed,
    .free = part_free,
};

int budget_store_join(struct state *s, struct budgets *b)
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return -ENOMEM;
    st->b = b;
    return state_join(s, STATE_PART_BUDGETS, &participant, st);
}
