/*
 * Socket activation (sd_listen_fds(3)), read directly: the service
 * manager opens the listening sockets and starts tokentail with them as
 * descriptors 3, 4, … and says so in $LISTEN_FDS (how many) and
 * $LISTEN_PID (for which process: a child that inherited the variables
 * must not take the sockets as its own).
 */
#ifndef TOKENTAIL_SDLISTEN_H
#define TOKENTAIL_SDLISTEN_H

#include <sys/types.h>

#define SDLISTEN_FDS_START 3  /* the first socket passed */
#define SDLISTEN_MAX_FDS   16 /* sockets tokentail takes, at most */

/*
 * How many sockets the strings of $LISTEN_PID and $LISTEN_FDS (borrowed;
 * NULL when unset) pass to process pid: n > 0, the descriptors
 * SDLISTEN_FDS_START to SDLISTEN_FDS_START + n - 1. Returns n, or
 * -EINVAL with a reason in *why when none are passed to pid, or when a
 * value is not a number, or when there are more than SDLISTEN_MAX_FDS.
 */
int sdlisten_count(const char *listen_pid, const char *listen_fds, pid_t pid,
                   const char **why);

/*
 * sdlisten_count() for this process's environment, from which it then
 * removes $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES, as
 * sd_listen_fds(1) does: the sockets are tokentail's now.
 */
int sdlisten_from_env(const char **why);

#endif
