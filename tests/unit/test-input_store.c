/*
 * The positions participant: a file's mark saved and restored exactly,
 * the done offsets of each container stream and its envelope with it,
 * and a files table of schema 2 (before them) converted with nothing to
 * drop and the envelope left to decide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

#include "input.h"
#include "input_store.h"
#include "state.h"

#define MAX_RECORDS 4

static void no_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    (void)line;
    (void)len;
}

static void no_skip(void *ctx, enum tail_skip why)
{
    (void)ctx;
    (void)why;
}

static const struct tail_sink sink = {no_line, no_skip, NULL};
static const struct cfg_input app_input = {.name = "app"};

/* The records an input holds, as input_each_position gives them. */
struct records {
    struct tail_mark mark[MAX_RECORDS];
    uint64_t ino[MAX_RECORDS];
    char path[MAX_RECORDS][64];
    size_t n;
};

static int keep(void *ctx, uint64_t dev, uint64_t ino,
                const struct tail_mark *m, const char *path, int64_t seen)
{
    struct records *r = ctx;
    (void)dev;
    (void)seen;
    assert_true(r->n < MAX_RECORDS);
    r->mark[r->n] = *m;
    r->ino[r->n] = ino;
    snprintf(r->path[r->n], sizeof(r->path[0]), "%s", path);
    r->n++;
    return 0;
}

/* A state at path with in as its only input, restored. */
static struct state *open_with(const char *path, struct input *const *in)
{
    struct state *s;
    assert_int_equal(state_open(path, &s), 0);
    assert_int_equal(input_store_join(s, in, 1), 0);
    assert_int_equal(state_restore(s), 0);
    return s;
}

static struct records records_of(const struct input *in)
{
    struct records r = {.n = 0};
    assert_int_equal(input_each_position(in, (int64_t)time(NULL), keep, &r), 0);
    return r;
}

static void test_round_trip(void **state)
{
    const struct tmp *t = *state;
    struct tail_buf rb = {0};
    struct input *in;
    struct tail_mark m = {
        .head_len = 1024,
        .head_hash = 0x8000000000000001ULL,
        .offset = 5000,
        .tail_len = 3,
        .tail = "ab\n",
        .envelope = ENVELOPE_CRI,
        .done = {[ENVELOPE_STDOUT] = 5000,
                 [ENVELOPE_STDERR] = 7321,
                 [ENVELOPE_NO_STREAM] = 9000},
    };
    assert_int_equal(input_new(&app_input, NULL, NULL, &rb, &sink, &in), 0);
    struct state *s = open_with(t->path, &in);
    assert_int_equal(
        input_add_record(in, 1, 42, &m, "/var/log/a.log", (int64_t)time(NULL)),
        0);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);
    input_free(in);

    assert_int_equal(input_new(&app_input, NULL, NULL, &rb, &sink, &in), 0);
    s = open_with(t->path, &in);
    struct records r = records_of(in);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.ino[0], 42);
    assert_string_equal(r.path[0], "/var/log/a.log");
    assert_int_equal(r.mark[0].head_len, 1024);
    assert_true(r.mark[0].head_hash == m.head_hash);
    assert_int_equal(r.mark[0].offset, 5000);
    assert_int_equal(r.mark[0].tail_len, 3);
    assert_memory_equal(r.mark[0].tail, "ab\n", 3);
    assert_false(r.mark[0].discarding);
    assert_int_equal(r.mark[0].envelope, ENVELOPE_CRI);
    assert_int_equal(r.mark[0].done[ENVELOPE_STDOUT], 5000);
    assert_int_equal(r.mark[0].done[ENVELOPE_STDERR], 7321);
    assert_int_equal(r.mark[0].done[ENVELOPE_NO_STREAM], 9000);
    assert_int_equal(tail_mark_end(&r.mark[0]), 9000);
    state_close(s);
    input_free(in);
}

/* An input left out of a start (a reload to a configuration without it)
 * keeps its records, each within its time to live, for when it comes
 * back. */
