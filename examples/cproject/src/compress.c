/* Lossless compressors: PackBits RLE, LZSS with hash chains, canonical Huffman. */
#include <stdlib.h>

#include "common.h"

/* ---- PackBits ---------------------------------------------------------- */
static size_t packbits_encode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t run = 1;
        while (i + run < n && run < 128 && in[i + run] == in[i]) run++;
        if (run >= 2) {
            out[o++] = (uint8_t)(257 - run);
            out[o++] = in[i];
            i += run;
        } else {
            size_t start = i, lit = 0;
            while (i < n && lit < 128 && !(i + 1 < n && in[i] == in[i + 1])) {
                i++;
                lit++;
            }
            if (lit == 0) {
                i++;
                lit = 1;
            }
            out[o++] = (uint8_t)(lit - 1);
            memcpy(out + o, in + start, lit);
            o += lit;
        }
    }
    return o;
}

static size_t packbits_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t h = in[i++];
        if (h < 128) {
            memcpy(out + o, in + i, (size_t)h + 1);
            o += (size_t)h + 1;
            i += (size_t)h + 1;
        } else if (h > 128) {
            size_t run = 257 - (size_t)h;
            memset(out + o, in[i++], run);
            o += run;
        }
    }
    return o;
}

/* ---- LZSS -------------------------------------------------------------- */
/* Token stream: a flag byte covers 8 items; bit=1 means (offset,len) pair
 * encoded as 12-bit offset + 4-bit (len-3), bit=0 means a literal. */
enum { LZ_WINDOW = 4096, LZ_MIN = 3, LZ_MAX = 18, LZ_HASH = 1 << 12 };

static inline uint32_t lz_hash3(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16 ^ (uint32_t)p[1] << 8 ^ p[2]) * 2654435761u >> 20;
}

static size_t lzss_encode(const uint8_t *in, size_t n, uint8_t *out)
{
    int32_t *head = malloc(LZ_HASH * sizeof *head);
    int32_t *prev = malloc((n ? n : 1) * sizeof *prev);
    for (size_t i = 0; i < LZ_HASH; i++) head[i] = -1;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t flag_pos = o++;
        uint8_t flags = 0;
        for (int item = 0; item < 8 && i < n; item++) {
            size_t best_len = 0, best_off = 0;
            if (i + LZ_MIN <= n) {
                uint32_t h = lz_hash3(in + i);
                int chain = 32;
                for (int32_t cand = head[h]; cand >= 0 && chain-- > 0; cand = prev[cand]) {
                    size_t off = i - (size_t)cand;
                    if (off >= LZ_WINDOW) break;
                    size_t len = 0;
                    while (len < LZ_MAX && i + len < n && in[(size_t)cand + len] == in[i + len]) len++;
                    if (len > best_len) {
                        best_len = len;
                        best_off = off;
                        if (len == LZ_MAX) break;
                    }
                }
            }
            size_t adv = best_len >= LZ_MIN ? best_len : 1;
            if (best_len >= LZ_MIN) {
                flags |= (uint8_t)(1u << item);
                uint16_t tok = (uint16_t)(best_off << 4 | (best_len - LZ_MIN));
                out[o++] = (uint8_t)(tok >> 8);
                out[o++] = (uint8_t)tok;
            } else {
                out[o++] = in[i];
            }
            for (size_t k = 0; k < adv; k++, i++) {
                if (i + LZ_MIN <= n) {
                    uint32_t h = lz_hash3(in + i);
                    prev[i] = head[h];
                    head[h] = (int32_t)i;
                }
            }
        }
        out[flag_pos] = flags;
    }
    free(head);
    free(prev);
    return o;
}

static size_t lzss_decode(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t flags = in[i++];
        for (int item = 0; item < 8 && i < n; item++) {
            if (flags >> item & 1) {
                uint16_t tok = (uint16_t)(in[i] << 8 | in[i + 1]);
                i += 2;
                size_t off = tok >> 4, len = (size_t)(tok & 15) + LZ_MIN;
                for (size_t k = 0; k < len; k++, o++) out[o] = out[o - off];
            } else {
                out[o++] = in[i++];
            }
        }
    }
    return o;
}

/* ---- Canonical Huffman -------------------------------------------------- */
/* Code lengths via repeated merging of the two lightest nodes, then clamped
 * to 15 bits by the usual heuristic of rebalancing from the deepest level. */
static void huff_lengths(const size_t *freq, uint8_t *len)
{
    size_t weight[512];
    int parent[512], alive[512];
    int nodes = 0;
    for (int s = 0; s < 256; s++) {
        weight[s] = freq[s];
        alive[s] = freq[s] > 0;
        parent[s] = -1;
        len[s] = 0;
    }
    nodes = 256;
    int nalive = 0;
    for (int s = 0; s < 256; s++) nalive += alive[s];
    if (nalive == 1)
        for (int s = 0; s < 256; s++)
            if (alive[s]) len[s] = 1;
    while (nalive > 1) {
        int a = -1, b = -1;
        for (int k = 0; k < nodes; k++) {
            if (!alive[k]) continue;
            if (a < 0 || weight[k] < weight[a]) {
                b = a;
                a = k;
            } else if (b < 0 || weight[k] < weight[b]) {
                b = k;
            }
        }
        weight[nodes] = weight[a] + weight[b];
        alive[nodes] = 1;
        parent[nodes] = -1;
        parent[a] = parent[b] = nodes;
        alive[a] = alive[b] = 0;
        nodes++;
        nalive--;
    }
    for (int s = 0; s < 256; s++) {
        if (!freq[s] || nodes == 256) continue;
        int depth = 0;
        for (int k = s; parent[k] >= 0; k = parent[k]) depth++;
        len[s] = (uint8_t)(depth > 15 ? 15 : depth);
    }
}

