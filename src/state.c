#include "state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define STATE_DIR_MODE      0750 /* the system's directory, when made */
#define STATE_USER_DIR_MODE 0700 /* a user's ($XDG_STATE_HOME), as XDG says */
#define STATE_DIR_NAME      "tokentail" /* under $XDG_STATE_HOME */
#define STATE_ERR_MAX       256         /* bytes of a failure's message kept */
/* Bytes a page of a new file. The series are stored 64 to a record
 * (about 2.6 KB for counters): one fits a 4 KB page, six a 16 KB one, so
 * a checkpoint hands SQLite and the WAL a fraction of the pages and
 * system calls. A file made with another size keeps it (SQLite changes it
 * only by rewriting the whole file): old files load as they are. */
#define STATE_PAGE_BYTES "16384"
/* Bytes of WAL after which a commit copies it into the file: SQLite's
 * default of 1000 pages at the 4 KB pages it assumes, whatever the
 * file's page size. */
#define STATE_WAL_BYTES (1000L * 4096)

struct state {
    char *path;  /* "" for none */
    sqlite3 *db; /* NULL: no usable file */
    int version; /* the file's schema version when opened; 0: new */
    const struct state_participant *parts[STATE_PART_COUNT]; /* NULL: none */
    void *ctx[STATE_PART_COUNT];
    struct state_stats stats;
    struct log_limit log_limit; /* "checkpoint failed" */
    char err[STATE_ERR_MAX];
    bool in_memory;              /* db is a reload's handover, not the file's */
    char no_file[STATE_ERR_MAX]; /* with in_memory: why not the file */
};

/* Each reason a file is set aside: as the self-metric and the log say it. */
static const struct {
    const char *name;
    const char *was; /* "state file X was ..." */
} recoveries[STATE_RECOVERY_COUNT] = {
    [STATE_RECOVERY_NONE] = {"none", "usable"},
    [STATE_RECOVERY_EMPTY] = {"empty", "empty"},
    [STATE_RECOVERY_CORRUPT] = {"corrupt", "corrupt"},
    [STATE_RECOVERY_FUTURE] = {"future_version",
                               "written by a newer tokentail"},
};

const char *state_recovery_name(enum state_recovery r)
{
    return recoveries[r].name;
}

const char *state_error(const struct state *s)
{
    return s->err[0] != '\0' ? s->err : s->no_file;
}

const char *state_file(const struct state *s)
{
    return s->path;
}

void state_get_stats(const struct state *s, struct state_stats *out)
{
    *out = s->stats;
}

struct sqlite3 *state_db(struct state *s)
{
    return s->db;
}

int state_fail(struct state *s, const char *what)
{
    snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
    return -EIO;
}

