/*
 * Times, zones and durations (timefmt.h, tz.h, duration.h). The input's
 * first byte chooses a format and a zone, the rest is the text:
 *   - reading it with a fresh cache and with a cache warm from the inputs
 *     before gives the same answer (the cached second and zone span are
 *     only shortcuts);
 *   - a time read is inside the years 0001 to 9999;
 *   - written as RFC 3339 (in UTC and at the zone's offset) and read
 *     back, it is the same instant to the picosecond;
 *   - in the zone, local time and back gives the instant again unless the
 *     local time is one the zone has twice; the instant lies in the local
 *     day tz_day_of names, between its start and the next day's;
 *   - the text as a duration: with a sign in front it is the negation,
 *     with "0s" after it the same.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "duration.h"
#include "harness.h"
#include "timefmt.h"
#include "tz.h"

static const char *const formats[] = {
    "auto",
    "rfc3339",
    "unix",
    "unix_ms",
    "unix_us",
    "unix_ns",
    "%Y-%m-%d %H:%M:%S,%f",
    "%d/%b/%Y:%H:%M:%S %z",
    "%a, %d %b %Y %T %Z",
    "%m/%d/%y %I:%M:%S %p",
    "%Y%j %H%M%S",
    "%s.%f",
    "%FT%T%z",
    "%b %e %H:%M:%S %Y",
};
#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

static const char *const zones[] = {"UTC", "Europe/Berlin",
                                    "Australia/Lord_Howe", "America/New_York"};
#define N_ZONES (sizeof(zones) / sizeof(zones[0]))

/* Compiled formats for each zone, and their warm caches; kept for the
 * life of the process. */
static struct tz *loaded[N_ZONES];
static struct timefmt compiled[N_ZONES][N_FORMATS];
static struct timefmt_cache warm[N_ZONES][N_FORMATS];
static struct timefmt rfc3339;

static void setup(void)
{
    char why[TIMEFMT_WHY_MAX];
    if (loaded[0] != NULL)
        return;
    for (size_t z = 0; z < N_ZONES; z++) {
        if (tz_load(zones[z], &loaded[z]) != 0)
            fuzz_fail("cannot load %s (is tzdata installed?)", zones[z]);
        for (size_t f = 0; f < N_FORMATS; f++)
            if (timefmt_compile(&compiled[z][f], formats[f], loaded[z], why,
                                sizeof(why)) != 0)
                fuzz_fail("%s: %s", formats[f], why);
    }
    if (timefmt_compile(&rfc3339, "rfc3339", NULL, why, sizeof(why)) != 0)
        fuzz_fail("rfc3339: %s", why);
}

/* t written at offset and read back. */
static void round_trip(num_fixed t, int32_t offset)
{
    char text[TIMEFMT_RFC3339_MAX];
    struct timefmt_cache c = {0};
    num_fixed back;
    size_t n = timefmt_rfc3339(t, offset, text);
    if (n == 0)
        return; /* the local time is outside the years 0001 to 9999 */
    if (timefmt_parse(&rfc3339, &c, text, n, false, &back) != 0 || back != t)
        fuzz_fail("%s does not read back as the instant written", text);
}

static void check_zone(const struct tz *z, num_fixed t)
{
    int64_t s = (int64_t)(t / NUM_ONE) - (t % NUM_ONE < 0);
    int64_t local = tz_to_local(z, s);
    struct tz_span span;
    int64_t back = tz_to_utc(z, local, &span);
    if (local < span.lo || local >= span.hi || local - span.offset != back)
        fuzz_fail("%s: the span does not hold its local time", tz_name(z));
    /* Earlier instants with the same local time exist in an overlap. */
    if (back != s && (back > s || tz_to_local(z, back) != local))
        fuzz_fail("%s: %lld to local and back is %lld", tz_name(z),
                  (long long)s, (long long)back);
    int64_t day = tz_day_of(z, s);
    if (!(tz_day_start(z, day) <= s && s < tz_day_start(z, day + 1)))
        fuzz_fail("%s: %lld is not within its day", tz_name(z), (long long)s);
    round_trip(t, tz_offset(z, s));
}

static void check_duration(const char *s, size_t n)
{
    num_fixed v, neg, more;
    if (duration_parse(s, n, &v) != 0 || n == 0 || s[0] == '-' || s[0] == '+')
        return;
    char *text = fuzz_alloc(n + 3);
    text[0] = '-';
    memcpy(text + 1, s, n);
    if (duration_parse(text, n + 1, &neg) != 0 || neg != -v)
        fuzz_fail("a duration with a sign is not its negation");
    if (!(n == 1 && s[0] == '0')) {
        memcpy(text + n + 1, "0s", 2);
        if (duration_parse(text + 1, n + 2, &more) != 0 || more != v)
            fuzz_fail("a duration and \"0s\" is not the same duration");
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size == 0)
        return 0;
    size_t f = data[0] % N_FORMATS, z = data[0] / N_FORMATS % N_ZONES;
    bool number = data[0] & 0x80;
    /* The text in a buffer of its own size, for AddressSanitizer. */
    char *s = fuzz_alloc(size - 1);
    memcpy(s, data + 1, size - 1);
    size_t n = size - 1;

    struct timefmt_cache fresh = {0};
    num_fixed a = 0, b = 0;
    int ra = timefmt_parse(&compiled[z][f], &fresh, s, n, number, &a);
    int rb = timefmt_parse(&compiled[z][f], &warm[z][f], s, n, number, &b);
    if (ra != rb || (ra == 0 && a != b))
        fuzz_fail("a warm cache reads differently from a fresh one");
    if (ra != 0 && ra != -EINVAL && ra != -ERANGE)
        fuzz_fail("timefmt_parse returned %d", ra);
    if (ra == 0) {
        if (a < (num_fixed)TIMEFMT_MIN_SECONDS * NUM_ONE ||
            a >= (num_fixed)TIMEFMT_END_SECONDS * NUM_ONE)
            fuzz_fail("a time outside the years 0001 to 9999");
        round_trip(a, 0);
        check_zone(loaded[z], a);
    }
    check_duration(s, n);
    free(s);
    return 0;
}