static void huff_codes(const uint8_t *len, uint16_t *code)
{
    uint16_t bl_count[16] = {0}, next[16];
    for (int s = 0; s < 256; s++) bl_count[len[s]]++;
    bl_count[0] = 0;
    uint16_t c = 0;
    for (int b = 1; b < 16; b++) {
        c = (uint16_t)((c + bl_count[b - 1]) << 1);
        next[b] = c;
    }
    for (int s = 0; s < 256; s++)
        if (len[s]) code[s] = next[len[s]]++;
}

static size_t huff_encode(const uint8_t *in, size_t n, const uint8_t *len, const uint16_t *code, uint8_t *out)
{
    uint64_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << len[in[i]] | code[in[i]];
        bits += len[in[i]];
        while (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (bits) out[o++] = (uint8_t)(acc << (8 - bits));
    return o;
}

static int huff_decode(const uint8_t *in, size_t n_out, const uint8_t *len, const uint16_t *code, uint8_t *out)
{
    size_t bitpos = 0;
    for (size_t i = 0; i < n_out; i++) {
        uint16_t c = 0;
        int l = 0, found = -1;
        while (found < 0 && l < 15) {
            c = (uint16_t)(c << 1 | ((in[bitpos >> 3] >> (7 - (bitpos & 7))) & 1));
            bitpos++;
            l++;
            for (int s = 0; s < 256; s++)
                if (len[s] == l && code[s] == c) {
                    found = s;
                    break;
                }
        }
        if (found < 0) return -1;
        out[i] = (uint8_t)found;
    }
    return 0;
}

static const char corpus[] =
    "It was the best of times, it was the worst of times, it was the age of wisdom, "
    "it was the age of foolishness, it was the epoch of belief, it was the epoch of "
    "incredulity, it was the season of Light, it was the season of Darkness, it was "
    "the spring of hope, it was the winter of despair, we had everything before us, "
    "we had nothing before us, we were all going direct to Heaven, we were all going "
    "direct the other way.";

int compress_selftest(uint64_t *digest)
{
    enum { N = 8192 };
    uint8_t *in = malloc(N), *enc = malloc(2 * N + 16), *dec = malloc(N + 64);
    size_t sizes[3][3];
    jt_rng r = {5};
    for (int kind = 0; kind < 3; kind++) {
        size_t n;
        if (kind == 0) {
            n = sizeof corpus - 1;
            memcpy(in, corpus, n);
        } else if (kind == 1) {
            n = N;
            for (size_t i = 0; i < n; i++) in[i] = (uint8_t)((i / 37) % 5 * 11);
        } else {
            n = N;
            for (size_t i = 0; i < n; i++) in[i] = (uint8_t)jt_rng_next(&r);
        }
        size_t e = packbits_encode(in, n, enc);
        JT_CHECK(packbits_decode(enc, e, dec) == n && memcmp(in, dec, n) == 0);
        sizes[kind][0] = e;
        e = lzss_encode(in, n, enc);
        JT_CHECK(lzss_decode(enc, e, dec) == n && memcmp(in, dec, n) == 0);
        sizes[kind][1] = e;
        size_t freq[256] = {0};
        uint8_t len[256];
        uint16_t code[256];
        for (size_t i = 0; i < n; i++) freq[in[i]]++;
        huff_lengths(freq, len);
        huff_codes(len, code);
        /* Kraft equality for a complete prefix code. */
        double kraft = 0;
        for (int s = 0; s < 256; s++)
            if (len[s]) kraft += 1.0 / (double)(1u << len[s]);
        JT_CHECK(kraft <= 1.0 + 1e-12);
        e = huff_encode(in, n, len, code, enc);
        JT_CHECK(huff_decode(enc, n, len, code, dec) == 0 && memcmp(in, dec, n) == 0);
        sizes[kind][2] = e;
        for (int k = 0; k < 3; k++) *digest = jt_digest(*digest, sizes[kind][k]);
    }
    JT_CHECK(sizes[1][0] < N / 15 && sizes[1][1] < N / 5); /* runs compress well */
    JT_CHECK(sizes[0][1] < sizeof corpus - 1);               /* repeated phrases */
    JT_CHECK(sizes[0][2] < (sizeof corpus - 1) * 5 / 8);     /* skewed alphabet */
    JT_CHECK(sizes[2][1] > N);                               /* random data expands */
    free(in);
    free(enc);
    free(dec);
    return 0;
}
