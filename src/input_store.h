/*
 * The inputs' part of the durable state (state.h): where every file
 * stands.
 *
 * Two tables: inputs names every input the state has known, files holds
 * each file's identity (device, inode, the fingerprint of its head) and
 * its mark (tailer.h: where reading resumes, up to where each container
 * stream's lines were delivered, the envelope its lines are in) by
 * input. At start-up each input
 * gets the records of its files back and learns whether the state knew it;
 * files unseen for INPUT_STORE_RECORD_TTL_S are forgotten, those of an
 * input no longer configured included, so configuring it again goes on
 * where it stopped. The first checkpoint
 * after start-up always writes both tables, so a new input is known from then
 * on; later ones only when a position moved.
 */
#ifndef TOKENTAIL_INPUT_STORE_H
#define TOKENTAIL_INPUT_STORE_H

#include <stddef.h>

#include "input.h"
#include "state.h"

#define INPUT_STORE_RECORD_TTL_S                                               \
    (7 * 24 * 3600) /* forget files unseen this long */

/*
 * Makes the n inputs (the array and each input borrowed: they must
 * outlive s) the state's STATE_PART_POSITIONS participant. Returns 0 or
 * -errno.
 */
int input_store_join(struct state *s, struct input *const *inputs, size_t n);

#endif
