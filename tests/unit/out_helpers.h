/*
 * The output buffer the page's unit tests (html, humanize, svg,
 * status_page) write into: emptied before each test by reset(), read as
 * a string by text(), freed once at the end by the test's main.
 */
#ifndef TOKENTAIL_TEST_OUT_HELPERS_H
#define TOKENTAIL_TEST_OUT_HELPERS_H

#include "buf.h"

static struct buf out;

static int reset(void **state)
{
    (void)state;
    buf_reset(&out);
    return 0;
}

/* What was written, "" when nothing; fails the test after an allocation
 * failure. */
static const char *text(void)
{
    assert_false(out.oom);
    return out.len > 0 ? out.data : "";
}

#endif
