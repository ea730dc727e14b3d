/* Computational geometry kernels, instantiated for integer and floating
 * coordinate types: convex hull, polygon area/centroid, point in polygon,
 * segment intersection, closest pair and rotating-calipers diameter. */
#include <math.h>
#include <stdlib.h>

#include "common.h"

/* (suffix, coordinate type, type wide enough for exact cross products) */
#define GEO_TYPES(X) X(i32, int32_t, int64_t) X(i64, int64_t, int64_t) X(f32, float, double) X(f64, double, double)

typedef struct {
    double x, y;
} dpt;

#define GEO_IMPL(sfx, T, W)                                                            \
    typedef struct {                                                                   \
        T x, y;                                                                        \
    } pt_##sfx;                                                                        \
    static inline W cross_##sfx(pt_##sfx o, pt_##sfx a, pt_##sfx b)                    \
    {                                                                                  \
        return ((W)a.x - (W)o.x) * ((W)b.y - (W)o.y) - ((W)a.y - (W)o.y) * ((W)b.x - (W)o.x); \
    }                                                                                  \
    static inline W dist2_##sfx(pt_##sfx a, pt_##sfx b)                                \
    {                                                                                  \
        W dx = (W)a.x - (W)b.x, dy = (W)a.y - (W)b.y;                                  \
        return dx * dx + dy * dy;                                                      \
    }                                                                                  \
    static inline int sgn_##sfx(W v) { return (v > 0) - (v < 0); }                     \
    static int pt_cmp_##sfx(const void *pa, const void *pb)                            \
    {                                                                                  \
        const pt_##sfx *a = pa, *b = pb;                                               \
        if (a->x != b->x) return a->x < b->x ? -1 : 1;                                 \
        return (a->y > b->y) - (a->y < b->y);                                          \
    }                                                                                  \
    /* Andrew's monotone chain: counter-clockwise hull without collinear points. */  \
    static size_t convex_hull_##sfx(pt_##sfx *p, size_t n, pt_##sfx *hull)             \
    {                                                                                  \
        if (n < 3) {                                                                   \
            memcpy(hull, p, n * sizeof *p);                                            \
            return n;                                                                  \
        }                                                                              \
        qsort(p, n, sizeof *p, pt_cmp_##sfx);                                          \
        size_t k = 0;                                                                  \
        for (size_t i = 0; i < n; i++) {                                               \
            while (k >= 2 && cross_##sfx(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;    \
            hull[k++] = p[i];                                                          \
        }                                                                              \
        for (size_t i = n - 1, t = k + 1; i-- > 0;) {                                  \
            while (k >= t && cross_##sfx(hull[k - 2], hull[k - 1], p[i]) <= 0) k--;    \
            hull[k++] = p[i];                                                          \
        }                                                                              \
        return k - 1;                                                                  \
    }                                                                                  \
    /* Twice the signed area (shoelace formula). */                                   \
    static W area2_##sfx(const pt_##sfx *p, size_t n)                                  \
    {                                                                                  \
        W s = 0;                                                                       \
        for (size_t i = 0; i < n; i++) {                                               \
            pt_##sfx a = p[i], b = p[(i + 1) % n];                                     \
            s += (W)a.x * (W)b.y - (W)b.x * (W)a.y;                                    \
        }                                                                              \
        return s;                                                                      \
    }                                                                                  \
    static dpt centroid_##sfx(const pt_##sfx *p, size_t n)                             \
    {                                                                                  \
        double cx = 0, cy = 0, a = 0;                                                  \
        for (size_t i = 0; i < n; i++) {                                               \
            pt_##sfx u = p[i], v = p[(i + 1) % n];                                     \
            double c = (double)u.x * (double)v.y - (double)v.x * (double)u.y;          \
            a += c;                                                                    \
            cx += ((double)u.x + (double)v.x) * c;                                     \
            cy += ((double)u.y + (double)v.y) * c;                                     \
        }                                                                              \
        dpt r = {cx / (3 * a), cy / (3 * a)};                                          \
        return r;                                                                      \
    }                                                                                  \
    static inline int on_segment_##sfx(pt_##sfx a, pt_##sfx b, pt_##sfx q)             \
    {                                                                                  \
        return q.x >= (a.x < b.x ? a.x : b.x) && q.x <= (a.x > b.x ? a.x : b.x) &&     \
               q.y >= (a.y < b.y ? a.y : b.y) && q.y <= (a.y > b.y ? a.y : b.y);       \
    }                                                                                  \
    /* Winding number; points on the boundary count as inside. */                     \
    static int point_in_polygon_##sfx(const pt_##sfx *p, size_t n, pt_##sfx q)        \
    {                                                                                  \
        int wn = 0;                                                                    \
        for (size_t i = 0; i < n; i++) {                                               \
            pt_##sfx a = p[i], b = p[(i + 1) % n];                                     \
            W c = cross_##sfx(a, b, q);                                                \
            if (c == 0 && on_segment_##sfx(a, b, q)) return 1;                         \
            if (a.y <= q.y) {                                                          \
                if (b.y > q.y && c > 0) wn++;                                          \
            } else if (b.y <= q.y && c < 0) {                                          \
                wn--;                                                                  \
            }                                                                          \
        }                                                                              \
        return wn != 0;                                                                \
    }                                                                                  \
    static int segments_intersect_##sfx(pt_##sfx a, pt_##sfx b, pt_##sfx c, pt_##sfx d) \
    {                                                                                  \
        int d1 = sgn_##sfx(cross_##sfx(c, d, a)), d2 = sgn_##sfx(cross_##sfx(c, d, b)); \
        int d3 = sgn_##sfx(cross_##sfx(a, b, c)), d4 = sgn_##sfx(cross_##sfx(a, b, d)); \
        if (d1 * d2 < 0 && d3 * d4 < 0) return 1;                                      \
        if (d1 == 0 && on_segment_##sfx(c, d, a)) return 1;                            \
        if (d2 == 0 && on_segment_##sfx(c, d, b)) return 1;                            \
        if (d3 == 0 && on_segment_##sfx(a, b, c)) return 1;                            \
        if (d4 == 0 && on_segment_##sfx(a, b, d)) return 1;                            \
        return 0;                                                                      \
    }                                                                                  \
    /* Closest pair by an x-sorted sweep that stops once dx^2 exceeds the best. */   \
    static W closest_pair_##sfx(pt_##sfx *p, size_t n)                                 \
    {                                                                                  \
        qsort(p, n, sizeof *p, pt_cmp_##sfx);                                          \
        W best = dist2_##sfx(p[0], p[1]);                                              \
        for (size_t i = 0; i < n; i++)                                                 \
            for (size_t j = i + 1; j < n; j++) {                                       \
                W dx = (W)p[j].x - (W)p[i].x;                                          \
                if (dx * dx >= best) break;                                            \
                W d = dist2_##sfx(p[i], p[j]);                                         \
                if (d < best) best = d;                                                \
            }                                                                          \
        return best;                                                                   \
    }                                                                                  \
    static inline W wabs_##sfx(W v) { return v < 0 ? -v : v; }                         \
    /* Diameter of a convex polygon by rotating calipers. */                          \
    static W diameter2_##sfx(const pt_##sfx *h, size_t n)                              \
    {                                                                                  \
        if (n == 1) return 0;                                                          \
        if (n == 2) return dist2_##sfx(h[0], h[1]);                                    \
        W best = 0;                                                                    \
        for (size_t i = 0, j = 1; i < n; i++) {                                        \
            size_t ni = (i + 1) % n;                                                   \
            while (wabs_##sfx(cross_##sfx(h[i], h[ni], h[(j + 1) % n])) >              \
                   wabs_##sfx(cross_##sfx(h[i], h[ni], h[j])))                         \
                j = (j + 1) % n;                                                       \
            W a = dist2_##sfx(h[i], h[j]), b = dist2_##sfx(h[ni], h[j]);               \
            if (a > best) best = a;                                                    \
            if (b > best) best = b;                                                    \
        }                                                                              \
        return best;                                                                   \
    }                                                                                  \
    /* Runs every kernel on the shared integer point set and records results. */     \
    static int geo_test_##sfx(const int32_t *xy, size_t n, double *results)            \
    {                                                                                  \
        pt_##sfx *p = malloc(n * sizeof *p), *copy = malloc(n * sizeof *p);            \
        pt_##sfx *hull = malloc(2 * n * sizeof *hull);                                 \
        for (size_t i = 0; i < n; i++) {                                               \
            p[i].x = (T)xy[2 * i];                                                     \
            p[i].y = (T)xy[2 * i + 1];                                                 \
        }                                                                              \
        memcpy(copy, p, n * sizeof *p);                                                \
        size_t h = convex_hull_##sfx(p, n, hull);                                      \
        JT_CHECK(h >= 3);                                                              \
        W a2 = area2_##sfx(hull, h);                                                   \
        JT_CHECK(a2 > 0);                                                              \
        for (size_t i = 0; i < h; i++)                                                 \
            JT_CHECK(cross_##sfx(hull[i], hull[(i + 1) % h], hull[(i + 2) % h]) > 0);  \
        for (size_t i = 0; i < n; i++) JT_CHECK(point_in_polygon_##sfx(hull, h, copy[i])); \
        pt_##sfx outside = {(T)20000, (T)20000};                                       \
        JT_CHECK(!point_in_polygon_##sfx(hull, h, outside));                           \
        W brute = 0;                                                                   \
        for (size_t i = 0; i < h; i++)                                                 \
            for (size_t j = i + 1; j < h; j++)                                         \
                if (dist2_##sfx(hull[i], hull[j]) > brute) brute = dist2_##sfx(hull[i], hull[j]); \
        JT_CHECK(diameter2_##sfx(hull, h) == brute);                                   \
        W cp = closest_pair_##sfx(copy, n), bf = dist2_##sfx(copy[0], copy[1]);        \
        for (size_t i = 0; i < n; i++)                                                 \
            for (size_t j = i + 1; j < n; j++)                                         \
                if (dist2_##sfx(copy[i], copy[j]) < bf) bf = dist2_##sfx(copy[i], copy[j]); \
        JT_CHECK(cp == bf);                                                            \
        pt_##sfx sq[4] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}};                         \
        JT_CHECK(area2_##sfx(sq, 4) == 200);                                           \
        dpt c = centroid_##sfx(sq, 4);                                                 \
        JT_CHECK(fabs(c.x - 5) < 1e-9 && fabs(c.y - 5) < 1e-9);                        \
        pt_##sfx a = {0, 0}, b = {10, 10}, cc = {0, 10}, d = {10, 0}, e = {11, 11}, f = {20, 20}; \
        JT_CHECK(segments_intersect_##sfx(a, b, cc, d));                               \
        JT_CHECK(!segments_intersect_##sfx(a, b, e, f));                               \
        JT_CHECK(segments_intersect_##sfx(a, e, b, f)); /* collinear overlap */        \
        dpt hc = centroid_##sfx(hull, h);                                              \
        pt_##sfx hcp = {(T)hc.x, (T)hc.y};                                             \
        JT_CHECK(point_in_polygon_##sfx(hull, h, hcp));                                \
        results[0] = (double)h;                                                        \
        results[1] = (double)a2;                                                       \
        results[2] = (double)cp;                                                       \
        results[3] = (double)brute;                                                    \
        free(p);                                                                       \
        free(copy);                                                                    \
        free(hull);                                                                    \
        return 0;                                                                      \
    }
GEO_TYPES(GEO_IMPL)

int geometry_selftest(uint64_t *digest)
{
    enum { N = 1500 };
    static int32_t xy[2 * N];
    jt_rng r = {17};
    for (size_t i = 0; i < 2 * N; i++) xy[i] = (int32_t)jt_rng_below(&r, 20001) - 10000;
    double ref[4], res[4];
    if (geo_test_i64(xy, N, ref)) return 1;
    /* Every coordinate type must produce identical answers on integer input. */
#define GEO_RUN(sfx, T, W)                                   \
    if (geo_test_##sfx(xy, N, res)) return 1;                \
    JT_CHECK(memcmp(res, ref, sizeof res) == 0);
    GEO_TYPES(GEO_RUN)
#undef GEO_RUN
    for (int i = 0; i < 4; i++) *digest = jt_digest_double(*digest, ref[i]);
    return 0;
}
