/*
 * The configuration's status: the file's SHA-256, what a failed load
 * leaves in force, the "config" member of /health, and the two gauges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_status.h"
#include "expfmt.h"
#include "helpers.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_hash(void **state)
{
    struct tmp *t = *state;
    char path[160], hex[CONFIG_STATUS_HASH_HEX + 1];
    snprintf(path, sizeof(path), "%s/abc", t->dir);
    write_file(path, "abc");
    assert_int_equal(config_status_hash(path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof(path), "%s/none", t->dir);
    assert_int_equal(config_status_hash(path, hex), -ENOENT);
}

#define INPUTS "inputs:\n  - {name: x, paths: [/nonexistent/x.log]}\n"
static const char good[] =
    INPUTS "metrics:\n  - {name: a_total, type: counter}\n";
static const char bad[] =
    INPUTS "metrics:\n  - {name: a_total, type: counter}\n"
           "bogus: 1\n"
           "also: 2\n";

static void test_load(void **state)
{
    struct tmp *t = *state;
    struct config_status st = {0};
    struct config *cfg = NULL;
    struct buf errors = {0}, json = {0};
    char path[160], want[1024], hex[CONFIG_STATUS_HASH_HEX + 1],
        sha[CONFIG_STATUS_HASH_HEX + 1];
    snprintf(path, sizeof(path), "%s/t.yaml", t->dir);
    write_file(path, good);
    assert_int_equal(config_status_hash(path, hex), 0);
    assert_int_equal(config_status_start(&st, path, 1764000000123), 0);
    assert_true(st.last_ok);
    assert_string_equal(st.sha256, hex);
    assert_string_equal(st.path, path);

    /* A bad file: every error counted, the one in force still shown. */
    write_file(path, bad);
    assert_int_equal(config_status_load(&st, path, &cfg, sha, &errors), -1);
    assert_non_null(strstr(errors.data, "t.yaml:5:1: "));
    assert_false(st.last_ok);
    assert_int_equal(st.last_errors, 2);
    config_status_json(&st, &json);
    snprintf(want, sizeof(want),
             "\"config\":{\"file\":\"%s\",\"sha256\":\"%s\","
             "\"loaded_at\":\"2025-11-24T16:00:00Z\",\"loaded_at_unix\":"
             "1764000000,\"reloads\":1,\"last_reload_successful\":false,"
             "\"last_reload_errors\":2}",
             path, hex);
    assert_string_equal(json.data, want);

    /* The gauges read the status as it is at each collection. */
    struct registry *reg;
    struct selfmetrics *sm;
    struct buf out = {0};
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    assert_int_equal(config_status_selfmetrics(&st, sm), 0);
    struct self_sources src = {0};
    selfmetrics_collect(sm, &src);
    expfmt_write(reg, &out);
    assert_non_null(
        strstr(out.data, "\ntokentail_config_last_reload_successful 0\n"));
    assert_non_null(strstr(out.data, "\ntokentail_config_last_reload_success_"
                                     "timestamp_seconds 1764000000.123\n"));
    buf_free(&out);
    selfmetrics_free(sm);
    registry_free(reg);

    /* A good one is loaded, then put in force. */
    write_file(path, good);
    assert_int_equal(config_status_load(&st, path, &cfg, sha, &errors), 0);
    config_free(cfg);
    assert_false(st.last_ok);
    assert_string_equal(sha, hex);
    config_status_in_force(&st, sha, 1764000999000);
    assert_true(st.last_ok);
    assert_int_equal(st.last_errors, 0);
    assert_int_equal(st.reloads, 2);
    assert_int_equal(st.loaded_ms, 1764000999000);

    buf_free(&json);
    buf_free(&errors);
    config_status_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hash, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(test_load, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
