/*
 * One followed file: its identity, its read offset, and the start of a
 * line still waiting for its newline.
 *
 * A tailer reads with pread at its own offset, into a read buffer shared by
 * all tailers (the daemon has one thread), and hands every complete line
 * to a sink. Only the unfinished tail of a read is copied, into the
 * tailer's own small pending buffer. A line longer than the limit is
 * reported once as too long and skipped up to its newline.
 *
 * The file is identified by device and inode, never by path: a path can
 * be renamed away (rotation) while the tailer keeps reading the inode it
 * opened.
 */
#ifndef TOKENTAIL_TAILER_H
#define TOKENTAIL_TAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define TAILER_READ_CHUNK (256 * 1024) /* bytes per read(2) */

/* Where complete lines go; ctx is borrowed. */
struct tail_sink {
    void (*line)(void *ctx, size_t input, const char *line, size_t len);
    /* A line over the limit, skipped. */
    void (*too_long)(void *ctx, size_t input);
    /* A file closed while it ended inside a line: that line is lost. */
    void (*incomplete)(void *ctx, size_t input);
    void *ctx;
};

/* The read buffer shared by every tailer; grown on demand. */
struct tail_buf {
    char *data;
    size_t cap;
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
    bool discarding;  /* inside a too-long line: skip to its newline */
    time_t last_read; /* wall-clock time data last arrived, 0: never */
    uint64_t bytes;   /* bytes read */
    uint64_t truncations;

    /* Owned by the input that follows it. */
    void *owner;
    int wd;               /* inotify watch on the file, or -1 */
    bool ready;           /* may have data to read */
    bool seen;            /* found by the latest scan */
    bool orphan;          /* its path now names another file, or it is gone */
    uint64_t close_at_ms; /* orphan: close after this (monotonic ms) */
    struct tailer *next;
};

/*
 * Opens path for reading. With from_end the offset starts after the last
 * newline in the file (so a line being written is not cut); otherwise at
 * 0. Returns 0 or -errno.
 */
int tailer_open(const char *path, size_t input, bool from_end, size_t max_line,
                struct tailer **out);

/* Wraps an already open descriptor (taken), e.g. standard input. */
int tailer_from_fd(int fd, const char *name, size_t input, struct tailer **out);

/*
 * Reads up to budget bytes past the offset and delivers the complete
 * lines. Returns the number of bytes read (0 at end of file) or -errno. A
 * file shorter than the offset was truncated: reading restarts at 0 and
 * the pending line is dropped.
 */
ssize_t tailer_read(struct tailer *t, struct tail_buf *rb, size_t max_line,
                    size_t budget, const struct tail_sink *sink);

/* Bytes of an unfinished line held back. */
static inline size_t tailer_pending(const struct tailer *t)
{
    return t->pending_len;
}

void tailer_free(struct tailer *t);

void tail_buf_free(struct tail_buf *rb);

#endif
