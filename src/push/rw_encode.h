/*
 * What remote write sends, and how it is written on the wire.
 *
 * A snapshot is the exposition /metrics serves (the text format, read
 * back line by line), turned into series: each with its labels sorted by
 * name, __name__ among them, the external labels added where the series
 * has no label of that name (its own wins, as in Prometheus), and its
 * value as a double. The exposition is exact decimal; the protocol
 * carries float64, so a value is the double nearest to it, as Prometheus
 * reads it when it scrapes.
 *
 * rw_encode writes a batch of series, all at one timestamp, as a
 * remote-write 1.0 WriteRequest (protobuf), compressed with snappy's
 * block format: the body of one POST.
 *
 * The snapshot owns its memory (caller frees with rw_snapshot_clear);
 * every other pointer is borrowed for the call.
 */
#ifndef TOKENTAIL_RW_ENCODE_H
#define TOKENTAIL_RW_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "config_remote_write.h"

#define RW_MAX_LABELS 64 /* of one series, external labels included */

struct rw_label {
    const char *name;
    const char *value;
};

/* One series: labels[first .. first + n_labels) of its snapshot. */
struct rw_series {
    size_t first;
    size_t n_labels;
    double value;
};

struct rw_snapshot {
    char *text; /* the exposition, its names and values cut out in place */
    struct rw_label *labels;
    size_t n_labels, cap_labels;
    struct rw_series *series;
    size_t n_series, cap_series;
};

/*
 * Reads the exposition text (len bytes, copied) into s (zeroed or
 * cleared), adding the n_ext external labels ext (sorted by name, as
 * config_remote_write.h keeps them). Returns 0, -ENOMEM, or -EINVAL for
 * a line that is not a sample of the text format (s then holds the
 * series before it).
 */
int rw_snapshot_read(struct rw_snapshot *s, const char *text, size_t len,
                     const struct cfg_pair *ext, size_t n_ext);

/* Frees what s holds and zeroes it. */
void rw_snapshot_clear(struct rw_snapshot *s);

/*
 * The body of one request: series [from, from + n) of s, each with one
 * sample at ts_ms, as a snappy-compressed WriteRequest. Returns the body
 * (caller frees) with its length in *len, or NULL on -ENOMEM.
 */
char *rw_encode(const struct rw_snapshot *s, size_t from, size_t n,
                int64_t ts_ms, size_t *len);

#endif
