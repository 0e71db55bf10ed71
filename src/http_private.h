/*
 * What http.c (routes, answers, the servers in the loop) and http_web.c
 * (the web configuration in front of them) share. Not part of the
 * module's interface: http.h is.
 */
#ifndef TOKENTAIL_HTTP_PRIVATE_H
#define TOKENTAIL_HTTP_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

#include "http.h"
#include "loop.h"

struct tls;
struct web_auth;
struct web_config;

#define HTTP_MAX_ROUTES 32 /* paths served; a fixed, small set */

struct route {
    const char *path; /* borrowed */
    unsigned methods; /* HTTP_GET, HTTP_POST, HTTP_PUT */
    http_handler fn;
    void *ctx;
    bool public;                             /* served without authentication */
    uint64_t responses[HTTP_STATUS_CLASSES]; /* by status code / 100 */
};

/* One libmicrohttpd server: the plain one, the TLS one in force, or one
 * whose TLS settings a reload replaced, finishing its connections. */
struct server {
    struct http *http;
    struct MHD_Daemon *mhd;
    struct tls *tls; /* NULL: plain HTTP */
    struct loop_timer *timer;
    int epfd;
    struct server *next; /* the next one draining */
};

struct http {
    struct server plain;
    struct server *secure;   /* the TLS server in force, or NULL */
    struct server *draining; /* replaced TLS servers */
    struct web_config *web;  /* NULL: no web configuration */
    struct web_auth *auth;   /* NULL: no authentication */
    double tokens;           /* rate_limit's bucket */
    uint64_t tokens_ms;      /* when it was filled */
    unsigned retry_after_s;  /* of the 429 being answered */
    struct loop *loop;
    struct http_gate *gate;
    uint16_t port;
    struct route routes[HTTP_MAX_ROUTES];
    size_t n_routes;
    bool replacing;      /* http_route() may replace a path's handler */
    uint64_t generation; /* streams from an earlier one are cut short */
    uint64_t
        other[HTTP_STATUS_CLASSES]; /* unknown paths, requests that are not */
};

/*
 * Starts srv, a libmicrohttpd server of s in external epoll mode, its
 * epoll descriptor in the loop; with tls a TLS server. tls is taken by
 * srv, even on failure: http_server_free(srv) frees it. Returns 0 or
 * -errno.
 */
int http_server_start(struct http *s, struct server *srv, struct tls *tls);

/* Lets srv's libmicrohttpd work, then sets its timer. */
void http_server_run(struct server *srv);

/* Stops srv (closing its connections) and frees it; NULL is a no-op. */
void http_server_free(struct server *srv);

/* Frees the replaced TLS servers whose last connection is done. */
void http_reap_drained(struct http *s);

/*
 * What the web configuration says of a request on srv before any route
 * answers: 0 to go on, or the status to answer with (400: plain HTTP
 * while TLS is in force; 429: over rate_limit or the bcrypt budget; 401).
 * public_route: the route is served without authentication.
 */
unsigned http_admission(struct server *srv, struct MHD_Connection *c,
                        bool public_route);

/* The body of an answer http_admission() chose. */
const char *http_admission_text(unsigned code);

#endif
