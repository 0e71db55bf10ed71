/*
 * Loading labels (config_label.c): the labels and const_labels of a
 * metric, the labels of an entry of values, and the steps that turn a
 * field's text into a label's value, which a cost's model takes too.
 * Part of the configuration loader, with the YAML helpers of
 * config_yaml.c and the conditions of config_cond.c (a label's cases);
 * not part of the module's interface. Everything loaded lives in the
 * configuration's arena.
 */
#ifndef TOKENTAIL_CONFIG_LABEL_H
#define TOKENTAIL_CONFIG_LABEL_H

#include "config_yaml.h"

/*
 * The labels of the mapping n, one per pair, into *out and *count (left
 * as they are for an empty mapping). constant: each is name: TEXT
 * (const_labels, a value's labels); otherwise name: FIELD or name: {field
 * or cases, default, transform steps}. what names n in messages. Reports
 * every mistake, reserved and invalid names included.
 */
void cfg_load_labels(struct loader *L, const yaml_node_t *n,
                     struct cfg_label **out, size_t *count, bool constant,
                     const char *what);

/*
 * The transform steps written in the mapping val (regex, lower, map,
 * unmapped, status_class, mask, hash, otherwise) into lab->tf, setting
 * lab->has_tf when one applies. lab->has_value must already say whether
 * the label has a default (a masked label takes none).
 */
void cfg_load_transform(struct loader *L, const yaml_node_t *val,
                        struct cfg_label *lab);

#endif
