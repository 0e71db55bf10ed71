/*
 * Loading "remote_write" and "external_labels". The HTTP keys are shared
 * with the alerting section (config_http.h); what is particular here is
 * the queue and its retries, the headers, and a remote's name, which
 * labels its self-metrics and so must be unique.
 */
#include "config_remote_write.h"

#include "config_yaml.h"
#include "lazylib.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Headers tokentail sets itself, as Prometheus refuses them too. */
static const char *const reserved_headers[] = {
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "X-Prometheus-Remote-Write-Version",
    NULL};

/* An HTTP token (RFC 9110): what a header's name may be. */
static bool is_token(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}

/* The pairs of the mapping n, each checked by ok (NULL: fine) which
 * reports what is wrong with a name; NULL after an error. */
static const struct cfg_pair *
load_pairs(struct loader *L, const yaml_node_t *n, const char *what, size_t max,
           bool (*ok)(struct loader *, const yaml_node_t *, const char *,
                      const char *),
           size_t *count)
{
    *count = 0;
    if (!cfg_want(L, n, YAML_MAPPING_NODE, what))
        return NULL;
    size_t cnt = cfg_map_len(n);
    if (cnt > max) {
        cfg_err(L, n, "%s: more than %zu", what, max);
        return NULL;
    }
    struct cfg_pair *p = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*p));
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *pair = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = cfg_node(L, pair->key), *v = cfg_node(L, pair->value);
        const char *name = cfg_string(L, k, what);
        const char *value = cfg_string(L, v, what);
        if (name == NULL || value == NULL || !ok(L, k, name, value))
            continue;
        p[(*count)++] = (struct cfg_pair){name, value};
    }
    return p;
}

static bool header_ok(struct loader *L, const yaml_node_t *k, const char *name,
                      const char *value)
{
    if (!is_token(name)) {
        cfg_err(L, k, "headers: \"%s\" is not a header name", name);
        return false;
    }
    for (size_t i = 0; reserved_headers[i] != NULL; i++)
        if (strcasecmp(name, reserved_headers[i]) == 0) {
            cfg_err(L, k,
                    "headers: %s is set by tokentail (use basic_auth or "
                    "authorization for credentials)",
                    reserved_headers[i]);
            return false;
        }
    if (strpbrk(value, "\r\n") != NULL) {
        cfg_err(L, k, "headers: the value of %s holds a line break", name);
        return false;
    }
    return true;
}

/* Values are never empty: cfg_string refuses an empty string. */
static bool label_ok(struct loader *L, const yaml_node_t *k, const char *name,
                     const char *value)
{
    (void)value;
    if (!cfg_is_label_name(name) || cfg_starts_with(name, "__")) {
        cfg_err(L, k,
                "external_labels: \"%s\" is not a label name (letters, "
                "digits and _, not starting with __)",
                name);
        return false;
    }
    return true;
}

static void load_queue(struct loader *L, const yaml_node_t *n,
                       struct cfg_remote *r)
{
    static const char *const keys[] = {
        "capacity",    "max_samples_per_send", "min_backoff",
        "max_backoff", "retry_on_http_429",    NULL};
    yaml_node_t *v;
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "queue_config") ||
        !cfg_keys(L, n, keys, "queue_config"))
        return;
    if ((v = cfg_get(L, n, "capacity")) != NULL)
        cfg_size(L, v, "capacity", 1, RW_MAX_CAPACITY, false, &r->capacity);
    if ((v = cfg_get(L, n, "max_samples_per_send")) != NULL)
        cfg_size(L, v, "max_samples_per_send", 1, RW_MAX_CAPACITY, false,
                 &r->max_samples_per_send);
    if ((v = cfg_get(L, n, "min_backoff")) != NULL)
        cfg_duration(L, v, "min_backoff", 1, RW_MAX_DURATION_MS,
                     &r->min_backoff_ms);
    if ((v = cfg_get(L, n, "max_backoff")) != NULL)
        cfg_duration(L, v, "max_backoff", 1, RW_MAX_DURATION_MS,
                     &r->max_backoff_ms);
    if ((v = cfg_get(L, n, "retry_on_http_429")) != NULL)
        cfg_bool(L, v, "retry_on_http_429", &r->retry_on_429);
    if (r->max_samples_per_send > r->capacity)
        cfg_err(L, n,
                "queue_config: max_samples_per_send (%zu) is more than "
                "capacity (%zu)",
                r->max_samples_per_send, r->capacity);
    if (r->min_backoff_ms > r->max_backoff_ms)
        cfg_err(L, n, "queue_config: min_backoff is longer than max_backoff");
}

/* 6 hex digits of FNV-1a over the url: stable while the url is. */
static const char *derived_name(struct loader *L, const char *url)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = url; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    char name[RW_DERIVED_NAME_LEN + 1];
    snprintf(name, sizeof(name), "%06llx",
             (unsigned long long)(h >> 40) & 0xffffffull);
    return cfg_strdup(L, name);
}

