/*
 * The metric registry: every family tokentail serves, configured or its
 * own, with its series.
 *
 * A family's series live in an open-addressing hash table keyed by the
 * label values (each value NUL-terminated, concatenated in label order).
 * Lookups allocate nothing; a new series is one allocation holding its
 * value, its histogram buckets and its key. Once a family holds
 * max_series series, updates for new label values go to a single
 * overflow series, exposed with the label tokentail_overflow="true", so
 * memory stays bounded whatever the input.
 *
 * Values are fixed-point decimals (num.h). Histograms keep per-bucket
 * counts; the exposition makes them cumulative.
 *
 * The registry owns copies of every name it is given, so it can outlive the
 * configuration that created it.
 */
#ifndef TOKENTAIL_REGISTRY_H
#define TOKENTAIL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "num.h"

#define FAMILY_SELF 1u /* tokentail's own metric */

/* What a family's values mean; the registry owns the names. */
enum metric_type {
    METRIC_COUNTER,
    METRIC_GAUGE,
    METRIC_HISTOGRAM,
};
#define METRIC_TYPE_COUNT (METRIC_HISTOGRAM + 1)

/* "counter", "gauge" or "histogram": as the exposition's TYPE line and
 * the configuration write it. */
const char *metric_type_name(enum metric_type t);

/* The type named s; -1 when there is none of that name. */
int metric_type_parse(const char *s);

struct series {
    uint64_t hash;
    bool dirty;        /* changed since the last checkpoint */
    num_fixed value;   /* counter or gauge value; histogram sum */
    uint64_t count;    /* histogram: number of observations */
    uint64_t *buckets; /* histogram: count per bucket (not cumulative) */
    uint32_t key_len;
    uint32_t touched; /* expiring families: when last updated (seconds) */
    char key[];       /* label values, each followed by a NUL */
};

struct family {
    char *name;
    char *help;
    enum metric_type type;
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

/* What a family is made from; everything is copied. */
struct family_spec {
    const char *name;
    const char *help;
    enum metric_type type;
    const char *const *label_names;
    size_t n_labels;
    const char *const *const_names; /* constant labels */
    const char *const *const_values;
    size_t n_const;
    const num_fixed *bounds;
    size_t n_bounds;
    size_t max_series; /* 0: unlimited */
    uint32_t expire_s; /* 0: series never expire */
    unsigned flags;
};

struct registry {
    struct family **fams; /* in exposition order */
    size_t n_fams;
    size_t cap_fams;
    size_t max_series; /* over all families but tokentail's own; 0: none */
    size_t n_series;   /* series counted against max_series */
};

int registry_new(struct registry **out);

/* Frees every family and series; NULL is a no-op. */
void registry_free(struct registry *r);

/* Adds a family at the end of the exposition order; NULL on -ENOMEM. */
struct family *registry_add(struct registry *r, const struct family_spec *spec);

/* The family named name, or NULL. */
struct family *registry_find(struct registry *r, const char *name);

/* The hash of a series key, as family_get expects it. */
uint64_t registry_hash(const char *key, size_t len);

/*
 * The series for key (label values, each NUL-terminated; key_len counts
 * the NULs), created at zero if absent. Over the family's cap or the
 * registry's, returns the overflow series; NULL only when out of memory.
 */
struct series *family_get(struct family *f, const char *key, uint32_t key_len,
                          uint64_t hash);

/* Whether f is full because all families together reached the registry's
 * cap (false when its own max_series is reached). */
static inline bool family_over_global(const struct family *f)
{
    if (f->max_series > 0 && f->n_series >= f->max_series)
        return false;
    return f->reg->max_series > 0 && !(f->flags & FAMILY_SELF) &&
           f->reg->n_series >= f->reg->max_series;
}

/*
 * Removes the series of an expiring family not updated since
 * now_s - f->expire_s, renumbering the others; returns how many went.
 */
size_t family_expire(struct family *f, uint32_t now_s);

/* Expires the idle series of every family (family_expire); returns how
 * many went in all. */
size_t registry_expire(struct registry *r, uint32_t now_s);

/* Sorts the series not yet in order (the exposition calls it). */
void family_sort(struct family *f);

static inline void series_add(struct series *s, num_fixed v)
{
    s->value = num_add_sat(s->value, v);
    s->dirty = true;
}

static inline void series_set(struct series *s, num_fixed v)
{
    s->value = v;
    s->dirty = true;
}

/* The overflow series, created if needed; NULL when out of memory. */
struct series *family_overflow(struct family *f);

/*
 * A signature of what a family's saved values depend on: its type, label
 * names and bucket bounds ("histogram|model,status|0.1,1"). Two
 * definitions with the same name and signature can share series. Written
 * to sig (cap bytes, NUL-terminated); returns its length, or 0 when it
 * does not fit.
 */
size_t registry_signature(enum metric_type type, const char *const *labels,
                          size_t n_labels, const num_fixed *bounds,
                          size_t n_bounds, char *sig, size_t cap);

/* The signature of f (registry_signature). */
size_t family_signature(const struct family *f, char *sig, size_t cap);

/* What a family holds and has done, for tokentail's own metrics. */
struct family_stats {
    size_t series;             /* held now, the overflow series not counted */
    uint64_t overflow_updates; /* sent to the overflow series */
    uint64_t expired;          /* series removed by expire_after */
    bool expires;              /* the family has an expire_after */
};

void family_get_stats(const struct family *f, struct family_stats *out);

/* Records one observation of v in a histogram series. */
void series_observe(const struct family *f, struct series *s, num_fixed v);

#endif
