/*
 * Loading remote_write and external_labels: the defaults, every key, a
 * name derived from the url, and each mistake reported where it is
 * written; whether two configurations push the same way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"
#include "config_remote_write.h"

#define INPUTS "inputs:\n  - paths: [/var/log/*.log]\n"

static void test_absent(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(INPUTS, &cfg), "");
    assert_non_null(cfg->push);
    assert_int_equal(cfg->push->n_remotes, 0);
    assert_int_equal(cfg->push->n_external_labels, 0);
    config_free(cfg);
}

static void test_defaults(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(INPUTS "remote_write:\n  - url: http://vm:8428/api/v1/write\n",
             &cfg),
        "");
    const struct cfg_remote *r = &cfg->push->remotes[0];
    assert_int_equal(cfg->push->n_remotes, 1);
    assert_string_equal(r->http.url, "http://vm:8428/api/v1/write");
    /* FNV-1a of the url, its top 24 bits. */
    assert_string_equal(r->name, "85a786");
    assert_int_equal(r->interval_ms, 15000);
    assert_int_equal(r->http.timeout_ms, 30000);
    assert_int_equal(r->capacity, 100000);
    assert_int_equal(r->max_samples_per_send, 2000);
    assert_int_equal(r->min_backoff_ms, 30);
    assert_int_equal(r->max_backoff_ms, 5000);
    assert_true(r->retry_on_429);
    assert_int_equal(r->n_headers, 0);
    assert_null(r->http.username);
    assert_null(r->http.credentials);
    config_free(cfg);
}