static void test_removed_input_kept(void **state)
{
    const struct tmp *t = *state;
    static const struct cfg_input other_input = {.name = "other"};
    struct tail_buf rb = {0};
    struct input *in;
    struct tail_mark m = {.head_len = 10, .offset = 700};
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(input_new(&app_input, NULL, NULL, &rb, &sink, &in), 0);
    struct state *s = open_with(t->path, &in);
    assert_int_equal(input_add_record(in, 1, 42, &m, "/l/a.log", now), 0);
    assert_int_equal(input_add_record(in, 1, 43, &m, "/l/old.log",
                                      now - INPUT_STORE_RECORD_TTL_S + 60),
                     0);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);
    input_free(in);

    /* Another input alone: app's records stay. */
    assert_int_equal(input_new(&other_input, NULL, NULL, &rb, &sink, &in), 0);
    s = open_with(t->path, &in);
    assert_int_equal(records_of(in).n, 0);
    assert_int_equal(state_checkpoint(s), 1);
    state_close(s);
    input_free(in);

    assert_int_equal(input_new(&app_input, NULL, NULL, &rb, &sink, &in), 0);
    s = open_with(t->path, &in);
    struct records r = records_of(in);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.mark[0].offset, 700);
    state_close(s);
    input_free(in);
    tail_buf_free(&rb);
}

/* A files table as schema 2 made it, with one row. */
static void write_schema_2(const char *path, int64_t seen)
{
    sqlite3 *db;
    char sql[1024];
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql),
             "CREATE TABLE inputs (name TEXT PRIMARY KEY) WITHOUT ROWID;"
             "CREATE TABLE files (input TEXT NOT NULL, dev INTEGER NOT NULL,"
             " ino INTEGER NOT NULL, head_len INTEGER NOT NULL,"
             " head_hash INTEGER NOT NULL, offset INTEGER NOT NULL,"
             " tail BLOB NOT NULL, discarding INTEGER NOT NULL,"
             " path TEXT NOT NULL, last_seen INTEGER NOT NULL);"
             "INSERT INTO inputs VALUES ('app');"
             "INSERT INTO files VALUES ('app', 1, 42, 300, 77, 4096, x'0a',"
             " 1, '/var/log/a.log', %lld);"
             "PRAGMA user_version=2;",
             (long long)seen);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_schema_2(void **state)
{
    const struct tmp *t = *state;
    struct tail_buf rb = {0};
    struct input *in;
    write_schema_2(t->path, (int64_t)time(NULL));
    assert_int_equal(input_new(&app_input, NULL, NULL, &rb, &sink, &in), 0);
    struct state *s = open_with(t->path, &in);
    assert_int_equal(query(state_db(s), "PRAGMA user_version"),
                     STATE_SCHEMA_VERSION);
    struct records r = records_of(in);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.mark[0].offset, 4096);
    assert_true(r.mark[0].discarding);
    assert_int_equal(r.mark[0].head_len, 300);
    assert_int_equal(r.mark[0].envelope, ENVELOPE_AUTO);
    for (int k = 0; k < ENVELOPE_STREAM_COUNT; k++)
        assert_int_equal(r.mark[0].done[k], 0);
    assert_int_equal(tail_mark_end(&r.mark[0]), 4096);
    /* The converted table takes the new rows. */
    r.mark[0].done[ENVELOPE_STDERR] = 5000;
    r.mark[0].envelope = ENVELOPE_DOCKER;
    assert_int_equal(input_add_record(in, 1, 43, &r.mark[0], "/var/log/b.log",
                                      (int64_t)time(NULL)),
                     0);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(query(state_db(s), "SELECT done_stderr FROM files "
                                        "WHERE ino = 43"),
                     5000);
    assert_int_equal(query(state_db(s), "SELECT done_stderr FROM files "
                                        "WHERE ino = 42"),
                     0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM files WHERE "
                                        "ino = 43 AND envelope = 'docker'"),
                     1);
    state_close(s);
    input_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_removed_input_kept, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_schema_2, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
