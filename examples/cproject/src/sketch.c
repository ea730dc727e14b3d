/* Probabilistic streaming summaries: Bloom filter, count-min sketch,
 * HyperLogLog, Misra-Gries heavy hitters and reservoir sampling. */
#include <math.h>
#include <stdlib.h>

#include "common.h"

static inline uint64_t h64(uint64_t x, uint64_t seed) { return jt_mix64(x ^ jt_mix64(seed)); }

/* ---- Bloom filter (Kirsch-Mitzenmacher double hashing) ------------------ */
typedef struct {
    uint64_t *bits;
    size_t m; /* number of bits, power of two */
    int k;
} bloom;

static bloom bloom_new(size_t expected, double fp_rate)
{
    double mbits = -(double)expected * log(fp_rate) / (log(2) * log(2));
    size_t m = 64;
    while ((double)m < mbits) m <<= 1;
    bloom b = {calloc(m / 64, 8), m, (int)lround((double)m / (double)expected * log(2))};
    if (b.k < 1) b.k = 1;
    return b;
}

static void bloom_add(bloom *b, uint64_t key)
{
    uint64_t h1 = h64(key, 1), h2 = h64(key, 2) | 1;
    for (int i = 0; i < b->k; i++) {
        size_t bit = (size_t)((h1 + (uint64_t)i * h2) & (b->m - 1));
        b->bits[bit / 64] |= 1ull << (bit % 64);
    }
}

static int bloom_has(const bloom *b, uint64_t key)
{
    uint64_t h1 = h64(key, 1), h2 = h64(key, 2) | 1;
    for (int i = 0; i < b->k; i++) {
        size_t bit = (size_t)((h1 + (uint64_t)i * h2) & (b->m - 1));
        if (!(b->bits[bit / 64] >> (bit % 64) & 1)) return 0;
    }
    return 1;
}

/* ---- Count-min sketch ---------------------------------------------------- */
enum { CM_DEPTH = 5, CM_WIDTH = 1024 };
typedef struct {
    uint32_t c[CM_DEPTH][CM_WIDTH];
} countmin;

static void cm_add(countmin *s, uint64_t key, uint32_t n)
{
    for (int d = 0; d < CM_DEPTH; d++) s->c[d][h64(key, 10 + (uint64_t)d) % CM_WIDTH] += n;
}

static uint32_t cm_estimate(const countmin *s, uint64_t key)
{
    uint32_t best = UINT32_MAX;
    for (int d = 0; d < CM_DEPTH; d++) {
        uint32_t v = s->c[d][h64(key, 10 + (uint64_t)d) % CM_WIDTH];
        if (v < best) best = v;
    }
    return best;
}

/* ---- HyperLogLog ----------------------------------------------------------- */
enum { HLL_P = 12, HLL_M = 1 << HLL_P };
typedef struct {
    uint8_t reg[HLL_M];
} hll;

static void hll_add(hll *h, uint64_t key)
{
    uint64_t x = h64(key, 99);
    size_t idx = (size_t)(x >> (64 - HLL_P));
    uint64_t rest = x << HLL_P | (1ull << (HLL_P - 1));
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > h->reg[idx]) h->reg[idx] = rank;
}

