/*
 * Series in memory, kept sorted by their labels, as Prometheus' storage
 * returns them, so that sums add in the same order.
 */
#include "series.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERIES_MIN        8   /* room for series, at first */
#define SAMPLES_MIN       16  /* room for a series' samples, at first */
#define SERIES_REPEAT_MAX 1e7 /* steps one word of the notation may cover */

struct one_series {
    struct labels labels;
    struct promql_sample *s;
    size_t n, cap;
};

struct series_set {
    struct one_series *v;
    size_t n, cap;
};

int series_set_new(struct series_set **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void series_set_free(struct series_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->n; i++) {
        labels_free(&set->v[i].labels);
        free(set->v[i].s);
    }
    free(set->v);
    free(set);
}

/* The series labelled ls, created in its place when new; NULL on
 * -ENOMEM. */
static struct one_series *find_or_add(struct series_set *set,
                                      const struct labels *ls)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = labels_cmp(&set->v[mid].labels, ls);
        if (c == 0)
            return &set->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : SERIES_MIN;
        struct one_series *v = realloc(set->v, cap * sizeof(*v));
        if (v == NULL)
            return NULL;
        set->v = v;
        set->cap = cap;
    }
    struct one_series fresh = {0};
    if (labels_copy(&fresh.labels, ls) != 0)
        return NULL;
    memmove(set->v + lo + 1, set->v + lo, (set->n - lo) * sizeof(*set->v));
    set->v[lo] = fresh;
    set->n++;
    return &set->v[lo];
}

int series_set_add(struct series_set *set, const struct labels *ls,
                   const struct promql_sample *s, size_t n)
{
    struct one_series *one = find_or_add(set, ls);
    if (one == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int64_t last = one->n ? one->s[one->n - 1].t_ms : INT64_MIN;
        if (s[i].t_ms <= last)
            return -EINVAL;
        if (one->n == one->cap) {
            size_t cap = one->cap ? one->cap * 2 : SAMPLES_MIN;
            struct promql_sample *g = realloc(one->s, cap * sizeof(*g));
            if (g == NULL)
                return -ENOMEM;
            one->s = g;
            one->cap = cap;
        }
        one->s[one->n++] = s[i];
    }
    return 0;
}

static int set_select(void *ctx, const struct promql_matcher *m, size_t n,
                      int64_t from_ms, int64_t to_ms, promql_emit_fn emit,
                      void *arg)
{
    const struct series_set *set = ctx;
    for (size_t i = 0; i < set->n; i++) {
        const struct one_series *one = &set->v[i];
        if (!promql_matchers_match(m, n, &one->labels))
            continue;
        size_t a = promql_first_at(one->s, one->n, from_ms),
               b = promql_first_at(one->s, one->n, to_ms + 1);
        if (b <= a)
            continue;
        int rc = emit(arg, &one->labels, one->s + a, b - a);
        if (rc != 0)
            return rc;
    }
    return 0;
}

struct promql_source series_set_source(struct series_set *set)
{
    struct promql_source src = {set_select, set};
    return src;
}

/* --- texts ----------------------------------------------------------- */

int series_parse_labels(const char *text, struct labels *out, char *err)
{
    out->v = NULL;
    out->n = 0;
    size_t len = strlen(text);
    while (len > 0 && strchr(" \t\n", text[len - 1]) != NULL)
        len--;
    while (len > 0 && strchr(" \t\n", text[0]) != NULL) {
        text++;
        len--;
    }
    if (len == 2 && text[0] == '{' && text[1] == '}')
        return 0;
    struct promql_node *n;
    char why[PROMQL_ERR_MAX];
    size_t pos;
    int rc = promql_parse(text, len, &n, why, &pos);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        snprintf(err, SERIES_ERR_MAX, "%s at column %zu", why, pos + 1);
        return rc;
    }
    if (n->kind != PROMQL_SELECTOR || n->u.sel.range_ms != 0 ||
        n->u.sel.offset_ms != 0) {
        snprintf(err, SERIES_ERR_MAX, "a series is a name and labels");
        promql_free(n);
        return -EINVAL;
    }
    for (size_t i = 0; i < n->u.sel.n_matchers && rc == 0; i++) {
        const struct promql_matcher *m = &n->u.sel.matchers[i];
        if (m->type != PROMQL_MATCH_EQ) {
            snprintf(err, SERIES_ERR_MAX,
                     "a series' label %s takes =", m->name);
            rc = -EINVAL;
        } else {
            rc = labels_set(out, m->name, m->value);
        }
    }
    promql_free(n);
    if (rc != 0)
        labels_free(out);
    return rc;
}

/* Reads a whole number or a float; false when word is neither. */
static bool read_number(const char *word, size_t len, double *out)
{
    char text[64], *end;
    if (len == 0 || len >= sizeof(text))
        return false;
    memcpy(text, word, len);
    text[len] = '\0';
    *out = strtod(text, &end);
    return *end == '\0';
}

/*
 * One word of the notation: "_", "_xN", "stale", "V", "VxN", "V+DxN" or
 * "V-DxN". Sets how many steps it covers, its first value, the step
 * increment, and whether the steps hold samples.
 */
static bool read_word(const char *w, size_t len, size_t *steps, double *first,
                      double *inc, bool *present)
{
    const char *x = memchr(w, 'x', len);
    size_t head = x ? (size_t)(x - w) : len;
    *steps = 1;
    *inc = 0;
    *present = !(head == 1 && w[0] == '_');
    if (x != NULL) {
        double count;
        if (!read_number(x + 1, len - head - 1, &count) || count < 0 ||
            count != floor(count) || count > SERIES_REPEAT_MAX)
            return false;
        *steps = (size_t)count + (*present ? 1 : 0);
    }
    if (!*present)
        return true;
    if (head == 5 && memcmp(w, "stale", 5) == 0 && x == NULL) {
        *first = promql_stale();
        return true;
    }
    /* A sign after the first character, not after an exponent's e,
     * starts the increment. */
    for (size_t i = 1; x != NULL && i < head; i++)
        if ((w[i] == '+' || w[i] == '-') && w[i - 1] != 'e' &&
            w[i - 1] != 'E') {
            return read_number(w, i, first) &&
                   read_number(w + i + 1, head - i - 1, inc) &&
                   ((*inc = w[i] == '-' ? -*inc : *inc), true);
        }
    return read_number(w, head, first);
}

int series_expand(const char *text, int64_t start_ms, int64_t step_ms,
                  struct promql_sample **out, size_t *n, char *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0, step = 0;
    for (const char *p = text; *p != '\0';) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (len == 0)
            break;
        size_t steps;
        double v, inc;
        bool present;
        if (!read_word(p, len, &steps, &v, &inc, &present)) {
            snprintf(err, SERIES_ERR_MAX, "bad value \"%.*s\"", (int)len, p);
            free(*out);
            *out = NULL;
            *n = 0;
            return -EINVAL;
        }
        for (size_t k = 0; present && k < steps; k++) {
            if (*n == cap) {
                cap = cap ? cap * 2 : SAMPLES_MIN;
                struct promql_sample *g = realloc(*out, cap * sizeof(*g));
                if (g == NULL) {
                    free(*out);
                    *out = NULL;
                    *n = 0;
                    return -ENOMEM;
                }
                *out = g;
            }
            (*out)[(*n)++] = (struct promql_sample){
                start_ms + (int64_t)(step + k) * step_ms, v};
            v += inc; /* added up, not multiplied, as promtool does */
        }
        step += steps;
        p += len;
    }
    return 0;
}
