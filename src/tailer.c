#include "tailer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"

/* A place in the file: an offset and the bytes just before it. */
struct tail_spot {
    uint64_t offset;
    uint32_t tail_len;
    unsigned char tail[TAILER_TAIL_BYTES];
};

/* The bytes of one read being split into lines: data starts at offset
 * base, just after the tailer's tail. */
struct tail_split {
    const char *data;
    uint64_t base;
    const struct tail_sink *sink;
    bool replay; /* some of its lines may have been delivered before */
};

struct tailer {
    char *path; /* the path it was found by, for logs and /health */
    int fd;
    dev_t dev;
    ino_t ino;
    bool stream;     /* a pipe or terminal: read, not pread */
    size_t max_line; /* longer lines are skipped */
    uint64_t offset; /* next byte to read */
    char *pending;   /* an incomplete line read so far */
    size_t pending_len, pending_cap;
    bool discarding; /* inside a too-long line: skip to its newline */
    uint32_t head_len;
    uint64_t head_hash;
    uint32_t tail_len;
    unsigned char tail[TAILER_TAIL_BYTES]; /* before offset - pending_len */
    /* Moved to a mark: lines of each stream before these were delivered
     * before, and are dropped (enum envelope_stream; 0: none). */
    uint64_t done[ENVELOPE_STREAM_COUNT];
    /* Where each stream's unfinished line starts (while it joins). */
    struct tail_spot start[ENVELOPE_STREAMS];
    time_t last_read; /* wall-clock time data last arrived, 0: never */
    uint64_t bytes;   /* bytes read */
    uint64_t truncations;
    /* Set when a truncation was found: where the old content stood. */
    bool retired_valid;
    struct tail_mark retired;
    struct envelope env;
};

