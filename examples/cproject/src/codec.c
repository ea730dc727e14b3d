/* Binary-to-text codecs: hex, base64 (standard and URL-safe), base32, Z85. */
#include "common.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char z85_alpha[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

static size_t hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
    return 2 * n;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long hex_decode(const char *in, uint8_t *out)
{
    size_t n = strlen(in);
    if (n & 1) return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

static size_t b64_encode(const uint8_t *in, size_t n, char *out, const char *alpha, int pad)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad) out[o++] = '=';
    }
    out[o] = 0;
    return o;
}

static long b64_decode(const char *in, uint8_t *out, const char *alpha)
{
    int8_t rev[256];
    memset(rev, -1, sizeof rev);
    for (int i = 0; i < 64; i++) rev[(unsigned char)alpha[i]] = (int8_t)i;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in && *in != '='; in++) {
        int v = rev[(unsigned char)*in];
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

static size_t b32_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alpha[(acc >> bits) & 31];
        }
    }
    if (bits) out[o++] = b32_alpha[(acc << (5 - bits)) & 31];
    while (o % 8) out[o++] = '=';
    out[o] = 0;
    return o;
}

static long b32_decode(const char *in, uint8_t *out)
{
    uint64_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in && *in != '='; in++) {
        const char *p = strchr(b32_alpha, *in);
        if (!p || !*in) return -1;
        acc = acc << 5 | (uint64_t)(p - b32_alpha);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

/* ZeroMQ Z85: 4 bytes -> 5 characters; length must be a multiple of 4. */
static long z85_encode(const uint8_t *in, size_t n, char *out)
{
    if (n % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 | (uint32_t)in[i + 2] << 8 | in[i + 3];
        for (int k = 4; k >= 0; k--) {
            out[o + (size_t)k] = z85_alpha[v % 85];
            v /= 85;
        }
        o += 5;
    }
    out[o] = 0;
    return (long)o;
}

static long z85_decode(const char *in, uint8_t *out)
{
    size_t n = strlen(in);
    if (n % 5) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 5) {
        uint64_t v = 0;
        for (int k = 0; k < 5; k++) {
            const char *p = strchr(z85_alpha, in[i + (size_t)k]);
            if (!p) return -1;
            v = v * 85 + (uint64_t)(p - z85_alpha);
        }
        if (v > 0xFFFFFFFFu) return -1;
        out[o++] = (uint8_t)(v >> 24);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    return (long)o;
}

int codec_selftest(uint64_t *digest)
{
    static const struct {
        const char *plain, *b64, *b32;
    } rfc4648[] = {
        {"", "", ""},
        {"f", "Zg==", "MY======"},
        {"fo", "Zm8=", "MZXQ===="},
        {"foo", "Zm9v", "MZXW6==="},
        {"foob", "Zm9vYg==", "MZXW6YQ="},
        {"fooba", "Zm9vYmE=", "MZXW6YTB"},
        {"foobar", "Zm9vYmFy", "MZXW6YTBOI======"},
    };
    char text[512];
    uint8_t bin[256], back[256];
    for (size_t i = 0; i < JT_ARRAY_LEN(rfc4648); i++) {
        const uint8_t *p = (const uint8_t *)rfc4648[i].plain;
        size_t n = strlen(rfc4648[i].plain);
        b64_encode(p, n, text, b64_std, 1);
        JT_CHECK(strcmp(text, rfc4648[i].b64) == 0);
        JT_CHECK(b64_decode(text, back, b64_std) == (long)n && memcmp(back, p, n) == 0);
        b32_encode(p, n, text);
        JT_CHECK(strcmp(text, rfc4648[i].b32) == 0);
        JT_CHECK(b32_decode(text, back) == (long)n && memcmp(back, p, n) == 0);
    }
    static const uint8_t z85_vec[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    JT_CHECK(z85_encode(z85_vec, 8, text) == 10 && strcmp(text, "HelloWorld") == 0);
    JT_CHECK(z85_decode("HelloWorld", back) == 8 && memcmp(back, z85_vec, 8) == 0);

    jt_rng r = {99};
    for (size_t n = 0; n < 200; n += 7) {
        for (size_t i = 0; i < n; i++) bin[i] = (uint8_t)jt_rng_next(&r);
        hex_encode(bin, n, text);
        JT_CHECK(hex_decode(text, back) == (long)n && memcmp(back, bin, n) == 0);
        b64_encode(bin, n, text, b64_url, 0);
        JT_CHECK(strchr(text, '+') == NULL && strchr(text, '/') == NULL);
        JT_CHECK(b64_decode(text, back, b64_url) == (long)n && memcmp(back, bin, n) == 0);
        b32_encode(bin, n, text);
        JT_CHECK(b32_decode(text, back) == (long)n && memcmp(back, bin, n) == 0);
        size_t n4 = n & ~(size_t)3;
        z85_encode(bin, n4, text);
        JT_CHECK(z85_decode(text, back) == (long)n4 && memcmp(back, bin, n4) == 0);
        *digest = jt_digest(*digest, strlen(text));
        *digest = jt_digest(*digest, (uint64_t)(unsigned char)text[0]);
    }
    JT_CHECK(hex_decode("zz", back) < 0);
    JT_CHECK(b64_decode("ab$d", back, b64_std) < 0);
    return 0;
}
