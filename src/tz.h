/*
 * Time zones: an IANA zone ("Europe/Berlin") read from its TZif file
 * (RFC 8536) in the system's zoneinfo directory, and the conversions
 * between UTC and the zone's local time that event times and calendar
 * periods need.
 *
 * Times are whole seconds: UTC as seconds since the Unix epoch, local
 * time as the seconds since 1970-01-01T00:00:00 of the zone's wall clock
 * (so civil.h turns either into a date). Offsets are seconds east of UTC.
 * Beyond the file's last transition the rule in its footer (a POSIX TZ
 * string, "CET-1CEST,M3.5.0,M10.5.0/3") decides, for any year; before
 * its first transition, its first local time type does.
 *
 * A local time the zone skips (a gap: 02:30 on the day clocks go
 * forward) or has twice (an overlap: 02:30 on the day they go back) is
 * resolved with the offset in force before the transition: a time in a
 * gap lands after it, shifted by the gap's length (02:30 becomes 03:30),
 * and a time in an overlap is its first occurrence. This is what
 * Python's zoneinfo does with fold=0 and Java's ZonedDateTime does.
 *
 * A zone is immutable once loaded: any number of readers may share it.
 * The zone named "UTC" needs no file.
 */
#ifndef TOKENTAIL_TZ_H
#define TOKENTAIL_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo" /* unless TZDIR names another */
#define TZ_MAX_FILE    (1024 * 1024)         /* bytes; larger is no zone */
#define TZ_MAX_NAME    255                   /* bytes of a zone's name */
/* Offsets beyond a day and two hours either way are refused (RFC 8536
 * allows -89999 .. 93599 seconds). */
#define TZ_MAX_OFFSET (26 * 60 * 60) /* seconds */

struct tz;

/* Local times [lo, hi) that tz_to_utc maps with the same offset. */
struct tz_span {
    int64_t lo, hi; /* local seconds */
    int32_t offset; /* seconds east of UTC */
};

/*
 * Loads the zone named name (borrowed; copied) from the zoneinfo
 * directory: $TZDIR, else TZ_DEFAULT_DIR. Stores it in *out (caller frees
 * with tz_free). Returns 0; -EINVAL for a name that cannot be a zone
 * (empty, absolute, with ".." or characters no zone name has); -ENOENT
 * when no such zone exists; -EBADMSG for a file that is not a TZif file
 * tokentail can use (leap-second "right/" zones included); -ENOMEM; or
 * another -errno from reading the file.
 */
int tz_load(const char *name, struct tz **out);

/* NULL is a no-op. */
void tz_free(struct tz *z);

/* The zoneinfo directory zones are loaded from; borrowed from the
 * environment or static. */
const char *tz_dir(void);

/* The name it was loaded by; borrowed, valid as long as z. */
const char *tz_name(const struct tz *z);

/* Whether the zone is UTC at every instant (no offset, ever). */
bool tz_is_utc(const struct tz *z);

/* The zone's offset at the UTC instant t. */
int32_t tz_offset(const struct tz *z, int64_t t);

/*
 * The zone's offset at the UTC instant t, and the UTC instants [*from,
 * *until) around t that have it: from the change before t to the change
 * after it (INT64_MIN and INT64_MAX where there is none). A change may
 * keep the offset (only its name changed); callers that look for a new
 * offset compare. from and until may be NULL.
 */
int32_t tz_offset_span(const struct tz *z, int64_t t, int64_t *from,
                       int64_t *until);

/* The local time at the UTC instant t. */
int64_t tz_to_local(const struct tz *z, int64_t t);

/*
 * The UTC instant of local time local, gaps and overlaps resolved as the
 * introduction says. With span (NULL for none), also the local times
 * around local that map with the same offset, for a caller's cache.
 */
int64_t tz_to_utc(const struct tz *z, int64_t local, struct tz_span *span);

/* The local day (days since 1970-01-01 on the zone's calendar) of the UTC
 * instant t. */
int64_t tz_day_of(const struct tz *z, int64_t t);

/*
 * The first instant of local day day: local midnight, or, where midnight
 * falls in a gap, the transition that skips it. A day lasts until the
 * start of the next: 24 hours, or 23 and 25 (Europe/Berlin), 23.5 and
 * 24.5 (Australia/Lord_Howe) on the days clocks change.
 */
int64_t tz_day_start(const struct tz *z, int64_t day);

/*
 * Calls fn(ctx, name) for each zone name in the zoneinfo directory (not
 * the "posix/" and "right/" copies, nor the tables beside the zones), in
 * no particular order, for suggestions on a misspelt name. Returns 0 or
 * -errno when the directory cannot be read.
 */
int tz_each_name(void (*fn)(void *ctx, const char *name), void *ctx);

#endif
