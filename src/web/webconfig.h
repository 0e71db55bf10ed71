/*
 * The web configuration (--web.config.file): TLS, HTTP response headers
 * and basic authentication for every endpoint, in the file format of the
 * Prometheus exporter-toolkit, key for key, so that one file serves
 * node_exporter, Prometheus and tokentail alike:
 *
 *   tls_server_config:
 *     cert_file: server.crt            # or cert: | (inline PEM)
 *     key_file: server.key             # or key: | (inline PEM)
 *     client_auth_type: RequireAndVerifyClientCert
 *     client_ca_file: ca.crt           # or client_ca: | (inline PEM)
 *     client_allowed_sans: [prometheus.internal]
 *     min_version: TLS12
 *     max_version: TLS13
 *     cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
 *     curve_preferences: [X25519, CurveP256]
 *     prefer_server_cipher_suites: true
 *   http_server_config:
 *     headers:
 *       Strict-Transport-Security: max-age=31536000
 *   basic_auth_users:
 *     prometheus: $2y$10$...          # bcrypt
 *
 * A web_config is immutable once loaded: the server holds the one in
 * force, and a reload loads a new one beside it and swaps them only when
 * the new one is whole (webconfig_load succeeded). Everything in it is
 * owned by the web_config; webconfig_free() frees it all.
 */
#ifndef TOKENTAIL_WEBCONFIG_H
#define TOKENTAIL_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* tls_server_config.client_auth_type, as Go's crypto/tls names them. */
enum web_client_auth {
    WEB_CLIENT_NONE,               /* NoClientCert (the default) */
    WEB_CLIENT_REQUEST,            /* RequestClientCert */
    WEB_CLIENT_REQUIRE_ANY,        /* RequireAnyClientCert */
    WEB_CLIENT_VERIFY_IF_GIVEN,    /* VerifyClientCertIfGiven */
    WEB_CLIENT_REQUIRE_AND_VERIFY, /* RequireAndVerifyClientCert */
};

/* min_version / max_version: TLS10 .. TLS13. */
enum web_tls_version {
    WEB_TLS_DEFAULT = 0, /* not given: min TLS12, max TLS13 */
    WEB_TLS10 = 10,
    WEB_TLS11 = 11,
    WEB_TLS12 = 12,
    WEB_TLS13 = 13,
};

/* tls_server_config. A file path and its inline form are exclusive: one
 * of each pair is set (the other NULL). PEM text is kept as given. */
struct web_tls {
    char *cert_file, *cert; /* the server's certificate chain */
    char *key_file, *key;   /* its private key */
    enum web_client_auth client_auth;
    char *client_ca_file, *client_ca; /* NULL both: none */
    char **client_allowed_sans;       /* exact SAN values */
    size_t n_client_allowed_sans;
    enum web_tls_version min_version, max_version;
    char **cipher_suites; /* Go's names, e.g.
                             TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; none:
                             the library's defaults */
    size_t n_cipher_suites;
    char **curve_preferences; /* Go's names: CurveP256, CurveP384,
                                 CurveP521, X25519 */
    size_t n_curve_preferences;
    bool prefer_server_cipher_suites; /* default true */
    /* Where cert(_file), key(_file) and client_ca(_file) were given, so
     * that a certificate that cannot be used is reported there (line and
     * column from 1; 0: not given). */
    size_t cert_line, cert_column, key_line, key_column, ca_line, ca_column;
};

/* http_server_config.headers: only the five security headers exporter-
 * toolkit allows (Strict-Transport-Security, X-Content-Type-Options,
 * X-Frame-Options, X-XSS-Protection, Content-Security-Policy). */
struct web_header {
    char *name, *value;
};

/* basic_auth_users: a user name and its bcrypt hash ($2a$, $2b$, $2y$). */
struct web_user {
    char *name, *hash;
};

/* rate_limit: a token bucket in front of every request (429 beyond it),
 * as exporter-toolkit's: burst requests at once, one more per interval.
 * interval_ms 0: none. */
struct web_rate_limit {
    uint64_t interval_ms;
    unsigned burst;
};

struct web_config {
    char *path;          /* the file it came from */
    struct web_tls *tls; /* NULL: plain HTTP */
    struct web_header *headers;
    size_t n_headers;
    struct web_user *users; /* none: no authentication */
    size_t n_users;
    struct web_rate_limit rate_limit;
};

/* One of Go's cipher suite names, and the GnuTLS priority names of its
 * parts (tls13: a TLS 1.3 suite, which Go does not let one choose). */
struct web_cipher {
    const char *name, *kx, *cipher, *mac;
    bool tls13;
};

/* One of Go's curve names and the GnuTLS group it is. */
struct web_curve {
    const char *name, *group;
};

/* The suite or curve of that Go name, or NULL. */
const struct web_cipher *webconfig_cipher(const char *name);
const struct web_curve *webconfig_curve(const char *name);

/*
 * Loads path. On success returns 0 with *out set (caller frees with
 * webconfig_free). On failure returns -EINVAL (every problem written to
 * errors, one per line as "path:line:column: message") or -errno when the
 * file cannot be read; *out is untouched.
 */
int webconfig_load(const char *path, struct web_config **out,
                   struct buf *errors);

/* NULL is a no-op. */
void webconfig_free(struct web_config *c);

#endif
