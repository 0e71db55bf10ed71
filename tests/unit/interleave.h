/*
 * Container log files written the way runtimes write them: two lines of
 * an application, each on its own stream and cut into pieces, their
 * records interleaved in one file in a chosen order. Shared by the
 * envelope and tailer tests, which try every order.
 *
 * An order is a bit mask over the records of both lines: bit i set means
 * the file's record i is the next piece of the second line. Every order
 * keeps each line's pieces in their own order, as a runtime does.
 */
#ifndef TOKENTAIL_TEST_INTERLEAVE_H
#define TOKENTAIL_TEST_INTERLEAVE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "envelope.h"

#define IL_MAX_RECORDS 16  /* records in one file */
#define IL_RECORD_MAX  512 /* bytes of one record, newline included */

/* One application line, written on stream in pieces. */
struct il_line {
    const char *text;
    enum envelope_stream stream;
    unsigned pieces;
};

/* The records of a file, each ending in a newline, in order. */
struct il_file {
    char rec[IL_MAX_RECORDS][IL_RECORD_MAX];
    size_t n;
};

/* A JSON string's content for the n bytes at s: quotes and backslashes
 * escaped, as Docker writes them. */
static inline size_t il_escape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            out[o++] = '\\';
        out[o++] = s[i];
    }
    return o;
}

/* Appends a record of kind holding the n bytes at piece of stream s;
 * last says whether the piece ends its line. */
static inline void il_record(struct il_file *f, enum envelope_kind kind,
                             enum envelope_stream s, const char *piece,
                             size_t n, bool last)
{
    const char *name = s == ENVELOPE_STDERR ? "stderr" : "stdout";
    char *out = f->rec[f->n];
    if (kind == ENVELOPE_DOCKER) {
        char esc[IL_RECORD_MAX];
        size_t e = il_escape(piece, n, esc);
        snprintf(out, IL_RECORD_MAX,
                 "{\"log\":\"%.*s%s\",\"stream\":\"%s\","
                 "\"time\":\"2025-11-13T10:30:00.%09zuZ\"}\n",
                 (int)e, esc, last ? "\\n" : "", name, f->n);
    } else {
        snprintf(out, IL_RECORD_MAX, "2025-11-13T10:30:00.%09zuZ %s %c %.*s\n",
                 f->n, name, last ? 'F' : 'P', (int)n, piece);
    }
    f->n++;
}

/* Appends piece k of line l: its text cut in l->pieces near-equal parts. */
static inline void il_piece(struct il_file *f, enum envelope_kind kind,
                            const struct il_line *l, unsigned k)
{
    size_t len = strlen(l->text);
    size_t from = len * k / l->pieces, to = len * (k + 1) / l->pieces;
    il_record(f, kind, l->stream, l->text + from, to - from,
              k + 1 == l->pieces);
}

/* The text of records [from, to) of f, in out (cap bytes, NUL-ended);
 * returns its length. */
static inline size_t il_text(const struct il_file *f, size_t from, size_t to,
                             char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = from; i < to && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s", f->rec[i]);
    return n;
}

/* Appends the records of lines a and b in the order mask gives. */
static inline void il_interleave(struct il_file *f, enum envelope_kind kind,
                                 const struct il_line *a,
                                 const struct il_line *b, unsigned mask)
{
    unsigned ka = 0, kb = 0;
    for (unsigned i = 0; i < a->pieces + b->pieces; i++) {
        if (mask & (1u << i))
            il_piece(f, kind, b, kb++);
        else
            il_piece(f, kind, a, ka++);
    }
}

/* Whether mask is an order of a records of one line and b of the other:
 * a + b bits, b of them set. */
static inline bool il_order(unsigned mask, unsigned a, unsigned b)
{
    unsigned set = 0;
    if (mask >= 1u << (a + b))
        return false;
    for (unsigned m = mask; m; m &= m - 1)
        set++;
    return set == b;
}

/* Whether, in the order mask, line a ends before line b. */
static inline bool il_a_first(unsigned mask, unsigned a, unsigned b)
{
    /* b ends last exactly when the final record is b's. */
    return (mask >> (a + b - 1)) & 1u;
}

#endif
