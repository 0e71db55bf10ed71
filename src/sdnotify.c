#include "sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct sdnotify {
    int fd;
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec; /* 0: none */
};

bool sdnotify_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i == 19)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return i > 0 && s[i] == '\0';
}

/* The socket's address: a path, or '@' for the abstract namespace. */
static int socket_address(struct sdnotify *n, const char *s, const char **why)
{
    size_t len = strlen(s);
    if (s[0] != '/' && !(s[0] == '@' && len > 1)) {
        *why = "NOTIFY_SOCKET must be an absolute path or '@' and a name";
        return -EINVAL;
    }
    if (len >= sizeof(n->addr.sun_path)) {
        *why = "NOTIFY_SOCKET is longer than a socket address can be";
        return -EINVAL;
    }
    n->addr.sun_family = AF_UNIX;
    memcpy(n->addr.sun_path, s, len);
    if (s[0] == '@')
        n->addr.sun_path[0] = '\0'; /* the name is the bytes after it */
    else
        len++; /* a path is sent with its terminating NUL */
    n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    return 0;
}

/* The keep-alive interval for pid, 0 for none. */
static int watchdog(struct sdnotify *n, const char *usec, const char *wpid,
                    pid_t pid, const char **why)
{
    uint64_t v, p;
    if (usec == NULL || usec[0] == '\0')
        return 0;
    if (!sdnotify_parse_uint(usec, &v) || v == 0) {
        *why = "WATCHDOG_USEC must be a positive number of microseconds";
        return -EINVAL;
    }
    /* systemd sets WATCHDOG_PID to the main process; another process
     * that inherited the variables is not the one it watches. */
    if (wpid != NULL && wpid[0] != '\0') {
        if (!sdnotify_parse_uint(wpid, &p) || p == 0) {
            *why = "WATCHDOG_PID must be a process id";
            return -EINVAL;
        }
        if (p != (uint64_t)pid)
            return 0;
    }
    n->watchdog_usec = v;
    return 0;
}

int sdnotify_new(const char *socket_name, const char *watchdog_usec,
                 const char *watchdog_pid, pid_t pid, struct sdnotify **out,
                 const char **why)
{
    *out = NULL;
    if (socket_name == NULL || socket_name[0] == '\0')
        return 0;
    struct sdnotify *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    n->fd = -1;
    int rc = socket_address(n, socket_name, why);
    if (rc == 0)
        rc = watchdog(n, watchdog_usec, watchdog_pid, pid, why);
    if (rc == 0) {
        n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        rc = n->fd < 0 ? -errno : 0;
        /* A full queue at the manager's end is waited out, as sd_notify
         * does, but briefly: a stuck manager must not stall the loop. */
        struct timeval tv = {.tv_sec = 0,
                             .tv_usec = SDNOTIFY_SEND_TIMEOUT_MS * 1000};
        if (rc == 0)
            setsockopt(n->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (rc != 0)
            *why = strerror(-rc);
    }
    if (rc != 0) {
        sdnotify_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

int sdnotify_from_env(struct sdnotify **out, const char **why)
{
    const char *socket_name = getenv("NOTIFY_SOCKET"), *ignored;
    int rc = sdnotify_new(socket_name, getenv("WATCHDOG_USEC"),
                          getenv("WATCHDOG_PID"), getpid(), out, why);
    /* A Type=notify unit that never hears READY=1 fails to start: a
     * watchdog that cannot be kept must not silence the rest. */
    if (rc == -EINVAL &&
        sdnotify_new(socket_name, NULL, NULL, getpid(), out, &ignored) == 0)
        return 1;
    return rc;
}

uint64_t sdnotify_watchdog_usec(const struct sdnotify *n)
{
    return n ? n->watchdog_usec : 0;
}

int sdnotify_send(struct sdnotify *n, const char *msg)
{
    if (n == NULL)
        return 0;
    size_t len = strlen(msg);
    if (len > SDNOTIFY_MAX_MESSAGE)
        return -EMSGSIZE;
    /* The manager reads the datagram with the sender's credentials,
     * which the kernel attaches: NotifyAccess=main checks the pid. */
    ssize_t sent;
    do
        sent = sendto(n->fd, msg, len, MSG_NOSIGNAL,
                      (const struct sockaddr *)&n->addr, n->addr_len);
    while (sent < 0 && errno == EINTR);
    if (sent < 0)
        return -errno;
    return (size_t)sent == len ? 0 : -EIO;
}

int sdnotify_ready(struct sdnotify *n)
{
    return sdnotify_send(n, "READY=1");
}

int sdnotify_reloading(struct sdnotify *n)
{
    char msg[64];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, usec);
    return sdnotify_send(n, msg);
}

int sdnotify_stopping(struct sdnotify *n)
{
    return sdnotify_send(n, "STOPPING=1");
}

int sdnotify_watchdog(struct sdnotify *n)
{
    return sdnotify_send(n, "WATCHDOG=1");
}

int sdnotify_status(struct sdnotify *n, const char *line)
{
    char msg[512];
    if (strchr(line, '\n') != NULL)
        return -EINVAL;
    if ((size_t)snprintf(msg, sizeof(msg), "STATUS=%s", line) >= sizeof(msg))
        return -EMSGSIZE;
    return sdnotify_send(n, msg);
}

void sdnotify_free(struct sdnotify *n)
{
    if (n == NULL)
        return;
    if (n->fd >= 0)
        close(n->fd);
    free(n);
}
