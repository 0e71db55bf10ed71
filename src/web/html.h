/*
 * Text made safe for HTML: what the status page prints from the logs and
 * the configuration (model names, file paths, alert summaries, label
 * values) may hold any bytes, and none of it may become markup.
 *
 * html_text() appends s escaped for both element content and quoted
 * attribute values: & < > " ' become character references; malformed
 * UTF-8, control characters other than tab, line feed and carriage return,
 * C1 controls and noncharacters (all of which HTML parsers report as
 * errors) become U+FFFD. The strings
 * are borrowed; the caller keeps ownership of the buffer and checks
 * buf.oom once at the end.
 */
#ifndef TOKENTAIL_HTML_H
#define TOKENTAIL_HTML_H

#include <stddef.h>

#include "buf.h"

/* Appends the n bytes at s, escaped. */
void html_text(struct buf *b, const char *s, size_t n);

/* Appends the NUL-terminated s, escaped; NULL appends nothing. */
void html_puts(struct buf *b, const char *s);

#endif
