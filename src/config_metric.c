/*
 * Loading the metrics: names and types, value sources, costs, buckets and
 * help. Part of the configuration loader (config.c), with the YAML helpers
 * of config_yaml.c, the labels of config_label.c and the conditions of
 * config_cond.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_cond.h"
#include "config_label.h"
#include "config_metric.h"
#include "config_time.h"
#include "config_yaml.h"

/* Prometheus' client defaults, for histograms that name no buckets. */
static const char *const default_buckets[] = {"0.005", "0.01", "0.025", "0.05",
                                              "0.1",   "0.25", "0.5",   "1",
                                              "2.5",   "5",    "10"};

/* The enums' names by index, for cfg_choices. */
static const char *type_name(size_t i)
{
    return metric_type_name((enum metric_type)i);
}

static const char *cost_kind_name(size_t i)
{
    return config_cost_kind_name((enum cost_kind)i);
}

/* --- values -------------------------------------------------------------- */

static bool load_scale(struct loader *L, const yaml_node_t *v,
                       enum metric_type type, struct num_dec *scale)
{
    if (!cfg_number(L, v, "scale", scale))
        return false;
    if (scale->mant == 0) {
        cfg_err(L, v, "scale must not be zero");
        return false;
    }
    if (type == METRIC_COUNTER && scale->neg) {
        cfg_err(L, v, "a counter's scale must be positive");
        return false;
    }
    return true;
}

/* Where a value's number comes from: one field, or an expression. */
static void load_value_source(struct loader *L, const yaml_node_t *n,
                              struct cfg_value *v)
{
    yaml_node_t *f = cfg_get(L, n, "field"), *e = cfg_get(L, n, "expr");
    yaml_node_t *x;
    if (f != NULL && e != NULL)
        cfg_err(L, e, "a value takes \"field\" or \"expr\", not both");
    else if (e != NULL)
        cfg_load_expr(L, e, v);
    else if (f != NULL)
        v->field = cfg_field_ref(L, f, "value field");
    else
        cfg_err(L, n, "a value needs \"field\" (or \"expr\" or \"duration\")");
    if ((x = cfg_get(L, n, "regex")) != NULL && e != NULL)
        cfg_err(L, x,
                "regex takes the number out of one field's text; an "
                "expression has none");
    else if (x != NULL)
        cfg_regex(L, x, "regex", &v->regex);
    if ((x = cfg_get(L, n, "as")) != NULL && e != NULL)
        cfg_err(L, x,
                "\"as\" says how a field's text is read; an expression "
                "reads its fields as numbers");
}

/* An entry of values applies to the lines its condition admits. */
static void load_value_when(struct loader *L, const yaml_node_t *x,
                            struct cfg_value *v, bool in_list)
{
    if (!in_list) {
        cfg_err(L, x,
                "when of a value belongs to the entries of \"values\"; "
                "use the metric's when");
        return;
    }
    v->when = cfg_alloc(L, sizeof(*v->when));
    if (v->when != NULL && !cfg_load_cond(L, x, v->when, 0))
        v->when = NULL;
}

/*
 * value: a field path, or {field, as, scale, regex, labels, when}, {expr,
 * scale, labels, when} or {duration, scale, labels, when} (labels and
 * when: in values)
 */
static void load_value(struct loader *L, const yaml_node_t *n,
                       struct cfg_metric *m, struct cfg_value *v, bool in_list)
{
    static const char *const keys[] = {"field",  "expr",  "duration",
                                       "as",     "scale", "regex",
                                       "labels", "when",  NULL};
    yaml_node_t *x;
    v->field = -1;
    if (n->type == YAML_SCALAR_NODE) {
        v->field = cfg_field_ref(L, n, "value field");
        return;
    }
    if (!cfg_keys(L, n, keys, "a value"))
        return;
    if (cfg_load_value_time(L, n, v)) {
        /* a duration between two time fields */
        if ((x = cfg_get(L, n, "expr")) != NULL)
            cfg_err(L, x,
                    "a value takes its number from \"expr\" or from "
                    "\"duration\", not both");
    } else {
        load_value_source(L, n, v);
    }
    if ((x = cfg_get(L, n, "scale")) != NULL)
        v->has_scale = load_scale(L, x, m->type, &v->scale);
    if ((x = cfg_get(L, n, "labels")) != NULL) {
        if (!in_list)
            cfg_err(L, x,
                    "labels of a value belong to the entries of "
                    "\"values\"; use the metric's labels");
        else
            cfg_load_labels(L, x, &v->labels, &v->n_labels, true, "labels");
    }
    if ((x = cfg_get(L, n, "when")) != NULL)
        load_value_when(L, x, v, in_list);
}

