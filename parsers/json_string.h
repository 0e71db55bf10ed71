/*
 * The JSON scanner's strings (parsers/json.c): where the string whose
 * opening quote is just before p ends, and whether it holds escapes and
 * bytes >= 0x80 — by jumping between the stops of the line's index
 * (json_index.h), or, without one, by scanning it a block at a time.
 * Every function returns the byte after what it read, or NULL where the
 * text is not JSON; all pointers are borrowed and point into one line.
 */
#ifndef TOKENTAIL_JSON_STRING_H
#define TOKENTAIL_JSON_STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_index.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__SSE2__) &&         \
    !defined(JSON_PORTABLE)
#define JSON_SSE2 1
#include <emmintrin.h>
#endif

/*
 * first_special(p) is the index of the first byte among the SCAN_STEP at p
 * that a string scan without an index must stop at — '"', '\\', a control
 * character or a byte of multi-byte UTF-8 — or SCAN_STEP if none is. With
 * SSE2 (every x86-64) sixteen bytes are tested at once; elsewhere (or
 * built with JSON_PORTABLE, as some tests are) eight, as a word.
 */
#ifdef JSON_SSE2
#define SCAN_STEP 16

static inline unsigned first_special(const char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    /* A signed compare: bytes 0x80-0xFF are negative, so below 0x20. */
    __m128i m =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    return bits ? (unsigned)__builtin_ctz(bits) : SCAN_STEP;
}
#else
#define SCAN_STEP 8
#define ONES      0x0101010101010101ULL
#define HIGHS     0x8080808080808080ULL

/* Whether any byte of v is zero: the lowest flagged byte is exact
 * (borrows only run upwards). */
static inline uint64_t has_zero(uint64_t v)
{
    return (v - ONES) & ~v & HIGHS;
}

static inline unsigned first_special(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v); /* the first byte in the lowest place */
#endif
    uint64_t special = has_zero(v ^ (ONES * '"')) |
                       has_zero(v ^ (ONES * '\\')) |
                       ((v - ONES * 0x20) & ~v & HIGHS) | (v & HIGHS);
    return special ? (unsigned)__builtin_ctzll(special) / 8 : SCAN_STEP;
}
#endif

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* The escape at p (a backslash): the byte after it, or NULL. */
static inline const char *scan_escape(const char *p, const char *e)
{
    if (e - p < 2)
        return NULL;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return p + 2;
    case 'u':
        if (e - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) ||
            !is_hex(p[5]))
            return NULL;
        return p + 6;
    default:
        return NULL;
    }
}

/*
 * The string whose opening quote is at p[-1], on a line (which starts at
 * line, ends at e) with an index (stop): from stop to stop. *esc tells whether
 * it holds escapes; whether it holds bytes >= 0x80 is only asked of the strings
 * recorded (record).
 */
static inline __attribute__((always_inline)) const char *
scan_string_indexed(const char *line, const uint64_t *stop, const char *p,
                    const char *e, bool *esc)
{
    for (;;) {
        p = line + json_index_next(stop, (size_t)(p - line));
        if (p >= e)
            return NULL;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        *esc = true; /* a backslash */
        if ((p = scan_escape(p, e)) == NULL)
            return NULL;
    }
}

/* The same without an index; *high tells of bytes >= 0x80. */
static inline __attribute__((always_inline)) const char *
scan_string_direct(const char *p, const char *e, bool *esc, bool *high)
{
    for (;;) {
        if (e - p >= SCAN_STEP) {
            unsigned i = first_special(p);
            p += i;
            if (i == SCAN_STEP)
                continue;
        } else {
            while (p < e && *p != '"' && *p != '\\' &&
                   (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80)
                p++;
            if (p >= e)
                return NULL;
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c >= 0x80) {
            *high = true; /* UTF-8, or not: labels are repaired later */
            p++;
            continue;
        }
        *esc = true; /* a backslash */
        if ((p = scan_escape(p, e)) == NULL)
            return NULL;
    }
}

#endif
