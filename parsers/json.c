/*
 * The JSON parser: one pass over the line that both checks it against
 * RFC 8259 and picks out the values of the configured paths.
 *
 * Tokenizing every line fully (as jsmn does) and then walking the tokens
 * costs a token per value and two passes; here each byte is looked at
 * once, but for strings, which are most of a log line: these are scanned
 * sixteen bytes at a time for a quote, a backslash or a control character
 * (eight, as a word, without SSE2), and on lines of a kilobyte or more,
 * where strings are long, on the AVX2 path a first stage (json_index.h)
 * marks those bytes for the whole line and the walk jumps from mark to
 * mark. Either way each verdict is the walk's own. Object keys are
 * compared with the configured ones only at the levels the configuration
 * names (a trie of keys), so a value nobody asked for is validated and
 * skipped without being recorded.
 * In the top-level object, the comma, key and colon a line has where the
 * line before had the same bytes are crossed in one comparison (the
 * shape, json_shape.h); numbers are read from a mask of their digits.
 *
 * Strict means: what a standard parser rejects is rejected — trailing or
 * missing commas, 2OO for 200, leading zeros, single quotes, control
 * characters inside strings, bad escapes, a second value after the first.
 * Invalid UTF-8 inside strings is accepted (label values are repaired
 * later, see pipeline.h). NaN, Infinity and -Infinity, which Python
 * writes, are taken (as null) only by a parser built to take them.
 * Nesting deeper than JSON_MAX_DEPTH is
 * PARSE_TOO_COMPLEX, so hostile input cannot exhaust the stack.
 *
 * A path goes into arrays by position ("choices.0.text", "choices.-1");
 * an element counted from the end is scanned a second time once the
 * array's end is known (scan_positions).
 *
 * tests/unit/json_reference.c holds the parser before this one (jsmn plus
 * a validation pass), tests/unit/json_previous.c this one before its first
 * stage; the tests require all to agree on every line.
 */
#include "parser.h"
#include "json_index.h"
#include "json_number.h"
#include "json_shape.h"
#include "json_string.h"
#include "jsonstr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_KEY 256 /* longest escaped key decoded to match */

/* A kid whose key is an array position from the start ("0", "12"). */
struct json_at {
    uint32_t index;
    uint32_t kid;
};

/*
 * One level of the configured paths: "usage" -> "prompt_tokens". A kid
 * whose key is a whole number also names an element when the value at
 * this level is an array: at lists those counting from the start, in
 * increasing order; from_end[k - 1] is the kid "-k" (NULL where none).
 */
struct json_node {
    const char *key;
    uint32_t key_len;
    int field; /* index into the field set, or -1 for a pure prefix */
    struct json_node *kids;
    uint32_t n_kids;
    uint16_t *slots; /* kids hashed by length and end bytes: index + 1 */
    uint32_t slot_mask;
    struct json_at *at;
    uint32_t n_at;
    const struct json_node **from_end;
    uint32_t n_from_end; /* the largest k of a kid "-k" */
};

/*
 * The shortest line a vector path indexes, in bytes. Below, the strings
 * of a line are too short for an index to pay for itself, and the walk
 * scans them as the scalar path does. Measured with callgrind: on
 * FlashCase lines (about 320 bytes, strings of ten) no index pays; on
 * lines with a 2 KiB prompt AVX2's saves 1,000 instructions a line, and
 * SSE2's costs 380 more than it saves. Tests index every line
 * (json_parser_index_from). The bitmaps are kept for lines up to
 * JSON_INDEX_FIRST_BYTES long at first, and grow (once, not per line)
 * when a longer line comes.
 */
#define JSON_INDEX_MIN_BYTES   1024
#define JSON_INDEX_FIRST_BYTES 4096

struct json_parser {
    struct parser base;
    struct json_shape shape; /* first: its keys' alignment stays put */
    struct json_node root;
    bool non_finite; /* NaN, Infinity and -Infinity read as null */
    enum json_index_path path;
    uint64_t *stop, *high; /* the index, n_words each; NULL on scalar */
    size_t n_words;
    size_t index_from; /* the shortest line indexed, in bytes */
};

