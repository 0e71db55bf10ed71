/*
 * Running rule tests as promtool runs them: every rule evaluated at 0,
 * the evaluation interval, twice that... up to the last alert test's
 * time; an alert test compared with the evaluation at or just before its
 * time; expression tests evaluated on their own afterwards.
 */
#include "ruletest.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "ruletest_private.h"

static void put_duration(struct buf *out, int64_t ms)
{
    promql_format_duration(out, ms);
}

/* Appends ms as Go's time.Duration prints itself ("5m0s", "1h0m0s",
 * "1.5s", "0s"), as promtool writes the time of a failed evaluation. */
static void put_go_duration(struct buf *out, int64_t ms)
{
    if (ms < 0) {
        buf_putc(out, '-');
        ms = -ms;
    }
    if (ms > 0 && ms < 1000) {
        buf_printf(out, "%lldms", (long long)ms);
        return;
    }
    long long h = ms / 3600000, m = ms / 60000 % 60, sec = ms / 1000 % 60,
              frac = ms % 1000;
    if (h > 0)
        buf_printf(out, "%lldh", h);
    if (h > 0 || m > 0)
        buf_printf(out, "%lldm", m);
    buf_printf(out, "%lld", sec);
    if (frac > 0) {
        char digits[8];
        int n = snprintf(digits, sizeof(digits), "%03lld", frac);
        while (n > 0 && digits[n - 1] == '0')
            digits[--n] = '\0';
        buf_printf(out, ".%s", digits);
    }
    buf_putc(out, 's');
}

/* Appends text with indent after each newline, as promtool lays out. */
static void put_indented(struct buf *out, const char *text, const char *indent)
{
    for (; *text != '\0'; text++) {
        buf_putc(out, *text);
        if (*text == '\n')
            buf_puts(out, indent);
    }
}

/* --- the series as promtool loads them ---------------------------------- */

/* promtool appends the input samples as its clock advances: a rule
 * evaluated at t sees none after t (a negative offset finds nothing
 * newer), and expression tests see them up to the group's last time. */
struct clip {
    const struct promql_source *inner;
    int64_t until_ms;
};

static int clip_select(void *ctx, const struct promql_matcher *m, size_t n,
                       int64_t from_ms, int64_t to_ms, promql_emit_fn emit,
                       void *arg)
{
    const struct clip *c = ctx;
    if (to_ms > c->until_ms)
        to_ms = c->until_ms;
    if (to_ms < from_ms)
        return 0;
    return c->inner->select(c->inner->ctx, m, n, from_ms, to_ms, emit, arg);
}

/* --- alerts --------------------------------------------------------------- */

/* An alert as promtool compares it: labels, then annotations. */
struct la {
    const struct labels *labels, *annotations;
};

static int la_cmp(const void *a, const void *b)
{
    const struct la *x = a, *y = b;
    int c = labels_cmp(x->labels, y->labels);
    return c ? c : labels_cmp(x->annotations, y->annotations);
}

static void put_alerts(struct buf *out, struct la *v, size_t n)
{
    if (n == 0) {
        buf_puts(out, "[]");
        return;
    }
    struct buf s = {0};
    buf_putc(&s, '[');
    for (size_t i = 0; i < n; i++) {
        buf_printf(&s, "%s\n%zu:\n  Labels:", i ? "," : "", i);
        labels_format(&s, v[i].labels);
        buf_puts(&s, "\n  Annotations:");
        labels_format(&s, v[i].annotations);
    }
    buf_puts(&s, "\n]");
    put_indented(out, s.data ? s.data : "", "            ");
    buf_free(&s);
}

static bool same_alerts(struct la *a, size_t na, struct la *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (la_cmp(&a[i], &b[i]) != 0)
            return false;
    return true;
}

/* Compares the firing alerts named t->alertname with what t expects. */
static int check_alerts(const struct rt_group *g, const struct rt_alert_test *t,
                        const struct alert_rule *rules, size_t n_rules,
                        struct buf *rep)
{
    size_t n_got = 0, cap = 0;
    for (size_t r = 0; r < n_rules; r++)
        cap += rules[r].n;
    struct la *got = calloc(cap + 1, sizeof(*got));
    struct la *exp = calloc(t->n_exp + 1, sizeof(*exp));
    if (got == NULL || exp == NULL) {
        free(got);
        free(exp);
        return -ENOMEM;
    }
    for (size_t r = 0; r < n_rules; r++) {
        if (strcmp(rules[r].rule->name, t->alertname) != 0)
            continue;
        for (size_t i = 0; i < rules[r].n; i++)
            if (rules[r].v[i].state == ALERT_FIRING)
                got[n_got++] = (struct la){&rules[r].v[i].labels,
                                           &rules[r].v[i].annotations};
    }
    for (size_t i = 0; i < t->n_exp; i++)
        exp[i] = (struct la){&t->exp[i].labels, &t->exp[i].annotations};
    qsort(got, n_got, sizeof(*got), la_cmp);
    qsort(exp, t->n_exp, sizeof(*exp), la_cmp);
    int failed = !same_alerts(exp, t->n_exp, got, n_got);
    if (failed) {
        if (g->name != NULL)
            buf_printf(rep, "    name: %s,\n", g->name);
        buf_printf(rep, "    alertname: %s, time: ", t->alertname);
        put_duration(rep, t->eval_ms);
        buf_puts(rep, ", \n        exp:");
        put_alerts(rep, exp, t->n_exp);
        buf_puts(rep, ", \n        got:");
        put_alerts(rep, got, n_got);
        buf_puts(rep, "\n");
    }
    free(got);
    free(exp);
    return failed;
}

