/*
 * The offline reports: the command line read into flags and parameters,
 * the configuration and the ledger opened, then the kind's row runs.
 */
#include "report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "budget_http.h"
#include "config.h"
#include "ledger.h"
#include "state.h"
#include "usage_query.h"
#include "usage_render.h"

#define REPORT_EXIT_OK    0
#define REPORT_EXIT_ERROR 1 /* the configuration or the state file */
#define REPORT_EXIT_USAGE 2 /* a bad flag or parameter */

/* What a kind's row is given. */
struct report_ctx {
    const struct config *cfg;
    struct ledger *l;
    const struct usage_param *p;
    size_t n;
    enum usage_format format; /* --format, else a table */
    bool format_flag;         /* --format was given */
    int64_t now;
    struct buf *out, *why;
};

/* A report: writes to out; returns 0, -EINVAL with why set for a bad
 * parameter, -ENOENT with why set when there is nothing to report on, or
 * another -errno. */
struct report_kind {
    const char *name;
    const char *help;
    int (*run)(const struct report_ctx *c);
};

static int run_usage(const struct report_ctx *c)
{
    struct usage_request r;
    struct usage_summary *s = NULL;
    int rc = usage_parse(c->l, USAGE_SUMMARY, c->p, c->n, c->now, &r, c->why);
    if (rc == 0 && (rc = usage_summarize(c->l, &r, &s)) == 0)
        usage_render_summary(s, c->format, c->out);
    usage_summary_free(s);
    usage_request_free(&r);
    return rc;
}

static int run_export(const struct report_ctx *c)
{
    struct usage_request r;
    struct usage_writer w;
    struct ledger_metric_info m;
    int rc = usage_parse(c->l, USAGE_EXPORT, c->p, c->n, c->now, &r, c->why);
    if (rc == 0) {
        /* format=csv, as over HTTP, unless --format says otherwise. */
        enum usage_format f =
            r.format_given && !c->format_flag ? r.format : c->format;
        ledger_metric(c->l, r.metrics[0], &m);
        rc = usage_writer_begin(&w, f, ledger_zone(c->l), &m, c->out);
        if (rc == 0 && (rc = usage_export(c->l, &r, usage_writer_row, &w)) == 0)
            usage_writer_end(&w);
        else
            usage_writer_free(&w);
    }
    usage_request_free(&r);
    return rc;
}

static int run_budgets(const struct report_ctx *c)
{
    static const enum budget_format formats[] = {
        [USAGE_FORMAT_JSON] = BUDGET_JSON,
        [USAGE_FORMAT_CSV] = BUDGET_CSV,
        [USAGE_FORMAT_TABLE] = BUDGET_TABLE,
    };
    if (c->n > 0) {
        buf_printf(c->why,
                   "the budgets report takes no parameters, not \"%s\" "
                   "(each budget is in its own current period)",
                   c->p[0].key);
        return -EINVAL;
    }
    int rc =
        budget_report_ledger(c->cfg, c->l, c->now, formats[c->format], c->out);
    if (rc == -ENOENT)
        buf_puts(c->why, "the configuration has no budgets");
    return rc;
}

