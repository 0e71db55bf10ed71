/*
 * The first stage's paths (json_index.h). Each marks one 64-byte block at
 * a time into a word of each bitmap; the last, partial block is copied
 * into a zeroed buffer first, so no path reads past the line, and the
 * bits of the padding are cleared afterwards.
 *
 * The AVX2 functions carry target("avx2") and only run after
 * __builtin_cpu_supports("avx2") said yes, so the rest of the binary is
 * built for baseline x86-64 and runs on any of them.
 */
#include "json_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__SSE2__) &&         \
    !defined(JSON_PORTABLE)
#define JSON_INDEX_X86 1
#include <immintrin.h>
#endif

#define BLOCK 64 /* bytes per word of each bitmap */

static const char *const names[JSON_INDEX_N_PATHS] = {
    [JSON_INDEX_SCALAR] = "scalar",
    [JSON_INDEX_SSE2] = "sse2",
    [JSON_INDEX_AVX2] = "avx2",
};

const char *json_index_name(enum json_index_path path)
{
    return (unsigned)path < JSON_INDEX_N_PATHS ? names[path] : "?";
}

bool json_index_supported(enum json_index_path path)
{
#ifdef JSON_INDEX_X86
    if (path == JSON_INDEX_AVX2)
        return __builtin_cpu_supports("avx2") != 0;
    return path == JSON_INDEX_SCALAR || path == JSON_INDEX_SSE2;
#else
    return path == JSON_INDEX_SCALAR;
#endif
}

/* SSE2 is never the best: its index costs more than the scalar walk,
 * which scans strings sixteen bytes at a time with SSE2 itself, saves. */
enum json_index_path json_index_best(void)
{
#ifdef JSON_INDEX_X86
    if (__builtin_cpu_supports("avx2"))
        return JSON_INDEX_AVX2;
#endif
    return JSON_INDEX_SCALAR;
}

int json_index_parse(const char *name, enum json_index_path *out)
{
    *out = json_index_best();
    if (name == NULL || *name == '\0')
        return 0;
    for (int p = 0; p < JSON_INDEX_N_PATHS; p++) {
        if (strcmp(name, names[p]) != 0)
            continue;
        if (!json_index_supported((enum json_index_path)p))
            return -ENOTSUP;
        *out = (enum json_index_path)p;
        return 0;
    }
    return -EINVAL;
}

int json_index_from_env(enum json_index_path *out)
{
    return json_index_parse(getenv(JSON_INDEX_ENV), out);
}

#ifdef JSON_INDEX_X86
/*
 * Clears the padding's bits in the last word (w: its index, r: the bytes
 * of the line in it) and sets the end's bit, which may open a new word.
 */
static void finish(uint64_t *stop, uint64_t *high, size_t w, size_t r)
{
    uint64_t keep = r == 0 ? 0 : ~0ULL >> (BLOCK - r);
    stop[w] = (stop[w] & keep) | 1ULL << r;
    high[w] &= keep;
}

static inline void block_sse2(const char *p, uint64_t *stop, uint64_t *high)
{
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    uint64_t s = 0, h = 0;
    for (int k = 0; k < BLOCK / 16; k++) {
        __m128i v =
            _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        /* v <= 0x1f, unsigned: the minimum of the two is v itself. */
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bs)),
            _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
        s |= (uint64_t)(uint32_t)_mm_movemask_epi8(m) << (16 * k);
        h |= (uint64_t)(uint32_t)_mm_movemask_epi8(v) << (16 * k);
    }
    *stop = s;
    *high = h;
}

static void build_sse2(const char *s, size_t n, uint64_t *stop, uint64_t *high)
{
    char tail[BLOCK];
    size_t w = 0;
    for (; (w + 1) * BLOCK <= n; w++)
        block_sse2(s + w * BLOCK, &stop[w], &high[w]);
    memset(tail, 0, sizeof(tail));
    memcpy(tail, s + w * BLOCK, n - w * BLOCK);
    block_sse2(tail, &stop[w], &high[w]);
    finish(stop, high, w, n - w * BLOCK);
}

__attribute__((target("avx2"))) static inline void
block_avx2(const char *p, uint64_t *stop, uint64_t *high)
{
    const __m256i quote = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\');
    const __m256i ctl = _mm256_set1_epi8(0x1f);
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    __m256i ml =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(lo, quote),
                                        _mm256_cmpeq_epi8(lo, bs)),
                        _mm256_cmpeq_epi8(_mm256_min_epu8(lo, ctl), lo));
    __m256i mh =
        _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(hi, quote),
                                        _mm256_cmpeq_epi8(hi, bs)),
                        _mm256_cmpeq_epi8(_mm256_min_epu8(hi, ctl), hi));
    *stop = (uint64_t)(uint32_t)_mm256_movemask_epi8(ml) |
            (uint64_t)(uint32_t)_mm256_movemask_epi8(mh) << 32;
    *high = (uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
            (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

__attribute__((target("avx2"))) static void
build_avx2(const char *s, size_t n, uint64_t *stop, uint64_t *high)
{
    char tail[BLOCK];
    size_t w = 0;
    for (; (w + 1) * BLOCK <= n; w++)
        block_avx2(s + w * BLOCK, &stop[w], &high[w]);
    memset(tail, 0, sizeof(tail));
    memcpy(tail, s + w * BLOCK, n - w * BLOCK);
    block_avx2(tail, &stop[w], &high[w]);
    finish(stop, high, w, n - w * BLOCK);
}
#endif

void json_index_build(enum json_index_path path, const char *s, size_t n,
                      uint64_t *stop, uint64_t *high)
{
    switch (path) {
#ifdef JSON_INDEX_X86
    case JSON_INDEX_AVX2:
        build_avx2(s, n, stop, high);
        return;
    case JSON_INDEX_SSE2:
        build_sse2(s, n, stop, high);
        return;
#endif
    default:
        (void)s, (void)n, (void)stop, (void)high;
        abort(); /* the scalar path has no index: a caller's mistake */
    }
}
