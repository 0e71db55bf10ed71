/*
 * A second, independent JSON parser for the tests: jsmn tokenizes the
 * line, a strict pass rejects what jsmn lets through but RFC 8259 does not
 * (trailing or missing commas, bad literals such as 2OO, control
 * characters in strings, a second value after the first), then the
 * configured paths are looked up among the tokens. It was tokentail's
 * parser before the single-pass scanner in parsers/json.c, which must
 * agree with it on every line (test-json compares them). Array elements
 * are found here from the size jsmn gives each array, not in one pass as
 * the scanner finds them.
 */
#include "parser.h"
#include "jsonstr.h"
#include "json_reference.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#define JSON_INITIAL_TOKENS 256
#define JSON_MAX_KEY        256 /* longest escaped key we decode to match */

/* One level of the configured paths: "usage" -> "prompt_tokens". */
struct json_node {
    const char *key;
    uint32_t key_len;
    int field; /* index into the field set, or -1 for a pure prefix */
    struct json_node *kids;
    uint32_t n_kids;
};

struct json_frame {
    int tok;   /* the open object or array */
    int count; /* children seen so far */
};

struct json_parser {
    struct parser base;
    struct json_node root;
    jsmntok_t *toks;
    struct json_frame *frames;
    unsigned cap;
};

/* --- the key trie -------------------------------------------------------- */

static void node_free(struct json_node *n)
{
    for (uint32_t i = 0; i < n->n_kids; i++)
        node_free(&n->kids[i]);
    free(n->kids);
}

static struct json_node *node_child(struct json_node *n, const char *key,
                                    uint32_t len)
{
    for (uint32_t i = 0; i < n->n_kids; i++)
        if (n->kids[i].key_len == len && memcmp(n->kids[i].key, key, len) == 0)
            return &n->kids[i];
    struct json_node *k = realloc(n->kids, (n->n_kids + 1) * sizeof(*k));
    if (k == NULL)
        return NULL;
    n->kids = k;
    k = &n->kids[n->n_kids++];
    memset(k, 0, sizeof(*k));
    k->key = key;
    k->key_len = len;
    k->field = -1;
    return k;
}

static const struct json_node *node_match(const struct json_node *n,
                                          const char *key, uint32_t len)
{
    char decoded[JSON_MAX_KEY];
    if (memchr(key, '\\', len) != NULL) {
        if (len > sizeof(decoded))
            return NULL;
        len = (uint32_t)json_unescape(key, len, decoded);
        key = decoded;
    }
    for (uint32_t i = 0; i < n->n_kids; i++)
        if (n->kids[i].key_len == len && memcmp(n->kids[i].key, key, len) == 0)
            return &n->kids[i];
    return NULL;
}

/* --- strict validation --------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [from, to) holds only whitespace around exactly one sep (none if 0). */
static bool gap_ok(const char *js, int from, int to, char sep)
{
    while (from < to && is_ws(js[from]))
        from++;
    if (sep) {
        if (from >= to || js[from] != sep)
            return false;
        from++;
        while (from < to && is_ws(js[from]))
            from++;
    }
    return from == to;
}

static bool digits(const char *p, int *i, int n)
{
    int start = *i;
    while (*i < n && p[*i] >= '0' && p[*i] <= '9')
        (*i)++;
    return *i > start;
}

static bool literal_ok(const char *p, int n)
{
    if (p[0] == 't')
        return n == 4 && memcmp(p, "true", 4) == 0;
    if (p[0] == 'f')
        return n == 5 && memcmp(p, "false", 5) == 0;
    if (p[0] == 'n')
        return n == 4 && memcmp(p, "null", 4) == 0;
    int i = 0;
    if (p[i] == '-')
        i++;
    if (i < n && p[i] == '0')
        i++;
    else if (!digits(p, &i, n))
        return false;
    if (i < n && p[i] == '.') {
        i++;
        if (!digits(p, &i, n))
            return false;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        if (!digits(p, &i, n))
            return false;
    }
    return i == n;
}

static bool string_ok(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20)
            return false;
    return true;
}

