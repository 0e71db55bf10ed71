/*
 * Line splitting from a file: the tailer (src/tailer.c) follows a file
 * that grows in pieces and is read in budgets of any size. The first two
 * input bytes choose the line limit (1 to 256 bytes, so that long lines
 * happen) and the sizes of the pieces written and read; the rest is the
 * file's content.
 *
 * Checked against the file's content split at every newline: each
 * complete line comes out once, in order, without the NUL padding before
 * it, or is counted once as too long; the unfinished end is held back
 * (pending) when short enough, and counted as too long when not; the
 * bytes consumed are all but the pending ones.
 *
 * Then the same content is read as a container log, in the envelope its
 * first line decides (joining pieces per stream), twice: straight
 * through, and with restarts as after a kill -9 (a mark, a new tailer
 * that must fit it and continue from it) after each of up to
 * FUZZ_RESTARTS pieces written. Both must deliver the very same lines and
 * skips in the same order: whatever was pending in any stream at a
 * restart comes out once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tailer.h"
#include "harness.h"

#define FUZZ_RESTARTS 8      /* restarts at most, in the run that restarts */
#define FUZZ_GUARD    100000 /* reads of one piece before it is a hang */

/* What the tailer delivered, compared as it arrives. */
struct expect {
    const uint8_t *data, *end; /* the content; where the next line starts */
    size_t max_line;
    size_t lines, too_long;
};

/* The next complete line of the content, without its NUL padding; false
 * when none is left. */
static bool next_line(struct expect *x, const uint8_t **p, size_t *n)
{
    const uint8_t *stop = x->data;
    const uint8_t *nl = memchr(x->end, '\n', (size_t)(stop - x->end));
    if (nl == NULL)
        return false;
    const uint8_t *s = x->end;
    while (s < nl && *s == '\0')
        s++;
    *p = s;
    *n = (size_t)(nl - s);
    x->end = nl + 1;
    return true;
}

static void on_line(void *ctx, const char *line, size_t len)
{
    struct expect *x = ctx;
    const uint8_t *p;
    size_t n;
    /* Lines over the limit are not delivered: they are counted. */
    do {
        if (!next_line(x, &p, &n))
            fuzz_fail("line %zu delivered past the last newline", x->lines);
    } while (n > x->max_line);
    if (len > x->max_line)
        fuzz_fail("line %zu of %zu bytes delivered over the limit %zu",
                  x->lines, len, x->max_line);
    if (len != n || memcmp(line, p, n) != 0)
        fuzz_fail("line %zu: %zu bytes delivered, %zu expected", x->lines, len,
                  n);
    x->lines++;
}

static void on_skip(void *ctx, enum tail_skip why)
{
    struct expect *x = ctx;
    if (why != TAIL_SKIP_TOO_LONG)
        fuzz_fail("a file still open reported a skip other than too long: %d",
                  (int)why);
    x->too_long++;
}

/* What a container log run delivered: each line as its length (8 bytes)
 * and bytes, and the skips by reason. */
struct delivered {
    unsigned char *buf;
    size_t len, cap;
    size_t skips[TAIL_SKIP_BAD_ENVELOPE + 1];
};

static void keep_line(void *ctx, const char *line, size_t len)
{
    struct delivered *d = ctx;
    uint64_t n = len;
    if (d->len + sizeof(n) + len > d->cap)
        fuzz_fail("%zu bytes delivered from a shorter file", d->len + len);
    memcpy(d->buf + d->len, &n, sizeof(n));
    memcpy(d->buf + d->len + sizeof(n), line, len);
    d->len += sizeof(n) + len;
}

static void keep_skip(void *ctx, enum tail_skip why)
{
    struct delivered *d = ctx;
    if ((unsigned)why > TAIL_SKIP_BAD_ENVELOPE)
        fuzz_fail("skip reason %d", (int)why);
    d->skips[why]++;
}

/* A tailer on path from its beginning; with m, moved to m, which must fit. */
static struct tailer *reopen(const char *path, size_t max_line,
                             enum envelope_kind kind, const struct tail_mark *m)
{
    struct tailer *t;
    if (tailer_open(path, TAIL_START_BEGINNING, max_line, kind, &t) != 0)
        fuzz_fail("cannot open the test file");
    if (m != NULL) {
        if (!tailer_fits_mark(t, m))
            fuzz_fail("the file does not fit its own mark at offset %llu",
                      (unsigned long long)m->offset);
        tailer_seek_mark(t, m);
    }
    return t;
}

static void read_all(struct tailer *t, struct tail_buf *rb, size_t budget,
                     const struct tail_sink *sink)
{
    for (int guard = 0;; guard++) {
        ssize_t r = tailer_read(t, rb, budget, sink);
        if (r < 0)
            fuzz_fail("read failed: %zd", r);
        if (r == 0)
            break;
        if (guard > FUZZ_GUARD)
            fuzz_fail("reading never ends");
    }
}

/*
 * Writes content to a fresh file in pieces, reading after each, as a
 * container log whose first line decides the envelope; every
 * restart_every pieces (0: never), the tailer is replaced by a new one
 * moved to its mark. Returns the envelope decided.
 */
