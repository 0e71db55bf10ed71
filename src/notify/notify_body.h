/*
 * The bodies the notifier posts, written as the programs that read them
 * expect them, to the byte where it matters:
 *
 *   - Alertmanager's API (POST /api/v2/alerts), as Prometheus writes it:
 *     [{"annotations":{...},"endsAt":"...","startsAt":"...",
 *       "generatorURL":"...","labels":{...}}, ...]
 *     with times in RFC 3339 to the millisecond, labels and annotations
 *     sorted by name;
 *   - Alertmanager's webhook message, version "4", for one group;
 *   - a Slack incoming-webhook message, {"text": "..."}, for one group.
 *
 * Nothing here keeps state; every pointer is borrowed for the call and
 * the body is appended to b (check b->oom once at the end).
 */
#ifndef TOKENTAIL_NOTIFY_BODY_H
#define TOKENTAIL_NOTIFY_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "notify.h"

/* Room for a time written below, NUL included. */
#define NOTIFY_TIME_MAX 32

/* One group's message to a webhook. */
struct notify_message {
    const char *receiver;                    /* the webhook's name */
    const char *external_url;                /* "" when not configured */
    const char *group_key;                   /* {}:{alertname="X"} */
    const struct notify_label *group_labels; /* sorted by name */
    size_t n_group_labels;
    const struct notify_alert *alerts; /* firing ones first */
    size_t n_alerts;
    size_t truncated; /* alerts left out of this message */
};

void notify_body_api(struct buf *b, const struct notify_alert *alerts,
                     size_t n);
void notify_body_webhook(struct buf *b, const struct notify_message *m);
void notify_body_slack(struct buf *b, const struct notify_message *m);

/*
 * An alert's fingerprint as Alertmanager computes it: FNV-1a (64 bits)
 * over the labels sorted by name, each name and value followed by 0xff.
 */
uint64_t notify_fingerprint(const struct notify_label *labels, size_t n);

/* "2026-11-29T17:00:05.250Z": three fraction digits always (the API). */
size_t notify_time_api(int64_t ms, char *out);
/* "2026-11-29T17:00:05.25Z": Go's RFC 3339 with trailing zeros cut, and
 * "0001-01-01T00:00:00Z" for 0, Go's zero time (the webhooks). */
size_t notify_time_go(int64_t ms, char *out);

/* The value of label name among labels; NULL when absent. */
const char *notify_label_get(const struct notify_label *labels, size_t n,
                             const char *name);

#endif
