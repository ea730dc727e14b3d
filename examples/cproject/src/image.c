/* Grayscale image processing, instantiated for 8-bit, 16-bit and float
 * pixels: integral images, box/Gaussian blur, Sobel edges, morphology,
 * bilinear resizing and rotation. 8-bit-only: Otsu threshold, histogram
 * equalisation and connected-component labelling. */
#include <math.h>
#include <stdlib.h>

#include "common.h"

/* (suffix, pixel type, accumulator, is-float, maximum value) */
#define IMG_TYPES(X) X(u8, uint8_t, int64_t, 0, 255) X(u16, uint16_t, int64_t, 0, 65535) X(f32, float, double, 1, 1e30)

#define IMG_IMPL(sfx, P, ACC, IS_FLOAT, MAXV)                                               \
    typedef struct {                                                                        \
        int w, h;                                                                           \
        P *px;                                                                              \
    } image_##sfx;                                                                          \
    static image_##sfx img_new_##sfx(int w, int h)                                          \
    {                                                                                       \
        image_##sfx im = {w, h, calloc((size_t)w * (size_t)h, sizeof(P))};                  \
        return im;                                                                          \
    }                                                                                       \
    static inline P img_at_##sfx(const image_##sfx *im, int x, int y)                       \
    {                                                                                       \
        x = x < 0 ? 0 : x >= im->w ? im->w - 1 : x;                                         \
        y = y < 0 ? 0 : y >= im->h ? im->h - 1 : y;                                         \
        return im->px[y * im->w + x];                                                       \
    }                                                                                       \
    static inline P img_div_##sfx(ACC s, ACC d)                                             \
    {                                                                                       \
        return IS_FLOAT ? (P)((double)s / (double)d) : (P)((s + d / 2) / d);                \
    }                                                                                       \
    static inline P img_clamp_##sfx(ACC v)                                                  \
    {                                                                                       \
        return v < 0 ? (P)0 : v > (ACC)(MAXV) ? (P)(MAXV) : (P)v;                           \
    }                                                                                       \
    static void integral_##sfx(const image_##sfx *im, ACC *ii)                              \
    {                                                                                       \
        int W = im->w + 1;                                                                  \
        for (int x = 0; x < W; x++) ii[x] = 0;                                              \
        for (int y = 0; y < im->h; y++) {                                                   \
            ACC rowsum = 0;                                                                 \
            ii[(y + 1) * W] = 0;                                                            \
            for (int x = 0; x < im->w; x++) {                                               \
                rowsum += im->px[y * im->w + x];                                            \
                ii[(y + 1) * W + x + 1] = ii[y * W + x + 1] + rowsum;                       \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    /* Box blur of radius r via the integral image; the window clamps at edges. */        \
    static void box_blur_##sfx(const image_##sfx *src, image_##sfx *dst, int r, ACC *ii)    \
    {                                                                                       \
        int W = src->w + 1;                                                                 \
        integral_##sfx(src, ii);                                                            \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > src->w ? src->w : x + r + 1; \
                int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > src->h ? src->h : y + r + 1; \
                ACC s = ii[y1 * W + x1] - ii[y0 * W + x1] - ii[y1 * W + x0] + ii[y0 * W + x0]; \
                dst->px[y * src->w + x] = img_div_##sfx(s, (ACC)((x1 - x0) * (y1 - y0)));  \
            }                                                                               \
    }                                                                                       \
    static void box_blur_naive_##sfx(const image_##sfx *src, image_##sfx *dst, int r)       \
    {                                                                                       \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                ACC s = 0, area = 0;                                                        \
                for (int dy = -r; dy <= r; dy++)                                            \
                    for (int dx = -r; dx <= r; dx++) {                                      \
                        int xx = x + dx, yy = y + dy;                                       \
                        if (xx < 0 || yy < 0 || xx >= src->w || yy >= src->h) continue;     \
                        s += src->px[yy * src->w + xx];                                     \
                        area++;                                                             \
                    }                                                                       \
                dst->px[y * src->w + x] = img_div_##sfx(s, area);                           \
            }                                                                               \
    }                                                                                       \
    /* Separable 5-tap binomial (approximately Gaussian) blur. */                          \
    static void gaussian5_##sfx(const image_##sfx *src, image_##sfx *dst)                   \
    {                                                                                       \
        static const int k[5] = {1, 4, 6, 4, 1};                                            \
        ACC *tmp = malloc((size_t)src->w * (size_t)src->h * sizeof *tmp);                   \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                ACC s = 0;                                                                  \
                for (int i = -2; i <= 2; i++) s += k[i + 2] * (ACC)img_at_##sfx(src, x + i, y); \
                tmp[y * src->w + x] = s;                                                    \
            }                                                                               \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                ACC s = 0;                                                                  \
                for (int i = -2; i <= 2; i++) {                                             \
                    int yy = y + i < 0 ? 0 : y + i >= src->h ? src->h - 1 : y + i;          \
                    s += k[i + 2] * tmp[yy * src->w + x];                                   \
                }                                                                           \
                dst->px[y * src->w + x] = img_div_##sfx(s, 256);                            \
            }                                                                               \
        free(tmp);                                                                          \
    }                                                                                       \
    /* L1 Sobel gradient magnitude, saturated to the pixel range. */                       \
    static void sobel_##sfx(const image_##sfx *src, image_##sfx *dst)                       \
    {                                                                                       \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                ACC gx = -(ACC)img_at_##sfx(src, x - 1, y - 1) - 2 * (ACC)img_at_##sfx(src, x - 1, y) - \
                         (ACC)img_at_##sfx(src, x - 1, y + 1) + (ACC)img_at_##sfx(src, x + 1, y - 1) + \
                         2 * (ACC)img_at_##sfx(src, x + 1, y) + (ACC)img_at_##sfx(src, x + 1, y + 1); \
                ACC gy = -(ACC)img_at_##sfx(src, x - 1, y - 1) - 2 * (ACC)img_at_##sfx(src, x, y - 1) - \
                         (ACC)img_at_##sfx(src, x + 1, y - 1) + (ACC)img_at_##sfx(src, x - 1, y + 1) + \
                         2 * (ACC)img_at_##sfx(src, x, y + 1) + (ACC)img_at_##sfx(src, x + 1, y + 1); \
                dst->px[y * src->w + x] = img_clamp_##sfx((gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy)); \
            }                                                                               \
    }                                                                                       \
    /* 3x3 erosion (dilate = 0) or dilation (dilate = 1). */                               \
    static void morph_##sfx(const image_##sfx *src, image_##sfx *dst, int dilate)           \
    {                                                                                       \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++) {                                              \
                P v = img_at_##sfx(src, x, y);                                              \
                for (int dy = -1; dy <= 1; dy++)                                            \
                    for (int dx = -1; dx <= 1; dx++) {                                      \
                        P p = img_at_##sfx(src, x + dx, y + dy);                            \
                        if (dilate ? p > v : p < v) v = p;                                  \
                    }                                                                       \
                dst->px[y * src->w + x] = v;                                                \
            }                                                                               \
    }                                                                                       \
    static void resize_bilinear_##sfx(const image_##sfx *src, image_##sfx *dst)             \
    {                                                                                       \
        for (int y = 0; y < dst->h; y++)                                                    \
            for (int x = 0; x < dst->w; x++) {                                              \
                /* 16.16 fixed-point source coordinates. */                                 \
                int64_t sx = ((int64_t)x * (src->w - 1) << 16) / (dst->w > 1 ? dst->w - 1 : 1); \
                int64_t sy = ((int64_t)y * (src->h - 1) << 16) / (dst->h > 1 ? dst->h - 1 : 1); \
                int x0 = (int)(sx >> 16), y0 = (int)(sy >> 16);                             \
                int64_t fx = sx & 0xFFFF, fy = sy & 0xFFFF;                                 \
                ACC a = img_at_##sfx(src, x0, y0), b = img_at_##sfx(src, x0 + 1, y0);       \
                ACC c = img_at_##sfx(src, x0, y0 + 1), d = img_at_##sfx(src, x0 + 1, y0 + 1); \
                ACC top = a * (ACC)(65536 - fx) + b * (ACC)fx;                              \
                ACC bot = c * (ACC)(65536 - fx) + d * (ACC)fx;                              \
                ACC v = top * (ACC)(65536 - fy) + bot * (ACC)fy;                            \
                dst->px[y * dst->w + x] = img_div_##sfx(v, (ACC)4294967296.0);              \
            }                                                                               \
    }                                                                                       \
    static void rotate90_##sfx(const image_##sfx *src, image_##sfx *dst)                    \
    {                                                                                       \
        for (int y = 0; y < src->h; y++)                                                    \
            for (int x = 0; x < src->w; x++)                                                \
                dst->px[x * dst->w + (src->h - 1 - y)] = src->px[y * src->w + x];           \
    }                                                                                       \
    /* Runs the whole pipeline; outputs are widened to double for comparison. */          \
    static int img_pipeline_##sfx(const uint8_t *in, int w, int h, double *out, double *sum) \
    {                                                                                       \
        image_##sfx a = img_new_##sfx(w, h), b = img_new_##sfx(w, h), c = img_new_##sfx(w, h); \
        image_##sfx rot = img_new_##sfx(h, w), big = img_new_##sfx(2 * w - 1, 2 * h - 1);   \
        ACC *ii = malloc((size_t)(w + 1) * (size_t)(h + 1) * sizeof *ii);                   \
        size_t n = (size_t)w * (size_t)h;                                                   \
        for (size_t i = 0; i < n; i++) a.px[i] = (P)in[i];                                  \
        box_blur_##sfx(&a, &b, 3, ii);                                                      \
        box_blur_naive_##sfx(&a, &c, 3);                                                    \
        for (size_t i = 0; i < n; i++)                                                      \
            JT_CHECK(fabs((double)b.px[i] - (double)c.px[i]) <= (IS_FLOAT ? 1e-3 : 0));     \
        ACC total = 0;                                                                      \
        for (size_t i = 0; i < n; i++) total += a.px[i];                                    \
        JT_CHECK(ii[(size_t)(h + 1) * (size_t)(w + 1) - 1] == total);                       \
        for (size_t i = 0; i < n; i++) out[i] = (double)b.px[i];                            \
        gaussian5_##sfx(&a, &b);                                                            \
        for (size_t i = 0; i < n; i++) out[n + i] = (double)b.px[i];                        \
        sobel_##sfx(&b, &c);                                                                \
        for (size_t i = 0; i < n; i++) out[2 * n + i] = (double)c.px[i];                    \
        morph_##sfx(&a, &b, 0);                                                             \
        morph_##sfx(&b, &c, 1);                                                             \
        for (size_t i = 0; i < n; i++) out[3 * n + i] = (double)c.px[i];                    \
        rotate90_##sfx(&a, &rot);                                                           \
        JT_CHECK(rot.px[h - 1] == a.px[0]);                                                 \
        resize_bilinear_##sfx(&a, &big);                                                    \
        for (int y = 0; y < h; y += 7)                                                      \
            for (int x = 0; x < w; x += 7) JT_CHECK(big.px[(2 * y) * big.w + 2 * x] == a.px[y * w + x]); \
        *sum = 0;                                                                           \
        for (int i = 0; i < big.w * big.h; i++) *sum += (double)big.px[i];                  \
        free(a.px);                                                                         \
        free(b.px);                                                                         \
        free(c.px);                                                                         \
        free(rot.px);                                                                       \
        free(big.px);                                                                       \
        free(ii);                                                                           \
        return 0;                                                                           \
    }
