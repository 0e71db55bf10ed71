#include "http_gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"

#define GATE_TICK_MS      1000 /* deadlines of waiting connections: checked */
#define GATE_ACCEPT_BATCH 64   /* connections accepted per wake-up, at most */

/* A new connection whose request line has not arrived yet. */
struct gate_conn {
    struct http_gate *gate;
    int fd; /* -1: a free place */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t deadline_ms;
};

/* A listening socket. */
struct gate_listener {
    struct http_gate *gate;
    int fd;
};

struct http_gate {
    struct loop *loop;
    struct http_gate_ops ops;
    struct gate_listener listeners[HTTP_MAX_LISTEN];
    size_t n_listeners;
    struct gate_conn conns[HTTP_CONN_LIMIT];
    size_t n_waiting;
    struct loop_timer *timer;
};

/* --- judging the first line ---------------------------------------------- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* 1: the bytes begin a well-formed request line; -1: they cannot; 0: they
 * may, once more bytes arrive. */
static int judge_line(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == '\r' || p[i] == '\n')) /* empty lines first */
        i++;
    size_t start = i;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == n)
        return 0;
    if (i == start || p[i] != ' ')
        return -1;
    size_t target = ++i;
    while (i < n && (unsigned char)p[i] > ' ' && (unsigned char)p[i] < 0x7f)
        i++;
    if (i == n)
        return 0;
    if (i == target || p[i] != ' ')
        return -1;
    i++;
    static const char version[] = "HTTP/d.d";
    for (size_t k = 0; k < sizeof(version) - 1; k++, i++) {
        if (i == n)
            return 0;
        bool ok =
            version[k] == 'd' ? p[i] >= '0' && p[i] <= '9' : p[i] == version[k];
        if (!ok)
            return -1;
    }
    if (i < n && p[i] == '\r')
        i++;
    if (i == n)
        return 0;
    return p[i] == '\n' ? 1 : -1;
}

/*
 * Judges the first bytes of a connection: 1 when they begin a well-formed
 * request line, -1 when they cannot, 0 when it is too early to tell. The
 * gate peeks at HTTP_GATE_PEEK bytes at most: a line still undecided there is
 * libmicrohttpd's to judge (414, 431), never a wait for more.
 */
int http_gate_judge(const char *p, size_t n)
{
    if (n > 0 && p[0] == 0x16) /* a TLS record of type handshake */
        return n == 1 ? 0 : p[1] == 0x03 ? HTTP_GATE_TLS : -1;
    int v = judge_line(p, n);
    return v == 0 && n >= HTTP_GATE_PEEK ? 1 : v;
}

/* --- connections waiting ------------------------------------------------ */

static void gate_close(struct gate_conn *g)
{
    loop_del_fd(g->gate->loop, g->fd);
    close(g->fd);
    g->fd = -1;
    g->gate->n_waiting--;
}

