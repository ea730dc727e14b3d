/* Fixed-capacity unsigned big integers, instantiated for 16-, 32- and 64-bit
 * limbs (each with a double-width type for carries). All three must agree on
 * every result. */
#include "common.h"

static inline uint64_t shr64(uint64_t v, unsigned s) { return s >= 64 ? 0 : v >> s; }

/* (suffix, limb, double limb, limb bits, capacity in limbs, decimal chunk, digits per chunk) */
#define BN_TYPES(X)                                                         \
    X(l16, uint16_t, uint32_t, 16, 256, 10000u, 4)                          \
    X(l32, uint32_t, uint64_t, 32, 128, 1000000000u, 9)                     \
    X(l64, uint64_t, unsigned __int128, 64, 64, 10000000000000000000ull, 19)

#define BN_IMPL(sfx, L, D, LBITS, CAP, CHUNK, CHUNK_DIGITS)                                 \
    typedef struct {                                                                        \
        L d[CAP]; /* little-endian limbs */                                                 \
        size_t n; /* used limbs; 0 means zero */                                            \
    } bn_##sfx;                                                                             \
    static void bn_##sfx##_norm(bn_##sfx *a)                                                \
    {                                                                                       \
        while (a->n && a->d[a->n - 1] == 0) a->n--;                                         \
    }                                                                                       \
    static void bn_##sfx##_from_u64(bn_##sfx *a, uint64_t v)                                \
    {                                                                                       \
        memset(a, 0, sizeof *a);                                                            \
        while (v) {                                                                         \
            a->d[a->n++] = (L)v;                                                            \
            v = shr64(v, LBITS);                                                            \
        }                                                                                   \
    }                                                                                       \
    static int bn_##sfx##_cmp(const bn_##sfx *a, const bn_##sfx *b)                         \
    {                                                                                       \
        if (a->n != b->n) return a->n < b->n ? -1 : 1;                                      \
        for (size_t i = a->n; i-- > 0;)                                                     \
            if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;                      \
        return 0;                                                                           \
    }                                                                                       \
    static void bn_##sfx##_add(bn_##sfx *r, const bn_##sfx *a, const bn_##sfx *b)           \
    {                                                                                       \
        size_t n = a->n > b->n ? a->n : b->n;                                               \
        D carry = 0;                                                                        \
        bn_##sfx t;                                                                         \
        memset(&t, 0, sizeof t);                                                            \
        for (size_t i = 0; i < n; i++) {                                                    \
            carry += (D)(i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);                \
            t.d[i] = (L)carry;                                                              \
            carry >>= LBITS;                                                                \
        }                                                                                   \
        t.n = n;                                                                            \
        if (carry && n < CAP) t.d[t.n++] = (L)carry;                                        \
        *r = t;                                                                             \
    }                                                                                       \
    /* r = a - b, requires a >= b. */                                                       \
    static void bn_##sfx##_sub(bn_##sfx *r, const bn_##sfx *a, const bn_##sfx *b)           \
    {                                                                                       \
        L borrow = 0;                                                                       \
        bn_##sfx t;                                                                         \
        memset(&t, 0, sizeof t);                                                            \
        for (size_t i = 0; i < a->n; i++) {                                                 \
            L bi = i < b->n ? b->d[i] : 0;                                                  \
            L diff = (L)(a->d[i] - bi - borrow);                                            \
            borrow = (L)(a->d[i] < bi || (a->d[i] == bi && borrow));                        \
            t.d[i] = diff;                                                                  \
        }                                                                                   \
        t.n = a->n;                                                                         \
        bn_##sfx##_norm(&t);                                                                \
        *r = t;                                                                             \
    }                                                                                       \
    static void bn_##sfx##_mul_small(bn_##sfx *a, L m)                                      \
    {                                                                                       \
        D carry = 0;                                                                        \
        for (size_t i = 0; i < a->n; i++) {                                                 \
            carry += (D)a->d[i] * m;                                                        \
            a->d[i] = (L)carry;                                                             \
            carry >>= LBITS;                                                                \
        }                                                                                   \
        if (carry && a->n < CAP) a->d[a->n++] = (L)carry;                                   \
        bn_##sfx##_norm(a);                                                                 \
    }                                                                                       \
    static L bn_##sfx##_divmod_small(bn_##sfx *a, L m)                                      \
    {                                                                                       \
        D rem = 0;                                                                          \
        for (size_t i = a->n; i-- > 0;) {                                                   \
            D cur = rem << LBITS | a->d[i];                                                 \
            a->d[i] = (L)(cur / m);                                                         \
            rem = cur % m;                                                                  \
        }                                                                                   \
        bn_##sfx##_norm(a);                                                                 \
        return (L)rem;                                                                      \
    }                                                                                       \
    /* Schoolbook multiplication (result truncated to capacity). */                        \
    static void bn_##sfx##_mul(bn_##sfx *r, const bn_##sfx *a, const bn_##sfx *b)           \
    {                                                                                       \
        bn_##sfx t;                                                                         \
        memset(&t, 0, sizeof t);                                                            \
        for (size_t i = 0; i < a->n; i++) {                                                 \
            D carry = 0;                                                                    \
            for (size_t j = 0; j < b->n && i + j < CAP; j++) {                              \
                carry += (D)a->d[i] * b->d[j] + t.d[i + j];                                 \
                t.d[i + j] = (L)carry;                                                      \
                carry >>= LBITS;                                                            \
            }                                                                               \
            if (i + b->n < CAP) t.d[i + b->n] = (L)carry;                                   \
        }                                                                                   \
        t.n = a->n + b->n < CAP ? a->n + b->n : CAP;                                        \
        bn_##sfx##_norm(&t);                                                                \
        *r = t;                                                                             \
    }                                                                                       \
    static void bn_##sfx##_shl(bn_##sfx *a, unsigned bits)                                  \
    {                                                                                       \
        size_t limbs = bits / LBITS;                                                        \
        unsigned sh = bits % LBITS;                                                         \
        bn_##sfx t;                                                                         \
        memset(&t, 0, sizeof t);                                                            \
        for (size_t i = 0; i < a->n && i + limbs < CAP; i++) {                              \
            t.d[i + limbs] = (L)(t.d[i + limbs] | (L)(a->d[i] << sh));                      \
            if (sh && i + limbs + 1 < CAP) t.d[i + limbs + 1] = (L)(a->d[i] >> (LBITS - sh)); \
        }                                                                                   \
        t.n = a->n + limbs + 1 < CAP ? a->n + limbs + 1 : CAP;                              \
        bn_##sfx##_norm(&t);                                                                \
        *a = t;                                                                             \
    }                                                                                       \
    static void bn_##sfx##_pow(bn_##sfx *r, const bn_##sfx *base, unsigned e)               \
    {                                                                                       \
        bn_##sfx b = *base, acc;                                                            \
        bn_##sfx##_from_u64(&acc, 1);                                                       \
        while (e) {                                                                         \
            if (e & 1) bn_##sfx##_mul(&acc, &acc, &b);                                      \
            bn_##sfx##_mul(&b, &b, &b);                                                     \
            e >>= 1;                                                                        \
        }                                                                                   \
        *r = acc;                                                                           \
    }                                                                                       \
    /* Decimal conversion, peeling one multi-digit chunk per division. */                 \
    static size_t bn_##sfx##_to_dec(const bn_##sfx *a, char *out, size_t cap)               \
    {                                                                                       \
        bn_##sfx t = *a;                                                                    \
        char tmp[CAP * LBITS / 3 + 2];                                                      \
        size_t n = 0;                                                                       \
        if (t.n == 0) tmp[n++] = '0';                                                       \
        while (t.n) {                                                                       \
            L chunk = bn_##sfx##_divmod_small(&t, (L)(CHUNK));                              \
            for (int k = 0; k < CHUNK_DIGITS; k++) {                                        \
                tmp[n++] = (char)('0' + chunk % 10);                                        \
                chunk = (L)(chunk / 10);                                                    \
                if (t.n == 0 && chunk == 0) break;                                          \
            }                                                                               \
        }                                                                                   \
        size_t len = n < cap ? n : cap - 1;                                                 \
        for (size_t i = 0; i < len; i++) out[i] = tmp[n - 1 - i];                           \
        out[len] = 0;                                                                       \
        return len;                                                                         \
    }                                                                                       \
    static void bn_##sfx##_from_dec(bn_##sfx *a, const char *s)                             \
    {                                                                                       \
        bn_##sfx##_from_u64(a, 0);                                                          \
        for (; *s; s++) {                                                                   \
            bn_##sfx digit;                                                                 \
            bn_##sfx##_mul_small(a, 10);                                                    \
            bn_##sfx##_from_u64(&digit, (uint64_t)(*s - '0'));                              \
            bn_##sfx##_add(a, a, &digit);                                                   \
        }                                                                                   \
    }                                                                                       \
    /* Appends every result as a decimal string to out (separated by '/'). */             \
    static int bn_##sfx##_suite(char *out, size_t cap)                                      \
    {                                                                                       \
        static char buf[CAP * LBITS / 3 + 2];                                               \
        bn_##sfx a, b, c, f0, f1;                                                           \
        size_t o = 0;                                                                       \
        out[0] = 0;                                                                         \
        bn_##sfx##_from_u64(&a, 1);                                                         \
        for (L i = 2; i <= 100; i++) bn_##sfx##_mul_small(&a, i); /* 100! */                \
        o += bn_##sfx##_to_dec(&a, out + o, cap - o);                                       \
        bn_##sfx##_from_u64(&b, 2);                                                         \
        bn_##sfx##_pow(&c, &b, 1000);                                                       \
        bn_##sfx##_from_u64(&a, 1);                                                         \
        bn_##sfx##_shl(&a, 1000);                                                           \
        JT_CHECK(bn_##sfx##_cmp(&a, &c) == 0);                                              \
        out[o++] = '/';                                                                     \
        o += bn_##sfx##_to_dec(&c, out + o, cap - o);                                       \
        bn_##sfx##_from_u64(&f0, 0);                                                        \
        bn_##sfx##_from_u64(&f1, 1);                                                        \
        for (int i = 0; i < 300; i++) {                                                     \
            bn_##sfx##_add(&c, &f0, &f1);                                                   \
            f0 = f1;                                                                        \
            f1 = c;                                                                         \
        }                                                                                   \
        out[o++] = '/';                                                                     \
        o += bn_##sfx##_to_dec(&f0, out + o, cap - o);                                      \
        bn_##sfx##_from_dec(&a, "123456789012345678901234567890123456789");                 \
        bn_##sfx##_from_dec(&b, "987654321098765432109876543210");                          \
        bn_##sfx##_add(&c, &a, &b);                                                         \
        bn_##sfx##_sub(&c, &c, &b);                                                         \
        JT_CHECK(bn_##sfx##_cmp(&c, &a) == 0);                                              \
        bn_##sfx##_mul(&c, &a, &b);                                                         \
        out[o++] = '/';                                                                     \
        o += bn_##sfx##_to_dec(&c, out + o, cap - o);                                       \
        bn_##sfx##_from_dec(&a, "99999999999999999999");                                    \
        bn_##sfx##_mul(&c, &a, &a);                                                         \
        bn_##sfx##_to_dec(&c, buf, sizeof buf);                                             \
        JT_CHECK(strcmp(buf, "9999999999999999999800000000000000000001") == 0);             \
        /* (3^200 - 2^300) round-trips through decimal. */                                  \
        bn_##sfx##_from_u64(&b, 3);                                                         \
        bn_##sfx##_pow(&a, &b, 200);                                                        \
        bn_##sfx##_from_u64(&b, 1);                                                         \
        bn_##sfx##_shl(&b, 300);                                                            \
        bn_##sfx##_sub(&c, &a, &b);                                                         \
        bn_##sfx##_to_dec(&c, buf, sizeof buf);                                             \
        bn_##sfx##_from_dec(&f0, buf);                                                      \
        JT_CHECK(bn_##sfx##_cmp(&f0, &c) == 0);                                             \
        out[o++] = '/';                                                                     \
        o += bn_##sfx##_to_dec(&c, out + o, cap - o);                                       \
        return 0;                                                                           \
    }
BN_TYPES(BN_IMPL)

static unsigned digit_sum(const char *s, char stop)
{
    unsigned sum = 0;
    for (; *s && *s != stop; s++) sum += (unsigned)(*s - '0');
    return sum;
}

int bigint_selftest(uint64_t *digest)
{
    static char r16[2048], r32[2048], r64[2048];
    if (bn_l16_suite(r16, sizeof r16) || bn_l32_suite(r32, sizeof r32) || bn_l64_suite(r64, sizeof r64)) return 1;
    JT_CHECK(strcmp(r16, r32) == 0 && strcmp(r32, r64) == 0);

    const char *fact = r32, *pow2 = strchr(fact, '/') + 1, *fib = strchr(pow2, '/') + 1;
    const char *prod = strchr(fib, '/') + 1;
    JT_CHECK(strncmp(fact, "93326215443944152681", 20) == 0 && digit_sum(fact, '/') == 648);
    JT_CHECK(pow2 - fact == 159 && digit_sum(pow2, '/') == 1366);
    JT_CHECK(strncmp(fib, "222232244629420445529739893461909967206666939096499764990979600/", 64) == 0);
    JT_CHECK(strncmp(prod, "121932631137021795226185032733744855963362292333223746380111126352690/", 70) == 0);
    for (const char *p = r64; *p; p++) *digest = jt_digest(*digest, (uint64_t)(unsigned char)*p);
    return 0;
}
