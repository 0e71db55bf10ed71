/*
 * Loading labels: a metric's labels and constant labels, and the steps
 * that turn a field's text into a label's value (which a cost's model
 * takes too). Part of the configuration loader, used by config_metric.c.
 */
#include <string.h>

#include "config.h"
#include "config_cond.h"
#include "config_label.h"
#include "config_yaml.h"

static void load_map(struct loader *L, const yaml_node_t *n,
                     struct cfg_transform *tf)
{
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "map"))
        return;
    size_t cnt = cfg_map_len(n);
    if (cnt == 0) {
        cfg_err(L, n, "map must not be empty");
        return;
    }
    const char **from = cfg_alloc(L, cnt * sizeof(*from));
    const char **to = cfg_alloc(L, cnt * sizeof(*to));
    uint32_t *from_len = cfg_alloc(L, cnt * sizeof(*from_len));
    uint32_t *to_len = cfg_alloc(L, cnt * sizeof(*to_len));
    if (!from || !to || !from_len || !to_len)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        size_t k = tf->n_map, a, b;
        from[k] = cfg_scalar(L, cfg_node(L, p->key), "a text to map", &a);
        to[k] = cfg_scalar(L, cfg_node(L, p->value), "what it maps to", &b);
        if (from[k] == NULL || to[k] == NULL)
            continue;
        for (size_t j = 0; j < k; j++)
            if (from_len[j] == a && memcmp(from[j], from[k], a) == 0)
                cfg_err(L, cfg_node(L, p->key), "\"%s\" is mapped twice",
                        from[k]);
        from_len[k] = (uint32_t)a;
        to_len[k] = (uint32_t)b;
        tf->n_map++;
    }
    tf->map_from = from;
    tf->map_to = to;
    tf->map_from_len = from_len;
    tf->map_to_len = to_len;
}

/* cases: [{when: CONDITION, value: TEXT}, ...], the first that holds. */
static void load_cases(struct loader *L, const yaml_node_t *n,
                       struct cfg_label *lab)
{
    static const char *const keys[] = {"when", "value", NULL};
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, "cases"))
        return;
    size_t cnt = cfg_seq_len(n);
    if (cnt == 0) {
        cfg_err(L, n, "cases must list at least one case");
        return;
    }
    lab->cases = cfg_alloc(L, cnt * sizeof(*lab->cases));
    if (lab->cases == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *c = cfg_node(L, n->data.sequence.items.start[i]);
        struct cfg_case *k = &lab->cases[i];
        if (!cfg_keys(L, c, keys, "a case"))
            continue;
        yaml_node_t *w = cfg_get(L, c, "when"), *v = cfg_get(L, c, "value");
        if (w == NULL || v == NULL) {
            cfg_err(L, c, "a case needs \"when\" and \"value\"");
            continue;
        }
        size_t len;
        if (!cfg_load_cond(L, w, &k->when, 0) ||
            (k->value = cfg_scalar(L, v, "case value", &len)) == NULL)
            continue;
        k->value_len = (uint32_t)len;
        lab->n_cases = i + 1;
    }
}

/* otherwise: the value when the label's regex, map or status_class
 * refuses the text (a map's unmapped, when set, comes first). */
static void load_otherwise(struct loader *L, const yaml_node_t *v,
                           const yaml_node_t *label, struct cfg_transform *tf)
{
    size_t len;
    if (cfg_get(L, label, "cases") != NULL)
        cfg_err(L, v,
                "when no case holds, a label takes its default; otherwise "
                "is for a field's regex, map or status_class");
    else if (cfg_get(L, label, "regex") == NULL &&
             cfg_get(L, label, "map") == NULL &&
             cfg_get(L, label, "status_class") == NULL)
        cfg_err(L, v,
                "otherwise applies when a label's regex, map or "
                "status_class refuses the text; this label has none");
    tf->otherwise = cfg_scalar(L, v, "otherwise", &len);
    tf->otherwise_len = (uint32_t)len;
}

