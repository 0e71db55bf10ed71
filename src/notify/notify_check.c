#include "notify_check.h"

#include <errno.h>
#include <string.h>

#include "loop.h"
#include "notify_send.h"

void notify_check_send(struct notifier *n, const struct cfg_alerting *cfg,
                       enum notify_state state, int64_t starts_at_ms,
                       int64_t now_ms)
{
    static const struct notify_label labels[] = {
        {"alertname", NOTIFY_CHECK_ALERTNAME},
        {"severity", "none"},
    };
    static const struct notify_label annotations[] = {
        {"summary", "A test notification from tokentail"},
        {"description", "Sent to check that this receiver is reachable and "
                        "accepts tokentail's alerts; nothing is wrong."},
    };
    uint64_t every = cfg->resend_delay_ms > cfg->evaluation_interval_ms
                         ? cfg->resend_delay_ms
                         : cfg->evaluation_interval_ms;
    struct notify_alert a = {
        .labels = labels,
        .n_labels = sizeof(labels) / sizeof(*labels),
        .annotations = annotations,
        .n_annotations = sizeof(annotations) / sizeof(*annotations),
        .state = state,
        .starts_at_ms = starts_at_ms,
        .ends_at_ms = state == NOTIFY_RESOLVED
                          ? now_ms
                          : now_ms + (int64_t)(NOTIFY_VALID_FOR_FACTOR * every),
        .value = 1,
        .generator_url = "",
    };
    notify_log_transition(&a);
    notifier_send(n, &a, 1, now_ms);
}

/* The longest a message can take to end, retries included. */
static uint64_t worst_ms(const struct cfg_alerting *cfg)
{
    uint64_t worst = 0;
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        uint64_t t = NOTIFY_MAX_ATTEMPTS * cfg->receivers[i].http.timeout_ms;
        for (unsigned r = 1; r < NOTIFY_MAX_ATTEMPTS; r++)
            t += notify_backoff_ms(r);
        if (t > worst)
            worst = t;
    }
    return worst + NOTIFY_CHECK_SLACK_MS;
}

struct check {
    struct loop *loop;
    struct notifier *n;
};

static bool on_idle(void *ctx)
{
    struct check *c = ctx;
    if (notifier_idle(c->n))
        loop_stop(c->loop);
    return false;
}

static void on_deadline(void *ctx)
{
    loop_stop(((struct check *)ctx)->loop);
}

/* Runs the loop until every message has ended, or the deadline. */
static int await(struct check *c, uint64_t ms)
{
    struct loop_timer *t = loop_timer_add(c->loop, ms, on_deadline, c);
    if (t == NULL)
        return -ENOMEM;
    int rc = loop_run(c->loop);
    loop_timer_cancel(c->loop, t);
    return rc;
}

static int report(const struct cfg_alerting *cfg, struct notifier *n, FILE *out)
{
    int status = 0;
    for (size_t i = 0; i < cfg->n_receivers; i++) {
        struct notify_stats st;
        notifier_stats(n, i, &st);
        bool ok = st.results[NOTIFY_SUCCESS] == 2 && st.queued == 0;
        fprintf(out,
                "%s %s: %s (%llu sent, %llu error, %llu timeout, "
                "%llu retries%s)\n",
                cfg->receivers[i].format == NOTIFY_FORMAT_API ? "alertmanager"
                                                              : "webhook",
                cfg->receivers[i].name, ok ? "ok" : "FAILED",
                (unsigned long long)st.results[NOTIFY_SUCCESS],
                (unsigned long long)st.results[NOTIFY_ERROR],
                (unsigned long long)st.results[NOTIFY_TIMEOUT],
                (unsigned long long)st.retries,
                st.queued > 0 ? ", still unanswered" : "");
        status |= !ok;
    }
    return status;
}

int notify_check_run(const struct cfg_alerting *cfg, FILE *out)
{
    struct check c = {0};
    int rc;
    if (cfg->n_receivers == 0) {
        fprintf(out, "no receiver configured: alerting.alertmanagers and "
                     "alerting.webhooks are empty\n");
        return 1;
    }
    if ((rc = loop_new(&c.loop)) != 0 ||
        (rc = notifier_new(cfg, c.loop, &c.n)) != 0 ||
        (rc = loop_add_idle(c.loop, on_idle, &c)) != 0)
        goto done;
    notifier_no_wait(c.n);
    int64_t start = notify_wall_ms();
    notify_check_send(c.n, cfg, NOTIFY_FIRING, start, start);
    if ((rc = await(&c, worst_ms(cfg))) != 0)
        goto done;
    notify_check_send(c.n, cfg, NOTIFY_RESOLVED, start, notify_wall_ms());
    if ((rc = await(&c, worst_ms(cfg))) != 0)
        goto done;
    rc = report(cfg, c.n, out);
done:
    notifier_free(c.n);
    loop_free(c.loop);
    return rc;
}
