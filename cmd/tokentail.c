/*
 * tokentail: Prometheus metrics from the JSON logs of API and LLM services.
 *
 * This file holds the command line: flags, the configuration check, the
 * one-pass mode and the start of the daemon. Exit codes: 0 success, 1 a
 * runtime or configuration error, 2 a usage error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backfill.h"
#include "buf.h"
#include "cliflag.h"
#include "config.h"
#include "daemon.h"
#include "healthcheck.h"
#include "http.h"
#include "json_index.h"
#include "log.h"
#include "notify_check.h"
#include "report.h"
#include "ruletest.h"
#include "sdlisten.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

/* meson's sysconfdir under its prefix, where meson install puts the
 * configuration. */
#ifndef TOKENTAIL_SYSCONFDIR
#define TOKENTAIL_SYSCONFDIR "/etc"
#endif

#define DEFAULT_CONFIG CONFIG_FILE_NAME
#define DEFAULT_SYSTEM_CONFIG                                                  \
    TOKENTAIL_SYSCONFDIR "/tokentail/" CONFIG_FILE_NAME
#define DEFAULT_LISTEN ":8653"

static const char usage[] =
    "usage: tokentail [flags]                      follow logs, serve metrics\n"
    "       tokentail [flags] --once [FILE...]     read files once, print "
    "metrics\n"
    "       tokentail [flags] --check-config       validate the "
    "configuration\n"
    "       tokentail [flags] --test-notify        send a test alert to every "
    "receiver\n"
    "       tokentail report KIND [PARAM=VALUE...] print usage, export or "
    "budgets from\n"
    "                                              the state file (report "
    "--help)\n"
    "       tokentail --test-rules FILE...         run promtool's rule unit "
    "tests\n"
    "       tokentail healthcheck [--url=URL]      exit 0 when a running "
    "tokentail's\n"
    "                                              /health answers 200 "
    "(healthcheck --help)\n"
    "\n"
    "flags:\n"
    "  --config.file=PATH          configuration file (default: "
    "./" DEFAULT_CONFIG ",\n"
    "                              then " DEFAULT_SYSTEM_CONFIG ")\n"
    "  --web.listen-address=[HOST]:PORT\n"
    "                              where to serve HTTP (default " DEFAULT_LISTEN
    "); repeat\n"
    "                              the flag to serve on several addresses\n"
    "  --web.systemd-socket        serve on the sockets systemd passes "
    "(socket\n"
    "                              activation) instead of "
    "--web.listen-address\n"
    "  --web.enable-lifecycle      allow POST /-/reload (SIGHUP reloads "
    "always)\n"
    "  --web.config.file=PATH      TLS, basic authentication and headers, in "
    "the\n"
    "                              Prometheus exporter-toolkit format\n"
    "  --web.public-health         answer /health and /-/healthy without\n"
    "                              authentication (for load balancers' and\n"
    "                              kubelets' probes)\n"
    "  --log.level=LEVEL           debug, info, warn or error (default "
    "info)\n"
    "  --state.file=PATH           where values and read positions survive "
    "restarts\n"
    "                              (default: the configuration's state.file, "
    "else\n"
    "                              tokentail.db in $STATE_DIRECTORY, else in\n"
    "                              /var/lib/tokentail if writable, else in\n"
    "                              $XDG_STATE_HOME/tokentail or\n"
    "                              ~/.local/state/tokentail; empty: none; "
    "with\n"
    "                              --once: none unless given; with FILEs, "
    "only\n"
    "                              what they add: values and the usage "
    "ledger)\n"
    "  --once                      read FILEs (\"-\" for standard input) or "
    "the\n"
    "                              configured inputs from the beginning to "
    "the end,\n"
    "                              print the exposition and exit\n"
    "  --once.input=NAME           the input whose settings read the FILEs "
    "of --once\n"
    "                              (default: the first)\n"
    "  --once.workers=N            threads that read the FILEs of --once, "
    "each file\n"
    "                              by one, to the result of one (default 1; "
    "0 or\n"
    "                              auto: the CPUs tokentail may run on)\n"
    "  --check-config              check the configuration, print every "
    "error, exit\n"
    "  --test-notify               send a test alert, firing then resolved, "
    "to every\n"
    "                              Alertmanager and webhook; print how each "
    "answered;\n"
    "                              exit 1 unless all accepted it (SIGUSR1 "
    "sends it\n"
    "                              from a running daemon)\n"
    "  --version                   print the version and exit\n"
    "  -h, --help                  print this help and exit\n";

