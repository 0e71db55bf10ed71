/*
 * Container envelopes: the input is a file's lines, unwrapped as the
 * tailer unwraps them (src/tailer.c) with ENVELOPE_AUTO, so the first line
 * decides between Docker json-file, CRI and none: each record read, then
 * joined to its stream's line; a line over the limit is not read whole but
 * dropped, its stream told from its first bytes when they can tell it.
 * Each complete application line then goes through the shared pipeline
 * (harness.c), so what unwrapping produces is parsed too.
 *
 * Checked on every line: a verdict from the enum; a line that points into
 * the input stays inside it, one joined from pieces is no longer than the
 * limit and lies in its stream's buffer; a stream is joining exactly while
 * its line is unfinished. And the pieces are joined per stream: each
 * stream's records, unwrapped alone by an envelope that never sees the
 * other stream, give the very same verdicts and lines.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "envelope.h"
#include "harness.h"

/* Small, so that joined lines go over it. */
#define MAX_LINE 4096

struct file {
    struct fuzz_pipeline fp;
    size_t input; /* the one that tries every parser */
    struct envelope env;
    struct envelope alone[ENVELOPE_STREAMS]; /* one stream's records each */
};

static bool within(const char *p, const char *s, size_t len)
{
    return (uintptr_t)p >= (uintptr_t)s && (uintptr_t)p <= (uintptr_t)s + len;
}

/* Unwraps one line as the tailer does; rec gets the record read. */
static enum envelope_result unwrap(struct envelope *e, const char *text,
                                   size_t len, struct envelope_record *rec,
                                   const char **app, size_t *app_len)
{
    if (len > MAX_LINE) {
        if (e->kind != ENVELOPE_DOCKER && e->kind != ENVELOPE_CRI) {
            rec->stream = ENVELOPE_NO_STREAM;
            return ENVELOPE_TOO_LONG;
        }
        bool known = envelope_read(e, text, MAX_LINE + 1, rec);
        return envelope_drop(e, known ? rec : NULL);
    }
    if (!envelope_read(e, text, len, rec))
        return ENVELOPE_BAD;
    return envelope_join(e, rec, MAX_LINE, app, app_len);
}

/* The verdict and line of the envelope that reads one stream alone. */
static void check_alone(struct file *f, const char *text, size_t len,
                        const struct envelope_record *rec,
                        enum envelope_result r, const char *app, size_t app_len)
{
    struct envelope_record arec;
    const char *a = NULL;
    size_t a_len = 0;
    if (rec->stream == ENVELOPE_NO_STREAM) {
        /* Of no known stream: every alone line may lose a piece too. */
        if (r == ENVELOPE_TOO_LONG)
            for (int s = 0; s < ENVELOPE_STREAMS; s++)
                envelope_drop(&f->alone[s], NULL);
        return;
    }
    struct envelope *e = &f->alone[rec->stream];
    e->kind = f->env.kind;
    enum envelope_result ar = unwrap(e, text, len, &arec, &a, &a_len);
    if (ar != r)
        fuzz_fail("stream %d: verdict %d, %d when read alone", (int)rec->stream,
                  (int)r, (int)ar);
    if (r == ENVELOPE_LINE &&
        (a_len != app_len || (app_len > 0 && memcmp(a, app, app_len) != 0)))
        fuzz_fail("stream %d: a line of %zu bytes, %zu when read alone",
                  (int)rec->stream, app_len, a_len);
}

static void check_line(const struct file *f, const char *text, size_t len,
                       const struct envelope_record *rec, const char *app,
                       size_t app_len)
{
    if (within(app, text, len)) {
        if (app_len > (size_t)(text + len - app))
            fuzz_fail("the line runs past the input line");
        return;
    }
    const struct envelope_join *j =
        rec->stream < ENVELOPE_STREAMS ? &f->env.join[rec->stream] : NULL;
    if (j == NULL || app_len != j->len || app_len > MAX_LINE ||
        (app_len > 0 && app != j->buf))
        fuzz_fail("a joined line of %zu bytes, limit %d", app_len, MAX_LINE);
}

static void line(void *ctx, const char *text, size_t len)
{
    struct file *f = ctx;
    struct envelope_record rec;
    const char *app = NULL;
    size_t app_len = 0;
    enum envelope_result r = unwrap(&f->env, text, len, &rec, &app, &app_len);

    switch (r) {
    case ENVELOPE_LINE:
        check_line(f, text, len, &rec, app, app_len);
        if (envelope_joining(&f->env, rec.stream))
            fuzz_fail("a complete line, yet its stream is joining");
        pipeline_line(f->fp.pipe, f->input, app, app_len);
        break;
    case ENVELOPE_PIECE:
        if (!envelope_joining(&f->env, rec.stream))
            fuzz_fail("a piece was kept, yet its stream is not joining");
        break;
    case ENVELOPE_BAD:
        pipeline_skip(f->fp.pipe, f->input, LINE_SKIP_BAD_ENVELOPE);
        break;
    case ENVELOPE_TOO_LONG:
        if (envelope_joining(&f->env, rec.stream))
            fuzz_fail("a line ended too long, yet its stream is joining");
        pipeline_skip(f->fp.pipe, f->input, LINE_SKIP_TOO_LONG);
        break;
    default:
        fuzz_fail("envelope_unwrap returned %d", (int)r);
    }
    if (f->env.kind == ENVELOPE_AUTO && len <= MAX_LINE)
        fuzz_fail("the first line did not decide the envelope");
    if (r != ENVELOPE_BAD)
        check_alone(f, text, len, &rec, r, app, app_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct config *cfg = fuzz_config();
    struct file f = {.input = (size_t)config_input_index(cfg, "mixed"),
                     .env = {.kind = ENVELOPE_AUTO}};
    fuzz_pipeline_new(cfg, &f.fp);
    fuzz_lines(data, size, line, &f);
    for (int s = 0; s < ENVELOPE_STREAMS; s++) {
        if (envelope_joining(&f.env, (enum envelope_stream)s))
            pipeline_skip(f.fp.pipe, f.input, LINE_SKIP_INCOMPLETE);
        if (envelope_joining(&f.alone[s], (enum envelope_stream)s) !=
            envelope_joining(&f.env, (enum envelope_stream)s))
            fuzz_fail("stream %d unfinished, not so when read alone", s);
        envelope_free(&f.alone[s]);
    }
    envelope_free(&f.env);
    fuzz_check_exposition(f.fp.reg);
    fuzz_pipeline_free(&f.fp);
    return 0;
}
