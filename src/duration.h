/*
 * Duration texts: "771µs", "381ms", "1.2s", "1m30s", "-1h2m3.5s" — the
 * strings Go's time.Duration prints and many services log — read as exact
 * seconds.
 *
 * A duration is an optional sign, then "0", or one or more numbers each
 * followed by its unit: ns, us (or µs, μs), ms, s, m, h. A number has
 * digits, a fraction, or both ("1", "1.5", ".5", "5."). The value is the
 * exact sum of the parts, to the picosecond (num.h): digits below it are
 * rounded half to even, part by part. Nothing is allocated; the text is
 * borrowed for the call only.
 */
#ifndef TOKENTAIL_DURATION_H
#define TOKENTAIL_DURATION_H

#include <stddef.h>

#include "num.h"

/*
 * Reads the duration in s (len bytes) as seconds into *out. Returns 0,
 * -EINVAL when s is not a duration text, or -ERANGE when it exceeds what
 * a num_fixed holds.
 */
int duration_parse(const char *s, size_t len, num_fixed *out);

#endif