/* What a pass over one line needs. */
struct scan {
    const char *line, *end;
    const uint64_t *stop, *high; /* the line's index, or NULL: none */
    struct field_set *out;
    struct json_parser *jp; /* its shape, for the top-level object */
    bool too_deep;
};

/* --- the key trie -------------------------------------------------------- */

static void node_free(struct json_node *n)
{
    for (uint32_t i = 0; i < n->n_kids; i++)
        node_free(&n->kids[i]);
    free(n->kids);
    free(n->slots);
    free(n->at);
    free(n->from_end);
}

/*
 * The array position a key names: *index counting from the start ("0",
 * "17": no sign, no leading zero), or *back from the end ("-1" is 1).
 * False for any other key, and for positions no line can reach.
 */
static bool key_position(const char *key, uint32_t len, uint32_t *index,
                         uint32_t *back)
{
    bool neg = len > 1 && key[0] == '-';
    uint64_t v = 0;
    uint32_t i = neg;
    if (i >= len || (key[i] == '0' && len > i + 1))
        return false;
    for (; i < len; i++) {
        if (key[i] < '0' || key[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(key[i] - '0');
        if (v > UINT32_MAX)
            return false;
    }
    if (neg && (v == 0 || v > CONFIG_MAX_FROM_END))
        return false;
    *index = neg ? 0 : (uint32_t)v;
    *back = neg ? (uint32_t)v : 0;
    return true;
}

static int at_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct json_at *)a)->index;
    uint32_t y = ((const struct json_at *)b)->index;
    return (x > y) - (x < y);
}

/* Builds the array positions of n's kids; false on -ENOMEM. */
static bool node_positions(struct json_node *n)
{
    uint32_t index, back;
    for (uint32_t i = 0; i < n->n_kids; i++) {
        if (!key_position(n->kids[i].key, n->kids[i].key_len, &index, &back))
            continue;
        if (back > 0) {
            if (n->from_end == NULL &&
                (n->from_end =
                     calloc(CONFIG_MAX_FROM_END, sizeof(*n->from_end))) == NULL)
                return false;
            n->from_end[back - 1] = &n->kids[i];
            if (back > n->n_from_end)
                n->n_from_end = back;
            continue;
        }
        struct json_at *at = realloc(n->at, (n->n_at + 1) * sizeof(*at));
        if (at == NULL)
            return false;
        n->at = at;
        n->at[n->n_at++] = (struct json_at){index, i};
    }
    if (n->n_at > 1)
        qsort(n->at, n->n_at, sizeof(*n->at), at_cmp);
    return true;
}

/* Most keys of a line are not wanted: one probe usually tells. */
static uint32_t key_slot(const char *key, uint32_t len, uint32_t mask)
{
    uint32_t h = len * 0x9e3779b1u;
    if (len > 0)
        h ^= (uint32_t)(unsigned char)key[0] * 0x85ebca6bu ^
             (uint32_t)(unsigned char)key[len - 1] * 0xc2b2ae35u;
    return (h ^ (h >> 15)) & mask;
}

/*
 * Builds the slot tables and array positions of n and its descendants,
 * once the trie is complete (kids no longer move); false on -ENOMEM.
 */
