/*
 * Configurations and pipelines in unit tests: a configuration loaded from
 * text with its error output, an error expected in it, and a registry and
 * pipeline built from one, with a series' value read from the exposition.
 * Everything a test gets here it frees with teardown_fixture (or
 * config_free); error texts are static, valid until the next load.
 */
#ifndef TOKENTAIL_TEST_CONFIG_HELPERS_H
#define TOKENTAIL_TEST_CONFIG_HELPERS_H

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "expfmt.h"
#include "pipeline.h"

/* Loads text; returns the error output (static) and stores the config. */
static inline const char *load(const char *text, struct config **cfg)
{
    static char out[8192];
    struct buf errors = {0};
    int rc = config_load_text("t.yaml", text, strlen(text), cfg, &errors);
    snprintf(out, sizeof(out), "%s", errors.data ? errors.data : "");
    buf_free(&errors);
    assert_int_equal(rc == 0, out[0] == '\0');
    return out;
}

/* Loading text fails, and error is among the messages. */
static inline void expect_error(const char *text, const char *error)
{
    struct config *cfg;
    const char *out = load(text, &cfg);
    if (strstr(out, error) == NULL)
        fail_msg("expected \"%s\" in:\n%s", error, out);
    assert_null(cfg);
}

struct fixture {
    struct config *cfg;
    struct registry *reg;
    struct pipeline *p;
};

/* The configuration yaml (which must load), its registry and pipeline. */
static inline void build(struct fixture *f, const char *yaml)
{
    struct buf errors = {0};
    if (config_load_text("t.yaml", yaml, strlen(yaml), &f->cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    assert_int_equal(registry_new(&f->reg), 0);
    assert_int_equal(pipeline_new(f->cfg, f->reg, &f->p), 0);
}

static inline void teardown_fixture(struct fixture *f)
{
    pipeline_free(f->p);
    registry_free(f->reg);
    config_free(f->cfg);
}

/* The exposition's value of a series, e.g. value(f, "m_total{a=\"x\"}");
 * "" when there is no such series. Static, valid until the next call. */
static inline const char *value(struct fixture *f, const char *series)
{
    static char out[128];
    struct buf b = {0};
    expfmt_write(f->reg, &b);
    size_t n = strlen(series);
    out[0] = '\0';
    for (char *p = b.data; p && *p;) {
        char *nl = strchr(p, '\n');
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            snprintf(out, sizeof(out), "%.*s", (int)(nl - p - (long)n - 1),
                     p + n + 1);
            break;
        }
        p = nl ? nl + 1 : NULL;
    }
    buf_free(&b);
    return out;
}

#endif
