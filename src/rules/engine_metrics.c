/*
 * What the engine tells of itself: the tokentail_rule_* families (rows of
 * the self-metrics table), tokentail_alerts (written beside the
 * exposition, since each alert brings label names of its own).
 */
#include <string.h>

#include "engine_private.h"
#include "expfmt.h"
#include "selfmetrics.h"

#define US_PER_SECOND 1000000

struct group_stats {
    uint64_t evaluations, failures;
    num_fixed last_duration; /* seconds */
};

static size_t group_count(const void *ctx)
{
    return ((const struct engine *)ctx)->n_groups;
}

static const char *group_read(const void *ctx, size_t i, void *stats)
{
    const struct engine_group *g = &((const struct engine *)ctx)->groups[i];
    struct group_stats *st = stats;
    st->evaluations = g->evaluations;
    st->failures = g->failures;
    st->last_duration = (num_fixed)g->last_us * (NUM_ONE / US_PER_SECOND);
    return g->group->name;
}

struct history_figures {
    uint64_t series, samples, bytes, dropped;
    num_fixed last_round; /* seconds */
};

static const char *history_read(const void *ctx, size_t i, void *stats)
{
    struct history_stats hs;
    struct history_figures *st = stats;
    (void)i;
    history_get_stats(((const struct engine *)ctx)->history, &hs);
    st->series = hs.series;
    st->samples = hs.samples;
    st->bytes = hs.bytes;
    st->dropped = hs.dropped;
    st->last_round = (num_fixed)((const struct engine *)ctx)->sample_us *
                     (NUM_ONE / US_PER_SECOND);
    return "";
}

static const struct self_source group_source = {
    "group", sizeof(struct group_stats), group_count, group_read, false};
static const struct self_source history_source_ = {
    NULL, sizeof(struct history_figures), NULL, history_read, false};

static const struct self_row rows[] = {
    {.name = "tokentail_rule_evaluations_total",
     .type = METRIC_COUNTER,
     .help = "Alerting rules evaluated, by rule group.",
     .source = &group_source,
     SELF_FIELD(struct group_stats, evaluations)},
    {.name = "tokentail_rule_evaluation_failures_total",
     .type = METRIC_COUNTER,
     .help = "Alerting rule evaluations that failed, by rule group.",
     .source = &group_source,
     SELF_FIELD(struct group_stats, failures)},
    {.name = "tokentail_rule_group_last_duration_seconds",
     .type = METRIC_GAUGE,
     .help = "How long the last evaluation of the rule group took.",
     .source = &group_source,
     SELF_FIELD(struct group_stats, last_duration)},
    {.name = "tokentail_rule_history_series",
     .type = METRIC_GAUGE,
     .help = "Series whose samples the rules' history keeps.",
     .source = &history_source_,
     SELF_FIELD(struct history_figures, series)},
    {.name = "tokentail_rule_history_samples",
     .type = METRIC_GAUGE,
     .help = "Samples the rules' history keeps.",
     .source = &history_source_,
     SELF_FIELD(struct history_figures, samples)},
    {.name = "tokentail_rule_history_bytes",
     .type = METRIC_GAUGE,
     .help = "Memory held by the rules' history.",
     .source = &history_source_,
     SELF_FIELD(struct history_figures, bytes)},
    {.name = "tokentail_rule_history_dropped_samples_total",
     .type = METRIC_COUNTER,
     .help = "Samples not kept because the history was full "
             "(limits.max_rule_samples).",
     .source = &history_source_,
     SELF_FIELD(struct history_figures, dropped)},
    {.name = "tokentail_rule_history_last_round_seconds",
     .type = METRIC_GAUGE,
     .help = "How long the last round of samples for the rules took.",
     .source = &history_source_,
     SELF_FIELD(struct history_figures, last_round)},
};

int engine_selfmetrics(struct engine *e, struct selfmetrics *sm)
{
    return selfmetrics_add(sm, rows, sizeof(rows) / sizeof(rows[0]), e);
}

static void put_label(struct buf *out, const char *name, const char *value,
                      bool comma)
{
    if (comma)
        buf_putc(out, ',');
    buf_puts(out, name);
    buf_puts(out, "=\"");
    expfmt_escape_label(out, value, strlen(value));
    buf_putc(out, '"');
}

static void expose_alert(struct buf *out, const struct alert *a)
{
    buf_puts(out, "tokentail_alerts{");
    const char *name = labels_get(&a->labels, "alertname");
    put_label(out, "alertname", name ? name : "", false);
    put_label(out, "alertstate", alert_state_name(a->state), true);
    for (size_t i = 0; i < a->labels.n; i++)
        if (strcmp(a->labels.v[i].name, "alertname") != 0)
            put_label(out, a->labels.v[i].name, a->labels.v[i].value, true);
    buf_puts(out, "} 1\n");
}

void engine_expose(const struct engine *e, enum expfmt_format fmt,
                   struct buf *out)
{
    if (e == NULL || e->n_groups == 0)
        return;
    expfmt_header(out, fmt, "tokentail_alerts", METRIC_GAUGE,
                  "Alerts pending or firing, 1 each.");
    for (size_t g = 0; g < e->n_groups; g++)
        for (size_t r = 0; r < e->groups[g].n_rules; r++) {
            const struct alert_rule *ar = &e->groups[g].rules[r].ar;
            for (size_t i = 0; i < ar->n; i++)
                if (ar->v[i].state != ALERT_INACTIVE)
                    expose_alert(out, &ar->v[i]);
        }
}
