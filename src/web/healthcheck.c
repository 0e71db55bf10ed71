#include "healthcheck.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cliflag.h"
#include "jsonstr.h"
#include "duration.h"
#include "lazylib.h"
#include "num.h"

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

/* A /health document beyond this is cut: the verdict needs its status
 * only, the reasons are a courtesy. */
#define HEALTHCHECK_BODY_MAX       (1024 * 1024)
#define HEALTHCHECK_PASSWORD_MAX   1024 /* bytes of the password file read */
#define HEALTHCHECK_REASONS_MAX    3    /* reasons named; the rest counted */
#define HEALTHCHECK_LINE_MAX       200  /* bytes of a non-JSON answer shown */
#define HTTP_OK                    200
#define HEALTHCHECK_TIMEOUT_MAX_MS (24LL * 3600 * 1000) /* a day */
#define NUM_PER_MS                 (NUM_ONE / 1000)

static const char usage[] =
    "usage: tokentail healthcheck [flags]\n"
    "\n"
    "GETs /health of a running tokentail; exits 0 when it answers 200, 1\n"
    "otherwise (unreachable, no answer in time, or degraded: 503 with the\n"
    "reasons), 2 for a usage error. One line says why.\n"
    "\n"
    "flags:\n"
    "  --url=URL                     what to probe "
    "(default " HEALTHCHECK_DEFAULT_URL ")\n"
    "  --timeout=DURATION            give up after this long "
    "(default " HEALTHCHECK_DEFAULT_TIMEOUT ")\n"
    "  --ca-file=PATH                the authority that signed the server's "
    "certificate\n"
    "  --insecure-skip-verify        accept any certificate (a self-signed "
    "local one)\n"
    "  --basic-auth-user=USER        authenticate as USER\n"
    "  --basic-auth-password-file=PATH\n"
    "                                USER's password: the file's first "
    "line (default:\n"
    "                                $" HEALTHCHECK_PASSWORD_ENV ")\n"
    "  -h, --help                    print this help and exit\n";

static int usage_error(FILE *err, const char *what, const char *arg)
{
    fprintf(err,
            "tokentail healthcheck: %s%s\nTry 'tokentail healthcheck "
            "--help' for more information.\n",
            what, arg);
    return 2;
}

static int set_timeout(const char *v, struct healthcheck_options *o, FILE *err)
{
    num_fixed s;
    if (duration_parse(v, strlen(v), &s) != 0 || s < NUM_PER_MS ||
        s / NUM_PER_MS > HEALTHCHECK_TIMEOUT_MAX_MS)
        return usage_error(err,
                           "--timeout needs a duration from 1ms to 24h such "
                           "as 5s or 500ms, not ",
                           v);
    o->timeout_ms = (int64_t)(s / NUM_PER_MS);
    o->timeout = v;
    return 0;
}

int healthcheck_parse(int argc, char **argv, struct healthcheck_options *o,
                      FILE *err)
{
    *o = (struct healthcheck_options){.url = HEALTHCHECK_DEFAULT_URL};
    set_timeout(HEALTHCHECK_DEFAULT_TIMEOUT, o, err);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing = false;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            o->help = true;
        } else if (strcmp(a, "--insecure-skip-verify") == 0) {
            o->insecure_skip_verify = true;
        } else if ((v = cliflag_value(argc, argv, &i, "--url", &missing))) {
            o->url = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--timeout", &missing))) {
            if (set_timeout(v, o, err) != 0)
                return 2;
        } else if ((v = cliflag_value(argc, argv, &i, "--ca-file", &missing))) {
            o->ca_file = v;
        } else if ((v = cliflag_value(argc, argv, &i, "--basic-auth-user",
                                      &missing))) {
            o->user = v;
        } else if ((v = cliflag_value(argc, argv, &i,
                                      "--basic-auth-password-file",
                                      &missing))) {
            o->password_file = v;
        } else if (missing) {
            return usage_error(err, "a value is missing after ", a);
        } else {
            return usage_error(err, "unknown argument ", a);
        }
    }
    if (strncmp(o->url, "http://", 7) != 0 &&
        strncmp(o->url, "https://", 8) != 0)
        return usage_error(
            err, "--url must start with http:// or https://: ", o->url);
    if (o->password_file != NULL && o->user == NULL)
        return usage_error(err, "--basic-auth-password-file needs ",
                           "--basic-auth-user");
    return 0;
}

