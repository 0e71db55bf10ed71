/*
 * The notification protocol against a socket of the test's own, bound
 * the way systemd binds its notification socket: datagrams read back
 * byte for byte, with the sender's credentials the kernel attaches. And
 * the environment of socket activation, read as sd_listen_fds() does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sdlisten.h"
#include "sdnotify.h"

/* A receiving socket: a path in a fresh directory, or an abstract name. */
struct receiver {
    int fd;
    char dir[64];
    char name[108]; /* as $NOTIFY_SOCKET says it */
};

static void receiver_open(struct receiver *r, int abstract)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    socklen_t len;
    int on = 1;
    memset(r, 0, sizeof(*r));
    r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(r->fd >= 0);
    assert_int_equal(
        setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
    if (abstract) {
        snprintf(r->name, sizeof(r->name), "@tokentail-test-%ld-%ld",
                 (long)getpid(), (long)time(NULL));
        memcpy(a.sun_path + 1, r->name + 1, strlen(r->name) - 1);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                          strlen(r->name));
    } else {
        snprintf(r->dir, sizeof(r->dir), "/tmp/tokentail-sdnotify-XXXXXX");
        assert_non_null(mkdtemp(r->dir));
        snprintf(r->name, sizeof(r->name), "%s/notify", r->dir);
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", r->name);
        len = sizeof(a);
    }
    assert_int_equal(bind(r->fd, (struct sockaddr *)&a, len), 0);
}

static void receiver_close(struct receiver *r)
{
    close(r->fd);
    if (r->dir[0] != '\0') {
        unlink(r->name);
        rmdir(r->dir);
    }
}

/* The next datagram, without waiting: its text, and the sender's pid. */
static ssize_t receive(struct receiver *r, char *out, size_t cap, pid_t *pid)
{
    union {
        struct cmsghdr h;
        /* cppcheck-suppress unusedStructMember ; it gives the room */
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } control;
    struct iovec iov = {.iov_base = out, .iov_len = cap - 1};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = &control,
                       .msg_controllen = sizeof(control)};
    ssize_t n = recvmsg(r->fd, &m, MSG_DONTWAIT);
    if (n < 0)
        return -errno;
    out[n] = '\0';
    *pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(c), sizeof(u));
            *pid = u.pid;
        }
    return n;
}

static void expect(struct receiver *r, const char *want)
{
    char got[SDNOTIFY_MAX_MESSAGE + 2] = "";
    pid_t pid = 0;
    assert_int_equal(receive(r, got, sizeof(got), &pid), (ssize_t)strlen(want));
    assert_string_equal(got, want);
    assert_int_equal(pid, getpid());
}

static void check_messages(int abstract)
{
    struct receiver r;
    struct sdnotify *n;
    const char *why = NULL;
    char got[256];
    pid_t pid;
    receiver_open(&r, abstract);
    assert_int_equal(sdnotify_new(r.name, NULL, NULL, getpid(), &n, &why), 0);
    assert_non_null(n);
    assert_int_equal(sdnotify_ready(n), 0);
    expect(&r, "READY=1");
    assert_int_equal(sdnotify_status(n, "following 2 files"), 0);
    expect(&r, "STATUS=following 2 files");
    assert_int_equal(sdnotify_watchdog(n), 0);
    expect(&r, "WATCHDOG=1");
    assert_int_equal(sdnotify_stopping(n), 0);
    expect(&r, "STOPPING=1");

    /* MONOTONIC_USEC: the clock now, as CLOCK_MONOTONIC counts it. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long before = (unsigned long long)ts.tv_sec * 1000000 +
                                (unsigned long long)ts.tv_nsec / 1000;
    assert_int_equal(sdnotify_reloading(n), 0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long after = (unsigned long long)ts.tv_sec * 1000000 +
                               (unsigned long long)ts.tv_nsec / 1000;
    assert_true(receive(&r, got, sizeof(got), &pid) > 0);
    static const char head[] = "RELOADING=1\nMONOTONIC_USEC=";
    assert_memory_equal(got, head, sizeof(head) - 1);
    char *end;
    unsigned long long usec = strtoull(got + sizeof(head) - 1, &end, 10);
    assert_int_equal(*end, '\0');
    assert_true(usec >= before && usec <= after);
    char again[64];
    snprintf(again, sizeof(again), "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
    assert_string_equal(got, again);

    /* Nothing more was sent. */
    assert_int_equal(receive(&r, got, sizeof(got), &pid), -EAGAIN);
    sdnotify_free(n);
    receiver_close(&r);
}

static void test_path_socket(void **state)
{
    (void)state;
    check_messages(0);
}

static void test_abstract_socket(void **state)
{
    (void)state;
    check_messages(1);
}

static void test_status_refused(void **state)
{
    struct receiver r;
    struct sdnotify *n;
    const char *why = NULL;
    char big[SDNOTIFY_MAX_MESSAGE + 2];
    (void)state;
    receiver_open(&r, 0);
    assert_int_equal(sdnotify_new(r.name, NULL, NULL, getpid(), &n, &why), 0);
    /* One assignment a line: a newline would start another. */
    assert_int_equal(sdnotify_status(n, "two\nREADY=1"), -EINVAL);
    assert_int_equal(sdnotify_status(n, "x"), 0);
    expect(&r, "STATUS=x");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sdnotify_send(n, big), -EMSGSIZE);
    sdnotify_free(n);
    receiver_close(&r);
}