static void load_values(struct loader *L, const yaml_node_t *n,
                        struct cfg_metric *m)
{
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, "values"))
        return;
    size_t cnt = cfg_seq_len(n);
    if (cnt == 0) {
        cfg_err(L, n, "values must list at least one value");
        return;
    }
    m->values = cfg_alloc(L, cnt * sizeof(*m->values));
    if (m->values == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = cfg_node(L, n->data.sequence.items.start[i]);
        load_value(L, item, m, &m->values[i], true);
        /* Every source must name the same labels, in the same order. */
        const struct cfg_value *a = &m->values[0], *b = &m->values[i];
        bool same = a->n_labels == b->n_labels;
        for (size_t k = 0; same && k < a->n_labels; k++)
            same = a->labels[k].name && b->labels[k].name &&
                   strcmp(a->labels[k].name, b->labels[k].name) == 0;
        if (!same)
            cfg_err(L, item,
                    "every entry of values must have the same "
                    "labels, in the same order");
    }
    m->n_values = cnt;
    m->n_value_labels = m->values[0].n_labels;
}

/* cached_in_prompt (v) of the cost n: does the prompt count the cached? */
static void load_cached_in_prompt(struct loader *L, const yaml_node_t *n,
                                  const yaml_node_t *v, struct cfg_cost *c)
{
    if (!cfg_bool(L, v, "cached_in_prompt", &c->cached_in_prompt) ||
        !c->cached_in_prompt)
        return;
    if (cfg_get(L, n, config_cost_kind_name(COST_PROMPT)) == NULL)
        cfg_err(L, v,
                "cached_in_prompt says the prompt field counts the cached "
                "tokens, but this cost names no prompt field");
    else if (cfg_get(L, n, config_cost_kind_name(COST_CACHED)) == NULL &&
             cfg_get(L, n, config_cost_kind_name(COST_CACHE_WRITE)) == NULL)
        cfg_err(L, v,
                "cached_in_prompt needs a cached (or cache_write) field: the "
                "tokens the prompt field counts that are billed apart");
}

/*
 * A cost's model: a field path, or {field, regex, lower, map, unmapped}
 * whose steps turn the field's text into the name looked up.
 */
static void load_cost_model(struct loader *L, const yaml_node_t *v,
                            struct cfg_cost *c)
{
    static const char *const keys[] = {"field", "regex",    "lower",
                                       "map",   "unmapped", NULL};
    struct cfg_label *lab = &c->model;
    if (v->type == YAML_SCALAR_NODE) {
        lab->field = cfg_field_ref(L, v, "model field");
        return;
    }
    if (!cfg_keys(L, v, keys, "a cost's model"))
        return;
    const yaml_node_t *f = cfg_get(L, v, "field");
    if (f == NULL)
        cfg_err(L, v, "a cost's model needs \"field\"");
    else
        lab->field = cfg_field_ref(L, f, "model field");
    cfg_load_transform(L, v, lab);
}

