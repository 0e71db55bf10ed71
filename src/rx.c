#include "rx.h"

#include <errno.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct rx {
    pcre2_code *code;
    pcre2_match_data *md;
    uint32_t groups;
};

static int compile(const char *pattern, bool jit, struct rx **out)
{
    int err;
    PCRE2_SIZE at;
    struct rx *rx = calloc(1, sizeof(*rx));
    if (rx == NULL)
        return -ENOMEM;
    rx->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0,
                             &err, &at, NULL);
    if (rx->code == NULL) {
        free(rx);
        return -EINVAL;
    }
    /* Without a JIT (some CPUs, some sandboxes) the interpreter serves. */
    if (jit)
        pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
    pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->groups);
    rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
    if (rx->md == NULL) {
        rx_free(rx);
        return -ENOMEM;
    }
    *out = rx;
    return 0;
}

int rx_new(const char *pattern, struct rx **out)
{
    return compile(pattern, true, out);
}

int rx_new_interpreted(const char *pattern, struct rx **out)
{
    return compile(pattern, false, out);
}

bool rx_match(struct rx *rx, const char *s, size_t len)
{
    return pcre2_match(rx->code, (PCRE2_SPTR)s, len, 0, 0, rx->md, NULL) >= 0;
}

bool rx_span(const struct rx *rx, int g, size_t *start, size_t *len)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
    if (g < 0 || (uint32_t)g > rx->groups || ov[2 * g] == PCRE2_UNSET)
        return false;
    *start = ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
    return true;
}

bool rx_search(struct rx *rx, const char *s, size_t len)
{
    return rx_match(rx, s, len);
}

bool rx_capture(struct rx *rx, const char *s, size_t len, const char **out,
                size_t *out_len)
{
    size_t start;
    if (!rx_match(rx, s, len))
        return false;
    if (!(rx->groups >= 1 && rx_span(rx, 1, &start, out_len)) &&
        !rx_span(rx, 0, &start, out_len))
        return false;
    *out = s + start;
    return true;
}

int rx_group(const struct rx *rx, const char *name)
{
    int n = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
    return n > 0 ? n : -1;
}

void rx_free(struct rx *rx)
{
    if (rx == NULL)
        return;
    pcre2_match_data_free(rx->md);
    pcre2_code_free(rx->code);
    free(rx);
}