int state_prepare(struct state *s, sqlite3_stmt **st, const char *sql)
{
    if (*st == NULL &&
        sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return state_fail(s, "cannot prepare");
    return 0;
}

int state_exec(struct state *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(s->err, sizeof(s->err), "%s", msg ? msg : "unknown error");
    sqlite3_free(msg);
    return -EIO;
}

/* Rolls back, keeping the message of the failure that made it necessary. */
static void rollback(struct state *s)
{
    char keep[sizeof(s->err)];
    memcpy(keep, s->err, sizeof(keep));
    state_exec(s, "ROLLBACK");
    memcpy(s->err, keep, sizeof(keep));
}

/* --- the file ------------------------------------------------------------ */

/* path (its length n) joined with name, as a new string; NULL on -ENOMEM. */
static char *path_join(const char *dir, size_t n, const char *name)
{
    size_t cap = n + strlen(name) + 2;
    char *p = malloc(cap);
    if (p != NULL)
        snprintf(p, cap, "%.*s/%s", (int)n, dir, name);
    return p;
}

/* Makes dir and the directories above it that are missing, with mode. */
static void make_dirs(char *dir, mode_t mode)
{
    for (char *slash = strchr(dir + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(dir, mode);
        *slash = '/';
    }
    mkdir(dir, mode);
}

/* Whether tokentail can keep the file at path: its directory writable,
 * and the file itself, when it exists. */
static bool can_keep(const char *dir, const char *path)
{
    return access(dir, W_OK | X_OK) == 0 &&
           (access(path, F_OK) != 0 || access(path, R_OK | W_OK) == 0);
}

/*
 * The default file for a user who cannot write the system's: under
 * $XDG_STATE_HOME, else ~/.local/state (the XDG default), made as needed.
 * NULL when neither can be written (or on -ENOMEM).
 */
static char *user_state_file(const char *name)
{
    const char *base = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char *dir = NULL;
    if (base != NULL && base[0] == '/')
        dir = path_join(base, strlen(base), STATE_DIR_NAME);
    else if (home != NULL && home[0] == '/')
        dir = path_join(home, strlen(home), ".local/state/" STATE_DIR_NAME);
    if (dir == NULL)
        return NULL;
    make_dirs(dir, STATE_USER_DIR_MODE);
    char *path = path_join(dir, strlen(dir), name);
    if (path != NULL && !can_keep(dir, path)) {
        free(path);
        path = NULL;
    }
    free(dir);
    return path;
}

/* The default when neither the command line nor the configuration names
 * a file; says where it is and why. */
static char *default_path(const char *fallback)
{
    const char *slash = strrchr(fallback, '/');
    const char *name = slash ? slash + 1 : fallback;
    /* systemd's StateDirectory= (the first, when several are listed). */
    const char *sd = getenv("STATE_DIRECTORY");
    if (sd != NULL && sd[0] != '\0')
        return path_join(sd, strcspn(sd, ":"), name);
    char *dir =
        slash ? strndup(fallback, (size_t)(slash - fallback)) : strdup(".");
    if (dir == NULL)
        return NULL;
    /* The system's directory is made if its parent allows it. */
    if (slash != NULL && slash != fallback)
        mkdir(dir, STATE_DIR_MODE);
    bool system = can_keep(dir[0] ? dir : "/", fallback);
    char *path = system ? strdup(fallback) : user_state_file(name);
    if (!system && path != NULL)
        log_info("%s cannot be written by this user: keeping values and read "
                 "positions in %s (--state.file=PATH or state.file chooses "
                 "another)",
                 dir, path);
    else if (!system)
        log_warn("no place to keep values and read positions: %s cannot be "
                 "written, nor $XDG_STATE_HOME/%s or ~/.local/state/%s; they "
                 "will not survive a restart (--state.file=PATH chooses a "
                 "file)",
                 dir, STATE_DIR_NAME, STATE_DIR_NAME);
    free(dir);
    return path != NULL || system ? path : strdup("");
}

char *state_choose_path(const char *flag, const char *configured, bool follow,
                        const char *fallback)
{
    if (flag != NULL)
        return strdup(flag);
    if (!follow)
        return strdup("");
    if (configured != NULL)
        return strdup(configured);
    return default_path(fallback);
}

/* Renames a bad database (and its WAL files) out of the way. */
static void set_aside(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char from[4096], to[4096];
    long now = (long)time(NULL);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        snprintf(from, sizeof(from), "%s%s", path, suffixes[i]);
        snprintf(to, sizeof(to), "%s.bad-%ld%s", path, now, suffixes[i]);
        if (rename(from, to) == 0 && i == 0)
            log_warn("state file set aside as %s", to);
    }
}

/* Single-value PRAGMA as text ("ok", "wal", a number); NULL on error. */
static const char *pragma(struct state *s, const char *sql, char *out,
                          size_t cap)
{
    sqlite3_stmt *st;
    const char *r = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        r = out;
    }
    sqlite3_finalize(st);
    return r;
}

