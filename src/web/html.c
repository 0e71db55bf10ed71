#include "html.h"

#include "utf8.h"

static const char *reference(unsigned char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

/* C0 controls and DEL are parse errors in HTML; whitespace is not. */
static int is_bad_control(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/* Code points HTML parsers report even when well encoded: C1 controls
 * and noncharacters. seq is a well-formed sequence of len bytes. */
static int is_bad_code_point(const unsigned char *seq, size_t len)
{
    unsigned long cp = seq[0] & (0xffu >> (len + 1));
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (seq[i] & 0x3fu);
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
           (cp & 0xfffe) == 0xfffe;
}

void html_text(struct buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* run: bytes at p + i - run to copy as they are */

    while (i < n) {
        unsigned char c = p[i];
        const char *ref = c < 0x80 ? reference(c) : NULL;
        size_t seq = 1;
        if (c < 0x80 && !ref && !is_bad_control(c)) {
            i++;
            run++;
            continue;
        }
        if (c >= 0x80) {
            seq = utf8_seq(p + i, n - i);
            if (seq > 0 && !is_bad_code_point(p + i, seq)) {
                i += seq;
                run += seq;
                continue;
            }
            if (seq == 0)
                seq = utf8_bad_len(p + i, n - i);
        }
        buf_append(b, p + i - run, run);
        run = 0;
        if (ref)
            buf_puts(b, ref);
        else
            buf_append(b, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
        i += seq;
    }
    buf_append(b, p + i - run, run);
}

void html_puts(struct buf *b, const char *s)
{
    if (s)
        html_text(b, s, strlen(s));
}
