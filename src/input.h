/*
 * An input: the files matched by a set of globs, followed as they appear,
 * grow, rotate and disappear, each line delivered exactly once.
 *
 * A scan walks each glob component by component. Every directory it needs
 * to see change gets an inotify watch: the directory holding the files, a
 * directory whose entries a wildcard matches, and for a path that does
 * not exist yet the deepest directory that does. Any change there sets
 * the rescan flag; the next pump rescans before reading.
 *
 * Each matching regular file is read by a tailer (tailer.h), at most one
 * per inode however many paths lead to it (symlinks, overlapping globs),
 * with its own inotify watch that marks it ready when written. A file
 * whose inode no longer appears under any glob (renamed away by rotation,
 * or deleted) is rotated: it is read to its end, kept open for the
 * rotation grace period in case the writer still holds it, and closed.
 *
 * Where a new file starts. A file seen before (in the state store, or
 * before it was truncated or closed) continues from its mark if it still
 * fits it: same inode and head, or — for copytruncate's rotated copy — the
 * same full head on another inode. A byte-identical copy of a file being
 * followed is a shadow: not read, unless its original is truncated or
 * closed, when it continues from where the original stood. Otherwise a new
 * file is read from its beginning, except at the very first start, where
 * start_at decides. A file whose bytes so far begin a longer followed file
 * may be a copy still being written: it waits, unread, until it is told
 * apart (input_files.h describes these roles).
 *
 * inotify is only a hint: every reconcile interval, and after an inotify
 * queue overflow, every glob is walked again and every file read.
 *
 * Errors that persist (a file that exists but cannot be opened, a watch
 * that cannot be added) are kept until a scan succeeds, and make the
 * daemon report itself degraded. A path that does not exist yet is not an
 * error, but a glob that leads to no file is remembered until one does,
 * and said at start-up: it may be a typo.
 */
#ifndef TOKENTAIL_INPUT_H
#define TOKENTAIL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "tailer.h"
#include "watch.h"

#define INPUT_MAX_RECORDS 256 /* remembered marks of files not open now */

enum input_scan_mode {
    INPUT_SCAN_STARTUP, /* files present now start where start_at says */
    INPUT_SCAN_LATER,   /* files are new: read from their beginning */
    INPUT_SCAN_ONCE,    /* one pass, no watches, from the beginning */
};

struct input;

/*
 * A new input (no files yet). cfg, w, l, rb and sink are borrowed; w and l
 * are NULL for a one-pass run. Every complete line of every file read goes
 * to sink, without its envelope. Returns 0 or -ENOMEM.
 */
int input_new(const struct cfg_input *cfg, struct watch *w, struct loop *l,
              struct tail_buf *rb, const struct tail_sink *sink,
              struct input **out);

/* Closes every file and watch; NULL is a no-op. */
void input_free(struct input *in);

/*
 * Adds a record of where a file stood (from the state store, before the
 * first scan). path is copied.
 */
int input_add_record(struct input *in, uint64_t dev, uint64_t ino,
                     const struct tail_mark *mark, const char *path,
                     int64_t last_seen);

/* Walks the globs: watches directories, opens new files, orphans gone ones. */
void input_scan(struct input *in, enum input_scan_mode mode);

/* Starts the periodic reconcile (following mode). */
int input_start(struct input *in);

/* Opens one named file ("-": standard input) from its beginning. */
int input_open_path(struct input *in, const char *path);

/*
 * Reads every ready file, up to budget bytes each. Returns true when some
 * file has more to read right away.
 */
bool input_pump(struct input *in, size_t budget);

/* Reads every file to its end and closes it (one-pass mode). */
void input_drain_all(struct input *in);

/*
 * Closes the rotated files whose grace period is over, after reading them
 * to their end. The input's own timer calls it when following; without a
 * loop, the caller does.
 */
void input_close_rotated(struct input *in);

/* Open files, rotated ones still being drained included. */
size_t input_files(const struct input *in);

/* Bytes written to the files being read but not read yet (copies and
 * files waiting to be told apart from copies are not read: no lag). */
uint64_t input_lag_bytes(const struct input *in);

/* The configured name. */
const char *input_name(const struct input *in);

/* What an input has done since it started, for tokentail's own metrics. */
struct input_stats {
    uint64_t bytes_read;
    uint64_t files; /* open now, rotated ones being drained included */
    uint64_t files_opened;
    uint64_t files_closed;
    uint64_t rotations;
    uint64_t truncations; /* of every file, open or closed since */
    uint64_t copies;      /* byte-identical copies recognised */
    uint64_t resumed;     /* files continued from a saved or retired mark */
    uint64_t reconciles;
    uint64_t read_errors;
    uint64_t path_errors;     /* paths that exist but cannot be followed now */
    uint64_t unmatched_globs; /* globs the latest scan found no file for */
    uint64_t lag_bytes;       /* written to the files, not read yet */
};

void input_get_stats(const struct input *in, struct input_stats *out);

/*
 * Adds the counts of more (another input's, of the same configuration,
 * whose files are all closed: a backfill worker's) to in's: bytes read,
 * files opened and closed, rotations, truncations, copies, resumed files
 * and read errors.
 */
void input_add_counts(struct input *in, const struct input_stats *more);

/* One open file, as /health shows it; pointers valid during the call. */
struct input_file_info {
    const char *path;
    uint64_t offset; /* consumed: every line before it was delivered */
    size_t pending;  /* bytes of an unfinished line held back */
    bool has_size;   /* a regular file whose size could be read */
    uint64_t size;
    uint64_t lag;        /* with has_size: bytes not read yet */
    time_t last_read;    /* 0: never */
    bool rotated;        /* renamed away or removed: read to its end */
    const char *copy_of; /* a copy of that followed file: not read */
    bool undecided;      /* maybe a copy still being written: waiting */
    enum envelope_kind envelope;
};

/* Calls fn for every open file, in the input's order. */
void input_each_file(const struct input *in,
                     void (*fn)(void *ctx, const struct input_file_info *f),
                     void *ctx);

/* Globs the latest scan found no file for (none before the first scan). */
size_t input_unmatched_globs(const struct input *in);

/* Calls fn for each of them (glob borrowed), in the configuration's order. */
void input_each_unmatched(const struct input *in,
                          void (*fn)(void *ctx, const char *glob), void *ctx);

/* Calls fn for every path the latest scan could not follow (errno). */
void input_each_error(const struct input *in,
                      void (*fn)(void *ctx, const char *path, int err),
                      void *ctx);

/*
 * After an inotify queue overflow: events were lost, so every glob is
 * walked again and every file read at the next pump.
 */
void input_rescan_all(struct input *in);

/* --- for the durable state (input_store) ------------------------------- */

/* Tells the input whether the state knew it: then every file it has not
 * seen before is new, and read from its start. */
void input_set_history(struct input *in, bool known);

/* Whether a position to save changed since input_positions_saved(). */
bool input_positions_changed(const struct input *in);

/*
 * Calls fn with every position worth saving: each file being read (not a
 * copy, not undecided, not a stream), with now as when it was last seen,
 * then each remembered record. Stops at the first fn that does not return
 * 0, and returns what it returned.
 */
int input_each_position(const struct input *in, int64_t now,
                        int (*fn)(void *ctx, uint64_t dev, uint64_t ino,
                                  const struct tail_mark *m, const char *path,
                                  int64_t last_seen),
                        void *ctx);

/* The positions given to input_each_position() are saved. */
void input_positions_saved(struct input *in);

#endif
