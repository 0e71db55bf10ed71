#include "jsonstr.h"

#include <stdint.h>

#include "utf8.h"

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

size_t json_unescape(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '\\' || i + 1 >= len) {
            out[o++] = in[i];
            continue;
        }
        char c = in[++i];
        switch (c) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u': {
            int cp = i + 4 < len ? hex4(in + i + 1) : -1;
            if (cp < 0) {
                out[o++] = '\\';
                out[o++] = 'u';
                break;
            }
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && i + 6 < len &&
                in[i + 1] == '\\' && in[i + 2] == 'u') {
                int lo = hex4(in + i + 3);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    uint32_t full = 0x10000 + (((uint32_t)cp - 0xd800) << 10) +
                                    ((uint32_t)lo - 0xdc00);
                    o += utf8_encode(full, out + o);
                    i += 6;
                    break;
                }
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd; /* a lone surrogate */
            o += utf8_encode((uint32_t)cp, out + o);
            break;
        }
        default: /* '"', '\\', '/' */
            out[o++] = c;
            break;
        }
    }
    return o;
}
