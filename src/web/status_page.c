#include "status_page.h"

#include <errno.h>
#include <inttypes.h>

#include "alert.h"
#include "engine.h"
#include "html.h"
#include "humanize.h"

/* Light by default, dark by preference; contrast of text on background is
 * above 7:1 in both, the muted grey above 4.5:1. */
static const char STYLE[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1a1a1a;--muted:#555;"
    "--line:#ddd;--accent:#1f5fbf;--ok:#1b7a36;--warn:#9a5b00;"
    "--bad:#b3261e;--track:#e8e8e8}"
    "@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#eee;"
    "--muted:#aaa;--line:#333;--accent:#7fb0ff;--ok:#6fd08c;--warn:#f0b35a;"
    "--bad:#ff8a80;--track:#2a2a2a}}"
    "body{margin:0 auto;max-width:72rem;padding:1rem;background:var(--bg);"
    "color:var(--fg);font:15px/1.45 system-ui,sans-serif}"
    "h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}"
    "header p{margin:.2rem 0;color:var(--muted)}"
    ".badge{font-weight:600}.ok{color:var(--ok)}.warning{color:var(--warn)}"
    ".bad,.exceeded,.firing{color:var(--bad)}.pending{color:var(--warn)}"
    "table{border-collapse:collapse;width:100%;margin:.4rem 0}"
    "th,td{padding:.25rem .5rem;border-bottom:1px solid var(--line);"
    "text-align:left;vertical-align:top}th[scope=row]{white-space:nowrap}"
    "td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}"
    ".wrap{overflow-x:auto}.none{color:var(--muted)}"
    "svg.chart{width:100%;height:auto;max-width:40rem;display:block}"
    "svg.progress{min-width:10rem}"
    "svg text{fill:var(--fg);font-size:12px}svg text.axis{fill:var(--muted)}"
    ".bar,.col{fill:var(--accent)}.track{fill:var(--track)}"
    ".fill{fill:var(--ok)}.fill.warn{fill:var(--warn)}"
    ".fill.over{fill:var(--bad)}.mark{stroke:var(--fg);stroke-width:2}"
    ".proj{stroke:var(--muted);stroke-width:2;stroke-dasharray:4 3}"
    "footer{margin-top:2rem;color:var(--muted)}a{color:var(--accent)}"
    "@media (max-width:40rem){body{font-size:14px;padding:.6rem}"
    "th,td{padding:.2rem .3rem}}";

/* Replaces the body with a fresh copy; the page works as well without. */
static const char SCRIPT[] =
    "setInterval(function(){fetch(location.href,{cache:'no-store'})"
    ".then(function(r){return r.ok?r.text():null}).then(function(t){if(t)"
    "document.body.replaceWith(new DOMParser().parseFromString(t,"
    "'text/html').body)}).catch(function(){})},%d);";

static void put_head(struct buf *out)
{
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                  "<meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\">"
                  "<meta name=\"color-scheme\" content=\"light dark\">"
                  "<title>tokentail</title><style>");
    buf_puts(out, STYLE);
    buf_puts(out, "</style><script>");
    buf_printf(out, SCRIPT, STATUS_REFRESH_S * 1000);
    buf_puts(out, "</script></head>\n<body>");
}

static void put_header(const struct status_sources *src, struct buf *out)
{
    buf_printf(out,
               "<header><h1>tokentail</h1><p><span class=\"badge %s\" "
               "id=\"health\">%s</span> &middot; version ",
               src->healthy ? "ok" : "bad",
               src->healthy ? "healthy" : "degraded");
    html_puts(out, src->version);
    buf_puts(out, " &middot; up ");
    humanize_duration(out, src->uptime_ms / 1000);
    buf_puts(out, "</p><p>");
    const struct config_status *c = src->config;
    if (c && c->loaded_ms > 0) {
        buf_puts(out, "Configuration loaded ");
        humanize_ago(out, (time_t)(c->loaded_ms / 1000), src->now);
        buf_printf(out, "; last reload %s",
                   c->reloads == 0 ? "none yet"
                   : c->last_ok    ? "succeeded"
                                   : "failed");
        if (c->reloads > 0 && !c->last_ok)
            buf_printf(out, " with %zu error%s", c->last_errors,
                       c->last_errors == 1 ? "" : "s");
        buf_puts(out, ". ");
    }
    if (src->state_path && *src->state_path && src->state) {
        buf_puts(out, "Last checkpoint ");
        humanize_ago(out, src->state->last_time, src->now);
        buf_puts(out, src->state->errors > 0 ? " (some failed)." : ".");
    } else {
        buf_puts(out, "No state file: nothing survives a restart.");
    }
    buf_puts(out, "</p></header>\n<main>");
}