IMG_TYPES(IMG_IMPL)

static int otsu(const uint8_t *px, size_t n)
{
    uint32_t hist[256] = {0};
    for (size_t i = 0; i < n; i++) hist[px[i]]++;
    double sum = 0;
    for (int t = 0; t < 256; t++) sum += (double)t * hist[t];
    double sumb = 0, wb = 0, best = -1;
    int first = 0, last = 0;
    for (int t = 0; t < 256; t++) {
        wb += hist[t];
        sumb += (double)t * hist[t];
        if (wb == 0) continue;
        double wf = (double)n - wb;
        if (wf == 0) break;
        double mb = sumb / wb, mf = (sum - sumb) / wf;
        double between = wb * wf * (mb - mf) * (mb - mf);
        if (between > best * (1 + 1e-12)) {
            best = between;
            first = last = t;
        } else if (between >= best * (1 - 1e-12)) {
            last = t; /* extend a plateau of equally good thresholds */
        }
    }
    return (first + last) / 2;
}

static void equalize(const uint8_t *src, uint8_t *dst, size_t n)
{
    uint32_t hist[256] = {0}, cdf[256];
    for (size_t i = 0; i < n; i++) hist[src[i]]++;
    uint32_t c = 0, cmin = 0;
    for (int i = 0; i < 256; i++) {
        c += hist[i];
        cdf[i] = c;
        if (!cmin && c) cmin = c;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t v = cdf[src[i]];
        dst[i] = n == cmin ? src[i] : (uint8_t)(((uint64_t)(v - cmin) * 255 + (n - cmin) / 2) / (n - cmin));
    }
}

