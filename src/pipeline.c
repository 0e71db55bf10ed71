#include "pipeline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static const char *const line_skip_names[LINE_SKIP_COUNT] = {
    [LINE_SKIP_NOT_JSON] = "not_json",
    [LINE_SKIP_NOT_OBJECT] = "not_object",
    [LINE_SKIP_TOO_COMPLEX] = "too_complex",
    [LINE_SKIP_TOO_LONG] = "too_long",
    [LINE_SKIP_UNMATCHED] = "unmatched",
    [LINE_SKIP_INCOMPLETE] = "incomplete",
    [LINE_SKIP_BAD_ENVELOPE] = "bad_envelope",
};

static const char *const update_skip_names[UPDATE_SKIP_COUNT] = {
    [UPDATE_SKIP_FIELD_MISSING] = "field_missing",
    [UPDATE_SKIP_WRONG_TYPE] = "wrong_type",
    [UPDATE_SKIP_OUT_OF_RANGE] = "out_of_range",
    [UPDATE_SKIP_NEGATIVE] = "negative",
    [UPDATE_SKIP_LABEL_TOO_LONG] = "label_too_long",
};

const char *pipeline_line_skip_name(enum line_skip r)
{
    return line_skip_names[r];
}

const char *pipeline_update_skip_name(enum update_skip r)
{
    return update_skip_names[r];
}

/* --- construction -------------------------------------------------------- */

static int add_family(struct registry *reg, struct rule *rule)
{
    const struct cfg_metric *m = rule->metric;
    const char *names[64], *cnames[64], *cvalues[64];
    if (m->n_labels > 64 || m->n_const_labels > 64)
        return -EINVAL;
    for (size_t i = 0; i < m->n_labels; i++)
        names[i] = m->labels[i].name;
    for (size_t i = 0; i < m->n_const_labels; i++) {
        cnames[i] = m->const_labels[i].name;
        cvalues[i] = m->const_labels[i].value;
    }
    struct family_spec spec = {
        .name = m->name,
        .help = m->help,
        .type = m->type,
        .label_names = names,
        .n_labels = m->n_labels,
        .const_names = cnames,
        .const_values = cvalues,
        .n_const = m->n_const_labels,
        .bounds = m->buckets,
        .n_bounds = m->n_buckets,
        .max_series = m->max_series,
    };
    rule->family = registry_add(reg, &spec);
    return rule->family ? 0 : -ENOMEM;
}

static bool rule_applies(const struct cfg_metric *m, size_t input)
{
    if (m->n_inputs == 0)
        return true;
    for (size_t i = 0; i < m->n_inputs; i++)
        if ((size_t)m->inputs[i] == input)
            return true;
    return false;
}

int pipeline_new(const struct config *cfg, struct registry *reg,
                 struct pipeline **out)
{
    struct pipeline *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->cfg = cfg;
    p->reg = reg;
    p->n_rules = cfg->n_metrics;
    p->n_inputs = cfg->n_inputs;
    p->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*p->rules));
    p->inputs = calloc(p->n_inputs ? p->n_inputs : 1, sizeof(*p->inputs));
    p->fields.n = cfg->n_fields;
    p->fields.vals =
        calloc(cfg->n_fields ? cfg->n_fields : 1, sizeof(*p->fields.vals));
    if (!p->rules || !p->inputs || !p->fields.vals)
        goto fail;

    for (size_t i = 0; i < p->n_rules; i++) {
        p->rules[i].metric = &cfg->metrics[i];
        if (add_family(reg, &p->rules[i]) != 0)
            goto fail;
    }
    for (size_t i = 0; i < p->n_inputs; i++) {
        struct pipeline_input *in = &p->inputs[i];
        if (json_parser_new(cfg->fields, cfg->n_fields, &in->parser) != 0)
            goto fail;
        in->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*in->rules));
        if (in->rules == NULL)
            goto fail;
        for (size_t r = 0; r < p->n_rules; r++)
            if (rule_applies(&cfg->metrics[r], i))
                in->rules[in->n_rules++] = &p->rules[r];
    }
    *out = p;
    return 0;
