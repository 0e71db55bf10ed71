/*
 * A ledger save's updates, ordered by the record they go to.
 *
 * A save turns each cell into an update of one row: a series number in a
 * group, the group being a (grain, metric, period), that is a set of
 * records in one table. The records are then written in order, each
 * read, added to and written back once (ledger_store.c). The batch
 * gathers the updates as they come, numbers their groups through a small
 * hash table, and sorts them by (group, series number) with a radix sort
 * of one 64-bit key each: linear in the updates, where a comparison sort
 * of 10,000 series' hours and days took most of a checkpoint's budget.
 *
 * After ledger_batch_sort, the groups are in (grain, metric, period)
 * order and updates in (group, number) order: the order of the tables'
 * primary keys, so SQLite's b-trees are walked forwards.
 *
 * The batch owns its arrays and keeps them from one save to the next
 * (until ledger_batch_reset sees far fewer updates than they hold);
 * ledger_batch_free releases them. A zeroed struct is an empty batch.
 */
#ifndef TOKENTAIL_LEDGER_BATCH_H
#define TOKENTAIL_LEDGER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "num.h"

/* The records of one table, period and metric: where updates go. */
struct ledger_target {
    int64_t period;  /* day number or hour start */
    uint32_t metric; /* the usage metric's index */
    uint32_t added;  /* its index before the sort */
    uint8_t grain;   /* enum ledger_grain */
};

/* What one cell adds to one row. */
struct ledger_update {
    num_fixed sum;
    uint64_t count; /* observations: histograms only, else 0 */
    uint64_t key;   /* the group in the high 32 bits, the number below */
};

struct ledger_batch {
    struct ledger_update *updates, *spare; /* spare: the sort's other half */
    size_t n, cap;
    struct ledger_target *groups;
    size_t n_groups, cap_groups;
    uint32_t *table; /* group index + 1 by hash; 0: a free place */
    size_t table_cap;
    size_t last[2]; /* the group last found, by grain's lowest bit */
};

/* Empties b for a new save, giving back memory a burst left behind. */
void ledger_batch_reset(struct ledger_batch *b);

/* Makes room for n updates in all; 0 or -ENOMEM. Adding grows the room
 * as needed, but by doubling and copying. */
int ledger_batch_reserve(struct ledger_batch *b, size_t n);

/* Adds an update of series number n in (grain, metric, period). Returns
 * 0, or -ENOMEM (b is unchanged then). */
int ledger_batch_add(struct ledger_batch *b, uint8_t grain, uint32_t metric,
                     int64_t period, uint32_t n, num_fixed sum, uint64_t count);

/* Sorts the groups and the updates, as said above. */
void ledger_batch_sort(struct ledger_batch *b);

/* The group and the series number of an update; after the sort, the
 * group is groups[ledger_update_group(u)]. */
static inline uint32_t ledger_update_group(const struct ledger_update *u)
{
    return (uint32_t)(u->key >> 32);
}

static inline uint32_t ledger_update_n(const struct ledger_update *u)
{
    return (uint32_t)u->key;
}

/* NULL is a no-op. */
void ledger_batch_free(struct ledger_batch *b);

#endif
