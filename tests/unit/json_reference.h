/* The jsmn-based reference JSON parser, for differential tests. */
#ifndef TOKENTAIL_JSON_REFERENCE_H
#define TOKENTAIL_JSON_REFERENCE_H

#include "parser.h"

/* Too many tokens for the reference (a limit of its own, not RFC 8259). */
#define JSON_REFERENCE_MAX_TOKENS 65536

int json_reference_new(const struct cfg_field *fields, size_t n_fields,
                       struct parser **out);

#endif
