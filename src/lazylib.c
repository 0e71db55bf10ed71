/*
 * The forwarders: each curl_* or snappy_* function the code calls loads
 * its library on first use and calls the real one, or fails the way the
 * library itself fails when it cannot start (NULL, CURLE_FAILED_INIT).
 * Function pointers pass through void * as POSIX's dlsym() requires; the
 * copy into a typed pointer keeps ISO C's pedantic check quiet.
 */
#define CURL_DISABLE_TYPECHECK /* the real prototypes, not the macros */
#include "lazylib.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void *lazylib_open(const char *const *names, const char *const *symbols,
                   void **fns, size_t n, char *why, size_t why_len)
{
    void *h = NULL;
    char err[LAZYLIB_WHY_TEXT] = "no library name";
    const char *e;
    /* dlerror's text is copied at once: the next dl call may free it. The
     * first name's reason is the telling one. */
    for (size_t i = 0; names[i] != NULL && h == NULL; i++)
        if ((h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL)) == NULL && i == 0 &&
            (e = dlerror()) != NULL)
            snprintf(err, sizeof(err), "%s", e);
    for (size_t i = 0; h != NULL && i < n; i++) {
        if ((fns[i] = dlsym(h, symbols[i])) == NULL) {
            snprintf(err, sizeof(err), "%s",
                     (e = dlerror()) != NULL ? e : symbols[i]);
            dlclose(h);
            h = NULL;
        }
    }
    if (h == NULL && why != NULL && why_len > 0)
        snprintf(why, why_len, "%s", err);
    return h;
}

/* One library: its names, its symbols, and what loading it gave. */
struct lazylib {
    const char *const *names;
    const char *const *symbols;
    size_t n;
    void **fns;
    void *handle;
    bool tried;
    char why[LAZYLIB_WHY_TEXT];
};

static int lazylib_load(struct lazylib *l, char *why, size_t n)
{
    if (!l->tried) {
        l->tried = true;
        l->handle = lazylib_open(l->names, l->symbols, l->fns, l->n, l->why,
                                 sizeof(l->why));
    }
    if (l->handle == NULL && why != NULL && n > 0)
        snprintf(why, n, "%s", l->why);
    return l->handle != NULL ? 0 : -ENOENT;
}

/* Copies function i of l into *out (a function pointer's address);
 * false when the library cannot be loaded. */
static bool lazylib_fn(struct lazylib *l, size_t i, void *out)
{
    if (lazylib_load(l, NULL, 0) != 0)
        return false;
    memcpy(out, &l->fns[i], sizeof(void *));
    return true;
}

/* --- libcurl ------------------------------------------------------------- */

enum curl_fn {
    CURL_GLOBAL_INIT,
    CURL_GLOBAL_CLEANUP,
    CURL_EASY_INIT,
    CURL_EASY_CLEANUP,
    CURL_EASY_SETOPT,
    CURL_EASY_GETINFO,
    CURL_EASY_PERFORM,
    CURL_EASY_STRERROR,
    CURL_MULTI_INIT,
    CURL_MULTI_CLEANUP,
    CURL_MULTI_ADD_HANDLE,
    CURL_MULTI_REMOVE_HANDLE,
    CURL_MULTI_SETOPT,
    CURL_MULTI_ASSIGN,
    CURL_MULTI_INFO_READ,
    CURL_MULTI_SOCKET_ACTION,
    CURL_SLIST_APPEND,
    CURL_SLIST_FREE_ALL,
    CURL_FN_COUNT
};

static const char *const curl_symbols[CURL_FN_COUNT] = {
    [CURL_GLOBAL_INIT] = "curl_global_init",
    [CURL_GLOBAL_CLEANUP] = "curl_global_cleanup",
    [CURL_EASY_INIT] = "curl_easy_init",
    [CURL_EASY_CLEANUP] = "curl_easy_cleanup",
    [CURL_EASY_SETOPT] = "curl_easy_setopt",
    [CURL_EASY_GETINFO] = "curl_easy_getinfo",
    [CURL_EASY_PERFORM] = "curl_easy_perform",
    [CURL_EASY_STRERROR] = "curl_easy_strerror",
    [CURL_MULTI_INIT] = "curl_multi_init",
    [CURL_MULTI_CLEANUP] = "curl_multi_cleanup",
    [CURL_MULTI_ADD_HANDLE] = "curl_multi_add_handle",
    [CURL_MULTI_REMOVE_HANDLE] = "curl_multi_remove_handle",
    [CURL_MULTI_SETOPT] = "curl_multi_setopt",
    [CURL_MULTI_ASSIGN] = "curl_multi_assign",
    [CURL_MULTI_INFO_READ] = "curl_multi_info_read",
    [CURL_MULTI_SOCKET_ACTION] = "curl_multi_socket_action",
    [CURL_SLIST_APPEND] = "curl_slist_append",
    [CURL_SLIST_FREE_ALL] = "curl_slist_free_all",
};

