/*
 * A test notification: one synthetic alert, TokentailTestNotification,
 * sent through every configured receiver so that a deployment can check
 * its Alertmanager URLs, webhook URLs and credentials before a real alert
 * needs them.
 *
 * tokentail --test-notify calls notify_check_run(): the alert firing,
 * then resolved, each receiver's answers awaited (retries included), one
 * line per receiver written to out. A running daemon sends the same
 * alert, firing, on SIGUSR1 (notify_check_send); it resolves by itself
 * when its endsAt passes.
 */
#ifndef TOKENTAIL_NOTIFY_CHECK_H
#define TOKENTAIL_NOTIFY_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "config_alerting.h"
#include "notify.h"

#define NOTIFY_CHECK_ALERTNAME "TokentailTestNotification"
#define NOTIFY_CHECK_SLACK_MS  5000 /* more than the worst wait for answers */

/* Logs the test alert in state, as a rule's transition is logged, and
 * sends it through n (borrowed) at now, Unix ms. */
void notify_check_send(struct notifier *n, const struct cfg_alerting *cfg,
                       enum notify_state state, int64_t starts_at_ms,
                       int64_t now_ms);

/*
 * Sends the test alert firing and then resolved through every receiver
 * of cfg (borrowed), on a loop of its own, and writes to out (borrowed)
 * how each answered. Returns 0 when every receiver accepted both
 * messages, 1 when one did not or none is configured, -errno when the
 * loop or the HTTP client cannot start.
 */
int notify_check_run(const struct cfg_alerting *cfg, FILE *out);

#endif
