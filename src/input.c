#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What makes a directory worth a rescan. */
#define INPUT_DIR_MASK                                                         \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |         \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* What makes a followed file worth a read (or a rescan). */
#define INPUT_FILE_MASK                                                        \
    (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)

int input_new(const struct cfg_input *cfg, size_t index, struct watch *w,
              struct loop *l, struct tail_buf *rb, const struct tail_sink *sink,
              struct input **out)
{
    struct input *in = calloc(1, sizeof(*in));
    if (in == NULL)
        return -ENOMEM;
    in->cfg = cfg;
    in->index = index;
    in->watch = w;
    in->loop = l;
    in->rb = rb;
    in->sink = sink;
    *out = in;
    return 0;
}

/* --- the index of tailers by inode --------------------------------------- */

static size_t slot(const struct input *in, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)dev;
    return (size_t)(h ^ (h >> 29)) & (in->by_inode_cap - 1);
}

static struct tailer *index_find(const struct input *in, dev_t dev, ino_t ino)
{
    if (in->by_inode_cap == 0)
        return NULL;
    for (struct tailer *t = in->by_inode[slot(in, dev, ino)]; t; t = t->hnext)
        if (t->dev == dev && t->ino == ino)
            return t;
    return NULL;
}

static bool index_add(struct input *in, struct tailer *t)
{
    if (in->by_inode_n >= in->by_inode_cap) {
        size_t cap = in->by_inode_cap ? in->by_inode_cap * 2 : 16;
        struct tailer **ix = calloc(cap, sizeof(*ix));
        if (ix == NULL)
            return false;
        struct tailer **old = in->by_inode;
        size_t old_cap = in->by_inode_cap;
        in->by_inode = ix;
        in->by_inode_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            for (struct tailer *o = old[i], *next; o; o = next) {
                next = o->hnext;
                size_t k = slot(in, o->dev, o->ino);
                o->hnext = in->by_inode[k];
                in->by_inode[k] = o;
            }
        free(old);
    }
    size_t k = slot(in, t->dev, t->ino);
    t->hnext = in->by_inode[k];
    in->by_inode[k] = t;
    in->by_inode_n++;
    return true;
}

static void index_del(struct input *in, struct tailer *t)
{
    if (in->by_inode_cap == 0)
        return;
    for (struct tailer **p = &in->by_inode[slot(in, t->dev, t->ino)]; *p;
         p = &(*p)->hnext)
        if (*p == t) {
            *p = t->hnext;
            in->by_inode_n--;
            return;
        }
}

static void clear_errors(struct input *in)
{
    for (size_t i = 0; i < in->n_errors; i++)
        free(in->errors[i].path);
    in->n_errors = 0;
}

void input_free(struct input *in)
{
    if (in == NULL)
        return;
    while (in->tailers) {
        struct tailer *t = in->tailers;
        in->tailers = t->next;
        if (t->wd >= 0 && in->watch)
            watch_remove(in->watch, t->wd, t);
        tailer_free(t);
    }
    for (size_t i = 0; i < in->n_dirs; i++) {
        if (in->watch && in->dirs[i].wd >= 0)
            watch_remove(in->watch, in->dirs[i].wd, in);
        free(in->dirs[i].path);
    }
    free(in->dirs);
    free(in->by_inode);
    for (size_t i = 0; i < in->n_records; i++)
        free(in->records[i].path);
    free(in->records);
    clear_errors(in);
    free(in->errors);
    if (in->loop) {
        loop_timer_cancel(in->loop, in->orphan_timer);
        loop_timer_cancel(in->loop, in->reconcile_timer);
    }
    free(in);
}

/* --- records ------------------------------------------------------------- */

