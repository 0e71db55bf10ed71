/*
 * A growable byte buffer for building output: the exposition, the health
 * document, error messages.
 *
 * Appends never fail visibly: on allocation failure the buffer enters an
 * error state (buf.oom), further appends are ignored, and the caller checks
 * buf.oom once at the end. The buffer owns its memory; buf_release()
 * hands it to the caller.
 */
#ifndef TOKENTAIL_BUF_H
#define TOKENTAIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct buf {
    char *data; /* always NUL-terminated when len > 0 and !oom */
    size_t len;
    size_t cap;
    bool oom;
};

/* Makes room for n more bytes; false (and oom set) on failure. */
bool buf_reserve(struct buf *b, size_t n);

void buf_puts(struct buf *b, const char *s);

/* The slow paths of the appends below: grow, then append. */
void buf_append_slow(struct buf *b, const void *p, size_t n);
void buf_putc_slow(struct buf *b, char c);

/* Inline: the exposition and every series key are built from these. */
static inline void buf_append(struct buf *b, const void *p, size_t n)
{
    if (b->cap - b->len > n && !b->oom) {
        if (n > 0)
            memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    buf_append_slow(b, p, n);
}

static inline void buf_putc(struct buf *b, char c)
{
    if (b->cap - b->len > 1 && !b->oom) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    buf_putc_slow(b, c);
}
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Appends s (n bytes) as a quoted JSON string: quotes, backslashes and
 * control characters escaped, malformed UTF-8 replaced by U+FFFD.
 */
void buf_json_string(struct buf *b, const char *s, size_t n);

/* Appends key (a NUL-terminated string) as a JSON object's key: the
 * quoted string and its colon. */
void buf_json_key(struct buf *b, const char *key);

/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);

/* Returns the data (caller frees) and leaves the buffer empty. */
char *buf_release(struct buf *b, size_t *len);

void buf_free(struct buf *b);

#endif
