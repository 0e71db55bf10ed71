/*
 * Loading times: formats compiled with timefmt, zones loaded with tz (a
 * misspelt zone gets a suggestion from the zoneinfo directory), the time
 * of an input and the time forms of a value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_time.h"
#include "config_yaml.h"
#include "tz.h"

#define ZONE_SUGGEST_MAX_EDITS 2 /* a suggested zone is this close, at most */

static const char *const value_as_names[VALUE_AS_COUNT] = {
    [VALUE_AS_NUMBER] = "number",
    [VALUE_AS_DURATION] = "duration",
};

const char *config_value_as_name(enum value_as a)
{
    return value_as_names[a];
}

int config_value_as_parse(const char *s)
{
    for (int a = 0; a < VALUE_AS_COUNT; a++)
        if (strcmp(s, value_as_names[a]) == 0)
            return a;
    return -1;
}

static const char *value_as_name(size_t i)
{
    return config_value_as_name((enum value_as)i);
}

/* --- zones ------------------------------------------------------------------
 */

/* The zone closest to a misspelt name: the same but for case, the same
 * last part ("Berlin"), or a few edits away. */
struct suggestion {
    const char *name;
    char best[TZ_MAX_NAME + 1];
    size_t score; /* lower is closer; SIZE_MAX: none yet */
};

static void consider(void *ctx, const char *zone)
{
    struct suggestion *s = ctx;
    const char *last = strrchr(zone, '/');
    size_t score;
    if (strcasecmp(zone, s->name) == 0)
        score = 0;
    else if (last != NULL && strcasecmp(last + 1, s->name) == 0)
        score = 1;
    else if ((score = cfg_edit_distance(s->name, zone)) <=
             ZONE_SUGGEST_MAX_EDITS)
        score += 1;
    else
        return;
    /* Ties go to the first name in byte order: the same answer on every
     * machine, whatever order the directory lists. */
    if (score < s->score || (score == s->score && strcmp(zone, s->best) < 0)) {
        s->score = score;
        snprintf(s->best, sizeof(s->best), "%s", zone);
    }
}

static void report_zone(struct loader *L, const yaml_node_t *n,
                        const char *name, int rc)
{
    struct suggestion s = {.name = name, .score = SIZE_MAX};
    switch (rc) {
    case -ENOENT:
        if (tz_each_name(consider, &s) != 0)
            cfg_err(L, n,
                    "unknown time zone \"%s\": %s cannot be read (is the "
                    "tzdata package installed?)",
                    name, tz_dir());
        else if (s.score != SIZE_MAX)
            cfg_err(L, n, "unknown time zone \"%s\" (did you mean \"%s\"?)",
                    name, s.best);
        else
            cfg_err(L, n,
                    "unknown time zone \"%s\": not in %s (an IANA name such "
                    "as Europe/Berlin, or UTC)",
                    name, tz_dir());
        break;
    case -EINVAL:
        cfg_err(L, n,
                "\"%s\" is not a time zone name (an IANA name such as "
                "Europe/Berlin, or UTC)",
                name);
        break;
    case -EBADMSG:
        cfg_err(L, n,
                "time zone \"%s\": %s/%s is not a TZif file tokentail can "
                "use (leap-second zones are not)",
                name, tz_dir(), name);
        break;
    default:
        cfg_err(L, n, "time zone \"%s\": %s", name, strerror(-rc));
    }
}

const struct tz *cfg_zone_named(struct loader *L, const yaml_node_t *n,
                                const char *name)
{
    for (struct cfg_zone *z = L->cfg->zones; z != NULL; z = z->next)
        if (strcmp(tz_name(z->tz), name) == 0)
            return z->tz;
    struct cfg_zone *z = cfg_alloc(L, sizeof(*z));
    if (z == NULL)
        return NULL;
    int rc = tz_load(name, &z->tz);
    if (rc != 0) {
        if (n != NULL)
            report_zone(L, n, name, rc);
        else
            cfg_err_at(L, NULL, "time zone \"%s\": %s", name, strerror(-rc));
        return NULL;
    }
    z->next = L->cfg->zones;
    L->cfg->zones = z;
    return z->tz;
}

const struct tz *cfg_load_zone(struct loader *L, const yaml_node_t *n)
{
    const char *name = cfg_string(L, n, "timezone");
    return name != NULL ? cfg_zone_named(L, n, name) : NULL;
}

