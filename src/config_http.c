/*
 * Loading the HTTP client keys shared by every section that posts
 * somewhere. They are Prometheus' names and meanings, secrets from files
 * trimmed of surrounding white space as Prometheus does.
 */
#include "config_http.h"
#include "config_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* path as given when absolute, else beside the configuration file. */
static const char *beside_config(struct loader *L, const char *path, char *out,
                                 size_t cap)
{
    const char *slash = strrchr(L->name, '/');
    if (path[0] == '/' || slash == NULL)
        return path;
    int n =
        snprintf(out, cap, "%.*s/%s", (int)(slash - L->name), L->name, path);
    return n > 0 && (size_t)n < cap ? out : path;
}

/* The text of the file named by n, its surrounding white space removed as
 * Prometheus does; NULL after reporting why it cannot be read. */
static const char *secret_file(struct loader *L, const yaml_node_t *n,
                               const char *what)
{
    char where[4096], text[CONFIG_MAX_SECRET_BYTES + 1];
    const char *name = cfg_string(L, n, what);
    if (name == NULL)
        return NULL;
    const char *path = beside_config(L, name, where, sizeof(where));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        cfg_err(L, n, "%s: cannot read %s: %s", what, path, strerror(errno));
        return NULL;
    }
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (len > CONFIG_MAX_SECRET_BYTES) {
        cfg_err(L, n, "%s: %s holds more than %d bytes", what, path,
                CONFIG_MAX_SECRET_BYTES);
        return NULL;
    }
    text[len] = '\0';
    char *s = text;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
        text[--len] = '\0';
    return cfg_strdup(L, s);
}

/* A secret given inline (key) or in a file (key_file), not both. */
static const char *secret(struct loader *L, const yaml_node_t *block,
                          const char *key, const char *file_key)
{
    yaml_node_t *v = cfg_get(L, block, key);
    yaml_node_t *f = cfg_get(L, block, file_key);
    if (v != NULL && f != NULL) {
        cfg_err(L, f, "%s and %s exclude each other", key, file_key);
        return NULL;
    }
    if (f != NULL)
        return secret_file(L, f, file_key);
    return v != NULL ? cfg_string(L, v, key) : NULL;
}

static void load_basic_auth(struct loader *L, const yaml_node_t *n,
                            struct cfg_http_client *h)
{
    static const char *const keys[] = {"username", "password", "password_file",
                                       NULL};
    if (!cfg_keys(L, n, keys, "basic_auth"))
        return;
    yaml_node_t *u = cfg_get(L, n, "username");
    if (u == NULL) {
        cfg_err(L, n, "basic_auth needs \"username\"");
        return;
    }
    h->username = cfg_string(L, u, "username");
    h->password = secret(L, n, "password", "password_file");
    if (h->password == NULL)
        h->password = "";
}

static void load_authorization(struct loader *L, const yaml_node_t *n,
                               struct cfg_http_client *h)
{
    static const char *const keys[] = {"type", "credentials",
                                       "credentials_file", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "authorization"))
        return;
    h->auth_type = "Bearer";
    if ((v = cfg_get(L, n, "type")) != NULL)
        h->auth_type = cfg_string(L, v, "authorization.type");
    h->credentials = secret(L, n, "credentials", "credentials_file");
    if (h->credentials == NULL && cfg_get(L, n, "credentials") == NULL &&
        cfg_get(L, n, "credentials_file") == NULL)
        cfg_err(L, n,
                "authorization needs \"credentials\" or "
                "\"credentials_file\"");
}

static void load_tls(struct loader *L, const yaml_node_t *n,
                     struct cfg_http_client *h)
{
    static const char *const keys[] = {"ca_file", "insecure_skip_verify", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "tls_config"))
        return;
    const char *name;
    if ((v = cfg_get(L, n, "ca_file")) != NULL &&
        (name = cfg_string(L, v, "ca_file")) != NULL) {
        char where[4096];
        h->ca_file =
            cfg_strdup(L, beside_config(L, name, where, sizeof(where)));
    }
    if ((v = cfg_get(L, n, "insecure_skip_verify")) != NULL)
        cfg_bool(L, v, "insecure_skip_verify", &h->insecure_skip_verify);
}

/* An http:// or https:// URL with a host; api appended to its path. */
const char *cfg_load_http_url(struct loader *L, const yaml_node_t *n,
                              const char *api)
{
    const char *url = cfg_string(L, n, "url");
    if (url == NULL)
        return NULL;
    const char *host = cfg_starts_with(url, "http://")    ? url + 7
                       : cfg_starts_with(url, "https://") ? url + 8
                                                          : NULL;
    if (host == NULL || *host == '\0' || *host == '/') {
        cfg_err(L, n,
                "url must start with http:// or https:// and a host, "
                "not \"%s\"",
                url);
        return NULL;
    }
    if (strchr(url, ' ') != NULL || strchr(url, '?') != NULL ||
        strchr(url, '#') != NULL) {
        cfg_err(L, n, "url must hold no space, query or fragment: \"%s\"", url);
        return NULL;
    }
    if (api == NULL)
        return url;
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/' && url + len > host + 1)
        len--;
    size_t cap = len + strlen(api) + 1;
    char *full = cfg_alloc(L, cap);
    if (full != NULL)
        snprintf(full, cap, "%.*s%s", (int)len, url, api);
    return full;
}

void cfg_load_http_auth(struct loader *L, const yaml_node_t *n,
                        struct cfg_http_client *h)
{
    yaml_node_t *v;
    if ((v = cfg_get(L, n, "basic_auth")) != NULL &&
        cfg_want(L, v, YAML_MAPPING_NODE, "basic_auth"))
        load_basic_auth(L, v, h);
    if ((v = cfg_get(L, n, "authorization")) != NULL &&
        cfg_want(L, v, YAML_MAPPING_NODE, "authorization")) {
        if (h->username != NULL)
            cfg_err(L, v, "basic_auth and authorization exclude each other");
        else
            load_authorization(L, v, h);
    }
    if ((v = cfg_get(L, n, "tls_config")) != NULL &&
        cfg_want(L, v, YAML_MAPPING_NODE, "tls_config"))
        load_tls(L, v, h);
}

bool cfg_same_http_client(const struct cfg_http_client *a,
                          const struct cfg_http_client *b)
{
    return config_same_text(a->url, b->url) && a->timeout_ms == b->timeout_ms &&
           config_same_text(a->username, b->username) &&
           config_same_text(a->password, b->password) &&
           config_same_text(a->auth_type, b->auth_type) &&
           config_same_text(a->credentials, b->credentials) &&
           config_same_text(a->ca_file, b->ca_file) &&
           a->insecure_skip_verify == b->insecure_skip_verify;
}
