/*
 * The HTTP endpoints, served by libmicrohttpd inside tokentail's own loop.
 *
 * libmicrohttpd runs in external-polling epoll mode: its epoll descriptor
 * sits in the loop like any other, and MHD_run() is called when it is
 * readable or when libmicrohttpd's own timeout comes due. Requests are
 * therefore answered on the loop's thread, between reads, and see the
 * registry without locks.
 *
 * The paths served are a table of routes (http_route): each module that
 * answers over HTTP adds its own (/metrics, /health, /) with a handler
 * that fills a reply: a body, or a stream made as the client reads it
 * (http_stream). HEAD works wherever GET does; other methods get 405
 * with Allow, unknown paths 404. A connection whose first line is not an
 * HTTP request line gets 400 from the gate in front (http_gate.h).
 *
 * The web configuration (--web.config.file, webconfig.h) sits in front of
 * every route: TLS, response headers on every answer, a rate limit and
 * basic authentication (401 with WWW-Authenticate, 429 when the bcrypt
 * budget is spent), except on routes made public.
 * Connections are bounded in number (overall and per client address), in
 * memory and in idle time.
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

#define HTTP_MAX_LISTEN 16 /* addresses served at once */

#define HTTP_STATUS_CLASSES 6 /* responses are counted by code / 100 */

#define HTTP_TEXT "text/plain; charset=utf-8"

struct http;

/* A request, as a route's handler sees it; valid during the call. */
struct http_request;

const char *http_request_method(const struct http_request *r); /* GET ... */
const char *http_request_path(const struct http_request *r);
/* The value of a query parameter (?key=value), or NULL. */
const char *http_request_query(const struct http_request *r, const char *key);
/*
 * Calls fn(ctx, key, value) for each query parameter, in the order sent,
 * a repeated key each time, value "" for a key without '='; both valid
 * during the call.
 */
void http_request_each_query(const struct http_request *r,
                             void (*fn)(void *ctx, const char *key,
                                        const char *value),
                             void *ctx);
/* The value of a request header, or NULL. */
const char *http_request_header(const struct http_request *r, const char *name);

/*
 * A body made piece by piece while the client reads it, so that a large
 * answer never sits whole in memory: next(ctx, out) appends the next
 * piece to out (empty) and returns 1 when more follow, 0 after the last,
 * or -1 to abandon the answer (the connection is closed, the client sees
 * it cut short). free(ctx) is called once, when the answer is done or
 * dropped. Pieces are made on the loop's thread, between other work.
 */
struct http_stream {
    int (*next)(void *ctx, struct buf *out);
    void (*free)(void *ctx);
    void *ctx;
};

/* What a handler answers: it fills body and may change the defaults. */
struct http_reply {
    unsigned status;           /* 200 unless the handler says otherwise */
    const char *content_type;  /* HTTP_TEXT unless set; borrowed */
    struct buf body;           /* taken by the server; HEAD sends none */
    struct http_stream stream; /* taken: with next set, the body instead */
    char attachment[128];      /* a file name without quotes: sent as
                                  Content-Disposition: attachment */
    bool varies_by_accept;     /* the body and type follow the request's
                                  Accept: Vary names it, for caches */
};

typedef void (*http_handler)(void *ctx, const struct http_request *req,
                             struct http_reply *rep);

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
 * Starts serving on listen (borrowed; NULL: on no address yet) inside l
 * (borrowed), with no routes yet. Returns 0, -EADDRINUSE, or -errno.
 */
int http_start(struct loop *l, const struct http_listen *listen,
               struct http **out);

/*
 * Serves on one more address, listen (borrowed), up to HTTP_MAX_LISTEN:
 * every address answers the same routes. Returns 0, -EADDRINUSE,
 * -ENOSPC, or -errno.
 */
int http_listen_on(struct http *s, const struct http_listen *listen);

/*
 * Serves on fd, a listening stream socket someone else made (systemd's
 * socket activation): taken on success, left to the caller otherwise.
 * Returns 0, -EINVAL when fd is not a listening stream socket,
 * -ENOTSOCK, -ENOSPC, or -errno.
 */
int http_adopt(struct http *s, int fd);

/* The addresses served, in the order they were added. */
size_t http_n_listeners(const struct http *s);
/*
 * Writes address i as "127.0.0.1:8653", "[::1]:8653" or "[::]:8653" to
 * out (cap bytes); returns true when it is every address (a wildcard).
 */
bool http_listener_name(const struct http *s, size_t i, char *out, size_t cap);

/*
 * Serves path (borrowed: a string that outlives the server) with fn,
 * called with ctx (borrowed) for GET and HEAD. Other methods get 405,
 * unknown paths 404. Returns 0, -EEXIST or -ENOSPC.
 */
int http_route(struct http *s, const char *path, http_handler fn, void *ctx);

/* The methods a route answers; HTTP_GET includes HEAD. */
#define HTTP_GET  1u
#define HTTP_POST 2u
#define HTTP_PUT  4u

/*
 * As http_route, for the methods given (HTTP_POST | HTTP_PUT for an
 * action such as /-/reload); others get 405 with an Allow header naming
 * them.
 */
int http_route_methods(struct http *s, const char *path, unsigned methods,
                       http_handler fn, void *ctx);

/*
 * While on, http_route() for a path already served replaces its handler
 * and ctx instead of failing, keeping its response counts: a reload
 * points the routes at the objects it built anew.
 */
void http_replace_routes(struct http *s, bool on);

/*
 * Cuts short every answer being streamed: its next piece is not made
 * (the client sees the answer end early), its free is still called. A
 * reload calls it before freeing what those answers read.
 */
void http_end_streams(struct http *s);

/*
 * Serves the route at path (already added) without authentication, as
 * load balancers' health probes need. Returns 0 or -ENOENT.
 */
int http_route_public(struct http *s, const char *path);

/*
 * Loads the web configuration at path (borrowed; NULL or "": none, so
 * plain HTTP without authentication), builds its TLS server and its
 * authenticator, and swaps them in only when all of that succeeded. On
 * failure returns -EINVAL (or -errno) after writing every problem to
 * errors as "path:line:column: message", and the settings in force stay.
 *
 * New TLS settings start a new TLS server for new connections; the one
 * replaced finishes the connections it has (their handshakes are done)
 * and stops. Headers, the rate limit and the users apply to every request
 * from the swap on, on old connections too. Turning TLS on makes plain
 * requests get 400; turning it off makes TLS handshakes get closed.
 */
int http_apply_web(struct http *s, const char *path, struct buf *errors);

/* Checks the web configuration at path as http_apply_web would, without
 * a server: 0, or -EINVAL / -errno after writing the problems to errors. */
int http_check_web(const char *path, struct buf *errors);

/* Where the server keeps the authenticator in force (NULL: none), for
 * auth_selfmetrics(); valid until http_stop. */
struct web_auth;
struct web_auth *const *http_auth_slot(const struct http *s);

/* Whether TLS is in force. */
bool http_is_tls(const struct http *s);

/* The port actually bound by the first address (useful with port 0). */
uint16_t http_port(const struct http *s);

/*
 * Responses sent, for tokentail's own metrics: route i of http_n_routes()
 * (the last is "other": unknown paths and connections that were not HTTP)
 * by status class, responses[code / 100]. Returns the route's path.
 */
size_t http_n_routes(const struct http *s);
const char *http_route_stats(const struct http *s, size_t i,
                             uint64_t responses[HTTP_STATUS_CLASSES]);

/* Stops serving and frees; NULL is a no-op. */
void http_stop(struct http *s);

#endif
