#include "expfmt.h"

#include <stdlib.h>
#include <string.h>

#include "num.h"

#define EXPFMT_LES_ON_STACK    16 /* bucket bounds formatted without malloc */
#define EXPFMT_LABELS_ON_STACK 16 /* label names placed without malloc */

void expfmt_escape_label(struct buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' && c != '"' && c != '\n')
            continue;
        buf_append(b, s + run, i - run);
        buf_putc(b, '\\');
        buf_putc(b, c == '\n' ? 'n' : c);
        run = i + 1;
    }
    buf_append(b, s + run, n - run);
}

void expfmt_escape_help(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(b, "\\\\");
        else if (*s == '\n')
            buf_puts(b, "\\n");
        else
            buf_putc(b, *s);
    }
}

/* Appends the constant labels of d: a="x",b="y" (nothing when none). */
static void write_const_labels(struct buf *b, const struct family_spec *d)
{
    for (size_t i = 0; i < d->n_const; i++) {
        if (i > 0)
            buf_putc(b, ',');
        buf_puts(b, d->const_names[i]);
        buf_puts(b, "=\"");
        expfmt_escape_label(b, d->const_values[i], strlen(d->const_values[i]));
        buf_putc(b, '"');
    }
}

/* A family being written, with what its series lines share. */
struct fam_out {
    const struct family_spec *def;
    size_t name_len;            /* of def->name: every line starts with it */
    const struct buf *consts;   /* its constant labels, rendered once */
    const struct buf *names;    /* name=" of each label, rendered once */
    const size_t *name_at;      /* where label i's starts in names; n + 1 */
    char (*les)[EXPFMT_LE_MAX]; /* histograms: each bound as le="..." */
    bool created;      /* OpenMetrics: the series have _created samples */
    size_t family_len; /* of the family's name: _created follows it */
};

