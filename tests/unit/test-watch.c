/*
 * The shared inotify instance, on a temporary directory: owners sharing a
 * kernel watch, leaving it (also from inside a callback, while the events
 * are being dispatched) and the kernel dropping it. Events come from real
 * changes; the tests poll the descriptor with a deadline, never sleep.
 *
 * The overflow callback is not tested: provoking IN_Q_OVERFLOW needs the
 * system-wide queue limit lowered or a flood with no bound on its size.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"
#include "loop.h"
#include "watch.h"

/* Long enough for a slow valgrind run, short enough that a hang shows. */
#define TEST_DEADLINE_MS 10000
#define MAX_EVENTS       16
#define MAX_DROPS        2
#define NAME_LEN         32 /* bytes of a file name the tests use, NUL included */

struct fixture {
    struct tmp t;
    struct watch *w;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    tmp_make(&f->t);
    assert_int_equal(watch_new(&f->w), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    watch_free(f->w);
    tmp_remove(&f->t);
    free(f);
    return 0;
}

/* One owner: what it was called with, and what it does on its first call. */
struct owner {
    struct watch *w;
    int wd;
    unsigned calls;
    uint32_t masks[MAX_EVENTS];
    char names[MAX_EVENTS][NAME_LEN];
    struct owner *drop[MAX_DROPS]; /* whose interest it removes */
    const char *readd;             /* a path it watches again after that */
};

static void on_event(void *ctx, int wd, uint32_t mask, const char *name)
{
    struct owner *o = ctx;
    assert_int_equal(wd, o->wd);
    assert_true(o->calls < MAX_EVENTS);
    o->masks[o->calls] = mask;
    snprintf(o->names[o->calls], NAME_LEN, "%s", name ? name : "");
    if (o->calls++ > 0)
        return;
    for (size_t i = 0; i < MAX_DROPS && o->drop[i] != NULL; i++)
        watch_remove(o->w, o->drop[i]->wd, o->drop[i]);
    if (o->readd != NULL)
        assert_int_equal(watch_add(o->w, o->readd, IN_CREATE, on_event, o),
                         o->wd);
}

static void add(struct fixture *f, struct owner *o, const char *path,
                uint32_t mask)
{
    o->w = f->w;
    o->wd = watch_add(f->w, path, mask, on_event, o);
    assert_true(o->wd >= 0);
}

static void make_file(const struct fixture *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->t.dir, name);
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
}

/* Waits, until the deadline, for the descriptor to be readable and
 * dispatches everything queued. */
static void dispatch_next(struct fixture *f, uint64_t deadline_ms)
{
    struct pollfd p = {.fd = watch_fd(f->w), .events = POLLIN};
    uint64_t now = loop_now_ms();
    int n = now < deadline_ms ? poll(&p, 1, (int)(deadline_ms - now)) : 0;
    if (n == 0)
        fail_msg("no inotify event within %d ms", TEST_DEADLINE_MS);
    assert_int_equal(n, 1);
    assert_int_equal(watch_dispatch(f->w), 0);
}

static void dispatch_until(struct fixture *f, const struct owner *o,
                           unsigned calls)
{
    uint64_t deadline_ms = loop_now_ms() + TEST_DEADLINE_MS;
    while (o->calls < calls)
        dispatch_next(f, deadline_ms);
}

/* inotify queues an event in the system call that causes it, so a look
 * without waiting tells that nothing was queued. */
static void expect_nothing_queued(struct fixture *f)
{
    struct pollfd p = {.fd = watch_fd(f->w), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0);
}

static void expect_created(const struct owner *o, unsigned i, const char *name)
{
    assert_true(i < o->calls);
    assert_true(o->masks[i] & IN_CREATE);
    assert_string_equal(o->names[i], name);
}

/* --- sharing ------------------------------------------------------------- */

