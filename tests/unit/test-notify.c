/*
 * The notifier's parts that need no network: the bodies to the byte, the
 * times and fingerprints, webhook grouping and repeat_interval on a fake
 * clock, the retry delays, the queue's bound, and the log line of a
 * transition.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "notify.h"
#include "notify_body.h"
#include "notify_group.h"
#include "notify_send.h"

#define T0     1764435600000LL /* 2025-11-29T17:00:00Z */
#define MINUTE 60000LL

static const struct notify_label api_labels[] = {
    {"service", "api"}, {"alertname", "HighErrorRate"}, {"severity", "page"}};
static const struct notify_label web_labels[] = {
    {"alertname", "HighErrorRate"}, {"service", "web"}, {"severity", "page"}};
static const struct notify_label ann[] = {{"summary", "Errors \"high\""},
                                          {"description", "5%"}};

static struct notify_alert alert(const struct notify_label *labels,
                                 enum notify_state st, int64_t starts,
                                 int64_t ends)
{
    return (struct notify_alert){.labels = labels,
                                 .n_labels = 3,
                                 .annotations = ann,
                                 .n_annotations = 2,
                                 .state = st,
                                 .starts_at_ms = starts,
                                 .ends_at_ms = ends,
                                 .value = 0.07,
                                 .generator_url = "http://tt/graph"};
}

static void test_times(void **state)
{
    char t[NOTIFY_TIME_MAX];
    (void)state;
    notify_time_api(T0 + 250, t);
    assert_string_equal(t, "2025-11-29T17:00:00.250Z");
    notify_time_api(T0, t);
    assert_string_equal(t, "2025-11-29T17:00:00.000Z");
    notify_time_go(T0 + 250, t);
    assert_string_equal(t, "2025-11-29T17:00:00.25Z");
    notify_time_go(T0, t);
    assert_string_equal(t, "2025-11-29T17:00:00Z");
    notify_time_go(0, t);
    assert_string_equal(t, "0001-01-01T00:00:00Z");
}

static void test_fingerprint(void **state)
{
    (void)state;
    /* Prometheus' model.LabelSet{"alertname": "Test"}.Fingerprint(). */
    static const struct notify_label one[] = {{"alertname", "Test"}};
    char fp[17];
    snprintf(fp, sizeof(fp), "%016llx",
             (unsigned long long)notify_fingerprint(one, 1));
    /* FNV-1a of "alertname\xffTest\xff", computed independently. */
    uint64_t h = 14695981039346656037ULL;
    const char bytes[] = "alertname\xffTest\xff";
    for (size_t i = 0; i < sizeof(bytes) - 1; i++)
        h = (h ^ (unsigned char)bytes[i]) * 1099511628211ULL;
    assert_int_equal(notify_fingerprint(one, 1), h);
    /* The order given does not matter. */
    assert_int_equal(
        notify_fingerprint(api_labels, 3),
        notify_fingerprint(
            (const struct notify_label[]){{"alertname", "HighErrorRate"},
                                          {"service", "api"},
                                          {"severity", "page"}},
            3));
}

static void test_body_api(void **state)
{
    struct buf b = {0};
    (void)state;
    struct notify_alert a[2] = {
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE),
        alert(web_labels, NOTIFY_RESOLVED, T0 - MINUTE, T0 + 1),
    };
    a[1].n_annotations = 0;
    a[1].generator_url = NULL;
    notify_body_api(&b, a, 2);
    assert_string_equal(
        b.data,
        "[{\"annotations\":{\"description\":\"5%\",\"summary\":\"Errors "
        "\\\"high\\\"\"},\"endsAt\":\"2025-11-29T17:04:00.000Z\","
        "\"startsAt\":\"2025-11-29T17:00:00.000Z\",\"generatorURL\":"
        "\"http://tt/graph\",\"labels\":{\"alertname\":\"HighErrorRate\","
        "\"service\":\"api\",\"severity\":\"page\"}},"
        "{\"endsAt\":\"2025-11-29T17:00:00.001Z\",\"startsAt\":"
        "\"2025-11-29T16:59:00.000Z\",\"labels\":{\"alertname\":"
        "\"HighErrorRate\",\"service\":\"web\",\"severity\":\"page\"}}]");
    buf_free(&b);
}

static const struct notify_label group_labels[] = {
    {"alertname", "HighErrorRate"}};