int input_add_record(struct input *in, uint64_t dev, uint64_t ino,
                     const struct tail_mark *mark, const char *path,
                     int64_t last_seen)
{
    if (in->n_records == INPUT_MAX_RECORDS) {
        /* Forget the oldest. */
        size_t oldest = 0;
        for (size_t i = 1; i < in->n_records; i++)
            if (in->records[i].last_seen < in->records[oldest].last_seen)
                oldest = i;
        free(in->records[oldest].path);
        in->records[oldest] = in->records[--in->n_records];
    }
    if (in->n_records == in->cap_records) {
        size_t cap = in->cap_records ? in->cap_records * 2 : 8;
        struct input_record *r = realloc(in->records, cap * sizeof(*r));
        if (r == NULL)
            return -ENOMEM;
        in->records = r;
        in->cap_records = cap;
    }
    char *copy = strdup(path ? path : "");
    if (copy == NULL)
        return -ENOMEM;
    struct input_record *r = &in->records[in->n_records++];
    r->dev = dev;
    r->ino = ino;
    r->mark = *mark;
    r->path = copy;
    r->last_seen = last_seen;
    in->changed = true;
    return 0;
}

static void drop_record(struct input *in, size_t i)
{
    free(in->records[i].path);
    in->records[i] = in->records[--in->n_records];
    in->records[in->n_records].path = NULL; /* moved, or freed just now */
    in->changed = true;
}

/* --- errors -------------------------------------------------------------- */

static bool had_error(const struct input_error *errs, size_t n,
                      const char *path, int err)
{
    for (size_t i = 0; i < n; i++)
        if (errs[i].err == err && strcmp(errs[i].path, path) == 0)
            return true;
    return false;
}

/*
 * Records a persistent error found by the current scan; logs it only when
 * the previous scan did not already have it.
 */
static void record_error(struct input *in, const char *path, int err,
                         const struct input_error *prev, size_t n_prev)
{
    if (!had_error(prev, n_prev, path, err))
        log_limited(&in->log_limit, LOG_WARN, "input %s: cannot follow %s: %s",
                    in->cfg->name, path, strerror(err));
    if (had_error(in->errors, in->n_errors, path, err))
        return;
    if (in->n_errors == in->cap_errors) {
        size_t cap = in->cap_errors ? in->cap_errors * 2 : 4;
        struct input_error *e = realloc(in->errors, cap * sizeof(*e));
        if (e == NULL)
            return;
        in->errors = e;
        in->cap_errors = cap;
    }
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    in->errors[in->n_errors].path = copy;
    in->errors[in->n_errors].err = err;
    in->n_errors++;
}

/* --- closing and handing over -------------------------------------------- */

/*
 * The shadows of t (copies of its file) take over from where t stood: a
 * copy holding t's bytes before the mark continues there; a copy taken
 * before t read that far holds nothing new.
 */
static void release_shadows(struct input *in, struct tailer *t,
                            const struct tail_mark *m)
{
    for (struct tailer *s = in->tailers; s; s = s->next) {
        if (s->shadow_of != t)
            continue;
        s->shadow_of = NULL;
        s->ready = true;
        in->changed = true;
        if (tailer_fits_mark(s, m)) {
            tailer_seek_mark(s, m);
            log_info("input %s: %s continues %s from offset %llu",
                     in->cfg->name, s->path, t->path,
                     (unsigned long long)m->offset);
        } else if (tailer_seek_end(s, in->cfg->max_line_bytes) == 0 &&
                   s->offset < m->offset) {
            log_info("input %s: %s is a copy of what was read from %s",
                     in->cfg->name, s->path, t->path);
        } else {
            tailer_seek_mark(s, &(struct tail_mark){0});
        }
    }
}

static bool has_shadows(const struct input *in, const struct tailer *t)
{
    for (const struct tailer *s = in->tailers; s; s = s->next)
        if (s->shadow_of == t)
            return true;
    return false;
}

/* Keeps where t stood, for a copy or a return of its file. */
static void retire(struct input *in, struct tailer *t,
                   const struct tail_mark *m)
{
    if (has_shadows(in, t)) {
        release_shadows(in, t, m);
        return;
    }
    if (m->offset > 0)
        input_add_record(in, (uint64_t)t->dev, (uint64_t)t->ino, m, t->path,
                         (int64_t)time(NULL));
}

