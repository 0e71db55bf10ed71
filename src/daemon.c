#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "accept.h"
#include "auth.h"
#include "backfill.h"
#include "buf.h"
#include "budget.h"
#include "budget_http.h"
#include "config_alerting.h"
#include "config_status.h"
#include "core.h"
#include "engine.h"
#include "expfmt.h"
#include "health.h"
#include "input.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "notify_check.h"
#include "registry.h"
#include "remote_write.h"
#include "selfmetrics.h"
#include "service.h"
#include "status_page.h"
#include "state.h"
#include "usage_http.h"
#include "watch.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

struct daemon {
    struct config *cfg;        /* in force */
    struct config *notify_cfg; /* the notifier's, when a reload replaced
                                  the first: it borrows cfg->alerting */
    struct core *core;         /* what cfg builds: see core.h */
    struct core_shell shell;
    struct tail_buf rb;
    char *state_path;    /* "" for none */
    char state_name[64]; /* the in-memory state without a file */
    struct config_status status;
    bool lifecycle; /* POST /-/reload allowed */

    /* Following mode only. */
    struct loop *loop;
    struct watch *watch;
    struct http *http;
    const char *web_config; /* --web.config.file; NULL: none */
    struct notifier *notifier;
    struct pusher *pusher;           /* remote write */
    struct service *service;         /* NULL: not started by systemd */
    struct status_cache *page_cache; /* the status page's usage section */
    struct loop_timer *ckpt_timer;
    struct loop_timer *expire_timer;
    struct loop_timer *budget_timer;
    struct loop_timer *rules_timer;
    uint64_t expire_every_ms; /* 0: no metric expires */
    uint64_t started_ms;
};

static void collect(struct daemon *d);
static void push_snapshot(void *ctx, struct buf *out);

/* --- timers -------------------------------------------------------------- */

static void checkpoint(struct daemon *d)
{
    core_checkpoint(d->core);
}

/* Logs the budget warnings due; a checkpoint keeps at once that they were
 * given, so a crash right after does not give them again. */
static void check_budgets(struct daemon *d)
{
    if (d->core->budgets != NULL &&
        budgets_check(d->core->budgets, budgets_wall_clock()) > 0)
        checkpoint(d);
}

static void on_budgets(void *ctx)
{
    struct daemon *d = ctx;
    check_budgets(d);
    d->budget_timer = loop_timer_add(d->loop, BUDGET_CHECK_MS, on_budgets, d);
}

/* The rules read what a scrape would show at that moment. */
static int sample_rules(void *ctx, struct history *h, int64_t t_ms)
{
    struct daemon *d = ctx;
    collect(d);
    return core_sample_rules(d->core, h, t_ms);
}

static void on_rules(void *ctx)
{
    struct daemon *d = ctx;
    int64_t delay = engine_run_due(d->core->rules, registry_wall_ms());
    d->rules_timer = loop_timer_add(d->loop, (uint64_t)delay, on_rules, d);
}

static void on_checkpoint(void *ctx)
{
    struct daemon *d = ctx;
    checkpoint(d);
    d->ckpt_timer =
        loop_timer_add(d->loop, d->cfg->checkpoint_ms, on_checkpoint, d);
}

/* Removes the gauge series nobody updated within their expire_after. */
static void on_expire(void *ctx)
{
    struct daemon *d = ctx;
    registry_expire(d->core->reg, (uint32_t)(loop_now_ms() / 1000));
    d->expire_timer = loop_timer_add(d->loop, d->expire_every_ms, on_expire, d);
}

static void stop_timers(struct daemon *d)
{
    loop_timer_cancel(d->loop, d->ckpt_timer);
    loop_timer_cancel(d->loop, d->expire_timer);
    loop_timer_cancel(d->loop, d->budget_timer);
    loop_timer_cancel(d->loop, d->rules_timer);
    d->ckpt_timer = d->expire_timer = d->budget_timer = d->rules_timer = NULL;
}

/* --- assembly ------------------------------------------------------------ */

