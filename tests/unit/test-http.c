#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"
#include "http_gate.h"
#include "tls_helpers.h"

static int judge(const char *s)
{
    return http_gate_judge(s, strlen(s));
}

static void test_request_lines(void **state)
{
    (void)state;
    assert_int_equal(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 1);
    assert_int_equal(judge("GET / HTTP/1.0\n"), 1);
    assert_int_equal(judge("\r\nHEAD /health?x=%20 HTTP/1.1\r\n"), 1);
    /* A method libmicrohttpd answers with 405 is still a request line. */
    assert_int_equal(judge("BREW /pot HTTP/1.1\r\n"), 1);
    /* The version is libmicrohttpd's to answer (505). */
    assert_int_equal(judge("GET / HTTP/9.9\r\n"), 1);
}

static void test_too_early(void **state)
{
    (void)state;
    assert_int_equal(judge(""), 0);
    assert_int_equal(judge("\r\n"), 0);
    assert_int_equal(judge("GE"), 0);
    assert_int_equal(judge("GET /metr"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1.1"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1.1\r"), 0);
}

static void test_garbage(void **state)
{
    (void)state;
    assert_int_equal(judge("garbage\r\n"), -1);
    assert_int_equal(judge("GET\r\n"), -1);
    assert_int_equal(judge(" GET / HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("GET  / HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("GET / FOO\r\n"), -1);
    assert_int_equal(judge("GET / HTTP/1.1 \r\n"), -1);
    assert_int_equal(judge("GET / HTTP/1.1\rx"), -1);
    assert_int_equal(judge("GET /\x01 HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("G(T / HTTP/1.1\r\n"), -1);
    /* Decided at the first bad byte, without waiting for a line end. */
    assert_int_equal(http_gate_judge("\0\1\2 garbage", 11), -1);
    assert_int_equal(judge("GET / HTTX"), -1);
}

/* A TLS handshake record goes to the TLS server; other 0x16 is garbage. */
static void test_tls_records(void **state)
{
    (void)state;
    assert_int_equal(judge("\x16\x03\x01\x02"), HTTP_GATE_TLS);
    assert_int_equal(http_gate_judge("\x16\x03", 2), HTTP_GATE_TLS);
    assert_int_equal(http_gate_judge("\x16", 1), 0);
    assert_int_equal(judge("\x16\x02\x01"), -1);
    assert_int_equal(judge("\x17\x03\x01"), -1); /* not a handshake */
}

static void test_long_lines(void **state)
{
    static char line[4096];
    (void)state;
    /* A first line longer than the gate looks at goes on to the server,
     * which answers 414 or 431. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    assert_int_equal(http_gate_judge(line, sizeof(line)), 1);
    assert_int_equal(http_gate_judge(line, 100), 0);
    memset(line, 'A', sizeof(line));
    assert_int_equal(http_gate_judge(line, sizeof(line)), 1);
    /* The version cut off where the gate stops looking: still the
     * server's to judge, not a wait until the timeout. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    memcpy(line + 2040, " HTTP/1.1\r\n", 11);
    assert_int_equal(http_gate_judge(line, 2048), 1);
    assert_int_equal(http_gate_judge(line, 2045), 0);
}

/* --- routes, through a real server on loopback --------------------------- */

#define EXCHANGE_DEADLINE_MS 10000

struct exchange {
    struct loop *loop;
    int fd;
    char got[4096];
    size_t n;
    bool timed_out;
};

/* Reads what has arrived; stops the loop once the server closed. */
static void on_client(void *ctx, uint32_t events)
{
    struct exchange *x = ctx;
    (void)events;
    ssize_t n =
        recv(x->fd, x->got + x->n, sizeof(x->got) - 1 - x->n, MSG_DONTWAIT);
    if (n > 0)
        x->n += (size_t)n;
    x->got[x->n] = '\0';
    if (n == 0 || (n < 0 && errno != EAGAIN) || x->n == sizeof(x->got) - 1)
        loop_stop(x->loop);
}

static void on_deadline(void *ctx)
{
    struct exchange *x = ctx;
    x->timed_out = true; /* the timer is gone once it has fired */
    loop_stop(x->loop);
}

/* Sends len bytes of req to ip:port and returns what comes back until
 * the server closes. */
static const char *exchange_bytes(struct loop *l, uint32_t ip, uint16_t port,
                                  const char *req, size_t len,
                                  struct exchange *x)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(ip)};
    *x = (struct exchange){.loop = l};
    x->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(x->fd >= 0);
    assert_int_equal(connect(x->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(x->fd, req, len, 0), (ssize_t)len);
    assert_int_equal(loop_add_fd(l, x->fd, EPOLLIN, on_client, x), 0);
    struct loop_timer *t =
        loop_timer_add(l, EXCHANGE_DEADLINE_MS, on_deadline, x);
    assert_int_equal(loop_run(l), 0);
    if (!x->timed_out)
        loop_timer_cancel(l, t);
    loop_del_fd(l, x->fd);
    close(x->fd);
    assert_false(x->timed_out);
    return x->got;
}

/* Sends one request (with Connection: close) to ip:port and returns the
 * response. */
static const char *exchange_at(struct loop *l, uint32_t ip, uint16_t port,
                               const char *req, struct exchange *x)
{
    return exchange_bytes(l, ip, port, req, strlen(req), x);
}

static const char *exchange(struct loop *l, struct http *s, const char *req,
                            struct exchange *x)
{
    return exchange_at(l, INADDR_LOOPBACK, http_port(s), req, x);
}

static void hello(void *ctx, const struct http_request *req,
                  struct http_reply *rep)
{
    const char *who = http_request_query(req, "who");
    (*(int *)ctx)++;
    rep->status = 202;
    rep->content_type = "text/x-test";
    buf_printf(&rep->body, "hello %s via %s", who ? who : "nobody",
               http_request_method(req));
}

static uint64_t responses(struct http *s, const char *path, int class)
{
    uint64_t by_class[HTTP_STATUS_CLASSES];
    for (size_t i = 0; i < http_n_routes(s); i++)
        if (strcmp(http_route_stats(s, i, by_class), path) == 0)
            return by_class[class];
    fail_msg("no route %s", path);
    return 0;
}

static void test_routes(void **state)
{
    struct loop *l;
    struct http *s;
    struct http_listen where;
    struct exchange x;
    const char *why;
    int calls = 0;
    (void)state;
    assert_int_equal(loop_new(&l), 0);
    assert_int_equal(http_parse_listen("127.0.0.1:0", &where, &why), 0);
    assert_int_equal(http_start(l, &where, &s), 0);
    assert_int_equal(http_route(s, "/hello", hello, &calls), 0);
    assert_int_equal(http_route(s, "/hello", hello, &calls), -EEXIST);

    const char *r = exchange(
        l, s, "GET /hello?who=me HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));
    assert_non_null(strstr(r, "Content-Type: text/x-test\r\n"));
    assert_non_null(strstr(r, "\r\n\r\nhello me via GET"));
    r = exchange(l, s, "POST /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
    r = exchange(l, s, "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    r = exchange(l, s, "not http at all\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 400"));

    assert_int_equal(calls, 1);
    assert_int_equal(http_n_routes(s), 2);
    assert_int_equal(responses(s, "/hello", 2), 1);
    assert_int_equal(responses(s, "/hello", 4), 1); /* the 405 */
    assert_int_equal(responses(s, "other", 4), 2);  /* the 404 and the 400 */
    http_stop(s);
    loop_free(l);
}

/* A listening socket on 127.0.0.1, made as systemd makes them. */
static int listening_socket(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_several_addresses(void **state)
{
    struct loop *l;
    struct http *s;
    struct http_listen where;
    struct exchange x;
    const char *why;
    char name[80], want[80];
    uint16_t port_a;
    int calls = 0, pipefd[2];
    (void)state;
    assert_int_equal(loop_new(&l), 0);
    assert_int_equal(http_start(l, NULL, &s), 0);
    assert_int_equal(http_route(s, "/hello", hello, &calls), 0);
    assert_int_equal(http_n_listeners(s), 0);

    /* A socket passed in, then an address: both answer, in that order. */
    int fd = listening_socket(&port_a);
    assert_int_equal(http_adopt(s, fd), 0);
    assert_int_equal(http_port(s), port_a);
    assert_int_equal(http_parse_listen("127.0.0.2:0", &where, &why), 0);
    assert_int_equal(http_listen_on(s, &where), 0);
    assert_int_equal(http_n_listeners(s), 2);
    assert_false(http_listener_name(s, 0, name, sizeof(name)));
    snprintf(want, sizeof(want), "127.0.0.1:%u", port_a);
    assert_string_equal(name, want);
    assert_false(http_listener_name(s, 1, name, sizeof(name)));
    assert_memory_equal(name, "127.0.0.2:", 10);
    unsigned long port_b = strtoul(name + 10, NULL, 10);
    assert_true(port_b > 0 && port_b < 65536);
    const char *req = "GET /hello?who=a HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert_non_null(strstr(exchange_at(l, INADDR_LOOPBACK, port_a, req, &x),
                           "hello a via GET"));
    assert_non_null(
        strstr(exchange_at(l, INADDR_LOOPBACK + 1, (uint16_t)port_b, req, &x),
               "hello a via GET"));
    assert_int_equal(calls, 2);

    /* What cannot be served on is refused, and left to the caller. */
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(http_adopt(s, pipefd[0]), -ENOTSOCK);
    close(pipefd[0]);
    close(pipefd[1]);
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(http_adopt(s, tcp), -EINVAL); /* not listening */
    close(tcp);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(http_adopt(s, udp), -EINVAL);
    close(udp);
    assert_int_equal(http_listen_on(s, &where), 0); /* port 0: a new one */
    snprintf(want, sizeof(want), "127.0.0.1:%u", port_a);
    assert_int_equal(http_parse_listen(want, &where, &why), 0);
    assert_int_equal(http_listen_on(s, &where), -EADDRINUSE);

    /* A wildcard says so. */
    assert_int_equal(http_parse_listen(":0", &where, &why), 0);
    assert_int_equal(http_listen_on(s, &where), 0);
    assert_true(http_listener_name(s, 3, name, sizeof(name)));
    assert_int_equal(http_parse_listen("127.0.0.1:0", &where, &why), 0);
    while (http_n_listeners(s) < HTTP_MAX_LISTEN)
        assert_int_equal(http_listen_on(s, &where), 0);
    assert_int_equal(http_listen_on(s, &where), -ENOSPC);
    http_stop(s);
    loop_free(l);
}

/* A server on a free loopback port, in a loop of its own. */
static void serve(struct loop **l, struct http **s)
{
    struct http_listen where;
    const char *why;
    assert_int_equal(loop_new(l), 0);
    assert_int_equal(http_parse_listen("127.0.0.1:0", &where, &why), 0);
    assert_int_equal(http_start(*l, &where, s), 0);
}

/* A route for actions: POST and PUT only, 405 with their Allow for GET. */
static void test_post_route(void **state)
{
    struct loop *l;
    struct http *s;
    struct exchange x;
    int calls = 0;
    (void)state;
    serve(&l, &s);
    assert_int_equal(
        http_route_methods(s, "/-/act", HTTP_POST | HTTP_PUT, hello, &calls),
        0);

    const char *r = exchange(
        l, s,
        "POST /-/act HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n"
        "\r\nabc",
        &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));
    assert_non_null(strstr(r, "\r\n\r\nhello nobody via POST"));
    r = exchange(l, s, "PUT /-/act HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "hello nobody via PUT"));
    r = exchange(l, s, "GET /-/act HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_non_null(strstr(r, "Allow: POST, PUT\r\n"));
    assert_non_null(strstr(r, "use POST or PUT"));
    r = exchange(l, s, "DELETE /-/act HTTP/1.1\r\nConnection: close\r\n\r\n",
                 &x);
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_int_equal(calls, 2);
    http_stop(s);
    loop_free(l);
}

static void other(void *ctx, const struct http_request *req,
                  struct http_reply *rep)
{
    (void)req;
    (*(int *)ctx)++;
    buf_puts(&rep->body, "other");
}

/* While replacing, a path served again gets the new handler and ctx and
 * keeps its counts; afterwards it is refused again. */
static void test_replace_routes(void **state)
{
    struct loop *l;
    struct http *s;
    struct exchange x;
    int a = 0, b = 0;
    (void)state;
    serve(&l, &s);
    assert_int_equal(http_route(s, "/r", hello, &a), 0);
    exchange(l, s, "GET /r HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    http_replace_routes(s, true);
    assert_int_equal(http_route(s, "/r", other, &b), 0);
    http_replace_routes(s, false);
    assert_int_equal(http_route(s, "/r", hello, &a), -EEXIST);
    const char *r =
        exchange(l, s, "GET /r HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "\r\n\r\nother"));
    assert_int_equal(a, 1);
    assert_int_equal(b, 1);
    assert_int_equal(http_n_routes(s), 2);
    assert_int_equal(responses(s, "/r", 2), 2);
    http_stop(s);
    loop_free(l);
}

/* A stream of pieces, counting how many were made and whether freed. */
struct pieces {
    int made;
    bool freed;
    struct http *s; /* cut short after the first piece when set */
};

static int piece_next(void *ctx, struct buf *out)
{
    struct pieces *p = ctx;
    p->made++;
    for (int i = 0; i < 8192; i++)
        buf_puts(out, "0123456789abcdef");
    if (p->s != NULL)
        http_end_streams(p->s);
    return p->made < 100 ? 1 : 0;
}

static void piece_free(void *ctx)
{
    ((struct pieces *)ctx)->freed = true;
}

static void streamed(void *ctx, const struct http_request *req,
                     struct http_reply *rep)
{
    (void)req;
    rep->stream = (struct http_stream){piece_next, piece_free, ctx};
}

/* http_end_streams: the answer ends after the piece already made; the
 * stream is asked for nothing more, and freed. */
static void test_end_streams(void **state)
{
    struct loop *l;
    struct http *s;
    struct exchange x;
    (void)state;
    serve(&l, &s);
    struct pieces p = {.s = s};
    assert_int_equal(http_route(s, "/s", streamed, &p), 0);
    exchange(l, s, "GET /s HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_int_equal(p.made, 1);
    http_stop(s);
    assert_true(p.freed);
    loop_free(l);
}

/* Writes text to a fresh file; returns its path (static). */
static const char *web_file(const char *text)
{
    static char path[] = "/tmp/test-http-web-XXXXXX";
    strcpy(path, "/tmp/test-http-web-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* The web configuration applied, a bad one refused with the settings in
 * force kept, none at all, and a public route. */
static void test_web(void **state)
{
    struct loop *l;
    struct http *s;
    struct http_listen where;
    struct exchange x;
    struct buf errors = {0};
    const char *why;
    int calls = 0;
    (void)state;
    assert_int_equal(loop_new(&l), 0);
    assert_int_equal(http_parse_listen("127.0.0.1:0", &where, &why), 0);
    assert_int_equal(http_start(l, &where, &s), 0);
    assert_int_equal(http_route(s, "/hello", hello, &calls), 0);
    assert_int_equal(http_route(s, "/open", hello, &calls), 0);
    assert_int_equal(http_route_public(s, "/open"), 0);
    assert_int_equal(http_route_public(s, "/absent"), -ENOENT);

    /* "fakepassword", exporter-toolkit's dummy hash */
    const char *good = web_file(
        "http_server_config:\n  headers: {X-Frame-Options: deny}\n"
        "basic_auth_users:\n  u: "
        "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n");
    assert_int_equal(http_apply_web(s, good, &errors), 0);
    unlink(good);
    assert_false(http_is_tls(s));
    const char *r =
        exchange(l, s, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 401"));
    assert_non_null(
        strstr(r, "WWW-Authenticate: Basic realm=\"tokentail\"\r\n"));
    assert_non_null(strstr(r, "X-Frame-Options: deny\r\n"));
    static const char authorized[] =
        "GET /hello HTTP/1.1\r\nConnection: close\r\nAuthorization: Basic "
        "dTpmYWtlcGFzc3dvcmQ=\r\n\r\n"; /* u:fakepassword */
    r = exchange(l, s, authorized, &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));
    r = exchange(l, s, "GET /open HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));

    const char *bad = web_file("basic_auth_users:\n  u: plain\n");
    assert_int_equal(http_apply_web(s, bad, &errors), -EINVAL);
    assert_non_null(strstr(errors.data, ":2:6: basic_auth_users: u: not a "
                                        "usable bcrypt hash"));
    unlink(bad);
    r = exchange(l, s, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 401")); /* the old settings stay */

    assert_int_equal(http_apply_web(s, NULL, &errors), 0);
    r = exchange(l, s, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n", &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));
    assert_null(strstr(r, "X-Frame-Options"));
    assert_int_equal(calls, 3);
    buf_free(&errors);
    http_stop(s);
    loop_free(l);
}

/* A web configuration with TLS from p's PEM text, inline. */
static const char *tls_file(const struct pair *p)
{
    static char text[16384];
    size_t n =
        (size_t)snprintf(text, sizeof(text), "tls_server_config:\n  cert: |\n");
    for (const char *line = p->cert; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        n += (size_t)snprintf(text + n, sizeof(text) - n, "    %.*s", (int)len,
                              line);
        line += len;
    }
    n += (size_t)snprintf(text + n, sizeof(text) - n, "  key: |\n");
    for (const char *line = p->key; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        n += (size_t)snprintf(text + n, sizeof(text) - n, "    %.*s", (int)len,
                              line);
        line += len;
    }
    return web_file(text);
}

/* TLS turned on, kept through a bad file, replaced, turned off: plain
 * requests get 400 while it is on, and are served again once it is off.
 * (Handshakes themselves are the integration test's, with curl.) */
static void test_web_tls(void **state)
{
    static struct pair one, two;
    static const char get[] =
        "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    struct loop *l;
    struct http *s;
    struct http_listen where;
    struct exchange x;
    struct buf errors = {0};
    const char *why, *path;
    int calls = 0;
    (void)state;
    make_pair(&one);
    make_pair(&two);
    assert_int_equal(loop_new(&l), 0);
    assert_int_equal(http_parse_listen("127.0.0.1:0", &where, &why), 0);
    assert_int_equal(http_start(l, &where, &s), 0);
    assert_int_equal(http_route(s, "/hello", hello, &calls), 0);

    path = tls_file(&one);
    assert_int_equal(http_apply_web(s, path, &errors), 0);
    unlink(path);
    assert_true(http_is_tls(s));
    const char *r = exchange(l, s, get, &x);
    assert_non_null(strstr(r, "HTTP/1.1 400"));
    assert_non_null(strstr(r, "this server speaks HTTPS"));

    struct pair mixed;
    memcpy(mixed.cert, one.cert, sizeof(mixed.cert));
    memcpy(mixed.key, two.key, sizeof(mixed.key));
    path = tls_file(&mixed);
    assert_int_equal(http_apply_web(s, path, &errors), -EINVAL);
    unlink(path);
    assert_non_null(strstr(errors.data, ":2:9: the certificate and key cannot "
                                        "be used"));
    assert_true(http_is_tls(s)); /* the settings in force stay */

    path = tls_file(&two); /* a new TLS server; the old one stops */
    assert_int_equal(http_apply_web(s, path, &errors), 0);
    unlink(path);
    r = exchange(l, s, get, &x);
    assert_non_null(strstr(r, "HTTP/1.1 400"));

    assert_int_equal(http_apply_web(s, NULL, &errors), 0);
    assert_false(http_is_tls(s));
    r = exchange(l, s, get, &x);
    assert_non_null(strstr(r, "HTTP/1.1 202"));
    /* A TLS record to the plain server: closed without a word. */
    r = exchange_bytes(l, INADDR_LOOPBACK, http_port(s), "\x16\x03\x01", 3, &x);
    assert_int_equal(x.n, 0);
    assert_int_equal(calls, 1);
    buf_free(&errors);
    http_stop(s);
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_lines),
        cmocka_unit_test(test_too_early),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_tls_records),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_web),
        cmocka_unit_test(test_web_tls),
        cmocka_unit_test(test_several_addresses),
        cmocka_unit_test(test_post_route),
        cmocka_unit_test(test_replace_routes),
        cmocka_unit_test(test_end_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
