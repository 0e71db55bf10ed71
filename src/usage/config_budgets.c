/*
 * Loading "budgets": a list of {name, metric, match, period, limit,
 * warn_at}. A budget reads its metric's amounts from the usage ledger, so
 * the metric must be a counter, and it joins usage.metrics when that list
 * does not name it (a usage section with the defaults is made when there
 * is none): writing the budget is enough to keep what it needs.
 */
#include "config_budgets.h"
#include "config_time.h"
#include "config_usage.h"

#include <string.h>

/* What a budget's name may hold: it is a label value and a log word. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CONFIG_MAX_BUDGET_NAME)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("_.:-", *p) != NULL))
            return false;
    return true;
}

static const char *budget_period_name(size_t i)
{
    return period_kind_name((enum period_kind)i);
}

/* The periods a budget may have: a year is too long to be useful and
 * longer than the days a ledger keeps by default. */
static int budget_period_parse(const char *s)
{
    int k = period_kind_parse(s);
    return k > PERIOD_MONTH ? -1 : k;
}

/* The counter named by n, by its index in config.metrics, or -1 after
 * reporting what is wrong with it. */
static int budget_metric(struct loader *L, const yaml_node_t *n)
{
    const char *name = cfg_string(L, n, "a budget's metric");
    if (name == NULL)
        return -1;
    int i = config_metric_index(L->cfg, name);
    if (i < 0) {
        cfg_no_metric(L, n, "budget metric", name, "a counter of \"metrics\"");
        return -1;
    }
    if (L->cfg->metrics[i].type != METRIC_COUNTER) {
        cfg_err(L, n,
                "budget metric: %s is a %s; a budget adds up what a "
                "counter (money, tokens, requests) added in its period",
                name, metric_type_name(L->cfg->metrics[i].type));
        return -1;
    }
    return i;
}

/* match: {LABEL: VALUE, ...}, each label one the metric has. */
static void load_match(struct loader *L, const yaml_node_t *n,
                       struct cfg_budget *b)
{
    const char *names[CONFIG_MAX_LABELS];
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "match"))
        return;
    size_t cnt = cfg_map_len(n);
    struct cfg_budget_match *m = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*m));
    if (m == NULL)
        return;
    size_t n_names =
        b->metric < 0
            ? 0
            : config_metric_label_names(&L->cfg->metrics[b->metric], names);
    for (size_t i = 0; i < cnt; i++) {
        const yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = cfg_node(L, p->key), *v = cfg_node(L, p->value);
        const char *label = cfg_string(L, k, "a match label");
        const char *value = cfg_string(L, v, "a match value");
        if (label == NULL || value == NULL || b->metric < 0)
            continue;
        bool has = false;
        for (size_t j = 0; j < n_names && j < CONFIG_MAX_LABELS; j++)
            has |= names[j] != NULL && strcmp(names[j], label) == 0;
        if (!has) {
            cfg_err(L, k, "match: %s has no label \"%s\"",
                    L->cfg->metrics[b->metric].name, label);
            continue;
        }
        m[b->n_match++] = (struct cfg_budget_match){label, value};
    }
    b->match = m;
}

/* limit: a positive decimal, or "unlimited". */
static void load_limit(struct loader *L, const yaml_node_t *n,
                       struct cfg_budget *b)
{
    struct num_dec d;
    if (n->type == YAML_SCALAR_NODE &&
        strcmp((const char *)n->data.scalar.value, "unlimited") == 0) {
        b->unlimited = true;
        return;
    }
    if (!cfg_number(L, n, "limit", &d))
        return;
    if (num_to_fixed(&d, NULL, &b->limit) != 0 || b->limit <= 0)
        cfg_err(L, n, "limit must be a positive number (or \"unlimited\")");
}

/* A fraction of warn_at, or the default's text. */
static bool fraction(struct loader *L, const yaml_node_t *n, const char *text,
                     num_fixed *out)
{
    struct num_dec d;
    if (n != NULL && !cfg_number(L, n, "warn_at", &d))
        return false;
    if (n == NULL && num_parse_text(text, strlen(text), &d) != 0)
        return false;
    return num_to_fixed(&d, NULL, out) == 0;
}

/* warn_at: [FRACTION, ...], each above 0 and above the one before. */
static void load_warn(struct loader *L, const yaml_node_t *n,
                      struct cfg_budget *b)
{
    size_t cnt = n != NULL ? cfg_seq_len(n) : 2;
    if (n != NULL && !cfg_want(L, n, YAML_SEQUENCE_NODE, "warn_at"))
        return;
    if (cnt > CONFIG_MAX_BUDGET_WARN) {
        cfg_err(L, n, "warn_at holds at most %d fractions",
                CONFIG_MAX_BUDGET_WARN);
        return;
    }
    num_fixed *w = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*w));
    if (w == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item =
            n != NULL ? cfg_node(L, n->data.sequence.items.start[i]) : NULL;
        num_fixed f;
        if (!fraction(L, item,
                      i == 0 ? CONFIG_DEFAULT_WARN_LOW
                             : CONFIG_DEFAULT_WARN_HIGH,
                      &f))
            continue;
        if (f <= 0)
            cfg_err(L, item, "warn_at: each fraction must be above 0");
        else if (b->n_warn > 0 && f <= w[b->n_warn - 1])
            cfg_err(L, item, "warn_at: the fractions must ascend");
        else
            w[b->n_warn++] = f;
    }
    b->warn_at = w;
}

