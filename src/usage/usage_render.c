/*
 * Writing usage reports. CSV and tables share one shape, a sheet of
 * cells with a header row: CSV writes each cell as it comes, a table
 * keeps them all to measure its columns first. JSON is written directly.
 */
#include "usage_render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "tz.h"

#define TABLE_GAP 2  /* spaces between a table's columns */
#define DATE_MAX  48 /* a date, any year an int64_t day count holds */

/* --- sheets: CSV or a table ---------------------------------------------- */

struct usage_sheet {
    enum usage_format format;
    struct buf *out;
    size_t n_cols, col;
    unsigned long long numeric; /* columns aligned right, one bit each */
    struct buf cells;           /* a table's cells, each ended by a NUL */
    size_t *at;                 /* where each starts in cells */
    size_t n_cells, cap_cells;
};

#define SHEET_MAX_COLS 64 /* the numeric bit set: labels are fewer */

void usage_csv_field(struct buf *out, const char *s, size_t n)
{
    if (strcspn(s, "\",\r\n") >= n) {
        buf_append(out, s, n);
        return;
    }
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            buf_putc(out, '"');
        buf_putc(out, s[i]);
    }
    buf_putc(out, '"');
}

static struct usage_sheet *sheet_new(enum usage_format f, struct buf *out)
{
    struct usage_sheet *sh = calloc(1, sizeof(*sh));
    if (sh != NULL)
        *sh = (struct usage_sheet){.format = f, .out = out};
    return sh;
}

static void sheet_free(struct usage_sheet *sh)
{
    if (sh == NULL)
        return;
    buf_free(&sh->cells);
    free(sh->at);
    free(sh);
}

static bool sheet_cell(struct usage_sheet *sh, const char *s, size_t n)
{
    if (sh->format == USAGE_FORMAT_CSV) {
        if (sh->col++ > 0)
            buf_putc(sh->out, ',');
        usage_csv_field(sh->out, s, n);
        return !sh->out->oom;
    }
    if (sh->n_cells == sh->cap_cells) {
        size_t cap = sh->cap_cells ? sh->cap_cells * 2 : 256;
        size_t *at = realloc(sh->at, cap * sizeof(*at));
        if (at == NULL)
            return false;
        sh->at = at;
        sh->cap_cells = cap;
    }
    sh->at[sh->n_cells++] = sh->cells.len;
    /* A terminal shows control characters as they act, not as text. */
    for (size_t i = 0; i < n; i++)
        buf_putc(&sh->cells, (unsigned char)s[i] < 0x20 ? '?' : s[i]);
    buf_putc(&sh->cells, '\0');
    sh->col++;
    return !sh->cells.oom;
}

static bool sheet_text(struct usage_sheet *sh, const char *s)
{
    return sheet_cell(sh, s, strlen(s));
}

static bool sheet_num(struct usage_sheet *sh, num_fixed v)
{
    char n[NUM_FMT_MAX];
    return sheet_cell(sh, n, num_format(v, n));
}

static bool sheet_u64(struct usage_sheet *sh, uint64_t v)
{
    char n[NUM_FMT_MAX];
    return sheet_cell(sh, n, num_format_u64(v, n));
}

static bool sheet_end_row(struct usage_sheet *sh)
{
    if (sh->n_cols == 0)
        sh->n_cols = sh->col;
    sh->col = 0;
    if (sh->format == USAGE_FORMAT_CSV)
        buf_append(sh->out, "\r\n", 2);
    return !sh->out->oom;
}

