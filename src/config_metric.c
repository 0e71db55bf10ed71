/*
 * Loading the metrics: names, labels and their transforms, values,
 * conditions, buckets, costs. Part of the configuration loader (config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_load.h"

#define LOADER_MAX_COND_DEPTH 16

/* Prometheus' client defaults, for histograms that name no buckets. */
static const char *const default_buckets[] = {"0.005", "0.01", "0.025", "0.05",
                                              "0.1",   "0.25", "0.5",   "1",
                                              "2.5",   "5",    "10"};

static bool load_cond(struct loader *L, const yaml_node_t *n,
                      struct cfg_cond *c, int depth);

static bool load_cond_list(struct loader *L, const yaml_node_t *n,
                           struct cfg_cond *c, enum cond_op op, int depth)
{
    c->op = op;
    c->field = -1;
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, op == COND_ALL ? "all" : "any"))
        return false;
    c->n_subs = cfg_seq_len(n);
    if (c->n_subs == 0) {
        cfg_err(L, n, "a condition list must not be empty");
        return false;
    }
    c->subs = cfg_alloc(L, c->n_subs * sizeof(*c->subs));
    if (c->subs == NULL)
        return false;
    bool ok = true;
    for (size_t i = 0; i < c->n_subs; i++)
        ok &= load_cond(L, cfg_node(L, n->data.sequence.items.start[i]),
                        &c->subs[i], depth + 1);
    return ok;
}

/* The text of a scalar compared against field values. */
static bool cfg_match_value(struct loader *L, const yaml_node_t *n,
                            const char **value, uint32_t *len)
{
    size_t l;
    *value = cfg_scalar(L, n, "a value to compare with", &l);
    *len = (uint32_t)l;
    return *value != NULL;
}

static bool load_cond(struct loader *L, const yaml_node_t *n,
                      struct cfg_cond *c, int depth)
{
    static const char *const keys[] = {"field", "equals", "in",  "exists",
                                       "all",   "any",    "not", NULL};
    if (depth > LOADER_MAX_COND_DEPTH) {
        cfg_err(L, n, "conditions nest deeper than %d levels",
                LOADER_MAX_COND_DEPTH);
        return false;
    }
    if (n->type == YAML_SEQUENCE_NODE)
        return load_cond_list(L, n, c, COND_ALL, depth);
    if (!cfg_keys(L, n, keys, "a condition"))
        return false;

    yaml_node_t *all = cfg_get(L, n, "all"), *any = cfg_get(L, n, "any"),
                *not = cfg_get(L, n, "not"), *field = cfg_get(L, n, "field");
    yaml_node_t *eq = cfg_get(L, n, "equals"), *in = cfg_get(L, n, "in"),
                *ex = cfg_get(L, n, "exists");
    int combinators = !!all + !!any + !!not ;
    int tests = !!eq + !!in + !!ex;

    if (combinators > 0) {
        if (combinators > 1 || field || tests) {
            cfg_err(L, n,
                    "a condition with all, any or not must have nothing else");
            return false;
        }
        if (all)
            return load_cond_list(L, all, c, COND_ALL, depth);
        if (any)
            return load_cond_list(L, any, c, COND_ANY, depth);
        c->op = COND_NOT;
        c->field = -1;
        c->n_subs = 1;
        c->subs = cfg_alloc(L, sizeof(*c->subs));
        return c->subs && load_cond(L, not, c->subs, depth + 1);
    }
    if (field == NULL) {
        cfg_err(L, n, "a condition needs \"field\" (or all, any, not)");
        return false;
    }
    if (tests != 1) {
        cfg_err(L, n, "a condition needs exactly one of equals, in, exists");
        return false;
    }
    c->field = cfg_field_ref(L, field, "condition field");
    if (c->field < 0)
        return false;
    if (eq) {
        const char **vals = cfg_alloc(L, sizeof(*vals));
        uint32_t *lens = cfg_alloc(L, sizeof(*lens));
        c->op = COND_EQUALS;
        c->n_values = 1;
        c->values = vals;
        c->value_lens = lens;
        return vals && lens && cfg_match_value(L, eq, &vals[0], &lens[0]);
    }
    if (in) {
        c->op = COND_IN;
        if (!cfg_want(L, in, YAML_SEQUENCE_NODE, "in"))
            return false;
        c->n_values = cfg_seq_len(in);
        if (c->n_values == 0) {
            cfg_err(L, in, "\"in\" must list at least one value");
            return false;
        }
        const char **vals = cfg_alloc(L, c->n_values * sizeof(*vals));
        uint32_t *lens = cfg_alloc(L, c->n_values * sizeof(*lens));
        if (vals == NULL || lens == NULL)
            return false;
        bool ok = true;
        for (size_t i = 0; i < c->n_values; i++)
            ok &= cfg_match_value(L,
                                  cfg_node(L, in->data.sequence.items.start[i]),
                                  &vals[i], &lens[i]);
        c->values = vals;
        c->value_lens = lens;
        return ok;
    }
    bool b;
    if (!cfg_bool(L, ex, "exists", &b))
        return false;
    c->op = b ? COND_EXISTS : COND_ABSENT;
    return true;
}