struct options {
    const char *config;
    const char *listen[HTTP_MAX_LISTEN];
    size_t n_listen;
    bool systemd_socket;
    const char *web_config;
    bool public_health;
    const char *log_level;
    const char *state_file;
    const char *once_input;   /* the input that reads FILEs */
    const char *once_workers; /* --once.workers as given; NULL: 1 */
    size_t workers;           /* threads that read FILEs */
    bool once;
    bool check;
    bool test_notify;
    bool lifecycle; /* --web.enable-lifecycle */
    char **files;
    size_t n_files;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "tokentail: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'tokentail --help' for more information.\n");
    return 2;
}

/* --once.workers: N from 1 to BACKFILL_MAX_WORKERS, or 0 or "auto" for
 * the CPUs tokentail may run on. Returns 0, or 2 after a usage error. */
static int parse_workers(struct options *o)
{
    const char *v = o->once_workers;
    char *end;
    o->workers = 1;
    if (v == NULL)
        return 0;
    if (strcmp(v, "auto") == 0) {
        o->workers = backfill_cpus();
        return 0;
    }
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
        n > BACKFILL_MAX_WORKERS) {
        char why[96];
        snprintf(why, sizeof(why),
                 "--once.workers must be a number from 0 to %d, or auto, "
                 "not \"%%s\"",
                 BACKFILL_MAX_WORKERS);
        return usage_error(why, v);
    }
    o->workers = n == 0 ? backfill_cpus() : (size_t)n;
    return 0;
}

/*
 * Says which path the JSON scanner's first stage takes (json_index.h). A
 * TOKENTAIL_SCAN this binary or CPU cannot follow stops the start, rather
 * than measuring or testing another path than the one asked for.
 */
static int scan_path(void)
{
    const char *name = getenv(JSON_INDEX_ENV);
    enum json_index_path path;
    int rc = json_index_from_env(&path);
    if (rc == -EINVAL)
        return usage_error(JSON_INDEX_ENV " must be avx2, sse2 or scalar, "
                                          "not \"%s\"",
                           name);
    if (rc == -ENOTSUP) {
        log_error("%s=%s: this CPU or build has no such path (the best it "
                  "has is %s)",
                  JSON_INDEX_ENV, name, json_index_name(path));
        return 2;
    }
    log_info("json scanner: %s (%s)", json_index_name(path),
             name != NULL && *name != '\0' ? JSON_INDEX_ENV
                                           : "the best this CPU has");
    return 0;
}

static int check_args(struct options *o);

static int parse_args(int argc, char **argv, struct options *o)
{
    static char *no_files[1];
    o->files = no_files;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("tokentail %s\n", TOKENTAIL_VERSION);
            exit(0);
        } else if (strcmp(a, "--once") == 0) {
            o->once = true;
        } else if (strcmp(a, "--check-config") == 0) {
            o->check = true;
        } else if (strcmp(a, "--web.public-health") == 0) {
            o->public_health = true;
        } else if (strcmp(a, "--test-notify") == 0) {
            o->test_notify = true;
        } else if (strcmp(a, "--web.enable-lifecycle") == 0) {
            o->lifecycle = true;
        } else if ((v = cliflag_value(argc, argv, &i, "--config.file",
                                      &missing)) != NULL) {
            o->config = v;
        } else if (strcmp(a, "--web.systemd-socket") == 0) {
            o->systemd_socket = true;
        } else if ((v = cliflag_value(argc, argv, &i, "--web.listen-address",
                                      &missing)) != NULL) {
            if (o->n_listen == HTTP_MAX_LISTEN)
                return usage_error("--web.listen-address: at most 16 "
                                   "addresses, not more: %s",
                                   v);
            o->listen[o->n_listen++] = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--web.config.file",
                                      &missing)) != NULL) {
            o->web_config = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--log.level",
                                      &missing)) != NULL) {
            o->log_level = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--state.file",
                                      &missing)) != NULL) {
            o->state_file = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--once.input",
                                      &missing)) != NULL) {
            o->once_input = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--once.workers",
                                      &missing)) != NULL) {
            o->once_workers = v;
        } else if (missing) {
            return usage_error("flag %s needs a value", a);
        } else if (a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                o->files = argv + i + 1;
                o->n_files = (size_t)(argc - i - 1);
                break;
            }
            return usage_error("unknown flag %s", a);
        } else {
            if (o->n_files == 0)
                o->files = argv + i;
            if (o->files + o->n_files != argv + i)
                return usage_error("file arguments must come last: %s", a);
            o->n_files++;
        }
    }
    return check_args(o);
}

