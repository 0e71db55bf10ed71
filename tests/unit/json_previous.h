/*
 * The JSON scanner before its first stage, for differential tests: the
 * same interface as json_parser_new (fields borrowed; the caller frees
 * the parser with parser_free).
 */
#ifndef TOKENTAIL_JSON_PREVIOUS_H
#define TOKENTAIL_JSON_PREVIOUS_H

#include "parser.h"

int json_previous_new(const struct cfg_field *fields, size_t n_fields,
                      enum json_non_finite non_finite, struct parser **out);

#endif
