/*
 * Building the pipeline from a configuration, and freeing it: each
 * metric's family in the registry and its rule (label transforms and
 * cases, value sources, condition, cost) compiled once, and each input's
 * parsers, rules, field probe, event time and sink. The lines themselves
 * go through pipeline.c.
 */
#include "pipeline.h"
#include "pipeline_private.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "rx.h"
#include "cond.h"
#include "cost.h"
#include "field_probe.h"
#include "transform.h"

static int add_family(struct registry *reg, struct rule *rule)
{
    const struct cfg_metric *m = rule->metric;
    const char *names[CONFIG_MAX_LABELS];
    const char *cnames[CONFIG_MAX_CONST_LABELS];
    const char *cvalues[CONFIG_MAX_CONST_LABELS];
    size_t n = config_metric_label_names(m, names);
    if (n > CONFIG_MAX_LABELS || m->n_const_labels > CONFIG_MAX_CONST_LABELS)
        return -EINVAL; /* the loader refuses such a metric */
    for (size_t i = 0; i < m->n_const_labels; i++) {
        cnames[i] = m->const_labels[i].name;
        cvalues[i] = m->const_labels[i].value;
    }
    struct family_spec spec = {
        .name = m->name,
        .help = m->help,
        .type = m->type,
        .update = m->update,
        .label_names = names,
        .n_labels = n,
        .const_names = cnames,
        .const_values = cvalues,
        .n_const = m->n_const_labels,
        .bounds = m->buckets,
        .n_bounds = m->n_buckets,
        .max_series = m->max_series,
        .expire_s = (uint32_t)(m->expire_ms / 1000),
    };
    rule->family = registry_add(reg, &spec);
    if (rule->family == NULL)
        return -ENOMEM;
    /* A counter without labels is 0 from the start, as client libraries
     * export it, so that rate() and increase() see its first update. */
    if (m->type == METRIC_COUNTER && n == 0 &&
        family_get(rule->family, "", 0, registry_hash("", 0)) == NULL)
        return -ENOMEM;
    return 0;
}

/* Each value source's regex and condition, compiled, the caches of those
 * made of times, and which way the rule reads them. */
static int values_build(struct rule *r, const struct cfg_metric *m)
{
    size_t n = m->n_values ? m->n_values : 1;
    bool one =
        m->n_values == 1 && m->n_value_labels == 0 && m->values[0].when == NULL;
    const struct cfg_value *v = m->n_values > 0 ? &m->values[0] : NULL;
    r->source =
        m->cost != NULL    ? RULE_COST
        : m->n_values == 0 ? RULE_LINES
        : !one             ? RULE_SEVERAL
        : v->expr != NULL || v->between != NULL || v->as != VALUE_AS_NUMBER
            ? RULE_DERIVED
            : RULE_FIELD;
    r->value_rx = calloc(n, sizeof(*r->value_rx));
    r->value_when = calloc(n, sizeof(*r->value_when));
    if (r->value_rx == NULL || r->value_when == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < m->n_values; i++) {
        int rc;
        if (m->values[i].regex != NULL &&
            (rc = rx_new(m->values[i].regex, &r->value_rx[i])) != 0)
            return rc;
        if (m->values[i].when != NULL &&
            (rc = cond_build(m->values[i].when, &r->value_when[i])) != 0)
            return rc;
    }
    for (size_t i = 0; i < m->n_values && r->value_time == NULL; i++)
        if (m->values[i].between != NULL &&
            (r->value_time = calloc(m->n_values, sizeof(*r->value_time))) ==
                NULL)
            return -ENOMEM;
    return 0;
}

/*
 * Rule i keeps its condition's result with the first earlier rule whose
 * condition is the same: several metrics of one kind of line (a request,
 * an LLM call) then test it once a line.
 */
