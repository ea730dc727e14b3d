/* A catalogue of CRC algorithms (parameters as in the RevEng catalogue),
 * each stamped out with bit-at-a-time, nibble-table, byte-table and (for
 * reflected CRCs) slicing-by-4 implementations; plus Adler-32, Fletcher
 * and the Internet checksum. */
#include "common.h"

/* (name, register type, width, normal polynomial, init, reflected, xorout, check) */
#define CRC_CATALOG(X)                                                                 \
    X(crc8_smbus, uint8_t, 8, 0x07, 0x00, 0, 0x00, 0xF4)                              \
    X(crc8_maxim, uint8_t, 8, 0x31, 0x00, 1, 0x00, 0xA1)                              \
    X(crc8_autosar, uint8_t, 8, 0x2F, 0xFF, 0, 0xFF, 0xDF)                            \
    X(crc8_rohc, uint8_t, 8, 0x07, 0xFF, 1, 0x00, 0xD0)                               \
    X(crc8_wcdma, uint8_t, 8, 0x9B, 0x00, 1, 0x00, 0x25)                              \
    X(crc8_dvbs2, uint8_t, 8, 0xD5, 0x00, 0, 0x00, 0xBC)                              \
    X(crc16_arc, uint16_t, 16, 0x8005, 0x0000, 1, 0x0000, 0xBB3D)                     \
    X(crc16_ibm3740, uint16_t, 16, 0x1021, 0xFFFF, 0, 0x0000, 0x29B1)                 \
    X(crc16_xmodem, uint16_t, 16, 0x1021, 0x0000, 0, 0x0000, 0x31C3)                  \
    X(crc16_kermit, uint16_t, 16, 0x1021, 0x0000, 1, 0x0000, 0x2189)                  \
    X(crc16_modbus, uint16_t, 16, 0x8005, 0xFFFF, 1, 0x0000, 0x4B37)                  \
    X(crc16_x25, uint16_t, 16, 0x1021, 0xFFFF, 1, 0xFFFF, 0x906E)                     \
    X(crc16_umts, uint16_t, 16, 0x8005, 0x0000, 0, 0x0000, 0xFEE8)                    \
    X(crc16_dnp, uint16_t, 16, 0x3D65, 0x0000, 1, 0xFFFF, 0xEA82)                     \
    X(crc16_usb, uint16_t, 16, 0x8005, 0xFFFF, 1, 0xFFFF, 0xB4C8)                     \
    X(crc16_genibus, uint16_t, 16, 0x1021, 0xFFFF, 0, 0xFFFF, 0xD64E)                 \
    X(crc32_isohdlc, uint32_t, 32, 0x04C11DB7, 0xFFFFFFFF, 1, 0xFFFFFFFF, 0xCBF43926) \
    X(crc32_iscsi, uint32_t, 32, 0x1EDC6F41, 0xFFFFFFFF, 1, 0xFFFFFFFF, 0xE3069283)   \
    X(crc32_bzip2, uint32_t, 32, 0x04C11DB7, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0xFC891918)   \
    X(crc32_mpeg2, uint32_t, 32, 0x04C11DB7, 0xFFFFFFFF, 0, 0x00000000, 0x0376E6E7)   \
    X(crc32_cksum, uint32_t, 32, 0x04C11DB7, 0x00000000, 0, 0xFFFFFFFF, 0x765E7680)   \
    X(crc32_jamcrc, uint32_t, 32, 0x04C11DB7, 0xFFFFFFFF, 1, 0x00000000, 0x340BC6D9)  \
    X(crc32_aixm, uint32_t, 32, 0x814141AB, 0x00000000, 0, 0x00000000, 0x3010BF7F)    \
    X(crc32_base91d, uint32_t, 32, 0xA833982B, 0xFFFFFFFF, 1, 0xFFFFFFFF, 0x87315576) \
    X(crc64_xz, uint64_t, 64, 0x42F0E1EBA9EA3693, ~0ull, 1, ~0ull, 0x995DC9BBDF1939FA) \
    X(crc64_ecma182, uint64_t, 64, 0x42F0E1EBA9EA3693, 0, 0, 0, 0x6C40DF5F0B497347)   \
    X(crc64_goiso, uint64_t, 64, 0x1B, ~0ull, 1, ~0ull, 0xB90956C775A41001)           \
    X(crc64_we, uint64_t, 64, 0x42F0E1EBA9EA3693, ~0ull, 0, ~0ull, 0x62EC59E3F1A4F00A)

static uint64_t reflect_bits(uint64_t v, int width)
{
    uint64_t r = 0;
    for (int i = 0; i < width; i++)
        if (v >> i & 1) r |= 1ull << (width - 1 - i);
    return r;
}