/* What the flags given say together. Returns 0, or 2 after a usage error. */
static int check_args(struct options *o)
{
    if (parse_workers(o) != 0)
        return 2;
    if (o->n_files > 0 && !o->once)
        return usage_error("file arguments need --once: %s", o->files[0]);
    if (o->once_input != NULL && o->n_files == 0)
        return usage_error("%s", "--once.input names the input that reads "
                                 "FILE arguments of --once; without them each "
                                 "input reads its own files");
    if (o->once_workers != NULL && o->n_files == 0)
        return usage_error("%s", "--once.workers reads the FILE arguments of "
                                 "--once in parallel; without them the "
                                 "configured inputs are read by one thread, "
                                 "which keeps their positions");
    if ((int)o->once + (int)o->check + (int)o->test_notify > 1)
        return usage_error("%s", "--once, --check-config and --test-notify "
                                 "exclude each other");
    return 0;
}

/*
 * The state holds the configured inputs' files; named files (standard
 * input among them) are read whole and have no place in it. What they add
 * is kept only to fill the usage ledger (a backfill): with no usage
 * section --state.file has nothing to keep. Returns 0, or 2 after a usage
 * error.
 */
static int check_backfill(const struct options *o, const struct config *cfg)
{
    if (o->n_files == 0 || o->state_file == NULL || o->state_file[0] == '\0' ||
        cfg->usage != NULL)
        return 0;
    return usage_error("--state.file with file arguments keeps what they add "
                       "to the usage ledger, and the configuration has no "
                       "usage section; without it, named files such as %s "
                       "are read whole and keep no state (--state.file "
                       "alone makes --once an incremental pass over the "
                       "configured inputs)",
                       o->files[0]);
}

/*
 * The input that reads the FILEs of --once: the one named by --once.input,
 * else the first. Logs which with several inputs; -1 after a usage error
 * for a name no input has.
 */
static int once_input(const struct options *o, const struct config *cfg)
{
    struct buf names = {0};
    int i = o->once_input ? config_input_index(cfg, o->once_input) : 0;
    if (i >= 0) {
        if (cfg->n_inputs > 1)
            log_info("input %s reads the named files%s", cfg->inputs[i].name,
                     o->once_input ? ""
                                   : " (--once.input=NAME chooses "
                                     "another)");
        return i;
    }
    for (size_t k = 0; k < cfg->n_inputs; k++)
        buf_printf(&names, "%s%s", k > 0 ? ", " : "", cfg->inputs[k].name);
    fprintf(stderr,
            "tokentail: --once.input: no input is named \"%s\" (the inputs: "
            "%s)\nTry 'tokentail --help' for more information.\n",
            o->once_input, names.oom ? "?" : names.data);
    buf_free(&names);
    return -1;
}

/*
 * Where to serve: the addresses of --web.listen-address (default
 * DEFAULT_LISTEN) parsed into listen, or with --web.systemd-socket the
 * sockets systemd passed. Returns 0, 2 after a usage error, 1 when
 * systemd passed no sockets.
 */
