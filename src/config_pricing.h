/*
 * Loading the pricing table (config_pricing.c): the part of the
 * configuration loader that reads the top-level "pricing". Not part of the
 * module's interface; config.c calls it before loading the metrics, whose
 * costs need the table.
 */
#ifndef TOKENTAIL_CONFIG_PRICING_H
#define TOKENTAIL_CONFIG_PRICING_H

#include "config_yaml.h"

/* Loads "pricing" (n) into L->cfg->prices. */
void cfg_load_pricing(struct loader *L, const yaml_node_t *n);

#endif
