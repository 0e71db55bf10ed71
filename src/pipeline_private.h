/*
 * What the pipeline's own files share, and no other module uses:
 * pipeline_build.c builds each input's sink from the callbacks that
 * pipeline.c, which runs the lines, provides. Everything else they share
 * is in pipeline.h.
 */
#ifndef TOKENTAIL_PIPELINE_PRIVATE_H
#define TOKENTAIL_PIPELINE_PRIVATE_H

#include <stddef.h>

#include "tailer.h"

/*
 * An input's sink (struct tail_sink): ctx is its struct pipeline_input
 * (borrowed). A complete line goes to the input's parsers and rules; a
 * line the reader could not deliver is counted under its reason.
 */
void pipeline_sink_line(void *ctx, const char *line, size_t len);
void pipeline_sink_skip(void *ctx, enum tail_skip why);

#endif
