/* Elementary number theory: gcd variants, extended Euclid, modular
 * inverse/exponentiation, CRT, exact rationals, continued fractions and
 * best rational approximations. */
#include <math.h>

#include "common.h"

#define GCD_IMPL(sfx, T)                                                      \
    static inline T gcd_euclid_##sfx(T a, T b)                                \
    {                                                                         \
        while (b) {                                                           \
            T t = (T)(a % b);                                                 \
            a = b;                                                            \
            b = t;                                                            \
        }                                                                     \
        return a;                                                             \
    }                                                                         \
    static inline T gcd_binary_##sfx(T a, T b)                                \
    {                                                                         \
        if (!a) return b;                                                     \
        if (!b) return a;                                                     \
        int shift = __builtin_ctzll((unsigned long long)(a | b));             \
        a = (T)(a >> __builtin_ctzll((unsigned long long)a));                 \
        do {                                                                  \
            b = (T)(b >> __builtin_ctzll((unsigned long long)b));             \
            if (a > b) {                                                      \
                T t = a;                                                      \
                a = b;                                                        \
                b = t;                                                        \
            }                                                                 \
            b = (T)(b - a);                                                   \
        } while (b);                                                          \
        return (T)(a << shift);                                               \
    }                                                                         \
    static int gcd_test_##sfx(uint64_t *digest)                               \
    {                                                                         \
        jt_rng r = {sizeof(T)};                                               \
        for (int i = 0; i < 2000; i++) {                                      \
            T g = (T)(1 + jt_rng_below(&r, 50));                              \
            T a = (T)((T)jt_rng_next(&r) / g * g), b = (T)((T)jt_rng_next(&r) / g * g); \
            T e = gcd_euclid_##sfx(a, b);                                     \
            JT_CHECK(gcd_binary_##sfx(a, b) == e);                            \
            if (a || b) JT_CHECK(e % g == 0 && (a == 0 || a % e == 0) && (b == 0 || b % e == 0)); \
            *digest = jt_digest(*digest, (uint64_t)e);                        \
        }                                                                     \
        return 0;                                                             \
    }
JT_UINT_TYPES(GCD_IMPL)

/* Returns g = gcd(a, b) and x, y with a*x + b*y = g. */
static int64_t ext_gcd(int64_t a, int64_t b, int64_t *x, int64_t *y)
{
    int64_t x0 = 1, y0 = 0, x1 = 0, y1 = 1;
    while (b) {
        int64_t q = a / b, t;
        t = a - q * b; a = b; b = t;
        t = x0 - q * x1; x0 = x1; x1 = t;
        t = y0 - q * y1; y0 = y1; y1 = t;
    }
    *x = x0;
    *y = y0;
    return a;
}

static int64_t mod_inverse(int64_t a, int64_t m)
{
    int64_t x, y;
    if (ext_gcd(((a % m) + m) % m, m, &x, &y) != 1) return -1;
    return ((x % m) + m) % m;
}

static uint64_t mod_pow(uint64_t b, uint64_t e, uint64_t m)
{
    unsigned __int128 r = 1, base = b % m;
    while (e) {
        if (e & 1) r = r * base % m;
        base = base * base % m;
        e >>= 1;
    }
    return (uint64_t)r;
}

/* Chinese remainder theorem for pairwise-coprime moduli. */
static int64_t crt(const int64_t *rem, const int64_t *mod, int n)
{
    __int128 x = 0, M = 1;
    for (int i = 0; i < n; i++) M *= mod[i];
    for (int i = 0; i < n; i++) {
        int64_t Mi = (int64_t)(M / mod[i]);
        x += (__int128)rem[i] * Mi % M * mod_inverse(Mi % mod[i], mod[i]) % M;
    }
    return (int64_t)(x % M);
}

typedef struct {
    int64_t num, den;
} rat;

static int64_t iabs(int64_t v) { return v < 0 ? -v : v; }

static rat rat_make(int64_t n, int64_t d)
{
    if (d < 0) {
        n = -n;
        d = -d;
    }
    int64_t x, y, g = ext_gcd(iabs(n), d, &x, &y);
    if (g == 0) g = 1;
    rat r = {n / g, d / g};
    return r;
}
static rat rat_add(rat a, rat b) { return rat_make(a.num * b.den + b.num * a.den, a.den * b.den); }
static rat rat_sub(rat a, rat b) { return rat_make(a.num * b.den - b.num * a.den, a.den * b.den); }
static rat rat_mul(rat a, rat b) { return rat_make(a.num * b.num, a.den * b.den); }
static rat rat_div(rat a, rat b) { return rat_make(a.num * b.den, a.den * b.num); }
static int rat_eq(rat a, rat b) { return a.num == b.num && a.den == b.den; }

/* Continued fraction of a rational number. */
static int cf_rational(rat q, int64_t *terms, int max)
{
    int n = 0;
    int64_t a = q.num, b = q.den;
    while (b && n < max) {
        int64_t t = a / b;
        if (a % b && (a < 0) != (b < 0)) t--; /* floor */
        terms[n++] = t;
        int64_t rem = a - t * b;
        a = b;
        b = rem;
    }
    return n;
}

static rat cf_value(const int64_t *terms, int n)
{
    rat v = {terms[n - 1], 1};
    for (int i = n - 2; i >= 0; i--) {
        rat one = {1, 1}, t = {terms[i], 1};
        v = rat_add(t, rat_div(one, v));
    }
    return v;
}

/* Periodic continued fraction of sqrt(n); returns the period length. */
static int cf_sqrt_period(int64_t n)
{
    int64_t a0 = (int64_t)sqrt((double)n);
    while (a0 * a0 > n) a0--;
    while ((a0 + 1) * (a0 + 1) <= n) a0++;
    if (a0 * a0 == n) return 0;
    int64_t m = 0, d = 1, a = a0;
    int period = 0;
    do {
        m = d * a - m;
        d = (n - m * m) / d;
        a = (a0 + m) / d;
        period++;
    } while (a != 2 * a0);
    return period;
}

/* Best rational approximation with denominator <= maxden (Stern-Brocot). */
static rat best_approx(double x, int64_t maxden)
{
    int64_t p0 = 0, q0 = 1, p1 = 1, q1 = 0;
    double v = x;
    for (int i = 0; i < 64; i++) {
        int64_t a = (int64_t)floor(v);
        int64_t q2 = q0 + a * q1;
        if (q2 > maxden) {
            int64_t k = (maxden - q0) / q1;
            rat c1 = {p0 + k * p1, q0 + k * q1}, c2 = {p1, q1};
            return fabs((double)c1.num / (double)c1.den - x) < fabs((double)c2.num / (double)c2.den - x) ? c1 : c2;
        }
        int64_t p2 = p0 + a * p1;
        p0 = p1;
        q0 = q1;
        p1 = p2;
        q1 = q2;
        if (v - (double)a < 1e-15) break;
        v = 1.0 / (v - (double)a);
    }
    rat r = {p1, q1};
    return r;
}

/* Exact rationals templated over the integer width (W is a wider type used
 * for intermediate products), with Farey sequences and Stern-Brocot search. */
#define RAT_TYPES(X) X(r32, int32_t, int64_t) X(r64, int64_t, __int128)

#define RAT_IMPL(sfx, T, W)                                                               \
    typedef struct {                                                                      \
        T num, den;                                                                       \
    } rat_##sfx;                                                                          \
    static inline W wabs_##sfx(W v) { return v < 0 ? -v : v; }                            \
    static inline W wgcd_##sfx(W a, W b)                                                  \
    {                                                                                     \
        a = wabs_##sfx(a);                                                                \
        b = wabs_##sfx(b);                                                                \
        while (b) {                                                                       \
            W t = a % b;                                                                  \
            a = b;                                                                        \
            b = t;                                                                        \
        }                                                                                 \
        return a;                                                                         \
    }                                                                                     \
    /* Normalise n/d (computed in the wide type) back into the narrow one. */            \
    static inline rat_##sfx rat_##sfx##_norm(W n, W d)                                    \
    {                                                                                     \
        if (d < 0) {                                                                      \
            n = -n;                                                                       \
            d = -d;                                                                       \
        }                                                                                 \
        W g = wgcd_##sfx(n, d);                                                           \
        if (g == 0) g = 1;                                                                \
        rat_##sfx r = {(T)(n / g), (T)(d / g)};                                           \
        return r;                                                                         \
    }                                                                                     \
    static inline rat_##sfx rat_##sfx##_add(rat_##sfx a, rat_##sfx b)                     \
    {                                                                                     \
        return rat_##sfx##_norm((W)a.num * b.den + (W)b.num * a.den, (W)a.den * b.den);   \
    }                                                                                     \
    static inline rat_##sfx rat_##sfx##_sub(rat_##sfx a, rat_##sfx b)                     \
    {                                                                                     \
        return rat_##sfx##_norm((W)a.num * b.den - (W)b.num * a.den, (W)a.den * b.den);   \
    }                                                                                     \
    static inline rat_##sfx rat_##sfx##_mul(rat_##sfx a, rat_##sfx b)                     \
    {                                                                                     \
        return rat_##sfx##_norm((W)a.num * b.num, (W)a.den * b.den);                      \
    }                                                                                     \
    static inline rat_##sfx rat_##sfx##_div(rat_##sfx a, rat_##sfx b)                     \
    {                                                                                     \
        return rat_##sfx##_norm((W)a.num * b.den, (W)a.den * b.num);                      \
    }                                                                                     \
    static inline int rat_##sfx##_cmp(rat_##sfx a, rat_##sfx b)                           \
    {                                                                                     \
        W l = (W)a.num * b.den, r = (W)b.num * a.den;                                     \
        return (l > r) - (l < r);                                                         \
    }                                                                                     \
    /* Farey sequence F_n in increasing order; returns its length. */                    \
    static size_t farey_##sfx(T n, rat_##sfx *out, size_t cap)                            \
    {                                                                                     \
        T a = 0, b = 1, c = 1, d = n;                                                     \
        size_t k = 0;                                                                     \
        if (cap) out[k++] = (rat_##sfx){a, b};                                            \
        while (c <= n) {                                                                  \
            T q = (T)((n + b) / d);                                                       \
            T na = c, nb = d, nc = (T)(q * c - a), nd = (T)(q * d - b);                   \
            a = na;                                                                       \
            b = nb;                                                                       \
            c = nc;                                                                       \
            d = nd;                                                                       \
            if (k < cap) out[k] = (rat_##sfx){a, b};                                      \
            k++;                                                                          \
        }                                                                                 \
        return k;                                                                         \
    }                                                                                     \
    /* Stern-Brocot descent towards target p/q; returns the path length. */              \
    static size_t stern_brocot_##sfx(rat_##sfx target, char *path, size_t cap)            \
    {                                                                                     \
        rat_##sfx lo = {0, 1}, hi = {1, 0};                                               \
        size_t k = 0;                                                                     \
        for (;;) {                                                                        \
            rat_##sfx mid = {(T)(lo.num + hi.num), (T)(lo.den + hi.den)};                 \
            int c = rat_##sfx##_cmp(target, mid);                                         \
            if (c == 0) break;                                                            \
            if (k + 1 < cap) path[k] = c < 0 ? 'L' : 'R';                                 \
            k++;                                                                          \
            if (c < 0) hi = mid;                                                          \
            else lo = mid;                                                                \
        }                                                                                 \
        if (cap) path[k < cap ? k : cap - 1] = 0;                                         \
        return k;                                                                         \
    }                                                                                     \
    static int rat_test_##sfx(uint64_t *digest)                                           \
    {                                                                                     \
        rat_##sfx h = {0, 1};                                                             \
        for (T k = 1; k <= 20; k++) h = rat_##sfx##_add(h, (rat_##sfx){1, k});           \
        JT_CHECK(h.num == 55835135 && h.den == 15519504); /* H_20 */                      \
        rat_##sfx a = rat_##sfx##_norm(3, -4), b = rat_##sfx##_norm(10, 6);               \
        JT_CHECK(a.num == -3 && a.den == 4 && b.num == 5 && b.den == 3);                  \
        rat_##sfx t = rat_##sfx##_sub(rat_##sfx##_add(a, b), b);                          \
        JT_CHECK(rat_##sfx##_cmp(t, a) == 0 && t.num == a.num && t.den == a.den);         \
        t = rat_##sfx##_div(rat_##sfx##_mul(a, b), b);                                    \
        JT_CHECK(t.num == a.num && t.den == a.den);                                       \
        static rat_##sfx f[3200];                                                         \
        size_t nf = farey_##sfx(100, f, 3200);                                            \
        JT_CHECK(nf == 3045);                                                             \
        for (size_t i = 1; i < nf; i++) {                                                 \
            JT_CHECK(rat_##sfx##_cmp(f[i - 1], f[i]) < 0);                                \
            /* neighbours in a Farey sequence satisfy bc - ad = 1 */                      \
            JT_CHECK((W)f[i].num * f[i - 1].den - (W)f[i - 1].num * f[i].den == 1);       \
        }                                                                                 \
        char path[128];                                                                   \
        JT_CHECK(stern_brocot_##sfx((rat_##sfx){3, 7}, path, sizeof path) == 4 && strcmp(path, "LLRR") == 0); \
        size_t total = 0;                                                                 \
        for (size_t i = 1; i < nf; i += 37) total += stern_brocot_##sfx(f[i], path, sizeof path); \
        *digest = jt_digest(*digest, total);                                              \
        *digest = jt_digest(*digest, (uint64_t)h.num);                                    \
        return 0;                                                                         \
    }
RAT_TYPES(RAT_IMPL)

int rational_selftest(uint64_t *digest)
{
#define GCD_RUN(sfx, T) \
    if (gcd_test_##sfx(digest) != 0) return 1;
    JT_UINT_TYPES(GCD_RUN)
#undef GCD_RUN
    if (rat_test_r32(digest) || rat_test_r64(digest)) return 1;
    int64_t x, y;
    JT_CHECK(ext_gcd(240, 46, &x, &y) == 2 && 240 * x + 46 * y == 2);
    JT_CHECK(mod_inverse(3, 11) == 4);
    JT_CHECK(mod_inverse(6, 9) == -1);
    JT_CHECK(mod_pow(2, 10, 1000) == 24);
    JT_CHECK(mod_pow(3, 1000000006, 1000000007) == 1); /* Fermat */
    const int64_t rem[3] = {2, 3, 2}, mod[3] = {3, 5, 7};
    JT_CHECK(crt(rem, mod, 3) == 23);

    rat h = {0, 1};
    for (int k = 1; k <= 20; k++) h = rat_add(h, rat_make(1, k));
    JT_CHECK(h.num == 55835135 && h.den == 15519504); /* H_20 */
    rat a = rat_make(3, -4), b = rat_make(10, 6);
    JT_CHECK(a.num == -3 && a.den == 4 && b.num == 5 && b.den == 3);
    JT_CHECK(rat_eq(rat_sub(rat_add(a, b), b), a));
    JT_CHECK(rat_eq(rat_div(rat_mul(a, b), b), a));

    int64_t terms[64];
    rat q = rat_make(415, 93);
    int n = cf_rational(q, terms, 64);
    JT_CHECK(n == 4 && terms[0] == 4 && terms[1] == 2 && terms[2] == 6 && terms[3] == 7);
    JT_CHECK(rat_eq(cf_value(terms, n), q));

    JT_CHECK(cf_sqrt_period(2) == 1 && cf_sqrt_period(13) == 5 && cf_sqrt_period(16) == 0);
    int odd = 0;
    for (int64_t k = 2; k <= 10000; k++) odd += cf_sqrt_period(k) % 2;
    JT_CHECK(odd == 1322);

    rat pi = best_approx(JT_PI, 1000);
    JT_CHECK(pi.num == 355 && pi.den == 113);
    rat e = best_approx(exp(1.0), 100);
    JT_CHECK(e.num == 193 && e.den == 71);
    *digest = jt_digest(*digest, (uint64_t)h.num);
    *digest = jt_digest(*digest, (uint64_t)odd);
    return 0;
}
