/*
 * Loading "alerting": the rule evaluation interval, the resend delay, the
 * Alertmanagers and the webhooks. The HTTP settings of a receiver
 * (timeout, basic_auth, authorization, tls_config) are Prometheus' own
 * keys (config_http.h), so an Alertmanager's block can be copied from
 * prometheus.yml.
 */
#include "config_alerting.h"
#include "config_http.h"
#include "config_yaml.h"
#include "lazylib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const format_names[NOTIFY_FORMAT_NAMED] = {"alertmanager",
                                                              "slack"};

const char *notify_format_name(size_t f)
{
    return f < NOTIFY_FORMAT_NAMED ? format_names[f] : "api";
}

int notify_format_parse(const char *s)
{
    for (size_t i = 0; i < NOTIFY_FORMAT_NAMED; i++)
        if (strcmp(s, format_names[i]) == 0)
            return (int)i;
    return -1;
}

/* The keys both kinds of receiver take; url required. */
static void load_client(struct loader *L, const yaml_node_t *n,
                        struct cfg_receiver *r, const char *api)
{
    yaml_node_t *v;
    r->http.timeout_ms = CONFIG_DEFAULT_NOTIFY_TIMEOUT;
    if ((v = cfg_get(L, n, "url")) == NULL)
        cfg_err(L, n, "a receiver needs \"url\"");
    else
        r->http.url = cfg_load_http_url(L, v, api);
    if ((v = cfg_get(L, n, "timeout")) != NULL)
        cfg_duration(L, v, "timeout", 1, CONFIG_MAX_NOTIFY_MS,
                     &r->http.timeout_ms);
    cfg_load_http_auth(L, n, &r->http);
}

static void load_alertmanager(struct loader *L, const yaml_node_t *n,
                              struct cfg_receiver *r)
{
    static const char *const keys[] = {
        "url", "timeout", "basic_auth", "authorization", "tls_config", NULL};
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "an Alertmanager") ||
        !cfg_keys(L, n, keys, "an Alertmanager"))
        return;
    r->format = NOTIFY_FORMAT_API;
    load_client(L, n, r, CONFIG_ALERTMANAGER_PATH);
    r->name = r->http.url;
}

static void load_group_by(struct loader *L, const yaml_node_t *v,
                          struct cfg_receiver *r)
{
    if (!cfg_want(L, v, YAML_SEQUENCE_NODE, "group_by"))
        return;
    size_t cnt = cfg_seq_len(v);
    if (cnt > CONFIG_MAX_GROUP_BY) {
        cfg_err(L, v, "group_by names more than %d labels",
                CONFIG_MAX_GROUP_BY);
        return;
    }
    const char **names = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*names));
    if (names == NULL)
        return;
    r->n_group_by = 0;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *item = cfg_node(L, v->data.sequence.items.start[i]);
        const char *s = cfg_string(L, item, "a group_by label");
        if (s != NULL && !cfg_is_label_name(s))
            cfg_err(L, item, "group_by: \"%s\" is not a label name", s);
        else if (s != NULL)
            names[r->n_group_by++] = s;
    }
    r->group_by = names;
}

static void load_webhook(struct loader *L, const yaml_node_t *n,
                         struct cfg_receiver *r)
{
    static const char *const keys[] = {"name",       "url",
                                       "format",     "timeout",
                                       "basic_auth", "authorization",
                                       "tls_config", "repeat_interval",
                                       "group_by",   NULL};
    static const char *const by_name[] = {"alertname"};
    yaml_node_t *v;
    if (!cfg_want(L, n, YAML_MAPPING_NODE, "a webhook") ||
        !cfg_keys(L, n, keys, "a webhook"))
        return;
    r->format = NOTIFY_FORMAT_WEBHOOK;
    r->repeat_interval_ms = CONFIG_DEFAULT_REPEAT_MS;
    r->group_by = by_name;
    r->n_group_by = 1;
    if ((v = cfg_get(L, n, "name")) == NULL)
        cfg_err(L, n, "a webhook needs \"name\": its receiver label");
    else if ((r->name = cfg_string(L, v, "name")) != NULL &&
             !cfg_is_label_name(r->name))
        cfg_err(L, v,
                "a webhook's name must be a word of letters, digits "
                "and _, not \"%s\"",
                r->name);
    if ((v = cfg_get(L, n, "format")) != NULL) {
        int f = cfg_choice(L, v, "format", notify_format_parse,
                           notify_format_name, NOTIFY_FORMAT_NAMED, true);
        if (f >= 0)
            r->format = (enum notify_format)f;
    }
    load_client(L, n, r, NULL);
    if ((v = cfg_get(L, n, "repeat_interval")) != NULL)
        cfg_duration(L, v, "repeat_interval", 1, CONFIG_MAX_NOTIFY_MS,
                     &r->repeat_interval_ms);
    if ((v = cfg_get(L, n, "group_by")) != NULL)
        load_group_by(L, v, r);
}

