/* String utilities: trimming, splitting, case mapping, number formatting,
 * wildcard matching, natural-order comparison and in-place replacement. */
#include <ctype.h>
#include <stdio.h>

#include "common.h"

static char *str_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* Split on a delimiter into at most max fields (modifies s). */
static size_t str_split(char *s, char delim, char **fields, size_t max)
{
    size_t n = 0;
    if (max == 0) return 0;
    fields[n++] = s;
    for (; *s; s++)
        if (*s == delim) {
            *s = 0;
            if (n == max) break;
            fields[n++] = s + 1;
        }
    return n;
}

static size_t str_join(char *out, size_t cap, char *const *parts, size_t n, const char *sep)
{
    size_t len = 0, sl = strlen(sep);
    for (size_t i = 0; i < n; i++) {
        size_t pl = strlen(parts[i]);
        if (i && len + sl < cap) {
            memcpy(out + len, sep, sl);
            len += sl;
        }
        if (len + pl < cap) {
            memcpy(out + len, parts[i], pl);
            len += pl;
        }
    }
    if (cap) out[len < cap ? len : cap - 1] = 0;
    return len;
}

static void str_upper(char *s)
{
    for (; *s; s++) *s = (char)toupper((unsigned char)*s);
}

static void str_reverse(char *s, size_t n)
{
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        char t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
}

/* Unsigned integer to text in any base 2..36. */
static size_t str_utoa(uint64_t v, unsigned base, char *out)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    size_t n = 0;
    do {
        out[n++] = digits[v % base];
        v /= base;
    } while (v);
    out[n] = 0;
    str_reverse(out, n);
    return n;
}

static int str_parse_u64(const char *s, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        int c = tolower((unsigned char)*s);
        unsigned d = isdigit(c) ? (unsigned)(c - '0') : (c >= 'a' && c <= 'z') ? (unsigned)(c - 'a' + 10) : 99;
        if (d >= base) return -1;
        if (v > (UINT64_MAX - d) / base) return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* Glob matching with '*' and '?', iterative with single backtrack point. */
static int str_wildcard(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '?' || *pat == *s) {
            pat++;
            s++;
        } else if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*') pat++;
    return *pat == 0;
}

/* Natural comparison: digit runs compare numerically ("a2" < "a10"). */
static int str_natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0') a++;
            while (*b == '0') b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) la++;
            while (isdigit((unsigned char)b[lb])) lb++;
            if (la != lb) return la < lb ? -1 : 1;
            int c = memcmp(a, b, la);
            if (c) return c < 0 ? -1 : 1;
            a += la;
            b += lb;
        } else {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* Replace all occurrences of from with to, writing into out. */
static size_t str_replace(const char *s, const char *from, const char *to, char *out, size_t cap)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    while (*s) {
        if (fl && strncmp(s, from, fl) == 0) {
            for (size_t i = 0; i < tl && n + 1 < cap; i++) out[n++] = to[i];
            s += fl;
        } else {
            if (n + 1 < cap) out[n++] = *s;
            s++;
        }
    }
    out[n] = 0;
    return n;
}

static int str_is_palindrome(const char *s)
{
    size_t i = 0, j = strlen(s);
    while (i < j) {
        while (i < j && !isalnum((unsigned char)s[i])) i++;
        while (i < j && !isalnum((unsigned char)s[j - 1])) j--;
        if (i < j && tolower((unsigned char)s[i]) != tolower((unsigned char)s[j - 1])) return 0;
        i++;
        j--;
    }
    return 1;
}

/* Word frequency of the most common word (case-insensitive). */
static size_t str_top_word(const char *text, char *word, size_t cap)
{
    char words[64][16];
    size_t counts[64] = {0}, nw = 0, best = 0;
    while (*text) {
        while (*text && !isalpha((unsigned char)*text)) text++;
        char w[16];
        size_t k = 0;
        while (isalpha((unsigned char)*text)) {
            if (k < 15) w[k++] = (char)tolower((unsigned char)*text);
            text++;
        }
        if (!k) continue;
        w[k] = 0;
        size_t i = 0;
        while (i < nw && strcmp(words[i], w) != 0) i++;
        if (i == nw && nw < 64) memcpy(words[nw++], w, sizeof w);
        if (i < nw) counts[i]++;
    }
    for (size_t i = 1; i < nw; i++)
        if (counts[i] > counts[best]) best = i;
    if (nw && cap) snprintf(word, cap, "%s", words[best]);
    return nw ? counts[best] : 0;
}

/* Integer formatting and parsing specialised per integer type: a naive
 * divide-by-ten formatter, a two-digits-per-division formatter, a digit
 * counter and an overflow-checked parser. */
