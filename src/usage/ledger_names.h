/*
 * The series of one usage metric the ledger has numbered: each series'
 * key (its label values, ledger_series_key) and its number, from 0 in the
 * order first saved. A series keeps its number for as long as the state
 * file lives: its rows are found by it (ledger_chunk.h).
 *
 * The keys are stored LEDGER_CHUNK to a record in ledger_series, in
 * number order: for each, its length (unsigned LEB128) and its bytes. In
 * memory they are an array by number and a hash table by key, so that a
 * save finds a series' number without asking the database, and writes
 * only the records of new numbers.
 *
 * Owns its memory; ledger_names_free() releases it.
 */
#ifndef TOKENTAIL_LEDGER_NAMES_H
#define TOKENTAIL_LEDGER_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ledger_name {
    uint64_t hash; /* registry_hash of the key */
    size_t at;     /* the key's bytes in keys */
    uint32_t len;
};

struct ledger_names {
    struct ledger_name *by_n; /* number n at index n */
    size_t n, cap;            /* n: the next number */
    uint32_t *table;          /* number + 1 by hash; 0: a free place */
    size_t table_cap;
    struct buf keys;
    size_t saved; /* numbers below this are in the database */
    bool loaded;  /* read from the database since the last clear */
};

/* The number of the series with key (len bytes, its registry_hash), or
 * -1 when it has none. */
int64_t ledger_names_find(const struct ledger_names *s, const void *key,
                          size_t len, uint64_t hash);

/* Gives key the next number and returns it; -1 on -ENOMEM. */
int64_t ledger_names_add(struct ledger_names *s, const void *key, size_t len,
                         uint64_t hash);

/* Forgets every number (to be read again); keeps the memory. */
void ledger_names_clear(struct ledger_names *s);

/* NULL is a no-op. */
void ledger_names_free(struct ledger_names *s);

/* Appends to b (borrowed) the record of keys numbered chunk *
 * LEDGER_CHUNK onwards, up to LEDGER_CHUNK of them. */
void ledger_names_encode(const struct ledger_names *s, int64_t chunk,
                         struct buf *b);

/*
 * Calls fn(ctx, slot, key, len) for each key of a record of len bytes,
 * slot counting from 0. Returns 0, fn's first non-zero answer, or
 * -EBADMSG when the bytes are not a record.
 */
int ledger_names_decode(const void *data, size_t len,
                        int (*fn)(void *ctx, size_t slot, const char *key,
                                  size_t len),
                        void *ctx);

#endif
