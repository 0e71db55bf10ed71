/*
 * Which skip reasons a metric or an input can have, worked out from its
 * configuration, so that tokentail's own metrics show a series for each
 * reason that can happen and none that must stay zero forever: no
 * "unpriced" for a metric without a cost, no "not_logfmt" for an input
 * without a logfmt parser.
 *
 * Each reason is ruled out only where the code that counts it cannot be
 * reached with this configuration (pipeline.c, transform.c, fields.c,
 * cond.c, expr.c): a field the metric's condition requires is never
 * missing.
 * Whatever is not ruled out, a reason added later included, can happen.
 */
#include "pipeline.h"
#include "expr.h"

#define REASON(r) (UINT32_C(1) << (r))

_Static_assert(LINE_SKIP_COUNT <= 32, "line reasons fit a uint32_t");
_Static_assert(UPDATE_SKIP_COUNT <= 32, "update reasons fit a uint32_t");

/* --- lines -----------------------------------------------------------------
 */

/* What each parser refuses a line as (parser.h's results, as counted). */
static const uint32_t parser_reasons[PARSER_KIND_COUNT] = {
    [PARSER_JSON] = REASON(LINE_SKIP_NOT_JSON) | REASON(LINE_SKIP_NOT_OBJECT) |
                    REASON(LINE_SKIP_TOO_COMPLEX),
    [PARSER_REGEX] = REASON(LINE_SKIP_NO_MATCH),
    [PARSER_LOGFMT] = REASON(LINE_SKIP_NOT_LOGFMT),
};

uint32_t pipeline_line_reasons(const struct cfg_input *in)
{
    uint32_t any_parser = 0, reasons = UINT32_MAX;
    for (int k = 0; k < PARSER_KIND_COUNT; k++)
        any_parser |= parser_reasons[k];
    /* One parser: its own refusals. Several: "unparsed" stands for all. */
    reasons &= ~any_parser;
    if (in->n_parsers == 1)
        reasons = (reasons | parser_reasons[in->parsers[0].kind]) &
                  ~REASON(LINE_SKIP_UNPARSED);
    /* Without an envelope, lines are never unwrapped. */
    if (in->envelope == ENVELOPE_NONE)
        reasons &= ~REASON(LINE_SKIP_BAD_ENVELOPE);
    return reasons;
}

/* --- metrics ---------------------------------------------------------------
 */

/*
 * Whether a line that meets c has field (not missing, not null): every
 * test on a field fails on a missing one, but "exists: false" and "not".
 */
static bool when_present(const struct cfg_cond *c, int field)
{
    bool all = c->n_subs > 0;
    switch (c->op) {
    case COND_EQUALS:
    case COND_IN:
    case COND_EXISTS:
    case COND_GT:
    case COND_GE:
    case COND_LT:
    case COND_LE:
    case COND_MATCHES:
        return c->field == field;
    case COND_ALL:
        for (size_t i = 0; i < c->n_subs; i++)
            if (when_present(&c->subs[i], field))
                return true;
        return false;
    case COND_ANY:
        for (size_t i = 0; i < c->n_subs; i++)
            all &= when_present(&c->subs[i], field);
        return all;
    default:
        return false;
    }
}

/* Whether m can meet a line without field: its condition does not
 * require it. */
static bool may_miss(const struct cfg_metric *m, int field)
{
    return m->when == NULL || !when_present(m->when, field);
}

/* Whether any text a label can take from its configuration is too long. */
static bool long_constant(const struct cfg_label *lab)
{
    const struct cfg_transform *tf = &lab->tf;
    bool too_long = lab->has_value && lab->value_len > PIPELINE_MAX_LABEL_BYTES;
    for (size_t i = 0; i < lab->n_cases; i++)
        too_long |= lab->cases[i].value_len > PIPELINE_MAX_LABEL_BYTES;
    for (size_t i = 0; i < tf->n_map; i++)
        too_long |= tf->map_to_len[i] > PIPELINE_MAX_LABEL_BYTES;
    too_long |=
        tf->otherwise != NULL && tf->otherwise_len > PIPELINE_MAX_LABEL_BYTES;
    return too_long || (tf->unmapped != NULL &&
                        tf->unmapped_len > PIPELINE_MAX_LABEL_BYTES);
}

