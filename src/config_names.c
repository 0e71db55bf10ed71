/*
 * What a loaded configuration answers by name: the names its enums are
 * written with, and its inputs and metrics looked up by name (prices are
 * looked up by cost.h). The loader and the daemon both ask; nothing here
 * knows YAML.
 */
#include <string.h>

#include "config.h"

static const char *const start_at_names[START_AT_COUNT] = {"end", "beginning"};
static const char *const parser_names[PARSER_KIND_COUNT] = {"json", "regex",
                                                            "logfmt"};
static const char *const non_finite_names[JSON_NON_FINITE_COUNT] = {"reject",
                                                                    "missing"};
static const char *const cost_names[COST_KINDS] = {
    "prompt", "completion", "embedding", "cached", "cache_write"};
/* The names providers also use, accepted as the same kinds. */
static const char *const cost_aliases[COST_KINDS] = {"input", "output", NULL,
                                                     "cached_input", NULL};

/* The index of s in names (n of them), or -1. */
static int find(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (names[i] != NULL && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

const char *config_start_at_name(enum start_at s)
{
    return start_at_names[s];
}

int config_start_at_parse(const char *s)
{
    return find(start_at_names, START_AT_COUNT, s);
}

const char *config_parser_name(enum parser_kind k)
{
    return parser_names[k];
}

int config_parser_parse(const char *s)
{
    return find(parser_names, PARSER_KIND_COUNT, s);
}

const char *config_non_finite_name(enum json_non_finite n)
{
    return non_finite_names[n];
}

int config_non_finite_parse(const char *s)
{
    return find(non_finite_names, JSON_NON_FINITE_COUNT, s);
}

const char *config_cost_kind_name(enum cost_kind k)
{
    return cost_names[k];
}

const char *config_cost_kind_alias(enum cost_kind k)
{
    return cost_aliases[k];
}

int config_cost_kind_parse(const char *s)
{
    int k = find(cost_names, COST_KINDS, s);
    return k >= 0 ? k : find(cost_aliases, COST_KINDS, s);
}

int config_input_index(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (cfg->inputs[i].name && strcmp(cfg->inputs[i].name, name) == 0)
            return (int)i;
    return -1;
}

int config_metric_index(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_metrics; i++)
        if (cfg->metrics[i].name && strcmp(cfg->metrics[i].name, name) == 0)
            return (int)i;
    return -1;
}