static void close_tailer(struct input *in, struct tailer *t, bool gone)
{
    struct tail_mark m;
    tailer_mark(t, &m);
    for (struct tailer **pt = &in->tailers; *pt; pt = &(*pt)->next)
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    if (t->shadow_of == NULL && !t->undecided) {
        if (gone)
            release_shadows(in, t, &m);
        else
            retire(in, t, &m);
    }
    if (t->wd >= 0 && in->watch)
        watch_remove(in->watch, t->wd, t);
    index_del(in, t);
    if (t->shadow_of == NULL && !t->undecided &&
        (tailer_pending(t) > 0 || t->discarding || envelope_pending(&t->env)))
        in->sink->incomplete(in->sink->ctx, t);
    log_debug("closed %s after %llu bytes", t->path,
              (unsigned long long)t->bytes);
    in->closed_truncations += t->truncations;
    tailer_free(t);
    in->files_closed++;
    in->changed = true;
}

/* A truncation found by a read: the old content's mark is handed on. */
static void after_read(struct input *in, struct tailer *t)
{
    if (!t->retired_valid)
        return;
    t->retired_valid = false;
    in->changed = true;
    retire(in, t, &t->retired);
}

/* --- events -------------------------------------------------------------- */

static void on_dir_event(void *owner, int wd, uint32_t mask, const char *name)
{
    struct input *in = owner;
    (void)name;
    if (mask & IN_IGNORED) {
        for (size_t i = 0; i < in->n_dirs; i++)
            if (in->dirs[i].wd == wd)
                in->dirs[i].wd = -1;
    }
    in->rescan = true;
}

static void on_file_event(void *owner, int wd, uint32_t mask, const char *name)
{
    struct tailer *t = owner;
    struct input *in = t->owner;
    (void)wd;
    (void)name;
    if (mask & IN_IGNORED) {
        t->wd = -1;
        return;
    }
    t->ready = true;
    /* A rename, an unlink (seen as a link-count change) or a removal:
     * find out where the path points now. */
    if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
        in->rescan = true;
}

/* --- scanning ------------------------------------------------------------ */

struct scan {
    struct input *in;
    enum input_scan_mode mode;
    const struct input_error *prev; /* errors of the previous scan */
    size_t n_prev;
    struct tailer *found; /* files opened by this scan, not placed yet */
};

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p;
    if (strcmp(dir, ".") == 0)
        return strdup(name);
    p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    if (a == 0 || dir[a - 1] != '/')
        p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

static void watch_dir(struct scan *sc, const char *dir)
{
    struct input *in = sc->in;
    if (in->watch == NULL)
        return;
    for (size_t i = 0; i < in->n_dirs; i++)
        if (strcmp(in->dirs[i].path, dir) == 0) {
            in->dirs[i].seen = true;
            if (in->dirs[i].wd >= 0)
                return;
            /* The kernel dropped it (directory replaced): watch again. */
            int wd =
                watch_add(in->watch, dir, INPUT_DIR_MASK, on_dir_event, in);
            if (wd < 0 && wd != -ENOENT)
                record_error(in, dir, -wd, sc->prev, sc->n_prev);
            in->dirs[i].wd = wd < 0 ? -1 : wd;
            return;
        }
    int wd = watch_add(in->watch, dir, INPUT_DIR_MASK, on_dir_event, in);
    if (wd < 0) {
        if (wd != -ENOENT && wd != -ENOTDIR)
            record_error(in, dir, -wd, sc->prev, sc->n_prev);
        return;
    }
    if (in->n_dirs == in->cap_dirs) {
        size_t cap = in->cap_dirs ? in->cap_dirs * 2 : 4;
        struct input_dir *d = realloc(in->dirs, cap * sizeof(*d));
        if (d == NULL) {
            watch_remove(in->watch, wd, in);
            return;
        }
        in->dirs = d;
        in->cap_dirs = cap;
    }
    char *copy = strdup(dir);
    if (copy == NULL) {
        watch_remove(in->watch, wd, in);
        return;
    }
    in->dirs[in->n_dirs].path = copy;
    in->dirs[in->n_dirs].wd = wd;
    in->dirs[in->n_dirs].seen = true;
    in->n_dirs++;
}

