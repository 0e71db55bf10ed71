#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include "jsonstr.h"

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#define ENVELOPE_TOKENS    64   /* a Docker object: log, stream, time, attrs */
#define ENVELOPE_JOIN_MIN  1024 /* bytes: a stream's first join buffer */
#define ENVELOPE_ESC_RATIO 6    /* escaped bytes per decoded byte, at most */

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

/* --- reading records ----------------------------------------------------- */

/* "2025-11-13T10:30:00.123456789Z stdout F <text>": the stream, the piece
 * and where its text starts. */
static bool cri_read(const char *s, size_t len, struct envelope_record *rec)
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
    if (len - i < 7 || s[i + 6] != ' ')
        return false;
    if (memcmp(s + i, "stdout", 6) == 0)
        rec->stream = ENVELOPE_STDOUT;
    else if (memcmp(s + i, "stderr", 6) == 0)
        rec->stream = ENVELOPE_STDERR;
    else
        return false;
    i += 7;
    if (i >= len || (s[i] != 'P' && s[i] != 'F'))
        return false;
    rec->finished = s[i] == 'F';
    i++;
    if (i < len && s[i] != ' ')
        return false;
    if (i < len)
        i++;
    rec->escaped = false;
    rec->text = s + i;
    rec->len = len - i;
    return true;
}

static bool docker_prefix(const char *s, size_t len)
{
    return len >= 7 && memcmp(s, "{\"log\":", 7) == 0;
}

/*
 * The length of the escape that ends the string content s in a newline
 * ("\n" or "\u000a"); 0 when it ends otherwise. The escape's backslash
 * must not be the second of an escaped backslash: the run of backslashes
 * it ends is odd.
 */
static size_t newline_escape(const char *s, size_t n)
{
    size_t esc, run = 0;
    if (n >= 2 && s[n - 1] == 'n')
        esc = 2;
    else if (n >= 6 && (memcmp(s + n - 5, "u000a", 5) == 0 ||
                        memcmp(s + n - 5, "u000A", 5) == 0))
        esc = 6;
    else
        return 0;
    for (size_t i = n - esc + 1; i > 0 && s[i - 1] == '\\'; i--)
        run++;
    return run % 2 == 1 ? esc : 0;
}

static bool token_is(const char *s, const jsmntok_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n &&
           memcmp(s + t->start, word, n) == 0;
}

/* {"log":"<piece>","stream":"stdout",...}; no "stream" means stdout. */
static bool docker_read(const char *s, size_t len, struct envelope_record *rec)
{
    jsmntok_t toks[ENVELOPE_TOKENS];
    jsmn_parser p;
    const jsmntok_t *log = NULL, *stream = NULL;
    jsmn_init(&p);
    int n = jsmn_parse(&p, s, len, toks, ENVELOPE_TOKENS);
    if (n < 3 || toks[0].type != JSMN_OBJECT)
        return false;
    /* The top-level keys: values are never keys, parents tell. The first
     * of a repeated key counts. */
    for (int i = 1; i + 1 < n && (log == NULL || stream == NULL); i++) {
        if (toks[i].parent != 0)
            continue;
        if (log == NULL && token_is(s, &toks[i], "log"))
            log = &toks[i + 1];
        else if (stream == NULL && token_is(s, &toks[i], "stream"))
            stream = &toks[i + 1];
    }
    if (log == NULL || log->type != JSMN_STRING)
        return false;
    if (stream == NULL || token_is(s, stream, "stdout"))
        rec->stream = ENVELOPE_STDOUT;
    else if (token_is(s, stream, "stderr"))
        rec->stream = ENVELOPE_STDERR;
    else
        return false;
    size_t raw = (size_t)(log->end - log->start);
    size_t nl = newline_escape(s + log->start, raw);
    rec->finished = nl > 0;
    rec->escaped = true;
    rec->text = s + log->start;
    rec->len = raw - nl;
    return true;
}

bool envelope_read(struct envelope *e, const char *line, size_t len,
                   struct envelope_record *rec)
{
    bool ok;
    if (e->kind == ENVELOPE_AUTO) {
        if (docker_prefix(line, len))
            e->kind = ENVELOPE_DOCKER;
        else if (cri_read(line, len, rec))
            e->kind = ENVELOPE_CRI;
        else
            e->kind = ENVELOPE_NONE;
    }
    switch (e->kind) {
    case ENVELOPE_DOCKER:
        ok = docker_read(line, len, rec);
        break;
    case ENVELOPE_CRI:
        ok = cri_read(line, len, rec);
        break;
    default:
        *rec = (struct envelope_record){.stream = ENVELOPE_NO_STREAM,
                                        .finished = true,
                                        .text = line,
                                        .len = len};
        return true;
    }
    if (!ok)
        rec->stream = ENVELOPE_NO_STREAM;
    return ok;
}

