/*
 * Alert templates: the part of Go's text/template that Prometheus' alert
 * labels and annotations use — {{ $labels.name }}, {{ .Labels.name }},
 * {{ $value }}, {{ .Value }}, the functions humanize,
 * humanizePercentage, humanizeDuration and printf with one value, as
 * arguments or after a pipe ({{ $value | humanize }}), and the "{{-" and
 * "-}}" that trim spaces. Output is what Prometheus writes for the same
 * text: a label the series lacks prints nothing, $value prints as Go's %v
 * of a float64.
 *
 * Also {{ $externalLabels.name }} and {{ $externalURL }} (or
 * .ExternalLabels, .ExternalURL): what Prometheus is told of itself.
 *
 * Everything is borrowed for the call; output is appended to out.
 */
#ifndef TOKENTAIL_RULES_TEMPLATE_H
#define TOKENTAIL_RULES_TEMPLATE_H

#include "buf.h"
#include "labels.h"

#define TEMPLATE_ERR_MAX 160

/* What a template can print; the pointers are borrowed. */
struct template_data {
    const struct labels *labels; /* the series' */
    double value;
    const struct labels *external_labels; /* NULL for none */
    const char *external_url;             /* NULL for none */
};

/*
 * Expands text with d. Returns 0, or -EINVAL with err (TEMPLATE_ERR_MAX
 * bytes) saying which construct is not supported or malformed.
 */
int template_expand(const char *text, const struct template_data *d,
                    struct buf *out, char *err);

#endif
