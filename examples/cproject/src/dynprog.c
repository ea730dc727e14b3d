/* Dynamic programming classics, each cross-checked against a second method:
 * edit distance, LCS, knapsack, LIS, coin change, matrix-chain order,
 * longest palindromic subsequence and subset sum. */
#include <stdlib.h>

#include "common.h"

static size_t min3(size_t a, size_t b, size_t c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

static size_t edit_distance_full(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t *d = malloc((n + 1) * (m + 1) * sizeof *d);
    for (size_t i = 0; i <= n; i++) d[i * (m + 1)] = i;
    for (size_t j = 0; j <= m; j++) d[j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++)
            d[i * (m + 1) + j] = min3(d[(i - 1) * (m + 1) + j] + 1, d[i * (m + 1) + j - 1] + 1,
                                      d[(i - 1) * (m + 1) + j - 1] + (a[i - 1] != b[j - 1]));
    size_t r = d[n * (m + 1) + m];
    free(d);
    return r;
}

static size_t edit_distance_rows(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t *prev = malloc((m + 1) * sizeof *prev), *cur = malloc((m + 1) * sizeof *cur);
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++)
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]));
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t r = prev[m];
    free(prev);
    free(cur);
    return r;
}

/* LCS length and one witness subsequence. */
static size_t lcs(const char *a, const char *b, char *out)
{
    size_t n = strlen(a), m = strlen(b);
    uint16_t *L = calloc((n + 1) * (m + 1), sizeof *L);
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            L[i * (m + 1) + j] = a[i] == b[j] ? (uint16_t)(L[(i + 1) * (m + 1) + j + 1] + 1)
                                              : (L[(i + 1) * (m + 1) + j] > L[i * (m + 1) + j + 1] ? L[(i + 1) * (m + 1) + j]
                                                                                                   : L[i * (m + 1) + j + 1]);
    size_t i = 0, j = 0, k = 0;
    while (i < n && j < m) {
        if (a[i] == b[j]) {
            out[k++] = a[i];
            i++;
            j++;
        } else if (L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1]) {
            i++;
        } else {
            j++;
        }
    }
    out[k] = 0;
    size_t r = L[0];
    free(L);
    return r;
}

static int is_subsequence(const char *sub, const char *s)
{
    for (; *s && *sub; s++)
        if (*s == *sub) sub++;
    return *sub == 0;
}

static int64_t knapsack(const int *w, const int64_t *v, int n, int cap)
{
    int64_t *best = calloc((size_t)cap + 1, sizeof *best);
    for (int i = 0; i < n; i++)
        for (int c = cap; c >= w[i]; c--)
            if (best[c - w[i]] + v[i] > best[c]) best[c] = best[c - w[i]] + v[i];
    int64_t r = best[cap];
    free(best);
    return r;
}

static int64_t knapsack_brute(const int *w, const int64_t *v, int n, int cap)
{
    int64_t best = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        int64_t tw = 0, tv = 0;
        for (int i = 0; i < n; i++)
            if (mask >> i & 1) {
                tw += w[i];
                tv += v[i];
            }
        if (tw <= cap && tv > best) best = tv;
    }
    return best;
}

static size_t lis_quadratic(const int32_t *a, size_t n)
{
    size_t *len = malloc(n * sizeof *len), best = 0;
    for (size_t i = 0; i < n; i++) {
        len[i] = 1;
        for (size_t j = 0; j < i; j++)
            if (a[j] < a[i] && len[j] + 1 > len[i]) len[i] = len[j] + 1;
        if (len[i] > best) best = len[i];
    }
    free(len);
    return best;
}

static size_t lis_patience(const int32_t *a, size_t n)
{
    int32_t *tails = malloc(n * sizeof *tails);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = k;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (tails[mid] < a[i]) lo = mid + 1;
            else hi = mid;
        }
        tails[lo] = a[i];
        if (lo == k) k++;
    }
    free(tails);
    return k;
}

