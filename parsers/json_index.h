/*
 * The JSON scanner's first stage: an index of where a string scan stops.
 *
 * Before the scanner walks a line (parsers/json.c), one pass over all of
 * its bytes, in blocks of 64, marks two things in bitmaps, one bit per
 * byte: the bytes a string scan must stop at ('"', '\\' and the control
 * characters 0x00-0x1F) and the bytes of multi-byte UTF-8 (0x80-0xFF,
 * which make a value not "plain"). The walk then crosses a string of any
 * length with a count of trailing zeros instead of looking at its bytes.
 * Checking is not moved here: the walk still decides, at each stop, what
 * the byte means, so the grammar and every verdict stay in one place.
 *
 * There are three paths; the two with an index must mark the same bits,
 * and all three must give the walk the same verdicts. Nothing here
 * allocates: the bitmaps are the caller's, borrowed for one call.
 *   avx2    32 bytes at a time, on CPUs that have AVX2 (chosen at run
 *           time; the binary itself stays baseline x86-64);
 *   sse2    16 bytes at a time, on every x86-64;
 *   scalar  no index at all: the walk scans each string itself, sixteen
 *           bytes at a time with SSE2 on x86-64, eight to a word on other
 *           architectures and in builds with JSON_PORTABLE.
 * An index costs a pass over the whole line and pays only where strings
 * are long, so even on the vector paths the scanner indexes only lines
 * of a kilobyte or more (parsers/json.c). Measured, SSE2's index costs
 * more than the scalar walk's own sixteen-byte scan saves: it is kept,
 * tested and fuzzed, but the best path is avx2 where the CPU has it and
 * scalar elsewhere. The environment variable TOKENTAIL_SCAN (avx2, sse2
 * or scalar) forces a path, for tests and benchmarks.
 */
#ifndef TOKENTAIL_JSON_INDEX_H
#define TOKENTAIL_JSON_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_INDEX_ENV "TOKENTAIL_SCAN"

enum json_index_path {
    JSON_INDEX_SCALAR,
    JSON_INDEX_SSE2,
    JSON_INDEX_AVX2,
    JSON_INDEX_N_PATHS,
};

/* "scalar", "sse2", "avx2". */
const char *json_index_name(enum json_index_path path);

/* Whether this build and this CPU can run path. */
bool json_index_supported(enum json_index_path path);

/* The fastest supported path: avx2 or scalar. */
enum json_index_path json_index_best(void);

/*
 * The path named by name (one of json_index_name's words): 0, -EINVAL
 * for another word, -ENOTSUP for a path this CPU or build cannot run.
 * name NULL or "" means the best path. *out is set in every case, to the
 * best path when the name cannot be used.
 */
int json_index_parse(const char *name, enum json_index_path *out);

/* json_index_parse of $TOKENTAIL_SCAN. */
int json_index_from_env(enum json_index_path *out);

/* The words each bitmap of an n-byte line needs: one bit per byte, and
 * one more for the end. */
static inline size_t json_index_words(size_t n)
{
    return n / 64 + 1;
}

/*
 * Fills stop and high (each json_index_words(n) words, borrowed, written
 * whole) for the n bytes at s: bit i of word i / 64 of stop is set when
 * s[i] is '"', '\\' or below 0x20, and in high when s[i] >= 0x80. Bit n
 * of stop is set too, so that a search for the next stop always ends.
 * path must be supported and not JSON_INDEX_SCALAR, which has no index.
 */
void json_index_build(enum json_index_path path, const char *s, size_t n,
                      uint64_t *stop, uint64_t *high);

/* The first stop at or after byte i (at most n, the end). */
static inline size_t json_index_next(const uint64_t *stop, size_t i)
{
    size_t w = i / 64;
    uint64_t bits = stop[w] & (~0ULL << (i % 64));
    while (bits == 0)
        bits = stop[++w];
    return w * 64 + (size_t)__builtin_ctzll(bits);
}

/* Whether any bit in [a, b) is set. */
static inline bool json_index_any(const uint64_t *bits, size_t a, size_t b)
{
    if (a >= b)
        return false;
    size_t wa = a / 64, wb = (b - 1) / 64;
    uint64_t head = ~0ULL << (a % 64), tail = ~0ULL >> (63 - (b - 1) % 64);
    if (wa == wb)
        return (bits[wa] & head & tail) != 0;
    if (bits[wa] & head)
        return true;
    for (size_t w = wa + 1; w < wb; w++)
        if (bits[w] != 0)
            return true;
    return (bits[wb] & tail) != 0;
}

#endif