/* Columns are measured in characters: UTF-8 continuation bytes do not
 * count. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(struct buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(out, ' ');
}

/* Lays out a table's cells: each column as wide as its widest cell. */
static void sheet_finish(struct usage_sheet *sh)
{
    if (sh->format == USAGE_FORMAT_CSV || sh->n_cols == 0)
        return;
    size_t *width = calloc(sh->n_cols, sizeof(*width));
    if (width == NULL) {
        sh->out->oom = true;
        return;
    }
    for (size_t i = 0; i < sh->n_cells; i++) {
        size_t w = text_width(sh->cells.data + sh->at[i]);
        if (w > width[i % sh->n_cols])
            width[i % sh->n_cols] = w;
    }
    for (size_t i = 0; i < sh->n_cells; i++) {
        size_t c = i % sh->n_cols;
        const char *s = sh->cells.data + sh->at[i];
        size_t room = width[c] - text_width(s);
        bool right = sh->numeric >> c & 1;
        if (right)
            pad(sh->out, room);
        buf_puts(sh->out, s);
        if (c + 1 < sh->n_cols) {
            if (!right)
                pad(sh->out, room);
            pad(sh->out, TABLE_GAP);
            continue;
        }
        /* Empty cells at the end of a line leave no spaces behind. */
        while (sh->out->len > 0 && !sh->out->oom &&
               sh->out->data[sh->out->len - 1] == ' ')
            sh->out->len--;
        buf_putc(sh->out, '\n');
    }
    free(width);
}

/* --- JSON pieces ---------------------------------------------------------- */

static void json_num(struct buf *out, num_fixed v)
{
    char n[NUM_FMT_MAX];
    buf_append(out, n, num_format(v, n));
}

static void json_u64(struct buf *out, uint64_t v)
{
    char n[NUM_FMT_MAX];
    buf_append(out, n, num_format_u64(v, n));
}

static void json_average(struct buf *out, const struct ledger_amount *a)
{
    num_fixed avg;
    if (usage_average(a->sum, a->count, &avg))
        json_num(out, avg);
    else
        buf_puts(out, "null");
}

/* {"label": "value", ...}; the overflow series as /metrics names it. */
static void json_labels(struct buf *out, const char *const *names,
                        const char *const *values, size_t n, bool overflow)
{
    buf_putc(out, '{');
    if (overflow)
        buf_puts(out, "\"tokentail_overflow\":\"true\"");
    for (size_t i = 0; !overflow && i < n; i++) {
        if (i > 0)
            buf_putc(out, ',');
        buf_json_key(out, names[i]);
        buf_json_string(out, values[i], strlen(values[i]));
    }
    buf_putc(out, '}');
}

/* A counter's "value" (key) or a histogram's count, sum and average. */
static void json_amount(struct buf *out, bool histogram, const char *key,
                        const struct ledger_amount *a, bool average)
{
    if (!histogram) {
        buf_json_key(out, key);
        json_num(out, a->sum);
        return;
    }
    buf_json_key(out, "count");
    json_u64(out, a->count);
    buf_putc(out, ',');
    buf_json_key(out, "sum");
    json_num(out, a->sum);
    if (average) {
        buf_putc(out, ',');
        buf_json_key(out, "average");
        json_average(out, a);
    }
}

static const char *date_text(int64_t day, char out[DATE_MAX])
{
    int64_t y;
    int m, d;
    civil_date(day, &y, &m, &d);
    snprintf(out, DATE_MAX, "%04lld-%02d-%02d", (long long)y, m, d);
    return out;
}

/* --- a summary --------------------------------------------------------------
 */

static bool is_histogram(const struct ledger_metric_info *m)
{
    return m->type == METRIC_HISTOGRAM;
}

/*
 * A metric's total and, when by was asked for, its groups: a metric that
 * has none of the by labels is one group, with no labels, of all its
 * series.
 */
