/*
 * What several fuzz targets share: a configuration that uses every
 * parser, label transform, condition and value form; a registry and
 * pipeline built from a configuration as the daemon builds them; the
 * lines of an input, each in a buffer of its own size; and a check that an
 * exposition is well-formed.
 *
 * A failed check aborts: libFuzzer reports it as a crash and keeps the
 * input that caused it.
 */
#ifndef TOKENTAIL_FUZZ_HARNESS_H
#define TOKENTAIL_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "pipeline.h"
#include "registry.h"

/*
 * The configuration fuzz-pipeline and fuzz-envelope run lines through
 * (harness.c), loaded on first use and kept for the life of the process.
 */
const struct config *fuzz_config(void);

struct fuzz_pipeline {
    const struct config *cfg; /* borrowed */
    struct registry *reg;
    struct pipeline *pipe;
    struct ledger *ledger; /* the usage ledger, its cells alone */
};

/*
 * A registry and a pipeline for cfg (borrowed), as the daemon builds
 * them; aborts if they cannot be built. Built per input, so each input
 * starts from empty series and a finding reproduces from its input alone.
 */
void fuzz_pipeline_new(const struct config *cfg, struct fuzz_pipeline *out);

/* Frees them, after checking that no line or update was skipped for a
 * reason the configuration rules out (pipeline_line_reasons,
 * pipeline_update_reasons): its series would be missing; and that the
 * usage ledger summed over every day equals each counter it keeps, and
 * each histogram's count, when none of its updates was too old to keep. */
void fuzz_pipeline_free(struct fuzz_pipeline *fp);

/*
 * Calls fn for each '\n'-separated line of data (the last one need not
 * end in '\n'). Each line is copied into a heap buffer of exactly its
 * length, so AddressSanitizer catches a read one byte past its end.
 */
void fuzz_lines(const uint8_t *data, size_t size,
                void (*fn)(void *ctx, const char *line, size_t len), void *ctx);

/*
 * Renders r with expfmt_write() and aborts unless the text is valid UTF-8
 * without NUL bytes and every line is a HELP, a TYPE or a sample of the
 * family they name, with well-formed labels and an exact decimal value;
 * no series appears twice; counters are not negative; histogram buckets
 * add up.
 */
void fuzz_check_exposition(struct registry *r);

/* malloc() that aborts when out of memory; n may be 0. */
void *fuzz_alloc(size_t n);

/* Prints "fuzz: " and the message, and aborts. */
void fuzz_fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#endif
