/*
 * Alert states, advanced as Prometheus' AlertingRule.Eval advances them.
 */
#include "alert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static const char *const state_names[] = {"inactive", "pending", "firing"};

const char *alert_state_name(enum alert_state s)
{
    return state_names[s];
}

void alert_rule_init(struct alert_rule *ar, const struct rule_alert *rule)
{
    memset(ar, 0, sizeof(*ar));
    ar->rule = rule;
}

static void alert_free(struct alert *a)
{
    labels_free(&a->labels);
    labels_free(&a->annotations);
}

void alert_rule_clear(struct alert_rule *ar)
{
    for (size_t i = 0; i < ar->n; i++)
        alert_free(&ar->v[i]);
    free(ar->v);
    ar->v = NULL;
    ar->n = ar->cap = 0;
}

/* Expands templates (n of them) into set, for a series and its value. */
static int expand_all(const struct label *t, size_t n,
                      const struct template_data *d, struct labels *set,
                      char *err)
{
    for (size_t i = 0; i < n; i++) {
        struct buf out = {0};
        char why[TEMPLATE_ERR_MAX];
        int rc = template_expand(t[i].value, d, &out, why);
        if (rc == 0 && out.oom)
            rc = -ENOMEM;
        if (rc == 0)
            rc = labels_set(set, t[i].name, out.data ? out.data : "");
        buf_free(&out);
        if (rc == -EINVAL)
            snprintf(err, PROMQL_ERR_MAX, "%.40s: %.100s", t[i].name, why);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The alert an element of the result makes, pending from t_ms. */
static int make_alert(const struct alert_rule *ar, const struct promql_elem *el,
                      int64_t t_ms, struct alert *a, char *err)
{
    static const char *const name[] = {LABELS_NAME};
    const struct rule_alert *r = ar->rule;
    struct template_data d = {&el->labels, el->v, ar->external_labels,
                              ar->external_url};
    memset(a, 0, sizeof(*a));
    a->value = el->v;
    a->state = ALERT_PENDING;
    a->active_at_ms = t_ms;
    a->fired_at_ms = a->resolved_at_ms = ALERT_TIME_NONE;
    a->keep_firing_since_ms = a->last_sent_ms = ALERT_TIME_NONE;
    a->seen_at_ms = t_ms;
    int rc = labels_filter(&a->labels, &el->labels, name, 1, LABELS_ALL_BUT);
    if (rc == 0)
        rc = expand_all(r->labels, r->n_labels, &d, &a->labels, err);
    if (rc == 0)
        rc = labels_set(&a->labels, "alertname", r->name);
    if (rc == 0)
        rc = expand_all(r->annotations, r->n_annotations, &d, &a->annotations,
                        err);
    if (rc != 0)
        alert_free(a);
    return rc;
}

static struct alert *find(struct alert_rule *ar, const struct labels *ls)
{
    for (size_t i = 0; i < ar->n; i++)
        if (labels_cmp(&ar->v[i].labels, ls) == 0)
            return &ar->v[i];
    return NULL;
}

#define ALERTS_MIN 8 /* room for alerts, at first */

static bool grow(struct alert_rule *ar)
{
    if (ar->n < ar->cap)
        return true;
    size_t cap = ar->cap ? ar->cap * 2 : ALERTS_MIN;
    struct alert *v = realloc(ar->v, cap * sizeof(*v));
    if (v == NULL)
        return false;
    ar->v = v;
    ar->cap = cap;
    return true;
}

/* Takes the new alerts in: an active alert found again gets the new value
 * and annotations; any other replaces what was there. */
static int merge(struct alert_rule *ar, struct alert *fresh, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct alert *old = find(ar, &fresh[i].labels);
        if (old != NULL && old->state != ALERT_INACTIVE) {
            old->value = fresh[i].value;
            old->seen_at_ms = fresh[i].seen_at_ms;
            labels_free(&old->annotations);
            old->annotations = fresh[i].annotations;
            labels_free(&fresh[i].labels);
            continue;
        }
        if (old != NULL) {
            alert_free(old);
            *old = fresh[i];
            continue;
        }
        if (!grow(ar) || ar->v == NULL) {
            for (size_t k = i; k < n; k++)
                alert_free(&fresh[k]);
            return -ENOMEM;
        }
        ar->v[ar->n++] = fresh[i];
    }
    return 0;
}

/* Advances each alert: pending ones that last `for` fire; those no
 * longer found resolve, or keep firing for keep_firing_for; resolved ones
 * are forgotten after ALERT_RESOLVED_KEEP_MS, pending ones at once. */
static void advance(struct alert_rule *ar, int64_t t_ms)
{
    const struct rule_alert *r = ar->rule;
    size_t kept = 0;
    for (size_t i = 0; i < ar->n; i++) {
        struct alert *a = &ar->v[i];
        bool found = a->seen_at_ms == t_ms, keep_firing = false, drop = false;
        if (!found) {
            if (a->state == ALERT_FIRING && r->keep_firing_for_ms > 0) {
                if (a->keep_firing_since_ms == ALERT_TIME_NONE)
                    a->keep_firing_since_ms = t_ms;
                keep_firing =
                    t_ms - a->keep_firing_since_ms < r->keep_firing_for_ms;
            }
            drop = a->state == ALERT_PENDING ||
                   (a->resolved_at_ms != ALERT_TIME_NONE &&
                    t_ms - a->resolved_at_ms > ALERT_RESOLVED_KEEP_MS);
            if (a->state != ALERT_INACTIVE && !keep_firing) {
                a->state = ALERT_INACTIVE;
                a->resolved_at_ms = t_ms;
            }
        } else {
            a->keep_firing_since_ms = ALERT_TIME_NONE;
        }
        if (found || keep_firing) {
            if (a->state == ALERT_PENDING &&
                t_ms - a->active_at_ms >= r->for_ms) {
                a->state = ALERT_FIRING;
                a->fired_at_ms = t_ms;
            }
        }
        if (drop)
            alert_free(a);
        else
            ar->v[kept++] = *a;
    }
    ar->n = kept;
}

static int alerts_of(const struct alert_rule *ar, const struct promql_elem *el,
                     size_t n, int64_t t_ms, struct alert *fresh, char *err)
{
    int rc = 0;
    size_t made = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = make_alert(ar, &el[i], t_ms, &fresh[i], err);
        made += rc == 0;
        for (size_t k = 0; rc == 0 && k < i; k++)
            if (labels_cmp(&fresh[k].labels, &fresh[i].labels) == 0) {
                snprintf(err, PROMQL_ERR_MAX,
                         "vector contains metrics with the same labelset "
                         "after applying alert labels");
                rc = -EINVAL;
            }
    }
    if (rc != 0)
        for (size_t k = 0; k < made; k++)
            alert_free(&fresh[k]);
    return rc;
}

int alert_rule_eval(struct alert_rule *ar, const struct promql_source *src,
                    int64_t t_ms, char *err)
{
    struct promql_value res;
    int rc = promql_eval(ar->rule->expr, src, t_ms, &res, err);
    if (rc != 0)
        return rc;
    /* A scalar is one element without labels, as the rule engine makes
     * it. */
    struct promql_elem scalar = {{0}, res.scalar};
    const struct promql_elem *el =
        res.type == PROMQL_SCALAR ? &scalar : res.vec.v;
    size_t n = res.type == PROMQL_SCALAR ? 1 : res.vec.n;
    struct alert *fresh = n ? calloc(n, sizeof(*fresh)) : NULL;
    if (n > 0 && fresh == NULL)
        rc = -ENOMEM;
    if (rc == 0)
        rc = alerts_of(ar, el, n, t_ms, fresh, err);
    promql_value_free(&res);
    if (rc == 0)
        rc = merge(ar, fresh, n);
    free(fresh);
    if (rc == 0)
        advance(ar, t_ms);
    return rc;
}
