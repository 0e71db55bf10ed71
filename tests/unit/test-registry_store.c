/*
 * The registry's values through the durable state and back: chunks of
 * 64 series, the overflow series, a lower cap, renumbering after an
 * expiry, schema 1's one row per series, and families that changed or
 * went.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

#include "config.h"
#include "registry_private.h"
#include "registry_store.h"

#define MANY   200 /* series of c_total: four chunks */
#define DAY_MS (24 * 3600 * 1000ULL)

/* state.keep_removed_metrics for open_for(): the default unless a test
 * sets it. */
static uint64_t keep_removed_ms = CONFIG_DEFAULT_KEEP_REMOVED_MS;

/* The families every test saves; max_series of o_total as given. */
static struct registry *families(size_t cap)
{
    static const char *const k[] = {"k"}, *const p[] = {"p"};
    static num_fixed bounds[2];
    struct registry *r;
    bounds[0] = dec("0.1");
    bounds[1] = dec("1");
    struct family_spec specs[] = {
        {.name = "c_total",
         .type = METRIC_COUNTER,
         .label_names = k,
         .n_labels = 1},
        {.name = "h",
         .type = METRIC_HISTOGRAM,
         .label_names = p,
         .n_labels = 1,
         .bounds = bounds,
         .n_bounds = 2},
        {.name = "g", .type = METRIC_GAUGE},
        {.name = "o_total",
         .type = METRIC_COUNTER,
         .label_names = k,
         .n_labels = 1,
         .max_series = cap},
        {.name = "tokentail_own", .type = METRIC_GAUGE, .flags = FAMILY_SELF},
    };
    assert_int_equal(registry_new(&r), 0);
    for (size_t i = 0; i < sizeof(specs) / sizeof(*specs); i++)
        assert_non_null(registry_add(r, &specs[i]));
    return r;
}

static struct series *key(struct registry *r, const char *fam, const char *k)
{
    return get(registry_find(r, fam), k, k[0] ? strlen(k) + 1 : 0);
}

static void fill(struct registry *r)
{
    char k[16];
    for (int i = 0; i < MANY; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        series_add(key(r, "c_total", k), (num_fixed)i * NUM_ONE + 1);
    }
    struct family *h = registry_find(r, "h");
    series_observe(h, key(r, "h", "/a"), dec("0.05"));
    series_observe(h, key(r, "h", "/a"), dec("0.5"));
    series_observe(h, key(r, "h", "/b"), dec("7"));
    series_set(key(r, "g", ""), dec("-2.5"));
    for (int i = 0; i < 5; i++) {
        snprintf(k, sizeof(k), "o%d", i);
        series_add(key(r, "o_total", k), (num_fixed)(i + 1) * NUM_ONE);
    }
    series_set(key(r, "tokentail_own", ""), NUM_ONE);
}

/* Opens path for r and restores into it. */
static struct state *open_for(const char *path, struct registry *r)
{
    struct state *s;
    assert_int_equal(state_open(path, &s), 0);
    assert_int_equal(registry_store_join(s, r, keep_removed_ms), 0);
    assert_int_equal(state_restore(s), 0);
    assert_string_equal(state_error(s), "");
    return s;
}

/* Every series of fam the same in a and b, slot by slot. */
static void same_family(struct registry *a, struct registry *b, const char *fam)
{
    const struct family *x = registry_find(a, fam), *y = registry_find(b, fam);
    assert_int_equal(x->n_series, y->n_series);
    for (size_t i = 0; i < x->n_series; i++) {
        const struct series *p = x->by_slot[i], *q = y->by_slot[i];
        assert_int_equal(p->key_len, q->key_len);
        assert_memory_equal(p->key, q->key, p->key_len);
        assert_true(p->value == q->value);
        assert_int_equal(p->count, q->count);
        for (size_t k = 0; p->buckets && k < x->n_bounds; k++)
            assert_int_equal(p->buckets[k], q->buckets[k]);
    }
    assert_int_equal(x->overflow == NULL, y->overflow == NULL);
    if (x->overflow != NULL && y->overflow != NULL)
        assert_true(x->overflow->value == y->overflow->value);
}

