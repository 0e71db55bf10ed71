/*
 * The rule_files key of the configuration: a list of globs, relative to
 * the configuration file's directory, naming rule files in Prometheus'
 * format. Each file found is loaded with rulefile_load() when the
 * configuration loads, so --check-config reports a rule file's every
 * problem at its own file:line:column; a pattern without wildcards that
 * names no file is an error at the configuration's line, a glob that
 * matches nothing is not (as in Prometheus).
 *
 *   rule_files:
 *     - alerts.yml
 *     - rules.d/[a-z]*.yml
 *
 * The loaded files belong to the configuration: config_free() frees them
 * with cfg_rules_free() (NULL is a no-op).
 */
#ifndef TOKENTAIL_RULES_CONFIG_RULES_H
#define TOKENTAIL_RULES_CONFIG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "config_yaml.h"
#include "rulefile.h"

struct cfg_rule_file {
    char *path;             /* as found: the glob's directory joined */
    struct rule_file *file; /* loaded */
};

struct cfg_rules {
    struct cfg_rule_file *files; /* in the order of the globs, each once */
    size_t n_files;
};

/* Loads rule_files (n; NULL: absent) into L->cfg->rules. */
void cfg_load_rule_files(struct loader *L, const yaml_node_t *n);

void cfg_rules_free(struct cfg_rules *r);

#endif
