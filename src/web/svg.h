/*
 * Small inline SVG charts for the status page: a horizontal bar chart
 * (spend by model), a column chart (spend per day) and a progress bar with
 * marks (a budget). Pure functions: given numbers and labels they append
 * SVG markup to a struct buf and keep no state.
 *
 * Geometry is computed from doubles (a chart needs no more) while every
 * figure a reader sees comes preformatted from the caller (value_text),
 * so charts print the same exact digits as the page's tables. Colours are
 * CSS classes (bar, col, track, fill, warn, over, mark, proj) for the page's
 * stylesheet to set in light and dark. Each chart is role="img" with a
 * <title> and an aria-label; the page carries the figures in a table next
 * to it as the text alternative. All strings are borrowed and escaped; the
 * caller owns the buffer and checks buf.oom once at the end.
 */
#ifndef TOKENTAIL_SVG_H
#define TOKENTAIL_SVG_H

#include <stddef.h>

#include "buf.h"

/* One bar or column; label and value_text are borrowed. */
struct svg_item {
    const char *label;
    double value; /* negative, NaN and infinite values draw as zero */
    const char *value_text;
};

/* Width of every chart's viewBox; charts scale to their container. */
#define SVG_WIDTH 600

/*
 * Horizontal bars, one row per item, longest = largest value: the label
 * on the left, the bar, value_text after it. Nothing is written for n = 0.
 */
void svg_bar_chart(struct buf *b, const char *title,
                   const struct svg_item *items, size_t n);

/*
 * Columns side by side, tallest = largest value, each with a tooltip
 * "label: value_text"; the labels of the last column and of every
 * axis_every-th before it are written under the axis, ending at their
 * column's right edge (none for axis_every 0). Nothing is written for
 * n = 0.
 */
void svg_column_chart(struct buf *b, const char *title,
                      const struct svg_item *items, size_t n,
                      size_t axis_every);

/* A budget as a progress bar. limit > 0; warn <= 0 draws no warn mark;
 * projected < 0 draws no projection. */
struct svg_progress {
    double used, warn, limit, projected;
};

/*
 * A track scaled to the largest of limit, used and projected, filled to
 * used (class fill, warn from the warn mark, over past the limit), with a
 * mark at warn and at limit and a dashed line at the projection.
 */
void svg_progress_bar(struct buf *b, const char *title,
                      const struct svg_progress *p);

#endif
