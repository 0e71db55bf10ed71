/*
 * One file read line by line: its identity, its read offset, the start of
 * a line still waiting for its newline, and the container envelope its
 * lines are wrapped in.
 *
 * A tailer reads with pread at its own offset, into a read buffer shared by
 * all tailers (the daemon has one thread), splits what it read into lines,
 * removes the container envelope (envelope.h) and hands every complete
 * application line to a sink. Only the unfinished tail of a read is
 * copied, into the tailer's own small pending buffer. A line longer than
 * the limit is reported once as too long and skipped up to its newline.
 * NUL bytes at the start of a line are padding (a sparse region left by a
 * writer that kept its offset after a truncation), not text: they are
 * skipped and never held in memory.
 *
 * Identity. A file is its device and inode plus a fingerprint of its first
 * TAILER_HEAD_BYTES bytes (the "head"): an inode reused by a new file has
 * another head, and a byte-for-byte copy (copytruncate's rotated file) has
 * the same head but another inode.
 *
 * Consumed offset. Everything before offset - pending has been read.
 * The tailer keeps the TAILER_TAIL_BYTES bytes just before that point and
 * checks them against the file before each read: a file truncated and
 * regrown past the offset before tokentail looked no longer holds them, and
 * is read again from the start.
 *
 * Marks. Where a file stands is a mark: what the state store saves and
 * what a copy of the file continues from. Its offset is the consumed
 * offset, unless a stream of the container's output (envelope.h) has an
 * unfinished line, whose pieces are read but not delivered: then it is
 * the start of the earliest such line, and the mark also says, per
 * stream, up to where its lines were delivered. A tailer moved to a mark
 * reads again from its offset and drops what each stream delivered
 * before, so the unfinished lines are joined again and every line comes
 * out once. The bytes kept with a mark are those just before its offset.
 *
 * A tailer knows nothing of why it is read: which files to follow, copies,
 * rotation and saved positions are the input's (input.h).
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

/* Why a line read from the file reaches no parser. */
enum tail_skip {
    TAIL_SKIP_TOO_LONG,     /* longer than the limit, with or without its
                               envelope */
    TAIL_SKIP_INCOMPLETE,   /* the file closed while it ended inside a line */
    TAIL_SKIP_BAD_ENVELOPE, /* not in the container envelope of its file */
};

/* Where the application's lines go; ctx is borrowed. */
struct tail_sink {
    /* A complete line, without its newline or envelope. */
    void (*line)(void *ctx, const char *line, size_t len);
    /* A line that could not be delivered, and why. */
    void (*skip)(void *ctx, enum tail_skip why);
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
    uint64_t offset;    /* reading resumes here: every line before it was
                           delivered */
    uint32_t tail_len;
    unsigned char tail[TAILER_TAIL_BYTES]; /* the bytes just before offset */
    bool discarding; /* offset lies inside a too-long line */
    /* The envelope the file's lines are in, once a line decided it; a
     * tailer moved to the mark keeps it rather than deciding again from
     * the line it starts at. */
    enum envelope_kind envelope;
    /* Per enum envelope_stream: the lines of that stream starting before
     * done[s] were delivered (or skipped), and are dropped when read
     * again. Past offset only when a line was unfinished; 0: nothing to
     * drop. */
    uint64_t done[ENVELOPE_STREAM_COUNT];
};

/* How far the file had been read when the mark was taken: it holds at
 * least that many bytes if it is still the same file. */
static inline uint64_t tail_mark_end(const struct tail_mark *m)
{
    uint64_t end = m->offset;
    for (int s = 0; s < ENVELOPE_STREAM_COUNT; s++)
        if (m->done[s] > end)
            end = m->done[s];
    return end;
}

/* What a tailer has done, for statistics and /health. */
struct tailer_stats {
    uint64_t bytes;       /* read */
    uint64_t truncations; /* found shorter than the offset, or rewritten */
    time_t last_read;     /* wall-clock time data last arrived; 0: never */
};

/* Where a newly opened file starts. */
enum tail_start {
    TAIL_START_BEGINNING,
    TAIL_START_END, /* after the last complete line */
};

/*
 * Opens path for reading at its beginning or end (after the last newline,
 * so a line being written is not cut). Lines over max_line bytes are
 * skipped; env is the input's envelope setting. path is copied. Returns 0
 * or -errno.
 */
int tailer_open(const char *path, enum tail_start start, size_t max_line,
                enum envelope_kind env, struct tailer **out);