/* A symlink's target may rotate behind it: watch where it points too. */
static void watch_link_target(struct scan *sc, const char *path)
{
    struct stat lst;
    if (sc->in->watch == NULL || lstat(path, &lst) != 0 ||
        !S_ISLNK(lst.st_mode))
        return;
    char *real = realpath(path, NULL);
    if (real == NULL)
        return;
    char *slash = strrchr(real, '/');
    if (slash != NULL) {
        *slash = '\0';
        watch_dir(sc, real[0] ? real : "/");
    }
    free(real);
}

/* Whether path still leads to t's inode. */
static bool same_file(const char *path, const struct tailer *t)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino;
}

static void candidate(struct scan *sc, const char *path)
{
    struct input *in = sc->in;
    struct stat st;
    struct tailer *t;

    if (stat(path, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            record_error(in, path, errno, sc->prev, sc->n_prev);
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    watch_link_target(sc, path);
    t = index_find(in, st.st_dev, st.st_ino);
    if (t != NULL) {
        t->seen = true;
        t->orphan = false;
        if (strcmp(t->path, path) != 0 && !same_file(t->path, t)) {
            char *copy = strdup(path);
            if (copy) {
                free(t->path);
                t->path = copy;
            }
        }
        return;
    }
    int rc = tailer_open(path, in->index, TAIL_START_BEGINNING,
                         in->cfg->max_line_bytes, in->cfg->envelope, &t);
    if (rc != 0) {
        if (rc != -ENOENT)
            record_error(in, path, -rc, sc->prev, sc->n_prev);
        return;
    }
    /* The path may have been replaced between stat and open. */
    struct tailer *dup = index_find(in, t->dev, t->ino);
    if (dup != NULL || !index_add(in, t)) {
        if (dup != NULL)
            dup->seen = true;
        tailer_free(t);
        return;
    }
    t->owner = in;
    t->seen = true;
    t->next = sc->found;
    sc->found = t;
}

static bool has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static void walk(struct scan *sc, const char *dir, char **comps, size_t i,
                 size_t n)
{
    const char *c = comps[i];
    bool last = i + 1 == n;

    if (!has_wildcard(c)) {
        char *path = join(dir, c);
        struct stat st;
        if (path == NULL)
            return;
        if (last) {
            watch_dir(sc, dir);
            candidate(sc, path);
        } else if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                walk(sc, path, comps, i + 1, n);
            else
                watch_dir(sc, dir); /* a file where a directory belongs */
        } else {
            /* Not there yet: watch the deepest directory that is. */
            if (errno != ENOENT && errno != ENOTDIR)
                record_error(sc->in, path, errno, sc->prev, sc->n_prev);
            watch_dir(sc, dir);
        }
        free(path);
        return;
    }

    watch_dir(sc, dir);
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno != ENOENT && errno != ENOTDIR)
            record_error(sc->in, dir, errno, sc->prev, sc->n_prev);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fnmatch(c, de->d_name, FNM_PERIOD) != 0)
            continue;
        char *path = join(dir, de->d_name);
        struct stat st;
        if (path == NULL)
            continue;
        if (last)
            candidate(sc, path);
        else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            walk(sc, path, comps, i + 1, n);
        free(path);
    }
    closedir(d);
}

static void scan_glob(struct scan *sc, const char *glob)
{
    char *copy = strdup(glob);
    char *comps[256];
    size_t n = 0;
    if (copy == NULL)
        return;
    for (char *tok = strtok(copy, "/"); tok && n < 256; tok = strtok(NULL, "/"))
        if (strcmp(tok, ".") != 0)
            comps[n++] = tok;
    if (n > 0)
        walk(sc, glob[0] == '/' ? "/" : ".", comps, 0, n);
    free(copy);
}

/* --- placing new files --------------------------------------------------- */

static void start_following(struct input *in, struct tailer *t, const char *how)
{
    char proc[64];
    t->ready = t->shadow_of == NULL && !t->undecided;
    t->next = in->tailers;
    in->tailers = t;
    in->files_opened++;
    in->changed = true;
    log_info("input %s: following %s %s", in->cfg->name, t->path, how);
    if (in->watch == NULL)
        return;
    /* Watch the inode we opened, not whatever the path names by now. */
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
    int wd = watch_add(in->watch, proc, INPUT_FILE_MASK, on_file_event, t);
    if (wd < 0)
        wd = watch_add(in->watch, t->path, INPUT_FILE_MASK, on_file_event, t);
    t->wd = wd < 0 ? -1 : wd;
    if (wd < 0)
        log_limited(&in->log_limit, LOG_WARN,
                    "input %s: cannot watch %s (%s); it is read at each "
                    "reconcile",
                    in->cfg->name, t->path, strerror(-wd));
}