int daemon_new(struct config *cfg, enum daemon_mode mode,
               const char *state_file, struct daemon **out)
{
    bool follow = mode == DAEMON_FOLLOW;
    struct daemon *d = calloc(1, sizeof(*d));
    int rc = -ENOMEM;
    if (d == NULL) {
        config_free(cfg);
        return -ENOMEM;
    }
    d->cfg = cfg;
    d->started_ms = loop_now_ms();
    d->status.last_ok = true;
    d->status.loaded_ms = registry_wall_ms();
    d->state_path = state_choose_path(state_file, cfg->state_file, follow,
                                      CONFIG_DEFAULT_STATE_FILE);
    if (d->state_path == NULL)
        goto fail;
    if (follow) {
        if ((rc = loop_new(&d->loop)) != 0 ||
            (rc = watch_new(&d->watch)) != 0 ||
            (rc = notifier_new(cfg->alerting, d->loop, &d->notifier)) != 0 ||
            (rc = pusher_new(d->loop, push_snapshot, d, &d->pusher)) != 0)
            goto fail;
        /* Without a file, a reload hands over through memory. */
        snprintf(d->state_name, sizeof(d->state_name), "tokentail-%ld",
                 (long)getpid());
    }
    d->shell = (struct core_shell){
        .loop = d->loop,
        .watch = d->watch,
        .notifier = d->notifier,
        .pusher = d->pusher,
        .rb = &d->rb,
        .sample = sample_rules,
        .sample_ctx = d,
        .state_path = d->state_path,
        .state_name = follow ? d->state_name : NULL,
        .positions = mode != DAEMON_ONCE_FILES,
    };
    if ((rc = core_new(cfg, &d->shell, &d->core)) != 0 ||
        (follow &&
         (rc = config_status_selfmetrics(&d->status, d->core->self)) != 0))
        goto fail;
    *out = d;
    return 0;
fail:
    daemon_free(d);
    return rc;
}

int daemon_reloads(struct daemon *d, const char *config_path, bool lifecycle)
{
    d->lifecycle = lifecycle;
    return config_status_start(&d->status, config_path, d->status.loaded_ms);
}

void daemon_free(struct daemon *d)
{
    if (d == NULL)
        return;
    http_stop(d->http);
    core_free(d->core);
    if (d->loop)
        stop_timers(d);
    service_free(d->service);
    status_cache_free(d->page_cache);
    watch_free(d->watch);
    notifier_free(d->notifier);
    pusher_free(d->pusher);
    loop_free(d->loop);
    tail_buf_free(&d->rb);
    config_status_free(&d->status);
    free(d->state_path);
    config_free(d->cfg);
    config_free(d->notify_cfg);
    free(d);
}

/* --- endpoints ----------------------------------------------------------- */

static void collect(struct daemon *d)
{
    struct core *c = d->core;
    struct state_stats st;
    state_get_stats(c->state, &st);
    if (c->budgets != NULL)
        budgets_eval(c->budgets, budgets_wall_clock());
    struct self_sources src = {
        .pipe = c->pipe,
        .inputs = c->inputs,
        .n_inputs = c->n_inputs,
        .watch = d->watch,
        .http = d->http,
        .state = &st,
    };
    selfmetrics_collect(c->self, &src);
}

static void on_metrics(void *ctx, const struct http_request *req,
                       struct http_reply *rep)
{
    struct daemon *d = ctx;
    enum expfmt_format fmt =
        accept_openmetrics(http_request_header(req, "Accept"))
            ? EXPFMT_OPENMETRICS
            : EXPFMT_TEXT;
    collect(d);
    rep->varies_by_accept = true; /* text 0.0.4 or OpenMetrics */
    rep->content_type = expfmt_content_type(fmt);
    expfmt_write_format(d->core->reg, fmt, &rep->body);
    engine_expose(d->core->rules, fmt, &rep->body);
    expfmt_end(&rep->body, fmt);
}

/* What remote write pushes: what a scrape in the text format shows. */
static void push_snapshot(void *ctx, struct buf *out)
{
    struct daemon *d = ctx;
    collect(d);
    expfmt_write_format(d->core->reg, EXPFMT_TEXT, out);
    engine_expose(d->core->rules, EXPFMT_TEXT, out);
}

