/*
 * A bump allocator for data that lives and dies together.
 *
 * The loaded configuration is read-only once built: all its strings and
 * arrays come from one arena and are released by a single arena_free().
 * Allocation failure is reported by a NULL return; nothing is freed
 * individually.
 */
#ifndef TOKENTAIL_ARENA_H
#define TOKENTAIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* newest chunk first */
    size_t used;              /* bytes handed out, for diagnostics */
};

/* Zeroed memory of n bytes, aligned for any type; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* Copies of s (n bytes, NUL added); NULL when out of memory. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

/* Releases every chunk; the arena is empty and reusable afterwards. */
void arena_free(struct arena *a);

#endif