/* Pass one: the same inode, still holding what was read. */
static bool resume_same_inode(struct input *in, struct tailer *t)
{
    for (size_t i = 0; i < in->n_records; i++) {
        struct input_record *r = &in->records[i];
        if (r->dev != (uint64_t)t->dev || r->ino != (uint64_t)t->ino ||
            !tailer_fits_mark(t, &r->mark))
            continue;
        tailer_seek_mark(t, &r->mark);
        drop_record(in, i);
        in->resumed++;
        return true;
    }
    return false;
}

/*
 * Whether t starts with the len bytes fingerprinted as hash: a comparison
 * of fingerprints when both are full, a read of t when the other is shorter.
 */
static bool same_start(const struct tailer *t, uint32_t len, uint64_t hash)
{
    if (len < TAILER_MIN_COPY_BYTES || t->head_len < len)
        return false;
    if (len == t->head_len)
        return hash == t->head_hash;
    return tailer_starts_with(t, len, hash);
}

/*
 * Pass two: another inode starting with the same bytes (a rotated copy).
 * A copy of a file still followed is a shadow; a copy of one that was
 * truncated or closed continues from where it stood. Starts shorter than
 * TAILER_MIN_COPY_BYTES are not compared: alike by chance too often.
 */
static bool place_by_head(struct input *in, struct tailer *t)
{
    for (struct tailer *o = in->tailers; o; o = o->next)
        if (o != t && o->shadow_of == NULL && !o->undecided &&
            same_start(t, o->head_len, o->head_hash)) {
            t->shadow_of = o;
            in->copies++;
            return true;
        }
    for (size_t i = 0; i < in->n_records; i++) {
        struct input_record *r = &in->records[i];
        if (!same_start(t, r->mark.head_len, r->mark.head_hash) ||
            !tailer_fits_mark(t, &r->mark))
            continue;
        tailer_seek_mark(t, &r->mark);
        drop_record(in, i);
        in->copies++;
        in->resumed++;
        return true;
    }
    return false;
}

/*
 * Whether t's bytes so far are the start of a file being followed that is
 * longer: then t may be a copy still being written (cp, copytruncate), and
 * reading it now would count its lines twice.
 */
static bool prefix_of_followed(struct input *in, const struct tailer *t)
{
    for (struct tailer *o = in->tailers; o; o = o->next)
        if (o != t && o->shadow_of == NULL && !o->undecided &&
            o->head_len >= TAILER_MIN_COPY_BYTES && o->head_len > t->head_len &&
            (t->head_len == 0 ||
             tailer_starts_with(o, t->head_len, t->head_hash)))
            return true;
    return false;
}

/* Settles an undecided file: a copy after all, or a new file. */
static void decide(struct input *in, struct tailer *t)
{
    tailer_refresh_head(t);
    t->undecided = false;
    if (place_by_head(in, t)) {
        t->ready = t->shadow_of == NULL;
        log_info("input %s: %s is a copy of %s", in->cfg->name, t->path,
                 t->shadow_of ? t->shadow_of->path : "a file read before");
    } else if (prefix_of_followed(in, t) && loop_now_ms() < t->decide_by_ms) {
        t->undecided = true;
        t->ready = false;
        return;
    } else {
        t->ready = true;
        log_info("input %s: %s is a new file; reading it from its start",
                 in->cfg->name, t->path);
    }
    in->changed = true;
}

