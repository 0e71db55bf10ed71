#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input_files.h"

int input_new(const struct cfg_input *cfg, struct watch *w, struct loop *l,
              struct tail_buf *rb, const struct tail_sink *sink,
              struct input **out)
{
    struct input *in = calloc(1, sizeof(*in));
    if (in == NULL ||
        (in->unmatched = calloc(cfg->n_paths ? cfg->n_paths : 1,
                                sizeof(*in->unmatched))) == NULL) {
        free(in);
        return -ENOMEM;
    }
    in->cfg = cfg;
    in->watch = w;
    in->loop = l;
    in->rb = rb;
    in->sink = sink;
    *out = in;
    return 0;
}

void input_free(struct input *in)
{
    if (in == NULL)
        return;
    while (in->files) {
        struct input_file *f = in->files;
        in->files = f->next;
        if (f->wd >= 0 && in->watch)
            watch_remove(in->watch, f->wd, f);
        tailer_free(f->t);
        free(f);
    }
    for (size_t i = 0; i < in->n_dirs; i++) {
        if (in->watch && in->dirs[i].wd >= 0)
            watch_remove(in->watch, in->dirs[i].wd, in);
        free(in->dirs[i].path);
    }
    free(in->dirs);
    free(in->by_inode);
    input_free_records(in);
    input_clear_errors(in);
    free(in->errors);
    free(in->unmatched);
    if (in->loop) {
        loop_timer_cancel(in->loop, in->rotated_timer);
        loop_timer_cancel(in->loop, in->reconcile_timer);
    }
    free(in);
}

/* --- following and closing ----------------------------------------------- */

