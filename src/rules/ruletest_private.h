/*
 * What the rule test runner's files share: ruletest_load.c reads a test
 * file into these structs, ruletest.c runs them. Not part of the module's
 * interface. Everything is owned by the struct rt_file that holds it.
 */
#ifndef TOKENTAIL_RULES_RULETEST_PRIVATE_H
#define TOKENTAIL_RULES_RULETEST_PRIVATE_H

#include "buf.h"
#include "labels.h"
#include "rulefile.h"
#include "series.h"

#define RULETEST_INTERVAL_MS 60000 /* promtool's default, 1m */

struct rt_alert_exp {
    struct labels labels, annotations;
};

struct rt_alert_test {
    int64_t eval_ms;
    char *alertname;
    struct rt_alert_exp *exp;
    size_t n_exp;
};

struct rt_sample {
    struct labels labels;
    double value;
};

struct rt_expr_test {
    char *expr;
    int64_t eval_ms;
    struct rt_sample *exp;
    size_t n_exp;
};

struct rt_group {
    char *name; /* may be NULL */
    int64_t interval_ms;
    struct labels external_labels; /* for templates */
    char *external_url;            /* for templates; may be NULL */
    struct series_set *series;
    struct rt_alert_test *alerts;
    size_t n_alerts;
    struct rt_expr_test *exprs;
    size_t n_exprs;
};

struct rt_file {
    int64_t eval_interval_ms;
    struct rule_file **rules;
    size_t n_rules;
    struct rt_group *groups;
    size_t n_groups;
};

/* Loads the test file at path into *out (caller frees with rt_file_free).
 * 0, or -errno after writing every problem to errors. */
int rt_file_load(const char *path, struct rt_file **out, struct buf *errors);
void rt_file_free(struct rt_file *f);

#endif