/* Every family want keeps, as it is in r. */
static void same_families(struct registry *want, struct registry *r)
{
    for (size_t i = 0; i < registry_n_families(want); i++) {
        const struct family *f = registry_family(want, i);
        if (!(f->flags & FAMILY_SELF))
            same_family(want, r, f->name);
    }
}

/* Restores path into r (taken) and checks it holds what want holds. */
static void restores_as(const char *path, struct registry *r,
                        struct registry *want)
{
    struct state *s = open_for(path, r);
    same_families(want, r);
    state_close(s);
    registry_free(r);
}

static uint64_t series_written(struct state *s)
{
    struct state_stats st;
    state_get_stats(s, &st);
    return st.last_written[STATE_PART_SERIES];
}

static void test_round_trip(void **state)
{
    const struct tmp *t = *state;
    struct registry *a = families(3);
    fill(a);
    struct state *s = open_for(t->path, a);
    assert_int_equal(state_checkpoint(s), 1);
    /* c_total, h's two, g, o_total's three and its overflow. */
    assert_int_equal(series_written(s), MANY + 2 + 1 + 3 + 1);
    assert_int_equal(
        query(state_db(s),
              "SELECT count(*) FROM chunks WHERE metric = 'c_total'"),
        4);
    assert_int_equal(
        query(state_db(s),
              "SELECT count(*) FROM chunks WHERE metric = 'o_total'"),
        2);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks "
                                        "WHERE metric LIKE 'tokentail%'"),
                     0);
    assert_int_equal(state_checkpoint(s), 0);
    state_close(s);

    struct registry *b = families(3);
    s = open_for(t->path, b);
    same_families(a, b);
    assert_int_equal(registry_find(b, "tokentail_own")->n_series, 0);
    /* What was restored is saved; then nothing is left to write. */
    assert_true(state_checkpoint(s) >= 0);
    assert_int_equal(state_checkpoint(s), 0);
    /* One change rewrites its chunk only. */
    series_add(key(b, "c_total", "k070"), NUM_ONE);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(series_written(s), 64);
    state_close(s);

    restores_as(t->path, families(3), b);
    registry_free(a);
    registry_free(b);
}

static void test_lower_cap(void **state)
{
    const struct tmp *t = *state;
    struct registry *a = families(100);
    fill(a); /* o0..o4 worth 1..5 */
    struct state *s = open_for(t->path, a);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);

    /* Two fit now; the other three add up in the overflow series, which
     * is saved anew. */
    struct registry *b = families(2);
    s = open_for(t->path, b);
    struct family *o = registry_find(b, "o_total");
    assert_int_equal(o->n_series, 2);
    assert_true(o->overflow->value == 12 * NUM_ONE);
    assert_int_equal(
        query(state_db(s),
              "SELECT count(*) FROM chunks WHERE metric = 'o_total'"),
        2);
    state_close(s);

    restores_as(t->path, families(2), b);
    registry_free(a);
    registry_free(b);
}

static struct registry *expiring(void)
{
    static const char *const k[] = {"k"};
    struct registry *r;
    struct family_spec spec = {.name = "e",
                               .type = METRIC_GAUGE,
                               .label_names = k,
                               .n_labels = 1,
                               .expire_s = 60};
    assert_int_equal(registry_new(&r), 0);
    assert_non_null(registry_add(r, &spec));
    return r;
}

static void test_renumbered(void **state)
{
    const struct tmp *t = *state;
    char k[16];
    struct registry *a = expiring();
    struct family *f = registry_find(a, "e");
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%02d", i);
        struct series *se = key(a, "e", k);
        series_set(se, i * NUM_ONE);
        se->touched = i % 2 ? 1000 : 2000;
    }
    struct state *s = open_for(t->path, a);
    assert_int_equal(state_checkpoint(s), 1);
    /* The odd ones go; the even move down to slots 0-49. */
    assert_int_equal(family_expire(f, 2059), 50);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(series_written(s), 50);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks"), 1);
    state_close(s);

    assert_string_equal(f->by_slot[49]->key, "k98");
    restores_as(t->path, expiring(), a);
    registry_free(a);
}

