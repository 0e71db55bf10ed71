/*
 * Rule files in Prometheus' format: groups with a name, an optional
 * interval and alerting rules (alert, expr, for, keep_firing_for, labels,
 * annotations). The expressions are parsed (promql.h) and the label and
 * annotation templates checked (template.h) when the file loads, so a
 * file that loads can be evaluated; a recording rule, or anything outside
 * the supported subset, is refused naming it at file:line:column.
 *
 * rulefile_load() returns a file the caller frees with rulefile_free()
 * (NULL is a no-op); everything in it belongs to it.
 */
#ifndef TOKENTAIL_RULES_RULEFILE_H
#define TOKENTAIL_RULES_RULEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "labels.h"
#include "promql.h"

struct rule_alert {
    char *name;
    char *expr_text;
    struct promql_node *expr;
    int64_t for_ms;             /* pending this long before firing */
    int64_t keep_firing_for_ms; /* firing this long after it stops holding */
    struct label *labels;       /* templates, in the file's order */
    size_t n_labels;
    struct label *annotations; /* templates, in the file's order */
    size_t n_annotations;
};

struct rule_group {
    char *name;
    int64_t interval_ms; /* 0: the default interval */
    struct rule_alert *rules;
    size_t n_rules;
};

struct rule_file {
    struct rule_group *groups;
    size_t n_groups;
};

/*
 * Loads path (borrowed) into *out (caller frees). Returns 0; -EINVAL after
 * writing every problem found to errors (borrowed), one per line as
 * "file:line:column: message"; or another -errno (with a message) when
 * the file cannot be read.
 */
int rulefile_load(const char *path, struct rule_file **out, struct buf *errors);

void rulefile_free(struct rule_file *f);

#endif
