/*
 * Alert templates (template.h). The input's first 8 bytes are the value
 * (a double, so NaN, infinities and subnormals come too), the rest the
 * template:
 *   - it expands, or is refused with a message;
 *   - a text with no "{{" expands to itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double value = 0;
    if (size >= sizeof(value)) {
        memcpy(&value, data, sizeof(value));
        data += sizeof(value);
        size -= sizeof(value);
    }
    char *text = fuzz_alloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    static struct labels ls;
    if (ls.n == 0 && (labels_set(&ls, "job", "api") != 0 ||
                      labels_set(&ls, "instance", "10.0.0.1:80") != 0))
        fuzz_fail("out of memory");
    struct buf out = {0};
    char err[TEMPLATE_ERR_MAX];
    err[0] = '\0';
    struct template_data d = {&ls, value, &ls, "http://localhost:9090"};
    int rc = template_expand(text, &d, &out, err);
    if (rc != 0 && (rc != -EINVAL || err[0] == '\0'))
        fuzz_fail("refused without a message: %d", rc);
    size_t len = strlen(text);
    if (strstr(text, "{{") == NULL &&
        (rc != 0 || out.len != len || (len > 0 && memcmp(out.data, text, len))))
        fuzz_fail("a text without actions changed");
    buf_free(&out);
    free(text);
    return 0;
}
