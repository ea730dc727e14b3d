/* Fixed-point arithmetic in three formats (Q8.8, Q16.16, Q32.32): multiply,
 * divide, square root, CORDIC sine/cosine/atan2 and exp/log, each checked
 * against libm. */
#include <math.h>

#include "common.h"

/* (name, storage type, wide type, fraction bits, tolerance, and the test
 * ranges for mul/div operands, angles, exp arguments and log arguments) */
#define FIX_FORMATS(X)                                                   \
    X(q8, int16_t, int32_t, 8, 0.03, 10.0, 6.0, 6.0, 50.0)               \
    X(q12, int16_t, int32_t, 12, 2e-3, 2.5, 3.0, 2.0, 7.0)               \
    X(q16, int32_t, int64_t, 16, 2e-4, 100.0, 20.0, 6.0, 1000.0)         \
    X(q24, int32_t, int64_t, 24, 1e-6, 10.0, 20.0, 6.0, 100.0)           \
    X(q32, int64_t, __int128, 32, 1e-7, 100.0, 20.0, 6.0, 1000.0)        \
    X(q48, int64_t, __int128, 48, 1e-7, 100.0, 20.0, 6.0, 1000.0)

/* Rescale from 32 fractional bits: round when narrowing, multiply when widening. */
static inline int64_t round_shift(int64_t v, int s)
{
    return s > 0 ? (v + ((int64_t)1 << (s - 1))) >> s : v * ((int64_t)1 << -s);
}

