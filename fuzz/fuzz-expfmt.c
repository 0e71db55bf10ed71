/*
 * Escaping for the text format, checked by undoing it. The input, as a
 * label value, goes through expfmt_escape_label(); the result must hold no
 * raw newline and no unescaped quote, and unescaping it (\\, \" and \n,
 * nothing else) must give the input back. The repair of malformed UTF-8
 * and NUL (README, "Label values") happens earlier, in the pipeline, so
 * the comparison is with the input as it is. The same for HELP text
 * (expfmt_escape_help(): \\ and \n), which ends at the first NUL.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expfmt.h"
#include "harness.h"

/*
 * Undoes the escaping of s (n bytes) into out (n bytes at least); quotes
 * tells whether \" is an escape (label values) and a bare " is an error.
 * Returns the length, or -1 when s is not escaped text.
 */
static long unescape(const char *s, size_t n, bool quotes, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' || (quotes && c == '"'))
            return -1;
        if (c == '\\') {
            if (++i >= n)
                return -1;
            c = s[i];
            if (c == 'n')
                c = '\n';
            else if (c != '\\' && !(quotes && c == '"'))
                return -1;
        }
        out[o++] = c;
    }
    return (long)o;
}

static void check(const char *what, const char *in, size_t n,
                  const struct buf *b, bool quotes)
{
    char *back = fuzz_alloc(b->len);
    if (b->oom)
        fuzz_fail("out of memory");
    long m = unescape(b->data ? b->data : "", b->len, quotes, back);
    if (m < 0)
        fuzz_fail("%s: the escaped text is malformed", what);
    if ((size_t)m != n || memcmp(back, in, n) != 0)
        fuzz_fail("%s: unescaping does not give the input back", what);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct buf label = {0}, help = {0};

    expfmt_escape_label(&label, in, size);
    check("label", in, size, &label, true);

    char *text = fuzz_alloc(size + 1);
    memcpy(text, in, size);
    text[size] = '\0';
    expfmt_escape_help(&help, text);
    check("help", text, strlen(text), &help, false);

    free(text);
    buf_free(&label);
    buf_free(&help);
    return 0;
}