/* Wraps an already open descriptor (taken), e.g. standard input. */
int tailer_from_fd(int fd, const char *name, size_t max_line,
                   enum envelope_kind env, struct tailer **out);

/* Closes the file; NULL is a no-op. */
void tailer_free(struct tailer *t);

/* --- identity ------------------------------------------------------------ */

/* The path it was found by, for logs and /health (borrowed). */
const char *tailer_path(const struct tailer *t);

/* Renames it (path is copied); 0 or -ENOMEM, the old name kept. */
int tailer_set_path(struct tailer *t, const char *path);

/* Renames it to where its inode is linked now (app.log.1 after a rename),
 * when the system can tell. */
void tailer_follow_name(struct tailer *t);

dev_t tailer_dev(const struct tailer *t);
ino_t tailer_ino(const struct tailer *t);

/* A pipe or terminal: read, not pread; it has no size, copies or marks. */
bool tailer_is_stream(const struct tailer *t);

/* The head fingerprint: its length (bytes) and hash. */
void tailer_head(const struct tailer *t, uint32_t *len, uint64_t *hash);

/* Re-reads the head fingerprint while it is shorter than the full size. */
void tailer_refresh_head(struct tailer *t);

/* Whether the file's first len bytes hash to hash. Reads from the file. */
bool tailer_starts_with(const struct tailer *t, uint32_t len, uint64_t hash);

/* Whether no path leads to the file any more (unlinked). */
bool tailer_unlinked(const struct tailer *t);

/* "/proc/self/fd/N": a path naming the very inode it reads. */
void tailer_proc_path(const struct tailer *t, char *out, size_t cap);

/* The 64-bit fingerprint hash tokentail uses for heads. */
uint64_t tailer_hash(const void *data, size_t len);

/* --- position ------------------------------------------------------------ */

/* Moves a freshly opened tailer to its file's end (after the last
 * complete line). Returns 0 or -errno. */
int tailer_seek_end(struct tailer *t);

/* Where the tailer stands now. */
void tailer_mark(const struct tailer *t, struct tail_mark *out);

/*
 * Whether the file starts like the mark's (same head over the mark's
 * length), is as long as what was read (tail_mark_end) and holds the
 * mark's bytes just before its offset: then reading may continue from the
 * mark. Reads from the file.
 */
bool tailer_fits_mark(const struct tailer *t, const struct tail_mark *m);

/* Moves the tailer to the mark (which must fit): unfinished lines are
 * forgotten, and what the mark says was delivered is dropped when read.
 * A tailer left to decide its envelope (ENVELOPE_AUTO) takes the mark's. */
void tailer_seek_mark(struct tailer *t, const struct tail_mark *m);

/* The next byte to read. */
uint64_t tailer_offset(const struct tailer *t);

/* Bytes of an unfinished line held back. */
size_t tailer_pending(const struct tailer *t);

/* The consumed offset: every line of the file before it has been read
 * (delivered, skipped, or held as a piece of an unfinished line). */
uint64_t tailer_consumed(const struct tailer *t);

/* Bytes written to the file past the read offset; 0 for a stream. */
uint64_t tailer_lag(const struct tailer *t);

/* The file's size now; false for a stream or when it cannot be read. */
bool tailer_size(const struct tailer *t, uint64_t *size);

/* --- reading ------------------------------------------------------------- */

/*
 * Reads up to budget bytes past the offset and delivers the complete
 * lines to sink (borrowed). Returns the number of bytes read (0 at end of
 * file) or -errno. A file shorter than the offset, or whose bytes before
 * the offset changed, was truncated: the old content's mark is kept
 * (tailer_take_retired) and reading restarts at 0 with the pending line
 * dropped.
 */
ssize_t tailer_read(struct tailer *t, struct tail_buf *rb, size_t budget,
                    const struct tail_sink *sink);

/* After a truncation found by tailer_read: where the old content stood.
 * Returns false when there was none since the last call. */
bool tailer_take_retired(struct tailer *t, struct tail_mark *out);

/* Reports the lines the file ended inside, if any, before it is closed:
 * a line without its newline, and each stream's unfinished line. */
void tailer_finish(struct tailer *t, const struct tail_sink *sink);

/* The envelope the file's lines are in (ENVELOPE_AUTO: not known yet). */
enum envelope_kind tailer_envelope(const struct tailer *t);

void tailer_get_stats(const struct tailer *t, struct tailer_stats *out);

/* Memory held for lines not finished yet (pending bytes, joined pieces). */
size_t tailer_held_bytes(const struct tailer *t);

void tail_buf_free(struct tail_buf *rb);

#endif
