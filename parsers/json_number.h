/*
 * The JSON scanner's numbers (parsers/json.c): where a number by the JSON
 * grammar ends — a minus, an integer part without leading zeros, a
 * fraction, an exponent — or NULL where the text at p is not one. The
 * value itself is read later, by whoever wants it (num.h). All pointers
 * are borrowed and point into one line, which ends at e; nothing is read
 * at or past e.
 */
#ifndef TOKENTAIL_JSON_NUMBER_H
#define TOKENTAIL_JSON_NUMBER_H

#include <stddef.h>

#include "json_string.h" /* JSON_SSE2 */

static inline const char *scan_digits(const char *p, const char *e)
{
    const char *s = p;
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    return p > s ? p : NULL;
}

/* A number by the JSON grammar; the byte after it, or NULL. */
static inline const char *scan_number_bytes(const char *p, const char *e)
{
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if ((p = scan_digits(p, e)) == NULL)
        return NULL;
    if (p < e && *p == '.' && (p = scan_digits(p + 1, e)) == NULL)
        return NULL;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if ((p = scan_digits(p, e)) == NULL)
            return NULL;
    }
    return p;
}

#ifdef JSON_SSE2
/* Bit i is set where p[i] is a digit, for the sixteen bytes at p. */
static inline unsigned digit_bits(const char *p)
{
    __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)p),
                             _mm_set1_epi8('0'));
    __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v);
    return (unsigned)_mm_movemask_epi8(digit);
}

/* The digits from bit i (at most 15) of d on: 16 - i at most. */
static inline unsigned digit_run(unsigned d, unsigned i)
{
    return (unsigned)__builtin_ctz(~d >> i); /* ~d: bit 16 up are set */
}

/*
 * scan_number within the sixteen bytes at p, with one mask of their
 * digits: the byte after the number, NULL where it is not one, or p + 16
 * where the block ends before the number is known to (the caller then
 * reads it byte by byte).
 */
static inline const char *scan_number_block(const char *p)
{
    const char *whole = p + 16;
    unsigned d = digit_bits(p), i = p[0] == '-', n;
    if (p[i] == '0')
        i++;
    else if ((n = digit_run(d, i)) == 0)
        return NULL;
    else if ((i += n) == 16)
        return whole;
    if (p[i] == '.') {
        if (++i == 16)
            return whole;
        if ((n = digit_run(d, i)) == 0)
            return NULL;
        if ((i += n) == 16)
            return whole;
    }
    if (p[i] == 'e' || p[i] == 'E') {
        if (++i < 16 && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i == 16)
            return whole;
        if ((n = digit_run(d, i)) == 0)
            return NULL;
        i += n;
    }
    return p + i;
}
#endif

/*
 * A number by the JSON grammar; the byte after it, or NULL. Most numbers
 * of a log line are short: with SSE2 their digits are found from one
 * mask of the sixteen bytes at p, and only a longer one is read a byte at
 * a time.
 */
static inline const char *scan_number(const char *p, const char *e)
{
#ifdef JSON_SSE2
    if (e - p >= 16) {
        const char *q = scan_number_block(p);
        if (q != p + 16)
            return q;
    }
#endif
    return scan_number_bytes(p, e);
}

#endif