/*
 * The password: the first line of the file, or the environment's. Writes
 * it into pw (HEALTHCHECK_PASSWORD_MAX + 1 bytes); returns 0, or 1 after
 * saying why it cannot be read.
 */
static int read_password(const struct healthcheck_options *o, char *pw,
                         FILE *err)
{
    pw[0] = '\0';
    if (o->password_file == NULL) {
        const char *env = getenv(HEALTHCHECK_PASSWORD_ENV);
        if (env != NULL)
            snprintf(pw, HEALTHCHECK_PASSWORD_MAX + 1, "%s", env);
        return 0;
    }
    FILE *f = fopen(o->password_file, "r");
    if (f == NULL) {
        fprintf(err, "tokentail healthcheck: cannot read %s: %s\n",
                o->password_file, strerror(errno));
        return 1;
    }
    if (fgets(pw, HEALTHCHECK_PASSWORD_MAX + 1, f) == NULL)
        pw[0] = '\0';
    fclose(f);
    pw[strcspn(pw, "\r\n")] = '\0';
    return 0;
}

static size_t keep_body(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *body = ctx;
    size_t room = HEALTHCHECK_BODY_MAX - body->len;
    buf_append(body, p, n < room ? n : room);
    return body->oom ? 0 : size * n;
}

/* The token after the subtree at t: jsmn lists a value's tokens in order
 * of their start. */
static int skip(const jsmntok_t *toks, int n, int t)
{
    int end = toks[t].end, k = t + 1;
    while (k < n && toks[k].start < end)
        k++;
    return k;
}

/* The value of key in the object at t, or -1. */
static int member(const char *doc, const jsmntok_t *toks, int n, int t,
                  const char *key)
{
    if (t < 0 || toks[t].type != JSMN_OBJECT)
        return -1;
    size_t len = strlen(key);
    for (int k = t + 1; k < n && toks[k].start < toks[t].end;) {
        int v = k + 1;
        /* jsmn lets {"a","b"} through: a key is a string with one value. */
        if (v >= n || toks[k].type != JSMN_STRING || toks[k].size != 1)
            return -1;
        if ((size_t)(toks[k].end - toks[k].start) == len &&
            memcmp(doc + toks[k].start, key, len) == 0)
            return v;
        k = skip(toks, n, v);
    }
    return -1;
}

/* Text from the answer, made fit for one line: cut at
 * HEALTHCHECK_LINE_MAX bytes (on a UTF-8 character's boundary), control
 * characters shown as '?'. */
static void put_text(struct buf *out, const char *s, size_t len)
{
    if (len > HEALTHCHECK_LINE_MAX) {
        len = HEALTHCHECK_LINE_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf_putc(out, c < 0x20 || c == 0x7F ? '?' : (char)c);
    }
}

static void put_string(struct buf *out, const char *doc, const jsmntok_t *t)
{
    size_t len = (size_t)(t->end - t->start);
    char *s = malloc(len + 1);
    if (s == NULL)
        return;
    put_text(out, s, json_unescape(doc + t->start, len, s));
    free(s);
}

/* One reason more: written while there are fewer than the maximum. */
static void reason(struct buf *out, size_t *n, const char *prefix,
                   const char *doc, const jsmntok_t *t)
{
    if ((*n)++ >= HEALTHCHECK_REASONS_MAX)
        return;
    buf_puts(out, *n > 1 ? "; " : ": ");
    buf_puts(out, prefix);
    put_string(out, doc, t);
}

/* The reasons a degraded document gives: the state's error and each
 * input's file errors. */
