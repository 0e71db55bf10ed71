/*
 * Numbers and times written for people, for the status page: integers
 * with thousands separators ("1,234,567"), money with as many decimals as
 * its magnitude needs (2 from one unit up, 3 from a cent, 4 below),
 * byte counts in binary units ("1.5 MiB") and relative times
 * ("3 min ago").
 *
 * Every function appends to a caller's struct buf (borrowed; it keeps
 * ownership and checks buf.oom once at the end) and holds no state. Money
 * is formatted from the exact fixed-point value, never through double, so
 * the page shows the digits the JSON APIs give, rounded half to even.
 */
#ifndef TOKENTAIL_HUMANIZE_H
#define TOKENTAIL_HUMANIZE_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "num.h"

/* v with a comma every three digits: 0, 999, 1,000, 18,446,744,... */
void humanize_u64(struct buf *b, uint64_t v);

/*
 * v as money without a currency sign: two decimals when |v| >= 1
 * ("12,345.68"), three when |v| >= 0.01 ("0.125"), four below ("0.0042",
 * "0.0000" for a value under half of 0.0001, so that it does not read
 * as none); nothing at all is "0.00". Negative values get '-'.
 */
void humanize_money(struct buf *b, num_fixed v);

/*
 * A rate or other measured double with `decimals` digits after the point
 * (0 to 3) and separators in the integer part: "1,234.5". NaN and
 * infinities print as "–" (an en dash), for a figure not known.
 */
void humanize_double(struct buf *b, double v, int decimals);

/*
 * A byte count in binary units with one decimal above a KiB: "512 B",
 * "1.5 KiB", "20.0 MiB", up to TiB.
 */
void humanize_bytes(struct buf *b, uint64_t v);

/* A duration in the largest unit that fits, truncated: "4 s", "3 min",
 * "5 h", "12 d". */
void humanize_duration(struct buf *b, uint64_t seconds);

/*
 * How long ago `then` was at `now`, in the largest unit that fits,
 * truncated: "just now" (under 5 s), "42 s ago", "3 min ago", "5 h ago",
 * "12 d ago"; a time in the future (clocks differ) reads "in 3 min".
 * then == 0 means never: "never".
 */
void humanize_ago(struct buf *b, time_t then, time_t now);

#endif
