/*
 * Loading conditions (config_cond.c), for the metric loader. Not part of
 * the module's interface.
 */
#ifndef TOKENTAIL_CONFIG_COND_H
#define TOKENTAIL_CONFIG_COND_H

#include "config_yaml.h"

/*
 * Loads the condition written at n into c (zeroed by the caller); depth
 * counts the conditions around it, 0 for a metric's "when" or a case's.
 * Returns false after reporting a problem.
 */
bool cfg_load_cond(struct loader *L, const yaml_node_t *n, struct cfg_cond *c,
                   int depth);

#endif
