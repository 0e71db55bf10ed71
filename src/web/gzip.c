#include "gzip.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
/* next_in is const: the body is only read. */
#define ZLIB_CONST
#include <zlib.h>

#include "accept.h"

/* zlib's largest window, with a gzip wrapper (+16). */
#define GZIP_WINDOW_BITS (15 + 16)
#define GZIP_MEM_LEVEL   8 /* zlib's default */

bool gzip_path(const char *path)
{
    return strcmp(path, "/metrics") == 0 || strcmp(path, "/health") == 0 ||
           strncmp(path, "/api/v1/", strlen("/api/v1/")) == 0;
}

int gzip_compress(const void *in, size_t len, int level, size_t min_bytes,
                  struct buf *out)
{
    z_stream z;
    buf_reset(out);
    if (len == 0 || len < min_bytes || len > UINT_MAX)
        return 1;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    /* Anything not smaller than the input is not sent: no more room. */
    uLong room = deflateBound(&z, (uLong)len);
    if (room >= len)
        room = len - 1;
    int rc = 0;
    if (!buf_reserve(out, room))
        rc = -ENOMEM;
    else {
        z.next_in = (const Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)room;
        int zr = deflate(&z, Z_FINISH);
        if (zr == Z_STREAM_END)
            out->len = room - z.avail_out;
        else
            rc = zr == Z_OK || zr == Z_BUF_ERROR ? 1 : -EIO;
    }
    deflateEnd(&z);
    if (rc != 0)
        buf_reset(out);
    else
        out->data[out->len] = '\0';
    return rc;
}

bool gzip_reply(const char *path, const char *accept_encoding, struct buf *body,
                bool *vary)
{
    struct buf z = {0};
    *vary = gzip_path(path);
    if (!*vary || body->oom || !accept_gzip(accept_encoding) ||
        gzip_compress(body->data, body->len, GZIP_LEVEL, GZIP_MIN_BYTES, &z) !=
            0) {
        buf_free(&z);
        return false;
    }
    buf_free(body);
    *body = z;
    return true;
}