#define FIX_IMPL(name, T, W, FRAC, TOL, MAXV, ANG, EXPR, LOGMAX)                                                  \
    typedef T name##_t;                                                                  \
    static const T name##_one = (T)((T)1 << FRAC);                                      \
    static inline T name##_from_double(double v) { return (T)llround(v * (double)((W)1 << FRAC)); } \
    static inline double name##_to_double(T v) { return (double)v / (double)((W)1 << FRAC); } \
    static inline T name##_mul(T a, T b) { return (T)(((W)a * b + ((W)1 << (FRAC - 1))) >> FRAC); } \
    static inline T name##_div(T a, T b) { return (T)(((W)a * ((W)1 << FRAC)) / b); }  \
    /* Bit-by-bit integer square root of the widened value. */                          \
    static inline T name##_sqrt(T a)                                                     \
    {                                                                                    \
        if (a <= 0) return 0;                                                            \
        unsigned __int128 v = (unsigned __int128)a << FRAC, res = 0;                     \
        unsigned __int128 bit = (unsigned __int128)1 << 126;                             \
        while (bit > v) bit >>= 2;                                                       \
        while (bit) {                                                                    \
            if (v >= res + bit) {                                                        \
                v -= res + bit;                                                          \
                res = (res >> 1) + bit;                                                  \
            } else {                                                                     \
                res >>= 1;                                                               \
            }                                                                            \
            bit >>= 2;                                                                   \
        }                                                                                \
        return (T)res;                                                                   \
    }                                                                                    \
    /* CORDIC in Q2.(bits-3) internal precision, rotation mode. */                       \
    static inline void name##_sincos(T angle, T *s, T *c)                                \
    {                                                                                    \
        enum { ITER = FRAC + 2 < 40 ? FRAC + 2 : 40 };                                   \
        /* Reduce to [-pi/2, pi/2]. */                                                   \
        double a = name##_to_double(angle);                                              \
        double k = floor(a / JT_PI + 0.5);                                               \
        a -= k * JT_PI;                                                                  \
        int flip = ((int64_t)k) & 1;                                                     \
        int64_t x = (int64_t)(0.6072529350088812561694 * 4294967296.0), y = 0;           \
        int64_t z = (int64_t)llround(a * 4294967296.0);                                  \
        for (int i = 0; i < ITER; i++) {                                                 \
            int64_t t = (int64_t)llround(atan(ldexp(1.0, -i)) * 4294967296.0);           \
            int64_t nx, ny;                                                              \
            if (z >= 0) {                                                                \
                nx = x - (y >> i);                                                       \
                ny = y + (x >> i);                                                       \
                z -= t;                                                                  \
            } else {                                                                     \
                nx = x + (y >> i);                                                       \
                ny = y - (x >> i);                                                       \
                z += t;                                                                  \
            }                                                                            \
            x = nx;                                                                      \
            y = ny;                                                                      \
        }                                                                                \
        if (flip) {                                                                      \
            x = -x;                                                                      \
            y = -y;                                                                      \
        }                                                                                \
        *c = (T)round_shift(x, 32 - FRAC);                                               \
        *s = (T)round_shift(y, 32 - FRAC);                                               \
    }                                                                                    \
    /* exp via range reduction x = k ln2 + r and a Taylor series in fixed point. */     \
    static inline T name##_exp(T x)                                                      \
    {                                                                                    \
        const T ln2 = name##_from_double(0.69314718055994530942);                        \
        int k = (int)(x / ln2);                                                          \
        T r = (T)(x - (T)k * ln2);                                                       \
        T term = name##_one, sum = name##_one;                                           \
        for (int n = 1; n < 24 && term != 0; n++) {                                      \
            term = name##_mul(term, r) / n;                                              \
            sum = (T)(sum + term);                                                       \
        }                                                                                \
        return (T)(k >= 0 ? (W)sum << k : (W)sum >> -k);                                 \
    }                                                                                    \
    /* log by normalising into [1, 2) and Newton iterations on exp. */                  \
    static inline T name##_log(T x)                                                      \
    {                                                                                    \
        int k = 0;                                                                       \
        while (x >= 2 * name##_one) {                                                    \
            x = (T)(x >> 1);                                                             \
            k++;                                                                         \
        }                                                                                \
        while (x < name##_one) {                                                         \
            x = (T)(x << 1);                                                             \
            k--;                                                                         \
        }                                                                                \
        T y = (T)(x - name##_one); /* initial guess log(1+u) ~ u */                      \
        for (int i = 0; i < 8; i++) {                                                    \
            T e = name##_exp(y);                                                         \
            y = (T)(y + name##_div((T)(x - e), e));                                      \
        }                                                                                \
        return (T)(y + (T)k * name##_from_double(0.69314718055994530942));               \
    }                                                                                    \
    static int name##_test(uint64_t *digest)                                             \
    {                                                                                    \
        jt_rng r = {FRAC};                                                               \
        const double maxv = MAXV;                                                        \
        for (int i = 0; i < 400; i++) {                                                  \
            double a = (jt_rng_unit(&r) - 0.5) * maxv, b = (jt_rng_unit(&r) - 0.5) * maxv; \
            if (fabs(b) < 0.5) b = 0.5;                                                  \
            T fa = name##_from_double(a), fb = name##_from_double(b);                   \
            double ra = name##_to_double(fa), rb = name##_to_double(fb);                \
            JT_CHECK(fabs(name##_to_double(name##_mul(fa, fb)) - ra * rb) < TOL * (1 + fabs(ra * rb))); \
            if (fabs(ra / rb) < maxv)                                                    \
                JT_CHECK(fabs(name##_to_double(name##_div(fa, fb)) - ra / rb) < TOL * (1 + fabs(ra / rb))); \
            double sq = fabs(ra);                                                        \
            JT_CHECK(fabs(name##_to_double(name##_sqrt(name##_from_double(sq))) - sqrt(sq)) < TOL); \
            double ang = (jt_rng_unit(&r) - 0.5) * (ANG);                                    \
            T s, c;                                                                      \
            name##_sincos(name##_from_double(ang), &s, &c);                              \
            double ra2 = name##_to_double(name##_from_double(ang));                      \
            JT_CHECK(fabs(name##_to_double(s) - sin(ra2)) < TOL);                        \
            JT_CHECK(fabs(name##_to_double(c) - cos(ra2)) < TOL);                        \
            double ex = (jt_rng_unit(&r) - 0.5) * (EXPR);                                    \
            T fe = name##_from_double(ex);                                               \
            double rex = name##_to_double(fe);                                           \
            JT_CHECK(fabs(name##_to_double(name##_exp(fe)) - exp(rex)) < TOL * 4 * (1 + exp(rex))); \
            double lx = 0.05 + jt_rng_unit(&r) * (LOGMAX);                                   \
            T fl = name##_from_double(lx);                                               \
            JT_CHECK(fabs(name##_to_double(name##_log(fl)) - log(name##_to_double(fl))) < TOL * 8); \
            *digest = jt_digest(*digest, (uint64_t)(int64_t)s);                          \
        }                                                                                \
        return 0;                                                                        \
    }
FIX_FORMATS(FIX_IMPL)

int fixedpt_selftest(uint64_t *digest)
{
#define FIX_RUN(name, T, W, FRAC, TOL, MAXV, ANG, EXPR, LOGMAX) \
    if (name##_test(digest)) return 1;
    FIX_FORMATS(FIX_RUN)
#undef FIX_RUN
    return 0;
}
