/*
 * Loading the alerting section: defaults when it is absent, every key of
 * a receiver, secrets from the environment and from files, and each
 * mistake reported where it is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_alerting.h"
#include "config_helpers.h"

#define INPUTS "inputs:\n  - paths: [/var/log/*.log]\n"

static void test_defaults(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(INPUTS, &cfg), "");
    const struct cfg_alerting *a = cfg->alerting;
    assert_non_null(a);
    assert_int_equal(a->evaluation_interval_ms, 15000);
    assert_int_equal(a->resend_delay_ms, 60000);
    assert_int_equal(a->n_receivers, 0);
    assert_string_equal(a->external_url, "");
    config_free(cfg);
}

static void test_receivers(void **state)
{
    struct config *cfg;
    (void)state;
    setenv("TT_TEST_TOKEN", "s3cret", 1);
    assert_string_equal(
        load(INPUTS "alerting:\n"
                    "  evaluation_interval: 5s\n"
                    "  resend_delay: 2m\n"
                    "  alertmanagers:\n"
                    "    - url: http://am:9093/\n"
                    "      timeout: 3s\n"
                    "      basic_auth: {username: u, password: p}\n"
                    "    - url: https://am2/prefix\n"
                    "      authorization: {credentials: \"${TT_TEST_TOKEN}\"}\n"
                    "      tls_config: {ca_file: /etc/ca.pem}\n"
                    "  webhooks:\n"
                    "    - name: chat\n"
                    "      url: https://hooks.example.com/T/B\n"
                    "      format: slack\n"
                    "      repeat_interval: 1h\n"
                    "      group_by: [alertname, service]\n"
                    "    - {name: ops, url: http://ops/hook}\n",
             &cfg),
        "");
    const struct cfg_alerting *a = cfg->alerting;
    assert_int_equal(a->evaluation_interval_ms, 5000);
    assert_int_equal(a->resend_delay_ms, 120000);
    assert_int_equal(a->n_receivers, 4);
    assert_int_equal(a->n_alertmanagers, 2);
    const struct cfg_receiver *r = a->receivers;
    assert_string_equal(r[0].http.url, "http://am:9093/api/v2/alerts");
    assert_string_equal(r[0].name, r[0].http.url);
    assert_int_equal(r[0].format, NOTIFY_FORMAT_API);
    assert_int_equal(r[0].http.timeout_ms, 3000);
    assert_string_equal(r[0].http.username, "u");
    assert_string_equal(r[0].http.password, "p");
    assert_string_equal(r[1].http.url, "https://am2/prefix/api/v2/alerts");
    assert_int_equal(r[1].http.timeout_ms, 10000);
    assert_string_equal(r[1].http.auth_type, "Bearer");
    assert_string_equal(r[1].http.credentials, "s3cret");
    assert_string_equal(r[1].http.ca_file, "/etc/ca.pem");
    assert_string_equal(r[2].name, "chat");
    assert_int_equal(r[2].format, NOTIFY_FORMAT_SLACK);
    assert_string_equal(r[2].http.url, "https://hooks.example.com/T/B");
    assert_int_equal(r[2].repeat_interval_ms, 3600000);
    assert_int_equal(r[2].n_group_by, 2);
    assert_string_equal(r[2].group_by[1], "service");
    assert_int_equal(r[3].format, NOTIFY_FORMAT_WEBHOOK);
    assert_int_equal(r[3].repeat_interval_ms, 300000);
    assert_int_equal(r[3].n_group_by, 1);
    assert_string_equal(r[3].group_by[0], "alertname");
    config_free(cfg);
}

static void test_secret_files(void **state)
{
    char dir[] = "/tmp/tt-alerting-XXXXXX", path[256], yaml[1024];
    struct config *cfg;
    struct buf errors = {0};
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pw", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("  hunter2\n\n", f);
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             INPUTS "alerting:\n  alertmanagers:\n"
                    "    - url: http://am\n"
                    "      basic_auth: {username: u, password_file: pw}\n"
                    "    - url: http://am2\n"
                    "      authorization: {type: Token, credentials_file: "
                    "%s}\n",
             path);
    /* A relative name is read beside the configuration file. */
    snprintf(path, sizeof(path), "%s/c.yaml", dir);
    assert_int_equal(config_load_text(path, yaml, strlen(yaml), &cfg, &errors),
                     0);
    assert_string_equal(cfg->alerting->receivers[0].http.password, "hunter2");
    assert_string_equal(cfg->alerting->receivers[1].http.auth_type, "Token");
    assert_string_equal(cfg->alerting->receivers[1].http.credentials,
                        "hunter2");
    config_free(cfg);
    buf_free(&errors);
    snprintf(path, sizeof(path), "%s/pw", dir);
    unlink(path);
    rmdir(dir);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(INPUTS "alerting:\n  evaluation_interval: 500ms\n",
                 "t.yaml:4:24: evaluation_interval");
    expect_error(INPUTS "alerting:\n  alertmanager: []\n",
                 "t.yaml:4:3: unknown key \"alertmanager\"");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n    - timeout: 1s\n",
                 "t.yaml:5:7: a receiver needs \"url\"");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n    - url: am:9093\n",
                 "t.yaml:5:12: url must start with http:// or https://");
    expect_error(INPUTS "alerting:\n  webhooks:\n    - url: http://x\n",
                 "t.yaml:5:7: a webhook needs \"name\"");
    expect_error(INPUTS "alerting:\n  webhooks:\n"
                        "    - {name: a, url: http://x, format: teams}\n",
                 "t.yaml:5:40: format must be \"alertmanager\" or \"slack\"");
    expect_error(INPUTS "alerting:\n  webhooks:\n"
                        "    - {name: a, url: http://x}\n"
                        "    - {name: a, url: http://y}\n",
                 "t.yaml:6:7: webhooks: \"a\" is named twice");
    expect_error(INPUTS "alerting:\n  webhooks:\n"
                        "    - {name: a, url: http://x, group_by: [a-b]}\n",
                 "t.yaml:5:43: group_by: \"a-b\" is not a label name");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n"
                        "    - url: http://x\n"
                        "      basic_auth: {username: u, password: p,\n"
                        "                   password_file: /f}\n",
                 "t.yaml:7:35: password and password_file exclude each other");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n"
                        "    - url: http://x\n"
                        "      basic_auth: {username: u, password_file: "
                        "/nonexistent/pw}\n",
                 "password_file: cannot read /nonexistent/pw");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n"
                        "    - url: http://x\n"
                        "      authorization: {type: Bearer}\n",
                 "t.yaml:6:22: authorization needs \"credentials\"");
    expect_error(INPUTS "alerting:\n  alertmanagers:\n"
                        "    - url: http://x\n"
                        "      tls_config: {cert_file: /c}\n",
                 "t.yaml:6:20: unknown key \"cert_file\"");
}

