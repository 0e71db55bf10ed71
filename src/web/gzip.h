/*
 * gzip for HTTP answers: which answers may be compressed, and the
 * compression itself (zlib, one gzip member per answer).
 *
 * Only whole bodies are compressed. Streamed answers (http_stream: the
 * usage export) stay plain: they are made piece by piece so that they
 * never sit whole in memory, and they are large CSV or JSON rows that a
 * client pulling them in bulk can compress on its own link if it wants;
 * keeping them plain keeps their pieces' memory bounded by one piece.
 *
 * A body under GZIP_MIN_BYTES goes plain: a gzip header and trailer (18
 * bytes) and the deflate block cost more than they save there, and the
 * client's inflate costs time for nothing. So does a body whose
 * compressed form is not smaller.
 */
#ifndef TOKENTAIL_GZIP_H
#define TOKENTAIL_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define GZIP_MIN_BYTES 1024 /* bytes: smaller bodies are sent plain */
/* zlib's level. On tests/bench/scrape's 10,000 series (388 KB) level 1
 * gives 27.9 KB for 1.35 ms of CPU per scrape, level 6 27.0 KB for
 * 2.25 ms: 3 % fewer bytes are not worth holding up the loop longer. */
#define GZIP_LEVEL 1

/*
 * Whether answers on path (borrowed) may be compressed, and so vary with
 * Accept-Encoding: /metrics, /health and the JSON API under /api/v1/.
 */
bool gzip_path(const char *path);

/*
 * Compresses the len bytes at in (borrowed) into out (emptied first) as
 * a gzip member at level. Returns 0; 1 when it does not pay (len under
 * min_bytes, or the result not smaller than the input), out then empty;
 * -ENOMEM or -EIO.
 */
int gzip_compress(const void *in, size_t len, int level, size_t min_bytes,
                  struct buf *out);

/*
 * The reply path's one call: for an answer on path (borrowed) whose body
 * is body, given the request's Accept-Encoding (borrowed; NULL: none).
 * Replaces body with its gzip form and returns true when the client
 * admits gzip and it pays; otherwise leaves body as it is. *vary is set
 * when the answer depends on Accept-Encoding (gzip_path), whether or not
 * it was compressed this time.
 */
bool gzip_reply(const char *path, const char *accept_encoding, struct buf *body,
                bool *vary);

#endif
