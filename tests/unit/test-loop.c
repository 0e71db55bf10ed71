/*
 * The event loop, run for real: timers, idle work, descriptors (pipes)
 * and signals. Each run is bounded by a deadline timer that fails the
 * test instead of letting it hang. That a timer or descriptor removed
 * during a pass is freed after it, and not touched once freed, is for the
 * sanitizers and valgrind the suite runs under to check: the tests do not
 * look inside the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

/* Long enough for a slow valgrind run, short enough that a hang shows. */
#define TEST_DEADLINE_MS 10000
#define MAX_FIRED        16  /* timer runs a test may record */
#define MAX_ATTEMPTS     100 /* to add timers within one clock tick */

struct fixture {
    struct loop *loop;
    struct loop_timer *deadline; /* NULL once it has fired */
    bool timed_out;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(loop_new(&f->loop), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    loop_free(f->loop);
    free(f);
    return 0;
}

static void on_deadline(void *ctx)
{
    struct fixture *f = ctx;
    f->deadline = NULL;
    f->timed_out = true;
    loop_stop(f->loop);
}

/* Runs the loop until a callback stops it; taking until the deadline
 * fails the test. */
static void run(struct fixture *f)
{
    f->deadline = loop_timer_add(f->loop, TEST_DEADLINE_MS, on_deadline, f);
    assert_non_null(f->deadline);
    assert_int_equal(loop_run(f->loop), 0);
    loop_timer_cancel(f->loop, f->deadline);
    f->deadline = NULL;
    assert_false(f->timed_out);
}

/* Returns once the loop's clock has passed due_ms, so that a pass starting
 * now finds every timer due by then overdue at once, as a pass does after
 * a long read or a slow scrape. The wait is for the clock itself. */
static void wait_past(uint64_t due_ms)
{
    const uint64_t until_ms = due_ms + 1;
    struct timespec ts = {.tv_sec = (time_t)(until_ms / 1000),
                          .tv_nsec = (long)(until_ms % 1000) * 1000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    assert_true(loop_now_ms() > due_ms);
}

static void on_stop(void *ctx)
{
    loop_stop(ctx);
}

/* --- timers -------------------------------------------------------------- */

/* The order in which timers fired, by the ids the test gave them. */
struct fired {
    struct loop *loop;
    int ids[MAX_FIRED];
    size_t n;
    size_t stop_after; /* stops the loop once this many fired; 0: never */
};

struct tick {
    struct fired *log;
    int id;
};

static void on_tick(void *ctx)
{
    struct tick *t = ctx;
    struct fired *r = t->log;
    assert_true(r->n < MAX_FIRED);
    r->ids[r->n++] = t->id;
    if (r->n == r->stop_after)
        loop_stop(r->loop);
}

/*
 * Adds timers t[i] in delay_ms[i] within one millisecond of the loop's
 * clock, so that their deadlines are ordered exactly as their delays. A
 * try that straddles a tick (as a slow valgrind run may) is cancelled and
 * made again: the cancelled timers are never called.
 */
static void add_ticks(struct loop *l, struct tick *t, const uint64_t *delay_ms,
                      size_t n)
{
    struct loop_timer *added[MAX_FIRED];
    assert_true(n <= MAX_FIRED);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        uint64_t start_ms = loop_now_ms();
        for (size_t i = 0; i < n; i++) {
            added[i] = loop_timer_add(l, delay_ms[i], on_tick, &t[i]);
            assert_non_null(added[i]);
        }
        if (loop_now_ms() == start_ms)
            return;
        for (size_t i = 0; i < n; i++)
            loop_timer_cancel(l, added[i]);
    }
    fail_msg("could not add %zu timers within a millisecond", n);
}

static void expect_fired(const struct fired *r, const int *ids, size_t n)
{
    assert_int_equal(r->n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->ids[i], ids[i]);
}

static void test_timers_fire_in_deadline_order(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 3};
    struct tick t[] = {{&r, 3}, {&r, 1}, {&r, 2}};
    const uint64_t delay_ms[] = {30, 10, 20};
    add_ticks(f->loop, t, delay_ms, 3);
    run(f);
    expect_fired(&r, (const int[]){1, 2, 3}, 3);
}

/* A pass that starts late finds several timers overdue: they run as they
 * would have on time, by deadline, and those with the same deadline in
 * the order they were added. */
