#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "log.h"

/* The longest inotify event: its header and the longest name. */
#define WATCH_EVENT_MAX (sizeof(struct inotify_event) + NAME_MAX + 1)

struct watch_owner {
    watch_fn fn; /* NULL once removed, until compaction */
    void *owner;
};

struct watch_entry {
    int wd;
    uint32_t mask;
    bool dead; /* the kernel dropped the watch (IN_IGNORED) */
    struct watch_owner *owners;
    unsigned n_owners, cap_owners;
};

struct watch {
    int fd;
    struct watch_entry *entries; /* sorted by wd */
    unsigned n, cap;
    unsigned dispatching;
    bool dirty; /* marked removals to compact */
    void (*overflow_fn)(void *ctx);
    void *overflow_ctx;
};

int watch_new(struct watch **out)
{
    struct watch *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        int err = errno;
        free(w);
        return -err;
    }
    *out = w;
    return 0;
}

void watch_free(struct watch *w)
{
    if (w == NULL)
        return;
    for (unsigned i = 0; i < w->n; i++)
        free(w->entries[i].owners);
    free(w->entries);
    close(w->fd);
    free(w);
}

int watch_fd(const struct watch *w)
{
    return w->fd;
}

void watch_on_overflow(struct watch *w, void (*fn)(void *ctx), void *ctx)
{
    w->overflow_fn = fn;
    w->overflow_ctx = ctx;
}

/* The index of wd, or of where it would be inserted (with *found false). */
static unsigned find(const struct watch *w, int wd, bool *found)
{
    unsigned lo = 0, hi = w->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (w->entries[mid].wd < wd)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < w->n && w->entries[lo].wd == wd;
    return lo;
}

static bool entry_live(const struct watch_entry *e)
{
    for (unsigned k = 0; k < e->n_owners; k++)
        if (e->owners[k].fn != NULL)
            return true;
    return false;
}

/* Drops marked owners and entries without owners. */
static void compact(struct watch *w)
{
    unsigned o = 0;
    for (unsigned i = 0; i < w->n; i++) {
        struct watch_entry *e = &w->entries[i];
        unsigned k2 = 0;
        for (unsigned k = 0; k < e->n_owners; k++)
            if (e->owners[k].fn != NULL)
                e->owners[k2++] = e->owners[k];
        e->n_owners = k2;
        if (k2 == 0 || e->dead) {
            if (!e->dead)
                inotify_rm_watch(w->fd, e->wd);
            free(e->owners);
            continue;
        }
        w->entries[o++] = *e;
    }
    w->n = o;
    w->dirty = false;
}

int watch_add(struct watch *w, const char *path, uint32_t mask, watch_fn fn,
              void *owner)
{
    int wd = inotify_add_watch(w->fd, path, mask | IN_MASK_ADD);
    if (wd < 0)
        return -errno;
    bool found;
    unsigned i = find(w, wd, &found);
    if (found && w->entries[i].dead) {
        /* A wd the kernel reused after IN_IGNORED we have not compacted. */
        w->entries[i].dead = false;
        w->entries[i].n_owners = 0;
    }
    if (!found) {
        if (w->n == w->cap) {
            unsigned cap = w->cap ? w->cap * 2 : 16;
            struct watch_entry *e = realloc(w->entries, cap * sizeof(*e));
            if (e == NULL) {
                inotify_rm_watch(w->fd, wd);
                return -ENOMEM;
            }
            w->entries = e;
            w->cap = cap;
        }
        memmove(&w->entries[i + 1], &w->entries[i],
                (w->n - i) * sizeof(*w->entries));
        memset(&w->entries[i], 0, sizeof(*w->entries));
        w->entries[i].wd = wd;
        w->n++;
    }
    struct watch_entry *e = &w->entries[i];
    e->mask |= mask;
    for (unsigned k = 0; k < e->n_owners; k++)
        if (e->owners[k].owner == owner && e->owners[k].fn != NULL)
            return wd; /* already an owner */
    if (e->n_owners == e->cap_owners) {
        unsigned cap = e->cap_owners ? e->cap_owners * 2 : 2;
        struct watch_owner *o = realloc(e->owners, cap * sizeof(*o));
        if (o == NULL) {
            /* A new entry left without owners goes, kernel watch and all. */
            if (!entry_live(e)) {
                w->dirty = true;
                if (w->dispatching == 0)
                    compact(w);
            }
            return -ENOMEM;
        }
        e->owners = o;
        e->cap_owners = cap;
    }
    e->owners[e->n_owners].fn = fn;
    e->owners[e->n_owners].owner = owner;
    e->n_owners++;
    return wd;
}

void watch_remove(struct watch *w, int wd, const void *owner)
{
    bool found;
    unsigned i = find(w, wd, &found);
    if (!found)
        return;
    struct watch_entry *e = &w->entries[i];
    for (unsigned k = 0; k < e->n_owners; k++)
        if (e->owners[k].owner == owner && e->owners[k].fn != NULL) {
            e->owners[k].fn = NULL;
            /* Compacted even when others remain: an owner that leaves and
             * comes back must not grow the list. */
            w->dirty = true;
        }
    if (w->dirty && w->dispatching == 0)
        compact(w);
}

int watch_dispatch(struct watch *w)
{
    /* Aligned for struct inotify_event, as inotify(7) requires. */
    char buf[64 * 1024]
        __attribute__((aligned(__alignof__(struct inotify_event))));
    int rc = 0;

    w->dispatching++;
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                rc = -errno;
            break;
        }
        if (n == 0)
            break;
        /* Room was left for the longest event: the queue is empty now, and
         * a read to hear so would be one system call per dispatch. */
        bool emptied = (size_t)n <= sizeof(buf) - WATCH_EVENT_MAX;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)(void *)p;
            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                log_warn("inotify queue overflowed; rescanning every input");
                if (w->overflow_fn)
                    w->overflow_fn(w->overflow_ctx);
                continue;
            }
            bool found;
            unsigned i = find(w, ev->wd, &found);
            if (!found)
                continue;
            /* Owners added by callbacks are not called for this event. */
            unsigned count = w->entries[i].n_owners;
            for (unsigned k = 0; k < count; k++) {
                struct watch_entry *e = &w->entries[i]; /* may move */
                struct watch_owner o = e->owners[k];
                if (o.fn != NULL)
                    o.fn(o.owner, ev->wd, ev->mask,
                         ev->len > 0 ? ev->name : NULL);
                i = find(w, ev->wd, &found);
                if (!found)
                    break;
            }
            if (found && (ev->mask & IN_IGNORED)) {
                w->entries[i].dead = true;
                w->dirty = true;
            }
        }
        if (emptied)
            break;
    }
    w->dispatching--;
    if (w->dirty && w->dispatching == 0)
        compact(w);
    return rc;
}

unsigned watch_count(const struct watch *w)
{
    unsigned live = 0;
    for (unsigned i = 0; i < w->n; i++)
        live += !w->entries[i].dead && entry_live(&w->entries[i]);
    return live;
}
