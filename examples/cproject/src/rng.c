/* Pseudo-random generators and statistical quality checks, stamped out once
 * per generator via an X-macro. */
#include <math.h>

#include "common.h"

typedef struct { uint64_t s; } rng_splitmix;
typedef struct { uint64_t s; } rng_xorshift;
typedef struct { uint64_t s[4]; } rng_xoshiro;
typedef struct { uint64_t state, inc; } rng_pcg;
typedef struct { uint32_t s; } rng_minstd;
typedef struct { uint32_t mt[624]; int idx; } rng_mt;

static void splitmix_seed(rng_splitmix *g, uint64_t seed) { g->s = seed; }
static uint32_t splitmix_next(rng_splitmix *g)
{
    g->s += 0x9E3779B97F4A7C15ull;
    return (uint32_t)(jt_mix64(g->s) >> 32);
}

static void xorshift_seed(rng_xorshift *g, uint64_t seed) { g->s = seed ? seed : 1; }
static uint32_t xorshift_next(rng_xorshift *g)
{
    uint64_t x = g->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g->s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static void xoshiro_seed(rng_xoshiro *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++) g->s[i] = jt_mix64(seed += 0x9E3779B97F4A7C15ull);
}
static uint32_t xoshiro_next(rng_xoshiro *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (uint32_t)(result >> 32);
}

static uint32_t pcg_next(rng_pcg *g)
{
    uint64_t old = g->state;
    g->state = old * 6364136223846793005ull + g->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}
static void pcg_seed(rng_pcg *g, uint64_t seed)
{
    g->state = 0;
    g->inc = (54u << 1) | 1u;
    pcg_next(g);
    g->state += seed;
    pcg_next(g);
}

static void minstd_seed(rng_minstd *g, uint64_t seed) { g->s = (uint32_t)(seed % 2147483646u) + 1; }
static uint32_t minstd_next(rng_minstd *g)
{
    g->s = (uint32_t)((uint64_t)g->s * 48271u % 2147483647u);
    /* 31-bit output; spread to 32 bits for the shared tests. */
    return g->s << 1 | (g->s >> 30);
}

static void mt_seed(rng_mt *g, uint64_t seed)
{
    g->mt[0] = (uint32_t)seed;
    for (int i = 1; i < 624; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->idx = 624;
}
static uint32_t mt_next(rng_mt *g)
{
    if (g->idx >= 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (g->mt[i] & 0x80000000u) | (g->mt[(i + 1) % 624] & 0x7FFFFFFFu);
            g->mt[i] = g->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) ? 0x9908B0DFu : 0);
        }
        g->idx = 0;
    }
    uint32_t y = g->mt[g->idx++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9D2C5680u;
    y ^= (y << 15) & 0xEFC60000u;
    y ^= y >> 18;
    return y;
}

#define RNG_LIST(X) X(splitmix) X(xorshift) X(xoshiro) X(pcg) X(minstd) X(mt)

