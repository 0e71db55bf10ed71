/*
 * What a loaded configuration answers by name: the names its enums are
 * written with, and its inputs and prices looked up by name. The loader
 * and the daemon both ask; nothing here knows YAML.
 */
#include <string.h>

#include "config.h"

static const char *const cost_names[COST_KINDS] = {"prompt", "completion",
                                                   "embedding", "cached"};
/* The names providers also use, accepted as the same kinds. */
static const char *const cost_aliases[COST_KINDS] = {"input", "output", NULL,
                                                     "cached_input"};

const char *config_cost_kind_name(enum cost_kind k)
{
    return cost_names[k];
}

int config_cost_kind_parse(const char *s)
{
    for (int k = 0; k < COST_KINDS; k++)
        if (strcmp(s, cost_names[k]) == 0 ||
            (cost_aliases[k] != NULL && strcmp(s, cost_aliases[k]) == 0))
            return k;
    return -1;
}

int config_input_index(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (cfg->inputs[i].name && strcmp(cfg->inputs[i].name, name) == 0)
            return (int)i;
    return -1;
}

const struct cfg_price *config_price(const struct config *cfg,
                                     const char *model, size_t len)
{
    for (size_t i = 0; model != NULL && i < cfg->n_prices; i++)
        if (cfg->prices[i].model_len == len &&
            memcmp(cfg->prices[i].model, model, len) == 0)
            return &cfg->prices[i];
    return cfg->default_price >= 0 ? &cfg->prices[cfg->default_price] : NULL;
}