static void test_overdue_timers_fire_in_deadline_order(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 4};
    struct tick t[] = {{&r, 4}, {&r, 1}, {&r, 2}, {&r, 3}};
    const uint64_t delay_ms[] = {3, 1, 2, 2};
    add_ticks(f->loop, t, delay_ms, 4);
    wait_past(loop_now_ms() + 3);
    run(f);
    expect_fired(&r, (const int[]){1, 2, 3, 4}, 4);
}

/* A timer whose callback cancels another (or itself). */
struct canceller {
    struct tick tick;
    struct loop *loop;
    struct loop_timer **victim;
};

static void on_cancel(void *ctx)
{
    struct canceller *c = ctx;
    on_tick(&c->tick);
    loop_timer_cancel(c->loop, *c->victim);
    *c->victim = NULL;
}

/* Cancelled in a pass where it is due too, the later timer is not called;
 * the walk over the timers goes on past it, and it is freed afterwards. */
static void test_cancel_from_another_timer_in_the_same_pass(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 2};
    struct loop_timer *victim;
    struct canceller first = {{&r, 1}, f->loop, &victim};
    struct tick second = {&r, 2}, third = {&r, 3};
    assert_non_null(loop_timer_add(f->loop, 1, on_cancel, &first));
    victim = loop_timer_add(f->loop, 2, on_tick, &second);
    assert_non_null(victim);
    assert_non_null(loop_timer_add(f->loop, 3, on_tick, &third));
    wait_past(loop_now_ms() + 3);
    run(f);
    expect_fired(&r, (const int[]){1, 3}, 2);
    assert_null(victim);
}

static void test_cancel_pending_timer(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 2};
    struct loop_timer *victim;
    struct canceller first = {{&r, 1}, f->loop, &victim};
    struct tick never = {&r, 99}, last = {&r, 2};
    assert_non_null(loop_timer_add(f->loop, 0, on_cancel, &first));
    victim = loop_timer_add(f->loop, 20, on_tick, &never);
    assert_non_null(victim);
    assert_non_null(loop_timer_add(f->loop, 40, on_tick, &last));
    run(f);
    expect_fired(&r, (const int[]){1, 2}, 2);
}

/* A callback may cancel its own timer: it has already fired, and is only
 * marked again. */
static void test_cancel_itself(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 2};
    struct loop_timer *self;
    struct canceller c = {{&r, 1}, f->loop, &self};
    struct tick after = {&r, 2};
    self = loop_timer_add(f->loop, 0, on_cancel, &c);
    assert_non_null(self);
    assert_non_null(loop_timer_add(f->loop, 5, on_tick, &after));
    run(f);
    expect_fired(&r, (const int[]){1, 2}, 2);
}

/* Cancelled before the loop runs, a timer is never called. */
static void test_cancel_before_run(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 1};
    struct tick never = {&r, 99}, last = {&r, 1};
    struct loop_timer *t = loop_timer_add(f->loop, 0, on_tick, &never);
    assert_non_null(t);
    loop_timer_cancel(f->loop, t);
    assert_non_null(loop_timer_add(f->loop, 1, on_tick, &last));
    run(f);
    expect_fired(&r, (const int[]){1}, 1);
}

static void test_cancel_null(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 1};
    struct tick t = {&r, 1};
    loop_timer_cancel(f->loop, NULL);
    assert_non_null(loop_timer_add(f->loop, 0, on_tick, &t));
    run(f);
    expect_fired(&r, (const int[]){1}, 1);
}

/* A timer re-arming itself with no delay, and which pass each run came in
 * (counted by an idle callback, which runs once a pass). */
struct rearm {
    struct loop *loop;
    unsigned passes;
    unsigned fired_in[MAX_FIRED];
    unsigned n;
};

static void on_rearm(void *ctx)
{
    struct rearm *a = ctx;
    a->fired_in[a->n++] = a->passes;
    if (a->n == MAX_FIRED)
        loop_stop(a->loop);
    else
        assert_non_null(loop_timer_add(a->loop, 0, on_rearm, a));
}

static bool count_pass(void *ctx)
{
    ((struct rearm *)ctx)->passes++;
    return false;
}

/* Each re-armed run comes in a pass of its own: a timer that keeps asking
 * for no delay must not hold the loop in one pass, away from the
 * descriptors. */
static void test_timer_rearms_itself(void **state)
{
    struct fixture *f = *state;
    struct rearm a = {.loop = f->loop};
    assert_int_equal(loop_add_idle(f->loop, count_pass, &a), 0);
    assert_non_null(loop_timer_add(f->loop, 0, on_rearm, &a));
    run(f);
    assert_int_equal(a.n, MAX_FIRED);
    for (unsigned i = 1; i < a.n; i++)
        assert_true(a.fired_in[i] > a.fired_in[i - 1]);
}