static void test_every_key(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(INPUTS "external_labels: {region: eu, cluster: c1}\n"
                    "remote_write:\n"
                    "  - url: https://mimir/api/v1/push\n"
                    "    name: mimir\n"
                    "    interval: 5s\n"
                    "    remote_timeout: 2s\n"
                    "    headers: {X-Scope-OrgID: team-a, X-B: \"1\"}\n"
                    "    basic_auth: {username: u, password: p}\n"
                    "    tls_config: {ca_file: /ca.pem, "
                    "insecure_skip_verify: true}\n"
                    "    queue_config:\n"
                    "      capacity: 500\n"
                    "      max_samples_per_send: 100\n"
                    "      min_backoff: 10ms\n"
                    "      max_backoff: 1s\n"
                    "      retry_on_http_429: false\n"
                    "  - url: http://prom:9090/api/v1/write\n"
                    "    authorization: {credentials: t}\n",
             &cfg),
        "");
    const struct cfg_push *p = cfg->push;
    assert_int_equal(p->n_external_labels, 2);
    assert_string_equal(p->external_labels[0].name, "cluster"); /* sorted */
    assert_string_equal(p->external_labels[0].value, "c1");
    assert_string_equal(p->external_labels[1].name, "region");
    const struct cfg_remote *r = &p->remotes[0];
    assert_string_equal(r->name, "mimir");
    assert_int_equal(r->interval_ms, 5000);
    assert_int_equal(r->http.timeout_ms, 2000);
    assert_int_equal(r->n_headers, 2);
    assert_string_equal(r->headers[0].name, "X-Scope-OrgID");
    assert_string_equal(r->headers[0].value, "team-a");
    assert_string_equal(r->headers[1].value, "1");
    assert_string_equal(r->http.username, "u");
    assert_string_equal(r->http.password, "p");
    assert_string_equal(r->http.ca_file, "/ca.pem");
    assert_true(r->http.insecure_skip_verify);
    assert_int_equal(r->capacity, 500);
    assert_int_equal(r->max_samples_per_send, 100);
    assert_int_equal(r->min_backoff_ms, 10);
    assert_int_equal(r->max_backoff_ms, 1000);
    assert_false(r->retry_on_429);
    assert_string_equal(p->remotes[1].http.auth_type, "Bearer");
    assert_string_equal(p->remotes[1].http.credentials, "t");
    config_free(cfg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(INPUTS "remote_write: {url: http://x}\n",
                 "t.yaml:3:15: remote_write must be a list");
    expect_error(INPUTS "remote_write:\n  - name: a\n",
                 "t.yaml:4:5: a remote_write entry needs \"url\"");
    expect_error(INPUTS "remote_write:\n  - url: x:9090\n",
                 "t.yaml:4:10: url must start with http:// or https://");
    expect_error(INPUTS "remote_write:\n  - {url: http://x, intervl: 1s}\n",
                 "t.yaml:4:21: unknown key \"intervl\"");
    expect_error(INPUTS "remote_write:\n  - {url: http://x, interval: 10ms}\n",
                 "t.yaml:4:31: interval must be between 100ms and 1d");
    expect_error(INPUTS "remote_write:\n  - {url: http://x}\n"
                        "  - {url: http://x}\n",
                 "t.yaml:5:5: remote_write: two entries are named \"");
    expect_error(INPUTS "remote_write:\n  - {url: http://x, name: a}\n"
                        "  - {url: http://y, name: a}\n",
                 "t.yaml:5:5: remote_write: two entries are named \"a\"");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    headers: {Authorization: x}\n",
                 "t.yaml:5:15: headers: Authorization is set by tokentail");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    headers: {\"a b\": x}\n",
                 "t.yaml:5:15: headers: \"a b\" is not a header name");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    queue_config: {capacity: 10, "
                        "max_samples_per_send: 20}\n",
                 "t.yaml:5:19: queue_config: max_samples_per_send (20) is "
                 "more than capacity (10)");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    queue_config: {min_backoff: 2s, "
                        "max_backoff: 1s}\n",
                 "t.yaml:5:19: queue_config: min_backoff is longer");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    queue_config: {max_shards: 10}\n",
                 "t.yaml:5:20: unknown key \"max_shards\"");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    queue_config: {capacity: 0}\n",
                 "t.yaml:5:30: capacity");
    expect_error(INPUTS "remote_write:\n  - url: http://x\n"
                        "    basic_auth: {username: u}\n"
                        "    authorization: {credentials: t}\n",
                 "t.yaml:6:20: basic_auth and authorization exclude");
    expect_error(INPUTS "external_labels: {__x: a}\n",
                 "t.yaml:3:19: external_labels: \"__x\" is not a label name");
    expect_error(INPUTS "external_labels: {a-b: a}\n",
                 "t.yaml:3:19: external_labels: \"a-b\" is not a label name");
    expect_error(INPUTS "external_labels: {a: \"\"}\n",
                 "t.yaml:3:22: external_labels must not be empty");
    expect_error(INPUTS "external_labels: [a]\n",
                 "t.yaml:3:18: external_labels must be a mapping");
}

/* A reload keeps a remote's queue only when nothing of it changed. */
static void test_same(void **state)
{
    static const char *const texts[] = {
        INPUTS "remote_write:\n  - {url: http://x, name: a}\n",
        INPUTS "remote_write:\n  - {url: http://x, name: a, interval: 1s}\n",
        INPUTS "remote_write:\n  - {url: http://y, name: a}\n",
        INPUTS "remote_write:\n  - {url: http://x, name: a, headers: "
               "{X-A: b}}\n",
        INPUTS "remote_write:\n  - {url: http://x, name: a, queue_config: "
               "{capacity: 5000}}\n",
        INPUTS "remote_write:\n  - {url: http://x, name: b}\n",
    };
    struct config *a, *b;
    (void)state;
    assert_string_equal(load(texts[0], &a), "");
    assert_string_equal(load(texts[0], &b), "");
    assert_true(cfg_remote_same(&a->push->remotes[0], &b->push->remotes[0]));
    assert_true(cfg_push_same_labels(a->push, b->push));
    config_free(b);
    for (size_t i = 1; i < sizeof(texts) / sizeof(*texts); i++) {
        assert_string_equal(load(texts[i], &b), "");
        assert_false(
            cfg_remote_same(&a->push->remotes[0], &b->push->remotes[0]));
        config_free(b);
    }
    config_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absent),    cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
