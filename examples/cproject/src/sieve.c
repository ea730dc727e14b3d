/* Prime sieves and number-theoretic tables. */
#include <stdlib.h>

#include "common.h"

/* Classic byte-per-number sieve of Eratosthenes; returns the prime count. */
static size_t sieve_bytes(uint8_t *composite, size_t n)
{
    memset(composite, 0, n + 1);
    composite[0] = composite[1] = 1;
    for (size_t i = 2; i * i <= n; i++)
        if (!composite[i])
            for (size_t j = i * i; j <= n; j += i) composite[j] = 1;
    size_t count = 0;
    for (size_t i = 2; i <= n; i++) count += !composite[i];
    return count;
}

/* Odd-only bit sieve: bit k represents 2k+1. */
static size_t sieve_bits(uint64_t *bits, size_t n)
{
    size_t half = (n + 1) / 2;
    size_t words = (half + 63) / 64;
    memset(bits, 0, words * sizeof *bits);
    bits[0] |= 1; /* 1 is not prime */
    for (size_t i = 3; i * i <= n; i += 2)
        if (!(bits[(i / 2) / 64] >> ((i / 2) % 64) & 1))
            for (size_t j = i * i; j <= n; j += 2 * i) bits[(j / 2) / 64] |= 1ull << ((j / 2) % 64);
    size_t count = n >= 2 ? 1 : 0;
    for (size_t k = 0; k < half; k++) count += !(bits[k / 64] >> (k % 64) & 1);
    return count;
}

/* Segmented sieve over [lo, hi) using base primes up to sqrt(hi). */
static size_t sieve_segmented(uint64_t lo, uint64_t hi)
{
    enum { SEG = 32768 };
    uint64_t root = 1;
    while (root * root < hi) root++;
    uint8_t *base = malloc(root + 1);
    sieve_bytes(base, root);
    uint8_t seg[SEG];
    size_t count = 0;
    for (uint64_t start = lo; start < hi; start += SEG) {
        uint64_t end = start + SEG < hi ? start + SEG : hi;
        memset(seg, 0, SEG);
        for (uint64_t p = 2; p <= root; p++) {
            if (base[p]) continue;
            uint64_t first = (start + p - 1) / p * p;
            if (first < p * p) first = p * p;
            for (uint64_t m = first; m < end; m += p) seg[m - start] = 1;
        }
        for (uint64_t v = start; v < end; v++) count += !seg[v - start] && v >= 2;
    }
    free(base);
    return count;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((unsigned __int128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1) r = mulmod(r, b, m);
        b = mulmod(b, b, m);
        e >>= 1;
    }
    return r;
}

