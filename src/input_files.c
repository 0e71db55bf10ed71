/*
 * The files an input follows: indexed by device and inode, watched, and
 * listed in the order they were found (newest first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "input_files.h"

/* What makes a followed file worth a read (or a rescan). */
#define INPUT_FILE_MASK                                                        \
    (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
#define INPUT_INDEX_MIN 16 /* slots of the index by inode, at first */

/* --- the index of files by inode ----------------------------------------- */

static size_t slot(const struct input *in, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)dev;
    return (size_t)(h ^ (h >> 29)) & (in->by_inode_cap - 1);
}

struct input_file *input_find(const struct input *in, dev_t dev, ino_t ino)
{
    if (in->by_inode_cap == 0)
        return NULL;
    for (struct input_file *f = in->by_inode[slot(in, dev, ino)]; f;
         f = f->hnext)
        if (tailer_dev(f->t) == dev && tailer_ino(f->t) == ino)
            return f;
    return NULL;
}

static void index_put(struct input *in, struct input_file *f)
{
    size_t k = slot(in, tailer_dev(f->t), tailer_ino(f->t));
    f->hnext = in->by_inode[k];
    in->by_inode[k] = f;
}

static bool index_add(struct input *in, struct input_file *f)
{
    if (in->by_inode_n >= in->by_inode_cap) {
        size_t cap = in->by_inode_cap ? in->by_inode_cap * 2 : INPUT_INDEX_MIN;
        struct input_file **ix = calloc(cap, sizeof(*ix));
        if (ix == NULL)
            return false;
        struct input_file **old = in->by_inode;
        size_t old_cap = in->by_inode_cap;
        in->by_inode = ix;
        in->by_inode_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            for (struct input_file *o = old[i], *next; o; o = next) {
                next = o->hnext;
                index_put(in, o);
            }
        free(old);
    }
    index_put(in, f);
    in->by_inode_n++;
    return true;
}

static void index_del(struct input *in, struct input_file *f)
{
    if (in->by_inode_cap == 0)
        return;
    for (struct input_file **p =
             &in->by_inode[slot(in, tailer_dev(f->t), tailer_ino(f->t))];
         *p; p = &(*p)->hnext)
        if (*p == f) {
            *p = f->hnext;
            in->by_inode_n--;
            return;
        }
}

struct input_file *input_file_new(struct input *in, struct tailer *t)
{
    struct input_file *f = calloc(1, sizeof(*f));
    if (f != NULL) {
        f->t = t;
        f->in = in;
        f->wd = -1;
        if (index_add(in, f))
            return f;
        free(f);
    }
    tailer_free(t);
    return NULL;
}

/* --- following ----------------------------------------------------------- */

static void on_file_event(void *owner, int wd, uint32_t mask, const char *name)
{
    struct input_file *f = owner;
    (void)wd;
    (void)name;
    if (mask & IN_IGNORED) {
        f->wd = -1;
        return;
    }
    f->ready = true;
    /* A rename, an unlink (seen as a link-count change) or a removal:
     * find out where the path points now. */
    if (mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
        f->in->rescan = true;
}

void input_follow(struct input *in, struct input_file *f, const char *how)
{
    char proc[64];
    f->ready = file_is_read(f);
    f->next = in->files;
    in->files = f;
    in->files_opened++;
    in->changed = true;
    log_info("input %s: following %s %s", in->cfg->name, tailer_path(f->t),
             how);
    if (in->watch == NULL)
        return;
    /* Watch the inode we opened, not whatever the path names by now. */
    tailer_proc_path(f->t, proc, sizeof(proc));
    int wd = watch_add(in->watch, proc, INPUT_FILE_MASK, on_file_event, f);
    if (wd < 0)
        wd = watch_add(in->watch, tailer_path(f->t), INPUT_FILE_MASK,
                       on_file_event, f);
    f->wd = wd < 0 ? -1 : wd;
    if (wd < 0)
        log_limited(&in->log_limit, LOG_WARN,
                    "input %s: cannot watch %s (%s); it is read at each "
                    "reconcile",
                    in->cfg->name, tailer_path(f->t), strerror(-wd));
}

void input_file_unfollow(struct input *in, struct input_file *f)
{
    if (f->wd >= 0 && in->watch)
        watch_remove(in->watch, f->wd, f);
    index_del(in, f);
}
