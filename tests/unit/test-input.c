/*
 * The input's scan and placement rules, driven on temporary directories
 * without the event loop: each test builds the files a rule is about,
 * scans, pumps, and checks exactly which lines came out, and where each
 * file stands.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "input.h"
#include "input_files.h"
#include "loop.h"

#define MAX_LINES 4096
#define LINE_LEN  42    /* line_text() and its newline */
#define POLL_US   10000 /* between two looks while polling */
/* Long enough that a file waiting to be told apart from a copy is never
 * decided by the clock while a test looks at it, even under valgrind. */
#define LONG_WAIT_MS 600000

struct sink_log {
    char *lines[MAX_LINES];
    size_t n;
    size_t skipped[3];
};

static void on_line(void *ctx, const char *line, size_t len)
{
    struct sink_log *c = ctx;
    assert_true(c->n < MAX_LINES);
    c->lines[c->n] = strndup(line, len);
    c->n++;
}

static void on_skip(void *ctx, enum tail_skip why)
{
    ((struct sink_log *)ctx)->skipped[why]++;
}

struct fixture {
    char dir[64];
    char glob[128];
    const char *paths[1];
    struct cfg_input cfg;
    struct sink_log got;
    struct tail_sink sink;
    struct tail_buf rb;
    struct input *in;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/tokentail-input-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->glob, sizeof(f->glob), "%s/*.log", f->dir);
    f->paths[0] = f->glob;
    f->cfg = (struct cfg_input){
        .name = "test",
        .paths = f->paths,
        .n_paths = 1,
        .start_at = START_AT_BEGINNING,
        .envelope = ENVELOPE_NONE,
        .max_line_bytes = 1024,
        .rotate_grace_ms = 0,
        .reconcile_ms = 1000,
    };
    f->sink = (struct tail_sink){on_line, on_skip, &f->got};
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void forget_lines(struct fixture *f)
{
    for (size_t i = 0; i < f->got.n; i++)
        free(f->got.lines[i]);
    f->got.n = 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    input_free(f->in);
    tail_buf_free(&f->rb);
    forget_lines(f);
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* --- helpers ------------------------------------------------------------- */

/* Line i of tag: "line 0007 of app      ..................." */
static void line_text(char *out, size_t cap, const char *tag, int i)
{
    snprintf(out, cap, "line %04d of %-8s ...................", i, tag);
}

static void start(struct fixture *f)
{
    assert_int_equal(input_new(&f->cfg, NULL, NULL, &f->rb, &f->sink, &f->in),
                     0);
}

static void path_of(const struct fixture *f, const char *name, char *out,
                    size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

/* Appends lines first..last (inclusive) of tag to the file name. */
static void add_lines(struct fixture *f, const char *name, const char *tag,
                      int first, int last)
{
    char path[256];
    path_of(f, name, path, sizeof(path));
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    for (int i = first; i <= last; i++) {
        char text[LINE_LEN + 1];
        line_text(text, sizeof(text), tag, i);
        fprintf(fp, "%s\n", text);
    }
    fclose(fp);
}

static void write_text(struct fixture *f, const char *name, const char *text,
                       const char *mode)
{
    char path[256];
    path_of(f, name, path, sizeof(path));
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void copy_file(struct fixture *f, const char *from, const char *to,
                      size_t max_bytes)
{
    char a[256], b[256], buf[65536];
    path_of(f, from, a, sizeof(a));
    path_of(f, to, b, sizeof(b));
    FILE *in = fopen(a, "r"), *out = fopen(b, "w");
    assert_non_null(in);
    assert_non_null(out);
    size_t n = fread(buf, 1, sizeof(buf), in);
    if (n > max_bytes)
        n = max_bytes;
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void truncate_file(struct fixture *f, const char *name)
{
    char path[256];
    path_of(f, name, path, sizeof(path));
    assert_int_equal(truncate(path, 0), 0);
}

static void rename_file(struct fixture *f, const char *from, const char *to)
{
    char a[256], b[256];
    path_of(f, from, a, sizeof(a));
    path_of(f, to, b, sizeof(b));
    assert_int_equal(rename(a, b), 0);
}

static void remove_file(struct fixture *f, const char *name)
{
    char path[256];
    path_of(f, name, path, sizeof(path));
    assert_int_equal(unlink(path), 0);
}

/* Reads until nothing is left. */
static void pump(struct fixture *f)
{
    for (int guard = 0; input_pump(f->in, SIZE_MAX); guard++)
        assert_true(guard < 1000);
}

/* What a reconcile does: walk the globs again and look at every file.
 * (Without inotify, nothing else tells the input a file grew.) */
static void reconcile(struct fixture *f)
{
    input_rescan_all(f->in);
    pump(f);
}

/* The lines received, checked exactly: tag's lines first..last in order,
 * then forgotten. */
static void expect_lines(struct fixture *f, const char *tag, int first,
                         int last)
{
    char want[128];
    assert_int_equal(f->got.n, (size_t)(last - first + 1));
    for (int i = first; i <= last; i++) {
        line_text(want, sizeof(want), tag, i);
        assert_string_equal(f->got.lines[i - first], want);
    }
    forget_lines(f);
}

/* Line k received is line i of tag. */
static void expect_line_at(struct fixture *f, size_t k, const char *tag, int i)
{
    char want[128];
    line_text(want, sizeof(want), tag, i);
    assert_true(k < f->got.n);
    assert_string_equal(f->got.lines[k], want);
}

static void expect_none(struct fixture *f)
{
    assert_int_equal(f->got.n, 0);
}

struct found {
    const char *name;
    bool seen;
    struct input_file_info info;
    char copy_of[256];
    char path[256];
};

static void find_file(void *ctx, const struct input_file_info *info)
{
    struct found *w = ctx;
    const char *base = strrchr(info->path, '/');
    base = base ? base + 1 : info->path;
    if (strcmp(base, w->name) != 0)
        return;
    w->seen = true;
    w->info = *info;
    snprintf(w->path, sizeof(w->path), "%s", info->path);
    snprintf(w->copy_of, sizeof(w->copy_of), "%s",
             info->copy_of ? info->copy_of : "");
}

/* The file followed under that name; fails when there is none. */
static struct found file(struct fixture *f, const char *name)
{
    struct found w = {.name = name};
    input_each_file(f->in, find_file, &w);
    assert_true(w.seen);
    return w;
}

static struct input_stats stats(struct fixture *f)
{
    struct input_stats st;
    input_get_stats(f->in, &st);
    return st;
}

/* Positions, as the durable state would save them. */
struct saved {
    uint64_t dev[16], ino[16];
    struct tail_mark mark[16];
    char path[16][256];
    int64_t seen[16];
    size_t n;
};

static int save_one(void *ctx, uint64_t dev, uint64_t ino,
                    const struct tail_mark *m, const char *path,
                    int64_t last_seen)
{
    struct saved *s = ctx;
    assert_true(s->n < 16);
    s->dev[s->n] = dev;
    s->ino[s->n] = ino;
    s->mark[s->n] = *m;
    snprintf(s->path[s->n], sizeof(s->path[0]), "%s", path);
    s->seen[s->n] = last_seen;
    s->n++;
    return 0;
}

static void save(struct fixture *f, struct saved *s)
{
    s->n = 0;
    assert_int_equal(input_each_position(f->in, 1000, save_one, s), 0);
    input_positions_saved(f->in);
}

/* A restart: a new input that knows what s saved. */
static void restart(struct fixture *f, const struct saved *s)
{
    input_free(f->in);
    f->in = NULL;
    start(f);
    for (size_t i = 0; i < s->n; i++)
        assert_int_equal(input_add_record(f->in, s->dev[i], s->ino[i],
                                          &s->mark[i], s->path[i], s->seen[i]),
                         0);
    input_set_history(f->in, true);
}

/* The common start: name holds lines 1..n of tag, read at start-up. */
static void read_new_file(struct fixture *f, const char *name, const char *tag,
                          int n)
{
    add_lines(f, name, tag, 1, n);
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, tag, 1, n);
}

/* --- where a file found at start-up starts ------------------------------- */

/* At the very first start, start_at: end skips what is there, cutting no
 * line: a line being written is read whole once it ends. */
static void test_first_start_at_end(void **state)
{
    struct fixture *f = *state;
    char four[LINE_LEN + 1];
    f->cfg.start_at = START_AT_END;
    add_lines(f, "app.log", "app", 1, 3);
    line_text(four, sizeof(four), "app", 4);
    char head[LINE_LEN + 1];
    memcpy(head, four, 20); /* the first half of line 4: no newline yet */
    head[20] = '\0';
    write_text(f, "app.log", head, "a");
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_none(f);
    assert_int_equal(file(f, "app.log").info.offset, 3 * LINE_LEN);
    write_text(f, "app.log", four + 20, "a");
    write_text(f, "app.log", "\n", "a");
    add_lines(f, "app.log", "app", 5, 5);
    reconcile(f);
    expect_lines(f, "app", 4, 5);
}

static void test_first_start_at_beginning(void **state)
{
    struct fixture *f = *state;
    read_new_file(f, "app.log", "app", 3);
    assert_int_equal(stats(f).files_opened, 1);
}

/* Once the state knows the input, a file it never saw is new: read whole
 * whatever start_at says. */
static void test_known_input_new_file_from_start(void **state)
{
    struct fixture *f = *state;
    struct saved none = {0};
    f->cfg.start_at = START_AT_END;
    add_lines(f, "app.log", "app", 1, 3);
    restart(f, &none);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, "app", 1, 3);
}

/* A file appearing after start-up is new: read from its beginning. */
static void test_later_file_from_start(void **state)
{
    struct fixture *f = *state;
    f->cfg.start_at = START_AT_END;
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    add_lines(f, "new.log", "new", 1, 4);
    input_scan(f->in, INPUT_SCAN_LATER);
    pump(f);
    expect_lines(f, "new", 1, 4);
}

/* --- resuming from saved marks ------------------------------------------- */

static void test_resume_same_inode(void **state)
{
    struct fixture *f = *state;
    struct saved s;
    read_new_file(f, "app.log", "app", 10);
    save(f, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.mark[0].offset, 10 * LINE_LEN);

    add_lines(f, "app.log", "app", 11, 12);
    restart(f, &s);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, "app", 11, 12);
    assert_int_equal(stats(f).resumed, 1);
}

/* Rewritten in place while tokentail was away (same inode, other bytes
 * before the mark): the mark does not fit, the file is read again. */
static void test_rewritten_file_not_resumed(void **state)
{
    struct fixture *f = *state;
    struct saved s;
    read_new_file(f, "app.log", "app", 5);
    save(f, &s);

    truncate_file(f, "app.log");
    add_lines(f, "app.log", "again", 1, 8);
    restart(f, &s);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, "again", 1, 8);
    assert_int_equal(stats(f).resumed, 0);
}

