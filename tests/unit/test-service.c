/*
 * What the daemon tells systemd over its life: the status line's words
 * and figures exactly, and the messages a real loop sends to a socket of
 * the test's own: READY=1 with a status line, WATCHDOG=1 from the loop's
 * timer, RELOADING=1, STOPPING=1 and nothing after it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"
#include "service.h"

#define TEST_WATCHDOG_USEC "20000" /* keep-alives every 10 ms */
#define TEST_RUN_MS        200     /* how long the loop runs */
#define TEST_MAX_MESSAGES  256
#define TEST_PATH_MAX      108 /* sun_path's size */

static void line(uint64_t prev_lines, uint64_t prev_ms, uint64_t files,
                 uint64_t lines, uint64_t now_ms, time_t ckpt, time_t wall,
                 const char *want)
{
    struct service_sample a = {.lines = prev_lines};
    struct service_sample b = {
        .files = files, .lines = lines, .checkpoint = ckpt};
    char out[SERVICE_STATUS_MAX];
    service_status_line(&a, prev_ms, &b, now_ms, wall, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_status_line(void **state)
{
    (void)state;
    line(0, 1000, 3, 25, 3000, 1700000000, 1700000004,
         "following 3 files, 12.5 lines/s, last checkpoint 4s ago");
    line(100, 0, 1, 100, 2000, 0, 1700000000,
         "following 1 file, 0.0 lines/s, no checkpoint yet");
    /* Rounded to the nearest tenth: 1/3 and 2/3 of a line a second. */
    line(0, 0, 0, 1, 3000, 5, 5,
         "following 0 files, 0.3 lines/s, last checkpoint 0s ago");
    line(0, 0, 0, 2, 3000, 5, 5,
         "following 0 files, 0.7 lines/s, last checkpoint 0s ago");
    line(0, 0, 2, 1000000, 1000, 10, 9,
         "following 2 files, 1000000.0 lines/s, last checkpoint 0s ago");
    /* No time between the two: no rate to tell. */
    line(0, 500, 2, 10, 500, 10, 12,
         "following 2 files, 0.0 lines/s, last checkpoint 2s ago");
}

/* --- against a socket ---------------------------------------------------- */

struct run {
    struct loop *loop;
    struct service *service;
    int phase;
    uint64_t lines;
    int fd; /* the manager's end */
    char msgs[TEST_MAX_MESSAGES][128];
    size_t n;
};

/* Read as they come, as the manager does: its queue is short. */
static void on_message(void *ctx, uint32_t events)
{
    struct run *r = ctx;
    ssize_t len;
    (void)events;
    while (r->n < TEST_MAX_MESSAGES &&
           (len = recv(r->fd, r->msgs[r->n], sizeof(r->msgs[0]) - 1,
                       MSG_DONTWAIT)) > 0)
        r->msgs[r->n++][len] = '\0';
}

static void sample(void *ctx, struct service_sample *out)
{
    struct run *r = ctx;
    *out = (struct service_sample){.files = 2, .lines = r->lines};
}

static void on_step(void *ctx)
{
    struct run *r = ctx;
    if (r->phase++ == 0) {
        service_reloading(r->service);
        service_ready(r->service);
        loop_timer_add(r->loop, TEST_RUN_MS / 2, on_step, r);
        return;
    }
    service_stopping(r->service);
    loop_stop(r->loop);
}

/* The manager's end: a datagram socket bound in a new directory dir
 * (a mkdtemp template), named in NOTIFY_SOCKET. Returns its descriptor. */
static int manager_socket(char *dir, char path[TEST_PATH_MAX])
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    assert_non_null(mkdtemp(dir));
    snprintf(path, TEST_PATH_MAX, "%s/notify", dir);
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setenv("NOTIFY_SOCKET", path, 1);
    return fd;
}

/* Closes what manager_socket() made and clears the environment. */
static void manager_close(int fd, const char *dir, const char *path)
{
    close(fd);
    unlink(path);
    rmdir(dir);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

static void test_messages(void **state)
{
    char dir[] = "/tmp/tokentail-service-XXXXXX", path[TEST_PATH_MAX];
    static struct run r; /* too large for the stack of a test */
    (void)state;
    int fd = manager_socket(dir, path);
    setenv("WATCHDOG_USEC", TEST_WATCHDOG_USEC, 1);
    unsetenv("WATCHDOG_PID");

    assert_int_equal(loop_new(&r.loop), 0);
    r.fd = fd;
    assert_int_equal(loop_add_fd(r.loop, fd, EPOLLIN, on_message, &r), 0);
    assert_int_equal(service_new(r.loop, sample, &r, &r.service), 0);
    assert_non_null(r.service);
    service_ready(r.service);
    loop_timer_add(r.loop, TEST_RUN_MS / 2, on_step, &r);
    assert_int_equal(loop_run(r.loop), 0);

    /* READY=1 STATUS= WATCHDOG=1 ... RELOADING=1 READY=1 ... STOPPING=1 */
    const char *order[] = {"READY=1",     "STATUS=", "WATCHDOG=1",
                           "RELOADING=1", "READY=1", "STOPPING=1"};
    size_t next = 0, watchdogs = 0;
    on_message(&r, 0); /* what the last pass left */
    assert_true(r.n < TEST_MAX_MESSAGES);
    for (size_t i = 0; i < r.n; i++) {
        const char *msg = r.msgs[i];
        if (strcmp(msg, "WATCHDOG=1") == 0)
            watchdogs++;
        if (next < 6 && strncmp(msg, order[next], strlen(order[next])) == 0)
            next++;
        else
            assert_true(strcmp(msg, "WATCHDOG=1") == 0 ||
                        strncmp(msg, "STATUS=", 7) == 0);
        if (strncmp(msg, "STATUS=", 7) == 0)
            assert_string_equal(msg, "STATUS=following 2 files, 0.0 lines/s, "
                                     "no checkpoint yet");
    }
    assert_int_equal(next, 6);
    assert_string_equal(r.msgs[r.n - 1], "STOPPING=1"); /* the last */
    /* Every 10 ms over 200: at least a few, however slow the machine. */
    assert_true(watchdogs >= 3);
    assert_true(watchdogs <= TEST_RUN_MS / 10 + 2);

    service_free(r.service);
    loop_free(r.loop);
    manager_close(fd, dir, path);
}

static void test_outside_systemd(void **state)
{
    struct loop *l;
    struct service *s = (struct service *)1;
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(loop_new(&l), 0);
    assert_int_equal(service_new(l, sample, NULL, &s), 0);
    assert_null(s);
    service_ready(NULL);
    service_reloading(NULL);
    service_stopping(NULL);
    service_free(NULL);
    /* A name that cannot be used: a warning, and no link. */
    setenv("NOTIFY_SOCKET", "relative", 1);
    assert_int_equal(service_new(l, sample, NULL, &s), 0);
    assert_null(s);
    unsetenv("NOTIFY_SOCKET");
    loop_free(l);
}

static void sample_nothing(void *ctx, struct service_sample *out)
{
    (void)ctx;
    *out = (struct service_sample){0};
}

/*
 * A watchdog variable that cannot be used costs the keep-alives, not the
 * link: READY=1 still goes out, or a Type=notify unit would never start.
 */
static void test_bad_watchdog(void **state)
{
    char dir[] = "/tmp/tokentail-service-XXXXXX", path[TEST_PATH_MAX];
    char msg[64];
    struct loop *l;
    struct service *s = NULL;
    (void)state;
    int fd = manager_socket(dir, path);
    assert_int_equal(loop_new(&l), 0);
    const char *bad[][2] = {{"30s", NULL}, {"0", NULL}, {"1000", "x"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("WATCHDOG_USEC", bad[i][0], 1);
        if (bad[i][1] != NULL)
            setenv("WATCHDOG_PID", bad[i][1], 1);
        else
            unsetenv("WATCHDOG_PID");
        assert_int_equal(service_new(l, sample_nothing, NULL, &s), 0);
        assert_non_null(s);
        service_stopping(s); /* no timers, one datagram */
        ssize_t n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
        assert_int_equal(n, (ssize_t)strlen("STOPPING=1"));
        msg[n] = '\0';
        assert_string_equal(msg, "STOPPING=1");
        service_free(s);
    }
    loop_free(l);
    manager_close(fd, dir, path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_outside_systemd),
        cmocka_unit_test(test_bad_watchdog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
