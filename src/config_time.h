/*
 * Loading times (config_time.c): an input's "time", the "duration" and
 * "as" of a value, and the time zones they name. Part of the
 * configuration loader, with the YAML helpers of config_yaml.c; not part
 * of the module's interface. Zones are loaded once per configuration and
 * freed with it (config.zones).
 */
#ifndef TOKENTAIL_CONFIG_TIME_H
#define TOKENTAIL_CONFIG_TIME_H

#include "config_yaml.h"

/*
 * An input's time: a field path, or {field, format, timezone}. Returns
 * it (in the configuration's arena), or NULL after reporting what is
 * wrong.
 */
struct cfg_time *cfg_load_time(struct loader *L, const yaml_node_t *n);

/*
 * The time forms of a value mapping n: "duration" ({from, to, format,
 * timezone}: the seconds from one time to the other) and "as" (how the
 * field's text is read). Fills v; returns whether the value's number
 * comes from a duration rather than a field. Reports a value that names
 * both, or "as" or "regex" beside a duration.
 */
bool cfg_load_value_time(struct loader *L, const yaml_node_t *n,
                         struct cfg_value *v);

/*
 * The zone named at n (a scalar), loaded once per configuration and
 * freed with it; NULL after reporting an unknown or unusable zone, with
 * a suggestion for a misspelt name.
 */
const struct tz *cfg_load_zone(struct loader *L, const yaml_node_t *n);

/* The same for a name (borrowed) found at n, or given by tokentail when
 * n is NULL ("UTC", a default). */
const struct tz *cfg_zone_named(struct loader *L, const yaml_node_t *n,
                                const char *name);

/* The field paths a value's duration reads, for messages: "a to b". */
void cfg_between_text(const struct loader *L, const struct cfg_between *b,
                      char *text, size_t cap);

#endif
