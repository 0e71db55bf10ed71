/*
 * Where a new file starts, and where a file's position goes when it is
 * truncated or closed.
 *
 * A file found by a scan is placed in three passes, each only for the
 * files the one before left over:
 *   1. the same inode as a record, still holding what was read: resume at
 *      the record's mark (a restart, a file that came back);
 *   2. another inode starting with the same bytes as a file being read (a
 *      shadow: not read) or as a record (copytruncate's rotated copy:
 *      continue from the mark);
 *   3. new: read from the beginning, or from the end at the very first
 *      start with start_at: end; unless its bytes so far are the start of
 *      a longer file being read, when it waits undecided.
 * Starts shorter than TAILER_MIN_COPY_BYTES are never compared: alike by
 * chance too often.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input_files.h"

#define INPUT_RECORDS_MIN 8 /* room for records, at first */

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
        size_t cap = in->cap_records ? in->cap_records * 2 : INPUT_RECORDS_MIN;
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

void input_free_records(struct input *in)
{
    for (size_t i = 0; i < in->n_records; i++)
        free(in->records[i].path);
    free(in->records);
    in->records = NULL;
    in->n_records = in->cap_records = 0;
}

/* --- handing positions on ------------------------------------------------ */

/*
 * The shadows of f (copies of its file) take over from where f stood: a
 * copy holding f's bytes before the mark continues there; a copy taken
 * before f read that far holds nothing new.
 */
static void release_shadows(struct input *in, struct input_file *f,
                            const struct tail_mark *m)
{
    for (struct input_file *s = in->files; s; s = s->next) {
        if (s->role != FILE_SHADOW || s->copy_of != f)
            continue;
        s->role = FILE_READING;
        s->copy_of = NULL;
        s->ready = true;
        in->woken = true;
        in->changed = true;
        if (tailer_fits_mark(s->t, m)) {
            tailer_seek_mark(s->t, m);
            log_info("input %s: %s continues %s from offset %llu",
                     in->cfg->name, tailer_path(s->t), tailer_path(f->t),
                     (unsigned long long)m->offset);
        } else if (tailer_seek_end(s->t) == 0 &&
                   tailer_offset(s->t) < tail_mark_end(m)) {
            log_info("input %s: %s is a copy of what was read from %s",
                     in->cfg->name, tailer_path(s->t), tailer_path(f->t));
        } else {
            tailer_seek_mark(s->t, &(struct tail_mark){0});
        }
    }
}

static bool has_shadows(const struct input *in, const struct input_file *f)
{
    for (const struct input_file *s = in->files; s; s = s->next)
        if (s->role == FILE_SHADOW && s->copy_of == f)
            return true;
    return false;
}

void input_retire(struct input *in, struct input_file *f,
                  const struct tail_mark *m, bool gone)
{
    if (has_shadows(in, f)) {
        release_shadows(in, f, m);
        return;
    }
    if (!gone && tail_mark_end(m) > 0)
        input_add_record(in, (uint64_t)tailer_dev(f->t),
                         (uint64_t)tailer_ino(f->t), m, tailer_path(f->t),
                         (int64_t)time(NULL));
}

/* --- placing ------------------------------------------------------------- */

/* Pass one: the same inode, still holding what was read. */
static bool resume_same_inode(struct input *in, struct input_file *f)
{
    for (size_t i = 0; i < in->n_records; i++) {
        struct input_record *r = &in->records[i];
        if (r->dev != (uint64_t)tailer_dev(f->t) ||
            r->ino != (uint64_t)tailer_ino(f->t) ||
            !tailer_fits_mark(f->t, &r->mark))
            continue;
        tailer_seek_mark(f->t, &r->mark);
        drop_record(in, i);
        in->resumed++;
        return true;
    }
    return false;
}

/*
 * Whether f starts with the len bytes fingerprinted as hash: a comparison
 * of fingerprints when both are full, a read of f when the other is
 * shorter.
 */
static bool same_start(const struct input_file *f, uint32_t len, uint64_t hash)
{
    uint32_t head_len;
    uint64_t head_hash;
    tailer_head(f->t, &head_len, &head_hash);
    if (len < TAILER_MIN_COPY_BYTES || head_len < len)
        return false;
    if (len == head_len)
        return hash == head_hash;
    return tailer_starts_with(f->t, len, hash);
}