/* Debian's libcurl built with GnuTLS (what the build links against),
 * then the one built with OpenSSL: the same API. */
static const char *const curl_names[] = {"libcurl-gnutls.so.4", "libcurl.so.4",
                                         NULL};

static void *curl_fns[CURL_FN_COUNT];
static struct lazylib curl_lib = {.names = curl_names,
                                  .symbols = curl_symbols,
                                  .n = CURL_FN_COUNT,
                                  .fns = curl_fns};

int lazylib_curl(char *why, size_t n)
{
    return lazylib_load(&curl_lib, why, n);
}

#define CURL_FN(i, f) lazylib_fn(&curl_lib, (i), &(f))

CURLcode curl_global_init(long flags)
{
    CURLcode (*f)(long);
    return CURL_FN(CURL_GLOBAL_INIT, f) ? f(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
    void (*f)(void);
    if (CURL_FN(CURL_GLOBAL_CLEANUP, f))
        f();
}

CURL *curl_easy_init(void)
{
    CURL *(*f)(void);
    return CURL_FN(CURL_EASY_INIT, f) ? f() : NULL;
}

void curl_easy_cleanup(CURL *e)
{
    void (*f)(CURL *);
    if (CURL_FN(CURL_EASY_CLEANUP, f))
        f(e);
}

/*
 * An option's one argument is read by the type its number says (curl's
 * own rule: long below 10000, then object pointers, function pointers,
 * curl_off_t, blobs) and passed on as that type.
 */
typedef void (*lazylib_any_fn)(void);

enum option_arg { ARG_LONG, ARG_POINTER, ARG_FUNCTION, ARG_OFF_T };

struct option_value {
    long l;
    void *p;
    lazylib_any_fn fn;
    curl_off_t off;
};

/* Reads option opt's argument from *ap into *v; says which it is. */
static enum option_arg option_read(int opt, va_list *ap, struct option_value *v)
{
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        v->l = va_arg(*ap, long);
        return ARG_LONG;
    }
    if (opt < CURLOPTTYPE_FUNCTIONPOINT || opt >= CURLOPTTYPE_BLOB) {
        v->p = va_arg(*ap, void *);
        return ARG_POINTER;
    }
    if (opt < CURLOPTTYPE_OFF_T) {
        v->fn = va_arg(*ap, lazylib_any_fn);
        return ARG_FUNCTION;
    }
    v->off = va_arg(*ap, curl_off_t);
    return ARG_OFF_T;
}

/* Calls f(handle, opt, the argument in v as its type) and stores what it
 * returns in rc: one body for easy and multi handles. */
#define OPTION_CALL(rc, f, handle, opt, kind, v)                               \
    switch (kind) {                                                            \
    case ARG_LONG:                                                             \
        (rc) = (f)((handle), (opt), (v).l);                                    \
        break;                                                                 \
    case ARG_POINTER:                                                          \
        (rc) = (f)((handle), (opt), (v).p);                                    \
        break;                                                                 \
    case ARG_FUNCTION:                                                         \
        (rc) = (f)((handle), (opt), (v).fn);                                   \
        break;                                                                 \
    default:                                                                   \
        (rc) = (f)((handle), (opt), (v).off);                                  \
        break;                                                                 \
    }

CURLcode curl_easy_setopt(CURL *e, CURLoption opt, ...)
{
    CURLcode (*f)(CURL *, CURLoption, ...);
    if (!CURL_FN(CURL_EASY_SETOPT, f))
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, opt);
    CURLcode rc;
    struct option_value v;
    enum option_arg kind = option_read((int)opt, &ap, &v);
    OPTION_CALL(rc, f, e, opt, kind, v)
    va_end(ap);
    return rc;
}

