/*
 * The notifier joins the parts: bodies (notify_body), webhook groups
 * (notify_group) and the HTTP client (notify_send). The groups are
 * flushed at each hand-over and by a timer for the group due next.
 */
#include "notify.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "notify_body.h"
#include "notify_group.h"
#include "notify_send.h"
#include "selfmetrics.h"

struct notifier {
    const struct cfg_alerting *cfg;
    struct loop *loop;
    struct notify_sender *sender;
    struct notify_groups **groups; /* per receiver; NULL for Alertmanagers */
    struct loop_timer *flush_timer;
    bool no_wait;
    struct log_limit lim;
};

static const char *const result_names[NOTIFY_RESULTS] = {"success", "error",
                                                         "timeout"};

const char *notify_result_name(int r)
{
    return r >= 0 && r < NOTIFY_RESULTS ? result_names[r] : "";
}

int64_t notify_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int notifier_new(const struct cfg_alerting *cfg, struct loop *loop,
                 struct notifier **out)
{
    struct notifier *n = calloc(1, sizeof(*n));
    int rc = -ENOMEM;
    if (n == NULL)
        return -ENOMEM;
    n->cfg = cfg;
    n->loop = loop;
    n->groups =
        calloc(cfg->n_receivers ? cfg->n_receivers : 1, sizeof(*n->groups));
    if (n->groups == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->n_receivers; i++)
        if (cfg->receivers[i].format != NOTIFY_FORMAT_API &&
            (rc = notify_groups_new(&cfg->receivers[i], cfg->external_url,
                                    &n->groups[i])) != 0)
            goto fail;
    if (cfg->n_receivers > 0 &&
        (rc = notify_sender_new(loop, cfg->receivers, cfg->n_receivers,
                                &n->sender)) != 0)
        goto fail;
    *out = n;
    return 0;
fail:
    notifier_free(n);
    return rc;
}

void notifier_free(struct notifier *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; n->groups != NULL && i < n->cfg->n_receivers; i++)
        notify_groups_free(n->groups[i]);
    free(n->groups);
    if (n->loop != NULL)
        loop_timer_cancel(n->loop, n->flush_timer);
    notify_sender_free(n->sender);
    free(n);
}

void notifier_no_wait(struct notifier *n)
{
    n->no_wait = true;
}

/* Queues b's body for receiver i, unless writing it ran out of memory. */
static void post(struct notifier *n, size_t i, struct buf *b)
{
    if (b->oom) {
        buf_free(b);
        log_limited(&n->lim, LOG_ERROR,
                    "out of memory writing a "
                    "notification for %s",
                    n->cfg->receivers[i].name);
        return;
    }
    size_t len;
    char *body = buf_release(b, &len);
    notify_sender_post(n->sender, i, body, len);
}

struct emit_ctx {
    struct notifier *n;
    size_t receiver;
};

static void emit(void *ctx, const struct notify_message *m)
{
    struct emit_ctx *e = ctx;
    struct buf b = {0};
    if (e->n->cfg->receivers[e->receiver].format == NOTIFY_FORMAT_SLACK)
        notify_body_slack(&b, m);
    else
        notify_body_webhook(&b, m);
    post(e->n, e->receiver, &b);
}

static void on_flush(void *ctx);

/* Sends the groups due at now, and sets the timer for the next one. */
static void flush(struct notifier *n, int64_t now_ms)
{
    int64_t next = -1;
    for (size_t i = 0; i < n->cfg->n_receivers; i++) {
        if (n->groups[i] == NULL)
            continue;
        struct emit_ctx e = {n, i};
        int64_t d =
            notify_groups_flush(n->groups[i], now_ms, n->no_wait, emit, &e);
        if (d >= 0 && (next < 0 || d < next))
            next = d;
    }
    loop_timer_cancel(n->loop, n->flush_timer);
    n->flush_timer = NULL;
    if (next >= 0)
        n->flush_timer = loop_timer_add(n->loop, (uint64_t)next, on_flush, n);
}

static void on_flush(void *ctx)
{
    struct notifier *n = ctx;
    n->flush_timer = NULL;
    flush(n, notify_wall_ms());
}

void notifier_send(struct notifier *n, const struct notify_alert *alerts,
                   size_t count, int64_t now_ms)
{
    if (count == 0)
        return;
    for (size_t i = 0; i < n->cfg->n_receivers; i++) {
        if (n->groups[i] != NULL) {
            for (size_t k = 0; k < count; k++)
                if (notify_groups_update(n->groups[i], &alerts[k], now_ms) != 0)
                    log_limited(&n->lim, LOG_WARN,
                                "alert left out of %s's groups: out of "
                                "memory or too many groups",
                                n->cfg->receivers[i].name);
            continue;
        }
        for (size_t k = 0; k < count; k += NOTIFY_MAX_BATCH) {
            struct buf b = {0};
            size_t part =
                count - k < NOTIFY_MAX_BATCH ? count - k : NOTIFY_MAX_BATCH;
            notify_body_api(&b, alerts + k, part);
            post(n, i, &b);
        }
    }
    flush(n, now_ms);
}

