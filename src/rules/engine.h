/*
 * The rule engine: the rule files of the configuration evaluated inside
 * the daemon, as Prometheus' rule manager evaluates them. Each group runs
 * at its interval (its own, else the default), at instants aligned to a
 * multiple of it; groups due together run in the order of the files and
 * of the groups in them, rules in their order. Before a group is
 * evaluated at t, the sampler is asked for a round of samples at t (once
 * per instant), so the history (history.h) holds what a Prometheus
 * scraping tokentail at each evaluation would hold.
 *
 * Alerts advance as alert.h says. After each rule's evaluation the engine
 * hands the sink (a) each transition — an alert that started firing, one
 * that resolved — and, after each group, (b) the alerts due to be sent by
 * Prometheus' rule: a firing alert not sent for resend_delay, a resolved
 * one at the same pace for as long as it is kept (15 minutes), with
 * startsAt the time it fired, endsAt its resolution or now + 4 ×
 * max(resend_delay, interval), and a generator URL.
 *
 * Times are Unix milliseconds, given by the caller (engine_run_due's
 * now), so a test can run the engine on a clock of its own.
 *
 * The engine borrows the rule files (the configuration must outlive it)
 * and owns the history and the alerts; engine_free() frees them (NULL is
 * a no-op). Other pointers are borrowed for the call unless said.
 */
#ifndef TOKENTAIL_RULES_ENGINE_H
#define TOKENTAIL_RULES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "config_rules.h"
#include "expfmt.h"
#include "history.h"

struct engine;
struct selfmetrics;

struct engine_options {
    int64_t default_interval_ms; /* for groups without an interval */
    int64_t resend_delay_ms;     /* a firing alert sent again after */
    size_t max_samples;          /* the history's cap */
    const char *external_url;    /* copied; "http://host:port" */
};

/* An alert handed to the sink; valid during the call only. */
struct engine_alert {
    const char *group, *rule;
    const struct labels *labels;      /* alertname included */
    const struct labels *annotations; /* expanded */
    bool resolved;
    double value;
    int64_t active_at_ms, starts_at_ms, ends_at_ms; /* starts: fired at */
    const char *generator_url;
};

/* Where alerts go: every callback may be NULL. */
struct engine_sink {
    void (*transition)(void *ctx, const struct engine_alert *a);
    void (*send)(void *ctx, const struct engine_alert *v, size_t n,
                 int64_t now_ms);
    void *ctx;
};

/* Takes a round of samples at t_ms into h; 0 or -errno (counted as a
 * failure of the groups evaluated then). */
typedef int (*engine_sample_fn)(void *ctx, struct history *h, int64_t t_ms);

/*
 * An engine for the rule files of rules (borrowed; NULL: none). Returns
 * 0 or -ENOMEM.
 */
int engine_new(const struct cfg_rules *rules, const struct engine_options *o,
               struct engine **out);
void engine_free(struct engine *e);

/* What templates see as $externalURL and generator URLs start with
 * (copied). 0 or -ENOMEM. */
int engine_set_external_url(struct engine *e, const char *url);

void engine_set_sink(struct engine *e, const struct engine_sink *sink);
void engine_set_sampler(struct engine *e, engine_sample_fn fn, void *ctx);

/*
 * Evaluates every group due at now_ms. Returns the milliseconds until
 * the next group is due (at least 1).
 */
int64_t engine_run_due(struct engine *e, int64_t now_ms);

/*
 * Whether the rules may read the family named family (its series, or a
 * histogram's _bucket, _sum and _count): the sampler need not keep the
 * others. True for every family when a selector names no metric.
 */
bool engine_reads(const struct engine *e, const char *family);

/* The history the rules read; borrowed from e. */
struct history *engine_history(struct engine *e);

/* Adds the tokentail_rule_* families to sm; 0 or -errno. */
int engine_selfmetrics(struct engine *e, struct selfmetrics *sm);

/* Appends tokentail_alerts in fmt: 1 per pending or firing alert,
 * labelled alertname, alertstate and the alert's labels. Nothing without
 * rules. */
void engine_expose(const struct engine *e, enum expfmt_format fmt,
                   struct buf *out);

/*
 * The sink that hands alerts to the notifier n (notify.h; borrowed: it
 * must outlive the engine's use of the sink): each transition logged,
 * the alerts due sent to every Alertmanager and webhook.
 */
struct notifier;
void engine_notify_sink(struct notifier *n, struct engine_sink *out);

/*
 * Adds GET /api/v1/alerts and GET /api/v1/rules to s (borrowed), in the
 * shapes of Prometheus' HTTP API, answered from e (borrowed; NULL: no
 * rules, empty lists). 0 or -errno.
 */
struct http;
int engine_routes(struct http *s, struct engine *e);

/* --- what the endpoints and the store read ------------------------------ */

struct engine_group_info {
    const char *name, *file;
    int64_t interval_ms;
    size_t n_rules;
    int64_t last_eval_ms; /* ALERT_TIME_NONE: not yet */
    uint64_t last_us;     /* how long the last evaluation took */
    uint64_t evaluations, failures;
};

struct engine_rule_info {
    const struct rule_alert *rule;
    const struct alert *alerts; /* pending, firing and kept resolved */
    size_t n_alerts;
    const char *last_error; /* "" when the last evaluation succeeded */
    int64_t last_eval_ms;   /* ALERT_TIME_NONE: not yet */
    uint64_t last_us;
};

size_t engine_n_groups(const struct engine *e);
void engine_group(const struct engine *e, size_t g,
                  struct engine_group_info *out);
void engine_rule(const struct engine *e, size_t g, size_t r,
                 struct engine_rule_info *out);

/*
 * After a reload restored e's alerts: forgets those of each rule whose
 * definition (expression, for, keep_firing_for, labels, annotations)
 * differs from the rule at the same place in was (borrowed; NULL: no
 * rules before), so a changed rule starts afresh while an unchanged one
 * keeps its pending and firing alerts. Returns how many rules changed.
 */
size_t engine_forget_changed(struct engine *e, const struct engine *was);

/*
 * Puts back an alert saved earlier (a taken) into rule r of the group
 * named group, when that rule still has alertname as its name; otherwise
 * it is freed. 0, 1 when it had no place, or -ENOMEM.
 */
int engine_restore_alert(struct engine *e, const char *group, size_t r,
                         const char *alertname, struct alert *a);

/* Whether anything changed since engine_saved(). */
bool engine_changed(const struct engine *e);
void engine_saved(struct engine *e);

/* Writes ms as RFC 3339 in UTC with milliseconds to out (32 bytes). */
#define ENGINE_TIME_MAX 32
void engine_format_time(int64_t ms, char *out);

#endif
