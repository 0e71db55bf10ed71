/*
 * TLS settings turned into GnuTLS terms, and the per-session checks Go's
 * crypto/tls makes and GnuTLS leaves to its caller.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "log.h"

#define TLS_FILE_MAX  (1u << 20) /* bytes: a certificate or key file */
#define TLS_CHAIN_MAX 16         /* certificates a client may send */
#define TLS_SAN_MAX   256        /* bytes of one SAN value */

struct tls {
    char *cert, *key; /* PEM text */
    enum web_client_auth client_auth;
    gnutls_x509_trust_list_t trust; /* NULL: none */
    char **sans;
    size_t n_sans;
    char **suites; /* Go's names of the TLS 1.0-1.2 suites allowed */
    size_t n_suites;
    struct buf priorities;
};

/* --- reading what the configuration names --------------------------------- */

static void err_at(struct buf *errors, const struct web_config *c, size_t line,
                   size_t column, const char *fmt, const char *a, const char *b)
{
    if (line > 0)
        buf_printf(errors, "%s:%zu:%zu: ", c->path, line, column);
    else
        buf_printf(errors, "%s: ", c->path);
    buf_printf(errors, fmt, a, b);
    buf_append(errors, "\n", 1);
}

/* The PEM text of a file or of its inline form; NULL after reporting. */
static char *pem_of(const struct web_config *c, const char *file,
                    const char *text, size_t line, size_t column,
                    const char *what, struct buf *errors)
{
    if (file == NULL)
        return strdup(text);
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        err_at(errors, c, line, column, "cannot read %s: %s", what,
               strerror(errno));
        return NULL;
    }
    struct buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= TLS_FILE_MAX)
        buf_append(&b, chunk, n);
    bool bad = ferror(f) || b.len > TLS_FILE_MAX || b.oom;
    fclose(f);
    if (bad) {
        err_at(errors, c, line, column, "cannot read %s: %s", what,
               b.oom ? "out of memory" : "an I/O error or too large");
        buf_free(&b);
        return NULL;
    }
    size_t len;
    char *p = buf_release(&b, &len);
    return p ? p : strdup("");
}

static gnutls_datum_t datum(const char *s)
{
    return (gnutls_datum_t){(unsigned char *)s, (unsigned)strlen(s)};
}

/* Whether the certificate and key load and belong together. */
static bool pair_ok(struct tls *t, const struct web_config *c,
                    struct buf *errors)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return false;
    gnutls_datum_t cert = datum(t->cert), key = datum(t->key);
    int rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
                                                 GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (rc < 0)
        err_at(errors, c, c->tls->cert_line, c->tls->cert_column,
               "the certificate and key cannot be used: %s%s",
               gnutls_strerror(rc), "");
    return rc >= 0;
}

static bool trust_ok(struct tls *t, const struct web_config *c, const char *pem,
                     struct buf *errors)
{
    const struct web_tls *w = c->tls;
    if (gnutls_x509_trust_list_init(&t->trust, 0) < 0) {
        t->trust = NULL;
        return false;
    }
    gnutls_datum_t d = datum(pem);
    int n = gnutls_x509_trust_list_add_trust_mem(t->trust, &d, NULL,
                                                 GNUTLS_X509_FMT_PEM, 0, 0);
    if (n <= 0)
        err_at(errors, c, w->ca_line, w->ca_column, "client CA: %s%s",
               n < 0 ? gnutls_strerror(n) : "no certificate found", "");
    return n > 0;
}

/* --- priorities ------------------------------------------------------------
 */

static const char *vers_name(enum web_tls_version v)
{
    switch (v) {
    case WEB_TLS10:
        return "VERS-TLS1.0";
    case WEB_TLS11:
        return "VERS-TLS1.1";
    case WEB_TLS12:
        return "VERS-TLS1.2";
    default:
        return "VERS-TLS1.3";
    }
}

/* Appends ":+name" unless the string has it already. */
static void add_once(struct buf *b, const char *name)
{
    char item[64];
    snprintf(item, sizeof(item), ":+%s", name);
    if (b->data == NULL || strstr(b->data, item) == NULL)
        buf_printf(b, "%s", item);
}

