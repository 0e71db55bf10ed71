#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <microhttpd.h>

#include "auth.h"
#include "gzip.h"
#include "http_gate.h"
#include "http_private.h"
#include "log.h"
#include "loop.h"
#include "tls.h"
#include "webconfig.h"

#define HTTP_STREAM_BLOCK 65536 /* bytes libmicrohttpd asks a stream for */

struct http_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
};

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

/* --- routes ------------------------------------------------------------- */

int http_route_methods(struct http *s, const char *path, unsigned methods,
                       http_handler fn, void *ctx)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        struct route *r = &s->routes[i];
        if (strcmp(r->path, path) != 0)
            continue;
        if (!s->replacing)
            return -EEXIST;
        r->methods = methods;
        r->fn = fn;
        r->ctx = ctx;
        return 0;
    }
    if (s->n_routes == HTTP_MAX_ROUTES)
        return -ENOSPC;
    s->routes[s->n_routes++] =
        (struct route){.path = path, .methods = methods, .fn = fn, .ctx = ctx};
    return 0;
}

int http_route(struct http *s, const char *path, http_handler fn, void *ctx)
{
    return http_route_methods(s, path, HTTP_GET, fn, ctx);
}

void http_replace_routes(struct http *s, bool on)
{
    s->replacing = on;
}

void http_end_streams(struct http *s)
{
    s->generation++;
}

size_t http_n_routes(const struct http *s)
{
    return s->n_routes + 1;
}

const char *http_route_stats(const struct http *s, size_t i,
                             uint64_t responses[HTTP_STATUS_CLASSES])
{
    const uint64_t *from = i < s->n_routes ? s->routes[i].responses : s->other;
    memcpy(responses, from, sizeof(s->other));
    return i < s->n_routes ? s->routes[i].path : "other";
}

const char *http_request_method(const struct http_request *r)
{
    return r->method;
}

const char *http_request_path(const struct http_request *r)
{
    return r->path;
}

const char *http_request_query(const struct http_request *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct each_query {
    void (*fn)(void *ctx, const char *key, const char *value);
    void *ctx;
};

static enum MHD_Result each_query(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    const struct each_query *e = cls;
    (void)kind;
    e->fn(e->ctx, key, value ? value : "");
    return MHD_YES;
}

void http_request_each_query(const struct http_request *r,
                             void (*fn)(void *ctx, const char *key,
                                        const char *value),
                             void *ctx)
{
    struct each_query e = {fn, ctx};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_query, &e);
}

const char *http_request_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* --- answering ----------------------------------------------------------- */

/* Counts a response of code for the route (NULL: other). */
static void count(struct http *s, struct route *route, unsigned code)
{
    if (code / 100 < HTTP_STATUS_CLASSES)
        (route ? route->responses : s->other)[code / 100]++;
}

/* The Allow header of a route accepting methods. */
static const char *allowed(unsigned methods)
{
    if (methods == (HTTP_POST | HTTP_PUT))
        return "POST, PUT";
    return methods & HTTP_POST ? "GET, HEAD, POST" : "GET, HEAD";
}

/* Whether a route accepting methods answers method. */
static bool accepts(unsigned methods, const char *method)
{
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
        strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        return methods & HTTP_GET;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        return methods & HTTP_POST;
    return strcmp(method, MHD_HTTP_METHOD_PUT) == 0 && (methods & HTTP_PUT);
}

/* Adds the headers every answer has and queues it; r is taken. */
static enum MHD_Result queue(struct http *s, struct MHD_Connection *c,
                             struct route *route, unsigned code,
                             const char *type, struct MHD_Response *r,
                             const char *attachment)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (size_t i = 0; s->web != NULL && i < s->web->n_headers; i++)
        MHD_add_response_header(r, s->web->headers[i].name,
                                s->web->headers[i].value);
    if (code == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"tokentail\"");
    if (code == MHD_HTTP_TOO_MANY_REQUESTS) {
        char after[24];
        snprintf(after, sizeof(after), "%u", s->retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, after);
    }
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                allowed(route ? route->methods : HTTP_GET));
    if (attachment != NULL && attachment[0] != '\0') {
        char v[sizeof(((struct http_reply *)0)->attachment) + 32];
        snprintf(v, sizeof(v), "attachment; filename=\"%s\"", attachment);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, v);
    }
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    count(s, route, code);
    return rc;
}

static enum MHD_Result respond(struct http *s, struct MHD_Connection *c,
                               struct route *route, unsigned code,
                               const char *type, char *body, size_t len,
                               bool owned, const char *attachment)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    return queue(s, c, route, code, type, r, attachment);
}

static enum MHD_Result respond_text(struct http *s, struct MHD_Connection *c,
                                    struct route *route, unsigned code,
                                    const char *text)
{
    return respond(s, c, route, code, HTTP_TEXT, (char *)text, strlen(text),
                   false, NULL);
}

/* --- streamed bodies ----------------------------------------------------- */

