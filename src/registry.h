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

#include "buf.h"
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

/*
 * How an update changes a gauge (a counter's adds, a histogram's
 * observes): set it to the value, move it by the value (a signed amount:
 * +1 when a request starts, -1 when it ends), or keep the largest or the
 * smallest value seen.
 */
enum gauge_update { GAUGE_SET, GAUGE_ADD, GAUGE_MAX, GAUGE_MIN };
#define GAUGE_UPDATE_COUNT (GAUGE_MIN + 1)

/* "set", "add", "max" or "min", as the configuration writes them. */
const char *gauge_update_name(enum gauge_update u);

/* The update named s; -1 when there is none of that name. */
int gauge_update_parse(const char *s);

/*
 * One series: a value (or a histogram's buckets) for one set of label
 * values. Public because the per-line path updates it inline; only the
 * registry creates, moves and frees series.
 */
struct series {
    uint64_t hash;
    bool dirty;        /* changed since the last checkpoint */
    bool overflow;     /* the family's overflow series */
    bool seen;         /* given a value: max and min take the first as is */
    bool created_new;  /* created_ms not saved by a checkpoint yet */
    num_fixed value;   /* counter or gauge value; histogram sum */
    uint64_t count;    /* histogram: number of observations */
    uint64_t *buckets; /* histogram: count per bucket (not cumulative) */
    uint32_t key_len;
    uint32_t touched; /* expiring families: when last looked up (seconds) */
    /* When the series began: wall-clock milliseconds since the epoch, as
     * OpenMetrics' _created tells it; 0 when not known (restored from a
     * state that did not keep it). */
    int64_t created_ms;
    char key[]; /* label values, each followed by a NUL */
};

/* A family: a metric's name, help, type and label names, and its series. */
struct family;

/* What a family is made from; everything is copied. */
struct family_spec {
    const char *name;
    const char *help;
    enum metric_type type;
    enum gauge_update update; /* gauges; GAUGE_SET for the others */
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

struct registry;

int registry_new(struct registry **out);

/* Frees every family and series; NULL is a no-op. */
void registry_free(struct registry *r);

/*
 * Caps the series of all families together, tokentail's own not counted
 * (0: no cap, the default). Updates over it go to overflow series, as
 * over a family's own max_series.
 */
void registry_set_max_series(struct registry *r, size_t max_series);

/* Adds a family at the end of the exposition order; NULL on -ENOMEM. */
struct family *registry_add(struct registry *r, const struct family_spec *spec);

/* The family named name, or NULL. */
struct family *registry_find(struct registry *r, const char *name);

/* How many families r holds; registry_family(r, i) is the i-th of them,
 * in exposition order. */
size_t registry_n_families(const struct registry *r);
struct family *registry_family(struct registry *r, size_t i);

/* The wall clock in milliseconds since the epoch, as a new series'
 * created_ms records it. */
int64_t registry_wall_ms(void);

/* The hash of a series key, as family_get expects it. */
uint64_t registry_hash(const char *key, size_t len);

/*
 * The series for key (label values, each NUL-terminated; key_len counts
 * the NULs), created at zero if absent. Over the family's cap or the
 * registry's, returns the overflow series (series_is_overflow); NULL only
 * when out of memory. In an expiring family, the series found restarts
 * its time to live: the per-line path needs no second call.
 */
struct series *family_get(struct family *f, const char *key, uint32_t key_len,
                          uint64_t hash);

static inline bool series_is_overflow(const struct series *s)
{
    return s->overflow;
}

/*
 * The cap a full family reached (family_get gave its overflow series): its
 * own max_series, or, with *global set, the registry's over all families.
 */
size_t family_cap(const struct family *f, bool *global);

/* The metric's name; borrowed, valid as long as the family. */
const char *family_name(const struct family *f);

/*
 * Removes the series of expiring families not looked up since now_s minus
 * their expire_after; returns how many went in all.
 */
size_t registry_expire(struct registry *r, uint32_t now_s);

/* How often to call registry_expire: a tenth of the shortest expire_after,
 * from REGISTRY_EXPIRE_MIN_EVERY_MS to REGISTRY_EXPIRE_MAX_EVERY_MS; 0 when
 * no family expires. */
#define REGISTRY_EXPIRE_MIN_EVERY_MS 1000  /* milliseconds */
#define REGISTRY_EXPIRE_MAX_EVERY_MS 60000 /* milliseconds */
uint64_t registry_expire_every_ms(const struct registry *r);

/*
 * What the exposition shows of a family: its definition, as registry_add
 * copied it, and its series. Every pointer is borrowed from the family and
 * stays valid until it next changes (a new series, an expiry).
 */
struct family_view {
    struct family_spec def;
    const struct series *const *series; /* in the order of their keys */
    size_t n_series;
    const struct series *overflow; /* NULL until an update went over */
};

/* Fills *out for f, sorting first the series added since the last time. */
void family_view(struct family *f, struct family_view *out);

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

/* A gauge's update of v, as its family's update says. */
static inline void series_gauge(struct series *s, enum gauge_update u,
                                num_fixed v)
{
    switch (u) {
    case GAUGE_SET:
        series_set(s, v);
        return;
    case GAUGE_ADD:
        series_add(s, v);
        return;
    case GAUGE_MAX:
    case GAUGE_MIN:
        if (!s->seen || (u == GAUGE_MAX ? v > s->value : v < s->value))
            series_set(s, v);
        s->seen = true;
        return;
    }
}

/*
 * A signature of what a family's saved values depend on: its type (with a
 * gauge's update when it is not set: "gauge:max"), label names and bucket
 * bounds ("histogram|model,status|0.1,1"). Two definitions with the same
 * name and signature can share series. Written to sig (cap bytes,
 * NUL-terminated); returns its length, or 0 when it does not fit.
 */
size_t registry_signature(enum metric_type type, enum gauge_update update,
                          const char *const *labels, size_t n_labels,
                          const num_fixed *bounds, size_t n_bounds, char *sig,
                          size_t cap);

/*
 * What differs between the signatures was and now, in words for a log
 * line, appended to out (borrowed): "its type (was counter; now gauge)",
 * "its label names (was model, status; now model)", "its buckets (was
 * 0.1, 1; now 0.1, 1, 10)", "its update (was max; now set)", joined by
 * " and "; "its definition" when either is no signature. Signatures never
 * reach users as they are.
 */
void registry_signature_change(const char *was, const char *now,
                               struct buf *out);

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

/*
 * Adds every series of src (borrowed, unchanged) into dst, as if the
 * lines that made src's values had come to dst after its own: counters,
 * histograms and gauges that add sum up, a gauge's max or min keeps the
 * larger or smaller, a gauge that is set takes src's value. A series new
 * to dst is created after dst's own, in the order src created it. src
 * must have been built from the same configuration (its families are
 * dst's, by name, and have no others). Returns 0;
 * REGISTRY_MERGE_OVER_CAP, with nothing changed, when src has overflow
 * series or dst would reach one (its max_series or the registry's):
 * what would overflow depends on the order of the lines, which src does
 * not keep; -EINVAL when a family differs; -ENOMEM, dst part merged.
 */
#define REGISTRY_MERGE_OVER_CAP 1
int registry_merge(struct registry *dst, const struct registry *src);

/* Records one observation of v in a histogram series. */
void series_observe(const struct family *f, struct series *s, num_fixed v);

#endif
