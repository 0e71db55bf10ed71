/*
 * The evaluator's core: the walk over the tree, selectors, signs, and the
 * vectors every node returns.
 */
#include "eval_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool promql_is_stale(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return bits == PROMQL_STALE_BITS;
}

double promql_stale(void)
{
    uint64_t bits = PROMQL_STALE_BITS;
    double v;
    memcpy(&v, &bits, sizeof(v));
    return v;
}

size_t promql_first_at(const struct promql_sample *s, size_t n, int64_t t_ms)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].t_ms < t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int ev_fail(struct ev *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, PROMQL_ERR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

#define VEC_MIN 8 /* elements, at first */

int vec_push(struct promql_vector *v, struct labels *ls, double val)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : VEC_MIN;
        struct promql_elem *grown = realloc(v->v, cap * sizeof(*grown));
        if (grown == NULL) {
            labels_free(ls);
            return -ENOMEM;
        }
        v->v = grown;
        v->cap = cap;
    }
    v->v[v->n].labels = *ls;
    v->v[v->n].v = val;
    v->n++;
    ls->v = NULL;
    ls->n = 0;
    return 0;
}

int vec_push_copy(struct promql_vector *v, const struct labels *ls,
                  bool drop_name, double val)
{
    static const char *const name[] = {LABELS_NAME};
    struct labels copy;
    int rc = labels_filter(&copy, ls, name, drop_name ? 1 : 0, LABELS_ALL_BUT);
    return rc ? rc : vec_push(v, &copy, val);
}

void vec_free(struct promql_vector *v)
{
    for (size_t i = 0; i < v->n; i++)
        labels_free(&v->v[i].labels);
    free(v->v);
    v->v = NULL;
    v->n = v->cap = 0;
}

void promql_value_free(struct promql_value *v)
{
    if (v != NULL)
        vec_free(&v->vec);
}

static int elem_cmp(const void *a, const void *b)
{
    const struct promql_elem *x = *(const struct promql_elem *const *)a;
    const struct promql_elem *y = *(const struct promql_elem *const *)b;
    return labels_cmp(&x->labels, &y->labels);
}

int vec_check_unique(struct ev *e, const struct promql_vector *v)
{
    if (v->n < 2)
        return 0;
    const struct promql_elem **order = malloc(v->n * sizeof(*order));
    if (order == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < v->n; i++)
        order[i] = &v->v[i];
    qsort(order, v->n, sizeof(*order), elem_cmp);
    int rc = 0;
    for (size_t i = 1; i < v->n && rc == 0; i++)
        if (labels_cmp(&order[i - 1]->labels, &order[i]->labels) == 0)
            rc = ev_fail(e, "vector cannot contain metrics with the same "
                            "labelset");
    free(order);
    return rc;
}

double ev_go_max(double a, double b)
{
    if (isinf(a) > 0 || isinf(b) > 0) /* +Inf wins even over NaN */
        return INFINITY;
    if (isnan(a) || isnan(b))
        return NAN;
    return a > b ? a : b;
}

double ev_go_min(double a, double b)
{
    if ((isinf(a) && a < 0) || (isinf(b) && b < 0))
        return -INFINITY;
    if (isnan(a) || isnan(b))
        return NAN;
    return a < b ? a : b;
}

/* --- keys ----------------------------------------------------------------- */

static int key_only_cmp(const struct keyent *x, const struct keyent *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->key, y->key, n) : 0;
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

bool keyent_same(const struct keyent *a, const struct keyent *b)
{
    return key_only_cmp(a, b) == 0;
}

