/*
 * Loading "usage": {metrics: [NAME, ...], timezone: ZONE, retention: 400d,
 * hourly_retention: 8d}. The metrics must be configured counters or
 * histograms: the ledger keeps what was added to them per period, which a
 * gauge does not have.
 */
#include "config_usage.h"
#include "config_time.h"

#include <string.h>

/* A metric name that is a few edits from a configured one, or the start
 * of one ("llm_tokens" for "llm_tokens_total"), gets it suggested. */
#define USAGE_SUGGEST_MAX_EDITS  3
#define USAGE_SUGGEST_MIN_PREFIX 4

/* The configured metric closest to name, or NULL when none is close. */
static const char *closest_metric(const struct config *cfg, const char *name)
{
    const char *best = NULL;
    size_t best_d = USAGE_SUGGEST_MAX_EDITS + 1;
    size_t len = strlen(name);
    for (size_t i = 0; i < cfg->n_metrics; i++) {
        const char *m = cfg->metrics[i].name;
        if (m == NULL)
            continue;
        size_t d = cfg_edit_distance(name, m);
        if (d >= best_d && len >= USAGE_SUGGEST_MIN_PREFIX &&
            strncmp(name, m, len) == 0)
            d = best_d - 1;
        if (d < best_d) {
            best_d = d;
            best = m;
        }
    }
    return best;
}

void cfg_no_metric(struct loader *L, const yaml_node_t *n, const char *what,
                   const char *name, const char *which)
{
    const char *near = closest_metric(L->cfg, name);
    if (near != NULL)
        cfg_err(L, n, "%s: no metric is named \"%s\" (did you mean \"%s\"?)",
                what, name, near);
    else
        cfg_err(L, n, "%s: no metric is named \"%s\"; name %s", what, name,
                which);
}

/* One entry of usage.metrics: the index of a counter or a histogram, or
 * -1 after reporting what it is instead. */
static int usage_metric(struct loader *L, const yaml_node_t *n)
{
    const char *name = cfg_string(L, n, "a usage metric");
    if (name == NULL)
        return -1;
    int i = config_metric_index(L->cfg, name);
    if (i < 0) {
        cfg_no_metric(L, n, "usage.metrics", name,
                      "counters or histograms of \"metrics\"");
        return -1;
    }
    if (L->cfg->metrics[i].type == METRIC_GAUGE) {
        cfg_err(L, n,
                "usage.metrics: %s is a gauge; the ledger keeps what was "
                "added per day and hour, so only counters and histograms "
                "can be named",
                name);
        return -1;
    }
    return i;
}

static void load_metrics(struct loader *L, const yaml_node_t *v,
                         struct cfg_usage *u)
{
    if (!cfg_want(L, v, YAML_SEQUENCE_NODE, "usage.metrics"))
        return;
    size_t cnt = cfg_seq_len(v);
    if (cnt == 0) {
        cfg_err(L, v, "usage.metrics must name at least one metric");
        return;
    }
    int *metrics = cfg_alloc(L, cnt * sizeof(*metrics));
    if (metrics == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = cfg_node(L, v->data.sequence.items.start[i]);
        int m = usage_metric(L, item);
        if (m < 0)
            continue;
        bool twice = false;
        for (size_t k = 0; k < u->n_metrics; k++)
            twice |= metrics[k] == m;
        if (twice)
            cfg_err(L, item, "usage.metrics names %s twice",
                    L->cfg->metrics[m].name);
        else
            metrics[u->n_metrics++] = m;
    }
    u->metrics = metrics;
}

void cfg_load_usage(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"metrics", "timezone", "retention",
                                       "hourly_retention", NULL};
    yaml_node_t *v, *hourly;
    if (!cfg_keys(L, n, keys, "usage"))
        return;
    struct cfg_usage *u = cfg_alloc(L, sizeof(*u));
    if (u == NULL)
        return;
    u->retention_ms = CONFIG_DEFAULT_USAGE_RETENTION_MS;
    u->hourly_retention_ms = CONFIG_DEFAULT_USAGE_HOURLY_MS;
    /* Without metrics, budgets may name them (config.c checks). */
    if ((v = cfg_get(L, n, "metrics")) != NULL)
        load_metrics(L, v, u);
    v = cfg_get(L, n, "timezone");
    u->zone = v != NULL ? cfg_load_zone(L, v)
                        : cfg_zone_named(L, NULL, CONFIG_DEFAULT_USAGE_ZONE);
    if ((v = cfg_get(L, n, "retention")) != NULL)
        cfg_duration(L, v, "retention", CONFIG_MIN_USAGE_RETENTION_MS,
                     CONFIG_MAX_USAGE_RETENTION_MS, &u->retention_ms);
    if ((hourly = cfg_get(L, n, "hourly_retention")) != NULL &&
        cfg_duration(L, hourly, "hourly_retention", 0,
                     CONFIG_MAX_USAGE_RETENTION_MS, &u->hourly_retention_ms) &&
        u->hourly_retention_ms > u->retention_ms)
        cfg_err(L, hourly,
                "hourly_retention must not be longer than retention: an "
                "hour is kept no longer than its day");
    L->cfg->usage = u;
}
