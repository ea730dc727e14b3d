/* Vector kernels (BLAS level-1 style) for every arithmetic type. */
#include "common.h"

/* (suffix, element type, accumulator type) */
#define VEC_TYPES(X)                                                            \
    X(i8, int8_t, int64_t) X(i16, int16_t, int64_t) X(i32, int32_t, int64_t)    \
    X(i64, int64_t, int64_t) X(u8, uint8_t, uint64_t) X(u16, uint16_t, uint64_t) \
    X(u32, uint32_t, uint64_t) X(u64, uint64_t, uint64_t) X(f32, float, double)  \
    X(f64, double, double)

#define VEC_IMPL(sfx, T, ACC)                                                    \
    static inline ACC vec_sum_##sfx(const T *x, size_t n)                        \
    {                                                                            \
        ACC s = 0;                                                               \
        for (size_t i = 0; i < n; i++) s += (ACC)x[i];                           \
        return s;                                                                \
    }                                                                            \
    static inline ACC vec_dot_##sfx(const T *x, const T *y, size_t n)            \
    {                                                                            \
        ACC s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                      \
        size_t i = 0;                                                            \
        for (; i + 4 <= n; i += 4) {                                             \
            s0 += (ACC)x[i] * (ACC)y[i];                                         \
            s1 += (ACC)x[i + 1] * (ACC)y[i + 1];                                 \
            s2 += (ACC)x[i + 2] * (ACC)y[i + 2];                                 \
            s3 += (ACC)x[i + 3] * (ACC)y[i + 3];                                 \
        }                                                                        \
        for (; i < n; i++) s0 += (ACC)x[i] * (ACC)y[i];                          \
        return s0 + s1 + s2 + s3;                                                \
    }                                                                            \
    /* y = a*x + y */                                                            \
    static inline void vec_axpy_##sfx(T a, const T *x, T *y, size_t n)           \
    {                                                                            \
        for (size_t i = 0; i < n; i++) y[i] = (T)(a * x[i] + y[i]);              \
    }                                                                            \
    static inline size_t vec_argmax_##sfx(const T *x, size_t n)                  \
    {                                                                            \
        size_t best = 0;                                                         \
        for (size_t i = 1; i < n; i++)                                           \
            if (x[i] > x[best]) best = i;                                        \
        return best;                                                             \
    }                                                                            \
    static inline size_t vec_argmin_##sfx(const T *x, size_t n)                  \
    {                                                                            \
        size_t best = 0;                                                         \
        for (size_t i = 1; i < n; i++)                                           \
            if (x[i] < x[best]) best = i;                                        \
        return best;                                                             \
    }                                                                            \
    static inline void vec_prefix_sum_##sfx(const T *x, ACC *out, size_t n)      \
    {                                                                            \
        ACC s = 0;                                                               \
        for (size_t i = 0; i < n; i++) {                                         \
            s += (ACC)x[i];                                                      \
            out[i] = s;                                                          \
        }                                                                        \
    }                                                                            \
    static inline void vec_reverse_##sfx(T *x, size_t n)                         \
    {                                                                            \
        for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {                 \
            T t = x[i];                                                          \
            x[i] = x[j];                                                         \
            x[j] = t;                                                            \
        }                                                                        \
    }                                                                            \
    /* Rotate left by k using the three-reversal trick. */                       \
    static inline void vec_rotate_##sfx(T *x, size_t n, size_t k)                \
    {                                                                            \
        if (n == 0) return;                                                      \
        k %= n;                                                                  \
        vec_reverse_##sfx(x, k);                                                 \
        vec_reverse_##sfx(x + k, n - k);                                         \
        vec_reverse_##sfx(x, n);                                                 \
    }                                                                            \
    static inline void vec_clamp_##sfx(T *x, size_t n, T lo, T hi)               \
    {                                                                            \
        for (size_t i = 0; i < n; i++) x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]); \
    }                                                                            \
    static inline size_t vec_count_greater_##sfx(const T *x, size_t n, T v)      \
    {                                                                            \
        size_t c = 0;                                                            \
        for (size_t i = 0; i < n; i++) c += x[i] > v;                            \
        return c;                                                                \
    }                                                                            \
    static inline void vec_diff_##sfx(const T *x, T *d, size_t n)                \
    {                                                                            \
        for (size_t i = n; i-- > 1;) d[i] = (T)(x[i] - x[i - 1]);                \
        if (n) d[0] = x[0];                                                      \
    }                                                                            \
    static int vec_test_##sfx(uint64_t *digest)                                  \
    {                                                                            \
        enum { N = 203 };                                                        \
        T x[N], y[N], z[N], d[N];                                                \
        ACC pre[N];                                                              \
        ACC expect = 0;                                                          \
        for (size_t i = 0; i < N; i++) {                                         \
            x[i] = (T)(i % 7);                                                   \
            y[i] = (T)1;                                                         \
            expect += (ACC)(i % 7);                                              \
        }                                                                        \
        JT_CHECK(vec_sum_##sfx(x, N) == expect);                                 \
        JT_CHECK(vec_dot_##sfx(x, y, N) == expect);                              \
        vec_prefix_sum_##sfx(x, pre, N);                                         \
        JT_CHECK(pre[N - 1] == expect);                                          \
        JT_CHECK(x[vec_argmax_##sfx(x, N)] == (T)6);                             \
        JT_CHECK(vec_argmin_##sfx(x, N) == 0);                                   \
        memcpy(z, x, sizeof z);                                                  \
        vec_rotate_##sfx(z, N, 5);                                               \
        JT_CHECK(z[0] == x[5]);                                                  \
        vec_rotate_##sfx(z, N, N - 5);                                           \
        JT_CHECK(memcmp(z, x, sizeof z) == 0);                                   \
        vec_reverse_##sfx(z, N);                                                 \
        JT_CHECK(z[0] == x[N - 1]);                                              \
        vec_reverse_##sfx(z, N);                                                 \
        vec_axpy_##sfx((T)2, x, y, N);                                           \
        JT_CHECK(vec_sum_##sfx(y, N) == (ACC)(2 * expect + N));                  \
        vec_diff_##sfx(x, d, N);                                                 \
        JT_CHECK((T)vec_sum_##sfx(d, N) == x[N - 1]);                           \
        vec_clamp_##sfx(z, N, (T)2, (T)4);                                       \
        JT_CHECK(vec_count_greater_##sfx(z, N, (T)4) == 0);                      \
        JT_CHECK(vec_count_greater_##sfx(x, N, (T)3) == 3 * (N / 7) + (N % 7 > 4 ? N % 7 - 4 : 0)); \
        *digest = jt_digest(*digest, (uint64_t)vec_dot_##sfx(x, y, N));          \
        *digest = jt_digest(*digest, (uint64_t)vec_sum_##sfx(z, N));             \
        return 0;                                                                \
    }

VEC_TYPES(VEC_IMPL)

int vecmath_selftest(uint64_t *digest)
{
#define VEC_RUN(sfx, T, ACC) \
    if (vec_test_##sfx(digest) != 0) return 1;
    VEC_TYPES(VEC_RUN)
#undef VEC_RUN
    return 0;
}
