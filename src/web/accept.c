#include "accept.h"

#include <string.h>
#include <strings.h>

#define Q_DIGITS 3 /* q has at most three decimals */

/* Ranks of a media range's match, least specific first. */
enum rank { RANK_NONE, RANK_ANY, RANK_TYPE, RANK_SUBTYPE, RANK_VERSION };

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Where the current element or parameter ends: at stop or ',' (or the
 * end), quoted strings skipped whole. */
static const char *scan(const char *p, char stop)
{
    while (*p != '\0' && *p != ',' && *p != stop) {
        if (*p == '"') {
            for (p++; *p != '\0' && *p != '"'; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '\0')
                return p;
        }
        p++;
    }
    return p;
}

static bool eq(const char *a, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(a, lit, n) == 0;
}

/* Parses a qvalue: "0", "0.5", "1", "1.000"; UINT_MAX when malformed. */
static unsigned parse_q(const char *s, size_t n)
{
    while (n > 0 && is_ows(s[n - 1]))
        n--;
    if (n == 0 || (s[0] != '0' && s[0] != '1') ||
        (n > 1 && (s[1] != '.' || n - 2 > Q_DIGITS)))
        return ~0u;
    unsigned q = (unsigned)(s[0] - '0') * ACCEPT_Q_ONE, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return ~0u;
        q += (unsigned)(s[i] - '0') * scale;
    }
    return q > ACCEPT_Q_ONE ? ~0u : q;
}

/* Reads the parameters from p (just past the name) to the element's end;
 * the q parameter ends the media type's own. Returns the end. */
static const char *read_params(const char *p, struct accept_item *out)
{
    out->params = p;
    out->params_len = 0;
    out->q = ACCEPT_Q_ONE;
    bool q_seen = false;
    while (*p == ';') {
        const char *start = p + 1, *end = scan(start, ';');
        while (is_ows(*start))
            start++;
        if (!q_seen && end - start >= 2 &&
            (start[0] == 'q' || start[0] == 'Q')) {
            const char *v = start + 1;
            while (is_ows(*v))
                v++;
            if (*v == '=') {
                for (v++; is_ows(*v); v++)
                    ;
                unsigned q = parse_q(v, (size_t)(end - v));
                out->q = q == ~0u ? 0 : q;
                q_seen = true;
            }
        }
        if (!q_seen)
            out->params_len = (size_t)(end - out->params);
        p = end;
    }
    return p;
}

bool accept_next(const char **p, struct accept_item *out)
{
    const char *s = *p;
    for (;;) {
        while (is_ows(*s) || *s == ',')
            s++;
        if (*s == '\0') {
            *p = s;
            return false;
        }
        const char *name = s;
        while (*s != '\0' && *s != ',' && *s != ';' && !is_ows(*s))
            s++;
        out->name = name;
        out->name_len = (size_t)(s - name);
        while (is_ows(*s))
            s++;
        s = read_params(s, out);
        /* Whatever else is left of a malformed element goes with it. */
        s = scan(s, ',');
        if (out->name_len > 0) {
            *p = s;
            return true;
        }
    }
}

/* Trims blanks from both ends of [*a, *b). */
static void trim(const char **a, const char **b)
{
    while (*a < *b && is_ows(**a))
        (*a)++;
    while (*b > *a && is_ows((*b)[-1]))
        (*b)--;
}

/* Whether the parameter [start, end) ("key=value") is key; its value,
 * quotes removed, in *v and *n. */
static bool param_is(const char *start, const char *end, const char *key,
                     const char **v, size_t *n)
{
    const char *eqs = memchr(start, '=', (size_t)(end - start));
    if (eqs == NULL)
        return false;
    const char *k = start, *k_end = eqs;
    trim(&k, &k_end);
    if ((size_t)(k_end - k) != strlen(key) ||
        strncasecmp(k, key, strlen(key)) != 0)
        return false;
    const char *a = eqs + 1, *b = end;
    trim(&a, &b);
    size_t len = (size_t)(b - a);
    if (len >= 2 && a[0] == '"' && a[len - 1] == '"') {
        a++;
        len -= 2;
    }
    *v = a;
    *n = len;
    return true;
}

/* The value of parameter key among the item's parameters, quotes removed
 * (escapes are kept: a version has none); false when absent. */
static bool param(const struct accept_item *it, const char *key, const char **v,
                  size_t *n)
{
    const char *p = it->params, *stop = it->params + it->params_len;
    while (p < stop && *p == ';') {
        const char *end = scan(p + 1, ';');
        if (end > stop)
            end = stop;
        if (param_is(p + 1, end, key, v, n))
            return true;
        p = end;
    }
    return false;
}

/* How specifically the range it matches type/sub (with version). */
static enum rank rank_of(const struct accept_item *it, const char *type,
                         const char *sub, const char *version)
{
    const char *slash = memchr(it->name, '/', it->name_len);
    if (slash == NULL)
        return RANK_NONE;
    size_t tlen = (size_t)(slash - it->name);
    const char *s = slash + 1;
    size_t slen = it->name_len - tlen - 1;
    if (eq(it->name, tlen, "*"))
        return eq(s, slen, "*") ? RANK_ANY : RANK_NONE;
    if (!eq(it->name, tlen, type))
        return RANK_NONE;
    if (eq(s, slen, "*"))
        return RANK_TYPE;
    if (!eq(s, slen, sub))
        return RANK_NONE;
    const char *v;
    size_t n;
    if (!param(it, "version", &v, &n))
        return RANK_SUBTYPE;
    return n == strlen(version) && memcmp(v, version, n) == 0 ? RANK_VERSION
                                                              : RANK_NONE;
}

/* The weight Accept gives type/sub in version: the most specific
 * matching range's q (the highest of equally specific ones); 0 if none. */
static unsigned weigh(const char *accept, const char *type, const char *sub,
                      const char *version)
{
    struct accept_item it;
    enum rank best = RANK_NONE;
    unsigned q = 0;
    while (accept_next(&accept, &it)) {
        enum rank r = rank_of(&it, type, sub, version);
        if (r > best || (r == best && r != RANK_NONE && it.q > q)) {
            best = r;
            q = it.q;
        }
    }
    return q;
}

bool accept_openmetrics(const char *accept)
{
    if (accept == NULL)
        return false;
    unsigned om = weigh(accept, "application", "openmetrics-text", "1.0.0");
    unsigned text = weigh(accept, "text", "plain", "0.0.4");
    return om > 0 && om > text;
}

bool accept_gzip(const char *accept_encoding)
{
    const char *p = accept_encoding;
    struct accept_item it;
    int gzip = -1, star = -1, identity = -1; /* q, or -1 when not named */
    if (p == NULL)
        return false;
    while (accept_next(&p, &it)) {
        int *slot = eq(it.name, it.name_len, "gzip") ||
                            eq(it.name, it.name_len, "x-gzip")
                        ? &gzip
                    : eq(it.name, it.name_len, "*")        ? &star
                    : eq(it.name, it.name_len, "identity") ? &identity
                                                           : NULL;
        if (slot != NULL && (int)it.q > *slot)
            *slot = (int)it.q;
    }
    int q = gzip >= 0 ? gzip : star >= 0 ? star : 0;
    return q > 0 && identity <= q;
}