/* 4-connected component labelling of non-zero pixels with an explicit stack. */
static int label_components(const uint8_t *px, int w, int h, int32_t *labels)
{
    int n = w * h, count = 0;
    int *stack = malloc((size_t)n * sizeof *stack);
    for (int i = 0; i < n; i++) labels[i] = 0;
    for (int i = 0; i < n; i++) {
        if (!px[i] || labels[i]) continue;
        int sp = 0;
        labels[i] = ++count;
        stack[sp++] = i;
        while (sp) {
            int p = stack[--sp], x = p % w, y = p / w;
            const int nb[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
            for (int k = 0; k < 4; k++) {
                int xx = x + nb[k][0], yy = y + nb[k][1];
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                int q = yy * w + xx;
                if (px[q] && !labels[q]) {
                    labels[q] = count;
                    stack[sp++] = q;
                }
            }
        }
    }
    free(stack);
    return count;
}

int image_selftest(uint64_t *digest)
{
    enum { W = 120, H = 90, N = W * H };
    static uint8_t img[N], bin[N], tmp[N], eq[N];
    static int32_t labels[N];
    static double out8[4 * N], out16[4 * N], outf[4 * N];
    jt_rng r = {23};
    /* A noisy horizontal gradient plus three bright discs. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y * W + x] = (uint8_t)(30 + x * 40 / W + jt_rng_below(&r, 10));
    const int discs[3][3] = {{25, 25, 10}, {85, 30, 12}, {55, 65, 9}};
    for (int d = 0; d < 3; d++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int dx = x - discs[d][0], dy = y - discs[d][1];
                if (dx * dx + dy * dy <= discs[d][2] * discs[d][2]) img[y * W + x] = (uint8_t)(220 + jt_rng_below(&r, 20));
            }

    double s8, s16, sf;
    if (img_pipeline_u8(img, W, H, out8, &s8) || img_pipeline_u16(img, W, H, out16, &s16) ||
        img_pipeline_f32(img, W, H, outf, &sf))
        return 1;
    /* 8- and 16-bit agree exactly except where 8-bit Sobel saturates;
     * float agrees to within integer rounding. */
    for (size_t i = 0; i < 4 * N; i++) {
        if (i / N == 2)
            JT_CHECK(out8[i] == (out16[i] > 255 ? 255 : out16[i]));
        else
            JT_CHECK(out8[i] == out16[i]);
        if (i / N != 2) JT_CHECK(fabs(outf[i] - out8[i]) <= 0.5 + 1e-3 || (i / N == 1 && fabs(outf[i] - out8[i]) <= 1));
    }
    JT_CHECK(s8 == s16 && fabs(sf - s8) < 0.51 * (2 * W - 1) * (2 * H - 1));

    int t = otsu(img, N);
    JT_CHECK(t > 80 && t < 200);
    for (int i = 0; i < N; i++) bin[i] = img[i] > t ? 255 : 0;
    /* opening = erode then dilate, using the 8-bit morphology */
    image_u8 src = {W, H, bin}, mid = {W, H, tmp};
    morph_u8(&src, &mid, 0);
    morph_u8(&mid, &src, 1);
    JT_CHECK(label_components(bin, W, H, labels) == 3);

    equalize(img, eq, N);
    uint8_t lo = 255, hi = 0;
    for (int i = 0; i < N; i++) {
        if (eq[i] < lo) lo = eq[i];
        if (eq[i] > hi) hi = eq[i];
    }
    JT_CHECK(lo == 0 && hi == 255);

    *digest = jt_digest(*digest, (uint64_t)t);
    *digest = jt_digest_double(*digest, s16);
    for (size_t i = 0; i < 4 * N; i += 97) *digest = jt_digest_double(*digest, out16[i]);
    return 0;
}
