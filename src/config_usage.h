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

/* Reports at n that no metric is named name, in what ("usage.metrics"),
 * with the closest name, or else which metrics to name ("counters of
 * \"metrics\""). */
void cfg_no_metric(struct loader *L, const yaml_node_t *n, const char *what,
                   const char *name, const char *which);

#endif
