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
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tailer.h"
#include "harness.h"

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
    return 0;
}
