/* The inputs section of the status page (status_page.h): what each input
 * reads and how fast, how far behind its files are, and the lines it
 * skipped by reason. */
#include <stdlib.h>

#include "html.h"
#include "humanize.h"
#include "input.h"
#include "pipeline.h"
#include "status_page.h"
#include "status_private.h"

/* Rates are shown over the time since the previous page, when that is
 * between these bounds (milliseconds); otherwise they are not known. */
#define RATE_MIN_MS 1000
#define RATE_MAX_MS (5 * 60 * 1000)

static const char EN_DASH[] = "\xe2\x80\x93";

struct file_ctx {
    struct buf *out;
    const char *input;
    int64_t now;
};

static void put_file(void *ctx, const struct input_file_info *f)
{
    struct file_ctx *fc = ctx;
    struct buf *out = fc->out;
    buf_puts(out, "<tr><th scope=\"row\">");
    html_puts(out, f->path);
    buf_puts(out, "</th><td>");
    html_puts(out, fc->input);
    buf_puts(out, "</td><td class=\"n\">");
    if (f->has_size)
        humanize_bytes(out, f->lag);
    buf_puts(out, "</td><td class=\"n\">");
    if (f->has_size)
        humanize_bytes(out, f->size);
    buf_puts(out, "</td><td>");
    humanize_ago(out, f->last_read, (time_t)fc->now);
    if (f->rotated)
        buf_puts(out, " (rotated)");
    else if (f->copy_of)
        buf_puts(out, " (a copy: not read)");
    buf_puts(out, "</td></tr>");
}

/* The rates since the previous page, or none (n_samples differs, too
 * soon, too long ago); then this page's counters become the sample. */
static bool take_rates(const struct status_sources *src, double *lines,
                       double *bytes)
{
    struct status_cache *c = src->cache;
    if (!c)
        return false;
    if (c->n_samples != src->n_inputs) {
        free(c->samples);
        c->samples =
            calloc(src->n_inputs ? src->n_inputs : 1, sizeof *c->samples);
        c->n_samples = c->samples ? src->n_inputs : 0;
        c->sampled_ms = 0;
    }
    uint64_t dt = src->now_ms - c->sampled_ms;
    bool known = c->sampled_ms != 0 && src->now_ms > c->sampled_ms &&
                 dt >= RATE_MIN_MS && dt <= RATE_MAX_MS;
    /* A page soon after the last keeps its sample, so that quick reloads
     * still span a second or more. */
    bool resample = known || c->sampled_ms == 0 ||
                    src->now_ms < c->sampled_ms || dt > RATE_MAX_MS;
    for (size_t i = 0; i < c->n_samples; i++) {
        struct input_stats is;
        struct pipeline_input_stats ps;
        input_get_stats(src->inputs[i], &is);
        pipeline_input_stats(src->pipe, i, &ps);
        const struct status_sample *was = &c->samples[i];
        if (known && ps.lines >= was->lines && is.bytes_read >= was->bytes) {
            lines[i] = (double)(ps.lines - was->lines) * 1000 / (double)dt;
            bytes[i] = (double)(is.bytes_read - was->bytes) * 1000 / (double)dt;
        }
        if (resample)
            c->samples[i] = (struct status_sample){ps.lines, is.bytes_read};
    }
    if (resample && c->n_samples > 0)
        c->sampled_ms = src->now_ms;
    return known;
}

static void put_input(const struct status_sources *src, size_t i, bool known,
                      double lines, double bytes, struct buf *out)
{
    struct input_stats is;
    struct pipeline_input_stats ps;
    input_get_stats(src->inputs[i], &is);
    pipeline_input_stats(src->pipe, i, &ps);
    buf_puts(out, "<tr><th scope=\"row\">");
    html_puts(out, input_name(src->inputs[i]));
    buf_printf(out, "</th><td class=\"n\" data-value=\"%llu\">",
               (unsigned long long)ps.lines);
    humanize_u64(out, ps.lines);
    buf_puts(out, "</td><td class=\"n\">");
    if (known)
        humanize_double(out, lines, 1);
    else
        buf_puts(out, EN_DASH);
    buf_puts(out, "</td><td class=\"n\">");
    if (known) {
        humanize_bytes(out, (uint64_t)bytes);
        buf_puts(out, "/s");
    } else {
        buf_puts(out, EN_DASH);
    }
    buf_printf(out, "</td><td class=\"n\" data-value=\"%llu\">",
               (unsigned long long)is.lag_bytes);
    humanize_bytes(out, is.lag_bytes);
    buf_printf(out, "</td><td class=\"n\">%llu</td></tr>",
               (unsigned long long)is.files);
}

