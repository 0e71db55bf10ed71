#include "service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sdnotify.h"

struct service {
    struct loop *loop;
    struct sdnotify *notify;
    service_sample_fn sample;
    void *ctx;
    struct service_sample prev; /* what the last status line was made of */
    uint64_t prev_ms;
    uint64_t watchdog_ms; /* between two WATCHDOG=1; 0: none */
    struct loop_timer *status_timer;
    struct loop_timer *watchdog_timer;
    bool stopping;
};

void service_status_line(const struct service_sample *prev, uint64_t prev_ms,
                         const struct service_sample *now, uint64_t now_ms,
                         time_t wall, char *out, size_t cap)
{
    uint64_t elapsed = now_ms > prev_ms ? now_ms - prev_ms : 0;
    uint64_t lines = now->lines > prev->lines ? now->lines - prev->lines : 0;
    /* Tenths of a line per second, rounded to the nearest. */
    uint64_t tenths = elapsed > 0 ? (lines * 20000 / elapsed + 1) / 2 : 0;
    char ckpt[48];
    if (now->checkpoint == 0)
        snprintf(ckpt, sizeof(ckpt), "no checkpoint yet");
    else
        snprintf(ckpt, sizeof(ckpt), "last checkpoint %" PRId64 "s ago",
                 wall > now->checkpoint ? (int64_t)(wall - now->checkpoint)
                                        : (int64_t)0);
    snprintf(
        out, cap,
        "following %" PRIu64 " file%s, %" PRIu64 ".%" PRIu64 " lines/s, %s",
        now->files, now->files == 1 ? "" : "s", tenths / 10, tenths % 10, ckpt);
}

static void send_status(struct service *s)
{
    struct service_sample now;
    char line[SERVICE_STATUS_MAX];
    uint64_t now_ms = loop_now_ms();
    s->sample(s->ctx, &now);
    service_status_line(&s->prev, s->prev_ms, &now, now_ms, time(NULL), line,
                        sizeof(line));
    s->prev = now;
    s->prev_ms = now_ms;
    sdnotify_status(s->notify, line);
}

static void on_status(void *ctx)
{
    struct service *s = ctx;
    send_status(s);
    s->status_timer = loop_timer_add(s->loop, SERVICE_STATUS_MS, on_status, s);
}

/* From the loop's own timer: a loop that stalls sends no more. */
static void on_watchdog(void *ctx)
{
    struct service *s = ctx;
    sdnotify_watchdog(s->notify);
    s->watchdog_timer = loop_timer_add(s->loop, s->watchdog_ms, on_watchdog, s);
}

int service_new(struct loop *loop, service_sample_fn fn, void *ctx,
                struct service **out)
{
    struct sdnotify *n;
    const char *why = "";
    *out = NULL;
    int rc = sdnotify_from_env(&n, &why);
    if (rc == -ENOMEM)
        return rc;
    if (rc == 1) {
        log_warn("systemd: no watchdog keep-alives: %s", why);
    } else if (rc != 0) {
        log_warn("not telling systemd how tokentail is doing: %s", why);
        return 0;
    }
    if (n == NULL)
        return 0;
    struct service *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        sdnotify_free(n);
        return -ENOMEM;
    }
    *s = (struct service){.loop = loop, .notify = n, .sample = fn, .ctx = ctx};
    /* Half the interval, as sd_watchdog_enabled(3) advises. */
    uint64_t usec = sdnotify_watchdog_usec(n);
    if (usec > 0)
        s->watchdog_ms = usec / 2000 > 0 ? usec / 2000 : 1;
    s->sample(s->ctx, &s->prev);
    s->prev_ms = loop_now_ms();
    log_debug("systemd: notifying%s", usec > 0 ? ", with a watchdog" : "");
    *out = s;
    return 0;
}

void service_ready(struct service *s)
{
    if (s == NULL || s->stopping)
        return;
    int rc = sdnotify_ready(s->notify);
    if (rc != 0)
        log_warn("systemd: cannot send READY=1: %s", strerror(-rc));
    if (s->status_timer == NULL) {
        on_status(s);
    } else {
        /* Reloaded: a new core counts its lines from 0, so the next
         * rate is measured from here, not against the old core's. */
        s->sample(s->ctx, &s->prev);
        s->prev_ms = loop_now_ms();
    }
    if (s->watchdog_ms > 0 && s->watchdog_timer == NULL)
        on_watchdog(s);
}

void service_reloading(struct service *s)
{
    if (s != NULL)
        sdnotify_reloading(s->notify);
}

void service_stopping(struct service *s)
{
    if (s == NULL)
        return;
    s->stopping = true;
    loop_timer_cancel(s->loop, s->status_timer);
    loop_timer_cancel(s->loop, s->watchdog_timer);
    s->status_timer = s->watchdog_timer = NULL;
    sdnotify_stopping(s->notify);
}

void service_free(struct service *s)
{
    if (s == NULL)
        return;
    loop_timer_cancel(s->loop, s->status_timer);
    loop_timer_cancel(s->loop, s->watchdog_timer);
    sdnotify_free(s->notify);
    free(s);
}