/* A stream's piece being sent, and what is left of it. */
struct stream {
    const struct http *s;
    uint64_t generation; /* the server's when the answer began */
    struct http_stream src;
    struct buf piece;
    size_t at;
    bool last; /* the piece is the last one */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *st = cls;
    (void)pos;
    while (st->at == st->piece.len) {
        if (st->last)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (st->generation != st->s->generation)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        buf_reset(&st->piece);
        st->at = 0;
        int rc = st->src.next(st->src.ctx, &st->piece);
        if (rc < 0 || st->piece.oom)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        st->last = rc == 0;
    }
    size_t n = st->piece.len - st->at < max ? st->piece.len - st->at : max;
    memcpy(out, st->piece.data + st->at, n);
    st->at += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    st->src.free(st->src.ctx);
    buf_free(&st->piece);
    free(st);
}

static enum MHD_Result respond_stream(struct http *s, struct MHD_Connection *c,
                                      struct route *route,
                                      struct http_reply *rep)
{
    struct stream *st = calloc(1, sizeof(*st));
    struct MHD_Response *r = NULL;
    if (st != NULL) {
        st->s = s;
        st->generation = s->generation;
        st->src = rep->stream;
        r = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, stream_read, st, stream_free);
    }
    if (r == NULL) {
        free(st);
        rep->stream.free(rep->stream.ctx);
        return respond_text(s, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "500 out of memory\n");
    }
    return queue(s, c, route, rep->status, rep->content_type, r,
                 rep->attachment);
}

/* Sends what the handler made (taking its body or stream), or 500 if
 * making it ran out of memory. */
static enum MHD_Result respond_reply(struct http *s, struct MHD_Connection *c,
                                     struct route *route,
                                     struct http_reply *rep)
{
    if (rep->stream.next != NULL) {
        buf_free(&rep->body);
        return respond_stream(s, c, route, rep);
    }
    if (rep->body.oom) {
        buf_free(&rep->body);
        return respond_text(s, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "500 out of memory\n");
    }
    bool vary, gzip = gzip_reply(
                   route->path,
                   MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_ACCEPT_ENCODING),
                   &rep->body, &vary);
    size_t len;
    char *body = buf_release(&rep->body, &len);
    if (body == NULL)
        body = strdup("");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    if (gzip)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    const char *varies = NULL;
    if (rep->varies_by_accept)
        varies = vary ? "Accept, Accept-Encoding" : "Accept";
    else if (vary)
        varies = "Accept-Encoding";
    if (varies != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, varies);
    return queue(s, c, route, rep->status, rep->content_type, r,
                 rep->attachment);
}

static struct route *find_route(struct http *s, const char *path)
{
    for (size_t i = 0; i < s->n_routes; i++)
        if (strcmp(s->routes[i].path, path) == 0)
            return &s->routes[i];
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct server *srv = cls;
    struct http *s = srv->http;
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

    if (srv->tls != NULL && !tls_suite_allowed(srv->tls, c))
        return MHD_NO; /* closes the connection */
    struct route *route = find_route(s, url);
    unsigned refused = http_admission(srv, c, route != NULL && route->public);
    if (refused != 0)
        return respond_text(s, c, route, refused, http_admission_text(refused));
    if (!accepts(route ? route->methods : HTTP_GET, method))
        return respond_text(s, c, route, MHD_HTTP_METHOD_NOT_ALLOWED,
                            route && !(route->methods & HTTP_GET)
                                ? "405 method not allowed: use POST or PUT\n"
                                : "405 method not allowed: use GET or HEAD\n");
    if (route == NULL)
        return respond_text(s, c, NULL, MHD_HTTP_NOT_FOUND,
                            "404 not found: try /metrics or /health\n");
    struct http_request req = {c, method, url};
    struct http_reply rep = {.status = MHD_HTTP_OK, .content_type = HTTP_TEXT};
    route->fn(route->ctx, &req, &rep);
    return respond_reply(s, c, route, &rep);
}

/* --- running inside the loop --------------------------------------------- */

static void on_ready(void *ctx, uint32_t events);

static void on_timer(void *ctx)
{
    struct server *srv = ctx;
    srv->timer = NULL;
    on_ready(srv, 0);
}

/* A replaced TLS server is stopped once its last connection is done. */
void http_reap_drained(struct http *s)
{
    for (struct server **p = &s->draining; *p != NULL;) {
        struct server *d = *p;
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info != NULL && info->num_connections == 0) {
            *p = d->next;
            http_server_free(d);
        } else {
            p = &d->next;
        }
    }
}

void http_server_run(struct server *srv)
{
    MHD_UNSIGNED_LONG_LONG ms;
    MHD_run(srv->mhd);
    loop_timer_cancel(srv->http->loop, srv->timer);
    srv->timer = NULL;
    if (MHD_get_timeout(srv->mhd, &ms) == MHD_YES)
        srv->timer =
            loop_timer_add(srv->http->loop, (uint64_t)ms, on_timer, srv);
}

