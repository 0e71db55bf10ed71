#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "interleave.h"
#include "tailer.h"

struct collected {
    char lines[64][64];
    size_t n;
    size_t too_long;
    size_t incomplete;
    size_t bad_envelope;
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
    else
        c->bad_envelope++;
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
    while (tailer_read(t, &rb, 1, &sink) > 0)
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

/* --- container streams --------------------------------------------------- */

/* Appends records [from, to) of f to the file, in one write. */
static void append_records(const struct il_file *f, size_t from, size_t to)
{
    char text[IL_MAX_RECORDS * IL_RECORD_MAX];
    il_text(f, from, to, text, sizeof(text));
    append(text);
}

/*
 * Reads the records of f from a fresh file into c, as the daemon would
 * if it were killed right after a checkpoint taken once records
 * cuts[0], cuts[1], ... had been written and read: each time a mark,
 * then a new tailer that fits it and continues there. Returns the last
 * tailer's mark in *last (when not NULL).
 */
static void read_with_restarts(const struct il_file *f, const size_t *cuts,
                               size_t n_cuts, size_t max_line,
                               struct collected *c, struct tail_mark *last)
{
    struct tail_sink sink = {on_line, on_skip, c};
    struct tail_buf rb = {0};
    struct tail_mark m;
    size_t at = 0;
    truncate_to("");
    for (size_t k = 0; k <= n_cuts; k++) {
        size_t upto = k < n_cuts ? cuts[k] : f->n;
        struct tailer *t;
        append_records(f, at, upto);
        at = upto;
        assert_int_equal(tailer_open(path, TAIL_START_BEGINNING, max_line,
                                     ENVELOPE_AUTO, &t),
                         0);
        if (k > 0) {
            assert_true(tailer_fits_mark(t, &m));
            tailer_seek_mark(t, &m);
        }
        while (tailer_read(t, &rb, SIZE_MAX, &sink) > 0)
            ;
        tailer_mark(t, &m);
        tailer_free(t);
    }
    if (last != NULL)
        *last = m;
    tail_buf_free(&rb);
}

/* Reads the records of f straight through, without a restart. */
static void read_straight(const struct il_file *f, size_t max_line,
                          struct collected *c, struct tail_mark *last)
{
    const size_t none[1] = {0};
    read_with_restarts(f, none, 0, max_line, c, last);
}

/* Adds a line to those expected. */
static void want_line(struct collected *want, const char *text)
{
    assert_true(want->n < 64);
    snprintf(want->lines[want->n], sizeof(want->lines[0]), "%s", text);
    want->n++;
}

/* The same lines and skips, in the same order. */
static void assert_same(const struct collected *got,
                        const struct collected *want)
{
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        assert_string_equal(got->lines[i], want->lines[i]);
    assert_int_equal(got->too_long, want->too_long);
    assert_int_equal(got->incomplete, want->incomplete);
    assert_int_equal(got->bad_envelope, want->bad_envelope);
}

/*
 * Checks every restart of f: once after each record, and twice, after
 * any two records (the second restart may fall while the first one's
 * pieces are read again). Each must give exactly want.
 */
static void assert_restarts(const struct il_file *f, size_t max_line,
                            const struct collected *want)
{
    for (size_t i = 0; i <= f->n; i++)
        for (size_t j = i; j <= f->n; j++) {
            struct collected c = {0};
            size_t cuts[2] = {i, j};
            read_with_restarts(f, cuts, i == j ? 1 : 2, max_line, &c, NULL);
            assert_same(&c, want);
        }
}

/* Appends a whole line of its own: stream s, one record. */
static void il_whole(struct il_file *f, enum envelope_kind kind,
                     enum envelope_stream s, const char *text)
{
    il_record(f, kind, s, text, strlen(text), true);
}

/*
 * A stdout line in 2-4 pieces and a stderr line in 1-2, their records in
 * every order, between whole lines of both streams, in both envelopes:
 * every line comes out once, whole, whenever the reader restarts.
 */
static void test_streams_every_order(void **state)
{
    static const enum envelope_kind kinds[] = {ENVELOPE_DOCKER, ENVELOPE_CRI};
    struct il_line a = {"{\"seq\": 1, \"msg\": \"the line cut in pieces\"}",
                        ENVELOPE_STDOUT, 0};
    struct il_line b = {"{\"seq\": 2, \"err\": \"an error\"}", ENVELOPE_STDERR,
                        0};
    (void)state;
    for (size_t k = 0; k < 2; k++)
        for (a.pieces = 2; a.pieces <= 4; a.pieces++)
            for (b.pieces = 1; b.pieces <= 2; b.pieces++)
                for (unsigned m = 0; m < 1u << (a.pieces + b.pieces); m++) {
                    if (!il_order(m, a.pieces, b.pieces))
                        continue;
                    struct il_file f = {.n = 0};
                    struct collected want = {0}, got = {0};
                    il_whole(&f, kinds[k], ENVELOPE_STDERR, "{\"seq\": 0}");
                    il_interleave(&f, kinds[k], &a, &b, m);
                    il_whole(&f, kinds[k], ENVELOPE_STDOUT, "{\"seq\": 3}");
                    il_whole(&f, kinds[k], ENVELOPE_STDERR, "{\"seq\": 4}");
                    read_straight(&f, IL_RECORD_MAX, &got, NULL);
                    /* Straight through: the lines as they end. */
                    want_line(&want, "{\"seq\": 0}");
                    bool a_first = il_a_first(m, a.pieces, b.pieces);
                    want_line(&want, a_first ? a.text : b.text);
                    want_line(&want, a_first ? b.text : a.text);
                    want_line(&want, "{\"seq\": 3}");
                    want_line(&want, "{\"seq\": 4}");
                    assert_same(&got, &want);
                    assert_restarts(&f, IL_RECORD_MAX, &want);
                }
}

/* Where a mark stands while pieces wait: at the first piece of the
 * earliest unfinished line, with what each stream delivered. */
static void test_mark_with_pieces(void **state)
{
    struct il_file f = {.n = 0};
    struct collected c = {0};
    struct tail_mark m;
    size_t len[5], at[6] = {0};
    (void)state;
    il_whole(&f, ENVELOPE_CRI, ENVELOPE_STDOUT, "{\"seq\": 0}");
    il_record(&f, ENVELOPE_CRI, ENVELOPE_STDOUT, "{\"seq\":", 7, false);
    il_whole(&f, ENVELOPE_CRI, ENVELOPE_STDERR, "{\"seq\": 2}");
    il_record(&f, ENVELOPE_CRI, ENVELOPE_STDERR, "{\"seq\":", 7, false);
    il_whole(&f, ENVELOPE_CRI, ENVELOPE_STDOUT, "{\"seq\": 4}"); /* odd */
    for (size_t i = 0; i < 5; i++) {
        len[i] = strlen(f.rec[i]);
        at[i + 1] = at[i] + len[i];
    }
    read_straight(&f, 100, &c, &m);
    /* {"seq": 4} ended stdout's unfinished line: "{"seq":{"seq": 4}". */
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[2], "{\"seq\":{\"seq\": 4}");
    assert_int_equal(m.offset, at[3]); /* stderr's piece */
    assert_int_equal(m.done[ENVELOPE_STDOUT], at[5]);
    assert_int_equal(m.done[ENVELOPE_STDERR], at[3]);
    assert_int_equal(m.done[ENVELOPE_NO_STREAM], at[5]);
    assert_int_equal(tail_mark_end(&m), at[5]);
    assert_int_equal(m.tail_len, at[3] < TAILER_TAIL_BYTES
                                     ? at[3]
                                     : (size_t)TAILER_TAIL_BYTES);
    char content[IL_MAX_RECORDS * IL_RECORD_MAX];
    il_text(&f, 0, 5, content, sizeof(content));
    assert_memory_equal(m.tail, content + at[3] - m.tail_len, m.tail_len);
    assert_false(m.discarding);