static void health_sources_of(struct daemon *d, struct state_stats *st,
                              struct health_sources *out)
{
    struct core *c = d->core;
    state_get_stats(c->state, st);
    *out = (struct health_sources){
        .cfg = d->cfg,
        .inputs = c->inputs,
        .n_inputs = c->n_inputs,
        .state = st,
        .state_path = state_file(c->state),
        .state_error = state_error(c->state),
        .uptime_ms = loop_now_ms() - d->started_ms,
        .config = &d->status,
    };
}

static void on_health(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    struct state_stats st;
    struct health_sources src;
    health_sources_of(ctx, &st, &src);
    (void)req;
    rep->content_type = "application/json";
    rep->status = health_write(&src, &rep->body) ? 200 : 503;
}

/* Liveness, as Prometheus' /-/healthy: 200 whenever the event loop
 * answers. /health may be 503 for a log that cannot be read, which a
 * restart does not cure. */
static void on_healthy(void *ctx, const struct http_request *req,
                       struct http_reply *rep)
{
    (void)ctx;
    (void)req;
    rep->content_type = "text/plain; charset=utf-8";
    buf_puts(&rep->body, "tokentail is healthy.\n");
}

/* The status page at /: what /health, the usage, budget and alert APIs
 * answer, for people. */
static void on_status_page(void *ctx, const struct http_request *req,
                           struct http_reply *rep)
{
    struct daemon *d = ctx;
    struct state_stats st;
    struct health_sources hs;
    health_sources_of(d, &st, &hs);
    struct buf scratch = {0};
    bool healthy = health_write(&hs, &scratch);
    buf_free(&scratch);
    struct status_sources src = {
        .version = TOKENTAIL_VERSION,
        .healthy = healthy,
        .uptime_ms = hs.uptime_ms,
        .now = budgets_wall_clock(),
        .config = &d->status,
        .state = &st,
        .state_path = hs.state_path,
        .ledger = d->core->ledger,
        .budgets = d->core->budgets,
        .rules = d->core->rules,
        .cache = d->page_cache,
        .now_ms = loop_now_ms(),
        .inputs = d->core->inputs,
        .n_inputs = d->core->n_inputs,
        .pipe = d->core->pipe,
    };
    (void)req;
    rep->content_type = "text/html; charset=utf-8";
    status_page_write(&src, &rep->body);
}

/* The routes that answer from the core, pointed at the one in force. */
static int core_routes(struct daemon *d)
{
    struct core *c = d->core;
    status_cache_forget(d->page_cache);
    int rc =
        http_route(d->http, "/api/v1/budgets", budget_http_get, c->budgets);
    if (rc == 0)
        rc = usage_http_routes(d->http, c->ledger);
    return rc == 0 ? engine_routes(d->http, c->rules) : rc;
}

/* --- following ----------------------------------------------------------- */

static void on_watch(void *ctx, uint32_t events)
{
    struct daemon *d = ctx;
    (void)events;
    int rc = watch_dispatch(d->watch);
    if (rc != 0)
        log_error("reading inotify events failed: %s", strerror(-rc));
}

static void on_overflow(void *ctx)
{
    struct daemon *d = ctx;
    for (size_t i = 0; i < d->core->n_inputs; i++)
        input_rescan_all(d->core->inputs[i]);
}

static bool on_idle(void *ctx)
{
    struct daemon *d = ctx;
    bool more = false;
    for (size_t i = 0; i < d->core->n_inputs; i++)
        more |= input_pump(d->core->inputs[i], DAEMON_READ_BUDGET);
    return more;
}

static int start_timers(struct daemon *d);

/*
 * When cfg (borrowed) posts alerts to other receivers, or posts them
 * otherwise, makes a notifier for them in *out, with the figures of the
 * receivers both have, and puts it in the shell the new core is built
 * with; else *out is NULL. Returns 0 or -errno.
 */
static int renew_notifier(struct daemon *d, const struct config *cfg,
                          struct notifier **out)
{
    *out = NULL;
    if (d->notifier == NULL || notifier_serves(d->notifier, cfg->alerting))
        return 0;
    int rc = notifier_new(cfg->alerting, d->loop, out);
    if (rc != 0)
        return rc;
    notifier_carry(*out, d->notifier);
    d->shell.notifier = *out;
    return 0;
}

