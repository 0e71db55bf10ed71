/*
 * TLS for the HTTP server, as the web configuration's tls_server_config
 * asks, through libmicrohttpd's GnuTLS support.
 *
 * A struct tls is built from a web_config and checked whole before it is
 * used: the certificate and key read and paired, the client CAs parsed,
 * the protocol versions, suites and curves turned into a GnuTLS priority
 * string that GnuTLS accepts. libmicrohttpd fixes its credentials and
 * priorities when a server starts, so each struct tls belongs to the one
 * server started with its options (tls_mhd_options) and lives as long as
 * it; a reload with new TLS settings starts a new server.
 *
 * Per connection, when libmicrohttpd announces it, the session is told
 * whether to ask for a client certificate (client_auth_type) and given a
 * verification that checks the chain against client_ca and the SANs
 * against client_allowed_sans, so a bad client certificate fails the
 * handshake, as in Go. GnuTLS chooses key exchange, cipher and MAC apart,
 * so a priority string may admit a combination cipher_suites does not
 * list: such a connection is closed before its first request is answered
 * (tls_suite_allowed). Single-threaded: everything runs on the loop.
 */
#ifndef TOKENTAIL_TLS_H
#define TOKENTAIL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

#include "buf.h"
#include "webconfig.h"

#define TLS_MHD_OPTIONS 4 /* option items tls_mhd_options() fills */

struct tls;

/*
 * Builds TLS for c->tls (c borrowed; what is needed is copied). Returns
 * 0 with *out set (caller frees with tls_free), or -EINVAL after writing
 * each problem to errors as "path:line:column: message", or -errno.
 */
int tls_new(const struct web_config *c, struct tls **out, struct buf *errors);

/*
 * Fills opts (room for TLS_MHD_OPTIONS; no MHD_OPTION_END) with the
 * options a libmicrohttpd server started with MHD_USE_TLS needs:
 * certificate, key, priorities and the per-connection hook. Returns how
 * many. t must outlive the server.
 */
size_t tls_mhd_options(struct tls *t, struct MHD_OptionItem *opts);

/* Whether the connection c (served by t's server) negotiated a suite
 * cipher_suites allows: any with TLS 1.3 or without a list. */
bool tls_suite_allowed(const struct tls *t, struct MHD_Connection *c);

/* The GnuTLS priority string in force (for logs and tests). */
const char *tls_priorities(const struct tls *t);

/* NULL is a no-op. */
void tls_free(struct tls *t);

#endif
