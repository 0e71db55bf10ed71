#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "accept.h"
#include "buf.h"
#include "budget.h"
#include "budget_http.h"
#include "budget_store.h"
#include "config_alerting.h"
#include "engine.h"
#include "engine_store.h"
#include "expfmt.h"
#include "health.h"
#include "input.h"
#include "input_store.h"
#include "ledger.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "notify_check.h"
#include "pipeline.h"
#include "registry.h"
#include "registry_store.h"
#include "selfmetrics.h"
#include "service.h"
#include "state.h"
#include "usage_http.h"
#include "watch.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

struct daemon {
    struct config *cfg;
    struct registry *reg;
    struct pipeline *pipe;
    struct selfmetrics *self;
    struct input **inputs;
    size_t n_inputs;
    struct tail_buf rb;

    struct state *state;     /* with or without a file: see state.h */
    struct ledger *ledger;   /* NULL: no usage section */
    struct budgets *budgets; /* NULL: no budgets */
    struct engine *rules;    /* NULL: no rule files, or one pass */

    /* Following mode only. */
    struct loop *loop;
    struct watch *watch;
    struct http *http;
    struct notifier *notifier;
    struct service *service; /* NULL: not started by systemd */
    struct loop_timer *ckpt_timer;
    struct loop_timer *expire_timer;
    struct loop_timer *budget_timer;
    struct loop_timer *rules_timer;
    uint64_t expire_every_ms; /* 0: no metric expires */
    uint64_t started_ms;
};

static void collect(struct daemon *d);

/* Unix milliseconds now: the rules' clock. */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- state --------------------------------------------------------------- */

/*
 * Opens the state and restores what it saved into the registry, the
 * inputs (unless named files are read: they have no place in it) and the
 * usage ledger; without a usable file tokentail runs on. Returns 0 or
 * -errno.
 */
static int open_state(struct daemon *d, enum daemon_mode mode, const char *flag)
{
    char *path =
        state_choose_path(flag, d->cfg->state_file, mode == DAEMON_FOLLOW,
                          CONFIG_DEFAULT_STATE_FILE);
    int rc = path ? state_open(path, &d->state) : -ENOMEM;
    free(path);
    if (rc == 0)
        rc = registry_store_join(d->state, d->reg, d->cfg->keep_removed_ms);
    if (rc == 0 && mode != DAEMON_ONCE_FILES)
        rc = input_store_join(d->state, d->inputs, d->n_inputs);
    if (rc == 0 && d->ledger != NULL)
        rc = ledger_attach(d->ledger, d->state);
    if (rc == 0 && d->budgets != NULL)
        rc = budget_store_join(d->state, d->budgets);
    if (rc == 0 && d->rules != NULL)
        rc = engine_store_join(d->state, d->rules, wall_ms);
    if (rc == 0)
        state_restore(d->state);
    return rc;
}

static void checkpoint(struct daemon *d)
{
    struct state_stats st;
    if (state_checkpoint(d->state) > 0) {
        state_get_stats(d->state, &st);
        selfmetrics_observe_checkpoint(d->self, st.last_us);
    }
    if (d->ledger != NULL)
        ledger_sync(d->ledger);
}

/* Logs the budget warnings due; a checkpoint keeps at once that they were
 * given, so a crash right after does not give them again. */
static void check_budgets(struct daemon *d)
{
    if (d->budgets != NULL &&
        budgets_check(d->budgets, budgets_wall_clock()) > 0)
        checkpoint(d);
}

static void on_budgets(void *ctx)
{
    struct daemon *d = ctx;
    check_budgets(d);
    d->budget_timer = loop_timer_add(d->loop, BUDGET_CHECK_MS, on_budgets, d);
}

