/*
 * Alert templates: each {{ action }} is a pipeline of commands, each
 * command a function applied to its arguments and to what the previous
 * command gave.
 */
#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql.h"

#define NO_VALUE        ""  /* Prometheus runs templates with missingkey=zero */
#define WORD_MAX        512 /* bytes in one word of an action */
#define PRINTF_SPEC_MAX 16  /* bytes of flags, width and precision */
#define PRINTF_DIGITS   2   /* digits of a width or precision: up to 99 */
#define SI_STEP         1000 /* between two of humanize's prefixes */
#define N_PREFIXES      8    /* each way: k to Y, m to y */

static const char *const big_prefixes[N_PREFIXES] = {"k", "M", "G", "T",
                                                     "P", "E", "Z", "Y"};
static const char *const small_prefixes[N_PREFIXES] = {"m", "u", "n", "p",
                                                       "f", "a", "z", "y"};

/* A value in a pipeline: text or a number. */
struct tval {
    bool is_num;
    double num;
    char text[WORD_MAX];
};

struct tctx {
    const struct template_data *d;
    char *err;
};

static int terr(struct tctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int terr(struct tctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, TEMPLATE_ERR_MAX, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Go's %.4g, with Go's names for the values that are not numbers. */
static void g4(char *out, size_t cap, double v, const char *suffix)
{
    if (isnan(v) || isinf(v))
        snprintf(out, cap, "%s%s",
                 isnan(v) ? "NaN"
                 : v > 0  ? "+Inf"
                          : "-Inf",
                 suffix);
    else
        snprintf(out, cap, "%.4g%s", v, suffix);
}

static void humanize(char *out, size_t cap, double v)
{
    const char *prefix = "";
    if (v == 0 || isnan(v) || isinf(v)) {
        g4(out, cap, v, "");
        return;
    }
    for (size_t i = 0; i < N_PREFIXES && fabs(v) >= SI_STEP; i++) {
        prefix = big_prefixes[i];
        v /= SI_STEP;
    }
    for (size_t i = 0; i < N_PREFIXES && fabs(v) < 1; i++) {
        prefix = small_prefixes[i];
        v *= SI_STEP;
    }
    g4(out, cap, v, prefix);
}

static void humanize_duration(char *out, size_t cap, double v)
{
    if (isnan(v) || isinf(v)) {
        g4(out, cap, v, "");
        return;
    }
    if (v == 0) {
        g4(out, cap, v, "s");
        return;
    }
    if (fabs(v) >= 1) {
        const char *sign = v < 0 ? "-" : "";
        v = fabs(v);
        /* Go's int64() of a float too large gives the smallest int64 on
         * amd64; C leaves it undefined. */
        long long d = v < 0x1p63 ? (long long)v : LLONG_MIN;
        long long s = d % 60, m = d / 60 % 60, h = d / 3600 % 24,
                  days = d / 86400;
        if (days != 0)
            snprintf(out, cap, "%s%lldd %lldh %lldm %llds", sign, days, h, m,
                     s);
        else if (h != 0)
            snprintf(out, cap, "%s%lldh %lldm %llds", sign, h, m, s);
        else if (m != 0)
            snprintf(out, cap, "%s%lldm %llds", sign, m, s);
        else
            snprintf(out, cap, "%s%.4gs", sign, v);
        return;
    }
    const char *prefix = "";
    for (size_t i = 0; i < N_PREFIXES && fabs(v) < 1; i++) {
        prefix = small_prefixes[i];
        v *= SI_STEP;
    }
    char unit[8];
    snprintf(unit, sizeof(unit), "%ss", prefix);
    g4(out, cap, v, unit);
}

/* A value as a number, as Prometheus' convertToFloat reads text. */
static bool as_number(const struct tval *v, double *out)
{
    if (v->is_num) {
        *out = v->num;
        return true;
    }
    char *end;
    *out = strtod(v->text, &end);
    return v->text[0] != '\0' && *end == '\0';
}

static void as_text(const struct tval *v, char *out, size_t cap)
{
    if (v->is_num)
        promql_format_float(v->num, 'g', out);
    else
        snprintf(out, cap, "%s", v->text);
}

/* The next conversion in fmt, "%%" being none; NULL at the end. */
static const char *next_conversion(const char *fmt)
{
    const char *p = strchr(fmt, '%');
    while (p != NULL && p[1] == '%')
        p = strchr(p + 2, '%');
    return p;
}

/* One conversion of printf (spec: its flags, width and precision, spec_len
 * bytes; conv: its letter) of arg, as Go's fmt writes it. */
static void convert(const char *spec, size_t spec_len, char conv,
                    const struct tval *arg, char *out, size_t cap)
{
    char f[32], text[WORD_MAX];
    /* Without the precision, for text. */
    size_t width_len = strcspn(spec, ".");
    if (width_len > spec_len)
        width_len = spec_len;
    as_text(arg, text, sizeof(text));
    bool numeric = strchr("feEgG", conv) != NULL;
    if (arg->is_num && numeric && isfinite(arg->num)) {
        snprintf(f, sizeof(f), "%%%.*s%c", (int)spec_len, spec, conv);
        snprintf(out, cap, f, arg->num);
    } else if (arg->is_num == numeric || conv == 'v') {
        /* Go prints infinities and NaN by name, whatever the verb. */
        snprintf(f, sizeof(f), "%%%.*ss", (int)width_len, spec);
        snprintf(out, cap, f, text);
    } else {
        snprintf(out, cap, "%%!%c(%s=%.400s)", conv,
                 arg->is_num ? "float64" : "string", text);
    }
}

/* Whether no width or precision in spec (len bytes) has more than
 * PRINTF_DIGITS digits: a text is never padded to gigabytes. */
static bool spec_bounded(const char *spec, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        run = isdigit((unsigned char)spec[i]) ? run + 1 : 0;
        if (run > PRINTF_DIGITS)
            return false;
    }
    return true;
}

/* printf with a format and one value. */
static int tprintf(struct tctx *c, const char *fmt, const struct tval *arg,
                   struct tval *out)
{
    const char *p = next_conversion(fmt);
    size_t spec = p ? strspn(p + 1, "0123456789.-+ #") : 0;
    char conv = p ? p[1 + spec] : '\0';
    if (p == NULL || conv == '\0' || strchr("feEgGsv", conv) == NULL ||
        next_conversion(p + 2 + spec) != NULL || spec > PRINTF_SPEC_MAX)
        return terr(c, "printf takes one %%f, %%e, %%g, %%s or %%v here");
    if (!spec_bounded(p + 1, spec))
        return terr(c, "printf's width and precision go up to 99");
    char middle[WORD_MAX], f[WORD_MAX];
    convert(p + 1, spec, conv, arg, middle, sizeof(middle));
    /* The text around the conversion keeps its %% for snprintf. */
    snprintf(f, sizeof(f), "%.*s%%s%s", (int)(p - fmt), fmt, p + 2 + spec);
    out->is_num = false;
    snprintf(out->text, sizeof(out->text), f, middle);
    return 0;
}

static int call(struct tctx *c, const char *fn, struct tval *args, size_t n,
                struct tval *out)
{
    double v;
    out->is_num = false;
    if (strcmp(fn, "printf") == 0) {
        if (n != 2 || args[0].is_num)
            return terr(c, "printf takes a format and one value here");
        return tprintf(c, args[0].text, &args[1], out);
    }
    if (n != 1)
        return terr(c, "%s takes one value", fn);
    if (strcmp(fn, "toUpper") == 0 || strcmp(fn, "toLower") == 0) {
        as_text(&args[0], out->text, sizeof(out->text));
        for (char *s = out->text; *s; s++)
            *s = (char)(fn[2] == 'U' ? toupper((unsigned char)*s)
                                     : tolower((unsigned char)*s));
        return 0;
    }
    static const char *const numeric[] = {"humanize", "humanizePercentage",
                                          "humanizeDuration"};
    bool known = false;
    for (size_t i = 0; i < sizeof(numeric) / sizeof(*numeric); i++)
        known = known || strcmp(fn, numeric[i]) == 0;
    if (!known)
        return terr(c, "template function \"%s\" is not supported", fn);
    if (!as_number(&args[0], &v))
        return terr(c, "%s: \"%s\" is not a number", fn, args[0].text);
    if (strcmp(fn, "humanize") == 0)
        humanize(out->text, sizeof(out->text), v);
    else if (strcmp(fn, "humanizePercentage") == 0)
        g4(out->text, sizeof(out->text), v * 100, "%");
    else
        humanize_duration(out->text, sizeof(out->text), v);
    return 0;
}

/* One word of an action: a quoted string, "|", or a run of other
 * characters; *end set past it. Returns its length, 0 at the end. */
static size_t next_word(const char *s, const char **start, const char **end)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    *start = s;
    if (*s == '"' || *s == '`') {
        const char *p = s + 1;
        while (*p != '\0' && *p != *s)
            p += (*p == '\\' && *s == '"' && p[1] != '\0') ? 2 : 1;
        *end = *p ? p + 1 : p;
    } else if (*s == '|') {
        *end = s + 1;
    } else {
        const char *p = s;
        while (*p != '\0' && strchr(" \t\n|", *p) == NULL)
            p++;
        *end = p;
    }
    return (size_t)(*end - *start);
}