static void build_priorities(struct tls *t, const struct web_tls *w)
{
    struct buf *b = &t->priorities;
    enum web_tls_version lo = w->min_version ? w->min_version : WEB_TLS12;
    enum web_tls_version hi = w->max_version ? w->max_version : WEB_TLS13;
    buf_printf(b, "NORMAL:-VERS-ALL");
    for (int v = (int)lo; v <= (int)hi; v++)
        buf_printf(b, ":+%s", vers_name((enum web_tls_version)v));
    if (w->n_cipher_suites > 0) {
        buf_printf(b, ":-CIPHER-ALL:-MAC-ALL:-KX-ALL");
        for (size_t i = 0; i < w->n_cipher_suites; i++) {
            const struct web_cipher *s = webconfig_cipher(w->cipher_suites[i]);
            if (s->tls13)
                continue;
            add_once(b, s->kx);
            add_once(b, s->cipher);
            add_once(b, s->mac);
        }
        /* TLS 1.3's suites are not chosen in Go either: all stay. */
        if (hi >= WEB_TLS13) {
            add_once(b, "AES-128-GCM");
            add_once(b, "AES-256-GCM");
            add_once(b, "CHACHA20-POLY1305");
            add_once(b, "AEAD");
        }
    }
    if (w->n_curve_preferences > 0) {
        buf_printf(b, ":-GROUP-ALL");
        for (size_t i = 0; i < w->n_curve_preferences; i++)
            buf_printf(b, ":+%s",
                       webconfig_curve(w->curve_preferences[i])->group);
    }
    if (w->prefer_server_cipher_suites)
        buf_printf(b, ":%%SERVER_PRECEDENCE");
}

static bool priorities_ok(struct tls *t, const struct web_config *c,
                          struct buf *errors)
{
    gnutls_priority_t p;
    const char *where = NULL;
    if (t->priorities.oom)
        return false;
    int rc = gnutls_priority_init(&p, t->priorities.data, &where);
    if (rc < 0) {
        err_at(errors, c, 0, 0,
               "tls_server_config: GnuTLS cannot use the versions, suites "
               "and curves asked for (\"%s\"): %s",
               t->priorities.data, gnutls_strerror(rc));
        return false;
    }
    gnutls_priority_deinit(p);
    return true;
}

/* --- building --------------------------------------------------------------
 */

static char **copy_strings(char *const *v, size_t n, bool tls12_suites)
{
    char **out = calloc(n ? n : 1, sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; out != NULL && i < n; i++) {
        if (tls12_suites && webconfig_cipher(v[i])->tls13)
            continue;
        if ((out[k] = strdup(v[i])) == NULL) {
            while (k > 0)
                free(out[--k]);
            free(out);
            return NULL;
        }
        k++;
    }
    return out;
}

static size_t count_tls12(const struct web_tls *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_cipher_suites; i++)
        n += !webconfig_cipher(w->cipher_suites[i])->tls13;
    return n;
}

int tls_new(const struct web_config *c, struct tls **out, struct buf *errors)
{
    const struct web_tls *w = c->tls;
    struct tls *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    t->client_auth = w->client_auth;
    t->cert = pem_of(c, w->cert_file, w->cert, w->cert_line, w->cert_column,
                     w->cert_file ? w->cert_file : "cert", errors);
    t->key = pem_of(c, w->key_file, w->key, w->key_line, w->key_column,
                    w->key_file ? w->key_file : "key", errors);
    bool ok = t->cert != NULL && t->key != NULL && pair_ok(t, c, errors);
    if (w->client_ca_file != NULL || w->client_ca != NULL) {
        char *ca =
            pem_of(c, w->client_ca_file, w->client_ca, w->ca_line, w->ca_column,
                   w->client_ca_file ? w->client_ca_file : "client_ca", errors);
        ok = ca != NULL && trust_ok(t, c, ca, errors) && ok;
        free(ca);
    }
    t->n_sans = w->n_client_allowed_sans;
    t->sans = copy_strings(w->client_allowed_sans, t->n_sans, false);
    t->n_suites = count_tls12(w);
    t->suites = copy_strings(w->cipher_suites, w->n_cipher_suites, true);
    build_priorities(t, w);
    ok = priorities_ok(t, c, errors) && ok;
    if (!ok || t->sans == NULL || t->suites == NULL) {
        tls_free(t);
        return ok ? -ENOMEM : -EINVAL;
    }
    *out = t;
    return 0;
}

const char *tls_priorities(const struct tls *t)
{
    return t->priorities.data;
}

void tls_free(struct tls *t)
{
    if (t == NULL)
        return;
    free(t->cert);
    free(t->key);
    if (t->trust != NULL)
        gnutls_x509_trust_list_deinit(t->trust, 1);
    for (size_t i = 0; t->sans != NULL && i < t->n_sans; i++)
        free(t->sans[i]);
    free(t->sans);
    for (size_t i = 0; t->suites != NULL && i < t->n_suites; i++)
        free(t->suites[i]);
    free(t->suites);
    buf_free(&t->priorities);
    free(t);
}

/* --- per session ------------------------------------------------------------
 */

/* The struct tls of a session: libmicrohttpd makes the connection the
 * session's pointer, and the connection's socket context is set to the
 * struct tls when it starts (on_connection). */
static struct tls *tls_of(gnutls_session_t s)
{
    struct MHD_Connection *c = gnutls_session_get_ptr(s);
    const union MHD_ConnectionInfo *ci =
        c ? MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
          : NULL;
    return ci ? ci->socket_context : NULL;
}

static bool san_listed(const struct tls *t, const char *value)
{
    for (size_t k = 0; value != NULL && k < t->n_sans; k++)
        if (strcmp(t->sans[k], value) == 0)
            return true;
    return false;
}

