/*
 * Time formats: the text of a time in a log line ("2025-10-21T15:42:22.392Z",
 * "1761061342.392", "21/Oct/2025:15:42:22 +0200") turned into an instant.
 *
 * An instant is a num_fixed (num.h): seconds since 1970-01-01T00:00:00Z,
 * exact to the picosecond (NUM_FRAC_DIGITS), so that the difference of
 * two is an exact decimal like every other value. Times are those of the
 * years 0001 to 9999 (UTC); leap seconds do not exist, as in Unix time
 * (":60" is the first second of the next minute).
 *
 * A format is compiled once (timefmt_compile, when the configuration is
 * loaded) into a struct timefmt that only reads its pattern and zone;
 * reading a time (timefmt_parse) allocates nothing and keeps what repeats
 * between consecutive lines (the date, the zone's offset) in a small
 * cache the caller owns, one per reader.
 *
 * The formats:
 *   auto      RFC 3339 text, or a number of Unix seconds (a number, or a
 *             text holding one)
 *   rfc3339   2025-10-21T15:42:22.392Z: "T", "t" or a space between date
 *             and time, seconds optional, any number of fraction digits
 *             after "." or ",", a zone "Z", "+hh:mm", "+hhmm", "+hh" or
 *             none (then the configured zone's local time); the date alone
 *             is its midnight
 *   unix, unix_ms, unix_us, unix_ns
 *             a number of seconds (milli-, micro-, nanoseconds) since the
 *             epoch, with any fraction, as a number or text
 *   a pattern (any format holding "%"): strptime-style directives, below
 *             (timefmt_compile says which are missing or unknown)
 * Fraction digits beyond the twelfth are rounded half to even.
 */
#ifndef TOKENTAIL_TIMEFMT_H
#define TOKENTAIL_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "num.h"
#include "tz.h"

/* The instants of 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z, in
 * seconds since the epoch: times are at least the first and less than the
 * second. */
#define TIMEFMT_MIN_SECONDS (-62135596800LL)
#define TIMEFMT_END_SECONDS 253402300800LL

#define TIMEFMT_MAX_ITEMS   32  /* directives and literal texts of a pattern */
#define TIMEFMT_MAX_PATTERN 255 /* bytes of a pattern */
#define TIMEFMT_WHY_MAX     128 /* bytes of timefmt_compile's message */
/* Room for timefmt_rfc3339's text and its NUL:
 * "9999-12-31T23:59:59.999999999999+23:59". */
#define TIMEFMT_RFC3339_MAX 40

enum timefmt_kind {
    TIMEFMT_AUTO,
    TIMEFMT_RFC3339,
    TIMEFMT_UNIX,
    TIMEFMT_UNIX_MS,
    TIMEFMT_UNIX_US,
    TIMEFMT_UNIX_NS,
    TIMEFMT_PATTERN, /* named by its pattern, not by a name */
};
#define TIMEFMT_NAMED_COUNT (TIMEFMT_UNIX_NS + 1) /* the kinds with a name */

/* "auto", "rfc3339", "unix", "unix_ms", "unix_us" or "unix_ns". */
const char *timefmt_kind_name(enum timefmt_kind k);

/* The kind named s; -1 when there is none of that name. */
int timefmt_kind_parse(const char *s);

/* One step of a pattern: a directive, or a literal text. */
struct timefmt_item {
    uint8_t op;   /* a directive's letter; 0: literal; ' ': any spaces */
    uint8_t len;  /* literal: its length */
    uint16_t pos; /* literal: where in the pattern */
};

struct timefmt {
    enum timefmt_kind kind;
    const struct tz *zone; /* borrowed; NULL: UTC */
    const char *pattern;   /* borrowed; TIMEFMT_PATTERN only */
    struct timefmt_item items[TIMEFMT_MAX_ITEMS];
    uint8_t n_items;
};

/* What a reader keeps between lines; zeroed before first use. */
struct timefmt_cache {
    char second[19]; /* the last RFC 3339 second, "2025-10-21T15:42:22" */
    bool has_second;
    int64_t second_local; /* its local time, in seconds */
    char date[10];        /* the last RFC 3339 date, "2025-10-21" */
    bool has_date;
    int64_t date_days;   /* its day number */
    struct tz_span span; /* local times mapped by the last zone offset */
    bool has_span;
};

/*
 * Compiles format (a kind's name, or a pattern holding "%") for times
 * without an offset in zone (NULL: UTC). Both are borrowed and must
 * outlive f. Returns 0, or -EINVAL after writing why to why (cap bytes,
 * NUL-terminated): an unknown name or directive, or a pattern that cannot
 * name a day (no year, no month and day).
 */
int timefmt_compile(struct timefmt *f, const char *format,
                    const struct tz *zone, char *why, size_t cap);

/*
 * Reads the time in s (len bytes, borrowed; number: it was a JSON number,
 * not a string) into *out. Returns 0; -EINVAL when s is not a time in f's
 * format; -ERANGE when it is one outside the years 0001 to 9999.
 */
int timefmt_parse(const struct timefmt *f, struct timefmt_cache *c,
                  const char *s, size_t len, bool number, num_fixed *out);

/*
 * Writes t as RFC 3339 text at offset seconds east of UTC ("Z" for 0;
 * UTC too for an offset with seconds, which RFC 3339 cannot write) with
 * the fraction's shortest exact digits, to out (TIMEFMT_RFC3339_MAX
 * bytes). Returns the length, or 0 when the local time is outside the
 * years 0001 to 9999.
 */
size_t timefmt_rfc3339(num_fixed t, int32_t offset, char *out);

#endif
