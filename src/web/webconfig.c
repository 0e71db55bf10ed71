/*
 * The web configuration file, read as exporter-toolkit reads it: strict
 * keys, Go's names for versions, suites and curves, paths relative to the
 * file's directory, and the same checks before anything is served.
 */
#include "webconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "promql.h"
#include "ryaml.h"

/* Go's crypto/tls suites (tls.CipherSuites(), with the RSA key exchanges
 * older Go releases listed there), as GnuTLS names their parts. */
static const struct web_cipher ciphers[] = {
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1", false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1", false},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD", false},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC",
     "SHA1", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC",
     "SHA1", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1",
     false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1",
     false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM",
     "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM",
     "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM",
     "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM",
     "AEAD", false},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA",
     "CHACHA20-POLY1305", "AEAD", false},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA",
     "CHACHA20-POLY1305", "AEAD", false},
    {"TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD", true},
    {"TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD", true},
    {"TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD", true},
};

static const struct web_curve curves[] = {
    {"CurveP256", "GROUP-SECP256R1"},
    {"CurveP384", "GROUP-SECP384R1"},
    {"CurveP521", "GROUP-SECP521R1"},
    {"X25519", "GROUP-X25519"},
};

/* client_auth_type's names, by enum web_client_auth. */
static const char *const auth_names[] = {
    [WEB_CLIENT_NONE] = "NoClientCert",
    [WEB_CLIENT_REQUEST] = "RequestClientCert",
    [WEB_CLIENT_REQUIRE_ANY] = "RequireAnyClientCert",
    [WEB_CLIENT_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
    [WEB_CLIENT_REQUIRE_AND_VERIFY] = "RequireAndVerifyClientCert",
};

/* The headers that may be set, and the values each allows (none listed:
 * any). */
static const struct {
    const char *name;
    const char *values[3];
} header_rules[] = {
    {"Strict-Transport-Security", {NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Content-Security-Policy", {NULL}},
};

#define WEB_MAX_LIST 256 /* items in a list: SANs, suites, users, headers */

#define WEB_SHOWN 64 /* bytes of a value quoted in a message */

static void webconfig_free_tls(struct web_tls *t);

/* s as a message quotes it: on one line, control bytes as '?', cut after
 * WEB_SHOWN bytes. Returns out. */
static const char *shown(const char *s, char out[WEB_SHOWN + 4])
{
    size_t i = 0;
    for (; i < WEB_SHOWN && s[i] != '\0'; i++)
        out[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
    memcpy(out + i, s[i] != '\0' ? "...\0" : "\0", s[i] != '\0' ? 4 : 1);
    return out;
}

/* Whether s holds a control byte (not allowed in a header's value). */
static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
            return true;
    return false;
}

const struct web_cipher *webconfig_cipher(const char *name)
{
    for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
        if (strcmp(ciphers[i].name, name) == 0)
            return &ciphers[i];
    return NULL;
}

const struct web_curve *webconfig_curve(const char *name)
{
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
        if (strcmp(curves[i].name, name) == 0)
            return &curves[i];
    return NULL;
}

/* --- loading -------------------------------------------------------------- */

struct wload {
    struct ryaml y;
    struct web_config *c;
    const char *dir; /* the file's directory, for relative paths */
    bool oom;
};

static char *dup_or_oom(struct wload *L, const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        L->oom = true;
    return p;
}

/* A string value; "" counts as not given, as in Go. NULL when not given
 * or after reporting. */
static const char *text(struct wload *L, const yaml_node_t *n, const char *what)
{
    if (n == NULL)
        return NULL;
    const char *s = ryaml_scalar(&L->y, n, what);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* A path from the file, joined to its directory when relative. */
static char *path_of(struct wload *L, const yaml_node_t *n, const char *what)
{
    const char *s = text(L, n, what);
    if (s == NULL)
        return NULL;
    if (s[0] == '/' || L->dir[0] == '\0')
        return dup_or_oom(L, s);
    size_t len = strlen(L->dir) + strlen(s) + 2;
    char *p = malloc(len);
    if (p == NULL) {
        L->oom = true;
        return NULL;
    }
    snprintf(p, len, "%s/%s", L->dir, s);
    return p;
}

static bool boolean(struct wload *L, const yaml_node_t *n, const char *what,
                    bool *out)
{
    const char *s = ryaml_scalar(&L->y, n, what);
    if (s == NULL)
        return false;
    if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
        *out = s[0] == 't';
        return true;
    }
    char q[WEB_SHOWN + 4];
    ryaml_err(&L->y, n, "%s must be true or false, not \"%s\"", what,
              shown(s, q));
    return false;
}

/* A list of strings, each checked by ok (NULL: any) and copied. */
static char **strings(struct wload *L, const yaml_node_t *n, const char *what,
                      bool (*ok)(struct wload *, const yaml_node_t *,
                                 const char *),
                      size_t *count)
{
    *count = 0;
    if (n == NULL || !ryaml_is_list(&L->y, n, what))
        return NULL;
    size_t len = ryaml_len(n);
    if (len > WEB_MAX_LIST) {
        ryaml_err(&L->y, n, "%s: at most %d items", what, WEB_MAX_LIST);
        return NULL;
    }
    char **out = calloc(len ? len : 1, sizeof(*out));
    if (out == NULL) {
        L->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        const yaml_node_t *item = ryaml_item(&L->y, n, i);
        const char *s = ryaml_scalar(&L->y, item, what);
        if (s != NULL && (ok == NULL || ok(L, item, s)) &&
            (out[*count] = dup_or_oom(L, s)) != NULL)
            (*count)++;
    }
    return out;
}

static bool cipher_ok(struct wload *L, const yaml_node_t *n, const char *s)
{
    char q[WEB_SHOWN + 4];
    if (webconfig_cipher(s) != NULL)
        return true;
    ryaml_err(&L->y, n,
              "cipher_suites: unknown cipher suite \"%s\" (Go's names, "
              "such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
              shown(s, q));
    return false;
}

static bool curve_ok(struct wload *L, const yaml_node_t *n, const char *s)
{
    char q[WEB_SHOWN + 4];
    if (webconfig_curve(s) != NULL)
        return true;
    ryaml_err(&L->y, n,
              "curve_preferences: unknown curve \"%s\" (CurveP256, "
              "CurveP384, CurveP521 or X25519)",
              shown(s, q));
    return false;
}

static enum web_tls_version version(struct wload *L, const yaml_node_t *n,
                                    const char *what)
{
    const char *s = ryaml_scalar(&L->y, n, what);
    if (s == NULL)
        return WEB_TLS_DEFAULT;
    if (strlen(s) == 5 && strncmp(s, "TLS1", 4) == 0 && s[4] >= '0' &&
        s[4] <= '3')
        return (enum web_tls_version)(10 + (s[4] - '0'));
    char q[WEB_SHOWN + 4];
    ryaml_err(&L->y, n, "%s must be TLS10, TLS11, TLS12 or TLS13, not \"%s\"",
              what, shown(s, q));
    return WEB_TLS_DEFAULT;
}

static void client_auth(struct wload *L, const yaml_node_t *n,
                        struct web_tls *t)
{
    const char *s = text(L, n, "client_auth_type");
    char q[WEB_SHOWN + 4];
    if (s == NULL)
        return;
    for (size_t i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
        if (strcmp(s, auth_names[i]) == 0) {
            t->client_auth = (enum web_client_auth)i;
            return;
        }
    if (strcmp(s, "RequireClientCert") == 0) { /* exporter-toolkit's alias */
        t->client_auth = WEB_CLIENT_REQUIRE_ANY;
        return;
    }
    ryaml_err(&L->y, n,
              "client_auth_type must be NoClientCert, RequestClientCert, "
              "RequireAnyClientCert, VerifyClientCertIfGiven or "
              "RequireAndVerifyClientCert, not \"%s\"",
              shown(s, q));
}

/* Exactly one of a file and its inline form; records where. */
static void pair(struct wload *L, const yaml_node_t *section,
                 const char *file_key, const char *inline_key, char **file,
                 char **inline_text, size_t *line, size_t *column,
                 bool required)
{
    const yaml_node_t *f = ryaml_get(&L->y, section, file_key);
    const yaml_node_t *t = ryaml_get(&L->y, section, inline_key);
    *file = path_of(L, f, file_key);
    const char *s = text(L, t, inline_key);
    *inline_text = s ? dup_or_oom(L, s) : NULL;
    const yaml_node_t *at = *file ? f : *inline_text ? t : NULL;
    if (at != NULL) {
        *line = at->start_mark.line + 1;
        *column = at->start_mark.column + 1;
    }
    if (*file != NULL && *inline_text != NULL)
        ryaml_err(&L->y, ryaml_key_node(&L->y, section, inline_key),
                  "tls_server_config: %s and %s exclude each other", file_key,
                  inline_key);
    else if (required && at == NULL)
        ryaml_err(&L->y, section, "tls_server_config: missing one of %s or %s",
                  inline_key, file_key);
}

/* Whether the section turns TLS on, as exporter-toolkit's IsEnabled. */
static bool tls_enabled(struct wload *L, const yaml_node_t *n)
{
    static const char *const keys[] = {
        "cert_file",      "cert",      "key_file",        "key",
        "client_ca_file", "client_ca", "client_auth_type"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const yaml_node_t *v = ryaml_get(&L->y, n, keys[i]);
        if (v != NULL && v->type == YAML_SCALAR_NODE &&
            v->data.scalar.length > 0)
            return true;
    }
    return false;
}

static void tls_lists(struct wload *L, const yaml_node_t *n, struct web_tls *t)
{
    t->client_allowed_sans =
        strings(L, ryaml_get(&L->y, n, "client_allowed_sans"),
                "client_allowed_sans", NULL, &t->n_client_allowed_sans);
    t->cipher_suites = strings(L, ryaml_get(&L->y, n, "cipher_suites"),
                               "cipher_suites", cipher_ok, &t->n_cipher_suites);
    t->curve_preferences =
        strings(L, ryaml_get(&L->y, n, "curve_preferences"),
                "curve_preferences", curve_ok, &t->n_curve_preferences);
}

static void tls_checks(struct wload *L, const yaml_node_t *n,
                       const struct web_tls *t)
{
    bool has_ca = t->client_ca_file != NULL || t->client_ca != NULL;
    bool verifies = t->client_auth == WEB_CLIENT_VERIFY_IF_GIVEN ||
                    t->client_auth == WEB_CLIENT_REQUIRE_AND_VERIFY;
    if (has_ca && t->client_auth == WEB_CLIENT_NONE)
        ryaml_err(&L->y, n,
                  "tls_server_config: client_ca_file or client_ca is given "
                  "without a client_auth_type that asks for certificates");
    if (!has_ca && verifies)
        ryaml_err(&L->y, ryaml_get(&L->y, n, "client_auth_type"),
                  "tls_server_config: client_auth_type %s verifies client "
                  "certificates and needs client_ca_file or client_ca",
                  auth_names[t->client_auth]);
    if (ryaml_get(&L->y, n, "client_allowed_sans") != NULL &&
        t->client_auth != WEB_CLIENT_REQUIRE_ANY &&
        t->client_auth != WEB_CLIENT_REQUIRE_AND_VERIFY)
        ryaml_err(&L->y, ryaml_key_node(&L->y, n, "client_allowed_sans"),
                  "tls_server_config: client_allowed_sans requires "
                  "client_auth_type RequireAnyClientCert or "
                  "RequireAndVerifyClientCert");
    enum web_tls_version lo = t->min_version ? t->min_version : WEB_TLS12;
    enum web_tls_version hi = t->max_version ? t->max_version : WEB_TLS13;
    if (lo > hi)
        ryaml_err(&L->y, ryaml_get(&L->y, n, "min_version"),
                  "tls_server_config: min_version TLS%d is above max_version "
                  "TLS%d",
                  (int)lo, (int)hi);
}

static void load_tls(struct wload *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"cert_file",
                                       "cert",
                                       "key_file",
                                       "key",
                                       "client_auth_type",
                                       "client_ca_file",
                                       "client_ca",
                                       "client_allowed_sans",
                                       "min_version",
                                       "max_version",
                                       "cipher_suites",
                                       "curve_preferences",
                                       "prefer_server_cipher_suites",
                                       NULL};
    /* Unknown keys reported, the known ones still read. */
    if (!ryaml_keys(&L->y, n, keys, "tls_server_config") &&
        n->type != YAML_MAPPING_NODE)
        return;
    const yaml_node_t *v;
    struct web_tls *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        L->oom = true;
        return;
    }
    L->c->tls = t;
    t->prefer_server_cipher_suites = true;
    bool on = tls_enabled(L, n);
    pair(L, n, "cert_file", "cert", &t->cert_file, &t->cert, &t->cert_line,
         &t->cert_column, on);
    pair(L, n, "key_file", "key", &t->key_file, &t->key, &t->key_line,
         &t->key_column, on);
    pair(L, n, "client_ca_file", "client_ca", &t->client_ca_file, &t->client_ca,
         &t->ca_line, &t->ca_column, false);
    client_auth(L, ryaml_get(&L->y, n, "client_auth_type"), t);
    if ((v = ryaml_get(&L->y, n, "min_version")) != NULL)
        t->min_version = version(L, v, "min_version");
    if ((v = ryaml_get(&L->y, n, "max_version")) != NULL)
        t->max_version = version(L, v, "max_version");
    if ((v = ryaml_get(&L->y, n, "prefer_server_cipher_suites")) != NULL)
        boolean(L, v, "prefer_server_cipher_suites",
                &t->prefer_server_cipher_suites);
    tls_lists(L, n, t);
    tls_checks(L, n, t);
    /* Without certificate or client settings the section leaves plain
     * HTTP, as exporter-toolkit does; what it held is dropped then. */
}

static void header(struct wload *L, const yaml_node_t *k, const yaml_node_t *v)
{
    const char *name = ryaml_scalar(&L->y, k, "http_server_config.headers");
    const char *value = ryaml_scalar(&L->y, v, "a header's value");
    if (name == NULL || value == NULL)
        return;
    size_t r = 0, n_rules = sizeof(header_rules) / sizeof(header_rules[0]);
    while (r < n_rules && strcmp(header_rules[r].name, name) != 0)
        r++;
    if (r == n_rules) {
        char q[WEB_SHOWN + 4];
        ryaml_err(&L->y, k,
                  "http_server_config.headers: header \"%s\" cannot be set "
                  "(only Strict-Transport-Security, X-Content-Type-Options, "
                  "X-Frame-Options, X-XSS-Protection and "
                  "Content-Security-Policy)",
                  shown(name, q));
        return;
    }
    const char *const *allowed = header_rules[r].values;
    bool ok = allowed[0] == NULL;
    for (size_t i = 0; allowed[i] != NULL; i++)
        ok = ok || strcmp(allowed[i], value) == 0;
    if (has_control(value)) {
        ryaml_err(&L->y, v,
                  "http_server_config.headers: %s: a value may not hold "
                  "control characters",
                  name);
        return;
    }
    for (size_t i = 0; i < L->c->n_headers; i++)
        if (L->c->headers[i].name != NULL &&
            strcmp(L->c->headers[i].name, name) == 0) {
            /* Sent twice otherwise, and the browser keeps either. */
            ryaml_err(&L->y, k, "http_server_config.headers: %s is given twice",
                      name);
            return;
        }
    if (!ok) {
        char q2[WEB_SHOWN + 4];
        ryaml_err(&L->y, v,
                  "http_server_config.headers: %s must be %s%s%s, not \"%s\"",
                  name, allowed[0], allowed[1] ? " or " : "",
                  allowed[1] ? allowed[1] : "", shown(value, q2));
        return;
    }
    struct web_header *h = &L->c->headers[L->c->n_headers];
    h->name = dup_or_oom(L, name);
    h->value = dup_or_oom(L, value);
    L->c->n_headers++;
}

static void load_http(struct wload *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"headers", "http2", NULL};
    /* Unknown keys reported, the known ones still read. */
    if (!ryaml_keys(&L->y, n, keys, "http_server_config") &&
        n->type != YAML_MAPPING_NODE)
        return;
    const yaml_node_t *v = ryaml_get(&L->y, n, "http2");
    bool http2;
    if (v != NULL) /* accepted for compatibility: HTTP/1.1 is served */
        boolean(L, v, "http2", &http2);
    const yaml_node_t *h = ryaml_get(&L->y, n, "headers");
    if (h == NULL)
        return;
    if (h->type != YAML_MAPPING_NODE) {
        ryaml_err(&L->y, h, "http_server_config.headers must be a mapping");
        return;
    }
    size_t len = ryaml_len(h);
    if (len > WEB_MAX_LIST) {
        ryaml_err(&L->y, h, "http_server_config.headers: at most %d",
                  WEB_MAX_LIST);
        return;
    }
    L->c->headers = calloc(len ? len : 1, sizeof(*L->c->headers));
    if (L->c->headers == NULL) {
        L->oom = true;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *value, *key = ryaml_pair(&L->y, h, i, &value);
        header(L, key, value);
    }
}

static void load_users(struct wload *L, const yaml_node_t *n)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0)
        return; /* basic_auth_users: with nothing */
    if (n->type != YAML_MAPPING_NODE) {
        ryaml_err(&L->y, n,
                  "basic_auth_users must be a mapping of user "
                  "names to bcrypt hashes");
        return;
    }
    size_t len = ryaml_len(n);
    L->c->users = calloc(len ? len : 1, sizeof(*L->c->users));
    if (L->c->users == NULL) {
        L->oom = true;
        return;
    }
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *v, *k = ryaml_pair(&L->y, n, i, &v);
        const char *user = ryaml_scalar(&L->y, k, "a user name");
        const char *hash = ryaml_scalar(&L->y, v, "a bcrypt hash");
        const char *why = NULL;
        char q[WEB_SHOWN + 4];
        if (user == NULL || hash == NULL)
            continue;
        bool twice = false;
        for (size_t j = 0; j < L->c->n_users; j++)
            twice = twice || strcmp(L->c->users[j].name, user) == 0;
        if (auth_check_user(user, &why) != 0) {
            ryaml_err(&L->y, k, "basic_auth_users: user \"%s\": %s",
                      shown(user, q), why);
            continue;
        }
        if (twice) {
            ryaml_err(&L->y, k, "basic_auth_users: user \"%s\" is given twice",
                      shown(user, q));
            continue;
        }
        if (auth_check_hash(hash, &why) != 0) {
            ryaml_err(&L->y, v,
                      "basic_auth_users: %s: not a usable bcrypt "
                      "hash: %s",
                      shown(user, q), why ? why : "invalid");
            continue;
        }
        struct web_user *u = &L->c->users[L->c->n_users++];
        u->name = dup_or_oom(L, user);
        u->hash = dup_or_oom(L, hash);
        if (u->name == NULL) { /* kept apart from the names compared */
            free(u->hash);
            L->c->n_users--;
        }
    }
}

