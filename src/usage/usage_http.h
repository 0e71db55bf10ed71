/*
 * The usage reports over HTTP: GET /api/v1/usage (a summary) and GET
 * /api/v1/usage/export (rows per day or hour and series), answered from
 * the usage ledger with usage_query.h and usage_render.h. The handlers
 * only collect the query's parameters and choose the reply: 200 with the
 * report, 400 for a bad parameter and 404 without a usage section, each
 * error as {"error": "...", "detail": "..."}.
 *
 * Every pointer is borrowed.
 */
#ifndef TOKENTAIL_USAGE_HTTP_H
#define TOKENTAIL_USAGE_HTTP_H

#include "http.h"
#include "ledger.h"

/* Most parameters one request may carry; more is a 400. */
#define USAGE_HTTP_MAX_PARAMS 64

/*
 * Adds both routes to s, answering from l (NULL: no usage section, every
 * request gets 404); l must outlive s. Returns 0 or as http_route.
 */
int usage_http_routes(struct http *s, struct ledger *l);

#endif
