#include "svg.h"

#include <math.h>

#include "html.h"

/* Rows of the bar chart and the column chart's plot, in viewBox units. */
#define BAR_ROW      24
#define BAR_HEIGHT   16
#define BAR_LABEL_W  170 /* the label column */
#define BAR_AREA_W   330 /* the longest bar; its value text follows */
#define COL_PLOT_H   120
#define COL_AXIS_H   18
#define COL_GAP      2
#define PROG_HEIGHT  28
#define PROG_TRACK_Y 6
#define PROG_TRACK_H 16

static double clean(double v)
{
    return isfinite(v) && v > 0 ? v : 0;
}

/* Coordinates with one decimal: crisp enough, and the same bytes on every
 * platform for the tests. */
static void put_coord(struct buf *b, double v)
{
    double r = round(v * 10) / 10;
    buf_printf(b, "%.1f", r == 0 ? 0.0 : r);
}

static void open_svg(struct buf *b, const char *cls, double height,
                     const char *title)
{
    buf_printf(b, "<svg class=\"%s\" viewBox=\"0 0 %d ", cls, SVG_WIDTH);
    put_coord(b, height);
    buf_puts(b, "\" role=\"img\" aria-label=\"");
    html_puts(b, title);
    buf_puts(b, "\"><title>");
    html_puts(b, title);
    buf_puts(b, "</title>");
}

static void put_rect(struct buf *b, const char *cls, double x, double y,
                     double w, double h)
{
    buf_printf(b, "<rect class=\"%s\" x=\"", cls);
    put_coord(b, x);
    buf_puts(b, "\" y=\"");
    put_coord(b, y);
    buf_puts(b, "\" width=\"");
    put_coord(b, w);
    buf_puts(b, "\" height=\"");
    put_coord(b, h);
    buf_puts(b, "\"");
}

static double largest(const struct svg_item *items, size_t n)
{
    double max = 0;
    for (size_t i = 0; i < n; i++)
        if (clean(items[i].value) > max)
            max = clean(items[i].value);
    return max;
}

void svg_bar_chart(struct buf *b, const char *title,
                   const struct svg_item *items, size_t n)
{
    if (n == 0)
        return;
    double max = largest(items, n);
    open_svg(b, "chart bars", (double)(n * BAR_ROW), title);
    for (size_t i = 0; i < n; i++) {
        double y = (double)(i * BAR_ROW);
        double w = max > 0 ? clean(items[i].value) / max * BAR_AREA_W : 0;
        buf_printf(b, "<text class=\"label\" x=\"%d\" y=\"", BAR_LABEL_W - 6);
        put_coord(b, y + 17);
        buf_puts(b, "\" text-anchor=\"end\">");
        html_puts(b, items[i].label);
        buf_puts(b, "</text>");
        put_rect(b, "bar", BAR_LABEL_W, y + 4, w, BAR_HEIGHT);
        buf_puts(b, "/><text class=\"value\" x=\"");
        put_coord(b, BAR_LABEL_W + w + 6);
        buf_puts(b, "\" y=\"");
        put_coord(b, y + 17);
        buf_puts(b, "\">");
        html_puts(b, items[i].value_text);
        buf_puts(b, "</text>");
    }
    buf_puts(b, "</svg>");
}

void svg_column_chart(struct buf *b, const char *title,
                      const struct svg_item *items, size_t n, size_t axis_every)
{
    if (n == 0)
        return;
    double max = largest(items, n);
    double slot = (double)SVG_WIDTH / (double)n;
    double w = slot > 2 * COL_GAP ? slot - COL_GAP : slot;
    open_svg(b, "chart cols", COL_PLOT_H + COL_AXIS_H, title);
    for (size_t i = 0; i < n; i++) {
        double h = max > 0 ? clean(items[i].value) / max * COL_PLOT_H : 0;
        double x = (double)i * slot;
        put_rect(b, "col", x, COL_PLOT_H - h, w, h);
        buf_puts(b, "><title>");
        html_puts(b, items[i].label);
        buf_puts(b, ": ");
        html_puts(b, items[i].value_text);
        buf_puts(b, "</title></rect>");
        /* Counted from the last column (the latest, in a time series),
         * each label ending at its column's right edge so none is cut. */
        if (axis_every == 0 || (n - 1 - i) % axis_every != 0)
            continue;
        buf_puts(b, "<text class=\"axis\" x=\"");
        put_coord(b, x + w);
        buf_printf(b, "\" y=\"%d\" text-anchor=\"end\">", COL_PLOT_H + 14);
        html_puts(b, items[i].label);
        buf_puts(b, "</text>");
    }
    buf_printf(b,
               "<line class=\"mark\" x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
               COL_PLOT_H, SVG_WIDTH, COL_PLOT_H);
    buf_puts(b, "</svg>");
}

static void put_mark(struct buf *b, const char *cls, double x)
{
    buf_printf(b, "<line class=\"%s\" x1=\"", cls);
    put_coord(b, x);
    buf_puts(b, "\" y1=\"0\" x2=\"");
    put_coord(b, x);
    buf_printf(b, "\" y2=\"%d\"/>", PROG_HEIGHT);
}

void svg_progress_bar(struct buf *b, const char *title,
                      const struct svg_progress *p)
{
    double used = clean(p->used), limit = clean(p->limit);
    double warn = clean(p->warn);
    bool has_proj = isfinite(p->projected) && p->projected >= 0;
    double proj = has_proj ? p->projected : 0;
    double scale = limit;
    if (used > scale)
        scale = used;
    if (proj > scale)
        scale = proj;
    double k = scale > 0 ? (double)SVG_WIDTH / scale : 0;

    const char *fill = "fill";
    if (limit > 0 && used >= limit)
        fill = "fill over";
    else if (warn > 0 && used >= warn)
        fill = "fill warn";
    open_svg(b, "chart progress", PROG_HEIGHT, title);
    put_rect(b, "track", 0, PROG_TRACK_Y, SVG_WIDTH, PROG_TRACK_H);
    buf_puts(b, "/>");
    put_rect(b, fill, 0, PROG_TRACK_Y, used * k, PROG_TRACK_H);
    buf_puts(b, "/>");
    if (warn > 0)
        put_mark(b, "mark warn", warn * k);
    if (limit > 0)
        put_mark(b, "mark limit", limit * k);
    if (has_proj)
        put_mark(b, "proj", proj * k);
    buf_puts(b, "</svg>");
}