static bool close_frame(const char *js, const jsmntok_t *t,
                        struct json_frame *f, int *pos)
{
    int end = t[f->tok].end;
    if (t[f->tok].type == JSMN_OBJECT && f->count % 2 != 0)
        return false; /* a key without a value */
    if (!gap_ok(js, *pos, end - 1, 0))
        return false; /* e.g. a trailing comma */
    *pos = end;
    return true;
}

/* True when the tokens describe exactly one RFC 8259 value spanning js. */
static bool json_validate(const char *js, int len, const jsmntok_t *t, int n,
                          struct json_frame *stack)
{
    int depth = 0, pos = 0;

    for (int i = 0; i < n; i++) {
        int start = t[i].type == JSMN_STRING ? t[i].start - 1 : t[i].start;
        while (depth > 0 && t[stack[depth - 1].tok].end <= start) {
            if (!close_frame(js, t, &stack[depth - 1], &pos))
                return false;
            depth--;
        }
        char sep = 0;
        if (depth == 0) {
            if (i != 0)
                return false; /* a second value on the line */
        } else {
            struct json_frame *f = &stack[depth - 1];
            if (t[f->tok].type == JSMN_OBJECT) {
                if (f->count % 2 == 0) {
                    if (t[i].type != JSMN_STRING)
                        return false;
                    sep = f->count ? ',' : 0;
                } else {
                    sep = ':';
                }
            } else {
                sep = f->count ? ',' : 0;
            }
            f->count++;
        }
        if (!gap_ok(js, pos, start, sep))
            return false;
        switch (t[i].type) {
        case JSMN_OBJECT:
        case JSMN_ARRAY:
            stack[depth].tok = i;
            stack[depth].count = 0;
            depth++;
            pos = t[i].start + 1;
            break;
        case JSMN_STRING:
            if (!string_ok(js + t[i].start, t[i].end - t[i].start))
                return false;
            pos = t[i].end + 1;
            break;
        default:
            if (!literal_ok(js + t[i].start, t[i].end - t[i].start))
                return false;
            pos = t[i].end;
            break;
        }
    }
    while (depth > 0) {
        if (!close_frame(js, t, &stack[depth - 1], &pos))
            return false;
        depth--;
    }
    return gap_ok(js, pos, len, 0);
}

/* --- extraction ---------------------------------------------------------- */

/* The index of the first token after the value at v. */
static int skip_value(const jsmntok_t *t, int v, int n)
{
    int end = t[v].end;
    int j = v + 1;
    while (j < n && t[j].start < end)
        j++;
    return j;
}

static void set_field(struct field_set *out, int field, const char *js,
                      const jsmntok_t *tok)
{
    struct field_val *fv = &out->vals[field];
    fv->p = js + tok->start;
    fv->len = (uint32_t)(tok->end - tok->start);
    fv->gen = out->gen;
    fv->escaped = 0;
    fv->plain = 0;
    switch (tok->type) {
    case JSMN_STRING:
        fv->type = FIELD_STRING;
        fv->escaped = memchr(fv->p, '\\', fv->len) != NULL;
        break;
    case JSMN_OBJECT:
        fv->type = FIELD_OBJECT;
        break;
    case JSMN_ARRAY:
        fv->type = FIELD_ARRAY;
        break;
    default:
        fv->type = fv->p[0] == 't'   ? FIELD_TRUE
                   : fv->p[0] == 'f' ? FIELD_FALSE
                   : fv->p[0] == 'n' ? FIELD_NULL
                                     : FIELD_NUMBER;
        break;
    }
}

static void extract_object(const struct json_node *node, const char *js,
                           const jsmntok_t *t, int obj, int n,
                           struct field_set *out);
static void extract_array(const struct json_node *node, const char *js,
                          const jsmntok_t *t, int arr, int n,
                          struct field_set *out);

/* The value at token v, which the path up to child leads to. */
static void extract(const struct json_node *child, const char *js,
                    const jsmntok_t *t, int v, int n, struct field_set *out)
{
    if (child == NULL)
        return;
    if (child->field >= 0)
        set_field(out, child->field, js, &t[v]);
    if (child->n_kids > 0 && t[v].type == JSMN_OBJECT)
        extract_object(child, js, t, v, n, out);
    if (child->n_kids > 0 && t[v].type == JSMN_ARRAY)
        extract_array(child, js, t, v, n, out);
}