static enum envelope_kind container_run(const uint8_t *content, size_t len,
                                        size_t max_line, size_t piece,
                                        size_t budget, size_t restart_every,
                                        struct delivered *out)
{
    int fd = memfd_create("fuzz-tailer-streams", 0);
    if (fd < 0)
        fuzz_fail("cannot make the test file");
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct tail_buf rb = {0};
    struct tail_sink sink = {keep_line, keep_skip, out};
    struct tailer *t = reopen(path, max_line, ENVELOPE_AUTO, NULL);
    size_t pieces = 0;
    for (size_t at = 0; at < len; pieces++) {
        size_t n = len - at < piece ? len - at : piece;
        if (write(fd, content + at, n) != (ssize_t)n)
            fuzz_fail("cannot write the test file");
        at += n;
        read_all(t, &rb, budget, &sink);
        if (restart_every > 0 && pieces % restart_every == 0) {
            struct tail_mark m;
            tailer_mark(t, &m);
            tailer_free(t);
            t = reopen(path, max_line, ENVELOPE_AUTO, &m);
        }
    }
    enum envelope_kind kind = tailer_envelope(t);
    tailer_free(t);
    tail_buf_free(&rb);
    close(fd);
    return kind;
}

/* Straight through, then restarting: the same lines and skips. */
static void check_restarts(const uint8_t *content, size_t len, size_t max_line,
                           size_t piece, size_t budget)
{
    size_t cap = len * 9 + 16; /* a length for every line, even empty */
    struct delivered straight = {fuzz_alloc(cap), 0, cap, {0}};
    struct delivered restarted = {fuzz_alloc(cap), 0, cap, {0}};
    size_t pieces = (len + piece - 1) / piece;
    size_t every = pieces / FUZZ_RESTARTS + 1;

    enum envelope_kind kind =
        container_run(content, len, max_line, piece, budget, 0, &straight);
    enum envelope_kind again =
        container_run(content, len, max_line, piece, budget, every, &restarted);
    if (again != kind)
        fuzz_fail("envelope %s straight, %s with restarts", envelope_name(kind),
                  envelope_name(again));
    if (restarted.len != straight.len ||
        memcmp(restarted.buf, straight.buf, straight.len) != 0)
        fuzz_fail("%s: %zu bytes of lines straight, %zu with restarts",
                  envelope_name(kind), straight.len, restarted.len);
    for (int k = 0; k <= TAIL_SKIP_BAD_ENVELOPE; k++)
        if (restarted.skips[k] != straight.skips[k])
            fuzz_fail("%s: skip %d: %zu straight, %zu with restarts",
                      envelope_name(kind), k, straight.skips[k],
                      restarted.skips[k]);
    free(straight.buf);
    free(restarted.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max_line = (size_t)data[0] + 1;
    size_t piece = (size_t)(data[1] & 0x3f) + 1;    /* bytes written at once */
    size_t budget = (size_t)(data[1] >> 6) * 7 + 1; /* read budget */
    const uint8_t *content = data + 2;
    size_t len = size - 2;

    int fd = memfd_create("fuzz-tailer", 0);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    struct tailer *t;
    if (tailer_open(path, TAIL_START_BEGINNING, max_line, ENVELOPE_NONE, &t) !=
        0) {
        close(fd);
        return 0;
    }
    struct tail_buf rb = {0};
    struct expect x = {.data = content, .end = content, .max_line = max_line};
    struct tail_sink sink = {on_line, on_skip, &x};

    /* Write a piece, read until nothing is left, and again. */
    for (size_t at = 0; at < len;) {
        size_t n = len - at < piece ? len - at : piece;
        if (write(fd, content + at, n) != (ssize_t)n)
            fuzz_fail("cannot write the test file");
        at += n;
        x.data = content + at; /* the content so far */
        for (int guard = 0;; guard++) {
            ssize_t r = tailer_read(t, &rb, budget, &sink);
            if (r < 0)
                fuzz_fail("read failed: %zd", r);
            if (r == 0)
                break;
            if (guard > 100000)
                fuzz_fail("reading never ends");
        }
    }

    /* Every complete line was seen once: delivered or too long. */
    size_t complete = 0, longer = 0;
    const uint8_t *p = content, *end = content + len, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        while (p < nl && *p == '\0')
            p++;
        complete++;
        longer += (size_t)(nl - p) > max_line;
        p = nl + 1;
    }
    while (p < end && *p == '\0')
        p++;
    size_t rest = (size_t)(end - p);
    if (x.lines != complete - longer)
        fuzz_fail("%zu lines delivered, %zu expected", x.lines,
                  complete - longer);
    if (x.too_long != longer + (rest > max_line))
        fuzz_fail("%zu too long, %zu expected", x.too_long,
                  longer + (rest > max_line));
    if (tailer_pending(t) != (rest > max_line ? 0 : rest))
        fuzz_fail("%zu bytes pending, %zu expected", tailer_pending(t),
                  rest > max_line ? 0 : rest);
    /* Consumed: all but the pending end (its NUL padding is consumed). */
    uint64_t want = rest > max_line ? len : len - rest;
    if (tailer_consumed(t) != want)
        fuzz_fail("consumed %llu bytes, %llu expected",
                  (unsigned long long)tailer_consumed(t),
                  (unsigned long long)want);

    tailer_free(t);
    tail_buf_free(&rb);
    close(fd);
    check_restarts(content, len, max_line, piece, budget);
    return 0;
}
