/* Integer compression codecs specialised per integer type: zigzag, LEB128
 * varints, delta coding, fixed-width bit packing and frame-of-reference. */
#include "common.h"

#define VARINT_TYPES(X)                                                     \
    X(i8, int8_t, uint8_t, 1) X(i16, int16_t, uint16_t, 1)                  \
    X(i32, int32_t, uint32_t, 1) X(i64, int64_t, uint64_t, 1)               \
    X(u8, uint8_t, uint8_t, 0) X(u16, uint16_t, uint16_t, 0)                \
    X(u32, uint32_t, uint32_t, 0) X(u64, uint64_t, uint64_t, 0)

#define VARINT_IMPL(sfx, T, UT, SIGNED)                                                    \
    enum { VBITS_##sfx = 8 * (int)sizeof(T) };                                             \
    /* Map signed values to unsigned so small magnitudes stay small. */                   \
    static inline UT zigzag_##sfx(T v)                                                     \
    {                                                                                      \
        if (!SIGNED) return (UT)v;                                                         \
        UT u = (UT)v;                                                                      \
        UT sign = (UT)(0 - (UT)(u >> (VBITS_##sfx - 1)));                                  \
        return (UT)((UT)(u << 1) ^ sign);                                                  \
    }                                                                                      \
    static inline T unzigzag_##sfx(UT u)                                                   \
    {                                                                                      \
        if (!SIGNED) return (T)u;                                                          \
        return (T)((UT)(u >> 1) ^ (UT)(0 - (UT)(u & 1)));                                  \
    }                                                                                      \
    static size_t leb128_put_##sfx(UT v, uint8_t *out)                                     \
    {                                                                                      \
        size_t n = 0;                                                                      \
        while (v >= 0x80) {                                                                \
            out[n++] = (uint8_t)(v | 0x80);                                                \
            v = (UT)(v >> 7);                                                              \
        }                                                                                  \
        out[n++] = (uint8_t)v;                                                             \
        return n;                                                                          \
    }                                                                                      \
    static size_t leb128_get_##sfx(const uint8_t *in, size_t avail, UT *v)                 \
    {                                                                                      \
        UT r = 0;                                                                          \
        for (size_t i = 0; i < avail && 7 * i < (size_t)VBITS_##sfx; i++) {                \
            r = (UT)(r | (UT)((UT)(in[i] & 0x7F) << (7 * i)));                             \
            if (!(in[i] & 0x80)) {                                                         \
                *v = r;                                                                    \
                return i + 1;                                                              \
            }                                                                              \
        }                                                                                  \
        return 0; /* truncated or overlong */                                              \
    }                                                                                      \
    static size_t varint_encode_##sfx(const T *x, size_t n, uint8_t *out, int delta)       \
    {                                                                                      \
        size_t o = 0;                                                                      \
        T prev = 0;                                                                        \
        for (size_t i = 0; i < n; i++) {                                                   \
            T v = delta ? (T)((UT)x[i] - (UT)prev) : x[i];                                 \
            prev = x[i];                                                                   \
            o += leb128_put_##sfx(zigzag_##sfx(v), out + o);                               \
        }                                                                                  \
        return o;                                                                          \
    }                                                                                      \
    static long varint_decode_##sfx(const uint8_t *in, size_t len, T *x, size_t n, int delta) \
    {                                                                                      \
        size_t pos = 0;                                                                    \
        T prev = 0;                                                                        \
        for (size_t i = 0; i < n; i++) {                                                   \
            UT u;                                                                          \
            size_t k = leb128_get_##sfx(in + pos, len - pos, &u);                          \
            if (!k) return -1;                                                             \
            pos += k;                                                                      \
            T v = unzigzag_##sfx(u);                                                       \
            x[i] = delta ? (T)((UT)prev + (UT)v) : v;                                      \
            prev = x[i];                                                                   \
        }                                                                                  \
        return (long)pos;                                                                  \
    }                                                                                      \
    static inline unsigned bits_needed_##sfx(UT v)                                         \
    {                                                                                      \
        unsigned b = 0;                                                                    \
        while (v) {                                                                        \
            b++;                                                                           \
            v = (UT)(v >> 1);                                                              \
        }                                                                                  \
        return b;                                                                          \
    }                                                                                      \
    /* Pack n values of `bits` bits each, LSB-first, into out. */                         \
    static size_t bitpack_##sfx(const UT *v, size_t n, unsigned bits, uint8_t *out)        \
    {                                                                                      \
        size_t nbytes = (n * bits + 7) / 8;                                                \
        memset(out, 0, nbytes);                                                            \
        size_t bitpos = 0;                                                                 \
        for (size_t i = 0; i < n; i++)                                                     \
            for (unsigned b = 0; b < bits; b++, bitpos++)                                  \
                if ((v[i] >> b) & 1) out[bitpos / 8] = (uint8_t)(out[bitpos / 8] | (1u << (bitpos % 8))); \
        return nbytes;                                                                     \
    }                                                                                      \
    static void bitunpack_##sfx(const uint8_t *in, size_t n, unsigned bits, UT *v)         \
    {                                                                                      \
        size_t bitpos = 0;                                                                 \
        for (size_t i = 0; i < n; i++) {                                                   \
            UT x = 0;                                                                      \
            for (unsigned b = 0; b < bits; b++, bitpos++)                                  \
                if ((in[bitpos / 8] >> (bitpos % 8)) & 1) x = (UT)(x | (UT)((UT)1 << b));  \
            v[i] = x;                                                                      \
        }                                                                                  \
    }                                                                                      \
    /* Frame of reference: store the minimum, then bit-pack offsets from it. */           \
    static size_t for_encode_##sfx(const T *x, size_t n, uint8_t *out, T *base, unsigned *bits, UT *scratch) \
    {                                                                                      \
        T mn = x[0];                                                                       \
        for (size_t i = 1; i < n; i++)                                                     \
            if (x[i] < mn) mn = x[i];                                                      \
        UT mx = 0;                                                                         \
        for (size_t i = 0; i < n; i++) {                                                   \
            scratch[i] = (UT)((UT)x[i] - (UT)mn);                                          \
            if (scratch[i] > mx) mx = scratch[i];                                          \
        }                                                                                  \
        *base = mn;                                                                        \
        *bits = bits_needed_##sfx(mx);                                                     \
        return bitpack_##sfx(scratch, n, *bits, out);                                      \
    }                                                                                      \
    static void for_decode_##sfx(const uint8_t *in, size_t n, T base, unsigned bits, T *x, UT *scratch) \
    {                                                                                      \
        bitunpack_##sfx(in, n, bits, scratch);                                             \
        for (size_t i = 0; i < n; i++) x[i] = (T)((UT)base + scratch[i]);                  \
    }                                                                                      \
    static int varint_test_##sfx(uint64_t *digest)                                         \
    {                                                                                      \
        enum { N = 2000 };                                                                 \
        static T x[N], y[N];                                                               \
        static UT scratch[N];                                                              \
        static uint8_t buf[N * 11];                                                        \
        jt_rng r = {VBITS_##sfx * 3 + SIGNED};                                             \
        for (int kind = 0; kind < 3; kind++) {                                             \
            for (size_t i = 0; i < N; i++) {                                               \
                uint64_t raw = jt_rng_next(&r);                                            \
                if (kind == 0) x[i] = (T)raw; /* full range */                             \
                else if (kind == 1) x[i] = (T)((int64_t)(raw % 41) - (SIGNED ? 20 : 0)); /* small */ \
                else x[i] = (T)(i ? (UT)((UT)x[i - 1] + (UT)(raw % 3)) : (UT)0); /* sorted */ \
            }                                                                              \
            for (int delta = 0; delta < 2; delta++) {                                      \
                size_t len = varint_encode_##sfx(x, N, buf, delta);                        \
                JT_CHECK(varint_decode_##sfx(buf, len, y, N, delta) == (long)len);         \
                JT_CHECK(memcmp(x, y, sizeof x) == 0);                                     \
                if (kind == 2 && delta) JT_CHECK(len == N); /* deltas 0..2: one byte each */ \
                *digest = jt_digest(*digest, len);                                         \
            }                                                                              \
            T base;                                                                        \
            unsigned bits;                                                                 \
            size_t len = for_encode_##sfx(x, N, buf, &base, &bits, scratch);               \
            for_decode_##sfx(buf, N, base, bits, y, scratch);                              \
            JT_CHECK(memcmp(x, y, sizeof x) == 0);                                         \
            if (kind == 1) JT_CHECK(bits <= 6 && len <= (N * 6 + 7) / 8);                  \
            *digest = jt_digest(*digest, bits);                                            \
        }                                                                                  \
        /* Edge values survive zigzag + LEB128; truncated input is rejected. */           \
        T edges[4] = {(T)0, (T)~(T)0, (T)((UT)1 << (VBITS_##sfx - 1)), (T)(((UT)1 << (VBITS_##sfx - 1)) - 1)}; \
        for (int i = 0; i < 4; i++) {                                                      \
            size_t len = varint_encode_##sfx(&edges[i], 1, buf, 0);                        \
            T back = 0;                                                                    \
            JT_CHECK(varint_decode_##sfx(buf, len, &back, 1, 0) == (long)len && back == edges[i]); \
            if (len > 1) JT_CHECK(varint_decode_##sfx(buf, len - 1, &back, 1, 0) < 0);     \
        }                                                                                  \
        JT_CHECK(zigzag_##sfx((T)0) == 0);                                                 \
        if (SIGNED) JT_CHECK(zigzag_##sfx((T)-1) == 1 && zigzag_##sfx((T)1) == 2);        \
        return 0;                                                                          \
    }
VARINT_TYPES(VARINT_IMPL)

int varint_selftest(uint64_t *digest)
{
#define VARINT_RUN(sfx, T, UT, SIGNED) \
    if (varint_test_##sfx(digest)) return 1;
    VARINT_TYPES(VARINT_RUN)
#undef VARINT_RUN
    /* Known encodings from the protobuf documentation. */
    uint8_t b[16];
    JT_CHECK(leb128_put_u32(300, b) == 2 && b[0] == 0xAC && b[1] == 0x02);
    JT_CHECK(zigzag_i32(-2147483647 - 1) == 0xFFFFFFFFu && zigzag_i64(-3) == 5);
    return 0;
}
