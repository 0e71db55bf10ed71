/*
 * Functions: rate, increase, delta and irate with Prometheus'
 * extrapolation, the *_over_time family, histogram_quantile, absent, and
 * the scalar helpers.
 */
#include "eval_private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How far past the first and last sample rate extrapolates, at most, in
 * average intervals between samples. */
#define EXTRAPOLATION_LIMIT 1.1
#define MS_PER_S            1000.0 /* milliseconds in a second */

struct range_call {
    struct ev *e;
    const struct promql_node *call, *sel;
    struct promql_vector *out;
};

/* Prometheus' extrapolatedRate: the increase over the window, scaled out
 * to the window's edges when the samples come close enough to them;
 * counters have their resets added back and are never extrapolated
 * below zero. */
static bool extrapolated(const struct range_call *rc,
                         const struct promql_sample *s, size_t n, bool counter,
                         bool per_second, double *out)
{
    int64_t end = rc->e->t_ms - rc->sel->u.sel.offset_ms;
    int64_t start = end - rc->sel->u.sel.range_ms;
    if (n < 2)
        return false;
    double result = s[n - 1].v - s[0].v;
    if (counter) {
        double last = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i].v < last)
                result += last;
            last = s[i].v;
        }
    }
    double to_start = (double)(s[0].t_ms - start) / MS_PER_S;
    double to_end = (double)(end - s[n - 1].t_ms) / MS_PER_S;
    double sampled = (double)(s[n - 1].t_ms - s[0].t_ms) / MS_PER_S;
    double avg_step = sampled / (double)(n - 1);
    if (counter && result > 0 && s[0].v >= 0) {
        double to_zero = sampled * (s[0].v / result);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    double threshold = avg_step * EXTRAPOLATION_LIMIT;
    double interval = sampled;
    interval += to_start < threshold ? to_start : avg_step / 2;
    interval += to_end < threshold ? to_end : avg_step / 2;
    /* One factor, as Prometheus computes it, so the last digit agrees. */
    double factor = interval / sampled;
    if (per_second)
        factor /= (double)rc->sel->u.sel.range_ms / MS_PER_S;
    *out = result * factor;
    return true;
}

/* irate: the last two samples' slope, a drop taken as a counter reset. */
static bool instant_rate(const struct promql_sample *s, size_t n, double *out)
{
    if (n < 2)
        return false;
    const struct promql_sample *last = &s[n - 1], *prev = &s[n - 2];
    double v = last->v < prev->v ? last->v : last->v - prev->v;
    int64_t dt = last->t_ms - prev->t_ms;
    if (dt == 0)
        return false;
    *out = v / ((double)dt / MS_PER_S);
    return true;
}

/* Neumaier's compensated addition of inc to *sum, the lost low part
 * gathered in *c: Prometheus sums over time this way. */
static void kahan_add(double inc, double *sum, double *c)
{
    double t = *sum + inc;
    if (fabs(*sum) >= fabs(inc))
        *c += (*sum - t) + inc;
    else
        *c += (inc - t) + *sum;
    *sum = t;
}

static double sum_over(const struct promql_sample *s, size_t n)
{
    double sum = 0, c = 0;
    for (size_t i = 0; i < n; i++)
        kahan_add(s[i].v, &sum, &c);
    return isinf(sum) ? sum : sum + c;
}

/* An incremental mean, compensated; an infinite mean stays put unless
 * a value is its opposite or NaN. */
static double avg_over(const struct promql_sample *s, size_t n)
{
    double mean = 0, count = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        count++;
        if (isinf(mean)) {
            if (isinf(s[i].v) && (mean > 0) == (s[i].v > 0))
                continue;
            if (!isinf(s[i].v) && !isnan(s[i].v))
                continue;
        }
        kahan_add(s[i].v / count - mean / count, &mean, &c);
    }
    return isinf(mean) ? mean : mean + c;
}

static double extreme_over(const struct promql_sample *s, size_t n, bool max)
{
    double v = s[0].v;
    for (size_t i = 0; i < n; i++)
        if ((max ? v < s[i].v : v > s[i].v) || isnan(v))
            v = s[i].v;
    return v;
}