static inline uint32_t read32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define CRC_IMPL(name, T, W, POLY, INIT, REF, XOROUT, CHECK)                               \
    static T name##_tab[256], name##_nib[16];                                              \
    static uint64_t name##_s4[4][256];                                                     \
    /* One input byte, one bit at a time (the reference definition). */                   \
    static inline T name##_bits(T crc, uint8_t b)                                          \
    {                                                                                      \
        const T rpoly = (T)reflect_bits((uint64_t)(POLY), W);                              \
        if (REF) {                                                                         \
            crc = (T)(crc ^ b);                                                            \
            for (int k = 0; k < 8; k++) crc = (T)((crc >> 1) ^ (rpoly & (T)(0 - (crc & 1)))); \
        } else {                                                                           \
            crc = (T)(crc ^ (T)((T)b << (W - 8)));                                         \
            for (int k = 0; k < 8; k++)                                                    \
                crc = (T)((T)(crc << 1) ^ ((T)(POLY) & (T)(0 - ((crc >> (W - 1)) & 1))));  \
        }                                                                                  \
        return crc;                                                                        \
    }                                                                                      \
    static void name##_init(void)                                                          \
    {                                                                                      \
        const T rpoly = (T)reflect_bits((uint64_t)(POLY), W);                              \
        for (unsigned i = 0; i < 256; i++)                                                 \
            name##_tab[i] = name##_bits((T)(REF ? i : 0), (uint8_t)(REF ? 0 : i));         \
        for (unsigned i = 0; i < 16; i++) {                                                \
            T c = REF ? (T)i : (T)((T)i << (W - 4));                                       \
            for (int k = 0; k < 4; k++)                                                    \
                c = REF ? (T)((c >> 1) ^ (rpoly & (T)(0 - (c & 1))))                        \
                        : (T)((T)(c << 1) ^ ((T)(POLY) & (T)(0 - ((c >> (W - 1)) & 1))));  \
            name##_nib[i] = c;                                                             \
        }                                                                                  \
        for (unsigned i = 0; i < 256; i++) name##_s4[0][i] = name##_tab[i];                \
        for (int t = 1; t < 4; t++)                                                        \
            for (unsigned i = 0; i < 256; i++)                                             \
                name##_s4[t][i] = (name##_s4[t - 1][i] >> 8) ^ name##_tab[name##_s4[t - 1][i] & 0xFF]; \
    }                                                                                      \
    static T name##_update_bits(T crc, const uint8_t *p, size_t n)                         \
    {                                                                                      \
        for (size_t i = 0; i < n; i++) crc = name##_bits(crc, p[i]);                       \
        return crc;                                                                        \
    }                                                                                      \
    static T name##_update_table(T crc, const uint8_t *p, size_t n)                        \
    {                                                                                      \
        for (size_t i = 0; i < n; i++) {                                                   \
            if (REF)                                                                       \
                crc = (T)(name##_tab[(crc ^ p[i]) & 0xFF] ^ (crc >> 8));                   \
            else                                                                           \
                crc = (T)((T)(crc << 8) ^ name##_tab[((crc >> (W - 8)) ^ p[i]) & 0xFF]);   \
        }                                                                                  \
        return crc;                                                                        \
    }                                                                                      \
    static T name##_update_nibble(T crc, const uint8_t *p, size_t n)                       \
    {                                                                                      \
        for (size_t i = 0; i < n; i++) {                                                   \
            if (REF) {                                                                     \
                crc = (T)(name##_nib[(crc ^ p[i]) & 0xF] ^ (crc >> 4));                    \
                crc = (T)(name##_nib[(crc ^ (p[i] >> 4)) & 0xF] ^ (crc >> 4));             \
            } else {                                                                       \
                crc = (T)((T)(crc << 4) ^ name##_nib[((crc >> (W - 4)) ^ (p[i] >> 4)) & 0xF]); \
                crc = (T)((T)(crc << 4) ^ name##_nib[((crc >> (W - 4)) ^ p[i]) & 0xF]);    \
            }                                                                              \
        }                                                                                  \
        return crc;                                                                        \
    }                                                                                      \
    /* Slicing-by-4 (reflected CRCs only; others fall back to the byte table). */         \
    static T name##_update_slice4(T crc, const uint8_t *p, size_t n)                       \
    {                                                                                      \
        if (!REF) return name##_update_table(crc, p, n);                                   \
        uint64_t c = crc;                                                                  \
        while (n >= 4) {                                                                   \
            c ^= read32le(p);                                                              \
            c = (c >> 32) ^ name##_s4[3][c & 0xFF] ^ name##_s4[2][(c >> 8) & 0xFF] ^       \
                name##_s4[1][(c >> 16) & 0xFF] ^ name##_s4[0][(c >> 24) & 0xFF];           \
            p += 4;                                                                        \
            n -= 4;                                                                        \
        }                                                                                  \
        return name##_update_table((T)c, p, n);                                            \
    }                                                                                      \
    static T name##_final(T crc) { return (T)(crc ^ (T)(XOROUT)); }                       \
    static inline T name##_compute(const void *data, size_t n)                             \
    {                                                                                      \
        return name##_final(name##_update_slice4((T)(INIT), data, n));                     \
    }                                                                                      \
    static int name##_test(const uint8_t *buf, size_t len, uint64_t *digest)               \
    {                                                                                      \
        const uint8_t *chk = (const uint8_t *)"123456789";                                 \
        const T check = (T)(CHECK);                                                        \
        name##_init();                                                                     \
        T got = name##_final(name##_update_bits((T)(INIT), chk, 9));                       \
        JT_CHECK(got == check);                                                            \
        got = name##_final(name##_update_table((T)(INIT), chk, 9));                        \
        JT_CHECK(got == check);                                                            \
        got = name##_final(name##_update_nibble((T)(INIT), chk, 9));                       \
        JT_CHECK(got == check);                                                            \
        got = name##_compute(chk, 9);                                                      \
        JT_CHECK(got == check);                                                            \
        T whole = name##_compute(buf, len);                                                \
        got = name##_final(name##_update_bits((T)(INIT), buf, len));                       \
        JT_CHECK(got == whole);                                                            \
        got = name##_final(name##_update_nibble((T)(INIT), buf, len));                     \
        JT_CHECK(got == whole);                                                            \
        for (size_t cut = 0; cut < 40; cut += 3) { /* incremental == one shot */           \
            T c = name##_update_slice4((T)(INIT), buf, cut);                               \
            got = name##_final(name##_update_table(c, buf + cut, len - cut));              \
            JT_CHECK(got == whole);                                                        \
        }                                                                                  \
        *digest = jt_digest(*digest, (uint64_t)whole);                                     \
        return 0;                                                                          \
    }
CRC_CATALOG(CRC_IMPL)

static uint32_t adler32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t a = 1, b = 0;
    while (n > 0) {
        size_t chunk = n < 5552 ? n : 5552; /* largest block without overflow */
        n -= chunk;
        while (chunk--) {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return b << 16 | a;
}

static uint16_t fletcher16(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s1 = (s1 + p[i]) % 255;
        s2 = (s2 + s1) % 255;
    }
    return (uint16_t)(s2 << 8 | s1);
}

static uint32_t fletcher32(const uint16_t *w, size_t words)
{
    uint32_t s1 = 0xFFFF, s2 = 0xFFFF;
    while (words) {
        size_t chunk = words > 359 ? 359 : words;
        words -= chunk;
        do {
            s1 += *w++;
            s2 += s1;
        } while (--chunk);
        s1 = (s1 & 0xFFFF) + (s1 >> 16);
        s2 = (s2 & 0xFFFF) + (s2 >> 16);
    }
    s1 = (s1 & 0xFFFF) + (s1 >> 16);
    s2 = (s2 & 0xFFFF) + (s2 >> 16);
    return s2 << 16 | s1;
}

/* Internet checksum (RFC 1071). */
static uint16_t inet_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

int crc_selftest(uint64_t *digest)
{
    static uint8_t buf[3000];
    jt_rng r = {42};
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)jt_rng_next(&r);
#define CRC_RUN(name, T, W, POLY, INIT, REF, XOROUT, CHECK) \
    if (name##_test(buf, sizeof buf, digest)) return 1;
    CRC_CATALOG(CRC_RUN)
#undef CRC_RUN

    JT_CHECK(adler32("Wikipedia", 9) == 0x11E60398u);
    JT_CHECK(fletcher16("abcde", 5) == 0xC8F0);

    /* A packet with its own checksum appended sums to zero. */
    uint8_t pkt[20];
    memcpy(pkt, buf, 18);
    pkt[18] = pkt[19] = 0;
    uint16_t ck = inet_checksum(pkt, 20);
    pkt[18] = (uint8_t)(ck >> 8);
    pkt[19] = (uint8_t)ck;
    JT_CHECK(inet_checksum(pkt, 20) == 0);

    uint16_t words[512];
    memcpy(words, buf, sizeof words);
    *digest = jt_digest(*digest, adler32(buf, sizeof buf));
    *digest = jt_digest(*digest, fletcher32(words, 512));
    return 0;
}
