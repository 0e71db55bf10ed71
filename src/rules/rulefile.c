/*
 * Rule files: Prometheus' rulefmt, checked as strictly as Prometheus
 * checks it, every problem reported before giving up.
 */
#include "rulefile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ryaml.h"
#include "template.h"

static const char *const file_keys[] = {"groups", NULL};
static const char *const group_keys[] = {"name", "interval", "rules", "limit",
                                         NULL};
static const char *const rule_keys[] = {
    "alert",           "record", "expr",        "for",
    "keep_firing_for", "labels", "annotations", NULL};

static bool is_name(const char *s, bool colon)
{
    if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (; *s != '\0'; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') ||
              (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              (colon && *s == ':')))
            return false;
    return true;
}

static void free_pairs(struct label *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].value);
    }
    free(v);
}

void rulefile_free(struct rule_file *f)
{
    if (f == NULL)
        return;
    for (size_t g = 0; g < f->n_groups; g++) {
        struct rule_group *grp = &f->groups[g];
        for (size_t r = 0; grp->rules != NULL && r < grp->n_rules; r++) {
            struct rule_alert *a = &grp->rules[r];
            free(a->name);
            free(a->expr_text);
            promql_free(a->expr);
            free_pairs(a->labels, a->n_labels);
            free_pairs(a->annotations, a->n_annotations);
        }
        free(grp->rules);
        free(grp->name);
    }
    free(f->groups);
    free(f);
}

/* A mapping of names to templates, each checked. */
static bool load_pairs(struct ryaml *y, const yaml_node_t *n, const char *what,
                       struct label **out, size_t *n_out)
{
    if (n->type != YAML_MAPPING_NODE) {
        ryaml_err(y, n, "%s must be a mapping", what);
        return false;
    }
    size_t len = ryaml_len(n);
    *out = len ? calloc(len, sizeof(**out)) : NULL;
    if (len && *out == NULL)
        return false;
    bool ok = true;
    static const struct labels none = {0};
    static const struct template_data nothing = {&none, 0, NULL, NULL};
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *v, *k = ryaml_pair(y, n, i, &v);
        const char *name = ryaml_scalar(y, k, what);
        const char *text = ryaml_scalar(y, v, what);
        if (name == NULL || text == NULL) {
            ok = false;
            continue;
        }
        if (!is_name(name, false)) {
            ryaml_err(y, k, "%s: invalid name \"%s\"", what, name);
            ok = false;
        }
        struct buf scratch = {0};
        char why[TEMPLATE_ERR_MAX];
        if (template_expand(text, &nothing, &scratch, why) != 0) {
            ryaml_err(y, v, "%s %s: %s", what, name, why);
            ok = false;
        }
        buf_free(&scratch);
        (*out)[*n_out].name = strdup(name);
        (*out)[*n_out].value = strdup(text);
        (*n_out)++;
        if ((*out)[*n_out - 1].name == NULL || (*out)[*n_out - 1].value == NULL)
            ok = false;
    }
    return ok;
}

static bool load_expr(struct ryaml *y, const yaml_node_t *n,
                      struct rule_alert *a)
{
    const char *text = ryaml_scalar(y, n, "expr");
    if (text == NULL)
        return false;
    char err[PROMQL_ERR_MAX];
    size_t pos, line, col;
    a->expr_text = strdup(text);
    int rc = promql_parse(text, strlen(text), &a->expr, err, &pos);
    if (rc == 0)
        return a->expr_text != NULL;
    ryaml_place(y, n, pos, &line, &col);
    ryaml_err_at(y, line, col, "expr: %s", err);
    return false;
}

