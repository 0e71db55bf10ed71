#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tailer.h"

struct collected {
    char lines[64][64];
    size_t n;
    size_t too_long;
    size_t incomplete;
};

static void on_line(void *ctx, const char *line, size_t len)
{
    struct collected *c = ctx;
    if (c->n < 64)
        snprintf(c->lines[c->n], 64, "%.*s", (int)len, line);
    c->n++;
}

static void on_skip(void *ctx, enum tail_skip why)
{
    struct collected *c = ctx;
    if (why == TAIL_SKIP_TOO_LONG)
        c->too_long++;
    else if (why == TAIL_SKIP_INCOMPLETE)
        c->incomplete++;
}

/* Counters of the file so far. */
static struct tailer_stats stats(const struct tailer *t)
{
    struct tailer_stats st;
    tailer_get_stats(t, &st);
    return st;
}

static char path[64];

static int make_file(void **state)
{
    (void)state;
    snprintf(path, sizeof(path), "/tmp/tokentail-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    return 0;
}

static int remove_file(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void append(const char *s)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void truncate_to(const char *s)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
}

static void test_partial_lines(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    append("first\nsec");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    assert_int_equal(tailer_read(t, &rb, SIZE_MAX, &sink), 9);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.lines[0], "first");
    assert_int_equal(tailer_pending(t), 3);
    /* Nothing new: nothing delivered, the partial line waits. */
    assert_int_equal(tailer_read(t, &rb, SIZE_MAX, &sink), 0);
    assert_int_equal(c.n, 1);
    append("ond\r\nthird\n\nfou");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.lines[1], "second\r");
    assert_string_equal(c.lines[2], "third");
    assert_string_equal(c.lines[3], "");
    append("rth\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.lines[4], "fourth");
    assert_int_equal(tailer_offset(t), 28);
    assert_int_equal(stats(t).bytes, 28);
    tailer_free(t);
    tail_buf_free(&rb);
}

static void test_too_long(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    char big[5000];
    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    append("ok1\n");
    append(big); /* 4999 bytes, no newline yet: over the 300-byte limit */
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 300, ENVELOPE_NONE, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.too_long, 1);
    assert_int_equal(tailer_pending(t), 0);
    append(big); /* still the same line */
    append("\nok2\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.too_long, 1); /* counted once */
    assert_int_equal(c.n, 2);
    assert_string_equal(c.lines[1], "ok2");
    /* A long line arriving whole in one read. */
    char line[400];
    memset(line, 'y', 350);
    line[350] = '\n';
    line[351] = '\0';
    append(line);
    append("ok3\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.too_long, 2);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[2], "ok3");
    tailer_free(t);
    tail_buf_free(&rb);
}

static void test_from_end(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    append("old1\nold2\nhalf");
    assert_int_equal(tailer_open(path, TAIL_START_END, 100, ENVELOPE_NONE, &t),
                     0);
    /* Starts after the last newline, so the line in progress is kept. */
    assert_int_equal(tailer_offset(t), 10);
    append("-done\nnew\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.lines[0], "half-done");
    assert_string_equal(c.lines[1], "new");
    tailer_free(t);

    /* A file with no newline at all is one unfinished line. */
    truncate_to("no newline yet");
    assert_int_equal(tailer_open(path, TAIL_START_END, 100, ENVELOPE_NONE, &t),
                     0);
    assert_int_equal(tailer_offset(t), 0);
    tailer_free(t);
    tail_buf_free(&rb);
}

static void test_truncation(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    append("aaaa\nbbbb\nccc");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 2);
    truncate_to("x\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[2], "x");
    assert_int_equal(stats(t).truncations, 1);
    assert_int_equal(tailer_offset(t), 2);
    tailer_free(t);
    tail_buf_free(&rb);
}

static void test_budget(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    /* More than one read chunk: a small budget stops after one chunk. */
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 40000; i++)
        fprintf(f, "line %05d\n", i); /* 11 bytes each, 440000 in all */
    fclose(f);
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    ssize_t n = tailer_read(t, &rb, 1, &sink);
    assert_int_equal(n, TAILER_READ_CHUNK);
    assert_int_equal(c.n, TAILER_READ_CHUNK / 11);
    while ((n = tailer_read(t, &rb, 1, &sink)) > 0)
        ;
    assert_int_equal(c.n, 40000);
    assert_string_equal(c.lines[63], "line 00063");
    assert_int_equal(tailer_offset(t), 440000);
    tailer_free(t);
    tail_buf_free(&rb);
}

/* A writer that kept its offset after a truncation leaves a hole of NULs. */
static void test_nul_padding(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    int fd = open(path, O_WRONLY);
    assert_int_equal(pwrite(fd, "after the hole\n", 15, 10 * 1024 * 1024), 15);
    close(fd);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.lines[0], "after the hole");
    assert_int_equal(c.too_long, 0);
    assert_true(tailer_held_bytes(t) <= 256); /* the hole was never held */
    tailer_free(t);
    tail_buf_free(&rb);
}

/* Truncated and regrown past the offset before tokentail looked. */
static void test_rewritten(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    (void)state;
    append("{\"seq\": 1}\n{\"seq\": 2}\n");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 2);
    truncate_to("{\"seq\": 3}\n{\"seq\": 4}\n{\"seq\": 5}\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.lines[2], "{\"seq\": 3}");
    assert_int_equal(stats(t).truncations, 1);
    /* The old content's mark is kept for whoever continues it. */
    struct tail_mark retired;
    assert_true(tailer_take_retired(t, &retired));
    assert_int_equal(retired.offset, 22);
    assert_int_equal(retired.tail_len, 22);
    assert_memory_equal(retired.tail, "{\"seq\": 1}\n{\"seq\": 2}\n", 22);
    tailer_free(t);
    tail_buf_free(&rb);
}

static void test_marks(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t, *u;
    struct tail_mark m;
    (void)state;
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "{\"seq\": %03d, \"pad\": \"xxxxxxxxxx\"}\n", i);
    fputs("{\"half", f);
    fclose(f);
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 200);
    tailer_mark(t, &m);
    assert_int_equal(m.offset, 200 * 34);
    assert_int_equal(m.head_len, TAILER_HEAD_BYTES);
    assert_int_equal(m.tail_len, TAILER_TAIL_BYTES);

    /* The same file fits its mark and continues there. */
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &u), 0);
    uint32_t tl, ul;
    uint64_t th, uh;
    tailer_head(t, &tl, &th);
    tailer_head(u, &ul, &uh);
    assert_true(uh == th);
    assert_true(tailer_fits_mark(u, &m));
    tailer_seek_mark(u, &m);
    append("\"}\n");
    c.n = 0;
    tailer_read(u, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.lines[0], "{\"half\"}");
    tailer_free(u);

    /* A file with other bytes before the offset does not. */
    truncate_to("something else entirely\n");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &u), 0);
    assert_false(tailer_fits_mark(u, &m));
    tailer_free(u);
    tailer_free(t);
    tail_buf_free(&rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_partial_lines, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_too_long, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_from_end, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_truncation, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_budget, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_nul_padding, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_rewritten, make_file, remove_file),
        cmocka_unit_test_setup_teardown(test_marks, make_file, remove_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