/*
 * Swaps in the core built from cfg (taken): the one in force reads what
 * is ready and checkpoints, the new one restores from that checkpoint, so
 * no line is lost or counted twice. Returns 0, or -errno with the old
 * core still in force and cfg freed (a failure after the swap is logged).
 */
static int swap_core(struct daemon *d, struct config *cfg)
{
    struct core *next;
    struct notifier *notifier = NULL;
    on_watch(d, 0);
    core_drain(d->core);
    checkpoint(d);
    collect(d); /* the figures the new core's counters go on from */
    pusher_reload_begin(d->pusher);
    int rc = renew_notifier(d, cfg, &notifier);
    if (rc == 0 && (rc = core_new(cfg, &d->shell, &next)) == 0 &&
        ((rc = config_status_selfmetrics(&d->status, next->self)) != 0 ||
         (d->http != NULL &&
          (rc = auth_selfmetrics(http_auth_slot(d->http), next->self)) != 0) ||
         (rc = selfmetrics_carry(next->self, d->core->self)) != 0))
        core_free(next);
    if (rc != 0) {
        d->shell.notifier = d->notifier;
        notifier_free(notifier);
        config_free(cfg);
        pusher_reload_end(d->pusher, false);
        return rc;
    }
    core_settle(d->core, next);
    /* Before the configuration it borrows from is freed. */
    if (pusher_apply(d->pusher, cfg->push) != 0)
        log_error("reload: remote write could not start every remote");
    stop_timers(d);
    http_end_streams(d->http); /* exports read the old ledger */
    core_free(d->core);
    d->core = next;
    if (notifier != NULL) {
        /* The new notifier borrows the new configuration's section. */
        log_info("reload: the alert receivers changed; %zu from now on, "
                 "what waited to be sent to the previous ones is dropped",
                 notifier_receivers(notifier));
        notifier_free(d->notifier);
        d->notifier = notifier;
        config_free(d->notify_cfg);
        d->notify_cfg = NULL;
        config_free(d->cfg);
    } else if (d->notify_cfg == NULL) {
        /* The notifier kept borrows the section it was made with. */
        d->notify_cfg = d->cfg;
    } else {
        config_free(d->cfg);
    }
    d->cfg = cfg;
    http_replace_routes(d->http, true);
    rc = core_routes(d);
    http_replace_routes(d->http, false);
    if (rc == 0)
        rc = core_start(next);
    if (rc == 0)
        rc = start_timers(d);
    pusher_reload_end(d->pusher, true);
    /* Past the swap the new configuration is in force whatever happens. */
    if (rc != 0)
        log_error("reload: the new configuration is in force, but starting "
                  "it failed: %s",
                  strerror(-rc));
    return 0;
}

/* Logs each line of errors (file:line:col: what) on its own. */
static void log_errors(const struct buf *errors)
{
    const char *p = errors->data ? errors->data : "";
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        log_error("reload: %.*s", n, p);
        p += n + (nl != NULL);
    }
}

/*
 * Reads the web configuration (--web.config.file) again and puts it in
 * force, or leaves the one in force and appends its errors
 * (file:line:col) to errors. Returns 0 or -errno; it fails the reload
 * before anything else changed.
 */
static int reload_web(struct daemon *d, struct buf *errors)
{
    if (d->web_config == NULL || d->http == NULL)
        return 0;
    int rc = http_apply_web(d->http, d->web_config, errors);
    if (rc == 0)
        log_info("web configuration %s reloaded", d->web_config);
    return rc;
}

int daemon_reload(struct daemon *d, struct buf *errors)
{
    struct config *cfg;
    char sha256[CONFIG_STATUS_HASH_HEX + 1];
    const char *path = d->status.path;
    size_t from = errors->len;
    if (path == NULL) {
        buf_puts(errors, "no configuration file to reload\n");
        return -1;
    }
    log_info("reloading the configuration from %s", path);
    service_reloading(d->service); /* READY=1 again when done, either way */
    int rc = config_status_load(&d->status, path, &cfg, sha256, errors);
    if (rc == 0 && (rc = reload_web(d, errors)) != 0) {
        config_free(cfg);
        config_status_failed(&d->status, errors, from);
    } else if (rc == 0 && (rc = swap_core(d, cfg)) != 0) {
        buf_printf(errors, "cannot apply the configuration: %s\n",
                   strerror(-rc));
        config_status_failed(&d->status, errors, from);
    }
    service_ready(d->service);
    struct buf shown = {.data = errors->data ? errors->data + from : NULL,
                        .len = errors->len - from};
    if (rc != 0) {
        log_errors(&shown);
        log_error("reload failed; the previous configuration stays in "
                  "force");
        return -1;
    }
    config_status_in_force(&d->status, sha256, registry_wall_ms());
    log_info("configuration reloaded (sha256 %s)", sha256);
    return 0;
}

