/*
 * `tokentail healthcheck`: the probe a container runtime, a Kubernetes
 * exec probe or a script runs against a running tokentail. It GETs the
 * /health document of an instance (the local one by default) and exits
 * 0 when it answers 200, else 1 with one line saying why: the connection
 * refused, no answer in time, or the status and, for a degraded daemon's
 * 503, the reasons the document gives. Being the binary itself, it needs
 * neither curl nor a shell in the image.
 *
 * HTTPS goes through libcurl like the notifications: --ca-file names the
 * certificate authority, --insecure-skip-verify accepts a self-signed
 * local certificate. Basic authentication takes the user from
 * --basic-auth-user and the password from --basic-auth-password-file
 * (its first line) or, without it, from $TOKENTAIL_HEALTHCHECK_PASSWORD.
 * No proxy is used, whatever the environment says: the probe is local.
 *
 * Exit codes: 0 healthy, 1 not healthy or unreachable, 2 a usage error.
 */
#ifndef TOKENTAIL_HEALTHCHECK_H
#define TOKENTAIL_HEALTHCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define HEALTHCHECK_DEFAULT_URL     "http://127.0.0.1:8653/health"
#define HEALTHCHECK_DEFAULT_TIMEOUT "5s"
#define HEALTHCHECK_PASSWORD_ENV    "TOKENTAIL_HEALTHCHECK_PASSWORD"

/* The flags, every string borrowed from argv. */
struct healthcheck_options {
    const char *url;
    int64_t timeout_ms;
    const char *timeout; /* as given: "5s" */
    bool insecure_skip_verify;
    const char *ca_file;       /* NULL: the system's authorities */
    const char *user;          /* NULL: no authentication */
    const char *password_file; /* NULL: $TOKENTAIL_HEALTHCHECK_PASSWORD */
    bool help;                 /* -h or --help: print the usage, exit 0 */
};

/*
 * Reads the arguments after "healthcheck" (argv[0] is "healthcheck") into
 * o, defaults first. Returns 0, or 2 after writing a usage error to err.
 */
int healthcheck_parse(int argc, char **argv, struct healthcheck_options *o,
                      FILE *err);

/*
 * What an answer's body (len bytes, borrowed; any bytes) adds to the
 * verdict line, appended to out: ": STATUS" and up to three reasons
 * ("; and N more") of a /health document, or ": " and the first line of
 * another body. Each piece is cut at 200 bytes and control characters
 * become '?', so the line stays one line. Nothing for an empty body.
 */
void healthcheck_describe(const char *body, size_t len, struct buf *out);

/*
 * Runs `tokentail healthcheck` with argv[0] "healthcheck" and its
 * arguments (borrowed): the verdict line goes to out when healthy, to
 * err otherwise. Returns the exit code.
 */
int healthcheck_main(int argc, char **argv, FILE *out, FILE *err);

#endif
