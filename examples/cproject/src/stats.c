/* Descriptive statistics for every arithmetic type. */
#include <math.h>

#include "common.h"

typedef struct {
    double mean, var, skew, kurt, min, max;
    size_t n;
} summary;

#define STATS_IMPL(sfx, T)                                                         \
    /* One-pass Welford/Terriberry update of the first four moments. */            \
    static inline summary stats_summary_##sfx(const T *x, size_t n)                \
    {                                                                              \
        summary s = {0, 0, 0, 0, 0, 0, 0};                                         \
        double m2 = 0, m3 = 0, m4 = 0;                                             \
        for (size_t i = 0; i < n; i++) {                                           \
            double v = (double)x[i];                                               \
            size_t n1 = s.n++;                                                     \
            double delta = v - s.mean, dn = delta / (double)s.n, dn2 = dn * dn;    \
            double term1 = delta * dn * (double)n1;                                \
            s.mean += dn;                                                          \
            m4 += term1 * dn2 * ((double)s.n * s.n - 3.0 * s.n + 3) + 6 * dn2 * m2 - 4 * dn * m3; \
            m3 += term1 * dn * ((double)s.n - 2) - 3 * dn * m2;                    \
            m2 += term1;                                                           \
            if (i == 0 || v < s.min) s.min = v;                                    \
            if (i == 0 || v > s.max) s.max = v;                                    \
        }                                                                          \
        if (n > 1) s.var = m2 / (double)(n - 1);                                   \
        if (m2 > 0) {                                                              \
            s.skew = sqrt((double)n) * m3 / pow(m2, 1.5);                          \
            s.kurt = (double)n * m4 / (m2 * m2) - 3.0;                             \
        }                                                                          \
        return s;                                                                  \
    }                                                                              \
    static inline double stats_mean_twopass_##sfx(const T *x, size_t n, double *var) \
    {                                                                              \
        double sum = 0;                                                            \
        for (size_t i = 0; i < n; i++) sum += (double)x[i];                        \
        double mean = sum / (double)n, ss = 0, comp = 0;                           \
        for (size_t i = 0; i < n; i++) {                                           \
            double d = (double)x[i] - mean;                                        \
            ss += d * d;                                                           \
            comp += d;                                                             \
        }                                                                          \
        *var = (ss - comp * comp / (double)n) / (double)(n - 1);                   \
        return mean;                                                               \
    }                                                                              \
    /* Quickselect with a three-way partition: k-th smallest, reorders x. */     \
    static inline T stats_select_##sfx(T *x, size_t n, size_t k)                   \
    {                                                                              \
        size_t lo = 0, hi = n - 1;                                                 \
        while (lo < hi) {                                                          \
            T pivot = x[lo + (hi - lo) / 2];                                       \
            size_t lt = lo, i = lo, gt = hi + 1;                                   \
            while (i < gt) {                                                       \
                T t = x[i];                                                        \
                if (t < pivot) {                                                   \
                    x[i++] = x[lt];                                                \
                    x[lt++] = t;                                                   \
                } else if (pivot < t) {                                            \
                    x[i] = x[--gt];                                                \
                    x[gt] = t;                                                     \
                } else {                                                           \
                    i++;                                                           \
                }                                                                  \
            }                                                                      \
            if (k < lt)                                                            \
                hi = lt - 1;                                                       \
            else if (k >= gt)                                                      \
                lo = gt;                                                           \
            else                                                                   \
                break;                                                             \
        }                                                                          \
        return x[k];                                                               \
    }                                                                              \
    static inline double stats_median_##sfx(const T *x, size_t n, T *scratch)      \
    {                                                                              \
        memcpy(scratch, x, n * sizeof(T));                                         \
        double hi = (double)stats_select_##sfx(scratch, n, n / 2);                 \
        if (n & 1) return hi;                                                      \
        double lo = (double)stats_select_##sfx(scratch, n, n / 2 - 1);             \
        return (lo + hi) / 2;                                                      \
    }                                                                              \
    static inline void stats_histogram_##sfx(const T *x, size_t n, double lo, double hi, \
                                             size_t *bins, size_t nbins)           \
    {                                                                              \
        for (size_t b = 0; b < nbins; b++) bins[b] = 0;                            \
        for (size_t i = 0; i < n; i++) {                                           \
            double f = ((double)x[i] - lo) / (hi - lo) * (double)nbins;            \
            size_t b = f < 0 ? 0 : f >= (double)nbins ? nbins - 1 : (size_t)f;     \
            bins[b]++;                                                             \
        }                                                                          \
    }                                                                              \
    static inline double stats_correlation_##sfx(const T *x, const T *y, size_t n) \
    {                                                                              \
        double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;                          \
        for (size_t i = 0; i < n; i++) {                                           \
            mx += (double)x[i];                                                    \
            my += (double)y[i];                                                    \
        }                                                                          \
        mx /= (double)n;                                                           \
        my /= (double)n;                                                           \
        for (size_t i = 0; i < n; i++) {                                           \
            double dx = (double)x[i] - mx, dy = (double)y[i] - my;                 \
            sxx += dx * dx;                                                        \
            syy += dy * dy;                                                        \
            sxy += dx * dy;                                                        \
        }                                                                          \
        return sxy / sqrt(sxx * syy);                                              \
    }                                                                              \
    static int stats_test_##sfx(uint64_t *digest, uint64_t seed)                   \
    {                                                                              \
        enum { N = 501 };                                                          \
        T x[N], y[N], scratch[N];                                                  \
        jt_rng r = {seed};                                                         \
        for (size_t i = 0; i < N; i++) {                                           \
            x[i] = (T)jt_rng_below(&r, 100);                                       \
            y[i] = (T)(x[i] / 2 + jt_rng_below(&r, 10));                           \
        }                                                                          \
        summary s = stats_summary_##sfx(x, N);                                     \
        double var2;                                                               \
        double mean2 = stats_mean_twopass_##sfx(x, N, &var2);                      \
        JT_CHECK(jt_close(s.mean, mean2, 1e-9) && jt_close(s.var, var2, 1e-9));    \
        JT_CHECK(s.min >= 0 && s.max <= 99 && s.mean > 40 && s.mean < 60);         \
        JT_CHECK(fabs(s.skew) < 0.3 && s.kurt < -0.9 && s.kurt > -1.5);            \
        double med = stats_median_##sfx(x, N, scratch);                            \
        size_t below = 0, equal = 0;                                               \
        for (size_t i = 0; i < N; i++) {                                           \
            below += (double)x[i] < med;                                           \
            equal += (double)x[i] == med;                                          \
        }                                                                          \
        JT_CHECK(below <= N / 2 && below + equal > N / 2);                         \
        for (size_t k = 0; k < N; k += 50) {                                       \
            memcpy(scratch, x, sizeof scratch);                                    \
            T v = stats_select_##sfx(scratch, N, k);                               \
            size_t lt = 0, le = 0;                                                 \
            for (size_t i = 0; i < N; i++) {                                       \
                lt += x[i] < v;                                                    \
                le += x[i] <= v;                                                   \
            }                                                                      \
            JT_CHECK(lt <= k && k < le);                                           \
        }                                                                          \
        size_t bins[10], total = 0;                                                \
        stats_histogram_##sfx(x, N, 0, 100, bins, 10);                             \
        for (size_t b = 0; b < 10; b++) total += bins[b];                          \
        JT_CHECK(total == N);                                                      \
        double rho = stats_correlation_##sfx(x, y, N);                             \
        JT_CHECK(rho > 0.9 && rho <= 1.0);                                         \
        *digest = jt_digest_double(*digest, s.mean);                               \
        *digest = jt_digest_double(*digest, s.var);                                \
        *digest = jt_digest_double(*digest, med);                                  \
        return 0;                                                                  \
    }
JT_ALL_TYPES(STATS_IMPL)

int stats_selftest(uint64_t *digest)
{
    uint64_t seed = 3;
#define STATS_RUN(sfx, T) \
    if (stats_test_##sfx(digest, seed++) != 0) return 1;
    JT_ALL_TYPES(STATS_RUN)
#undef STATS_RUN
    return 0;
}
