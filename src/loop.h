/*
 * The event loop: one thread, one epoll instance.
 *
 * Everything that wakes tokentail goes through here: inotify, the HTTP
 * server's own epoll descriptor, signals (through a signalfd) and timers.
 * Because nothing else runs concurrently, the registry and the tailers
 * need no locks.
 *
 * Timers are one-shot; a callback re-arms by adding a new one. A timer
 * cancelled during a pass (even from its own or another callback) is only
 * marked, and freed on the next pass. Idle callbacks run after every
 * batch of events; one that reports more work keeps the next wait from
 * blocking, which lets a large backlog be read in slices between scrapes.
 */
#ifndef TOKENTAIL_LOOP_H
#define TOKENTAIL_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_fn)(void *ctx, uint32_t events);
typedef void (*loop_timer_fn)(void *ctx);
/* Returns true while it has more work to do right away. */
typedef bool (*loop_idle_fn)(void *ctx);

int loop_new(struct loop **out);
void loop_free(struct loop *l);

/* Calls fn(ctx, events) whenever fd is ready for events (EPOLLIN...). */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
                void *ctx);
int loop_del_fd(struct loop *l, int fd);

/*
 * Paces fd (added before): after each call of its fn, the loop leaves it
 * unpolled for pace_ms milliseconds, then polls it again, so that whatever
 * arrived in between is handled in one call. A descriptor that becomes
 * ready after a quiet spell is handled at once. 0 turns pacing off.
 * Returns 0 or -ENOENT.
 */
int loop_pace_fd(struct loop *l, int fd, uint64_t pace_ms);

/* Calls fn(ctx) once, delay_ms milliseconds from now. NULL on -ENOMEM. */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t delay_ms,
                                  loop_timer_fn fn, void *ctx);
/* Cancels a pending timer; NULL is a no-op. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Registers fn to run after every batch of events. */
int loop_add_idle(struct loop *l, loop_idle_fn fn, void *ctx);

/*
 * Blocks the given signals and delivers them to fn through a signalfd;
 * sigs is a 0-terminated list. Once per loop: a second call returns
 * -EEXIST.
 */
int loop_add_signals(struct loop *l, const int *sigs,
                     void (*fn)(void *ctx, int sig), void *ctx);

/* Runs until loop_stop(); returns 0 or -errno from epoll. */
int loop_run(struct loop *l);

/*
 * Makes loop_run() return after the current pass. The descriptor events
 * the pass has already received are all delivered; timers and idle work
 * not yet run wait for the next loop_run().
 */
void loop_stop(struct loop *l);

/* Monotonic milliseconds, the clock timers use. */
uint64_t loop_now_ms(void);

/* Monotonic microseconds, for measuring short work. */
uint64_t loop_now_us(void);

#endif
