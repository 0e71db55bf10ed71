/*
 * JSON string content: the text between a string's quotes, as the JSON
 * parser leaves it (still escaped), turned into the bytes it stands for.
 * Shared by the JSON parser (object keys), the pipeline (label values)
 * and the container envelopes (Docker's "log" field).
 */
#ifndef TOKENTAIL_JSONSTR_H
#define TOKENTAIL_JSONSTR_H

#include <stddef.h>

/*
 * Decodes the JSON escapes of a string's content (in/len, as a
 * FIELD_STRING holds it) into out, which must hold len bytes: decoding
 * never lengthens. \u escapes become UTF-8; a lone surrogate becomes
 * U+FFFD. Returns the decoded length.
 */
size_t json_unescape(const char *in, size_t len, char *out);

#endif