/* The usage ledger, when configured: it observes its metrics' updates. */
static int open_ledger(struct daemon *d)
{
    if (d->cfg->usage == NULL)
        return 0;
    int rc = ledger_new(d->cfg, &d->ledger);
    for (size_t i = 0; rc == 0 && i < ledger_n_metrics(d->ledger); i++) {
        struct ledger_metric_info m;
        ledger_metric(d->ledger, i, &m);
        rc = pipeline_observe(d->pipe, m.name, ledger_observe, d->ledger, i);
    }
    if (rc == 0)
        rc = ledger_selfmetrics(d->ledger, d->self);
    if (rc == 0 && d->cfg->n_budgets > 0)
        rc = budgets_new(d->cfg, d->ledger, &d->budgets);
    return rc == 0 && d->budgets != NULL
               ? budgets_selfmetrics(d->budgets, d->self)
               : rc;
}

static bool rules_read(const void *ctx, const char *family)
{
    return engine_reads(ctx, family);
}

/* The rules read what a scrape would show at that moment. */
static int sample_rules(void *ctx, struct history *h, int64_t t_ms)
{
    struct daemon *d = ctx;
    collect(d);
    return history_sample_registry(h, d->reg, t_ms, rules_read, d->rules);
}

/* The rule files' groups, evaluated while following; their alerts go to
 * the notifier. */
static int open_rules(struct daemon *d)
{
    const struct cfg_alerting *a = d->cfg->alerting;
    struct engine_options o = {
        .default_interval_ms = (int64_t)a->evaluation_interval_ms,
        .resend_delay_ms = (int64_t)a->resend_delay_ms,
        .max_samples = d->cfg->max_rule_samples,
        .external_url = a->external_url,
    };
    struct engine_sink sink;
    int rc = engine_new(d->cfg->rules, &o, &d->rules);
    if (rc != 0)
        return rc;
    engine_notify_sink(d->notifier, &sink);
    engine_set_sink(d->rules, &sink);
    engine_set_sampler(d->rules, sample_rules, d);
    return engine_selfmetrics(d->rules, d->self);
}

static void on_rules(void *ctx)
{
    struct daemon *d = ctx;
    int64_t delay = engine_run_due(d->rules, wall_ms());
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
    registry_expire(d->reg, (uint32_t)(loop_now_ms() / 1000));
    d->expire_timer = loop_timer_add(d->loop, d->expire_every_ms, on_expire, d);
}

/* --- assembly ------------------------------------------------------------ */

int daemon_new(struct config *cfg, enum daemon_mode mode,
               const char *state_file, struct daemon **out)
{
    bool follow = mode == DAEMON_FOLLOW;
    struct daemon *d = calloc(1, sizeof(*d));
    int rc;
    if (d == NULL) {
        config_free(cfg);
        return -ENOMEM;
    }
    d->cfg = cfg;
    d->started_ms = loop_now_ms();

    if ((rc = registry_new(&d->reg)) == 0)
        registry_set_max_series(d->reg, cfg->max_series);
    if (rc != 0 || (rc = pipeline_new(cfg, d->reg, &d->pipe)) != 0 ||
        (rc = selfmetrics_new(d->reg, &d->self)) != 0 ||
        (rc = open_ledger(d)) != 0)
        goto fail;
    if (follow) {
        if ((rc = loop_new(&d->loop)) != 0 ||
            (rc = watch_new(&d->watch)) != 0 ||
            (rc = notifier_new(cfg->alerting, d->loop, &d->notifier)) != 0 ||
            (rc = notifier_selfmetrics(d->notifier, d->self)) != 0)
            goto fail;
    }
    if (follow && cfg->rules != NULL && (rc = open_rules(d)) != 0)
        goto fail;
    d->inputs = calloc(cfg->n_inputs ? cfg->n_inputs : 1, sizeof(*d->inputs));
    if (d->inputs == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        rc = input_new(&cfg->inputs[i], d->watch, d->loop, &d->rb,
                       pipeline_sink(d->pipe, i), &d->inputs[i]);
        if (rc != 0)
            goto fail;
        d->n_inputs++;
    }
    if ((rc = open_state(d, mode, state_file)) != 0)
        goto fail;
    *out = d;
    return 0;
fail:
    daemon_free(d);
    return rc;
}

