/*
 * The Prometheus text exposition format, version 0.0.4.
 *
 * Families appear in registry order, each with HELP and TYPE; series in
 * the order of their label values. Label values are escaped (\\, \", \n),
 * HELP text too (\\, \n). Values print as exact decimals (num_format):
 * integers without a fraction, never in the locale's notation.
 */
#ifndef TOKENTAIL_EXPFMT_H
#define TOKENTAIL_EXPFMT_H

#include <stddef.h>

#include "buf.h"
#include "registry.h"

#define EXPFMT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends s (n bytes) escaped for a label value. */
void expfmt_escape_label(struct buf *b, const char *s, size_t n);

/* Appends s escaped for a HELP line. */
void expfmt_escape_help(struct buf *b, const char *s);

/* Appends the whole exposition of r to out; sorts new series in place. */
void expfmt_write(struct registry *r, struct buf *out);

#endif
