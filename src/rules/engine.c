/*
 * Groups on a clock: which are due, their evaluation, the alerts handed
 * to the sink; the window of history the rules need.
 */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_private.h"
#include "log.h"
#include "notify.h"

/* --- the window the rules read ------------------------------------------ */

/* Notes the metric name sel selects, or that it may select any. */
static void note_name(struct engine *e, const struct promql_node *sel)
{
    const char *name = NULL;
    for (size_t i = 0; i < sel->u.sel.n_matchers; i++) {
        const struct promql_matcher *m = &sel->u.sel.matchers[i];
        if (strcmp(m->name, LABELS_NAME) == 0 && m->type == PROMQL_MATCH_EQ)
            name = m->value;
    }
    if (name == NULL) {
        e->any_name = true;
        return;
    }
    for (size_t i = 0; i < e->n_names; i++)
        if (strcmp(e->names[i], name) == 0)
            return;
    if (e->n_names == ENGINE_NAMES_MAX) {
        e->any_name = true; /* too many to list: keep everything */
        return;
    }
    e->names[e->n_names++] = name;
}

/*
 * What n reads: the names it selects (noted in e) and how far back
 * before the evaluation instant it looks, in ms, which it returns.
 */
static int64_t reads(struct engine *e, const struct promql_node *n)
{
    int64_t r = 0, sub = 0;
    switch (n->kind) {
    case PROMQL_SELECTOR:
        note_name(e, n);
        r = n->u.sel.range_ms + n->u.sel.offset_ms + PROMQL_LOOKBACK_MS;
        return r > 0 ? r : 0;
    case PROMQL_CALL:
        for (size_t i = 0; i < n->u.call.n_args; i++)
            if ((sub = reads(e, n->u.call.args[i])) > r)
                r = sub;
        return r;
    case PROMQL_AGGREGATE:
        return reads(e, n->u.agg.arg);
    case PROMQL_BINARY:
        r = reads(e, n->u.bin.lhs);
        sub = reads(e, n->u.bin.rhs);
        return sub > r ? sub : r;
    case PROMQL_UNARY:
    case PROMQL_PAREN:
        return reads(e, n->u.unary.arg);
    default:
        return 0;
    }
}

/* Whether a series named name belongs to the family named family: the
 * name itself, or a histogram's _bucket, _sum or _count. */
static bool of_family(const char *name, const char *family)
{
    static const char *const suffixes[] = {"", "_bucket", "_sum", "_count"};
    size_t n = strlen(family);
    if (strncmp(name, family, n) != 0)
        return false;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(name + n, suffixes[i]) == 0)
            return true;
    return false;
}

bool engine_reads(const struct engine *e, const char *family)
{
    if (e->any_name)
        return true;
    for (size_t i = 0; i < e->n_names; i++)
        if (of_family(e->names[i], family))
            return true;
    return false;
}

/* --- building ------------------------------------------------------------ */

/* Go's url.QueryEscape of s appended to out. */
static void query_escape(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~')
            buf_putc(out, (char)c);
        else if (c == ' ')
            buf_putc(out, '+');
        else {
            buf_putc(out, '%');
            buf_putc(out, hex[c >> 4]);
            buf_putc(out, hex[c & 15]);
        }
    }
}

/* Prometheus' generator URL: the expression's table in the graph page. */
static char *generator_url(const char *external, const char *expr)
{
    struct buf b = {0};
    size_t n = strlen(external);
    while (n > 0 && external[n - 1] == '/')
        n--;
    buf_append(&b, external, n);
    buf_puts(&b, "/graph?g0.expr=");
    query_escape(&b, expr);
    buf_puts(&b, "&g0.tab=1");
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    return buf_release(&b, NULL);
}

static int add_group(struct engine *e, const struct rule_group *rg,
                     const char *file, int64_t *keep)
{
    struct engine_group *g = &e->groups[e->n_groups];
    g->group = rg;
    g->file = file;
    g->interval_ms =
        rg->interval_ms > 0 ? rg->interval_ms : e->opts.default_interval_ms;
    g->next_ms = INT64_MIN;
    g->last_eval_ms = ALERT_TIME_NONE;
    g->rules = calloc(rg->n_rules ? rg->n_rules : 1, sizeof(*g->rules));
    if (g->rules == NULL)
        return -ENOMEM;
    e->n_groups++;
    for (size_t i = 0; i < rg->n_rules; i++) {
        struct engine_rule *r = &g->rules[i];
        alert_rule_init(&r->ar, &rg->rules[i]);
        r->last_eval_ms = ALERT_TIME_NONE;
        g->n_rules++;
        int64_t k = reads(e, rg->rules[i].expr);
        if (k > *keep)
            *keep = k;
    }
    return 0;
}