/* Writes a schema 1 file: one row per series, the overflow under "\xff". */
static void write_schema_1(const char *path, struct registry *r)
{
    sqlite3 *db;
    char sig[256];
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE families (metric TEXT PRIMARY KEY,"
                     " signature TEXT NOT NULL) WITHOUT ROWID;"
                     "CREATE TABLE series (metric TEXT NOT NULL, key BLOB "
                     "NOT NULL, value BLOB NOT NULL, count INTEGER NOT NULL,"
                     " buckets BLOB, PRIMARY KEY (metric, key)) WITHOUT ROWID;"
                     "PRAGMA user_version=1;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_stmt *fam, *row;
    sqlite3_prepare_v2(db, "INSERT INTO families VALUES (?,?)", -1, &fam, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO series VALUES (?,?,?,?,?)", -1, &row,
                       NULL);
    for (size_t i = 0; i < registry_n_families(r); i++) {
        struct family *f = registry_family(r, i);
        if (f->flags & FAMILY_SELF)
            continue;
        family_signature(f, sig, sizeof(sig));
        sqlite3_bind_text(fam, 1, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(fam, 2, sig, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(fam), SQLITE_DONE);
        sqlite3_reset(fam);
        for (size_t k = 0; k <= f->n_series; k++) {
            const struct series *se =
                k < f->n_series ? f->by_slot[k] : f->overflow;
            if (se == NULL)
                continue;
            sqlite3_bind_text(row, 1, f->name, -1, SQLITE_STATIC);
            if (se == f->overflow)
                sqlite3_bind_blob(row, 2, "\xff", 1, SQLITE_STATIC);
            else
                sqlite3_bind_blob(row, 2, se->key, (int)se->key_len,
                                  SQLITE_STATIC);
            sqlite3_bind_blob(row, 3, &se->value, sizeof(se->value),
                              SQLITE_STATIC);
            sqlite3_bind_int64(row, 4, (sqlite3_int64)se->count);
            if (se->buckets != NULL)
                sqlite3_bind_blob(row, 5, se->buckets,
                                  (int)(f->n_bounds * sizeof(uint64_t)),
                                  SQLITE_STATIC);
            else
                sqlite3_bind_null(row, 5);
            assert_int_equal(sqlite3_step(row), SQLITE_DONE);
            sqlite3_reset(row);
        }
    }
    sqlite3_finalize(fam);
    sqlite3_finalize(row);
    sqlite3_close(db);
}

static void test_schema_1(void **state)
{
    const struct tmp *t = *state;
    struct registry *a = families(3);
    fill(a);
    write_schema_1(t->path, a);

    struct registry *b = families(3);
    struct state *s = open_for(t->path, b);
    same_families(a, b);
    assert_int_equal(query(state_db(s), "PRAGMA user_version"),
                     STATE_SCHEMA_VERSION);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM sqlite_master "
                                        "WHERE name = 'series'"),
                     0);
    assert_int_equal(
        query(state_db(s),
              "SELECT count(*) FROM chunks WHERE metric = 'c_total'"),
        4);
    state_close(s);

    restores_as(t->path, families(3), a);
    registry_free(a);
    registry_free(b);
}

static void test_changed_and_gone(void **state)
{
    const struct tmp *t = *state;
    static const char *const kj[] = {"k", "j"};
    struct registry *a = families(3);
    fill(a);
    keep_removed_ms = 0; /* the series of a metric gone go at once */
    struct state *s = open_for(t->path, a);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);

    /* c_total has another label now; h, g and o_total are gone. */
    struct registry *b;
    struct family_spec spec = {.name = "c_total",
                               .type = METRIC_COUNTER,
                               .label_names = kj,
                               .n_labels = 2};
    assert_int_equal(registry_new(&b), 0);
    assert_non_null(registry_add(b, &spec));
    s = open_for(t->path, b);
    assert_int_equal(registry_find(b, "c_total")->n_series, 0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks"), 0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM families"), 1);
    assert_int_equal(query(state_db(s), "SELECT signature = 'counter|k,j|' "
                                        "FROM families"),
                     1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM removed"), 0);
    /* The changed metric starts afresh: its beginnings too. */
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM series_created"),
                     0);
    state_close(s);
    registry_free(a);
    registry_free(b);
    keep_removed_ms = CONFIG_DEFAULT_KEEP_REMOVED_MS;
}

