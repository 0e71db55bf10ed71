/*
 * Reading a rule test file: its keys checked as promtool checks them,
 * its rule files loaded, its series expanded.
 */
#include "ruletest_private.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "ryaml.h"

static const char *const file_keys[] = {"rule_files", "evaluation_interval",
                                        "group_eval_order", "tests", NULL};
static const char *const group_keys[] = {
    "interval", "input_series",    "alert_rule_test", "promql_expr_test",
    "name",     "external_labels", "external_url",    NULL};
static const char *const series_keys[] = {"series", "values", NULL};
static const char *const alert_test_keys[] = {"eval_time", "alertname",
                                              "exp_alerts", NULL};
static const char *const alert_keys[] = {"exp_labels", "exp_annotations", NULL};
static const char *const expr_test_keys[] = {"expr", "eval_time", "exp_samples",
                                             NULL};
static const char *const sample_keys[] = {"labels", "value", NULL};

void rt_file_free(struct rt_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_rules; i++)
        rulefile_free(f->rules[i]);
    free(f->rules);
    for (size_t g = 0; g < f->n_groups; g++) {
        struct rt_group *grp = &f->groups[g];
        free(grp->name);
        labels_free(&grp->external_labels);
        free(grp->external_url);
        series_set_free(grp->series);
        for (size_t i = 0; i < grp->n_alerts; i++) {
            for (size_t k = 0; k < grp->alerts[i].n_exp; k++) {
                labels_free(&grp->alerts[i].exp[k].labels);
                labels_free(&grp->alerts[i].exp[k].annotations);
            }
            free(grp->alerts[i].exp);
            free(grp->alerts[i].alertname);
        }
        free(grp->alerts);
        for (size_t i = 0; i < grp->n_exprs; i++) {
            for (size_t k = 0; k < grp->exprs[i].n_exp; k++)
                labels_free(&grp->exprs[i].exp[k].labels);
            free(grp->exprs[i].exp);
            free(grp->exprs[i].expr);
        }
        free(grp->exprs);
    }
    free(f->groups);
    free(f);
}

/* A list's items as an array of size each, zeroed; NULL for none. */
static void *items(struct ryaml *y, const yaml_node_t *n, const char *what,
                   size_t size, size_t *count)
{
    *count = 0;
    if (n == NULL || !ryaml_is_list(y, n, what) || ryaml_len(n) == 0)
        return NULL;
    void *v = calloc(ryaml_len(n), size);
    if (v != NULL)
        *count = ryaml_len(n);
    return v;
}

/* A mapping of label names to values, as exp_labels writes them. */
static void load_map(struct ryaml *y, const yaml_node_t *n, const char *what,
                     struct labels *out)
{
    if (n == NULL)
        return;
    if (n->type != YAML_MAPPING_NODE) {
        ryaml_err(y, n, "%s must be a mapping", what);
        return;
    }
    for (size_t i = 0; i < ryaml_len(n); i++) {
        yaml_node_t *v, *k = ryaml_pair(y, n, i, &v);
        const char *name = ryaml_scalar(y, k, what);
        const char *value = ryaml_scalar(y, v, what);
        if (name != NULL && value != NULL && labels_set(out, name, value) != 0)
            ryaml_err(y, v, "out of memory");
    }
}

static void load_series(struct ryaml *y, const yaml_node_t *n,
                        struct rt_group *g)
{
    if (!ryaml_keys(y, n, series_keys, "an input series"))
        return;
    yaml_node_t *sn = ryaml_get(y, n, "series"),
                *vn = ryaml_get(y, n, "values");
    const char *series = sn ? ryaml_scalar(y, sn, "series") : NULL;
    const char *values = vn ? ryaml_scalar(y, vn, "values") : NULL;
    if (sn == NULL || vn == NULL)
        ryaml_err(y, n, "an input series needs series and values");
    if (series == NULL || values == NULL)
        return;
    struct labels ls;
    struct promql_sample *s;
    size_t count;
    char err[SERIES_ERR_MAX];
    if (series_parse_labels(series, &ls, err) != 0) {
        ryaml_err(y, sn, "series: %s", err);
        return;
    }
    if (series_expand(values, 0, g->interval_ms, &s, &count, err) != 0) {
        ryaml_err(y, vn, "values: %s", err);
    } else {
        if (series_set_add(g->series, &ls, s, count) != 0)
            ryaml_err(y, sn, "series %s is given twice", series);
        free(s);
    }
    labels_free(&ls);
}

