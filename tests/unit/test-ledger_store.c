/*
 * The usage ledger in the state file (ledger_store.c): saved in the
 * checkpoint with the series values, so that after a crash both continue
 * from it and the ledger sums to the counter; read back by a new process
 * and offline; periods dropped past retention; a changed zone and changed
 * label names keeping what was stored; a failed checkpoint written again
 * whole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "civil.h"
#include "ledger_helpers.h"

#define ALL_DAYS  -1000000, 10000000
#define ALL_HOURS INT64_MIN, INT64_MAX
#define TOKENS    0
#define LATENCY   1
#define DAY       86400

static const char *const keep_all = LEDGER_YAML("UTC", LEDGER_KEEP_ALL);

/* The counter's value over all its series, as the registry holds it. */
static num_fixed counter_total(struct lfix *f, const char *name)
{
    struct family_view v;
    num_fixed sum = 0;
    family_view(registry_find(f->reg, name), &v);
    for (size_t i = 0; i < v.n_series; i++)
        sum += v.series[i]->value;
    if (v.overflow != NULL)
        sum += v.overflow->value;
    return sum;
}

/* The ledger's total of metric over every day. */
static num_fixed ledger_total(struct lfix *f, size_t metric, uint64_t *count)
{
    struct ledger_query q = {.metric = metric,
                             .grain = LEDGER_DAYS,
                             .from = -1000000,
                             .to = 10000000};
    struct ledger_sums *s;
    assert_int_equal(ledger_sum(f->l, &q, &s), 0);
    num_fixed sum = s->total.sum;
    if (count != NULL)
        *count = s->total.count;
    ledger_sums_free(s);
    return sum;
}

static const char *const first_days[] = {"19782 1709164800 1709251200 a 1.5/0",
                                         "19782 1709164800 1709251200 b 2/0",
                                         NULL};
static const char *const all_days[] = {
    "19782 1709164800 1709251200 a 1.5/0",
    "19782 1709164800 1709251200 b 2/0",
    "19783 1709251200 1709337600 a 0.25/0",
    "19783 1709251200 1709337600 d 0.125/0",
    "19783 1709251200 1709337600 (overflow) 7/0",
    NULL};
static const char *const all_hours[] = {
    "19782 1709200800 1709204400 a 1.5/0",
    "19782 1709200800 1709204400 b 2/0",
    "19783 1709251200 1709254800 a 0.25/0",
    "19783 1709251200 1709254800 d 0.125/0",
    "19783 1709294400 1709298000 (overflow) 7/0",
    NULL};

static void first_lines(struct lfix *f)
{
    lfix_line(f, "2024-02-29T10:00:00Z", "a", "1", "0.5");
    lfix_line(f, "2024-02-29T10:30:00Z", "a", "0.5", NULL);
    lfix_line(f, "2024-02-29T10:59:59Z", "b", "2", NULL);
}

static void later_lines(struct lfix *f)
{
    lfix_line(f, "2024-03-01T00:00:00Z", "a", "0.25", "1.5");
    lfix_line(f, "2024-03-01T00:00:01Z", "d", "0.125", NULL);
    lfix_line(f, "2024-03-01T12:00:00Z", "e", "7", NULL); /* over 3 series */
}

/* Saved with the values: after a crash both go back to the checkpoint;
 * the lines read again land where they did. */
