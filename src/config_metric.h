/*
 * Loading the metrics (config_metric.c): the part of the configuration
 * loader that reads the "metrics" list. Not part of the module's
 * interface; config.c calls it once the inputs and prices are loaded,
 * which the metrics refer to.
 */
#ifndef TOKENTAIL_CONFIG_METRIC_H
#define TOKENTAIL_CONFIG_METRIC_H

#include "config_yaml.h"

/* Loads one entry of "metrics" into m (zeroed by the caller). */
void cfg_load_metric(struct loader *L, const yaml_node_t *n,
                     struct cfg_metric *m);

/* Reports metrics whose exposed names collide; seq is the "metrics" list
 * whose entries were loaded into L->cfg->metrics. */
void cfg_check_metric_names(struct loader *L, const yaml_node_t *seq);

/* Compiles the expression written in n into v's expr (config_expr.c);
 * false after reporting why it does not compile. */
bool cfg_load_expr(struct loader *L, const yaml_node_t *n, struct cfg_value *v);

#endif
