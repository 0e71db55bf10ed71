/*
 * Label transforms: how a field's text becomes a label value.
 *
 * Applied in a fixed order — regex, lower, map, status_class, mask, hash —
 * each on the result of the one before. A step can drop the update instead
 * (the regex does not match, the text is not in the map and no unmapped
 * value is set, the text is not a status code), unless an otherwise value
 * is set: then that is the label's value, as written. The result is
 * written to a caller's buffer; nothing is allocated once the buffer has
 * grown.
 *
 * mask follows the Scarlett API's rules for API keys: longer than 8
 * characters, the first 4 + "..." + the last 4; 8 or fewer, "short_key";
 * missing, empty or not a string, "unknown". hash gives the first 16 hex
 * digits of the SHA-256 of the text, so a key can be followed without
 * being shown (echo -n KEY | sha256sum | cut -c1-16 finds it again).
 */
#ifndef TOKENTAIL_TRANSFORM_H
#define TOKENTAIL_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

enum transform_result {
    TRANSFORM_OK,
    TRANSFORM_MISSING,    /* no field, and nothing stands in for it */
    TRANSFORM_NO_MATCH,   /* the regex did not match */
    TRANSFORM_UNMAPPED,   /* not in the map, and no unmapped value */
    TRANSFORM_NOT_STATUS, /* status_class on something not 100-599 */
};

struct transform;

/* Compiles cfg (borrowed, must outlive it). Returns 0 or -errno. */
int transform_new(const struct cfg_transform *cfg, struct transform **out);

void transform_free(struct transform *t);

/*
 * Transforms text (len bytes; NULL when the field is missing), appending
 * the result to out. is_string tells mask whether the field was a string.
 */
enum transform_result transform_apply(struct transform *t, const char *text,
                                      size_t len, bool is_string,
                                      struct buf *out);

#endif
