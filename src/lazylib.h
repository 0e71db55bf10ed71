/*
 * Libraries loaded when first needed: libcurl (outbound HTTP — alert
 * notifications, remote write, the healthcheck command) and snappy
 * (remote write's compression).
 *
 * Linked at start-up, libcurl and its own dependencies (Kerberos, LDAP,
 * SSH, OpenSSL's libcrypto, ...) and snappy with the C++ runtime were
 * two thirds of a tailing daemon's resident memory and most of the
 * dynamic linker's work, whether or not anything was ever sent. The
 * binary instead defines the libraries' functions it calls (curl_*,
 * snappy_*) as small forwarders to the real ones, which the first call
 * loads with dlopen(); callers use the libraries' headers and names as
 * usual.
 *
 * A configuration that sends anything checks at load time that the
 * library is there (lazylib_curl, lazylib_snappy), so a missing library
 * is a configuration error naming it, not a failure on the first alert.
 * Once loaded, a library stays for the life of the process: this is the
 * one piece of process-wide state besides the signals', as the library
 * itself is process-wide. It is loaded from the loop's thread only: the
 * backfill's workers (--once.workers) never send.
 */
#ifndef TOKENTAIL_LAZYLIB_H
#define TOKENTAIL_LAZYLIB_H

#include <stddef.h>

/* Room for a loader's reason, with its NUL. */
#define LAZYLIB_WHY_TEXT 256

/*
 * Loads libcurl if it is not yet: 0, or -ENOENT with the reason (the
 * loader's words) written to why (n bytes, NUL-terminated; NULL for none).
 */
int lazylib_curl(char *why, size_t n);

/* The same for snappy. */
int lazylib_snappy(char *why, size_t n);

/*
 * The loader itself, for the tests: the first of the NULL-terminated
 * names (borrowed) that dlopen() finds, and each of the n symbols into
 * fns[i]. Returns the handle, or NULL with the reason in why.
 */
void *lazylib_open(const char *const *names, const char *const *symbols,
                   void **fns, size_t n, char *why, size_t why_len);

#endif