/* Decides where each file found by the scan starts, then follows it. */
static void place(struct scan *sc)
{
    struct input *in = sc->in;
    struct tailer *list = sc->found, *t, *next, *rest = NULL;
    char how[64];

    sc->found = NULL;
    /* Pass one first, so an original claims its record before a copy. */
    for (t = list; t; t = next) {
        next = t->next;
        if (resume_same_inode(in, t)) {
            snprintf(how, sizeof(how), "from saved offset %llu",
                     (unsigned long long)t->offset);
            start_following(in, t, how);
        } else {
            t->next = rest;
            rest = t;
        }
    }
    for (t = rest; t; t = next) {
        next = t->next;
        if (place_by_head(in, t)) {
            if (t->shadow_of != NULL)
                snprintf(how, sizeof(how), "as a copy of %s (not read)",
                         t->shadow_of->path);
            else
                snprintf(how, sizeof(how), "as a copy, from offset %llu",
                         (unsigned long long)t->offset);
            start_following(in, t, how);
            continue;
        }
        bool from_end = sc->mode == INPUT_SCAN_STARTUP && !in->has_history &&
                        in->cfg->start_at == START_AT_END;
        if (!from_end && sc->mode != INPUT_SCAN_ONCE &&
            prefix_of_followed(in, t)) {
            t->undecided = true;
            t->decide_by_ms = loop_now_ms() + (in->cfg->rotate_grace_ms > 1000
                                                   ? in->cfg->rotate_grace_ms
                                                   : 1000);
            start_following(in, t, "once it is known not to be a copy");
            continue;
        }
        /* If the end cannot be found, it is read from its beginning. */
        if (from_end)
            tailer_seek_end(t, in->cfg->max_line_bytes);
        snprintf(how, sizeof(how), "from offset %llu",
                 (unsigned long long)t->offset);
        start_following(in, t, how);
    }
}

/* --- orphans ------------------------------------------------------------- */