static void load_label(struct loader *L, const yaml_node_t *key,
                       const yaml_node_t *val, struct cfg_label *lab,
                       bool constant)
{
    static const char *const keys[] = {"field", "default", NULL};
    lab->field = -1;
    lab->name = cfg_string(L, key, "label name");
    if (lab->name && !cfg_is_label_name(lab->name))
        cfg_err(L, key,
                "\"%s\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                lab->name);
    else if (lab->name && strncmp(lab->name, "__", 2) == 0)
        cfg_err(L, key, "label names starting with \"__\" are reserved");
    if (constant) {
        size_t len;
        lab->value = cfg_scalar(L, val, "label value", &len);
        lab->value_len = (uint32_t)len;
        lab->has_value = lab->value != NULL;
        return;
    }
    if (val->type == YAML_SCALAR_NODE) {
        lab->field = cfg_field_ref(L, val, "label field");
        return;
    }
    if (!cfg_keys(L, val, keys, "a label"))
        return;
    yaml_node_t *f = cfg_get(L, val, "field"), *d = cfg_get(L, val, "default");
    if (f == NULL)
        cfg_err(L, val, "label \"%s\" needs \"field\"",
                lab->name ? lab->name : "?");
    else
        lab->field = cfg_field_ref(L, f, "label field");
    if (d != NULL) {
        size_t len;
        lab->value = cfg_scalar(L, d, "label default", &len);
        lab->value_len = (uint32_t)len;
        lab->has_value = lab->value != NULL;
    }
}

static void load_labels(struct loader *L, const yaml_node_t *n,
                        struct cfg_label **out, size_t *count, bool constant)
{
    if (!cfg_want(L, n, YAML_MAPPING_NODE,
                  constant ? "const_labels" : "labels"))
        return;
    size_t cnt = cfg_map_len(n);
    if (cnt == 0)
        return;
    *out = cfg_alloc(L, cnt * sizeof(**out));
    if (*out == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        load_label(L, cfg_node(L, p->key), cfg_node(L, p->value), &(*out)[i],
                   constant);
    }
    *count = cnt;
}

static void load_buckets(struct loader *L, const yaml_node_t *n,
                         struct cfg_metric *m)
{
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, "buckets"))
        return;
    size_t cnt = cfg_seq_len(n);
    if (cnt == 0) {
        cfg_err(L, n, "buckets must list at least one upper bound");
        return;
    }
    m->buckets = cfg_alloc(L, cnt * sizeof(*m->buckets));
    if (m->buckets == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *b = cfg_node(L, n->data.sequence.items.start[i]);
        struct num_dec d;
        num_fixed v;
        if (!cfg_number(L, b, "bucket bound", &d))
            continue;
        if (num_to_fixed(&d, NULL, &v) != 0) {
            cfg_err(L, b, "bucket bound is out of range");
            continue;
        }
        if (m->n_buckets > 0 && v <= m->buckets[m->n_buckets - 1]) {
            cfg_err(L, b, "bucket bounds must increase strictly");
            continue;
        }
        m->buckets[m->n_buckets++] = v;
    }
}