static void test_owners_share_one_watch(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0}, b = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    add(f, &b, f->t.dir, IN_CREATE);
    assert_int_equal(a.wd, b.wd);
    /* Asking twice does not make an owner hear each event twice. */
    assert_int_equal(watch_add(f->w, f->t.dir, IN_CREATE, on_event, &a), a.wd);
    assert_int_equal(watch_count(f->w), 1);

    make_file(f, "one.log");
    dispatch_until(f, &a, 1);
    dispatch_until(f, &b, 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    expect_created(&a, 0, "one.log");
    expect_created(&b, 0, "one.log");
}

/* The kernel watch stays while one owner is left, and goes with the last:
 * its IN_IGNORED reaches nobody, and later changes queue nothing. */
static void test_last_owner_removes_the_watch(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0}, b = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    add(f, &b, f->t.dir, IN_CREATE);

    watch_remove(f->w, a.wd, &a);
    assert_int_equal(watch_count(f->w), 1);
    make_file(f, "one.log");
    dispatch_until(f, &b, 1);
    expect_created(&b, 0, "one.log");
    assert_int_equal(a.calls, 0);

    watch_remove(f->w, b.wd, &b);
    assert_int_equal(watch_count(f->w), 0);
    dispatch_next(f, loop_now_ms() + TEST_DEADLINE_MS); /* the IN_IGNORED */
    make_file(f, "two.log");
    expect_nothing_queued(f);
    assert_int_equal(a.calls, 0);
    assert_int_equal(b.calls, 1);
    /* Not watched any more, so nothing to remove. */
    watch_remove(f->w, b.wd, &b);
    assert_int_equal(watch_count(f->w), 0);
}

/* --- leaving during a dispatch ------------------------------------------- */

/* Two events in one read; the first owner leaves on the first. */
static void test_owner_leaves_from_its_callback(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0}, b = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    add(f, &b, f->t.dir, IN_CREATE);
    a.drop[0] = &a;
    make_file(f, "one.log");
    make_file(f, "two.log");
    dispatch_until(f, &b, 2);
    assert_int_equal(a.calls, 1);
    expect_created(&b, 1, "two.log");
    assert_int_equal(watch_count(f->w), 1);

    make_file(f, "three.log");
    dispatch_until(f, &b, 3);
    assert_int_equal(a.calls, 1);
}

/* The middle owner removes the one called before it and the one after it:
 * neither hears anything more, the latter not even the event at hand. */
static void test_owner_removes_others_from_its_callback(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0}, b = {0}, c = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    add(f, &b, f->t.dir, IN_CREATE);
    add(f, &c, f->t.dir, IN_CREATE);
    b.drop[0] = &a;
    b.drop[1] = &c;
    make_file(f, "one.log");
    make_file(f, "two.log");
    dispatch_until(f, &b, 2);
    assert_int_equal(a.calls, 1);
    assert_int_equal(c.calls, 0);
    assert_int_equal(watch_count(f->w), 1);

    make_file(f, "three.log");
    dispatch_until(f, &b, 3);
    assert_int_equal(a.calls, 1);
    assert_int_equal(c.calls, 0);
}

/* The only owner leaves while more of its events wait in the same read:
 * it hears none of them, and the kernel watch goes once the dispatch is
 * over (its IN_IGNORED reaching nobody). */
static void test_last_owner_leaves_from_its_callback(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    a.drop[0] = &a;
    make_file(f, "one.log");
    make_file(f, "two.log");
    make_file(f, "three.log");
    dispatch_until(f, &a, 1);
    assert_int_equal(watch_count(f->w), 0);
    dispatch_next(f, loop_now_ms() + TEST_DEADLINE_MS); /* the IN_IGNORED */
    make_file(f, "four.log");
    expect_nothing_queued(f);
    assert_int_equal(a.calls, 1);
}

/* Leaving and coming back in the same callback keeps the kernel watch,
 * and the owner hears the next event once, not twice. */