static struct notify_message message(const struct notify_alert *a, size_t n)
{
    return (struct notify_message){
        .receiver = "ops",
        .external_url = "http://tt:8653",
        .group_key = "{}:{alertname=\"HighErrorRate\"}",
        .group_labels = group_labels,
        .n_group_labels = 1,
        .alerts = a,
        .n_alerts = n,
    };
}

static void test_body_webhook(void **state)
{
    struct buf b = {0};
    char fp1[17], fp2[17];
    (void)state;
    struct notify_alert a[2] = {
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE),
        alert(web_labels, NOTIFY_RESOLVED, T0 - MINUTE, T0 + 500),
    };
    snprintf(fp1, sizeof(fp1), "%016llx",
             (unsigned long long)notify_fingerprint(api_labels, 3));
    snprintf(fp2, sizeof(fp2), "%016llx",
             (unsigned long long)notify_fingerprint(web_labels, 3));
    struct notify_message m = message(a, 2);
    notify_body_webhook(&b, &m);
    char want[4096];
    snprintf(
        want, sizeof(want),
        "{\"receiver\":\"ops\",\"status\":\"firing\",\"alerts\":["
        "{\"status\":\"firing\",\"labels\":{\"alertname\":\"HighErrorRate\","
        "\"service\":\"api\",\"severity\":\"page\"},\"annotations\":{"
        "\"description\":\"5%%\",\"summary\":\"Errors \\\"high\\\"\"},"
        "\"startsAt\":\"2025-11-29T17:00:00Z\",\"endsAt\":"
        "\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://tt/graph\","
        "\"fingerprint\":\"%s\"},"
        "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"HighErrorRate\","
        "\"service\":\"web\",\"severity\":\"page\"},\"annotations\":{"
        "\"description\":\"5%%\",\"summary\":\"Errors \\\"high\\\"\"},"
        "\"startsAt\":\"2025-11-29T16:59:00Z\",\"endsAt\":"
        "\"2025-11-29T17:00:00.5Z\",\"generatorURL\":\"http://tt/graph\","
        "\"fingerprint\":\"%s\"}],"
        "\"groupLabels\":{\"alertname\":\"HighErrorRate\"},"
        "\"commonLabels\":{\"alertname\":\"HighErrorRate\",\"severity\":"
        "\"page\"},\"commonAnnotations\":{\"description\":\"5%%\","
        "\"summary\":\"Errors \\\"high\\\"\"},\"externalURL\":"
        "\"http://tt:8653\",\"version\":\"4\",\"groupKey\":"
        "\"{}:{alertname=\\\"HighErrorRate\\\"}\",\"truncatedAlerts\":0}",
        fp1, fp2);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_body_slack(void **state)
{
    struct buf b = {0};
    (void)state;
    struct notify_alert a[2] = {
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE),
        alert(web_labels, NOTIFY_RESOLVED, T0 - MINUTE, T0 + 500),
    };
    struct notify_message m = message(a, 2);
    notify_body_slack(&b, &m);
    assert_string_equal(
        b.data, "{\"text\":\"[FIRING:1] HighErrorRate\\u000a\xe2\x80\xa2 "
                "firing: service=api severity=page \xe2\x80\x94 Errors "
                "\\\"high\\\" (value 0.07)\\u000a\xe2\x80\xa2 resolved: "
                "service=web severity=page \xe2\x80\x94 Errors "
                "\\\"high\\\"\"}");
    buf_reset(&b);
    m.n_alerts = 1;
    m.alerts = &a[1];
    notify_body_slack(&b, &m);
    assert_non_null(strstr(b.data, "[RESOLVED] HighErrorRate"));
    buf_free(&b);
}

/* --- groups -------------------------------------------------------------- */

struct sent {
    int messages;
    size_t alerts[16]; /* per message */
    size_t firing[16]; /* per message */
    char keys[16][64]; /* group keys */
};

static void record(void *ctx, const struct notify_message *m)
{
    struct sent *s = ctx;
    int i = s->messages++;
    assert_true(i < 16);
    s->alerts[i] = m->n_alerts;
    for (size_t k = 0; k < m->n_alerts; k++)
        s->firing[i] += m->alerts[k].state == NOTIFY_FIRING;
    snprintf(s->keys[i], sizeof(s->keys[i]), "%s", m->group_key);
}