static void default_help(struct loader *L, struct cfg_metric *m)
{
    char text[512];
    const char *field =
        m->value_field >= 0 ? L->fields[m->value_field].path : NULL;
    switch (m->type) {
    case METRIC_COUNTER:
        if (field)
            snprintf(text, sizeof(text), "Sum of log field %s.", field);
        else
            snprintf(text, sizeof(text), "Number of matching log lines.");
        break;
    case METRIC_GAUGE:
        snprintf(text, sizeof(text), "Last value of log field %s.",
                 field ? field : "?");
        break;
    case METRIC_HISTOGRAM:
        snprintf(text, sizeof(text), "Distribution of log field %s.",
                 field ? field : "?");
        break;
    }
    m->help = arena_strdup(&L->cfg->arena, text);
}

void cfg_load_metric(struct loader *L, const yaml_node_t *n,
                     struct cfg_metric *m)
{
    static const char *const keys[] = {
        "name",  "type",    "help", "labels", "const_labels", "value",
        "scale", "buckets", "when", "inputs", "max_series",   NULL};
    yaml_node_t *v;

    m->value_field = -1;
    m->max_series = CONFIG_DEFAULT_MAX_SERIES;
    if (!cfg_keys(L, n, keys, "a metric"))
        return;

    yaml_node_t *name_node = cfg_get(L, n, "name");
    if (name_node == NULL) {
        cfg_err(L, n, "a metric needs a \"name\"");
    } else if ((m->name = cfg_string(L, name_node, "metric name")) != NULL) {
        if (!cfg_is_metric_name(m->name))
            cfg_err(L, name_node,
                    "\"%s\" is not a valid metric name "
                    "([a-zA-Z_:][a-zA-Z0-9_:]*)",
                    m->name);
        else if (strncmp(m->name, "tokentail_", 10) == 0 ||
                 strncmp(m->name, "process_", 8) == 0)
            cfg_err(L, name_node,
                    "metric names starting with \"tokentail_\" or \"process_\" "
                    "are reserved for tokentail's own metrics");
    }

    v = cfg_get(L, n, "type");
    if (v == NULL) {
        cfg_err(L, n, "a metric needs a \"type\": counter, gauge or histogram");
    } else {
        const char *t = cfg_scalar(L, v, "metric type", NULL);
        if (t && strcmp(t, "counter") == 0)
            m->type = METRIC_COUNTER;
        else if (t && strcmp(t, "gauge") == 0)
            m->type = METRIC_GAUGE;
        else if (t && strcmp(t, "histogram") == 0)
            m->type = METRIC_HISTOGRAM;
        else if (t)
            cfg_err(L, v,
                    "unknown metric type \"%s\" (counter, gauge or histogram)",
                    t);
    }

    if (m->name && name_node && v) {
        if (m->type == METRIC_COUNTER && !cfg_ends_with(m->name, "_total"))
            cfg_err(L, name_node, "counter names must end in \"_total\"");
        if (m->type != METRIC_COUNTER && cfg_ends_with(m->name, "_total"))
            cfg_err(L, name_node, "only counter names may end in \"_total\"");
        if (m->type == METRIC_HISTOGRAM && (cfg_ends_with(m->name, "_bucket") ||
                                            cfg_ends_with(m->name, "_sum") ||
                                            cfg_ends_with(m->name, "_count")))
            cfg_err(L, name_node,
                    "histogram names must not end in _bucket, _sum or _count");
    }

    if ((v = cfg_get(L, n, "help")) != NULL)
        m->help = cfg_string(L, v, "help");
    if ((v = cfg_get(L, n, "labels")) != NULL)
        load_labels(L, v, &m->labels, &m->n_labels, false);
    if ((v = cfg_get(L, n, "const_labels")) != NULL)
        load_labels(L, v, &m->const_labels, &m->n_const_labels, true);

    /* Label names are unique across both kinds; "le" belongs to buckets. */
    size_t total = m->n_labels + m->n_const_labels;
    for (size_t i = 0; i < total; i++) {
        const struct cfg_label *a =
            i < m->n_labels ? &m->labels[i] : &m->const_labels[i - m->n_labels];
        if (a->name == NULL)
            continue;
        if (m->type == METRIC_HISTOGRAM && strcmp(a->name, "le") == 0)
            cfg_err(L, n, "histogram %s: the label \"le\" is reserved",
                    m->name ? m->name : "?");
        for (size_t j = 0; j < i; j++) {
            const struct cfg_label *b = j < m->n_labels
                                            ? &m->labels[j]
                                            : &m->const_labels[j - m->n_labels];
            if (b->name && strcmp(a->name, b->name) == 0)
                cfg_err(L, n, "metric %s: label \"%s\" is defined twice",
                        m->name ? m->name : "?", a->name);
        }
    }

