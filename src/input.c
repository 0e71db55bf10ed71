#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
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

static void close_tailer(struct input *in, struct tailer *t)
{
    for (struct tailer **pt = &in->tailers; *pt; pt = &(*pt)->next)
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    if (t->wd >= 0 && in->watch)
        watch_remove(in->watch, t->wd, t);
    if (tailer_pending(t) > 0 || t->discarding)
        in->sink->incomplete(in->sink->ctx, in->index);
    log_debug("closed %s after %llu bytes", t->path,
              (unsigned long long)t->bytes);
    in->closed_truncations += t->truncations;
    tailer_free(t);
    in->files_closed++;
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
    clear_errors(in);
    free(in->errors);
    if (in->loop)
        loop_timer_cancel(in->loop, in->orphan_timer);
    free(in);
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
        if (wd != -ENOENT)
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

static struct tailer *find_tailer(struct input *in, dev_t dev, ino_t ino)
{
    for (struct tailer *t = in->tailers; t; t = t->next)
        if (t->dev == dev && t->ino == ino)
            return t;
    return NULL;
}

/* Whether path still leads to t's inode. */
static bool same_file(const char *path, const struct tailer *t)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino;
}

static void add_tailer(struct input *in, struct tailer *t)
{
    char proc[64];
    t->owner = in;
    t->seen = true;
    t->ready = true;
    t->next = in->tailers;
    in->tailers = t;
    in->files_opened++;
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
                    "input %s: cannot watch %s (%s); it is read when its "
                    "directory changes",
                    in->cfg->name, t->path, strerror(-wd));
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
    if ((t = find_tailer(in, st.st_dev, st.st_ino)) != NULL) {
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
    bool from_end =
        sc->mode == INPUT_SCAN_STARTUP && in->cfg->start_at == START_AT_END;
    int rc =
        tailer_open(path, in->index, from_end, in->cfg->max_line_bytes, &t);
    if (rc != 0) {
        if (rc != -ENOENT)
            record_error(in, path, -rc, sc->prev, sc->n_prev);
        return;
    }
    /* The path may have been replaced between stat and open. */
    struct tailer *dup = find_tailer(in, t->dev, t->ino);
    if (dup != NULL) {
        dup->seen = true;
        tailer_free(t);
        return;
    }
    add_tailer(in, t);
    log_info("input %s: following %s from offset %llu", in->cfg->name, path,
             (unsigned long long)t->offset);
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

static void on_orphan_timer(void *ctx)
{
    struct input *in = ctx;
    uint64_t now = loop_now_ms();
    in->orphan_timer = NULL;
    for (struct tailer *t = in->tailers, *next; t; t = next) {
        next = t->next;
        if (!t->orphan || t->close_at_ms > now)
            continue;
        ssize_t n;
        while ((n = tailer_read(t, in->rb, in->cfg->max_line_bytes, SIZE_MAX,
                                in->sink)) > 0)
            in->bytes_read += (uint64_t)n;
        close_tailer(in, t);
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
        t->ready = true;
        rename_to_current(t);
        t->close_at_ms = loop_now_ms() + INPUT_ROTATE_GRACE_MS;
        in->rotations++;
        orphaned = true;
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
        rc = tailer_from_fd(fd, "-", in->index, &t);
        if (rc != 0)
            close(fd);
    } else {
        rc = tailer_open(path, in->index, false, in->cfg->max_line_bytes, &t);
    }
    if (rc != 0)
        return rc;
    add_tailer(in, t);
    return 0;
}

/* True when the file was unlinked: no path leads to it any more. */
static bool deleted(const struct tailer *t)
{
    struct stat st;
    return fstat(t->fd, &st) == 0 && st.st_nlink == 0;
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
        if (!t->ready)
            continue;
        ssize_t n =
            tailer_read(t, in->rb, in->cfg->max_line_bytes, budget, in->sink);
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
        /* Deleted and read to the end: nothing more can be read. */
        if (t->orphan && deleted(t))
            close_tailer(in, t);
    }
    return more;
}

void input_drain_all(struct input *in)
{
    while (in->tailers) {
        struct tailer *t = in->tailers;
        ssize_t n;
        while ((n = tailer_read(t, in->rb, in->cfg->max_line_bytes, SIZE_MAX,
                                in->sink)) > 0)
            in->bytes_read += (uint64_t)n;
        if (n < 0) {
            in->read_errors++;
            log_error("input %s: cannot read %s: %s", in->cfg->name, t->path,
                      strerror((int)-n));
        }
        close_tailer(in, t);
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
        if (!t->stream && fstat(t->fd, &st) == 0 &&
            (uint64_t)st.st_size > t->offset)
            lag += (uint64_t)st.st_size - t->offset;
    }
    return lag;
}
