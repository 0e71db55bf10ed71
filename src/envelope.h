/*
 * Container log envelopes: the wrapping a container runtime puts around
 * each line the application writes, removed before parsing.
 *
 *   Docker json-file  {"log":"<line>\n","stream":"stdout","time":"..."}
 *                     a long line arrives in pieces; only the last piece's
 *                     "log" ends with \n
 *   CRI (containerd, CRI-O, kubelet)
 *                     <RFC 3339 time> <stdout|stderr> <P|F> <line>
 *                     P marks a piece, F the piece that ends the line
 *
 * Pieces are joined, per file, into the application's line. With
 * ENVELOPE_AUTO the first line of the file decides: a Docker object, a CRI
 * prefix, or neither (the line is the application's own). The same
 * application lines give the same metrics bare or wrapped.
 */
#ifndef TOKENTAIL_ENVELOPE_H
#define TOKENTAIL_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct envelope {
    enum envelope_kind kind; /* ENVELOPE_AUTO until a line decides */
    char *buf;               /* the application line being assembled */
    size_t len, cap;
    bool joining;  /* buf holds pieces of an unfinished line */
    bool too_long; /* the joined line passed the limit: drop to its end */
};

enum envelope_result {
    ENVELOPE_LINE,     /* *out holds a complete application line */
    ENVELOPE_PIECE,    /* a piece was kept; the line is not complete yet */
    ENVELOPE_BAD,      /* not the envelope this file uses */
    ENVELOPE_TOO_LONG, /* the joined line exceeds max_line: skipped */
};

/*
 * Removes the envelope from one line (len bytes, no newline). On
 * ENVELOPE_LINE, *out and *out_len give the application's line, which
 * points into line or into e->buf and stays valid until the next call.
 */
enum envelope_result envelope_unwrap(struct envelope *e, const char *line,
                                     size_t len, size_t max_line,
                                     const char **out, size_t *out_len);

/* Whether pieces of an unfinished line are held. */
static inline bool envelope_pending(const struct envelope *e)
{
    return e->joining;
}

/* Memory held for the line being joined, in bytes. */
static inline size_t envelope_held_bytes(const struct envelope *e)
{
    return e->cap;
}

const char *envelope_name(enum envelope_kind k);

/* Frees the join buffer; the envelope itself belongs to its reader. */
void envelope_free(struct envelope *e);

#endif