void daemon_free(struct daemon *d)
{
    if (d == NULL)
        return;
    http_stop(d->http);
    /* The state's participants borrow the registry and the inputs. */
    state_close(d->state);
    for (size_t i = 0; d->inputs != NULL && i < d->n_inputs; i++)
        input_free(d->inputs[i]);
    free(d->inputs);
    if (d->loop) {
        loop_timer_cancel(d->loop, d->ckpt_timer);
        loop_timer_cancel(d->loop, d->expire_timer);
        loop_timer_cancel(d->loop, d->budget_timer);
        loop_timer_cancel(d->loop, d->rules_timer);
    }
    service_free(d->service);
    watch_free(d->watch);
    notifier_free(d->notifier);
    loop_free(d->loop);
    selfmetrics_free(d->self);
    /* After the state, whose checkpoints they take part in. */
    budgets_free(d->budgets);
    ledger_free(d->ledger);
    engine_free(d->rules);
    pipeline_free(d->pipe);
    registry_free(d->reg);
    tail_buf_free(&d->rb);
    config_free(d->cfg);
    free(d);
}

/* --- endpoints ----------------------------------------------------------- */

static void collect(struct daemon *d)
{
    struct state_stats st;
    state_get_stats(d->state, &st);
    if (d->budgets != NULL)
        budgets_eval(d->budgets, budgets_wall_clock());
    struct self_sources src = {
        .pipe = d->pipe,
        .inputs = d->inputs,
        .n_inputs = d->n_inputs,
        .watch = d->watch,
        .http = d->http,
        .state = &st,
    };
    selfmetrics_collect(d->self, &src);
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
    rep->content_type = expfmt_content_type(fmt);
    expfmt_write_format(d->reg, fmt, &rep->body);
    engine_expose(d->rules, fmt, &rep->body);
    expfmt_end(&rep->body, fmt);
}

static void on_health(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    struct daemon *d = ctx;
    struct state_stats st;
    state_get_stats(d->state, &st);
    struct health_sources src = {
        .cfg = d->cfg,
        .inputs = d->inputs,
        .n_inputs = d->n_inputs,
        .state = &st,
        .state_path = state_file(d->state),
        .state_error = state_error(d->state),
        .uptime_ms = loop_now_ms() - d->started_ms,
    };
    (void)req;
    rep->content_type = "application/json";
    rep->status = health_write(&src, &rep->body) ? 200 : 503;
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
    for (size_t i = 0; i < d->n_inputs; i++)
        input_rescan_all(d->inputs[i]);
}

static bool on_idle(void *ctx)
{
    struct daemon *d = ctx;
    bool more = false;
    for (size_t i = 0; i < d->n_inputs; i++)
        more |= input_pump(d->inputs[i], DAEMON_READ_BUDGET);
    return more;
}

