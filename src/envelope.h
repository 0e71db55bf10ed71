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
 * Both runtimes write a container's stdout and stderr into one file, each
 * record naming its stream, so the pieces of a stdout line may have stderr
 * records between them. Pieces are joined per stream: each stream has its
 * own unfinished line, bounded by the limit the caller gives. A joined
 * line over the limit is reported once, as too long, when its last piece
 * comes; its stream goes on with the line after it.
 *
 * Reading a record (which stream, which piece) is apart from joining it,
 * so a reader can drop a record it knows was delivered before without
 * touching the lines being joined (tailer.h does so after a restart).
 *
 * With ENVELOPE_AUTO the first line read decides: a Docker object, a CRI
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

/* Which of the container's outputs a line came from. */
enum envelope_stream {
    ENVELOPE_STDOUT,
    ENVELOPE_STDERR,
    ENVELOPE_NO_STREAM, /* a bare line, or one not in its file's envelope */
};
#define ENVELOPE_STREAMS      2 /* the streams whose pieces are joined */
#define ENVELOPE_STREAM_COUNT 3 /* with ENVELOPE_NO_STREAM */

/* "auto", "none", "docker" or "cri": as the configuration writes them. */
const char *envelope_name(enum envelope_kind k);

/* The kind named s; -1 when there is none of that name. */
int envelope_kind_parse(const char *s);

/* One record as the runtime wrote it; text points into the record. */
struct envelope_record {
    enum envelope_stream stream;
    bool finished; /* the piece ends the application's line */
    bool escaped;  /* Docker: text is still a JSON string's content */
    const char *text;
    size_t len;
};

/* A stream's line being assembled from pieces. */
struct envelope_join {
    char *buf;
    size_t len, cap;
    bool joining;  /* buf holds pieces of an unfinished line */
    bool too_long; /* the line passed the limit: dropped at its end */
};

struct envelope {
    enum envelope_kind kind; /* ENVELOPE_AUTO until a line decides */
    struct envelope_join join[ENVELOPE_STREAMS];
};

enum envelope_result {
    ENVELOPE_LINE,     /* *out holds a complete application line */
    ENVELOPE_PIECE,    /* a piece was kept; the line is not complete yet */
    ENVELOPE_BAD,      /* not the envelope this file uses */
    ENVELOPE_TOO_LONG, /* the joined line exceeds max_line: skipped */
};

/*
 * Reads the envelope of one line (len bytes, no newline), deciding the
 * file's kind if it is not known yet. A bare line is one finished record
 * of ENVELOPE_NO_STREAM. Returns false when the line is not in the file's
 * envelope (rec->stream is then ENVELOPE_NO_STREAM). Joins nothing.
 */
bool envelope_read(struct envelope *e, const char *line, size_t len,
                   struct envelope_record *rec);

/*
 * Adds a record read by envelope_read (its line still borrowed) to its
 * stream's line; envelope_join_piece is its slow path, for pieces and
 * escaped text. On ENVELOPE_LINE, *out and *out_len give the
 * application's line, which points into the record or into the stream's
 * buffer and stays valid until the next call.
 */
enum envelope_result envelope_join_piece(struct envelope *e,
                                         const struct envelope_record *rec,
                                         size_t max_line, const char **out,
                                         size_t *out_len);

static inline enum envelope_result
envelope_join(struct envelope *e, const struct envelope_record *rec,
              size_t max_line, const char **out, size_t *out_len)
{
    /* The common case, on every line: a whole line, used where it lies. */
    if (rec->stream >= ENVELOPE_STREAMS ||
        (!e->join[rec->stream].joining && rec->finished && !rec->escaped)) {
        if (rec->len > max_line)
            return ENVELOPE_TOO_LONG;
        *out = rec->text;
        *out_len = rec->len;
        return ENVELOPE_LINE;
    }
    return envelope_join_piece(e, rec, max_line, out, out_len);
}

/*
 * Accounts for a record skipped unread because the line holding it was
 * over the limit: rec as envelope_read found it from the line's first
 * bytes, or NULL when they did not tell its stream. The stream's line is
 * too long: ENVELOPE_PIECE while pieces are still to come, then
 * ENVELOPE_TOO_LONG. A record of no known stream may have been a piece
 * of any unfinished line, so all of them become too long; it is
 * reported on its own (ENVELOPE_TOO_LONG).
 */
enum envelope_result envelope_drop(struct envelope *e,
                                   const struct envelope_record *rec);

/* envelope_read, then envelope_join (ENVELOPE_BAD when reading fails). */
enum envelope_result envelope_unwrap(struct envelope *e, const char *line,
                                     size_t len, size_t max_line,
                                     const char **out, size_t *out_len);

/* Whether stream s has pieces of an unfinished line. */
static inline bool envelope_joining(const struct envelope *e,
                                    enum envelope_stream s)
{
    return s < ENVELOPE_STREAMS && e->join[s].joining;
}

/* Whether any stream has pieces of an unfinished line. */
static inline bool envelope_pending(const struct envelope *e)
{
    return e->join[ENVELOPE_STDOUT].joining || e->join[ENVELOPE_STDERR].joining;
}

/* Memory held for the lines being joined, in bytes. */
static inline size_t envelope_held_bytes(const struct envelope *e)
{
    return e->join[ENVELOPE_STDOUT].cap + e->join[ENVELOPE_STDERR].cap;
}

/* Forgets every unfinished line (the file was read again from a new
 * place); the kind and the buffers stay. */
void envelope_reset(struct envelope *e);

/* Frees the join buffers; the envelope itself belongs to its reader. */
void envelope_free(struct envelope *e);

#endif