/* --- idle work ----------------------------------------------------------- */

struct idle {
    struct loop *loop;
    unsigned calls;
    unsigned busy_calls; /* reports more work this many times */
    bool stop_when_done;
    int fd; /* a descriptor whose callback sets fd_seen */
    bool fd_seen, timer_seen;
    bool saw_both; /* on its first call */
};

static bool on_idle(void *ctx)
{
    struct idle *s = ctx;
    if (s->calls++ == 0)
        s->saw_both = s->fd_seen && s->timer_seen;
    if (s->calls < s->busy_calls)
        return true;
    if (s->stop_when_done)
        loop_stop(s->loop);
    return false;
}

static void on_idle_fd(void *ctx, uint32_t events)
{
    struct idle *s = ctx;
    char c;
    (void)events;
    assert_int_equal(read(s->fd, &c, 1), 1);
    s->fd_seen = true;
}

static void on_idle_timer(void *ctx)
{
    ((struct idle *)ctx)->timer_seen = true;
}

/* Idle work comes after the pass's descriptors and timers, so what they
 * asked for is done in the same pass. */
static void test_idle_after_events_and_timers(void **state)
{
    struct fixture *f = *state;
    struct idle s = {.loop = f->loop, .stop_when_done = true};
    int p[2];
    assert_int_equal(pipe(p), 0);
    s.fd = p[0];
    assert_int_equal(write(p[1], "x", 1), 1);
    assert_int_equal(loop_add_fd(f->loop, p[0], EPOLLIN, on_idle_fd, &s), 0);
    assert_non_null(loop_timer_add(f->loop, 0, on_idle_timer, &s));
    assert_int_equal(loop_add_idle(f->loop, on_idle, &s), 0);
    run(f);
    assert_int_equal(s.calls, 1);
    assert_true(s.saw_both);
    close(p[0]);
    close(p[1]);
}

/* The idle callbacks are asked before the loop first blocks: a backlog
 * found at start-up is read at once, not after the first event. */
static void test_idle_before_the_first_wait(void **state)
{
    struct fixture *f = *state;
    struct idle s = {.loop = f->loop, .stop_when_done = true};
    assert_int_equal(loop_add_idle(f->loop, on_idle, &s), 0);
    run(f);
    assert_int_equal(s.calls, 1);
}

/* With nothing else to wake it, only not blocking lets the loop come back
 * to a busy idle callback before the deadline. */
static void test_busy_idle_keeps_the_loop_awake(void **state)
{
    struct fixture *f = *state;
    struct idle s = {
        .loop = f->loop, .busy_calls = 1000, .stop_when_done = true};
    assert_int_equal(loop_add_idle(f->loop, on_idle, &s), 0);
    run(f);
    assert_int_equal(s.calls, 1000);
}

/* An idle callback with nothing more to do lets the loop wait for the next
 * timer instead of spinning: a handful of passes, not thousands. */
static void test_quiet_idle_lets_the_loop_block(void **state)
{
    struct fixture *f = *state;
    struct idle s = {.loop = f->loop};
    assert_int_equal(loop_add_idle(f->loop, on_idle, &s), 0);
    assert_non_null(loop_timer_add(f->loop, 50, on_stop, f->loop));
    run(f);
    assert_true(s.calls >= 1);
    assert_true(s.calls <= 5);
}

/* --- descriptors --------------------------------------------------------- */

struct reader {
    struct loop *loop;
    int fd;
    unsigned calls;
    uint32_t events;
    bool stop;                /* stops the loop when called */
    struct reader *also_drop; /* removed when called, with itself */
};

static void on_readable(void *ctx, uint32_t events)
{
    struct reader *r = ctx;
    r->calls++;
    r->events = events;
    if (r->also_drop != NULL) {
        assert_int_equal(loop_del_fd(r->loop, r->also_drop->fd), 0);
        assert_int_equal(loop_del_fd(r->loop, r->fd), 0);
    }
    if (r->stop)
        loop_stop(r->loop);
}

