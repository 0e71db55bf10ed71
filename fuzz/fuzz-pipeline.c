/*
 * The pipeline: each line of the input goes to every input of the fuzz
 * configuration (harness.c) — a JSON, a logfmt and a regex parser, and
 * all three in turn — through its labels, transforms, conditions, values
 * and costs into a registry of its own. The exposition must then be
 * well-formed: valid UTF-8 whatever bytes the lines held, label values
 * escaped, every sample line name{labels} value.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

struct run {
    const struct config *cfg;
    struct fuzz_pipeline fp;
};

static void line(void *ctx, const char *text, size_t len)
{
    struct run *r = ctx;
    for (size_t i = 0; i < r->cfg->n_inputs; i++)
        pipeline_line(r->fp.pipe, i, text, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run r = {.cfg = fuzz_config()};
    fuzz_pipeline_new(r.cfg, &r.fp);
    fuzz_lines(data, size, line, &r);
    fuzz_check_exposition(r.fp.reg);
    fuzz_pipeline_free(&r.fp);
    return 0;
}
