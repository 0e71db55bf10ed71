/*
 * The gate in front of the HTTP server: the listening sockets, and every
 * new connection until its first line shows it is an HTTP request.
 *
 * libmicrohttpd 0.9 closes a connection whose request line has no spaces
 * without a word, and waits out its timeout on one with a NUL in it. So
 * tokentail accepts connections itself and looks at the first line before
 * handing a connection over: a line that is not METHOD SP TARGET SP
 * HTTP/d.d gets 400 at once. A connection that opens with a TLS
 * handshake record (0x16 0x03) goes to the TLS server instead. The bytes are
 * only peeked at, so the server reads the request from its start. Waiting
 * connections are bounded like the others: in number (HTTP_CONN_LIMIT), per
 * client address (HTTP_PER_IP_LIMIT) and in time (HTTP_CONN_TIMEOUT).
 */
#ifndef TOKENTAIL_HTTP_GATE_H
#define TOKENTAIL_HTTP_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http.h"
#include "loop.h"

#define HTTP_GATE_PEEK 2048 /* a longer first line is the server's to judge */

struct http_gate;

/* What the gate does with the connections it judged. ctx is borrowed. */
struct http_gate_ops {
    /* A request line: the connection (fd taken) goes to the server. */
    void (*pass)(void *ctx, int fd, const struct sockaddr *addr, socklen_t len);
    /* A TLS handshake: the connection (fd taken) goes to the TLS server. */
    void (*pass_tls)(void *ctx, int fd, const struct sockaddr *addr,
                     socklen_t len);
    /* Not an HTTP request: answered 400 and closed. */
    void (*rejected)(void *ctx);
    void *ctx;
};

/*
 * Listens on l (borrowed; NULL: on nothing yet) and starts judging
 * connections inside loop (borrowed). *port is the port bound (useful
 * with port 0). Returns 0, -EADDRINUSE when the address is taken or not
 * this host's, or -errno.
 */
int http_gate_new(struct loop *loop, const struct http_listen *l,
                  const struct http_gate_ops *ops, uint16_t *port,
                  struct http_gate **out);

/*
 * Listens on one more address, l (borrowed), up to HTTP_MAX_LISTEN; the
 * limits on connections hold for all of them together. Returns as
 * http_gate_new(), or -ENOSPC.
 */
int http_gate_listen(struct http_gate *g, const struct http_listen *l,
                     uint16_t *port);

/*
 * Accepts on fd too, a listening stream socket made by someone else
 * (systemd's socket activation), whose port goes to *port (0 for a
 * socket that is not IP): made non-blocking and close-on-exec, taken on
 * success (closed by http_gate_free), left open otherwise.
 * Returns 0, -EINVAL when fd is not a listening stream socket,
 * -ENOTSOCK or -EBADF when it is no socket, -ENOSPC, or -errno.
 */
int http_gate_adopt(struct http_gate *g, int fd, uint16_t *port);

/* The sockets listened on, in the order they were added. */
size_t http_gate_n_listeners(const struct http_gate *g);

/*
 * Writes socket i's address as "127.0.0.1:8653", "[::1]:8653" or
 * "[::]:8653" to out (cap bytes); returns true for a wildcard (every
 * address of the host).
 */
bool http_gate_name(const struct http_gate *g, size_t i, char *out, size_t cap);

/* Closes the listening socket and the connections waiting; NULL is a
 * no-op. */
void http_gate_free(struct http_gate *g);

/*
 * Whether the first n bytes of a connection begin a well-formed request
 * line: 1 yes (or too many bytes to judge here), HTTP_GATE_TLS when they
 * begin a TLS handshake record, -1 neither, 0 too early to tell. Exposed
 * for the tests.
 */
#define HTTP_GATE_TLS 2
int http_gate_judge(const char *p, size_t n);

#endif
