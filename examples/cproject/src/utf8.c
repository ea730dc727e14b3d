/* Unicode text handling: UTF-8 decode/encode with full validation, UTF-16
 * conversion with surrogate pairs, code point counting, and a few
 * properties (East Asian width approximation, ASCII case folding). */
#include "common.h"

/* Decode one code point; returns bytes consumed, or 0 on malformed input
 * (overlong forms, surrogates, values above U+10FFFF, truncation). */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    if (n == 0) return 0;
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t len;
    uint32_t min, c;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        c = b0 & 0x1F;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        c = b0 & 0x0F;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        c = b0 & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

static size_t utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF) return 0;
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Table-driven validator (Hoehrmann-style DFA written out by hand). */
static int utf8_valid_dfa(const uint8_t *s, size_t n)
{
    enum { ACCEPT, ONE, TWO, THREE, E0, ED, F0, F4, REJECT };
    int state = ACCEPT;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        switch (state) {
        case ACCEPT:
            if (b < 0x80) state = ACCEPT;
            else if (b >= 0xC2 && b <= 0xDF) state = ONE;
            else if (b == 0xE0) state = E0;
            else if (b == 0xED) state = ED;
            else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) state = TWO;
            else if (b == 0xF0) state = F0;
            else if (b >= 0xF1 && b <= 0xF3) state = THREE;
            else if (b == 0xF4) state = F4;
            else return 0;
            break;
        case ONE: state = (b & 0xC0) == 0x80 ? ACCEPT : REJECT; break;
        case TWO: state = (b & 0xC0) == 0x80 ? ONE : REJECT; break;
        case THREE: state = (b & 0xC0) == 0x80 ? TWO : REJECT; break;
        case E0: state = b >= 0xA0 && b <= 0xBF ? ONE : REJECT; break;
        case ED: state = b >= 0x80 && b <= 0x9F ? ONE : REJECT; break;
        case F0: state = b >= 0x90 && b <= 0xBF ? TWO : REJECT; break;
        case F4: state = b >= 0x80 && b <= 0x8F ? TWO : REJECT; break;
        default: return 0;
        }
        if (state == REJECT) return 0;
    }
    return state == ACCEPT;
}

static int utf8_valid_decode(const uint8_t *s, size_t n)
{
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static long utf8_to_utf16(const uint8_t *s, size_t n, uint16_t *out)
{
    size_t i = 0, o = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (!k) return -1;
        i += k;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out[o++] = (uint16_t)(0xD800 | cp >> 10);
            out[o++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            out[o++] = (uint16_t)cp;
        }
    }
    return (long)o;
}

static long utf16_to_utf8(const uint16_t *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = s[i];
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 1 >= n || s[i + 1] < 0xDC00 || s[i + 1] > 0xDFFF) return -1;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (s[++i] - 0xDC00u);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return -1;
        }
        o += utf8_encode(cp, out + o);
    }
    return (long)o;
}

static size_t utf8_count(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += (s[i] & 0xC0) != 0x80;
    return c;
}

/* Rough terminal column width: CJK/wide ranges count as 2, combining marks 0. */
static int cp_width(uint32_t cp)
{
    if (cp >= 0x0300 && cp <= 0x036F) return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0x1F300 && cp <= 0x1FAFF))
        return 2;
    return 1;
}

static int utf8_width(const uint8_t *s, size_t n)
{
    int w = 0;
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k) {
        k = utf8_decode(s + i, n - i, &cp);
        if (!k) return -1;
        w += cp_width(cp);
    }
    return w;
}

int utf8_selftest(uint64_t *digest)
{
    static const char text[] = "jtune: caf\xC3\xA9, \xE6\x97\xA5\xE6\x9C\xAC, \xF0\x9F\x9A\x80 e\xCC\x81";
    const uint8_t *t = (const uint8_t *)text;
    size_t n = sizeof text - 1;
    JT_CHECK(utf8_valid_dfa(t, n) && utf8_valid_decode(t, n));
    JT_CHECK(utf8_count(t, n) == 21);
    JT_CHECK(utf8_width(t, n) == 23);
    uint16_t u16[64];
    uint8_t back[128];
    long m = utf8_to_utf16(t, n, u16);
    JT_CHECK(m == 22); /* one surrogate pair */
    JT_CHECK(utf16_to_utf8(u16, (size_t)m, back) == (long)n && memcmp(back, t, n) == 0);

    static const char *const bad[] = {
        "\xC0\xAF",         /* overlong '/' */
        "\xE0\x80\xAF",     /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* > U+10FFFF */
        "\xF8\x88\x80\x80\x80",
        "\x80", "\xE2\x82", "a\xFF",
    };
    for (size_t i = 0; i < JT_ARRAY_LEN(bad); i++) {
        size_t bl = strlen(bad[i]);
        JT_CHECK(!utf8_valid_dfa((const uint8_t *)bad[i], bl));
        JT_CHECK(!utf8_valid_decode((const uint8_t *)bad[i], bl));
    }
    uint16_t lone[2] = {0xD800, 0x41};
    JT_CHECK(utf16_to_utf8(lone, 2, back) < 0);

    /* Every scalar value round-trips, and both validators agree on it. */
    uint64_t total = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        uint8_t buf[4];
        uint32_t dec = 0;
        size_t k = utf8_encode(cp, buf);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            JT_CHECK(k == 0);
            continue;
        }
        JT_CHECK(k > 0 && utf8_decode(buf, k, &dec) == k && dec == cp);
        JT_CHECK(utf8_valid_dfa(buf, k));
        total += k;
    }
    JT_CHECK(total == 128 + 1920 * 2 + (65536 - 2048 - 2048) * 3 + 1048576ull * 4);

    /* Random byte strings: the DFA and the decoder must always agree. */
    jt_rng r = {81};
    size_t valid = 0;
    for (int i = 0; i < 20000; i++) {
        uint8_t buf[6];
        size_t len = 1 + jt_rng_below(&r, 6);
        for (size_t k = 0; k < len; k++) {
            uint32_t pick = jt_rng_below(&r, 4);
            buf[k] = (uint8_t)(pick == 0 ? jt_rng_below(&r, 128) : pick == 1 ? 0x80 + jt_rng_below(&r, 64) : 0xC0 + jt_rng_below(&r, 64));
        }
        int a = utf8_valid_dfa(buf, len), b = utf8_valid_decode(buf, len);
        JT_CHECK(a == b);
        valid += (size_t)a;
    }
    *digest = jt_digest(*digest, valid);
    *digest = jt_digest(*digest, total);
    return 0;
}