/* The steps that turn a field's text into the label's value. */
void cfg_load_transform(struct loader *L, const yaml_node_t *val,
                        struct cfg_label *lab)
{
    struct cfg_transform *tf = &lab->tf;
    yaml_node_t *v;
    if ((v = cfg_get(L, val, "regex")) != NULL)
        lab->has_tf |= cfg_regex(L, v, "regex", &tf->regex);
    if ((v = cfg_get(L, val, "lower")) != NULL &&
        cfg_bool(L, v, "lower", &tf->lower))
        lab->has_tf |= tf->lower;
    if ((v = cfg_get(L, val, "map")) != NULL) {
        load_map(L, v, tf);
        lab->has_tf |= tf->n_map > 0;
    }
    if ((v = cfg_get(L, val, "unmapped")) != NULL) {
        size_t len;
        if (tf->n_map == 0 && cfg_get(L, val, "map") == NULL)
            cfg_err(L, v, "unmapped applies to a map; this label has none");
        tf->unmapped = cfg_scalar(L, v, "unmapped", &len);
        tf->unmapped_len = (uint32_t)len;
    }
    if ((v = cfg_get(L, val, "status_class")) != NULL &&
        cfg_bool(L, v, "status_class", &tf->status_class))
        lab->has_tf |= tf->status_class;
    if ((v = cfg_get(L, val, "mask")) != NULL &&
        cfg_bool(L, v, "mask", &tf->mask))
        lab->has_tf |= tf->mask;
    if ((v = cfg_get(L, val, "hash")) != NULL &&
        cfg_bool(L, v, "hash", &tf->hash))
        lab->has_tf |= tf->hash;
    if ((v = cfg_get(L, val, "otherwise")) != NULL)
        load_otherwise(L, v, val, tf);
    if (tf->mask && tf->hash)
        cfg_err(L, val, "a label is either masked or hashed, not both");
    if (tf->mask && lab->has_value)
        cfg_err(L, val,
                "a masked label needs no default: a missing key is "
                "\"unknown\"");
}

/* The text a label takes when its field is missing, or its constant. */
static void load_label_value(struct loader *L, const yaml_node_t *v,
                             const char *what, struct cfg_label *lab)
{
    size_t len;
    lab->value = cfg_scalar(L, v, what, &len);
    lab->value_len = (uint32_t)len;
    lab->has_value = lab->value != NULL;
}

/*
 * One label: name: FIELD, or name: {field or cases, default, transform
 * steps}; a constant label (const_labels, a value's labels) is name: TEXT.
 */
static void load_label(struct loader *L, const yaml_node_t *key,
                       const yaml_node_t *val, struct cfg_label *lab,
                       bool constant)
{
    static const char *const keys[] = {
        "field",        "default", "regex", "lower", "map",       "unmapped",
        "status_class", "mask",    "hash",  "cases", "otherwise", NULL};
    lab->field = -1;
    lab->name = cfg_string(L, key, "label name");
    if (lab->name && !cfg_is_label_name(lab->name))
        cfg_err(L, key,
                "\"%s\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
                lab->name);
    else if (lab->name && cfg_starts_with(lab->name, "__"))
        cfg_err(L, key, "label names starting with \"__\" are reserved");
    else if (lab->name && cfg_starts_with(lab->name, "tokentail_"))
        cfg_err(L, key,
                "label names starting with \"tokentail_\" are reserved "
                "(tokentail_overflow=\"true\" marks a metric's overflow "
                "series)");
    if (constant) {
        load_label_value(L, val, "label value", lab);
        return;
    }
    if (val->type == YAML_SCALAR_NODE) {
        lab->field = cfg_field_ref(L, val, "label field");
        return;
    }
    if (!cfg_keys(L, val, keys, "a label"))
        return;
    yaml_node_t *f = cfg_get(L, val, "field"), *d = cfg_get(L, val, "default");
    yaml_node_t *cases = cfg_get(L, val, "cases");
    if (cases != NULL) {
        if (f != NULL)
            cfg_err(L, val,
                    "label \"%s\" takes its value from a field or "
                    "from cases, not both",
                    lab->name ? lab->name : "?");
        load_cases(L, cases, lab);
    } else if (f == NULL)
        cfg_err(L, val, "label \"%s\" needs \"field\" (or \"cases\")",
                lab->name ? lab->name : "?");
    else
        lab->field = cfg_field_ref(L, f, "label field");
    if (d != NULL)
        load_label_value(L, d, "label default", lab);
    cfg_load_transform(L, val, lab);
}

void cfg_load_labels(struct loader *L, const yaml_node_t *n,
                     struct cfg_label **out, size_t *count, bool constant,
                     const char *what)
{
    if (!cfg_want(L, n, YAML_MAPPING_NODE, what))
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