static void load_cost(struct loader *L, const yaml_node_t *n,
                      struct cfg_metric *m)
{
    /* model, the kinds, prefer, cached_in_prompt, NULL */
    const char *keys[1 + COST_KINDS + 3] = {"model"};
    for (int k = 0; k < COST_KINDS; k++)
        keys[k + 1] = config_cost_kind_name((enum cost_kind)k);
    keys[COST_KINDS + 1] = "prefer";
    keys[COST_KINDS + 2] = "cached_in_prompt";
    yaml_node_t *v;
    struct cfg_cost *c = cfg_alloc(L, sizeof(*c));
    if (c == NULL || !cfg_keys(L, n, keys, "a cost"))
        return;
    c->model.name = "model";
    c->model.field = c->prefer = -1;
    bool any = false;
    for (int k = 0; k < COST_KINDS; k++) {
        c->tokens[k] = -1;
        if ((v = cfg_get(L, n, config_cost_kind_name((enum cost_kind)k))) !=
            NULL) {
            c->tokens[k] = cfg_field_ref(L, v, "token field");
            any = true;
        }
    }
    if (!any) {
        char kinds[128];
        cfg_err(L, n, "a cost needs at least one token field: %s",
                cfg_choices(kinds, sizeof(kinds), cost_kind_name, COST_KINDS,
                            false));
    }
    if ((v = cfg_get(L, n, "model")) != NULL)
        load_cost_model(L, v, c);
    if ((v = cfg_get(L, n, "prefer")) != NULL)
        c->prefer = cfg_field_ref(L, v, "cost field");
    if ((v = cfg_get(L, n, "cached_in_prompt")) != NULL)
        load_cached_in_prompt(L, n, v, c);
    if (m->type != METRIC_COUNTER)
        cfg_err(L, n, "a cost is added up: the metric must be a counter");
    if (L->cfg->n_prices == 0)
        cfg_err(L, n,
                "a cost needs a pricing table (the top-level "
                "\"pricing\")");
    m->cost = c;
}

/* --- buckets and help ---------------------------------------------------- */

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
    num_fixed *bounds = cfg_alloc(L, cnt * sizeof(*bounds));
    if (bounds == NULL)
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
        if (m->n_buckets > 0 && v <= bounds[m->n_buckets - 1]) {
            cfg_err(L, b, "bucket bounds must increase strictly");
            continue;
        }
        bounds[m->n_buckets++] = v;
    }
    m->buckets = bounds;
}

static void default_buckets_for(struct loader *L, struct cfg_metric *m)
{
    size_t cnt = sizeof(default_buckets) / sizeof(default_buckets[0]);
    num_fixed *bounds = cfg_alloc(L, cnt * sizeof(*bounds));
    for (size_t i = 0; bounds && i < cnt; i++) {
        struct num_dec d;
        num_parse_text(default_buckets[i], strlen(default_buckets[i]), &d);
        num_to_fixed(&d, NULL, &bounds[i]);
        m->n_buckets++;
    }
    m->buckets = bounds;
}

static void default_help(struct loader *L, struct cfg_metric *m)
{
    static const char *const gauge_help[GAUGE_UPDATE_COUNT] = {
        [GAUGE_SET] = "Last value",
        [GAUGE_ADD] = "Running sum",
        [GAUGE_MAX] = "Largest value",
        [GAUGE_MIN] = "Smallest value",
    };
    char text[512], what[384] = "log field ?";
    const struct cfg_value *v = m->n_values > 0 ? &m->values[0] : NULL;
    if (v != NULL && v->expr_text != NULL) {
        snprintf(what, sizeof(what), "%s", v->expr_text);
    } else if (v != NULL && v->between != NULL) {
        char fields[240];
        cfg_between_text(L, v->between, fields, sizeof(fields));
        snprintf(what, sizeof(what), "the seconds from %s", fields);
    } else if (v != NULL && v->field >= 0) {
        snprintf(what, sizeof(what), "log field %s", L->fields[v->field].path);
    }
    if (m->cost != NULL)
        snprintf(text, sizeof(text), "Cost of the tokens in US dollars.");
    else if (m->type == METRIC_COUNTER && m->n_values == 0)
        snprintf(text, sizeof(text), "Number of matching log lines.");
    else if (m->type == METRIC_COUNTER)
        snprintf(text, sizeof(text), "Sum of %s%s.", what,
                 m->n_values > 1 ? " and others" : "");
    else if (m->type == METRIC_GAUGE)
        snprintf(text, sizeof(text), "%s of %s.", gauge_help[m->update], what);
    else
        snprintf(text, sizeof(text), "Distribution of %s.", what);
    m->help = cfg_strdup(L, text);
}

/* --- a metric ------------------------------------------------------------ */