/* Writes {labels} for series s, with an optional extra le="..." label. */
static void write_labels(struct buf *b, const struct fam_out *o,
                         const struct series *s, const char *le)
{
    const struct family_spec *d = o->def;
    bool any = false;
    if (!series_is_overflow(s) && d->n_labels == 0 && o->consts->len == 0 &&
        le == NULL)
        return;
    buf_putc(b, '{');
    if (series_is_overflow(s)) {
        buf_puts(b, "tokentail_overflow=\"true\"");
        any = true;
    } else {
        const char *val = s->key;
        for (size_t i = 0; i < d->n_labels; i++) {
            size_t len = strlen(val);
            if (any)
                buf_putc(b, ',');
            buf_append(b, o->names->data + o->name_at[i],
                       o->name_at[i + 1] - o->name_at[i]);
            expfmt_escape_label(b, val, len);
            buf_putc(b, '"');
            any = true;
            val += len + 1;
        }
    }
    if (o->consts->len > 0) {
        if (any)
            buf_putc(b, ',');
        buf_append(b, o->consts->data, o->consts->len);
        any = true;
    }
    if (le != NULL) {
        if (any)
            buf_putc(b, ',');
        buf_puts(b, "le=\"");
        buf_puts(b, le);
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

static void write_value_fixed(struct buf *b, num_fixed v)
{
    char tmp[NUM_FMT_MAX];
    size_t n = num_format(v, tmp);
    buf_putc(b, ' ');
    buf_append(b, tmp, n);
    buf_putc(b, '\n');
}

static void write_value_u64(struct buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = num_format_u64(v, tmp);
    buf_putc(b, ' ');
    buf_append(b, tmp, n);
    buf_putc(b, '\n');
}

/* OpenMetrics: when a counter's or a histogram's series began. */
static void write_created(struct buf *b, const struct fam_out *o,
                          const struct series *s)
{
    if (!o->created || s->created_ms <= 0)
        return;
    buf_append(b, o->def->name, o->family_len);
    buf_puts(b, "_created");
    write_labels(b, o, s, NULL);
    buf_putc(b, ' ');
    expfmt_om_timestamp(b, s->created_ms);
    buf_putc(b, '\n');
}

static void write_series(struct buf *b, const struct fam_out *o,
                         const struct series *s)
{
    const struct family_spec *d = o->def;
    if (d->type != METRIC_HISTOGRAM) {
        buf_append(b, d->name, o->name_len);
        write_labels(b, o, s, NULL);
        write_value_fixed(b, s->value);
        write_created(b, o, s);
        return;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i <= d->n_bounds; i++) {
        cum = i < d->n_bounds ? cum + s->buckets[i] : s->count;
        buf_append(b, d->name, o->name_len);
        buf_puts(b, "_bucket");
        write_labels(b, o, s, i < d->n_bounds ? o->les[i] : "+Inf");
        write_value_u64(b, cum);
    }
    buf_append(b, d->name, o->name_len);
    buf_puts(b, "_sum");
    write_labels(b, o, s, NULL);
    write_value_fixed(b, s->value);
    buf_append(b, d->name, o->name_len);
    buf_puts(b, "_count");
    write_labels(b, o, s, NULL);
    write_value_u64(b, s->count);
    write_created(b, o, s);
}

/* Renders name=" of each label of d into names, label i's starting at
 * at[i]; at has d->n_labels + 1 places. */
static void write_label_names(struct buf *names, size_t *at,
                              const struct family_spec *d)
{
    buf_reset(names);
    for (size_t i = 0; i < d->n_labels; i++) {
        at[i] = names->len;
        buf_puts(names, d->label_names[i]);
        buf_puts(names, "=\"");
    }
    at[d->n_labels] = names->len;
}

/* What a family's lines share, rendered once per family. */
struct shared {
    struct buf consts, names;
};

/* Writes f's lines; false when out of memory. */
static bool write_family(struct buf *out, struct family *f, struct shared *sh,
                         enum expfmt_format fmt)
{
    char les_small[EXPFMT_LES_ON_STACK][EXPFMT_LE_MAX];
    size_t at_small[EXPFMT_LABELS_ON_STACK + 1], *at = at_small;
    struct family_view v;
    struct fam_out o = {.def = &v.def,
                        .consts = &sh->consts,
                        .names = &sh->names,
                        .les = les_small};
    bool ok = true;

    family_view(f, &v);
    o.name_len = strlen(v.def.name);
    o.family_len = expfmt_om_family_len(v.def.name, v.def.type);
    /* A counter without _total is an unknown family there: no _created. */
    o.created = fmt == EXPFMT_OPENMETRICS &&
                (v.def.type == METRIC_HISTOGRAM ||
                 (v.def.type == METRIC_COUNTER && o.family_len < o.name_len));
    size_t n_les = v.def.type == METRIC_HISTOGRAM ? v.def.n_bounds : 0;
    expfmt_header(out, fmt, v.def.name, v.def.type, v.def.help);
    buf_reset(&sh->consts);
    write_const_labels(&sh->consts, &v.def);
    if (v.def.n_labels > EXPFMT_LABELS_ON_STACK &&
        (at = malloc((v.def.n_labels + 1) * sizeof(*at))) == NULL)
        return false;
    write_label_names(&sh->names, at, &v.def);
    o.name_at = at;
    if (n_les > EXPFMT_LES_ON_STACK &&
        (o.les = malloc(n_les * sizeof(*o.les))) == NULL)
        ok = false;
    for (size_t i = 0; ok && i < n_les; i++)
        if (fmt == EXPFMT_OPENMETRICS)
            expfmt_om_bound(v.def.bounds[i], o.les[i]);
        else
            num_format(v.def.bounds[i], o.les[i]);
    for (size_t i = 0; ok && i < v.n_series; i++)
        write_series(out, &o, v.series[i]);
    if (ok && v.overflow != NULL)
        write_series(out, &o, v.overflow);
    if (o.les != les_small)
        free(o.les);
    if (at != at_small)
        free(at);
    return ok && !sh->consts.oom && !sh->names.oom;
}

void expfmt_write_format(struct registry *r, enum expfmt_format fmt,
                         struct buf *out)
{
    struct shared sh = {0};
    size_t n = registry_n_families(r);
    for (size_t i = 0; i < n && !out->oom; i++)
        if (!write_family(out, registry_family(r, i), &sh, fmt))
            out->oom = true;
    buf_free(&sh.consts);
    buf_free(&sh.names);
}

void expfmt_write(struct registry *r, struct buf *out)
{
    expfmt_write_format(r, EXPFMT_TEXT, out);
}
