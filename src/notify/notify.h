/*
 * The notifier: where alerts go once the rules have decided them — the
 * daemon's log, every configured Alertmanager and every webhook.
 *
 * The rule evaluator calls notifier_send() after each evaluation of a
 * rule group with the alerts due to be sent, and notify_log_transition()
 * when an alert starts firing or resolves. Which alerts are due is the
 * caller's rule, Prometheus' own: a firing alert when it has not been sent
 * for resend_delay, a resolved one at each evaluation for 15 minutes after
 * it resolved (NOTIFY_RESOLVED_RESEND_MS); and endsAt of a firing alert is
 * the instant it stays valid until, 4 × max(resend_delay, the group's
 * interval) ahead (NOTIFY_VALID_FOR_FACTOR). The caller keeps each
 * alert's state; the notifier keeps only what it has to send.
 *
 * What the notifier owns is the sending:
 *   - each Alertmanager receives every alert handed over, in one POST to
 *     /api/v2/alerts per call (at most NOTIFY_MAX_BATCH alerts a POST);
 *   - each webhook groups the alerts by its group_by labels and posts at
 *     most one message per group per repeat_interval (notify_group.h);
 *   - a POST that fails is retried with a growing delay, and each
 *     receiver's queue is bounded, the oldest message dropped when full
 *     (notify_send.h). Nothing blocks the loop.
 *
 * Every pointer argument is borrowed for the call unless said otherwise;
 * the notifier copies what it keeps.
 */
#ifndef TOKENTAIL_NOTIFY_H
#define TOKENTAIL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_alerting.h"

#define NOTIFY_RESOLVED_RESEND_MS (15 * 60 * 1000) /* as Prometheus */
#define NOTIFY_VALID_FOR_FACTOR                                                \
    4                       /* endsAt = now + this × max(resend, interval) */
#define NOTIFY_MAX_BATCH 64 /* alerts in one POST to an Alertmanager */

struct loop;
struct selfmetrics;
struct notifier;

struct notify_label {
    const char *name;
    const char *value;
};

enum notify_state { NOTIFY_FIRING, NOTIFY_RESOLVED };

/*
 * One alert as the rule side hands it over. Times are Unix milliseconds.
 * labels hold alertname; both lists are in any order (they are written
 * sorted by name) and each name appears once.
 */
struct notify_alert {
    const struct notify_label *labels;
    size_t n_labels;
    const struct notify_label *annotations;
    size_t n_annotations;
    enum notify_state state;
    int64_t starts_at_ms;      /* activeAt: when the alert became active */
    int64_t ends_at_ms;        /* resolved: when; firing: valid until */
    double value;              /* the expression's value when last evaluated */
    const char *generator_url; /* NULL or "": none */
};

/* A receiver's figures (the self-metrics). Deliveries are messages. */
enum notify_result {
    NOTIFY_SUCCESS, /* a 2xx answer */
    NOTIFY_ERROR,   /* refused (4xx), or failing still after every retry */
    NOTIFY_TIMEOUT, /* the last attempt timed out */
    NOTIFY_RESULTS
};

struct notify_stats {
    uint64_t results[NOTIFY_RESULTS]; /* messages, by how they ended */
    uint64_t dropped;                 /* messages pushed out of a full queue */
    uint64_t retries;                 /* attempts after a message's first */
    uint64_t queued;                  /* messages waiting or being sent now */
};

/* "success", "error", "timeout". */
const char *notify_result_name(int r);

/*
 * A notifier for cfg (borrowed; must outlive it) whose HTTP runs on loop
 * (borrowed). With no receiver it only logs. Returns 0 or -errno
 * (-ENOMEM, or libcurl failing to start).
 */
int notifier_new(const struct cfg_alerting *cfg, struct loop *loop,
                 struct notifier **out);

/* Abandons what is still queued; NULL is a no-op. Before the loop. */
void notifier_free(struct notifier *n);

/*
 * Hands over count alerts due to be sent (see above), at now (Unix ms,
 * the wall clock). Returns at once: the POSTs go out as the loop runs.
 */
void notifier_send(struct notifier *n, const struct notify_alert *alerts,
                   size_t count, int64_t now_ms);

/*
 * Logs a's transition in one line: a firing alert at WARN (ERROR when its
 * severity label is "critical"), a resolved one at INFO, with alertname,
 * the other labels, the value and the summary annotation as key=value.
 */
void notify_log_transition(const struct notify_alert *a);

/* Adds tokentail_notifications_total and its kin to sm (borrowed). */
int notifier_selfmetrics(struct notifier *n, struct selfmetrics *sm);

/*
 * Whether n posts to the receivers cfg (borrowed) names, in the same way:
 * if not, a reload makes a new notifier for them.
 */
bool notifier_serves(const struct notifier *n, const struct cfg_alerting *cfg);

/*
 * The figures of from's (borrowed) receivers go on in to's receivers of
 * the same name and format (a reload's new notifier); what from had
 * queued is not moved: it is abandoned with from.
 */
void notifier_carry(struct notifier *to, const struct notifier *from);

/* The receivers, in the configuration's order, and their figures. */
size_t notifier_receivers(const struct notifier *n);
void notifier_stats(const struct notifier *n, size_t i,
                    struct notify_stats *out);

/* Whether nothing is queued, being sent or waiting for a retry. */
bool notifier_idle(const struct notifier *n);

/*
 * Webhooks send every change at once, their repeat_interval aside: what
 * tokentail --test-notify wants, since it checks each receiver answers.
 */
void notifier_no_wait(struct notifier *n);

/* Unix milliseconds now (CLOCK_REALTIME). */
int64_t notify_wall_ms(void);

#endif