static int quoted(struct tctx *c, const char *w, size_t len, struct tval *out)
{
    size_t o = 0;
    out->is_num = false;
    if (len < 2 || w[len - 1] != w[0])
        return terr(c, "unterminated string in a template");
    for (size_t i = 1; i + 1 < len && o + 1 < sizeof(out->text); i++) {
        char ch = w[i];
        if (ch == '\\' && w[0] == '"') {
            ch = w[++i];
            ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
        }
        out->text[o++] = ch;
    }
    out->text[o] = '\0';
    return 0;
}

/* An operand: a label, the value, a string or a number. */
static int operand(struct tctx *c, const char *w, size_t len, struct tval *out)
{
    char word[WORD_MAX];
    snprintf(word, sizeof(word), "%.*s", (int)len, w);
    out->is_num = false;
    if (w[0] == '"' || w[0] == '`')
        return quoted(c, w, len, out);
    if (strcmp(word, "$value") == 0 || strcmp(word, ".Value") == 0) {
        out->is_num = true;
        out->num = c->d->value;
        return 0;
    }
    if (strcmp(word, "$externalURL") == 0 ||
        strcmp(word, ".ExternalURL") == 0) {
        snprintf(out->text, sizeof(out->text), "%s",
                 c->d->external_url ? c->d->external_url : "");
        return 0;
    }
    static const char *const maps[] = {"$labels.", ".Labels.",
                                       "$externalLabels.", ".ExternalLabels."};
    for (size_t i = 0; i < sizeof(maps) / sizeof(*maps); i++) {
        size_t n = strlen(maps[i]);
        if (strncmp(word, maps[i], n) != 0)
            continue;
        const struct labels *ls = i < 2 ? c->d->labels : c->d->external_labels;
        const char *v = ls ? labels_get(ls, word + n) : NULL;
        snprintf(out->text, sizeof(out->text), "%s", v ? v : NO_VALUE);
        return 0;
    }
    char *end;
    out->num = strtod(word, &end);
    if (*end == '\0' && (isdigit((unsigned char)word[0]) || word[0] == '-')) {
        out->is_num = true;
        return 0;
    }
    return terr(c, "\"%s\" is not supported in a template", word);
}

