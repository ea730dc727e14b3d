/* Small fixed-size linear algebra in the style of graphics math libraries:
 * vec/mat 2..4 for float and double (every size is a separate, fully
 * specialised set of functions), closed-form determinants, cross products
 * and quaternions with slerp. */
#include <math.h>

#include "common.h"

#define SMAT_IMPL(sfx, R, N, TOL)                                                           \
    typedef struct {                                                                        \
        R v[N];                                                                             \
    } vec##N##_##sfx;                                                                       \
    typedef struct {                                                                        \
        R m[N][N]; /* row-major */                                                          \
    } mat##N##_##sfx;                                                                       \
    static inline mat##N##_##sfx mat##N##_##sfx##_identity(void)                            \
    {                                                                                       \
        mat##N##_##sfx r;                                                                   \
        for (int i = 0; i < N; i++)                                                         \
            for (int j = 0; j < N; j++) r.m[i][j] = (R)(i == j);                            \
        return r;                                                                           \
    }                                                                                       \
    static inline mat##N##_##sfx mat##N##_##sfx##_mul(mat##N##_##sfx a, mat##N##_##sfx b)   \
    {                                                                                       \
        mat##N##_##sfx r;                                                                   \
        for (int i = 0; i < N; i++)                                                         \
            for (int j = 0; j < N; j++) {                                                   \
                R s = 0;                                                                    \
                for (int k = 0; k < N; k++) s += a.m[i][k] * b.m[k][j];                     \
                r.m[i][j] = s;                                                              \
            }                                                                               \
        return r;                                                                           \
    }                                                                                       \
    static inline vec##N##_##sfx mat##N##_##sfx##_mulv(mat##N##_##sfx a, vec##N##_##sfx x) \
    {                                                                                       \
        vec##N##_##sfx r;                                                                   \
        for (int i = 0; i < N; i++) {                                                       \
            R s = 0;                                                                        \
            for (int k = 0; k < N; k++) s += a.m[i][k] * x.v[k];                            \
            r.v[i] = s;                                                                     \
        }                                                                                   \
        return r;                                                                           \
    }                                                                                       \
    static inline mat##N##_##sfx mat##N##_##sfx##_transpose(mat##N##_##sfx a)              \
    {                                                                                       \
        mat##N##_##sfx r;                                                                   \
        for (int i = 0; i < N; i++)                                                         \
            for (int j = 0; j < N; j++) r.m[i][j] = a.m[j][i];                              \
        return r;                                                                           \
    }                                                                                       \
    static inline R vec##N##_##sfx##_dot(vec##N##_##sfx a, vec##N##_##sfx b)                \
    {                                                                                       \
        R s = 0;                                                                            \
        for (int i = 0; i < N; i++) s += a.v[i] * b.v[i];                                   \
        return s;                                                                           \
    }                                                                                       \
    static inline vec##N##_##sfx vec##N##_##sfx##_normalize(vec##N##_##sfx a)              \
    {                                                                                       \
        R len = (R)sqrt((double)vec##N##_##sfx##_dot(a, a));                                \
        for (int i = 0; i < N; i++) a.v[i] /= len;                                          \
        return a;                                                                           \
    }                                                                                       \
    /* Determinant by Gaussian elimination with partial pivoting. */                       \
    static inline R mat##N##_##sfx##_det(mat##N##_##sfx a)                                  \
    {                                                                                       \
        R det = 1;                                                                          \
        for (int k = 0; k < N; k++) {                                                       \
            int p = k;                                                                      \
            for (int i = k + 1; i < N; i++)                                                 \
                if (fabs((double)a.m[i][k]) > fabs((double)a.m[p][k])) p = i;               \
            if (a.m[p][k] == 0) return 0;                                                   \
            if (p != k) {                                                                   \
                for (int j = 0; j < N; j++) {                                               \
                    R t = a.m[k][j];                                                        \
                    a.m[k][j] = a.m[p][j];                                                  \
                    a.m[p][j] = t;                                                          \
                }                                                                           \
                det = -det;                                                                 \
            }                                                                               \
            det *= a.m[k][k];                                                               \
            for (int i = k + 1; i < N; i++) {                                               \
                R f = a.m[i][k] / a.m[k][k];                                                \
                for (int j = k; j < N; j++) a.m[i][j] -= f * a.m[k][j];                     \
            }                                                                               \
        }                                                                                   \
        return det;                                                                         \
    }                                                                                       \
    /* Gauss-Jordan inverse; returns 0 if singular. */                                     \
    static inline int mat##N##_##sfx##_inverse(mat##N##_##sfx a, mat##N##_##sfx *out)      \
    {                                                                                       \
        mat##N##_##sfx inv = mat##N##_##sfx##_identity();                                   \
        for (int k = 0; k < N; k++) {                                                       \
            int p = k;                                                                      \
            for (int i = k + 1; i < N; i++)                                                 \
                if (fabs((double)a.m[i][k]) > fabs((double)a.m[p][k])) p = i;               \
            if (a.m[p][k] == 0) return 0;                                                   \
            for (int j = 0; j < N; j++) {                                                   \
                R t = a.m[k][j];                                                            \
                a.m[k][j] = a.m[p][j];                                                      \
                a.m[p][j] = t;                                                              \
                t = inv.m[k][j];                                                            \
                inv.m[k][j] = inv.m[p][j];                                                  \
                inv.m[p][j] = t;                                                            \
            }                                                                               \
            R piv = a.m[k][k];                                                              \
            for (int j = 0; j < N; j++) {                                                   \
                a.m[k][j] /= piv;                                                           \
                inv.m[k][j] /= piv;                                                         \
            }                                                                               \
            for (int i = 0; i < N; i++) {                                                   \
                if (i == k) continue;                                                       \
                R f = a.m[i][k];                                                            \
                for (int j = 0; j < N; j++) {                                               \
                    a.m[i][j] -= f * a.m[k][j];                                             \
                    inv.m[i][j] -= f * inv.m[k][j];                                         \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        *out = inv;                                                                         \
        return 1;                                                                           \
    }                                                                                       \
    static inline int mat##N##_##sfx##_near(mat##N##_##sfx a, mat##N##_##sfx b, double tol) \
    {                                                                                       \
        for (int i = 0; i < N; i++)                                                         \
            for (int j = 0; j < N; j++)                                                     \
                if (fabs((double)(a.m[i][j] - b.m[i][j])) > tol) return 0;                  \
        return 1;                                                                           \
    }                                                                                       \
    static inline mat##N##_##sfx mat##N##_##sfx##_random(jt_rng *r)                         \
    {                                                                                       \
        mat##N##_##sfx a;                                                                   \
        for (int i = 0; i < N; i++)                                                         \
            for (int j = 0; j < N; j++) a.m[i][j] = (R)(jt_rng_unit(r) * 2 - 1) + (R)(i == j) * 2; \
        return a;                                                                           \
    }                                                                                       \
    static int mat##N##_##sfx##_test(uint64_t *digest)                                      \
    {                                                                                       \
        jt_rng r = {N * 100 + sizeof(R)};                                                   \
        for (int t = 0; t < 200; t++) {                                                     \
            mat##N##_##sfx a = mat##N##_##sfx##_random(&r), b = mat##N##_##sfx##_random(&r), inv; \
            JT_CHECK(mat##N##_##sfx##_inverse(a, &inv));                                    \
            JT_CHECK(mat##N##_##sfx##_near(mat##N##_##sfx##_mul(a, inv), mat##N##_##sfx##_identity(), TOL)); \
            R da = mat##N##_##sfx##_det(a), db = mat##N##_##sfx##_det(b);                   \
            R dab = mat##N##_##sfx##_det(mat##N##_##sfx##_mul(a, b));                       \
            JT_CHECK(jt_close((double)dab, (double)(da * db), TOL));                        \
            JT_CHECK(jt_close((double)(da * mat##N##_##sfx##_det(inv)), 1.0, TOL));         \
            JT_CHECK(mat##N##_##sfx##_near(mat##N##_##sfx##_transpose(mat##N##_##sfx##_mul(a, b)), \
                                           mat##N##_##sfx##_mul(mat##N##_##sfx##_transpose(b), \
                                                                mat##N##_##sfx##_transpose(a)), TOL)); \
            vec##N##_##sfx x;                                                               \
            for (int i = 0; i < N; i++) x.v[i] = (R)(jt_rng_unit(&r) - 0.5);                \
            vec##N##_##sfx y = mat##N##_##sfx##_mulv(inv, mat##N##_##sfx##_mulv(a, x));    \
            for (int i = 0; i < N; i++) JT_CHECK(fabs((double)(y.v[i] - x.v[i])) < TOL);    \
            vec##N##_##sfx u = vec##N##_##sfx##_normalize(x);                               \
            JT_CHECK(fabs((double)vec##N##_##sfx##_dot(u, u) - 1) < TOL);                   \
            *digest = jt_digest_double(*digest, (double)da);                                \
        }                                                                                   \
        return 0;                                                                           \
    }

#define SMAT_TYPE(sfx, R, TOL) SMAT_IMPL(sfx, R, 2, TOL) SMAT_IMPL(sfx, R, 3, TOL) SMAT_IMPL(sfx, R, 4, TOL)

/* 3-D specific helpers and quaternions per scalar type. */
#define QUAT_IMPL(sfx, R, TOL)                                                              \
    typedef struct {                                                                        \
        R w, x, y, z;                                                                       \
    } quat_##sfx;                                                                           \
    static inline vec3_##sfx cross_##sfx(vec3_##sfx a, vec3_##sfx b)                        \
    {                                                                                       \
        vec3_##sfx r = {{a.v[1] * b.v[2] - a.v[2] * b.v[1], a.v[2] * b.v[0] - a.v[0] * b.v[2], \
                         a.v[0] * b.v[1] - a.v[1] * b.v[0]}};                               \
        return r;                                                                           \
    }                                                                                       \
    static inline R det2_##sfx(mat2_##sfx a) { return a.m[0][0] * a.m[1][1] - a.m[0][1] * a.m[1][0]; } \
    static inline R det3_##sfx(mat3_##sfx a)                                                \
    {                                                                                       \
        return a.m[0][0] * (a.m[1][1] * a.m[2][2] - a.m[1][2] * a.m[2][1]) -                \
               a.m[0][1] * (a.m[1][0] * a.m[2][2] - a.m[1][2] * a.m[2][0]) +                \
               a.m[0][2] * (a.m[1][0] * a.m[2][1] - a.m[1][1] * a.m[2][0]);                 \
    }                                                                                       \
    static inline quat_##sfx quat_##sfx##_mul(quat_##sfx a, quat_##sfx b)                   \
    {                                                                                       \
        quat_##sfx r = {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,                      \
                        a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,                      \
                        a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,                      \
                        a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};                     \
        return r;                                                                           \
    }                                                                                       \
    static inline quat_##sfx quat_##sfx##_axis_angle(vec3_##sfx axis, R angle)              \
    {                                                                                       \
        axis = vec3_##sfx##_normalize(axis);                                                \
        R s = (R)sin((double)angle / 2);                                                    \
        quat_##sfx q = {(R)cos((double)angle / 2), axis.v[0] * s, axis.v[1] * s, axis.v[2] * s}; \
        return q;                                                                           \
    }                                                                                       \
    static inline vec3_##sfx quat_##sfx##_rotate(quat_##sfx q, vec3_##sfx v)                \
    {                                                                                       \
        /* v' = v + 2w (u x v) + 2 u x (u x v), with u the vector part */                   \
        vec3_##sfx u = {{q.x, q.y, q.z}};                                                   \
        vec3_##sfx t = cross_##sfx(u, v);                                                   \
        for (int i = 0; i < 3; i++) t.v[i] *= 2;                                            \
        vec3_##sfx c = cross_##sfx(u, t);                                                   \
        vec3_##sfx r;                                                                       \
        for (int i = 0; i < 3; i++) r.v[i] = v.v[i] + q.w * t.v[i] + c.v[i];                \
        return r;                                                                           \
    }                                                                                       \
    static inline mat3_##sfx quat_##sfx##_to_mat3(quat_##sfx q)                             \
    {                                                                                       \
        R w = q.w, x = q.x, y = q.y, z = q.z;                                               \
        mat3_##sfx m = {{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)}, \
                         {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)}, \
                         {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}}; \
        return m;                                                                           \
    }                                                                                       \
    static inline quat_##sfx quat_##sfx##_slerp(quat_##sfx a, quat_##sfx b, R t)            \
    {                                                                                       \
        R d = a.w * b.w + a.x * b.x + a.y * b.y + a.z * b.z;                                \
        if (d < 0) {                                                                        \
            d = -d;                                                                         \
            b.w = -b.w;                                                                     \
            b.x = -b.x;                                                                     \
            b.y = -b.y;                                                                     \
            b.z = -b.z;                                                                     \
        }                                                                                   \
        R ka, kb;                                                                           \
        if (d > (R)0.9995) {                                                                \
            ka = 1 - t;                                                                     \
            kb = t;                                                                         \
        } else {                                                                            \
            R th = (R)acos((double)d), s = (R)sin((double)th);                              \
            ka = (R)sin((double)((1 - t) * th)) / s;                                        \
            kb = (R)sin((double)(t * th)) / s;                                              \
        }                                                                                   \
        quat_##sfx r = {ka * a.w + kb * b.w, ka * a.x + kb * b.x, ka * a.y + kb * b.y, ka * a.z + kb * b.z}; \
        if (d > (R)0.9995) { /* the linear fallback needs renormalising */                 \
            R len = (R)sqrt((double)(r.w * r.w + r.x * r.x + r.y * r.y + r.z * r.z));      \
            r.w /= len;                                                                     \
            r.x /= len;                                                                     \
            r.y /= len;                                                                     \
            r.z /= len;                                                                     \
        }                                                                                   \
        return r;                                                                           \
    }                                                                                       \
    static int quat_##sfx##_test(uint64_t *digest)                                          \
    {                                                                                       \
        jt_rng r = {sizeof(R) * 7};                                                         \
        for (int t = 0; t < 300; t++) {                                                     \
            mat2_##sfx m2 = mat2_##sfx##_random(&r);                                        \
            mat3_##sfx m3 = mat3_##sfx##_random(&r);                                        \
            JT_CHECK(jt_close((double)det2_##sfx(m2), (double)mat2_##sfx##_det(m2), TOL));  \
            JT_CHECK(jt_close((double)det3_##sfx(m3), (double)mat3_##sfx##_det(m3), TOL));  \
            vec3_##sfx axis, v;                                                             \
            for (int i = 0; i < 3; i++) axis.v[i] = (R)(jt_rng_unit(&r) - (i < 2 ? 0.5 : -0.1)); \
            for (int i = 0; i < 3; i++) v.v[i] = (R)jt_rng_unit(&r);                        \
            R ang = (R)(jt_rng_unit(&r) * 6);                                               \
            quat_##sfx q = quat_##sfx##_axis_angle(axis, ang);                              \
            vec3_##sfx a = quat_##sfx##_rotate(q, v);                                       \
            vec3_##sfx b = mat3_##sfx##_mulv(quat_##sfx##_to_mat3(q), v);                   \
            for (int i = 0; i < 3; i++) JT_CHECK(fabs((double)(a.v[i] - b.v[i])) < TOL);    \
            /* rotation preserves length and the component along the axis */               \
            JT_CHECK(jt_close((double)vec3_##sfx##_dot(a, a), (double)vec3_##sfx##_dot(v, v), TOL)); \
            vec3_##sfx n = vec3_##sfx##_normalize(axis);                                    \
            JT_CHECK(fabs((double)(vec3_##sfx##_dot(a, n) - vec3_##sfx##_dot(v, n))) < TOL); \
            JT_CHECK(jt_close((double)det3_##sfx(quat_##sfx##_to_mat3(q)), 1.0, TOL));      \
            quat_##sfx conj = {q.w, -q.x, -q.y, -q.z}, id = quat_##sfx##_mul(q, conj);      \
            JT_CHECK(fabs((double)id.w - 1) < TOL && fabs((double)id.x) < TOL);             \
            quat_##sfx q2 = quat_##sfx##_axis_angle(v, ang / 2);                            \
            quat_##sfx s0 = quat_##sfx##_slerp(q, q2, 0), s1 = quat_##sfx##_slerp(q, q2, 1); \
            quat_##sfx sh = quat_##sfx##_slerp(q, q2, (R)0.5);                              \
            JT_CHECK(fabs((double)(s0.w - q.w)) < TOL && fabs((double)(fabs((double)s1.w) - fabs((double)q2.w))) < TOL); \
            JT_CHECK(fabs((double)(sh.w * sh.w + sh.x * sh.x + sh.y * sh.y + sh.z * sh.z) - 1) < TOL * 10); \
            vec3_##sfx c = cross_##sfx(axis, v);                                            \
            JT_CHECK(fabs((double)vec3_##sfx##_dot(c, axis)) < TOL && fabs((double)vec3_##sfx##_dot(c, v)) < TOL); \
            *digest = jt_digest_double(*digest, (double)a.v[0]);                            \
        }                                                                                   \
        return 0;                                                                           \
    }

SMAT_TYPE(f32, float, 2e-3)
SMAT_TYPE(f64, double, 1e-9)
QUAT_IMPL(f32, float, 2e-3)
QUAT_IMPL(f64, double, 1e-9)

int smallmat_selftest(uint64_t *digest)
{
    if (mat2_f32_test(digest) || mat3_f32_test(digest) || mat4_f32_test(digest)) return 1;
    if (mat2_f64_test(digest) || mat3_f64_test(digest) || mat4_f64_test(digest)) return 1;
    if (quat_f32_test(digest) || quat_f64_test(digest)) return 1;
    return 0;
}