CURLcode curl_easy_getinfo(CURL *e, CURLINFO info, ...)
{
    CURLcode (*f)(CURL *, CURLINFO, ...);
    if (!CURL_FN(CURL_EASY_GETINFO, f))
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = f(e, info, va_arg(ap, void *)); /* always a pointer */
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *e)
{
    CURLcode (*f)(CURL *);
    return CURL_FN(CURL_EASY_PERFORM, f) ? f(e) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code)
{
    const char *(*f)(CURLcode);
    return CURL_FN(CURL_EASY_STRERROR, f) ? f(code)
                                          : "libcurl cannot be loaded";
}

CURLM *curl_multi_init(void)
{
    CURLM *(*f)(void);
    return CURL_FN(CURL_MULTI_INIT, f) ? f() : NULL;
}

CURLMcode curl_multi_cleanup(CURLM *m)
{
    CURLMcode (*f)(CURLM *);
    return CURL_FN(CURL_MULTI_CLEANUP, f) ? f(m) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_add_handle(CURLM *m, CURL *e)
{
    CURLMcode (*f)(CURLM *, CURL *);
    return CURL_FN(CURL_MULTI_ADD_HANDLE, f) ? f(m, e) : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_remove_handle(CURLM *m, CURL *e)
{
    CURLMcode (*f)(CURLM *, CURL *);
    return CURL_FN(CURL_MULTI_REMOVE_HANDLE, f) ? f(m, e)
                                                : CURLM_INTERNAL_ERROR;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
    CURLMcode (*f)(CURLM *, CURLMoption, ...);
    if (!CURL_FN(CURL_MULTI_SETOPT, f))
        return CURLM_INTERNAL_ERROR;
    va_list ap;
    va_start(ap, opt);
    CURLMcode rc;
    struct option_value v;
    enum option_arg kind = option_read((int)opt, &ap, &v);
    OPTION_CALL(rc, f, m, opt, kind, v)
    va_end(ap);
    return rc;
}

CURLMcode curl_multi_assign(CURLM *m, curl_socket_t s, void *p)
{
    CURLMcode (*f)(CURLM *, curl_socket_t, void *);
    return CURL_FN(CURL_MULTI_ASSIGN, f) ? f(m, s, p) : CURLM_INTERNAL_ERROR;
}

CURLMsg *curl_multi_info_read(CURLM *m, int *left)
{
    CURLMsg *(*f)(CURLM *, int *);
    return CURL_FN(CURL_MULTI_INFO_READ, f) ? f(m, left) : NULL;
}

CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev,
                                   int *running)
{
    CURLMcode (*f)(CURLM *, curl_socket_t, int, int *);
    return CURL_FN(CURL_MULTI_SOCKET_ACTION, f) ? f(m, s, ev, running)
                                                : CURLM_INTERNAL_ERROR;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
    struct curl_slist *(*f)(struct curl_slist *, const char *);
    return CURL_FN(CURL_SLIST_APPEND, f) ? f(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
    void (*f)(struct curl_slist *);
    if (l != NULL && CURL_FN(CURL_SLIST_FREE_ALL, f))
        f(l);
}

/* --- snappy -------------------------------------------------------------- */

enum snappy_fn { SNAPPY_COMPRESS, SNAPPY_MAX_LENGTH, SNAPPY_FN_COUNT };

static const char *const snappy_symbols[SNAPPY_FN_COUNT] = {
    [SNAPPY_COMPRESS] = "snappy_compress",
    [SNAPPY_MAX_LENGTH] = "snappy_max_compressed_length",
};
static const char *const snappy_names[] = {"libsnappy.so.1", NULL};

static void *snappy_fns[SNAPPY_FN_COUNT];
static struct lazylib snappy_lib = {.names = snappy_names,
                                    .symbols = snappy_symbols,
                                    .n = SNAPPY_FN_COUNT,
                                    .fns = snappy_fns};

int lazylib_snappy(char *why, size_t n)
{
    return lazylib_load(&snappy_lib, why, n);
}

snappy_status snappy_compress(const char *in, size_t in_len, char *out,
                              size_t *out_len)
{
    snappy_status (*f)(const char *, size_t, char *, size_t *);
    return lazylib_fn(&snappy_lib, SNAPPY_COMPRESS, &f)
               ? f(in, in_len, out, out_len)
               : SNAPPY_INVALID_INPUT;
}

size_t snappy_max_compressed_length(size_t len)
{
    size_t (*f)(size_t);
    return lazylib_fn(&snappy_lib, SNAPPY_MAX_LENGTH, &f) ? f(len) : 0;
}
