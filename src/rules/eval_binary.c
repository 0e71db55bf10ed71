/*
 * Binary operators: between scalars, between a vector and a scalar, and
 * between two vectors matched one-to-one (arithmetic, comparisons) or as
 * sets (and, or, unless), on or ignoring the labels listed.
 */
#include "eval_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Go's math.Pow, whose result PromQL's ^ is: whole powers by repeated
 * squaring of the mantissa, which glibc's correctly rounded pow() does
 * not always match in the last bit; a fraction through exp and log. */
static double go_pow(double x, double y)
{
    if (y == 0 || x == 1)
        return 1;
    if (y == 1)
        return x;
    if (isnan(x) || isnan(y) || x == 0 || isinf(x) || isinf(y) ||
        fabs(y) == 0.5)
        return pow(x, y); /* the special cases agree with C's */
    double yi, yf = modf(fabs(y), &yi);
    if (yf != 0 && x < 0)
        return NAN;
    if (yi >= 0x1p63)
        return x == -1 ? 1 : (fabs(x) < 1) == (y > 0) ? 0 : INFINITY;
    double a1 = 1;
    int ae = 0;
    if (yf != 0) {
        if (yf > 0.5) {
            yf--;
            yi++;
        }
        a1 = exp(yf * log(x));
    }
    int xe;
    double x1 = frexp(x, &xe);
    for (int64_t i = (int64_t)yi; i != 0; i >>= 1) {
        if (xe < -(1 << 12) || (1 << 12) < xe) {
            ae += xe; /* overflow: ldexp makes it Inf or 0 */
            break;
        }
        if (i & 1) {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe *= 2; /* a left shift of a negative int is undefined in C */
        if (x1 < .5) {
            x1 += x1;
            xe--;
        }
    }
    if (y < 0) {
        a1 = 1 / a1;
        ae = -ae;
    }
    return ldexp(a1, ae);
}

/* The result of l op r, and whether a comparison holds (always true for
 * arithmetic). A comparison's result is l. */
static bool elem_op(enum promql_op op, double l, double r, double *out)
{
    *out = l;
    switch (op) {
    case PROMQL_ADD:
        *out = l + r;
        return true;
    case PROMQL_SUB:
        *out = l - r;
        return true;
    case PROMQL_MUL:
        *out = l * r;
        return true;
    case PROMQL_DIV:
        *out = l / r;
        return true;
    case PROMQL_MOD:
        *out = fmod(l, r);
        return true;
    case PROMQL_POW:
        *out = go_pow(l, r);
        return true;
    case PROMQL_EQL:
        return l == r;
    case PROMQL_NEQ:
        return l != r;
    case PROMQL_GTR:
        return l > r;
    case PROMQL_LSS:
        return l < r;
    case PROMQL_GTE:
        return l >= r;
    case PROMQL_LTE:
        return l <= r;
    case PROMQL_AND:
    case PROMQL_OR:
    case PROMQL_UNLESS:
        break;
    }
    return false;
}

static bool drops_name(enum promql_op op)
{
    return op <= PROMQL_POW; /* the arithmetic operators */
}

static void scalar_scalar(const struct promql_node *n, double l, double r,
                          struct promql_value *out)
{
    double v;
    bool keep = elem_op(n->u.bin.op, l, r, &v);
    out->type = PROMQL_SCALAR;
    out->scalar = promql_op_is_comparison(n->u.bin.op) ? keep : v;
}

/* vec op s, or s op vec when swap; vec is reused for the result. */
static int vector_scalar(struct ev *e, const struct promql_node *n,
                         struct promql_vector *vec, double s, bool swap)
{
    enum promql_op op = n->u.bin.op;
    size_t kept = 0;
    for (size_t i = 0; i < vec->n; i++) {
        struct promql_elem *el = &vec->v[i];
        double l = swap ? s : el->v, r = swap ? el->v : s, v;
        bool keep = elem_op(op, l, r, &v);
        /* A comparison keeps the vector's value, whichever side it is. */
        if (promql_op_is_comparison(op))
            v = el->v;
        if (n->u.bin.bool_mod) {
            v = keep;
            keep = true;
        }
        if (!keep) {
            labels_free(&el->labels);
            continue;
        }
        if (drops_name(op) || n->u.bin.bool_mod)
            labels_del(&el->labels, LABELS_NAME);
        el->v = v;
        vec->v[kept++] = *el;
    }
    vec->n = kept;
    return vec_check_unique(e, vec);
}

/* --- matching ------------------------------------------------------------- */

/* The labels two elements are matched on: the on labels, or every label
 * but the ignoring ones and the metric name. */
static void match_key(struct buf *out, const struct promql_node *n,
                      const struct labels *ls)
{
    const struct promql_names *m = &n->u.bin.matching;
    labels_key(out, ls, (const char *const *)m->v, m->n,
               n->u.bin.on ? LABELS_ONLY : LABELS_ALL_BUT_NAME);
}

static int match_keys(struct keyset *ks, const struct promql_node *n,
                      const struct promql_vector *v)
{
    return keyset_build(ks, v, (const char *const *)n->u.bin.matching.v,
                        n->u.bin.matching.n,
                        n->u.bin.on ? LABELS_ONLY : LABELS_ALL_BUT_NAME);
}

static struct labels result_labels(const struct promql_node *n,
                                   const struct labels *lhs, int *rc)
{
    struct labels out = {0};
    const struct promql_names *m = &n->u.bin.matching;
    *rc = labels_filter(&out, lhs, (const char *const *)m->v, m->n,
                        n->u.bin.on ? LABELS_ONLY : LABELS_ALL_BUT);
    if (drops_name(n->u.bin.op) || n->u.bin.bool_mod)
        labels_del(&out, LABELS_NAME);
    return out;
}

static int check_rhs_unique(struct ev *e, const struct promql_node *n,
                            const struct keyset *rs,
                            const struct promql_vector *rhs)
{
    for (size_t i = 1; i < rs->n; i++) {
        if (!keyent_same(&rs->e[i - 1], &rs->e[i]))
            continue;
        const struct labels *first = &rhs->v[rs->e[i - 1].idx].labels;
        struct labels group;
        struct buf a = {0}, b = {0}, g = {0};
        int rc = labels_filter(&group, first,
                               (const char *const *)n->u.bin.matching.v,
                               n->u.bin.matching.n,
                               n->u.bin.on ? LABELS_ONLY : LABELS_ALL_BUT_NAME);
        if (rc != 0)
            return rc;
        labels_format(&g, &group);
        labels_format(&a, &rhs->v[rs->e[i].idx].labels);
        labels_format(&b, first);
        rc = ev_fail(e,
                     "found duplicate series for the match group %s on the "
                     "right hand-side of the operation: [%s, %s];many-to-many "
                     "matching not allowed: matching labels must be unique on "
                     "one side",
                     g.data ? g.data : "{}", a.data ? a.data : "{}",
                     b.data ? b.data : "{}");
        labels_free(&group);
        buf_free(&a);
        buf_free(&b);
        buf_free(&g);
        return rc;
    }
    return 0;
}

/* Arithmetic and comparisons between vectors, one-to-one. */
static int one_to_one(struct ev *e, const struct promql_node *n,
                      const struct promql_vector *lhs,
                      const struct promql_vector *rhs,
                      struct promql_vector *out)
{
    struct keyset rs;
    struct buf key = {0};
    /* Nothing can match: Prometheus checks nothing either. */
    if (lhs->n == 0 || rhs->n == 0)
        return 0;
    int rc = match_keys(&rs, n, rhs);
    if (rc == 0)
        rc = check_rhs_unique(e, n, &rs, rhs);
    for (size_t i = 0; rc == 0 && i < lhs->n; i++) {
        buf_reset(&key);
        match_key(&key, n, &lhs->v[i].labels);
        struct keyent *r = key.oom ? NULL : keyset_find(&rs, &key);
        if (key.oom)
            rc = -ENOMEM;
        if (r == NULL)
            continue;
        double v;
        bool keep = elem_op(n->u.bin.op, lhs->v[i].v, rhs->v[r->idx].v, &v);
        if (n->u.bin.bool_mod) {
            v = keep;
            keep = true;
        }
        /* A pair a comparison drops does not count as a match. */
        if (!keep)
            continue;
        if (r->used) {
            rc = ev_fail(e, "multiple matches for labels: many-to-one "
                            "matching must be explicit (group_left/"
                            "group_right)");
            break;
        }
        r->used = true;
        struct labels ls = result_labels(n, &lhs->v[i].labels, &rc);
        if (rc == 0)
            rc = vec_push(out, &ls, v);
    }
    buf_free(&key);
    keyset_free(&rs);
    return rc;
}

/* and, or, unless: lhs elements kept by whether rhs has their key; or
 * adds the rhs elements whose key lhs lacks. */
static int set_op(const struct promql_node *n, const struct promql_vector *lhs,
                  const struct promql_vector *rhs, struct promql_vector *out)
{
    enum promql_op op = n->u.bin.op;
    const struct promql_vector *other = op == PROMQL_OR ? lhs : rhs;
    const struct promql_vector *walk = op == PROMQL_OR ? rhs : lhs;
    struct keyset ks;
    struct buf key = {0};
    int rc = match_keys(&ks, n, other);
    for (size_t i = 0; rc == 0 && op == PROMQL_OR && i < lhs->n; i++)
        rc = vec_push_copy(out, &lhs->v[i].labels, false, lhs->v[i].v);
    for (size_t i = 0; rc == 0 && i < walk->n; i++) {
        buf_reset(&key);
        match_key(&key, n, &walk->v[i].labels);
        if (key.oom) {
            rc = -ENOMEM;
            break;
        }
        bool found = keyset_find(&ks, &key) != NULL;
        if (found == (op == PROMQL_AND))
            rc = vec_push_copy(out, &walk->v[i].labels, false, walk->v[i].v);
    }
    buf_free(&key);
    keyset_free(&ks);
    return rc;
}

int ev_binary(struct ev *e, const struct promql_node *n,
              struct promql_value *out)
{
    struct promql_value l, r;
    int rc = ev_node(e, n->u.bin.lhs, &l);
    if (rc != 0)
        return rc;
    if ((rc = ev_node(e, n->u.bin.rhs, &r)) != 0) {
        promql_value_free(&l);
        return rc;
    }
    if (l.type == PROMQL_SCALAR && r.type == PROMQL_SCALAR) {
        scalar_scalar(n, l.scalar, r.scalar, out);
    } else if (r.type == PROMQL_SCALAR) {
        out->vec = l.vec;
        l.vec = (struct promql_vector){0};
        rc = vector_scalar(e, n, &out->vec, r.scalar, false);
    } else if (l.type == PROMQL_SCALAR) {
        out->vec = r.vec;
        r.vec = (struct promql_vector){0};
        rc = vector_scalar(e, n, &out->vec, l.scalar, true);
    } else if (promql_op_is_set(n->u.bin.op)) {
        rc = set_op(n, &l.vec, &r.vec, &out->vec);
    } else {
        rc = one_to_one(e, n, &l.vec, &r.vec, &out->vec);
        if (rc == 0)
            rc = vec_check_unique(e, &out->vec);
    }
    promql_value_free(&l);
    promql_value_free(&r);
    return rc;
}