static const char *const by_alertname[] = {"alertname"};
static const struct cfg_receiver hook = {
    .name = "ops",
    .format = NOTIFY_FORMAT_WEBHOOK,
    .repeat_interval_ms = 5 * MINUTE,
    .group_by = by_alertname,
    .n_group_by = 1,
};

static void test_group_repeat(void **state)
{
    struct notify_groups *g;
    struct sent s = {0};
    (void)state;
    assert_int_equal(notify_groups_new(&hook, "", &g), 0);
    struct notify_alert a1 =
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 60 * MINUTE);
    struct notify_alert a2 =
        alert(web_labels, NOTIFY_FIRING, T0, T0 + 60 * MINUTE);

    /* A new group's first message goes at once, with one alert. */
    assert_int_equal(notify_groups_update(g, &a1, T0), 0);
    assert_int_equal(notify_groups_flush(g, T0, false, record, &s), 5 * MINUTE);
    assert_int_equal(s.messages, 1);
    assert_int_equal(s.alerts[0], 1);
    assert_string_equal(s.keys[0], "{}:{alertname=\"HighErrorRate\"}");

    /* A second alert of the same group waits for repeat_interval. */
    assert_int_equal(notify_groups_update(g, &a2, T0 + MINUTE), 0);
    assert_int_equal(notify_groups_flush(g, T0 + MINUTE, false, record, &s),
                     4 * MINUTE);
    assert_int_equal(s.messages, 1);
    /* The same alert again, unchanged, changes nothing. */
    assert_int_equal(notify_groups_update(g, &a1, T0 + 2 * MINUTE), 0);
    notify_groups_flush(g, T0 + 2 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 1);
    /* Then one message carries both. */
    notify_groups_flush(g, T0 + 5 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 2);
    assert_int_equal(s.alerts[1], 2);
    assert_int_equal(s.firing[1], 2);

    /* A resolution too waits, and the next message says it. */
    struct notify_alert r1 = a1;
    r1.state = NOTIFY_RESOLVED;
    r1.ends_at_ms = T0 + 6 * MINUTE;
    notify_groups_update(g, &r1, T0 + 6 * MINUTE);
    notify_groups_flush(g, T0 + 6 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 2);
    notify_groups_flush(g, T0 + 10 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 3);
    assert_int_equal(s.alerts[2], 2);
    assert_int_equal(s.firing[2], 1);
    /* Once said, the resolved alert is forgotten; resent, it is ignored. */
    notify_groups_update(g, &r1, T0 + 11 * MINUTE);
    /* A group firing unchanged is sent again each repeat_interval. */
    notify_groups_flush(g, T0 + 14 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 3);
    notify_groups_flush(g, T0 + 15 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 4);
    assert_int_equal(s.alerts[3], 1);
    notify_groups_free(g);
}

static void test_group_expiry_and_no_wait(void **state)
{
    struct notify_groups *g;
    struct sent s = {0};
    (void)state;
    assert_int_equal(notify_groups_new(&hook, "", &g), 0);
    struct notify_alert a1 =
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE);
    /* A resolved alert the group never held is not announced. */
    struct notify_alert r = alert(web_labels, NOTIFY_RESOLVED, T0, T0);
    notify_groups_update(g, &r, T0);
    assert_int_equal(notify_groups_flush(g, T0, false, record, &s), -1);
    assert_int_equal(notify_groups_count(g), 0);

    notify_groups_update(g, &a1, T0);
    notify_groups_flush(g, T0, false, record, &s);
    assert_int_equal(s.messages, 1);
    /* Not handed over again: past its endsAt it resolves by itself. */
    notify_groups_flush(g, T0 + 5 * MINUTE, false, record, &s);
    assert_int_equal(s.messages, 2);
    assert_int_equal(s.firing[1], 0);
    assert_int_equal(notify_groups_count(g), 0);

    /* no_wait: a change goes at once. */
    a1.ends_at_ms = T0 + 20 * MINUTE;
    notify_groups_update(g, &a1, T0 + 6 * MINUTE);
    notify_groups_flush(g, T0 + 6 * MINUTE, true, record, &s);
    struct notify_alert r1 = a1;
    r1.state = NOTIFY_RESOLVED;
    notify_groups_update(g, &r1, T0 + 6 * MINUTE);
    notify_groups_flush(g, T0 + 6 * MINUTE, true, record, &s);
    assert_int_equal(s.messages, 4);
    assert_int_equal(s.firing[3], 0);
    notify_groups_free(g);
}