/* POST or PUT /-/reload, as Prometheus with --web.enable-lifecycle. */
static void on_reload(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    struct daemon *d = ctx;
    (void)req;
    if (!d->lifecycle) {
        rep->status = 403;
        buf_puts(&rep->body, "Lifecycle API is not enabled.\n");
        return;
    }
    struct buf errors = {0};
    if (daemon_reload(d, &errors) != 0) {
        rep->status = 500;
        buf_puts(&rep->body, "failed to reload config: ");
        buf_append(&rep->body, errors.data ? errors.data : "", errors.len);
    }
    buf_free(&errors);
}

static void on_signal(void *ctx, int sig)
{
    struct daemon *d = ctx;
    if (sig == SIGHUP) {
        struct buf errors = {0};
        log_info("SIGHUP received");
        daemon_reload(d, &errors);
        buf_free(&errors);
        return;
    }
    if (sig == SIGUSR1) {
        int64_t now = notify_wall_ms();
        log_info("SIGUSR1 received; sending a test notification to %zu "
                 "receivers",
                 notifier_receivers(d->notifier));
        notify_check_send(d->notifier, d->cfg->alerting, NOTIFY_FIRING, now,
                          now);
        return;
    }
    log_info("received %s; shutting down", strsignal(sig));
    loop_stop(d->loop);
}

/* What the status line sent to systemd says. */
static void sample_service(void *ctx, struct service_sample *out)
{
    struct daemon *d = ctx;
    struct input_stats in;
    struct pipeline_input_stats pin;
    struct state_stats st;
    *out = (struct service_sample){0};
    for (size_t i = 0; i < d->core->n_inputs; i++) {
        input_get_stats(d->core->inputs[i], &in);
        pipeline_input_stats(d->core->pipe, i, &pin);
        out->files += in.files;
        out->lines += pin.lines;
    }
    state_get_stats(d->core->state, &st);
    out->checkpoint = st.last_time;
}

/*
 * Serves on the sockets systemd passed, else on every address given;
 * appends their names to names, separated by commas. Returns 0 or
 * -errno, logged.
 */
static int open_http(struct daemon *d, const struct daemon_web *web,
                     struct buf *names)
{
    char where[80];
    int rc = http_start(d->loop, NULL, &d->http);
    for (size_t i = 0; rc == 0 && i < web->n_fds; i++)
        if ((rc = http_adopt(d->http, web->first_fd + (int)i)) != 0)
            log_error("cannot serve on descriptor %d, passed by systemd: %s",
                      web->first_fd + (int)i,
                      rc == -EINVAL ? "not a listening stream socket"
                                    : strerror(-rc));
    for (size_t i = 0; rc == 0 && web->n_fds == 0 && i < web->n_listen; i++)
        if ((rc = http_listen_on(d->http, &web->listen[i])) != 0)
            log_error("cannot listen on %s: %s", web->names[i],
                      rc == -EADDRINUSE ? "address in use or not available"
                                        : strerror(-rc));
    for (size_t i = 0; rc == 0 && i < http_n_listeners(d->http); i++) {
        http_listener_name(d->http, i, where, sizeof(where));
        buf_printf(names, "%s%s", i > 0 ? "," : "address=", where);
    }
    return rc;
}

/*
 * Prometheus' default external URL: http:// and the first address
 * served, the host's name for a wildcard.
 */