/* Where the values come from: value (with scale), values, or cost. */
static void load_sources(struct loader *L, const yaml_node_t *n,
                         struct cfg_metric *m)
{
    yaml_node_t *value = cfg_get(L, n, "value"),
                *values = cfg_get(L, n, "values"),
                *cost = cfg_get(L, n, "cost"), *scale = cfg_get(L, n, "scale");
    if (!!value + !!values + !!cost > 1)
        cfg_err(L, n, "a metric takes one of value, values and cost");
    if (value != NULL) {
        m->values = cfg_alloc(L, sizeof(*m->values));
        if (m->values != NULL) {
            load_value(L, value, m, &m->values[0], false);
            m->n_values = 1;
            if (scale != NULL && m->values[0].has_scale)
                cfg_err(L, scale, "the value already has a scale");
            else if (scale != NULL)
                m->values[0].has_scale =
                    load_scale(L, scale, m->type, &m->values[0].scale);
        }
    } else if (scale != NULL) {
        cfg_err(L, scale,
                "scale applies to a value; this metric has none "
                "(entries of values take their own)");
    }
    if (values != NULL)
        load_values(L, values, m);
    if (cost != NULL)
        load_cost(L, cost, m);
    if (m->n_values == 0 && m->cost == NULL && m->type != METRIC_COUNTER)
        cfg_err(L, n, "a %s needs a \"value\" field",
                metric_type_name(m->type));
}

static const char *update_name(size_t i)
{
    return gauge_update_name((enum gauge_update)i);
}

/* update: how a gauge's lines move it; only gauges take one. */
static void load_update(struct loader *L, const yaml_node_t *v,
                        struct cfg_metric *m)
{
    int u = cfg_choice(L, v, "update", gauge_update_parse, update_name,
                       GAUGE_UPDATE_COUNT, false);
    if (u < 0)
        return;
    if (m->type != METRIC_GAUGE)
        cfg_err(L, v,
                "update applies to gauges: a counter always adds, a "
                "histogram observes");
    else
        m->update = (enum gauge_update)u;
}

/* inputs: the names of the inputs whose lines the metric reads. */
static void load_metric_inputs(struct loader *L, const yaml_node_t *v,
                               struct cfg_metric *m)
{
    if (!cfg_want(L, v, YAML_SEQUENCE_NODE, "inputs"))
        return;
    size_t cnt = cfg_seq_len(v);
    int *inputs = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*inputs));
    for (size_t i = 0; inputs && i < cnt; i++) {
        yaml_node_t *in = cfg_node(L, v->data.sequence.items.start[i]);
        const char *s = cfg_string(L, in, "input name");
        if (s == NULL)
            continue;
        int idx = config_input_index(L->cfg, s);
        if (idx < 0)
            cfg_err(L, in, "no input is named \"%s\"", s);
        else
            inputs[m->n_inputs++] = idx;
    }
    m->inputs = inputs;
}

static void load_name_and_type(struct loader *L, const yaml_node_t *n,
                               struct cfg_metric *m)
{
    yaml_node_t *name_node = cfg_get(L, n, "name"), *v = cfg_get(L, n, "type");
    if (name_node == NULL) {
        cfg_err(L, n, "a metric needs a \"name\"");
    } else if ((m->name = cfg_string(L, name_node, "metric name")) != NULL) {
        if (!cfg_is_metric_name(m->name))
            cfg_err(L, name_node,
                    "\"%s\" is not a valid metric name "
                    "([a-zA-Z_:][a-zA-Z0-9_:]*)",
                    m->name);
        else if (cfg_starts_with(m->name, "tokentail_") ||
                 cfg_starts_with(m->name, "process_"))
            cfg_err(L, name_node,
                    "metric names starting with \"tokentail_\" or \"process_\" "
                    "are reserved for tokentail's own metrics");
    }
    char types[64];
    cfg_choices(types, sizeof(types), type_name, METRIC_TYPE_COUNT, false);
    if (v == NULL) {
        cfg_err(L, n, "a metric needs a \"type\": %s", types);
        return;
    }
    const char *t = cfg_scalar(L, v, "metric type", NULL);
    int type = t ? metric_type_parse(t) : -1;
    if (type >= 0)
        m->type = (enum metric_type)type;
    else if (t)
        cfg_err(L, v, "unknown metric type \"%s\" (%s)", t, types);
    if (m->name == NULL || name_node == NULL || t == NULL)
        return;
    if (m->type == METRIC_COUNTER && !cfg_ends_with(m->name, "_total"))
        cfg_err(L, name_node, "counter names must end in \"_total\"");
    if (m->type != METRIC_COUNTER && cfg_ends_with(m->name, "_total"))
        cfg_err(L, name_node, "only counter names may end in \"_total\"");
    if (m->type == METRIC_HISTOGRAM &&
        (cfg_ends_with(m->name, "_bucket") || cfg_ends_with(m->name, "_sum") ||
         cfg_ends_with(m->name, "_count")))
        cfg_err(L, name_node,
                "histogram names must not end in _bucket, _sum or _count");
}

