/*
 * Running lines through the pipeline: each line parsed, then offered to
 * the input's rules, which read their labels and values and update the
 * series; every line and update not used counted under its reason, and
 * the statistics read back. pipeline_build.c builds what this runs.
 */
#include "pipeline.h"
#include "pipeline_private.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cond.h"
#include "cost.h"
#include "expr.h"
#include "field_probe.h"
#include "transform.h"
#include "utf8.h"

static const char *const line_skip_names[LINE_SKIP_COUNT] = {
    [LINE_SKIP_NOT_JSON] = "not_json",
    [LINE_SKIP_NOT_OBJECT] = "not_object",
    [LINE_SKIP_TOO_COMPLEX] = "too_complex",
    [LINE_SKIP_NO_MATCH] = "no_match",
    [LINE_SKIP_NOT_LOGFMT] = "not_logfmt",
    [LINE_SKIP_UNPARSED] = "unparsed",
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
    [UPDATE_SKIP_NO_MATCH] = "no_match",
    [UPDATE_SKIP_UNMAPPED] = "unmapped",
    [UPDATE_SKIP_UNPRICED] = "unpriced",
    [UPDATE_SKIP_CACHED_EXCEEDS_PROMPT] = "cached_exceeds_prompt",
    [UPDATE_SKIP_UNPARSABLE] = "unparsable",
    [UPDATE_SKIP_DIVISION_BY_ZERO] = "division_by_zero",
};

/* What a read yields when it succeeds (every skip reason is below). */
#define READ_OK UPDATE_SKIP_COUNT

static const enum update_skip read_skip[] = {
    [FIELD_READ_MISSING] = UPDATE_SKIP_FIELD_MISSING,
    [FIELD_READ_WRONG_TYPE] = UPDATE_SKIP_WRONG_TYPE,
    [FIELD_READ_OUT_OF_RANGE] = UPDATE_SKIP_OUT_OF_RANGE,
    [FIELD_READ_NO_MATCH] = UPDATE_SKIP_NO_MATCH,
    [FIELD_READ_UNPARSABLE] = UPDATE_SKIP_UNPARSABLE,
    [FIELD_READ_DIVISION_BY_ZERO] = UPDATE_SKIP_DIVISION_BY_ZERO,
};

/* A field read's outcome as READ_OK or the reason to skip the update. */
static int read_outcome(enum field_read r)
{
    return r == FIELD_READ_OK ? READ_OK : (int)read_skip[r];
}

const char *pipeline_line_skip_name(enum line_skip r)
{
    return line_skip_names[r];
}

const char *pipeline_update_skip_name(enum update_skip r)
{
    return update_skip_names[r];
}

/* --- label values -------------------------------------------------------- */

