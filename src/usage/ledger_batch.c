/*
 * A save's updates: groups by hash, updates by radix sort.
 */
#include "ledger_batch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_INITIAL 64 /* updates, or groups, before the first growth */
#define BATCH_KEPT    4  /* places kept after a save, per update it held */
#define GROUP_MIX     0x9e3779b97f4a7c15ULL
#define GROUP_MIX2    0xff51afd7ed558ccdULL
#define RADIX_BITS    8 /* bits of the key sorted by each pass */
#define RADIX         (1u << RADIX_BITS)

static size_t group_hash(uint8_t grain, uint32_t metric, int64_t period)
{
    uint64_t h = (uint64_t)period * GROUP_MIX;
    h ^= (((uint64_t)metric << 8) | grain) * GROUP_MIX2;
    return (size_t)(h ^ (h >> 32));
}

static bool group_is(const struct ledger_target *g, uint8_t grain,
                     uint32_t metric, int64_t period)
{
    return g->period == period && g->metric == metric && g->grain == grain;
}

/* Doubles the hash table and places every group again; 0 or -ENOMEM. */
static int table_grow(struct ledger_batch *b)
{
    size_t cap = b->table_cap ? b->table_cap * 2 : BATCH_INITIAL;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    for (size_t k = 0; k < b->n_groups; k++) {
        const struct ledger_target *g = &b->groups[k];
        size_t i = group_hash(g->grain, g->metric, g->period) & (cap - 1);
        while (t[i] != 0)
            i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)k + 1;
    }
    free(b->table);
    b->table = t;
    b->table_cap = cap;
    return 0;
}

/* The index of the group (grain, metric, period), added when new; -1 on
 * -ENOMEM. A save's cells mostly share a few periods: the last group
 * found of the grain is tried first (a cell gives an hour, then a day). */
static int64_t group_of(struct ledger_batch *b, uint8_t grain, uint32_t metric,
                        int64_t period)
{
    size_t *last = &b->last[grain & 1];
    if (*last < b->n_groups &&
        group_is(&b->groups[*last], grain, metric, period))
        return (int64_t)*last;
    if (b->n_groups >= UINT32_MAX - 1 ||
        ((b->n_groups + 1) * 2 > b->table_cap && table_grow(b) != 0))
        return -1;
    size_t mask = b->table_cap - 1;
    size_t i = group_hash(grain, metric, period) & mask;
    for (; b->table[i] != 0; i = (i + 1) & mask)
        if (group_is(&b->groups[b->table[i] - 1], grain, metric, period))
            return (int64_t)(*last = b->table[i] - 1);
    if (b->n_groups == b->cap_groups) {
        size_t cap = b->cap_groups ? b->cap_groups * 2 : BATCH_INITIAL;
        struct ledger_target *g = realloc(b->groups, cap * sizeof(*g));
        if (g == NULL)
            return -1;
        b->groups = g;
        b->cap_groups = cap;
    }
    b->groups[b->n_groups] =
        (struct ledger_target){period, metric, (uint32_t)b->n_groups, grain};
    b->table[i] = (uint32_t)++b->n_groups;
    return (int64_t)(*last = b->n_groups - 1);
}

/* Sets both halves' room to cap updates; 0 or -ENOMEM. */
static int resize(struct ledger_batch *b, size_t cap)
{
    if (cap >= UINT32_MAX / 2)
        return -ENOMEM;
    struct ledger_update *u = realloc(b->updates, cap * sizeof(*u));
    if (u == NULL)
        return -ENOMEM;
    b->updates = u;
    /* The spare half's contents do not matter: no copy. */
    free(b->spare);
    b->spare = malloc(cap * sizeof(*u));
    if (b->spare == NULL)
        return -ENOMEM;
    b->cap = cap;
    return 0;
}

int ledger_batch_reserve(struct ledger_batch *b, size_t n)
{
    return n <= b->cap ? 0 : resize(b, n);
}

int ledger_batch_add(struct ledger_batch *b, uint8_t grain, uint32_t metric,
                     int64_t period, uint32_t n, num_fixed sum, uint64_t count)
{
    if (b->n == b->cap && resize(b, b->cap ? b->cap * 2 : BATCH_INITIAL) != 0)
        return -ENOMEM;
    int64_t g = group_of(b, grain, metric, period);
    if (g < 0)
        return -ENOMEM;
    b->updates[b->n++] =
        (struct ledger_update){sum, count, ((uint64_t)g << 32) | n};
    return 0;
}

