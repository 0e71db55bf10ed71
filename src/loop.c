#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOOP_MAX_EVENTS 64

struct loop_fd {
    struct loop *loop;
    int fd;
    uint32_t events; /* as added */
    loop_fd_fn fn;
    void *ctx;
    bool dead;                 /* removed during a pass */
    uint64_t pace_ms;          /* 0: called whenever ready */
    uint64_t last_ms;          /* when the last call ended, when paced */
    struct loop_timer *resume; /* resting until it fires; NULL: polled */
    struct loop_fd *next;
};

struct loop_timer {
    uint64_t due_ms;
    loop_timer_fn fn;
    void *ctx;
    bool dead;
    bool ready; /* due when the current pass began */
    struct loop_timer *next;
};

struct loop_idle {
    loop_idle_fn fn;
    void *ctx;
};

struct loop {
    int epfd;
    bool stop;
    struct loop_fd *fds;
    struct loop_timer *timers; /* by deadline; ties in the order added */
    struct loop_idle *idles;
    unsigned n_idles;
    int sigfd;
    void (*sig_fn)(void *ctx, int sig);
    void *sig_ctx;
};

uint64_t loop_now_ms(void)
{
    return log_now_ms();
}

uint64_t loop_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int loop_new(struct loop **out)
{
    struct loop *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return -ENOMEM;
    l->sigfd = -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int err = errno;
        free(l);
        return -err;
    }
    *out = l;
    return 0;
}

void loop_free(struct loop *l)
{
    if (l == NULL)
        return;
    while (l->fds) {
        struct loop_fd *f = l->fds;
        l->fds = f->next;
        free(f);
    }
    while (l->timers) {
        struct loop_timer *t = l->timers;
        l->timers = t->next;
        free(t);
    }
    free(l->idles);
    if (l->sigfd >= 0)
        close(l->sigfd);
    close(l->epfd);
    free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
                void *ctx)
{
    struct loop_fd *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -ENOMEM;
    f->loop = l;
    f->fd = fd;
    f->events = events;
    f->fn = fn;
    f->ctx = ctx;
    struct epoll_event ev = {.events = events, .data.ptr = f};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int err = errno;
        free(f);
        return -err;
    }
    f->next = l->fds;
    l->fds = f;
    return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
    for (struct loop_fd *f = l->fds; f; f = f->next)
        if (f->fd == fd && !f->dead) {
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
            f->dead = true;
            loop_timer_cancel(l, f->resume);
            f->resume = NULL;
            return 0;
        }
    return -ENOENT;
}

int loop_pace_fd(struct loop *l, int fd, uint64_t pace_ms)
{
    for (struct loop_fd *f = l->fds; f; f = f->next)
        if (f->fd == fd && !f->dead) {
            f->pace_ms = pace_ms;
            return 0;
        }
    return -ENOENT;
}

/* The rest is over: polled again, and called when ready. */
static void on_resume(void *ctx)
{
    struct loop_fd *f = ctx;
    struct epoll_event ev = {.events = f->events, .data.ptr = f};
    f->resume = NULL;
    epoll_ctl(f->loop->epfd, EPOLL_CTL_MOD, f->fd, &ev);
}

/* Leaves f unpolled until until_ms; without memory for the timer, it is
 * only paced less. */
static void rest(struct loop *l, struct loop_fd *f, uint64_t until_ms)
{
    uint64_t now = loop_now_ms();
    struct epoll_event ev = {.events = 0, .data.ptr = f};
    f->resume =
        loop_timer_add(l, until_ms > now ? until_ms - now : 0, on_resume, f);
    if (f->resume != NULL &&
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, f->fd, &ev) != 0) {
        loop_timer_cancel(l, f->resume);
        f->resume = NULL;
    }
}

/* Calls f's function for events; a paced one then rests, or rests first
 * when it is called again within its pace. */
static void dispatch_fd(struct loop *l, struct loop_fd *f, uint32_t events)
{
    if (f->pace_ms == 0) {
        f->fn(f->ctx, events);
        return;
    }
    uint64_t now = loop_now_ms();
    if (now - f->last_ms < f->pace_ms) {
        rest(l, f, f->last_ms + f->pace_ms);
        return;
    }
    f->fn(f->ctx, events);
    /* The rest starts when the call ends: a slow call is not paced less. */
    f->last_ms = loop_now_ms();
    if (!f->dead)
        rest(l, f, f->last_ms + f->pace_ms);
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t delay_ms,
                                  loop_timer_fn fn, void *ctx)
{
    struct loop_timer *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->due_ms = loop_now_ms() + delay_ms;
    t->fn = fn;
    t->ctx = ctx;
    /* Sorted, so that a pass that starts late runs its overdue timers as
     * they would have run on time. A linear walk is enough: there are a
     * handful of timers per input and a few for the HTTP server. */
    struct loop_timer **pt = &l->timers;
    while (*pt != NULL && (*pt)->due_ms <= t->due_ms)
        pt = &(*pt)->next;
    t->next = *pt;
    *pt = t;
    return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    (void)l;
    if (t != NULL)
        t->dead = true;
}

