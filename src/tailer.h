/*
 * One followed file: its identity, its read offset, and the start of a
 * line still waiting for its newline.
 *
 * A tailer reads with pread at its own offset, into a read buffer shared by
 * all tailers (the daemon has one thread), and hands every complete line
 * to a sink. Only the unfinished tail of a read is copied, into the
 * tailer's own small pending buffer. A line longer than the limit is
 * reported once as too long and skipped up to its newline. NUL bytes at
 * the start of a line are padding (a sparse region left by a writer that
 * kept its offset after a truncation), not text: they are skipped and never
 * held in memory.
 *
 * Identity. A file is its device and inode plus a fingerprint of its first
 * TAILER_HEAD_BYTES bytes (the "head"): an inode reused by a new file has
 * another head, and a byte-for-byte copy (copytruncate's rotated file) has
 * the same head but another inode.
 *
 * Consumed offset. Everything before offset - pending has been delivered.
 * The tailer keeps the TAILER_TAIL_BYTES bytes just before that point and
 * checks them against the file before each read: a file truncated and
 * regrown past the offset before tokentail looked no longer holds them, and
 * is read again from the start. The pair (consumed offset, those bytes) is
 * a mark: what the state store saves and what a copy of the file continues
 * from.
 */
#ifndef TOKENTAIL_TAILER_H
#define TOKENTAIL_TAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "envelope.h"

#define TAILER_READ_CHUNK (256 * 1024) /* bytes per read(2) */
#define TAILER_HEAD_BYTES 1024         /* bytes fingerprinted for identity */
#define TAILER_TAIL_BYTES 64           /* bytes checked before each read */
/* A file must have this many bytes before a copy of it can be recognised:
 * shorter starts are too likely to be alike by chance. */
#define TAILER_MIN_COPY_BYTES 256

struct tailer;

/* Where complete lines go; ctx is borrowed. */
struct tail_sink {
    void (*line)(void *ctx, struct tailer *t, const char *line, size_t len);
    /* A line over the limit, skipped. */
    void (*too_long)(void *ctx, struct tailer *t);
    /* A file closed while it ended inside a line: that line is lost. */
    void (*incomplete)(void *ctx, struct tailer *t);
    void *ctx;
};

/* The read buffer shared by every tailer; grown on demand. */
struct tail_buf {
    char *data;
    size_t cap;
};

/* Where a stream of lines stands: enough to continue it, here or in a copy. */
struct tail_mark {
    uint32_t head_len;  /* bytes fingerprinted (< TAILER_HEAD_BYTES: short) */
    uint64_t head_hash; /* of the first head_len bytes */
    uint64_t offset;    /* consumed: every line before it was delivered */
    uint32_t tail_len;
    unsigned char tail[TAILER_TAIL_BYTES]; /* the bytes just before offset */
    bool discarding; /* offset lies inside a too-long line */
};

struct tailer {
    char *path; /* the path it was found by, for logs and /health */
    int fd;
    dev_t dev;
    ino_t ino;
    size_t input;
    bool stream;     /* a pipe or terminal: read, not pread */
    uint64_t offset; /* next byte to read */
    char *pending;   /* an incomplete line read so far */
    size_t pending_len, pending_cap;
    bool discarding; /* inside a too-long line: skip to its newline */
    uint32_t head_len;
    uint64_t head_hash;
    uint32_t tail_len;
    unsigned char tail[TAILER_TAIL_BYTES]; /* before offset - pending_len */
    time_t last_read; /* wall-clock time data last arrived, 0: never */
    uint64_t bytes;   /* bytes read */
    uint64_t truncations;
    /* Set when a truncation was found: where the old content stood. */
    bool retired_valid;
    struct tail_mark retired;
    struct envelope env;

    /* Owned by the input that follows it. */
    void *owner;
    int wd;               /* inotify watch on the file, or -1 */
    bool ready;           /* may have data to read */
    bool seen;            /* found by the latest scan */
    bool orphan;          /* its path now names another file, or it is gone */
    uint64_t close_at_ms; /* orphan: close after this (monotonic ms) */
    struct tailer *shadow_of; /* a copy of that tailer's file: not read */
    bool undecided;           /* maybe a copy still being written: wait */
    uint64_t decide_by_ms;    /* undecided: read it as new after this */
    uint64_t saved_offset;    /* consumed offset in the last checkpoint */
    struct tailer *next;
    struct tailer *hnext; /* in the input's index by inode */
};

/* Where a newly opened file starts. */
enum tail_start {
    TAIL_START_BEGINNING,
    TAIL_START_END, /* after the last complete line */
};

/*
 * Opens path for reading at its beginning or end (after the last newline,
 * so a line being written is not cut). env is the input's envelope
 * setting. Returns 0 or -errno.
 */
int tailer_open(const char *path, size_t input, enum tail_start start,
                size_t max_line, enum envelope_kind env, struct tailer **out);

/* Wraps an already open descriptor (taken), e.g. standard input. */
int tailer_from_fd(int fd, const char *name, size_t input,
                   enum envelope_kind env, struct tailer **out);

/* Moves a freshly opened tailer to its file's end (after the last
 * complete line). Returns 0 or -errno. */
int tailer_seek_end(struct tailer *t, size_t max_line);

/* Where the tailer stands now. */
void tailer_mark(const struct tailer *t, struct tail_mark *out);

/*
 * Whether the file starts like the mark's (same head over the mark's
 * length) and holds the mark's bytes just before its offset: then reading
 * may continue from the mark. Reads from the file.
 */
bool tailer_fits_mark(const struct tailer *t, const struct tail_mark *m);

/* Re-reads the head fingerprint of a file not being read. */
void tailer_refresh_head(struct tailer *t);

/* Whether the file's first len bytes hash to hash. Reads from the file. */
bool tailer_starts_with(const struct tailer *t, uint32_t len, uint64_t hash);

/* Moves the tailer to the mark (which must fit). */
void tailer_seek_mark(struct tailer *t, const struct tail_mark *m);

/*
 * Reads up to budget bytes past the offset and delivers the complete
 * lines. Returns the number of bytes read (0 at end of file) or -errno. A
 * file shorter than the offset, or whose bytes before the offset changed,
 * was truncated: t->retired records where the old content stood, and
 * reading restarts at 0 with the pending line dropped.
 */
ssize_t tailer_read(struct tailer *t, struct tail_buf *rb, size_t max_line,
                    size_t budget, const struct tail_sink *sink);

/* Bytes of an unfinished line held back. */
static inline size_t tailer_pending(const struct tailer *t)
{
    return t->pending_len;
}

/* The consumed offset: every line before it has been delivered. */
static inline uint64_t tailer_consumed(const struct tailer *t)
{
    return t->offset - t->pending_len;
}

/* The 64-bit fingerprint hash tokentail uses for heads. */
uint64_t tailer_hash(const void *data, size_t len);

void tailer_free(struct tailer *t);

void tail_buf_free(struct tail_buf *rb);

#endif
