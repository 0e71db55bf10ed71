/*
 * The service manager's notification protocol (sd_notify(3)), spoken
 * directly: one datagram of NEWLINE-separated KEY=VALUE assignments to
 * the AF_UNIX socket named by $NOTIFY_SOCKET, a path, or a name in
 * Linux's abstract namespace when it starts with '@'.
 *
 * tokentail sends READY=1 once it serves, RELOADING=1 (with
 * MONOTONIC_USEC=) and READY=1 around a reload, STOPPING=1 when it
 * stops, STATUS= lines, and WATCHDOG=1 keep-alives when $WATCHDOG_USEC
 * asks for them (and $WATCHDOG_PID, when set, names this process).
 *
 * Without $NOTIFY_SOCKET there is no one to tell: sdnotify_new() gives
 * NULL, and every function here treats NULL as a no-op. The environment
 * is left as it is, as sd_notify(0, ...) does: tokentail starts no
 * programs that could mistake the socket for theirs.
 */
#ifndef TOKENTAIL_SDNOTIFY_H
#define TOKENTAIL_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SDNOTIFY_MAX_MESSAGE     4096 /* bytes in one datagram, at most */
#define SDNOTIFY_SEND_TIMEOUT_MS 250  /* waited for room at the manager */

struct sdnotify;

/*
 * What the environment says, as the strings of $NOTIFY_SOCKET,
 * $WATCHDOG_USEC and $WATCHDOG_PID (each NULL when unset; borrowed)
 * for the process pid. Sets *out to a new link (caller frees with
 * sdnotify_free), or to NULL when socket is NULL or empty. Returns 0, or
 * -EINVAL with a reason in *why for a socket name that is neither an
 * absolute path nor '@' and a name, or that is too long, or for a
 * watchdog interval that is not a positive number of microseconds.
 */
int sdnotify_new(const char *socket, const char *watchdog_usec,
                 const char *watchdog_pid, pid_t pid, struct sdnotify **out,
                 const char **why);

/*
 * sdnotify_new() with this process's environment and pid, except that
 * watchdog variables that cannot be used leave a link without a
 * watchdog: then it returns 1, with their fault in *why.
 */
int sdnotify_from_env(struct sdnotify **out, const char **why);

/*
 * The watchdog interval systemd expects WATCHDOG=1 within, in
 * microseconds; 0 when there is none for this process (no
 * $WATCHDOG_USEC, or $WATCHDOG_PID names another). NULL: 0.
 */
uint64_t sdnotify_watchdog_usec(const struct sdnotify *n);

/*
 * Sends msg (borrowed: "READY=1", or several assignments separated by
 * newlines) as one datagram, waiting SDNOTIFY_SEND_TIMEOUT_MS at most
 * for room in the manager's queue. Returns 0, -EMSGSIZE over
 * SDNOTIFY_MAX_MESSAGE, -EAGAIN when the queue stayed full, or -errno
 * from sendto(); NULL is a no-op that returns 0.
 */
int sdnotify_send(struct sdnotify *n, const char *msg);

/* The messages tokentail sends; each returns as sdnotify_send(). */
int sdnotify_ready(struct sdnotify *n);
/* RELOADING=1 with MONOTONIC_USEC= the CLOCK_MONOTONIC time now. */
int sdnotify_reloading(struct sdnotify *n);
int sdnotify_stopping(struct sdnotify *n);
int sdnotify_watchdog(struct sdnotify *n);
/* STATUS=line; line (borrowed) must hold no newline (-EINVAL). */
int sdnotify_status(struct sdnotify *n, const char *line);

/*
 * A variable's number as systemd writes it: decimal digits only, at most
 * 19 of them. Returns whether s (borrowed) is one, with its value in *out.
 */
bool sdnotify_parse_uint(const char *s, uint64_t *out);

/* Closes the socket and frees; NULL is a no-op. */
void sdnotify_free(struct sdnotify *n);

#endif