int engine_set_external_url(struct engine *e, const char *url)
{
    char *copy = strdup(url ? url : "");
    if (copy == NULL)
        return -ENOMEM;
    free((char *)e->opts.external_url);
    e->opts.external_url = copy;
    for (size_t g = 0; g < e->n_groups; g++)
        for (size_t i = 0; i < e->groups[g].n_rules; i++) {
            struct engine_rule *r = &e->groups[g].rules[i];
            char *u = generator_url(copy, r->ar.rule->expr_text);
            if (u == NULL)
                return -ENOMEM;
            free(r->generator_url);
            r->generator_url = u;
            r->ar.external_url = copy;
        }
    return 0;
}

static size_t count_groups(const struct cfg_rules *rules)
{
    size_t n = 0;
    for (size_t f = 0; rules != NULL && f < rules->n_files; f++)
        n += rules->files[f].file->n_groups;
    return n;
}

int engine_new(const struct cfg_rules *rules, const struct engine_options *o,
               struct engine **out)
{
    struct engine *e = calloc(1, sizeof(*e));
    int64_t keep = PROMQL_LOOKBACK_MS;
    int rc = 0;
    if (e == NULL)
        return -ENOMEM;
    e->opts = *o;
    e->opts.external_url = NULL;
    e->last_sample_ms = INT64_MIN;
    size_t n = count_groups(rules);
    e->groups = calloc(n ? n : 1, sizeof(*e->groups));
    if (e->groups == NULL)
        rc = -ENOMEM;
    for (size_t f = 0; rc == 0 && rules != NULL && f < rules->n_files; f++) {
        const struct rule_file *rf = rules->files[f].file;
        for (size_t g = 0; rc == 0 && g < rf->n_groups; g++)
            rc = add_group(e, &rf->groups[g], rules->files[f].path, &keep);
    }
    if (rc == 0)
        rc = engine_set_external_url(e, o->external_url);
    if (rc == 0)
        rc = history_new(keep, o->max_samples, &e->history);
    if (rc != 0) {
        engine_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void engine_free(struct engine *e)
{
    if (e == NULL)
        return;
    for (size_t g = 0; e->groups != NULL && g < e->n_groups; g++) {
        struct engine_group *eg = &e->groups[g];
        for (size_t i = 0; eg->rules != NULL && i < eg->n_rules; i++) {
            alert_rule_clear(&eg->rules[i].ar);
            free(eg->rules[i].generator_url);
        }
        free(eg->rules);
    }
    free(e->groups);
    free((char *)e->opts.external_url);
    history_free(e->history);
    free(e);
}

void engine_set_sink(struct engine *e, const struct engine_sink *sink)
{
    e->sink = *sink;
}

void engine_set_sampler(struct engine *e, engine_sample_fn fn, void *ctx)
{
    e->sample = fn;
    e->sample_ctx = ctx;
}

struct history *engine_history(struct engine *e)
{
    return e->history;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- evaluating ---------------------------------------------------------- */

static void describe(const struct engine *e, const struct engine_group *g,
                     const struct engine_rule *r, const struct alert *a,
                     int64_t t_ms, struct engine_alert *out)
{
    int64_t delay = e->opts.resend_delay_ms > g->interval_ms
                        ? e->opts.resend_delay_ms
                        : g->interval_ms;
    out->group = g->group->name;
    out->rule = r->ar.rule->name;
    out->labels = &a->labels;
    out->annotations = &a->annotations;
    out->resolved = a->state == ALERT_INACTIVE;
    out->value = a->value;
    out->active_at_ms = a->active_at_ms;
    out->starts_at_ms = a->fired_at_ms;
    out->ends_at_ms = out->resolved ? a->resolved_at_ms
                                    : t_ms + NOTIFY_VALID_FOR_FACTOR * delay;
    out->generator_url = r->generator_url;
}

/* The transitions of r's evaluation at t_ms, to the sink. */
static void transitions(struct engine *e, const struct engine_group *g,
                        const struct engine_rule *r, int64_t t_ms)
{
    for (size_t i = 0; e->sink.transition != NULL && i < r->ar.n; i++) {
        const struct alert *a = &r->ar.v[i];
        bool fired = a->state == ALERT_FIRING && a->fired_at_ms == t_ms;
        bool resolved = a->state == ALERT_INACTIVE &&
                        a->resolved_at_ms == t_ms &&
                        a->fired_at_ms != ALERT_TIME_NONE;
        if (!fired && !resolved)
            continue;
        struct engine_alert out;
        describe(e, g, r, a, t_ms, &out);
        e->sink.transition(e->sink.ctx, &out);
    }
}

/* Prometheus' needsSending. */
static bool due(const struct alert *a, int64_t t_ms, int64_t resend_ms)
{
    if (a->state == ALERT_PENDING)
        return false;
    if (a->last_sent_ms == ALERT_TIME_NONE ||
        a->resolved_at_ms > a->last_sent_ms)
        return true;
    return a->last_sent_ms + resend_ms < t_ms;
}

/* Hands the sink the group's alerts due to be sent at t_ms. */
static void send_due(struct engine *e, struct engine_group *g, int64_t t_ms)
{
    size_t n = 0, cap = 0;
    struct engine_alert *v = NULL;
    for (size_t i = 0; i < g->n_rules; i++) {
        struct engine_rule *r = &g->rules[i];
        for (size_t k = 0; k < r->ar.n; k++) {
            struct alert *a = &r->ar.v[k];
            if (!due(a, t_ms, e->opts.resend_delay_ms))
                continue;
            if (n == cap) {
                size_t c = cap ? cap * 2 : ENGINE_SEND_MIN;
                struct engine_alert *p = realloc(v, c * sizeof(*p));
                if (p == NULL)
                    break; /* sent at the next evaluation */
                v = p;
                cap = c;
            }
            a->last_sent_ms = t_ms;
            describe(e, g, r, a, t_ms, &v[n++]);
        }
    }
    if (n > 0 && e->sink.send != NULL)
        e->sink.send(e->sink.ctx, v, n, t_ms);
    free(v);
}

static void eval_group(struct engine *e, struct engine_group *g, int64_t t_ms,
                       int sampled)
{
    struct promql_source src = history_source(e->history);
    uint64_t start = now_us();
    for (size_t i = 0; i < g->n_rules; i++) {
        struct engine_rule *r = &g->rules[i];
        uint64_t rule_start = now_us();
        int rc = sampled;
        r->last_error[0] = '\0';
        if (rc == 0)
            rc = alert_rule_eval(&r->ar, &src, t_ms, r->last_error);
        if (rc != 0 && r->last_error[0] == '\0')
            snprintf(r->last_error, sizeof(r->last_error), "%s", strerror(-rc));
        g->evaluations++;
        g->failures += rc != 0;
        r->last_eval_ms = t_ms;
        r->last_us = now_us() - rule_start;
        if (rc == 0)
            transitions(e, g, r, t_ms);
    }
    send_due(e, g, t_ms);
    g->last_eval_ms = t_ms;
    g->last_us = now_us() - start;
    e->changed = true;
}

int64_t engine_run_due(struct engine *e, int64_t now_ms)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < e->n_groups; i++) {
        struct engine_group *g = &e->groups[i];
        /* The wall clock set back: evaluate now rather than wait for the
         * instant it had reached. */
        if (g->next_ms != INT64_MIN && g->next_ms - now_ms > g->interval_ms)
            g->next_ms = now_ms;
        if (now_ms >= g->next_ms) {
            int64_t t = now_ms - now_ms % g->interval_ms;
            int sampled = 0;
            if (t != e->last_sample_ms && e->sample != NULL) {
                uint64_t start = now_us();
                sampled = e->sample(e->sample_ctx, e->history, t);
                e->sample_us = now_us() - start;
                e->last_sample_ms = t;
                e->last_sample_rc = sampled;
            } else if (t == e->last_sample_ms) {
                sampled = e->last_sample_rc;
            }
            eval_group(e, g, t, sampled);
            g->next_ms = t + g->interval_ms;
        }
        if (g->next_ms < next)
            next = g->next_ms;
    }
    return next == INT64_MAX ? ENGINE_IDLE_MS
                             : (next - now_ms > 0 ? next - now_ms : 1);
}

/* --- reading ------------------------------------------------------------- */

size_t engine_n_groups(const struct engine *e)
{
    return e->n_groups;
}

void engine_group(const struct engine *e, size_t g,
                  struct engine_group_info *out)
{
    const struct engine_group *eg = &e->groups[g];
    out->name = eg->group->name;
    out->file = eg->file;
    out->interval_ms = eg->interval_ms;
    out->n_rules = eg->n_rules;
    out->last_eval_ms = eg->last_eval_ms;
    out->last_us = eg->last_us;
    out->evaluations = eg->evaluations;
    out->failures = eg->failures;
}

void engine_rule(const struct engine *e, size_t g, size_t r,
                 struct engine_rule_info *out)
{
    const struct engine_rule *er = &e->groups[g].rules[r];
    out->rule = er->ar.rule;
    out->alerts = er->ar.v;
    out->n_alerts = er->ar.n;
    out->last_error = er->last_error;
    out->last_eval_ms = er->last_eval_ms;
    out->last_us = er->last_us;
}

static bool same_labels(const struct label *a, size_t na, const struct label *b,
                        size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) != 0 ||
            strcmp(a[i].value, b[i].value) != 0)
            return false;
    return true;
}