static void test_round_trip(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, keep_all, t->path);
    first_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    struct state_stats st;
    state_get_stats(f.s, &st);
    /* a and b in their day and hour, a's latency too */
    assert_int_equal(st.last_written[STATE_PART_LEDGER], 6);
    later_lines(&f);
    lfix_close(&f); /* no checkpoint: a kill -9 */

    lfix_open(&f, keep_all, t->path);
    lfix_rows(&f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    lfix_expect(&b, first_days);
    assert_true(ledger_total(&f, TOKENS, NULL) ==
                counter_total(&f, "tokens_total"));
    later_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_close(&f);

    lfix_open(&f, keep_all, t->path);
    lfix_rows(&f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    lfix_expect(&b, all_days);
    lfix_rows(&f, TOKENS, LEDGER_HOURS, ALL_HOURS, &b);
    lfix_expect(&b, all_hours);
    assert_true(ledger_total(&f, TOKENS, NULL) == dec("10.875"));
    assert_true(ledger_total(&f, TOKENS, NULL) ==
                counter_total(&f, "tokens_total"));
    uint64_t count;
    assert_true(ledger_total(&f, LATENCY, &count) == dec("2"));
    assert_int_equal(count, 2);
    /* The first checkpoint after a start applies retention; then nothing
     * changed, nothing is written. */
    assert_true(state_checkpoint(f.s) >= 0);
    assert_int_equal(state_checkpoint(f.s), 0);
    lfix_close(&f);
    buf_free(&b);
}

/* The same rows read offline, from the file alone. */
static void test_offline(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    struct ledger *l;
    lfix_open(&f, keep_all, t->path);
    first_lines(&f);
    later_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    struct config *cfg = config_or_fail(keep_all);
    assert_int_equal(ledger_open(cfg, t->path, &l), 0);
    struct ledger_query q = {.metric = TOKENS,
                             .grain = LEDGER_DAYS,
                             .from = -1000000,
                             .to = 10000000};
    assert_int_equal(ledger_rows(l, &q, lfix_row, &b), 0);
    lfix_expect(&b, all_days);
    ledger_free(l);
    lfix_close(&f);

    char other[256];
    snprintf(other, sizeof(other), "%s/none.db", t->dir);
    assert_int_equal(ledger_open(cfg, other, &l), -ENOENT);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE x (y)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ledger_open(cfg, other, &l), -ENOENT);
    config_free(cfg);
    buf_free(&b);
}

static int total_row(void *ctx, const struct ledger_row *r)
{
    struct buf *b = ctx;
    char sum[NUM_FMT_MAX];
    num_format(r->amount.sum, sum);
    buf_printf(b, "%lld %lld %lld %s#%zu %s/%llu\n", (long long)r->day,
               (long long)r->start, (long long)r->end,
               r->overflow ? "(overflow)" : "(all)", r->group, sum,
               (unsigned long long)r->amount.count);
    return 0;
}

/* The group of series "a" in each period it has a row in. */
struct group_seen {
    long group[2];
    size_t n;
};

static int seen_a(void *ctx, const struct ledger_row *r)
{
    struct group_seen *s = ctx;
    if (!r->overflow && strcmp(r->values[0], "a") == 0 && s->n < 2)
        s->group[s->n++] = (long)r->group;
    return 0;
}

/* Sums per period, saved rows and unsaved cells alike, in one query: the
 * same figures as a ledger_sum of each period. */
static void test_sum_periods(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, keep_all, t->path);
    first_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    later_lines(&f); /* not saved */
    struct ledger_query q = {
        .metric = TOKENS, .grain = LEDGER_DAYS, .from = 19700, .to = 19800};
    assert_int_equal(ledger_sum_periods(f.l, &q, total_row, &b), 0);
    static const char *const totals[] = {
        "19782 1709164800 1709251200 (all)#0 3.5/0",
        "19783 1709251200 1709337600 (all)#0 0.375/0",
        "19783 1709251200 1709337600 (overflow)#1 7/0", NULL};
    lfix_expect(&b, totals);
    for (int64_t day = 19782; day <= 19783; day++) {
        struct ledger_query one = {
            .metric = TOKENS, .grain = LEDGER_DAYS, .from = day, .to = day + 1};
        struct ledger_sums *s;
        assert_int_equal(ledger_sum(f.l, &one, &s), 0);
        assert_true(s->total.sum == (day == 19782 ? dec("3.5") : dec("7.375")));
        ledger_sums_free(s);
    }
    /* Grouped by a label: the rows of ledger_rows here, one label only. */
    static const char *const label[] = {"model"};
    q.by = label;
    q.n_by = 1;
    buf_reset(&b);
    assert_int_equal(ledger_sum_periods(f.l, &q, lfix_row, &b), 0);
    lfix_expect(&b, all_days);
    /* A group keeps its place from period to period. */
    struct group_seen seen = {{-1, -1}, 0};
    assert_int_equal(ledger_sum_periods(f.l, &q, seen_a, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.group[0], seen.group[1]);
    /* Nothing in the range: no call. */
    q.from = 19790;
    buf_reset(&b);
    assert_int_equal(ledger_sum_periods(f.l, &q, lfix_row, &b), 0);
    assert_int_equal(b.len, 0);
    lfix_close(&f);
    buf_free(&b);
}

