/* TLS settings: the GnuTLS priority string each configuration makes, and
 * certificates, keys and client CAs refused at load with their place. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tls.h"
#include "tls_helpers.h"
#include "webconfig.h"

static struct pair one, two;

static int setup(void **state)
{
    (void)state;
    make_pair(&one);
    make_pair(&two);
    return 0;
}

/* A web_config with TLS from cert and key (borrowed) and the rest as
 * given in w. */
static struct web_config *config(const char *cert, const char *key,
                                 struct web_tls w)
{
    static struct web_tls t;
    static struct web_config c;
    t = w;
    t.cert = (char *)cert;
    t.key = (char *)key;
    t.cert_line = 2;
    t.cert_column = 9;
    c = (struct web_config){.path = "web.yml", .tls = &t};
    return &c;
}

static void priorities(void **state)
{
    (void)state;
    static char *suites3[] = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                              "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                              "TLS_AES_128_GCM_SHA256"};
    static char *suites1[] = {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"};
    static char *curves[] = {"X25519", "CurveP384"};
    const struct {
        struct web_tls w;
        const char *want;
    } cases[] = {
        {{.prefer_server_cipher_suites = true},
         "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:%SERVER_PRECEDENCE"},
        {{.min_version = WEB_TLS10, .max_version = WEB_TLS11},
         "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1"},
        {{.max_version = WEB_TLS12,
          .cipher_suites = suites3,
          .n_cipher_suites = 3},
         "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:-MAC-ALL:-KX-ALL"
         ":+ECDHE-ECDSA:+AES-256-GCM:+AEAD:+ECDHE-RSA"},
        {{.cipher_suites = suites1,
          .n_cipher_suites = 1,
          .curve_preferences = curves,
          .n_curve_preferences = 2},
         "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:-CIPHER-ALL:-MAC-ALL"
         ":-KX-ALL:+ECDHE-RSA:+AES-128-CBC:+SHA1:+AES-128-GCM:+AES-256-GCM"
         ":+CHACHA20-POLY1305:+AEAD:-GROUP-ALL:+GROUP-X25519"
         ":+GROUP-SECP384R1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tls *t = NULL;
        struct buf errors = {0};
        int rc = tls_new(config(one.cert, one.key, cases[i].w), &t, &errors);
        if (rc != 0)
            fail_msg("case %zu: %s", i, errors.data);
        assert_string_equal(tls_priorities(t), cases[i].want);
        struct MHD_OptionItem opts[TLS_MHD_OPTIONS];
        assert_int_equal(tls_mhd_options(t, opts), TLS_MHD_OPTIONS);
        tls_free(t);
        buf_free(&errors);
    }
}

static void refused(const struct web_config *c, const char *want)
{
    struct tls *t = NULL;
    struct buf errors = {0};
    assert_int_equal(tls_new(c, &t, &errors), -EINVAL);
    assert_null(t);
    if (errors.data == NULL || strstr(errors.data, want) == NULL)
        fail_msg("missing \"%s\" in: %s", want, errors.data);
    buf_free(&errors);
}

static void bad_material(void **state)
{
    (void)state;
    refused(config(one.cert, two.key, (struct web_tls){0}),
            "web.yml:2:9: the certificate and key cannot be used: ");
    refused(config("not PEM", one.key, (struct web_tls){0}),
            "web.yml:2:9: the certificate and key cannot be used: ");
    struct web_config *c = config(one.cert, one.key,
                                  (struct web_tls){
                                      .client_auth = WEB_CLIENT_VERIFY_IF_GIVEN,
                                      .client_ca = "no certificate here",
                                      .ca_line = 5,
                                      .ca_column = 14,
                                  });
    refused(c, "web.yml:5:14: client CA: ");
    c = config(NULL, one.key, (struct web_tls){0});
    c->tls->cert_file = "/nonexistent/server.crt";
    refused(c, "web.yml:2:9: cannot read /nonexistent/server.crt: No such "
               "file or directory");
}

static void good_client_ca(void **state)
{
    (void)state;
    struct tls *t = NULL;
    struct buf errors = {0};
    struct web_config *c =
        config(one.cert, one.key,
               (struct web_tls){
                   .client_auth = WEB_CLIENT_REQUIRE_AND_VERIFY,
                   .client_ca = two.cert,
               });
    assert_int_equal(tls_new(c, &t, &errors), 0);
    tls_free(t);
    buf_free(&errors);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(priorities),
        cmocka_unit_test(bad_material),
        cmocka_unit_test(good_client_ca),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
