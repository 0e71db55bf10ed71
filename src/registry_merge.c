/*
 * Adding one registry's series into another's (registry_merge): what a
 * parallel backfill (backfill.h) does with each file's private registry,
 * in file order, so the sum is what one pass over the files in that order
 * leaves.
 *
 * A merge that would reach the overflow series is refused before anything
 * changes: which label values an overflow swallows depends on the order of
 * the lines across families, and the overflow's own update count on how
 * many updates each swallowed series had, which no series keeps.
 */
#include "registry_private.h"

#include <errno.h>
#include <string.h>

/* The series of dst with src's key, or NULL. Allocates nothing. */
static const struct series *find(const struct family *dst,
                                 const struct series *s)
{
    size_t mask = dst->table_cap - 1;
    for (size_t i = s->hash & mask; dst->table[i] != NULL; i = (i + 1) & mask) {
        const struct series *d = dst->table[i];
        if (d->hash == s->hash && d->key_len == s->key_len &&
            memcmp(d->key, s->key, s->key_len) == 0)
            return d;
    }
    return NULL;
}

/* Whether a and b define the same values: type, update, labels, buckets. */
static bool same_shape(const struct family *a, const struct family *b)
{
    if (a->type != b->type || a->update != b->update ||
        a->n_labels != b->n_labels || a->n_bounds != b->n_bounds)
        return false;
    for (size_t i = 0; i < a->n_bounds; i++)
        if (a->bounds[i] != b->bounds[i])
            return false;
    return true;
}

/*
 * Checks that every family of src has its like in dst and that adding
 * src's series creates no more than the caps of dst allow. Returns 0,
 * REGISTRY_MERGE_OVER_CAP or -EINVAL.
 */
static int check(struct registry *dst, const struct registry *src)
{
    size_t added = 0; /* series new to dst, counted against its cap */
    for (size_t i = 0; i < src->n_fams; i++) {
        const struct family *s = src->fams[i];
        const struct family *d = registry_find(dst, s->name);
        if (d == NULL || !same_shape(d, s))
            return -EINVAL;
        if (s->overflow != NULL)
            return REGISTRY_MERGE_OVER_CAP;
        size_t fresh = 0;
        for (size_t k = 0; k < s->n_series; k++)
            fresh += find(d, s->by_slot[k]) == NULL;
        if (d->max_series > 0 && d->n_series + fresh > d->max_series)
            return REGISTRY_MERGE_OVER_CAP;
        if (!(d->flags & FAMILY_SELF))
            added += fresh;
    }
    if (dst->max_series > 0 && dst->n_series + added > dst->max_series)
        return REGISTRY_MERGE_OVER_CAP;
    return 0;
}

/* Adds what s holds into d, as the updates that made s would have. */
static void combine(const struct family *f, struct series *d,
                    const struct series *s)
{
    if (f->type == METRIC_HISTOGRAM) {
        for (size_t i = 0; i < f->n_bounds; i++)
            d->buckets[i] += s->buckets[i];
        d->count += s->count;
        series_add(d, s->value);
    } else if (f->type == METRIC_COUNTER || f->update == GAUGE_ADD) {
        series_add(d, s->value);
    } else if (f->update == GAUGE_SET) {
        /* Every series holds a value some line set: src's lines are the
         * later ones, so the last of them wins. */
        series_set(d, s->value);
    } else if (s->seen) {
        series_gauge(d, f->update, s->value);
    }
}

int registry_merge(struct registry *dst, const struct registry *src)
{
    int rc = check(dst, src);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < src->n_fams; i++) {
        const struct family *sf = src->fams[i];
        struct family *df = registry_find(dst, sf->name);
        /* Creation order: a new series takes its place in dst's slots
         * after those of the files before, as in one pass. */
        for (size_t k = 0; k < sf->n_series; k++) {
            const struct series *s = sf->by_slot[k];
            bool fresh = find(df, s) == NULL;
            struct series *d = family_get(df, s->key, s->key_len, s->hash);
            if (d == NULL)
                return -ENOMEM;
            if (fresh)
                d->created_ms = s->created_ms;
            combine(df, d, s);
        }
    }
    return 0;
}
