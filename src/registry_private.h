/*
 * The registry's insides, for the registry's own files only: registry.c,
 * which keeps families and series, registry_store.c, which saves them in
 * the durable state, and their unit tests. Every other module asks through
 * registry.h.
 *
 * A family keeps its series three ways: a hash table for lookups, by_slot
 * in creation order (the durable state saves them in that order, so a
 * series keeps its place from one checkpoint to the next) and order, whose
 * first n_sorted are in key order (the exposition's order).
 */
#ifndef TOKENTAIL_REGISTRY_PRIVATE_H
#define TOKENTAIL_REGISTRY_PRIVATE_H

#include "registry.h"

struct family {
    char *name;
    char *help;
    enum metric_type type;
    enum gauge_update update;
    char **label_names;
    size_t n_labels;
    char **const_names; /* constant labels, after the others */
    char **const_values;
    size_t n_const;
    num_fixed *bounds; /* histogram bucket upper bounds, without +Inf */
    size_t n_bounds;
    size_t max_series;
    unsigned flags;

    struct series **table; /* open addressing, power-of-two size */
    size_t table_cap;
    struct series **order;   /* every series; the first n_sorted in key order */
    struct series **by_slot; /* every series in the order it was created */
    size_t n_series;
    size_t n_sorted;
    struct series *overflow; /* created on the first update over the cap */
    uint64_t overflow_updates;

    uint32_t expire_s; /* gauges: series unchanged this long go (0: never) */
    uint64_t expired;  /* series removed so */
    bool renumbered;   /* slots changed since the last checkpoint */
    struct registry *reg;
};

struct registry {
    struct family **fams; /* in exposition order */
    size_t n_fams;
    size_t cap_fams;
    size_t max_series; /* over all families but tokentail's own; 0: none */
    size_t n_series;   /* series counted against max_series */
};

/* Whether f is full because all families together reached the registry's
 * cap (false when its own max_series is reached). */
bool family_over_global(const struct family *f);

/*
 * Removes the series of an expiring family not looked up since
 * now_s minus its expire_after, renumbering the others; returns how many
 * went.
 */
size_t family_expire(struct family *f, uint32_t now_s);

/* Sorts the series not yet in order (family_view calls it). */
void family_sort(struct family *f);

/* The overflow series, created if needed; NULL when out of memory. */
struct series *family_overflow(struct family *f);

#endif