    /* Both streams waiting: the earlier one's piece. */
    memset(&c, 0, sizeof(c));
    f.n = 4;
    read_straight(&f, 100, &c, &m);
    assert_int_equal(m.offset, at[1]);
    assert_int_equal(m.done[ENVELOPE_STDOUT], at[1]);
    assert_int_equal(m.done[ENVELOPE_STDERR], at[3]);
    assert_int_equal(m.done[ENVELOPE_NO_STREAM], at[4]);

    /* A file shorter than what was read does not fit, even though it
     * holds the bytes before the mark's offset. */
    struct tailer *t;
    truncate_to(f.rec[0]);
    append(f.rec[1]);
    append(f.rec[2]);
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_AUTO, &t), 0);
    assert_false(tailer_fits_mark(t, &m));
    /* Closed with both lines unfinished: each is reported incomplete. */
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    append(f.rec[3]);
    memset(&c, 0, sizeof(c));
    tailer_read(t, &rb, SIZE_MAX, &sink);
    tailer_finish(t, &sink);
    assert_int_equal(c.incomplete, 2);
    tailer_free(t);
    tail_buf_free(&rb);
}

/* Docker's envelope around a piece takes 68 bytes in these tests: over
 * twice that, a record can be within the limit and two pieces over it. */
#define LONG_LIMIT 150