    if ((v = cfg_get(L, n, "value")) != NULL)
        m->value_field = cfg_field_ref(L, v, "value field");
    else if (m->type != METRIC_COUNTER)
        cfg_err(L, n, "a %s needs a \"value\" field",
                config_metric_type_name(m->type));

    if ((v = cfg_get(L, n, "scale")) != NULL) {
        if (cfg_get(L, n, "value") == NULL)
            cfg_err(L, v, "scale applies to a value; this metric has none");
        else if (cfg_number(L, v, "scale", &m->scale)) {
            m->has_scale = true;
            if (m->scale.mant == 0)
                cfg_err(L, v, "scale must not be zero");
            else if (m->type == METRIC_COUNTER && m->scale.neg)
                cfg_err(L, v, "a counter's scale must be positive");
        }
    }

    if ((v = cfg_get(L, n, "buckets")) != NULL) {
        if (m->type != METRIC_HISTOGRAM)
            cfg_err(L, v, "buckets apply to histograms only");
        else
            load_buckets(L, v, m);
    } else if (m->type == METRIC_HISTOGRAM) {
        size_t cnt = sizeof(default_buckets) / sizeof(default_buckets[0]);
        m->buckets = cfg_alloc(L, cnt * sizeof(*m->buckets));
        for (size_t i = 0; m->buckets && i < cnt; i++) {
            struct num_dec d;
            num_parse_text(default_buckets[i], strlen(default_buckets[i]), &d);
            num_to_fixed(&d, NULL, &m->buckets[i]);
            m->n_buckets++;
        }
    }

    if ((v = cfg_get(L, n, "when")) != NULL) {
        m->when = cfg_alloc(L, sizeof(*m->when));
        if (m->when && !load_cond(L, v, m->when, 0))
            m->when = NULL;
    }

    if ((v = cfg_get(L, n, "inputs")) != NULL &&
        cfg_want(L, v, YAML_SEQUENCE_NODE, "inputs")) {
        size_t cnt = cfg_seq_len(v);
        m->inputs = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*m->inputs));
        for (size_t i = 0; m->inputs && i < cnt; i++) {
            yaml_node_t *in = cfg_node(L, v->data.sequence.items.start[i]);
            const char *s = cfg_string(L, in, "input name");
            if (s == NULL)
                continue;
            int idx = config_input_index(L->cfg, s);
            if (idx < 0)
                cfg_err(L, in, "no input is named \"%s\"", s);
            else
                m->inputs[m->n_inputs++] = idx;
        }
    }

    if ((v = cfg_get(L, n, "max_series")) != NULL)
        cfg_size(L, v, "max_series", 1, 10000000, false, &m->max_series);

    if (m->help == NULL)
        default_help(L, m);
}

/* Reports metrics whose exposed names collide. */
void cfg_check_metric_names(struct loader *L, const yaml_node_t *seq)
{
    struct config *cfg = L->cfg;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < cfg->n_metrics; i++) {
        const struct cfg_metric *a = &cfg->metrics[i];
        yaml_node_t *an = cfg_node(L, seq->data.sequence.items.start[i]);
        if (a->name == NULL)
            continue;
        for (size_t j = 0; j < cfg->n_metrics; j++) {
            const struct cfg_metric *b = &cfg->metrics[j];
            yaml_node_t *bn = cfg_node(L, seq->data.sequence.items.start[j]);
            if (j == i || b->name == NULL)
                continue;
            if (j < i && strcmp(a->name, b->name) == 0) {
                cfg_err(L, an,
                        "duplicate metric name \"%s\" (first at line %zu)",
                        a->name, bn->start_mark.line + 1);
                break;
            }
            if (b->type != METRIC_HISTOGRAM)
                continue;
            size_t bl = strlen(b->name);
            for (int s = 0; s < 3; s++)
                if (strncmp(a->name, b->name, bl) == 0 &&
                    strcmp(a->name + bl, suffixes[s]) == 0)
                    cfg_err(L, an,
                            "metric name \"%s\" collides with the %s series of "
                            "histogram %s (line %zu)",
                            a->name, suffixes[s] + 1, b->name,
                            bn->start_mark.line + 1);
        }
    }
}