static void json_metric(struct buf *out, const struct usage_summary *s,
                        const struct usage_metric_sums *ms)
{
    bool h = is_histogram(&ms->info);
    buf_json_key(out, ms->info.name);
    buf_printf(out, "{\"type\":\"%s\",", h ? "histogram" : "counter");
    json_amount(out, h, "total", &ms->sums->total, true);
    if (s->n_by == 0) {
        buf_putc(out, '}');
        return;
    }
    buf_puts(out, ",\"by\":[");
    if (ms->n_by == 0) {
        buf_puts(out, "{\"labels\":{},");
        json_amount(out, h, "value", &ms->sums->total, true);
        buf_putc(out, '}');
    }
    for (size_t i = 0; i < ms->sums->n_groups; i++) {
        const struct ledger_group *g = &ms->sums->groups[i];
        buf_puts(out, i ? ",{" : "{");
        buf_json_key(out, "labels");
        json_labels(out, ms->by, g->values, ms->n_by, g->overflow);
        buf_putc(out, ',');
        json_amount(out, h, "value", &g->amount, true);
        buf_putc(out, '}');
    }
    buf_puts(out, "]}");
}

static void json_summary(const struct usage_summary *s, struct buf *out)
{
    char first[DATE_MAX], last[DATE_MAX];
    buf_printf(out,
               "{\"period\":{\"start_date\":\"%s\",\"end_date\":\"%s\","
               "\"days\":%lld,",
               date_text(s->span.first_day, first),
               date_text(s->span.end_day - 1, last),
               (long long)(s->span.end_day - s->span.first_day));
    buf_json_key(out, "timezone");
    buf_json_string(out, s->zone, strlen(s->zone));
    buf_puts(out, "},\"metrics\":{");
    for (size_t i = 0; i < s->n_metrics; i++) {
        if (i > 0)
            buf_putc(out, ',');
        json_metric(out, s, &s->metrics[i]);
    }
    buf_puts(out, "}}\n");
}

/* The cells of one row of a summary sheet: a group's, or the total's. */
static void sheet_summary_row(struct usage_sheet *sh,
                              const struct usage_summary *s,
                              const struct usage_metric_sums *ms,
                              const struct ledger_group *g)
{
    char date[DATE_MAX];
    const struct ledger_amount *a = g ? &g->amount : &ms->sums->total;
    sheet_text(sh, date_text(s->span.first_day, date));
    sheet_text(sh, date_text(s->span.end_day - 1, date));
    sheet_text(sh, ms->info.name);
    for (size_t i = 0; i < s->n_by; i++) {
        size_t k = 0;
        while (k < ms->n_by && strcmp(ms->by[k], s->by[i]) != 0)
            k++;
        sheet_text(sh, g && k < ms->n_by && !g->overflow ? g->values[k] : "");
    }
    if (is_histogram(&ms->info)) {
        num_fixed avg;
        sheet_text(sh, "");
        sheet_u64(sh, a->count);
        sheet_num(sh, a->sum);
        if (usage_average(a->sum, a->count, &avg))
            sheet_num(sh, avg);
        else
            sheet_text(sh, "");
    } else {
        sheet_num(sh, a->sum);
        for (int i = 0; i < 3; i++)
            sheet_text(sh, "");
    }
    sheet_end_row(sh);
}

static void sheet_summary(const struct usage_summary *s, enum usage_format f,
                          struct buf *out)
{
    static const char *const head[] = {"start_date", "end_date", "metric"};
    static const char *const tail[] = {"value", "count", "sum", "average"};
    struct usage_sheet *sh = sheet_new(f, out);
    if (sh == NULL || s->n_by + 7 > SHEET_MAX_COLS) {
        sheet_free(sh);
        out->oom = true;
        return;
    }
    for (size_t i = 0; i < 3; i++)
        sheet_text(sh, head[i]);
    for (size_t i = 0; i < s->n_by; i++)
        sheet_text(sh, s->by[i]);
    for (size_t i = 0; i < 4; i++) {
        sh->numeric |= 1ULL << sh->col;
        sheet_text(sh, tail[i]);
    }
    sheet_end_row(sh);
    for (size_t i = 0; i < s->n_metrics; i++) {
        const struct usage_metric_sums *ms = &s->metrics[i];
        if (ms->n_by == 0)
            sheet_summary_row(sh, s, ms, NULL);
        for (size_t k = 0; k < ms->sums->n_groups; k++)
            sheet_summary_row(sh, s, ms, &ms->sums->groups[k]);
    }
    if (sh->cells.oom)
        out->oom = true;
    sheet_finish(sh);
    sheet_free(sh);
}