/* Lines skipped, by input and reason; only reasons that happened. */
static void put_skipped(const struct status_sources *src, struct buf *out)
{
    size_t shown = 0;
    for (size_t i = 0; i < src->n_inputs; i++) {
        struct pipeline_input_stats ps;
        pipeline_input_stats(src->pipe, i, &ps);
        for (int r = 0; r < LINE_SKIP_COUNT; r++) {
            if (ps.skipped[r] == 0)
                continue;
            if (shown++ == 0)
                buf_puts(out, "<h3>Lines skipped</h3><div class=\"wrap\">"
                              "<table id=\"skipped-table\"><thead><tr>"
                              "<th scope=\"col\">Input</th>"
                              "<th scope=\"col\">Reason</th>"
                              "<th scope=\"col\" class=\"n\">Lines</th>"
                              "</tr></thead><tbody>");
            buf_puts(out, "<tr><th scope=\"row\">");
            html_puts(out, input_name(src->inputs[i]));
            buf_printf(out,
                       "</th><td>%s</td><td class=\"n\" "
                       "data-value=\"%llu\">",
                       pipeline_line_skip_name((enum line_skip)r),
                       (unsigned long long)ps.skipped[r]);
            humanize_u64(out, ps.skipped[r]);
            buf_puts(out, "</td></tr>");
        }
    }
    if (shown > 0)
        buf_puts(out, "</tbody></table></div>");
    else
        buf_puts(out, "<p class=\"ok\">No line was skipped.</p>");
}

static void put_files(const struct status_sources *src, struct buf *out)
{
    buf_puts(out, "<details><summary>Files followed</summary><div "
                  "class=\"wrap\"><table id=\"files-table\"><thead><tr>"
                  "<th scope=\"col\">File</th><th scope=\"col\">Input</th>"
                  "<th scope=\"col\" class=\"n\">Lag</th>"
                  "<th scope=\"col\" class=\"n\">Size</th>"
                  "<th scope=\"col\">Last read</th></tr></thead><tbody>");
    for (size_t i = 0; i < src->n_inputs; i++) {
        struct file_ctx fc = {out, input_name(src->inputs[i]), src->now};
        input_each_file(src->inputs[i], put_file, &fc);
    }
    buf_puts(out, "</tbody></table></div></details>");
}

void status_inputs_write(const struct status_sources *src, struct buf *out)
{
    buf_puts(out, "<section id=\"inputs\"><h2>Inputs</h2>");
    if (src->n_inputs == 0 || !src->pipe) {
        buf_puts(out, "<p class=\"none\">No input is configured.</p>"
                      "</section>");
        return;
    }
    double *lines = calloc(src->n_inputs, sizeof *lines);
    double *bytes = calloc(src->n_inputs, sizeof *bytes);
    if (!lines || !bytes) {
        out->oom = true;
        goto out;
    }
    bool known = take_rates(src, lines, bytes);
    buf_puts(out, "<div class=\"wrap\"><table id=\"inputs-table\"><thead>"
                  "<tr><th scope=\"col\">Input</th>"
                  "<th scope=\"col\" class=\"n\">Lines</th>"
                  "<th scope=\"col\" class=\"n\">Lines/s</th>"
                  "<th scope=\"col\" class=\"n\">Bytes/s</th>"
                  "<th scope=\"col\" class=\"n\">Lag</th>"
                  "<th scope=\"col\" class=\"n\">Files</th></tr></thead>"
                  "<tbody>");
    for (size_t i = 0; i < src->n_inputs; i++)
        put_input(src, i, known, lines[i], bytes[i], out);
    buf_puts(out, "</tbody></table></div>");
    if (!known)
        buf_puts(out, "<p class=\"none\">Rates show from the next refresh, "
                      "over the time since this one.</p>");
    put_files(src, out);
    put_skipped(src, out);
    buf_puts(out, "</section>");
out:
    free(lines);
    free(bytes);
}