#define INT_FMT_TYPES(X)                                                           \
    X(i8, int8_t, uint8_t, 1, INT8_MIN, INT8_MAX)                                  \
    X(i16, int16_t, uint16_t, 1, INT16_MIN, INT16_MAX)                             \
    X(i32, int32_t, uint32_t, 1, INT32_MIN, INT32_MAX)                             \
    X(i64, int64_t, uint64_t, 1, INT64_MIN, INT64_MAX)                             \
    X(u8, uint8_t, uint8_t, 0, 0, UINT8_MAX)                                       \
    X(u16, uint16_t, uint16_t, 0, 0, UINT16_MAX)                                   \
    X(u32, uint32_t, uint32_t, 0, 0, UINT32_MAX)                                   \
    X(u64, uint64_t, uint64_t, 0, 0, UINT64_MAX)

static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

#define INT_FMT_IMPL(sfx, T, UT, SIGNED, MINV, MAXV)                                \
    static inline UT magnitude_##sfx(T v, int *neg)                                 \
    {                                                                               \
        *neg = SIGNED && ((UT)v >> (8 * sizeof(T) - 1)) != 0; /* sign bit */        \
        return *neg ? (UT)(0 - (UT)v) : (UT)v;                                      \
    }                                                                               \
    static size_t fmt_naive_##sfx(T v, char *out)                                   \
    {                                                                               \
        int neg;                                                                    \
        UT m = magnitude_##sfx(v, &neg);                                            \
        char tmp[24];                                                               \
        size_t n = 0, o = 0;                                                        \
        do {                                                                        \
            tmp[n++] = (char)('0' + m % 10);                                        \
            m = (UT)(m / 10);                                                       \
        } while (m);                                                                \
        if (neg) out[o++] = '-';                                                    \
        while (n) out[o++] = tmp[--n];                                              \
        out[o] = 0;                                                                 \
        return o;                                                                   \
    }                                                                               \
    static inline unsigned digit_count_##sfx(UT m)                                  \
    {                                                                               \
        unsigned d = 1;                                                             \
        while (m >= 10) {                                                           \
            m = (UT)(m / 10);                                                       \
            d++;                                                                    \
        }                                                                           \
        return d;                                                                   \
    }                                                                               \
    /* Writes digits right-to-left two at a time from a lookup table. */           \
    static size_t fmt_pairs_##sfx(T v, char *out)                                   \
    {                                                                               \
        int neg;                                                                    \
        UT m = magnitude_##sfx(v, &neg);                                            \
        size_t len = digit_count_##sfx(m) + (size_t)neg;                            \
        char *p = out + len;                                                        \
        *p = 0;                                                                     \
        while (m >= 100) {                                                          \
            unsigned pair = (unsigned)(m % 100);                                    \
            m = (UT)(m / 100);                                                      \
            *--p = digit_pairs[2 * pair + 1];                                       \
            *--p = digit_pairs[2 * pair];                                           \
        }                                                                           \
        if (m >= 10) {                                                              \
            *--p = digit_pairs[2 * m + 1];                                          \
            *--p = digit_pairs[2 * m];                                              \
        } else {                                                                    \
            *--p = (char)('0' + m);                                                 \
        }                                                                           \
        if (neg) *--p = '-';                                                        \
        return len;                                                                 \
    }                                                                               \
    /* Strict decimal parse with range checking; returns 0 on success. */          \
    static int parse_##sfx(const char *s, T *out)                                   \
    {                                                                               \
        int neg = 0;                                                                \
        if (*s == '-') {                                                            \
            if (!SIGNED) return -1;                                                 \
            neg = 1;                                                                \
            s++;                                                                    \
        } else if (*s == '+') {                                                     \
            s++;                                                                    \
        }                                                                           \
        if (!*s) return -1;                                                         \
        UT limit = neg ? (UT)((UT)(MAXV) + 1) : (UT)(MAXV), acc = 0;                \
        for (; *s; s++) {                                                           \
            if (*s < '0' || *s > '9') return -1;                                    \
            unsigned d = (unsigned)(*s - '0');                                      \
            if (acc > (UT)((limit - d) / 10)) return -1;                            \
            acc = (UT)(acc * 10 + d);                                               \
        }                                                                           \
        *out = neg ? (T)(0 - acc) : (T)acc;                                         \
        return 0;                                                                   \
    }                                                                               \
    static int int_fmt_test_##sfx(uint64_t *digest)                                 \
    {                                                                               \
        char a[32], b[32], c[32];                                                   \
        jt_rng r = {sizeof(T) * 2 + SIGNED};                                        \
        for (int i = 0; i < 3000; i++) {                                            \
            uint64_t raw = jt_rng_next(&r);                                         \
            T v = (T)(raw >> jt_rng_below(&r, 64));                                 \
            if (i == 0) v = (T)(MINV);                                              \
            if (i == 1) v = (T)(MAXV);                                              \
            if (i == 2) v = 0;                                                      \
            size_t n1 = fmt_naive_##sfx(v, a), n2 = fmt_pairs_##sfx(v, b);          \
            if (SIGNED)                                                             \
                snprintf(c, sizeof c, "%lld", (long long)v);                        \
            else                                                                    \
                snprintf(c, sizeof c, "%llu", (unsigned long long)v);               \
            JT_CHECK(n1 == n2 && strcmp(a, c) == 0 && strcmp(b, c) == 0);           \
            T back = 0;                                                             \
            JT_CHECK(parse_##sfx(a, &back) == 0 && back == v);                      \
            *digest = jt_digest(*digest, n1);                                       \
        }                                                                           \
        /* One past the extremes must be rejected. */                               \
        T dummy;                                                                    \
        snprintf(c, sizeof c, "%llu", (unsigned long long)(MAXV) + 1);              \
        JT_CHECK(sizeof(T) == 8 && !SIGNED ? 1 : parse_##sfx(c, &dummy) != 0);      \
        JT_CHECK(parse_##sfx("12a", &dummy) != 0 && parse_##sfx("", &dummy) != 0);  \
        JT_CHECK(SIGNED ? parse_##sfx("-0", &dummy) == 0 : parse_##sfx("-1", &dummy) != 0); \
        return 0;                                                                   \
    }
INT_FMT_TYPES(INT_FMT_IMPL)

int strutil_selftest(uint64_t *digest)
{
    char buf[128], out[256];
    strcpy(buf, "   hello, world \t\n");
    char *t = str_trim(buf);
    JT_CHECK(strcmp(t, "hello, world") == 0);

    strcpy(buf, "alpha,beta,,gamma");
    char *fields[8];
    size_t nf = str_split(buf, ',', fields, 8);
    JT_CHECK(nf == 4 && strcmp(fields[1], "beta") == 0 && fields[2][0] == 0);
    str_join(out, sizeof out, fields, nf, " | ");
    JT_CHECK(strcmp(out, "alpha | beta |  | gamma") == 0);
    str_upper(out);
    JT_CHECK(strcmp(out, "ALPHA | BETA |  | GAMMA") == 0);

    char num[80];
    str_utoa(255, 16, num);
    JT_CHECK(strcmp(num, "ff") == 0);
    str_utoa(UINT64_MAX, 2, num);
    JT_CHECK(strlen(num) == 64);
    uint64_t v = 0;
    for (unsigned base = 2; base <= 36; base++) {
        str_utoa(0x123456789ABCDEFull, base, num);
        JT_CHECK(str_parse_u64(num, base, &v) == 0 && v == 0x123456789ABCDEFull);
        *digest = jt_digest(*digest, strlen(num));
    }
    JT_CHECK(str_parse_u64("18446744073709551616", 10, &v) != 0);
    JT_CHECK(str_parse_u64("12z", 10, &v) != 0);

    JT_CHECK(str_wildcard("*.c", "matrix.c"));
    JT_CHECK(str_wildcard("m?t*x.?", "matrix.c"));
    JT_CHECK(!str_wildcard("*.h", "matrix.c"));
    JT_CHECK(str_wildcard("a*b*c*d", "axxbyyczzd"));
    JT_CHECK(!str_wildcard("a*b*c*d", "axxbyyczz"));

    JT_CHECK(str_natcmp("file2", "file10") < 0);
    JT_CHECK(str_natcmp("file010", "file10") == 0);
    JT_CHECK(str_natcmp("b", "a100") > 0);

    str_replace("the cat sat on the mat", "at", "og", out, sizeof out);
    JT_CHECK(strcmp(out, "the cog sog on the mog") == 0);
    str_replace("aaa", "a", "bb", out, sizeof out);
    JT_CHECK(strcmp(out, "bbbbbb") == 0);

    JT_CHECK(str_is_palindrome("A man, a plan, a canal: Panama"));
    JT_CHECK(!str_is_palindrome("jtune"));

    char word[16];
    size_t c = str_top_word("The job server runs the jobs; the tuner times the builds.", word, sizeof word);
    JT_CHECK(c == 4 && strcmp(word, "the") == 0);

    *digest = jt_digest(*digest, c);
#define INT_FMT_RUN(sfx, T, UT, SIGNED, MINV, MAXV) \
    if (int_fmt_test_##sfx(digest)) return 1;
    INT_FMT_TYPES(INT_FMT_RUN)
#undef INT_FMT_RUN
    return 0;
}
