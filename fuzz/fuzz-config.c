/*
 * The configuration loader on arbitrary text. It must never crash or
 * leak; a refusal comes with messages, each "fuzz.yaml:...", and a
 * configuration it accepts must work as the daemon would use it: a
 * pipeline builds from it, lines giving its fields values of every type
 * go through each input, and the exposition is well-formed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parser.h"
#include "buf.h"
#include "harness.h"

#define NAME "fuzz.yaml"

/* A value as JSON writes it and as logfmt does. */
struct sample {
    const char *json, *logfmt;
};

static const struct sample samples[] = {
    {"200", "200"},
    {"\"GET\"", "GET"},
    {"-1.5", "-1.5"},
    {"\"sk-live-0123456789abcdef\"", "\"sk-live \\\"0123456789\\\"\""},
    {"\"caf\\u00e9\\n\\ud800\"", "caf\xc3\xa9\xff\xfe"},
    {"1e30", "1e30"},
    {"null", ""},
    {"{\"x\": [1]}", "="},
    {"[1, {\"y\": 2.5}, \"0040\"]", "0040"},
    {"NaN", "+.5"},
};

/* One JSON and one logfmt line giving every field the sample's value. */
static void feed(const struct config *cfg, struct pipeline *p,
                 const struct sample *s)
{
    struct buf json = {0}, logfmt = {0};
    char name[1024];

    buf_putc(&json, '{');
    for (size_t i = 0; i < cfg->n_fields; i++) {
        const struct cfg_field *f = &cfg->fields[i];
        /* {"usage": {"total": v}}: a repeated prefix keeps the last. */
        buf_puts(&json, i > 0 ? ", " : "");
        for (uint32_t k = 0; k < f->n_parts; k++) {
            buf_puts(&json, k > 0 ? "{" : "");
            buf_json_string(&json, f->parts[k], f->part_lens[k]);
            buf_puts(&json, ": ");
        }
        buf_puts(&json, s->json);
        for (uint32_t k = 1; k < f->n_parts; k++)
            buf_putc(&json, '}');
        parser_field_name(f, name, sizeof(name));
        buf_printf(&logfmt, "%s%s=%s", i > 0 ? " " : "", name, s->logfmt);
    }
    buf_putc(&json, '}');
    if (json.oom || logfmt.oom)
        fuzz_fail("out of memory");
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        pipeline_line(p, i, json.data, json.len);
        pipeline_line(p, i, logfmt.len ? logfmt.data : "", logfmt.len);
    }
    buf_free(&json);
    buf_free(&logfmt);
}

static void run(const struct config *cfg)
{
    struct fuzz_pipeline fp;
    fuzz_pipeline_new(cfg, &fp);
    for (size_t i = 0; i < sizeof(samples) / sizeof(*samples); i++)
        feed(cfg, fp.pipe, &samples[i]);
    fuzz_check_exposition(fp.reg);
    fuzz_pipeline_free(&fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = NULL;
    struct buf errors = {0};

    int rc = config_load_text(NAME, (const char *)data, size, &cfg, &errors);
    if (errors.oom)
        fuzz_fail("out of memory");
    if (rc == 0) {
        if (cfg == NULL || errors.len > 0)
            fuzz_fail("accepted, yet %s:\n%s",
                      cfg ? "with errors" : "no configuration",
                      errors.len ? errors.data : "");
        run(cfg);
    } else if (cfg != NULL || errors.len == 0 ||
               strncmp(errors.data, NAME ":", strlen(NAME ":")) != 0 ||
               errors.data[errors.len - 1] != '\n') {
        fuzz_fail("refused (%d) without a message naming the file:\n%s", rc,
                  errors.len ? errors.data : "");
    }
    config_free(cfg);
    buf_free(&errors);
    return 0;
}