static int range_series(void *arg, const struct labels *ls,
                        const struct promql_sample *s, size_t n)
{
    const struct range_call *rc = arg;
    double v = 0;
    bool ok = true;
    switch (rc->call->u.call.func) {
    case PROMQL_FN_RATE:
        ok = extrapolated(rc, s, n, true, true, &v);
        break;
    case PROMQL_FN_INCREASE:
        ok = extrapolated(rc, s, n, true, false, &v);
        break;
    case PROMQL_FN_DELTA:
        ok = extrapolated(rc, s, n, false, false, &v);
        break;
    case PROMQL_FN_IRATE:
        ok = instant_rate(s, n, &v);
        break;
    case PROMQL_FN_AVG_OVER_TIME:
        v = avg_over(s, n);
        break;
    case PROMQL_FN_MIN_OVER_TIME:
    case PROMQL_FN_MAX_OVER_TIME:
        v = extreme_over(s, n,
                         rc->call->u.call.func == PROMQL_FN_MAX_OVER_TIME);
        break;
    case PROMQL_FN_SUM_OVER_TIME:
        v = sum_over(s, n);
        break;
    case PROMQL_FN_COUNT_OVER_TIME:
        v = (double)n;
        break;
    default:
        ok = false;
    }
    return ok ? vec_push_copy(rc->out, ls, true, v) : 0;
}

/* --- histogram_quantile --------------------------------------------------- */

struct bucket {
    double upper, count;
};

static int bucket_cmp(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    return (x->upper > y->upper) - (x->upper < y->upper);
}

/* Prometheus' bucketQuantile: linear interpolation inside the bucket the
 * rank falls in, after merging equal bounds and forcing the counts to
 * rise. */
static double bucket_quantile(double q, struct bucket *b, size_t n)
{
    if (isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(b, n, sizeof(*b), bucket_cmp);
    if (!isinf(b[n - 1].upper) || b[n - 1].upper < 0)
        return NAN;
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (b[i].upper == b[m].upper)
            b[m].count += b[i].count;
        else
            b[++m] = b[i];
    }
    n = m + 1;
    double max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (b[i].count > max)
            max = b[i].count;
        else if (b[i].count < max)
            b[i].count = max;
    }
    if (n < 2)
        return NAN;
    double observations = b[n - 1].count;
    if (observations == 0)
        return NAN;
    double rank = q * observations;
    size_t k = 0;
    while (k < n - 1 && !(b[k].count >= rank))
        k++;
    if (k == n - 1)
        return b[n - 2].upper;
    if (k == 0 && b[0].upper <= 0)
        return b[0].upper;
    double start = 0, end = b[k].upper, count = b[k].count;
    if (k > 0) {
        start = b[k - 1].upper;
        count -= b[k - 1].count;
        rank -= b[k - 1].count;
    }
    return start + (end - start) * (rank / count);
}

/* Reads an le label as Go's ParseFloat would; false when it is none. */
static bool parse_le(const char *s, double *out)
{
    char *end;
    if (s == NULL || s[0] == '\0')
        return false;
    *out = strtod(s, &end);
    return *end == '\0';
}

static int histogram_quantile(double q, const struct promql_vector *in,
                              struct promql_vector *out)
{
    static const char *const drop[] = {"le"};
    struct keyset ks;
    if (in->n == 0)
        return 0;
    struct bucket *b = calloc(in->n, sizeof(*b));
    if (b == NULL)
        return -ENOMEM;
    int rc = keyset_build(&ks, in, drop, 1, LABELS_ALL_BUT_NAME);
    for (size_t i = 0; rc == 0 && i < ks.n;) {
        size_t j = i, nb = 0;
        for (; j < ks.n && keyent_same(&ks.e[i], &ks.e[j]); j++) {
            const struct promql_elem *el = &in->v[ks.e[j].idx];
            if (parse_le(labels_get(&el->labels, "le"), &b[nb].upper))
                b[nb++].count = el->v;
        }
        if (nb > 0) {
            struct labels ls;
            rc = labels_filter(&ls, &in->v[ks.e[i].idx].labels, drop, 1,
                               LABELS_ALL_BUT_NAME);
            if (rc == 0)
                rc = vec_push(out, &ls, bucket_quantile(q, b, nb));
        }
        i = j;
    }
    keyset_free(&ks);
    free(b);
    return rc;
}