uint64_t tailer_hash(const void *data, size_t len)
{
    /* FNV-1a, then a final mix: fingerprints are computed rarely. */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static struct tailer *tailer_alloc(const char *path, int fd, size_t max_line,
                                   enum envelope_kind env)
{
    struct tailer *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->path = strdup(path);
    if (t->path == NULL) {
        free(t);
        return NULL;
    }
    t->fd = fd;
    t->max_line = max_line;
    t->env.kind = env;
    return t;
}

/* Re-reads the head fingerprint while it is shorter than the full size. */
static void update_head(struct tailer *t)
{
    unsigned char head[TAILER_HEAD_BYTES];
    if (t->stream || t->head_len >= TAILER_HEAD_BYTES)
        return;
    ssize_t n = pread(t->fd, head, sizeof(head), 0);
    if (n < 0 || (uint32_t)n <= t->head_len)
        return;
    t->head_len = (uint32_t)n;
    t->head_hash = tailer_hash(head, (size_t)n);
}

void tailer_refresh_head(struct tailer *t)
{
    update_head(t);
}

/*
 * The offset just after the last newline among the final max_line bytes
 * of the file; *discard is set when none is found, meaning the file ends
 * inside a line that is already too long to use.
 */
static int find_line_start(int fd, uint64_t size, size_t max_line,
                           uint64_t *out, bool *discard)
{
    char block[8192];
    uint64_t end = size;
    uint64_t floor = size > max_line ? size - max_line : 0;

    *discard = false;
    while (end > floor) {
        size_t want =
            end - floor < sizeof(block) ? (size_t)(end - floor) : sizeof(block);
        uint64_t at = end - want;
        ssize_t n = pread(fd, block, want, (off_t)at);
        if (n < 0)
            return -errno;
        for (size_t i = (size_t)n; i > 0; i--)
            if (block[i - 1] == '\n') {
                *out = at + i;
                return 0;
            }
        end = at;
    }
    if (floor == 0) {
        /* No newline at all: the file is one unfinished line; read it
         * once it is complete. */
        *out = 0;
    } else {
        /* The last line is already too long to use: skip past it. */
        *out = size;
        *discard = true;
    }
    return 0;
}

/* Loads the bytes before offset into the tail, from the file. */
static void load_tail(struct tailer *t)
{
    uint64_t c = t->offset;
    t->tail_len = c < TAILER_TAIL_BYTES ? (uint32_t)c : TAILER_TAIL_BYTES;
    if (t->tail_len > 0 &&
        pread(t->fd, t->tail, t->tail_len, (off_t)(c - t->tail_len)) !=
            (ssize_t)t->tail_len)
        t->tail_len = 0;
}

int tailer_open(const char *path, enum tail_start start, size_t max_line,
                enum envelope_kind env, struct tailer **out)
{
    struct stat st;
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    /* A file appended to has a newer mtime than atime, so every read of
     * it would write its inode back (relatime): not for a reader that
     * may read it hundreds of times a second. Only the file's owner (or
     * CAP_FOWNER) may ask; anyone else reads it as before. */
    int fd = open(path, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(path, flags);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    struct tailer *t = tailer_alloc(path, fd, max_line, env);
    if (t == NULL) {
        close(fd);
        return -ENOMEM;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->stream = !S_ISREG(st.st_mode);
    update_head(t);
    if (start == TAIL_START_END && !t->stream) {
        int rc = find_line_start(fd, (uint64_t)st.st_size, max_line, &t->offset,
                                 &t->discarding);
        if (rc != 0) {
            tailer_free(t);
            return rc;
        }
        load_tail(t);
    }
    *out = t;
    return 0;
}

int tailer_from_fd(int fd, const char *name, size_t max_line,
                   enum envelope_kind env, struct tailer **out)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    struct tailer *t = tailer_alloc(name, fd, max_line, env);
    if (t == NULL)
        return -ENOMEM;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->stream = !S_ISREG(st.st_mode);
    update_head(t);
    *out = t;
    return 0;
}

/* Forgets what was read: unfinished lines and what to drop. */
static void forget_lines(struct tailer *t)
{
    t->pending_len = 0;
    envelope_reset(&t->env);
    memset(t->done, 0, sizeof(t->done));
}

int tailer_seek_end(struct tailer *t)
{
    struct stat st;
    if (t->stream)
        return 0;
    if (fstat(t->fd, &st) != 0)
        return -errno;
    forget_lines(t);
    int rc = find_line_start(t->fd, (uint64_t)st.st_size, t->max_line,
                             &t->offset, &t->discarding);
    if (rc == 0)
        load_tail(t);
    return rc;
}

void tailer_mark(const struct tailer *t, struct tail_mark *out)
{
    uint64_t c = tailer_consumed(t);
    const struct tail_spot *from = NULL;
    out->head_len = t->head_len;
    out->head_hash = t->head_hash;
    out->envelope = t->env.kind;
    for (int s = 0; s < ENVELOPE_STREAM_COUNT; s++)
        out->done[s] = t->done[s] > c ? t->done[s] : c;
    /* An unfinished line is read again from its first piece. */
    for (int s = 0; s < ENVELOPE_STREAMS; s++) {
        if (!envelope_joining(&t->env, (enum envelope_stream)s))
            continue;
        out->done[s] = t->start[s].offset;
        if (from == NULL || t->start[s].offset < from->offset)
            from = &t->start[s];
    }
    if (from != NULL) {
        out->offset = from->offset;
        out->tail_len = from->tail_len;
        memcpy(out->tail, from->tail, from->tail_len);
        out->discarding = false; /* a line's start */
    } else {
        out->offset = c;
        out->tail_len = t->tail_len;
        memcpy(out->tail, t->tail, t->tail_len);
        out->discarding = t->discarding;
    }
}

bool tailer_starts_with(const struct tailer *t, uint32_t len, uint64_t hash)
{
    unsigned char buf[TAILER_HEAD_BYTES];
    if (len > sizeof(buf) || t->stream)
        return false;
    return pread(t->fd, buf, len, 0) == (ssize_t)len &&
           tailer_hash(buf, len) == hash;
}

bool tailer_fits_mark(const struct tailer *t, const struct tail_mark *m)
{
    struct stat st;
    if (t->stream || fstat(t->fd, &st) != 0 ||
        (uint64_t)st.st_size < tail_mark_end(m))
        return false;
    if (m->head_len > 0 && !tailer_starts_with(t, m->head_len, m->head_hash))
        return false;
    if (m->tail_len > 0) {
        unsigned char buf[TAILER_TAIL_BYTES];
        if (m->tail_len > m->offset ||
            pread(t->fd, buf, m->tail_len, (off_t)(m->offset - m->tail_len)) !=
                (ssize_t)m->tail_len ||
            memcmp(buf, m->tail, m->tail_len) != 0)
            return false;
    }
    return true;
}

void tailer_seek_mark(struct tailer *t, const struct tail_mark *m)
{
    forget_lines(t);
    t->offset = m->offset;
    t->discarding = m->discarding;
    t->tail_len = m->tail_len;
    memcpy(t->tail, m->tail, m->tail_len);
    memcpy(t->done, m->done, sizeof(t->done));
    if (t->env.kind == ENVELOPE_AUTO)
        t->env.kind = m->envelope;
}

static bool keep_pending(struct tailer *t, const char *p, size_t n)
{
    if (n > t->pending_cap) {
        size_t cap = t->pending_cap ? t->pending_cap : 256;
        while (cap < n)
            cap *= 2;
        char *np = realloc(t->pending, cap);
        if (np == NULL)
            return false;
        t->pending = np;
        t->pending_cap = cap;
    }
    if (n > 0)
        memcpy(t->pending, p, n);
    t->pending_len = n;
    return true;
}

/*
 * Puts into out the last TAILER_TAIL_BYTES of prev (prev_len bytes)
 * followed by data (n bytes); out may be prev. Returns their length.
 */
static uint32_t tail_after(unsigned char *out, const unsigned char *prev,
                           uint32_t prev_len, const char *data, size_t n)
{
    if (n >= TAILER_TAIL_BYTES) {
        memcpy(out, data + n - TAILER_TAIL_BYTES, TAILER_TAIL_BYTES);
        return TAILER_TAIL_BYTES;
    }
    size_t keep =
        prev_len + n > TAILER_TAIL_BYTES ? TAILER_TAIL_BYTES - n : prev_len;
    memmove(out, prev + prev_len - keep, keep);
    if (n > 0)
        memcpy(out + keep, data, n);
    return (uint32_t)(keep + n);
}

/*
 * Records the bytes just before the consumed point end (inside data,
 * which starts at the previous consumed point).
 */
static void remember_tail(struct tailer *t, const char *data, const char *end)
{
    t->tail_len =
        tail_after(t->tail, t->tail, t->tail_len, data, (size_t)(end - data));
}

/* Stream s began an unfinished line with the file line at p. */
static void note_start(struct tailer *t, const struct tail_split *sp,
                       const char *p, enum envelope_stream s)
{
    struct tail_spot *at = &t->start[s];
    at->offset = sp->base + (uint64_t)(p - sp->data);
    at->tail_len = tail_after(at->tail, t->tail, t->tail_len, sp->data,
                              (size_t)(p - sp->data));
}

/* What became of a record of stream s, from the file line at p. */
static void verdict(struct tailer *t, const struct tail_split *sp,
                    const char *p, enum envelope_stream s, bool was_joining,
                    enum envelope_result r, const char *app, size_t app_len)
{
    switch (r) {
    case ENVELOPE_LINE:
        sp->sink->line(sp->sink->ctx, app, app_len);
        break;
    case ENVELOPE_PIECE:
        if (!was_joining)
            note_start(t, sp, p, s);
        break;
    case ENVELOPE_BAD:
        sp->sink->skip(sp->sink->ctx, TAIL_SKIP_BAD_ENVELOPE);
        break;
    case ENVELOPE_TOO_LONG:
        sp->sink->skip(sp->sink->ctx, TAIL_SKIP_TOO_LONG);
        break;
    }
}

/* Whether stream s delivered the line at p before the tailer was moved
 * to a mark: read again, it is dropped. */
static bool delivered_before(const struct tailer *t,
                             const struct tail_split *sp, const char *p,
                             enum envelope_stream s)
{
    return sp->replay && sp->base + (uint64_t)(p - sp->data) < t->done[s];
}

/* One complete line of the file, at p: its envelope removed, to the sink,
 * unless its stream delivered it before. */
static void deliver(struct tailer *t, const struct tail_split *sp,
                    const char *p, size_t len)
{
    struct envelope_record rec;
    const char *app = NULL;
    size_t app_len = 0;
    if (t->env.kind == ENVELOPE_NONE) {
        if (!delivered_before(t, sp, p, ENVELOPE_NO_STREAM))
            sp->sink->line(sp->sink->ctx, p, len);
        return;
    }
    bool ok = envelope_read(&t->env, p, len, &rec);
    if (delivered_before(t, sp, p, rec.stream))
        return;
    bool was = envelope_joining(&t->env, rec.stream);
    enum envelope_result r =
        ok ? envelope_join(&t->env, &rec, t->max_line, &app, &app_len)
           : ENVELOPE_BAD;
    verdict(t, sp, p, rec.stream, was, r, app, app_len);
}

/*
 * The line at p is over the limit: skipped unread, but its first bytes
 * (max_line + 1 of them are at hand) may tell which stream it was a
 * piece of, whose line is then too long as a whole.
 */
static void skip_long(struct tailer *t, const struct tail_split *sp,
                      const char *p)
{
    struct envelope_record rec;
    bool known =
        (t->env.kind == ENVELOPE_DOCKER || t->env.kind == ENVELOPE_CRI) &&
        envelope_read(&t->env, p, t->max_line + 1, &rec);
    if (!known) {
        /* Every unfinished line may have lost a piece. */
        envelope_drop(&t->env, NULL);
        if (!delivered_before(t, sp, p, ENVELOPE_NO_STREAM))
            sp->sink->skip(sp->sink->ctx, TAIL_SKIP_TOO_LONG);
        return;
    }
    if (delivered_before(t, sp, p, rec.stream))
        return;
    bool was = envelope_joining(&t->env, rec.stream);
    verdict(t, sp, p, rec.stream, was, envelope_drop(&t->env, &rec), NULL, 0);
}

/* Splits data into lines; keeps the unfinished rest as pending. */
static void split_lines(struct tailer *t, char *data, size_t len,
                        const struct tail_sink *sink)
{
    char *p = data, *end = data + len, *nl;
    struct tail_split sp = {data, t->offset - len, sink, false};
    for (int s = 0; s < ENVELOPE_STREAM_COUNT; s++)
        sp.replay |= sp.base < t->done[s];

    if (t->discarding) {
        nl = memchr(p, '\n', len);
        if (nl == NULL) {
            remember_tail(t, data, end);
            t->pending_len = 0;
            return;
        }
        p = nl + 1;
        t->discarding = false;
    }
    for (;;) {
        /* NUL padding before a line is not part of it. */
        while (p < end && *p == '\0')
            p++;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        size_t n = (size_t)(nl - p);
        if (n > t->max_line)
            skip_long(t, &sp, p);
        else
            deliver(t, &sp, p, n);
        p = nl + 1;
    }
    remember_tail(t, data, p);
    size_t rest = (size_t)(end - p);
    if (rest > t->max_line || !keep_pending(t, p, rest)) {
        /* Too long (or no memory to hold it): skip to its newline. */
        if (rest > t->max_line)
            skip_long(t, &sp, p);
        else
            sink->skip(sink->ctx, TAIL_SKIP_TOO_LONG);
        remember_tail(t, p, end);
        t->discarding = true;
        t->pending_len = 0;
    }
}

static bool buf_ensure(struct tail_buf *rb, size_t need)
{
    if (rb->cap >= need)
        return true;
    char *d = realloc(rb->data, need);
    if (d == NULL)
        return false;
    /* PCRE2's JIT scans ahead in aligned blocks, past a line's end into
     * bytes no read has written yet: harmless, but memcheck would flag
     * each match. Zeroed once per growth, never per line. */
    memset(d + rb->cap, 0, need - rb->cap);
    rb->data = d;
    rb->cap = need;
    return true;
}

/* A truncation (or rewrite) found: the old content's mark is kept and
 * reading starts again at the beginning, the pending line dropped. */
static void restart(struct tailer *t)
{
    log_warn("file truncated or rewritten; reading it again from the start: "
             "%s",
             t->path);
    tailer_mark(t, &t->retired);
    t->retired_valid = true;
    forget_lines(t);
    t->offset = 0;
    t->discarding = false;
    t->tail_len = 0;
    t->head_len = 0;
    t->truncations++;
}

/*
 * The first read of a pass, in one pread: the bytes kept before the
 * consumed point, the pending line and what is new, into rb. The file
 * still holds what was read when it is not shorter than the offset and
 * its bytes before the consumed point are the ones kept; otherwise it was
 * truncated or rewritten, and restart() moves the tailer to 0. Puts the
 * new bytes' count in *got, after the pending line (copied from memory, as
 * the following reads have it) at rb->data + *at. Returns 0 or -errno.
 */
static int read_checked(struct tailer *t, struct tail_buf *rb, size_t *at,
                        size_t *got)
{
    uint64_t c = tailer_consumed(t);
    size_t keep = t->pending_len;
    size_t back = t->tail_len <= c ? t->tail_len : 0;
    size_t want = back + keep + TAILER_READ_CHUNK;
    ssize_t n;

    if (!buf_ensure(rb, want))
        return -ENOMEM;
    do
        n = pread(t->fd, rb->data, want, (off_t)(c - back));
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if ((size_t)n < back + keep || memcmp(rb->data, t->tail, back) != 0) {
        restart(t);
        return read_checked(t, rb, at, got);
    }
    if (keep > 0)
        memcpy(rb->data + back, t->pending, keep);
    *at = back;
    *got = (size_t)n - back - keep;
    return 0;
}

/* A following read, at the offset, after the pending line in rb. Puts the
 * new bytes' count in *got; returns 0, -EAGAIN (a stream with nothing
 * now) or -errno. */
static int read_more(struct tailer *t, struct tail_buf *rb, size_t *got)
{
    size_t keep = t->pending_len;
    ssize_t n;
    if (!buf_ensure(rb, keep + TAILER_READ_CHUNK))
        return -ENOMEM;
    if (keep > 0)
        memcpy(rb->data, t->pending, keep);
    do
        n = t->stream ? read(t->fd, rb->data + keep, TAILER_READ_CHUNK)
                      : pread(t->fd, rb->data + keep, TAILER_READ_CHUNK,
                              (off_t)t->offset);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    *got = (size_t)n;
    return 0;
}

ssize_t tailer_read(struct tailer *t, struct tail_buf *rb, size_t budget,
                    const struct tail_sink *sink)
{
    size_t total = 0;
    /* A regular file's first read checks that it was not truncated: no
     * fstat, and no read of its own for the check. */
    bool check = !t->stream;

    while (total < budget) {
        size_t at = 0, n = 0;
        int rc = check ? read_checked(t, rb, &at, &n) : read_more(t, rb, &n);
        check = false;
        if (rc == -EAGAIN)
            break;
        if (rc != 0)
            return rc;
        if (n == 0)
            break;
        size_t keep = t->pending_len;
        t->offset += (uint64_t)n;
        t->bytes += (uint64_t)n;
        total += n;
        t->pending_len = 0;
        split_lines(t, rb->data + at, keep + n, sink);
        if (n < TAILER_READ_CHUNK && !t->stream)
            break; /* reached the end for now */
    }
    if (total > 0) {
        t->last_read = time(NULL);
        update_head(t);
    }
    return (ssize_t)total;
}

bool tailer_take_retired(struct tailer *t, struct tail_mark *out)
{
    if (!t->retired_valid)
        return false;
    t->retired_valid = false;
    *out = t->retired;
    return true;
}

void tailer_finish(struct tailer *t, const struct tail_sink *sink)
{
    if (t->pending_len > 0 || t->discarding)
        sink->skip(sink->ctx, TAIL_SKIP_INCOMPLETE);
    for (int s = 0; s < ENVELOPE_STREAMS; s++)
        if (envelope_joining(&t->env, (enum envelope_stream)s))
            sink->skip(sink->ctx, TAIL_SKIP_INCOMPLETE);
}

/* --- accessors ----------------------------------------------------------- */

const char *tailer_path(const struct tailer *t)
{
    return t->path;
}

int tailer_set_path(struct tailer *t, const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return -ENOMEM;
    free(t->path);
    t->path = copy;
    return 0;
}

void tailer_proc_path(const struct tailer *t, char *out, size_t cap)
{
    snprintf(out, cap, "/proc/self/fd/%d", t->fd);
}

void tailer_follow_name(struct tailer *t)
{
    char proc[64], target[PATH_MAX];
    tailer_proc_path(t, proc, sizeof(proc));
    ssize_t n = readlink(proc, target, sizeof(target) - 1);
    if (n <= 0)
        return;
    target[n] = '\0';
    tailer_set_path(t, target);
}

dev_t tailer_dev(const struct tailer *t)
{
    return t->dev;
}

ino_t tailer_ino(const struct tailer *t)
{
    return t->ino;
}

bool tailer_is_stream(const struct tailer *t)
{
    return t->stream;
}

void tailer_head(const struct tailer *t, uint32_t *len, uint64_t *hash)
{
    *len = t->head_len;
    *hash = t->head_hash;
}

bool tailer_unlinked(const struct tailer *t)
{
    struct stat st;
    return fstat(t->fd, &st) == 0 && st.st_nlink == 0;
}

uint64_t tailer_offset(const struct tailer *t)
{
    return t->offset;
}

size_t tailer_pending(const struct tailer *t)
{
    return t->pending_len;
}

uint64_t tailer_consumed(const struct tailer *t)
{
    return t->offset - t->pending_len;
}

bool tailer_size(const struct tailer *t, uint64_t *size)
{
    struct stat st;
    if (t->stream || fstat(t->fd, &st) != 0)
        return false;
    *size = (uint64_t)st.st_size;
    return true;
}

uint64_t tailer_lag(const struct tailer *t)
{
    uint64_t size;
    if (!tailer_size(t, &size) || size < t->offset)
        return 0;
    return size - t->offset;
}

enum envelope_kind tailer_envelope(const struct tailer *t)
{
    return t->env.kind;
}

void tailer_get_stats(const struct tailer *t, struct tailer_stats *out)
{
    out->bytes = t->bytes;
    out->truncations = t->truncations;
    out->last_read = t->last_read;
}

size_t tailer_held_bytes(const struct tailer *t)
{
    return t->pending_cap + envelope_held_bytes(&t->env);
}

void tailer_free(struct tailer *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
    envelope_free(&t->env);
    free(t->pending);
    free(t->path);
    free(t);
}

void tail_buf_free(struct tail_buf *rb)
{
    free(rb->data);
    rb->data = NULL;
    rb->cap = 0;
}