#define ARGS_MAX 4 /* a function's arguments, with the piped value */

/* Runs the pipeline in action (len bytes) and appends its result. */
static int run_action(struct tctx *c, const char *action, size_t len,
                      struct buf *out)
{
    char text[WORD_MAX * 2];
    snprintf(text, sizeof(text), "%.*s", (int)len, action);
    const char *p = text, *w, *end;
    struct tval prev = {0};
    bool have_prev = false;
    while (next_word(p, &w, &end) > 0) {
        char fn[WORD_MAX] = "";
        struct tval args[ARGS_MAX];
        size_t n = 0;
        for (; next_word(p, &w, &end) > 0 && *w != '|'; p = end) {
            bool is_fn = n == 0 && fn[0] == '\0' && isalpha((unsigned char)*w);
            if (is_fn) {
                snprintf(fn, sizeof(fn), "%.*s", (int)(end - w), w);
                continue;
            }
            if (n == ARGS_MAX - 1)
                return terr(c, "too many arguments in a template");
            int rc = operand(c, w, (size_t)(end - w), &args[n++]);
            if (rc != 0)
                return rc;
        }
        if (have_prev)
            args[n++] = prev;
        if (fn[0] != '\0') {
            int rc = call(c, fn, args, n, &prev);
            if (rc != 0)
                return rc;
        } else if (n == 1) {
            prev = args[0];
        } else {
            return terr(c, "a template command must be a value or a function");
        }
        have_prev = true;
        if (*w == '|')
            p = end;
    }
    if (!have_prev)
        return terr(c, "an empty action in a template");
    char shown[WORD_MAX];
    as_text(&prev, shown, sizeof(shown));
    buf_puts(out, shown);
    return 0;
}

static const char *const control[] = {"if",       "else",  "end",
                                      "range",    "with",  "define",
                                      "template", "block", "define"};

int template_expand(const char *text, const struct template_data *d,
                    struct buf *out, char *err)
{
    struct tctx c = {d, err};
    const char *p = text;
    bool trim_next = false;
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *lit_end = open ? open : p + strlen(p);
        if (trim_next)
            while (p < lit_end && isspace((unsigned char)*p))
                p++;
        bool trim_before =
            open && open[2] == '-' && (open[3] == ' ' || open[3] == '\t');
        const char *e = lit_end;
        if (trim_before)
            while (e > p && isspace((unsigned char)e[-1]))
                e--;
        buf_append(out, p, (size_t)(e - p));
        if (open == NULL)
            return 0;
        const char *body = open + (trim_before ? 3 : 2);
        const char *close = strstr(body, "}}");
        if (close == NULL)
            return terr(&c, "unclosed action in a template");
        const char *body_end = close;
        trim_next = close - body >= 2 && close[-1] == '-' &&
                    (close[-2] == ' ' || close[-2] == '\t');
        if (trim_next)
            body_end = close - 1;
        p = close + 2;
        const char *w, *wend;
        if (next_word(body, &w, &wend) > 1 && w[0] == '/' && w[1] == '*')
            continue; /* a comment */
        for (size_t i = 0; i < sizeof(control) / sizeof(*control); i++)
            if ((size_t)(wend - w) == strlen(control[i]) &&
                memcmp(w, control[i], (size_t)(wend - w)) == 0)
                return terr(&c, "template action \"%s\" is not supported",
                            control[i]);
        int rc = run_action(&c, body, (size_t)(body_end - body), out);
        if (rc != 0)
            return rc;
    }
}
