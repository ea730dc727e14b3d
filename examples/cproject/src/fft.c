/* Radix-2 FFT, naive DFT and FFT-based convolution in float and double. */
#include <complex.h>
#include <math.h>

#include "common.h"

#define FFT_TYPES(X)                                                              \
    X(f32, float, float complex, cosf, sinf) X(f64, double, double complex, cos, sin) \
    X(f80, long double, long double complex, cosl, sinl)

#define FFT_IMPL(sfx, R, C, COS, SIN)                                              \
    static void bit_reverse_##sfx(C *a, size_t n)                                  \
    {                                                                              \
        for (size_t i = 1, j = 0; i < n; i++) {                                    \
            size_t bit = n >> 1;                                                   \
            for (; j & bit; bit >>= 1) j ^= bit;                                   \
            j ^= bit;                                                              \
            if (i < j) {                                                           \
                C t = a[i];                                                        \
                a[i] = a[j];                                                       \
                a[j] = t;                                                          \
            }                                                                      \
        }                                                                          \
    }                                                                              \
    /* In-place iterative Cooley-Tukey; n must be a power of two. */               \
    static void fft_##sfx(C *a, size_t n, int inverse)                             \
    {                                                                              \
        bit_reverse_##sfx(a, n);                                                   \
        for (size_t len = 2; len <= n; len <<= 1) {                                \
            R ang = (R)(2 * JT_PI / (double)len * (inverse ? 1 : -1));             \
            C wl = COS(ang) + SIN(ang) * I;                                        \
            for (size_t i = 0; i < n; i += len) {                                  \
                C w = 1;                                                           \
                for (size_t j = 0; j < len / 2; j++) {                             \
                    C u = a[i + j], v = a[i + j + len / 2] * w;                    \
                    a[i + j] = u + v;                                              \
                    a[i + j + len / 2] = u - v;                                    \
                    w *= wl;                                                       \
                }                                                                  \
            }                                                                      \
        }                                                                          \
        if (inverse)                                                               \
            for (size_t i = 0; i < n; i++) a[i] /= (R)n;                           \
    }                                                                              \
    static void dft_##sfx(const C *in, C *out, size_t n)                           \
    {                                                                              \
        for (size_t k = 0; k < n; k++) {                                           \
            C s = 0;                                                               \
            for (size_t t = 0; t < n; t++) {                                       \
                R ang = (R)(-2 * JT_PI * (double)((k * t) % n) / (double)n);       \
                s += in[t] * (COS(ang) + SIN(ang) * I);                            \
            }                                                                      \
            out[k] = s;                                                            \
        }                                                                          \
    }                                                                              \
    /* Linear convolution of two real sequences via zero-padded FFTs. */           \
    static void convolve_fft_##sfx(const R *a, size_t na, const R *b, size_t nb,  \
                                   R *out, C *fa, C *fb, size_t n)                 \
    {                                                                              \
        for (size_t i = 0; i < n; i++) {                                           \
            fa[i] = i < na ? a[i] : 0;                                             \
            fb[i] = i < nb ? b[i] : 0;                                             \
        }                                                                          \
        fft_##sfx(fa, n, 0);                                                       \
        fft_##sfx(fb, n, 0);                                                       \
        for (size_t i = 0; i < n; i++) fa[i] *= fb[i];                             \
        fft_##sfx(fa, n, 1);                                                       \
        for (size_t i = 0; i < na + nb - 1; i++) out[i] = (R)creal(fa[i]);                       \
    }                                                                              \
    /* Row-column 2-D transform of a rows x cols array (both powers of two). */   \
    static void fft2d_##sfx(C *a, size_t rows, size_t cols, C *col, int inverse)   \
    {                                                                              \
        for (size_t r = 0; r < rows; r++) fft_##sfx(a + r * cols, cols, inverse);  \
        for (size_t c = 0; c < cols; c++) {                                        \
            for (size_t r = 0; r < rows; r++) col[r] = a[r * cols + c];            \
            fft_##sfx(col, rows, inverse);                                         \
            for (size_t r = 0; r < rows; r++) a[r * cols + c] = col[r];            \
        }                                                                          \
    }                                                                              \
    /* Two real FFTs for the price of one complex FFT (packing trick). */          \
    static void fft_two_real_##sfx(const R *x, const R *y, C *X, C *Y, size_t n)   \
    {                                                                              \
        for (size_t i = 0; i < n; i++) X[i] = x[i] + y[i] * I;                     \
        fft_##sfx(X, n, 0);                                                        \
        for (size_t k = 0; k < n; k++) {                                           \
            C zk = X[k], znk = conj(X[(n - k) % n]);                               \
            Y[k] = (zk - znk) / (2 * I);                                           \
        }                                                                          \
        for (size_t k = 0; k <= n / 2; k++) {                                      \
            C zk = X[k], znk = conj(X[(n - k) % n]);                               \
            X[k] = (zk + znk) / 2;                                                 \
            X[(n - k) % n] = conj(X[k]);                                           \
        }                                                                          \
    }                                                                              \
    static int fft2d_test_##sfx(double tol)                                        \
    {                                                                              \
        enum { RW = 16, CL = 32 };                                                 \
        static C a[RW * CL], u[RW], v[CL], col[RW], orig[RW * CL];                 \
        static R rx[CL], ry[CL];                                                   \
        static C fx[CL], fy[CL], gx[CL], gy[CL];                                   \
        jt_rng r = {91};                                                           \
        for (size_t i = 0; i < RW; i++) {                                          \
            R re = (R)jt_rng_unit(&r), im = (R)jt_rng_unit(&r);                    \
            u[i] = re + im * I;                                                    \
        }                                                                          \
        for (size_t j = 0; j < CL; j++) v[j] = (R)jt_rng_unit(&r) - (R)0.5;        \
        for (size_t i = 0; i < RW; i++)                                            \
            for (size_t j = 0; j < CL; j++) orig[i * CL + j] = a[i * CL + j] = u[i] * v[j]; \
        fft2d_##sfx(a, RW, CL, col, 0);                                            \
        fft_##sfx(u, RW, 0);                                                       \
        fft_##sfx(v, CL, 0);                                                       \
        for (size_t i = 0; i < RW; i++) /* separable input: product of spectra */ \
            for (size_t j = 0; j < CL; j++) JT_CHECK(cabsl(a[i * CL + j] - u[i] * v[j]) < tol * 64); \
        fft2d_##sfx(a, RW, CL, col, 1);                                            \
        for (size_t i = 0; i < RW * CL; i++) JT_CHECK(cabsl(a[i] - orig[i]) < tol); \
        for (size_t j = 0; j < CL; j++) {                                          \
            rx[j] = (R)jt_rng_unit(&r);                                            \
            ry[j] = (R)jt_rng_unit(&r);                                            \
            gx[j] = rx[j];                                                         \
            gy[j] = ry[j];                                                         \
        }                                                                          \
        fft_two_real_##sfx(rx, ry, fx, fy, CL);                                    \
        fft_##sfx(gx, CL, 0);                                                      \
        fft_##sfx(gy, CL, 0);                                                      \
        for (size_t j = 0; j < CL; j++)                                            \
            JT_CHECK(cabsl(fx[j] - gx[j]) < tol * 32 && cabsl(fy[j] - gy[j]) < tol * 32); \
        return 0;                                                                  \
    }                                                                              \
    static int fft_test_##sfx(uint64_t *digest, double tol)                        \
    {                                                                              \
        enum { N = 256 };                                                          \
        static C x[N], y[N], z[N], fa[N], fb[N];                                   \
        static R ra[100], rb[100], conv[N], naive[N];                              \
        jt_rng r = {7};                                                            \
        for (size_t i = 0; i < N; i++) {                                           \
            R re = (R)(jt_rng_unit(&r) - 0.5), im = (R)(jt_rng_unit(&r) - 0.5);    \
            x[i] = re + im * I;                                                    \
            y[i] = x[i];                                                           \
        }                                                                          \
        fft_##sfx(y, N, 0);                                                        \
        dft_##sfx(x, z, N);                                                        \
        for (size_t i = 0; i < N; i++) JT_CHECK(cabsl(y[i] - z[i]) < tol * N);      \
        /* Parseval: sum |x|^2 == sum |X|^2 / N */                                 \
        double e1 = 0, e2 = 0;                                                     \
        for (size_t i = 0; i < N; i++) {                                           \
            e1 += (double)(creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i])); \
            e2 += (double)(creal(y[i]) * creal(y[i]) + cimag(y[i]) * cimag(y[i])); \
        }                                                                          \
        JT_CHECK(jt_close(e1, e2 / N, tol * 10));                                  \
        fft_##sfx(y, N, 1);                                                        \
        for (size_t i = 0; i < N; i++) JT_CHECK(cabsl(y[i] - x[i]) < tol);          \
        for (size_t i = 0; i < 100; i++) {                                         \
            ra[i] = (R)jt_rng_below(&r, 10);                                       \
            rb[i] = (R)jt_rng_below(&r, 10);                                       \
        }                                                                          \
        convolve_fft_##sfx(ra, 100, rb, 100, conv, fa, fb, N);                     \
        for (size_t i = 0; i < 199; i++) {                                         \
            R s = 0;                                                               \
            for (size_t j = 0; j <= i; j++)                                        \
                if (j < 100 && i - j < 100) s += ra[j] * rb[i - j];                \
            naive[i] = s;                                                          \
            JT_CHECK(fabs((double)(conv[i] - s)) < 0.05);                          \
            *digest = jt_digest(*digest, (uint64_t)(naive[i] + 0.5));              \
        }                                                                          \
        return 0;                                                                  \
    }
FFT_TYPES(FFT_IMPL)

/* Real sinusoid: the spectrum has exactly two non-zero bins. */
static int fft_tone_test(uint64_t *digest)
{
    enum { N = 1024 };
    static double complex x[N];
    for (size_t i = 0; i < N; i++) x[i] = 3.0 * cos(2 * JT_PI * 37 * (double)i / N);
    fft_f64(x, N, 0);
    for (size_t k = 0; k < N; k++) {
        double mag = cabs(x[k]);
        if (k == 37 || k == N - 37)
            JT_CHECK(fabs(mag - 1.5 * N) < 1e-6);
        else
            JT_CHECK(mag < 1e-6);
    }
    *digest = jt_digest_double(*digest, cabs(x[37]));
    return 0;
}

int fft_selftest(uint64_t *digest)
{
    if (fft_test_f32(digest, 1e-4) || fft2d_test_f32(1e-4)) return 1;
    if (fft_test_f64(digest, 1e-10) || fft2d_test_f64(1e-10)) return 1;
    if (fft_test_f80(digest, 1e-12) || fft2d_test_f80(1e-12)) return 1;
    return fft_tone_test(digest);
}