fail:
    pipeline_free(p);
    return -ENOMEM;
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_inputs; i++) {
        parser_free(p->inputs[i].parser);
        free(p->inputs[i].rules);
    }
    free(p->inputs);
    free(p->rules);
    free(p->fields.vals);
    free(p->scratch);
    buf_free(&p->key);
    free(p);
}

/* --- field access -------------------------------------------------------- */

/* The field's value on this line, or NULL when absent or null. */
static const struct field_val *field_get(const struct pipeline *p, int field)
{
    const struct field_val *fv = &p->fields.vals[field];
    if (fv->gen != p->fields.gen || fv->type == FIELD_NULL)
        return NULL;
    return fv;
}

/*
 * The text of a scalar field: a string decoded, a number as written,
 * true/false. NULL for objects and arrays, or when out of memory.
 */
static const char *field_text(struct pipeline *p, const struct field_val *fv,
                              size_t *len)
{
    switch (fv->type) {
    case FIELD_STRING:
        if (!fv->escaped) {
            *len = fv->len;
            return fv->p;
        }
        if (fv->len > p->scratch_cap) {
            char *s = realloc(p->scratch, fv->len);
            if (s == NULL)
                return NULL;
            p->scratch = s;
            p->scratch_cap = fv->len;
        }
        *len = json_unescape(fv->p, fv->len, p->scratch);
        return p->scratch;
    case FIELD_NUMBER:
        *len = fv->len;
        return fv->p;
    case FIELD_TRUE:
        *len = 4;
        return "true";
    case FIELD_FALSE:
        *len = 5;
        return "false";
    default:
        return NULL;
    }
}

static bool cond_eval(struct pipeline *p, const struct cfg_cond *c)
{
    const struct field_val *fv;
    const char *text;
    size_t len;

    switch (c->op) {
    case COND_ALL:
        for (size_t i = 0; i < c->n_subs; i++)
            if (!cond_eval(p, &c->subs[i]))
                return false;
        return true;
    case COND_ANY:
        for (size_t i = 0; i < c->n_subs; i++)
            if (cond_eval(p, &c->subs[i]))
                return true;
        return false;
    case COND_NOT:
        return !cond_eval(p, &c->subs[0]);
    case COND_EXISTS:
        return field_get(p, c->field) != NULL;
    case COND_ABSENT:
        return field_get(p, c->field) == NULL;
    case COND_EQUALS:
    case COND_IN:
        if ((fv = field_get(p, c->field)) == NULL)
            return false;
        if ((text = field_text(p, fv, &len)) == NULL)
            return false;
        for (size_t i = 0; i < c->n_values; i++)
            if (c->value_lens[i] == len && memcmp(c->values[i], text, len) == 0)
                return true;
        return false;
    }
    return false;
}

/* --- label values -------------------------------------------------------- */

/* Appends s to the key as valid UTF-8 without NULs, then the separator. */
static void key_append(struct buf *key, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n && u[i] >= 0x01 && u[i] < 0x80)
        i++;
    buf_append(key, s, i);
    while (i < n) {
        size_t l = utf8_seq(u + i, n - i);
        if (l == 0) {
            buf_append(key, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
            i += utf8_bad_len(u + i, n - i);
        } else {
            buf_append(key, s + i, l);
            i += l;
        }
    }
    buf_putc(key, '\0');
}

/* --- updates ------------------------------------------------------------- */

static bool rule_skip(struct rule *r, enum update_skip why)
{
    r->skipped[why]++;
    return false;
}

