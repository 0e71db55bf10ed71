/*
 * Content negotiation: what a request's Accept and Accept-Encoding
 * headers admit, read as RFC 9110 says (a comma-separated list of
 * elements, each with parameters and an optional quality value q from 0
 * to 1, q=0 meaning "not acceptable").
 *
 * Two questions are asked of them, both answered without allocating:
 * whether to send the exposition as OpenMetrics 1.0 rather than the text
 * format 0.0.4, and whether to gzip an answer. Headers are borrowed and
 * only read; NULL (no such header) is a valid input everywhere.
 */
#ifndef TOKENTAIL_ACCEPT_H
#define TOKENTAIL_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>

#define ACCEPT_Q_ONE 1000 /* q=1, in thousandths */

/* One element of a list: "name;param=x;q=0.5". */
struct accept_item {
    const char *name; /* "gzip", "text/plain": not NUL-terminated */
    size_t name_len;
    const char *params; /* what follows the name's ';' without q; may be "" */
    size_t params_len;
    unsigned q; /* thousandths: 0 to ACCEPT_Q_ONE */
};

/*
 * Reads the next element of the list at *p into *out and moves *p past
 * it. Returns true for an element, false at the end. Empty elements are
 * skipped; an element with a malformed q ("q=2", "q=0.1234", "q=x") is
 * returned with q 0, so that a sender's mistake never admits more than it
 * meant.
 */
bool accept_next(const char **p, struct accept_item *out);

/*
 * Whether Accept (NULL: none) prefers OpenMetrics 1.0
 * (application/openmetrics-text, version 1.0.0 or no version) to the text
 * format 0.0.4 (text/plain, version 0.0.4 or none). Each is weighed by the
 * most specific range that matches it (type/subtype with its version over
 * type/subtype over type/<any> over <any>/<any>); OpenMetrics only when its
 * weight is above 0 and above the text format's, so that a browser's or
 * curl's <any>/<any> keeps the text format.
 */
bool accept_openmetrics(const char *accept);

/*
 * Whether Accept-Encoding (NULL: none) admits gzip: "gzip" or "x-gzip"
 * with q above 0, or failing those "*" with q above 0; and no explicit
 * "identity" weighed higher. "identity" alone, or "gzip;q=0", does not.
 */
bool accept_gzip(const char *accept_encoding);

#endif