/*
 * Lines over the limit, whichever way: a joined line, a piece whose
 * record alone is over it (CRI: its stream is read from its start), and
 * a Docker record over it (its stream cannot be told: the unfinished
 * line it may belong to goes too). Each is skipped once, whatever the
 * restarts, and the lines around them are delivered once.
 */
static void test_streams_too_long(void **state)
{
    char big[LONG_LIMIT];
    (void)state;
    memset(big, 'x', sizeof(big));
    for (int kind = ENVELOPE_DOCKER; kind <= ENVELOPE_CRI; kind++) {
        struct il_file f = {.n = 0};
        struct collected want = {0}, got = {0};
        enum envelope_kind k = (enum envelope_kind)kind;
        /* Each record within the limit, envelope and all; joined, over. */
        il_record(&f, k, ENVELOPE_STDOUT, big, LONG_LIMIT / 2 + 5, false);
        il_whole(&f, k, ENVELOPE_STDERR, "e1");
        il_record(&f, k, ENVELOPE_STDOUT, big, LONG_LIMIT / 2 + 5, false);
        il_whole(&f, k, ENVELOPE_STDERR, "e2");
        il_whole(&f, k, ENVELOPE_STDOUT, "end");
        il_whole(&f, k, ENVELOPE_STDOUT, "o1");
        read_straight(&f, LONG_LIMIT, &got, NULL);
        want_line(&want, "e1");
        want_line(&want, "e2");
        want_line(&want, "o1");
        want.too_long = 1;
        assert_same(&got, &want);
        assert_restarts(&f, LONG_LIMIT, &want);

        /* A stdout record over the limit between two pieces of a stdout
         * line. */
        f.n = 0;
        il_record(&f, k, ENVELOPE_STDERR, "e", 1, false);
        il_record(&f, k, ENVELOPE_STDOUT, "a", 1, false);
        il_record(&f, k, ENVELOPE_STDOUT, big, LONG_LIMIT - 20, false);
        il_whole(&f, k, ENVELOPE_STDERR, "1");
        il_whole(&f, k, ENVELOPE_STDOUT, "end");
        il_whole(&f, k, ENVELOPE_STDOUT, "o1");
        memset(&got, 0, sizeof(got));
        read_straight(&f, LONG_LIMIT, &got, NULL);
        memset(&want, 0, sizeof(want));
        if (k == ENVELOPE_CRI) {
            /* Known to be stdout's: stderr's line is whole. */
            want_line(&want, "e1");
            want_line(&want, "o1");
            want.too_long = 1;
        } else {
            /* Either line may have lost it: both go, and it is counted
             * on its own. */
            want_line(&want, "o1");
            want.too_long = 3;
        }
        assert_same(&got, &want);
        assert_restarts(&f, LONG_LIMIT, &want);
    }
}