static double hll_estimate(const hll *h)
{
    double sum = 0;
    int zeros = 0;
    for (size_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double alpha = 0.7213 / (1 + 1.079 / HLL_M);
    double est = alpha * HLL_M * HLL_M / sum;
    if (est <= 2.5 * HLL_M && zeros) est = HLL_M * log((double)HLL_M / zeros); /* linear counting */
    return est;
}

static void hll_merge(hll *dst, const hll *src)
{
    for (size_t i = 0; i < HLL_M; i++)
        if (src->reg[i] > dst->reg[i]) dst->reg[i] = src->reg[i];
}

/* ---- Misra-Gries ----------------------------------------------------------- */
enum { MG_K = 16 };
typedef struct {
    uint64_t key[MG_K];
    uint32_t cnt[MG_K];
} misra_gries;

static void mg_add(misra_gries *s, uint64_t key)
{
    for (int i = 0; i < MG_K; i++)
        if (s->cnt[i] && s->key[i] == key) {
            s->cnt[i]++;
            return;
        }
    for (int i = 0; i < MG_K; i++)
        if (!s->cnt[i]) {
            s->key[i] = key;
            s->cnt[i] = 1;
            return;
        }
    for (int i = 0; i < MG_K; i++) s->cnt[i]--;
}

/* Zipf-like sampler: key k with probability roughly proportional to 1/k. */
static uint64_t zipf(jt_rng *r, uint64_t n)
{
    double u = jt_rng_unit(r);
    return (uint64_t)floor(exp(u * log((double)n + 1))) - 1;
}

int sketch_selftest(uint64_t *digest)
{
    enum { ITEMS = 20000 };
    bloom b = bloom_new(ITEMS, 0.01);
    for (uint64_t i = 0; i < ITEMS; i++) bloom_add(&b, i * 2);
    for (uint64_t i = 0; i < ITEMS; i++) JT_CHECK(bloom_has(&b, i * 2)); /* no false negatives */
    size_t fp = 0;
    for (uint64_t i = 0; i < ITEMS; i++) fp += (size_t)bloom_has(&b, i * 2 + 1);
    JT_CHECK(fp < ITEMS / 50);
    free(b.bits);
    *digest = jt_digest(*digest, fp);

    static countmin cm;
    static misra_gries mg;
    static uint32_t exact[1000];
    memset(&cm, 0, sizeof cm);
    memset(&mg, 0, sizeof mg);
    memset(exact, 0, sizeof exact);
    jt_rng r = {123};
    enum { STREAM = 100000 };
    for (int i = 0; i < STREAM; i++) {
        uint64_t k = zipf(&r, 1000);
        if (k >= 1000) k = 999;
        exact[k]++;
        cm_add(&cm, k, 1);
        mg_add(&mg, k);
    }
    size_t bad = 0;
    for (uint64_t k = 0; k < 1000; k++) {
        uint32_t est = cm_estimate(&cm, k);
        JT_CHECK(est >= exact[k]); /* never underestimates */
        bad += est > exact[k] + 2 * STREAM / CM_WIDTH * 2;
    }
    JT_CHECK(bad < 20);
    /* Misra-Gries keeps every item with frequency > n/(k+1). */
    for (uint64_t k = 0; k < 1000; k++) {
        if (exact[k] <= STREAM / (MG_K + 1)) continue;
        int found = 0;
        for (int i = 0; i < MG_K; i++) found |= mg.cnt[i] && mg.key[i] == k;
        JT_CHECK(found);
    }
    *digest = jt_digest(*digest, exact[0]);

    static hll h1, h2;
    memset(&h1, 0, sizeof h1);
    memset(&h2, 0, sizeof h2);
    const uint64_t sizes[] = {100, 1000, 10000, 200000};
    for (size_t s = 0; s < JT_ARRAY_LEN(sizes); s++) {
        hll h;
        memset(&h, 0, sizeof h);
        for (uint64_t i = 0; i < sizes[s]; i++) {
            hll_add(&h, i);
            hll_add(&h, i); /* duplicates do not count */
        }
        double est = hll_estimate(&h);
        JT_CHECK(fabs(est - (double)sizes[s]) < 0.05 * (double)sizes[s] + 2);
        *digest = jt_digest_double(*digest, est);
    }
    for (uint64_t i = 0; i < 60000; i++) hll_add(i < 40000 ? &h1 : &h2, i);
    for (uint64_t i = 30000; i < 60000; i++) hll_add(&h1, i);
    hll_merge(&h1, &h2);
    JT_CHECK(fabs(hll_estimate(&h1) - 60000) < 3000);

    /* Reservoir sampling: each of 10 slots sees roughly uniform indices. */
    uint64_t hist[10] = {0};
    for (int trial = 0; trial < 2000; trial++) {
        uint32_t res[5];
        for (uint32_t i = 0; i < 100; i++) {
            if (i < 5) res[i] = i;
            else {
                uint32_t j = jt_rng_below(&r, i + 1);
                if (j < 5) res[j] = i;
            }
        }
        for (int k = 0; k < 5; k++) hist[res[k] / 10]++;
    }
    for (int b2 = 0; b2 < 10; b2++) JT_CHECK(hist[b2] > 800 && hist[b2] < 1200);
    return 0;
}
