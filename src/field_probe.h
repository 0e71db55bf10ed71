/*
 * A probe for field paths that never match: a typo in a path
 * ("usage.prompt_tokenz") leaves a metric without updates, or a label on
 * its default, and nothing else says so.
 *
 * For the first FIELD_PROBE_LINES lines an input parses, the probe notes
 * which of the fields its metrics read were on a line (present and not
 * null). Then it logs, once, each field that was on none of them, naming
 * the field, the metrics that read it and the input, and is done: after
 * that it costs the caller one pointer test per line.
 *
 * The fields a metric reads are those of its labels, values and cost, and
 * those its condition tests for being there; a field tested only for
 * being absent (exists: false, or under not) is expected to be missing.
 */
#ifndef TOKENTAIL_FIELD_PROBE_H
#define TOKENTAIL_FIELD_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "fields.h"

/* Lines an input parses before fields not seen on any are reported. */
#define FIELD_PROBE_LINES 1000

struct field_probe;

/*
 * A probe for the input named input, whose metrics are the n in metrics
 * (the array is copied; the configuration cfg, the metrics and the name
 * are borrowed and must outlive the probe). *out is NULL when they read
 * no field. Returns 0 or -ENOMEM.
 */
int field_probe_new(const struct config *cfg, const char *input,
                    const struct cfg_metric *const *metrics, size_t n,
                    struct field_probe **out);

/*
 * Notes the fields fs (borrowed) holds for one parsed line. Returns false
 * once the probe is done, having reported what it found: the caller frees
 * it then.
 */
bool field_probe_line(struct field_probe *p, const struct fields *fs);

/* NULL is a no-op. */
void field_probe_free(struct field_probe *p);

#endif