static void test_group_by_labels(void **state)
{
    static const char *const by_service[] = {"service", "team"};
    struct cfg_receiver r = hook;
    struct notify_groups *g;
    struct sent s = {0};
    (void)state;
    r.group_by = by_service;
    r.n_group_by = 2;
    assert_int_equal(notify_groups_new(&r, "", &g), 0);
    struct notify_alert a1 =
        alert(api_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE);
    struct notify_alert a2 =
        alert(web_labels, NOTIFY_FIRING, T0, T0 + 4 * MINUTE);
    notify_groups_update(g, &a1, T0);
    notify_groups_update(g, &a2, T0);
    assert_int_equal(notify_groups_count(g), 2);
    notify_groups_flush(g, T0, false, record, &s);
    assert_int_equal(s.messages, 2);
    /* "team" is absent: not among the group's labels. */
    assert_true(strcmp(s.keys[0], "{}:{service=\"api\"}") == 0 ||
                strcmp(s.keys[1], "{}:{service=\"api\"}") == 0);
    notify_groups_free(g);
}

/* --- sending ------------------------------------------------------------- */

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(notify_backoff_ms(1), NOTIFY_BACKOFF_FIRST_MS);
    assert_int_equal(notify_backoff_ms(2), 2 * NOTIFY_BACKOFF_FIRST_MS);
    assert_int_equal(notify_backoff_ms(3), 4 * NOTIFY_BACKOFF_FIRST_MS);
    assert_int_equal(notify_backoff_ms(20), NOTIFY_BACKOFF_MAX_MS);
    assert_int_equal(notify_backoff_ms(1000), NOTIFY_BACKOFF_MAX_MS);
}

static char *numbered(int i)
{
    char *s = malloc(16);
    snprintf(s, 16, "%d", i);
    return s;
}

static void test_queue_bound(void **state)
{
    struct notify_queue q = {0};
    int dropped = 0;
    (void)state;
    /* The first is being sent: never the one dropped. */
    for (int i = 0; i < NOTIFY_QUEUE_MAX + 5; i++)
        dropped += notify_queue_push(&q, numbered(i), 1, true);
    assert_int_equal(dropped, 5);
    assert_int_equal(q.count, NOTIFY_QUEUE_MAX);
    assert_string_equal(q.body[q.head], "0");
    notify_queue_pop(&q);
    assert_string_equal(q.body[q.head], "6");
    /* Not busy: the oldest goes. */
    dropped = notify_queue_push(&q, numbered(100), 1, false);
    assert_int_equal(dropped, 0);
    dropped = notify_queue_push(&q, numbered(101), 1, false);
    assert_int_equal(dropped, 1);
    assert_string_equal(q.body[q.head], "7");
    notify_queue_clear(&q);
    assert_int_equal(q.count, 0);
}

/* --- the log ------------------------------------------------------------- */

/* What fn(a) writes to stderr. */
static void logged(const struct notify_alert *a, char *out, size_t cap)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *f = tmpfile();
    assert_non_null(f);
    dup2(fileno(f), 2);
    notify_log_transition(a);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_log(void **state)
{
    char line[1024];
    (void)state;
    struct notify_alert a = alert(api_labels, NOTIFY_FIRING, T0, T0);
    logged(&a, line, sizeof(line));
    assert_non_null(strstr(line, " level=warn msg=\"alert firing\" "
                                 "alertname=\"HighErrorRate\" state=firing "
                                 "service=\"api\" severity=\"page\" "
                                 "value=0.070000000000000007 "
                                 "summary=\"Errors \\\"high\\\"\"\n"));
    static const struct notify_label critical[] = {{"alertname", "Down"},
                                                   {"severity", "critical"}};
    a.labels = critical;
    a.n_labels = 2;
    logged(&a, line, sizeof(line));
    assert_non_null(strstr(line, " level=error msg=\"alert firing\" "
                                 "alertname=\"Down\""));
    a.state = NOTIFY_RESOLVED;
    logged(&a, line, sizeof(line));
    assert_non_null(strstr(line, " level=info msg=\"alert resolved\" "
                                 "alertname=\"Down\" state=resolved"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_body_api),
        cmocka_unit_test(test_body_webhook),
        cmocka_unit_test(test_body_slack),
        cmocka_unit_test(test_group_repeat),
        cmocka_unit_test(test_group_expiry_and_no_wait),
        cmocka_unit_test(test_group_by_labels),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