static void test_fd_readable_until_deleted(void **state)
{
    struct fixture *f = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct reader r = {.loop = f->loop, .fd = p[0], .stop = true};
    assert_int_equal(loop_add_fd(f->loop, p[0], EPOLLIN, on_readable, &r), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    run(f);
    assert_int_equal(r.calls, 1);
    assert_true(r.events & EPOLLIN);

    /* Still readable: a registered descriptor would be reported at once,
     * before the timer that stops the loop. */
    assert_int_equal(loop_del_fd(f->loop, p[0]), 0);
    assert_int_equal(loop_del_fd(f->loop, p[0]), -ENOENT);
    assert_non_null(loop_timer_add(f->loop, 0, on_stop, f->loop));
    run(f);
    assert_int_equal(r.calls, 1);
    close(p[0]);
    close(p[1]);
}

/* Two descriptors ready in the same pass; whichever is called first
 * removes both. The other's event, already fetched, is not delivered. */
static void test_fd_deleted_during_pass(void **state)
{
    struct fixture *f = *state;
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    struct reader ra = {.loop = f->loop, .fd = a[0]};
    struct reader rb = {.loop = f->loop, .fd = b[0], .also_drop = &ra};
    ra.also_drop = &rb;
    assert_int_equal(loop_add_fd(f->loop, a[0], EPOLLIN, on_readable, &ra), 0);
    assert_int_equal(loop_add_fd(f->loop, b[0], EPOLLIN, on_readable, &rb), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    assert_non_null(loop_timer_add(f->loop, 0, on_stop, f->loop));
    run(f);
    assert_int_equal(ra.calls + rb.calls, 1);
    /* Both still readable, neither registered. */
    assert_non_null(loop_timer_add(f->loop, 0, on_stop, f->loop));
    run(f);
    assert_int_equal(ra.calls + rb.calls, 1);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

/* A paced pipe: each call reads what is there and notes when. */
#define PACE_MS    40
#define PACE_CALLS 4

struct paced {
    struct loop *loop;
    int rfd, wfd;
    unsigned calls;
    size_t got[PACE_CALLS];
    uint64_t at_ms[PACE_CALLS];
    bool drop; /* removed while it rests after its first call */
};

static void on_drop(void *ctx);

static void on_write_c(void *ctx)
{
    struct paced *p = ctx;
    assert_int_equal(write(p->wfd, "c", 1), 1);
}

static void on_paced(void *ctx, uint32_t events)
{
    struct paced *p = ctx;
    char buf[16];
    (void)events;
    assert_true(p->calls < PACE_CALLS);
    ssize_t n = read(p->rfd, buf, sizeof(buf));
    p->got[p->calls] = n > 0 ? (size_t)n : 0;
    p->at_ms[p->calls] = loop_now_ms();
    if (++p->calls == 1) {
        /* One byte now, one halfway through the rest: both are read in
         * one call once it is over. Timers run in deadline order, so
         * this holds even when a pass comes late. */
        assert_int_equal(write(p->wfd, "b", 1), 1);
        assert_non_null(loop_timer_add(p->loop, PACE_MS / 2, on_write_c, p));
        if (p->drop)
            assert_non_null(loop_timer_add(p->loop, PACE_MS / 4, on_drop, p));
        return;
    }
    loop_stop(p->loop);
}

static void on_drop(void *ctx)
{
    struct paced *p = ctx;
    assert_int_equal(loop_del_fd(p->loop, p->rfd), 0);
    assert_non_null(loop_timer_add(p->loop, 2 * PACE_MS, on_stop, p->loop));
}

static void paced_pipe(struct fixture *f, struct paced *p)
{
    int fds[2];
    assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
    p->loop = f->loop;
    p->rfd = fds[0];
    p->wfd = fds[1];
    assert_int_equal(loop_add_fd(f->loop, p->rfd, EPOLLIN, on_paced, p), 0);
    assert_int_equal(loop_pace_fd(f->loop, p->rfd, PACE_MS), 0);
    assert_int_equal(write(p->wfd, "a", 1), 1);
}

/* Called at once, then not before its rest is over, for all that came. */
static void test_paced_fd_rests_after_each_call(void **state)
{
    struct fixture *f = *state;
    struct paced p = {0};
    paced_pipe(f, &p);
    run(f);
    assert_int_equal(p.calls, 2);
    assert_int_equal(p.got[0], 1);
    assert_int_equal(p.got[1], 2);
    assert_true(p.at_ms[1] - p.at_ms[0] >= PACE_MS);
    assert_int_equal(loop_pace_fd(f->loop, -1, PACE_MS), -ENOENT);
    close(p.rfd);
    close(p.wfd);
}

/* Removed while it rests: never called again. */
static void test_paced_fd_deleted_while_resting(void **state)
{
    struct fixture *f = *state;
    struct paced p = {.drop = true};
    paced_pipe(f, &p);
    run(f);
    assert_int_equal(p.calls, 1);
    close(p.rfd);
    close(p.wfd);
}

/* --- signals ------------------------------------------------------------- */

struct caught {
    struct loop *loop;
    unsigned usr1, usr2;
};

static void on_signal(void *ctx, int sig)
{
    struct caught *c = ctx;
    if (sig == SIGUSR1)
        c->usr1++;
    else if (sig == SIGUSR2)
        c->usr2++;
    else
        fail_msg("unexpected signal %d", sig);
    if (c->usr1 > 0 && c->usr2 > 0)
        loop_stop(c->loop);
}

/* loop_add_signals blocks the signals itself, so raising them after it
 * leaves them pending for the signalfd instead of killing the test. */
static void test_signals(void **state)
{
    struct fixture *f = *state;
    struct caught c = {.loop = f->loop};
    const int sigs[] = {SIGUSR1, SIGUSR2, 0};
    sigset_t before;
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &before), 0);
    assert_int_equal(loop_add_signals(f->loop, sigs, on_signal, &c), 0);
    /* One signalfd per loop: a second would leak the first. */
    assert_int_equal(loop_add_signals(f->loop, sigs, on_signal, &c), -EEXIST);
    assert_int_equal(raise(SIGUSR1), 0);
    assert_int_equal(kill(getpid(), SIGUSR2), 0);
    run(f);
    assert_int_equal(c.usr1, 1);
    assert_int_equal(c.usr2, 1);
    /* Both consumed: unblocking cannot deliver them the default way. */
    assert_int_equal(sigprocmask(SIG_SETMASK, &before, NULL), 0);
}

/* --- stopping ------------------------------------------------------------ */

/* loop_run returns when stopped, and runs again on the next call. A timer
 * due in the same pass as the one that stopped the loop waits for it. */
static void test_stop_and_run_again(void **state)
{
    struct fixture *f = *state;
    struct fired r = {.loop = f->loop, .stop_after = 1};
    struct tick first = {&r, 1}, second = {&r, 2};
    assert_non_null(loop_timer_add(f->loop, 1, on_tick, &first));
    assert_non_null(loop_timer_add(f->loop, 2, on_tick, &second));
    wait_past(loop_now_ms() + 2);
    run(f);
    expect_fired(&r, (const int[]){1}, 1);
    r.stop_after = 2;
    run(f);
    expect_fired(&r, (const int[]){1, 2}, 2);
}

/* Stopped by one descriptor's callback, the loop still delivers the other
 * events of the pass: an edge-triggered descriptor would not report its
 * event again, and a loop run again would never hear of it. */
static void test_stop_keeps_the_pass_events(void **state)
{
    struct fixture *f = *state;
    int a[2], b[2];
    assert_int_equal(pipe(a), 0);
    assert_int_equal(pipe(b), 0);
    struct reader ra = {.loop = f->loop, .fd = a[0], .stop = true};
    struct reader rb = {.loop = f->loop, .fd = b[0], .stop = true};
    const uint32_t edge = EPOLLIN | EPOLLET;
    assert_int_equal(loop_add_fd(f->loop, a[0], edge, on_readable, &ra), 0);
    assert_int_equal(loop_add_fd(f->loop, b[0], edge, on_readable, &rb), 0);
    assert_int_equal(write(a[1], "x", 1), 1);
    assert_int_equal(write(b[1], "x", 1), 1);
    run(f);
    assert_int_equal(ra.calls, 1);
    assert_int_equal(rb.calls, 1);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
}

#define LOOP_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        LOOP_TEST(test_timers_fire_in_deadline_order),
        LOOP_TEST(test_overdue_timers_fire_in_deadline_order),
        LOOP_TEST(test_cancel_from_another_timer_in_the_same_pass),
        LOOP_TEST(test_cancel_pending_timer),
        LOOP_TEST(test_cancel_itself),
        LOOP_TEST(test_cancel_before_run),
        LOOP_TEST(test_cancel_null),
        LOOP_TEST(test_timer_rearms_itself),
        LOOP_TEST(test_idle_after_events_and_timers),
        LOOP_TEST(test_idle_before_the_first_wait),
        LOOP_TEST(test_busy_idle_keeps_the_loop_awake),
        LOOP_TEST(test_quiet_idle_lets_the_loop_block),
        LOOP_TEST(test_fd_readable_until_deleted),
        LOOP_TEST(test_fd_deleted_during_pass),
        LOOP_TEST(test_paced_fd_rests_after_each_call),
        LOOP_TEST(test_paced_fd_deleted_while_resting),
        LOOP_TEST(test_signals),
        LOOP_TEST(test_stop_and_run_again),
        LOOP_TEST(test_stop_keeps_the_pass_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
