/*
 * Regular expressions: PCRE2, compiled once (with the JIT where the CPU has
 * one) and matched without allocating. Patterns work on bytes, not UTF-8
 * characters, so any bytes a log holds can be matched safely.
 */
#ifndef TOKENTAIL_RX_H
#define TOKENTAIL_RX_H

#include <stdbool.h>
#include <stddef.h>

struct rx;

/* Compiles pattern; returns 0 or -EINVAL (the loader checked it before). */
int rx_new(const char *pattern, struct rx **out);

/*
 * The same without the JIT, for patterns matched against short texts
 * (label values): machine code takes at least a page per pattern and
 * gains little on a few bytes; the interpreter also reads no byte past
 * the text, where the JIT's wide loads do. 0, -EINVAL or -ENOMEM.
 */
int rx_new_interpreted(const char *pattern, struct rx **out);

/*
 * Searches s for the pattern. On a match returns true and points *out at
 * the first capture group, or at the whole match when the pattern has no
 * group (or the group took no part). *out points into s.
 */
bool rx_capture(struct rx *rx, const char *s, size_t len, const char **out,
                size_t *out_len);

/* Whether the pattern matches anywhere in s. */
bool rx_search(struct rx *rx, const char *s, size_t len);

/* The number of a named group, or -1. */
int rx_group(const struct rx *rx, const char *name);

/*
 * Matches s and gives the span of group g (0: the whole match) of the last
 * successful match: start and length, or false when it took no part.
 */
bool rx_match(struct rx *rx, const char *s, size_t len);
bool rx_span(const struct rx *rx, int g, size_t *start, size_t *len);

/* NULL is a no-op. */
void rx_free(struct rx *rx);

#endif