/* Pass two: another inode starting with the same bytes (a rotated copy). */
static bool place_by_head(struct input *in, struct input_file *f)
{
    for (struct input_file *o = in->files; o; o = o->next) {
        uint32_t len;
        uint64_t hash;
        tailer_head(o->t, &len, &hash);
        if (o != f && file_is_read(o) && same_start(f, len, hash)) {
            f->role = FILE_SHADOW;
            f->copy_of = o;
            in->copies++;
            return true;
        }
    }
    for (size_t i = 0; i < in->n_records; i++) {
        struct input_record *r = &in->records[i];
        if (!same_start(f, r->mark.head_len, r->mark.head_hash) ||
            !tailer_fits_mark(f->t, &r->mark))
            continue;
        tailer_seek_mark(f->t, &r->mark);
        drop_record(in, i);
        in->copies++;
        in->resumed++;
        return true;
    }
    return false;
}

/*
 * Whether f's bytes so far are the start of a longer file being read:
 * then f may be a copy still being written (cp, copytruncate), and reading
 * it now would count its lines twice.
 */
static bool prefix_of_followed(struct input *in, const struct input_file *f)
{
    uint32_t len;
    uint64_t hash;
    tailer_head(f->t, &len, &hash);
    for (struct input_file *o = in->files; o; o = o->next) {
        uint32_t olen;
        uint64_t ohash;
        tailer_head(o->t, &olen, &ohash);
        if (o != f && file_is_read(o) && olen >= TAILER_MIN_COPY_BYTES &&
            olen > len && (len == 0 || tailer_starts_with(o->t, len, hash)))
            return true;
    }
    return false;
}

void input_decide(struct input *in, struct input_file *f)
{
    tailer_refresh_head(f->t);
    f->role = FILE_READING;
    if (place_by_head(in, f)) {
        f->ready = file_is_read(f);
        log_info("input %s: %s is a copy of %s", in->cfg->name,
                 tailer_path(f->t),
                 f->role == FILE_SHADOW ? tailer_path(f->copy_of->t)
                                        : "a file read before");
    } else if (prefix_of_followed(in, f) && loop_now_ms() < f->decide_by_ms) {
        f->role = FILE_UNDECIDED;
        f->ready = false;
        return;
    } else {
        f->ready = true;
        log_info("input %s: %s is a new file; reading it from its start",
                 in->cfg->name, tailer_path(f->t));
    }
    in->changed = true;
}

/* Pass three: a file seen for the first time. */
static void place_new(struct input *in, struct input_file *f,
                      enum input_scan_mode mode)
{
    char how[64];
    bool from_end = mode == INPUT_SCAN_STARTUP && !in->has_history &&
                    in->cfg->start_at == START_AT_END;
    if (!from_end && mode != INPUT_SCAN_ONCE && prefix_of_followed(in, f)) {
        uint64_t wait = in->cfg->rotate_grace_ms > INPUT_MIN_DECIDE_MS
                            ? in->cfg->rotate_grace_ms
                            : INPUT_MIN_DECIDE_MS;
        f->role = FILE_UNDECIDED;
        f->decide_by_ms = loop_now_ms() + wait;
        input_follow(in, f, "once it is known not to be a copy");
        return;
    }
    /* If the end cannot be found, it is read from its beginning. */
    if (from_end)
        tailer_seek_end(f->t);
    snprintf(how, sizeof(how), "from offset %llu",
             (unsigned long long)tailer_offset(f->t));
    input_follow(in, f, how);
}

void input_place(struct input *in, struct input_file *found,
                 enum input_scan_mode mode)
{
    struct input_file *f, *next, *rest = NULL;
    char how[64];

    /* Pass one first, so an original claims its record before a copy. */
    for (f = found; f; f = next) {
        next = f->next;
        if (resume_same_inode(in, f)) {
            snprintf(how, sizeof(how), "from saved offset %llu",
                     (unsigned long long)tailer_offset(f->t));
            input_follow(in, f, how);
        } else {
            f->next = rest;
            rest = f;
        }
    }
    for (f = rest; f; f = next) {
        next = f->next;
        if (!place_by_head(in, f)) {
            place_new(in, f, mode);
        } else if (f->role == FILE_SHADOW) {
            snprintf(how, sizeof(how), "as a copy of %s (not read)",
                     tailer_path(f->copy_of->t));
            input_follow(in, f, how);
        } else {
            snprintf(how, sizeof(how), "as a copy, from offset %llu",
                     (unsigned long long)tailer_offset(f->t));
            input_follow(in, f, how);
        }
    }
}