static void close_file(struct input *in, struct input_file *f, bool gone)
{
    struct tail_mark m;
    struct tailer_stats ts;
    tailer_mark(f->t, &m);
    for (struct input_file **p = &in->files; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    if (file_is_read(f))
        input_retire(in, f, &m, gone);
    input_file_unfollow(in, f);
    if (file_is_read(f))
        tailer_finish(f->t, in->sink);
    tailer_get_stats(f->t, &ts);
    log_debug("closed %s after %llu bytes", tailer_path(f->t),
              (unsigned long long)ts.bytes);
    in->closed_truncations += ts.truncations;
    tailer_free(f->t);
    free(f);
    in->files_closed++;
    in->changed = true;
}

/* A truncation found by a read: the old content's mark is handed on. */
static void after_read(struct input *in, struct input_file *f)
{
    struct tail_mark m;
    if (!tailer_take_retired(f->t, &m))
        return;
    in->changed = true;
    input_retire(in, f, &m, false);
}

/* Reads f up to budget bytes; returns the bytes read, or -errno (logged
 * and counted). */
static ssize_t read_file(struct input *in, struct input_file *f, size_t budget)
{
    ssize_t n = tailer_read(f->t, in->rb, budget, in->sink);
    after_read(in, f);
    if (n < 0) {
        in->read_errors++;
        log_limited(&in->log_limit, LOG_WARN, "input %s: cannot read %s: %s",
                    in->cfg->name, tailer_path(f->t), strerror((int)-n));
        return n;
    }
    in->bytes_read += (uint64_t)n;
    return n;
}

/* Reads f to its end, however much is there. */
static void drain(struct input *in, struct input_file *f)
{
    if (file_is_read(f))
        while (read_file(in, f, SIZE_MAX) > 0)
            ;
}

/* --- rotated files ------------------------------------------------------- */

static void on_rotated_timer(void *ctx)
{
    struct input *in = ctx;
    in->rotated_timer = NULL;
    input_close_rotated(in);
}

/* Arms the timer that closes rotated files, for the earliest due. */
static void arm_rotated(struct input *in)
{
    uint64_t next = 0;
    if (in->loop == NULL)
        return;
    for (const struct input_file *f = in->files; f; f = f->next)
        if (f->rotated && (next == 0 || f->close_at_ms < next))
            next = f->close_at_ms;
    loop_timer_cancel(in->loop, in->rotated_timer);
    in->rotated_timer = NULL;
    if (next == 0)
        return;
    uint64_t now = loop_now_ms();
    in->rotated_timer = loop_timer_add(in->loop, next > now ? next - now : 0,
                                       on_rotated_timer, in);
}

void input_close_rotated(struct input *in)
{
    uint64_t now = loop_now_ms();
    for (struct input_file *f = in->files, *next; f; f = next) {
        next = f->next;
        if (!f->rotated || f->close_at_ms > now)
            continue;
        drain(in, f);
        close_file(in, f, tailer_unlinked(f->t));
    }
    arm_rotated(in);
}

/* Followed files no glob leads to any more: rotated away, or deleted. */
static void mark_rotated(struct input *in)
{
    bool any = false;
    for (struct input_file *f = in->files; f; f = f->next) {
        if (f->seen || f->rotated)
            continue;
        f->rotated = true;
        file_wake(f);
        f->close_at_ms = loop_now_ms() + in->cfg->rotate_grace_ms;
        in->rotations++;
        any = true;
        tailer_follow_name(f->t);
        log_info("input %s: %s was rotated or removed; reading it to its "
                 "end",
                 in->cfg->name, tailer_path(f->t));
    }
    if (any)
        arm_rotated(in);
}

/* Says which globs found no file: a likely mistake at the first scan,
 * one that makes a one-pass run fail. */
static void report_unmatched(const struct input *in, enum input_scan_mode mode)
{
    for (size_t i = 0; i < in->cfg->n_paths; i++) {
        if (!in->unmatched[i])
            continue;
        if (mode == INPUT_SCAN_ONCE)
            log_error("input %s: no file matches %s", in->cfg->name,
                      in->cfg->paths[i]);
        else
            log_warn("input %s: no file matches %s yet; files that appear "
                     "there are read from their beginning",
                     in->cfg->name, in->cfg->paths[i]);
    }
}

void input_scan(struct input *in, enum input_scan_mode mode)
{
    input_place(in, input_walk(in), mode);
    mark_rotated(in);
    if (mode != INPUT_SCAN_LATER)
        report_unmatched(in, mode);
}

/* --- reading ------------------------------------------------------------- */

int input_open_path(struct input *in, const char *path)
{
    struct tailer *t;
    int rc;
    if (strcmp(path, "-") == 0) {
        int fd = dup(0);
        if (fd < 0)
            return -errno;
        rc = tailer_from_fd(fd, "-", in->cfg->max_line_bytes, in->cfg->envelope,
                            &t);
        if (rc != 0)
            close(fd);
    } else {
        rc = tailer_open(path, TAIL_START_BEGINNING, in->cfg->max_line_bytes,
                         in->cfg->envelope, &t);
    }
    if (rc != 0)
        return rc;
    struct input_file *f = input_file_new(in, t);
    if (f == NULL)
        return -ENOMEM;
    input_follow(in, f, "from its beginning");
    return 0;
}

bool input_pump(struct input *in, size_t budget)
{
    bool more = false;

    in->woken = false;
    if (in->rescan) {
        in->rescan = false;
        input_scan(in, INPUT_SCAN_LATER);
    }
    for (struct input_file *f = in->files, *next; f; f = next) {
        next = f->next;
        if (f->role == FILE_UNDECIDED && f->ready)
            input_decide(in, f);
        if (!f->ready || !file_is_read(f))
            continue;
        ssize_t n = read_file(in, f, budget);
        if (n >= 0 && (size_t)n >= budget) {
            more = true;
            continue;
        }
        f->ready = false;
    }
    /* A copy that took over from a file read in this pass may stand
     * before it in the list: read it without waiting for an event. */
    return more || in->woken;
}

static void on_reconcile(void *ctx)
{
    struct input *in = ctx;
    in->reconciles++;
    input_rescan_all(in);
    in->reconcile_timer =
        loop_timer_add(in->loop, in->cfg->reconcile_ms, on_reconcile, in);
}

int input_start(struct input *in)
{
    in->reconcile_timer =
        loop_timer_add(in->loop, in->cfg->reconcile_ms, on_reconcile, in);
    return in->reconcile_timer ? 0 : -ENOMEM;
}

void input_rescan_all(struct input *in)
{
    in->rescan = true;
    for (struct input_file *f = in->files; f; f = f->next)
        file_wake(f);
}

void input_drain_all(struct input *in)
{
    while (in->files) {
        struct input_file *f = in->files;
        drain(in, f);
        close_file(in, f, false);
    }
}

/* --- what it says about itself ------------------------------------------- */

const char *input_name(const struct input *in)
{
    return in->cfg->name;
}

size_t input_files(const struct input *in)
{
    size_t n = 0;
    for (const struct input_file *f = in->files; f; f = f->next)
        n++;
    return n;
}

/* Bytes not read yet of a file being read; files not read have no lag. */
static uint64_t file_lag(const struct input_file *f)
{
    return file_is_read(f) ? tailer_lag(f->t) : 0;
}

uint64_t input_lag_bytes(const struct input *in)
{
    uint64_t lag = 0;
    for (const struct input_file *f = in->files; f; f = f->next)
        lag += file_lag(f);
    return lag;
}

void input_get_stats(const struct input *in, struct input_stats *out)
{
    uint64_t truncs = in->closed_truncations;
    for (const struct input_file *f = in->files; f; f = f->next) {
        struct tailer_stats ts;
        tailer_get_stats(f->t, &ts);
        truncs += ts.truncations;
    }
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
        .unmatched_globs = input_unmatched_globs(in),
        .lag_bytes = input_lag_bytes(in),
    };
}