static int set_external_url(struct daemon *d)
{
    char url[128], where[80];
    /* As Prometheus infers it: https when the web configuration has TLS. */
    const char *scheme = http_is_tls(d->http) ? "https" : "http";
    if (http_listener_name(d->http, 0, where, sizeof(where))) {
        char host[64] = "localhost";
        gethostname(host, sizeof(host) - 1);
        snprintf(url, sizeof(url), "%s://%s:%u/", scheme, host,
                 http_port(d->http));
    } else {
        snprintf(url, sizeof(url), "%s://%s/", scheme, where);
    }
    return engine_set_external_url(d->core->rules, url);
}

/*
 * Starts the core's timers after a first checkpoint, which records the
 * inputs and where every file starts. Without a state file the state is
 * in memory, only for reloads: it is written then, not periodically.
 */
static int start_timers(struct daemon *d)
{
    struct core *c = d->core;
    checkpoint(d);
    if (d->state_path[0] != '\0')
        d->ckpt_timer =
            loop_timer_add(d->loop, d->cfg->checkpoint_ms, on_checkpoint, d);
    if ((d->expire_every_ms = registry_expire_every_ms(c->reg)) > 0)
        d->expire_timer =
            loop_timer_add(d->loop, d->expire_every_ms, on_expire, d);
    if (c->budgets != NULL)
        on_budgets(d);
    if (c->rules != NULL) {
        int rc;
        if (d->cfg->alerting->external_url[0] == '\0' &&
            (rc = set_external_url(d)) != 0)
            return rc;
        on_rules(d);
    }
    return 0;
}

/* The web configuration, before anything is served. */
static int apply_web(struct daemon *d, const struct daemon_web *web)
{
    struct buf errors = {0};
    int rc = 0;
    if (web->public_health &&
        ((rc = http_route_public(d->http, "/health")) != 0 ||
         (rc = http_route_public(d->http, "/-/healthy")) != 0))
        return rc;
    d->web_config = web->config_file;
    /* Even without a web configuration now: a reload may bring one. */
    if (rc == 0)
        rc = auth_selfmetrics(http_auth_slot(d->http), d->core->self);
    if (rc == 0 && d->web_config != NULL &&
        (rc = http_apply_web(d->http, d->web_config, &errors)) != 0)
        log_error("cannot use the web configuration:\n%s",
                  errors.data ? errors.data : strerror(-rc));
    else if (rc == 0 && d->web_config != NULL) {
        const struct web_auth *a = *http_auth_slot(d->http);
        bool users = a != NULL && !auth_admits_everyone(a);
        log_info("web configuration %s: TLS %s, basic authentication %s",
                 d->web_config, http_is_tls(d->http) ? "on" : "off",
                 !users               ? "off"
                 : web->public_health ? "on (not for /health, /-/healthy)"
                                      : "on");
    }
    buf_free(&errors);
    return rc;
}

int daemon_run(struct daemon *d, const struct daemon_web *web)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, 0};
    struct buf names = {0};
    int rc;

    signal(SIGPIPE, SIG_IGN);
    /* One descriptor per followed file: take what the hard limit allows. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if ((rc = loop_add_signals(d->loop, sigs, on_signal, d)) != 0 ||
        (rc = loop_add_fd(d->loop, watch_fd(d->watch), EPOLLIN, on_watch, d)) !=
            0 ||
        (rc = loop_pace_fd(d->loop, watch_fd(d->watch),
                           DAEMON_WATCH_PACE_MS)) != 0 ||
        (rc = loop_add_idle(d->loop, on_idle, d)) != 0 ||
        (rc = service_new(d->loop, sample_service, d, &d->service)) != 0 ||
        (rc = status_cache_new(&d->page_cache)) != 0) {
        log_error("cannot set up the event loop: %s", strerror(-rc));
        return rc;
    }
    watch_on_overflow(d->watch, on_overflow, d);

    if ((rc = open_http(d, web, &names)) != 0 ||
        (rc = http_route(d->http, "/metrics", on_metrics, d)) != 0 ||
        (rc = http_route(d->http, "/health", on_health, d)) != 0 ||
        (rc = http_route(d->http, "/-/healthy", on_healthy, d)) != 0 ||
        (rc = http_route(d->http, "/", on_status_page, d)) != 0 ||
        (rc = http_route_methods(d->http, "/-/reload", HTTP_POST | HTTP_PUT,
                                 on_reload, d)) != 0 ||
        (rc = core_routes(d)) != 0 || (rc = apply_web(d, web)) != 0 ||
        (rc = core_start(d->core)) != 0 || (rc = start_timers(d)) != 0 ||
        (rc = pusher_apply(d->pusher, d->cfg->push)) != 0)
        goto out;

    buf_printf(&names, " version=%s", TOKENTAIL_VERSION);
    log_write(LOG_INFO, names.oom ? NULL : names.data, "serving HTTP");
    /* Inputs placed, their first checkpoint written, HTTP answering. */
    service_ready(d->service);

    rc = loop_run(d->loop);
    if (rc != 0)
        log_error("event loop failed: %s", strerror(-rc));
    service_stopping(d->service);
    pusher_flush(d->pusher);
    checkpoint(d);
