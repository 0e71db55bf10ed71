/*
 * The checkpoint seam with two fake participants, each keeping one table
 * of its own: one transaction for both, restore in the order of enum
 * state_part, the schema version each one sees, files set aside.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"

#include "state.h"

#define CALLS_MAX 16

/* What the fakes did, in order: "prepare 0", "restore 1", ... */
struct calls {
    char what[CALLS_MAX][32];
    size_t n;
};

struct fake {
    const char *table;
    int id;
    struct calls *calls;
    bool dirty;
    int fail_saves;    /* how many saves fail from now on */
    int fail_restores; /* how many restores fail from now on */
    int version;       /* as prepare() saw it */
    int saves;
    int commits;
};

static void called(struct fake *f, const char *what)
{
    struct calls *c = f->calls;
    if (c != NULL && c->n < CALLS_MAX)
        snprintf(c->what[c->n++], sizeof(c->what[0]), "%s %d", what, f->id);
}

static int fake_prepare(void *ctx, struct state *s, int version)
{
    struct fake *f = ctx;
    char sql[128];
    called(f, "prepare");
    f->version = version;
    snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s (v INTEGER)",
             f->table);
    return state_exec(s, sql);
}

static int fake_restore(void *ctx, struct state *s)
{
    struct fake *f = ctx;
    (void)s;
    called(f, "restore");
    if (f->fail_restores > 0) {
        f->fail_restores--;
        return -EIO;
    }
    return 0;
}

static bool fake_changed(void *ctx)
{
    const struct fake *f = ctx;
    return f->dirty;
}

/* Writes one row, then fails if told to: what it wrote must not stay. */
static int fake_save(void *ctx, struct state *s, size_t *written)
{
    struct fake *f = ctx;
    char sql[128];
    f->saves++;
    snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (%d)", f->table,
             f->saves);
    int rc = state_exec(s, sql);
    if (rc == 0 && f->fail_saves > 0) {
        f->fail_saves--;
        return -EIO;
    }
    (*written)++;
    return rc;
}

static void fake_committed(void *ctx)
{
    struct fake *f = ctx;
    f->commits++;
    f->dirty = false;
}

/* The two fakes differ in name only, so messages say which one failed. */
#define FAKE(n)                                                                \
    {                                                                          \
        .name = (n), .prepare = fake_prepare, .restore = fake_restore,         \
        .changed = fake_changed, .save = fake_save,                            \
        .committed = fake_committed,                                           \
    }
static const struct state_participant fakes[] = {FAKE("a"), FAKE("b")};

static void join(struct state *s, enum state_part part, struct fake *f)
{
    assert_int_equal(state_join(s, part, &fakes[f->id], f), 0);
}

/* Opens path with both fakes joined and restores; the state. */
static struct state *open_two(const char *path, struct fake *a, struct fake *b)
{
    struct state *s;
    assert_int_equal(state_open(path, &s), 0);
    assert_string_equal(state_error(s), "");
    join(s, STATE_PART_SERIES, a);
    join(s, STATE_PART_POSITIONS, b);
    assert_int_equal(state_restore(s), 0);
    return s;
}

static void test_one_transaction(void **state)
{
    const struct tmp *t = *state;
    struct fake a = {.table = "a", .id = 0, .dirty = true};
    struct fake b = {.table = "b", .id = 1, .dirty = true, .fail_saves = 1};
    struct state_stats st;
    struct state *s = open_two(t->path, &a, &b);

    /* b fails after a wrote its row: neither row stays, nobody is told
     * it committed, and both stay to be written. */
    assert_true(state_checkpoint(s) < 0);
    assert_int_equal(a.saves, 1);
    assert_int_equal(b.saves, 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM a"), 0);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM b"), 0);
    assert_int_equal(a.commits + b.commits, 0);
    assert_true(a.dirty && b.dirty);
    assert_string_equal(state_error(s), "saving b: Input/output error");
    state_get_stats(s, &st);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.checkpoints, 0);

    /* The next checkpoint writes them again. */
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM a"), 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM b"), 1);
    assert_int_equal(a.commits, 1);
    assert_int_equal(b.commits, 1);
    assert_string_equal(state_error(s), "");
    state_get_stats(s, &st);
    assert_int_equal(st.checkpoints, 1);
    assert_int_equal(st.last_written[STATE_PART_SERIES], 1);
    assert_int_equal(st.last_written[STATE_PART_POSITIONS], 1);
    assert_true(st.last_time > 0);
    state_close(s);
}

/* Counts the transactions begun on the database. */
static int count_begin(unsigned what, void *ctx, void *stmt, void *x)
{
    (void)what;
    (void)x;
    if (strncmp(sqlite3_sql(stmt), "BEGIN", 5) == 0)
        (*(int *)ctx)++;
    return 0;
}

