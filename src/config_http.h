/*
 * How tokentail reaches a server over HTTP(S) as a client: the keys
 * Prometheus' own configuration uses for it (basic_auth, authorization,
 * tls_config), so a block copied from prometheus.yml works here. Shared
 * by the Alertmanagers and webhooks (config_alerting.h) and the
 * remote-write endpoints (config_remote_write.h).
 *
 * Secrets may come from ${VAR} (as every scalar) or from a file named
 * relative to the configuration's directory, read once when it loads.
 * Every string lives in the configuration's arena.
 */
#ifndef TOKENTAIL_CONFIG_HTTP_H
#define TOKENTAIL_CONFIG_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#define CONFIG_MAX_SECRET_BYTES 4096 /* a password or token file */

/* How to reach one server over HTTP(S). NULL: not set. */
struct cfg_http_client {
    const char *url;         /* what is posted to, the path appended */
    uint64_t timeout_ms;     /* one attempt, connection included */
    const char *username;    /* basic_auth: set with password */
    const char *password;    /* from password or password_file */
    const char *auth_type;   /* authorization: "Bearer" unless set */
    const char *credentials; /* from credentials or credentials_file */
    const char *ca_file;     /* tls_config.ca_file */
    bool insecure_skip_verify;
};

struct loader;

/*
 * Loads basic_auth, authorization and tls_config from the mapping n
 * (borrowed) into h, each when present; the caller checks n's keys.
 */
void cfg_load_http_auth(struct loader *L, const yaml_node_t *n,
                        struct cfg_http_client *h);

/*
 * The http:// or https:// URL with a host at n, api (NULL: nothing)
 * appended to its path; NULL after reporting what is wrong.
 */
const char *cfg_load_http_url(struct loader *L, const yaml_node_t *n,
                              const char *api);

/* Whether a and b (borrowed) reach the same server in the same way. */
bool cfg_same_http_client(const struct cfg_http_client *a,
                          const struct cfg_http_client *b);

#endif