/* RFC 3339 for now - ago seconds. */
static const char *ago(int64_t now, int64_t ago_s, char out[32])
{
    time_t t = (time_t)(now - ago_s);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

/* Rows are dropped once their period ended longer ago than the
 * retention; an update older than that is not kept at all. */
static void test_retention(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct ledger_stats st;
    char ts[32];
    int64_t now = (int64_t)time(NULL);
    lfix_open(&f,
              LEDGER_YAML("UTC", "  retention: 10d\n  hourly_retention: 5d\n"),
              t->path);
    lfix_line(&f, ago(now, 20 * DAY, ts), "a", "1", NULL); /* too old */
    lfix_line(&f, ago(now, 9 * DAY, ts), "a", "2", NULL);  /* a day only */
    lfix_line(&f, ago(now, 4 * DAY, ts), "a", "4", NULL);  /* day and hour */
    lfix_line(&f, ago(now, 3600, ts), "a", "8", NULL);
    ledger_get_stats(f.l, &st);
    assert_int_equal(st.too_old, 1);
    assert_int_equal(st.unsaved, 3);
    assert_int_equal(state_checkpoint(f.s), 1);
    sqlite3 *db = state_db(f.s);
    assert_int_equal(query(db, "SELECT COUNT(*) FROM ledger_days"), 3);
    assert_int_equal(query(db, "SELECT COUNT(*) FROM ledger_hours"), 2);
    assert_true(ledger_total(&f, TOKENS, NULL) == dec("14"));
    lfix_close(&f);

    /* Shorter: the checkpoint at start-up drops what is past it. */
    lfix_open(&f,
              LEDGER_YAML("UTC", "  retention: 3d\n  hourly_retention: 1d\n"),
              t->path);
    assert_int_equal(state_checkpoint(f.s), 1);
    ledger_get_stats(f.l, &st);
    assert_int_equal(st.dropped[LEDGER_DAYS], 2);
    assert_int_equal(st.dropped[LEDGER_HOURS], 1);
    db = state_db(f.s);
    assert_int_equal(query(db, "SELECT COUNT(*) FROM ledger_days"), 1);
    assert_int_equal(query(db, "SELECT COUNT(*) FROM ledger_hours"), 1);
    assert_true(ledger_total(&f, TOKENS, NULL) == dec("8"));
    assert_int_equal(state_checkpoint(f.s), 0);
    lfix_close(&f);
}

/* A new zone: stored days keep their dates and amounts. */
static void test_zone_change(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, LEDGER_YAML("Europe/Berlin", LEDGER_KEEP_ALL), t->path);
    lfix_line(&f, "2024-02-29T23:30:00Z", "a", "1", NULL); /* Mar 1 there */
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_close(&f);
    lfix_open(&f, LEDGER_YAML("America/New_York", LEDGER_KEEP_ALL), t->path);
    lfix_line(&f, "2024-02-29T23:30:00Z", "a", "2", NULL); /* Feb 29 here */
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_rows(&f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    /* Boundaries are given in the zone of now. */
    static const char *const want[] = {"19782 1709182800 1709269200 a 2/0",
                                       "19783 1709269200 1709355600 a 1/0",
                                       NULL};
    lfix_expect(&b, want);
    lfix_close(&f);
    buf_free(&b);
}

/* A label added: the series stored before answer with "" for it. */
static void test_labels_change(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct ledger_sums *s;
    lfix_open(&f, keep_all, t->path);
    first_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_close(&f);
    lfix_open(&f,
              "inputs: [{name: app, paths: [/dev/null], time: ts}]\n"
              "metrics:\n"
              "  - {name: tokens_total, type: counter, value: n,\n"
              "     labels: {region: r, model: m}}\n"
              "usage: {metrics: [tokens_total], retention: 36600d}\n",
              t->path);
    const char *line = "{\"ts\": \"2024-02-29T12:00:00Z\", \"m\": \"a\", "
                       "\"r\": \"eu\", \"n\": 4}";
    pipeline_line(f.p, 0, line, strlen(line));
    static const char *const by[] = {"model", "region"};
    struct ledger_query q = {.metric = TOKENS,
                             .grain = LEDGER_DAYS,
                             .from = -1000000,
                             .to = 10000000,
                             .by = by,
                             .n_by = 2};
    for (int saved = 0; saved < 2; saved++) {
        assert_int_equal(ledger_sum(f.l, &q, &s), 0);
        assert_int_equal(s->n_groups, 3);
        assert_string_equal(s->groups[0].values[0], "a");
        assert_string_equal(s->groups[0].values[1], "");
        assert_true(s->groups[0].amount.sum == dec("1.5"));
        assert_string_equal(s->groups[1].values[1], "eu");
        assert_true(s->groups[1].amount.sum == dec("4"));
        assert_string_equal(s->groups[2].values[0], "b");
        assert_true(s->total.sum == dec("7.5"));
        ledger_sums_free(s);
        assert_int_equal(state_checkpoint(f.s), saved == 0);
    }
    lfix_close(&f);
}

/* A checkpoint that fails is rolled back whole and written again. */
static void test_failed_checkpoint(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    lfix_open(&f, keep_all, t->path);
    first_lines(&f);
    sqlite3 *db = state_db(f.s);
    char *create = NULL;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT sql FROM sqlite_master WHERE "
                                        "name = 'ledger_series'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    create = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_exec(db, "DROP TABLE ledger_series", NULL, NULL, NULL),
        SQLITE_OK);
    assert_true(state_checkpoint(f.s) < 0);
    assert_int_equal(query(db, "SELECT COUNT(*) FROM chunks"), 0);
    assert_int_equal(sqlite3_exec(db, create, NULL, NULL, NULL), SQLITE_OK);
    free(create);
    later_lines(&f);
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_close(&f);
    lfix_open(&f, keep_all, t->path);
    lfix_rows(&f, TOKENS, LEDGER_DAYS, ALL_DAYS, &b);
    lfix_expect(&b, all_days);
    /* a, b, d and the overflow: numbered 0 to 3 once, in one record of
     * four keys, each a length and its bytes ("a\0" or "\xff"). */
    assert_int_equal(query(state_db(f.s),
                           "SELECT COUNT(*) || LENGTH(keys) FROM ledger_series "
                           "WHERE metric = (SELECT id FROM ledger_metrics "
                           "WHERE metric = 'tokens_total')"),
                     111);
    lfix_close(&f);
    buf_free(&b);
}