/* copytruncate while tokentail was away: the rotated copy carries the
 * old content and continues from the mark; the truncated original is
 * new. Only the unread lines come out, each once. */
static void test_copytruncate_while_away(void **state)
{
    struct fixture *f = *state;
    struct saved s;
    snprintf(f->glob, sizeof(f->glob), "%s/app.log*", f->dir);
    read_new_file(f, "app.log", "app", 10);
    save(f, &s);

    add_lines(f, "app.log", "app", 11, 12); /* written, not read */
    copy_file(f, "app.log", "app.log.1", SIZE_MAX);
    truncate_file(f, "app.log");
    add_lines(f, "app.log", "next", 1, 1);
    restart(f, &s);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    assert_int_equal(f->got.n, 3);
    assert_int_equal(stats(f).copies, 1);
    assert_int_equal(stats(f).resumed, 1);
    /* Order between files is the scan's; each file's lines in order. */
    size_t at = strstr(f->got.lines[0], " next ") != NULL ? 1 : 0;
    expect_line_at(f, at, "app", 11);
    expect_line_at(f, at + 1, "app", 12);
    expect_line_at(f, at == 0 ? 2 : 0, "next", 1);
    forget_lines(f);
}

/* --- copies -------------------------------------------------------------- */

/* A byte-identical copy of a file being read is a shadow: never read. */
static void test_copy_is_shadow(void **state)
{
    struct fixture *f = *state;
    read_new_file(f, "app.log", "app", 10);

    copy_file(f, "app.log", "copy.log", SIZE_MAX);
    input_scan(f->in, INPUT_SCAN_LATER);
    reconcile(f);
    expect_none(f);
    struct found c = file(f, "copy.log");
    assert_string_equal(c.copy_of, file(f, "app.log").path);
    assert_int_equal(c.info.lag, 0);
    assert_int_equal(stats(f).copies, 1);
    assert_int_equal(stats(f).lag_bytes, 0);
}

