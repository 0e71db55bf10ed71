/*
 * The registry sampled into the history: each series found by a key of
 * the family's name, which of a histogram's series it is, and the
 * registry's own key of label values, so that a known series costs one
 * lookup and no allocation.
 */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "registry.h"

/* What a series' labels are made from, when it is new. */
struct making {
    const struct family_spec *def;
    const struct series *s;
    const char *suffix; /* "", "_bucket", "_sum", "_count" */
    size_t bucket;      /* for "_bucket": its bound's index, n_bounds: +Inf */
};

static int make_labels(void *ctx, struct labels *ls)
{
    const struct making *m = ctx;
    struct buf name = {0};
    buf_puts(&name, m->def->name);
    buf_puts(&name, m->suffix);
    int rc = name.oom ? -ENOMEM : labels_set(ls, LABELS_NAME, name.data);
    buf_free(&name);
    if (series_is_overflow(m->s)) {
        if (rc == 0)
            rc = labels_set(ls, "tokentail_overflow", "true");
    } else {
        const char *val = m->s->key;
        for (size_t i = 0; rc == 0 && i < m->def->n_labels; i++) {
            rc = labels_set(ls, m->def->label_names[i], val);
            val += strlen(val) + 1;
        }
    }
    for (size_t i = 0; rc == 0 && i < m->def->n_const; i++)
        rc = labels_set(ls, m->def->const_names[i], m->def->const_values[i]);
    if (rc == 0 && strcmp(m->suffix, "_bucket") == 0) {
        char le[NUM_FMT_MAX] = "+Inf";
        if (m->bucket < m->def->n_bounds)
            num_format(m->def->bounds[m->bucket], le);
        rc = labels_set(ls, "le", le);
    }
    if (rc != 0)
        labels_free(ls);
    return rc;
}

/* The key: name, NUL, which series (kind and bucket), the label values. */
static void make_key(struct buf *k, const char *name, char kind, size_t bucket,
                     const struct series *s)
{
    buf_reset(k);
    buf_puts(k, name);
    buf_putc(k, '\0');
    buf_putc(k, kind);
    buf_append(k, &bucket, sizeof(bucket));
    if (series_is_overflow(s))
        buf_putc(k, '\1');
    else
        buf_append(k, s->key, s->key_len);
}

static double fixed(num_fixed v)
{
    return num_to_double(v);
}

static int put(struct history *h, struct buf *k, double v, struct making *m)
{
    if (k->oom)
        return -ENOMEM;
    return history_put(h, k->data, k->len, v, make_labels, m);
}

static int sample_histogram(struct history *h, struct buf *k,
                            const struct family_view *fv,
                            const struct series *s)
{
    const struct family_spec *d = &fv->def;
    struct making m = {d, s, "_bucket", 0};
    uint64_t cum = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i <= d->n_bounds; i++) {
        cum = i < d->n_bounds ? cum + s->buckets[i] : s->count;
        m.bucket = i;
        make_key(k, d->name, 'b', i, s);
        rc = put(h, k, (double)cum, &m);
    }
    m.suffix = "_sum";
    make_key(k, d->name, 's', 0, s);
    if (rc == 0)
        rc = put(h, k, fixed(s->value), &m);
    m.suffix = "_count";
    make_key(k, d->name, 'c', 0, s);
    if (rc == 0)
        rc = put(h, k, (double)s->count, &m);
    return rc;
}

static int sample_family(struct history *h, struct buf *k, struct family *f)
{
    struct family_view fv;
    family_view(f, &fv);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i <= fv.n_series; i++) {
        const struct series *s = i < fv.n_series ? fv.series[i] : fv.overflow;
        if (s == NULL)
            continue;
        if (fv.def.type == METRIC_HISTOGRAM) {
            rc = sample_histogram(h, k, &fv, s);
            continue;
        }
        struct making m = {&fv.def, s, "", 0};
        make_key(k, fv.def.name, 'v', 0, s);
        rc = put(h, k, fixed(s->value), &m);
    }
    return rc;
}

int history_sample_registry(struct history *h, struct registry *reg,
                            int64_t t_ms,
                            bool (*want)(const void *ctx, const char *family),
                            const void *ctx)
{
    struct buf k = {0};
    int rc = 0;
    history_begin(h, t_ms);
    for (size_t i = 0; rc == 0 && i < registry_n_families(reg); i++) {
        struct family *f = registry_family(reg, i);
        if (want == NULL || want(ctx, family_name(f)))
            rc = sample_family(h, &k, f);
    }
    history_end(h);
    buf_free(&k);
    return rc;
}
