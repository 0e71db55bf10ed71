#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "parser.h"
#include "jsonstr.h"

static const char *names[] = {"level",  "time",      "logger", "message",
                              "status", "http.path", "missing"};
static struct cfg_field fields[7];
static const char *parts[7][2];
static uint32_t lens[7][2];
static struct field_val vals[7];
static struct field_set set = {vals, 7, 0};

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 7; i++) {
        const char *dot = strchr(names[i], '.');
        fields[i].path = names[i];
        fields[i].parts = parts[i];
        fields[i].part_lens = lens[i];
        parts[i][0] = names[i];
        if (dot) {
            lens[i][0] = (uint32_t)(dot - names[i]);
            parts[i][1] = dot + 1;
            lens[i][1] = (uint32_t)strlen(dot + 1);
            fields[i].n_parts = 2;
        } else {
            lens[i][0] = (uint32_t)strlen(names[i]);
            fields[i].n_parts = 1;
        }
    }
    return 0;
}

static enum parse_result parse(struct parser *p, const char *line)
{
    set.gen++;
    return parser_parse(p, line, strlen(line), &set);
}

static const char *get(int i)
{
    static char out[256];
    if (vals[i].gen != set.gen)
        return NULL;
    if (vals[i].escaped) {
        size_t n = json_unescape(vals[i].p, vals[i].len, out);
        out[n] = '\0';
    } else {
        snprintf(out, sizeof(out), "%.*s", (int)vals[i].len, vals[i].p);
    }
    return out;
}

static void test_regex(void **state)
{
    struct parser *p;
    (void)state;
    assert_int_equal(
        regex_parser_new(
            "^\\[(?<level>\\w+)\\] (?<time>[\\d-]+ [\\d:]+) - "
            "(?<logger>\\S+) - (?<message>.*?)(?: status=(?<status>\\d+))?$",
            fields, 7, &p),
        0);
    assert_int_equal(
        parse(p, "[INFO] 2025-10-21 15:42:22 - app.routers.ai - AI chat "
                 "request completed"),
        PARSE_OK);
    assert_string_equal(get(0), "INFO");
    assert_string_equal(get(1), "2025-10-21 15:42:22");
    assert_string_equal(get(2), "app.routers.ai");
    assert_string_equal(get(3), "AI chat request completed");
    assert_null(get(4)); /* an optional group that took no part */
    assert_null(get(5)); /* dotted paths never name a group */
    assert_int_equal(vals[0].type, FIELD_STRING);
    assert_int_equal(parse(p, "[ERROR] 2025-10-21 15:42:23 - x - failed "
                              "status=503"),
                     PARSE_OK);
    assert_string_equal(get(4), "503");
    assert_int_equal(parse(p, "{\"level\": \"INFO\"}"), PARSE_NO_MATCH);
    parser_free(p);
    assert_int_equal(regex_parser_new("(unclosed", fields, 7, &p), -EINVAL);
}

static void test_logfmt(void **state)
{
    struct parser *p;
    (void)state;
    assert_int_equal(logfmt_parser_new(fields, 7, &p), 0);
    assert_int_equal(parse(p,
                           "level=info message=\"request \\\"done\\\"\\n ok\" "
                           "status=200 http.path=/v1/chat debug"),
                     PARSE_OK);
    assert_string_equal(get(0), "info");
    assert_string_equal(get(3), "request \"done\"\n ok");
    assert_true(vals[3].escaped);
    assert_string_equal(get(4), "200");
    assert_string_equal(get(5), "/v1/chat");
    assert_null(get(6));
    /* UTF-8 and an empty value. */
    assert_int_equal(parse(p, "message=\"caf\xc3\xa9\" level= status=1"),
                     PARSE_OK);
    assert_string_equal(get(3), "caf\xc3\xa9");
    assert_string_equal(get(0), "");

    static const char *const bad[] = {
        "just some words",
        "",
        "   ",
        "{\"level\": \"info\"}",
        "level=\"unterminated",
        "=value",
        "level=a\"b",
        "level=\"x\"y",
        "a=b=c",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (parse(p, bad[i]) != PARSE_NOT_LOGFMT)
            fail_msg("accepted: %s", bad[i]);
    parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_logfmt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
