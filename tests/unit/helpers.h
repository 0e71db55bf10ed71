/* Small helpers shared by the unit tests. */
#ifndef TOKENTAIL_TEST_HELPERS_H
#define TOKENTAIL_TEST_HELPERS_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fields.h"
#include "num.h"
#include "parser.h"
#include "registry.h"

/* The configuration yaml describes (caller frees); its errors fail the
 * test. */
static inline struct config *config_or_fail(const char *yaml)
{
    struct config *cfg;
    struct buf errors = {0};
    if (config_load_text("t.yaml", yaml, strlen(yaml), &cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    return cfg;
}

/* A strict JSON parser for cfg's fields and a field set for its lines, as
 * the pipeline builds them; caller frees both. */
static inline void json_fields(const struct config *cfg, struct parser **json,
                               struct fields *fs)
{
    assert_int_equal(json_parser_new(cfg->fields, cfg->n_fields,
                                     JSON_NON_FINITE_REJECT, json),
                     0);
    assert_int_equal(fields_init(fs, cfg->n_fields), 0);
}

/* The fixed-point value of a decimal written in the test. */
static inline num_fixed dec(const char *s)
{
    struct num_dec d;
    num_fixed v;
    assert_int_equal(num_parse_text(s, strlen(s), &d), 0);
    assert_int_equal(num_to_fixed(&d, NULL, &v), 0);
    return v;
}

/* The series of f for a key of len bytes (values each ending in NUL). */
static inline struct series *get(struct family *f, const char *key, size_t len)
{
    return family_get(f, key, (uint32_t)len, registry_hash(key, len));
}

#define TMP_MAX_FDS 8 /* directories nftw may hold open at once */

/* A temporary directory, and the path of a state file in it. */
struct tmp {
    char dir[64];
    char path[128];
};

static inline void tmp_make(struct tmp *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/tokentail-test-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/state.db", t->dir);
}

static inline int tmp_remove_one(const char *path, const struct stat *st,
                                 int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Removes the directory and everything in it. */
static inline void tmp_remove(const struct tmp *t)
{
    assert_int_equal(
        nftw(t->dir, tmp_remove_one, TMP_MAX_FDS, FTW_DEPTH | FTW_PHYS), 0);
}

/* cmocka fixtures: the test's state is a struct tmp, its directory made. */
static inline int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    tmp_make(t);
    *state = t;
    return 0;
}

static inline int tmp_teardown(void **state)
{
    tmp_remove(*state);
    free(*state);
    return 0;
}

/* The first column of the first row sql gives; -1 when none. */
static inline long query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The log (standard error) goes to a file while a test reads it. */
struct log_capture {
    FILE *file;
    int saved;
};

static inline void log_capture(struct log_capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    assert_non_null(c->file);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(fileno(c->file), 2), 2);
}

/* What was logged since log_capture() (static); the capture goes on. */
static inline const char *log_captured(struct log_capture *c)
{
    static char logged[8192];
    fflush(stderr);
    rewind(c->file);
    size_t n = fread(logged, 1, sizeof(logged) - 1, c->file);
    logged[n] = '\0';
    return logged;
}

static inline void log_release(struct log_capture *c)
{
    fflush(stderr);
    assert_int_equal(dup2(c->saved, 2), 2);
    close(c->saved);
    fclose(c->file);
}

#endif
