/*
 * Equality of two short byte strings of the same length, compared in
 * words in place rather than with a call: series keys and JSON keys are
 * some tens of bytes, and a call to memcmp costs more than comparing
 * them. Both pointers are borrowed and must hold n bytes; nothing past
 * them is read (the last word may overlap the one before it).
 */
#ifndef TOKENTAIL_WORDEQ_H
#define TOKENTAIL_WORDEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline bool wordeq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v)
            return false;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

#endif
