/* Searching: several sorted-array search strategies for every arithmetic
 * type, and five substring-search algorithms cross-checked against each
 * other. */
#include <stdlib.h>

#include "common.h"

#define SEARCH_IMPL(sfx, T)                                                          \
    static inline size_t lower_bound_##sfx(const T *a, size_t n, T key)              \
    {                                                                                \
        size_t lo = 0, hi = n;                                                       \
        while (lo < hi) {                                                            \
            size_t mid = lo + (hi - lo) / 2;                                         \
            if (a[mid] < key) lo = mid + 1;                                          \
            else hi = mid;                                                           \
        }                                                                            \
        return lo;                                                                   \
    }                                                                                \
    static inline size_t upper_bound_##sfx(const T *a, size_t n, T key)              \
    {                                                                                \
        size_t lo = 0, hi = n;                                                       \
        while (lo < hi) {                                                            \
            size_t mid = lo + (hi - lo) / 2;                                         \
            if (!(key < a[mid])) lo = mid + 1;                                       \
            else hi = mid;                                                           \
        }                                                                            \
        return lo;                                                                   \
    }                                                                                \
    /* Branch-free lower bound: the loop body compiles to a conditional move. */   \
    static inline size_t lower_bound_branchless_##sfx(const T *a, size_t n, T key)   \
    {                                                                                \
        if (n == 0) return 0;                                                        \
        const T *base = a;                                                           \
        while (n > 1) {                                                              \
            size_t half = n / 2;                                                     \
            base = base[half - 1] < key ? base + half : base;                        \
            n -= half;                                                               \
        }                                                                            \
        return (size_t)(base - a) + (*base < key);                                   \
    }                                                                                \
    /* Galloping search from the front, then binary search in the bracket. */      \
    static inline size_t lower_bound_exp_##sfx(const T *a, size_t n, T key)          \
    {                                                                                \
        size_t bound = 1;                                                            \
        while (bound < n && a[bound - 1] < key) bound *= 2;                          \
        size_t lo = bound / 2, hi = bound < n ? bound : n;                           \
        return lo + lower_bound_##sfx(a + lo, hi - lo, key);                         \
    }                                                                                \
    /* Eytzinger (BFS) layout search: cache-friendly implicit tree. */             \
    static size_t eytzinger_fill_##sfx(const T *a, T *e, size_t n, size_t i, size_t k) \
    {                                                                                \
        if (k <= n) {                                                                \
            i = eytzinger_fill_##sfx(a, e, n, i, 2 * k);                             \
            e[k] = a[i++];                                                           \
            i = eytzinger_fill_##sfx(a, e, n, i, 2 * k + 1);                         \
        }                                                                            \
        return i;                                                                    \
    }                                                                                \
    static inline size_t eytzinger_search_##sfx(const T *e, size_t n, T key)         \
    {                                                                                \
        size_t k = 1;                                                                \
        while (k <= n) k = 2 * k + (e[k] < key);                                     \
        k >>= __builtin_ffsll((long long)~k);                                        \
        return k; /* 1-based BFS index of the lower bound, or 0 if none */          \
    }                                                                                \
    static int search_test_##sfx(uint64_t *digest, uint64_t seed)                    \
    {                                                                                \
        enum { N = 777 };                                                            \
        T a[N], e[N + 1];                                                            \
        size_t rank_of_bfs[N + 1];                                                   \
        jt_rng r = {seed};                                                           \
        T v = 0;                                                                     \
        for (size_t i = 0; i < N; i++) {                                             \
            if (v < 100 && jt_rng_below(&r, 8) == 0) v = (T)(v + 1);                 \
            a[i] = v;                                                                \
        }                                                                            \
        eytzinger_fill_##sfx(a, e, N, 0, 1);                                         \
        /* Map BFS slots back to sorted ranks with an iterative in-order walk. */    \
        {                                                                            \
            size_t stack[64], sp = 0, k = 1, i = 0;                                  \
            for (;;) {                                                               \
                while (k <= N) {                                                     \
                    stack[sp++] = k;                                                 \
                    k = 2 * k;                                                       \
                }                                                                    \
                if (!sp) break;                                                      \
                k = stack[--sp];                                                     \
                rank_of_bfs[k] = i++;                                                \
                k = 2 * k + 1;                                                       \
            }                                                                        \
            rank_of_bfs[0] = N;                                                      \
        }                                                                            \
        for (unsigned kk = 0; kk <= (unsigned)v + 1; kk++) {                         \
            T key = (T)kk;                                                           \
            size_t lb = lower_bound_##sfx(a, N, key);                                \
            size_t ub = upper_bound_##sfx(a, N, key);                                \
            size_t cnt = 0;                                                          \
            for (size_t i = 0; i < N; i++) cnt += a[i] == key;                       \
            JT_CHECK(ub - lb == cnt);                                                \
            JT_CHECK(lower_bound_branchless_##sfx(a, N, key) == lb);                 \
            JT_CHECK(lower_bound_exp_##sfx(a, N, key) == lb);                        \
            JT_CHECK(rank_of_bfs[eytzinger_search_##sfx(e, N, key)] == lb);          \
            *digest = jt_digest(*digest, lb * 31 + ub);                              \
        }                                                                            \
        return 0;                                                                    \
    }
JT_ALL_TYPES(SEARCH_IMPL)

/* ---- Substring search ----------------------------------------------------- */
typedef size_t (*find_fn)(const char *hay, size_t n, const char *needle, size_t m, size_t *hits, size_t max);

static size_t find_naive(const char *h, size_t n, const char *p, size_t m, size_t *hits, size_t max)
{
    size_t c = 0;
    for (size_t i = 0; m <= n && i + m <= n; i++)
        if (memcmp(h + i, p, m) == 0 && c < max) hits[c++] = i;
    return c;
}

static size_t find_kmp(const char *h, size_t n, const char *p, size_t m, size_t *hits, size_t max)
{
    size_t fail[256], c = 0;
    fail[0] = 0;
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k && p[i] != p[k]) k = fail[k - 1];
        if (p[i] == p[k]) k++;
        fail[i] = k;
    }
    for (size_t i = 0, k = 0; i < n; i++) {
        while (k && h[i] != p[k]) k = fail[k - 1];
        if (h[i] == p[k]) k++;
        if (k == m) {
            if (c < max) hits[c++] = i + 1 - m;
            k = fail[k - 1];
        }
    }
    return c;
}

static size_t find_horspool(const char *h, size_t n, const char *p, size_t m, size_t *hits, size_t max)
{
    size_t shift[256], c = 0;
    for (int i = 0; i < 256; i++) shift[i] = m;
    for (size_t i = 0; i + 1 < m; i++) shift[(unsigned char)p[i]] = m - 1 - i;
    for (size_t i = 0; m <= n && i <= n - m;) {
        if (h[i + m - 1] == p[m - 1] && memcmp(h + i, p, m - 1) == 0 && c < max) hits[c++] = i;
        i += shift[(unsigned char)h[i + m - 1]];
    }
    return c;
}

static size_t find_rabin_karp(const char *h, size_t n, const char *p, size_t m, size_t *hits, size_t max)
{
    const uint64_t B = 257, MOD = (1ull << 61) - 1;
    size_t c = 0;
    if (m > n) return 0;
    uint64_t hp = 0, hh = 0, pow = 1;
    for (size_t i = 0; i < m; i++) {
        hp = (uint64_t)(((unsigned __int128)hp * B + (unsigned char)p[i]) % MOD);
        hh = (uint64_t)(((unsigned __int128)hh * B + (unsigned char)h[i]) % MOD);
        if (i + 1 < m) pow = (uint64_t)((unsigned __int128)pow * B % MOD);
    }
    for (size_t i = 0;; i++) {
        if (hh == hp && memcmp(h + i, p, m) == 0 && c < max) hits[c++] = i;
        if (i + m >= n) break;
        unsigned __int128 t = hh + MOD - (uint64_t)((unsigned __int128)(unsigned char)h[i] * pow % MOD);
        hh = (uint64_t)((t * B + (unsigned char)h[i + m]) % MOD);
    }
    return c;
}

/* Z-algorithm on pattern + '\1' + text. */
static size_t find_z(const char *h, size_t n, const char *p, size_t m, size_t *hits, size_t max)
{
    size_t len = m + 1 + n, c = 0;
    char *s = malloc(len);
    size_t *z = calloc(len, sizeof *z);
    memcpy(s, p, m);
    s[m] = '\1';
    memcpy(s + m + 1, h, n);
    for (size_t i = 1, l = 0, r = 0; i < len; i++) {
        if (i < r) z[i] = r - i < z[i - l] ? r - i : z[i - l];
        while (i + z[i] < len && s[z[i]] == s[i + z[i]]) z[i]++;
        if (i + z[i] > r) {
            l = i;
            r = i + z[i];
        }
        if (i > m && z[i] >= m && c < max) hits[c++] = i - m - 1;
    }
    free(s);
    free(z);
    return c;
}

int search_selftest(uint64_t *digest)
{
    uint64_t seed = 900;
#define SEARCH_RUN(sfx, T) \
    if (search_test_##sfx(digest, seed++) != 0) return 1;
    JT_ALL_TYPES(SEARCH_RUN)
#undef SEARCH_RUN

    static const find_fn finders[] = {find_kmp, find_horspool, find_rabin_karp, find_z};
    enum { N = 20000 };
    char *hay = malloc(N);
    static size_t h0[N], h1[N];
    jt_rng r = {404};
    for (int round = 0; round < 30; round++) {
        uint32_t alpha = 2 + (uint32_t)round % 4;
        for (size_t i = 0; i < N; i++) hay[i] = (char)('a' + jt_rng_below(&r, alpha));
        char pat[32];
        size_t m = 1 + jt_rng_below(&r, 12);
        size_t at = jt_rng_below(&r, N - 32);
        memcpy(pat, hay + at, m); /* guarantee at least one hit */
        size_t c0 = find_naive(hay, N, pat, m, h0, N);
        JT_CHECK(c0 >= 1);
        for (size_t f = 0; f < JT_ARRAY_LEN(finders); f++) {
            size_t c1 = finders[f](hay, N, pat, m, h1, N);
            JT_CHECK(c1 == c0 && memcmp(h0, h1, c0 * sizeof h0[0]) == 0);
        }
        *digest = jt_digest(*digest, c0);
    }
    free(hay);
    return 0;
}
