/*
 * Walking an input's globs: which directories to watch, which files are
 * new, which followed ones were seen, and which paths cannot be followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "input_files.h"

/* What makes a directory worth a rescan. */
#define INPUT_DIR_MASK                                                         \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |         \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define INPUT_ERRORS_MIN 4 /* room for errors, at first */
#define INPUT_DIRS_MIN   4 /* room for watched directories, at first */

struct scan {
    struct input *in;
    bool matched; /* the glob being walked led to a regular file */
    const struct input_error *prev; /* errors of the previous scan */
    size_t n_prev;
    struct input_file *found; /* files opened by this scan, not placed yet */
};

/* --- errors -------------------------------------------------------------- */

static bool had_error(const struct input_error *errs, size_t n,
                      const char *path, int err)
{
    for (size_t i = 0; i < n; i++)
        if (errs[i].err == err && strcmp(errs[i].path, path) == 0)
            return true;
    return false;
}

/* Records a persistent error found by the current scan (path copied);
 * logs it only when the previous scan did not already have it. */
static void note_error(struct input *in, const char *path, int err,
                       const struct input_error *prev, size_t n_prev)
{
    if (!had_error(prev, n_prev, path, err))
        log_limited(&in->log_limit, LOG_WARN, "input %s: cannot follow %s: %s",
                    in->cfg->name, path, strerror(err));
    if (had_error(in->errors, in->n_errors, path, err))
        return;
    if (in->n_errors == in->cap_errors) {
        size_t cap = in->cap_errors ? in->cap_errors * 2 : INPUT_ERRORS_MIN;
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

void input_clear_errors(struct input *in)
{
    for (size_t i = 0; i < in->n_errors; i++)
        free(in->errors[i].path);
    in->n_errors = 0;
}

static void scan_error(struct scan *sc, const char *path, int err)
{
    note_error(sc->in, path, err, sc->prev, sc->n_prev);
}

/* --- directories --------------------------------------------------------- */

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

/* Remembers a new watched directory; false (watch dropped) without memory. */
static bool add_dir(struct input *in, const char *dir, int wd)
{
    if (in->n_dirs == in->cap_dirs) {
        size_t cap = in->cap_dirs ? in->cap_dirs * 2 : INPUT_DIRS_MIN;
        struct input_dir *d = realloc(in->dirs, cap * sizeof(*d));
        if (d == NULL)
            return false;
        in->dirs = d;
        in->cap_dirs = cap;
    }
    char *copy = strdup(dir);
    if (copy == NULL)
        return false;
    struct input_dir *d = &in->dirs[in->n_dirs++];
    d->path = copy;
    d->wd = wd;
    d->seen = true;
    return true;
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
                scan_error(sc, dir, -wd);
            in->dirs[i].wd = wd < 0 ? -1 : wd;
            return;
        }
    int wd = watch_add(in->watch, dir, INPUT_DIR_MASK, on_dir_event, in);
    if (wd < 0) {
        if (wd != -ENOENT && wd != -ENOTDIR)
            scan_error(sc, dir, -wd);
        return;
    }
    if (!add_dir(in, dir, wd))
        watch_remove(in->watch, wd, in);
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

/* Forgets the directories no glob needs any more. */
static void drop_unseen_dirs(struct input *in)
{
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
}

/* --- files --------------------------------------------------------------- */

/* Whether path still leads to f's inode. */
static bool same_file(const char *path, const struct input_file *f)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == tailer_dev(f->t) &&
           st.st_ino == tailer_ino(f->t);
}

static void candidate(struct scan *sc, const char *path)
{
    struct input *in = sc->in;
    struct stat st;
    struct input_file *f;
    struct tailer *t;

    if (stat(path, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            scan_error(sc, path, errno);
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    sc->matched = true;
    watch_link_target(sc, path);
    if ((f = input_find(in, st.st_dev, st.st_ino)) != NULL) {
        f->seen = true;
        f->rotated = false;
        /* Named by the path that still leads to it. */
        if (strcmp(tailer_path(f->t), path) != 0 &&
            !same_file(tailer_path(f->t), f))
            tailer_set_path(f->t, path);
        return;
    }
    int rc = tailer_open(path, TAIL_START_BEGINNING, in->cfg->max_line_bytes,
                         in->cfg->envelope, &t);
    if (rc != 0) {
        if (rc != -ENOENT)
            scan_error(sc, path, -rc);
        return;
    }
    /* The path may have been replaced between stat and open. */
    if ((f = input_find(in, tailer_dev(t), tailer_ino(t))) != NULL) {
        f->seen = true;
        tailer_free(t);
        return;
    }
    if ((f = input_file_new(in, t)) == NULL)
        return;
    f->seen = true;
    f->next = sc->found;
    sc->found = f;
}

/* --- globs --------------------------------------------------------------- */

static bool has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static void walk(struct scan *sc, const char *dir, char **comps, size_t i,
                 size_t n);

/* A component without wildcards: one path to look at. */
static void walk_literal(struct scan *sc, const char *dir, char **comps,
                         size_t i, size_t n)
{
    char *path = join(dir, comps[i]);
    struct stat st;
    if (path == NULL)
        return;
    if (i + 1 == n) {
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
            scan_error(sc, path, errno);
        watch_dir(sc, dir);
    }
    free(path);
}

static void walk(struct scan *sc, const char *dir, char **comps, size_t i,
                 size_t n)
{
    if (!has_wildcard(comps[i])) {
        walk_literal(sc, dir, comps, i, n);
        return;
    }
    watch_dir(sc, dir);
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (errno != ENOENT && errno != ENOTDIR)
            scan_error(sc, dir, errno);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            fnmatch(comps[i], de->d_name, FNM_PERIOD) != 0)
            continue;
        char *path = join(dir, de->d_name);
        struct stat st;
        if (path == NULL)
            continue;
        if (i + 1 == n)
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
    /* A glob of n bytes has at most n / 2 + 1 non-empty components. */
    char **comps = calloc(strlen(glob) / 2 + 1, sizeof(*comps));
    if (copy != NULL && comps != NULL) {
        char *save = NULL;
        size_t n = 0;
        for (char *tok = strtok_r(copy, "/", &save); tok;
             tok = strtok_r(NULL, "/", &save))
            if (strcmp(tok, ".") != 0)
                comps[n++] = tok;
        if (n > 0)
            walk(sc, glob[0] == '/' ? "/" : ".", comps, 0, n);
    }
    free(comps);
    free(copy);
}

struct input_file *input_walk(struct input *in)
{
    struct scan sc = {.in = in};

    /* Keep last scan's errors to log only what is new. */
    sc.prev = in->errors;
    sc.n_prev = in->n_errors;
    in->errors = NULL;
    in->n_errors = in->cap_errors = 0;

    for (size_t i = 0; i < in->n_dirs; i++)
        in->dirs[i].seen = false;
    for (struct input_file *f = in->files; f; f = f->next)
        f->seen = false;

    for (size_t i = 0; i < in->cfg->n_paths; i++) {
        sc.matched = false;
        scan_glob(&sc, in->cfg->paths[i]);
        in->unmatched[i] = !sc.matched;
    }

    for (size_t i = 0; i < sc.n_prev; i++)
        free(sc.prev[i].path);
    free((void *)sc.prev);
    drop_unseen_dirs(in);
    return sc.found;
}
