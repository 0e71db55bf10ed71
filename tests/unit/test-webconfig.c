/* The web configuration file: every key read, every mistake reported at
 * its line and column in one run, and the rules exporter-toolkit keeps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "webconfig.h"

static const char hash[] =
    "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

/* Loads text from a file in a temporary directory; errors to *errors. */
static int load(const char *text, struct web_config **out, struct buf *errors)
{
    char dir[] = "/tmp/test-webconfig-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/web.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    int rc = webconfig_load(path, out, errors);
    unlink(path);
    rmdir(dir);
    return rc;
}

static void every_key(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof(text),
             "tls_server_config:\n"
             "  cert_file: server.crt\n"
             "  key: |\n    PEM\n"
             "  client_auth_type: RequireAndVerifyClientCert\n"
             "  client_ca_file: /etc/ca.crt\n"
             "  client_allowed_sans: [a.example, 10.0.0.1]\n"
             "  min_version: TLS11\n"
             "  max_version: TLS12\n"
             "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n"
             "  curve_preferences: [X25519, CurveP384]\n"
             "  prefer_server_cipher_suites: false\n"
             "http_server_config:\n"
             "  http2: false\n"
             "  headers:\n"
             "    X-Frame-Options: sameorigin\n"
             "    Strict-Transport-Security: max-age=31536000\n"
             "basic_auth_users:\n"
             "  alice: %s\n"
             "rate_limit:\n"
             "  burst: 10\n"
             "  interval: 1s\n",
             hash);
    struct web_config *c = NULL;
    struct buf errors = {0};
    assert_int_equal(load(text, &c, &errors), 0);
    const struct web_tls *t = c->tls;
    assert_non_null(t);
    assert_non_null(strstr(t->cert_file, "/server.crt"));
    assert_true(t->cert_file[0] == '/'); /* joined to the file's directory */
    assert_null(t->cert);
    assert_string_equal(t->key, "PEM\n");
    assert_int_equal(t->cert_line, 2);
    assert_int_equal(t->cert_column, 14);
    assert_int_equal(t->client_auth, WEB_CLIENT_REQUIRE_AND_VERIFY);
    assert_string_equal(t->client_ca_file, "/etc/ca.crt");
    assert_int_equal(t->n_client_allowed_sans, 2);
    assert_string_equal(t->client_allowed_sans[1], "10.0.0.1");
    assert_int_equal(t->min_version, WEB_TLS11);
    assert_int_equal(t->max_version, WEB_TLS12);
    assert_int_equal(t->n_cipher_suites, 1);
    assert_int_equal(t->n_curve_preferences, 2);
    assert_false(t->prefer_server_cipher_suites);
    assert_int_equal(c->n_headers, 2);
    assert_string_equal(c->headers[0].name, "X-Frame-Options");
    assert_string_equal(c->headers[0].value, "sameorigin");
    assert_int_equal(c->n_users, 1);
    assert_string_equal(c->users[0].name, "alice");
    assert_string_equal(c->users[0].hash, hash);
    assert_int_equal(c->rate_limit.burst, 10);
    assert_int_equal(c->rate_limit.interval_ms, 1000);
    webconfig_free(c);
    buf_free(&errors);
}

static void empty_is_plain(void **state)
{
    (void)state;
    struct web_config *c = NULL;
    struct buf errors = {0};
    assert_int_equal(load("", &c, &errors), 0);
    assert_null(c->tls);
    assert_int_equal(c->n_users, 0);
    webconfig_free(c);
    /* Only versions: TLS stays off, as in exporter-toolkit. */
    assert_int_equal(
        load("tls_server_config:\n  min_version: TLS13\n", &c, &errors), 0);
    assert_null(c->tls);
    webconfig_free(c);
    buf_free(&errors);
}

/* Loads text, expecting failure with every one of want in the errors. */
static void fails_with(const char *text, const char *const *want)
{
    struct web_config *c = NULL;
    struct buf errors = {0};
    assert_int_equal(load(text, &c, &errors), -EINVAL);
    assert_null(c);
    for (size_t i = 0; want[i] != NULL; i++)
        if (strstr(errors.data, want[i]) == NULL)
            fail_msg("missing \"%s\" in:\n%s", want[i], errors.data);
    buf_free(&errors);
}

static void mistakes(void **state)
{
    (void)state;
    fails_with("tls_server_config:\n"
               "  cert: a\n  cert_file: b\n  key_file: k\n"
               "  client_ca: c\n"
               "  client_allowed_sans: [x]\n"
               "  min_version: TLS13\n  max_version: TLS12\n"
               "  curve_preferences: [P256]\n"
               "  prefer_server_cipher_suites: yes\n"
               "tls: 1\n",
               (const char *const[]){
                   "web.yml:2:3: tls_server_config: cert_file and cert "
                   "exclude each other",
                   "web.yml:2:3: tls_server_config: client_ca_file or "
                   "client_ca is given without a client_auth_type",
                   "web.yml:6:3: tls_server_config: client_allowed_sans "
                   "requires client_auth_type RequireAnyClientCert or "
                   "RequireAndVerifyClientCert",
                   "web.yml:7:16: tls_server_config: min_version TLS13 is "
                   "above max_version TLS12",
                   "web.yml:9:23: curve_preferences: unknown curve \"P256\"",
                   "web.yml:10:32: prefer_server_cipher_suites must be true "
                   "or false",
                   "web.yml:11:1: the web configuration: unknown key \"tls\"",
                   NULL});
    fails_with("tls_server_config:\n  cert_file: a\n  key_file: b\n"
               "  client_auth_type: VerifyClientCertIfGiven\n",
               (const char *const[]){"web.yml:4:21: tls_server_config: "
                                     "client_auth_type "
                                     "VerifyClientCertIfGiven verifies",
                                     NULL});
    fails_with("http_server_config:\n  headers:\n"
               "    X-Content-Type-Options: sniff\n    Server: x\n",
               (const char *const[]){
                   "web.yml:3:29: http_server_config.headers: "
                   "X-Content-Type-Options must be nosniff, not \"sniff\"",
                   "web.yml:4:5: http_server_config.headers: header "
                   "\"Server\" cannot be set",
                   NULL});
    fails_with("http_server_config:\n  headers:\n"
               "    X-Frame-Options: deny\n    X-Frame-Options: sameorigin\n",
               (const char *const[]){"web.yml:4:5: http_server_config.headers: "
                                     "X-Frame-Options is given twice",
                                     NULL});
    fails_with("basic_auth_users:\n  a: $1$md5\n  b: $2b$03$x\n"
               "  \"c:d\": $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/"
               "VcEd00UAV/LDeSi\n"
               "rate_limit: {burst: -1}\n",
               (const char *const[]){
                   "web.yml:2:6: basic_auth_users: a: not a usable bcrypt",
                   "web.yml:3:6: basic_auth_users: b: not a usable bcrypt",
                   "web.yml:4:3: basic_auth_users: user \"c:d\": ",
                   "web.yml:5:21: rate_limit.burst must be a whole number",
                   NULL});
}

static void unreadable(void **state)
{
    (void)state;
    struct web_config *c = NULL;
    struct buf errors = {0};
    assert_int_equal(webconfig_load("/nonexistent/web.yml", &c, &errors),
                     -ENOENT);
    assert_non_null(strstr(errors.data, "/nonexistent/web.yml: "));
    buf_free(&errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key),
        cmocka_unit_test(empty_is_plain),
        cmocka_unit_test(mistakes),
        cmocka_unit_test(unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