out:
    buf_free(&names);
    return rc;
}

/* --- one pass ------------------------------------------------------------ */

/* The named files, one after the other; returns 0 or -1 as daemon_once. */
static int once_files(struct daemon *d, char *const *files, size_t n_files,
                      size_t input)
{
    struct input *in = d->core->inputs[input];
    int status = 0;
    for (size_t i = 0; i < n_files; i++) {
        int rc = input_open_path(in, files[i]);
        if (rc != 0) {
            log_error("cannot read %s: %s", files[i], strerror(-rc));
            status = -1;
            continue;
        }
        input_drain_all(in);
    }
    return status;
}

/* The named files, read by several threads (backfill.h), or one after
 * the other when no thread could start; returns 0 or -1 as daemon_once. */
static int once_workers(struct daemon *d, char *const *files, size_t n_files,
                        size_t input, size_t workers)
{
    struct backfill_stats st;
    int rc = backfill_run(d->core, input, files, n_files, workers, &st);
    if (rc == -EAGAIN && st.workers == 0) {
        log_warn("--once.workers: no thread could start; reading the files "
                 "one after the other");
        return once_files(d, files, n_files, input);
    }
    if (st.reread > 0)
        log_info("%zu of %zu files were read again in order: merging them "
                 "would have reached a series cap (max_series or "
                 "limits.max_series), where the order of the lines decides",
                 st.reread, n_files);
    log_debug("backfill: %zu workers merged %zu files; %zu read in order",
              st.workers, st.files, st.reread + st.in_order);
    return rc == 0 ? 0 : -1;
}

int daemon_once(struct daemon *d, char *const *files, size_t n_files,
                size_t input, size_t workers, FILE *out)
{
    struct core *c = d->core;
    struct input_stats st;
    int status = 0;
    if (n_files > 0) {
        status = workers > 1 ? once_workers(d, files, n_files, input, workers)
                             : once_files(d, files, n_files, input);
        /* What they added: values and the usage ledger, no positions. */
        check_budgets(d);
        checkpoint(d);
    } else {
        for (size_t i = 0; i < c->n_inputs; i++) {
            input_scan(c->inputs[i], INPUT_SCAN_ONCE);
            input_get_stats(c->inputs[i], &st);
            if (st.path_errors > 0 || st.unmatched_globs > 0)
                status = -1;
        }
        /* Saved positions are written before the files are closed. */
        for (size_t i = 0; i < c->n_inputs; i++)
            while (input_pump(c->inputs[i], SIZE_MAX))
                ;
        check_budgets(d);
        checkpoint(d);
        for (size_t i = 0; i < c->n_inputs; i++)
            input_drain_all(c->inputs[i]);
    }
    for (size_t i = 0; i < c->n_inputs; i++) {
        input_get_stats(c->inputs[i], &st);
        if (st.read_errors > 0)
            status = -1;
    }
    if (state_error(c->state)[0] != '\0')
        status = -1;

    struct buf b = {0};
    collect(d);
    expfmt_write(c->reg, &b);
    if (b.oom) {
        log_error("out of memory writing the exposition");
        buf_free(&b);
        return -1;
    }
    if (b.len > 0 && fwrite(b.data, 1, b.len, out) != b.len)
        status = -1;
    if (fflush(out) != 0)
        status = -1;
    buf_free(&b);
    return status;
}