static bool read_value(struct pipeline *p, struct rule *r, num_fixed *out)
{
    const struct cfg_metric *m = r->metric;
    const struct field_val *fv = field_get(p, m->value_field);
    struct num_dec d;
    const char *text;
    size_t len;

    if (fv == NULL)
        return rule_skip(r, UPDATE_SKIP_FIELD_MISSING);
    if (fv->type == FIELD_NUMBER) {
        text = fv->p;
        len = fv->len;
    } else if (fv->type == FIELD_STRING) {
        /* Some services log numbers as strings: "12.5". */
        if ((text = field_text(p, fv, &len)) == NULL)
            return rule_skip(r, UPDATE_SKIP_WRONG_TYPE);
    } else {
        return rule_skip(r, UPDATE_SKIP_WRONG_TYPE);
    }
    if (num_parse_json(text, len, &d) != 0)
        return rule_skip(r, UPDATE_SKIP_WRONG_TYPE);
    if (num_to_fixed(&d, m->has_scale ? &m->scale : NULL, out) != 0)
        return rule_skip(r, UPDATE_SKIP_OUT_OF_RANGE);
    if (m->type == METRIC_COUNTER && *out < 0)
        return rule_skip(r, UPDATE_SKIP_NEGATIVE);
    return true;
}

static bool read_labels(struct pipeline *p, struct rule *r)
{
    const struct cfg_metric *m = r->metric;
    buf_reset(&p->key);
    for (size_t i = 0; i < m->n_labels; i++) {
        const struct cfg_label *lab = &m->labels[i];
        const struct field_val *fv = field_get(p, lab->field);
        const char *text;
        size_t len;
        if (fv == NULL) {
            if (!lab->has_value)
                return rule_skip(r, UPDATE_SKIP_FIELD_MISSING);
            text = lab->value;
            len = lab->value_len;
        } else if ((text = field_text(p, fv, &len)) == NULL) {
            return rule_skip(r, UPDATE_SKIP_WRONG_TYPE);
        }
        if (len > PIPELINE_MAX_LABEL_BYTES)
            return rule_skip(r, UPDATE_SKIP_LABEL_TOO_LONG);
        key_append(&p->key, text, len);
    }
    return !p->key.oom;
}

static bool rule_apply(struct pipeline *p, struct rule *r)
{
    const struct cfg_metric *m = r->metric;
    num_fixed v = NUM_ONE;

    if (m->when != NULL && !cond_eval(p, m->when))
        return false;
    if (m->value_field >= 0 && !read_value(p, r, &v))
        return false;
    if (!read_labels(p, r))
        return false;
    uint32_t key_len = (uint32_t)p->key.len;
    const char *key = p->key.data ? p->key.data : "";
    struct series *s =
        family_get(r->family, key, key_len, registry_hash(key, key_len));
    if (s == NULL)
        return false;
    switch (m->type) {
    case METRIC_COUNTER:
        series_add(s, v);
        break;
    case METRIC_GAUGE:
        series_set(s, v);
        break;
    case METRIC_HISTOGRAM:
        series_observe(r->family, s, v);
        break;
    }
    r->updates++;
    return true;
}

void pipeline_line(struct pipeline *p, size_t input, const char *line,
                   size_t len)
{
    struct pipeline_input *in = &p->inputs[input];
    in->lines++;
    if (++p->fields.gen == 0) {
        /* After 2^32 lines the stamps wrap: forget them all once. */
        for (size_t i = 0; i < p->fields.n; i++)
            p->fields.vals[i].gen = 0;
        p->fields.gen = 1;
    }
    enum parse_result pr = parser_parse(in->parser, line, len, &p->fields);
    if (pr != PARSE_OK) {
        in->skipped[pr == PARSE_NOT_OBJECT    ? LINE_SKIP_NOT_OBJECT
                    : pr == PARSE_TOO_COMPLEX ? LINE_SKIP_TOO_COMPLEX
                                              : LINE_SKIP_NOT_JSON]++;
        return;
    }
    bool used = false;
    for (size_t i = 0; i < in->n_rules; i++)
        used |= rule_apply(p, in->rules[i]);
    if (!used)
        in->skipped[LINE_SKIP_UNMATCHED]++;
}

void pipeline_skip(struct pipeline *p, size_t input, enum line_skip reason)
{
    p->inputs[input].lines++;
    p->inputs[input].skipped[reason]++;
}