static uint64_t coin_ways(const int *coins, int nc, int amount)
{
    uint64_t *ways = calloc((size_t)amount + 1, sizeof *ways);
    ways[0] = 1;
    for (int c = 0; c < nc; c++)
        for (int a = coins[c]; a <= amount; a++) ways[a] += ways[a - coins[c]];
    uint64_t r = ways[amount];
    free(ways);
    return r;
}

static int coin_min(const int *coins, int nc, int amount)
{
    int *best = malloc(((size_t)amount + 1) * sizeof *best);
    best[0] = 0;
    for (int a = 1; a <= amount; a++) {
        best[a] = INT32_MAX;
        for (int c = 0; c < nc; c++)
            if (coins[c] <= a && best[a - coins[c]] != INT32_MAX && best[a - coins[c]] + 1 < best[a])
                best[a] = best[a - coins[c]] + 1;
    }
    int r = best[amount];
    free(best);
    return r;
}

static uint64_t matrix_chain(const uint64_t *dims, int n)
{
    uint64_t cost[16][16] = {{0}};
    for (int len = 2; len <= n; len++)
        for (int i = 0; i + len - 1 < n; i++) {
            int j = i + len - 1;
            cost[i][j] = UINT64_MAX;
            for (int k = i; k < j; k++) {
                uint64_t c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
                if (c < cost[i][j]) cost[i][j] = c;
            }
        }
    return cost[0][n - 1];
}

static size_t longest_pal_subseq(const char *s)
{
    size_t n = strlen(s);
    char *rev = malloc(n + 1), *tmp = malloc(n + 1);
    for (size_t i = 0; i < n; i++) rev[i] = s[n - 1 - i];
    rev[n] = 0;
    size_t r = lcs(s, rev, tmp);
    free(rev);
    free(tmp);
    return r;
}

/* Subset sum reachability with a shifting bitset. */
static int subset_sum(const int *a, int n, int target)
{
    uint64_t reach[64] = {1}; /* sums up to 4095 */
    for (int i = 0; i < n; i++) {
        int sh = a[i];
        for (int wd = 63; wd >= 0; wd--) {
            int src = wd - sh / 64;
            uint64_t v = 0;
            if (src >= 0) {
                v = reach[src] << (sh % 64);
                if (sh % 64 && src > 0) v |= reach[src - 1] >> (64 - sh % 64);
            }
            reach[wd] |= v;
        }
    }
    return (int)(reach[target / 64] >> (target % 64) & 1);
}

/* Sequence DPs specialised per element type (so they work on bytes,
 * UTF-16 units, token ids, ...): edit distance (two ways), LCS with a
 * witness, longest common substring, LIS (two ways), and the number of
 * distinct subsequences. */
#define SEQ_TYPES(X) X(u8, uint8_t) X(u16, uint16_t) X(u32, uint32_t) X(i64, int64_t)