/* Whether one of the certificate's SANs is allowed, as exporter-toolkit
 * compares them: DNS names, e-mail addresses, IP addresses as text, URIs. */
static bool san_allowed(const struct tls *t, gnutls_x509_crt_t crt)
{
    for (unsigned i = 0;; i++) {
        char v[TLS_SAN_MAX];
        size_t size = sizeof(v) - 1;
        int type = gnutls_x509_crt_get_subject_alt_name(crt, i, v, &size, NULL);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            return false;
        if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
            continue;
        if (type < 0)
            return false;
        v[size] = '\0';
        if (type == GNUTLS_SAN_IPADDRESS) {
            char ip[INET6_ADDRSTRLEN];
            if (san_listed(t, inet_ntop(size == 4 ? AF_INET : AF_INET6, v, ip,
                                        sizeof(ip))))
                return true;
        } else if ((type == GNUTLS_SAN_DNSNAME ||
                    type == GNUTLS_SAN_RFC822NAME || type == GNUTLS_SAN_URI) &&
                   strlen(v) == size && san_listed(t, v)) {
            /* A value with a NUL inside is not the name before the NUL
             * (Go compares the whole value too). */
            return true;
        }
    }
}

static bool chain_ok(const struct tls *t, gnutls_x509_crt_t *crts, unsigned n)
{
    unsigned status = 0;
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
                                     0};
    int rc = gnutls_x509_trust_list_verify_crt2(t->trust, crts, n, &purpose, 1,
                                                0, &status, NULL);
    return rc >= 0 && status == 0;
}

static bool verifies(enum web_client_auth a)
{
    return a == WEB_CLIENT_VERIFY_IF_GIVEN ||
           a == WEB_CLIENT_REQUIRE_AND_VERIFY;
}

/* GnuTLS calls this with the client's certificates; non-zero ends the
 * handshake. */
static int verify_peer(gnutls_session_t s)
{
    const struct tls *t = tls_of(s);
    unsigned n = 0;
    const gnutls_datum_t *raw = gnutls_certificate_get_peers(s, &n);
    if (t == NULL)
        return -1;
    if (n == 0 || raw == NULL)
        return t->client_auth == WEB_CLIENT_REQUIRE_ANY ||
                       t->client_auth == WEB_CLIENT_REQUIRE_AND_VERIFY
                   ? -1
                   : 0;
    gnutls_x509_crt_t crts[TLS_CHAIN_MAX];
    unsigned k = 0;
    bool ok = n <= TLS_CHAIN_MAX;
    for (; ok && k < n; k++) {
        if (gnutls_x509_crt_init(&crts[k]) < 0) {
            ok = false;
            break; /* crts[k] is not one to deinit */
        }
        ok = gnutls_x509_crt_import(crts[k], &raw[k], GNUTLS_X509_FMT_DER) >= 0;
    }
    if (ok && verifies(t->client_auth))
        ok = chain_ok(t, crts, n);
    if (ok && t->n_sans > 0)
        ok = san_allowed(t, crts[0]);
    while (k > 0)
        gnutls_x509_crt_deinit(crts[--k]);
    if (!ok)
        log_debug("tls: a client certificate was refused");
    return ok ? 0 : -1;
}

bool tls_suite_allowed(const struct tls *t, struct MHD_Connection *c)
{
    if (t->n_suites == 0)
        return true;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return false;
    gnutls_session_t s = ci->tls_session;
    if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3)
        return true; /* TLS 1.3's suites are not chosen, as in Go */
    const char *name = gnutls_ciphersuite_get(s);
    for (size_t i = 0; name != NULL && i < t->n_suites; i++)
        if (strcmp(t->suites[i], name) == 0)
            return true;
    log_debug("tls: suite %s is not among cipher_suites", name ? name : "?");
    return false;
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct tls *t = cls;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return;
    gnutls_session_t s = ci->tls_session;
    *socket_context = t;
    static const gnutls_certificate_request_t ask[] = {
        [WEB_CLIENT_NONE] = GNUTLS_CERT_IGNORE,
        [WEB_CLIENT_REQUEST] = GNUTLS_CERT_REQUEST,
        [WEB_CLIENT_REQUIRE_ANY] = GNUTLS_CERT_REQUIRE,
        [WEB_CLIENT_VERIFY_IF_GIVEN] = GNUTLS_CERT_REQUEST,
        [WEB_CLIENT_REQUIRE_AND_VERIFY] = GNUTLS_CERT_REQUIRE,
    };
    gnutls_certificate_server_set_request(s, ask[t->client_auth]);
    if (t->client_auth != WEB_CLIENT_NONE)
        gnutls_session_set_verify_function(s, verify_peer);
}

size_t tls_mhd_options(struct tls *t, struct MHD_OptionItem *opts)
{
    opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert};
    opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, t->key};
    opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                      t->priorities.data};
    opts[3] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                      (intptr_t)on_connection, t};
    return TLS_MHD_OPTIONS;
}