static bool same_rule(const struct rule_alert *a, const struct rule_alert *b)
{
    return strcmp(a->name, b->name) == 0 &&
           strcmp(a->expr_text, b->expr_text) == 0 && a->for_ms == b->for_ms &&
           a->keep_firing_for_ms == b->keep_firing_for_ms &&
           same_labels(a->labels, a->n_labels, b->labels, b->n_labels) &&
           same_labels(a->annotations, a->n_annotations, b->annotations,
                       b->n_annotations);
}

/* The rule at place r of the group named name in e, or NULL. */
static const struct rule_alert *rule_at(const struct engine *e,
                                        const char *name, size_t r)
{
    for (size_t g = 0; e != NULL && g < e->n_groups; g++) {
        const struct engine_group *eg = &e->groups[g];
        if (strcmp(eg->group->name, name) == 0 && r < eg->n_rules)
            return eg->rules[r].ar.rule;
    }
    return NULL;
}

size_t engine_forget_changed(struct engine *e, const struct engine *was)
{
    size_t changed = 0;
    for (size_t g = 0; e != NULL && g < e->n_groups; g++) {
        struct engine_group *eg = &e->groups[g];
        for (size_t r = 0; r < eg->n_rules; r++) {
            struct alert_rule *ar = &eg->rules[r].ar;
            const struct rule_alert *before = rule_at(was, eg->group->name, r);
            if (before != NULL && same_rule(before, ar->rule))
                continue;
            changed++;
            if (ar->n > 0) {
                log_info("rule %s in group %s changed; its alerts start "
                         "afresh",
                         ar->rule->name, eg->group->name);
                alert_rule_clear(ar);
            }
        }
    }
    return changed;
}

