#include "input_store.h"

#include <errno.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A mark's done offsets, one column per enum envelope_stream in its
 * order, added to files by schema 3: 0 (nothing to drop) in older rows. */
#define DONE_STDOUT "done_stdout INTEGER NOT NULL DEFAULT 0"
#define DONE_STDERR "done_stderr INTEGER NOT NULL DEFAULT 0"
#define DONE_NONE   "done_none INTEGER NOT NULL DEFAULT 0"
_Static_assert(ENVELOPE_STREAM_COUNT == 3, "one done column per stream");
/* The envelope a file's first line decided, by name; "auto" in older rows
 * (decided again from the line reading resumes at, as they were). */
#define ENVELOPE "envelope TEXT NOT NULL DEFAULT 'auto'"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS inputs (name TEXT PRIMARY KEY) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS files ("
    " input TEXT NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    " head_len INTEGER NOT NULL, head_hash INTEGER NOT NULL,"
    " offset INTEGER NOT NULL, tail BLOB NOT NULL,"
    " discarding INTEGER NOT NULL, path TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL, " DONE_STDOUT ", " DONE_STDERR ", " DONE_NONE
    ", " ENVELOPE ");";

/* Converts a files table of schema 1 or 2. */
static const char add_columns[] =
    "ALTER TABLE files ADD COLUMN " DONE_STDOUT ";"
    "ALTER TABLE files ADD COLUMN " DONE_STDERR ";"
    "ALTER TABLE files ADD COLUMN " DONE_NONE ";"
    "ALTER TABLE files ADD COLUMN " ENVELOPE ";";

/* The columns of files, in the order they are read and written. */
enum file_column {
    COL_INPUT,
    COL_DEV,
    COL_INO,
    COL_HEAD_LEN,
    COL_HEAD_HASH,
    COL_OFFSET,
    COL_TAIL,
    COL_DISCARDING,
    COL_PATH,
    COL_LAST_SEEN,
    COL_DONE, /* then one per enum envelope_stream */
    COL_ENVELOPE = COL_DONE + ENVELOPE_STREAM_COUNT,
};
#define FILE_COLUMNS                                                           \
    "input, dev, ino, head_len, head_hash, offset, tail, discarding, path, "   \
    "last_seen, done_stdout, done_stderr, done_none, envelope"

struct input_store {
    struct input *const *inputs;
    size_t n;
    sqlite3_stmt *put_file;
    sqlite3_stmt *put_input;
    sqlite3_stmt *drop_files; /* one input's files */
    bool written; /* the inputs and their files, once since start-up */
};

/* --- restoring ----------------------------------------------------------- */

/* Gives in the records of its files saved in the current row set of
 * files (a query by input); returns how many. */
static size_t load_files(struct input *in, sqlite3_stmt *files, int64_t now)
{
    size_t loaded = 0;
    while (sqlite3_step(files) == SQLITE_ROW) {
        struct tail_mark m = {0};
        int64_t seen = sqlite3_column_int64(files, COL_LAST_SEEN);
        if (now - seen > INPUT_STORE_RECORD_TTL_S)
            continue;
        m.head_len = (uint32_t)sqlite3_column_int64(files, COL_HEAD_LEN);
        m.head_hash = (uint64_t)sqlite3_column_int64(files, COL_HEAD_HASH);
        m.offset = (uint64_t)sqlite3_column_int64(files, COL_OFFSET);
        int tl = sqlite3_column_bytes(files, COL_TAIL);
        if (tl > TAILER_TAIL_BYTES || m.head_len > TAILER_HEAD_BYTES)
            continue;
        m.tail_len = (uint32_t)tl;
        if (tl > 0)
            memcpy(m.tail, sqlite3_column_blob(files, COL_TAIL), (size_t)tl);
        m.discarding = sqlite3_column_int(files, COL_DISCARDING) != 0;
        for (int k = 0; k < ENVELOPE_STREAM_COUNT; k++)
            m.done[k] = (uint64_t)sqlite3_column_int64(files, COL_DONE + k);
        const char *env =
            (const char *)sqlite3_column_text(files, COL_ENVELOPE);
        int kind = env != NULL ? envelope_kind_parse(env) : -1;
        m.envelope = kind < 0 ? ENVELOPE_AUTO : (enum envelope_kind)kind;
        input_add_record(in, (uint64_t)sqlite3_column_int64(files, COL_DEV),
                         (uint64_t)sqlite3_column_int64(files, COL_INO), &m,
                         (const char *)sqlite3_column_text(files, COL_PATH),
                         seen);
        loaded++;
    }
    return loaded;
}

