#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <microhttpd.h>

#include "expfmt.h"
#include "log.h"

struct http {
    struct MHD_Daemon *mhd;
    struct loop *loop;
    struct loop_timer *timer;
    struct http_handlers h;
    struct http_stats stats;
    int epfd;
    uint16_t port;
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

    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (listen->any)
        flags |= MHD_USE_DUAL_STACK;
    else if (listen->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;

    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY_LIMIT, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 64, NULL},
        {listen->any ? MHD_OPTION_END : MHD_OPTION_SOCK_ADDR, 0,
         (void *)&listen->addr},
        {MHD_OPTION_END, 0, NULL},
    };
    s->mhd = MHD_start_daemon(flags, listen->port, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                              MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (s->mhd == NULL) {
        free(s);
        return -EADDRINUSE;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *port =
        MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL) {
        MHD_stop_daemon(s->mhd);
        free(s);
        return -ENOTSUP;
    }
    s->epfd = info->epoll_fd;
    s->port = port ? port->port : listen->port;
    int rc = loop_add_fd(l, s->epfd, EPOLLIN, on_ready, s);
    if (rc != 0) {
        MHD_stop_daemon(s->mhd);
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
    loop_del_fd(s->loop, s->epfd);
    loop_timer_cancel(s->loop, s->timer);
    MHD_stop_daemon(s->mhd);
    free(s);
}
