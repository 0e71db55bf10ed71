#include "sdlisten.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* A decimal number without sign or spaces, at most 9 digits. */
static bool parse_small(const char *s, long *out)
{
    long v = 0;
    size_t i = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i == 9)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return i > 0 && s[i] == '\0';
}

int sdlisten_count(const char *listen_pid, const char *listen_fds, pid_t pid,
                   const char **why)
{
    long p, n;
    if (listen_pid == NULL || listen_fds == NULL) {
        *why = "no sockets were passed (LISTEN_PID and LISTEN_FDS are not "
               "set: start tokentail from a .socket unit)";
        return -EINVAL;
    }
    if (!parse_small(listen_pid, &p) || !parse_small(listen_fds, &n)) {
        *why = "LISTEN_PID and LISTEN_FDS must be numbers";
        return -EINVAL;
    }
    if (p != (long)pid) {
        *why = "the sockets were passed to another process (LISTEN_PID)";
        return -EINVAL;
    }
    if (n == 0) {
        *why = "no sockets were passed (LISTEN_FDS=0)";
        return -EINVAL;
    }
    if (n > SDLISTEN_MAX_FDS) {
        *why = "more sockets were passed than tokentail serves on (16)";
        return -EINVAL;
    }
    return (int)n;
}

int sdlisten_from_env(const char **why)
{
    int n = sdlisten_count(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid(),
                           why);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return n;
}