/*
 * copytruncate while a stdout line waits for its last piece: the copy
 * continues from the old content's mark, joins the line again from its
 * first piece, and drops the stderr line read before.
 */
static void test_pieces_in_copy(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t, *u;
    struct tail_mark retired;
    char copy[80];
    (void)state;
    append("2025-11-13T10:30:00Z stdout P {\"seq\": 1, \n"
           "2025-11-13T10:30:01Z stderr F {\"seq\": 2}\n");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_AUTO, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 1);
    append("2025-11-13T10:30:02Z stdout F \"v\": 1}\n"); /* not read */
    snprintf(copy, sizeof(copy), "%s.1", path);
    FILE *from = fopen(path, "r"), *to = fopen(copy, "w");
    int ch;
    while ((ch = fgetc(from)) != EOF)
        fputc(ch, to);
    fclose(from);
    fclose(to);
    truncate_to("2025-11-13T10:30:03Z stdout F {\"seq\": 3}\n");
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_true(tailer_take_retired(t, &retired));
    assert_int_equal(retired.offset, 0); /* the unfinished line's start */
    assert_int_equal(c.n, 2);
    assert_string_equal(c.lines[1], "{\"seq\": 3}");

    assert_int_equal(
        tailer_open(copy, TAIL_START_BEGINNING, 100, ENVELOPE_AUTO, &u), 0);
    assert_true(tailer_fits_mark(u, &retired));
    tailer_seek_mark(u, &retired);
    tailer_read(u, &rb, SIZE_MAX, &sink);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.lines[2], "{\"seq\": 1, \"v\": 1}");
    assert_int_equal(c.too_long + c.bad_envelope, 0);
    tailer_free(u);
    tailer_free(t);
    unlink(copy);
    tail_buf_free(&rb);
}

/*
 * Moved to a mark, a tailer left to decide its envelope takes the one the
 * file's first line decided, even when the line it starts at is not in
 * it; one given an envelope keeps it.
 */
static void test_mark_keeps_envelope(void **state)
{
    struct collected c = {0};
    struct tail_sink sink = {on_line, on_skip, &c};
    struct tail_buf rb = {0};
    struct tailer *t;
    struct tail_mark m;
    (void)state;
    append("2025-11-13T10:30:00Z stdout F {\"seq\": 1}\n");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_AUTO, &t), 0);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    tailer_mark(t, &m);
    tailer_free(t);
    assert_int_equal(m.envelope, ENVELOPE_CRI);
    append("a line of another writer\n"
           "2025-11-13T10:30:01Z stdout F {\"seq\": 2}\n");
    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_AUTO, &t), 0);
    assert_true(tailer_fits_mark(t, &m));
    tailer_seek_mark(t, &m);
    tailer_read(t, &rb, SIZE_MAX, &sink);
    assert_int_equal(tailer_envelope(t), ENVELOPE_CRI);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.lines[1], "{\"seq\": 2}");
    assert_int_equal(c.bad_envelope, 1);
    tailer_free(t);

    assert_int_equal(
        tailer_open(path, TAIL_START_BEGINNING, 100, ENVELOPE_NONE, &t), 0);
    tailer_seek_mark(t, &m);
    assert_int_equal(tailer_envelope(t), ENVELOPE_NONE);
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
        cmocka_unit_test_setup_teardown(test_streams_every_order, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_mark_with_pieces, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_streams_too_long, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_pieces_in_copy, make_file,
                                        remove_file),
        cmocka_unit_test_setup_teardown(test_mark_keeps_envelope, make_file,
                                        remove_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
