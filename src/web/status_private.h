/*
 * What the status page keeps between pages (status_page.h's
 * status_cache), shared by the files that make its sections: the usage
 * section as last made, and each input's counters at the previous page,
 * from which rates are computed. Owned by the cache; one thread.
 */
#ifndef TOKENTAIL_STATUS_PRIVATE_H
#define TOKENTAIL_STATUS_PRIVATE_H

#include <stdint.h>

#include "buf.h"

struct ledger;

/* One input's counters at a page. */
struct status_sample {
    uint64_t lines, bytes;
};

struct status_cache {
    const struct ledger *ledger; /* NULL: no usage section kept */
    int64_t day;                 /* the day it was made, in the zone */
    uint64_t heard;              /* the ledger's updates then, all metrics */
    int64_t made_at;             /* UTC seconds */
    struct buf html;

    struct status_sample *samples; /* n_samples, one per input */
    size_t n_samples;
    uint64_t sampled_ms; /* monotonic; 0: none yet */
};

#endif