/* Names an orphan by where its inode is now (app.log.1), for /health. */
static void rename_to_current(struct tailer *t)
{
    char proc[64], target[4096];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
    ssize_t n = readlink(proc, target, sizeof(target) - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    char *copy = strdup(target);
    if (copy != NULL) {
        free(t->path);
        t->path = copy;
    }
}

static void on_orphan_timer(void *ctx);

static void arm_orphan_timer(struct input *in)
{
    uint64_t next = 0;
    for (struct tailer *t = in->tailers; t; t = t->next)
        if (t->orphan && (next == 0 || t->close_at_ms < next))
            next = t->close_at_ms;
    loop_timer_cancel(in->loop, in->orphan_timer);
    in->orphan_timer = NULL;
    if (next == 0)
        return;
    uint64_t now = loop_now_ms();
    in->orphan_timer = loop_timer_add(in->loop, next > now ? next - now : 0,
                                      on_orphan_timer, in);
}

/* Reads t to its end, however much is there. */
static void drain(struct input *in, struct tailer *t)
{
    ssize_t n;
    if (t->shadow_of != NULL || t->undecided)
        return;
    while ((n = tailer_read(t, in->rb, in->cfg->max_line_bytes, SIZE_MAX,
                            in->sink)) > 0) {
        in->bytes_read += (uint64_t)n;
        after_read(in, t);
    }
    after_read(in, t);
    if (n < 0) {
        in->read_errors++;
        log_limited(&in->log_limit, LOG_WARN, "input %s: cannot read %s: %s",
                    in->cfg->name, t->path, strerror((int)-n));
    }
}

/* True when the file was unlinked: no path leads to it any more. */
static bool deleted(const struct tailer *t)
{
    struct stat st;
    return fstat(t->fd, &st) == 0 && st.st_nlink == 0;
}

static void on_orphan_timer(void *ctx)
{
    struct input *in = ctx;
    uint64_t now = loop_now_ms();
    in->orphan_timer = NULL;
    for (struct tailer *t = in->tailers, *next; t; t = next) {
        next = t->next;
        if (!t->orphan || t->close_at_ms > now)
            continue;
        drain(in, t);
        close_tailer(in, t, deleted(t));
    }
    arm_orphan_timer(in);
}

void input_scan(struct input *in, enum input_scan_mode mode)
{
    struct scan sc = {.in = in, .mode = mode};

    /* Keep last scan's errors to log only what is new. */
    sc.prev = in->errors;
    sc.n_prev = in->n_errors;
    in->errors = NULL;
    in->n_errors = in->cap_errors = 0;

    for (size_t i = 0; i < in->n_dirs; i++)
        in->dirs[i].seen = false;
    for (struct tailer *t = in->tailers; t; t = t->next)
        t->seen = false;

    for (size_t i = 0; i < in->cfg->n_paths; i++)
        scan_glob(&sc, in->cfg->paths[i]);
    place(&sc);

    for (size_t i = 0; i < sc.n_prev; i++)
        free(sc.prev[i].path);
    free((void *)sc.prev);

    /* Directories no glob needs any more. */
    size_t o = 0;
    for (size_t i = 0; i < in->n_dirs; i++) {
        if (in->dirs[i].seen) {
            in->dirs[o++] = in->dirs[i];
            continue;
        }
        if (in->dirs[i].wd >= 0)
            watch_remove(in->watch, in->dirs[i].wd, in);
        free(in->dirs[i].path);
    }
    in->n_dirs = o;

    /* Files no glob leads to any more: rotated away or deleted. */
    bool orphaned = false;
    for (struct tailer *t = in->tailers; t; t = t->next) {
        if (t->seen || t->orphan)
            continue;
        t->orphan = true;
        t->ready = t->shadow_of == NULL;
        t->close_at_ms = loop_now_ms() + in->cfg->rotate_grace_ms;
        in->rotations++;
        orphaned = true;
        rename_to_current(t);
        log_info("input %s: %s was rotated or removed; reading it to its "
                 "end",
                 in->cfg->name, t->path);
    }
    if (orphaned && in->loop)
        arm_orphan_timer(in);
}

int input_open_path(struct input *in, const char *path)
{
    struct tailer *t;
    int rc;
    if (strcmp(path, "-") == 0) {
        int fd = dup(0);
        if (fd < 0)
            return -errno;
        rc = tailer_from_fd(fd, "-", in->index, in->cfg->envelope, &t);
        if (rc != 0)
            close(fd);
    } else {
        rc = tailer_open(path, in->index, TAIL_START_BEGINNING,
                         in->cfg->max_line_bytes, in->cfg->envelope, &t);
    }
    if (rc != 0)
        return rc;
    if (!index_add(in, t)) {
        tailer_free(t);
        return -ENOMEM;
    }
    t->owner = in;
    start_following(in, t, "from its beginning");
    return 0;
}

bool input_pump(struct input *in, size_t budget)
{
    bool more = false;

    if (in->rescan) {
        in->rescan = false;
        input_scan(in, INPUT_SCAN_LATER);
    }
    for (struct tailer *t = in->tailers, *next; t; t = next) {
        next = t->next;
        if (t->undecided && t->ready)
            decide(in, t);
        if (!t->ready || t->shadow_of != NULL || t->undecided)
            continue;
        ssize_t n =
            tailer_read(t, in->rb, in->cfg->max_line_bytes, budget, in->sink);
        after_read(in, t);
        if (n < 0) {
            in->read_errors++;
            log_limited(&in->log_limit, LOG_WARN,
                        "input %s: cannot read %s: %s", in->cfg->name, t->path,
                        strerror((int)-n));
            t->ready = false;
            continue;
        }
        in->bytes_read += (uint64_t)n;
        if ((size_t)n >= budget) {
            more = true;
            continue;
        }
        t->ready = false;
    }
    return more;
}

static void on_reconcile(void *ctx)
{
    struct input *in = ctx;
    in->reconciles++;
    in->rescan = true;
    for (struct tailer *t = in->tailers; t; t = t->next)
        t->ready = t->shadow_of == NULL;
    in->reconcile_timer =
        loop_timer_add(in->loop, in->cfg->reconcile_ms, on_reconcile, in);
}

int input_start(struct input *in)
{
    in->reconcile_timer =
        loop_timer_add(in->loop, in->cfg->reconcile_ms, on_reconcile, in);
    return in->reconcile_timer ? 0 : -ENOMEM;
}

void input_drain_all(struct input *in)
{
    while (in->tailers) {
        struct tailer *t = in->tailers;
        drain(in, t);
        close_tailer(in, t, false);
    }
}

size_t input_files(const struct input *in)
{
    size_t n = 0;
    for (const struct tailer *t = in->tailers; t; t = t->next)
        n++;
    return n;
}

uint64_t input_lag_bytes(const struct input *in)
{
    uint64_t lag = 0;
    for (const struct tailer *t = in->tailers; t; t = t->next) {
        struct stat st;
        if (!t->stream && t->shadow_of == NULL && !t->undecided &&
            fstat(t->fd, &st) == 0 && (uint64_t)st.st_size > t->offset)
            lag += (uint64_t)st.st_size - t->offset;
    }
    return lag;
}

const char *input_name(const struct input *in)
{
    return in->cfg->name;
}

void input_get_stats(const struct input *in, struct input_stats *out)
{
    uint64_t truncs = in->closed_truncations;
    for (const struct tailer *t = in->tailers; t; t = t->next)
        truncs += t->truncations;
    *out = (struct input_stats){
        .bytes_read = in->bytes_read,
        .files = input_files(in),
        .files_opened = in->files_opened,
        .files_closed = in->files_closed,
        .rotations = in->rotations,
        .truncations = truncs,
        .copies = in->copies,
        .resumed = in->resumed,
        .reconciles = in->reconciles,
        .read_errors = in->read_errors,
        .path_errors = in->n_errors,
        .lag_bytes = input_lag_bytes(in),
    };
}

void input_each_file(const struct input *in,
                     void (*fn)(void *ctx, const struct input_file_info *f),
                     void *ctx)
{
    for (const struct tailer *t = in->tailers; t; t = t->next) {
        struct input_file_info f = {
            .path = t->path,
            .offset = tailer_consumed(t),
            .pending = tailer_pending(t),
            .last_read = t->last_read,
            .rotated = t->orphan,
            .copy_of = t->shadow_of ? t->shadow_of->path : NULL,
            .undecided = t->undecided,
            .envelope = t->env.kind,
        };
        struct stat st;
        if (!t->stream && fstat(t->fd, &st) == 0) {
            f.has_size = true;
            f.size = (uint64_t)st.st_size;
            f.lag = t->shadow_of != NULL || f.size < t->offset
                        ? 0
                        : f.size - t->offset;
        }
        fn(ctx, &f);
    }
}

void input_each_error(const struct input *in,
                      void (*fn)(void *ctx, const char *path, int err),
                      void *ctx)
{
    for (size_t k = 0; k < in->n_errors; k++)
        fn(ctx, in->errors[k].path, in->errors[k].err);
}

void input_rescan_all(struct input *in)
{
    in->rescan = true;
    for (struct tailer *t = in->tailers; t; t = t->next)
        t->ready = t->shadow_of == NULL;
}

void input_set_history(struct input *in, bool known)
{
    in->has_history = known;
    /* Records added from the state are not changes to save again. */
    in->changed = false;
}

bool input_positions_changed(const struct input *in)
{
    if (in->changed)
        return true;
    for (const struct tailer *t = in->tailers; t; t = t->next)
        if (t->shadow_of == NULL && !t->undecided && !t->stream &&
            tailer_consumed(t) != t->saved_offset)
            return true;
    return false;
}

int input_each_position(const struct input *in, int64_t now,
                        int (*fn)(void *ctx, uint64_t dev, uint64_t ino,
                                  const struct tail_mark *m, const char *path,
                                  int64_t last_seen),
                        void *ctx)
{
    int rc;
    for (const struct tailer *t = in->tailers; t; t = t->next) {
        struct tail_mark m;
        if (t->shadow_of != NULL || t->undecided || t->stream)
            continue;
        tailer_mark(t, &m);
        if ((rc = fn(ctx, (uint64_t)t->dev, (uint64_t)t->ino, &m, t->path,
                     now)) != 0)
            return rc;
    }
    for (size_t k = 0; k < in->n_records; k++) {
        const struct input_record *r = &in->records[k];
        if ((rc = fn(ctx, r->dev, r->ino, &r->mark, r->path, r->last_seen)) !=
            0)
            return rc;
    }
    return 0;
}

void input_positions_saved(struct input *in)
{
    in->changed = false;
    for (struct tailer *t = in->tailers; t; t = t->next)
        t->saved_offset = tailer_consumed(t);
}
