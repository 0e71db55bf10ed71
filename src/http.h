/*
 * The HTTP endpoints, served by libmicrohttpd inside tokentail's own loop.
 *
 * libmicrohttpd runs in external-polling epoll mode: its epoll descriptor
 * sits in the loop like any other, and MHD_run() is called when it is
 * readable or when libmicrohttpd's own timeout comes due. Requests are
 * therefore answered on the loop's thread, between reads, and see the
 * registry without locks.
 *
 *   GET /metrics  the exposition (text format 0.0.4)
 *   GET /health   JSON status; 200 healthy, 503 degraded
 *   GET /         a small page linking both
 *
 * HEAD works wherever GET does; other methods get 405 with Allow, unknown
 * paths 404, a first line that is not a request line 400. Connections are
 * bounded in number (overall and per client address), in memory and in
 * idle time.
 */
#ifndef TOKENTAIL_HTTP_H
#define TOKENTAIL_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "loop.h"

#define HTTP_DEFAULT_PORT      8653
#define HTTP_CONN_LIMIT        128   /* connections at once */
#define HTTP_PER_IP_LIMIT      16    /* connections at once per client */
#define HTTP_CONN_TIMEOUT      10    /* seconds a connection may idle */
#define HTTP_CONN_MEMORY_LIMIT 32768 /* bytes per connection for headers */

/* What the endpoints call; ctx is borrowed. */
struct http_handlers {
    /* Appends the exposition to out. */
    void (*metrics)(void *ctx, struct buf *out);
    /* Appends the health document to out; returns true when healthy. */
    bool (*health)(void *ctx, struct buf *out);
    void *ctx;
};

enum http_route {
    HTTP_ROUTE_METRICS,
    HTTP_ROUTE_HEALTH,
    HTTP_ROUTE_INDEX,
    HTTP_ROUTE_OTHER,
    HTTP_ROUTE_COUNT
};

/* Responses sent, by route and status code class. */
struct http_stats {
    uint64_t responses[HTTP_ROUTE_COUNT][6]; /* [route][code / 100] */
};

struct http;

/* A parsed --web.listen-address. */
struct http_listen {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool any; /* no host given: every address, IPv6 and IPv4 */
    uint16_t port;
};

/*
 * Parses "[HOST]:PORT" (":8653", "127.0.0.1:8653", "[::1]:8653",
 * "localhost:8653"). Returns 0, or -EINVAL with a reason in *why.
 */
int http_parse_listen(const char *s, struct http_listen *out, const char **why);

/*
 * Whether the first n bytes of a connection begin a well-formed request
 * line: 1 yes (or too many bytes to judge here), -1 no, 0 too early to
 * tell. Exposed for the tests.
 */
int http_gate_judge(const char *p, size_t n);

/* Starts serving; l and h are borrowed. Returns 0 or -errno. */
int http_start(struct loop *l, const struct http_listen *listen,
               const struct http_handlers *h, struct http **out);

/* The port actually bound (useful with port 0). */
uint16_t http_port(const struct http *s);

const struct http_stats *http_stats(const struct http *s);

/* Stops serving and frees; NULL is a no-op. */
void http_stop(struct http *s);

const char *http_route_name(enum http_route r);

#endif
