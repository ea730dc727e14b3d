/* Polynomial arithmetic, root finding and interpolation in float, double and
 * long double. Coefficients are stored lowest degree first. */
#include <complex.h>
#include <math.h>

#include "common.h"

#define POLY_TYPES(X) X(f32, float, 1e-3) X(f64, double, 1e-9) X(f80, long double, 1e-12)
#define POLY_MAXDEG 32

#define POLY_IMPL(sfx, R, TOL)                                                      \
    typedef struct {                                                                \
        R c[POLY_MAXDEG + 1];                                                       \
        int deg;                                                                    \
    } poly_##sfx;                                                                   \
    static inline void poly_trim_##sfx(poly_##sfx *p)                               \
    {                                                                               \
        while (p->deg > 0 && p->c[p->deg] == 0) p->deg--;                           \
    }                                                                               \
    static inline R poly_eval_##sfx(const poly_##sfx *p, R x)                       \
    {                                                                               \
        R acc = 0;                                                                  \
        for (int i = p->deg; i >= 0; i--) acc = acc * x + p->c[i];                  \
        return acc;                                                                 \
    }                                                                               \
    static inline poly_##sfx poly_add_##sfx(const poly_##sfx *a, const poly_##sfx *b) \
    {                                                                               \
        poly_##sfx r;                                                               \
        r.deg = a->deg > b->deg ? a->deg : b->deg;                                  \
        for (int i = 0; i <= r.deg; i++)                                            \
            r.c[i] = (i <= a->deg ? a->c[i] : 0) + (i <= b->deg ? b->c[i] : 0);     \
        poly_trim_##sfx(&r);                                                        \
        return r;                                                                   \
    }                                                                               \
    static inline poly_##sfx poly_mul_##sfx(const poly_##sfx *a, const poly_##sfx *b) \
    {                                                                               \
        poly_##sfx r;                                                               \
        r.deg = a->deg + b->deg;                                                    \
        for (int i = 0; i <= r.deg; i++) r.c[i] = 0;                                \
        for (int i = 0; i <= a->deg; i++)                                           \
            for (int j = 0; j <= b->deg; j++) r.c[i + j] += a->c[i] * b->c[j];      \
        return r;                                                                   \
    }                                                                               \
    static inline poly_##sfx poly_deriv_##sfx(const poly_##sfx *p)                  \
    {                                                                               \
        poly_##sfx r;                                                               \
        r.deg = p->deg > 0 ? p->deg - 1 : 0;                                        \
        r.c[0] = 0;                                                                 \
        for (int i = 1; i <= p->deg; i++) r.c[i - 1] = p->c[i] * (R)i;              \
        return r;                                                                   \
    }                                                                               \
    /* Long division: a = q*b + rem. */                                             \
    static inline void poly_divmod_##sfx(const poly_##sfx *a, const poly_##sfx *b,  \
                                         poly_##sfx *q, poly_##sfx *rem)            \
    {                                                                               \
        *rem = *a;                                                                  \
        q->deg = a->deg >= b->deg ? a->deg - b->deg : 0;                            \
        for (int i = 0; i <= q->deg; i++) q->c[i] = 0;                              \
        for (int i = a->deg - b->deg; i >= 0; i--) {                                \
            R f = rem->c[i + b->deg] / b->c[b->deg];                                \
            q->c[i] = f;                                                            \
            for (int j = 0; j <= b->deg; j++) rem->c[i + j] -= f * b->c[j];         \
        }                                                                           \
        rem->deg = b->deg > 0 ? b->deg - 1 : 0;                                     \
        poly_trim_##sfx(rem);                                                       \
    }                                                                               \
    /* Newton's method with bisection safeguard on [lo, hi]. */                     \
    static inline R poly_root_##sfx(const poly_##sfx *p, R lo, R hi)                \
    {                                                                               \
        poly_##sfx d = poly_deriv_##sfx(p);                                         \
        R flo = poly_eval_##sfx(p, lo);                                             \
        R x = (lo + hi) / 2;                                                        \
        for (int it = 0; it < 200; it++) {                                          \
            R fx = poly_eval_##sfx(p, x), dx = poly_eval_##sfx(&d, x);              \
            if (fx == 0) return x;                                                  \
            if ((fx < 0) == (flo < 0)) {                                            \
                lo = x;                                                             \
                flo = fx;                                                           \
            } else {                                                                \
                hi = x;                                                             \
            }                                                                       \
            R nx = dx != 0 ? x - fx / dx : (lo + hi) / 2;                           \
            if (!(nx > lo && nx < hi)) nx = (lo + hi) / 2;                          \
            if (fabsl((long double)(nx - x)) < (long double)TOL * 1e-3L) return nx; \
            x = nx;                                                                 \
        }                                                                           \
        return x;                                                                   \
    }                                                                               \
    /* Lagrange interpolation through n points, expanded into coefficients. */    \
    static inline poly_##sfx poly_interpolate_##sfx(const R *xs, const R *ys, int n) \
    {                                                                               \
        poly_##sfx result;                                                          \
        result.deg = 0;                                                             \
        result.c[0] = 0;                                                            \
        for (int i = 0; i < n; i++) {                                               \
            poly_##sfx term;                                                        \
            term.deg = 0;                                                           \
            term.c[0] = ys[i];                                                      \
            for (int j = 0; j < n; j++) {                                           \
                if (j == i) continue;                                               \
                poly_##sfx lin;                                                     \
                lin.deg = 1;                                                        \
                lin.c[0] = -xs[j] / (xs[i] - xs[j]);                                \
                lin.c[1] = 1 / (xs[i] - xs[j]);                                     \
                term = poly_mul_##sfx(&term, &lin);                                 \
            }                                                                       \
            result = poly_add_##sfx(&result, &term);                                \
        }                                                                           \
        return result;                                                              \
    }                                                                               \
    /* Chebyshev T_n via T_{n+1} = 2x T_n - T_{n-1}. */                             \
    static inline poly_##sfx poly_chebyshev_##sfx(int n)                            \
    {                                                                               \
        poly_##sfx t0 = {{1}, 0}, t1 = {{0, 1}, 1}, two_x = {{0, 2}, 1};            \
        if (n == 0) return t0;                                                      \
        for (int k = 1; k < n; k++) {                                               \
            poly_##sfx t2 = poly_mul_##sfx(&two_x, &t1);                            \
            for (int i = 0; i <= t0.deg; i++) t2.c[i] -= t0.c[i];                   \
            t0 = t1;                                                                \
            t1 = t2;                                                                \
        }                                                                           \
        return t1;                                                                  \
    }                                                                               \
    static int poly_test_##sfx(uint64_t *digest)                                    \
    {                                                                               \
        /* (x-1)(x-2)(x-3)(x+4) */                                                  \
        poly_##sfx p = {{1}, 0};                                                    \
        const R roots[4] = {1, 2, 3, -4};                                           \
        for (int i = 0; i < 4; i++) {                                               \
            poly_##sfx f = {{-roots[i], 1}, 1};                                     \
            p = poly_mul_##sfx(&p, &f);                                             \
        }                                                                           \
        JT_CHECK(p.deg == 4 && p.c[0] == -24 && p.c[4] == 1);                       \
        for (int i = 0; i < 4; i++) JT_CHECK(poly_eval_##sfx(&p, roots[i]) == 0);   \
        R r = poly_root_##sfx(&p, (R)1.5, (R)2.7);                                  \
        JT_CHECK(fabsl((long double)(r - 2)) < (long double)TOL);                   \
        r = poly_root_##sfx(&p, (R)-10, (R)0);                                      \
        JT_CHECK(fabsl((long double)(r + 4)) < (long double)TOL);                   \
        poly_##sfx divisor = {{-3, 1}, 1}, q, rem;                                  \
        poly_divmod_##sfx(&p, &divisor, &q, &rem);                                  \
        JT_CHECK(q.deg == 3 && fabsl((long double)rem.c[0]) < (long double)TOL);    \
        poly_##sfx back = poly_mul_##sfx(&q, &divisor);                             \
        for (int i = 0; i <= 4; i++) JT_CHECK(fabsl((long double)(back.c[i] - p.c[i])) < (long double)TOL); \
        R xs[6], ys[6];                                                             \
        for (int i = 0; i < 6; i++) {                                               \
            xs[i] = (R)i - (R)2.5;                                                  \
            ys[i] = poly_eval_##sfx(&p, xs[i]);                                     \
        }                                                                           \
        poly_##sfx ip = poly_interpolate_##sfx(xs, ys, 6);                          \
        for (int i = 0; i <= 4; i++)                                                \
            JT_CHECK(fabsl((long double)(ip.c[i] - p.c[i])) < (long double)TOL * 100); \
        poly_##sfx t8 = poly_chebyshev_##sfx(8);                                    \
        JT_CHECK(t8.deg == 8 && t8.c[8] == 128 && t8.c[0] == 1);                    \
        for (int k = 0; k <= 20; k++) {                                             \
            R x = (R)k / 10 - 1;                                                    \
            R expect = (R)cosl(8 * acosl((long double)x));                          \
            JT_CHECK(fabsl((long double)(poly_eval_##sfx(&t8, x) - expect)) < (long double)TOL * 100); \
        }                                                                           \
        poly_##sfx d = poly_deriv_##sfx(&p);                                        \
        *digest = jt_digest_double(*digest, (double)poly_eval_##sfx(&d, (R)0.5));   \
        *digest = jt_digest_double(*digest, (double)r);                             \
        return 0;                                                                   \
    }
POLY_TYPES(POLY_IMPL)

/* Durand-Kerner: all complex roots simultaneously. */
static int durand_kerner(const double *c, int deg, double complex *z)
{
    for (int i = 0; i < deg; i++) z[i] = cpow(0.4 + 0.9 * I, i);
    for (int it = 0; it < 500; it++) {
        double delta = 0;
        for (int i = 0; i < deg; i++) {
            double complex num = c[deg];
            for (int k = deg - 1; k >= 0; k--) num = num * z[i] + c[k];
            double complex den = c[deg];
            for (int j = 0; j < deg; j++)
                if (j != i) den *= z[i] - z[j];
            double complex step = num / den;
            z[i] -= step;
            delta += cabs(step);
        }
        if (delta < 1e-14) return it;
    }
    return -1;
}

int poly_selftest(uint64_t *digest)
{
    if (poly_test_f32(digest) || poly_test_f64(digest) || poly_test_f80(digest)) return 1;
    /* x^4 + 1: roots are the primitive 8th roots of unity. */
    const double c[5] = {1, 0, 0, 0, 1};
    double complex z[4];
    JT_CHECK(durand_kerner(c, 4, z) >= 0);
    for (int i = 0; i < 4; i++) {
        JT_CHECK(fabs(cabs(z[i]) - 1) < 1e-9);
        JT_CHECK(fabs(fabs(creal(z[i])) - sqrt(0.5)) < 1e-9);
    }
    return 0;
}
