/*
 * The verdict line of `tokentail healthcheck` (src/web/healthcheck.h): the
 * input is the body a server answered, which the probe does not control.
 *   - what healthcheck_describe appends is one line: no control
 *     character, no newline;
 *   - it is bounded whatever the body: a status and three reasons, each
 *     piece cut at 200 bytes, and a count of the rest;
 *   - the same body described twice gives the same words.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "healthcheck.h"

/* ": " and the status, then per reason "; input NAME: PATH: " and the
 * error (three pieces of 200 bytes), then "; and N more". */
#define LINE_BOUND (2 + 200 + 3 * (16 + 3 * 200) + 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf a = {0}, b = {0};
    healthcheck_describe((const char *)data, size, &a);
    healthcheck_describe((const char *)data, size, &b);
    if (a.oom || b.oom) {
        buf_free(&a);
        buf_free(&b);
        return 0;
    }
    if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
        fuzz_fail("the same body described differently");
    if (a.len > LINE_BOUND)
        fuzz_fail("the verdict line is longer than its bound");
    for (size_t i = 0; i < a.len; i++) {
        unsigned char c = (unsigned char)a.data[i];
        if (c < 0x20 || c == 0x7F)
            fuzz_fail("a control character in the verdict line");
    }
    buf_free(&a);
    buf_free(&b);
    return 0;
}