static void gate_reject(struct gate_conn *g)
{
    static const char body[] = "400 bad request: not an HTTP request line\n";
    char msg[256];
    int len = snprintf(msg, sizeof(msg),
                       "HTTP/1.1 400 Bad Request\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       sizeof(body) - 1, body);
    /* A few hundred bytes fit in any socket buffer. Then what the client
     * sent is read and dropped, so that closing does not reset the
     * connection before the answer arrives. */
    if (send(g->fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) == len)
        g->gate->ops.rejected(g->gate->ops.ctx);
    shutdown(g->fd, SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 64; i++)
        if (recv(g->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
            break;
    gate_close(g);
}

static void gate_pass(struct gate_conn *g, bool tls)
{
    struct http_gate *gate = g->gate;
    int fd = g->fd;
    loop_del_fd(gate->loop, fd);
    g->fd = -1;
    gate->n_waiting--;
    (tls ? gate->ops.pass_tls : gate->ops.pass)(
        gate->ops.ctx, fd, (const struct sockaddr *)&g->addr, g->addr_len);
}

static void on_gate_ready(void *ctx, uint32_t events)
{
    struct gate_conn *g = ctx;
    char head[HTTP_GATE_PEEK];
    (void)events;
    ssize_t n = recv(g->fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        gate_close(g); /* closed before a request: nothing to answer */
        return;
    }
    int verdict = http_gate_judge(head, (size_t)n);
    if (verdict > 0)
        gate_pass(g, verdict == HTTP_GATE_TLS);
    else if (verdict < 0)
        gate_reject(g);
}

static void on_gate_timer(void *ctx)
{
    struct http_gate *gate = ctx;
    uint64_t now = loop_now_ms();
    gate->timer = NULL;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        if (gate->conns[i].fd >= 0 && gate->conns[i].deadline_ms <= now)
            gate_close(&gate->conns[i]);
    if (gate->n_waiting > 0)
        gate->timer =
            loop_timer_add(gate->loop, GATE_TICK_MS, on_gate_timer, gate);
}

static bool same_host(const struct sockaddr_storage *a,
                      const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

/* A place for a new connection from addr, or NULL over the limits. */
static struct gate_conn *gate_place(struct http_gate *gate,
                                    const struct sockaddr_storage *addr)
{
    struct gate_conn *free_place = NULL;
    size_t same = 0;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++) {
        if (gate->conns[i].fd < 0)
            free_place = free_place ? free_place : &gate->conns[i];
        else if (same_host(&gate->conns[i].addr, addr))
            same++;
    }
    return same < HTTP_PER_IP_LIMIT ? free_place : NULL;
}

static void on_accept(void *ctx, uint32_t events)
{
    const struct gate_listener *listener = ctx;
    struct http_gate *gate = listener->gate;
    (void)events;
    for (int k = 0; k < GATE_ACCEPT_BATCH; k++) {
        struct sockaddr_storage addr = {0};
        socklen_t len = sizeof(addr);
        int fd = accept4(listener->fd, (struct sockaddr *)&addr, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_debug("http: accept: %s", strerror(errno));
            return;
        }
        struct gate_conn *g = gate_place(gate, &addr);
        if (g == NULL) {
            log_debug("http: too many connections waiting; one refused");
            close(fd);
            continue;
        }
        *g = (struct gate_conn){.gate = gate,
                                .fd = fd,
                                .addr = addr,
                                .addr_len = len,
                                .deadline_ms =
                                    loop_now_ms() + HTTP_CONN_TIMEOUT * 1000};
        /* Edge-triggered: peeking leaves the bytes, so only new ones may
         * wake it again. Adding reports what is already there. */
        if (loop_add_fd(gate->loop, fd, EPOLLIN | EPOLLRDHUP | EPOLLET,
                        on_gate_ready, g) != 0) {
            close(fd);
            g->fd = -1;
            continue;
        }
        gate->n_waiting++;
        if (gate->timer == NULL)
            gate->timer =
                loop_timer_add(gate->loop, GATE_TICK_MS, on_gate_timer, gate);
    }
}

/* --- the listening socket ------------------------------------------------ */

/* The port a socket is bound to; 0 for none, or not an IP socket. */
static uint16_t bound_port(int fd)
{
    struct sockaddr_storage addr = {0};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        return 0;
    if (addr.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return 0;
}

/* The listening socket: every address (IPv6 and IPv4) or the one given. */
static int listen_socket(const struct http_listen *l, uint16_t *port)
{
    struct sockaddr_storage addr = l->addr;
    socklen_t len = l->addr_len;
    if (l->any) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
        memset(&addr, 0, sizeof(addr));
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_any;
        a6->sin6_port = htons(l->port);
        len = sizeof(*a6);
    }
    int fd =
        socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && l->any && errno == EAFNOSUPPORT) {
        /* No IPv6 here: every IPv4 address. */
        struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
        memset(&addr, 0, sizeof(addr));
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
        a4->sin_port = htons(l->port);
        len = sizeof(*a4);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return -errno;
    int on = 1, off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, l->any ? &off : &on,
                   sizeof(int));
    /* A long queue: connections over the limits are accepted and closed
     * at once rather than left to retry their SYN for seconds. */
    if (bind(fd, (struct sockaddr *)&addr, len) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *port = bound_port(fd);
    return fd;
}

/* Accepts on fd (taken when it returns 0, left open otherwise). */
static int gate_add(struct http_gate *gate, int fd)
{
    if (gate->n_listeners == HTTP_MAX_LISTEN)
        return -ENOSPC;
    struct gate_listener *l = &gate->listeners[gate->n_listeners];
    *l = (struct gate_listener){.gate = gate, .fd = fd};
    int rc = loop_add_fd(gate->loop, fd, EPOLLIN, on_accept, l);
    if (rc == 0)
        gate->n_listeners++;
    return rc;
}

int http_gate_new(struct loop *loop, const struct http_listen *l,
                  const struct http_gate_ops *ops, uint16_t *port,
                  struct http_gate **out)
{
    struct http_gate *gate = calloc(1, sizeof(*gate));
    if (gate == NULL)
        return -ENOMEM;
    gate->loop = loop;
    gate->ops = *ops;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        gate->conns[i].fd = -1;
    int rc = l ? http_gate_listen(gate, l, port) : 0;
    if (rc != 0) {
        free(gate);
        return rc;
    }
    *out = gate;
    return 0;
}

int http_gate_listen(struct http_gate *gate, const struct http_listen *l,
                     uint16_t *port)
{
    if (gate->n_listeners == HTTP_MAX_LISTEN)
        return -ENOSPC;
    int fd = listen_socket(l, port);
    if (fd < 0)
        return fd == -EADDRNOTAVAIL ? -EADDRINUSE : fd;
    int rc = gate_add(gate, fd);
    if (rc != 0)
        close(fd);
    return rc;
}

int http_gate_adopt(struct http_gate *gate, int fd, uint16_t *port)
{
    int type = 0, listening = 0;
    socklen_t len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return -errno;
    len = sizeof(int);
    if (type != SOCK_STREAM ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening)
        return -EINVAL;
    /* Accepting must not block the loop, nor the socket leak into the
     * programs the daemon may start. */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return -errno;
    *port = bound_port(fd);
    return gate_add(gate, fd);
}

size_t http_gate_n_listeners(const struct http_gate *gate)
{
    return gate->n_listeners;
}

bool http_gate_name(const struct http_gate *gate, size_t i, char *out,
                    size_t cap)
{
    struct sockaddr_storage a = {0};
    socklen_t len = sizeof(a);
    char host[INET6_ADDRSTRLEN] = "?";
    if (getsockname(gate->listeners[i].fd, (struct sockaddr *)&a, &len) != 0)
        a.ss_family = AF_UNSPEC;
    if (a.ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
        snprintf(out, cap, "%s:%u", host, ntohs(a4->sin_port));
        return a4->sin_addr.s_addr == htonl(INADDR_ANY);
    }
    if (a.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
        snprintf(out, cap, "[%s]:%u", host, ntohs(a6->sin6_port));
        return IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
    }
    snprintf(out, cap, "%s", a.ss_family == AF_UNIX ? "unix:" : "?");
    return false;
}

void http_gate_free(struct http_gate *gate)
{
    if (gate == NULL)
        return;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        if (gate->conns[i].fd >= 0)
            gate_close(&gate->conns[i]);
    loop_timer_cancel(gate->loop, gate->timer);
    for (size_t i = 0; i < gate->n_listeners; i++) {
        loop_del_fd(gate->loop, gate->listeners[i].fd);
        close(gate->listeners[i].fd);
    }
    free(gate);
}