static int restore(void *ctx, struct state *s)
{
    struct input_store *is = ctx;
    sqlite3_stmt *known = NULL, *files = NULL;
    int rc = 0;
    int64_t now = (int64_t)time(NULL);
    if (state_prepare(s, &known, "SELECT 1 FROM inputs WHERE name = ?") != 0 ||
        state_prepare(s, &files,
                      "SELECT " FILE_COLUMNS
                      " FROM files WHERE input = ?") != 0) {
        rc = -EIO;
        goto out;
    }
    for (size_t i = 0; i < is->n; i++) {
        struct input *in = is->inputs[i];
        const char *name = input_name(in);
        sqlite3_bind_text(known, 1, name, -1, SQLITE_STATIC);
        bool history = sqlite3_step(known) == SQLITE_ROW;
        sqlite3_reset(known);
        sqlite3_bind_text(files, 1, name, -1, SQLITE_STATIC);
        size_t loaded = load_files(in, files, now);
        sqlite3_reset(files);
        input_set_history(in, history);
        if (loaded > 0)
            log_info("input %s: %zu files known from the state", name, loaded);
    }
out:
    sqlite3_finalize(known);
    sqlite3_finalize(files);
    return rc;
}

/* --- checkpoints --------------------------------------------------------- */

static bool files_changed(const struct input_store *is)
{
    for (size_t i = 0; i < is->n; i++)
        if (input_positions_changed(is->inputs[i]))
            return true;
    return false;
}

/* Where write_position() writes: the statement, and for which input. */
struct file_writer {
    struct input_store *is;
    struct state *s;
    const char *input;
    size_t *written;
};

