/*
 * The web configuration in front of the routes: admission of each
 * request (TLS only, rate limit, basic authentication), and loading a
 * configuration whole before it is swapped in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "http_private.h"
#include "loop.h"
#include "tls.h"
#include "webconfig.h"

/* rate_limit: a token bucket, burst deep, one token per interval. */
static bool rate_allows(struct http *s)
{
    const struct web_rate_limit *r = &s->web->rate_limit;
    uint64_t now = loop_now_ms();
    s->tokens += (double)(now - s->tokens_ms) / (double)r->interval_ms;
    s->tokens_ms = now;
    if (s->tokens > r->burst)
        s->tokens = r->burst;
    if (s->tokens < 1) { /* until the next token, in whole seconds */
        double ms = (1 - s->tokens) * (double)r->interval_ms;
        s->retry_after_s = (unsigned)((ms + 999) / 1000);
        return false;
    }
    s->tokens -= 1;
    return true;
}

unsigned http_admission(struct server *srv, struct MHD_Connection *c,
                        bool public_route)
{
    struct http *s = srv->http;
    if (srv->tls == NULL && s->secure != NULL)
        return MHD_HTTP_BAD_REQUEST;
    if (s->web != NULL && s->web->rate_limit.interval_ms > 0 && !rate_allows(s))
        return MHD_HTTP_TOO_MANY_REQUESTS;
    if (s->auth == NULL || public_route)
        return 0;
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    switch (auth_check_client(s->auth, a, ci ? ci->client_addr : NULL,
                              loop_now_ms())) {
    case AUTH_OK:
        return 0;
    case AUTH_THROTTLED:
        s->retry_after_s = 1; /* the bcrypt budget refills each second */
        return MHD_HTTP_TOO_MANY_REQUESTS;
    default:
        return MHD_HTTP_UNAUTHORIZED;
    }
}

const char *http_admission_text(unsigned code)
{
    switch (code) {
    case MHD_HTTP_BAD_REQUEST:
        return "400 bad request: this server speaks HTTPS\n";
    case MHD_HTTP_UNAUTHORIZED:
        return "401 unauthorized\n";
    default:
        return "429 too many requests\n";
    }
}

/* --- the web configuration ----------------------------------------------- */

int http_check_web(const char *path, struct buf *errors)
{
    struct web_config *c = NULL;
    struct tls *t = NULL;
    int rc = webconfig_load(path, &c, errors);
    if (rc == 0 && c->tls != NULL)
        rc = tls_new(c, &t, errors);
    tls_free(t);
    webconfig_free(c);
    return rc;
}

int http_apply_web(struct http *s, const char *path, struct buf *errors)
{
    struct web_config *c = NULL;
    struct tls *t = NULL;
    struct web_auth *a = NULL;
    struct server *srv = NULL;
    int rc = 0;
    if (path != NULL && path[0] != '\0' &&
        (rc = webconfig_load(path, &c, errors)) != 0)
        return rc;
    if (c != NULL && c->tls != NULL && (rc = tls_new(c, &t, errors)) != 0)
        goto fail;
    if (c != NULL && c->n_users > 0 &&
        (rc = auth_new(c->users, c->n_users, &a)) != 0)
        goto fail;
    if (t != NULL) {
        if ((srv = calloc(1, sizeof(*srv))) == NULL) {
            rc = -ENOMEM;
            goto fail;
        }
        rc = http_server_start(s, srv, t);
        t = NULL; /* the server's now */
        if (rc != 0) {
            buf_printf(errors, "%s: cannot start the TLS server: %s\n", path,
                       strerror(-rc));
            goto fail;
        }
        http_server_run(srv);
    }
    /* Whole: swapped in. Cached checks of unchanged users carry over; a
     * replaced TLS server finishes its connections. */
    if (a != NULL && s->auth != NULL)
        auth_carry(a, s->auth);
    if (s->secure != NULL) {
        s->secure->next = s->draining;
        s->draining = s->secure;
    }
    s->secure = srv;
    webconfig_free(s->web);
    s->web = c;
    auth_free(s->auth);
    s->auth = a;
    s->tokens = c ? c->rate_limit.burst : 0;
    s->tokens_ms = loop_now_ms();
    if (s->draining != NULL)
        http_reap_drained(s);
    return 0;
fail:
    http_server_free(srv);
    auth_free(a);
    tls_free(t);
    webconfig_free(c);
    return rc;
}

struct web_auth *const *http_auth_slot(const struct http *s)
{
    return &s->auth;
}

bool http_is_tls(const struct http *s)
{
    return s->secure != NULL;
}