int loop_add_idle(struct loop *l, loop_idle_fn fn, void *ctx)
{
    struct loop_idle *n = realloc(l->idles, (l->n_idles + 1) * sizeof(*n));
    if (n == NULL)
        return -ENOMEM;
    l->idles = n;
    l->idles[l->n_idles].fn = fn;
    l->idles[l->n_idles].ctx = ctx;
    l->n_idles++;
    return 0;
}

static void on_signal(void *ctx, uint32_t events)
{
    struct loop *l = ctx;
    struct signalfd_siginfo si;
    (void)events;
    while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        l->sig_fn(l->sig_ctx, (int)si.ssi_signo);
}

int loop_add_signals(struct loop *l, const int *sigs,
                     void (*fn)(void *ctx, int sig), void *ctx)
{
    sigset_t set;
    if (l->sigfd >= 0)
        return -EEXIST; /* one signalfd per loop */
    sigemptyset(&set);
    for (const int *s = sigs; *s; s++)
        sigaddset(&set, *s);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return -errno;
    l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->sigfd < 0)
        return -errno;
    l->sig_fn = fn;
    l->sig_ctx = ctx;
    return loop_add_fd(l, l->sigfd, EPOLLIN, on_signal, l);
}

/* Frees marked fds and timers; only called between passes. */
static void reap(struct loop *l)
{
    for (struct loop_fd **pf = &l->fds; *pf;) {
        if ((*pf)->dead) {
            struct loop_fd *f = *pf;
            *pf = f->next;
            free(f);
        } else {
            pf = &(*pf)->next;
        }
    }
    for (struct loop_timer **pt = &l->timers; *pt;) {
        if ((*pt)->dead) {
            struct loop_timer *t = *pt;
            *pt = t->next;
            free(t);
        } else {
            pt = &(*pt)->next;
        }
    }
}

/*
 * Runs the timers that are due, earliest first. Which ones is settled
 * before the first call: a timer added by a callback, even with no delay,
 * waits for the next pass, so one re-arming itself cannot hold the loop
 * away from its descriptors. Added timers are never due before now, so
 * the walks can stop at the first timer that is not due.
 */
static void run_timers(struct loop *l)
{
    uint64_t now = loop_now_ms();
    for (struct loop_timer *t = l->timers; t && t->due_ms <= now; t = t->next)
        t->ready = !t->dead;
    for (struct loop_timer *t = l->timers; t && t->due_ms <= now && !l->stop;
         t = t->next) {
        if (t->dead || !t->ready)
            continue;
        t->dead = true; /* one-shot: marked before the call, freed later */
        t->fn(t->ctx);
    }
}

/* Milliseconds until the next timer, or -1 when there is none. */
static int next_timeout(const struct loop *l)
{
    const struct loop_timer *t = l->timers;
    while (t != NULL && t->dead)
        t = t->next;
    if (t == NULL)
        return -1;
    uint64_t now = loop_now_ms();
    uint64_t d = t->due_ms > now ? t->due_ms - now : 0;
    return d > INT32_MAX ? INT32_MAX : (int)d;
}

int loop_run(struct loop *l)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    /* The idle callbacks have not said yet whether they have work (a
     * backlog found at start-up): the first wait must not block. */
    bool busy = true;

    l->stop = false;
    while (!l->stop) {
        int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS,
                           busy ? 0 : next_timeout(l));
        if (n < 0) {
            if (errno != EINTR)
                return -errno;
            n = 0;
        }
        /* Even once stopped: the kernel has handed these over, and an
         * edge-triggered descriptor would not report its event again. */
        for (int i = 0; i < n; i++) {
            struct loop_fd *f = evs[i].data.ptr;
            if (!f->dead && f->resume == NULL)
                dispatch_fd(l, f, evs[i].events);
        }
        /* Timers before idle work, so what a timer asks for is done in
         * the same pass. */
        run_timers(l);
        reap(l);
        busy = false;
        for (unsigned i = 0; i < l->n_idles && !l->stop; i++)
            busy |= l->idles[i].fn(l->idles[i].ctx);
    }
    reap(l);
    return 0;
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}
