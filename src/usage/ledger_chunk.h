/*
 * A ledger record: the rows of up to LEDGER_CHUNK series in one period,
 * as stored in the state file (ledger_store.c). Series are numbered per
 * metric from 0; series n is in record n / LEDGER_CHUNK, at slot
 * n % LEDGER_CHUNK.
 *
 * The bytes: for each row, in increasing slot order, one byte holding
 * the slot (its low six bits) and a scale (its top two: the sum is
 * written in units of 10^-12, 10^-6 or 1, the largest it is a whole
 * number of), then the sum in that unit in zigzag form (0, -1, 1, -2 ...
 * as 0, 1, 2, 3 ...) and then the count, both as unsigned LEB128 (seven
 * bits a byte, least significant first, the high bit set on every byte
 * but the last). A counter's row of 3.47 (USD) takes six bytes, one of
 * 1000000 (tokens) five.
 *
 * Values only: nothing is allocated but the caller's buffer.
 */
#ifndef TOKENTAIL_LEDGER_CHUNK_H
#define TOKENTAIL_LEDGER_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "num.h"

#define LEDGER_CHUNK 64 /* series per record */

/* The stored key of the overflow series: a byte no label value has (label
 * values are UTF-8, where 0xff never appears). */
#define LEDGER_OVERFLOW_KEY     "\xff"
#define LEDGER_OVERFLOW_KEY_LEN 1

/* One slot of a record. */
struct ledger_slot {
    num_fixed sum;
    uint64_t count;
    bool used;
};

/*
 * Reads a record of len bytes into slots, which it clears first. Returns
 * 0, or -EBADMSG when the bytes are not a record (a slot out of order or
 * range, a number cut short or too long).
 */
int ledger_chunk_decode(const void *data, size_t len,
                        struct ledger_slot slots[LEDGER_CHUNK]);

/* Appends the used slots as a record to b (borrowed; b->oom on failure). */
void ledger_chunk_encode(const struct ledger_slot slots[LEDGER_CHUNK],
                         struct buf *b);

/* a + b, clamped to +-NUM_FIXED_MAX as the counters are. */
static inline num_fixed ledger_add(num_fixed a, num_fixed b)
{
    num_fixed r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? NUM_FIXED_MAX : -NUM_FIXED_MAX;
    if (r < -NUM_FIXED_MAX)
        return -NUM_FIXED_MAX;
    return r;
}

#endif