/* Starts shorter than TAILER_MIN_COPY_BYTES are alike by chance too
 * often: two short files with the same bytes are both read. */
static void test_short_files_are_not_copies(void **state)
{
    struct fixture *f = *state;
    add_lines(f, "a.log", "same", 1, 3);
    add_lines(f, "b.log", "same", 1, 3);
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    assert_int_equal(f->got.n, 6);
    forget_lines(f);
    assert_int_equal(stats(f).copies, 0);
}

/* copytruncate while followed: the copy is a shadow until the original
 * is found truncated; then it continues from where the original stood,
 * and the original is read again from its start. */
static void test_shadow_continues_after_truncation(void **state)
{
    struct fixture *f = *state;
    snprintf(f->glob, sizeof(f->glob), "%s/app.log*", f->dir);
    read_new_file(f, "app.log", "app", 10);

    add_lines(f, "app.log", "app", 11, 12); /* not read yet */
    copy_file(f, "app.log", "app.log.1", SIZE_MAX);
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_true(file(f, "app.log.1").copy_of[0] != '\0');
    truncate_file(f, "app.log");
    add_lines(f, "app.log", "next", 1, 1);
    reconcile(f);
    assert_int_equal(f->got.n, 3);
    expect_line_at(f, 0, "next", 1);
    expect_line_at(f, 1, "app", 11);
    expect_line_at(f, 2, "app", 12);
    forget_lines(f);
    assert_int_equal(file(f, "app.log.1").copy_of[0], '\0');
    assert_int_equal(stats(f).truncations, 1);
}