void usage_render_summary(const struct usage_summary *s, enum usage_format f,
                          struct buf *out)
{
    if (f == USAGE_FORMAT_JSON)
        json_summary(s, out);
    else
        sheet_summary(s, f, out);
}

/* --- an export
 * ---------------------------------------------------------------- */

int usage_writer_begin(struct usage_writer *w, enum usage_format f,
                       const struct tz *zone,
                       const struct ledger_metric_info *info, struct buf *out)
{
    *w = (struct usage_writer){
        .format = f, .zone = zone, .info = *info, .out = out};
    if (f == USAGE_FORMAT_JSON) {
        buf_puts(out, "{\"records\":[");
        return out->oom ? -ENOMEM : 0;
    }
    if (info->n_labels + 4 > SHEET_MAX_COLS ||
        (w->sheet = sheet_new(f, out)) == NULL)
        return -ENOMEM;
    sheet_text(w->sheet, "start");
    sheet_text(w->sheet, "end");
    for (size_t i = 0; i < info->n_labels; i++)
        sheet_text(w->sheet, info->labels[i]);
    bool h = is_histogram(info);
    w->sheet->numeric = (h ? 3ULL : 1ULL) << w->sheet->col;
    if (h) {
        sheet_text(w->sheet, "count");
        sheet_text(w->sheet, "sum");
    } else {
        sheet_text(w->sheet, "value");
    }
    return sheet_end_row(w->sheet) ? 0 : -ENOMEM;
}

void usage_writer_to(struct usage_writer *w, struct buf *out)
{
    w->out = out;
    if (w->sheet != NULL)
        w->sheet->out = out;
}

static void json_row(struct usage_writer *w, const struct ledger_row *row,
                     const char *start, const char *end)
{
    struct buf *out = w->out;
    buf_puts(out, w->rows ? ",\n{" : "\n{");
    buf_json_key(out, "start");
    buf_json_string(out, start, strlen(start));
    buf_putc(out, ',');
    buf_json_key(out, "end");
    buf_json_string(out, end, strlen(end));
    buf_putc(out, ',');
    buf_json_key(out, "labels");
    json_labels(out, w->info.labels, row->values, w->info.n_labels,
                row->overflow);
    buf_putc(out, ',');
    json_amount(out, is_histogram(&w->info), "value", &row->amount, false);
    buf_putc(out, '}');
}

int usage_writer_row(void *ctx, const struct ledger_row *row)
{
    struct usage_writer *w = ctx;
    char start[USAGE_INSTANT_MAX], end[USAGE_INSTANT_MAX];
    usage_instant(w->zone, row->start, start);
    usage_instant(w->zone, row->end, end);
    if (w->format == USAGE_FORMAT_JSON) {
        json_row(w, row, start, end);
    } else {
        struct usage_sheet *sh = w->sheet;
        sheet_text(sh, start);
        sheet_text(sh, end);
        for (size_t i = 0; i < w->info.n_labels; i++)
            sheet_text(sh, row->overflow ? "" : row->values[i]);
        if (is_histogram(&w->info)) {
            sheet_u64(sh, row->amount.count);
            sheet_num(sh, row->amount.sum);
        } else {
            sheet_num(sh, row->amount.sum);
        }
        sheet_end_row(sh);
        if (sh->cells.oom)
            return -ENOMEM;
    }
    w->rows++;
    return w->out->oom ? -ENOMEM : 0;
}

void usage_writer_end(struct usage_writer *w)
{
    if (w->format == USAGE_FORMAT_JSON)
        buf_puts(w->out, w->rows ? "\n]}\n" : "]}\n");
    else
        sheet_finish(w->sheet);
    usage_writer_free(w);
}

void usage_writer_free(struct usage_writer *w)
{
    if (w == NULL)
        return;
    sheet_free(w->sheet);
    w->sheet = NULL;
}