/*
 * New series beside stored ones: a record that holds stored rows is read
 * and added to, however many new numbers join it, and a record of numbers
 * all new (the second chunk here) is written without one to read. The
 * rows are then read back from the file alone.
 */
static void test_new_series_beside_stored(void **state)
{
    const struct tmp *t = *state;
    struct lfix f;
    struct buf b = {0};
    char m[16];
    lfix_open(&f, keep_all, t->path);
    for (int i = 0; i < 10; i++) {
        snprintf(m, sizeof(m), "s%02d", i);
        lfix_line(&f, "2024-02-29T10:00:00Z", m, "1", "1");
    }
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_line(&f, "2024-02-29T10:20:00Z", "s00", "1", "0.5");
    for (int i = 10; i < 70; i++) {
        snprintf(m, sizeof(m), "s%02d", i);
        lfix_line(&f, "2024-02-29T10:40:00Z", m, "1", "1");
    }
    assert_int_equal(state_checkpoint(f.s), 1);
    lfix_close(&f);

    lfix_open(&f, keep_all, t->path);
    uint64_t count;
    assert_true(ledger_total(&f, LATENCY, &count) == dec("70.5"));
    assert_int_equal(count, 71);
    lfix_rows(&f, LATENCY, LEDGER_HOURS, ALL_HOURS, &b);
    size_t rows = 0;
    for (const char *p = b.data; p != NULL && (p = strchr(p, '\n')) != NULL;
         p++)
        rows++;
    assert_int_equal(rows, 70);
    assert_non_null(strstr(b.data, " s00 1.5/2\n"));
    assert_non_null(strstr(b.data, " s09 1/1\n"));
    assert_non_null(strstr(b.data, " s63 1/1\n"));
    assert_non_null(strstr(b.data, " s69 1/1\n"));
    lfix_close(&f);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_offline, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_sum_periods, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_retention, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_zone_change, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_labels_change, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_new_series_beside_stored,
                                        tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_failed_checkpoint, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
