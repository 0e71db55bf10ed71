/*
 * GET /api/v1/alerts and GET /api/v1/rules, in the shapes of Prometheus'
 * HTTP API (2.42): {"status":"success","data":{...}}, times in RFC 3339,
 * an alert's value as Go's strconv.FormatFloat(v, 'e', -1, 64) writes it.
 */
#include <string.h>

#include "engine_private.h"
#include "http.h"

#define MS_PER_SECOND 1000.0
#define US_PER_SECOND 1000000.0

static void json_labels(struct buf *b, const char *key, const struct labels *ls)
{
    buf_json_key(b, key);
    buf_putc(b, '{');
    for (size_t i = 0; i < ls->n; i++) {
        if (i > 0)
            buf_putc(b, ',');
        buf_json_key(b, ls->v[i].name);
        buf_json_string(b, ls->v[i].value, strlen(ls->v[i].value));
    }
    buf_putc(b, '}');
}

static void json_time(struct buf *b, const char *key, int64_t ms)
{
    char t[ENGINE_TIME_MAX] = "0001-01-01T00:00:00Z";
    if (ms != ALERT_TIME_NONE)
        engine_format_time(ms, t);
    buf_json_key(b, key);
    buf_json_string(b, t, strlen(t));
}

/* Go's 'e' format: promql_format_float's 'E' with a small e. */
static void json_value(struct buf *b, double v)
{
    char text[PROMQL_FLOAT_MAX];
    promql_format_float(v, 'E', text);
    char *e = strchr(text, 'E');
    if (e != NULL)
        *e = 'e';
    buf_json_key(b, "value");
    buf_json_string(b, text, strlen(text));
}

static void json_alert(struct buf *b, const struct alert *a)
{
    buf_putc(b, '{');
    json_labels(b, "labels", &a->labels);
    buf_putc(b, ',');
    json_labels(b, "annotations", &a->annotations);
    buf_putc(b, ',');
    buf_json_key(b, "state");
    buf_json_string(b, alert_state_name(a->state),
                    strlen(alert_state_name(a->state)));
    buf_putc(b, ',');
    json_time(b, "activeAt", a->active_at_ms);
    buf_putc(b, ',');
    json_value(b, a->value);
    buf_putc(b, '}');
}

/* Writes the rule's active alerts (resolved ones are not shown, as in
 * Prometheus); returns how many. */
static size_t json_alerts(struct buf *b, const struct engine_rule_info *ri,
                          size_t written)
{
    for (size_t i = 0; i < ri->n_alerts; i++) {
        if (ri->alerts[i].state == ALERT_INACTIVE)
            continue;
        if (written++ > 0)
            buf_putc(b, ',');
        json_alert(b, &ri->alerts[i]);
    }
    return written;
}

static void on_alerts(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    const struct engine *e = ctx;
    struct buf *b = &rep->body;
    size_t written = 0;
    (void)req;
    buf_puts(b, "{\"status\":\"success\",\"data\":{\"alerts\":[");
    for (size_t g = 0; e != NULL && g < e->n_groups; g++)
        for (size_t r = 0; r < e->groups[g].n_rules; r++) {
            struct engine_rule_info ri;
            engine_rule(e, g, r, &ri);
            written = json_alerts(b, &ri, written);
        }
    buf_puts(b, "]}}");
    rep->content_type = "application/json";
}

/* The rule's state: the highest of its alerts'. */
static enum alert_state rule_state(const struct engine_rule_info *ri)
{
    enum alert_state s = ALERT_INACTIVE;
    for (size_t i = 0; i < ri->n_alerts; i++)
        if (ri->alerts[i].state > s)
            s = ri->alerts[i].state;
    return s;
}

static void json_template_labels(struct buf *b, const char *key,
                                 const struct label *v, size_t n)
{
    struct labels ls = {0};
    for (size_t i = 0; i < n; i++)
        if (labels_set(&ls, v[i].name, v[i].value) != 0)
            b->oom = true;
    json_labels(b, key, &ls);
    labels_free(&ls);
}

static void json_rule(struct buf *b, const struct engine_rule_info *ri)
{
    const struct rule_alert *r = ri->rule;
    const char *state = alert_state_name(rule_state(ri));
    const char *health = ri->last_eval_ms == ALERT_TIME_NONE ? "unknown"
                         : ri->last_error[0] != '\0'         ? "err"
                                                             : "ok";
    buf_puts(b, "{\"state\":");
    buf_json_string(b, state, strlen(state));
    buf_puts(b, ",\"name\":");
    buf_json_string(b, r->name, strlen(r->name));
    buf_puts(b, ",\"query\":");
    buf_json_string(b, r->expr_text, strlen(r->expr_text));
    buf_printf(b, ",\"duration\":%g", (double)r->for_ms / MS_PER_SECOND);
    buf_printf(b, ",\"keepFiringFor\":%g",
               (double)r->keep_firing_for_ms / MS_PER_SECOND);
    buf_putc(b, ',');
    json_template_labels(b, "labels", r->labels, r->n_labels);
    buf_putc(b, ',');
    json_template_labels(b, "annotations", r->annotations, r->n_annotations);
    buf_puts(b, ",\"alerts\":[");
    json_alerts(b, ri, 0);
    buf_puts(b, "],\"health\":");
    buf_json_string(b, health, strlen(health));
    if (ri->last_error[0] != '\0') {
        buf_puts(b, ",\"lastError\":");
        buf_json_string(b, ri->last_error, strlen(ri->last_error));
    }
    buf_printf(b, ",\"evaluationTime\":%.6f,",
               (double)ri->last_us / US_PER_SECOND);
    json_time(b, "lastEvaluation", ri->last_eval_ms);
    buf_puts(b, ",\"type\":\"alerting\"}");
}

static void json_group(struct buf *b, const struct engine *e, size_t g)
{
    struct engine_group_info gi;
    engine_group(e, g, &gi);
    buf_puts(b, "{\"name\":");
    buf_json_string(b, gi.name, strlen(gi.name));
    buf_puts(b, ",\"file\":");
    buf_json_string(b, gi.file, strlen(gi.file));
    buf_puts(b, ",\"rules\":[");
    for (size_t r = 0; r < gi.n_rules; r++) {
        struct engine_rule_info ri;
        engine_rule(e, g, r, &ri);
        if (r > 0)
            buf_putc(b, ',');
        json_rule(b, &ri);
    }
    buf_printf(b, "],\"interval\":%g,\"limit\":0,\"evaluationTime\":%.6f,",
               (double)gi.interval_ms / MS_PER_SECOND,
               (double)gi.last_us / US_PER_SECOND);
    json_time(b, "lastEvaluation", gi.last_eval_ms);
    buf_putc(b, '}');
}

static void on_rules(void *ctx, const struct http_request *req,
                     struct http_reply *rep)
{
    const struct engine *e = ctx;
    struct buf *b = &rep->body;
    (void)req;
    buf_puts(b, "{\"status\":\"success\",\"data\":{\"groups\":[");
    for (size_t g = 0; e != NULL && g < e->n_groups; g++) {
        if (g > 0)
            buf_putc(b, ',');
        json_group(b, e, g);
    }
    buf_puts(b, "]}}");
    rep->content_type = "application/json";
}

int engine_routes(struct http *s, struct engine *e)
{
    int rc = http_route(s, "/api/v1/alerts", on_alerts, e);
    return rc != 0 ? rc : http_route(s, "/api/v1/rules", on_rules, e);
}
