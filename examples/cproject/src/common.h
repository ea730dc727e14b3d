/* Shared helpers for the jtune example C project. */
#ifndef JT_COMMON_H
#define JT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* X-macro type lists used to stamp out type-specialised variants of the
 * algorithms in the individual modules. */
#define JT_SINT_TYPES(X) X(i8, int8_t) X(i16, int16_t) X(i32, int32_t) X(i64, int64_t)
#define JT_UINT_TYPES(X) X(u8, uint8_t) X(u16, uint16_t) X(u32, uint32_t) X(u64, uint64_t)
#define JT_INT_TYPES(X) JT_SINT_TYPES(X) JT_UINT_TYPES(X)
#define JT_FLOAT_TYPES(X) X(f32, float) X(f64, double)
#define JT_ALL_TYPES(X) JT_INT_TYPES(X) JT_FLOAT_TYPES(X)

#define JT_PI 3.14159265358979323846
#define JT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void jt_fail(const char *file, int line, const char *expr);

/* Self-test assertion: reports the failing expression and makes the enclosing
 * test function return 1. */
#define JT_CHECK(cond)                                  \
    do {                                                \
        if (!(cond)) {                                  \
            jt_fail(__FILE__, __LINE__, #cond);         \
            return 1;                                   \
        }                                               \
    } while (0)

static inline uint64_t jt_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* Tiny deterministic PRNG (splitmix64) used to generate test inputs. */
typedef struct {
    uint64_t s;
} jt_rng;

static inline uint64_t jt_rng_next(jt_rng *r)
{
    r->s += 0x9E3779B97F4A7C15ull;
    return jt_mix64(r->s);
}

static inline uint32_t jt_rng_below(jt_rng *r, uint32_t n)
{
    return (uint32_t)(((jt_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double jt_rng_unit(jt_rng *r)
{
    return (double)(jt_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Order-dependent digest accumulator for self-test results. */
static inline uint64_t jt_digest(uint64_t h, uint64_t v)
{
    return jt_mix64(h ^ (v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2)));
}

static inline uint64_t jt_digest_double(uint64_t h, double v)
{
    /* Quantise so that tiny rounding differences do not change the digest. */
    double q = v * 1024.0;
    int64_t iv = (int64_t)(q < 0 ? q - 0.5 : q + 0.5);
    return jt_digest(h, (uint64_t)iv);
}

static inline int jt_close(double a, double b, double tol)
{
    double d = a - b;
    if (d < 0) d = -d;
    double m = a < 0 ? -a : a;
    double n = b < 0 ? -b : b;
    if (n > m) m = n;
    return d <= tol * (m > 1.0 ? m : 1.0);
}

/* Every module exports NAME_selftest(); main.c runs them in this order. */
#define JT_MODULES(X)                                                        \
    X(matrix) X(smallmat) X(vecmath) X(sort) X(hash) X(crc) X(sieve)         \
    X(interp) X(strutil) X(bigint) X(rng) X(fft) X(stats) X(codec)           \
    X(varint) X(compress) X(sha256) X(sha512) X(md5) X(pqueue) X(hashmap)    \
    X(graph) X(bitset) X(poly) X(geometry) X(conv) X(image) X(fixedpt)       \
    X(json) X(expr) X(dynprog) X(datetime) X(utf8) X(linalg) X(rational)     \
    X(search) X(sketch)

#define JT_DECLARE_SELFTEST(name) int name##_selftest(uint64_t *digest);
JT_MODULES(JT_DECLARE_SELFTEST)
#undef JT_DECLARE_SELFTEST

#endif
