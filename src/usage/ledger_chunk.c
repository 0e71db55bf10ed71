/*
 * Ledger records: rows as slots and zigzag LEB128 numbers.
 */
#include "ledger_chunk.h"

#include <errno.h>
#include <string.h>

#define LEB_BITS         7 /* value bits per byte */
#define LEB_MORE         0x80
#define LEB_MAX_BYTES    19 /* a 128-bit number takes at most 19 bytes */
#define LEB_MAX_BYTES_64 10

/* Writes v at out; returns the bytes written. Most numbers fit 64 bits,
 * where the shifts are cheap. */
static size_t put_leb(unsigned char *out, num_u128 v)
{
    size_t n = 0;
    for (; v > UINT64_MAX; v >>= LEB_BITS)
        out[n++] = (unsigned char)(v & 0x7f) | LEB_MORE;
    uint64_t w = (uint64_t)v;
    for (; w >= LEB_MORE; w >>= LEB_BITS)
        out[n++] = (unsigned char)(w & 0x7f) | LEB_MORE;
    out[n++] = (unsigned char)w;
    return n;
}

/* Reads a number of at most max bytes at *at; false when cut short, too
 * long, or beyond 128 bits. */
static bool get_leb_wide(const unsigned char *d, size_t len, size_t *at,
                         size_t max, num_u128 *out)
{
    num_u128 v = 0;
    for (size_t i = 0; i < max && *at < len; i++) {
        unsigned char byte = d[(*at)++];
        num_u128 part = byte & 0x7f;
        /* The 19th byte holds the last two of 128 bits. */
        if (i == LEB_MAX_BYTES - 1 && part > 3)
            return false;
        v |= part << (LEB_BITS * i);
        if (!(byte & LEB_MORE)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* As get_leb_wide; numbers of up to nine bytes (63 bits: every count and
 * nearly every sum) are read in 64-bit arithmetic, which is several times
 * faster than 128-bit shifts. */
static inline bool get_leb(const unsigned char *d, size_t len, size_t *at,
                           size_t max, num_u128 *out)
{
    uint64_t v = 0;
    size_t i = *at, end = len - i < 9 ? len : i + 9;
    for (unsigned shift = 0; i < end; shift += LEB_BITS) {
        unsigned char byte = d[i++];
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & LEB_MORE)) {
            *at = i;
            *out = v;
            return true;
        }
    }
    return get_leb_wide(d, len, at, max, out);
}

/* The units a sum can be written in, by the scale in a row's first byte:
 * 10^-12 (the fixed point's own), 10^-6 and 1. */
static const int64_t units[] = {1, 1000000, 1000000000000LL};
#define SCALE_SHIFT 6 /* the scale is above the slot's six bits */
#define SCALES      (sizeof(units) / sizeof(*units))
#define SLOT_MASK   0x3f

/* The largest unit v is a whole number of: its scale, v in *in_unit. */
static unsigned scale_of(num_fixed v, num_fixed *in_unit)
{
    /* 64-bit arithmetic where it fits: division by a constant is then a
     * multiplication, where 128 bits take a library call. */
    if (v >= INT64_MIN && v <= INT64_MAX) {
        int64_t w = (int64_t)v;
        for (unsigned s = SCALES - 1; s > 0; s--)
            if (w % units[s] == 0) {
                *in_unit = w / units[s];
                return s;
            }
        *in_unit = v;
        return 0;
    }
    for (unsigned s = SCALES - 1; s > 0; s--)
        if (v % units[s] == 0) {
            *in_unit = v / units[s];
            return s;
        }
    *in_unit = v;
    return 0;
}

void ledger_chunk_encode(const struct ledger_slot slots[LEDGER_CHUNK],
                         struct buf *b)
{
    /* The whole record, built here and appended once. */
    unsigned char out[LEDGER_CHUNK * (1 + LEB_MAX_BYTES + LEB_MAX_BYTES_64)];
    size_t n = 0;
    for (int i = 0; i < LEDGER_CHUNK; i++) {
        if (!slots[i].used)
            continue;
        num_fixed v;
        unsigned scale = scale_of(slots[i].sum, &v);
        /* Zigzag: the sign in the lowest bit, small magnitudes short. */
        num_u128 z = ((num_u128)v << 1) ^ (num_u128)(v >> 127);
        out[n++] = (unsigned char)(i | (int)(scale << SCALE_SHIFT));
        n += put_leb(out + n, z);
        n += put_leb(out + n, slots[i].count);
    }
    buf_append(b, out, n);
}

int ledger_chunk_decode(const void *data, size_t len,
                        struct ledger_slot slots[LEDGER_CHUNK])
{
    const unsigned char *d = data;
    size_t at = 0;
    int last = -1;
    memset(slots, 0, LEDGER_CHUNK * sizeof(*slots));
    while (at < len) {
        int slot = d[at] & SLOT_MASK;
        unsigned scale = d[at++] >> SCALE_SHIFT;
        num_u128 z, count;
        num_fixed v;
        if (slot <= last || scale >= SCALES ||
            !get_leb(d, len, &at, LEB_MAX_BYTES, &z) ||
            !get_leb(d, len, &at, LEB_MAX_BYTES_64, &count) ||
            count > UINT64_MAX)
            return -EBADMSG;
        v = (num_fixed)(z >> 1) ^ -(num_fixed)(z & 1);
        /* Below 2^64 the product stays below 2^104: no overflow. */
        if (z >> 64 == 0)
            v *= units[scale];
        else if (__builtin_mul_overflow(v, (num_fixed)units[scale], &v) ||
                 v < -NUM_FIXED_MAX)
            return -EBADMSG;
        slots[slot] = (struct ledger_slot){v, (uint64_t)count, true};
        last = slot;
    }
    return 0;
}
