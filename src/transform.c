#include "transform.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

#define TRANSFORM_MASK_KEEP  4 /* characters kept at each end */
#define TRANSFORM_MASK_SHORT 8 /* this many or fewer: short_key */
#define TRANSFORM_HASH_HEX   16

struct transform {
    const struct cfg_transform *cfg;
    struct rx *rx;
    struct buf tmp; /* intermediate text between steps */
};

int transform_new(const struct cfg_transform *cfg, struct transform **out)
{
    struct transform *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    t->cfg = cfg;
    if (cfg->regex != NULL) {
        int rc = rx_new(cfg->regex, &t->rx);
        if (rc != 0) {
            free(t);
            return rc;
        }
    }
    *out = t;
    return 0;
}

void transform_free(struct transform *t)
{
    if (t == NULL)
        return;
    rx_free(t->rx);
    buf_free(&t->tmp);
    free(t);
}

/* Number of UTF-8 characters (lead bytes) in s. */
static size_t chars(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

/* Byte offset of the character with index k. */
static size_t char_offset(const char *s, size_t n, size_t k)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == k)
            return i;
    return n;
}

static void mask(const char *s, size_t n, bool is_string, struct buf *out)
{
    size_t c = s && is_string ? chars(s, n) : 0;
    if (c == 0)
        buf_puts(out, "unknown");
    else if (c <= TRANSFORM_MASK_SHORT)
        buf_puts(out, "short_key");
    else {
        buf_append(out, s, char_offset(s, n, TRANSFORM_MASK_KEEP));
        buf_puts(out, "...");
        size_t tail = char_offset(s, n, c - TRANSFORM_MASK_KEEP);
        buf_append(out, s + tail, n - tail);
    }
}

static void hash(const char *s, size_t n, struct buf *out)
{
    static const char hex[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, n, (const uint8_t *)s);
    sha256_digest(&ctx, sizeof(d), d);
    for (int i = 0; i < TRANSFORM_HASH_HEX / 2; i++) {
        buf_putc(out, hex[d[i] >> 4]);
        buf_putc(out, hex[d[i] & 15]);
    }
}

static enum transform_result steps(struct transform *t, const char *text,
                                   size_t len, bool is_string, struct buf *out);

enum transform_result transform_apply(struct transform *t, const char *text,
                                      size_t len, bool is_string,
                                      struct buf *out)
{
    enum transform_result r = steps(t, text, len, is_string, out);
    const struct cfg_transform *c = t->cfg;
    if (r == TRANSFORM_OK || r == TRANSFORM_MISSING || c->otherwise == NULL)
        return r;
    /* A step refused the text (before appending anything): the fallback
     * stands in for it. */
    buf_append(out, c->otherwise, c->otherwise_len);
    return TRANSFORM_OK;
}

/* The steps in their order; a refusal is returned as it is. */
static enum transform_result steps(struct transform *t, const char *text,
                                   size_t len, bool is_string, struct buf *out)
{
    const struct cfg_transform *c = t->cfg;
    if (text == NULL && !c->mask)
        return TRANSFORM_MISSING;
    if (text != NULL && t->rx != NULL &&
        !rx_capture(t->rx, text, len, &text, &len))
        return TRANSFORM_NO_MATCH;
    if (text != NULL && c->lower) {
        buf_reset(&t->tmp);
        buf_append(&t->tmp, text, len);
        for (size_t i = 0; i < t->tmp.len; i++)
            if (t->tmp.data[i] >= 'A' && t->tmp.data[i] <= 'Z')
                t->tmp.data[i] = (char)(t->tmp.data[i] - 'A' + 'a');
        text = t->tmp.data ? t->tmp.data : "";
    }
    if (text != NULL && c->n_map > 0) {
        size_t i;
        for (i = 0; i < c->n_map; i++)
            if (c->map_from_len[i] == len &&
                memcmp(c->map_from[i], text, len) == 0)
                break;
        if (i < c->n_map) {
            text = c->map_to[i];
            len = c->map_to_len[i];
        } else if (c->unmapped != NULL) {
            text = c->unmapped;
            len = c->unmapped_len;
        } else {
            return TRANSFORM_UNMAPPED;
        }
    }
    if (text != NULL && c->status_class) {
        if (len != 3 || text[0] < '1' || text[0] > '5' || text[1] < '0' ||
            text[1] > '9' || text[2] < '0' || text[2] > '9')
            return TRANSFORM_NOT_STATUS;
        buf_putc(out, text[0]);
        buf_puts(out, "xx");
        return TRANSFORM_OK;
    }
    if (c->mask)
        mask(text, len, is_string, out);
    else if (text == NULL) /* only a mask shows a missing field */
        return TRANSFORM_MISSING;
    else if (c->hash)
        hash(text, len, out);
    else
        buf_append(out, text, len);
    return TRANSFORM_OK;
}
