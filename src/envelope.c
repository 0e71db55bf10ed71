#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include "jsonstr.h"

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#define ENVELOPE_TOKENS 64 /* a Docker object: log, stream, time, attrs */

static const char *const names[ENVELOPE_KIND_COUNT] = {"auto", "none", "docker",
                                                       "cri"};

const char *envelope_name(enum envelope_kind k)
{
    return names[k];
}

int envelope_kind_parse(const char *s)
{
    for (int k = 0; k < ENVELOPE_KIND_COUNT; k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    return -1;
}

/* "2025-11-13T10:30:00.123456789Z stdout F " and where its text starts. */
static bool cri_prefix(const char *s, size_t len, bool *partial, size_t *text)
{
    size_t i = 0;
    if (len < 2 || s[0] < '0' || s[0] > '9')
        return false;
    while (i < len && s[i] != ' ')
        if (s[i++] == '\n')
            return false;
    if (memchr(s, 'T', i) == NULL || i + 1 >= len)
        return false;
    i++;
    if (len - i >= 7 &&
        (memcmp(s + i, "stdout ", 7) == 0 || memcmp(s + i, "stderr ", 7) == 0))
        i += 7;
    else
        return false;
    if (i >= len || (s[i] != 'P' && s[i] != 'F'))
        return false;
    *partial = s[i] == 'P';
    i++;
    if (i < len && s[i] != ' ')
        return false;
    *text = i < len ? i + 1 : len;
    return true;
}

static bool docker_prefix(const char *s, size_t len)
{
    return len >= 7 && memcmp(s, "{\"log\":", 7) == 0;
}

static bool append(struct envelope *e, const char *p, size_t n)
{
    if (e->len + n > e->cap) {
        size_t cap = e->cap ? e->cap : 1024;
        while (cap < e->len + n)
            cap *= 2;
        char *b = realloc(e->buf, cap);
        if (b == NULL)
            return false;
        e->buf = b;
        e->cap = cap;
    }
    if (n > 0)
        memcpy(e->buf + e->len, p, n);
    e->len += n;
    return true;
}

/* Adds a piece; finished says whether it ends the line. */
static enum envelope_result piece(struct envelope *e, const char *p, size_t n,
                                  bool finished, size_t max_line,
                                  const char **out, size_t *out_len)
{
    if (!e->joining && finished) {
        *out = p; /* the common case: a whole line, no copy */
        *out_len = n;
        return ENVELOPE_LINE;
    }
    if (!e->joining) {
        e->len = 0;
        e->too_long = false;
        e->joining = true;
    }
    if (!e->too_long && (e->len + n > max_line || !append(e, p, n)))
        e->too_long = true;
    if (!finished)
        return ENVELOPE_PIECE;
    e->joining = false;
    if (e->too_long)
        return ENVELOPE_TOO_LONG;
    *out = e->buf ? e->buf : "";
    *out_len = e->len;
    return ENVELOPE_LINE;
}

static enum envelope_result docker(struct envelope *e, const char *s,
                                   size_t len, size_t max_line,
                                   const char **out, size_t *out_len)
{
    jsmntok_t toks[ENVELOPE_TOKENS];
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, s, len, toks, ENVELOPE_TOKENS);
    if (n < 3 || toks[0].type != JSMN_OBJECT)
        return ENVELOPE_BAD;
    /* Walk the top-level keys: values are never keys, parents tell. */
    for (int i = 1; i + 1 < n; i++) {
        if (toks[i].parent != 0 || toks[i].type != JSMN_STRING ||
            toks[i].end - toks[i].start != 3 ||
            memcmp(s + toks[i].start, "log", 3) != 0)
            continue;
        const jsmntok_t *v = &toks[i + 1];
        if (v->type != JSMN_STRING)
            return ENVELOPE_BAD;
        /* The decoded text is never longer than the escaped one. */
        size_t raw = (size_t)(v->end - v->start);
        char small[4096];
        char *dec = raw <= sizeof(small) ? small : malloc(raw);
        if (dec == NULL)
            return ENVELOPE_TOO_LONG;
        size_t dl = json_unescape(s + v->start, raw, dec);
        bool finished = dl > 0 && dec[dl - 1] == '\n';
        if (finished)
            dl--;
        /* Decoded text must outlive this call: always go through buf. */
        if (!e->joining) {
            e->len = 0;
            e->too_long = false;
            e->joining = true;
        }
        if (!e->too_long && (e->len + dl > max_line || !append(e, dec, dl)))
            e->too_long = true;
        if (dec != small)
            free(dec);
        if (!finished)
            return ENVELOPE_PIECE;
        e->joining = false;
        if (e->too_long)
            return ENVELOPE_TOO_LONG;
        *out = e->buf ? e->buf : "";
        *out_len = e->len;
        return ENVELOPE_LINE;
    }
    return ENVELOPE_BAD;
}

enum envelope_result envelope_unwrap(struct envelope *e, const char *line,
                                     size_t len, size_t max_line,
                                     const char **out, size_t *out_len)
{
    bool partial;
    size_t text;

    if (e->kind == ENVELOPE_AUTO) {
        if (docker_prefix(line, len))
            e->kind = ENVELOPE_DOCKER;
        else if (cri_prefix(line, len, &partial, &text))
            e->kind = ENVELOPE_CRI;
        else
            e->kind = ENVELOPE_NONE;
    }
    switch (e->kind) {
    case ENVELOPE_DOCKER:
        return docker(e, line, len, max_line, out, out_len);
    case ENVELOPE_CRI:
        if (!cri_prefix(line, len, &partial, &text))
            return ENVELOPE_BAD;
        return piece(e, line + text, len - text, !partial, max_line, out,
                     out_len);
    default:
        *out = line;
        *out_len = len;
        return ENVELOPE_LINE;
    }
}

void envelope_free(struct envelope *e)
{
    free(e->buf);
    e->buf = NULL;
    e->len = e->cap = 0;
    e->joining = false;
}