/* The reasons one label of m can skip an update for. */
static uint32_t label_reasons(const struct cfg_metric *m,
                              const struct cfg_label *lab)
{
    const struct cfg_transform *tf = &lab->tf;
    uint32_t r = 0;
    if (lab->field >= 0) {
        /* A mask shows a missing or odd field as "unknown". */
        if (!lab->has_value && !tf->mask && may_miss(m, lab->field))
            r |= REASON(UPDATE_SKIP_FIELD_MISSING);
        if (!tf->mask || tf->status_class)
            r |= REASON(UPDATE_SKIP_WRONG_TYPE);
        /* Each of these steps gives a text of the configuration's, or a
         * short one of its own. */
        if (!tf->mask && !tf->hash && !tf->status_class && tf->n_map == 0)
            r |= REASON(UPDATE_SKIP_LABEL_TOO_LONG);
        /* otherwise stands in for what these steps refuse. */
        if (tf->regex != NULL && tf->otherwise == NULL)
            r |= REASON(UPDATE_SKIP_NO_MATCH);
        if (tf->n_map > 0 && tf->unmapped == NULL && tf->otherwise == NULL)
            r |= REASON(UPDATE_SKIP_UNMAPPED);
    }
    if (lab->n_cases > 0 && !lab->has_value)
        r |= REASON(UPDATE_SKIP_NO_MATCH);
    if (long_constant(lab))
        r |= REASON(UPDATE_SKIP_LABEL_TOO_LONG);
    return r;
}

/* The reasons a cost has beyond those of any value (cost.h). */
static uint32_t cost_reasons(const struct cfg_cost *c)
{
    const struct cfg_transform *tf = &c->model.tf;
    uint32_t r = REASON(UPDATE_SKIP_UNPRICED);
    if (c->model.has_tf && tf->regex != NULL)
        r |= REASON(UPDATE_SKIP_NO_MATCH);
    if (c->model.has_tf && tf->n_map > 0 && tf->unmapped == NULL)
        r |= REASON(UPDATE_SKIP_UNMAPPED);
    if (c->cached_in_prompt)
        r |= REASON(UPDATE_SKIP_CACHED_EXCEEDS_PROMPT);
    return r;
}

/* Whether source v of m can lack its value on a line m meets: its field,
 * or a field of its expression (a constant one cannot). */
static bool source_may_miss(const struct cfg_metric *m,
                            const struct cfg_value *v)
{
    int f;
    if (v->expr == NULL)
        return may_miss(m, v->field);
    for (size_t i = 0; (f = expr_field_at(v->expr, i)) >= 0; i++)
        if (may_miss(m, f))
            return true;
    return false;
}

/* The reasons that come from where the value is read. */
static uint32_t value_reasons(const struct cfg_metric *m)
{
    uint32_t r = 0;
    if (m->n_values == 0 && m->cost == NULL)
        return 0; /* counts lines: one each, nothing to read */
    r |= REASON(UPDATE_SKIP_WRONG_TYPE) | REASON(UPDATE_SKIP_OUT_OF_RANGE);
    if (m->type == METRIC_COUNTER)
        r |= REASON(UPDATE_SKIP_NEGATIVE);
    if (m->cost != NULL)
        r |= cost_reasons(m->cost);
    /* One source skips a line without it; of several, each is read only
     * where the line has it, as a cost's token fields are. */
    if (m->n_values == 1 && m->n_value_labels == 0 &&
        m->values[0].when == NULL && source_may_miss(m, &m->values[0]))
        r |= REASON(UPDATE_SKIP_FIELD_MISSING);
    for (size_t i = 0; i < m->n_values; i++) {
        const struct cfg_value *v = &m->values[i];
        if (v->regex != NULL)
            r |= REASON(UPDATE_SKIP_NO_MATCH);
        if (v->between != NULL || v->as == VALUE_AS_DURATION)
            r |= REASON(UPDATE_SKIP_UNPARSABLE);
        /* A duration is read where the line has either of its times. */
        if (v->between != NULL)
            r |= REASON(UPDATE_SKIP_FIELD_MISSING);
        if (v->expr != NULL && expr_divides(v->expr))
            r |= REASON(UPDATE_SKIP_DIVISION_BY_ZERO);
    }
    return r;
}

uint32_t pipeline_update_reasons(const struct cfg_metric *m)
{
    /* Ruled out unless a value or a label can give it. */
    static const uint32_t known =
        REASON(UPDATE_SKIP_FIELD_MISSING) | REASON(UPDATE_SKIP_WRONG_TYPE) |
        REASON(UPDATE_SKIP_OUT_OF_RANGE) | REASON(UPDATE_SKIP_NEGATIVE) |
        REASON(UPDATE_SKIP_LABEL_TOO_LONG) | REASON(UPDATE_SKIP_NO_MATCH) |
        REASON(UPDATE_SKIP_UNMAPPED) | REASON(UPDATE_SKIP_UNPRICED) |
        REASON(UPDATE_SKIP_CACHED_EXCEEDS_PROMPT) |
        REASON(UPDATE_SKIP_UNPARSABLE) | REASON(UPDATE_SKIP_DIVISION_BY_ZERO);
    uint32_t r = ~known | value_reasons(m);
    for (size_t i = 0; i < m->n_labels; i++)
        r |= label_reasons(m, &m->labels[i]);
    return r;
}
