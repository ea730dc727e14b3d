/* Signal-processing kernels for every arithmetic type: full 1-D convolution,
 * cross-correlation, moving average, separable and direct 2-D filters. */
#include "common.h"

#define CONV_TYPES(X)                                                                   \
    X(i8, int8_t, int64_t) X(i16, int16_t, int64_t) X(i32, int32_t, int64_t)            \
    X(i64, int64_t, int64_t) X(u8, uint8_t, uint64_t) X(u16, uint16_t, uint64_t)        \
    X(u32, uint32_t, uint64_t) X(u64, uint64_t, uint64_t) X(f32, float, double)         \
    X(f64, double, double)

#define CONV_IMPL(sfx, T, ACC)                                                          \
    /* out has na + nk - 1 elements. */                                                 \
    static inline void conv1d_##sfx(const T *a, size_t na, const T *k, size_t nk, ACC *out) \
    {                                                                                   \
        for (size_t i = 0; i < na + nk - 1; i++) out[i] = 0;                            \
        for (size_t i = 0; i < na; i++) {                                               \
            ACC av = (ACC)a[i];                                                         \
            for (size_t j = 0; j < nk; j++) out[i + j] += av * (ACC)k[j];               \
        }                                                                               \
    }                                                                                   \
    /* Valid-mode cross-correlation: out has na - nk + 1 elements. */                   \
    static inline void xcorr_##sfx(const T *a, size_t na, const T *k, size_t nk, ACC *out) \
    {                                                                                   \
        for (size_t i = 0; i + nk <= na; i++) {                                         \
            ACC s = 0;                                                                  \
            for (size_t j = 0; j < nk; j++) s += (ACC)a[i + j] * (ACC)k[j];             \
            out[i] = s;                                                                 \
        }                                                                               \
    }                                                                                   \
    /* Sliding-window sums in O(n). */                                                  \
    static inline void moving_sum_##sfx(const T *a, size_t n, size_t w, ACC *out)       \
    {                                                                                   \
        ACC s = 0;                                                                      \
        for (size_t i = 0; i < n; i++) {                                                \
            s += (ACC)a[i];                                                             \
            if (i >= w) s -= (ACC)a[i - w];                                             \
            if (i + 1 >= w) out[i + 1 - w] = s;                                         \
        }                                                                               \
    }                                                                                   \
    /* Direct 2-D "valid" filter with an odd square kernel. */                          \
    static inline void filter2d_##sfx(const T *img, size_t w, size_t h, const T *k,    \
                                      size_t kw, ACC *out)                              \
    {                                                                                   \
        size_t ow = w - kw + 1, oh = h - kw + 1;                                        \
        for (size_t y = 0; y < oh; y++)                                                 \
            for (size_t x = 0; x < ow; x++) {                                           \
                ACC s = 0;                                                              \
                for (size_t ky = 0; ky < kw; ky++)                                      \
                    for (size_t kx = 0; kx < kw; kx++)                                  \
                        s += (ACC)img[(y + ky) * w + x + kx] * (ACC)k[ky * kw + kx];    \
                out[y * ow + x] = s;                                                    \
            }                                                                           \
    }                                                                                   \
    /* Same filter for a separable kernel k = col * row^T. */                           \
    static inline void filter2d_sep_##sfx(const T *img, size_t w, size_t h, const T *row, \
                                          const T *col, size_t kw, ACC *tmp, ACC *out)  \
    {                                                                                   \
        size_t ow = w - kw + 1, oh = h - kw + 1;                                        \
        for (size_t y = 0; y < h; y++)                                                  \
            for (size_t x = 0; x < ow; x++) {                                           \
                ACC s = 0;                                                              \
                for (size_t kx = 0; kx < kw; kx++) s += (ACC)img[y * w + x + kx] * (ACC)row[kx]; \
                tmp[y * ow + x] = s;                                                    \
            }                                                                           \
        for (size_t y = 0; y < oh; y++)                                                 \
            for (size_t x = 0; x < ow; x++) {                                           \
                ACC s = 0;                                                              \
                for (size_t ky = 0; ky < kw; ky++) s += tmp[(y + ky) * ow + x] * (ACC)col[ky]; \
                out[y * ow + x] = s;                                                    \
            }                                                                           \
    }                                                                                   \
    static int conv_test_##sfx(uint64_t *digest, uint64_t seed)                         \
    {                                                                                   \
        enum { NA = 120, NK = 9, W = 24, H = 20, KW = 5 };                              \
        T a[NA], k[NK], delta[NK] = {0};                                                \
        ACC out[NA + NK], out2[NA + NK], ms[NA];                                        \
        jt_rng r = {seed};                                                              \
        ACC sa = 0, sk = 0;                                                             \
        for (size_t i = 0; i < NA; i++) sa += (ACC)(a[i] = (T)jt_rng_below(&r, 50));    \
        for (size_t i = 0; i < NK; i++) sk += (ACC)(k[i] = (T)jt_rng_below(&r, 5));     \
        conv1d_##sfx(a, NA, k, NK, out);                                                \
        ACC so = 0;                                                                     \
        for (size_t i = 0; i < NA + NK - 1; i++) so += out[i];                          \
        JT_CHECK(so == sa * sk);                                                        \
        /* Convolution is commutative. */                                               \
        conv1d_##sfx(k, NK, a, NA, out2);                                               \
        JT_CHECK(memcmp(out, out2, (NA + NK - 1) * sizeof(ACC)) == 0);                  \
        delta[0] = 1;                                                                   \
        conv1d_##sfx(a, NA, delta, NK, out);                                            \
        for (size_t i = 0; i < NA; i++) JT_CHECK(out[i] == (ACC)a[i]);                  \
        /* Correlating with a box kernel equals the moving sum. */                      \
        T box[NK];                                                                      \
        for (size_t i = 0; i < NK; i++) box[i] = 1;                                     \
        xcorr_##sfx(a, NA, box, NK, out);                                               \
        moving_sum_##sfx(a, NA, NK, ms);                                                \
        JT_CHECK(memcmp(out, ms, (NA - NK + 1) * sizeof(ACC)) == 0);                    \
        static T img[W * H];                                                            \
        static ACC o1[W * H], o2[W * H], tmp[W * H];                                    \
        T row[KW], col[KW], k2[KW * KW];                                                \
        for (size_t i = 0; i < W * H; i++) img[i] = (T)jt_rng_below(&r, 16);            \
        for (size_t i = 0; i < KW; i++) {                                               \
            row[i] = (T)(1 + jt_rng_below(&r, 3));                                      \
            col[i] = (T)(1 + jt_rng_below(&r, 3));                                      \
        }                                                                               \
        for (size_t y = 0; y < KW; y++)                                                 \
            for (size_t x = 0; x < KW; x++) k2[y * KW + x] = (T)(col[y] * row[x]);      \
        filter2d_##sfx(img, W, H, k2, KW, o1);                                          \
        filter2d_sep_##sfx(img, W, H, row, col, KW, tmp, o2);                           \
        JT_CHECK(memcmp(o1, o2, (W - KW + 1) * (H - KW + 1) * sizeof(ACC)) == 0);       \
        for (size_t i = 0; i < (W - KW + 1) * (H - KW + 1); i += 13)                    \
            *digest = jt_digest(*digest, (uint64_t)o1[i]);                              \
        return 0;                                                                       \
    }
CONV_TYPES(CONV_IMPL)

int conv_selftest(uint64_t *digest)
{
    uint64_t seed = 500;
#define CONV_RUN(sfx, T, ACC) \
    if (conv_test_##sfx(digest, seed++) != 0) return 1;
    CONV_TYPES(CONV_RUN)
#undef CONV_RUN
    return 0;
}