/* The summary annotation, else the description, else nothing. */
static const char *alert_summary(const struct alert *a)
{
    const char *s = labels_get(&a->annotations, "summary");
    return s ? s : labels_get(&a->annotations, "description");
}

static void put_alert(const struct alert *a, int64_t now, struct buf *out)
{
    int64_t since = a->state == ALERT_FIRING ? a->fired_at_ms : a->active_at_ms;
    const char *state = alert_state_name(a->state);
    buf_puts(out, "<tr><th scope=\"row\">");
    html_puts(out, labels_get(&a->labels, "alertname"));
    buf_puts(out, "</th><td>");
    const char *sep = "";
    for (size_t i = 0; i < a->labels.n; i++) {
        const struct label *l = &a->labels.v[i];
        if (strcmp(l->name, "alertname") == 0)
            continue;
        buf_puts(out, sep);
        html_puts(out, l->name);
        buf_puts(out, "=&quot;");
        html_puts(out, l->value);
        buf_puts(out, "&quot;");
        sep = ", ";
    }
    buf_printf(out, "</td><td class=\"%s\">%s</td><td>", state, state);
    if (since != ALERT_TIME_NONE)
        humanize_ago(out, (time_t)(since / 1000), now);
    buf_printf(out, "</td><td class=\"n\" data-value=\"%.17g\">%.6g</td><td>",
               a->value, a->value);
    html_puts(out, alert_summary(a));
    buf_puts(out, "</td></tr>");
}

/* Pending and firing alerts, firing first. */
static void put_alerts(const struct status_sources *src, struct buf *out)
{
    buf_puts(out, "<section id=\"alerts\"><h2>Alerts</h2>");
    if (!src->rules) {
        buf_puts(out, "<p class=\"none\">No rule files are configured.</p>"
                      "</section>");
        return;
    }
    size_t shown = 0;
    for (int pass = 0; pass < 2; pass++) {
        enum alert_state want = pass == 0 ? ALERT_FIRING : ALERT_PENDING;
        for (size_t g = 0; g < engine_n_groups(src->rules); g++) {
            struct engine_group_info gi;
            engine_group(src->rules, g, &gi);
            for (size_t r = 0; r < gi.n_rules; r++) {
                struct engine_rule_info ri;
                engine_rule(src->rules, g, r, &ri);
                for (size_t i = 0; i < ri.n_alerts; i++) {
                    if (ri.alerts[i].state != want)
                        continue;
                    if (shown++ == 0)
                        buf_puts(
                            out,
                            "<div class=\"wrap\"><table id=\"alerts-table\">"
                            "<thead><tr>"
                            "<th scope=\"col\">Alert</th>"
                            "<th scope=\"col\">Labels</th>"
                            "<th scope=\"col\">State</th>"
                            "<th scope=\"col\">Since</th>"
                            "<th scope=\"col\" class=\"n\">Value</th>"
                            "<th scope=\"col\">Summary</th></tr></thead>"
                            "<tbody>");
                    put_alert(&ri.alerts[i], src->now, out);
                }
            }
        }
    }
    if (shown == 0)
        buf_puts(out, "<p class=\"ok\">No alert is pending or firing.</p>");
    else
        buf_puts(out, "</tbody></table></div>");
    buf_puts(out, "</section>");
}

int status_page_write(const struct status_sources *src, struct buf *out)
{
    int rc = 0;
    put_head(out);
    put_header(src, out);
    status_inputs_write(src, out);
    status_usage_write(src, out, &rc);
    status_budgets_write(src, out, &rc);
    put_alerts(src, out);
    /* Relative links: the page may be served under a proxy's prefix. */
    buf_puts(out, "</main>\n<footer>Figures as of ");
    char when[32];
    struct tm tm;
    time_t now = (time_t)src->now;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    buf_puts(out, when);
    buf_puts(out, ". Raw: <a href=\"metrics\">/metrics</a> &middot; "
                  "<a href=\"health\">/health</a>");
    if (src->ledger)
        buf_puts(out, " &middot; <a href=\"api/v1/usage\">/api/v1/usage</a>");
    if (src->budgets)
        buf_puts(out,
                 " &middot; <a href=\"api/v1/budgets\">/api/v1/budgets</a>");
    if (src->rules)
        buf_puts(out, " &middot; <a href=\"api/v1/alerts\">/api/v1/alerts</a>");
    buf_puts(out, "</footer>\n</body></html>\n");
    return out->oom ? -ENOMEM : rc;
}