/* The key node of the i-th pair of the mapping under key in n, or NULL. */
static const yaml_node_t *label_key(struct loader *L, const yaml_node_t *n,
                                    const char *key, size_t i)
{
    const yaml_node_t *map = n ? cfg_get(L, n, key) : NULL;
    if (map == NULL || map->type != YAML_MAPPING_NODE || i >= cfg_map_len(map))
        return NULL;
    return cfg_node(L, map->data.mapping.pairs.start[i].key);
}

/* A label's name and where it is written (NULL: not found). */
struct label_at {
    const char *name;
    const yaml_node_t *key;
};

/* Collects m's label names with their keys: labels, value labels (the
 * first entry of values names them), constants. Returns how many. */
static size_t collect_labels(struct loader *L, const yaml_node_t *n,
                             const struct cfg_metric *m, struct label_at *out,
                             size_t max)
{
    const yaml_node_t *values = cfg_get(L, n, "values"), *first = NULL;
    if (values && values->type == YAML_SEQUENCE_NODE && cfg_seq_len(values))
        first = cfg_node(L, values->data.sequence.items.start[0]);
    size_t cnt = 0;
    for (size_t i = 0; i < m->n_labels && cnt < max; i++)
        out[cnt++] =
            (struct label_at){m->labels[i].name, label_key(L, n, "labels", i)};
    for (size_t i = 0; m->n_values && i < m->n_value_labels && cnt < max; i++)
        out[cnt++] = (struct label_at){m->values[0].labels[i].name,
                                       label_key(L, first, "labels", i)};
    for (size_t i = 0; i < m->n_const_labels && cnt < max; i++)
        out[cnt++] = (struct label_at){m->const_labels[i].name,
                                       label_key(L, n, "const_labels", i)};
    return cnt;
}

/*
 * Label names are unique across labels, value labels and constants, and
 * no more than the registry takes. A repeat is reported where it is
 * written.
 */
static void check_label_names(struct loader *L, const yaml_node_t *n,
                              const struct cfg_metric *m)
{
    struct label_at labels[CONFIG_MAX_LABELS + CONFIG_MAX_CONST_LABELS];
    if (m->n_labels + m->n_value_labels > CONFIG_MAX_LABELS)
        cfg_err(L, n, "metric %s: more than %d labels", m->name ? m->name : "?",
                CONFIG_MAX_LABELS);
    if (m->n_const_labels > CONFIG_MAX_CONST_LABELS)
        cfg_err(L, n, "metric %s: more than %d const_labels",
                m->name ? m->name : "?", CONFIG_MAX_CONST_LABELS);
    size_t cnt =
        collect_labels(L, n, m, labels, sizeof(labels) / sizeof(*labels));
    for (size_t i = 0; i < cnt; i++) {
        const char *name = labels[i].name;
        const yaml_node_t *at = labels[i].key ? labels[i].key : n;
        if (name == NULL)
            continue;
        if (m->type == METRIC_HISTOGRAM && strcmp(name, "le") == 0)
            cfg_err(L, at,
                    "the label \"le\" is reserved in a histogram (its "
                    "buckets' bounds)");
        for (size_t j = 0; j < i; j++) {
            if (labels[j].name == NULL || strcmp(name, labels[j].name) != 0)
                continue;
            if (labels[j].key != NULL)
                cfg_err(L, at,
                        "label \"%s\" is defined twice (first at line "
                        "%zu)",
                        name, labels[j].key->start_mark.line + 1);
            else
                cfg_err(L, at, "label \"%s\" is defined twice", name);
            break;
        }
    }
}