/* --- formats ----------------------------------------------------------------
 */

/*
 * format and timezone of a time (either node may be NULL; at is where
 * to report what concerns both): compiled into *fmt, the text written
 * to *text.
 */
static void load_format(struct loader *L, const yaml_node_t *at,
                        const yaml_node_t *format, const yaml_node_t *zone,
                        const char **text, struct timefmt *fmt)
{
    const struct tz *tz = NULL;
    *text = "auto";
    if (format != NULL &&
        (*text = cfg_string(L, format, "time format")) == NULL)
        return;
    if (zone != NULL && (tz = cfg_load_zone(L, zone)) == NULL)
        return;
    char why[TIMEFMT_WHY_MAX];
    if (timefmt_compile(fmt, *text, tz, why, sizeof(why)) != 0) {
        cfg_err(L, format != NULL ? format : at, "%s", why);
        return;
    }
    if (zone != NULL && fmt->kind >= TIMEFMT_UNIX &&
        fmt->kind <= TIMEFMT_UNIX_NS)
        cfg_err(L, zone,
                "timezone applies to times written without an offset; "
                "%s times are UTC",
                *text);
}

struct cfg_time *cfg_load_time(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"field", "format", "timezone", NULL};
    const yaml_node_t *field = n, *format = NULL, *zone = NULL;
    if (n->type != YAML_SCALAR_NODE) {
        if (!cfg_keys(L, n, keys, "time"))
            return NULL;
        format = cfg_get(L, n, "format");
        zone = cfg_get(L, n, "timezone");
        if ((field = cfg_get(L, n, "field")) == NULL) {
            cfg_err(L, n,
                    "time needs \"field\": the field holding each line's "
                    "time");
            return NULL;
        }
    }
    struct cfg_time *t = cfg_alloc(L, sizeof(*t));
    if (t == NULL)
        return NULL;
    if ((t->field = cfg_field_ref(L, field, "time field")) < 0)
        return NULL;
    load_format(L, n, format, zone, &t->format, &t->fmt);
    return t;
}

/* --- values -----------------------------------------------------------------
 */

/* duration: {from, to, format, timezone}. */
static struct cfg_between *load_between(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"from", "to", "format", "timezone",
                                       NULL};
    if (!cfg_keys(L, n, keys, "a duration"))
        return NULL;
    const yaml_node_t *from = cfg_get(L, n, "from"), *to = cfg_get(L, n, "to");
    if (from == NULL || to == NULL) {
        cfg_err(L, n,
                "a duration needs \"from\" and \"to\": the fields holding "
                "when it starts and ends");
        return NULL;
    }
    struct cfg_between *b = cfg_alloc(L, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->from = cfg_field_ref(L, from, "duration field");
    b->to = cfg_field_ref(L, to, "duration field");
    load_format(L, n, cfg_get(L, n, "format"), cfg_get(L, n, "timezone"),
                &b->format, &b->fmt);
    return b;
}

bool cfg_load_value_time(struct loader *L, const yaml_node_t *n,
                         struct cfg_value *v)
{
    const yaml_node_t *d = cfg_get(L, n, "duration"), *as = cfg_get(L, n, "as");
    int k;
    if (as != NULL &&
        (k = cfg_choice(L, as, "as", config_value_as_parse, value_as_name,
                        VALUE_AS_COUNT, false)) >= 0)
        v->as = (enum value_as)k;
    if (d == NULL)
        return false;
    if (cfg_get(L, n, "field") != NULL)
        cfg_err(L, n,
                "a value takes its number from \"field\" or from "
                "\"duration\", not both");
    if (as != NULL)
        cfg_err(L, as,
                "\"as\" says how a field's text is read; a duration's "
                "times are read by its \"format\"");
    if (cfg_get(L, n, "regex") != NULL)
        cfg_err(L, cfg_get(L, n, "regex"),
                "regex takes a number from a field's text; a duration has "
                "no field");
    v->between = load_between(L, d);
    return true;
}

void cfg_between_text(const struct loader *L, const struct cfg_between *b,
                      char *text, size_t cap)
{
    snprintf(text, cap, "%s to %s",
             b->from >= 0 ? L->fields[b->from].path : "?",
             b->to >= 0 ? L->fields[b->to].path : "?");
}