static void load_remote(struct loader *L, const yaml_node_t *n,
                        struct cfg_remote *r)
{
    static const char *const keys[] = {
        "url",          "name",       "remote_timeout", "interval",
        "headers",      "basic_auth", "authorization",  "tls_config",
        "queue_config", NULL};
    yaml_node_t *v;
    r->http.timeout_ms = RW_DEFAULT_TIMEOUT_MS;
    r->interval_ms = RW_DEFAULT_INTERVAL_MS;
    r->capacity = RW_DEFAULT_CAPACITY;
    r->max_samples_per_send = RW_DEFAULT_MAX_PER_SEND;
    r->min_backoff_ms = RW_DEFAULT_MIN_BACKOFF;
    r->max_backoff_ms = RW_DEFAULT_MAX_BACKOFF;
    r->retry_on_429 = true;
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "a remote_write entry") ||
        !cfg_keys(L, n, keys, "a remote_write entry"))
        return;
    if ((v = cfg_get(L, n, "url")) == NULL)
        cfg_err(L, n, "a remote_write entry needs \"url\"");
    else
        r->http.url = cfg_load_http_url(L, v, NULL);
    if ((v = cfg_get(L, n, "name")) != NULL &&
        (r->name = cfg_string(L, v, "name")) != NULL &&
        (r->name[0] == '\0' || strpbrk(r->name, "\"\\\n") != NULL)) {
        cfg_err(L, v,
                "a remote_write name must be a non-empty word, not "
                "\"%s\"",
                r->name);
        r->name = NULL;
    }
    if (r->name == NULL && r->http.url != NULL)
        r->name = derived_name(L, r->http.url);
    if ((v = cfg_get(L, n, "remote_timeout")) != NULL)
        cfg_duration(L, v, "remote_timeout", 1, RW_MAX_DURATION_MS,
                     &r->http.timeout_ms);
    if ((v = cfg_get(L, n, "interval")) != NULL)
        cfg_duration(L, v, "interval", RW_MIN_INTERVAL_MS, RW_MAX_DURATION_MS,
                     &r->interval_ms);
    if ((v = cfg_get(L, n, "headers")) != NULL)
        r->headers = load_pairs(L, v, "headers", RW_MAX_HEADERS, header_ok,
                                &r->n_headers);
    cfg_load_http_auth(L, n, &r->http);
    if ((v = cfg_get(L, n, "queue_config")) != NULL)
        load_queue(L, v, r);
}

static void load_remotes(struct loader *L, const yaml_node_t *v,
                         struct cfg_push *p)
{
    if (!cfg_want(L, v, YAML_SEQUENCE_NODE, "remote_write"))
        return;
    size_t cnt = cfg_seq_len(v);
    if (cnt > RW_MAX_REMOTES) {
        cfg_err(L, v, "remote_write: more than %d entries", RW_MAX_REMOTES);
        return;
    }
    if ((p->remotes = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*p->remotes))) ==
        NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = cfg_node(L, v->data.sequence.items.start[i]);
        struct cfg_remote *r = &p->remotes[p->n_remotes];
        load_remote(L, item, r);
        if (r->name == NULL)
            continue;
        for (size_t k = 0; k < p->n_remotes; k++)
            if (strcmp(p->remotes[k].name, r->name) == 0) {
                cfg_err(L, item,
                        "remote_write: two entries are named \"%s\" (give "
                        "each its own name)",
                        r->name);
                break;
            }
        p->n_remotes++;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct cfg_pair *)a)->name,
                  ((const struct cfg_pair *)b)->name);
}

void cfg_load_push(struct loader *L, const yaml_node_t *labels,
                   const yaml_node_t *list)
{
    struct cfg_push *p = cfg_alloc(L, sizeof(*p));
    if (p == NULL)
        return;
    L->cfg->push = p;
    if (labels != NULL) {
        struct cfg_pair *l = (struct cfg_pair *)load_pairs(
            L, labels, "external_labels", RW_MAX_EXTERNAL_LABELS, label_ok,
            &p->n_external_labels);
        if (l != NULL)
            qsort(l, p->n_external_labels, sizeof(*l), by_name);
        p->external_labels = l;
    }
    if (list != NULL)
        load_remotes(L, list, p);
    char why[LAZYLIB_WHY_TEXT];
    if (p->n_remotes > 0 && (lazylib_curl(why, sizeof(why)) != 0 ||
                             lazylib_snappy(why, sizeof(why)) != 0))
        cfg_err(L, list,
                "remote_write: sending needs libcurl and snappy, which "
                "cannot be loaded: %s",
                why);
}

/* --- comparing ----------------------------------------------------------- */

static bool same_pairs(const struct cfg_pair *a, size_t na,
                       const struct cfg_pair *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) != 0 ||
            strcmp(a[i].value, b[i].value) != 0)
            return false;
    return true;
}

bool cfg_remote_same(const struct cfg_remote *a, const struct cfg_remote *b)
{
    return config_same_text(a->name, b->name) &&
           cfg_same_http_client(&a->http, &b->http) &&
           same_pairs(a->headers, a->n_headers, b->headers, b->n_headers) &&
           a->interval_ms == b->interval_ms && a->capacity == b->capacity &&
           a->max_samples_per_send == b->max_samples_per_send &&
           a->min_backoff_ms == b->min_backoff_ms &&
           a->max_backoff_ms == b->max_backoff_ms &&
           a->retry_on_429 == b->retry_on_429;
}

bool cfg_push_same_labels(const struct cfg_push *a, const struct cfg_push *b)
{
    return same_pairs(a->external_labels, a->n_external_labels,
                      b->external_labels, b->n_external_labels);
}
