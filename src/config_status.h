/*
 * Which configuration is in force, and how the last attempt to load one
 * went: what /health's "config" section and the
 * tokentail_config_last_reload_* self-metrics say.
 *
 * The status belongs to the daemon's shell and lasts as long as it:
 * each load, at start-up or at a reload, records its outcome here, so
 * the figures carry over every reload. A load that fails leaves the
 * file, hash and time of the configuration still in force.
 */
#ifndef TOKENTAIL_CONFIG_STATUS_H
#define TOKENTAIL_CONFIG_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "selfmetrics.h"

#define CONFIG_STATUS_HASH_HEX 64 /* characters of a SHA-256 in hex */

struct config_status {
    char *path;                              /* as given; caller frees with
                                                config_status_free */
    char sha256[CONFIG_STATUS_HASH_HEX + 1]; /* of the file in force */
    int64_t loaded_ms;  /* Unix ms the configuration in force was loaded */
    bool last_ok;       /* the last load (start-up or reload) succeeded */
    size_t last_errors; /* errors the last load found */
    uint64_t reloads;   /* reloads tried since start-up */
};

/*
 * Records the configuration loaded at start-up from path (borrowed; st
 * keeps a copy) as the one in force since now_ms (Unix ms), with the
 * file's hash. Returns 0 or -ENOMEM.
 */
int config_status_start(struct config_status *st, const char *path,
                        int64_t now_ms);

/*
 * A reload's first step: loads st's file again as config_load() does,
 * into *out (caller frees), its errors appended to errors, and the
 * file's SHA-256 (read just before; "" when unreadable) into sha256.
 * A failure is recorded in st; a success is not, until the configuration
 * is in force (config_status_in_force). Returns 0 or -1.
 */
int config_status_load(struct config_status *st, const char *path,
                       struct config **out,
                       char sha256[CONFIG_STATUS_HASH_HEX + 1],
                       struct buf *errors);

/* Records that the configuration hashed sha256 is in force since now_ms. */
void config_status_in_force(struct config_status *st,
                            const char sha256[CONFIG_STATUS_HASH_HEX + 1],
                            int64_t now_ms);

/*
 * Records that the load failed after all (the web configuration, or
 * applying it), with the errors appended to errors (borrowed) from the
 * byte from on, one a line.
 */
void config_status_failed(struct config_status *st, const struct buf *errors,
                          size_t from);

/*
 * The SHA-256 of the file at path (borrowed) in lowercase hex, into out.
 * Returns 0 or -errno.
 */
int config_status_hash(const char *path, char out[CONFIG_STATUS_HASH_HEX + 1]);

/* Appends "config":{...} (the member, no comma) to out. */
void config_status_json(const struct config_status *st, struct buf *out);

/*
 * Adds tokentail_config_last_reload_successful and
 * tokentail_config_last_reload_success_timestamp_seconds to sm, read from
 * st (borrowed: it must outlive sm). Returns as selfmetrics_add.
 */
int config_status_selfmetrics(const struct config_status *st,
                              struct selfmetrics *sm);

/* Frees what st holds; st itself is the caller's. */
void config_status_free(struct config_status *st);

#endif
