#include "expfmt.h"

#include <stdlib.h>
#include <string.h>

#include "num.h"

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

/* Appends the constant labels of f: a="x",b="y" (nothing when none). */
static void write_const_labels(struct buf *b, const struct family *f)
{
    for (size_t i = 0; i < f->n_const; i++) {
        if (i > 0)
            buf_putc(b, ',');
        buf_puts(b, f->const_names[i]);
        buf_puts(b, "=\"");
        expfmt_escape_label(b, f->const_values[i], strlen(f->const_values[i]));
        buf_putc(b, '"');
    }
}

/* A family being written, with what its series lines share. */
struct fam_out {
    const struct family *f;
    const struct buf *consts; /* its constant labels, rendered once */
    char (*les)[NUM_FMT_MAX]; /* histograms: each bound as le="..." */
};

/* Writes {labels} for series s, with an optional extra le="..." label. */
static void write_labels(struct buf *b, const struct fam_out *o,
                         const struct series *s, const char *le)
{
    const struct family *f = o->f;
    bool any = false;
    if (s != f->overflow && f->n_labels == 0 && o->consts->len == 0 &&
        le == NULL)
        return;
    buf_putc(b, '{');
    if (s == f->overflow) {
        buf_puts(b, "tokentail_overflow=\"true\"");
        any = true;
    } else {
        const char *v = s->key;
        for (size_t i = 0; i < f->n_labels; i++) {
            size_t len = strlen(v);
            if (any)
                buf_putc(b, ',');
            buf_puts(b, f->label_names[i]);
            buf_puts(b, "=\"");
            expfmt_escape_label(b, v, len);
            buf_putc(b, '"');
            any = true;
            v += len + 1;
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

static void write_series(struct buf *b, const struct fam_out *o,
                         const struct series *s)
{
    const struct family *f = o->f;
    if (f->type != METRIC_HISTOGRAM) {
        buf_puts(b, f->name);
        write_labels(b, o, s, NULL);
        write_value_fixed(b, s->value);
        return;
    }
    uint64_t cum = 0;
    for (size_t i = 0; i <= f->n_bounds; i++) {
        cum = i < f->n_bounds ? cum + s->buckets[i] : s->count;
        buf_puts(b, f->name);
        buf_puts(b, "_bucket");
        write_labels(b, o, s, i < f->n_bounds ? o->les[i] : "+Inf");
        write_value_u64(b, cum);
    }
    buf_puts(b, f->name);
    buf_puts(b, "_sum");
    write_labels(b, o, s, NULL);
    write_value_fixed(b, s->value);
    buf_puts(b, f->name);
    buf_puts(b, "_count");
    write_labels(b, o, s, NULL);
    write_value_u64(b, s->count);
}

static void write_header(struct buf *out, const struct family *f)
{
    buf_puts(out, "# HELP ");
    buf_puts(out, f->name);
    buf_putc(out, ' ');
    expfmt_escape_help(out, f->help);
    buf_puts(out, "\n# TYPE ");
    buf_puts(out, f->name);
    buf_putc(out, ' ');
    buf_puts(out, metric_type_name(f->type));
    buf_putc(out, '\n');
}

/* Writes f's lines; false when out of memory. */
static bool write_family(struct buf *out, struct family *f, struct buf *consts)
{
    char les_small[16][NUM_FMT_MAX];
    struct fam_out o = {.f = f, .consts = consts, .les = les_small};
    size_t n_les = f->type == METRIC_HISTOGRAM ? f->n_bounds : 0;

    write_header(out, f);
    buf_reset(consts);
    write_const_labels(consts, f);
    if (n_les > 16 && (o.les = malloc(n_les * sizeof(*o.les))) == NULL)
        return false;
    for (size_t i = 0; i < n_les; i++)
        num_format(f->bounds[i], o.les[i]);
    family_sort(f);
    for (size_t i = 0; i < f->n_series; i++)
        write_series(out, &o, f->order[i]);
    if (f->overflow != NULL)
        write_series(out, &o, f->overflow);
    if (o.les != les_small)
        free(o.les);
    return !consts->oom;
}

void expfmt_write(struct registry *r, struct buf *out)
{
    struct buf consts = {0};
    for (size_t fi = 0; fi < r->n_fams && !out->oom; fi++)
        if (!write_family(out, r->fams[fi], &consts))
            out->oom = true;
    buf_free(&consts);
}