static void test_nothing_changed(void **state)
{
    const struct tmp *t = *state;
    struct fake a = {.table = "a", .id = 0}, b = {.table = "b", .id = 1};
    int begun = 0;
    struct state *s = open_two(t->path, &a, &b);
    sqlite3_trace_v2(state_db(s), SQLITE_TRACE_STMT, count_begin, &begun);
    assert_int_equal(state_checkpoint(s), 0);
    assert_int_equal(begun, 0);
    assert_int_equal(a.saves + b.saves, 0);

    /* Only the participant that changed writes. */
    b.dirty = true;
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(begun, 1);
    assert_int_equal(a.saves, 0);
    assert_int_equal(b.saves, 1);
    assert_int_equal(a.commits, 0);
    state_close(s);
}

static void test_restore_order(void **state)
{
    const struct tmp *t = *state;
    struct calls c = {0};
    struct fake a = {.table = "a", .id = 0, .calls = &c};
    struct fake b = {.table = "b", .id = 1, .calls = &c};
    struct state *s;
    static const char *const want[] = {"prepare 0", "prepare 1", "restore 0",
                                       "restore 1"};
    assert_int_equal(state_open(t->path, &s), 0);
    /* Joined the other way round. */
    join(s, STATE_PART_POSITIONS, &b);
    join(s, STATE_PART_SERIES, &a);
    assert_int_equal(state_restore(s), 0);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < c.n; i++)
        assert_string_equal(c.what[i], want[i]);

    /* A part is taken once. */
    assert_int_equal(state_join(s, STATE_PART_SERIES, &fakes[0], &a), -EINVAL);
    assert_int_equal(state_join(s, STATE_PART_COUNT, &fakes[0], &a), -EINVAL);
    state_close(s);
}

/* Whether dir holds a state file set aside. */
static bool set_aside(const char *dir)
{
    static const char prefix[] = "state.db.bad-";
    DIR *d = opendir(dir);
    const struct dirent *e;
    bool found = false;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        found |= strncmp(e->d_name, prefix, sizeof(prefix) - 1) == 0;
    closedir(d);
    return found;
}

static void test_versions(void **state)
{
    const struct tmp *t = *state;
    struct fake a = {.table = "a", .id = 0}, b = {.table = "b", .id = 1};
    /* A new file: version 0, then the current one. */
    struct state *s = open_two(t->path, &a, &b);
    assert_int_equal(a.version, 0);
    assert_int_equal(b.version, 0);
    assert_int_equal(query(state_db(s), "PRAGMA user_version"),
                     STATE_SCHEMA_VERSION);
    state_close(s);
    s = open_two(t->path, &a, &b);
    assert_int_equal(a.version, STATE_SCHEMA_VERSION);
    assert_int_equal(b.version, STATE_SCHEMA_VERSION);

    /* A newer tokentail's file is set aside, and a fresh one made. */
    assert_int_equal(state_exec(s, "PRAGMA user_version=99"), 0);
    state_close(s);
    s = open_two(t->path, &a, &b);
    struct state_stats st;
    state_get_stats(s, &st);
    assert_int_equal(st.recoveries[STATE_RECOVERY_FUTURE], 1);
    assert_int_equal(a.version, 0);
    assert_int_equal(query(state_db(s), "PRAGMA user_version"),
                     STATE_SCHEMA_VERSION);
    state_close(s);
    assert_true(set_aside(t->dir));
}

/* A new file gets 16 KB pages; a file made with 4 KB pages (as before)
 * keeps them, and its tables and version are read as they were. */
static void test_page_size(void **state)
{
    const struct tmp *t = *state;
    struct fake a = {.table = "a", .id = 0}, b = {.table = "b", .id = 1};
    struct state *s = open_two(t->path, &a, &b);
    assert_int_equal(query(state_db(s), "PRAGMA page_size"), 16384);
    /* The WAL is copied into the file at 4 MB, as with 4 KB pages. */
    assert_int_equal(query(state_db(s), "PRAGMA wal_autocheckpoint"), 250);
    state_close(s);
    assert_int_equal(unlink(t->path), 0);

    sqlite3 *db;
    assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA page_size=4096;"
                                  "PRAGMA journal_mode=WAL;"
                                  "CREATE TABLE a (v INTEGER);"
                                  "INSERT INTO a VALUES (7);"
                                  "PRAGMA user_version=3;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    s = open_two(t->path, &a, &b);
    assert_int_equal(a.version, 3);
    assert_int_equal(query(state_db(s), "PRAGMA page_size"), 4096);
    assert_int_equal(query(state_db(s), "PRAGMA wal_autocheckpoint"), 1000);
    assert_int_equal(query(state_db(s), "SELECT v FROM a"), 7);
    state_close(s);
}

/* A failed restore rolls back, yet leaves the tables for checkpoints. */
static void test_restore_fails(void **state)
{
    const struct tmp *t = *state;
    struct fake a = {.table = "a", .id = 0, .dirty = true};
    struct fake b = {.table = "b", .id = 1, .fail_restores = 1};
    struct state *s;
    assert_int_equal(state_open(t->path, &s), 0);
    join(s, STATE_PART_SERIES, &a);
    join(s, STATE_PART_POSITIONS, &b);
    assert_true(state_restore(s) < 0);
    assert_string_equal(state_error(s), "restoring b: Input/output error");
    assert_int_equal(query(state_db(s), "PRAGMA user_version"), 0);
    assert_int_equal(state_checkpoint(s), 1);
    assert_int_equal(query(state_db(s), "SELECT count(*) FROM a"), 1);
    state_close(s);
}