void input_add_counts(struct input *in, const struct input_stats *more)
{
    in->bytes_read += more->bytes_read;
    in->files_opened += more->files_opened;
    in->files_closed += more->files_closed;
    in->rotations += more->rotations;
    in->closed_truncations += more->truncations;
    in->copies += more->copies;
    in->resumed += more->resumed;
    in->read_errors += more->read_errors;
}

void input_each_file(const struct input *in,
                     void (*fn)(void *ctx, const struct input_file_info *f),
                     void *ctx)
{
    for (const struct input_file *f = in->files; f; f = f->next) {
        struct tailer_stats ts;
        tailer_get_stats(f->t, &ts);
        struct input_file_info info = {
            .path = tailer_path(f->t),
            .offset = tailer_consumed(f->t),
            .pending = tailer_pending(f->t),
            .last_read = ts.last_read,
            .rotated = f->rotated,
            .copy_of =
                f->role == FILE_SHADOW ? tailer_path(f->copy_of->t) : NULL,
            .undecided = f->role == FILE_UNDECIDED,
            .envelope = tailer_envelope(f->t),
        };
        info.has_size = tailer_size(f->t, &info.size);
        info.lag = file_lag(f);
        fn(ctx, &info);
    }
}

size_t input_unmatched_globs(const struct input *in)
{
    size_t n = 0;
    for (size_t i = 0; i < in->cfg->n_paths; i++)
        n += in->unmatched[i];
    return n;
}

void input_each_unmatched(const struct input *in,
                          void (*fn)(void *ctx, const char *glob), void *ctx)
{
    for (size_t i = 0; i < in->cfg->n_paths; i++)
        if (in->unmatched[i])
            fn(ctx, in->cfg->paths[i]);
}

void input_each_error(const struct input *in,
                      void (*fn)(void *ctx, const char *path, int err),
                      void *ctx)
{
    for (size_t k = 0; k < in->n_errors; k++)
        fn(ctx, in->errors[k].path, in->errors[k].err);
}

/* --- positions, for the durable state ------------------------------------ */

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
    for (const struct input_file *f = in->files; f; f = f->next)
        if (file_saves_position(f) && tailer_consumed(f->t) != f->saved_offset)
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
    for (const struct input_file *f = in->files; f; f = f->next) {
        struct tail_mark m;
        if (!file_saves_position(f))
            continue;
        tailer_mark(f->t, &m);
        if ((rc = fn(ctx, (uint64_t)tailer_dev(f->t),
                     (uint64_t)tailer_ino(f->t), &m, tailer_path(f->t), now)) !=
            0)
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
    for (struct input_file *f = in->files; f; f = f->next)
        f->saved_offset = tailer_consumed(f->t);
}