/* The original deleted: read to its end, then its copy takes over where
 * it stopped, so what the writer adds to the copy is read once. */
static void test_shadow_continues_after_close(void **state)
{
    struct fixture *f = *state;
    read_new_file(f, "app.log", "app", 10);

    add_lines(f, "app.log", "app", 11, 12);
    copy_file(f, "app.log", "copy.log", SIZE_MAX);
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_true(file(f, "copy.log").copy_of[0] != '\0');
    remove_file(f, "app.log");
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_int_equal(stats(f).rotations, 1);
    pump(f);
    expect_lines(f, "app", 11, 12);
    input_close_rotated(f->in);
    assert_int_equal(stats(f).files, 1);
    assert_int_equal(file(f, "copy.log").copy_of[0], '\0');
    add_lines(f, "copy.log", "app", 13, 13);
    reconcile(f);
    expect_lines(f, "app", 13, 13);
}

/* --- files that may be copies still being written ------------------------ */

/* Its bytes so far begin a longer file being read: it waits unread; once
 * it matches that file's head it is a shadow. */
static void test_half_copy_becomes_shadow(void **state)
{
    struct fixture *f = *state;
    f->cfg.rotate_grace_ms = LONG_WAIT_MS;
    read_new_file(f, "app.log", "app", 15);

    copy_file(f, "app.log", "copy.log", 7 * LINE_LEN);
    input_scan(f->in, INPUT_SCAN_LATER);
    reconcile(f);
    expect_none(f);
    assert_true(file(f, "copy.log").info.undecided);
    assert_int_equal(file(f, "copy.log").info.lag, 0);

    copy_file(f, "app.log", "copy.log", SIZE_MAX);
    reconcile(f);
    expect_none(f);
    assert_false(file(f, "copy.log").info.undecided);
    assert_true(file(f, "copy.log").copy_of[0] != '\0');
}

/* Bytes that part from the file it began like: a new file, read whole. */
static void test_half_copy_diverges(void **state)
{
    struct fixture *f = *state;
    f->cfg.rotate_grace_ms = LONG_WAIT_MS;
    read_new_file(f, "app.log", "app", 15);

    copy_file(f, "app.log", "other.log", 7 * LINE_LEN);
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_true(file(f, "other.log").info.undecided);
    add_lines(f, "other.log", "other", 8, 9);
    reconcile(f);
    assert_false(file(f, "other.log").info.undecided);
    assert_int_equal(f->got.n, 9);
    assert_string_equal(f->got.lines[8],
                        "line 0009 of other    ...................");
    forget_lines(f);
}

/* Still a prefix when the wait is over: a new file after all. */
static void test_half_copy_times_out(void **state)
{
    struct fixture *f = *state;
    read_new_file(f, "app.log", "app", 15);

    copy_file(f, "app.log", "copy.log", 7 * LINE_LEN);
    input_scan(f->in, INPUT_SCAN_LATER);
    uint64_t deadline = loop_now_ms() + 30 * INPUT_MIN_DECIDE_MS;
    while (file(f, "copy.log").info.undecided) {
        assert_true(loop_now_ms() < deadline);
        usleep(POLL_US);
        reconcile(f);
    }
    expect_lines(f, "app", 1, 7);
}

/* --- rotation ------------------------------------------------------------ */

/* Renamed out of the glob: read to its end (the writer may still add),
 * closed after the grace period, and its position remembered. */
static void test_renamed_away(void **state)
{
    struct fixture *f = *state;
    struct saved s;
    read_new_file(f, "app.log", "app", 3);

    rename_file(f, "app.log", "app.1");
    add_lines(f, "app.1", "app", 4, 5);
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_true(file(f, "app.1").info.rotated);
    pump(f);
    expect_lines(f, "app", 4, 5);
    input_close_rotated(f->in);
    assert_int_equal(stats(f).files, 0);
    assert_int_equal(stats(f).rotations, 1);
    assert_int_equal(stats(f).files_closed, 1);
    save(f, &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.mark[0].offset, 5 * LINE_LEN);
    char want[256];
    path_of(f, "app.1", want, sizeof(want));
    assert_string_equal(s.path[0], want);
}

