/* SHA-512 family (FIPS 180-4): SHA-512, SHA-384, SHA-512/t with the IV
 * generation function, and HMAC-SHA-512 (RFC 4231). */
#include "common.h"

typedef struct {
    uint64_t h[8];
    uint8_t buf[128];
    uint64_t total;
    size_t used;
} sha512_ctx;

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull,
    0x3956c25bf348b538ull, 0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull,
    0xd807aa98a3030242ull, 0x12835b0145706fbeull, 0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull,
    0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull, 0xc19bf174cf692694ull,
    0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
    0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull,
    0x983e5152ee66dfabull, 0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull,
    0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull, 0x06ca6351e003826full, 0x142929670a0e6e70ull,
    0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull, 0x53380d139d95b3dfull,
    0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
    0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull,
    0xd192e819d6ef5218ull, 0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull,
    0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull, 0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull,
    0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull, 0x682e6ff3d6b2b8a3ull,
    0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull,
    0xca273eceea26619cull, 0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull,
    0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull, 0x113f9804bef90daeull, 0x1b710b35131c471bull,
    0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull, 0x431d67c49c100d4cull,
    0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

static const uint64_t IV512[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
                                  0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                                  0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};
static const uint64_t IV384[8] = {0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull, 0x9159015a3070dd17ull,
                                  0x152fecd8f70e5939ull, 0x67332667ffc00b31ull, 0x8eb44a8768581511ull,
                                  0xdb0c2e0d64f98fa7ull, 0x47b5481dbefa4fa4ull};

static inline uint64_t ror64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define SHA512_ROUND(a, b, c, d, e, f, g, h, i)                                                    \
    do {                                                                                           \
        uint64_t t1 = h + (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) + ((e & f) ^ (~e & g)) + K512[i] + w[i]; \
        uint64_t t2 = (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c)); \
        d += t1;                                                                                   \
        h = t1 + t2;                                                                               \
    } while (0)