int engine_restore_alert(struct engine *e, const char *group, size_t r,
                         const char *alertname, struct alert *a)
{
    for (size_t g = 0; g < e->n_groups; g++) {
        struct engine_group *eg = &e->groups[g];
        if (strcmp(eg->group->name, group) != 0 || r >= eg->n_rules ||
            strcmp(eg->rules[r].ar.rule->name, alertname) != 0)
            continue;
        struct alert_rule *ar = &eg->rules[r].ar;
        if (ar->n == ar->cap) {
            size_t cap = ar->cap ? ar->cap * 2 : ENGINE_SEND_MIN;
            struct alert *v = realloc(ar->v, cap * sizeof(*v));
            if (v == NULL) {
                labels_free(&a->labels);
                labels_free(&a->annotations);
                return -ENOMEM;
            }
            ar->v = v;
            ar->cap = cap;
        }
        ar->v[ar->n++] = *a;
        /* The instants this alert was evaluated at are past: evaluating
         * one again would log its transitions a second time. */
        int64_t last = a->seen_at_ms;
        const int64_t times[] = {a->active_at_ms, a->fired_at_ms,
                                 a->resolved_at_ms};
        for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++)
            last = times[k] > last ? times[k] : last;
        if (last != ALERT_TIME_NONE && last + eg->interval_ms > eg->next_ms)
            eg->next_ms = last + eg->interval_ms;
        return 0;
    }
    labels_free(&a->labels);
    labels_free(&a->annotations);
    return 1;
}

bool engine_changed(const struct engine *e)
{
    return e->changed;
}

void engine_saved(struct engine *e)
{
    e->changed = false;
}

void engine_format_time(int64_t ms, char *out)
{
    time_t s = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        s--;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, ENGINE_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, ENGINE_TIME_MAX - n, ".%03dZ", frac);
}
