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

/* How lines are wrapped by a container runtime before the app's own text. */
enum envelope_kind {
    ENVELOPE_AUTO,   /* decide per file from its first line */
    ENVELOPE_NONE,   /* the line is the app's line */
    ENVELOPE_DOCKER, /* Docker json-file: {"log":"...\n","stream":...} */
    ENVELOPE_CRI,    /* CRI: <time> <stream> <P|F> <text> */
};
#define ENVELOPE_KIND_COUNT (ENVELOPE_CRI + 1)

/* "auto", "none", "docker" or "cri": as the configuration writes them. */
const char *envelope_name(enum envelope_kind k);

/* The kind named s; -1 when there is none of that name. */
int envelope_kind_parse(const char *s);

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

/* Frees the join buffer; the envelope itself belongs to its reader. */
void envelope_free(struct envelope *e);

#endif
