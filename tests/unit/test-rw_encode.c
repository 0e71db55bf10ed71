/*
 * The snapshot and the encoder: the exposition read back into series
 * (escapes undone, labels sorted, external labels added unless the series
 * has its own), and the body decoded again with snappy and protobuf-c,
 * compared field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <snappy-c.h>

#include "remote.pb-c.h"
#include "rw_encode.h"

static const char text[] =
    "# HELP app_requests_total Requests.\n"
    "# TYPE app_requests_total counter\n"
    "app_requests_total{status=\"200\",model=\"gpt-\\\"4\\\"\\nx\\\\\"} 3\n"
    "app_requests_total{status=\"500\",model=\"\"} 0.1\n"
    "# TYPE app_duration_seconds histogram\n"
    "app_duration_seconds_bucket{le=\"+Inf\"} 12\n"
    "app_duration_seconds_sum 123456789012.000000000001\n"
    "up 1\n";

static const struct cfg_pair ext[] = {{"cluster", "c1"}, {"status", "ext"}};

static const char *label(const struct rw_snapshot *s, size_t i,
                         const char *name)
{
    const struct rw_series *se = &s->series[i];
    for (size_t k = 0; k < se->n_labels; k++)
        if (strcmp(s->labels[se->first + k].name, name) == 0)
            return s->labels[se->first + k].value;
    return NULL;
}

static void test_snapshot(void **state)
{
    struct rw_snapshot s = {0};
    (void)state;
    assert_int_equal(rw_snapshot_read(&s, text, strlen(text), ext, 2), 0);
    assert_int_equal(s.n_series, 5);
    /* Labels sorted by name: __name__ after upper case, before the rest. */
    const struct rw_series *se = &s.series[0];
    assert_int_equal(se->n_labels, 4);
    assert_string_equal(s.labels[se->first].name, "__name__");
    assert_string_equal(s.labels[se->first + 1].name, "cluster");
    assert_string_equal(s.labels[se->first + 2].name, "model");
    assert_string_equal(s.labels[se->first + 3].name, "status");
    assert_string_equal(label(&s, 0, "__name__"), "app_requests_total");
    assert_string_equal(label(&s, 0, "model"), "gpt-\"4\"\nx\\");
    /* The series' own label wins over the external one. */
    assert_string_equal(label(&s, 0, "status"), "200");
    assert_true(s.series[0].value == 3.0);
    assert_string_equal(label(&s, 1, "model"), "");
    assert_true(s.series[1].value == 0.1);
    assert_string_equal(label(&s, 2, "le"), "+Inf");
    assert_string_equal(label(&s, 2, "status"), "ext");
    assert_true(s.series[3].value == 123456789012.0);
    assert_string_equal(label(&s, 4, "__name__"), "up");
    assert_int_equal(s.series[4].n_labels, 3);
    rw_snapshot_clear(&s);
    assert_null(s.text);
}

static void test_bad_lines(void **state)
{
    static const char *const bad[] = {
        "x{a=\"1\"\n",      "x{a=1} 2\n",    "x\n",
        "x{a=\"1\"} two\n", "{a=\"1\"} 2\n", "x{a=\"1} 2\n",
    };
    struct rw_snapshot s = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(rw_snapshot_read(&s, bad[i], strlen(bad[i]), NULL, 0),
                         -EINVAL);
        assert_int_equal(s.n_series, 0);
    }
    /* A timestamp after the value is allowed; an empty text is nothing. */
    assert_int_equal(rw_snapshot_read(&s, "x 1 1000\n", 9, NULL, 0), 0);
    assert_int_equal(s.n_series, 1);
    assert_int_equal(rw_snapshot_read(&s, "", 0, NULL, 0), 0);
    assert_int_equal(s.n_series, 0);
    rw_snapshot_clear(&s);
}

static Prometheus__WriteRequest *decode(const char *body, size_t len)
{
    size_t raw_len;
    assert_int_equal(snappy_uncompressed_length(body, len, &raw_len),
                     SNAPPY_OK);
    char *raw = malloc(raw_len ? raw_len : 1);
    assert_int_equal(snappy_uncompress(body, len, raw, &raw_len), SNAPPY_OK);
    Prometheus__WriteRequest *wr =
        prometheus__write_request__unpack(NULL, raw_len, (const uint8_t *)raw);
    free(raw);
    assert_non_null(wr);
    return wr;
}

static void test_encode(void **state)
{
    struct rw_snapshot s = {0};
    size_t len;
    (void)state;
    assert_int_equal(rw_snapshot_read(&s, text, strlen(text), ext, 2), 0);
    char *body = rw_encode(&s, 0, s.n_series, 1795992428611, &len);
    assert_non_null(body);
    Prometheus__WriteRequest *wr = decode(body, len);
    assert_int_equal(wr->n_timeseries, s.n_series);
    for (size_t i = 0; i < wr->n_timeseries; i++) {
        const Prometheus__TimeSeries *ts = wr->timeseries[i];
        const struct rw_series *se = &s.series[i];
        assert_int_equal(ts->n_samples, 1);
        assert_true(ts->samples[0]->value == se->value);
        assert_int_equal(ts->samples[0]->timestamp, 1795992428611);
        assert_int_equal(ts->n_labels, se->n_labels);
        for (size_t k = 0; k < ts->n_labels; k++) {
            assert_string_equal(ts->labels[k]->name,
                                s.labels[se->first + k].name);
            assert_string_equal(ts->labels[k]->value,
                                s.labels[se->first + k].value);
        }
    }
    prometheus__write_request__free_unpacked(wr, NULL);
    free(body);

    /* A slice: series 2 and 3 only. */
    body = rw_encode(&s, 2, 2, -5, &len);
    wr = decode(body, len);
    assert_int_equal(wr->n_timeseries, 2);
    assert_string_equal(wr->timeseries[0]->labels[1]->name, "cluster");
    assert_string_equal(wr->timeseries[1]->labels[0]->value,
                        "app_duration_seconds_sum");
    assert_int_equal(wr->timeseries[1]->samples[0]->timestamp, -5);
    prometheus__write_request__free_unpacked(wr, NULL);
    free(body);

    /* Nothing at all is an empty request, still a valid body. */
    body = rw_encode(&s, 0, 0, 1, &len);
    wr = decode(body, len);
    assert_int_equal(wr->n_timeseries, 0);
    prometheus__write_request__free_unpacked(wr, NULL);
    free(body);
    rw_snapshot_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
