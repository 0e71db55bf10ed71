/*
 * The web configuration loader (src/web/webconfig.c) and the TLS settings
 * built from what it accepts (src/web/tls.c) on arbitrary text. Neither
 * may crash or leak; a refusal comes with messages, each naming the file;
 * an accepted file with TLS either builds or is refused with messages.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "tls.h"
#include "webconfig.h"

/* Every message line begins with the file's name. */
static void check_messages(const struct buf *errors, const char *path)
{
    size_t n = strlen(path);
    const char *p = errors->data;
    if (errors->oom)
        return;
    if (p == NULL || *p == '\0')
        fuzz_fail("refused without a message");
    while (p != NULL && *p != '\0') {
        if (strncmp(p, path, n) != 0 || p[n] != ':')
            fuzz_fail("a message without the file's name: %.80s", p);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("web.yml", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        fuzz_fail("memfd: %s", strerror(errno));
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    struct web_config *c = NULL;
    struct buf errors = {0};
    int rc = webconfig_load(path, &c, &errors);
    if (rc != 0 && c != NULL)
        fuzz_fail("refused, yet a configuration was given");
    if (rc == -EINVAL)
        check_messages(&errors, path);
    if (rc == 0 && c->tls != NULL) {
        struct tls *t = NULL;
        buf_reset(&errors);
        if (tls_new(c, &t, &errors) == -EINVAL)
            check_messages(&errors, path);
        tls_free(t);
    }
    webconfig_free(c);
    buf_free(&errors);
    close(fd);
    return 0;
}