static void share_when(struct pipeline *p, size_t i)
{
    struct rule *r = &p->rules[i];
    r->when_kept = r;
    for (size_t k = 0; r->when != NULL && k < i; k++) {
        const struct rule *o = &p->rules[k];
        if (o->when != NULL && o->when_kept == o &&
            cond_same(o->when->cfg, r->when->cfg)) {
            r->when_kept = &p->rules[k];
            return;
        }
    }
}

static int rule_build(struct registry *reg, struct rule *r,
                      const struct cfg_metric *m,
                      const struct cost_prices *prices)
{
    int rc;
    r->metric = m;
    if ((rc = add_family(reg, r)) != 0)
        return rc;
    r->label_tf = calloc(m->n_labels ? m->n_labels : 1, sizeof(*r->label_tf));
    r->label_cases =
        calloc(m->n_labels ? m->n_labels : 1, sizeof(*r->label_cases));
    if (r->label_cases == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < m->n_labels; i++) {
        if (m->labels[i].n_cases == 0)
            continue;
        r->label_cases[i] =
            calloc(m->labels[i].n_cases, sizeof(*r->label_cases[i]));
        if (r->label_cases[i] == NULL)
            return -ENOMEM;
        for (size_t k = 0; k < m->labels[i].n_cases; k++)
            if ((rc = cond_build(&m->labels[i].cases[k].when,
                                 &r->label_cases[i][k])) != 0)
                return rc;
    }
    if (r->label_tf == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < m->n_labels; i++)
        if (m->labels[i].has_tf &&
            (rc = transform_new(&m->labels[i].tf, &r->label_tf[i])) != 0)
            return rc;
    if ((rc = values_build(r, m)) != 0)
        return rc;
    if (m->when != NULL) {
        r->when = calloc(1, sizeof(*r->when));
        if (r->when == NULL)
            return -ENOMEM;
        if ((rc = cond_build(m->when, r->when)) != 0)
            return rc;
    }
    if (m->cost != NULL && (rc = cost_new(m->cost, prices, &r->cost)) != 0)
        return rc;
    return 0;
}

static void rule_free(struct rule *r)
{
    for (size_t i = 0; r->label_tf && i < r->metric->n_labels; i++)
        transform_free(r->label_tf[i]);
    for (size_t i = 0; r->label_cases && i < r->metric->n_labels; i++) {
        for (size_t k = 0;
             r->label_cases[i] && k < r->metric->labels[i].n_cases; k++)
            cond_free(&r->label_cases[i][k]);
        free(r->label_cases[i]);
    }
    free(r->label_cases);
    for (size_t i = 0; r->value_rx && i < r->metric->n_values; i++)
        rx_free(r->value_rx[i]);
    for (size_t i = 0; r->value_when && i < r->metric->n_values; i++)
        if (r->value_when[i].cfg != NULL)
            cond_free(&r->value_when[i]);
    free(r->value_when);
    free(r->label_tf);
    free(r->value_rx);
    free(r->value_time);
    cond_free(r->when);
    free(r->when);
    cost_free(r->cost);
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

static int parser_build(const struct config *cfg, const struct cfg_parser *c,
                        struct parser **out)
{
    switch (c->kind) {
    case PARSER_REGEX:
        return regex_parser_new(c->pattern, cfg->fields, cfg->n_fields, out);
    case PARSER_LOGFMT:
        return logfmt_parser_new(cfg->fields, cfg->n_fields, out);
    default:
        return json_parser_new(cfg->fields, cfg->n_fields, c->non_finite, out);
    }
}

static int input_build(struct pipeline *p, size_t i)
{
    const struct cfg_input *ci = &p->cfg->inputs[i];
    struct pipeline_input *in = &p->inputs[i];
    in->pipe = p;
    in->sink = (struct tail_sink){pipeline_sink_line, pipeline_sink_skip, in};
    in->parsers =
        calloc(ci->n_parsers ? ci->n_parsers : 1, sizeof(*in->parsers));
    in->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*in->rules));
    if (in->parsers == NULL || in->rules == NULL)
        return -ENOMEM;
    for (size_t k = 0; k < ci->n_parsers; k++) {
        int rc = parser_build(p->cfg, &ci->parsers[k], &in->parsers[k]);
        if (rc != 0)
            return rc;
        in->n_parsers++;
    }
    /* The input's metrics, for the probe of field paths never matched. */
    const struct cfg_metric **metrics =
        calloc(p->n_rules ? p->n_rules : 1, sizeof(*metrics));
    if (metrics == NULL)
        return -ENOMEM;
    for (size_t r = 0; r < p->n_rules; r++)
        if (rule_applies(&p->cfg->metrics[r], i)) {
            metrics[in->n_rules] = &p->cfg->metrics[r];
            in->rules[in->n_rules++] = &p->rules[r];
        }
    int rc =
        field_probe_new(p->cfg, ci->name, metrics, in->n_rules, &in->probe);
    free(metrics);
    if (rc != 0 || ci->time == NULL)
        return rc;
    if (p->lateness == NULL && (p->lateness = eventtime_family(p->reg)) == NULL)
        return -ENOMEM;
    if ((in->time = calloc(1, sizeof(*in->time))) == NULL)
        return -ENOMEM;
    return eventtime_init(in->time, ci->time, p->lateness, ci->name);
}

