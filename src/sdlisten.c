#include "sdlisten.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "sdnotify.h"

int sdlisten_count(const char *listen_pid, const char *listen_fds, pid_t pid,
                   const char **why)
{
    uint64_t p, n;
    if (listen_pid == NULL || listen_fds == NULL) {
        *why = "no sockets were passed (LISTEN_PID and LISTEN_FDS are not "
               "set: start tokentail from a .socket unit)";
        return -EINVAL;
    }
    if (!sdnotify_parse_uint(listen_pid, &p) ||
        !sdnotify_parse_uint(listen_fds, &n)) {
        *why = "LISTEN_PID and LISTEN_FDS must be numbers";
        return -EINVAL;
    }
    if (p != (uint64_t)pid) {
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
