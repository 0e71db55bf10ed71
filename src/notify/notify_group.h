/*
 * A webhook's groups: the alerts it was handed, grouped by the values of
 * its group_by labels (a label an alert lacks counts as empty), so that a
 * rule firing for a hundred series sends one message, not a hundred.
 *
 * A group sends at most one message per repeat_interval:
 *   - its first message as soon as it has a firing alert;
 *   - a change (an alert that starts firing, or resolves) waits until
 *     repeat_interval has passed since the group's last message, and is
 *     carried by the next one with everything else the group holds;
 *   - a group still firing and unchanged is sent again each
 *     repeat_interval.
 * A message holds the group's firing alerts and those that resolved since
 * the last one; once sent, resolved alerts are forgotten, and a group
 * left with none is removed. A firing alert whose endsAt has passed
 * without a new hand-over is taken as resolved then, as Alertmanager
 * does. With no_wait, changes are sent at once (tokentail --test-notify).
 *
 * Time is the caller's (Unix ms), so the rules can be tested on a fake
 * clock. Alerts handed over are copied.
 */
#ifndef TOKENTAIL_NOTIFY_GROUP_H
#define TOKENTAIL_NOTIFY_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "config_alerting.h"
#include "notify.h"
#include "notify_body.h"

#define NOTIFY_MAX_GROUPS       1000 /* groups of one webhook */
#define NOTIFY_MAX_GROUP_ALERTS 1000 /* alerts of one group */

struct notify_groups;

/* Groups for receiver r (borrowed, must outlive them). 0 or -ENOMEM. */
int notify_groups_new(const struct cfg_receiver *r, const char *external_url,
                      struct notify_groups **out);
/* NULL is a no-op. */
void notify_groups_free(struct notify_groups *g);

/*
 * Takes a (copied) into its group at now. A resolved alert the group does
 * not hold is ignored: there was no firing message to close. Returns 0,
 * 1 when the alert was left out (a limit reached), or -ENOMEM.
 */
int notify_groups_update(struct notify_groups *g, const struct notify_alert *a,
                         int64_t now_ms);

/*
 * Calls emit for each group due at now with its message (borrowed for
 * the call), and returns how many milliseconds until the next group is
 * due, or -1 when none is waiting.
 */
int64_t
notify_groups_flush(struct notify_groups *g, int64_t now_ms, bool no_wait,
                    void (*emit)(void *ctx, const struct notify_message *m),
                    void *ctx);

/* Groups held now. */
size_t notify_groups_count(const struct notify_groups *g);

#endif
