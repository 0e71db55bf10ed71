/*
 * The daemon: the one struct everything hangs off.
 *
 * It owns the configuration, the registry, the pipeline, the inputs, the
 * usage ledger and the budgets when they are configured and, when
 * following files, the loop, the inotify watch and the HTTP server.
 * The same assembly serves both ways of running: daemon_run() follows
 * files until a signal stops it; daemon_once() reads files to their end
 * and prints the exposition.
 */
#ifndef TOKENTAIL_DAEMON_H
#define TOKENTAIL_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "http.h"

#define DAEMON_READ_BUDGET (4 * 1024 * 1024) /* bytes per file per pass */
/* inotify is read at most once per this many milliseconds: files written
 * in between are read once, not once per write. */
#define DAEMON_WATCH_PACE_MS 1

struct daemon;

/* How a daemon runs. */
enum daemon_mode {
    DAEMON_FOLLOW,     /* follow the inputs, serve HTTP: daemon_run */
    DAEMON_ONCE,       /* read the inputs' files once: daemon_once */
    DAEMON_ONCE_FILES, /* read named files once: their positions are not
                          kept, values and the usage ledger are */
};

/*
 * Assembles a daemon for cfg (taken: freed with the daemon), to run as
 * mode says (following: the loop, inotify, signals). state_file is the
 * durable state's path, "" for none, or NULL for the configuration's
 * choice (the default location when following, none in one-pass mode).
 * Saved values, positions and the usage ledger are restored here.
 * Returns 0 or -errno.
 */
int daemon_new(struct config *cfg, enum daemon_mode mode,
               const char *state_file, struct daemon **out);

/*
 * Makes the daemon reload from config_path (borrowed; the file cfg was
 * loaded from) on SIGHUP and, with lifecycle (--web.enable-lifecycle), on
 * POST or PUT /-/reload. Returns 0 or -ENOMEM.
 */
int daemon_reloads(struct daemon *d, const char *config_path, bool lifecycle);

/*
 * Loads the configuration file again and, when it is valid, puts it in
 * force between two lines: what it leaves unchanged keeps its values,
 * positions and alerts (core.h). An invalid one changes nothing: the
 * errors (file:line:col) are appended to errors and logged. Returns 0 or
 * -1.
 */
int daemon_reload(struct daemon *d, struct buf *errors);

/* Where the daemon serves HTTP; everything borrowed. */
struct daemon_web {
    const struct http_listen *listen; /* --web.listen-address, in order */
    const char *const *names;         /* as given, for error messages */
    size_t n_listen;
    int first_fd; /* with n_fds > 0: systemd's sockets, first_fd onwards, */
    size_t n_fds; /* served instead of the addresses */
    const char *config_file; /* --web.config.file (outlives the daemon,
                                which reads it again on a reload); NULL:
                                none */
    bool public_health;      /* /health answered without authentication */
};

/*
 * Serves as web says and follows the inputs until SIGINT or SIGTERM;
 * SIGHUP reloads the configuration. Tells systemd, when it started the
 * daemon, once it is ready, around each reload and when it stops
 * (service.h).
 */
int daemon_run(struct daemon *d, const struct daemon_web *web);

/*
 * Reads the named files with the settings of the input at index input,
 * or with none every file the inputs match, from beginning to end, then
 * writes the exposition to out. With workers over 1, named files are
 * read by that many threads, to the same result (backfill.h). Returns 0,
 * or -1 when a file could not be read.
 */
int daemon_once(struct daemon *d, char *const *files, size_t n_files,
                size_t input, size_t workers, FILE *out);

void daemon_free(struct daemon *d);

#endif
