/* Non-cryptographic and keyed hash functions. */
#include "common.h"

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint32_t read32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t read64le(const uint8_t *p)
{
    return (uint64_t)read32le(p) | (uint64_t)read32le(p + 4) << 32;
}

uint32_t hash_fnv1a32(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 0x811C9DC5u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

uint64_t hash_fnv1a64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

uint32_t hash_djb2(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 5381;
    for (size_t i = 0; i < len; i++) h = h * 33 + p[i];
    return h;
}

uint32_t hash_sdbm(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++) h = p[i] + (h << 6) + (h << 16) - h;
    return h;
}

uint32_t hash_one_at_a_time(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t h = 0;
    for (size_t i = 0; i < len; i++) {
        h += p[i];
        h += h << 10;
        h ^= h >> 6;
    }
    h += h << 3;
    h ^= h >> 11;
    h += h << 15;
    return h;
}

uint32_t hash_murmur3_32(const void *data, size_t len, uint32_t seed)
{
    const uint8_t *p = data;
    const uint32_t c1 = 0xCC9E2D51u, c2 = 0x1B873593u;
    uint32_t h = seed;
    size_t nblocks = len / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k = read32le(p + 4 * i);
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xE6546B64u;
    }
    const uint8_t *tail = p + 4 * nblocks;
    uint32_t k = 0;
    switch (len & 3) {
    case 3:
        k ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

#define XXH_P1 0x9E3779B1u
#define XXH_P2 0x85EBCA77u
#define XXH_P3 0xC2B2AE3Du
#define XXH_P4 0x27D4EB2Fu
#define XXH_P5 0x165667B1u

static inline uint32_t xxh32_round(uint32_t acc, uint32_t input)
{
    acc += input * XXH_P2;
    acc = rotl32(acc, 13);
    return acc * XXH_P1;
}

uint32_t hash_xxh32(const void *data, size_t len, uint32_t seed)
{
    const uint8_t *p = data, *end = p + len;
    uint32_t h;
    if (len >= 16) {
        uint32_t v1 = seed + XXH_P1 + XXH_P2, v2 = seed + XXH_P2, v3 = seed, v4 = seed - XXH_P1;
        const uint8_t *limit = end - 16;
        do {
            v1 = xxh32_round(v1, read32le(p));
            v2 = xxh32_round(v2, read32le(p + 4));
            v3 = xxh32_round(v3, read32le(p + 8));
            v4 = xxh32_round(v4, read32le(p + 12));
            p += 16;
        } while (p <= limit);
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + XXH_P5;
    }
    h += (uint32_t)len;
    while (p + 4 <= end) {
        h += read32le(p) * XXH_P3;
        h = rotl32(h, 17) * XXH_P4;
        p += 4;
    }
    while (p < end) {
        h += (*p++) * XXH_P5;
        h = rotl32(h, 11) * XXH_P1;
    }
    h ^= h >> 15;
    h *= XXH_P2;
    h ^= h >> 13;
    h *= XXH_P3;
    h ^= h >> 16;
    return h;
}

#define SIPROUND                                                     \
    do {                                                             \
        v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32); \
        v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                       \
        v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                       \
        v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32); \
    } while (0)

