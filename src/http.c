#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

#include "expfmt.h"
#include "log.h"

/* A new connection whose request line has not arrived yet. */
struct gate_conn {
    struct http *s;
    int fd; /* -1: a free place */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    uint64_t deadline_ms;
};

struct http {
    struct MHD_Daemon *mhd;
    struct loop *loop;
    struct loop_timer *timer;
    struct http_handlers h;
    struct http_stats stats;
    int epfd;
    int listen_fd;
    uint16_t port;
    struct gate_conn gate[HTTP_CONN_LIMIT];
    size_t n_gate;
    struct loop_timer *gate_timer;
};

static const char *const route_names[HTTP_ROUTE_COUNT] = {
    [HTTP_ROUTE_METRICS] = "/metrics",
    [HTTP_ROUTE_HEALTH] = "/health",
    [HTTP_ROUTE_INDEX] = "/",
    [HTTP_ROUTE_OTHER] = "other",
};

const char *http_route_name(enum http_route r)
{
    return route_names[r];
}

/* --- listen address ------------------------------------------------------ */

int http_parse_listen(const char *s, struct http_listen *out, const char **why)
{
    const char *colon = strrchr(s, ':');
    char host[256];
    size_t host_len;

    memset(out, 0, sizeof(*out));
    if (colon == NULL) {
        *why = "expected [HOST]:PORT";
        return -EINVAL;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535) {
        *why = "the port must be a number from 0 to 65535";
        return -EINVAL;
    }
    out->port = (uint16_t)port;
    host_len = (size_t)(colon - s);
    if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
        s++;
        host_len -= 2;
    } else if (memchr(s, ':', host_len) != NULL) {
        *why = "an IPv6 address must be in brackets: [::1]:8653";
        return -EINVAL;
    }
    if (host_len == 0) {
        out->any = true;
        return 0;
    }
    if (host_len >= sizeof(host)) {
        *why = "the host name is too long";
        return -EINVAL;
    }
    memcpy(host, s, host_len);
    host[host_len] = '\0';

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        *why = "the host does not resolve to an address";
        return -EINVAL;
    }
    memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
    out->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    if (out->addr.ss_family == AF_INET)
        ((struct sockaddr_in *)&out->addr)->sin_port = htons(out->port);
    else
        ((struct sockaddr_in6 *)&out->addr)->sin6_port = htons(out->port);
    return 0;
}

/* --- requests ------------------------------------------------------------ */

