/* Priority queues: binary and 4-ary min-heaps for every arithmetic type,
 * a pairing heap, and heap-based top-k / k-way merge. */
#include <stdlib.h>

#include "common.h"

#define PQ_IMPL(sfx, T)                                                            \
    typedef struct {                                                               \
        T *a;                                                                      \
        size_t n, cap;                                                             \
    } pq_##sfx;                                                                    \
    static inline void pq_##sfx##_push(pq_##sfx *q, T v)                           \
    {                                                                              \
        size_t i = q->n++;                                                         \
        while (i > 0) {                                                            \
            size_t p = (i - 1) / 2;                                                \
            if (!(v < q->a[p])) break;                                             \
            q->a[i] = q->a[p];                                                     \
            i = p;                                                                 \
        }                                                                          \
        q->a[i] = v;                                                               \
    }                                                                              \
    static inline T pq_##sfx##_pop(pq_##sfx *q)                                    \
    {                                                                              \
        T top = q->a[0], v = q->a[--q->n];                                         \
        size_t i = 0;                                                              \
        for (;;) {                                                                 \
            size_t c = 2 * i + 1;                                                  \
            if (c >= q->n) break;                                                  \
            if (c + 1 < q->n && q->a[c + 1] < q->a[c]) c++;                        \
            if (!(q->a[c] < v)) break;                                             \
            q->a[i] = q->a[c];                                                     \
            i = c;                                                                 \
        }                                                                          \
        if (q->n) q->a[i] = v;                                                     \
        return top;                                                                \
    }                                                                              \
    /* 4-ary heap: shallower tree, more comparisons per level. */                  \
    static inline void pq4_##sfx##_push(pq_##sfx *q, T v)                          \
    {                                                                              \
        size_t i = q->n++;                                                         \
        while (i > 0) {                                                            \
            size_t p = (i - 1) / 4;                                                \
            if (!(v < q->a[p])) break;                                             \
            q->a[i] = q->a[p];                                                     \
            i = p;                                                                 \
        }                                                                          \
        q->a[i] = v;                                                               \
    }                                                                              \
    static inline T pq4_##sfx##_pop(pq_##sfx *q)                                   \
    {                                                                              \
        T top = q->a[0], v = q->a[--q->n];                                         \
        size_t i = 0;                                                              \
        for (;;) {                                                                 \
            size_t c = 4 * i + 1, best = c;                                        \
            if (c >= q->n) break;                                                  \
            for (size_t k = c + 1; k < c + 4 && k < q->n; k++)                     \
                if (q->a[k] < q->a[best]) best = k;                                \
            if (!(q->a[best] < v)) break;                                          \
            q->a[i] = q->a[best];                                                  \
            i = best;                                                              \
        }                                                                          \
        if (q->n) q->a[i] = v;                                                     \
        return top;                                                                \
    }                                                                              \
    /* Largest k values (descending) using a size-k min-heap. */                   \
    static inline size_t pq_##sfx##_topk(const T *x, size_t n, size_t k, T *out)   \
    {                                                                              \
        pq_##sfx q = {out, 0, k};                                                  \
        for (size_t i = 0; i < n; i++) {                                           \
            if (q.n < k)                                                           \
                pq_##sfx##_push(&q, x[i]);                                         \
            else if (k && q.a[0] < x[i]) {                                         \
                pq_##sfx##_pop(&q);                                                \
                pq_##sfx##_push(&q, x[i]);                                         \
            }                                                                      \
        }                                                                          \
        size_t m = q.n;                                                            \
        for (size_t i = m; i-- > 0;) {                                             \
            T v = pq_##sfx##_pop(&q);                                              \
            out[i] = v;                                                            \
        }                                                                          \
        return m;                                                                  \
    }                                                                              \
    static int pq_test_##sfx(uint64_t *digest, uint64_t seed)                      \
    {                                                                              \
        enum { N = 600 };                                                          \
        T buf2[N], buf4[N], x[N], top[10];                                         \
        pq_##sfx q2 = {buf2, 0, N}, q4 = {buf4, 0, N};                             \
        jt_rng r = {seed};                                                         \
        for (size_t i = 0; i < N; i++) {                                           \
            x[i] = (T)jt_rng_below(&r, 100);                                       \
            pq_##sfx##_push(&q2, x[i]);                                            \
            pq4_##sfx##_push(&q4, x[i]);                                           \
        }                                                                          \
        T last = pq_##sfx##_pop(&q2);                                              \
        JT_CHECK(pq4_##sfx##_pop(&q4) == last);                                    \
        while (q2.n) {                                                             \
            T v = pq_##sfx##_pop(&q2);                                             \
            JT_CHECK(!(v < last));                                                 \
            JT_CHECK(pq4_##sfx##_pop(&q4) == v);                                   \
            last = v;                                                              \
        }                                                                          \
        JT_CHECK(q4.n == 0);                                                       \
        size_t m = pq_##sfx##_topk(x, N, 10, top);                                 \
        JT_CHECK(m == 10 && top[0] == (T)99);                                      \
        for (size_t i = 1; i < m; i++) JT_CHECK(!(top[i - 1] < top[i]));           \
        size_t bigger = 0;                                                         \
        for (size_t i = 0; i < N; i++) bigger += top[9] < x[i];                    \
        JT_CHECK(bigger < 10);                                                     \
        *digest = jt_digest(*digest, (uint64_t)top[9]);                            \
        return 0;                                                                  \
    }
JT_ALL_TYPES(PQ_IMPL)

/* Pairing heap over an index pool. */
typedef struct {
    int64_t key;
    int child, sibling;
} pnode;

static int pair_meld(pnode *pool, int a, int b)
{
    if (a < 0) return b;
    if (b < 0) return a;
    if (pool[b].key < pool[a].key) {
        int t = a;
        a = b;
        b = t;
    }
    pool[b].sibling = pool[a].child;
    pool[a].child = b;
    return a;
}

static int pair_pop(pnode *pool, int root)
{
    /* Two-pass merge of the children. */
    int list = pool[root].child, merged = -1;
    int stack[64], sp = 0;
    while (list >= 0) {
        int a = list, b = pool[a].sibling;
        list = b >= 0 ? pool[b].sibling : -1;
        pool[a].sibling = -1;
        if (b >= 0) pool[b].sibling = -1;
        int m = pair_meld(pool, a, b);
        if (sp < 64)
            stack[sp++] = m;
        else
            merged = pair_meld(pool, merged, m);
    }
    while (sp) merged = pair_meld(pool, merged, stack[--sp]);
    return merged;
}

/* k-way merge of sorted runs through a heap of (value, run) pairs. */
static int kway_merge_test(uint64_t *digest)
{
    enum { RUNS = 8, LEN = 50 };
    uint64_t runs[RUNS][LEN], heap[RUNS], out[RUNS * LEN];
    size_t pos[RUNS] = {0};
    jt_rng r = {77};
    for (int k = 0; k < RUNS; k++) {
        uint64_t v = 0;
        for (int i = 0; i < LEN; i++) runs[k][i] = v += jt_rng_below(&r, 20);
    }
    pq_u64 q = {heap, 0, RUNS};
    for (uint64_t k = 0; k < RUNS; k++) pq_u64_push(&q, runs[k][0] << 8 | k);
    size_t n = 0;
    while (q.n) {
        uint64_t e = pq_u64_pop(&q);
        size_t k = e & 0xFF;
        out[n++] = e >> 8;
        if (++pos[k] < LEN) pq_u64_push(&q, runs[k][pos[k]] << 8 | k);
    }
    JT_CHECK(n == RUNS * LEN);
    for (size_t i = 1; i < n; i++) JT_CHECK(out[i - 1] <= out[i]);
    *digest = jt_digest(*digest, out[n - 1]);
    return 0;
}

int pqueue_selftest(uint64_t *digest)
{
    uint64_t seed = 21;
#define PQ_RUN(sfx, T) \
    if (pq_test_##sfx(digest, seed++) != 0) return 1;
    JT_ALL_TYPES(PQ_RUN)
#undef PQ_RUN
    enum { P = 2000 };
    pnode *pool = malloc(P * sizeof *pool);
    jt_rng r = {31};
    int root = -1;
    for (int i = 0; i < P; i++) {
        pool[i].key = (int64_t)jt_rng_below(&r, 1000000) - 500000;
        pool[i].child = pool[i].sibling = -1;
        root = pair_meld(pool, root, i);
    }
    int64_t last = INT64_MIN;
    int count = 0;
    while (root >= 0) {
        JT_CHECK(pool[root].key >= last);
        last = pool[root].key;
        root = pair_pop(pool, root);
        count++;
    }
    free(pool);
    JT_CHECK(count == P);
    *digest = jt_digest(*digest, (uint64_t)last);
    return kway_merge_test(digest);
}