static void load_alert_test(struct ryaml *y, const yaml_node_t *n,
                            struct rt_alert_test *t)
{
    if (!ryaml_keys(y, n, alert_test_keys, "an alert test"))
        return;
    yaml_node_t *v;
    if ((v = ryaml_get(y, n, "eval_time")) != NULL)
        ryaml_duration(y, v, "eval_time", &t->eval_ms);
    const char *name = NULL;
    if ((v = ryaml_get(y, n, "alertname")) != NULL)
        name = ryaml_scalar(y, v, "alertname");
    t->alertname = strdup(name ? name : "");
    if ((v = ryaml_get(y, n, "exp_alerts")) == NULL ||
        v->type == YAML_SCALAR_NODE)
        return; /* none expected */
    t->exp = items(y, v, "exp_alerts", sizeof(*t->exp), &t->n_exp);
    for (size_t i = 0; i < t->n_exp; i++) {
        yaml_node_t *a = ryaml_item(y, v, i);
        if (!ryaml_keys(y, a, alert_keys, "an expected alert"))
            continue;
        load_map(y, ryaml_get(y, a, "exp_labels"), "exp_labels",
                 &t->exp[i].labels);
        load_map(y, ryaml_get(y, a, "exp_annotations"), "exp_annotations",
                 &t->exp[i].annotations);
        /* promtool adds the alert's name to what is expected. */
        labels_set(&t->exp[i].labels, "alertname", t->alertname);
    }
}

static void load_expr_test(struct ryaml *y, const yaml_node_t *n,
                           struct rt_expr_test *t)
{
    if (!ryaml_keys(y, n, expr_test_keys, "an expression test"))
        return;
    yaml_node_t *v;
    if ((v = ryaml_get(y, n, "eval_time")) != NULL)
        ryaml_duration(y, v, "eval_time", &t->eval_ms);
    const char *expr = NULL;
    if ((v = ryaml_get(y, n, "expr")) != NULL)
        expr = ryaml_scalar(y, v, "expr");
    t->expr = strdup(expr ? expr : "");
    if ((v = ryaml_get(y, n, "exp_samples")) == NULL ||
        v->type == YAML_SCALAR_NODE)
        return;
    t->exp = items(y, v, "exp_samples", sizeof(*t->exp), &t->n_exp);
    for (size_t i = 0; i < t->n_exp; i++) {
        yaml_node_t *s = ryaml_item(y, v, i), *ln, *vn;
        if (!ryaml_keys(y, s, sample_keys, "an expected sample"))
            continue;
        const char *labels = (ln = ryaml_get(y, s, "labels")) != NULL
                                 ? ryaml_scalar(y, ln, "labels")
                                 : NULL;
        char err[SERIES_ERR_MAX];
        if (labels != NULL &&
            series_parse_labels(labels, &t->exp[i].labels, err) != 0)
            ryaml_err(y, ln, "labels: %s", err);
        if ((vn = ryaml_get(y, s, "value")) != NULL)
            ryaml_number(y, vn, "value", &t->exp[i].value);
    }
}

static void load_group(struct ryaml *y, const yaml_node_t *n,
                       const struct rt_file *f, struct rt_group *g)
{
    g->interval_ms = f->eval_interval_ms;
    if (series_set_new(&g->series) != 0 ||
        !ryaml_keys(y, n, group_keys, "a test group"))
        return;
    yaml_node_t *v;
    load_map(y, ryaml_get(y, n, "external_labels"), "external_labels",
             &g->external_labels);
    if ((v = ryaml_get(y, n, "external_url")) != NULL &&
        ryaml_scalar(y, v, "external_url"))
        g->external_url = strdup((const char *)v->data.scalar.value);
    if ((v = ryaml_get(y, n, "name")) != NULL && ryaml_scalar(y, v, "name"))
        g->name = strdup((const char *)v->data.scalar.value);
    if ((v = ryaml_get(y, n, "interval")) != NULL)
        ryaml_duration(y, v, "interval", &g->interval_ms);
    if (g->interval_ms <= 0) {
        ryaml_err(y, v ? v : n, "interval must be more than 0");
        return;
    }
    yaml_node_t *list = ryaml_get(y, n, "input_series");
    size_t count =
        list && list->type == YAML_SEQUENCE_NODE ? ryaml_len(list) : 0;
    if (list != NULL && ryaml_is_list(y, list, "input_series"))
        for (size_t i = 0; i < count; i++)
            load_series(y, ryaml_item(y, list, i), g);
    list = ryaml_get(y, n, "alert_rule_test");
    g->alerts =
        items(y, list, "alert_rule_test", sizeof(*g->alerts), &g->n_alerts);
    for (size_t i = 0; i < g->n_alerts; i++)
        load_alert_test(y, ryaml_item(y, list, i), &g->alerts[i]);
    list = ryaml_get(y, n, "promql_expr_test");
    g->exprs =
        items(y, list, "promql_expr_test", sizeof(*g->exprs), &g->n_exprs);
    for (size_t i = 0; i < g->n_exprs; i++)
        load_expr_test(y, ryaml_item(y, list, i), &g->exprs[i]);
}