static void test_no_listener(void **state)
{
    struct sdnotify *n;
    const char *why = NULL;
    (void)state;
    /* A socket name nobody bound: the send fails, nothing stops. */
    assert_int_equal(
        sdnotify_new("/nonexistent/notify", NULL, NULL, getpid(), &n, &why), 0);
    assert_int_equal(sdnotify_ready(n), -ENOENT);
    sdnotify_free(n);
}

static void test_unset_is_a_no_op(void **state)
{
    struct sdnotify *n = (struct sdnotify *)1;
    const char *why = NULL;
    (void)state;
    assert_int_equal(sdnotify_new(NULL, "1000", NULL, 1, &n, &why), 0);
    assert_null(n);
    assert_int_equal(sdnotify_new("", NULL, NULL, 1, &n, &why), 0);
    assert_null(n);
    assert_int_equal(sdnotify_ready(NULL), 0);
    assert_int_equal(sdnotify_reloading(NULL), 0);
    assert_int_equal(sdnotify_status(NULL, "x"), 0);
    assert_int_equal(sdnotify_watchdog_usec(NULL), 0);
    sdnotify_free(NULL);
}

static void bad_env(const char *sock, const char *usec, const char *wpid,
                    const char *reason)
{
    struct sdnotify *n = (struct sdnotify *)1;
    const char *why = NULL;
    assert_int_equal(sdnotify_new(sock, usec, wpid, 42, &n, &why), -EINVAL);
    assert_null(n);
    assert_non_null(why);
    assert_non_null(strstr(why, reason));
}

static void test_bad_environment(void **state)
{
    char longname[200];
    (void)state;
    bad_env("relative/path", NULL, NULL, "absolute path or '@'");
    bad_env("@", NULL, NULL, "absolute path or '@'");
    memset(longname, 'a', sizeof(longname) - 1);
    longname[0] = '/';
    longname[sizeof(longname) - 1] = '\0';
    bad_env(longname, NULL, NULL, "longer than");
    bad_env("/run/notify", "0", NULL, "WATCHDOG_USEC");
    bad_env("/run/notify", "-5", NULL, "WATCHDOG_USEC");
    bad_env("/run/notify", "30s", NULL, "WATCHDOG_USEC");
    bad_env("/run/notify", "99999999999999999999", NULL, "WATCHDOG_USEC");
    bad_env("/run/notify", "1000", "x", "WATCHDOG_PID");
}

static void test_watchdog(void **state)
{
    struct sdnotify *n;
    const char *why = NULL;
    (void)state;
    assert_int_equal(
        sdnotify_new("/run/notify", "30000000", NULL, 42, &n, &why), 0);
    assert_int_equal(sdnotify_watchdog_usec(n), 30000000);
    sdnotify_free(n);
    assert_int_equal(
        sdnotify_new("/run/notify", "30000000", "42", 42, &n, &why), 0);
    assert_int_equal(sdnotify_watchdog_usec(n), 30000000);
    sdnotify_free(n);
    /* Another process is watched: this one sends no keep-alives. */
    assert_int_equal(
        sdnotify_new("/run/notify", "30000000", "41", 42, &n, &why), 0);
    assert_int_equal(sdnotify_watchdog_usec(n), 0);
    sdnotify_free(n);
    assert_int_equal(sdnotify_new("/run/notify", NULL, "42", 42, &n, &why), 0);
    assert_int_equal(sdnotify_watchdog_usec(n), 0);
    sdnotify_free(n);
}

static void test_listen_fds(void **state)
{
    const char *why = NULL;
    (void)state;
    assert_int_equal(sdlisten_count("42", "1", 42, &why), 1);
    assert_int_equal(sdlisten_count("42", "16", 42, &why), 16);
    assert_int_equal(sdlisten_count("42", "17", 42, &why), -EINVAL);
    assert_non_null(strstr(why, "more sockets"));
    assert_int_equal(sdlisten_count(NULL, NULL, 42, &why), -EINVAL);
    assert_non_null(strstr(why, "not set"));
    assert_int_equal(sdlisten_count("42", NULL, 42, &why), -EINVAL);
    assert_int_equal(sdlisten_count("41", "1", 42, &why), -EINVAL);
    assert_non_null(strstr(why, "another process"));
    assert_int_equal(sdlisten_count("42", "0", 42, &why), -EINVAL);
    assert_non_null(strstr(why, "LISTEN_FDS=0"));
    assert_int_equal(sdlisten_count("42", "x", 42, &why), -EINVAL);
    assert_int_equal(sdlisten_count("42", "-1", 42, &why), -EINVAL);
    assert_int_equal(sdlisten_count("", "1", 42, &why), -EINVAL);
    assert_non_null(strstr(why, "numbers"));
}

static void test_listen_env_removed(void **state)
{
    const char *why = NULL;
    char pid[24];
    (void)state;
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "2", 1);
    setenv("LISTEN_FDNAMES", "a:b", 1);
    assert_int_equal(sdlisten_from_env(&why), 2);
    assert_null(getenv("LISTEN_PID"));
    assert_null(getenv("LISTEN_FDS"));
    assert_null(getenv("LISTEN_FDNAMES"));
    assert_int_equal(sdlisten_from_env(&why), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),
        cmocka_unit_test(test_status_refused),
        cmocka_unit_test(test_no_listener),
        cmocka_unit_test(test_unset_is_a_no_op),
        cmocka_unit_test(test_bad_environment),
        cmocka_unit_test(test_watchdog),
        cmocka_unit_test(test_listen_fds),
        cmocka_unit_test(test_listen_env_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