/* Whether two configurations post to the same receivers the same way: a
 * reload keeps the notifier only then. */
static void test_same_receivers(void **state)
{
    static const char base[] =
        INPUTS "alerting:\n"
               "  evaluation_interval: 5s\n"
               "  alertmanagers:\n    - url: http://am:9093/\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, b]}\n";
    static const char *const others[] = {
        /* the rule groups' interval alone: the same receivers */
        INPUTS "alerting:\n"
               "  evaluation_interval: 9s\n"
               "  alertmanagers:\n    - url: http://am:9093/\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, b]}\n",
        INPUTS "alerting:\n"
               "  alertmanagers:\n    - url: http://am:9094/\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, b]}\n",
        INPUTS "alerting:\n"
               "  alertmanagers:\n    - url: http://am:9093/\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, c]}\n",
        INPUTS "alerting:\n"
               "  alertmanagers:\n    - url: http://am:9093/\n"
               "      basic_auth: {username: u, password: p}\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, b]}\n",
        INPUTS "alerting:\n"
               "  external_url: http://tt/\n"
               "  alertmanagers:\n    - url: http://am:9093/\n"
               "  webhooks:\n"
               "    - {name: ops, url: http://ops/hook, group_by: [a, b]}\n",
        INPUTS "alerting:\n"
               "  alertmanagers:\n    - url: http://am:9093/\n",
    };
    struct config *a, *b;
    (void)state;
    assert_string_equal(load(base, &a), "");
    for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
        assert_string_equal(load(others[i], &b), "");
        assert_int_equal(cfg_alerting_same_receivers(a->alerting, b->alerting),
                         i == 0);
        assert_int_equal(cfg_alerting_same_receivers(b->alerting, a->alerting),
                         i == 0);
        config_free(b);
    }
    assert_true(cfg_alerting_same_receivers(a->alerting, a->alerting));
    config_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_receivers),
        cmocka_unit_test(test_secret_files),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_same_receivers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
