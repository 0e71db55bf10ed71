/*
 * The shape of the previous line, for the JSON scanner (parsers/json.c):
 * lines of one log format repeat their top-level keys, in the same order
 * and with the same separators, so the walk remembers, for each place in
 * the top-level object, the bytes from the end of the value before (or
 * from the '{') to the start of the value after: `, "status_code": `.
 * Where the next line has the same bytes there, one comparison stands
 * for the separator, the key's scan, its lookup and the colon.
 *
 * Why the same bytes give the same verdict: a span is remembered only
 * after the walk read it, key and all, without an escape, so its key
 * holds no quote, backslash or control character and its scan stopped at
 * the quote that closes it; the walk's reading of a span depends on its
 * bytes alone. The one byte outside it that the walk looked at is the
 * one after, where whitespace stopped: a matching line may have more
 * whitespace there, which the caller skips as the walk would have.
 *
 * The shape is the parser's, owned with it and written by one thread;
 * nothing here allocates, and every pointer is borrowed for one call.
 */
#ifndef TOKENTAIL_JSON_SHAPE_H
#define TOKENTAIL_JSON_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json_string.h" /* JSON_SSE2 */
#include "wordeq.h"

#define JSON_SHAPE_KEYS 32 /* places remembered in the top-level object */
#define JSON_SHAPE_SPAN 32 /* longest span remembered, in bytes */

struct json_node;

struct json_shape {
    /* first: each span 32-byte aligned when the shape is */
    char span[JSON_SHAPE_KEYS][JSON_SHAPE_SPAN];
    const struct json_node *child[JSON_SHAPE_KEYS]; /* what its key names */
    uint8_t len[JSON_SHAPE_KEYS]; /* bytes in span; 0: nothing remembered */
};

/* a == b for n <= JSON_SHAPE_SPAN bytes, b_end - b >= n. */
static inline bool shape_eq(const char *a, const char *b, size_t n,
                            const char *b_end)
{
#ifdef JSON_SSE2
    if (b_end - b >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);
        unsigned same = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));
        if (n <= 16)
            return (~same & ((1u << n) - 1)) == 0;
        if (same != 0xffff)
            return false;
        /* the last sixteen, overlapping the first */
        x = _mm_loadu_si128((const __m128i *)(const void *)(a + n - 16));
        y = _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
    }
#endif
    (void)b_end;
    return wordeq(a, b, n);
}

/*
 * Where the value after place index starts, when the line has the span
 * remembered there at p; else NULL. *child is then what its key names.
 */
static inline const char *shape_match(const struct json_shape *sh,
                                      uint32_t index, const char *p,
                                      const char *e,
                                      const struct json_node **child)
{
    uint32_t n = sh->len[index];
    if (n == 0 || e - p < (ptrdiff_t)n || !shape_eq(sh->span[index], p, n, e))
        return NULL;
    *child = sh->child[index];
    return p + n;
}

/* Remembers the span from p to v (the value) at place index, with what its
 * key names; a longer one forgets what was there. */
static inline void shape_learn(struct json_shape *sh, uint32_t index,
                               const char *p, const char *v,
                               const struct json_node *child)
{
    size_t n = (size_t)(v - p);
    if (n > JSON_SHAPE_SPAN) {
        sh->len[index] = 0;
        return;
    }
    memcpy(sh->span[index], p, n);
    sh->len[index] = (uint8_t)n;
    sh->child[index] = child;
}

#endif
