/*
 * The environment systemd sets (sdnotify.h, sdlisten.h). The input is
 * split at NUL bytes into $NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID,
 * $LISTEN_PID and $LISTEN_FDS (missing ones unset):
 *   - a socket name is accepted exactly when it is an absolute path or
 *     '@' and a name, shorter than a socket address; a refusal says why;
 *   - a watchdog interval is positive when there is one, and only for the
 *     process WATCHDOG_PID names, if it names one;
 *   - the sockets passed number 1 to SDLISTEN_MAX_FDS, only for the
 *     process LISTEN_PID names; a refusal says why.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdlisten.h"
#include "sdnotify.h"

#define FUZZ_PID  4242 /* the process the variables are read for */
#define N_FIELDS  5
#define MAX_INPUT 512

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

static void check_notify(const char *const *f)
{
    struct sdnotify *n = NULL;
    const char *why = NULL;
    int rc = sdnotify_new(f[0], f[1], f[2], FUZZ_PID, &n, &why);
    if (f[0] == NULL || f[0][0] == '\0') {
        CHECK(rc == 0 && n == NULL);
        return;
    }
    size_t len = strlen(f[0]);
    int name_ok = (f[0][0] == '/' || (f[0][0] == '@' && len > 1)) && len < 108;
    if (!name_ok)
        CHECK(rc == -EINVAL && n == NULL && why != NULL);
    if (rc != 0) {
        CHECK(n == NULL && why != NULL && why[0] != '\0');
        return;
    }
    CHECK(name_ok && n != NULL);
    uint64_t usec = sdnotify_watchdog_usec(n);
    if (usec > 0) {
        CHECK(f[1] != NULL && strtoull(f[1], NULL, 10) == usec);
        CHECK(f[2] == NULL || f[2][0] == '\0' ||
              strtoull(f[2], NULL, 10) == FUZZ_PID);
    } else {
        CHECK(f[1] == NULL || f[1][0] == '\0' ||
              (f[2] != NULL && strtoull(f[2], NULL, 10) != FUZZ_PID));
    }
    sdnotify_free(n);
}

static void check_listen(const char *const *f)
{
    const char *why = NULL;
    int n = sdlisten_count(f[3], f[4], FUZZ_PID, &why);
    if (n < 0) {
        CHECK(n == -EINVAL && why != NULL && why[0] != '\0');
        return;
    }
    CHECK(n >= 1 && n <= SDLISTEN_MAX_FDS);
    CHECK(f[3] != NULL && f[4] != NULL);
    CHECK(strtoll(f[3], NULL, 10) == FUZZ_PID);
    CHECK(strtoll(f[4], NULL, 10) == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[MAX_INPUT + 1];
    const char *fields[N_FIELDS] = {NULL};
    if (size > MAX_INPUT)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    /* NUL-separated; a field present but empty is set to "". */
    size_t start = 0, k = 0;
    for (size_t i = 0; i <= size && k < N_FIELDS; i++)
        if (buf[i] == '\0') {
            fields[k++] = buf + start;
            start = i + 1;
            if (i == size)
                break;
        }
    check_notify(fields);
    check_listen(fields);
    return 0;
}
