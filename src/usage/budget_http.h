/*
 * The budgets over HTTP and offline: GET /api/v1/budgets answers every
 * budget's figures (budget.h) as JSON, and the same figures can be
 * written as JSON or as a table for a ledger opened from a state file,
 * without a daemon (budget_report).
 *
 * The JSON: {"timezone": ZONE, "evaluated_at": RFC 3339, "budgets": [
 * {"name", "metric", "match": {LABEL: VALUE}, "period": {"kind", "start",
 * "end"}, "limit", "used", "remaining", "utilization", "projected",
 * "status"}]}, times in RFC 3339 with the zone's offset at that instant,
 * numbers exact decimals written as JSON numbers; an unlimited budget
 * answers null for limit, remaining and utilization. evaluated_at is the
 * instant projected was computed for.
 *
 * Every pointer is borrowed; outputs are appended to a caller's buf.
 */
#ifndef TOKENTAIL_BUDGET_HTTP_H
#define TOKENTAIL_BUDGET_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "budget.h"
#include "buf.h"
#include "http.h"

/* How budgets are written out. */
enum budget_format {
    BUDGET_TABLE, /* aligned columns, for people */
    BUDGET_CSV,   /* RFC 4180, a header line, one budget a line */
    BUDGET_JSON,  /* as GET /api/v1/budgets answers */
};

/* The budgets' figures as the last budgets_eval() left them, as JSON. */
void budget_write_json(const struct budgets *b, struct buf *out);

/* The same as a table, one budget a line, for people. */
void budget_write_table(const struct budgets *b, struct buf *out);

/* The same as CSV: budget, metric, match ("label=value;..."), period,
 * start, end, limit, used, remaining, utilization, projected, status; an
 * unlimited budget's limit, remaining and utilization empty. */
void budget_write_csv(const struct budgets *b, struct buf *out);

/*
 * The handler of GET /api/v1/budgets: ctx is the budgets (NULL when none
 * are configured: 404 with {"error", "detail"}). Brings the figures to
 * the wall clock's now first.
 */
void budget_http_get(void *ctx, const struct http_request *req,
                     struct http_reply *rep);

/*
 * The budgets of cfg (borrowed) read from the ledger l (borrowed, opened
 * for cfg: ledger_open), at the UTC instant now, written to out in format
 * f: the row of an offline report. Returns 0; -ENOENT when cfg has no
 * budgets; or as budgets_new and ledger_sum (the log says why).
 */
int budget_report_ledger(const struct config *cfg, struct ledger *l,
                         int64_t now, enum budget_format f, struct buf *out);

/*
 * The same from the state file at path (borrowed), opened read only.
 * Returns as budget_report_ledger, or as ledger_open (-ENOENT when path
 * holds no ledger).
 */
int budget_report(const struct config *cfg, const char *path, int64_t now,
                  enum budget_format f, struct buf *out);

#endif