/* Appends s to the key as valid UTF-8 without NULs, then the separator. */
static void key_append(struct buf *key, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Room for the worst case: every byte replaced by three. */
    if (!buf_reserve(key, 3 * n + 1))
        return;
    char *o = key->data + key->len;
    size_t i = 0;
    for (;;) {
        while (i < n && u[i] >= 0x01 && u[i] < 0x80)
            *o++ = (char)u[i++];
        if (i >= n)
            break;
        size_t l = utf8_seq(u + i, n - i);
        if (l == 0) {
            memcpy(o, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
            o += UTF8_REPLACEMENT_LEN;
            i += utf8_bad_len(u + i, n - i);
        } else {
            memcpy(o, s + i, l);
            o += l;
            i += l;
        }
    }
    *o++ = '\0';
    key->len = (size_t)(o - key->data);
}

static bool rule_skip(struct rule *r, enum update_skip why)
{
    r->skipped[why]++;
    return false;
}

static const enum update_skip transform_skip[] = {
    [TRANSFORM_MISSING] = UPDATE_SKIP_FIELD_MISSING,
    [TRANSFORM_NO_MATCH] = UPDATE_SKIP_NO_MATCH,
    [TRANSFORM_UNMAPPED] = UPDATE_SKIP_UNMAPPED,
    [TRANSFORM_NOT_STATUS] = UPDATE_SKIP_WRONG_TYPE,
};

/*
 * One label's value: the field's text, transformed, or its default. Kept
 * out of read_labels, whose loop stays tight for the common plain field.
 */
static __attribute__((noinline)) bool read_label(struct pipeline *p,
                                                 struct rule *r, size_t i,
                                                 const char **text, size_t *len)
{
    const struct cfg_label *lab = &r->metric->labels[i];
    if (lab->n_cases > 0) {
        for (size_t k = 0; k < lab->n_cases; k++)
            if (cond_eval(&p->fields, &r->label_cases[i][k])) {
                *text = lab->cases[k].value;
                *len = lab->cases[k].value_len;
                return true;
            }
        if (!lab->has_value)
            return rule_skip(r, UPDATE_SKIP_NO_MATCH);
        *text = lab->value;
        *len = lab->value_len;
        return true;
    }
    const struct field_val *fv = fields_get(&p->fields, lab->field);
    *text = fv ? fields_text(&p->fields, fv, len) : NULL;
    if (fv != NULL && *text == NULL && r->label_tf[i] == NULL)
        return rule_skip(r, UPDATE_SKIP_WRONG_TYPE);
    if (r->label_tf[i] != NULL) {
        buf_reset(&p->text);
        enum transform_result tr =
            transform_apply(r->label_tf[i], *text, *text ? *len : 0,
                            fv && fv->type == FIELD_STRING, &p->text);
        if (tr == TRANSFORM_OK) {
            *text = p->text.data ? p->text.data : "";
            *len = p->text.len;
            return !p->text.oom;
        }
        if (tr != TRANSFORM_MISSING)
            return rule_skip(r, transform_skip[tr]);
        if (fv != NULL)
            return rule_skip(r, UPDATE_SKIP_WRONG_TYPE); /* object, array */
    } else if (fv != NULL) {
        return true;
    }
    if (!lab->has_value)
        return rule_skip(r, UPDATE_SKIP_FIELD_MISSING);
    *text = lab->value;
    *len = lab->value_len;
    return true;
}

/*
 * Copies n bytes (at most PIPELINE_MAX_LABEL_BYTES) a word at a time:
 * label values are short, and a general copy of an unknown length costs
 * more than the value. dst has room for n.
 */
static inline void copy_label(char *dst, const char *src, size_t n)
{
    while (n >= 8) {
        memcpy(dst, src, 8);
        dst += 8;
        src += 8;
        n -= 8;
    }
    if (n >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + n - 4, src + n - 4, 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static bool read_labels(struct pipeline *p, struct rule *r)
{
    buf_reset(&p->key);
    for (size_t i = 0; i < r->metric->n_labels; i++) {
        const struct cfg_label *lab = &r->metric->labels[i];
        const char *text;
        size_t len;
        /* The common case: a plain ASCII value copied as it is. */
        if (lab->field >= 0 && r->label_tf[i] == NULL) {
            const struct field_val *fv = fields_get(&p->fields, lab->field);
            if (fv != NULL && fv->plain &&
                (fv->type == FIELD_STRING || fv->type == FIELD_NUMBER)) {
                if (fv->len > PIPELINE_MAX_LABEL_BYTES)
                    return rule_skip(r, UPDATE_SKIP_LABEL_TOO_LONG);
                if (p->key.cap - p->key.len <= fv->len + 1u &&
                    !buf_reserve(&p->key, fv->len + 1u))
                    return false;
                char *o = p->key.data + p->key.len;
                copy_label(o, fv->p, fv->len);
                o[fv->len] = '\0';
                p->key.len += fv->len + 1;
                continue;
            }
        }
        if (!read_label(p, r, i, &text, &len))
            return false;
        if (len > PIPELINE_MAX_LABEL_BYTES)
            return rule_skip(r, UPDATE_SKIP_LABEL_TOO_LONG);
        key_append(&p->key, text, len);
    }
    return !p->key.oom;
}

/* --- updates ------------------------------------------------------------- */

/* Says (rate-limited per metric) that it is full, and which cap it hit. */
static void warn_overflow(struct rule *r)
{
    bool global;
    size_t cap = family_cap(r->family, &global);
    if (global)
        log_limited(&r->overflow_log, LOG_WARN,
                    "metric %s: the limit of %zu series over all metrics "
                    "(limits.max_series) is reached; updates for new label "
                    "values go to its overflow series",
                    family_name(r->family), cap);
    else
        log_limited(&r->overflow_log, LOG_WARN,
                    "metric %s: its limit of %zu series (max_series) is "
                    "reached; updates for new label values go to its "
                    "overflow series",
                    family_name(r->family), cap);
}

static bool update(struct pipeline *p, struct rule *r, num_fixed v)
{
    uint32_t key_len = (uint32_t)p->key.len;
    const char *key = p->key.data ? p->key.data : "";
    struct series *s =
        family_get(r->family, key, key_len, registry_hash(key, key_len));
    if (s == NULL)
        return false;
    if (series_is_overflow(s))
        warn_overflow(r);
    switch (r->metric->type) {
    case METRIC_COUNTER:
        series_add(s, v);
        break;
    case METRIC_GAUGE:
        series_gauge(s, r->metric->update, v);
        break;
    case METRIC_HISTOGRAM:
        series_observe(r->family, s, v);
        break;
    }
    r->updates++;
    if (r->observer != NULL)
        r->observer(r->observer_ctx, r->observer_tag, s, pipeline_event_time(p),
                    v);
    return true;
}

/* Counts tokens no price covers, by metric and model (capped). Uses the
 * key buffer, which the rule has not filled yet. */
static void unpriced(struct pipeline *p, const struct rule *r,
                     const struct cost_bill *bill)
{
    if (p->unpriced == NULL || bill->unpriced <= 0)
        return;
    size_t len = bill->model_len;
    if (len > PIPELINE_MAX_LABEL_BYTES)
        len = PIPELINE_MAX_LABEL_BYTES;
    buf_reset(&p->key);
    key_append(&p->key, r->metric->name, strlen(r->metric->name));
    key_append(&p->key, bill->model ? bill->model : "", bill->model ? len : 0);
    if (p->key.oom)
        return;
    struct series *s =
        family_get(p->unpriced, p->key.data, (uint32_t)p->key.len,
                   registry_hash(p->key.data, p->key.len));
    if (s != NULL)
        series_add(s, bill->unpriced);
}

static const enum update_skip cost_skip[COST_RESULT_COUNT] = {
    [COST_WRONG_TYPE] = UPDATE_SKIP_WRONG_TYPE,
    [COST_OUT_OF_RANGE] = UPDATE_SKIP_OUT_OF_RANGE,
    [COST_NEGATIVE] = UPDATE_SKIP_NEGATIVE,
    [COST_NO_MATCH] = UPDATE_SKIP_NO_MATCH,
    [COST_UNMAPPED] = UPDATE_SKIP_UNMAPPED,
    [COST_CACHED_EXCEEDS_PROMPT] = UPDATE_SKIP_CACHED_EXCEEDS_PROMPT,
    [COST_UNPRICED] = UPDATE_SKIP_UNPRICED,
};

/* A metric with a cost: the line's cost, if it has tokens or its own. */
static bool rule_apply_cost(struct pipeline *p, struct rule *r)
{
    struct cost_bill bill;
    enum cost_result cr = cost_read(r->cost, &p->fields, &bill);
    unpriced(p, r, &bill);
    if (cr == COST_NONE)
        return false;
    if (cr != COST_OK)
        return rule_skip(r, cost_skip[cr]);
    return read_labels(p, r) && update(p, r, bill.usd);
}

/* Value source i's number when it is made of times: READ_OK or a skip. */
static __attribute__((noinline)) int
read_time_value(struct pipeline *p, struct rule *r, size_t i, num_fixed *out)
{
    const struct cfg_value *src = &r->metric->values[i];
    const struct num_dec *scale = src->has_scale ? &src->scale : NULL;
    if (src->between != NULL)
        return read_outcome(fields_between(&p->fields, src->between,
                                           &r->value_time[i], scale, out));
    return read_outcome(
        fields_duration(&p->fields, src->field, scale, r->value_rx[i], out));
}

/* An expression's value, scaled: READ_OK or a skip. */
static __attribute__((noinline)) int
read_expr(struct pipeline *p, const struct cfg_value *src, num_fixed *out)
{
    num_fixed v;
    enum field_read r = expr_eval(src->expr, &p->fields, &v);
    if (r != FIELD_READ_OK) {
        *out = 0; /* unused: said for the analyzers */
        return read_outcome(r);
    }
    if (!src->has_scale) {
        *out = v;
        return READ_OK;
    }
    return num_scale(v, &src->scale, out) == 0 ? READ_OK
                                               : UPDATE_SKIP_OUT_OF_RANGE;
}

/* Value source i's number when it is a field's, scaled: READ_OK or a
 * skip. */
static inline int read_field(struct pipeline *p, struct rule *r, size_t i,
                             num_fixed *out)
{
    const struct cfg_value *src = &r->metric->values[i];
    return read_outcome(fields_number(&p->fields, src->field,
                                      src->has_scale ? &src->scale : NULL,
                                      r->value_rx[i], out));
}

/* Value source i's number, scaled: READ_OK or a skip. */
static inline int read_value(struct pipeline *p, struct rule *r, size_t i,
                             num_fixed *out)
{
    const struct cfg_value *src = &r->metric->values[i];
    if (src->expr != NULL)
        return read_expr(p, src, out);
    if (src->between != NULL || src->as != VALUE_AS_NUMBER)
        return read_time_value(p, r, i, out);
    return read_field(p, r, i, out);
}

/* Whether a line has source src at all (a duration: either time; an
 * expression: every field it reads). */
static bool source_present(struct pipeline *p, const struct cfg_value *src)
{
    if (src->expr != NULL)
        return expr_present(src->expr, &p->fields);
    if (src->between != NULL)
        return fields_get(&p->fields, src->between->from) != NULL ||
               fields_get(&p->fields, src->between->to) != NULL;
    return fields_get(&p->fields, src->field) != NULL;
}

/* Whether the line meets r's condition, tested once a line for all the
 * rules that share it. */
static inline bool rule_when(struct pipeline *p, struct rule *r)
{
    struct rule *k = r->when_kept;
    if (k->when_line != p->line) {
        k->when_line = p->line;
        k->when_holds = cond_eval(&p->fields, k->when);
    }
    return k->when_holds;
}

static bool rule_apply(struct pipeline *p, struct rule *r)
{
    const struct cfg_metric *m = r->metric;
    num_fixed v; /* set by each read that succeeds */
    int rs;

    if (r->when != NULL && !rule_when(p, r))
        return false;
    switch (r->source) {
    case RULE_COST:
        return rule_apply_cost(p, r);
    case RULE_LINES:
        return read_labels(p, r) && update(p, r, NUM_ONE);
    case RULE_FIELD:
    case RULE_DERIVED:
        rs = r->source == RULE_FIELD ? read_field(p, r, 0, &v)
                                     : read_value(p, r, 0, &v);
        if (rs != READ_OK)
            return rule_skip(r, (enum update_skip)rs);
        if (m->type == METRIC_COUNTER && v < 0)
            return rule_skip(r, UPDATE_SKIP_NEGATIVE);
        return read_labels(p, r) && update(p, r, v);
    case RULE_SEVERAL:
        break;
    }
    /* Several sources, each where present, each with its own labels. */
    bool labels_read = false, used = false;
    size_t prefix = 0;
    for (size_t i = 0; i < m->n_values; i++) {
        const struct cfg_value *src = &m->values[i];
        if (!source_present(p, src) ||
            (src->when != NULL && !cond_eval(&p->fields, &r->value_when[i])))
            continue;
        rs = read_value(p, r, i, &v);
        if (rs != READ_OK) {
            rule_skip(r, (enum update_skip)rs);
            continue;
        }
        if (m->type == METRIC_COUNTER && v < 0) {
            rule_skip(r, UPDATE_SKIP_NEGATIVE);
            continue;
        }
        if (!labels_read) {
            if (!read_labels(p, r))
                return used;
            labels_read = true;
            prefix = p->key.len;
        }
        p->key.len = prefix;
        for (size_t k = 0; k < src->n_labels; k++)
            key_append(&p->key, src->labels[k].value, src->labels[k].value_len);
        if (!p->key.oom)
            used |= update(p, r, v);
    }
    return used;
}

static const enum line_skip parse_skip[] = {
    [PARSE_NOT_JSON] = LINE_SKIP_NOT_JSON,
    [PARSE_NOT_OBJECT] = LINE_SKIP_NOT_OBJECT,
    [PARSE_TOO_COMPLEX] = LINE_SKIP_TOO_COMPLEX,
    [PARSE_NO_MATCH] = LINE_SKIP_NO_MATCH,
    [PARSE_NOT_LOGFMT] = LINE_SKIP_NOT_LOGFMT,
};

/* One line of in: parsed, then offered to every rule of the input. */
static void input_line(struct pipeline *p, struct pipeline_input *in,
                       const char *line, size_t len)
{
    enum parse_result pr = PARSE_NOT_JSON;
    in->lines++;
    for (size_t i = 0; i < in->n_parsers; i++) {
        /* A fresh stamp per attempt: a parser that gave up part-way leaves
         * nothing behind for the next one. */
        fields_next(&p->fields);
        if ((pr = parser_parse(in->parsers[i], line, len, &p->fields.set)) ==
            PARSE_OK)
            break;
    }
    if (pr != PARSE_OK) {
        in->skipped[in->n_parsers > 1 ? LINE_SKIP_UNPARSED : parse_skip[pr]]++;
        return;
    }
    if (in->probe != NULL && !field_probe_line(in->probe, &p->fields)) {
        field_probe_free(in->probe);
        in->probe = NULL;
    }
    p->line++;
    p->has_event_time = in->time != NULL;
    if (in->time != NULL)
        p->event_time =
            eventtime_line(in->time, &p->fields, eventtime_now_coarse(), true);
    bool used = false;
    for (size_t i = 0; i < in->n_rules; i++)
        used |= rule_apply(p, in->rules[i]);
    if (!used)
        in->skipped[LINE_SKIP_UNMATCHED]++;
}

num_fixed pipeline_event_time(struct pipeline *p)
{
    if (!p->has_event_time) {
        p->event_time = eventtime_now_coarse();
        p->has_event_time = true;
    }
    return p->event_time;
}

int pipeline_observe(struct pipeline *p, const char *metric,
                     pipeline_observer fn, void *ctx, size_t tag)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        struct rule *r = &p->rules[i];
        if (strcmp(r->metric->name, metric) != 0)
            continue;
        if (r->metric->type == METRIC_GAUGE || r->observer != NULL)
            return -EINVAL;
        r->observer = fn;
        r->observer_ctx = ctx;
        r->observer_tag = tag;
        return 0;
    }
    return -ENOENT;
}

void pipeline_line(struct pipeline *p, size_t input, const char *line,
                   size_t len)
{
    input_line(p, &p->inputs[input], line, len);
}

void pipeline_sink_line(void *ctx, const char *line, size_t len)
{
    struct pipeline_input *in = ctx;
    input_line(in->pipe, in, line, len);
}

void pipeline_sink_skip(void *ctx, enum tail_skip why)
{
    static const enum line_skip reason[] = {
        [TAIL_SKIP_TOO_LONG] = LINE_SKIP_TOO_LONG,
        [TAIL_SKIP_INCOMPLETE] = LINE_SKIP_INCOMPLETE,
        [TAIL_SKIP_BAD_ENVELOPE] = LINE_SKIP_BAD_ENVELOPE,
    };
    struct pipeline_input *in = ctx;
    in->lines++;
    in->skipped[reason[why]]++;
}

const struct tail_sink *pipeline_sink(struct pipeline *p, size_t input)
{
    return &p->inputs[input].sink;
}

void pipeline_skip(struct pipeline *p, size_t input, enum line_skip reason)
{
    p->inputs[input].lines++;
    p->inputs[input].skipped[reason]++;
}

void pipeline_input_stats(const struct pipeline *p, size_t input,
                          struct pipeline_input_stats *out)
{
    const struct pipeline_input *in = &p->inputs[input];
    out->lines = in->lines;
    memcpy(out->skipped, in->skipped, sizeof(out->skipped));
    out->reasons = pipeline_line_reasons(&p->cfg->inputs[input]);
    out->has_time = in->time != NULL;
    if (in->time != NULL) {
        struct eventtime_stats ts;
        eventtime_get_stats(in->time, &ts);
        memcpy(out->time_fallbacks, ts.fallbacks, sizeof(out->time_fallbacks));
        out->time_ahead = ts.ahead;
    }
}

size_t pipeline_n_metrics(const struct pipeline *p)
{
    return p->n_rules;
}

void pipeline_metric_stats(const struct pipeline *p, size_t metric,
                           struct pipeline_metric_stats *out)
{
    const struct rule *r = &p->rules[metric];
    out->name = r->metric->name;
    out->updates = r->updates;
    memcpy(out->skipped, r->skipped, sizeof(out->skipped));
    out->reasons = pipeline_update_reasons(r->metric);
    family_get_stats(r->family, &out->family);
}
