/*
 * Loading the budgets section (config_budgets.c): each budget's counter,
 * the label values it is limited to, its period, its limit and the
 * fractions of it that warn. Not part of the module's interface:
 * config.c calls it after the usage section, which it may extend with the
 * budgets' metrics (or create with the defaults).
 */
#ifndef TOKENTAIL_CONFIG_BUDGETS_H
#define TOKENTAIL_CONFIG_BUDGETS_H

#include "config_yaml.h"

/* Loads "budgets" (n) into L->cfg->budgets. */
void cfg_load_budgets(struct loader *L, const yaml_node_t *n);

#endif