static bool load_rule(struct ryaml *y, const yaml_node_t *n,
                      struct rule_alert *a)
{
    if (n->type != YAML_MAPPING_NODE)
        return ryaml_keys(y, n, rule_keys, "a rule");
    /* An unknown key is reported, and the rest still checked. */
    bool keys_ok = ryaml_keys(y, n, rule_keys, "a rule");
    yaml_node_t *rec = ryaml_get(y, n, "record");
    if (rec != NULL) {
        const char *name = ryaml_scalar(y, rec, "record");
        ryaml_err(y, ryaml_key_node(y, n, "record"),
                  "recording rules are not supported (record: %s); keep it "
                  "in a file only Prometheus loads",
                  name ? name : "?");
        return false;
    }
    yaml_node_t *alert = ryaml_get(y, n, "alert"), *v;
    if (alert == NULL) {
        ryaml_err(y, n, "a rule needs alert");
        return false;
    }
    const char *name = ryaml_scalar(y, alert, "alert");
    bool ok = name != NULL;
    if (name != NULL && !is_name(name, true)) {
        ryaml_err(y, alert, "alert: invalid name \"%s\"", name);
        ok = false;
    }
    a->name = strdup(name ? name : "");
    if ((v = ryaml_get(y, n, "expr")) == NULL) {
        ryaml_err(y, n, "alert %s needs expr", name ? name : "");
        ok = false;
    } else {
        ok = load_expr(y, v, a) && ok;
    }
    if ((v = ryaml_get(y, n, "for")) != NULL)
        ok = ryaml_duration(y, v, "for", &a->for_ms) && ok;
    if ((v = ryaml_get(y, n, "keep_firing_for")) != NULL)
        ok = ryaml_duration(y, v, "keep_firing_for", &a->keep_firing_for_ms) &&
             ok;
    if ((v = ryaml_get(y, n, "labels")) != NULL)
        ok = load_pairs(y, v, "labels", &a->labels, &a->n_labels) && ok;
    if ((v = ryaml_get(y, n, "annotations")) != NULL)
        ok = load_pairs(y, v, "annotations", &a->annotations,
                        &a->n_annotations) &&
             ok;
    return ok && keys_ok && a->name != NULL;
}

static bool load_group(struct ryaml *y, const yaml_node_t *n,
                       struct rule_group *g, const struct rule_file *f)
{
    if (!ryaml_keys(y, n, group_keys, "a group"))
        return false;
    yaml_node_t *v = ryaml_get(y, n, "name");
    const char *name = v ? ryaml_scalar(y, v, "name") : NULL;
    bool ok = name != NULL && name[0] != '\0';
    if (v == NULL || (name != NULL && name[0] == '\0'))
        ryaml_err(y, v ? v : n, "a group needs a name");
    for (size_t i = 0; ok && i < f->n_groups; i++)
        if (f->groups[i].name && strcmp(f->groups[i].name, name) == 0) {
            ryaml_err(y, v, "group %s: the name is used twice", name);
            ok = false;
        }
    g->name = strdup(name ? name : "");
    if ((v = ryaml_get(y, n, "interval")) != NULL)
        ok = ryaml_duration(y, v, "interval", &g->interval_ms) && ok;
    if (ryaml_get(y, n, "limit") != NULL) {
        ryaml_err(y, ryaml_key_node(y, n, "limit"), "limit is not supported");
        ok = false;
    }
    if ((v = ryaml_get(y, n, "rules")) == NULL)
        return ok && g->name != NULL;
    if (!ryaml_is_list(y, v, "rules"))
        return false;
    g->rules = ryaml_len(v) ? calloc(ryaml_len(v), sizeof(*g->rules)) : NULL;
    if (ryaml_len(v) && g->rules == NULL)
        return false;
    for (size_t i = 0; g->rules != NULL && i < ryaml_len(v); i++) {
        ok = load_rule(y, ryaml_item(y, v, i), &g->rules[i]) && ok;
        g->n_rules++;
    }
    return ok && g->name != NULL;
}

int rulefile_load(const char *path, struct rule_file **out, struct buf *errors)
{
    struct ryaml y;
    *out = NULL;
    int rc = ryaml_open(&y, path, errors);
    if (rc != 0) {
        ryaml_close(&y);
        return rc;
    }
    struct rule_file *f = calloc(1, sizeof(*f));
    yaml_node_t *root = ryaml_root(&y), *groups;
    bool ok = f != NULL;
    if (ok && root != NULL && ryaml_keys(&y, root, file_keys, "a rule file") &&
        (groups = ryaml_get(&y, root, "groups")) != NULL &&
        ryaml_is_list(&y, groups, "groups")) {
        size_t n = ryaml_len(groups);
        f->groups = n ? calloc(n, sizeof(*f->groups)) : NULL;
        ok = n == 0 || f->groups != NULL;
        for (size_t i = 0; f->groups != NULL && i < n; i++) {
            struct rule_group g = {0};
            /* Every group, so that one run shows every mistake. */
            ok = load_group(&y, ryaml_item(&y, groups, i), &g, f) && ok;
            f->groups[f->n_groups++] = g;
        }
    }
    if (f == NULL)
        buf_printf(errors, "%s: out of memory\n", path);
    rc = y.n_errors > 0 ? -EINVAL : !ok ? -ENOMEM : 0;
    ryaml_close(&y);
    if (rc != 0) {
        rulefile_free(f);
        return rc;
    }
    *out = f;
    return 0;
}