static void on_ready(void *ctx, uint32_t events)
{
    struct server *srv = ctx;
    struct http *s = srv->http;
    (void)events;
    http_server_run(srv);
    if (s->draining != NULL)
        http_reap_drained(s);
}

/* --- connections from the gate ------------------------------------------ */

static void add_connection(struct server *srv, int fd,
                           const struct sockaddr *addr, socklen_t len)
{
    /* On failure libmicrohttpd closes the socket itself. */
    if (MHD_add_connection(srv->mhd, fd, addr, len) != MHD_YES)
        log_debug("http: connection refused by the server's limits");
    http_server_run(srv);
}

static void on_pass(void *ctx, int fd, const struct sockaddr *addr,
                    socklen_t len)
{
    struct http *s = ctx;
    add_connection(&s->plain, fd, addr, len);
}

static void on_pass_tls(void *ctx, int fd, const struct sockaddr *addr,
                        socklen_t len)
{
    struct http *s = ctx;
    if (s->secure != NULL) {
        add_connection(s->secure, fd, addr, len);
        return;
    }
    /* A TLS client of a plain server: nothing it could read is sent. */
    close(fd);
    count(s, NULL, MHD_HTTP_BAD_REQUEST);
}

static void on_rejected(void *ctx)
{
    struct http *s = ctx;
    count(s, NULL, MHD_HTTP_BAD_REQUEST);
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

/* libmicrohttpd in external epoll mode, connections handed over by the
 * gate; its epoll descriptor joins the loop. With tls (taken), a TLS
 * server. */
int http_server_start(struct http *s, struct server *srv, struct tls *tls)
{
    struct MHD_OptionItem opts[5 + TLS_MHD_OPTIONS] = {
        {MHD_OPTION_CONNECTION_LIMIT, HTTP_CONN_LIMIT, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, HTTP_PER_IP_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, HTTP_CONN_TIMEOUT, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY_LIMIT, NULL},
    };
    size_t n = 4;
    if (tls != NULL)
        n += tls_mhd_options(tls, opts + n);
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->http = s;
    srv->tls = tls;
    srv->epfd = -1;
    srv->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
            (tls ? MHD_USE_TLS : 0),
        0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        srv->mhd ? MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD)
                 : NULL;
    if (info == NULL)
        return -ENOTSUP;
    int rc = loop_add_fd(s->loop, info->epoll_fd, EPOLLIN, on_ready, srv);
    if (rc == 0)
        srv->epfd = info->epoll_fd;
    return rc;
}

/* Stops a server's libmicrohttpd, closing its connections. */
static void server_stop(struct server *srv)
{
    if (srv->epfd >= 0)
        loop_del_fd(srv->http->loop, srv->epfd);
    if (srv->http != NULL)
        loop_timer_cancel(srv->http->loop, srv->timer);
    if (srv->mhd != NULL)
        MHD_stop_daemon(srv->mhd);
    tls_free(srv->tls);
}

void http_server_free(struct server *srv)
{
    if (srv == NULL)
        return;
    server_stop(srv);
    free(srv);
}

int http_start(struct loop *l, const struct http_listen *listen,
               struct http **out)
{
    struct http *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->loop = l;
    int rc = http_server_start(s, &s->plain, NULL);
    if (rc == 0) {
        struct http_gate_ops ops = {on_pass, on_pass_tls, on_rejected, s};
        rc = http_gate_new(l, listen, &ops, &s->port, &s->gate);
    }
    if (rc != 0) {
        http_stop(s);
        return rc;
    }
    http_server_run(&s->plain);
    *out = s;
    return 0;
}

int http_listen_on(struct http *s, const struct http_listen *listen)
{
    uint16_t port;
    int rc = http_gate_listen(s->gate, listen, &port);
    if (rc == 0 && http_gate_n_listeners(s->gate) == 1)
        s->port = port;
    return rc;
}

int http_adopt(struct http *s, int fd)
{
    uint16_t port;
    int rc = http_gate_adopt(s->gate, fd, &port);
    if (rc == 0 && http_gate_n_listeners(s->gate) == 1)
        s->port = port;
    return rc;
}

size_t http_n_listeners(const struct http *s)
{
    return http_gate_n_listeners(s->gate);
}

bool http_listener_name(const struct http *s, size_t i, char *out, size_t cap)
{
    return http_gate_name(s->gate, i, out, cap);
}

uint16_t http_port(const struct http *s)
{
    return s->port;
}

int http_route_public(struct http *s, const char *path)
{
    struct route *r = find_route(s, path);
    if (r == NULL)
        return -ENOENT;
    r->public = true;
    return 0;
}

void http_stop(struct http *s)
{
    if (s == NULL)
        return;
    http_gate_free(s->gate);
    server_stop(&s->plain);
    http_server_free(s->secure);
    while (s->draining != NULL) {
        struct server *d = s->draining;
        s->draining = d->next;
        http_server_free(d);
    }
    auth_free(s->auth);
    webconfig_free(s->web);
    free(s);
}