static void reasons(const char *doc, const jsmntok_t *toks, int n,
                    struct buf *out)
{
    size_t count = 0;
    int e = member(doc, toks, n, member(doc, toks, n, 0, "state"), "error");
    if (e >= 0 && toks[e].type == JSMN_STRING)
        reason(out, &count, "state: ", doc, &toks[e]);
    int in = member(doc, toks, n, 0, "inputs");
    for (int i = in + 1; in >= 0 && i < n && toks[i].start < toks[in].end;
         i = skip(toks, n, i)) {
        int errs = member(doc, toks, n, i, "errors");
        int name = member(doc, toks, n, i, "name");
        for (int k = errs + 1;
             errs >= 0 && k < n && toks[k].start < toks[errs].end;
             k = skip(toks, n, k)) {
            int path = member(doc, toks, n, k, "path");
            int why = member(doc, toks, n, k, "error");
            if (name < 0 || path < 0 || why < 0)
                continue;
            struct buf p = {0};
            buf_puts(&p, "input ");
            put_string(&p, doc, &toks[name]);
            buf_puts(&p, ": ");
            put_string(&p, doc, &toks[path]);
            buf_puts(&p, ": ");
            if (!p.oom && p.len > 0)
                reason(out, &count, p.data, doc, &toks[why]);
            buf_free(&p);
        }
    }
    if (count > HEALTHCHECK_REASONS_MAX)
        buf_printf(out, "; and %zu more", count - HEALTHCHECK_REASONS_MAX);
}

void healthcheck_describe(const char *body, size_t len, struct buf *out)
{
    if (len == 0)
        return;
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, body, len, NULL, 0);
    jsmntok_t *toks = n > 0 ? calloc((size_t)n, sizeof(*toks)) : NULL;
    jsmn_init(&p);
    if (toks != NULL && jsmn_parse(&p, body, len, toks, (unsigned)n) == n) {
        int st = member(body, toks, n, 0, "status");
        if (st >= 0 && toks[st].type == JSMN_STRING) {
            buf_puts(out, ": ");
            put_string(out, body, &toks[st]);
            reasons(body, toks, n, out);
        }
        free(toks);
        return;
    }
    free(toks);
    size_t line = 0;
    while (line < len && body[line] != '\n' && body[line] != '\r')
        line++;
    buf_puts(out, ": ");
    put_text(out, body, line);
}

/* Why the request got no answer, in the words an operator searches for. */
static void unreachable(CURL *e, CURLcode rc, const char *errbuf,
                        const struct healthcheck_options *o, struct buf *out)
{
    long os_errno = 0;
    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        buf_printf(out, "no answer within %s", o->timeout);
    } else if (rc == CURLE_COULDNT_CONNECT && os_errno != 0) {
        buf_puts(out, strerror((int)os_errno));
    } else {
        buf_puts(out, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
    }
}

static void set_request(CURL *e, const struct healthcheck_options *o,
                        const char *password, struct buf *body, char *errbuf)
{
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tokentail-healthcheck");
    if (o->user != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, password);
    }
    if (o->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
    if (o->insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* The request and its verdict: 0 or 1, the line written to out. */
static int probe(const struct healthcheck_options *o, const char *password,
                 struct buf *line)
{
    struct buf body = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *e = curl_easy_init();
    if (e == NULL) {
        buf_puts(line, "unreachable: cannot start libcurl");
        return 1;
    }
    set_request(e, o, password, &body, errbuf);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    bool healthy = rc == CURLE_OK && status == HTTP_OK;
    if (status == 0) {
        buf_printf(line, "unreachable: %s: ", o->url);
        unreachable(e, rc, errbuf, o, line);
    } else {
        buf_printf(line, "%s: %s answered %ld",
                   healthy ? "healthy" : "unhealthy", o->url, status);
        if (rc != CURLE_OK)
            buf_printf(line, " (%s)", curl_easy_strerror(rc));
        else if (!body.oom)
            healthcheck_describe(body.data, body.len, line);
    }
    curl_easy_cleanup(e);
    buf_free(&body);
    return healthy ? 0 : 1;
}

int healthcheck_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct healthcheck_options o;
    char password[HEALTHCHECK_PASSWORD_MAX + 1];
    int rc = healthcheck_parse(argc, argv, &o, err);
    if (rc != 0)
        return rc;
    if (o.help) {
        fputs(usage, out);
        return 0;
    }
    if (read_password(&o, password, err) != 0)
        return 1;
    char why[LAZYLIB_WHY_TEXT];
    if (lazylib_curl(why, sizeof(why)) != 0) {
        fprintf(err, "tokentail healthcheck: cannot load libcurl: %s\n", why);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("tokentail healthcheck: cannot start libcurl\n", err);
        return 1;
    }
    struct buf line = {0};
    rc = probe(&o, password, &line);
    curl_global_cleanup();
    buf_putc(&line, '\n');
    if (!line.oom)
        fwrite(line.data, 1, line.len, rc == 0 ? out : err);
    buf_free(&line);
    return rc;
}
