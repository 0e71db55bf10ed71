/*
 * One path of the JSON scanner's first stage (FUZZ_SCAN_PATH: avx2, sse2
 * or scalar, a target each) against the scanner as it was
 * (tests/unit/json_previous.c), on the whole input as one line: the same
 * verdict, strict and taking NaN and Infinity, and the same fields —
 * type, position, length, escapes, plainness. The index is built for
 * every line, however short, and its bits are checked against a reading
 * of the input byte by byte, in a buffer of the input's own size, so a
 * read past the end is caught.
 *
 * On a CPU without the path (avx2 on an older x86-64) the target says so
 * once and checks nothing.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json_index.h"
#include "scan_compare.h"

#ifndef FUZZ_SCAN_PATH
#error "FUZZ_SCAN_PATH names the path: JSON_INDEX_AVX2, _SSE2 or _SCALAR"
#endif

#define FUZZ_MAX_WORDS (8192 / 64 + 1) /* fuzz/run's longest input */

static struct scan_compare *compare(void)
{
    static struct scan_compare c;
    static bool built;
    if (!built) {
        if (scan_compare_new(&c) != 0)
            fuzz_fail("cannot build the parsers");
        built = true;
        if (!json_index_supported(FUZZ_SCAN_PATH))
            fprintf(stderr, "fuzz-json-%s: not on this CPU; nothing checked\n",
                    json_index_name(FUZZ_SCAN_PATH));
    }
    return &c;
}

/* The index against the bytes, one at a time. */
static void check_index(const unsigned char *s, size_t n)
{
    static uint64_t stop[FUZZ_MAX_WORDS], high[FUZZ_MAX_WORDS];
    if (FUZZ_SCAN_PATH == JSON_INDEX_SCALAR ||
        json_index_words(n) > FUZZ_MAX_WORDS)
        return;
    json_index_build(FUZZ_SCAN_PATH, (const char *)s, n, stop, high);
    for (size_t i = 0; i <= n; i++) {
        bool want_stop = i == n || s[i] == '"' || s[i] == '\\' || s[i] < 0x20;
        bool want_high = i < n && s[i] >= 0x80;
        if (((stop[i / 64] >> (i % 64)) & 1) != want_stop ||
            ((high[i / 64] >> (i % 64)) & 1) != want_high)
            fuzz_fail("wrong index bit at byte %zu of %zu", i, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scan_compare *c = compare();
    if (!json_index_supported(FUZZ_SCAN_PATH))
        return 0;
    check_index(data, size);
    const char *why =
        scan_compare_line(c, FUZZ_SCAN_PATH, (const char *)data, size);
    if (why != NULL)
        fuzz_fail("%s", why);
    return 0;
}