static void test_owner_leaves_and_returns_from_its_callback(void **state)
{
    struct fixture *f = *state;
    struct owner a = {0};
    add(f, &a, f->t.dir, IN_CREATE);
    a.drop[0] = &a;
    a.readd = f->t.dir;
    make_file(f, "one.log");
    make_file(f, "two.log");
    dispatch_until(f, &a, 2);
    assert_int_equal(watch_count(f->w), 1);

    make_file(f, "three.log");
    dispatch_until(f, &a, 3);
    expect_created(&a, 2, "three.log");
    expect_nothing_queued(f);
    assert_int_equal(a.calls, 3);
}

/* --- what the kernel says ------------------------------------------------ */

static void test_missing_path(void **state)
{
    struct fixture *f = *state;
    char path[256];
    struct owner a = {0};
    snprintf(path, sizeof(path), "%s/nope", f->t.dir);
    assert_int_equal(watch_add(f->w, path, IN_CREATE, on_event, &a), -ENOENT);
    assert_int_equal(watch_count(f->w), 0);
}

/* The directory removed, the kernel drops the watch: every owner hears
 * IN_IGNORED, and the watch is gone without anyone removing it. */
static void test_ignored_after_the_directory_goes(void **state)
{
    struct fixture *f = *state;
    char dir[256];
    struct owner a = {0}, b = {0};
    snprintf(dir, sizeof(dir), "%s/sub", f->t.dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    add(f, &a, dir, IN_CREATE | IN_DELETE_SELF);
    add(f, &b, dir, IN_CREATE | IN_DELETE_SELF);
    assert_int_equal(rmdir(dir), 0);
    uint64_t deadline_ms = loop_now_ms() + TEST_DEADLINE_MS;
    while (a.calls == 0 || !(a.masks[a.calls - 1] & IN_IGNORED))
        dispatch_next(f, deadline_ms);
    assert_true(a.masks[0] & IN_DELETE_SELF);
    assert_int_equal(b.calls, a.calls);
    assert_true(b.masks[b.calls - 1] & IN_IGNORED);
    assert_int_equal(watch_count(f->w), 0);
    /* Late removals of a watch the kernel dropped are harmless. */
    watch_remove(f->w, a.wd, &a);
    watch_remove(f->w, b.wd, &b);
    assert_int_equal(watch_count(f->w), 0);
}

/* --- many events --------------------------------------------------------- */

#define MANY_FILES 3000 /* their IN_CREATE events fill more than one read */

static void on_count(void *ctx, int wd, uint32_t mask, const char *name)
{
    unsigned *n = ctx;
    (void)wd;
    (void)name;
    if (mask & IN_CREATE)
        (*n)++;
}

/* A dispatch reads on while a read fills its buffer, and stops once the
 * queue is empty: one call delivers everything queued. */
static void test_one_dispatch_reads_the_whole_queue(void **state)
{
    struct fixture *f = *state;
    unsigned n = 0;
    char name[NAME_LEN];
    assert_true(watch_add(f->w, f->t.dir, IN_CREATE, on_count, &n) >= 0);
    for (unsigned i = 0; i < MANY_FILES; i++) {
        snprintf(name, sizeof(name), "f%05u.log", i);
        make_file(f, name);
    }
    assert_int_equal(watch_dispatch(f->w), 0);
    assert_int_equal(n, MANY_FILES);
    expect_nothing_queued(f);
}

#define WATCH_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WATCH_TEST(test_owners_share_one_watch),
        WATCH_TEST(test_last_owner_removes_the_watch),
        WATCH_TEST(test_owner_leaves_from_its_callback),
        WATCH_TEST(test_owner_removes_others_from_its_callback),
        WATCH_TEST(test_last_owner_leaves_from_its_callback),
        WATCH_TEST(test_owner_leaves_and_returns_from_its_callback),
        WATCH_TEST(test_missing_path),
        WATCH_TEST(test_ignored_after_the_directory_goes),
        WATCH_TEST(test_one_dispatch_reads_the_whole_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
