/*
 * Valued flags (cliflag.h): both spellings, a value missing at the end,
 * and the arguments that are not the flag asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cliflag.h"

static void test_spellings(void **state)
{
    (void)state;
    char *argv[] = {"tokentail", "--url=http://a", "--url",
                    "http://b",  "--url=",         NULL};
    bool missing = false;
    int i = 1;
    assert_string_equal(cliflag_value(5, argv, &i, "--url", &missing),
                        "http://a");
    assert_int_equal(i, 1);
    i = 2;
    assert_string_equal(cliflag_value(5, argv, &i, "--url", &missing),
                        "http://b");
    assert_int_equal(i, 3); /* past the value it took */
    i = 4;
    assert_string_equal(cliflag_value(5, argv, &i, "--url", &missing), "");
    assert_false(missing);
}

static void test_not_this_flag(void **state)
{
    (void)state;
    char *argv[] = {"tokentail", "--urls=x", "--ur", "-u", "--url", NULL};
    bool missing = false;
    for (int k = 1; k <= 3; k++) {
        int i = k;
        assert_null(cliflag_value(5, argv, &i, "--url", &missing));
        assert_int_equal(i, k);
    }
    int i = 5; /* argv[argc] is NULL */
    assert_null(cliflag_value(5, argv, &i, "--url", &missing));
    assert_false(missing);

    i = 4; /* the last argument: its value is missing */
    assert_null(cliflag_value(5, argv, &i, "--url", &missing));
    assert_true(missing);
    assert_int_equal(i, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_not_this_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
