/*
 * Container envelopes: the input is a file's lines, unwrapped as the
 * daemon unwraps them (src/daemon.c) with ENVELOPE_AUTO, so the first line
 * decides between Docker json-file, CRI and none. Each complete
 * application line then goes through the shared pipeline (harness.c), so
 * what unwrapping produces is parsed too.
 *
 * Checked on every line: a verdict from the enum; a line that points
 * into the input stays inside it, one assembled from pieces is no longer
 * than the limit; pieces are pending exactly while a line is unfinished.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "harness.h"

/* Small, so that joined lines go over it. */
#define MAX_LINE 4096

struct file {
    struct fuzz_pipeline fp;
    size_t input; /* the one that tries every parser */
    struct envelope env;
};

static bool within(const char *p, const char *s, size_t len)
{
    return (uintptr_t)p >= (uintptr_t)s && (uintptr_t)p <= (uintptr_t)s + len;
}

static void line(void *ctx, const char *text, size_t len)
{
    struct file *f = ctx;
    const char *app = NULL;
    size_t app_len = 0;
    enum envelope_result r =
        envelope_unwrap(&f->env, text, len, MAX_LINE, &app, &app_len);

    switch (r) {
    case ENVELOPE_LINE:
        if (within(app, text, len)) {
            if (app_len > (size_t)(text + len - app))
                fuzz_fail("the line runs past the input line");
        } else if (app_len != f->env.len || app_len > MAX_LINE ||
                   (app_len > 0 && app != f->env.buf)) {
            fuzz_fail("a joined line of %zu bytes, limit %d", app_len,
                      MAX_LINE);
        }
        if (envelope_pending(&f->env))
            fuzz_fail("a complete line, yet pieces are pending");
        pipeline_line(f->fp.pipe, f->input, app, app_len);
        break;
    case ENVELOPE_PIECE:
        if (!envelope_pending(&f->env))
            fuzz_fail("a piece was kept, yet nothing is pending");
        break;
    case ENVELOPE_BAD:
        pipeline_skip(f->fp.pipe, f->input, LINE_SKIP_BAD_ENVELOPE);
        break;
    case ENVELOPE_TOO_LONG:
        pipeline_skip(f->fp.pipe, f->input, LINE_SKIP_TOO_LONG);
        break;
    default:
        fuzz_fail("envelope_unwrap returned %d", (int)r);
    }
    if (f->env.kind == ENVELOPE_AUTO)
        fuzz_fail("the first line did not decide the envelope");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct config *cfg = fuzz_config();
    struct file f = {.input = (size_t)config_input_index(cfg, "mixed"),
                     .env = {.kind = ENVELOPE_AUTO}};
    fuzz_pipeline_new(cfg, &f.fp);
    fuzz_lines(data, size, line, &f);
    if (envelope_pending(&f.env))
        pipeline_skip(f.fp.pipe, f.input, LINE_SKIP_INCOMPLETE);
    envelope_free(&f.env);
    fuzz_check_exposition(f.fp.reg);
    fuzz_pipeline_free(&f.fp);
    return 0;
}