static int eval_time_cmp(const void *a, const void *b)
{
    const struct rt_alert_test *x = *(const struct rt_alert_test *const *)a;
    const struct rt_alert_test *y = *(const struct rt_alert_test *const *)b;
    return (x->eval_ms > y->eval_ms) - (x->eval_ms < y->eval_ms);
}

/* Evaluates every rule at ts; reports failures. 1 when one failed. */
static int eval_rules(struct alert_rule *rules, size_t n,
                      const struct promql_source *src, int64_t ts,
                      struct buf *rep)
{
    int failed = 0;
    for (size_t r = 0; r < n; r++) {
        char err[PROMQL_ERR_MAX];
        int rc = alert_rule_eval(&rules[r], src, ts, err);
        if (rc == -ENOMEM)
            return rc;
        if (rc != 0) {
            buf_printf(rep, "    rule: %s, time: ", rules[r].rule->name);
            put_go_duration(rep, ts);
            buf_printf(rep, ", err: %s\n", err);
            failed = 1;
        }
    }
    return failed;
}

#define RT_STOPPED 2 /* with 1: an evaluation failed, the group stops */

/* The alert tests of g, checked at the evaluation each falls on; 0, 1
 * when one failed (| RT_STOPPED when evaluating failed), or -ENOMEM. */
static int run_alerts(const struct rt_file *f, const struct rt_group *g,
                      struct alert_rule *rules, size_t n_rules, struct buf *rep)
{
    const struct rt_alert_test **order =
        calloc(g->n_alerts + 1, sizeof(*order));
    if (order == NULL)
        return -ENOMEM;
    int64_t maxt = 0;
    for (size_t i = 0; i < g->n_alerts; i++) {
        order[i] = &g->alerts[i];
        if (g->alerts[i].eval_ms > maxt)
            maxt = g->alerts[i].eval_ms;
    }
    qsort(order, g->n_alerts, sizeof(*order), eval_time_cmp);
    struct promql_source all = series_set_source(g->series);
    struct clip clip = {&all, 0};
    struct promql_source src = {clip_select, &clip};
    int failed = 0;
    size_t curr = 0;
    for (int64_t ts = 0; ts <= maxt && failed >= 0; ts += f->eval_interval_ms) {
        clip.until_ms = ts;
        int rc = eval_rules(rules, n_rules, &src, ts, rep);
        if (rc != 0) {
            failed = rc < 0 ? rc : 1 | RT_STOPPED;
            break;
        }
        for (; curr < g->n_alerts && ts <= order[curr]->eval_ms &&
               order[curr]->eval_ms < ts + f->eval_interval_ms;
             curr++) {
            rc = check_alerts(g, order[curr], rules, n_rules, rep);
            failed = rc < 0 ? rc : failed | rc;
        }
    }
    free(order);
    return failed;
}

/* --- expressions ---------------------------------------------------------- */

static bool close_enough(double got, double want)
{
    if (isnan(got) || isnan(want))
        return isnan(got) && isnan(want);
    if (got == want)
        return true;
    return fabs(got - want) <= RULETEST_TOLERANCE * fmax(fabs(got), fabs(want));
}

static int sample_cmp(const void *a, const void *b)
{
    return labels_cmp(&((const struct rt_sample *)a)->labels,
                      &((const struct rt_sample *)b)->labels);
}

static void put_samples(struct buf *out, const struct rt_sample *s, size_t n)
{
    if (n == 0)
        buf_puts(out, "nil");
    for (size_t i = 0; i < n; i++) {
        char num[PROMQL_FLOAT_MAX];
        buf_puts(out, i ? ", " : "");
        labels_format(out, &s[i].labels);
        promql_format_float(s[i].value, 'E', num);
        buf_printf(out, " %s", num);
    }
}

static void expr_header(struct buf *rep, const struct rt_expr_test *t)
{
    buf_puts(rep, "    expr: ");
    labels_quote(rep, t->expr);
    buf_puts(rep, ", time: ");
    put_duration(rep, t->eval_ms);
}

/* The result as samples, sorted (taking the labels), in *got. */
static int result_samples(struct promql_value *v, struct rt_sample **got,
                          size_t *n)
{
    *n = v->type == PROMQL_SCALAR ? 1 : v->vec.n;
    *got = calloc(*n + 1, sizeof(**got));
    if (*got == NULL)
        return -ENOMEM;
    if (v->type == PROMQL_SCALAR)
        (*got)[0].value = v->scalar;
    for (size_t i = 0; v->type == PROMQL_VECTOR && i < v->vec.n; i++) {
        (*got)[i].labels = v->vec.v[i].labels;
        (*got)[i].value = v->vec.v[i].v;
        v->vec.v[i].labels = (struct labels){0};
    }
    qsort(*got, *n, sizeof(**got), sample_cmp);
    return 0;
}

