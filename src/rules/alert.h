/*
 * The state of an alerting rule: its alerts, each inactive, pending or
 * firing, advanced at each evaluation as Prometheus advances them. An
 * element of the expression's result is an alert whose labels are the
 * element's (without the metric name), the rule's labels and alertname;
 * it is pending from the first evaluation that finds it, firing once it
 * has been found for the rule's `for`, and stays firing for the rule's
 * keep_firing_for after it is no longer found. A resolved alert is kept
 * ALERT_RESOLVED_KEEP_MS for the notifiers, then forgotten.
 *
 * struct alert_rule borrows its rule (which must outlive it) and owns its
 * alerts; alert_rule_clear() frees them (a zeroed state is a no-op). The
 * external labels and URL templates may print are set after
 * alert_rule_init(), when there are any.
 */
#ifndef TOKENTAIL_RULES_ALERT_H
#define TOKENTAIL_RULES_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "eval.h"
#include "labels.h"
#include "rulefile.h"

#define ALERT_RESOLVED_KEEP_MS (15 * 60 * 1000) /* Prometheus' retention */
#define ALERT_TIME_NONE        INT64_MIN        /* a time not yet reached */

enum alert_state { ALERT_INACTIVE, ALERT_PENDING, ALERT_FIRING };

/* "inactive", "pending" or "firing". */
const char *alert_state_name(enum alert_state s);

struct alert {
    struct labels labels;
    struct labels annotations; /* expanded; an empty one is left out */
    double value;
    enum alert_state state;
    int64_t active_at_ms, fired_at_ms, resolved_at_ms, keep_firing_since_ms;
    int64_t seen_at_ms;   /* the last evaluation whose result had it */
    int64_t last_sent_ms; /* last handed to the notifiers; the engine's */
};

struct alert_rule {
    const struct rule_alert *rule;        /* borrowed */
    const struct labels *external_labels; /* borrowed, for templates; NULL */
    const char *external_url;             /* borrowed, for templates; NULL */
    struct alert *v;
    size_t n, cap;
};

/* Starts the state of rule (borrowed), with no alert. */
void alert_rule_init(struct alert_rule *ar, const struct rule_alert *rule);
void alert_rule_clear(struct alert_rule *ar);

/*
 * Evaluates the rule at t_ms over src (borrowed) and advances its alerts.
 * Returns 0; -EINVAL with err (PROMQL_ERR_MAX bytes) when the expression
 * fails or two elements give the same alert labels, the alerts then left
 * as they were; or -ENOMEM.
 */
int alert_rule_eval(struct alert_rule *ar, const struct promql_source *src,
                    int64_t t_ms, char *err);

#endif
