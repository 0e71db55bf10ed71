#include "field_probe.h"

#include <errno.h>
#include <stdlib.h>

#include "buf.h"
#include "log.h"

struct field_probe {
    const struct config *cfg;
    const char *input;
    const struct cfg_metric **metrics;
    size_t n_metrics;
    int *unseen; /* fields not on any line yet */
    size_t n_unseen;
    bool *wanted; /* by field index: read by one of the metrics */
    size_t lines; /* lines noted */
};

/* --- the fields a metric reads ------------------------------------------ */

/* Calls fn for each field c tests for being there. */
static void cond_fields(const struct cfg_cond *c, void (*fn)(void *, int),
                        void *ctx)
{
    if (c->op == COND_NOT || c->op == COND_ABSENT)
        return;
    if (c->field >= 0)
        fn(ctx, c->field);
    for (size_t i = 0; i < c->n_subs; i++)
        cond_fields(&c->subs[i], fn, ctx);
}

/* Calls fn for each field m reads (a field may come more than once). */
static void metric_fields(const struct cfg_metric *m, void (*fn)(void *, int),
                          void *ctx)
{
    for (size_t i = 0; i < m->n_labels; i++) {
        const struct cfg_label *lab = &m->labels[i];
        if (lab->field >= 0)
            fn(ctx, lab->field);
        for (size_t k = 0; k < lab->n_cases; k++)
            cond_fields(&lab->cases[k].when, fn, ctx);
    }
    for (size_t i = 0; i < m->n_values; i++) {
        const struct cfg_value *v = &m->values[i];
        if (v->field >= 0)
            fn(ctx, v->field);
        if (v->between != NULL) {
            fn(ctx, v->between->from);
            fn(ctx, v->between->to);
        }
    }
    if (m->cost != NULL) {
        const struct cfg_cost *c = m->cost;
        for (int k = 0; k < COST_KINDS; k++)
            if (c->tokens[k] >= 0)
                fn(ctx, c->tokens[k]);
        if (c->model.field >= 0)
            fn(ctx, c->model.field);
        if (c->prefer >= 0)
            fn(ctx, c->prefer);
    }
    if (m->when != NULL)
        cond_fields(m->when, fn, ctx);
}

static void want(void *ctx, int field)
{
    struct field_probe *p = ctx;
    if (!p->wanted[field]) {
        p->wanted[field] = true;
        p->unseen[p->n_unseen++] = field;
    }
}

/* Whether field is among those m reads. */
struct reads {
    int field;
    bool found;
};

static void is_read(void *ctx, int field)
{
    struct reads *r = ctx;
    r->found |= field == r->field;
}

/* --- the probe ------------------------------------------------------------ */

int field_probe_new(const struct config *cfg, const char *input,
                    const struct cfg_metric *const *metrics, size_t n,
                    struct field_probe **out)
{
    struct field_probe *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (p == NULL)
        return -ENOMEM;
    p->cfg = cfg;
    p->input = input;
    p->n_metrics = n;
    p->metrics = calloc(n ? n : 1, sizeof(*p->metrics));
    p->unseen = calloc(cfg->n_fields ? cfg->n_fields : 1, sizeof(*p->unseen));
    p->wanted = calloc(cfg->n_fields ? cfg->n_fields : 1, sizeof(*p->wanted));
    if (p->metrics == NULL || p->unseen == NULL || p->wanted == NULL) {
        field_probe_free(p);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        p->metrics[i] = metrics[i];
        metric_fields(metrics[i], want, p);
    }
    if (p->n_unseen == 0) {
        field_probe_free(p);
        return 0;
    }
    *out = p;
    return 0;
}

/* Logs that field was on none of the lines, and which metrics read it. */
static void report(const struct field_probe *p, int field)
{
    struct buf names = {0};
    size_t n = 0;
    for (size_t i = 0; i < p->n_metrics; i++) {
        struct reads r = {field, false};
        metric_fields(p->metrics[i], is_read, &r);
        if (r.found)
            buf_printf(&names, "%s%s", n++ > 0 ? ", " : "",
                       p->metrics[i]->name);
    }
    log_warn("input %s: no line of the first %zu had the field %s, which "
             "metric%s %s read%s; is its path right?",
             p->input, p->lines, p->cfg->fields[field].path, n > 1 ? "s" : "",
             names.oom ? "?" : names.data, n > 1 ? "" : "s");
    buf_free(&names);
}

bool field_probe_line(struct field_probe *p, const struct fields *fs)
{
    for (size_t i = 0; i < p->n_unseen;) {
        if (fields_get(fs, p->unseen[i]) != NULL)
            p->unseen[i] = p->unseen[--p->n_unseen];
        else
            i++;
    }
    if (++p->lines < FIELD_PROBE_LINES && p->n_unseen > 0)
        return true;
    /* In the order of the configuration's fields, not of the swaps. */
    for (size_t f = 0; f < p->cfg->n_fields; f++)
        for (size_t i = 0; i < p->n_unseen; i++)
            if (p->unseen[i] == (int)f)
                report(p, (int)f);
    return false;
}

void field_probe_free(struct field_probe *p)
{
    if (p == NULL)
        return;
    free(p->metrics);
    free(p->unseen);
    free(p->wanted);
    free(p);
}
