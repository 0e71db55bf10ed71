/*
 * The logfmt parser: key=value pairs separated by spaces, as Go services
 * log them (level=info msg="request done" status=200 latency_ms=12.5).
 * Quoted values keep their backslash escapes, decoded only when a value
 * is used. The fields are matched by their whole path, so a key with dots
 * (http.status=200) is one field.
 */
#include "parser.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct logfmt_key {
    char *name;
    uint32_t len;
    int field;
};

struct logfmt_parser {
    struct parser base;
    struct logfmt_key *keys; /* the configured fields, by name */
    size_t n_keys;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Bytes a key may not hold. */
static bool key_char(char c)
{
    return (unsigned char)c > ' ' && c != '=' && c != '"' && c != 0x7f;
}

static void set(struct logfmt_parser *lp, struct field_set *out,
                const char *key, size_t klen, const char *v, size_t vlen,
                bool escaped)
{
    for (size_t i = 0; i < lp->n_keys; i++) {
        if (lp->keys[i].len != klen || memcmp(lp->keys[i].name, key, klen) != 0)
            continue;
        struct field_val *fv = &out->vals[lp->keys[i].field];
        fv->p = v;
        fv->len = (uint32_t)vlen;
        fv->gen = out->gen;
        fv->type = FIELD_STRING;
        fv->escaped = escaped;
        fv->plain = 0;
    }
}

static enum parse_result logfmt_parse(struct parser *base, const char *line,
                                      size_t len, struct field_set *out)
{
    struct logfmt_parser *lp = (struct logfmt_parser *)base;
    size_t i = 0, pairs = 0;

    while (i < len) {
        while (i < len && is_space(line[i]))
            i++;
        if (i >= len)
            break;
        size_t k = i;
        while (i < len && key_char(line[i]))
            i++;
        size_t klen = i - k;
        if (klen == 0)
            return PARSE_NOT_LOGFMT; /* "=x" or a stray quote */
        if (i >= len || line[i] != '=') {
            if (i < len && !is_space(line[i]))
                return PARSE_NOT_LOGFMT;
            set(lp, out, line + k, klen, line + i, 0, false); /* bare key */
            continue;
        }
        i++; /* '=' */
        pairs++;
        if (i < len && line[i] == '"') {
            size_t v = ++i;
            bool escaped = false;
            while (i < len && line[i] != '"') {
                if (line[i] == '\\') {
                    escaped = true;
                    i++;
                }
                i++;
            }
            if (i >= len)
                return PARSE_NOT_LOGFMT; /* unterminated quote */
            set(lp, out, line + k, klen, line + v, i - v, escaped);
            i++;
            if (i < len && !is_space(line[i]))
                return PARSE_NOT_LOGFMT;
        } else {
            size_t v = i;
            while (i < len && !is_space(line[i])) {
                if (line[i] == '"' || line[i] == '=')
                    return PARSE_NOT_LOGFMT;
                i++;
            }
            set(lp, out, line + k, klen, line + v, i - v, false);
        }
    }
    return pairs > 0 ? PARSE_OK : PARSE_NOT_LOGFMT;
}

static void logfmt_free(struct parser *base)
{
    struct logfmt_parser *lp = (struct logfmt_parser *)base;
    for (size_t i = 0; i < lp->n_keys; i++)
        free(lp->keys[i].name);
    free(lp->keys);
    free(lp);
}

static const struct parser_ops logfmt_ops = {
    .parse = logfmt_parse,
    .free = logfmt_free,
};

int logfmt_parser_new(const struct cfg_field *fields, size_t n_fields,
                      struct parser **out)
{
    struct logfmt_parser *lp = calloc(1, sizeof(*lp));
    if (lp == NULL)
        return -ENOMEM;
    lp->base.ops = &logfmt_ops;
    lp->keys = calloc(n_fields ? n_fields : 1, sizeof(*lp->keys));
    if (lp->keys == NULL) {
        free(lp);
        return -ENOMEM;
    }
    for (size_t f = 0; f < n_fields; f++) {
        char name[1024];
        size_t n = parser_field_name(&fields[f], name, sizeof(name));
        lp->keys[f].name = strdup(name);
        if (lp->keys[f].name == NULL) {
            lp->n_keys = f;
            logfmt_free(&lp->base);
            return -ENOMEM;
        }
        lp->keys[f].len = (uint32_t)n;
        lp->keys[f].field = (int)f;
        lp->n_keys = f + 1;
    }
    *out = &lp->base;
    return 0;
}

size_t parser_field_name(const struct cfg_field *f, char *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < f->n_parts; i++) {
        size_t l = f->part_lens[i];
        if (n + l + 2 > cap)
            break;
        if (i > 0)
            out[n++] = '.';
        memcpy(out + n, f->parts[i], l);
        n += l;
    }
    out[n] = '\0';
    return n;
}
