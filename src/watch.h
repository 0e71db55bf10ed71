/*
 * The inotify instance: one file descriptor for the whole daemon, shared by
 * every input.
 *
 * inotify gives one watch descriptor per inode, so two inputs watching the
 * same directory, or a file reached through a symlink and its target,
 * share a wd. This module keeps, per wd, the list of owners that asked for
 * it and calls each owner's function for each event. A watch is removed
 * from the kernel only when its last owner lets go.
 *
 * Owners may add and remove watches from inside their callbacks: removals
 * are only marked during a dispatch and compacted after it.
 *
 * inotify is a wake-up hint, not a record: when the kernel queue overflows
 * (IN_Q_OVERFLOW) the overflow function is called and the inputs rescan
 * everything.
 */
#ifndef TOKENTAIL_WATCH_H
#define TOKENTAIL_WATCH_H

#include <stdint.h>

struct watch;

/* Called per event: mask is the inotify mask, name the entry (or NULL). */
typedef void (*watch_fn)(void *owner, int wd, uint32_t mask, const char *name);

int watch_new(struct watch **out);
void watch_free(struct watch *w);

/* The descriptor to poll for readability. */
int watch_fd(const struct watch *w);

/* Called when events were lost; ctx is borrowed. */
void watch_on_overflow(struct watch *w, void (*fn)(void *ctx), void *ctx);

/*
 * Watches path for the events in mask on behalf of owner (borrowed).
 * Returns the wd, or -errno (ENOENT, EACCES, ENOSPC when the per-user
 * watch limit is reached).
 */
int watch_add(struct watch *w, const char *path, uint32_t mask, watch_fn fn,
              void *owner);

/* Drops owner's interest in wd; the last owner removes the kernel watch. */
void watch_remove(struct watch *w, int wd, const void *owner);

/* Reads and dispatches every queued event. Returns 0 or -errno. */
int watch_dispatch(struct watch *w);

/* Number of live kernel watches, for the self-metrics. */
unsigned watch_count(const struct watch *w);

#endif
