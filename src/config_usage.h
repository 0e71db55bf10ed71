/*
 * Loading the usage section (config_usage.c): which counters and
 * histograms the usage ledger keeps per day and hour, its time zone and
 * how long it keeps them. Not part of the module's interface; config.c
 * calls it once the metrics are loaded, since the section names them.
 */
#ifndef TOKENTAIL_CONFIG_USAGE_H
#define TOKENTAIL_CONFIG_USAGE_H

#include "config_yaml.h"

/* Loads "usage" (n) into L->cfg->usage. */
void cfg_load_usage(struct loader *L, const yaml_node_t *n);

/* The configured metric whose name is closest to name (a few edits away,
 * or the start of it), for "did you mean"; NULL when none is close. */
const char *cfg_closest_metric(const struct config *cfg, const char *name);

#endif