static void test_without_a_file(void **state)
{
    struct fake a = {.table = "a", .id = 0, .dirty = true};
    struct state_stats st;
    struct state *s;
    (void)state;
    /* None asked for. */
    assert_int_equal(state_open("", &s), 0);
    join(s, STATE_PART_SERIES, &a);
    assert_int_equal(state_restore(s), 0);
    assert_int_equal(state_checkpoint(s), 0);
    assert_string_equal(state_error(s), "");
    assert_string_equal(state_file(s), "");
    state_get_stats(s, &st);
    assert_int_equal(st.checkpoints, 0);
    state_close(s);

    /* One that cannot be made: said, and nothing else fails. */
    const char *bad = "/nonexistent-dir/state.db";
    assert_int_equal(state_open(bad, &s), 0);
    assert_string_not_equal(state_error(s), "");
    assert_string_equal(state_file(s), bad);
    join(s, STATE_PART_SERIES, &a);
    assert_int_equal(state_restore(s), 0);
    assert_int_equal(state_checkpoint(s), 0);
    assert_int_equal(a.saves, 0);
    assert_string_not_equal(state_error(s), "");
    state_close(s);
    state_close(NULL);
}

static void test_choose_path(void **state)
{
    const struct tmp *t = *state;
    char fallback[200], sub[100];
    struct stat st;
    char *p;
    snprintf(sub, sizeof(sub), "%s/sub", t->dir);
    snprintf(fallback, sizeof(fallback), "%s/t.db", sub);
    unsetenv("STATE_DIRECTORY");
    p = state_choose_path("/flag.db", "/conf.db", true, fallback);
    assert_string_equal(p, "/flag.db");
    free(p);
    p = state_choose_path("/flag.db", "/conf.db", false, fallback);
    assert_string_equal(p, "/flag.db");
    free(p);
    p = state_choose_path(NULL, "/conf.db", true, fallback);
    assert_string_equal(p, "/conf.db");
    free(p);
    /* One pass keeps no state unless the command line names a file: not
     * the configuration's, which a daemon may be using. */
    p = state_choose_path(NULL, "/conf.db", false, fallback);
    assert_string_equal(p, "");
    free(p);
    p = state_choose_path(NULL, NULL, false, fallback);
    assert_string_equal(p, "");
    free(p);
    /* systemd's first StateDirectory=, with the default file's name. */
    setenv("STATE_DIRECTORY", "/run/a:/run/b", 1);
    p = state_choose_path(NULL, NULL, true, fallback);
    assert_string_equal(p, "/run/a/t.db");
    free(p);
    unsetenv("STATE_DIRECTORY");
    assert_int_not_equal(stat(sub, &st), 0);
    p = state_choose_path(NULL, NULL, true, fallback);
    assert_string_equal(p, fallback);
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(p);
}

/* Sets var to dir/sub; then the default for fallback must be dir/want,
 * or none when want is NULL. */
static void expect_default(const char *dir, const char *var, const char *sub,
                           const char *fallback, const char *want)
{
    char env[200], path[200];
    snprintf(env, sizeof(env), "%s/%s", dir, sub);
    setenv(var, env, 1);
    char *p = state_choose_path(NULL, NULL, true, fallback);
    snprintf(path, sizeof(path), "%s/%s", dir, want ? want : "");
    assert_string_equal(p, want ? path : "");
    free(p);
}

/* Where the system's directory cannot be made: the user's state
 * directory, $XDG_STATE_HOME's or ~/.local/state's, else none. */
static void test_choose_user_path(void **state)
{
    const struct tmp *t = *state;
    char fallback[200], file[200];
    const char *was = getenv("HOME");
    char *home = was != NULL ? strdup(was) : NULL;
    snprintf(fallback, sizeof(fallback), "%s/no/such/dir/t.db", t->dir);
    unsetenv("STATE_DIRECTORY");

    expect_default(t->dir, "XDG_STATE_HOME", "xdg", fallback,
                   "xdg/tokentail/t.db");
    unsetenv("XDG_STATE_HOME");
    expect_default(t->dir, "HOME", "home", fallback,
                   "home/.local/state/tokentail/t.db");
    /* A home that cannot hold directories: nowhere to keep it. */
    snprintf(file, sizeof(file), "%s/file", t->dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    expect_default(t->dir, "HOME", "file", fallback, NULL);

    if (home != NULL)
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_transaction, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_nothing_changed, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_restore_order, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_versions, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_page_size, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_restore_fails, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_without_a_file),
        cmocka_unit_test_setup_teardown(test_choose_path, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_choose_user_path, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