/* Adds metric to usage.metrics, making the section if need be. */
static void keep_in_ledger(struct loader *L, int metric)
{
    struct cfg_usage *u = L->cfg->usage;
    if (u == NULL) {
        if ((u = cfg_alloc(L, sizeof(*u))) == NULL)
            return;
        u->retention_ms = CONFIG_DEFAULT_USAGE_RETENTION_MS;
        u->hourly_retention_ms = CONFIG_DEFAULT_USAGE_HOURLY_MS;
        u->zone = cfg_zone_named(L, NULL, CONFIG_DEFAULT_USAGE_ZONE);
        L->cfg->usage = u;
    }
    for (size_t i = 0; i < u->n_metrics; i++)
        if (u->metrics[i] == metric)
            return;
    int *m = cfg_alloc(L, (u->n_metrics + 1) * sizeof(*m));
    if (m == NULL)
        return;
    if (u->n_metrics > 0)
        memcpy(m, u->metrics, u->n_metrics * sizeof(*m));
    m[u->n_metrics++] = metric;
    u->metrics = m;
}

static void load_name(struct loader *L, const yaml_node_t *n,
                      struct cfg_budget *b, size_t index)
{
    const char *name = cfg_string(L, n, "a budget's name");
    if (name == NULL)
        return;
    if (!name_ok(name)) {
        cfg_err(L, n,
                "budget name \"%s\" must be 1 to %d letters, digits "
                "or _ . : -",
                name, CONFIG_MAX_BUDGET_NAME);
        return;
    }
    for (size_t i = 0; i < index; i++)
        if (L->cfg->budgets[i].name != NULL &&
            strcmp(L->cfg->budgets[i].name, name) == 0) {
            cfg_err(L, n, "duplicate budget name \"%s\"", name);
            return;
        }
    b->name = name;
}

static void load_budget(struct loader *L, const yaml_node_t *n, size_t index)
{
    static const char *const keys[] = {"name",  "metric",  "match", "period",
                                       "limit", "warn_at", NULL};
    struct cfg_budget *b = &L->cfg->budgets[index];
    yaml_node_t *v;
    b->metric = -1;
    if (!cfg_keys(L, n, keys, "a budget"))
        return;
    if ((v = cfg_get(L, n, "name")) != NULL)
        load_name(L, v, b, index);
    else
        cfg_err(L, n, "a budget needs a \"name\"");
    if ((v = cfg_get(L, n, "metric")) != NULL)
        b->metric = budget_metric(L, v);
    else
        cfg_err(L, n, "a budget needs a \"metric\": the counter it limits");
    if ((v = cfg_get(L, n, "match")) != NULL)
        load_match(L, v, b);
    if ((v = cfg_get(L, n, "period")) != NULL) {
        int k = cfg_choice(L, v, "period", budget_period_parse,
                           budget_period_name, PERIOD_MONTH + 1, false);
        b->period = k < 0 ? PERIOD_MONTH : (enum period_kind)k;
    } else {
        cfg_err(L, n, "a budget needs a \"period\": hour, day, week or month");
    }
    if ((v = cfg_get(L, n, "limit")) != NULL)
        load_limit(L, v, b);
    else
        cfg_err(L, n, "a budget needs a \"limit\" (a number, or unlimited)");
    v = cfg_get(L, n, "warn_at");
    if (b->unlimited && v != NULL)
        cfg_err(L, v, "warn_at: an unlimited budget has nothing to warn of");
    else if (!b->unlimited)
        load_warn(L, v, b);
    if (b->metric >= 0)
        keep_in_ledger(L, b->metric);
}

/* The days a period spans at most, which the ledger must keep. */
static const uint64_t period_days_max[] = {
    [PERIOD_HOUR] = 1,
    [PERIOD_DAY] = 1,
    [PERIOD_WEEK] = PERIOD_DAYS_PER_WEEK,
    [PERIOD_MONTH] = 31,
};

/* Why the ledger cannot answer budget b over its whole period, or NULL. */
static const char *short_ledger(const struct cfg_usage *u,
                                const struct cfg_budget *b)
{
    if (b->period == PERIOD_HOUR && u->hourly_retention_ms == 0)
        return "period: hour needs the hours usage keeps; set "
               "usage.hourly_retention above 0";
    if (u->retention_ms < period_days_max[b->period] * CONFIG_DAY_MS)
        return b->period == PERIOD_WEEK
                   ? "period: week needs 7 days of usage; set "
                     "usage.retention to 7d or more"
                   : "period: month needs 31 days of usage; set "
                     "usage.retention to 31d or more";
    return NULL;
}

/* Each budget's period is one the ledger keeps whole. */
static void check_retention(struct loader *L, const yaml_node_t *list)
{
    const struct config *cfg = L->cfg;
    for (size_t i = 0; cfg->usage != NULL && i < cfg->n_budgets; i++) {
        const char *why = short_ledger(cfg->usage, &cfg->budgets[i]);
        if (why == NULL)
            continue;
        const yaml_node_t *n = cfg_node(L, list->data.sequence.items.start[i]);
        const yaml_node_t *p = cfg_get(L, n, "period");
        cfg_err(L, p != NULL ? p : n, "%s", why);
    }
}

void cfg_load_budgets(struct loader *L, const yaml_node_t *n)
{
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, "budgets"))
        return;
    size_t cnt = cfg_seq_len(n);
    if (cnt > CONFIG_MAX_BUDGETS) {
        cfg_err(L, n, "budgets: at most %d", CONFIG_MAX_BUDGETS);
        return;
    }
    L->cfg->budgets = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(struct cfg_budget));
    for (size_t i = 0; L->cfg->budgets != NULL && i < cnt; i++) {
        load_budget(L, cfg_node(L, n->data.sequence.items.start[i]), i);
        L->cfg->n_budgets = i + 1;
    }
    if (L->cfg->budgets != NULL)
        check_retention(L, n);
}