/* Opens the file and checks it; STATE_RECOVERY_NONE when usable. */
static enum state_recovery try_open(struct state *s, int *rc)
{
    char buf[64];
    *rc = 0;
    if (sqlite3_open_v2(s->path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        *rc = state_fail(s, "cannot open");
        return STATE_RECOVERY_NONE;
    }
    sqlite3_extended_result_codes(s->db, 1);
    const char *v = pragma(s, "PRAGMA user_version", buf, sizeof(buf));
    if (v == NULL) {
        int code = sqlite3_errcode(s->db) & 0xff;
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            return STATE_RECOVERY_CORRUPT;
        *rc = state_fail(s, "cannot read");
        return STATE_RECOVERY_NONE;
    }
    s->version = (int)strtol(v, NULL, 10);
    if (s->version > STATE_SCHEMA_VERSION)
        return STATE_RECOVERY_FUTURE;
    const char *check = pragma(s, "PRAGMA quick_check", buf, sizeof(buf));
    if (check == NULL || strcmp(check, "ok") != 0)
        return STATE_RECOVERY_CORRUPT;
    return STATE_RECOVERY_NONE;
}

/* Opens the file, setting a bad one aside once; 0 or -errno. */
static int open_db(struct state *s)
{
    char buf[64];
    struct stat st;
    int rc;
    enum state_recovery why = STATE_RECOVERY_NONE;

    if (stat(s->path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
        why = STATE_RECOVERY_EMPTY;
        set_aside(s->path);
    }
    enum state_recovery bad = try_open(s, &rc);
    if (bad != STATE_RECOVERY_NONE) {
        sqlite3_close(s->db);
        s->db = NULL;
        set_aside(s->path);
        why = bad;
        bad = try_open(s, &rc);
    }
    if (why != STATE_RECOVERY_NONE) {
        s->stats.recoveries[why]++;
        log_warn("state file %s was %s; starting afresh", s->path,
                 recoveries[why].was);
    }
    if (rc != 0)
        return rc;
    if (bad != STATE_RECOVERY_NONE) {
        snprintf(s->err, sizeof(s->err), "a fresh file is %s too",
                 recoveries[bad].was);
        return -EIO;
    }
    if (s->version == 0 &&
        state_exec(s, "PRAGMA page_size=" STATE_PAGE_BYTES) != 0)
        return -EIO;
    const char *mode = pragma(s, "PRAGMA journal_mode=WAL", buf, sizeof(buf));
    if (mode == NULL || strcmp(mode, "wal") != 0)
        return state_fail(s, "cannot use WAL mode");
    const char *page = pragma(s, "PRAGMA page_size", buf, sizeof(buf));
    long page_bytes = page != NULL ? strtol(page, NULL, 10) : 0;
    if (page_bytes > 0) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%ld",
                 STATE_WAL_BYTES / page_bytes);
        if (pragma(s, sql, buf, sizeof(buf)) == NULL)
            return state_fail(s, "cannot set the WAL's size");
    }
    /* A process crash loses nothing; power loss may lose the last
     * checkpoints but never mixes two. */
    return state_exec(s, "PRAGMA synchronous=NORMAL");
}

int state_open_handover(const char *path, const char *name, struct state **out)
{
    char uri[128];
    int rc = state_open(path, out);
    struct state *s = *out;
    if (rc != 0 || s->db != NULL || name == NULL)
        return rc;
    memcpy(s->no_file, s->err, sizeof(s->no_file));
    s->err[0] = '\0';
    s->in_memory = true;
    snprintf(uri, sizeof(uri), "file:%s?mode=memory&cache=shared", name);
    if (sqlite3_open_v2(uri, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        log_error("cannot open an in-memory state: %s", sqlite3_errmsg(s->db));
        sqlite3_close(s->db);
        s->db = NULL;
    }
    return 0;
}

int state_open(const char *path, struct state **out)
{
    struct state *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return -ENOMEM;
    }
    *out = s;
    if (path[0] == '\0')
        return 0;
    if (open_db(s) != 0) {
        log_error("cannot use the state file %s (%s): values and positions "
                  "will not survive a restart",
                  s->path, s->err);
        sqlite3_close(s->db);
        s->db = NULL;
    }
    return 0;
}

