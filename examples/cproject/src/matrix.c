/* Dense matrix kernels, specialised for every integer and floating type. */
#include "common.h"

#define MATRIX_IMPL(sfx, T)                                                          \
    static inline void mat_fill_##sfx(T *c, size_t count, T v)                       \
    {                                                                                \
        for (size_t i = 0; i < count; i++) c[i] = v;                                 \
    }                                                                                \
    static inline void mat_identity_##sfx(T *a, size_t n)                            \
    {                                                                                \
        mat_fill_##sfx(a, n * n, (T)0);                                              \
        for (size_t i = 0; i < n; i++) a[i * n + i] = (T)1;                          \
    }                                                                                \
    /* Reference triple loop. */                                                     \
    static inline void mat_mul_naive_##sfx(const T *a, const T *b, T *c, size_t n,   \
                                           size_t k, size_t m)                       \
    {                                                                                \
        for (size_t i = 0; i < n; i++)                                               \
            for (size_t j = 0; j < m; j++) {                                         \
                T s = (T)0;                                                          \
                for (size_t p = 0; p < k; p++) s = (T)(s + a[i * k + p] * b[p * m + j]); \
                c[i * m + j] = s;                                                    \
            }                                                                        \
    }                                                                                \
    /* Cache-blocked i-k-j ordering; the inner loop vectorises. */                   \
    static inline void mat_mul_blocked_##sfx(const T *a, const T *b, T *c, size_t n, \
                                             size_t k, size_t m)                     \
    {                                                                                \
        mat_fill_##sfx(c, n * m, (T)0);                                              \
        for (size_t i0 = 0; i0 < n; i0 += 8)                                         \
            for (size_t p0 = 0; p0 < k; p0 += 8)                                     \
                for (size_t i = i0; i < n && i < i0 + 8; i++)                        \
                    for (size_t p = p0; p < k && p < p0 + 8; p++) {                  \
                        T av = a[i * k + p];                                         \
                        _Pragma("GCC unroll 4")                                      \
                        for (size_t j = 0; j < m; j++)                               \
                            c[i * m + j] = (T)(c[i * m + j] + av * b[p * m + j]);    \
                    }                                                                \
    }                                                                                \
    static inline void mat_transpose_##sfx(const T *a, T *t, size_t n, size_t m)     \
    {                                                                                \
        for (size_t i0 = 0; i0 < n; i0 += 4)                                         \
            for (size_t j0 = 0; j0 < m; j0 += 4)                                     \
                for (size_t i = i0; i < n && i < i0 + 4; i++)                        \
                    for (size_t j = j0; j < m && j < j0 + 4; j++)                    \
                        t[j * n + i] = a[i * m + j];                                 \
    }                                                                                \
    static inline void mat_add_##sfx(const T *a, const T *b, T *c, size_t count)     \
    {                                                                                \
        for (size_t i = 0; i < count; i++) c[i] = (T)(a[i] + b[i]);                  \
    }                                                                                \
    static inline void mat_hadamard_##sfx(const T *a, const T *b, T *c, size_t count) \
    {                                                                                \
        for (size_t i = 0; i < count; i++) c[i] = (T)(a[i] * b[i]);                  \
    }                                                                                \
    static inline double mat_trace_##sfx(const T *a, size_t n)                       \
    {                                                                                \
        double s = 0;                                                                \
        for (size_t i = 0; i < n; i++) s += (double)a[i * n + i];                    \
        return s;                                                                    \
    }                                                                                \
    static inline int mat_equal_##sfx(const T *a, const T *b, size_t count)          \
    {                                                                                \
        for (size_t i = 0; i < count; i++)                                           \
            if (a[i] != b[i]) return 0;                                              \
        return 1;                                                                    \
    }                                                                                \
    /* Kronecker product of an (n x n) and a (q x q) matrix. */                      \
    static inline void mat_kron_##sfx(const T *a, size_t n, const T *b, size_t q, T *c) \
    {                                                                                \
        size_t w = n * q;                                                            \
        for (size_t i = 0; i < n; i++)                                               \
            for (size_t j = 0; j < n; j++)                                           \
                for (size_t r = 0; r < q; r++)                                       \
                    for (size_t s = 0; s < q; s++)                                   \
                        c[(i * q + r) * w + j * q + s] = (T)(a[i * n + j] * b[r * q + s]); \
    }                                                                                \
    static int matrix_test_##sfx(uint64_t *digest, uint64_t seed)                    \
    {                                                                                \
        enum { N = 12 };                                                             \
        T a[N * N], b[N * N], c[N * N], d[N * N], e[N * N], f[N * N], g[N * N];      \
        T at[N * N], bt[N * N], id[N * N];                                           \
        jt_rng r = {seed};                                                           \
        for (size_t i = 0; i < N * N; i++) {                                         \
            a[i] = (T)jt_rng_below(&r, 3);                                           \
            b[i] = (T)jt_rng_below(&r, 3);                                           \
        }                                                                            \
        mat_mul_blocked_##sfx(a, b, c, N, N, N);                                     \
        mat_mul_naive_##sfx(a, b, d, N, N, N);                                       \
        JT_CHECK(mat_equal_##sfx(c, d, N * N));                                      \
        /* (AB)^T == B^T A^T */                                                      \
        mat_transpose_##sfx(a, at, N, N);                                            \
        mat_transpose_##sfx(b, bt, N, N);                                            \
        mat_mul_blocked_##sfx(bt, at, e, N, N, N);                                   \
        mat_transpose_##sfx(c, f, N, N);                                             \
        JT_CHECK(mat_equal_##sfx(e, f, N * N));                                      \
        /* A I == A */                                                               \
        mat_identity_##sfx(id, N);                                                   \
        mat_mul_blocked_##sfx(a, id, e, N, N, N);                                    \
        JT_CHECK(mat_equal_##sfx(a, e, N * N));                                      \
        /* tr(AB) == tr(BA) */                                                       \
        mat_mul_naive_##sfx(b, a, e, N, N, N);                                       \
        JT_CHECK(mat_trace_##sfx(c, N) == mat_trace_##sfx(e, N));                    \
        /* (A + B) A == AA + BA */                                                   \
        mat_add_##sfx(a, b, e, N * N);                                               \
        mat_mul_blocked_##sfx(e, a, f, N, N, N);                                     \
        mat_mul_blocked_##sfx(a, a, g, N, N, N);                                     \
        mat_mul_naive_##sfx(b, a, d, N, N, N);                                       \
        mat_add_##sfx(g, d, e, N * N);                                               \
        JT_CHECK(mat_equal_##sfx(e, f, N * N));                                      \
        /* Hadamard product is commutative. */                                       \
        mat_hadamard_##sfx(a, b, e, N * N);                                          \
        mat_hadamard_##sfx(b, a, f, N * N);                                          \
        JT_CHECK(mat_equal_##sfx(e, f, N * N));                                      \
        /* Kronecker: trace(A (x) B) == trace(A) * trace(B) */                       \
        {                                                                            \
            T ka[9], kb[9], kc[81];                                                  \
            for (size_t i = 0; i < 9; i++) {                                         \
                ka[i] = (T)jt_rng_below(&r, 3);                                      \
                kb[i] = (T)jt_rng_below(&r, 3);                                      \
            }                                                                        \
            mat_kron_##sfx(ka, 3, kb, 3, kc);                                        \
            JT_CHECK(mat_trace_##sfx(kc, 9) ==                                       \
                     mat_trace_##sfx(ka, 3) * mat_trace_##sfx(kb, 3));               \
        }                                                                            \
        for (size_t i = 0; i < N * N; i++) *digest = jt_digest(*digest, (uint64_t)c[i]); \
        return 0;                                                                    \
    }

JT_ALL_TYPES(MATRIX_IMPL)

int matrix_selftest(uint64_t *digest)
{
    uint64_t seed = 1;
#define MATRIX_RUN(sfx, T)                                   \
    if (matrix_test_##sfx(digest, seed++) != 0) return 1;
    JT_ALL_TYPES(MATRIX_RUN)
#undef MATRIX_RUN
    return 0;
}