static int write_position(void *ctx, uint64_t dev, uint64_t ino,
                          const struct tail_mark *m, const char *path,
                          int64_t last_seen)
{
    struct file_writer *w = ctx;
    sqlite3_stmt *st = w->is->put_file;
    sqlite3_bind_text(st, 1 + COL_INPUT, w->input, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 1 + COL_DEV, (sqlite3_int64)dev);
    sqlite3_bind_int64(st, 1 + COL_INO, (sqlite3_int64)ino);
    sqlite3_bind_int64(st, 1 + COL_HEAD_LEN, m->head_len);
    sqlite3_bind_int64(st, 1 + COL_HEAD_HASH, (sqlite3_int64)m->head_hash);
    sqlite3_bind_int64(st, 1 + COL_OFFSET, (sqlite3_int64)m->offset);
    sqlite3_bind_blob(st, 1 + COL_TAIL, m->tail, (int)m->tail_len,
                      SQLITE_STATIC);
    sqlite3_bind_int(st, 1 + COL_DISCARDING, m->discarding);
    sqlite3_bind_text(st, 1 + COL_PATH, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 1 + COL_LAST_SEEN, last_seen);
    for (int k = 0; k < ENVELOPE_STREAM_COUNT; k++)
        sqlite3_bind_int64(st, 1 + COL_DONE + k, (sqlite3_int64)m->done[k]);
    sqlite3_bind_text(st, 1 + COL_ENVELOPE, envelope_name(m->envelope), -1,
                      SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return state_fail(w->s, "cannot save a file");
    (*w->written)++;
    return 0;
}

/*
 * Replaces the saved files of each input with where they stand now. The
 * files of an input no longer configured stay until unseen for
 * INPUT_STORE_RECORD_TTL_S, so that configuring it again (a reload back
 * to the previous configuration) goes on where it stopped instead of
 * reading its files a second time.
 */
static int write_files(struct input_store *is, struct state *s, size_t *written)
{
    char sql[96];
    int64_t now = (int64_t)time(NULL);
    snprintf(sql, sizeof(sql), "DELETE FROM files WHERE last_seen < %lld",
             (long long)(now - INPUT_STORE_RECORD_TTL_S));
    int rc = state_exec(s, sql);
    if (rc == 0)
        rc = state_prepare(s, &is->drop_files,
                           "DELETE FROM files WHERE input = ?");
    for (size_t i = 0; i < is->n && rc == 0; i++) {
        const char *name = input_name(is->inputs[i]);
        sqlite3_bind_text(is->drop_files, 1, name, -1, SQLITE_STATIC);
        int step = sqlite3_step(is->drop_files);
        sqlite3_reset(is->drop_files);
        if (step != SQLITE_DONE)
            return state_fail(s, "cannot replace an input's files");
        struct file_writer w = {is, s, name, written};
        rc = input_each_position(is->inputs[i], now, write_position, &w);
    }
    return rc;
}

static int write_inputs(struct input_store *is, struct state *s)
{
    for (size_t i = 0; i < is->n; i++) {
        sqlite3_bind_text(is->put_input, 1, input_name(is->inputs[i]), -1,
                          SQLITE_STATIC);
        int rc = sqlite3_step(is->put_input);
        sqlite3_reset(is->put_input);
        if (rc != SQLITE_DONE)
            return state_fail(s, "cannot save an input");
    }
    return 0;
}

/* --- the participant ----------------------------------------------------- */

/* Adds the columns of schema 3 to a files table made before it. The table
 * is asked rather than the version, so no column is ever added twice. */
static int convert_files(struct state *s)
{
    sqlite3_stmt *st = NULL;
    if (state_prepare(s, &st,
                      "SELECT count(*) FROM pragma_table_info('files') "
                      "WHERE name = 'done_stdout'") != 0)
        return -EIO;
    bool has = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return has ? 0 : state_exec(s, add_columns);
}

static int prepare(void *ctx, struct state *s, int version)
{
    struct input_store *is = ctx;
    (void)version; /* the tables say what they lack */
    if (state_exec(s, schema) != 0 || convert_files(s) != 0 ||
        state_prepare(s, &is->put_file,
                      "INSERT INTO files (" FILE_COLUMNS ") "
                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)") != 0 ||
        state_prepare(s, &is->put_input,
                      "INSERT OR IGNORE INTO inputs VALUES (?)") != 0)
        return -EIO;
    return 0;
}

static bool changed(void *ctx)
{
    const struct input_store *is = ctx;
    return !is->written || files_changed(is);
}

static int save(void *ctx, struct state *s, size_t *written)
{
    struct input_store *is = ctx;
    int rc = is->written ? 0 : write_inputs(is, s);
    if (rc == 0)
        rc = write_files(is, s, written);
    return rc;
}

static void committed(void *ctx)
{
    struct input_store *is = ctx;
    for (size_t i = 0; i < is->n; i++)
        input_positions_saved(is->inputs[i]);
    is->written = true;
}

static void store_free(void *ctx)
{
    struct input_store *is = ctx;
    sqlite3_finalize(is->put_file);
    sqlite3_finalize(is->put_input);
    sqlite3_finalize(is->drop_files);
    free(is);
}

static const struct state_participant participant = {
    .name = "positions",
    .prepare = prepare,
    .restore = restore,
    .changed = changed,
    .save = save,
    .committed = committed,
    .free = store_free,
};

int input_store_join(struct state *s, struct input *const *inputs, size_t n)
{
    struct input_store *is = calloc(1, sizeof(*is));
    if (is == NULL)
        return -ENOMEM;
    is->inputs = inputs;
    is->n = n;
    return state_join(s, STATE_PART_POSITIONS, &participant, is);
}