/*
 * A configured metric that has no series yet keeps its signature across
 * restores, so that a change of its definition is still seen (and said)
 * at the next one, with or without series in between.
 */
static void test_empty_family_keeps_signature(void **state)
{
    const struct tmp *t = *state;
    static const char *const k[] = {"k"}, *const kj[] = {"k", "j"};
    static const char *const said[] = {
        "",
        "metric c_total changed its label names (was k; now k, j); its saved "
        "series start afresh",
        "metric c_total changed its label names (was k, j; now k); its saved "
        "series start afresh",
    };
    for (int round = 0; round < 3; round++) {
        /* k, then k and j, then k again: never a series. */
        struct family_spec spec = {.name = "c_total",
                                   .type = METRIC_COUNTER,
                                   .label_names = round == 1 ? kj : k,
                                   .n_labels = round == 1 ? 2 : 1};
        struct registry *r;
        struct log_capture c;
        assert_int_equal(registry_new(&r), 0);
        assert_non_null(registry_add(r, &spec));
        log_capture(&c);
        struct state *s = open_for(t->path, r);
        const char *text = log_captured(&c);
        log_release(&c);
        if (round == 0)
            assert_null(strstr(text, "c_total"));
        else
            assert_non_null(strstr(text, said[round]));
        assert_int_equal(state_checkpoint(s), 0); /* nothing to write */
        assert_int_equal(query(state_db(s), "SELECT count(*) FROM families"),
                         1);
        state_close(s);
        registry_free(r);
    }
}

/* Gives every series of r a beginning of its own: base plus its slot. */
static void stamp_created(struct registry *r, int64_t base)
{
    for (size_t i = 0; i < registry_n_families(r); i++) {
        struct family *f = registry_family(r, i);
        for (size_t k = 0; k < f->n_series; k++)
            f->by_slot[k]->created_ms = base + (int64_t)(i * 1000 + k);
        if (f->overflow != NULL)
            f->overflow->created_ms = base + (int64_t)(i * 1000 + 999);
    }
}

/* How many series of fam in r began at base plus their slot (as
 * stamp_created left them in family i), and how many are not known. */
static void count_created(struct registry *r, const char *fam, size_t i,
                          int64_t base, size_t *same, size_t *unknown)
{
    const struct family *f = registry_find(r, fam);
    *same = *unknown = 0;
    for (size_t k = 0; k < f->n_series; k++) {
        *same += f->by_slot[k]->created_ms == base + (int64_t)(i * 1000 + k);
        *unknown += f->by_slot[k]->created_ms == 0;
        assert_false(f->by_slot[k]->created_new);
    }
    if (f->overflow != NULL) {
        *same += f->overflow->created_ms == base + (int64_t)(i * 1000 + 999);
        *unknown += f->overflow->created_ms == 0;
    }
}

/* The series_created rows of metric. */
static long created_rows(struct state *s, const char *metric)
{
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM series_created WHERE metric = '%s'", metric);
    return query(state_db(s), sql);
}

