/*
 * HTML escaping (src/web/html.h): the input is any bytes a log line or a
 * rule's template put in a label or summary the status page prints.
 *   - nothing in the output can open or close markup or an attribute:
 *     no < > " ', and every & starts one of the five references written;
 *   - the output is well-formed UTF-8 with no character an HTML parser
 *     reports (C0 controls but tab and newlines, DEL, C1 controls,
 *     noncharacters);
 *   - it is bounded: at most six bytes (&quot;) per input byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "html.h"
#include "utf8.h"

static const char *const REFS[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};

static size_t reference_at(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof REFS / sizeof REFS[0]; i++) {
        size_t len = strlen(REFS[i]);
        if (len <= n && memcmp(s, REFS[i], len) == 0)
            return len;
    }
    return 0;
}

static void check_char(const unsigned char *p, size_t len)
{
    unsigned long cp = len == 1 ? p[0] : p[0] & (0xffu >> (len + 1));
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (p[i] & 0x3fu);
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
        (cp >= 0x7f && cp <= 0x9f))
        fuzz_fail("a control character U+%04lX in the output", cp);
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
        fuzz_fail("a noncharacter U+%04lX in the output", cp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf out = {0};
    html_text(&out, (const char *)data, size);
    if (out.oom) {
        buf_free(&out);
        return 0;
    }
    if (out.len > 6 * size)
        fuzz_fail("%zu bytes escaped to %zu", size, out.len);
    const unsigned char *p = (const unsigned char *)out.data;
    for (size_t i = 0; i < out.len;) {
        if (p[i] == '<' || p[i] == '>' || p[i] == '"' || p[i] == '\'')
            fuzz_fail("markup character '%c' at %zu", p[i], i);
        if (p[i] == '&') {
            size_t ref = reference_at(out.data + i, out.len - i);
            if (ref == 0)
                fuzz_fail("a bare & at %zu", i);
            i += ref;
            continue;
        }
        size_t len = utf8_seq(p + i, out.len - i);
        if (len == 0)
            fuzz_fail("malformed UTF-8 at %zu", i);
        check_char(p + i, len);
        i += len;
    }
    buf_free(&out);
    return 0;
}
