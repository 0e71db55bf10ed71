/*
 * tokentail as a service: what it tells the service manager that started
 * it (sdnotify.h) over its life, driven by the loop.
 *
 * service_ready() says READY=1 and starts two timers: the STATUS= line
 * every SERVICE_STATUS_MS (files followed, the lines per second since
 * the previous line, the age of the last checkpoint), and WATCHDOG=1 at
 * half the interval systemd's WatchdogSec= asks for, so that a loop that
 * stops turning stops the keep-alives and systemd restarts the daemon.
 * service_reloading() and service_ready() frame a reload;
 * service_stopping() says STOPPING=1 and stops the timers.
 *
 * Outside systemd (no $NOTIFY_SOCKET) service_new() gives NULL, and
 * every function here treats NULL as a no-op.
 */
#ifndef TOKENTAIL_SERVICE_H
#define TOKENTAIL_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "loop.h"

#define SERVICE_STATUS_MS  2000 /* milliseconds between two STATUS= lines */
#define SERVICE_STATUS_MAX 160  /* bytes of a status line, at most */

/* What the status line says, as the daemon sees it now. */
struct service_sample {
    uint64_t files;    /* followed now */
    uint64_t lines;    /* complete lines seen since the start */
    time_t checkpoint; /* wall time of the last checkpoint; 0: none yet */
};

/* Fills *out; ctx is service_new()'s, borrowed. */
typedef void (*service_sample_fn)(void *ctx, struct service_sample *out);

struct service;

/*
 * A link to the service manager named by the environment, timed by loop
 * (borrowed), sampling through fn(ctx) (ctx borrowed). *out is NULL
 * outside systemd, or when the environment cannot be used (logged as a
 * warning: tokentail then runs without telling); watchdog variables that
 * cannot be used only cost the keep-alives (a warning too). Returns 0 or
 * -ENOMEM.
 */
int service_new(struct loop *loop, service_sample_fn fn, void *ctx,
                struct service **out);

/* READY=1 with a first status line; the timers start at the first.
 * Again after a reload, it restarts the lines per second from now. */
void service_ready(struct service *s);
/* RELOADING=1 and MONOTONIC_USEC=; service_ready() once reloaded. */
void service_reloading(struct service *s);
/* STOPPING=1; the status and watchdog timers end. */
void service_stopping(struct service *s);

/* Cancels the timers, closes the socket and frees; NULL is a no-op. */
void service_free(struct service *s);

/*
 * The status line for now, given the previous sample prev taken at
 * prev_ms (monotonic milliseconds) and now_ms, and the wall clock wall:
 * "following 3 files, 12.5 lines/s, last checkpoint 4s ago". Writes at
 * most cap bytes to out, NUL included. Exposed for the tests.
 */
void service_status_line(const struct service_sample *prev, uint64_t prev_ms,
                         const struct service_sample *now, uint64_t now_ms,
                         time_t wall, char *out, size_t cap);

#endif