void state_close(struct state *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < STATE_PART_COUNT; i++)
        if (s->parts[i] != NULL && s->parts[i]->free != NULL)
            s->parts[i]->free(s->ctx[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

/* --- participants -------------------------------------------------------- */

/* Passes on a participant's failure, saying it when it did not. */
static int failed(struct state *s, int part, const char *doing, int rc)
{
    if (rc != 0 && s->err[0] == '\0')
        snprintf(s->err, sizeof(s->err), "%s %s: %s", doing,
                 s->parts[part]->name, strerror(-rc));
    return rc;
}

int state_join(struct state *s, enum state_part part,
               const struct state_participant *p, void *ctx)
{
    if ((unsigned)part >= STATE_PART_COUNT || s->parts[part] != NULL) {
        if (p->free != NULL)
            p->free(ctx);
        return -EINVAL;
    }
    s->parts[part] = p;
    s->ctx[part] = ctx;
    return 0;
}

/* Every participant's prepare(), in order; 0 or the first failure. */
static int prepare_all(struct state *s)
{
    int rc = 0;
    for (int i = 0; i < STATE_PART_COUNT && rc == 0; i++)
        if (s->parts[i] != NULL)
            rc = failed(s, i, "preparing",
                        s->parts[i]->prepare(s->ctx[i], s, s->version));
    return rc;
}

static int restore_all(struct state *s)
{
    char sql[64];
    int rc = prepare_all(s);
    for (int i = 0; i < STATE_PART_COUNT && rc == 0; i++)
        if (s->parts[i] != NULL)
            rc = failed(s, i, "restoring", s->parts[i]->restore(s->ctx[i], s));
    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", STATE_SCHEMA_VERSION);
    return rc != 0 ? rc : state_exec(s, sql);
}

/* Says what the file keeps: "series, positions and usage ledger". */
static void log_kept(const struct state *s)
{
    char what[STATE_ERR_MAX] = "";
    size_t n = 0, len = 0;
    if (s->in_memory) /* nothing outlasts the process */
        return;
    for (int i = 0; i < STATE_PART_COUNT; i++)
        n += s->parts[i] != NULL;
    for (int i = 0, k = 0; i < STATE_PART_COUNT && len < sizeof(what); i++) {
        if (s->parts[i] == NULL)
            continue;
        k++;
        const char *sep = k == 1 ? "" : (size_t)k == n ? " and " : ", ";
        int w = snprintf(what + len, sizeof(what) - len, "%s%s", sep,
                         s->parts[i]->name);
        len += w > 0 ? (size_t)w : 0;
    }
    log_info("state file %s keeps %s", s->path, what);
}

int state_restore(struct state *s)
{
    if (s->db == NULL)
        return 0;
    s->err[0] = '\0';
    int rc = state_exec(s, "BEGIN");
    if (rc == 0 && (rc = restore_all(s)) == 0 &&
        (rc = state_exec(s, "COMMIT")) == 0) {
        log_kept(s);
        return 0;
    }
    rollback(s);
    log_error("cannot restore from %s: %s", s->path, s->err);
    /* Without their tables every checkpoint would fail too. */
    if (state_exec(s, "BEGIN") == 0) {
        char keep[sizeof(s->err)];
        memcpy(keep, s->err, sizeof(keep));
        if (prepare_all(s) != 0 || state_exec(s, "COMMIT") != 0)
            rollback(s);
        memcpy(s->err, keep, sizeof(keep));
    }
    return rc;
}

/* --- checkpoints --------------------------------------------------------- */

/* The CPU time this thread has used, in microseconds: a checkpoint's
 * cost, which the wall clock overstates on a busy machine. */
static uint64_t cpu_now_us(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
        return 0;
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/*
 * Writes, in one transaction, every participant marked in save; written
 * gets what each wrote. Returns 0, or -errno after rolling back.
 */
static int write_all(struct state *s, const bool *save, size_t *written)
{
    int rc = state_exec(s, "BEGIN");
    for (int i = 0; i < STATE_PART_COUNT && rc == 0; i++)
        if (save[i])
            rc = failed(s, i, "saving",
                        s->parts[i]->save(s->ctx[i], s, &written[i]));
    if (rc == 0)
        rc = state_exec(s, "COMMIT");
    if (rc != 0)
        rollback(s);
    return rc;
}

int state_checkpoint(struct state *s)
{
    bool save[STATE_PART_COUNT] = {false}, any = false;
    size_t written[STATE_PART_COUNT] = {0};
    if (s->db == NULL)
        return 0;
    uint64_t start = loop_now_us(), cpu = cpu_now_us();
    for (int i = 0; i < STATE_PART_COUNT; i++) {
        save[i] = s->parts[i] != NULL && s->parts[i]->changed(s->ctx[i]);
        any |= save[i];
    }
    s->err[0] = '\0';
    int rc = any ? write_all(s, save, written) : 0;
    if (rc != 0) {
        s->stats.errors++;
        log_limited(&s->log_limit, LOG_ERROR, "checkpoint failed: %s", s->err);
        return rc;
    }
    if (!any)
        return 0;
    for (int i = 0; i < STATE_PART_COUNT; i++)
        if (save[i])
            s->parts[i]->committed(s->ctx[i]);
    uint64_t took = loop_now_us() - start, used = cpu_now_us() - cpu;
    if (s->parts[STATE_PART_LEDGER] != NULL)
        log_debug("checkpoint: %zu series written in %llu us (%llu us of "
                  "CPU), with %zu usage ledger rows",
                  written[STATE_PART_SERIES], (unsigned long long)took,
                  (unsigned long long)used, written[STATE_PART_LEDGER]);
    else
        log_debug("checkpoint: %zu series written in %llu us (%llu us of CPU)",
                  written[STATE_PART_SERIES], (unsigned long long)took,
                  (unsigned long long)used);
    if (s->in_memory) /* a reload's handover, not kept */
        return 0;
    s->stats.checkpoints++;
    for (int i = 0; i < STATE_PART_COUNT; i++)
        s->stats.last_written[i] = written[i];
    s->stats.last_us = took;
    s->stats.last_time = time(NULL);
    return 1;
}