/* Deleted while open: read to its end and closed; nothing to remember. */
static void test_deleted_while_open(void **state)
{
    struct fixture *f = *state;
    struct saved s;
    read_new_file(f, "app.log", "app", 3);
    remove_file(f, "app.log");
    input_scan(f->in, INPUT_SCAN_LATER);
    input_close_rotated(f->in);
    assert_int_equal(stats(f).files, 0);
    save(f, &s);
    assert_int_equal(s.n, 0);
}

/* Truncated in place while followed: read again from its start. */
static void test_truncated_in_place(void **state)
{
    struct fixture *f = *state;
    read_new_file(f, "app.log", "app", 10);
    truncate_file(f, "app.log");
    add_lines(f, "app.log", "after", 1, 2);
    reconcile(f);
    expect_lines(f, "after", 1, 2);
    assert_int_equal(stats(f).truncations, 1);
}

/* --- paths --------------------------------------------------------------- */

/* One inode by two paths (a symlink, overlapping globs): one file. */
static void test_two_paths_one_file(void **state)
{
    struct fixture *f = *state;
    char target[256], link[256];
    add_lines(f, "app.log", "app", 1, 2);
    path_of(f, "app.log", target, sizeof(target));
    path_of(f, "link.log", link, sizeof(link));
    assert_int_equal(symlink(target, link), 0);
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, "app", 1, 2);
    assert_int_equal(stats(f).files, 1);
}

/* A glob deeper than any fixed limit is walked whole. */
static void test_deep_glob(void **state)
{
    struct fixture *f = *state;
    char path[2048];
    size_t n = (size_t)snprintf(path, sizeof(path), "%s", f->dir);
    for (int i = 0; i < 300; i++) {
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/d");
        assert_int_equal(mkdir(path, 0700), 0);
    }
    snprintf(path + n, sizeof(path) - n, "/deep.log");
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("line 0001 of deep     ...................\n", fp);
    fclose(fp);
    snprintf(path + n, sizeof(path) - n, "/*.log");
    f->paths[0] = path;
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    expect_lines(f, "deep", 1, 1);
}

/* A path that exists but cannot be read is an error of the scan, kept
 * until a scan succeeds; a path that does not exist yet is not. */
static void test_unreadable_path_is_an_error(void **state)
{
    struct fixture *f = *state;
    if (geteuid() == 0)
        skip(); /* root reads everything */
    add_lines(f, "app.log", "app", 1, 1);
    char path[256];
    path_of(f, "app.log", path, sizeof(path));
    assert_int_equal(chmod(path, 0), 0);
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    assert_int_equal(stats(f).path_errors, 1);
    assert_int_equal(chmod(path, 0600), 0);
    input_scan(f->in, INPUT_SCAN_LATER);
    assert_int_equal(stats(f).path_errors, 0);
}

/* Lag is the bytes not read yet of files that are read, the same in the
 * total and per file. */
static void test_lag(void **state)
{
    struct fixture *f = *state;
    add_lines(f, "app.log", "app", 1, 10);
    start(f);
    input_scan(f->in, INPUT_SCAN_STARTUP);
    pump(f);
    forget_lines(f);
    add_lines(f, "app.log", "app", 11, 13);
    assert_int_equal(stats(f).lag_bytes, 3 * LINE_LEN);
    assert_int_equal(file(f, "app.log").info.lag, 3 * LINE_LEN);
    reconcile(f);
    expect_lines(f, "app", 11, 13);
    assert_int_equal(stats(f).lag_bytes, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_first_start_at_end),
        T(test_first_start_at_beginning),
        T(test_known_input_new_file_from_start),
        T(test_later_file_from_start),
        T(test_resume_same_inode),
        T(test_rewritten_file_not_resumed),
        T(test_copytruncate_while_away),
        T(test_copy_is_shadow),
        T(test_short_files_are_not_copies),
        T(test_shadow_continues_after_truncation),
        T(test_shadow_continues_after_close),
        T(test_half_copy_becomes_shadow),
        T(test_half_copy_diverges),
        T(test_half_copy_times_out),
        T(test_renamed_away),
        T(test_deleted_while_open),
        T(test_truncated_in_place),
        T(test_two_paths_one_file),
        T(test_deep_glob),
        T(test_unreadable_path_is_an_error),
        T(test_lag),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