int pipeline_new(const struct config *cfg, struct registry *reg,
                 struct pipeline **out)
{
    int rc = -ENOMEM;
    struct pipeline *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->cfg = cfg;
    p->reg = reg;
    p->n_rules = cfg->n_metrics;
    p->n_inputs = cfg->n_inputs;
    p->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*p->rules));
    p->inputs = calloc(p->n_inputs ? p->n_inputs : 1, sizeof(*p->inputs));
    if (!p->rules || !p->inputs || fields_init(&p->fields, cfg->n_fields) != 0)
        goto fail;

    if (cfg->n_prices > 0 && (rc = cost_prices_new(cfg, &p->prices)) != 0)
        goto fail;
    bool costs = false;
    for (size_t i = 0; i < p->n_rules; i++) {
        rc = rule_build(reg, &p->rules[i], &cfg->metrics[i], p->prices);
        if (rc != 0)
            goto fail;
        costs |= cfg->metrics[i].cost != NULL;
        share_when(p, i);
    }
    if (costs) {
        const char *names[] = {"metric", "model"};
        struct family_spec spec = {
            .name = "tokentail_unpriced_tokens_total",
            .help = "Tokens a cost metric found no price for, by model.",
            .type = METRIC_COUNTER,
            .label_names = names,
            .n_labels = 2,
            .max_series = PIPELINE_MAX_UNPRICED_SERIES,
            .flags = FAMILY_SELF,
        };
        if ((p->unpriced = registry_add(reg, &spec)) == NULL)
            goto fail;
    }
    for (size_t i = 0; i < p->n_inputs; i++)
        if ((rc = input_build(p, i)) != 0)
            goto fail;
    *out = p;
    return 0;
fail:
    pipeline_free(p);
    return rc ? rc : -ENOMEM;
}

void pipeline_free(struct pipeline *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; p->inputs != NULL && i < p->n_inputs; i++) {
        for (size_t k = 0; k < p->inputs[i].n_parsers; k++)
            parser_free(p->inputs[i].parsers[k]);
        free(p->inputs[i].parsers);
        free(p->inputs[i].rules);
        field_probe_free(p->inputs[i].probe);
        free(p->inputs[i].time);
    }
    for (size_t i = 0; p->rules && i < p->n_rules; i++)
        if (p->rules[i].metric != NULL)
            rule_free(&p->rules[i]);
    free(p->inputs);
    free(p->rules);
    cost_prices_free(p->prices);
    fields_free(&p->fields);
    buf_free(&p->key);
    buf_free(&p->text);
    free(p);
}