static void load_rate(struct wload *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"burst", "interval", NULL};
    /* Unknown keys reported, the known ones still read. */
    if (!ryaml_keys(&L->y, n, keys, "rate_limit") &&
        n->type != YAML_MAPPING_NODE)
        return;
    const yaml_node_t *b = ryaml_get(&L->y, n, "burst");
    const yaml_node_t *i = ryaml_get(&L->y, n, "interval");
    const char *d = i ? ryaml_scalar(&L->y, i, "rate_limit.interval") : NULL;
    int64_t ms = 0;
    if (d != NULL && strcmp(d, "0") != 0 &&
        promql_duration(d, strlen(d), &ms) != 0) {
        char q[WEB_SHOWN + 4];
        ryaml_err(&L->y, i,
                  "rate_limit.interval must be a duration such as 1s or "
                  "100ms, not \"%s\"",
                  shown(d, q));
    } else {
        L->c->rate_limit.interval_ms = (uint64_t)ms;
    }
    if (b != NULL) {
        const char *s = ryaml_scalar(&L->y, b, "rate_limit.burst");
        char *end;
        long v = s ? strtol(s, &end, 10) : -1;
        if (s == NULL || *s == '\0' || *end != '\0' || v < 0 || v > INT_MAX)
            ryaml_err(&L->y, b,
                      "rate_limit.burst must be a whole number "
                      "from 0");
        else
            L->c->rate_limit.burst = (unsigned)v;
    }
}