static void test_created(void **state)
{
    const struct tmp *t = *state;
    const int64_t base = 1764410400000LL;
    size_t same, unknown;
    struct registry *a = families(3);
    fill(a);
    stamp_created(a, base);
    struct state *s = open_for(t->path, a);
    assert_int_equal(state_checkpoint(s), 1);
    /* A row per chunk, written once: values change, beginnings do not. */
    assert_int_equal(created_rows(s, "c_total"), 4);
    assert_int_equal(created_rows(s, "o_total"), 2);
    assert_int_equal(query(state_db(s), "DELETE FROM series_created "
                                        "WHERE metric = 'g' RETURNING 0"),
                     0);
    series_add(key(a, "c_total", "k001"), NUM_ONE);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(created_rows(s, "g"), 0);
    state_close(s);

    /* Back after a restart: each series its own beginning. */
    struct registry *b = families(3);
    s = open_for(t->path, b);
    count_created(b, "c_total", 0, base, &same, &unknown);
    assert_int_equal(same, MANY);
    count_created(b, "h", 1, base, &same, &unknown);
    assert_int_equal(same, 2);
    count_created(b, "o_total", 3, base, &same, &unknown);
    assert_int_equal(same, 4); /* three and the overflow */
    /* g's row was lost: its beginning is not known. */
    count_created(b, "g", 2, base, &same, &unknown);
    assert_int_equal(unknown, 1);
    assert_true(state_checkpoint(s) >= 0);
    assert_int_equal(state_checkpoint(s), 0);
    /* A chunk's row written for other series (by a release that rewrote
     * the chunk without knowing the table) is not believed. */
    assert_int_equal(
        query(state_db(s),
              "UPDATE series_created SET data = (SELECT data FROM "
              "series_created WHERE metric = 'c_total' AND chunk = 1) "
              "WHERE metric = 'c_total' AND chunk = 0 RETURNING 0"),
        0);
    state_close(s);
    registry_free(b);

    b = families(3);
    s = open_for(t->path, b);
    count_created(b, "c_total", 0, base, &same, &unknown);
    assert_int_equal(same, MANY - 64);
    assert_int_equal(unknown, 64);
    /* A file from before the table: values back, beginnings not known. */
    assert_int_equal(query(state_db(s), "DROP TABLE series_created"), -1);
    state_close(s);
    registry_free(b);
    b = families(3);
    s = open_for(t->path, b);
    same_families(a, b);
    count_created(b, "c_total", 0, base, &same, &unknown);
    assert_int_equal(unknown, MANY);
    state_close(s);
    registry_free(b);
    registry_free(a);
}

/* The registry of families(3) without h and g. */
static struct registry *without_h_and_g(void)
{
    struct registry *all = families(3), *r;
    assert_int_equal(registry_new(&r), 0);
    for (size_t i = 0; i < registry_n_families(all); i++) {
        const struct family *f = registry_family(all, i);
        struct family_view v;
        if (strcmp(f->name, "h") == 0 || strcmp(f->name, "g") == 0)
            continue;
        family_view(registry_family(all, i), &v);
        assert_non_null(registry_add(r, &v.def));
    }
    registry_free(all);
    return r;
}

/* Moves back, by seconds, when every metric was found removed. */
static void age_removed(const char *path, int seconds)
{
    sqlite3 *db;
    char sql[96];
    snprintf(sql, sizeof(sql), "UPDATE removed SET since = since - %d",
             seconds);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* families(3), filled and saved at path with keep_removed_metrics of two
 * days; returns it (the caller frees it), as saved. */
static struct registry *saved_kept_two_days(const char *path)
{
    struct registry *a = families(3);
    fill(a);
    keep_removed_ms = 2 * DAY_MS;
    struct state *s = open_for(path, a);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);
    return a;
}

/*
 * A metric no longer configured keeps its saved series for
 * keep_removed_metrics from the first start without it: configured
 * again, it continues.
 */
static void test_removed_kept(void **state)
{
    const struct tmp *t = *state;
    struct registry *a = saved_kept_two_days(t->path);
    struct state *s;

    /* Without h and g: their series stay, and since when is recorded. */
    struct registry *b = without_h_and_g();
    s = open_for(t->path, b);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks WHERE "
                                        "metric IN ('h', 'g')"),
                     2);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM removed WHERE "
                                        "metric IN ('h', 'g') AND since > "
                                        "strftime('%s', 'now') - 60"),
                     2);
    series_add(key(b, "c_total", "k001"), NUM_ONE);
    series_add(key(a, "c_total", "k001"), NUM_ONE); /* a: what is saved */
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks WHERE "
                                        "metric IN ('h', 'g')"),
                     2);
    state_close(s);
    registry_free(b);

    /* A day later they are still kept, and since when does not move. */
    age_removed(t->path, 86400);
    b = without_h_and_g();
    s = open_for(t->path, b);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks WHERE "
                                        "metric IN ('h', 'g')"),
                     2);
    assert_int_equal(query(state_db(s),
                           "SELECT count(*) FROM removed WHERE "
                           "since < strftime('%s', 'now') - 80000"),
                     2);
    state_close(s);
    registry_free(b);

    /* Configured again: h and g continue where they stood. */
    struct registry *c = families(3);
    s = open_for(t->path, c);
    same_family(a, c, "h");
    same_family(a, c, "g");
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM removed"), 0);
    state_close(s);
    registry_free(c);
    registry_free(a);
    keep_removed_ms = CONFIG_DEFAULT_KEEP_REMOVED_MS;
}