static bool node_index(struct json_node *n)
{
    if (n->n_kids == 0)
        return true;
    if (!node_positions(n))
        return false;
    uint32_t size = 8;
    while (size < n->n_kids * 2)
        size *= 2;
    n->slots = calloc(size, sizeof(*n->slots));
    if (n->slots == NULL)
        return false;
    n->slot_mask = size - 1;
    for (uint32_t i = 0; i < n->n_kids; i++) {
        uint32_t s = key_slot(n->kids[i].key, n->kids[i].key_len, n->slot_mask);
        while (n->slots[s] != 0)
            s = (s + 1) & n->slot_mask;
        n->slots[s] = (uint16_t)(i + 1);
        if (!node_index(&n->kids[i]))
            return false;
    }
    return true;
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

static const struct json_node *node_lookup(const struct json_node *n,
                                           const char *key, uint32_t len)
{
    for (uint32_t s = key_slot(key, len, n->slot_mask); n->slots[s] != 0;
         s = (s + 1) & n->slot_mask) {
        const struct json_node *k = &n->kids[n->slots[s] - 1];
        if (k->key_len == len && memcmp(k->key, key, len) == 0)
            return k;
    }
    return NULL;
}

/* A key written with escapes ("mo\u0064el") is decoded first: rare. */
static __attribute__((noinline)) const struct json_node *
node_lookup_escaped(const struct json_node *n, const char *key, uint32_t len)
{
    char decoded[JSON_MAX_KEY];
    if (len > sizeof(decoded))
        return NULL;
    return node_lookup(n, decoded, (uint32_t)json_unescape(key, len, decoded));
}

/* --- scanning ------------------------------------------------------------ */

static inline const char *skip_ws(const char *p, const char *e)
{
    /* Mostly nothing or one space, as ", " and ": " leave it. */
    if (p < e) {
        if ((unsigned char)*p > ' ')
            return p;
        if (*p == ' ' && e - p > 1 && (unsigned char)p[1] > ' ')
            return p + 1;
    }
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/*
 * The string whose opening quote is at p[-1]: returns the byte after its
 * closing quote, or NULL. *esc tells whether it holds escapes, *high
 * (without an index only) whether it holds bytes >= 0x80.
 */
static inline __attribute__((always_inline)) const char *
scan_string(const struct scan *sc, const char *p, bool *esc, bool *high)
{
    *esc = false;
    *high = false;
    if (sc->stop != NULL)
        return scan_string_indexed(sc->line, sc->stop, p, sc->end, esc);
    return scan_string_direct(p, sc->end, esc, high);
}

static const char *scan_word(const char *p, const char *e, const char *w,
                             size_t n)
{
    return (size_t)(e - p) >= n && memcmp(p, w, n) == 0 ? p + n : NULL;
}

/*
 * At p, where no JSON value starts: the end of NaN, Infinity or -Infinity
 * when the parser takes them (the caller records null: a value nobody can
 * use), else NULL. Only reached once a value has failed, so valid lines
 * never pay for it.
 */
static __attribute__((noinline)) const char *
scan_non_finite(const struct scan *sc, const char *p)
{
    const char *e = sc->end, *q;
    if (sc->jp == NULL || !sc->jp->non_finite)
        return NULL;
    if ((q = scan_word(p, e, "NaN", 3)) == NULL &&
        (q = scan_word(p, e, "Infinity", 8)) == NULL)
        q = scan_word(p, e, "-Infinity", 9);
    return q;
}

static const char *scan_value(struct scan *sc, const char *p,
                              const struct json_node *node, int depth,
                              uint8_t *type, bool *esc, bool *high);

/*
 * Stores the value from v to end (its type and flags as scanned) as the
 * current line's value of field. Only a string can hold escapes or bytes
 * >= 0x80: any other value is plain.
 */
static inline __attribute__((always_inline)) void
record(struct scan *sc, int field, const char *v, const char *end, uint8_t type,
       bool esc, bool high)
{
    struct field_val *fv = &sc->out->vals[field];
    if (type == FIELD_STRING) {
        if (sc->high != NULL)
            high = json_index_any(sc->high, (size_t)(v - sc->line),
                                  (size_t)(end - sc->line));
        fv->p = v + 1;
        fv->len = (uint32_t)(end - v - 2);
        fv->escaped = esc;
        fv->plain = !esc && !high;
    } else {
        fv->p = v;
        fv->len = (uint32_t)(end - v);
        fv->escaped = false;
        fv->plain = true;
    }
    fv->gen = sc->out->gen;
    fv->type = type;
}

/*
 * The key whose opening quote is at key[-1]: returns the byte after its
 * closing quote, or NULL; *child is what it names under node (NULL:
 * nothing wanted), *esc whether it was written with escapes.
 */
static inline __attribute__((always_inline)) const char *
scan_key(struct scan *sc, const char *key, const struct json_node *node,
         const struct json_node **child, bool *esc)
{
    const char *p;
    bool khigh;
    *child = NULL;
    if ((p = scan_string(sc, key, esc, &khigh)) == NULL || node == NULL ||
        node->n_kids == 0)
        return p;
    uint32_t klen = (uint32_t)(p - 1 - key);
    *child = *esc ? node_lookup_escaped(node, key, klen)
                  : node_lookup(node, key, klen);
    return p;
}

/*
 * From p, the byte after an object's '{' (first: true) or after one of its
 * values, to the start of the next value: the separator, the key and the
 * colon. Returns where the value starts, NULL where the text is not JSON,
 * or p itself with *end set where the object ends there. *child is what
 * the key names under node. A span the top-level object's shape has at
 * this place (index) is crossed in one comparison; one it has not is
 * walked and remembered.
 */
static inline __attribute__((always_inline)) const char *
scan_member(struct scan *sc, const char *p, const struct json_node *node,
            bool shaped, uint32_t index, const struct json_node **child,
            const char **end)
{
    const char *e = sc->end, *from = p, *v;
    struct json_shape *sh = &sc->jp->shape;
    if (shaped && (v = shape_match(sh, index, p, e, child)) != NULL)
        return v < e && (unsigned char)*v <= ' ' ? skip_ws(v, e) : v;
    if (index > 0 && e - p >= 3 && p[0] == ',' && p[1] == ' ' && p[2] == '"') {
        p += 2; /* ", " and the next key */
    } else {
        p = skip_ws(p, e);
        if (p < e && *p == '}')
            return *end = p + 1, from;
        if (index > 0) {
            if (p >= e || *p != ',')
                return NULL;
            p = skip_ws(p + 1, e);
        }
    }
    if (p >= e || *p != '"')
        return NULL;
    bool kesc;
    if ((p = scan_key(sc, p + 1, node, child, &kesc)) == NULL)
        return NULL;
    if (e - p >= 3 && p[0] == ':' && p[1] == ' ' && (unsigned char)p[2] > ' ') {
        v = p + 2; /* ": ", as most writers put it */
    } else {
        p = skip_ws(p, e);
        if (p >= e || *p != ':')
            return NULL;
        v = skip_ws(p + 1, e);
    }
    if (shaped && !kesc)
        shape_learn(sh, index, from, v, *child);
    return v;
}

/* The object at p ('{'); node says which keys are wanted (NULL: none). */
static const char *scan_object(struct scan *sc, const char *p,
                               const struct json_node *node, int depth)
{
    const char *e = sc->end;
    bool wanted = node != NULL && node->n_kids > 0;
    p++;
    for (uint32_t index = 0;; index++) {
        bool vesc, vhigh;
        const struct json_node *child;
        const char *v, *end = NULL;
        v = scan_member(sc, p, node,
                        wanted && depth == 0 && index < JSON_SHAPE_KEYS, index,
                        &child, &end);
        if (v == NULL || end != NULL)
            return end;
        uint8_t type;
        if (v < e && *v == '"') {
            /* Strings and numbers, most values, without a call. */
            type = FIELD_STRING;
            p = scan_string(sc, v + 1, &vesc, &vhigh);
        } else if (v < e && ((*v >= '0' && *v <= '9') || *v == '-')) {
            type = FIELD_NUMBER;
            vesc = vhigh = false;
            p = scan_number(v, e);
        } else {
            p = scan_value(sc, v, child, depth + 1, &type, &vesc, &vhigh);
        }
        if (p == NULL) {
            if ((p = scan_non_finite(sc, v)) == NULL)
                return NULL;
            type = FIELD_NULL;
        }
        /* The last of repeated keys wins, as in most parsers. */
        if (child != NULL && child->field >= 0)
            record(sc, child->field, v, p, type, vesc, vhigh);
    }
}

/* One array element at p, recorded when node (NULL: none) wants it. */
static const char *scan_element(struct scan *sc, const char *p,
                                const struct json_node *node, int depth)
{
    uint8_t type;
    bool esc, high;
    const char *q = scan_value(sc, p, node, depth + 1, &type, &esc, &high);
    if (q == NULL && (q = scan_non_finite(sc, p)) != NULL)
        type = FIELD_NULL;
    if (q != NULL && node != NULL && node->field >= 0)
        record(sc, node->field, p, q, type, esc, high);
    return q;
}

/*
 * An array some configured path goes into by position. Elements counted
 * from the start are picked as the pass reaches them. One counted from
 * the end is only known once the array ends: the pass keeps where each
 * of the last n_from_end elements starts (a ring on the stack, no
 * allocation) and, at the closing bracket, scans the wanted ones again,
 * this time recording what their paths want. Only those elements are read
 * twice, and only in arrays a path counts back in.
 */
static __attribute__((noinline)) const char *
scan_positions(struct scan *sc, const char *p, const struct json_node *node,
               int depth)
{
    const char *e = sc->end;
    const char *recent[CONFIG_MAX_FROM_END];
    uint32_t keep = node->n_from_end, ring = 0, n = 0, next_at = 0;
    p = skip_ws(p + 1, e);
    if (p < e && *p == ']')
        return p + 1;
    for (;; n++) {
        const struct json_node *child = NULL;
        if (next_at < node->n_at && node->at[next_at].index == n)
            child = &node->kids[node->at[next_at++].kid];
        if (keep > 0) {
            recent[ring] = p;
            ring = ring + 1 == keep ? 0 : ring + 1;
        }
        if ((p = scan_element(sc, p, child, depth)) == NULL)
            return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        if (p >= e || *p != ']')
            return NULL;
        break;
    }
    n++;
    /* The k-th element from the end started k places before ring. */
    for (uint32_t k = 1; k <= keep && k <= n; k++)
        if (node->from_end[k - 1] != NULL)
            scan_element(sc, recent[(ring + keep - k) % keep],
                         node->from_end[k - 1], depth);
    return p + 1;
}

static const char *scan_array(struct scan *sc, const char *p,
                              const struct json_node *node, int depth)
{
    const char *e = sc->end;
    if (node != NULL && (node->n_at > 0 || node->n_from_end > 0))
        return scan_positions(sc, p, node, depth);
    p = skip_ws(p + 1, e);
    if (p < e && *p == ']')
        return p + 1;
    for (;;) {
        uint8_t type;
        bool esc, high;
        const char *v = p;
        if ((p = scan_value(sc, v, NULL, depth + 1, &type, &esc, &high)) ==
                NULL &&
            (p = scan_non_finite(sc, v)) == NULL)
            return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p = skip_ws(p + 1, e);
            continue;
        }
        return p < e && *p == ']' ? p + 1 : NULL;
    }
}

/*
 * Any value at p (no leading whitespace); sets *type for the caller. NaN
 * and Infinity are not values here: a caller whose value failed tries
 * scan_non_finite, which keeps this, the root of every line's recursion,
 * as small as it was.
 */
static const char *scan_value(struct scan *sc, const char *p,
                              const struct json_node *node, int depth,
                              uint8_t *type, bool *esc, bool *high)
{
    const char *e = sc->end;
    *esc = false;
    *high = false;
    if (p >= e)
        return NULL;
    switch (*p) {
    case '"':
        *type = FIELD_STRING;
        return scan_string(sc, p + 1, esc, high);
    case '{':
    case '[':
        if (depth >= JSON_MAX_DEPTH) {
            sc->too_deep = true;
            return NULL;
        }
        *type = *p == '{' ? FIELD_OBJECT : FIELD_ARRAY;
        return *p == '{' ? scan_object(sc, p, node, depth)
                         : scan_array(sc, p, node, depth);
    case 't':
        *type = FIELD_TRUE;
        return scan_word(p, e, "true", 4);
    case 'f':
        *type = FIELD_FALSE;
        return scan_word(p, e, "false", 5);
    case 'n':
        *type = FIELD_NULL;
        return scan_word(p, e, "null", 4);
    default:
        *type = FIELD_NUMBER;
        return scan_number(p, e);
    }
}

/* --- the parser ---------------------------------------------------------- */

/*
 * Whether jp's index has room for a line of len bytes, grown if not: the
 * bitmaps only grow, so a steady stream of lines allocates nothing. A line
 * they cannot grow for is scanned without an index.
 */
static bool index_room(struct json_parser *jp, size_t len)
{
    size_t need = json_index_words(len);
    if (need <= jp->n_words)
        return true;
    if (need > SIZE_MAX / 2 / sizeof(uint64_t))
        return false;
    uint64_t *bits = realloc(jp->stop, 2 * need * sizeof(*bits));
    if (bits == NULL)
        return false;
    jp->stop = bits;
    jp->high = bits + need;
    jp->n_words = need;
    return true;
}

static enum parse_result json_parse(struct parser *base, const char *line,
                                    size_t len, struct field_set *out)
{
    struct json_parser *jp = (struct json_parser *)base;
    struct scan sc = {.line = line, .end = line + len, .out = out, .jp = jp};
    uint8_t type;
    bool esc, high;

    if (len > (size_t)UINT32_MAX)
        return PARSE_TOO_COMPLEX;
    if (jp->path != JSON_INDEX_SCALAR && len >= jp->index_from &&
        index_room(jp, len)) {
        json_index_build(jp->path, line, len, jp->stop, jp->high);
        sc.stop = jp->stop;
        sc.high = jp->high;
    }
    const char *p = skip_ws(line, sc.end);
    const char *q = scan_value(&sc, p, &jp->root, 0, &type, &esc, &high);
    if (q == NULL)
        return sc.too_deep ? PARSE_TOO_COMPLEX : PARSE_NOT_JSON;
    if (skip_ws(q, sc.end) != sc.end)
        return PARSE_NOT_JSON; /* a second value, or stray bytes */
    return type == FIELD_OBJECT ? PARSE_OK : PARSE_NOT_OBJECT;
}

static void json_free(struct parser *base)
{
    struct json_parser *jp = (struct json_parser *)base;
    node_free(&jp->root);
    free(jp->stop);
    free(jp);
}

static const struct parser_ops json_ops = {
    .parse = json_parse,
    .free = json_free,
};

int json_parser_new_on(const struct cfg_field *fields, size_t n_fields,
                       enum json_non_finite non_finite,
                       enum json_index_path path, struct parser **out)
{
    struct json_parser *jp = calloc(1, sizeof(*jp));
    if (jp == NULL)
        return -ENOMEM;
    jp->base.ops = &json_ops;
    jp->non_finite = non_finite == JSON_NON_FINITE_MISSING;
    jp->root.field = -1;
    jp->path = json_index_supported(path) ? path : json_index_best();
    jp->index_from = JSON_INDEX_MIN_BYTES;
    for (size_t f = 0; f < n_fields; f++) {
        struct json_node *n = &jp->root;
        for (uint32_t k = 0; k < fields[f].n_parts; k++) {
            n = node_child(n, fields[f].parts[k], fields[f].part_lens[k]);
            if (n == NULL) {
                json_free(&jp->base);
                return -ENOMEM;
            }
        }
        n->field = (int)f;
    }
    if (n_fields > 65535 || !node_index(&jp->root) ||
        (jp->path != JSON_INDEX_SCALAR &&
         !index_room(jp, JSON_INDEX_FIRST_BYTES))) {
        json_free(&jp->base);
        return -ENOMEM;
    }
    *out = &jp->base;
    return 0;
}

void json_parser_index_from(struct parser *base, size_t bytes)
{
    struct json_parser *jp = (struct json_parser *)base;
    if (jp->path != JSON_INDEX_SCALAR)
        jp->index_from = bytes;
}

int json_parser_new(const struct cfg_field *fields, size_t n_fields,
                    enum json_non_finite non_finite, struct parser **out)
{
    enum json_index_path path;
    (void)json_index_from_env(&path); /* the best path if it names none */
    return json_parser_new_on(fields, n_fields, non_finite, path, out);
}
