/*
 * The offline reports: `tokentail report KIND [flags] [PARAM=VALUE ...]`
 * reads the configuration and the usage ledger of a state file, read
 * only, without starting the daemon (ledger_open), and prints a report
 * as a table aligned for reading, as CSV or as JSON. The parameters are
 * those of the HTTP endpoints and the answers the same, to the digit: a
 * backfill (--once --state.file) followed by a report needs no daemon.
 *
 * The kinds are a table (report.c): usage (GET /api/v1/usage), export
 * (GET /api/v1/usage/export) and budgets (GET /api/v1/budgets, which
 * takes no parameters); another report is one more row.
 *
 * Exit codes: 0; 1 when the configuration or the state file cannot be
 * read or holds no ledger; 2 for a usage error (a bad flag or parameter:
 * the same sentence as the HTTP answer's detail).
 */
#ifndef TOKENTAIL_REPORT_H
#define TOKENTAIL_REPORT_H

#include <stdio.h>

/*
 * Runs `tokentail report` with argv[0] "report" and its arguments
 * (borrowed), reading default_config (borrowed) when no --config.file is
 * given; writes the report to out and errors to stderr. Returns the exit
 * code.
 */
int report_main(int argc, char **argv, const char *default_config, FILE *out);

#endif