void cfg_load_metric(struct loader *L, const yaml_node_t *n,
                     struct cfg_metric *m)
{
    static const char *const keys[] = {
        "name",         "type",       "help",         "labels",
        "const_labels", "value",      "values",       "scale",
        "cost",         "buckets",    "update",       "when",
        "inputs",       "max_series", "expire_after", NULL};
    yaml_node_t *v;

    m->max_series = CONFIG_DEFAULT_MAX_SERIES;
    if (!cfg_keys(L, n, keys, "a metric"))
        return;
    load_name_and_type(L, n, m);

    if ((v = cfg_get(L, n, "help")) != NULL)
        m->help = cfg_string(L, v, "help");
    if ((v = cfg_get(L, n, "labels")) != NULL)
        cfg_load_labels(L, v, &m->labels, &m->n_labels, false, "labels");
    if ((v = cfg_get(L, n, "const_labels")) != NULL)
        cfg_load_labels(L, v, &m->const_labels, &m->n_const_labels, true,
                        "const_labels");

    load_sources(L, n, m);
    check_label_names(L, n, m);
    if ((v = cfg_get(L, n, "update")) != NULL)
        load_update(L, v, m);

    if ((v = cfg_get(L, n, "buckets")) != NULL) {
        if (m->type != METRIC_HISTOGRAM)
            cfg_err(L, v, "buckets apply to histograms only");
        else
            load_buckets(L, v, m);
    } else if (m->type == METRIC_HISTOGRAM) {
        default_buckets_for(L, m);
    }

    if ((v = cfg_get(L, n, "when")) != NULL) {
        m->when = cfg_alloc(L, sizeof(*m->when));
        if (m->when && !cfg_load_cond(L, v, m->when, 0))
            m->when = NULL;
    }

    if ((v = cfg_get(L, n, "inputs")) != NULL)
        load_metric_inputs(L, v, m);
    if ((v = cfg_get(L, n, "max_series")) != NULL)
        cfg_size(L, v, "max_series", 1, CONFIG_MAX_MAX_SERIES, false,
                 &m->max_series);
    if ((v = cfg_get(L, n, "expire_after")) != NULL) {
        if (m->type != METRIC_GAUGE)
            cfg_err(L, v,
                    "expire_after applies to gauges only: a counter or "
                    "histogram series that disappears reads as a reset");
        else
            cfg_duration(L, v, "expire_after", CONFIG_MIN_EXPIRE_MS,
                         CONFIG_MAX_EXPIRE_MS, &m->expire_ms);
    }

    if (m->help == NULL)
        default_help(L, m);
}

/*
 * Reports a whose name is one of counter b's names in OpenMetrics: its
 * family's (b's name without _total) or its _created series'.
 */
static void check_counter_names(struct loader *L, const yaml_node_t *an,
                                const struct cfg_metric *a,
                                const yaml_node_t *bn,
                                const struct cfg_metric *b)
{
    size_t base = strlen(b->name) - strlen("_total");
    if (strncmp(a->name, b->name, base) != 0)
        return;
    if (a->name[base] == '\0')
        cfg_err(L, an,
                "metric name \"%s\" collides with the OpenMetrics family name "
                "of counter %s (line %zu)",
                a->name, b->name, bn->start_mark.line + 1);
    else if (strcmp(a->name + base, "_created") == 0)
        cfg_err(L, an,
                "metric name \"%s\" collides with the created series of "
                "counter %s (line %zu)",
                a->name, b->name, bn->start_mark.line + 1);
}

/* Reports metrics whose exposed names collide, in the text format or in
 * OpenMetrics. */
void cfg_check_metric_names(struct loader *L, const yaml_node_t *seq)
{
    struct config *cfg = L->cfg;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count",
                                           "_created"};
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
            if (b->type == METRIC_COUNTER && cfg_ends_with(b->name, "_total"))
                check_counter_names(L, an, a, bn, b);
            if (b->type != METRIC_HISTOGRAM)
                continue;
            size_t bl = strlen(b->name);
            for (size_t s = 0; s < sizeof(suffixes) / sizeof(*suffixes); s++)
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
