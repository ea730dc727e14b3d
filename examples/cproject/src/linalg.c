/* Dense linear algebra in float, double and long double: LU with partial
 * pivoting, determinant, inverse, Cholesky, modified Gram-Schmidt QR,
 * Jacobi and Gauss-Seidel iterations, and power iteration. */
#include <math.h>

#include "common.h"

#define LA_N 10
#define LA_TYPES(X) X(f32, float, 2e-3) X(f64, double, 1e-9) X(f80, long double, 1e-12)

#define LA_IMPL(sfx, R, TOL)                                                         \
    typedef R mat_##sfx[LA_N][LA_N];                                                 \
    static inline R absv_##sfx(R x) { return x < 0 ? -x : x; }                       \
    /* In-place LU, P*A = L*U; returns sign of permutation or 0 if singular. */      \
    static int lu_##sfx(mat_##sfx a, int *perm)                                      \
    {                                                                                \
        int sign = 1;                                                                \
        for (int i = 0; i < LA_N; i++) perm[i] = i;                                  \
        for (int k = 0; k < LA_N; k++) {                                             \
            int p = k;                                                               \
            for (int i = k + 1; i < LA_N; i++)                                       \
                if (absv_##sfx(a[i][k]) > absv_##sfx(a[p][k])) p = i;                \
            if (a[p][k] == 0) return 0;                                              \
            if (p != k) {                                                            \
                for (int j = 0; j < LA_N; j++) {                                     \
                    R t = a[k][j];                                                   \
                    a[k][j] = a[p][j];                                               \
                    a[p][j] = t;                                                     \
                }                                                                    \
                int t = perm[k];                                                     \
                perm[k] = perm[p];                                                   \
                perm[p] = t;                                                         \
                sign = -sign;                                                        \
            }                                                                        \
            for (int i = k + 1; i < LA_N; i++) {                                     \
                a[i][k] /= a[k][k];                                                  \
                for (int j = k + 1; j < LA_N; j++) a[i][j] -= a[i][k] * a[k][j];     \
            }                                                                        \
        }                                                                            \
        return sign;                                                                 \
    }                                                                                \
    static void lu_solve_##sfx(mat_##sfx lu, const int *perm, const R *b, R *x)      \
    {                                                                                \
        R y[LA_N];                                                                   \
        for (int i = 0; i < LA_N; i++) {                                             \
            R s = b[perm[i]];                                                        \
            for (int j = 0; j < i; j++) s -= lu[i][j] * y[j];                        \
            y[i] = s;                                                                \
        }                                                                            \
        for (int i = LA_N - 1; i >= 0; i--) {                                        \
            R s = y[i];                                                              \
            for (int j = i + 1; j < LA_N; j++) s -= lu[i][j] * x[j];                 \
            x[i] = s / lu[i][i];                                                     \
        }                                                                            \
    }                                                                                \
    static void matmul_##sfx(mat_##sfx a, mat_##sfx b, mat_##sfx c)                  \
    {                                                                                \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) {                                         \
                R s = 0;                                                             \
                for (int k = 0; k < LA_N; k++) s += a[i][k] * b[k][j];               \
                c[i][j] = s;                                                         \
            }                                                                        \
    }                                                                                \
    static int cholesky_##sfx(mat_##sfx a, mat_##sfx l)                              \
    {                                                                                \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) l[i][j] = 0;                              \
        for (int j = 0; j < LA_N; j++) {                                             \
            R s = a[j][j];                                                           \
            for (int k = 0; k < j; k++) s -= l[j][k] * l[j][k];                      \
            if (s <= 0) return -1;                                                   \
            l[j][j] = (R)sqrtl((long double)s);                                      \
            for (int i = j + 1; i < LA_N; i++) {                                     \
                R t = a[i][j];                                                       \
                for (int k = 0; k < j; k++) t -= l[i][k] * l[j][k];                  \
                l[i][j] = t / l[j][j];                                               \
            }                                                                        \
        }                                                                            \
        return 0;                                                                    \
    }                                                                                \
    /* Modified Gram-Schmidt: A = Q R with orthonormal columns in Q. */              \
    static void qr_##sfx(mat_##sfx a, mat_##sfx q, mat_##sfx r)                      \
    {                                                                                \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) {                                         \
                q[i][j] = a[i][j];                                                   \
                r[i][j] = 0;                                                         \
            }                                                                        \
        for (int k = 0; k < LA_N; k++) {                                             \
            R norm = 0;                                                              \
            for (int i = 0; i < LA_N; i++) norm += q[i][k] * q[i][k];                \
            norm = (R)sqrtl((long double)norm);                                      \
            r[k][k] = norm;                                                          \
            for (int i = 0; i < LA_N; i++) q[i][k] /= norm;                          \
            for (int j = k + 1; j < LA_N; j++) {                                     \
                R dot = 0;                                                           \
                for (int i = 0; i < LA_N; i++) dot += q[i][k] * q[i][j];             \
                r[k][j] = dot;                                                       \
                for (int i = 0; i < LA_N; i++) q[i][j] -= dot * q[i][k];             \
            }                                                                        \
        }                                                                            \
    }                                                                                \
    static int iterate_##sfx(mat_##sfx a, const R *b, R *x, int seidel)              \
    {                                                                                \
        R next[LA_N];                                                                \
        for (int i = 0; i < LA_N; i++) x[i] = 0;                                     \
        for (int it = 0; it < 2000; it++) {                                          \
            R delta = 0;                                                             \
            for (int i = 0; i < LA_N; i++) {                                         \
                R s = b[i];                                                          \
                for (int j = 0; j < LA_N; j++)                                       \
                    if (j != i) s -= a[i][j] * x[j]; /* updated in place for GS */ \
                next[i] = s / a[i][i];                                               \
                if (seidel) {                                                        \
                    delta += absv_##sfx(next[i] - x[i]);                             \
                    x[i] = next[i];                                                  \
                }                                                                    \
            }                                                                        \
            if (!seidel)                                                             \
                for (int i = 0; i < LA_N; i++) {                                     \
                    delta += absv_##sfx(next[i] - x[i]);                             \
                    x[i] = next[i];                                                  \
                }                                                                    \
            if (delta < (R)TOL * (R)1e-3) return it;                                 \
        }                                                                            \
        return -1;                                                                   \
    }                                                                                \
    static R power_iteration_##sfx(mat_##sfx a)                                      \
    {                                                                                \
        R v[LA_N], w[LA_N], lambda = 0;                                              \
        for (int i = 0; i < LA_N; i++) v[i] = 1;                                     \
        for (int it = 0; it < 500; it++) {                                           \
            R norm = 0;                                                              \
            for (int i = 0; i < LA_N; i++) {                                         \
                w[i] = 0;                                                            \
                for (int j = 0; j < LA_N; j++) w[i] += a[i][j] * v[j];               \
                norm += w[i] * w[i];                                                 \
            }                                                                        \
            norm = (R)sqrtl((long double)norm);                                      \
            R num = 0, den = 0;                                                      \
            for (int i = 0; i < LA_N; i++) {                                         \
                num += v[i] * w[i];                                                  \
                den += v[i] * v[i];                                                  \
                v[i] = w[i] / norm;                                                  \
            }                                                                        \
            lambda = num / den;                                                      \
        }                                                                            \
        return lambda;                                                               \
    }                                                                                \
    static int linalg_test_##sfx(uint64_t *digest)                                   \
    {                                                                                \
        mat_##sfx a, spd, lu, inv, prod, l, lt, q, r, qtq;                           \
        int perm[LA_N];                                                              \
        jt_rng rng = {LA_N};                                                         \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) a[i][j] = (R)(jt_rng_unit(&rng) * 2 - 1); \
        for (int i = 0; i < LA_N; i++) a[i][i] += (R)LA_N; /* diagonally dominant */ \
        memcpy(lu, a, sizeof lu);                                                    \
        int sign = lu_##sfx(lu, perm);                                               \
        JT_CHECK(sign != 0);                                                         \
        R det = (R)sign;                                                             \
        for (int i = 0; i < LA_N; i++) det *= lu[i][i];                              \
        JT_CHECK(det > 0);                                                           \
        for (int j = 0; j < LA_N; j++) {                                             \
            R e[LA_N] = {0}, col[LA_N];                                              \
            e[j] = 1;                                                                \
            lu_solve_##sfx(lu, perm, e, col);                                        \
            for (int i = 0; i < LA_N; i++) inv[i][j] = col[i];                       \
        }                                                                            \
        matmul_##sfx(a, inv, prod);                                                  \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++)                                           \
                JT_CHECK(absv_##sfx(prod[i][j] - (i == j)) < (R)TOL);                \
        /* SPD = A^T A */                                                            \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) {                                         \
                R s = 0;                                                             \
                for (int k = 0; k < LA_N; k++) s += a[k][i] * a[k][j];               \
                spd[i][j] = s;                                                       \
            }                                                                        \
        JT_CHECK(cholesky_##sfx(spd, l) == 0);                                       \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) lt[i][j] = l[j][i];                       \
        matmul_##sfx(l, lt, prod);                                                   \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++)                                           \
                JT_CHECK(absv_##sfx(prod[i][j] - spd[i][j]) < (R)TOL * 100);         \
        /* det(A)^2 == det(SPD) == prod(diag(L))^2 */                                \
        R dl = 1;                                                                    \
        for (int i = 0; i < LA_N; i++) dl *= l[i][i];                                \
        JT_CHECK(jt_close((double)(dl * dl), (double)(det * det), (double)TOL));     \
        qr_##sfx(a, q, r);                                                           \
        matmul_##sfx(q, r, prod);                                                    \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) {                                         \
                JT_CHECK(absv_##sfx(prod[i][j] - a[i][j]) < (R)TOL * 10);            \
                lt[i][j] = q[j][i];                                                  \
            }                                                                        \
        matmul_##sfx(lt, q, qtq);                                                    \
        for (int i = 0; i < LA_N; i++)                                               \
            for (int j = 0; j < LA_N; j++) JT_CHECK(absv_##sfx(qtq[i][j] - (i == j)) < (R)TOL); \
        R b[LA_N], x1[LA_N], x2[LA_N], x3[LA_N];                                     \
        for (int i = 0; i < LA_N; i++) b[i] = (R)i - 4;                              \
        lu_solve_##sfx(lu, perm, b, x1);                                             \
        JT_CHECK(iterate_##sfx(a, b, x2, 0) >= 0);                                   \
        JT_CHECK(iterate_##sfx(a, b, x3, 1) >= 0);                                   \
        for (int i = 0; i < LA_N; i++) {                                             \
            JT_CHECK(absv_##sfx(x1[i] - x2[i]) < (R)TOL);                            \
            JT_CHECK(absv_##sfx(x1[i] - x3[i]) < (R)TOL);                            \
        }                                                                            \
        /* Largest eigenvalue of SPD is bounded by its trace and the max diag. */   \
        R lam = power_iteration_##sfx(spd), tr = 0, maxd = 0;                        \
        for (int i = 0; i < LA_N; i++) {                                             \
            tr += spd[i][i];                                                         \
            if (spd[i][i] > maxd) maxd = spd[i][i];                                  \
        }                                                                            \
        JT_CHECK(lam >= maxd * (1 - (R)TOL) && lam <= tr);                           \
        *digest = jt_digest_double(*digest, (double)det);                            \
        *digest = jt_digest_double(*digest, (double)lam);                            \
        return 0;                                                                    \
    }
LA_TYPES(LA_IMPL)

int linalg_selftest(uint64_t *digest)
{
    if (linalg_test_f32(digest) || linalg_test_f64(digest) || linalg_test_f80(digest)) return 1;
    return 0;
}