/* --- absent and the element-wise functions -------------------------------- */

/* absent's labels: those its selector fixes with =, as Prometheus
 * builds them — a label matched any other way, or twice, is left out. */
static int absent_labels(const struct promql_node *arg, struct labels *ls)
{
    if (arg == NULL || arg->kind != PROMQL_SELECTOR)
        return 0;
    const struct promql_matcher *m = arg->u.sel.matchers;
    size_t n = arg->u.sel.n_matchers;
    bool *drop = calloc(n, sizeof(*drop));
    int rc = drop == NULL ? -ENOMEM : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(m[i].name, LABELS_NAME) == 0)
            continue;
        if (m[i].type == PROMQL_MATCH_EQ && labels_get(ls, m[i].name) == NULL)
            rc = labels_set(ls, m[i].name, m[i].value);
        else
            drop[i] = true;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        if (drop[i])
            labels_del(ls, m[i].name);
    free(drop);
    return rc;
}

static double elementwise(enum promql_func f, double v, double arg)
{
    switch (f) {
    case PROMQL_FN_CLAMP_MIN:
        return ev_go_max(v, arg);
    case PROMQL_FN_CLAMP_MAX:
        return ev_go_min(v, arg);
    default:
        return fabs(v);
    }
}

/* Functions of instant vectors and scalars; args already evaluated. */
static int vector_call(struct ev *e, const struct promql_node *n,
                       struct promql_value *a, struct promql_value *out)
{
    enum promql_func f = n->u.call.func;
    struct labels ls = {0};
    int rc = 0;
    switch (f) {
    case PROMQL_FN_HISTOGRAM_QUANTILE:
        rc = histogram_quantile(a[0].scalar, &a[1].vec, &out->vec);
        break;
    case PROMQL_FN_ABSENT:
        if (a[0].vec.n == 0 &&
            (rc = absent_labels(promql_unparen(n->u.call.args[0]), &ls)) == 0)
            rc = vec_push(&out->vec, &ls, 1);
        break;
    case PROMQL_FN_VECTOR:
        rc = vec_push(&out->vec, &ls, a[0].scalar);
        break;
    case PROMQL_FN_SCALAR:
        out->type = PROMQL_SCALAR;
        out->scalar = a[0].vec.n == 1 ? a[0].vec.v[0].v : NAN;
        break;
    default:
        out->vec = a[0].vec;
        a[0].vec = (struct promql_vector){0};
        for (size_t i = 0; i < out->vec.n; i++) {
            struct promql_elem *el = &out->vec.v[i];
            el->v = elementwise(f, el->v, a[1].scalar);
            labels_del(&el->labels, LABELS_NAME);
        }
    }
    return rc ? rc : vec_check_unique(e, &out->vec);
}

#define CALL_ARGS_MAX 2

int ev_call(struct ev *e, const struct promql_node *n, struct promql_value *out)
{
    const struct promql_node *arg0 =
        promql_unparen(n->u.call.n_args ? n->u.call.args[0] : NULL);
    if (n->u.call.func == PROMQL_FN_TIME) {
        out->type = PROMQL_SCALAR;
        out->scalar = (double)e->t_ms / MS_PER_S;
        return 0;
    }
    if (arg0 != NULL && arg0->type == PROMQL_MATRIX) {
        struct range_call rc = {e, n, arg0, &out->vec};
        int r = ev_range(e, arg0, range_series, &rc);
        return r ? r : vec_check_unique(e, &out->vec);
    }
    struct promql_value a[CALL_ARGS_MAX];
    memset(a, 0, sizeof(a));
    int rc = 0;
    for (size_t i = 0; i < n->u.call.n_args && rc == 0; i++)
        rc = ev_node(e, n->u.call.args[i], &a[i]);
    if (rc == 0)
        rc = vector_call(e, n, a, out);
    for (size_t i = 0; i < CALL_ARGS_MAX; i++)
        promql_value_free(&a[i]);
    return rc;
}
