/*
 * The /health document, byte for byte, from inputs scanned once on a
 * temporary directory (no loop, no watch) and state figures set by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "health.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

#define PATH_BYTES 128
#define DOC_BYTES  2048

/* 2023-11-14T22:13:20Z */
#define SOME_CHECKPOINT ((time_t)1700000000)

struct fixture {
    char dir[64];
    char files[3][PATH_BYTES]; /* made in dir, removed at the end */
    size_t n_files;
    struct config *cfg;
    struct input *inputs[2];
    struct tail_buf rb;
    struct tail_sink sink; /* never called: nothing is read */
    struct state_stats state;
    struct health_sources src;
};

static const char *make_file(struct fixture *f, const char *name,
                             const char *text)
{
    char *path = f->files[f->n_files++];
    char made[PATH_BYTES];
    snprintf(made, sizeof(made), "%s/%s", f->dir, name);
    memcpy(path, made, sizeof(made));
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
    return path;
}

/* Two inputs: "app" on dir/ *.log, "web" on dir/web/ *.log (absent). */
static void fixture_new(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tokentail-health-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "inputs:\n"
             "  - {name: app, paths: ['%s/*.log'], start_at: beginning}\n"
             "  - {name: web, paths: ['%s/web/*.log', '%s/w.txt']}\n"
             "metrics:\n"
             "  - {name: lines_total, type: counter}\n",
             f->dir, f->dir, f->dir);
    struct buf errors = {0};
    if (config_load_text("t.yaml", yaml, strlen(yaml), &f->cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(input_new(&f->cfg->inputs[i], NULL, NULL, &f->rb,
                                   &f->sink, &f->inputs[i]),
                         0);
    f->src = (struct health_sources){
        .cfg = f->cfg,
        .inputs = f->inputs,
        .n_inputs = 2,
        .state = &f->state,
        .state_path = "/var/lib/tokentail/tokentail.db",
        .state_error = "",
        .uptime_ms = 12345,
    };
}

static void fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < 2; i++)
        input_free(f->inputs[i]);
    config_free(f->cfg);
    tail_buf_free(&f->rb);
    for (size_t i = 0; i < f->n_files; i++)
        unlink(f->files[i]);
    rmdir(f->dir);
}

static void scan(struct fixture *f)
{
    for (size_t i = 0; i < 2; i++)
        input_scan(f->inputs[i], INPUT_SCAN_ONCE);
}

/* Writes the document; checks it is want and whether it says healthy. */
static void assert_document(struct fixture *f, const char *want, bool healthy)
{
    struct buf b = {0};
    assert_int_equal(health_write(&f->src, &b), healthy);
    buf_putc(&b, '\0');
    assert_false(b.oom);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_healthy(void **state)
{
    struct fixture f;
    char want[DOC_BYTES];
    (void)state;
    fixture_new(&f);
    const char *a = make_file(&f, "a.log", "123456789\n");
    scan(&f);
    f.state.last_time = SOME_CHECKPOINT;
    snprintf(
        want, sizeof(want),
        "{\"status\":\"healthy\",\"version\":\"" TOKENTAIL_VERSION "\","
        "\"uptime_seconds\":12.345,\"state\":{"
        "\"file\":\"/var/lib/tokentail/tokentail.db\","
        "\"last_checkpoint\":\"2023-11-14T22:13:20Z\",\"error\":null},"
        "\"inputs\":["
        "{\"name\":\"app\",\"paths\":[\"%s/*.log\"],\"unmatched\":[],"
        "\"lag\":10,\"files\":["
        "{\"path\":\"%s\",\"offset\":0,\"pending\":0,\"size\":10,\"lag\":10,"
        "\"last_read\":null,\"rotated\":false}],\"errors\":[]},"
        "{\"name\":\"web\",\"paths\":[\"%s/web/*.log\",\"%s/w.txt\"],"
        "\"unmatched\":[\"%s/web/*.log\",\"%s/w.txt\"],"
        "\"lag\":0,\"files\":[],\"errors\":[]}]}\n",
        f.dir, a, f.dir, f.dir, f.dir, f.dir);
    assert_document(&f, want, true);
    fixture_free(&f);
}

/* A path that exists but cannot be followed, and a state that cannot be
 * used: each makes the daemon degraded, and says why. */
static void test_degraded(void **state)
{
    struct fixture f;
    char want[DOC_BYTES], loop[PATH_BYTES];
    (void)state;
    fixture_new(&f);
    make_file(&f, "b\"c.log", "12\n");
    snprintf(loop, sizeof(loop), "%s/loop.log", f.dir);
    assert_int_equal(symlink("loop.log", loop), 0);
    snprintf(f.files[f.n_files++], PATH_BYTES, "%s", loop);
    scan(&f);
    f.src.uptime_ms = 5;
    f.src.state_path = "";
    f.src.state_error = "unable to open \"database\" file";
    snprintf(
        want, sizeof(want),
        "{\"status\":\"degraded\",\"version\":\"" TOKENTAIL_VERSION "\","
        "\"uptime_seconds\":0.005,\"state\":{\"file\":\"\","
        "\"last_checkpoint\":null,"
        "\"error\":\"unable to open \\\"database\\\" file\"},"
        "\"inputs\":["
        "{\"name\":\"app\",\"paths\":[\"%s/*.log\"],\"unmatched\":[],"
        "\"lag\":3,\"files\":["
        "{\"path\":\"%s/b\\\"c.log\",\"offset\":0,\"pending\":0,\"size\":3,"
        "\"lag\":3,\"last_read\":null,\"rotated\":false}],"
        "\"errors\":[{\"path\":\"%s\","
        "\"error\":\"Too many levels of symbolic links\"}]},"
        "{\"name\":\"web\",\"paths\":[\"%s/web/*.log\",\"%s/w.txt\"],"
        "\"unmatched\":[\"%s/web/*.log\",\"%s/w.txt\"],"
        "\"lag\":0,\"files\":[],\"errors\":[]}]}\n",
        f.dir, f.dir, loop, f.dir, f.dir, f.dir, f.dir);
    assert_document(&f, want, false);

    /* Either alone is enough; once the path is gone, the input is fine. */
    struct buf doc = {0};
    f.src.state_error = "";
    assert_false(health_write(&f.src, &doc));
    buf_free(&doc);
    unlink(loop);
    scan(&f);
    assert_true(health_write(&f.src, &doc));
    buf_free(&doc);
    f.src.state_error = "disk full";
    assert_false(health_write(&f.src, &doc));
    buf_free(&doc);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_degraded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