static int web_options(struct options *o, struct http_listen *listen,
                       struct daemon_web *web)
{
    static const char *const defaults[] = {DEFAULT_LISTEN};
    const char *why;
    *web = (struct daemon_web){.listen = listen,
                               .names = o->n_listen ? o->listen : defaults,
                               .n_listen = o->n_listen ? o->n_listen : 1,
                               .config_file = o->web_config,
                               .public_health = o->public_health};
    for (size_t i = 0; i < web->n_listen; i++)
        if (http_parse_listen(web->names[i], &listen[i], &why) != 0) {
            fprintf(stderr,
                    "tokentail: bad --web.listen-address \"%s\": %s\n"
                    "Try 'tokentail --help' for more information.\n",
                    web->names[i], why);
            return 2;
        }
    if (!o->systemd_socket || o->once || o->check || o->test_notify)
        return 0;
    int n = sdlisten_from_env(&why);
    if (n < 0) {
        log_error("--web.systemd-socket: %s", why);
        return 1;
    }
    if (o->n_listen > 0)
        log_warn("--web.listen-address is ignored: --web.systemd-socket "
                 "serves on the sockets systemd passed");
    web->first_fd = SDLISTEN_FDS_START;
    web->n_fds = (size_t)n;
    return 0;
}

/* The web configuration, checked before anything starts: every problem
 * printed at file:line:column. */
static bool web_config_ok(const struct options *o)
{
    struct buf errors = {0};
    bool ok =
        o->web_config == NULL || http_check_web(o->web_config, &errors) == 0;
    if (!ok)
        fputs(errors.data ? errors.data : "", stderr);
    buf_free(&errors);
    return ok;
}

static const char *default_config(void)
{
    if (access(DEFAULT_CONFIG, F_OK) == 0)
        return DEFAULT_CONFIG;
    return DEFAULT_SYSTEM_CONFIG;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct http_listen listen[HTTP_MAX_LISTEN];
    struct daemon_web web;
    int rc;

    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return report_main(argc - 1, argv + 1, default_config(), stdout);
    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0)
        return healthcheck_main(argc - 1, argv + 1, stdout, stderr);
    /* Rule tests need neither configuration nor flags. */
    if (argc > 1 && strcmp(argv[1], "--test-rules") == 0)
        return argc > 2 ? ruletest_run((const char *const *)argv + 2,
                                       (size_t)argc - 2, stdout)
                        : usage_error("%s", "--test-rules needs test files");
    if ((rc = parse_args(argc, argv, &o)) != 0)
        return rc;
    if (o.log_level != NULL) {
        int level = log_level_parse(o.log_level);
        if (level < 0)
            return usage_error("--log.level must be debug, info, warn or "
                               "error, not \"%s\"",
                               o.log_level);
        log_set_level((enum log_level)level);
    }
    if ((rc = web_options(&o, listen, &web)) != 0)
        return rc;
    if (o.config == NULL)
        o.config = default_config();

    struct buf errors = {0};
    struct config *cfg;
    if (config_load(o.config, &cfg, &errors) != 0) {
        fputs(errors.data ? errors.data : "", stderr);
        buf_free(&errors);
        return 1;
    }
    buf_free(&errors);
    if (!web_config_ok(&o)) {
        config_free(cfg);
        return 1;
    }
    if (o.check) {
        printf("%s: OK (%zu inputs, %zu metrics)\n", o.config, cfg->n_inputs,
               cfg->n_metrics);
        config_free(cfg);
        return 0;
    }
    if (o.test_notify) {
        rc = notify_check_run(cfg->alerting, stdout);
        if (rc < 0)
            log_error("cannot send: %s", strerror(-rc));
        config_free(cfg);
        return rc == 0 ? 0 : 1;
    }

    int input = o.n_files > 0 ? once_input(&o, cfg) : 0;
    if (input < 0 || check_backfill(&o, cfg) != 0 || scan_path() != 0) {
        config_free(cfg);
        return 2;
    }
    enum daemon_mode mode = !o.once          ? DAEMON_FOLLOW
                            : o.n_files == 0 ? DAEMON_ONCE
                                             : DAEMON_ONCE_FILES;
    struct daemon *d;
    if ((rc = daemon_new(cfg, mode, o.state_file, &d)) != 0) {
        log_error("cannot start: %s", strerror(-rc));
        return 1;
    }
    if (o.once)
        rc = daemon_once(d, o.files, o.n_files, (size_t)input, o.workers,
                         stdout);
    else if ((rc = daemon_reloads(d, o.config, o.lifecycle)) == 0)
        rc = daemon_run(d, &web);
    daemon_free(d);
    return rc == 0 ? 0 : 1;
}