static void extract_object(const struct json_node *node, const char *js,
                           const jsmntok_t *t, int obj, int n,
                           struct field_set *out)
{
    int i = obj + 1;
    for (int k = 0; k < t[obj].size && i + 1 < n; k++) {
        int v = i + 1;
        extract(node_match(node, js + t[i].start,
                           (uint32_t)(t[i].end - t[i].start)),
                js, t, v, n, out);
        i = skip_value(t, v, n);
    }
}

/*
 * jsmn knows an array's size before its elements: element k is the key
 * "k" from the start and "-(size - k)" from the end, each looked up by
 * its text as the configuration wrote it.
 */
static void extract_array(const struct json_node *node, const char *js,
                          const jsmntok_t *t, int arr, int n,
                          struct field_set *out)
{
    int v = arr + 1;
    char key[16];
    for (int k = 0; k < t[arr].size && v < n; k++) {
        int len = snprintf(key, sizeof(key), "%d", k);
        extract(node_match(node, key, (uint32_t)len), js, t, v, n, out);
        len = snprintf(key, sizeof(key), "-%d", t[arr].size - k);
        extract(node_match(node, key, (uint32_t)len), js, t, v, n, out);
        v = skip_value(t, v, n);
    }
}

/* --- the parser ---------------------------------------------------------- */

static bool grow(struct json_parser *jp)
{
    unsigned cap = jp->cap * 2;
    if (cap > JSON_REFERENCE_MAX_TOKENS)
        cap = JSON_REFERENCE_MAX_TOKENS;
    jsmntok_t *t = realloc(jp->toks, cap * sizeof(*t));
    if (t == NULL)
        return false;
    jp->toks = t;
    struct json_frame *f = realloc(jp->frames, cap * sizeof(*f));
    if (f == NULL)
        return false;
    jp->frames = f;
    jp->cap = cap;
    return true;
}

static enum parse_result json_parse(struct parser *base, const char *line,
                                    size_t len, struct field_set *out)
{
    struct json_parser *jp = (struct json_parser *)base;
    jsmn_parser jsp;
    int r;

    if (len > (size_t)INT32_MAX)
        return PARSE_TOO_COMPLEX;
    jsmn_init(&jsp);
    for (;;) {
        r = jsmn_parse(&jsp, line, len, jp->toks, jp->cap);
        if (r != JSMN_ERROR_NOMEM)
            break;
        if (jp->cap >= JSON_REFERENCE_MAX_TOKENS || !grow(jp))
            return PARSE_TOO_COMPLEX;
    }
    if (r <= 0)
        return PARSE_NOT_JSON;
    int n = (int)jsp.toknext;
    if (!json_validate(line, (int)len, jp->toks, n, jp->frames))
        return PARSE_NOT_JSON;
    if (jp->toks[0].type != JSMN_OBJECT)
        return PARSE_NOT_OBJECT;
    extract_object(&jp->root, line, jp->toks, 0, n, out);
    return PARSE_OK;
}

static void json_free(struct parser *base)
{
    struct json_parser *jp = (struct json_parser *)base;
    node_free(&jp->root);
    free(jp->toks);
    free(jp->frames);
    free(jp);
}

static const struct parser_ops json_ops = {
    .parse = json_parse,
    .free = json_free,
};

int json_reference_new(const struct cfg_field *fields, size_t n_fields,
                       struct parser **out)
{
    struct json_parser *jp = calloc(1, sizeof(*jp));
    if (jp == NULL)
        return -ENOMEM;
    jp->base.ops = &json_ops;
    jp->root.field = -1;
    jp->cap = JSON_INITIAL_TOKENS;
    jp->toks = malloc(jp->cap * sizeof(*jp->toks));
    jp->frames = malloc(jp->cap * sizeof(*jp->frames));
    if (jp->toks == NULL || jp->frames == NULL)
        goto fail;
    for (size_t f = 0; f < n_fields; f++) {
        struct json_node *n = &jp->root;
        for (uint32_t k = 0; k < fields[f].n_parts; k++) {
            n = node_child(n, fields[f].parts[k], fields[f].part_lens[k]);
            if (n == NULL)
                goto fail;
        }
        n->field = (int)f;
    }
    *out = &jp->base;
    return 0;
fail:
    json_free(&jp->base);
    return -ENOMEM;
}