/* Loads the list at v with one, into a->receivers from a->n_receivers. */
static void load_list(struct loader *L, const yaml_node_t *v, const char *what,
                      struct cfg_alerting *a,
                      void (*one)(struct loader *, const yaml_node_t *,
                                  struct cfg_receiver *))
{
    if (!cfg_want(L, v, YAML_SEQUENCE_NODE, what))
        return;
    for (size_t i = 0; i < cfg_seq_len(v); i++) {
        yaml_node_t *item = cfg_node(L, v->data.sequence.items.start[i]);
        if (a->n_receivers == CONFIG_MAX_RECEIVERS) {
            cfg_err(L, item, "more than %d receivers", CONFIG_MAX_RECEIVERS);
            return;
        }
        struct cfg_receiver *r = &a->receivers[a->n_receivers];
        one(L, item, r);
        if (r->name == NULL)
            continue;
        for (size_t k = 0; k < a->n_receivers; k++)
            if (a->receivers[k].name != NULL &&
                strcmp(a->receivers[k].name, r->name) == 0) {
                cfg_err(L, item, "%s: \"%s\" is named twice", what, r->name);
                break;
            }
        a->n_receivers++;
    }
}

void cfg_load_alerting(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {
        "evaluation_interval", "resend_delay", "external_url",
        "alertmanagers",       "webhooks",     NULL};
    struct cfg_alerting *a = cfg_alloc(L, sizeof(*a));
    yaml_node_t *v;
    if (a == NULL)
        return;
    a->evaluation_interval_ms = CONFIG_DEFAULT_EVAL_INTERVAL_MS;
    a->resend_delay_ms = CONFIG_DEFAULT_RESEND_DELAY_MS;
    a->external_url = "";
    a->receivers = cfg_alloc(L, CONFIG_MAX_RECEIVERS * sizeof(*a->receivers));
    L->cfg->alerting = a;
    if (n == NULL || a->receivers == NULL ||
        !cfg_want(L, n, YAML_MAPPING_NODE, "alerting") ||
        !cfg_keys(L, n, keys, "alerting"))
        return;
    if ((v = cfg_get(L, n, "evaluation_interval")) != NULL)
        cfg_duration(L, v, "evaluation_interval", CONFIG_MIN_EVAL_INTERVAL_MS,
                     CONFIG_MAX_NOTIFY_MS, &a->evaluation_interval_ms);
    if ((v = cfg_get(L, n, "resend_delay")) != NULL)
        cfg_duration(L, v, "resend_delay", 0, CONFIG_MAX_NOTIFY_MS,
                     &a->resend_delay_ms);
    if ((v = cfg_get(L, n, "external_url")) != NULL &&
        (a->external_url = cfg_string(L, v, "external_url")) == NULL)
        a->external_url = "";
    if ((v = cfg_get(L, n, "alertmanagers")) != NULL)
        load_list(L, v, "alertmanagers", a, load_alertmanager);
    a->n_alertmanagers = a->n_receivers;
    if ((v = cfg_get(L, n, "webhooks")) != NULL)
        load_list(L, v, "webhooks", a, load_webhook);
    char why[LAZYLIB_WHY_TEXT];
    if (a->n_receivers > 0 && lazylib_curl(why, sizeof(why)) != 0)
        cfg_err(L, n,
                "alerting: notifications are sent with libcurl, which "
                "cannot be loaded: %s",
                why);
}

/* --- comparing ----------------------------------------------------------- */

static bool same_receiver(const struct cfg_receiver *a,
                          const struct cfg_receiver *b)
{
    if (!config_same_text(a->name, b->name) || a->format != b->format ||
        !cfg_same_http_client(&a->http, &b->http) ||
        a->repeat_interval_ms != b->repeat_interval_ms ||
        a->n_group_by != b->n_group_by)
        return false;
    for (size_t i = 0; i < a->n_group_by; i++)
        if (!config_same_text(a->group_by[i], b->group_by[i]))
            return false;
    return true;
}

bool cfg_alerting_same_receivers(const struct cfg_alerting *a,
                                 const struct cfg_alerting *b)
{
    if (a->n_receivers != b->n_receivers ||
        a->n_alertmanagers != b->n_alertmanagers ||
        !config_same_text(a->external_url, b->external_url))
        return false;
    for (size_t i = 0; i < a->n_receivers; i++)
        if (!same_receiver(&a->receivers[i], &b->receivers[i]))
            return false;
    return true;
}
