/*
 * The files an input follows, and the input's own bookkeeping: shared by
 * the input's three files and by nothing else.
 *
 *   input.c        lifecycle, scans, reading (pump, drain), rotation,
 *                  statistics and positions
 *   input_scan.c   walking the globs: directory watches, new files, errors
 *   input_place.c  where a new file starts: saved marks, copies, files that
 *                  may be copies still being written; handing a file's
 *                  position on when it is truncated or closed
 *   input_files.c  the files followed: index by inode, watches, the list
 *
 * Calls go down that list: input.c uses the three others, input_scan.c
 * and input_place.c use input_files.c, which uses none of them.
 *
 * Each followed file is a reader (tailer.h: descriptor, offset, pending
 * line, fingerprints, envelope) wrapped in a struct input_file that says
 * why and how the input follows it. Its role decides whether it is read:
 *
 *   FILE_READING    read, and its position saved
 *   FILE_SHADOW     a byte-identical copy of a file being read: not read
 *                   (its lines would count twice) until its original is
 *                   truncated or closed, when it continues from there
 *   FILE_UNDECIDED  its bytes so far are the start of a longer file being
 *                   read: maybe a copy still being written; not read until
 *                   it matches that file's head (a shadow), differs from it
 *                   or waited long enough (then it is new: FILE_READING)
 *
 * Rotation is another matter than the role: a file whose path no longer
 * leads to it is rotated (renamed away or removed) whatever its role; it
 * is read to its end if it is read at all, and closed after the input's
 * rotate_grace.
 */
#ifndef TOKENTAIL_INPUT_FILES_H
#define TOKENTAIL_INPUT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"

/* The shortest wait for an undecided file, whatever the rotation grace:
 * a copy being written by cp is usually done well within it. */
#define INPUT_MIN_DECIDE_MS 1000 /* milliseconds */

enum file_role {
    FILE_READING,
    FILE_SHADOW,
    FILE_UNDECIDED,
};

struct input_file {
    struct tailer *t; /* the reader; owned */
    struct input *in; /* the input following it */
    enum file_role role;
    struct input_file *copy_of; /* FILE_SHADOW: the file it copies */
    bool rotated;               /* its path leads elsewhere, or nowhere */
    int wd;                     /* inotify watch on the file, or -1 */
    bool ready;                 /* may have data to read, or to decide */
    bool seen;                  /* found by the latest scan */
    uint64_t close_at_ms;       /* rotated: close after this (monotonic) */
    uint64_t decide_by_ms;      /* undecided: read it as new after this */
    uint64_t saved_offset;      /* consumed offset in the last checkpoint */
    struct input_file *next;    /* in the input's list */
    struct input_file *hnext;   /* in the input's index by inode */
};

/* Whether the file's lines are read (and its position counts). */
static inline bool file_is_read(const struct input_file *f)
{
    return f->role == FILE_READING;
}

/* Whether its position is worth saving: read, and a file, not a pipe. */
static inline bool file_saves_position(const struct input_file *f)
{
    return file_is_read(f) && !tailer_is_stream(f->t);
}

/* Marks it to be looked at by the next pump: read if it is read, decided
 * if undecided. A shadow waits for its original instead. */
static inline void file_wake(struct input_file *f)
{
    f->ready = f->role != FILE_SHADOW;
}

/* Where a file not open now stood: from the state store, or retired. */
struct input_record {
    uint64_t dev, ino;
    struct tail_mark mark;
    char *path;
    int64_t last_seen; /* unix seconds */
};

struct input_dir {
    char *path;
    int wd;
    bool seen;
};

struct input_error {
    char *path;
    int err; /* errno */
};

struct input {
    const struct cfg_input *cfg;  /* borrowed */
    struct watch *watch;          /* borrowed; NULL in one-pass mode */
    struct loop *loop;            /* borrowed; NULL in one-pass mode */
    struct tail_buf *rb;          /* borrowed */
    const struct tail_sink *sink; /* borrowed */

    struct input_file *files;
    struct input_file **by_inode; /* every file, hashed by device and inode */
    size_t by_inode_cap, by_inode_n;
    struct input_dir *dirs;
    size_t n_dirs, cap_dirs;
    struct input_error *errors; /* from the latest scan */
    size_t n_errors, cap_errors;
    bool *unmatched; /* per glob: the latest scan found no file for it */
    struct input_record *records;
    size_t n_records, cap_records;
    bool has_history; /* the state knew this input: new files are new */
    bool rescan;
    bool woken;   /* a file became readable during the current pump */
    bool changed; /* a file opened, closed or retired since the checkpoint */
    struct loop_timer *rotated_timer;
    struct loop_timer *reconcile_timer;
    struct log_limit log_limit;

    uint64_t bytes_read;
    uint64_t closed_truncations; /* of files already closed */
    uint64_t files_opened;
    uint64_t files_closed;
    uint64_t rotations;
    uint64_t copies;  /* byte-identical copies recognised */
    uint64_t resumed; /* files continued from a saved or retired mark */
    uint64_t reconciles;
    uint64_t read_errors;
};

/* --- input_files.c ------------------------------------------------------- */

/* The file with that identity, or NULL. */
struct input_file *input_find(const struct input *in, dev_t dev, ino_t ino);

/* A new struct input_file for t (taken), indexed but not followed yet;
 * NULL (t freed) when out of memory. */
struct input_file *input_file_new(struct input *in, struct tailer *t);

/* Starts following f (placed): listed, watched, and logged with how it
 * starts. */
void input_follow(struct input *in, struct input_file *f, const char *how);

/* Stops watching f and drops it from the index (it leaves the list
 * apart). */
void input_file_unfollow(struct input *in, struct input_file *f);

/* --- input_scan.c -------------------------------------------------------- */

/*
 * Walks the globs: watches the directories they need, marks the files
 * followed that were found (seen), keeps the paths that cannot be
 * followed and which globs found no file, and returns the files found for
 * the first time (a list by next, indexed, not placed yet).
 */
struct input_file *input_walk(struct input *in);

void input_clear_errors(struct input *in);

/* --- input_place.c ------------------------------------------------------- */

/*
 * Decides where each file in found (a list by next, not followed yet)
 * starts, and follows it.
 */
void input_place(struct input *in, struct input_file *found,
                 enum input_scan_mode mode);

/* Settles an undecided file: a copy after all, new, or still waiting. */
void input_decide(struct input *in, struct input_file *f);

/*
 * Hands on where f stood (its mark m) as it closes or is truncated: its
 * shadows continue from there; without shadows, a file that is gone
 * leaves nothing, one still on disk leaves a record for a copy or a
 * return of its file.
 */
void input_retire(struct input *in, struct input_file *f,
                  const struct tail_mark *m, bool gone);

void input_free_records(struct input *in);

#endif
