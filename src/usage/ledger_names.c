/*
 * The numbered series of a usage metric: an array by number, an
 * open-addressing table by key, and their records.
 */
#include "ledger_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_chunk.h"

#define NAMES_INITIAL 64 /* numbers, then table places, before growing */
#define LEB_BITS      7
#define LEB_MORE      0x80
#define KEY_MAX_BYTES (64 * 1024 * 1024) /* longer is not a key */

static const char *key_of(const struct ledger_names *s,
                          const struct ledger_name *e)
{
    return s->keys.data + e->at;
}

static size_t place(const struct ledger_names *s, const void *key, size_t len,
                    uint64_t hash)
{
    size_t mask = s->table_cap - 1, i = hash & mask;
    for (; s->table[i] != 0; i = (i + 1) & mask) {
        const struct ledger_name *e = &s->by_n[s->table[i] - 1];
        if (e->hash == hash && e->len == len &&
            memcmp(key_of(s, e), key, len) == 0)
            break;
    }
    return i;
}

int64_t ledger_names_find(const struct ledger_names *s, const void *key,
                          size_t len, uint64_t hash)
{
    if (s->table_cap == 0)
        return -1;
    uint32_t k = s->table[place(s, key, len, hash)];
    return k != 0 ? (int64_t)k - 1 : -1;
}

static bool grow(struct ledger_names *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : NAMES_INITIAL;
        struct ledger_name *by_n = realloc(s->by_n, cap * sizeof(*by_n));
        if (by_n == NULL)
            return false;
        s->by_n = by_n;
        s->cap = cap;
    }
    if ((s->n + 1) * 2 <= s->table_cap)
        return true;
    size_t cap = s->table_cap ? s->table_cap * 2 : NAMES_INITIAL;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return false;
    free(s->table);
    s->table = t;
    s->table_cap = cap;
    for (size_t n = 0; n < s->n; n++) {
        const struct ledger_name *e = &s->by_n[n];
        s->table[place(s, key_of(s, e), e->len, e->hash)] = (uint32_t)n + 1;
    }
    return true;
}

int64_t ledger_names_add(struct ledger_names *s, const void *key, size_t len,
                         uint64_t hash)
{
    if (s->n >= UINT32_MAX - 1 || !grow(s))
        return -1;
    size_t at = s->keys.len;
    buf_append(&s->keys, key, len);
    if (s->keys.oom)
        return -1;
    s->by_n[s->n] = (struct ledger_name){hash, at, (uint32_t)len};
    s->table[place(s, key, len, hash)] = (uint32_t)s->n + 1;
    return (int64_t)s->n++;
}

void ledger_names_clear(struct ledger_names *s)
{
    if (s->table != NULL)
        memset(s->table, 0, s->table_cap * sizeof(*s->table));
    s->n = s->saved = 0;
    buf_reset(&s->keys);
    s->loaded = false;
}

void ledger_names_free(struct ledger_names *s)
{
    if (s == NULL)
        return;
    free(s->by_n);
    free(s->table);
    buf_free(&s->keys);
    memset(s, 0, sizeof(*s));
}

void ledger_names_encode(const struct ledger_names *s, int64_t chunk,
                         struct buf *b)
{
    size_t from = (size_t)chunk * LEDGER_CHUNK;
    for (size_t n = from; n < s->n && n < from + LEDGER_CHUNK; n++) {
        const struct ledger_name *e = &s->by_n[n];
        unsigned char len[5];
        size_t k = 0;
        uint32_t v = e->len;
        do {
            len[k] = (unsigned char)(v & 0x7f);
            v >>= LEB_BITS;
            len[k++] |= v != 0 ? LEB_MORE : 0;
        } while (v != 0);
        buf_append(b, len, k);
        buf_append(b, key_of(s, e), e->len);
    }
}

int ledger_names_decode(const void *data, size_t len,
                        int (*fn)(void *ctx, size_t slot, const char *key,
                                  size_t len),
                        void *ctx)
{
    const unsigned char *d = data;
    size_t at = 0;
    for (size_t slot = 0; at < len; slot++) {
        size_t n = 0;
        unsigned shift = 0;
        unsigned char byte;
        do {
            if (at >= len || shift > 4 * LEB_BITS)
                return -EBADMSG;
            byte = d[at++];
            n |= (size_t)(byte & 0x7f) << shift;
            shift += LEB_BITS;
        } while (byte & LEB_MORE);
        if (slot >= LEDGER_CHUNK || n > KEY_MAX_BYTES || len - at < n)
            return -EBADMSG;
        int rc = fn(ctx, slot, (const char *)d + at, n);
        if (rc != 0)
            return rc;
        at += n;
    }
    return 0;
}