/* key="value" with the value quoted and escaped as the log's own. */
static void put_pair(struct buf *b, const char *key, const char *value)
{
    buf_printf(b, " %s=", key);
    buf_json_string(b, value, strlen(value));
}

void notify_log_transition(const struct notify_alert *a)
{
    const char *name = notify_label_get(a->labels, a->n_labels, "alertname");
    const char *sev = notify_label_get(a->labels, a->n_labels, "severity");
    const char *summary =
        notify_label_get(a->annotations, a->n_annotations, "summary");
    bool firing = a->state == NOTIFY_FIRING;
    enum log_level level = !firing ? LOG_INFO
                           : sev != NULL && strcmp(sev, "critical") == 0
                               ? LOG_ERROR
                               : LOG_WARN;
    struct buf b = {0};
    put_pair(&b, "alertname", name ? name : "");
    buf_printf(&b, " state=%s", firing ? "firing" : "resolved");
    for (size_t i = 0; i < a->n_labels; i++)
        if (strcmp(a->labels[i].name, "alertname") != 0)
            put_pair(&b, a->labels[i].name, a->labels[i].value);
    if (isfinite(a->value))
        buf_printf(&b, " value=%.17g", a->value);
    else
        buf_printf(&b, " value=%s",
                   isnan(a->value) ? "NaN"
                   : a->value > 0  ? "+Inf"
                                   : "-Inf");
    if (summary != NULL)
        put_pair(&b, "summary", summary);
    log_write(level, b.oom ? NULL : b.data + 1, "alert %s",
              firing ? "firing" : "resolved");
    buf_free(&b);
}

size_t notifier_receivers(const struct notifier *n)
{
    return n->cfg->n_receivers;
}

void notifier_stats(const struct notifier *n, size_t i,
                    struct notify_stats *out)
{
    notify_sender_stats(n->sender, i, out);
}

bool notifier_serves(const struct notifier *n, const struct cfg_alerting *cfg)
{
    return cfg_alerting_same_receivers(n->cfg, cfg);
}

void notifier_carry(struct notifier *to, const struct notifier *from)
{
    struct notify_stats st;
    for (size_t i = 0; i < to->cfg->n_receivers; i++) {
        const struct cfg_receiver *r = &to->cfg->receivers[i];
        for (size_t j = 0; j < from->cfg->n_receivers; j++) {
            const struct cfg_receiver *o = &from->cfg->receivers[j];
            if (o->format == r->format && strcmp(o->name, r->name) == 0) {
                notify_sender_stats(from->sender, j, &st);
                notify_sender_carry(to->sender, i, &st);
                break;
            }
        }
    }
}

bool notifier_idle(const struct notifier *n)
{
    return n->sender == NULL || notify_sender_idle(n->sender);
}

/* --- self-metrics -------------------------------------------------------- */

static size_t stats_count(const void *ctx)
{
    return notifier_receivers(ctx);
}

static const char *stats_read(const void *ctx, size_t i, void *stats)
{
    const struct notifier *n = ctx;
    notifier_stats(n, i, stats);
    return n->cfg->receivers[i].name;
}

static const struct self_source stats_source = {
    "receiver", sizeof(struct notify_stats), stats_count, stats_read, true};
static const struct self_reasons by_result = {"result", notify_result_name, 0,
                                              NOTIFY_RESULTS};

static const struct self_row notify_rows[] = {
    {.name = "tokentail_notifications_total",
     .type = METRIC_COUNTER,
     .help = "Notification messages posted to a receiver, by how they "
             "ended: success, error (refused, or failing after every "
             "retry) or timeout.",
     .source = &stats_source,
     SELF_BY(struct notify_stats, results, &by_result)},
    {.name = "tokentail_notifications_dropped_total",
     .type = METRIC_COUNTER,
     .help = "Notification messages dropped from a receiver's full queue.",
     .source = &stats_source,
     SELF_FIELD(struct notify_stats, dropped)},
    {.name = "tokentail_notification_retries_total",
     .type = METRIC_COUNTER,
     .help = "Attempts to post a notification message after its first.",
     .source = &stats_source,
     SELF_FIELD(struct notify_stats, retries)},
    {.name = "tokentail_notification_queue_length",
     .type = METRIC_GAUGE,
     .help = "Notification messages waiting for a receiver or being sent.",
     .source = &stats_source,
     SELF_FIELD(struct notify_stats, queued)},
};

int notifier_selfmetrics(struct notifier *n, struct selfmetrics *sm)
{
    if (n->cfg->n_receivers == 0)
        return 0;
    return selfmetrics_add(sm, notify_rows,
                           sizeof(notify_rows) / sizeof(*notify_rows), n);
}