static void on_signal(void *ctx, int sig)
{
    struct daemon *d = ctx;
    if (sig == SIGHUP) {
        service_reloading(d->service);
        log_info("SIGHUP received; configuration reload is not supported "
                 "yet, restart to apply changes");
        service_ready(d->service);
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
    for (size_t i = 0; i < d->n_inputs; i++) {
        input_get_stats(d->inputs[i], &in);
        pipeline_input_stats(d->pipe, i, &pin);
        out->files += in.files;
        out->lines += pin.lines;
    }
    state_get_stats(d->state, &st);
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
    if (http_listener_name(d->http, 0, where, sizeof(where))) {
        char host[64] = "localhost";
        gethostname(host, sizeof(host) - 1);
        snprintf(url, sizeof(url), "http://%s:%u/", host, http_port(d->http));
    } else {
        snprintf(url, sizeof(url), "http://%s/", where);
    }
    return engine_set_external_url(d->rules, url);
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
        (rc = loop_add_idle(d->loop, on_idle, d)) != 0 ||
        (rc = service_new(d->loop, sample_service, d, &d->service)) != 0) {
        log_error("cannot set up the event loop: %s", strerror(-rc));
        return rc;
    }
    watch_on_overflow(d->watch, on_overflow, d);

    if ((rc = open_http(d, web, &names)) != 0 ||
        (rc = http_route(d->http, "/metrics", on_metrics, d)) != 0 ||
        (rc = http_route(d->http, "/health", on_health, d)) != 0 ||
        (rc = http_route(d->http, "/api/v1/budgets", budget_http_get,
                         d->budgets)) != 0 ||
        (rc = http_route(d->http, "/", http_index_page, NULL)) != 0 ||
        (rc = usage_http_routes(d->http, d->ledger)) != 0 ||
        (rc = engine_routes(d->http, d->rules)) != 0)
        goto out;

    for (size_t i = 0; i < d->n_inputs; i++) {
        input_scan(d->inputs[i], INPUT_SCAN_STARTUP);
        if ((rc = input_start(d->inputs[i])) != 0)
            goto out;
    }
    /* The first checkpoint records the inputs and where every file starts. */
    checkpoint(d);
    d->ckpt_timer =
        loop_timer_add(d->loop, d->cfg->checkpoint_ms, on_checkpoint, d);
    if ((d->expire_every_ms = registry_expire_every_ms(d->reg)) > 0)
        d->expire_timer =
            loop_timer_add(d->loop, d->expire_every_ms, on_expire, d);
    if (d->budgets != NULL)
        on_budgets(d);
    if (d->rules != NULL) {
        if (d->cfg->alerting->external_url[0] == '\0' &&
            (rc = set_external_url(d)) != 0)
            goto out;
        on_rules(d);
    }

    buf_printf(&names, " version=%s", TOKENTAIL_VERSION);
    log_write(LOG_INFO, names.oom ? NULL : names.data, "serving HTTP");
    /* Inputs placed, their first checkpoint written, HTTP answering. */
    service_ready(d->service);

    rc = loop_run(d->loop);
    if (rc != 0)
        log_error("event loop failed: %s", strerror(-rc));
    service_stopping(d->service);
    checkpoint(d);
out:
    buf_free(&names);
    return rc;
}

/* --- one pass ------------------------------------------------------------ */

int daemon_once(struct daemon *d, char *const *files, size_t n_files,
                size_t input, FILE *out)
{
    struct input_stats st;
    int status = 0;
    if (n_files > 0) {
        for (size_t i = 0; i < n_files; i++) {
            int rc = input_open_path(d->inputs[input], files[i]);
            if (rc != 0) {
                log_error("cannot read %s: %s", files[i], strerror(-rc));
                status = -1;
                continue;
            }
            input_drain_all(d->inputs[input]);
        }
        /* What they added: values and the usage ledger, no positions. */
        check_budgets(d);
        checkpoint(d);
    } else {
        for (size_t i = 0; i < d->n_inputs; i++) {
            input_scan(d->inputs[i], INPUT_SCAN_ONCE);
            input_get_stats(d->inputs[i], &st);
            if (st.path_errors > 0 || st.unmatched_globs > 0)
                status = -1;
        }
        /* Saved positions are written before the files are closed. */
        for (size_t i = 0; i < d->n_inputs; i++)
            while (input_pump(d->inputs[i], SIZE_MAX))
                ;
        check_budgets(d);
        checkpoint(d);
        for (size_t i = 0; i < d->n_inputs; i++)
            input_drain_all(d->inputs[i]);
    }
    for (size_t i = 0; i < d->n_inputs; i++) {
        input_get_stats(d->inputs[i], &st);
        if (st.read_errors > 0)
            status = -1;
    }
    if (state_error(d->state)[0] != '\0')
        status = -1;

    struct buf b = {0};
    collect(d);
    expfmt_write(d->reg, &b);
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