void ledger_batch_reset(struct ledger_batch *b)
{
    if (b->cap > BATCH_INITIAL && b->cap > b->n * BATCH_KEPT) {
        free(b->updates);
        free(b->spare);
        b->updates = b->spare = NULL;
        b->cap = 0;
    }
    if (b->table_cap > BATCH_INITIAL &&
        b->table_cap > b->n_groups * 2 * BATCH_KEPT) {
        free(b->table);
        free(b->groups);
        b->table = NULL;
        b->groups = NULL;
        b->table_cap = b->cap_groups = 0;
    }
    if (b->table != NULL)
        memset(b->table, 0, b->table_cap * sizeof(*b->table));
    b->n = b->n_groups = b->last[0] = b->last[1] = 0;
}

static int group_cmp(const void *a, const void *b)
{
    const struct ledger_target *x = a, *y = b;
    if (x->grain != y->grain)
        return x->grain < y->grain ? -1 : 1;
    if (x->metric != y->metric)
        return x->metric < y->metric ? -1 : 1;
    return (x->period > y->period) - (x->period < y->period);
}

/* Puts the groups in order and renumbers the updates' groups to match. */
static void sort_groups(struct ledger_batch *b)
{
    if (b->n_groups < 2)
        return;
    qsort(b->groups, b->n_groups, sizeof(*b->groups), group_cmp);
    /* Each group's new index by its old one, in the hash table's memory:
     * it has more places than there are groups, and the lookups it
     * served are over (the next reset clears it). */
    for (size_t k = 0; k < b->n_groups; k++)
        b->table[b->groups[k].added] = (uint32_t)k;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t key = b->updates[i].key;
        b->updates[i].key =
            ((uint64_t)b->table[key >> 32] << 32) | (uint32_t)key;
    }
}

/* One pass of the radix sort: from's n updates into to, stable, by the
 * byte of the key at shift. */
static void radix_pass(const struct ledger_update *from,
                       struct ledger_update *to, size_t n, unsigned shift)
{
    uint32_t at[RADIX] = {0}, sum = 0;
    for (size_t i = 0; i < n; i++)
        at[(from[i].key >> shift) & (RADIX - 1)]++;
    for (unsigned v = 0; v < RADIX; v++) {
        uint32_t k = at[v];
        at[v] = sum;
        sum += k;
    }
    for (size_t i = 0; i < n; i++)
        to[at[(from[i].key >> shift) & (RADIX - 1)]++] = from[i];
}

/* Whether, within each group, the updates' numbers never go down: so in
 * a save that numbered its series, as they came. The hash table's memory
 * past the groups holds each group's last number (it has room for as
 * many again, and the next reset clears it). */
static bool numbers_in_order(struct ledger_batch *b)
{
    uint32_t *last = b->table + b->n_groups;
    memset(last, 0, b->n_groups * sizeof(*last));
    for (size_t i = 0; i < b->n; i++) {
        uint32_t g = ledger_update_group(&b->updates[i]);
        uint32_t n = ledger_update_n(&b->updates[i]);
        if (n < last[g])
            return false;
        last[g] = n;
    }
    return true;
}

void ledger_batch_sort(struct ledger_batch *b)
{
    sort_groups(b);
    if (b->n < 2)
        return;
    /* Only the bytes in which some keys differ need a pass: with a few
     * periods and 10,000 series, three of the eight; when the numbers
     * are in order already, a stable pass over the groups' bytes alone
     * finishes the sort. */
    uint64_t differ = 0, first = b->updates[0].key;
    for (size_t i = 1; i < b->n; i++)
        differ |= b->updates[i].key ^ first;
    unsigned from = numbers_in_order(b) ? 32 : 0;
    for (unsigned shift = from; shift < 64; shift += RADIX_BITS) {
        if (((differ >> shift) & (RADIX - 1)) == 0)
            continue;
        radix_pass(b->updates, b->spare, b->n, shift);
        struct ledger_update *t = b->updates;
        b->updates = b->spare;
        b->spare = t;
    }
}

void ledger_batch_free(struct ledger_batch *b)
{
    if (b == NULL)
        return;
    free(b->updates);
    free(b->spare);
    free(b->groups);
    free(b->table);
    memset(b, 0, sizeof(*b));
}