/* SipHash-2-4 with a 128-bit key. */
uint64_t hash_siphash24(const void *data, size_t len, const uint8_t key[16])
{
    const uint8_t *p = data;
    uint64_t k0 = read64le(key), k1 = read64le(key + 8);
    uint64_t v0 = 0x736F6D6570736575ull ^ k0;
    uint64_t v1 = 0x646F72616E646F6Dull ^ k1;
    uint64_t v2 = 0x6C7967656E657261ull ^ k0;
    uint64_t v3 = 0x7465646279746573ull ^ k1;
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++) {
        uint64_t m = read64le(p + 8 * i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    const uint8_t *tail = p + 8 * blocks;
    for (size_t i = 0; i < (len & 7); i++) b |= (uint64_t)tail[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xFF;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* Integer hash finalisers for each integer width. */
#define HASH_INT_IMPL(sfx, T)                                              \
    static inline uint64_t hash_int_##sfx(T v)                             \
    {                                                                      \
        uint64_t x = (uint64_t)v;                                          \
        x ^= x >> 33;                                                      \
        x *= 0xFF51AFD7ED558CCDull;                                        \
        x ^= x >> 33;                                                      \
        x *= 0xC4CEB9FE1A85EC53ull;                                        \
        x ^= x >> 33;                                                      \
        return x;                                                          \
    }                                                                      \
    /* Collision count over a small range: a good mixer has none. */       \
    static inline unsigned hash_collisions_##sfx(unsigned buckets_log2)   \
    {                                                                      \
        uint8_t seen[1024] = {0};                                          \
        unsigned coll = 0, mask = (1u << buckets_log2) - 1;                \
        for (unsigned i = 0; i < 100; i++) {                               \
            unsigned b = (unsigned)(hash_int_##sfx((T)i) & mask);          \
            coll += seen[b];                                               \
            seen[b] = 1;                                                   \
        }                                                                  \
        return coll;                                                       \
    }
JT_INT_TYPES(HASH_INT_IMPL)

/* Universal hash families per key width: multiply-add-shift (Dietzfelbinger)
 * and simple tabulation hashing, with a chi-square bucket test on
 * sequential keys (the classic failure mode of weak hashes). */
#define HASHFAM_IMPL(sfx, T)                                                           \
    typedef struct {                                                                   \
        uint64_t a, b;                                                                 \
        uint32_t tab[sizeof(T)][256];                                                  \
    } hfam_##sfx;                                                                      \
    static void hfam_##sfx##_seed(hfam_##sfx *h, uint64_t seed)                        \
    {                                                                                  \
        jt_rng r = {seed};                                                             \
        h->a = jt_rng_next(&r) | 1;                                                    \
        h->b = jt_rng_next(&r);                                                        \
        for (size_t i = 0; i < sizeof(T); i++)                                         \
            for (size_t j = 0; j < 256; j++) h->tab[i][j] = (uint32_t)jt_rng_next(&r); \
    }                                                                                  \
    /* Top `bits` bits of a*x + b computed in double width. */                       \
    static inline uint32_t hfam_##sfx##_mshift(const hfam_##sfx *h, T key, int bits)  \
    {                                                                                  \
        unsigned __int128 v = (unsigned __int128)h->a * (uint64_t)key + h->b;          \
        return (uint32_t)((uint64_t)v >> (64 - bits));                                 \
    }                                                                                  \
    static inline uint32_t hfam_##sfx##_tab(const hfam_##sfx *h, T key)               \
    {                                                                                  \
        uint64_t k = (uint64_t)key;                                                    \
        uint32_t v = 0;                                                                \
        for (size_t i = 0; i < sizeof(T); i++) v ^= h->tab[i][(k >> (8 * i)) & 0xFF];  \
        return v;                                                                      \
    }                                                                                  \
    static double chi_square_##sfx(const uint32_t *counts, size_t buckets, size_t n)  \
    {                                                                                  \
        double expect = (double)n / (double)buckets, chi = 0;                          \
        for (size_t b = 0; b < buckets; b++) {                                         \
            double d = counts[b] - expect;                                             \
            chi += d * d / expect;                                                     \
        }                                                                              \
        return chi;                                                                    \
    }                                                                                  \
    static int hfam_##sfx##_test(uint64_t *digest)                                     \
    {                                                                                  \
        enum { B = 64, KEYS = 8192 };                                                  \
        static hfam_##sfx h;                                                           \
        uint32_t c1[B] = {0}, c2[B] = {0}, c3[B] = {0};                                \
        hfam_##sfx##_seed(&h, sizeof(T) * 1000 + 7);                                   \
        const size_t nkeys = sizeof(T) == 1 ? 256 : KEYS; /* distinct keys only */    \
        for (uint64_t i = 0; i < nkeys; i++) {                                         \
            T key = (T)(i * 3);                                                        \
            c1[hfam_##sfx##_mshift(&h, key, 6)]++;                                     \
            c2[hfam_##sfx##_tab(&h, key) % B]++;                                       \
            c3[hash_int_##sfx(key) % B]++;                                             \
        }                                                                              \
        /* 63 degrees of freedom: 120 is far in the tail. */                           \
        JT_CHECK(chi_square_##sfx(c1, B, nkeys) < 120);                                 \
        JT_CHECK(chi_square_##sfx(c2, B, nkeys) < 120);                                 \
        JT_CHECK(chi_square_##sfx(c3, B, nkeys) < 120);                                 \
        /* Pairwise collision probability of random distinct keys ~ 1/B. */            \
        jt_rng r = {sizeof(T)};                                                        \
        unsigned coll_ms = 0, coll_tab = 0, pairs = 20000;                             \
        for (unsigned i = 0; i < pairs; i++) {                                         \
            T x = (T)jt_rng_next(&r), y = (T)jt_rng_next(&r);                          \
            if (x == y) y = (T)(y + 1);                                                \
            coll_ms += hfam_##sfx##_mshift(&h, x, 6) == hfam_##sfx##_mshift(&h, y, 6); \
            coll_tab += (hfam_##sfx##_tab(&h, x) % B) == (hfam_##sfx##_tab(&h, y) % B); \
        }                                                                              \
        JT_CHECK(coll_ms < 2 * pairs / B && coll_tab < 2 * pairs / B);                 \
        *digest = jt_digest(*digest, coll_ms * 65536u + coll_tab);                     \
        return 0;                                                                      \
    }
JT_INT_TYPES(HASHFAM_IMPL)

int hash_selftest(uint64_t *digest)
{
    static const char abc[] = "abc";
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    JT_CHECK(hash_fnv1a32("a", 1) == 0xE40C292Cu);
    JT_CHECK(hash_fnv1a64("a", 1) == 0xAF63DC4C8601EC8Cull);
    JT_CHECK(hash_fnv1a32("", 0) == 0x811C9DC5u);
    JT_CHECK(hash_murmur3_32("", 0, 0) == 0);
    JT_CHECK(hash_murmur3_32("hello", 5, 0) == 0x248BFA47u);
    JT_CHECK(hash_xxh32("", 0, 0) == 0x02CC5D05u);
    JT_CHECK(hash_djb2("", 0) == 5381);
    JT_CHECK(hash_one_at_a_time("a", 1) == 0xCA2E9442u);

    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
    JT_CHECK(hash_siphash24(msg, 15, key) == 0xA129CA6149BE45E5ull);
    JT_CHECK(hash_siphash24(msg, 0, key) == 0x726FDB47DD0E0E31ull);

    /* Avalanche sanity: flipping one input bit flips roughly half the output. */
    unsigned flips = 0;
    for (size_t i = 0; i < 8 * sizeof fox - 8; i++) {
        char buf[sizeof fox];
        memcpy(buf, fox, sizeof fox);
        buf[i / 8] ^= (char)(1 << (i % 8));
        flips += (unsigned)__builtin_popcount(hash_murmur3_32(buf, sizeof fox - 1, 7) ^
                                              hash_murmur3_32(fox, sizeof fox - 1, 7));
    }
    JT_CHECK(flips > 12 * (8 * sizeof fox - 8) && flips < 20 * (8 * sizeof fox - 8));

#define HASH_INT_RUN(sfx, T)                    \
    JT_CHECK(hash_collisions_##sfx(10) < 12);   \
    if (hfam_##sfx##_test(digest)) return 1;
    JT_INT_TYPES(HASH_INT_RUN)
#undef HASH_INT_RUN

    *digest = jt_digest(*digest, hash_fnv1a64(fox, sizeof fox - 1));
    *digest = jt_digest(*digest, hash_djb2(fox, sizeof fox - 1));
    *digest = jt_digest(*digest, hash_sdbm(abc, 3));
    *digest = jt_digest(*digest, hash_xxh32(fox, sizeof fox - 1, 1));
    *digest = jt_digest(*digest, hash_siphash24(fox, sizeof fox - 1, key));
    return 0;
}
