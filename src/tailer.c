#include "tailer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static struct tailer *tailer_alloc(const char *path, int fd, size_t input)
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
    t->input = input;
    t->wd = -1;
    return t;
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

int tailer_open(const char *path, size_t input, bool from_end, size_t max_line,
                struct tailer **out)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    struct tailer *t = tailer_alloc(path, fd, input);
    if (t == NULL) {
        close(fd);
        return -ENOMEM;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->stream = !S_ISREG(st.st_mode);
    if (from_end && !t->stream) {
        int rc = find_line_start(fd, (uint64_t)st.st_size, max_line, &t->offset,
                                 &t->discarding);
        if (rc != 0) {
            tailer_free(t);
            return rc;
        }
    }
    *out = t;
    return 0;
}

int tailer_from_fd(int fd, const char *name, size_t input, struct tailer **out)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    struct tailer *t = tailer_alloc(name, fd, input);
    if (t == NULL)
        return -ENOMEM;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->stream = !S_ISREG(st.st_mode);
    *out = t;
    return 0;
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

/* Splits data into lines; keeps the unfinished rest as pending. */
static void split_lines(struct tailer *t, char *data, size_t len,
                        size_t max_line, const struct tail_sink *sink)
{
    char *p = data, *end = data + len, *nl;

    if (t->discarding) {
        nl = memchr(p, '\n', len);
        if (nl == NULL) {
            t->pending_len = 0;
            return;
        }
        p = nl + 1;
        t->discarding = false;
    }
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        size_t n = (size_t)(nl - p);
        if (n > max_line)
            sink->too_long(sink->ctx, t->input);
        else
            sink->line(sink->ctx, t->input, p, n);
        p = nl + 1;
    }
    size_t rest = (size_t)(end - p);
    if (rest > max_line) {
        sink->too_long(sink->ctx, t->input);
        t->discarding = true;
        t->pending_len = 0;
    } else if (!keep_pending(t, p, rest)) {
        /* Out of memory for an unfinished line: drop it like a long one. */
        sink->too_long(sink->ctx, t->input);
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
    rb->data = d;
    rb->cap = need;
    return true;
}

ssize_t tailer_read(struct tailer *t, struct tail_buf *rb, size_t max_line,
                    size_t budget, const struct tail_sink *sink)
{
    size_t total = 0;

    if (!t->stream) {
        struct stat st;
        if (fstat(t->fd, &st) != 0)
            return -errno;
        if ((uint64_t)st.st_size < t->offset) {
            log_warn("file truncated; reading it again from the start: %s",
                     t->path);
            t->offset = 0;
            t->pending_len = 0;
            t->discarding = false;
            t->truncations++;
        }
    }
    while (total < budget) {
        size_t keep = t->pending_len;
        if (!buf_ensure(rb, keep + TAILER_READ_CHUNK))
            return -ENOMEM;
        if (keep > 0)
            memcpy(rb->data, t->pending, keep);
        ssize_t n = t->stream ? read(t->fd, rb->data + keep, TAILER_READ_CHUNK)
                              : pread(t->fd, rb->data + keep, TAILER_READ_CHUNK,
                                      (off_t)t->offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -errno;
        }
        if (n == 0)
            break;
        t->offset += (uint64_t)n;
        t->bytes += (uint64_t)n;
        total += (size_t)n;
        t->pending_len = 0;
        split_lines(t, rb->data, keep + (size_t)n, max_line, sink);
        if ((size_t)n < TAILER_READ_CHUNK && !t->stream)
            break; /* reached the end for now */
    }
    if (total > 0)
        t->last_read = time(NULL);
    return (ssize_t)total;
}

void tailer_free(struct tailer *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
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