/* Loads one rule file into f. */
static int add_rules(struct rt_file *f, const char *path, struct buf *errors)
{
    struct rule_file **v = realloc(f->rules, (f->n_rules + 1) * sizeof(*v));
    if (v == NULL)
        return -ENOMEM;
    f->rules = v;
    int rc = rulefile_load(path, &v[f->n_rules], errors);
    if (rc == 0)
        f->n_rules++;
    return rc;
}

/* The rule files a pattern names, relative to the test file's
 * directory (dir). */
static int load_rule_files(struct ryaml *y, const yaml_node_t *n,
                           const char *dir, struct rt_file *f)
{
    if (n == NULL || !ryaml_is_list(y, n, "rule_files"))
        return n == NULL ? 0 : -EINVAL;
    int rc = 0;
    for (size_t i = 0; i < ryaml_len(n); i++) {
        yaml_node_t *item = ryaml_item(y, n, i);
        const char *pattern = ryaml_scalar(y, item, "rule_files");
        if (pattern == NULL)
            continue;
        struct buf path = {0};
        if (pattern[0] != '/')
            buf_printf(&path, "%s/", dir);
        buf_puts(&path, pattern);
        glob_t g;
        int found = path.oom ? GLOB_NOSPACE : glob(path.data, 0, NULL, &g);
        if (found == GLOB_NOMATCH)
            ryaml_err(y, item, "rule_files: no file matches %s", pattern);
        else if (found != 0)
            rc = -ENOMEM;
        for (size_t k = 0; found == 0 && k < g.gl_pathc; k++) {
            int r = add_rules(f, g.gl_pathv[k], y->errors);
            if (r != 0 && rc == 0)
                rc = r;
        }
        if (found == 0 || found == GLOB_NOMATCH)
            globfree(&g);
        buf_free(&path);
    }
    return rc;
}

int rt_file_load(const char *path, struct rt_file **out, struct buf *errors)
{
    struct ryaml y;
    *out = NULL;
    int rc = ryaml_open(&y, path, errors);
    struct rt_file *f = rc == 0 ? calloc(1, sizeof(*f)) : NULL;
    if (rc == 0 && f == NULL)
        rc = -ENOMEM;
    yaml_node_t *root = rc == 0 ? ryaml_root(&y) : NULL;
    if (rc == 0 && ryaml_keys(&y, root, file_keys, "a rule test file")) {
        yaml_node_t *v;
        f->eval_interval_ms = RULETEST_INTERVAL_MS;
        if ((v = ryaml_get(&y, root, "evaluation_interval")) != NULL)
            ryaml_duration(&y, v, "evaluation_interval", &f->eval_interval_ms);
        if (f->eval_interval_ms <= 0)
            ryaml_err(&y, v, "evaluation_interval must be more than 0");
        /* Alerting rules read no other rule's results, so the order
         * groups are evaluated in cannot change an outcome. */
        if ((v = ryaml_get(&y, root, "group_eval_order")) != NULL)
            ryaml_is_list(&y, v, "group_eval_order");
        char *copy = strdup(path);
        rc = copy == NULL
                 ? -ENOMEM
                 : load_rule_files(&y, ryaml_get(&y, root, "rule_files"),
                                   dirname(copy), f);
        free(copy);
        v = ryaml_get(&y, root, "tests");
        f->groups = items(&y, v, "tests", sizeof(*f->groups), &f->n_groups);
        for (size_t i = 0; i < f->n_groups; i++)
            load_group(&y, ryaml_item(&y, v, i), f, &f->groups[i]);
    }
    if (rc == 0 && y.n_errors > 0)
        rc = -EINVAL;
    ryaml_close(&y);
    if (rc != 0) {
        rt_file_free(f);
        return rc;
    }
    *out = f;
    return 0;
}
