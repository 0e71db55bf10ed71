/*
 * Loading the pricing table: its unit and one entry per model, or per
 * family of models (a prefix, a pattern). Part of the configuration
 * loader (config.c), with the YAML helpers of config_yaml.c.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_pricing.h"
#include "config_yaml.h"

#define PRICE_KEY_DEFAULT "default"
#define PRICE_KEY_MATCH   "match"

/*
 * "a price takes prompt (or input), ... or cache_write, and match", for
 * messages.
 */
static const char *price_keys_hint(char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "a price takes");
    for (int c = 0; c < COST_KINDS && len < cap; c++) {
        const char *alias = config_cost_kind_alias((enum cost_kind)c);
        int w = snprintf(out + len, cap - len, "%s%s%s%s%s",
                         c == 0               ? " "
                         : c + 1 < COST_KINDS ? ", "
                                              : " or ",
                         config_cost_kind_name((enum cost_kind)c),
                         alias ? " (or " : "", alias ? alias : "",
                         alias ? ")" : "");
        len += w > 0 ? (size_t)w : 0;
    }
    if (len < cap)
        snprintf(out + len, cap - len, ", and " PRICE_KEY_MATCH);
    return out;
}

/*
 * How the entry keyed key (the text p->model) matches models: its name,
 * a prefix ending in "*", or the regular expression of its match.
 */
static void load_price_match(struct loader *L, const yaml_node_t *key,
                             const yaml_node_t *n, struct cfg_price *p)
{
    const yaml_node_t *m = cfg_get(L, n, PRICE_KEY_MATCH);
    const char *star = strchr(p->model, '*');
    bool is_default = strcmp(p->model, PRICE_KEY_DEFAULT) == 0;
    p->match = is_default ? PRICE_DEFAULT : PRICE_EXACT;
    if (star != NULL && star[1] == '\0' && star != p->model) {
        p->match = PRICE_PREFIX;
        p->model_len--;
    } else if (star != NULL) {
        cfg_err(L, key,
                star == p->model && star[1] == '\0'
                    ? "a price for every model is the \"" PRICE_KEY_DEFAULT
                      "\" entry"
                    : "only a trailing \"*\" is a wildcard, for a prefix "
                      "(gpt-4o*); other patterns take \"" PRICE_KEY_MATCH "\"");
    }
    if (m == NULL)
        return;
    if (p->match != PRICE_EXACT) {
        cfg_err(L, m,
                "\"%s\" names %s; a pattern's entry takes a name of its own",
                p->model,
                p->match == PRICE_DEFAULT ? "the default entry" : "a prefix");
        return;
    }
    if (cfg_regex(L, m, PRICE_KEY_MATCH, &p->pattern))
        p->match = PRICE_PATTERN;
}

static void load_price(struct loader *L, const yaml_node_t *key,
                       const yaml_node_t *n, int32_t unit_exp,
                       struct cfg_price *p)
{
    /* Each kind by its name, then by the providers' name; match. */
    const char *keys[2 * COST_KINDS + 2];
    size_t n_keys = 0;
    char hint[256];
    for (int c = 0; c < COST_KINDS; c++) {
        keys[n_keys++] = config_cost_kind_name((enum cost_kind)c);
        if (config_cost_kind_alias((enum cost_kind)c) != NULL)
            keys[n_keys++] = config_cost_kind_alias((enum cost_kind)c);
    }
    keys[n_keys++] = PRICE_KEY_MATCH;
    keys[n_keys] = NULL;
    size_t len;
    p->model = cfg_scalar(L, key, "model name", &len);
    p->model_len = (uint32_t)len;
    if (!cfg_keys_hint(L, n, keys, "a price",
                       price_keys_hint(hint, sizeof(hint))))
        return;
    if (p->model != NULL)
        load_price_match(L, key, n, p);
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start;
         pair < n->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = cfg_node(L, pair->key), *v = cfg_node(L, pair->value);
        const char *name = (const char *)k->data.scalar.value;
        int c = config_cost_kind_parse(name); /* cfg_keys let no other in */
        if (c < 0)
            continue;
        if (p->has[c]) {
            cfg_err(L, k, "%s is priced twice for %s",
                    config_cost_kind_name((enum cost_kind)c),
                    p->model ? p->model : "?");
            continue;
        }
        if (!cfg_number(L, v, "price", &p->per_token[c]))
            continue;
        if (p->per_token[c].neg) {
            cfg_err(L, v, "prices must not be negative");
            continue;
        }
        p->per_token[c].exp -= unit_exp; /* per 1k or 1M -> per token */
        p->has[c] = true;
    }
}

void cfg_load_pricing(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"per", "models", NULL};
    struct config *cfg = L->cfg;
    if (!cfg_keys(L, n, keys, "pricing"))
        return;
    yaml_node_t *per = cfg_get(L, n, "per"), *models = cfg_get(L, n, "models");
    int32_t unit_exp = 0; /* prices are per 10^unit_exp tokens */
    if (per == NULL) {
        cfg_err(L, n, "pricing needs \"per\": 1k or 1M tokens");
    } else {
        const char *s = cfg_scalar(L, per, "per", NULL);
        if (s && strcmp(s, "1k") == 0)
            unit_exp = 3;
        else if (s && strcmp(s, "1M") == 0)
            unit_exp = 6;
        else if (s)
            cfg_err(L, per, "per must be 1k or 1M, not \"%s\"", s);
    }
    if (models == NULL) {
        cfg_err(L, n, "pricing needs \"models\": prices per model");
        return;
    }
    if (!cfg_want(L, models, YAML_MAPPING_NODE, "models"))
        return;
    size_t cnt = cfg_map_len(models);
    cfg->prices = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*cfg->prices));
    if (cfg->prices == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *pair = &models->data.mapping.pairs.start[i];
        yaml_node_t *k = cfg_node(L, pair->key), *v = cfg_node(L, pair->value);
        struct cfg_price *p = &cfg->prices[cfg->n_prices];
        load_price(L, k, v, unit_exp, p);
        if (p->model == NULL)
            continue;
        for (size_t j = 0; j < cfg->n_prices; j++)
            if (strcmp(cfg->prices[j].model, p->model) == 0)
                cfg_err(L, k, "model %s is priced twice", p->model);
        if (p->match == PRICE_DEFAULT)
            cfg->default_price = (int)cfg->n_prices;
        cfg->n_prices++;
    }
}
