/*
 * The alerting section of the configuration: how often rules are
 * evaluated, how often a firing alert is sent again, and where alerts go
 * (Alertmanagers and webhooks). Loaded by config_alerting.c with every
 * error at file:line:column; read-only once loaded, like the rest of the
 * configuration. Strings live in the configuration's arena.
 *
 *   alerting:
 *     evaluation_interval: 15s
 *     resend_delay: 1m
 *     alertmanagers:
 *       - url: http://127.0.0.1:9093
 *         timeout: 10s
 *         basic_auth: {username: u, password_file: /run/secrets/am}
 *     webhooks:
 *       - name: ops
 *         url: https://hooks.example.com/T000/B000
 *         format: slack
 *         repeat_interval: 5m
 *         group_by: [alertname, service]
 *
 * Every receiver ends up as one struct cfg_receiver, the Alertmanagers
 * first; the notifier (notify.h) reads nothing else.
 */
#ifndef TOKENTAIL_CONFIG_ALERTING_H
#define TOKENTAIL_CONFIG_ALERTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config_http.h"

#define CONFIG_DEFAULT_EVAL_INTERVAL_MS 15000 /* 15 s, as Prometheus */
#define CONFIG_MIN_EVAL_INTERVAL_MS     1000  /* 1 s */
#define CONFIG_DEFAULT_RESEND_DELAY_MS  60000 /* 1 m, as Prometheus */
#define CONFIG_DEFAULT_NOTIFY_TIMEOUT   10000 /* ms, as Prometheus */
#define CONFIG_DEFAULT_REPEAT_MS        300000 /* 5 m between a group's messages */
#define CONFIG_MAX_NOTIFY_MS            604800000 /* 7 d, any of the above */
#define CONFIG_MAX_RECEIVERS            32 /* Alertmanagers and webhooks */
#define CONFIG_MAX_GROUP_BY             16 /* labels of one group_by */
#define CONFIG_ALERTMANAGER_PATH        "/api/v2/alerts"

/* What a receiver is sent; a webhook's format names the first two. */
enum notify_format {
    NOTIFY_FORMAT_WEBHOOK, /* "alertmanager": its webhook body, version 4 */
    NOTIFY_FORMAT_SLACK,   /* "slack": {"text": ...}, incoming webhooks */
    NOTIFY_FORMAT_API,     /* an Alertmanager's API: every alert, ungrouped */
};
/* How many formats a webhook may name. */
#define NOTIFY_FORMAT_NAMED (NOTIFY_FORMAT_SLACK + 1)

struct cfg_receiver {
    const char *name; /* a webhook's name; an Alertmanager's url */
    enum notify_format format;
    struct cfg_http_client http;
    uint64_t repeat_interval_ms; /* webhooks: one message a group per */
    const char *const *group_by; /* webhooks: label names, in order */
    size_t n_group_by;
};

struct cfg_alerting {
    uint64_t evaluation_interval_ms; /* for the rule groups */
    uint64_t resend_delay_ms;        /* a firing alert sent again after */
    const char *external_url;        /* webhooks' externalURL; "" unset */
    struct cfg_receiver *receivers;  /* Alertmanagers, then webhooks */
    size_t n_receivers;
    size_t n_alertmanagers;
};

/* A webhook format's name ("alertmanager", "slack"), and back (-1: none). */
const char *notify_format_name(size_t f);
int notify_format_parse(const char *s);

/*
 * Whether a and b (borrowed) post to the same receivers in the same way:
 * the same Alertmanagers and webhooks, in the same order, with the same
 * settings and the same external URL. The rule groups' intervals do not
 * count.
 */
bool cfg_alerting_same_receivers(const struct cfg_alerting *a,
                                 const struct cfg_alerting *b);

/*
 * Loads "alerting" (n; NULL: absent, every default) into L->cfg->alerting.
 * Declared with the loader's type so that config.c needs only this line.
 */
struct loader;
void cfg_load_alerting(struct loader *L, const yaml_node_t *n);

#endif