static int check_expr(const struct rt_group *g, struct rt_expr_test *t,
                      int64_t until_ms, struct buf *rep)
{
    struct promql_node *expr;
    struct promql_value v;
    char err[PROMQL_ERR_MAX];
    size_t pos;
    int rc = promql_parse(t->expr, strlen(t->expr), &expr, err, &pos);
    if (rc == 0) {
        struct promql_source all = series_set_source(g->series);
        struct clip clip = {&all, until_ms};
        struct promql_source src = {clip_select, &clip};
        rc = promql_eval(expr, &src, t->eval_ms, &v, err);
        promql_free(expr);
    }
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        expr_header(rep, t);
        buf_printf(rep, ", err: %s\n", err);
        return 1;
    }
    struct rt_sample *got;
    size_t n;
    rc = result_samples(&v, &got, &n);
    promql_value_free(&v);
    if (rc != 0)
        return rc;
    if (t->n_exp > 1)
        qsort(t->exp, t->n_exp, sizeof(*t->exp), sample_cmp);
    bool same = n == t->n_exp;
    for (size_t i = 0; same && i < n; i++)
        same = labels_cmp(&got[i].labels, &t->exp[i].labels) == 0 &&
               close_enough(got[i].value, t->exp[i].value);
    if (!same) {
        expr_header(rep, t);
        buf_puts(rep, ",\n        exp: ");
        put_samples(rep, t->exp, t->n_exp);
        buf_puts(rep, "\n        got: ");
        put_samples(rep, got, n);
        buf_putc(rep, '\n');
    }
    for (size_t i = 0; i < n; i++)
        labels_free(&got[i].labels);
    free(got);
    return !same;
}

/* --- files ---------------------------------------------------------------- */

static int run_group(const struct rt_file *f, struct rt_group *g,
                     struct buf *rep)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_rules; i++)
        for (size_t k = 0; k < f->rules[i]->n_groups; k++)
            n += f->rules[i]->groups[k].n_rules;
    struct alert_rule *rules = calloc(n + 1, sizeof(*rules));
    if (rules == NULL)
        return -ENOMEM;
    size_t r = 0;
    for (size_t i = 0; i < f->n_rules; i++)
        for (size_t k = 0; k < f->rules[i]->n_groups; k++)
            for (size_t a = 0; a < f->rules[i]->groups[k].n_rules; a++) {
                alert_rule_init(&rules[r], &f->rules[i]->groups[k].rules[a]);
                rules[r].external_labels = &g->external_labels;
                rules[r++].external_url = g->external_url;
            }
    int failed = run_alerts(f, g, rules, n, rep);
    for (size_t i = 0; i < n; i++)
        alert_rule_clear(&rules[i]);
    free(rules);
    int64_t until = 0;
    for (size_t i = 0; i < g->n_alerts; i++)
        until = g->alerts[i].eval_ms > until ? g->alerts[i].eval_ms : until;
    for (size_t i = 0; i < g->n_exprs; i++)
        until = g->exprs[i].eval_ms > until ? g->exprs[i].eval_ms : until;
    /* After an evaluation fails, promtool stops the group there. */
    for (size_t i = 0; failed >= 0 && !(failed & RT_STOPPED) && i < g->n_exprs;
         i++) {
        int rc = check_expr(g, &g->exprs[i], until, rep);
        failed = rc < 0 ? rc : failed | rc;
    }
    return failed < 0 ? failed : failed != 0;
}

static int run_file(const char *path, FILE *out)
{
    struct buf errors = {0}, rep = {0};
    struct rt_file *f;
    fprintf(out, "Unit Testing:  %s\n", path);
    int rc = rt_file_load(path, &f, &errors);
    if (rc != 0) {
        fprintf(out, "  FAILED:\n%s\n", errors.data ? errors.data : "");
        buf_free(&errors);
        return 2;
    }
    int failed = 0;
    for (size_t g = 0; g < f->n_groups && failed >= 0; g++) {
        rc = run_group(f, &f->groups[g], &rep);
        failed = rc < 0 ? rc : failed | rc;
    }
    if (failed < 0 || rep.oom)
        fprintf(out, "  FAILED:\n    %s\n\n", strerror(ENOMEM));
    else if (failed)
        fprintf(out, "  FAILED:\n%s\n", rep.data);
    else
        fprintf(out, "  SUCCESS\n\n");
    buf_free(&rep);
    buf_free(&errors);
    rt_file_free(f);
    return failed < 0 ? 2 : failed;
}

int ruletest_run(const char *const *files, size_t n, FILE *out)
{
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = run_file(files[i], out);
        if (rc > worst)
            worst = rc;
    }
    return worst;
}