static const char index_page[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokentail"
    "</title></head>\n<body><h1>tokentail</h1>\n<p>Prometheus metrics from "
    "JSON logs.</p>\n<ul><li><a href=\"metrics\">/metrics</a></li>\n"
    "<li><a href=\"health\">/health</a></li></ul>\n</body></html>\n";

static enum MHD_Result respond(struct http *s, struct MHD_Connection *c,
                               enum http_route route, unsigned code,
                               const char *type, char *body, size_t len,
                               bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    if (code / 100 < 6)
        s->stats.responses[route][code / 100]++;
    return rc;
}

static enum MHD_Result respond_text(struct http *s, struct MHD_Connection *c,
                                    enum http_route route, unsigned code,
                                    const char *text)
{
    return respond(s, c, route, code, "text/plain; charset=utf-8", (char *)text,
                   strlen(text), false);
}

/* Sends what out holds (taking it), or 500 if building it ran out of memory. */
static enum MHD_Result respond_buf(struct http *s, struct MHD_Connection *c,
                                   enum http_route route, unsigned code,
                                   const char *type, struct buf *out)
{
    if (out->oom) {
        buf_free(out);
        return respond_text(s, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "500 out of memory\n");
    }
    size_t len;
    char *body = buf_release(out, &len);
    return respond(s, c, route, code, type, body ? body : strdup(""), len,
                   true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct http *s = cls;
    enum http_route route = HTTP_ROUTE_OTHER;
    (void)version;
    (void)upload;

    /* The first call only announces the request: answering from the
     * second on lets libmicrohttpd keep the connection alive. */
    if (*req_cls == NULL) {
        *req_cls = s;
        return MHD_YES;
    }
    /* A body nobody asked for is read and dropped. */
    if (*upload_size != 0) {
        *upload_size = 0;
        return MHD_YES;
    }

    if (strcmp(url, "/metrics") == 0)
        route = HTTP_ROUTE_METRICS;
    else if (strcmp(url, "/health") == 0)
        route = HTTP_ROUTE_HEALTH;
    else if (strcmp(url, "/") == 0)
        route = HTTP_ROUTE_INDEX;

    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(s, c, route, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "405 method not allowed: use GET or HEAD\n");

    struct buf out = {0};
    switch (route) {
    case HTTP_ROUTE_METRICS:
        s->h.metrics(s->h.ctx, &out);
        return respond_buf(s, c, route, MHD_HTTP_OK, EXPFMT_CONTENT_TYPE, &out);
    case HTTP_ROUTE_HEALTH: {
        bool healthy = s->h.health(s->h.ctx, &out);
        return respond_buf(s, c, route,
                           healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                           "application/json", &out);
    }
    case HTTP_ROUTE_INDEX:
        return respond(s, c, route, MHD_HTTP_OK, "text/html; charset=utf-8",
                       (char *)index_page, sizeof(index_page) - 1, false);
    default:
        return respond_text(s, c, route, MHD_HTTP_NOT_FOUND,
                            "404 not found: try /metrics or /health\n");
    }
}

/* --- running inside the loop --------------------------------------------- */

static void run_mhd(struct http *s);

static void on_timer(void *ctx)
{
    struct http *s = ctx;
    s->timer = NULL;
    run_mhd(s);
}

static void run_mhd(struct http *s)
{
    MHD_UNSIGNED_LONG_LONG ms;
    MHD_run(s->mhd);
    loop_timer_cancel(s->loop, s->timer);
    s->timer = NULL;
    if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
        s->timer = loop_timer_add(s->loop, (uint64_t)ms, on_timer, s);
}

static void on_ready(void *ctx, uint32_t events)
{
    (void)events;
    run_mhd(ctx);
}

/* --- the request-line gate ------------------------------------------------
 *
 * libmicrohttpd 0.9 closes a connection whose request line has no spaces
 * without a word, and waits out its timeout on one with a NUL in it. So
 * tokentail accepts connections itself and looks at the first line before
 * handing a connection over: a line that is not METHOD SP TARGET SP
 * HTTP/d.d gets 400 at once. The bytes are only peeked at, so
 * libmicrohttpd reads the request from its start. Waiting connections are
 * bounded like the others (in number, per address, in time).
 */

#define GATE_PEEK 2048 /* a longer first line is libmicrohttpd's to judge */

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
 * gate peeks at GATE_PEEK bytes at most: a line still undecided there is
 * libmicrohttpd's to judge (414, 431), never a wait for more.
 */
int http_gate_judge(const char *p, size_t n)
{
    int v = judge_line(p, n);
    return v == 0 && n >= GATE_PEEK ? 1 : v;
}

static void gate_close(struct gate_conn *g)
{
    loop_del_fd(g->s->loop, g->fd);
    close(g->fd);
    g->fd = -1;
    g->s->n_gate--;
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
        g->s->stats.responses[HTTP_ROUTE_OTHER][4]++;
    shutdown(g->fd, SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 64; i++)
        if (recv(g->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
            break;
    gate_close(g);
}

static void gate_pass(struct gate_conn *g)
{
    struct http *s = g->s;
    loop_del_fd(s->loop, g->fd);
    /* On failure libmicrohttpd closes the socket itself. */
    if (MHD_add_connection(s->mhd, g->fd, (const struct sockaddr *)&g->addr,
                           g->addr_len) != MHD_YES)
        log_debug("http: connection refused by the server's limits");
    g->fd = -1;
    s->n_gate--;
    run_mhd(s);
}

static void on_gate_ready(void *ctx, uint32_t events)
{
    struct gate_conn *g = ctx;
    char head[GATE_PEEK];
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
        gate_pass(g);
    else if (verdict < 0)
        gate_reject(g);
}

static void on_gate_timer(void *ctx)
{
    struct http *s = ctx;
    uint64_t now = loop_now_ms();
    s->gate_timer = NULL;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        if (s->gate[i].fd >= 0 && s->gate[i].deadline_ms <= now)
            gate_close(&s->gate[i]);
    if (s->n_gate > 0)
        s->gate_timer = loop_timer_add(s->loop, 1000, on_gate_timer, s);
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
static struct gate_conn *gate_place(struct http *s,
                                    const struct sockaddr_storage *addr)
{
    struct gate_conn *free_place = NULL;
    size_t same = 0;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++) {
        if (s->gate[i].fd < 0)
            free_place = free_place ? free_place : &s->gate[i];
        else if (same_host(&s->gate[i].addr, addr))
            same++;
    }
    return same < HTTP_PER_IP_LIMIT ? free_place : NULL;
}

static void on_accept(void *ctx, uint32_t events)
{
    struct http *s = ctx;
    (void)events;
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage addr = {0};
        socklen_t len = sizeof(addr);
        int fd = accept4(s->listen_fd, (struct sockaddr *)&addr, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                log_debug("http: accept: %s", strerror(errno));
            return;
        }
        struct gate_conn *g = gate_place(s, &addr);
        if (g == NULL) {
            log_debug("http: too many connections waiting; one refused");
            close(fd);
            continue;
        }
        *g = (struct gate_conn){.s = s,
                                .fd = fd,
                                .addr = addr,
                                .addr_len = len,
                                .deadline_ms =
                                    loop_now_ms() + HTTP_CONN_TIMEOUT * 1000};
        /* Edge-triggered: peeking leaves the bytes, so only new ones may
         * wake it again. Adding reports what is already there. */
        if (loop_add_fd(s->loop, fd, EPOLLIN | EPOLLRDHUP | EPOLLET,
                        on_gate_ready, g) != 0) {
            close(fd);
            g->fd = -1;
            continue;
        }
        s->n_gate++;
        if (s->gate_timer == NULL)
            s->gate_timer = loop_timer_add(s->loop, 1000, on_gate_timer, s);
    }
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
    len = sizeof(addr);
    getsockname(fd, (struct sockaddr *)&addr, &len);
    *port = ntohs(addr.ss_family == AF_INET
                      ? ((struct sockaddr_in *)&addr)->sin_port
                      : ((struct sockaddr_in6 *)&addr)->sin6_port);
    return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_debug("http: %s", msg);
}

int http_start(struct loop *l, const struct http_listen *listen,
               const struct http_handlers *h, struct http **out)
{
    struct http *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->loop = l;
    s->h = *h;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        s->gate[i].fd = -1;
    s->listen_fd = listen_socket(listen, &s->port);
    if (s->listen_fd < 0) {
        int rc = s->listen_fd;
        free(s);
        return rc == -EADDRNOTAVAIL ? -EADDRINUSE : rc;
    }

    /* Connections come from the gate (MHD_add_connection). */
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY_LIMIT, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    s->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET, 0, NULL,
        NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->mhd ? MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    int rc = info == NULL ? -ENOTSUP : 0;
    if (rc == 0) {
        s->epfd = info->epoll_fd;
        rc = loop_add_fd(l, s->epfd, EPOLLIN, on_ready, s);
    }
    if (rc == 0 && (rc = loop_add_fd(l, s->listen_fd, EPOLLIN, on_accept, s)))
        loop_del_fd(l, s->epfd);
    if (rc != 0) {
        if (s->mhd)
            MHD_stop_daemon(s->mhd);
        close(s->listen_fd);
        free(s);
        return rc;
    }
    run_mhd(s);
    *out = s;
    return 0;
}

uint16_t http_port(const struct http *s)
{
    return s->port;
}

const struct http_stats *http_stats(const struct http *s)
{
    return &s->stats;
}

void http_stop(struct http *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < HTTP_CONN_LIMIT; i++)
        if (s->gate[i].fd >= 0)
            gate_close(&s->gate[i]);
    loop_timer_cancel(s->loop, s->gate_timer);
    loop_del_fd(s->loop, s->listen_fd);
    close(s->listen_fd);
    loop_del_fd(s->loop, s->epfd);
    loop_timer_cancel(s->loop, s->timer);
    MHD_stop_daemon(s->mhd);
    free(s);
}