static const struct report_kind kinds[] = {
    {"usage", "each usage metric summed over a period (GET /api/v1/usage)",
     run_usage},
    {"export",
     "one metric's rows per day or hour and series "
     "(GET /api/v1/usage/export)",
     run_export},
    {"budgets", "every budget in its current period (GET /api/v1/budgets)",
     run_budgets},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* --- the command line ------------------------------------------------------
 */

struct report_args {
    const struct report_kind *kind;
    const char *config, *state;
    const char *format;
    struct usage_param *p;
    size_t n;
    char **owned; /* the parameters' copies, split at '=' */
};

static void help(FILE *f)
{
    fputs("usage: tokentail report KIND [--config.file=PATH] "
          "[--state.file=PATH]\n"
          "                        [--format=table|csv|json] "
          "[PARAM=VALUE ...]\n\nKINDs:\n",
          f);
    for (size_t i = 0; i < N_KINDS; i++)
        fprintf(f, "  %-8s %s\n", kinds[i].name, kinds[i].help);
    fputs("\nPARAMs are those of the HTTP endpoints: metric=, period=, "
          "start_date=,\nend_date=, by=, granularity=, format=, "
          "LABEL=VALUE.\nThe state file is the daemon's "
          "(--state.file, else the configuration's\nstate.file, else the "
          "default place); the report reads it without changing it.\n",
          f);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("tokentail report: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'tokentail report --help' for more information.\n", stderr);
    return REPORT_EXIT_USAGE;
}

/* "--name=value" or "--name value": the value, or NULL. */
static const char *flag(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0' || *i + 1 >= argc || argv[*i + 1] == NULL)
        return NULL;
    return argv[++*i];
}

static int add_param(struct report_args *a, const char *arg)
{
    char *copy = strdup(arg);
    if (copy == NULL)
        return -ENOMEM;
    a->owned[a->n] = copy;
    char *eq = strchr(copy, '=');
    *eq = '\0';
    a->p[a->n++] = (struct usage_param){copy, eq + 1};
    return 0;
}

static int parse_args(int argc, char **argv, struct report_args *a)
{
    if (argc < 2)
        return usage_error("%s", "which report? usage, export or budgets");
    for (size_t k = 0; k < N_KINDS && a->kind == NULL; k++)
        if (strcmp(argv[1], kinds[k].name) == 0)
            a->kind = &kinds[k];
    if (a->kind == NULL)
        return usage_error("no report is called \"%s\" (usage, export or "
                           "budgets)",
                           argv[1]);
    a->p = calloc((size_t)argc, sizeof(*a->p));
    a->owned = calloc((size_t)argc, sizeof(*a->owned));
    if (a->p == NULL || a->owned == NULL)
        return usage_error("%s", "out of memory");
    for (int i = 2; i < argc && argv[i] != NULL; i++) {
        const char *v, *arg = argv[i];
        if ((v = flag(argc, argv, &i, "--config.file")) != NULL)
            a->config = v;
        else if ((v = flag(argc, argv, &i, "--state.file")) != NULL)
            a->state = v;
        else if ((v = flag(argc, argv, &i, "--format")) != NULL)
            a->format = v;
        else if (arg[0] == '-')
            return usage_error("unknown flag %s (or it needs a value)", arg);
        else if (strchr(arg, '=') == NULL)
            return usage_error("expected PARAM=VALUE, not \"%s\"", arg);
        else if (add_param(a, arg) != 0)
            return usage_error("%s", "out of memory");
    }
    if (a->format != NULL && usage_format_parse(a->format) < 0)
        return usage_error("--format must be table, csv or json, not \"%s\"",
                           a->format);
    return 0;
}

static void args_free(struct report_args *a)
{
    for (size_t i = 0; a->owned != NULL && i < a->n; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->p);
}

/* --- running
 * ------------------------------------------------------------------ */

static int open_ledger(const struct config *cfg, const char *path,
                       struct ledger **l)
{
    int rc = ledger_open(cfg, path, l);
    if (rc == 0)
        return 0;
    fprintf(stderr,
            "tokentail report: cannot read the usage ledger of %s: %s\n", path,
            access(path, F_OK) != 0 ? "no such file"
            : rc == -ENOENT         ? "it holds no usage ledger (no tokentail "
                                      "with a usage section has written it)"
                                    : "it cannot be read");
    return REPORT_EXIT_ERROR;
}

static int report(const struct report_args *a, const struct config *cfg,
                  struct ledger *l, FILE *out)
{
    struct buf body = {0}, why = {0};
    struct report_ctx c = {
        .cfg = cfg,
        .l = l,
        .p = a->p,
        .n = a->n,
        .format = a->format ? (enum usage_format)usage_format_parse(a->format)
                            : USAGE_FORMAT_TABLE,
        .format_flag = a->format != NULL,
        .now = time(NULL),
        .out = &body,
        .why = &why,
    };
    int rc = a->kind->run(&c), code = REPORT_EXIT_OK;
    if (rc == -EINVAL)
        code = usage_error("%s", why.oom ? "bad parameter" : why.data);
    else if (rc == -ENOENT && why.len > 0 && !why.oom) {
        fprintf(stderr, "tokentail report: %s\n", why.data);
        code = REPORT_EXIT_ERROR;
    } else if (rc != 0 || body.oom) {
        fprintf(stderr, "tokentail report: %s\n",
                rc == -EIO ? "the usage ledger could not be read"
                           : "out of memory");
        code = REPORT_EXIT_ERROR;
    } else if (body.len > 0 && fwrite(body.data, 1, body.len, out) != body.len)
        code = REPORT_EXIT_ERROR;
    buf_free(&body);
    buf_free(&why);
    return code;
}

int report_main(int argc, char **argv, const char *default_config, FILE *out)
{
    struct report_args a = {0};
    struct config *cfg = NULL;
    struct ledger *l = NULL;
    struct buf errors = {0};
    char *path = NULL;
    int code;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        help(stdout);
        return REPORT_EXIT_OK;
    }
    if ((code = parse_args(argc, argv, &a)) != 0)
        goto done;
    code = REPORT_EXIT_ERROR;
    if (config_load(a.config ? a.config : default_config, &cfg, &errors) != 0)
        fputs(errors.data ? errors.data : "", stderr);
    else if (cfg->usage == NULL)
        fprintf(stderr,
                "tokentail report: %s has no usage section: no usage "
                "is kept\n",
                a.config ? a.config : default_config);
    else if ((path = state_choose_path(a.state, cfg->state_file, true,
                                       CONFIG_DEFAULT_STATE_FILE)) == NULL ||
             path[0] == '\0')
        fputs("tokentail report: no state file (--state.file=PATH names "
              "one)\n",
              stderr);
    else if (open_ledger(cfg, path, &l) == 0)
        code = report(&a, cfg, l, out);
done:
    ledger_free(l);
    free(path);
    config_free(cfg);
    buf_free(&errors);
    args_free(&a);
    return code;
}
