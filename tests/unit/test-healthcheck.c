/*
 * `tokentail healthcheck`'s flags (healthcheck.h): defaults, both spellings
 * of each flag, and the usage errors with their words. The probe itself
 * is driven against a real daemon by tests/integration/test_healthcheck.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "healthcheck.h"

#define ARGS_MAX 16

/* Parses the NULL-terminated arguments after "healthcheck"; returns the
 * code and leaves what was written to err in *msg (caller frees). */
static int parse(struct healthcheck_options *o, char **msg, char *const *args)
{
    char *argv[ARGS_MAX] = {"healthcheck"};
    int argc = 1;
    while (args[argc - 1] != NULL && argc < ARGS_MAX) {
        argv[argc] = args[argc - 1];
        argc++;
    }
    size_t len;
    FILE *err = open_memstream(msg, &len);
    assert_non_null(err);
    int rc = healthcheck_parse(argc, argv, o, err);
    fclose(err);
    return rc;
}

static void test_defaults(void **state)
{
    (void)state;
    struct healthcheck_options o;
    char *msg;
    assert_int_equal(parse(&o, &msg, (char *[]){NULL}), 0);
    assert_string_equal(msg, "");
    free(msg);
    assert_string_equal(o.url, "http://127.0.0.1:8653/health");
    assert_int_equal(o.timeout_ms, 5000);
    assert_string_equal(o.timeout, "5s");
    assert_false(o.insecure_skip_verify);
    assert_null(o.ca_file);
    assert_null(o.user);
    assert_null(o.password_file);
    assert_false(o.help);
}

static void test_every_flag(void **state)
{
    (void)state;
    struct healthcheck_options o;
    char *msg;
    char *args[] = {"--url=https://[::1]:9000/health",
                    "--timeout",
                    "1m30s",
                    "--ca-file=/ca.pem",
                    "--insecure-skip-verify",
                    "--basic-auth-user",
                    "probe",
                    "--basic-auth-password-file=/run/pw",
                    NULL};
    assert_int_equal(parse(&o, &msg, args), 0);
    free(msg);
    assert_string_equal(o.url, "https://[::1]:9000/health");
    assert_int_equal(o.timeout_ms, 90000);
    assert_string_equal(o.timeout, "1m30s");
    assert_string_equal(o.ca_file, "/ca.pem");
    assert_true(o.insecure_skip_verify);
    assert_string_equal(o.user, "probe");
    assert_string_equal(o.password_file, "/run/pw");

    assert_int_equal(parse(&o, &msg, (char *[]){"--timeout=250ms", "-h", NULL}),
                     0);
    free(msg);
    assert_int_equal(o.timeout_ms, 250);
    assert_true(o.help);
}

static void expect_error(char *arg1, char *arg2, const char *want)
{
    struct healthcheck_options o;
    char *msg;
    assert_int_equal(parse(&o, &msg, (char *[]){arg1, arg2, NULL}), 2);
    char line[512];
    snprintf(line, sizeof(line),
             "tokentail healthcheck: %s\nTry 'tokentail healthcheck --help' "
             "for more information.\n",
             want);
    assert_string_equal(msg, line);
    free(msg);
}

static void test_usage_errors(void **state)
{
    (void)state;
    expect_error("--verbose", NULL, "unknown argument --verbose");
    expect_error("--url", NULL, "a value is missing after --url");
    expect_error("--url=127.0.0.1:8653/health", NULL,
                 "--url must start with http:// or https://: "
                 "127.0.0.1:8653/health");
    expect_error("--timeout=5", NULL,
                 "--timeout needs a duration from 1ms to 24h such as 5s or "
                 "500ms, not 5");
    expect_error("--timeout=0s", NULL,
                 "--timeout needs a duration from 1ms to 24h such as 5s or "
                 "500ms, not 0s");
    expect_error("--timeout=25h", NULL,
                 "--timeout needs a duration from 1ms to 24h such as 5s or "
                 "500ms, not 25h");
    expect_error("--basic-auth-password-file=/pw", NULL,
                 "--basic-auth-password-file needs --basic-auth-user");
    expect_error("healthy", NULL, "unknown argument healthy");
}

static void expect_describe(const char *body, const char *want)
{
    struct buf out = {0};
    healthcheck_describe(body, strlen(body), &out);
    buf_putc(&out, '\0');
    assert_false(out.oom);
    assert_string_equal(out.data, want);
    buf_free(&out);
}

/* The verdict line's words from the answer: the /health document's
 * status and reasons, or the first line of another body. */
static void test_describe(void **state)
{
    (void)state;
    expect_describe("", "");
    expect_describe("{\"status\":\"healthy\",\"state\":{\"error\":null},"
                    "\"inputs\":[{\"name\":\"app\",\"errors\":[]}]}\n",
                    ": healthy");
    expect_describe(
        "{\"status\":\"degraded\",\"version\":\"0.1.0\",\"state\":"
        "{\"file\":\"/x/s.db\",\"error\":\"cannot open \\\"/x/s.db\\\"\"},"
        "\"inputs\":[{\"name\":\"app\",\"paths\":[\"/l/*.log\"],\"files\":[],"
        "\"errors\":[{\"path\":\"/l/a.log\",\"error\":\"Permission denied\"},"
        "{\"path\":\"/l/b.log\",\"error\":\"Permission denied\"}]},"
        "{\"name\":\"nginx\",\"errors\":[{\"path\":\"/n/c.log\",\"error\":"
        "\"Is a directory\"}]}]}",
        ": degraded: state: cannot open \"/x/s.db\"; input app: /l/a.log: "
        "Permission denied; input app: /l/b.log: Permission denied; and 1 "
        "more");
    expect_describe("{\"status\":\"degraded\",\"state\":{\"error\":null},"
                    "\"inputs\":[{\"errors\":[{\"error\":\"x\"}]}]}",
                    ": degraded");
    expect_describe("{\"status\":\"bad\\nline\\u0007\"}", ": bad?line?");
    expect_describe("{\"other\":1}", "");
    /* Keys without values, which jsmn does not refuse: no status. */
    expect_describe("{\"status\",\"degraded\",\"x\":1}", "");
    expect_describe("{\"x\":1,\"status\"}", "");
    expect_describe("401 Unauthorized\r\nmore\n", ": 401 Unauthorized");
    expect_describe("{\"status\":", ": {\"status\":");

    char long_line[300];
    memset(long_line, 'x', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    long_line[199] = (char)0xC3; /* a two-byte character across the cut */
    long_line[200] = (char)0xA9;
    struct buf out = {0};
    healthcheck_describe(long_line, strlen(long_line), &out);
    assert_int_equal(out.len, 2 + 199);
    buf_free(&out);
}

/* The probe's own failures before any request: exit 1, one line. */
static void test_password_file_unreadable(void **state)
{
    (void)state;
    char *argv[] = {"healthcheck", "--basic-auth-user=u",
                    "--basic-auth-password-file=/nonexistent/pw"};
    char *out, *err;
    size_t n_out, n_err;
    FILE *fo = open_memstream(&out, &n_out), *fe = open_memstream(&err, &n_err);
    assert_int_equal(healthcheck_main(3, argv, fo, fe), 1);
    fclose(fo);
    fclose(fe);
    assert_string_equal(out, "");
    assert_string_equal(err, "tokentail healthcheck: cannot read "
                             "/nonexistent/pw: No such file or directory\n");
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_password_file_unreadable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