int keyent_cmp(const void *a, const void *b)
{
    const struct keyent *x = a, *y = b;
    int c = key_only_cmp(x, y);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

int keyset_build(struct keyset *ks, const struct promql_vector *v,
                 const char *const *names, size_t n, enum labels_pick pick)
{
    memset(ks, 0, sizeof(*ks));
    if (v->n == 0)
        return 0;
    ks->e = calloc(v->n, sizeof(*ks->e));
    size_t *at = calloc(v->n, sizeof(*at));
    if (ks->e == NULL || at == NULL) {
        free(at);
        return -ENOMEM;
    }
    for (size_t i = 0; i < v->n; i++) {
        at[i] = ks->text.len;
        labels_key(&ks->text, &v->v[i].labels, names, n, pick);
        ks->e[i].len = ks->text.len - at[i];
        ks->e[i].idx = i;
    }
    /* The text moved while it grew: point into it only now. */
    for (size_t i = 0; i < v->n && !ks->text.oom; i++)
        ks->e[i].key = ks->text.data ? ks->text.data + at[i] : "";
    free(at);
    if (ks->text.oom)
        return -ENOMEM;
    ks->n = v->n;
    qsort(ks->e, ks->n, sizeof(*ks->e), keyent_cmp);
    return 0;
}

void keyset_free(struct keyset *ks)
{
    buf_free(&ks->text);
    free(ks->e);
}

struct keyent *keyset_find(const struct keyset *ks, const struct buf *k)
{
    struct keyent probe = {k->data ? k->data : "", k->len, 0, false};
    size_t lo = 0, hi = ks->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_only_cmp(&ks->e[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ks->n && key_only_cmp(&ks->e[lo], &probe) == 0 ? &ks->e[lo]
                                                               : NULL;
}

/* --- selectors ------------------------------------------------------------ */

/* An instant selector keeps each series' latest sample in the lookback
 * window, unless that sample is a staleness marker. */
static int take_latest(void *arg, const struct labels *ls,
                       const struct promql_sample *s, size_t n)
{
    if (n == 0 || promql_is_stale(s[n - 1].v))
        return 0;
    return vec_push_copy(arg, ls, false, s[n - 1].v);
}

static int ev_instant(struct ev *e, const struct promql_node *n,
                      struct promql_value *out)
{
    int64_t to = e->t_ms - n->u.sel.offset_ms;
    out->type = PROMQL_VECTOR;
    return e->src->select(e->src->ctx, n->u.sel.matchers, n->u.sel.n_matchers,
                          to - PROMQL_LOOKBACK_MS, to, take_latest, &out->vec);
}

struct range_walk {
    ev_series_fn fn;
    void *arg;
    struct promql_sample *buf; /* the samples without stale markers */
    size_t cap;
};

static int range_series(void *arg, const struct labels *ls,
                        const struct promql_sample *s, size_t n)
{
    struct range_walk *w = arg;
    if (n > w->cap) {
        struct promql_sample *b = realloc(w->buf, n * sizeof(*b));
        if (b == NULL)
            return -ENOMEM;
        w->buf = b;
        w->cap = n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!promql_is_stale(s[i].v))
            w->buf[k++] = s[i];
    return k == 0 ? 0 : w->fn(w->arg, ls, w->buf, k);
}

int ev_range(struct ev *e, const struct promql_node *sel, ev_series_fn fn,
             void *arg)
{
    struct range_walk w = {fn, arg, NULL, 0};
    int64_t to = e->t_ms - sel->u.sel.offset_ms;
    int rc =
        e->src->select(e->src->ctx, sel->u.sel.matchers, sel->u.sel.n_matchers,
                       to - sel->u.sel.range_ms, to, range_series, &w);
    free(w.buf);
    return rc;
}

/* --- the walk ------------------------------------------------------------- */

static int ev_unary(struct ev *e, const struct promql_node *n,
                    struct promql_value *out)
{
    int rc = ev_node(e, n->u.unary.arg, out);
    if (rc != 0 || n->u.unary.op == PROMQL_ADD)
        return rc;
    if (out->type == PROMQL_SCALAR) {
        out->scalar = -out->scalar;
        return 0;
    }
    for (size_t i = 0; i < out->vec.n; i++) {
        out->vec.v[i].v = -out->vec.v[i].v;
        labels_del(&out->vec.v[i].labels, LABELS_NAME);
    }
    return vec_check_unique(e, &out->vec);
}

static int dispatch(struct ev *e, const struct promql_node *n,
                    struct promql_value *out)
{
    switch (n->kind) {
    case PROMQL_NUMBER:
        out->type = PROMQL_SCALAR;
        out->scalar = n->u.number;
        return 0;
    case PROMQL_SELECTOR:
        if (n->u.sel.range_ms > 0)
            break;
        return ev_instant(e, n, out);
    case PROMQL_CALL:
        return ev_call(e, n, out);
    case PROMQL_AGGREGATE:
        return ev_aggregate(e, n, out);
    case PROMQL_BINARY:
        return ev_binary(e, n, out);
    case PROMQL_UNARY:
        return ev_unary(e, n, out);
    case PROMQL_PAREN:
        return ev_node(e, n->u.unary.arg, out);
    case PROMQL_STRING_LIT:
        break;
    }
    return ev_fail(e, "only scalars and instant vectors can be evaluated");
}

int ev_node(struct ev *e, const struct promql_node *n, struct promql_value *out)
{
    memset(out, 0, sizeof(*out));
    out->type = PROMQL_VECTOR;
    int rc = dispatch(e, n, out);
    /* What a failed node had made so far goes with it. */
    if (rc != 0)
        promql_value_free(out);
    return rc;
}

int promql_eval(const struct promql_node *expr, const struct promql_source *src,
                int64_t t_ms, struct promql_value *out, char *err)
{
    struct ev e = {src, t_ms, err};
    err[0] = '\0';
    int rc = ev_node(&e, expr, out);
    if (rc != 0) {
        promql_value_free(out);
        if (rc == -ENOMEM)
            snprintf(err, PROMQL_ERR_MAX, "out of memory");
    }
    return rc;
}