/* Per-generator helpers and tests. */
#define RNG_IMPL(name)                                                           \
    static inline double name##_uniform(rng_##name *g)                           \
    {                                                                            \
        return (name##_next(g) + 0.5) * (1.0 / 4294967296.0);                    \
    }                                                                            \
    static inline uint32_t name##_bounded(rng_##name *g, uint32_t n)             \
    {                                                                            \
        /* Lemire's nearly-divisionless rejection method. */                     \
        uint64_t m = (uint64_t)name##_next(g) * n;                               \
        uint32_t l = (uint32_t)m;                                                \
        if (l < n) {                                                             \
            uint32_t t = (0u - n) % n;                                           \
            while (l < t) {                                                      \
                m = (uint64_t)name##_next(g) * n;                                \
                l = (uint32_t)m;                                                 \
            }                                                                    \
        }                                                                        \
        return (uint32_t)(m >> 32);                                              \
    }                                                                            \
    static inline double name##_normal(rng_##name *g)                            \
    {                                                                            \
        double u1 = name##_uniform(g), u2 = name##_uniform(g);                   \
        return sqrt(-2.0 * log(u1)) * cos(2.0 * JT_PI * u2);                     \
    }                                                                            \
    static inline void name##_shuffle(rng_##name *g, uint32_t *a, uint32_t n)    \
    {                                                                            \
        for (uint32_t i = n; i > 1; i--) {                                       \
            uint32_t j = name##_bounded(g, i);                                   \
            uint32_t t = a[i - 1];                                               \
            a[i - 1] = a[j];                                                     \
            a[j] = t;                                                            \
        }                                                                        \
    }                                                                            \
    static int name##_quality(uint64_t *digest)                                  \
    {                                                                            \
        static rng_##name g;                                                     \
        enum { SAMPLES = 200000, BUCKETS = 64 };                                 \
        name##_seed(&g, 12345);                                                  \
        double sum = 0, sumsq = 0;                                               \
        uint32_t hist[BUCKETS] = {0};                                            \
        uint32_t bitcount[32] = {0};                                             \
        for (int i = 0; i < SAMPLES; i++) {                                      \
            uint32_t v = name##_next(&g);                                        \
            double u = (v + 0.5) * (1.0 / 4294967296.0);                         \
            sum += u;                                                            \
            sumsq += u * u;                                                      \
            hist[name##_bounded(&g, BUCKETS)]++;                                 \
            for (int b = 0; b < 32; b++) bitcount[b] += (v >> b) & 1;            \
        }                                                                        \
        double mean = sum / SAMPLES, var = sumsq / SAMPLES - mean * mean;        \
        JT_CHECK(fabs(mean - 0.5) < 0.01);                                       \
        JT_CHECK(fabs(var - 1.0 / 12) < 0.01);                                   \
        double expect = (double)SAMPLES / BUCKETS, chi = 0;                      \
        for (int i = 0; i < BUCKETS; i++)                                        \
            chi += (hist[i] - expect) * (hist[i] - expect) / expect;             \
        JT_CHECK(chi < 120); /* 63 dof, far tail */                              \
        for (int b = 1; b < 32; b++)                                             \
            JT_CHECK(fabs(bitcount[b] / (double)SAMPLES - 0.5) < 0.01);          \
        double nsum = 0, nsq = 0;                                                \
        for (int i = 0; i < 20000; i++) {                                        \
            double z = name##_normal(&g);                                        \
            nsum += z;                                                           \
            nsq += z * z;                                                        \
        }                                                                        \
        JT_CHECK(fabs(nsum / 20000) < 0.05 && fabs(nsq / 20000 - 1) < 0.05);     \
        uint32_t perm[100], seen[100] = {0};                                     \
        for (uint32_t i = 0; i < 100; i++) perm[i] = i;                          \
        name##_shuffle(&g, perm, 100);                                           \
        for (uint32_t i = 0; i < 100; i++) seen[perm[i]]++;                      \
        for (uint32_t i = 0; i < 100; i++) JT_CHECK(seen[i] == 1);               \
        *digest = jt_digest(*digest, name##_next(&g));                           \
        *digest = jt_digest(*digest, perm[0]);                                   \
        return 0;                                                                \
    }
RNG_LIST(RNG_IMPL)

/* Non-uniform distributions built on each generator, each checked against
 * its analytic mean and variance. */
#define DIST_IMPL(name)                                                              \
    static inline double name##_exponential(rng_##name *g, double rate)              \
    {                                                                                \
        return -log(name##_uniform(g)) / rate;                                       \
    }                                                                                \
    /* Marsaglia-Tsang squeeze method; boosts shape < 1 by U^(1/shape). */          \
    static double name##_gamma(rng_##name *g, double shape)                          \
    {                                                                                \
        if (shape < 1) return name##_gamma(g, shape + 1) * pow(name##_uniform(g), 1 / shape); \
        double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);                             \
        for (;;) {                                                                   \
            double x, v;                                                             \
            do {                                                                     \
                x = name##_normal(g);                                                \
                v = 1 + c * x;                                                       \
            } while (v <= 0);                                                        \
            v = v * v * v;                                                           \
            double u = name##_uniform(g);                                            \
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;                        \
            if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;           \
        }                                                                            \
    }                                                                                \
    static inline double name##_beta(rng_##name *g, double a, double b)              \
    {                                                                                \
        double x = name##_gamma(g, a), y = name##_gamma(g, b);                       \
        return x / (x + y);                                                          \
    }                                                                                \
    /* Knuth's multiplication method (fine for small means). */                     \
    static inline unsigned name##_poisson(rng_##name *g, double lambda)              \
    {                                                                                \
        double l = exp(-lambda), p = 1;                                              \
        unsigned k = 0;                                                              \
        do {                                                                         \
            k++;                                                                     \
            p *= name##_uniform(g);                                                  \
        } while (p > l);                                                             \
        return k - 1;                                                                \
    }                                                                                \
    /* Inversion by sequential search of the binomial CDF. */                       \
    static inline unsigned name##_binomial(rng_##name *g, unsigned n, double p)      \
    {                                                                                \
        double u = name##_uniform(g), q = 1 - p, f = pow(q, n), cdf = f;             \
        unsigned k = 0;                                                              \
        while (u > cdf && k < n) {                                                   \
            f *= (double)(n - k) / (k + 1) * p / q;                                  \
            k++;                                                                     \
            cdf += f;                                                                \
        }                                                                            \
        return k;                                                                    \
    }                                                                                \
    static inline unsigned name##_geometric(rng_##name *g, double p)                 \
    {                                                                                \
        return (unsigned)floor(log(name##_uniform(g)) / log(1 - p));                 \
    }                                                                                \
    /* Walker/Vose alias method for a discrete distribution over k outcomes. */     \
    static inline unsigned name##_alias(rng_##name *g, const double *prob, const uint32_t *alias, uint32_t k) \
    {                                                                                \
        uint32_t i = name##_bounded(g, k);                                           \
        return name##_uniform(g) < prob[i] ? i : alias[i];                           \
    }                                                                                \
    static int name##_moments(rng_##name *g, int which, double mean, double var, int samples) \
    {                                                                                \
        double s = 0, ss = 0;                                                        \
        for (int i = 0; i < samples; i++) {                                          \
            double x = which == 0   ? name##_exponential(g, 2.0)                     \
                       : which == 1 ? name##_gamma(g, 3.5)                           \
                       : which == 2 ? name##_gamma(g, 0.5)                           \
                       : which == 3 ? name##_beta(g, 2.0, 5.0)                       \
                       : which == 4 ? (double)name##_poisson(g, 4.0)                 \
                       : which == 5 ? (double)name##_binomial(g, 20, 0.3)            \
                                    : (double)name##_geometric(g, 0.25);             \
            s += x;                                                                  \
            ss += x * x;                                                             \
        }                                                                            \
        double m = s / samples, v = ss / samples - m * m;                            \
        JT_CHECK(fabs(m - mean) < 0.03 * (1 + fabs(mean)));                          \
        JT_CHECK(fabs(v - var) < 0.08 * (1 + var));                                  \
        return 0;                                                                    \
    }                                                                                \
    static int name##_distributions(uint64_t *digest)                                \
    {                                                                                \
        static rng_##name g;                                                         \
        name##_seed(&g, 777);                                                        \
        static const double expect[7][2] = {                                         \
            {0.5, 0.25}, {3.5, 3.5}, {0.5, 0.5}, {2.0 / 7, 10.0 / 392},              \
            {4.0, 4.0}, {6.0, 4.2}, {3.0, 12.0}};                                    \
        for (int w = 0; w < 7; w++)                                                  \
            if (name##_moments(&g, w, expect[w][0], expect[w][1], 40000)) return 1;  \
        /* Alias table for weights 1:2:3:4 (built with Vose's method). */            \
        const double wts[4] = {1, 2, 3, 4};                                          \
        double prob[4], scaled[4];                                                   \
        uint32_t alias[4] = {0, 1, 2, 3}, small[4], large[4], ns = 0, nl = 0;        \
        for (uint32_t i = 0; i < 4; i++) {                                           \
            scaled[i] = wts[i] / 10.0 * 4;                                           \
            if (scaled[i] < 1) small[ns++] = i;                                      \
            else large[nl++] = i;                                                    \
        }                                                                            \
        while (ns && nl) {                                                           \
            uint32_t l = small[--ns], h = large[--nl];                               \
            prob[l] = scaled[l];                                                     \
            alias[l] = h;                                                            \
            scaled[h] = scaled[h] + scaled[l] - 1;                                   \
            if (scaled[h] < 1) small[ns++] = h;                                      \
            else large[nl++] = h;                                                    \
        }                                                                            \
        while (nl) prob[large[--nl]] = 1;                                            \
        while (ns) prob[small[--ns]] = 1;                                            \
        uint32_t hist[4] = {0};                                                      \
        for (int i = 0; i < 40000; i++) hist[name##_alias(&g, prob, alias, 4)]++;    \
        for (int i = 0; i < 4; i++) JT_CHECK(fabs(hist[i] / 40000.0 - wts[i] / 10) < 0.01); \
        *digest = jt_digest(*digest, hist[0]);                                       \
        return 0;                                                                    \
    }
RNG_LIST(DIST_IMPL)

int rng_selftest(uint64_t *digest)
{
    static rng_mt mt;
    mt_seed(&mt, 5489);
    JT_CHECK(mt_next(&mt) == 3499211612u);
    for (int i = 1; i < 9999; i++) mt_next(&mt);
    JT_CHECK(mt_next(&mt) == 4123659995u);
    rng_minstd ms = {1};
    for (int i = 0; i < 10000; i++) minstd_next(&ms);
    JT_CHECK(ms.s == 399268537u);
#define RNG_RUN(name) \
    if (name##_quality(digest) != 0 || name##_distributions(digest) != 0) return 1;
    RNG_LIST(RNG_RUN)
#undef RNG_RUN
    return 0;
}