static void sha512_block(uint64_t st[8], const uint8_t *p)
{
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = v << 8 | p[8 * i + k];
        w[i] = v;
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 80; i += 8) {
        SHA512_ROUND(a, b, c, d, e, f, g, h, i + 0);
        SHA512_ROUND(h, a, b, c, d, e, f, g, i + 1);
        SHA512_ROUND(g, h, a, b, c, d, e, f, i + 2);
        SHA512_ROUND(f, g, h, a, b, c, d, e, i + 3);
        SHA512_ROUND(e, f, g, h, a, b, c, d, i + 4);
        SHA512_ROUND(d, e, f, g, h, a, b, c, i + 5);
        SHA512_ROUND(c, d, e, f, g, h, a, b, i + 6);
        SHA512_ROUND(b, c, d, e, f, g, h, a, i + 7);
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
    st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void sha512_init_iv(sha512_ctx *c, const uint64_t iv[8])
{
    memcpy(c->h, iv, sizeof c->h);
    c->total = 0;
    c->used = 0;
}

static void sha512_update(sha512_ctx *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    c->total += n;
    if (c->used) {
        size_t take = 128 - c->used < n ? 128 - c->used : n;
        memcpy(c->buf + c->used, p, take);
        c->used += take;
        p += take;
        n -= take;
        if (c->used < 128) return;
        sha512_block(c->h, c->buf);
        c->used = 0;
    }
    for (; n >= 128; p += 128, n -= 128) sha512_block(c->h, p);
    memcpy(c->buf, p, n);
    c->used = n;
}

static void sha512_final(sha512_ctx *c, uint8_t *out, size_t outlen)
{
    uint64_t bits = c->total * 8;
    uint8_t pad[256] = {0x80};
    size_t padlen = (c->used < 112 ? 112 : 240) - c->used;
    uint8_t len[16] = {0};
    for (int i = 0; i < 8; i++) len[8 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha512_update(c, pad, padlen);
    sha512_update(c, len, 16);
    for (size_t i = 0; i < outlen; i++) out[i] = (uint8_t)(c->h[i / 8] >> (56 - 8 * (i % 8)));
}

/* FIPS 180-4 5.3.6: IV for SHA-512/t is SHA-512 (with a modified IV) of
 * the string "SHA-512/t". */
static void sha512t_iv(unsigned t, uint64_t iv[8])
{
    uint64_t mod[8];
    for (int i = 0; i < 8; i++) mod[i] = IV512[i] ^ 0xa5a5a5a5a5a5a5a5ull;
    char name[16];
    size_t n = 0;
    memcpy(name, "SHA-512/", 8);
    n = 8;
    char digits[4];
    size_t nd = 0;
    do {
        digits[nd++] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    while (nd) name[n++] = digits[--nd];
    sha512_ctx c;
    sha512_init_iv(&c, mod);
    sha512_update(&c, name, n);
    uint8_t out[64];
    sha512_final(&c, out, 64);
    for (int i = 0; i < 8; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = v << 8 | out[8 * i + k];
        iv[i] = v;
    }
}

static void hmac_sha512(const uint8_t *key, size_t klen, const void *msg, size_t n, uint8_t out[64])
{
    uint8_t k[128] = {0}, pad[128], inner[64];
    sha512_ctx c;
    if (klen > 128) {
        sha512_init_iv(&c, IV512);
        sha512_update(&c, key, klen);
        sha512_final(&c, k, 64);
    } else {
        memcpy(k, key, klen);
    }
    for (int i = 0; i < 128; i++) pad[i] = k[i] ^ 0x36;
    sha512_init_iv(&c, IV512);
    sha512_update(&c, pad, 128);
    sha512_update(&c, msg, n);
    sha512_final(&c, inner, 64);
    for (int i = 0; i < 128; i++) pad[i] = k[i] ^ 0x5c;
    sha512_init_iv(&c, IV512);
    sha512_update(&c, pad, 128);
    sha512_update(&c, inner, 64);
    sha512_final(&c, out, 64);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = 0;
}

static void digest_hex(const uint64_t iv[8], size_t outlen, const void *msg, size_t n, char *out)
{
    sha512_ctx c;
    uint8_t md[64];
    sha512_init_iv(&c, iv);
    sha512_update(&c, msg, n);
    sha512_final(&c, md, outlen);
    hex(md, outlen, out);
}

int sha512_selftest(uint64_t *digest)
{
    char out[129];
    uint64_t iv256[8], iv224[8];
    digest_hex(IV512, 64, "abc", 3, out);
    JT_CHECK(strcmp(out, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f") == 0);
    digest_hex(IV512, 64, "", 0, out);
    JT_CHECK(strncmp(out, "cf83e1357eefb8bdf1542850d66d8007", 32) == 0);
    digest_hex(IV384, 48, "abc", 3, out);
    JT_CHECK(strcmp(out, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
                         "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7") == 0);
    sha512t_iv(256, iv256);
    sha512t_iv(224, iv224);
    JT_CHECK(iv256[0] == 0x22312194fc2bf72cull && iv224[0] == 0x8c3d37c819544da2ull);
    digest_hex(iv256, 32, "abc", 3, out);
    JT_CHECK(strcmp(out, "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23") == 0);
    digest_hex(iv224, 28, "abc", 3, out);
    JT_CHECK(strcmp(out, "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa") == 0);
    static const char two[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                              "klmnopqrlmnopqrsmnopqrstnopqrstu";
    digest_hex(IV512, 64, two, sizeof two - 1, out);
    JT_CHECK(strcmp(out, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                         "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909") == 0);

    /* One million 'a' in uneven chunks. */
    static uint8_t chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    sha512_ctx c;
    uint8_t md[64];
    sha512_init_iv(&c, IV512);
    size_t left = 1000000, step = 1;
    while (left) {
        size_t take = step < left ? step : left;
        sha512_update(&c, chunk, take);
        left -= take;
        step = step % 991 + 7;
    }
    sha512_final(&c, md, 64);
    hex(md, 64, out);
    JT_CHECK(strcmp(out, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                         "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b") == 0);

    hmac_sha512((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, md);
    hex(md, 64, out);
    JT_CHECK(strcmp(out, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                         "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737") == 0);
    for (int i = 0; i < 8; i++) *digest = jt_digest(*digest, iv256[i] ^ iv224[i]);
    *digest = jt_digest(*digest, md[0]);
    return 0;
}