#define SEQ_IMPL(sfx, T)                                                                  \
    static size_t seq_edit_full_##sfx(const T *a, size_t n, const T *b, size_t m, size_t *d) \
    {                                                                                     \
        for (size_t i = 0; i <= n; i++) d[i * (m + 1)] = i;                               \
        for (size_t j = 0; j <= m; j++) d[j] = j;                                         \
        for (size_t i = 1; i <= n; i++)                                                   \
            for (size_t j = 1; j <= m; j++)                                               \
                d[i * (m + 1) + j] = min3(d[(i - 1) * (m + 1) + j] + 1, d[i * (m + 1) + j - 1] + 1, \
                                          d[(i - 1) * (m + 1) + j - 1] + (a[i - 1] != b[j - 1])); \
        return d[n * (m + 1) + m];                                                        \
    }                                                                                     \
    static size_t seq_edit_rows_##sfx(const T *a, size_t n, const T *b, size_t m, size_t *prev, size_t *cur) \
    {                                                                                     \
        for (size_t j = 0; j <= m; j++) prev[j] = j;                                      \
        for (size_t i = 1; i <= n; i++) {                                                 \
            cur[0] = i;                                                                   \
            for (size_t j = 1; j <= m; j++)                                               \
                cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])); \
            size_t *t = prev;                                                             \
            prev = cur;                                                                   \
            cur = t;                                                                      \
        }                                                                                 \
        return prev[m];                                                                   \
    }                                                                                     \
    static size_t seq_lcs_##sfx(const T *a, size_t n, const T *b, size_t m, uint16_t *L, T *out) \
    {                                                                                     \
        for (size_t j = 0; j <= m; j++) L[n * (m + 1) + j] = 0;                           \
        for (size_t i = n; i-- > 0;) {                                                    \
            L[i * (m + 1) + m] = 0;                                                       \
            for (size_t j = m; j-- > 0;) {                                                \
                uint16_t down = L[(i + 1) * (m + 1) + j], right = L[i * (m + 1) + j + 1]; \
                L[i * (m + 1) + j] = a[i] == b[j] ? (uint16_t)(L[(i + 1) * (m + 1) + j + 1] + 1) \
                                                  : (down > right ? down : right);        \
            }                                                                             \
        }                                                                                 \
        size_t i = 0, j = 0, k = 0;                                                       \
        while (i < n && j < m) {                                                          \
            if (a[i] == b[j]) {                                                           \
                out[k++] = a[i];                                                          \
                i++;                                                                      \
                j++;                                                                      \
            } else if (L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1]) {              \
                i++;                                                                      \
            } else {                                                                      \
                j++;                                                                      \
            }                                                                             \
        }                                                                                 \
        return k;                                                                         \
    }                                                                                     \
    static int seq_is_subseq_##sfx(const T *sub, size_t k, const T *s, size_t n)          \
    {                                                                                     \
        size_t j = 0;                                                                     \
        for (size_t i = 0; i < n && j < k; i++)                                           \
            if (s[i] == sub[j]) j++;                                                      \
        return j == k;                                                                    \
    }                                                                                     \
    static size_t seq_common_substring_##sfx(const T *a, size_t n, const T *b, size_t m, size_t *row) \
    {                                                                                     \
        size_t best = 0;                                                                  \
        for (size_t j = 0; j <= m; j++) row[j] = 0;                                       \
        for (size_t i = 1; i <= n; i++)                                                   \
            for (size_t j = m; j >= 1; j--) {                                             \
                row[j] = a[i - 1] == b[j - 1] ? row[j - 1] + 1 : 0;                       \
                if (row[j] > best) best = row[j];                                         \
            }                                                                             \
        return best;                                                                      \
    }                                                                                     \
    static size_t seq_lis_quad_##sfx(const T *a, size_t n, size_t *len)                   \
    {                                                                                     \
        size_t best = 0;                                                                  \
        for (size_t i = 0; i < n; i++) {                                                  \
            len[i] = 1;                                                                   \
            for (size_t j = 0; j < i; j++)                                                \
                if (a[j] < a[i] && len[j] + 1 > len[i]) len[i] = len[j] + 1;              \
            if (len[i] > best) best = len[i];                                             \
        }                                                                                 \
        return best;                                                                      \
    }                                                                                     \
    static size_t seq_lis_patience_##sfx(const T *a, size_t n, T *tails)                  \
    {                                                                                     \
        size_t k = 0;                                                                     \
        for (size_t i = 0; i < n; i++) {                                                  \
            size_t lo = 0, hi = k;                                                        \
            while (lo < hi) {                                                             \
                size_t mid = (lo + hi) / 2;                                               \
                if (tails[mid] < a[i]) lo = mid + 1;                                      \
                else hi = mid;                                                            \
            }                                                                             \
            tails[lo] = a[i];                                                             \
            if (lo == k) k++;                                                             \
        }                                                                                 \
        return k;                                                                         \
    }                                                                                     \
    /* Distinct non-empty subsequences modulo 2^64, with last-occurrence table. */      \
    static uint64_t seq_distinct_subseq_##sfx(const T *a, size_t n, uint64_t *dp, size_t *last_pos, size_t alpha) \
    {                                                                                     \
        for (size_t c = 0; c < alpha; c++) last_pos[c] = 0;                               \
        dp[0] = 1;                                                                        \
        for (size_t i = 1; i <= n; i++) {                                                 \
            size_t c = (size_t)a[i - 1] % alpha;                                          \
            dp[i] = 2 * dp[i - 1];                                                        \
            if (last_pos[c]) dp[i] -= dp[last_pos[c] - 1];                                \
            last_pos[c] = i;                                                              \
        }                                                                                 \
        return dp[n] - 1;                                                                 \
    }                                                                                     \
    static int seq_suite_##sfx(const uint8_t *ra, size_t n, const uint8_t *rb, size_t m, size_t *res) \
    {                                                                                     \
        T *a = malloc(n * sizeof *a), *b = malloc(m * sizeof *b), *w = malloc((n + m) * sizeof *w); \
        size_t *d = malloc((n + 1) * (m + 1) * sizeof *d), *len = malloc((n + m + 258) * sizeof *len); \
        uint16_t *L = malloc((n + 1) * (m + 1) * sizeof *L);                              \
        uint64_t *dp = malloc((n + 1) * sizeof *dp);                                      \
        for (size_t i = 0; i < n; i++) a[i] = (T)ra[i];                                   \
        for (size_t j = 0; j < m; j++) b[j] = (T)rb[j];                                   \
        res[0] = seq_edit_full_##sfx(a, n, b, m, d);                                      \
        JT_CHECK(seq_edit_rows_##sfx(a, n, b, m, d, d + m + 1) == res[0]);                \
        res[1] = seq_lcs_##sfx(a, n, b, m, L, w);                                         \
        JT_CHECK(res[1] == L[0] && seq_is_subseq_##sfx(w, res[1], a, n) && seq_is_subseq_##sfx(w, res[1], b, m)); \
        JT_CHECK(res[0] <= n + m - 2 * res[1]);                                           \
        res[2] = seq_common_substring_##sfx(a, n, b, m, len);                             \
        JT_CHECK(res[2] <= res[1]);                                                       \
        res[3] = seq_lis_quad_##sfx(a, n, len);                                           \
        JT_CHECK(seq_lis_patience_##sfx(a, n, w) == res[3]);                              \
        res[4] = (size_t)seq_distinct_subseq_##sfx(a, n < 60 ? n : 60, dp, len, 256);     \
        free(a);                                                                          \
        free(b);                                                                          \
        free(w);                                                                          \
        free(d);                                                                          \
        free(len);                                                                        \
        free(L);                                                                          \
        free(dp);                                                                         \
        return 0;                                                                         \
    }
SEQ_TYPES(SEQ_IMPL)

int dynprog_selftest(uint64_t *digest)
{
    JT_CHECK(edit_distance_full("kitten", "sitting") == 3);
    JT_CHECK(edit_distance_rows("kitten", "sitting") == 3);
    JT_CHECK(edit_distance_rows("", "abc") == 3);
    char out[512];
    JT_CHECK(lcs("AGGTAB", "GXTXAYB", out) == 4 && strcmp(out, "GTAB") == 0);

    jt_rng r = {29};
    for (int t = 0; t < 20; t++) {
        char a[200], b[200];
        size_t na = 50 + jt_rng_below(&r, 140), nb = 50 + jt_rng_below(&r, 140);
        for (size_t i = 0; i < na; i++) a[i] = (char)('a' + jt_rng_below(&r, 4));
        for (size_t i = 0; i < nb; i++) b[i] = (char)('a' + jt_rng_below(&r, 4));
        a[na] = b[nb] = 0;
        size_t e1 = edit_distance_full(a, b), e2 = edit_distance_rows(a, b);
        JT_CHECK(e1 == e2);
        size_t l = lcs(a, b, out);
        JT_CHECK(strlen(out) == l && is_subsequence(out, a) && is_subsequence(out, b));
        /* Edit distance is bounded by the indel distance n + m - 2*LCS. */
        JT_CHECK(e1 <= na + nb - 2 * l);
        *digest = jt_digest(*digest, e1 * 1000 + l);
    }

    for (int t = 0; t < 10; t++) {
        int w[14];
        int64_t v[14];
        for (int i = 0; i < 14; i++) {
            w[i] = 1 + (int)jt_rng_below(&r, 30);
            v[i] = 1 + (int64_t)jt_rng_below(&r, 100);
        }
        int cap = 40 + (int)jt_rng_below(&r, 80);
        int64_t k = knapsack(w, v, 14, cap);
        JT_CHECK(k == knapsack_brute(w, v, 14, cap));
        *digest = jt_digest(*digest, (uint64_t)k);
    }

    int32_t seq[2000];
    for (int i = 0; i < 2000; i++) seq[i] = (int32_t)jt_rng_below(&r, 5000);
    size_t lq = lis_quadratic(seq, 2000);
    JT_CHECK(lq == lis_patience(seq, 2000));
    *digest = jt_digest(*digest, lq);

    /* The sequence DPs give identical answers whatever the element type. */
    for (int t = 0; t < 6; t++) {
        uint8_t a[300], b[300];
        size_t na = 100 + jt_rng_below(&r, 200), nb = 100 + jt_rng_below(&r, 200);
        uint32_t alpha = 2 + (uint32_t)t * 3;
        for (size_t i = 0; i < na; i++) a[i] = (uint8_t)(jt_rng_below(&r, alpha) * 37);
        for (size_t i = 0; i < nb; i++) b[i] = (uint8_t)(jt_rng_below(&r, alpha) * 37);
        size_t ref[5], res[5];
        if (seq_suite_u8(a, na, b, nb, ref)) return 1;
#define SEQ_RUN(sfx, T)                                       \
        if (seq_suite_##sfx(a, na, b, nb, res)) return 1;     \
        JT_CHECK(memcmp(res, ref, sizeof res) == 0);
        SEQ_TYPES(SEQ_RUN)
#undef SEQ_RUN
        for (int k = 0; k < 5; k++) *digest = jt_digest(*digest, ref[k]);
    }
    {
        const uint8_t abc[] = {'a', 'b', 'c'}, aba[] = {'a', 'b', 'a'};
        uint64_t dp[4];
        size_t last[256];
        JT_CHECK(seq_distinct_subseq_u8(abc, 3, dp, last, 256) == 7);
        JT_CHECK(seq_distinct_subseq_u8(aba, 3, dp, last, 256) == 6);
    }

    static const int us_coins[] = {1, 5, 10, 25, 50, 100};
    JT_CHECK(coin_ways(us_coins, 6, 100) == 293);
    JT_CHECK(coin_ways(us_coins, 4, 100) == 242);
    static const int odd_coins[] = {1, 3, 4};
    JT_CHECK(coin_min(odd_coins, 3, 6) == 2);
    JT_CHECK(coin_min(us_coins, 6, 289) == 9);

    static const uint64_t dims[] = {40, 20, 30, 10, 30};
    JT_CHECK(matrix_chain(dims, 4) == 26000);
    static const uint64_t dims2[] = {30, 35, 15, 5, 10, 20, 25};
    JT_CHECK(matrix_chain(dims2, 6) == 15125);

    JT_CHECK(longest_pal_subseq("bbbab") == 4);
    JT_CHECK(longest_pal_subseq("character") == 5);

    static const int set[] = {3, 34, 4, 12, 5, 2};
    JT_CHECK(subset_sum(set, 6, 9));
    JT_CHECK(!subset_sum(set, 6, 164));
    JT_CHECK(subset_sum(set, 6, 60) && !subset_sum(set, 6, 61));
    return 0;
}