static void load_root(struct wload *L, const yaml_node_t *root)
{
    static const char *const keys[] = {"tls_server_config",
                                       "http_server_config", "basic_auth_users",
                                       "rate_limit", NULL};
    if (root == NULL) /* an empty file: plain HTTP, no authentication */
        return;
    /* Unknown keys reported, the known ones still read. */
    if (!ryaml_keys(&L->y, root, keys, "the web configuration") &&
        root->type != YAML_MAPPING_NODE)
        return;
    const yaml_node_t *v;
    if ((v = ryaml_get(&L->y, root, "tls_server_config")) != NULL)
        load_tls(L, v);
    if ((v = ryaml_get(&L->y, root, "http_server_config")) != NULL)
        load_http(L, v);
    if ((v = ryaml_get(&L->y, root, "basic_auth_users")) != NULL)
        load_users(L, v);
    if ((v = ryaml_get(&L->y, root, "rate_limit")) != NULL)
        load_rate(L, v);
}

int webconfig_load(const char *path, struct web_config **out,
                   struct buf *errors)
{
    struct wload L = {0};
    int rc = ryaml_open(&L.y, path, errors);
    if (rc != 0) {
        ryaml_close(&L.y); /* what was read before the syntax error */
        return rc;
    }
    char *dir = strdup(path);
    L.c = calloc(1, sizeof(*L.c));
    if (dir == NULL || L.c == NULL) {
        free(dir);
        free(L.c);
        ryaml_close(&L.y);
        return -ENOMEM;
    }
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        dir[0] = '\0';
    L.dir = dir;
    L.c->path = dup_or_oom(&L, path);
    load_root(&L, ryaml_root(&L.y));
    if (L.c->tls != NULL && !tls_enabled(&L, ryaml_get(&L.y, ryaml_root(&L.y),
                                                       "tls_server_config"))) {
        webconfig_free_tls(L.c->tls);
        L.c->tls = NULL;
    }
    rc = L.oom ? -ENOMEM : L.y.n_errors > 0 ? -EINVAL : 0;
    ryaml_close(&L.y);
    free(dir);
    if (rc != 0) {
        webconfig_free(L.c);
        return rc;
    }
    *out = L.c;
    return 0;
}

/* --- freeing -------------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void webconfig_free_tls(struct web_tls *t)
{
    if (t == NULL)
        return;
    free(t->cert_file);
    free(t->cert);
    free(t->key_file);
    free(t->key);
    free(t->client_ca_file);
    free(t->client_ca);
    free_strings(t->client_allowed_sans, t->n_client_allowed_sans);
    free_strings(t->cipher_suites, t->n_cipher_suites);
    free_strings(t->curve_preferences, t->n_curve_preferences);
    free(t);
}

void webconfig_free(struct web_config *c)
{
    if (c == NULL)
        return;
    free(c->path);
    webconfig_free_tls(c->tls);
    for (size_t i = 0; i < c->n_headers; i++) {
        free(c->headers[i].name);
        free(c->headers[i].value);
    }
    free(c->headers);
    for (size_t i = 0; i < c->n_users; i++) {
        free(c->users[i].name);
        free(c->users[i].hash);
    }
    free(c->users);
    free(c);
}
