/*
 * Content negotiation and gzip (src/web/accept.h, src/web/gzip.h): the
 * input is an Accept or Accept-Encoding header as a client may send it.
 *   - accept_next ends, and every element it gives lies inside the
 *     input, has a name without separators or blanks, parameters that
 *     begin with ';', and a weight from 0 to 1;
 *   - unless a quote is left open (whose string then runs to the end),
 *     an element that cannot matter does not change either answer:
 *     "x/y" for the format, "identity;q=0" for gzip;
 *   - the input gzipped and inflated again is itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "accept.h"
#include "gzip.h"
#include "harness.h"

static void check_items(const char *s, size_t n)
{
    const char *p = s;
    struct accept_item it;
    size_t count = 0;
    while (accept_next(&p, &it)) {
        if (it.name < s || it.name + it.name_len > s + n || it.name_len == 0)
            fuzz_fail("an element outside the input");
        for (size_t i = 0; i < it.name_len; i++)
            if (strchr(",; \t", it.name[i]) != NULL)
                fuzz_fail("a separator in an element's name");
        if (it.params < s || it.params + it.params_len > s + n ||
            (it.params_len > 0 && it.params[0] != ';'))
            fuzz_fail("parameters outside the input");
        if (it.q > ACCEPT_Q_ONE)
            fuzz_fail("a weight above 1");
        if (++count > n)
            fuzz_fail("more elements than bytes");
    }
    if (p != s + n)
        fuzz_fail("the list did not end at the end of the input");
}

static void check_invariance(const char *s, size_t n)
{
    char *more = malloc(n + 32);
    if (more == NULL)
        return;
    memcpy(more, s, n);
    memcpy(more + n, ",x/y", sizeof(",x/y"));
    if (accept_openmetrics(s) != accept_openmetrics(more))
        fuzz_fail("an unrelated media range changed the format");
    memcpy(more + n, ",identity;q=0", sizeof(",identity;q=0"));
    if (accept_gzip(s) != accept_gzip(more))
        fuzz_fail("identity;q=0 changed whether gzip is admitted");
    free(more);
}

static void check_gzip(const char *s, size_t n)
{
    struct buf z = {0};
    int rc = gzip_compress(s, n, GZIP_LEVEL, 0, &z);
    if (rc == 0) {
        char *back = malloc(n + 1);
        uLongf len = (uLongf)n;
        z_stream st;
        memset(&st, 0, sizeof(st));
        if (back == NULL || inflateInit2(&st, 15 + 16) != Z_OK)
            fuzz_fail("out of memory");
        st.next_in = (Bytef *)z.data;
        st.avail_in = (uInt)z.len;
        st.next_out = (Bytef *)back;
        st.avail_out = (uInt)len + 1;
        if (inflate(&st, Z_FINISH) != Z_STREAM_END || st.total_out != n ||
            memcmp(back, s, n) != 0)
            fuzz_fail("gzip did not give the input back");
        inflateEnd(&st);
        free(back);
        if (z.len >= n)
            fuzz_fail("a compressed body not smaller than the input");
    } else if (rc != 1) {
        fuzz_fail("gzip_compress failed: %d", rc);
    }
    buf_free(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n = strlen(s);
    check_items(s, n);
    if (memchr(s, '"', n) == NULL)
        check_invariance(s, n);
    check_gzip(s, n);
    free(s);
    return 0;
}
