/* A self-signed certificate and its key for the unit tests of TLS,
 * made with GnuTLS (so no file and no openssl is needed). */
#ifndef TOKENTAIL_TEST_TLS_HELPERS_H
#define TOKENTAIL_TEST_TLS_HELPERS_H

#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* A self-signed certificate and its key, PEM, made with GnuTLS. */
struct pair {
    char cert[4096], key[4096];
};

static inline void make_pair(struct pair *p)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    size_t n;
    assert_int_equal(gnutls_x509_privkey_init(&key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA,
                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, "\x01", 1);
    gnutls_x509_crt_set_activation_time(crt, time(NULL) - 60);
    gnutls_x509_crt_set_expiration_time(crt, time(NULL) + 3600);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                  "localhost", 9);
    gnutls_x509_crt_set_key(crt, key);
    assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0),
                     0);
    n = sizeof(p->cert) - 1;
    assert_int_equal(
        gnutls_x509_crt_export(crt, GNUTLS_X509_FMT_PEM, p->cert, &n), 0);
    p->cert[n] = '\0';
    n = sizeof(p->key) - 1;
    assert_int_equal(
        gnutls_x509_privkey_export(key, GNUTLS_X509_FMT_PEM, p->key, &n), 0);
    p->key[n] = '\0';
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

#endif