/* --- joining pieces ------------------------------------------------------ */

static bool reserve(struct envelope_join *j, size_t n)
{
    if (j->len + n <= j->cap)
        return true;
    size_t cap = j->cap ? j->cap : ENVELOPE_JOIN_MIN;
    while (cap < j->len + n)
        cap *= 2;
    char *b = realloc(j->buf, cap);
    if (b == NULL)
        return false;
    j->buf = b;
    j->cap = cap;
    return true;
}

/* Adds a piece's text to j, or finds the line too long (or, out of
 * memory, unable to be held: the same outcome). */
static void append(struct envelope_join *j, const struct envelope_record *rec,
                   size_t max_line)
{
    size_t room = max_line > j->len ? max_line - j->len : 0;
    size_t least =
        rec->escaped ? (rec->len + ENVELOPE_ESC_RATIO - 1) / ENVELOPE_ESC_RATIO
                     : rec->len;
    if (j->too_long || least > room || !reserve(j, rec->len)) {
        j->too_long = true;
        return;
    }
    if (rec->len == 0)
        return; /* an empty piece: the buffer may not exist yet */
    size_t n = rec->len;
    if (rec->escaped)
        n = json_unescape(rec->text, rec->len, j->buf + j->len);
    else
        memcpy(j->buf + j->len, rec->text, n);
    if (n > room)
        j->too_long = true;
    else
        j->len += n;
}

/* The verdict on j after a piece: kept, or the line it ends. */
static enum envelope_result settle(struct envelope_join *j, bool finished,
                                   const char **out, size_t *out_len)
{
    if (!finished)
        return ENVELOPE_PIECE;
    j->joining = false;
    if (j->too_long)
        return ENVELOPE_TOO_LONG;
    *out = j->buf ? j->buf : "";
    *out_len = j->len;
    return ENVELOPE_LINE;
}

static struct envelope_join *begin(struct envelope *e, enum envelope_stream s)
{
    struct envelope_join *j = &e->join[s];
    if (!j->joining) {
        j->len = 0;
        j->too_long = false;
        j->joining = true;
    }
    return j;
}

enum envelope_result envelope_join_piece(struct envelope *e,
                                         const struct envelope_record *rec,
                                         size_t max_line, const char **out,
                                         size_t *out_len)
{
    if (rec->stream >= ENVELOPE_STREAMS)
        return envelope_join(e, rec, max_line, out, out_len);
    /* Decoded text must outlive this call: it goes through the buffer. */
    struct envelope_join *j = begin(e, rec->stream);
    append(j, rec, max_line);
    return settle(j, rec->finished, out, out_len);
}

enum envelope_result envelope_drop(struct envelope *e,
                                   const struct envelope_record *rec)
{
    if (rec == NULL) {
        for (int s = 0; s < ENVELOPE_STREAMS; s++)
            if (e->join[s].joining)
                e->join[s].too_long = true;
        return ENVELOPE_TOO_LONG;
    }
    if (rec->stream >= ENVELOPE_STREAMS)
        return ENVELOPE_TOO_LONG;
    struct envelope_join *j = begin(e, rec->stream);
    j->too_long = true;
    return settle(j, rec->finished, NULL, NULL);
}

enum envelope_result envelope_unwrap(struct envelope *e, const char *line,
                                     size_t len, size_t max_line,
                                     const char **out, size_t *out_len)
{
    struct envelope_record rec;
    if (!envelope_read(e, line, len, &rec))
        return ENVELOPE_BAD;
    return envelope_join(e, &rec, max_line, out, out_len);
}

void envelope_reset(struct envelope *e)
{
    for (int s = 0; s < ENVELOPE_STREAMS; s++)
        e->join[s].joining = false;
}

void envelope_free(struct envelope *e)
{
    for (int s = 0; s < ENVELOPE_STREAMS; s++) {
        free(e->join[s].buf);
        e->join[s] = (struct envelope_join){0};
    }
}
