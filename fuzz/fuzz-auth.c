/*
 * The Authorization header of basic authentication (auth_parse_basic) and
 * the check behind it (auth_check). The input's first byte chooses how the
 * rest is used:
 *   - even: as the header value. When it is accepted, the user is not
 *     empty and holds no ':', user and password hold no NUL and are as
 *     long as said, and "Basic " with their base64
 * (tests/unit/basic_reference.h, apart from the decoder) reads back to the same
 * user and password; a buffer too small for them refuses the header, one large
 * enough gives the same answer;
 *   - odd: as "user:password" itself, sent in base64: it is accepted
 *     exactly when it has a ':' after a non-empty user and no NUL, and
 *     then split at the first ':' byte for byte.
 * Either way the header goes to an authenticator kept for the process:
 * whatever its parse refused is denied, and the answer is one of the
 * three results.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "basic_reference.h"
#include "harness.h"

static struct web_auth *auth;

static void setup(void)
{
    /* correct horse (python3-bcrypt, cost 4), as in tests/unit/test-auth.c */
    static const struct web_user users[] = {
        {"alice",
         "$2b$04$GmtnJWxZGtyrnKwtjnVQ1ukGej7WSevP4L1lqsNvTWMDaBSL3Mw3y"},
    };
    if (auth_new(users, 1, &auth) != 0)
        fuzz_fail("cannot make the authenticator");
}

/* The header for n bytes of s (caller frees). */
static char *encode(const char *s, size_t n)
{
    return basic_reference(s, n, fuzz_alloc(basic_reference_size(n)));
}

static void check_accepted(const struct auth_basic *c)
{
    if (c->user_len == 0 || strlen(c->user) != c->user_len ||
        strlen(c->password) != c->password_len ||
        memchr(c->user, ':', c->user_len) != NULL)
        fuzz_fail("accepted a user or password that is not whole");
}

/* Parses header into a buffer of every size that matters. */
static int parse(const char *header, struct auth_basic *out, char **buf)
{
    size_t cap = AUTH_MAX_HEADER_BYTES;
    *buf = fuzz_alloc(cap);
    int rc = auth_parse_basic(header, *buf, cap, out);
    if (rc != 0) {
        if (rc != -EINVAL)
            fuzz_fail("parse returned %d", rc);
        return rc;
    }
    check_accepted(out);
    size_t need = out->user_len + 1 + out->password_len + 1;
    char *small = fuzz_alloc(need);
    struct auth_basic c;
    if (auth_parse_basic(header, small, need - 1, &c) != -EINVAL)
        fuzz_fail("a buffer too small took the header");
    /* Base64 writes whole groups of three: the buffer may need to hold up
     * to two bytes more than the text while decoding. */
    char *fits = fuzz_alloc(need + 2);
    if (auth_parse_basic(header, fits, need + 2, &c) != 0 ||
        c.user_len != out->user_len || c.password_len != out->password_len ||
        memcmp(c.user, out->user, c.user_len) != 0 ||
        memcmp(c.password, out->password, c.password_len) != 0)
        fuzz_fail("a buffer just large enough read another answer");
    free(fits);
    free(small);
    return 0;
}

static void round_trip(const struct auth_basic *c)
{
    size_t n = c->user_len + 1 + c->password_len;
    char *plain = fuzz_alloc(n);
    memcpy(plain, c->user, c->user_len);
    plain[c->user_len] = ':';
    memcpy(plain + c->user_len + 1, c->password, c->password_len);
    char *header = encode(plain, n);
    struct auth_basic back;
    char *buf;
    if (parse(header, &back, &buf) != 0 || back.user_len != c->user_len ||
        back.password_len != c->password_len ||
        memcmp(back.user, c->user, c->user_len) != 0 ||
        memcmp(back.password, c->password, c->password_len) != 0)
        fuzz_fail("user and password do not read back");
    free(buf);
    free(header);
    free(plain);
}

/* text (n bytes) as user:password: accepted exactly when it should be. */
static void credentials(const char *text, size_t n)
{
    char *header = encode(text, n);
    const char *colon = memchr(text, ':', n);
    bool valid = colon != NULL && colon != text && memchr(text, 0, n) == NULL &&
                 (n + 2) / 3 * 4 <= AUTH_MAX_HEADER_BYTES;
    struct auth_basic c;
    char *buf;
    int rc = parse(header, &c, &buf);
    if ((rc == 0) != valid)
        fuzz_fail("%s user:password", valid ? "refused" : "accepted");
    if (rc == 0 && (c.user_len != (size_t)(colon - text) ||
                    memcmp(c.user, text, c.user_len) != 0 ||
                    c.password_len != n - c.user_len - 1 ||
                    memcmp(c.password, colon + 1, c.password_len) != 0))
        fuzz_fail("user:password split elsewhere");
    enum auth_result r = auth_check(auth, header, 0);
    if (rc != 0 && r != AUTH_DENIED)
        fuzz_fail("a malformed header was not denied");
    free(buf);
    free(header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (auth == NULL)
        setup();
    if (size == 0)
        return 0;
    char *text = fuzz_alloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] & 1) {
        credentials(text, size - 1);
    } else {
        struct auth_basic c;
        char *buf;
        int rc = parse(text, &c, &buf);
        if (rc == 0)
            round_trip(&c);
        enum auth_result r = auth_check(auth, text, 0);
        if (r != AUTH_OK && r != AUTH_DENIED && r != AUTH_THROTTLED)
            fuzz_fail("no such result %d", (int)r);
        if (rc != 0 && r != AUTH_DENIED)
            fuzz_fail("a malformed header was not denied");
        free(buf);
    }
    free(text);
    return 0;
}