/* Deterministic Miller-Rabin for all 64-bit integers. */
static int is_prime_mr(uint64_t n)
{
    static const uint64_t witnesses[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    if (n < 2) return 0;
    for (size_t i = 0; i < JT_ARRAY_LEN(witnesses); i++) {
        if (n == witnesses[i]) return 1;
        if (n % witnesses[i] == 0) return 0;
    }
    uint64_t d = n - 1;
    int s = 0;
    while (!(d & 1)) {
        d >>= 1;
        s++;
    }
    for (size_t i = 0; i < JT_ARRAY_LEN(witnesses); i++) {
        uint64_t x = powmod(witnesses[i], d, n);
        if (x == 1 || x == n - 1) continue;
        int composite = 1;
        for (int r = 1; r < s; r++) {
            x = mulmod(x, x, n);
            if (x == n - 1) {
                composite = 0;
                break;
            }
        }
        if (composite) return 0;
    }
    return 1;
}

/* Montgomery arithmetic, Miller-Rabin and Pollard-Brent rho factoring,
 * instantiated for 32- and 64-bit moduli (double-width type W). */
#define MONT_TYPES(X) X(u32, uint32_t, uint64_t, 32) X(u64, uint64_t, unsigned __int128, 64)

#define MONT_IMPL(sfx, T, W, BITS)                                                     \
    typedef struct {                                                                   \
        T n, ninv, r2, one;                                                            \
    } mont_##sfx;                                                                      \
    /* t * R^-1 mod n using "signed" REDC: never overflows for odd n < 2^BITS. */    \
    static inline T redc_##sfx(const mont_##sfx *m, W t)                               \
    {                                                                                  \
        T q = (T)((T)t * m->ninv);                                                     \
        T hi_t = (T)(t >> BITS), hi_qn = (T)(((W)q * m->n) >> BITS);                   \
        return hi_t >= hi_qn ? (T)(hi_t - hi_qn) : (T)(hi_t - hi_qn + m->n);           \
    }                                                                                  \
    static inline T mont_mul_##sfx(const mont_##sfx *m, T a, T b) { return redc_##sfx(m, (W)a * b); } \
    static inline T mont_in_##sfx(const mont_##sfx *m, T a) { return mont_mul_##sfx(m, a % m->n, m->r2); } \
    static inline T mont_out_##sfx(const mont_##sfx *m, T a) { return redc_##sfx(m, a); } \
    static void mont_init_##sfx(mont_##sfx *m, T n)                                    \
    {                                                                                  \
        T inv = n; /* Newton iteration for n^-1 mod 2^BITS (n odd) */                 \
        for (int i = 0; i < 6; i++) inv = (T)(inv * (T)(2 - n * inv));                 \
        m->n = n;                                                                      \
        m->ninv = inv;                                                                 \
        W r = ((W)1 << (BITS - 1)) % n;                                                \
        r = (r * 2) % n; /* R mod n */                                                 \
        m->r2 = (T)(r * r % n);                                                        \
        m->one = (T)r;                                                                 \
    }                                                                                  \
    static T mont_pow_##sfx(const mont_##sfx *m, T base_m, T e)                        \
    {                                                                                  \
        T r = m->one;                                                                  \
        while (e) {                                                                    \
            if (e & 1) r = mont_mul_##sfx(m, r, base_m);                               \
            base_m = mont_mul_##sfx(m, base_m, base_m);                                \
            e >>= 1;                                                                   \
        }                                                                              \
        return r;                                                                      \
    }                                                                                  \
    static int is_prime_mont_##sfx(T n)                                                \
    {                                                                                  \
        static const T small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};         \
        if (n < 2) return 0;                                                           \
        for (size_t i = 0; i < JT_ARRAY_LEN(small); i++) {                             \
            if (n == small[i]) return 1;                                               \
            if (n % small[i] == 0) return 0;                                           \
        }                                                                              \
        mont_##sfx m;                                                                  \
        mont_init_##sfx(&m, n);                                                        \
        T d = n - 1;                                                                   \
        int s = 0;                                                                     \
        while (!(d & 1)) {                                                             \
            d >>= 1;                                                                   \
            s++;                                                                       \
        }                                                                              \
        T minus_one = (T)(n - m.one);                                                  \
        const size_t nw = BITS == 32 ? 3 : 12;                                         \
        static const T w32[] = {2, 7, 61};                                             \
        for (size_t i = 0; i < nw; i++) {                                              \
            T a = BITS == 32 ? w32[i] : small[i];                                      \
            T x = mont_pow_##sfx(&m, mont_in_##sfx(&m, a), d);                         \
            if (x == m.one || x == minus_one) continue;                                \
            int composite = 1;                                                         \
            for (int r = 1; r < s && composite; r++) {                                 \
                x = mont_mul_##sfx(&m, x, x);                                          \
                if (x == minus_one) composite = 0;                                     \
            }                                                                          \
            if (composite) return 0;                                                   \
        }                                                                              \
        return 1;                                                                      \
    }                                                                                  \
    static T gcd_##sfx(T a, T b)                                                       \
    {                                                                                  \
        while (b) {                                                                    \
            T t = a % b;                                                               \
            a = b;                                                                     \
            b = t;                                                                     \
        }                                                                              \
        return a;                                                                      \
    }                                                                                  \
    /* Brent's variant of Pollard's rho on an odd composite n; returns a factor. */  \
    static T pollard_brent_##sfx(T n, T c)                                             \
    {                                                                                  \
        mont_##sfx m;                                                                  \
        mont_init_##sfx(&m, n);                                                        \
        T cm = mont_in_##sfx(&m, c), y = mont_in_##sfx(&m, 2), x = y, q = m.one, g = 1, ys = y; \
        for (T r = 1; g == 1; r <<= 1) {                                               \
            x = y;                                                                     \
            for (T i = 0; i < r; i++) y = (T)((mont_mul_##sfx(&m, y, y) + cm) % n);    \
            for (T k = 0; k < r && g == 1; k += 64) {                                  \
                ys = y;                                                                \
                for (T i = 0; i < 64 && i < r - k; i++) {                              \
                    y = (T)((mont_mul_##sfx(&m, y, y) + cm) % n);                      \
                    q = mont_mul_##sfx(&m, q, x > y ? (T)(x - y) : (T)(y - x));        \
                }                                                                      \
                g = gcd_##sfx(q, n);                                                   \
            }                                                                          \
            if (r > ((T)1 << (BITS / 2))) break;                                       \
        }                                                                              \
        if (g == n) { /* backtrack one step at a time */                               \
            do {                                                                       \
                ys = (T)((mont_mul_##sfx(&m, ys, ys) + cm) % n);                       \
                g = gcd_##sfx(x > ys ? (T)(x - ys) : (T)(ys - x), n);                  \
            } while (g == 1);                                                          \
        }                                                                              \
        return g;                                                                      \
    }                                                                                  \
    /* Full factorisation into primes (unsorted); returns the count. */              \
    static size_t factor_##sfx(T n, T *out)                                            \
    {                                                                                  \
        size_t k = 0;                                                                  \
        T stack[64];                                                                   \
        size_t sp = 0;                                                                 \
        while (n % 2 == 0 && n > 1) {                                                  \
            out[k++] = 2;                                                              \
            n /= 2;                                                                    \
        }                                                                              \
        if (n > 1) stack[sp++] = n;                                                    \
        while (sp) {                                                                   \
            T v = stack[--sp];                                                         \
            if (is_prime_mont_##sfx(v)) {                                              \
                out[k++] = v;                                                          \
                continue;                                                              \
            }                                                                          \
            T f = v;                                                                   \
            for (T c = 1; f == v || f == 1; c++) f = pollard_brent_##sfx(v, c);        \
            stack[sp++] = f;                                                           \
            stack[sp++] = v / f;                                                       \
        }                                                                              \
        return k;                                                                      \
    }                                                                                  \
    static int mont_test_##sfx(uint64_t *digest)                                       \
    {                                                                                  \
        jt_rng r = {BITS};                                                             \
        const T top = (T)~(T)0;                                                        \
        size_t primes = 0;                                                             \
        for (T v = (T)(top - 20000); v != top; v++) {                                  \
            int p = is_prime_mont_##sfx(v);                                            \
            JT_CHECK(p == is_prime_mr(v));                                             \
            primes += (size_t)p;                                                       \
        }                                                                              \
        for (int i = 0; i < 3000; i++) {                                               \
            T v = (T)jt_rng_next(&r) | 1;                                              \
            JT_CHECK(is_prime_mont_##sfx(v) == is_prime_mr(v));                        \
            mont_##sfx m;                                                              \
            mont_init_##sfx(&m, v);                                                    \
            T a = (T)jt_rng_next(&r) % v, b = (T)jt_rng_next(&r) % v;                  \
            T prod = mont_out_##sfx(&m, mont_mul_##sfx(&m, mont_in_##sfx(&m, a), mont_in_##sfx(&m, b))); \
            JT_CHECK(prod == (T)((W)a * b % v));                                       \
        }                                                                              \
        for (int i = 0; i < 40; i++) {                                                 \
            T n = (T)(jt_rng_next(&r) >> (64 - BITS + 1)) | 1, fac[128];               \
            if (n < 3) continue;                                                       \
            size_t k = factor_##sfx(n, fac);                                           \
            T prod = 1;                                                                \
            for (size_t j = 0; j < k; j++) {                                           \
                JT_CHECK(is_prime_mr(fac[j]));                                         \
                prod = (T)(prod * fac[j]);                                             \
            }                                                                          \
            JT_CHECK(prod == n);                                                       \
            *digest = jt_digest(*digest, k);                                           \
        }                                                                              \
        *digest = jt_digest(*digest, primes);                                          \
        return 0;                                                                      \
    }
MONT_TYPES(MONT_IMPL)

/* Linear sieve computing Euler's totient and the Moebius function. */
static void sieve_phi_mu(int32_t *phi, int8_t *mu, uint32_t *primes, size_t n, size_t *np)
{
    size_t count = 0;
    for (size_t i = 0; i <= n; i++) phi[i] = 0;
    if (n >= 1) {
        phi[1] = 1;
        mu[1] = 1;
    }
    for (size_t i = 2; i <= n; i++) {
        if (phi[i] == 0) {
            primes[count++] = (uint32_t)i;
            phi[i] = (int32_t)i - 1;
            mu[i] = -1;
        }
        for (size_t k = 0; k < count && (size_t)primes[k] * i <= n; k++) {
            size_t m = primes[k] * i;
            if (i % primes[k] == 0) {
                phi[m] = phi[i] * (int32_t)primes[k];
                mu[m] = 0;
                break;
            }
            phi[m] = phi[i] * ((int32_t)primes[k] - 1);
            mu[m] = (int8_t)-mu[i];
        }
    }
    *np = count;
}

/* Smallest-prime-factor table and factorisation. */
static size_t factorize(const uint32_t *spf, uint32_t n, uint32_t *out)
{
    size_t k = 0;
    while (n > 1) {
        out[k++] = spf[n];
        n /= spf[n];
    }
    return k;
}

int sieve_selftest(uint64_t *digest)
{
    enum { N = 1000000, M = 100000 };
    uint8_t *comp = malloc(N + 1);
    uint64_t *bits = malloc(((N + 1) / 2 + 63) / 64 * sizeof(uint64_t));
    size_t a = sieve_bytes(comp, N);
    size_t b = sieve_bits(bits, N);
    size_t c = sieve_segmented(0, N + 1);
    size_t d = sieve_segmented(999900000, 1000000000);
    size_t mr = 0;
    for (uint64_t v = 999900000; v < 1000000000; v++) mr += (size_t)is_prime_mr(v);
    int ok = a == 78498 && b == 78498 && c == 78498 && d == mr;
    uint64_t h = 0;
    for (uint32_t v = 0; v <= 1000; v++) ok &= is_prime_mr(v) == !comp[v];
    free(bits);
    JT_CHECK(ok);
    JT_CHECK(is_prime_mr(18446744073709551557ull));  /* largest 64-bit prime */
    JT_CHECK(!is_prime_mr(3215031751ull));           /* strong pseudoprime to 2,3,5,7 */
    JT_CHECK(is_prime_mr(1000000007ull));
    if (mont_test_u32(digest) || mont_test_u64(digest)) return 1;
    {
        uint64_t f[64];
        size_t nf2 = factor_u64(600851475143ull, f); /* 71 * 839 * 1471 * 6857 */
        uint64_t mx = 0;
        for (size_t i = 0; i < nf2; i++) mx = f[i] > mx ? f[i] : mx;
        JT_CHECK(nf2 == 4 && mx == 6857);
        nf2 = factor_u64(4611686014132420609ull, f); /* (2^31 - 1)^2 */
        JT_CHECK(nf2 == 2 && f[0] == 2147483647ull && f[1] == 2147483647ull);
    }

    int32_t *phi = malloc((M + 1) * sizeof *phi);
    int8_t *mu = malloc(M + 1);
    uint32_t *primes = malloc(M * sizeof *primes);
    uint32_t *spf = malloc((M + 1) * sizeof *spf);
    size_t np = 0;
    sieve_phi_mu(phi, mu, primes, M, &np);
    JT_CHECK(np == 9592);
    JT_CHECK(phi[36] == 12 && phi[97] == 96 && mu[30] == -1 && mu[12] == 0 && mu[10] == 1);
    int64_t phisum = 0, musum = 0;
    for (size_t i = 1; i <= M; i++) {
        phisum += phi[i];
        musum += mu[i];
    }
    /* sum_{d | n} phi(d) == n for a few n */
    for (uint32_t n = 1; n <= 200; n++) {
        int64_t s = 0;
        for (uint32_t dv = 1; dv <= n; dv++)
            if (n % dv == 0) s += phi[dv];
        JT_CHECK(s == n);
    }
    for (uint32_t i = 0; i <= M; i++) spf[i] = i;
    for (uint32_t i = 2; i * i <= M; i++)
        if (spf[i] == i)
            for (uint32_t j = i * i; j <= M; j += i)
                if (spf[j] == j) spf[j] = i;
    uint32_t fac[32];
    size_t nf = factorize(spf, 97020, fac); /* 2^2 * 3^2 * 5 * 7^2 * 11 */
    JT_CHECK(nf == 8 && fac[0] == 2 && fac[nf - 1] == 11);
    for (size_t i = 0; i < 1000; i++) h = jt_digest(h, comp[i * 997]);
    h = jt_digest(h, (uint64_t)phisum);
    h = jt_digest(h, (uint64_t)musum);
    h = jt_digest(h, d);
    *digest = jt_digest(*digest, h);
    free(comp);
    free(phi);
    free(mu);
    free(primes);
    free(spf);
    return 0;
}