/*
 * A metric not configured for longer than keep_removed_metrics loses its
 * saved series at the next start; configured again, it starts afresh.
 */
static void test_removed_dropped(void **state)
{
    const struct tmp *t = *state;
    struct registry *a = saved_kept_two_days(t->path);

    /* Gone, for longer than kept: dropped at the next start. */
    struct registry *b = without_h_and_g();
    struct state *s = open_for(t->path, b);
    state_close(s);
    registry_free(b);
    age_removed(t->path, 2 * 86400);
    b = without_h_and_g();
    s = open_for(t->path, b);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM chunks WHERE "
                                        "metric IN ('h', 'g')"),
                     0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM families WHERE "
                                        "metric IN ('h', 'g')"),
                     0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM removed"), 0);
    state_close(s);
    registry_free(b);

    struct registry *c = families(3);
    s = open_for(t->path, c);
    assert_int_equal(registry_find(c, "h")->n_series, 0);
    assert_int_equal(registry_find(c, "g")->n_series, 0);
    same_family(a, c, "c_total");
    state_close(s);
    registry_free(c);
    registry_free(a);
    keep_removed_ms = CONFIG_DEFAULT_KEEP_REMOVED_MS;
}

/*
 * Gauges that add, or keep their largest or smallest value, carry on from
 * their saved values; a gauge whose update changed starts afresh.
 */
static void test_gauge_updates(void **state)
{
    const struct tmp *t = *state;
    static const enum gauge_update kinds[] = {GAUGE_ADD, GAUGE_MAX, GAUGE_MIN};
    static const char *const names[] = {"in_flight", "peak", "low"};
    struct registry *r[2];
    struct state *s;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(registry_new(&r[k]), 0);
        for (int i = 0; i < 3; i++) {
            struct family_spec spec = {
                .name = names[i], .type = METRIC_GAUGE, .update = kinds[i]};
            assert_non_null(registry_add(r[k], &spec));
        }
    }
    static const char *const before[] = {"1", "1", "-1", "7", "9"};
    for (size_t v = 0; v < sizeof(before) / sizeof(*before); v++)
        for (int i = 0; i < 3; i++)
            series_gauge(key(r[0], names[i], ""), kinds[i], dec(before[v]));
    s = open_for(t->path, r[0]);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM families "
                                        "WHERE signature = 'gauge:max||'"),
                     1);
    state_close(s);

    s = open_for(t->path, r[1]);
    for (int i = 0; i < 3; i++)
        series_gauge(key(r[1], names[i], ""), kinds[i], dec("8"));
    assert_true(key(r[1], "in_flight", "")->value == dec("25"));
    assert_true(key(r[1], "peak", "")->value == dec("9"));
    assert_true(key(r[1], "low", "")->value == dec("-1"));
    state_close(s);

    /* peak is set now, no longer kept at its largest value. */
    struct registry *c;
    struct family_spec set = {.name = "peak", .type = METRIC_GAUGE};
    assert_int_equal(registry_new(&c), 0);
    assert_non_null(registry_add(c, &set));
    s = open_for(t->path, c);
    assert_int_equal(registry_find(c, "peak")->n_series, 0);
    state_close(s);
    registry_free(c);
    registry_free(r[0]);
    registry_free(r[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_lower_cap, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_renumbered, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_schema_1, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_created, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_changed_and_gone, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_empty_family_keeps_signature,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_removed_kept, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_removed_dropped, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_gauge_updates, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
