/* Hash tables: a generic Robin Hood open-addressing map stamped out for
 * several key/value types (including string keys) with backward-shift
 * deletion, plus a chained string-interning table. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

static inline uint64_t hash_u64(uint64_t k) { return jt_mix64(k); }
static inline uint64_t hash_f64(double k)
{
    uint64_t bits;
    if (k == 0) k = 0; /* +0 and -0 compare equal, so hash them equally */
    memcpy(&bits, &k, sizeof bits);
    return jt_mix64(bits);
}
static inline uint64_t hash_str(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 0x100000001B3ull;
    return jt_mix64(h);
}
#define EQ_PLAIN(a, b) ((a) == (b))
#define EQ_STR(a, b) (strcmp((a), (b)) == 0)

/* (name, key type, value type, hash expression on k, equality macro) */
#define MAP_IMPL(name, K, V, HASH, EQ)                                                   \
    typedef struct {                                                                     \
        K *keys;                                                                         \
        V *vals;                                                                         \
        uint8_t *dist; /* probe distance + 1; 0 = empty */                               \
        size_t cap, len;                                                                 \
    } name;                                                                              \
    static void name##_init(name *m, size_t cap)                                         \
    {                                                                                    \
        m->cap = cap;                                                                    \
        m->len = 0;                                                                      \
        m->keys = calloc(cap, sizeof *m->keys);                                          \
        m->vals = calloc(cap, sizeof *m->vals);                                          \
        m->dist = calloc(cap, 1);                                                        \
    }                                                                                    \
    static void name##_free(name *m)                                                     \
    {                                                                                    \
        free(m->keys);                                                                   \
        free(m->vals);                                                                   \
        free(m->dist);                                                                   \
    }                                                                                    \
    static inline size_t name##_slot(const name *m, K k) { return (size_t)((HASH) & (m->cap - 1)); } \
    static void name##_put(name *m, K key, V val);                                       \
    static void name##_grow(name *m)                                                     \
    {                                                                                    \
        name bigger;                                                                     \
        name##_init(&bigger, m->cap * 2);                                                \
        for (size_t i = 0; i < m->cap; i++)                                              \
            if (m->dist[i]) name##_put(&bigger, m->keys[i], m->vals[i]);                 \
        name##_free(m);                                                                  \
        *m = bigger;                                                                     \
    }                                                                                    \
    static void name##_put(name *m, K key, V val)                                        \
    {                                                                                    \
        if ((m->len + 1) * 8 > m->cap * 7) name##_grow(m);                               \
        size_t i = name##_slot(m, key);                                                  \
        uint8_t d = 1;                                                                   \
        for (;;) {                                                                       \
            if (m->dist[i] == 0) {                                                       \
                m->keys[i] = key;                                                        \
                m->vals[i] = val;                                                        \
                m->dist[i] = d;                                                          \
                m->len++;                                                                \
                return;                                                                  \
            }                                                                            \
            if (m->dist[i] == d && EQ(m->keys[i], key)) {                                \
                m->vals[i] = val;                                                        \
                return;                                                                  \
            }                                                                            \
            if (m->dist[i] < d) { /* steal from the rich */                              \
                K tk = m->keys[i];                                                       \
                V tv = m->vals[i];                                                       \
                uint8_t td = m->dist[i];                                                 \
                m->keys[i] = key;                                                        \
                m->vals[i] = val;                                                        \
                m->dist[i] = d;                                                          \
                key = tk;                                                                \
                val = tv;                                                                \
                d = td;                                                                  \
            }                                                                            \
            i = (i + 1) & (m->cap - 1);                                                  \
            if (++d == 255) { /* pathological clustering: grow and retry */              \
                name##_grow(m);                                                          \
                name##_put(m, key, val);                                                 \
                return;                                                                  \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
    static V *name##_get(const name *m, K key)                                           \
    {                                                                                    \
        size_t i = name##_slot(m, key);                                                  \
        for (uint8_t d = 1; m->dist[i] >= d; d++) {                                      \
            if (m->dist[i] == d && EQ(m->keys[i], key)) return &m->vals[i];              \
            i = (i + 1) & (m->cap - 1);                                                  \
        }                                                                                \
        return NULL;                                                                     \
    }                                                                                    \
    static int name##_del(name *m, K key)                                                \
    {                                                                                    \
        size_t i = name##_slot(m, key);                                                  \
        for (uint8_t d = 1; m->dist[i] >= d; d++) {                                      \
            if (m->dist[i] == d && EQ(m->keys[i], key)) {                                \
                size_t next = (i + 1) & (m->cap - 1);                                    \
                while (m->dist[next] > 1) {                                              \
                    m->keys[i] = m->keys[next];                                          \
                    m->vals[i] = m->vals[next];                                          \
                    m->dist[i] = (uint8_t)(m->dist[next] - 1);                           \
                    i = next;                                                            \
                    next = (next + 1) & (m->cap - 1);                                    \
                }                                                                        \
                m->dist[i] = 0;                                                          \
                m->len--;                                                                \
                return 1;                                                                \
            }                                                                            \
            i = (i + 1) & (m->cap - 1);                                                  \
        }                                                                                \
        return 0;                                                                        \
    }                                                                                    \
    static size_t name##_max_probe(const name *m)                                        \
    {                                                                                    \
        size_t maxd = 0;                                                                 \
        for (size_t i = 0; i < m->cap; i++)                                              \
            if (m->dist[i] > maxd) maxd = m->dist[i];                                    \
        return maxd;                                                                     \
    }

MAP_IMPL(map_u32, uint32_t, uint32_t, hash_u64(k), EQ_PLAIN)
MAP_IMPL(map_u64, uint64_t, uint64_t, hash_u64(k), EQ_PLAIN)
MAP_IMPL(map_i32d, int32_t, double, hash_u64((uint64_t)(int64_t)k), EQ_PLAIN)
MAP_IMPL(map_i64, int64_t, int64_t, hash_u64((uint64_t)k), EQ_PLAIN)
MAP_IMPL(map_f64, double, uint32_t, hash_f64(k), EQ_PLAIN)
MAP_IMPL(map_str, const char *, uint32_t, hash_str(k), EQ_STR)

/* Randomised operations against a dense reference table. Keys are derived
 * from a small universe index u by MAKE_KEY; values by MAKE_VAL. */
#define MAP_TEST(name, K, V, MAKE_KEY, MAKE_VAL)                                         \
    static int name##_test(uint64_t *digest, uint64_t seed)                              \
    {                                                                                    \
        enum { UNIVERSE = 6000, OPS = 30000 };                                           \
        name m;                                                                          \
        name##_init(&m, 16);                                                             \
        static V ref[UNIVERSE];                                                          \
        static uint8_t present[UNIVERSE];                                                \
        memset(present, 0, sizeof present);                                              \
        jt_rng r = {seed};                                                               \
        for (int op = 0; op < OPS; op++) {                                               \
            uint32_t u = jt_rng_below(&r, UNIVERSE), what = jt_rng_below(&r, 10);        \
            K key = MAKE_KEY(u);                                                         \
            if (what < 6) {                                                              \
                V v = MAKE_VAL(jt_rng_next(&r));                                         \
                name##_put(&m, key, v);                                                  \
                ref[u] = v;                                                              \
                present[u] = 1;                                                          \
            } else if (what < 8) {                                                       \
                JT_CHECK(name##_del(&m, key) == present[u]);                             \
                present[u] = 0;                                                          \
            } else {                                                                     \
                V *got = name##_get(&m, key);                                            \
                JT_CHECK((got != NULL) == present[u]);                                   \
                if (got) JT_CHECK(*got == ref[u]);                                       \
            }                                                                            \
        }                                                                                \
        size_t live = 0;                                                                 \
        for (uint32_t u = 0; u < UNIVERSE; u++) {                                        \
            V *got = name##_get(&m, MAKE_KEY(u));                                        \
            JT_CHECK((got != NULL) == present[u]);                                       \
            live += present[u];                                                          \
        }                                                                                \
        JT_CHECK(live == m.len);                                                         \
        JT_CHECK(name##_max_probe(&m) < 40);                                             \
        *digest = jt_digest(*digest, live);                                              \
        *digest = jt_digest(*digest, m.cap);                                             \
        name##_free(&m);                                                                 \
        return 0;                                                                        \
    }

static char key_text[6000][16];

#define KEY_U32(u) ((uint32_t)(u) * 2654435761u)
#define KEY_U64(u) ((uint64_t)(u) << 40 | (u))
#define KEY_I32(u) ((int32_t)(u) - 3000)
#define KEY_I64(u) (-(int64_t)(u) * 1000003)
#define KEY_F64(u) ((double)(u) * 0.25 - 100.0)
#define KEY_STR(u) ((const char *)key_text[u])
#define VAL_U32(x) ((uint32_t)(x))
#define VAL_U64(x) ((uint64_t)(x))
#define VAL_DBL(x) ((double)((x) >> 11) * 0.5)
#define VAL_I64(x) ((int64_t)((x) >> 1))

MAP_TEST(map_u32, uint32_t, uint32_t, KEY_U32, VAL_U32)
MAP_TEST(map_u64, uint64_t, uint64_t, KEY_U64, VAL_U64)
MAP_TEST(map_i32d, int32_t, double, KEY_I32, VAL_DBL)
MAP_TEST(map_i64, int64_t, int64_t, KEY_I64, VAL_I64)
MAP_TEST(map_f64, double, uint32_t, KEY_F64, VAL_U32)
MAP_TEST(map_str, const char *, uint32_t, KEY_STR, VAL_U32)

/* ---- String interning --------------------------------------------------- */
typedef struct inode {
    struct inode *next;
    uint32_t hash, id;
    char str[];
} inode;

typedef struct {
    inode *buckets[256];
    inode *by_id[4096];
    uint32_t count;
} interner;

static uint32_t intern(interner *t, const char *s)
{
    uint32_t h = (uint32_t)hash_str(s);
    inode **b = &t->buckets[h & 255];
    for (inode *n = *b; n; n = n->next)
        if (n->hash == h && strcmp(n->str, s) == 0) return n->id;
    size_t len = strlen(s);
    inode *n = malloc(sizeof *n + len + 1);
    memcpy(n->str, s, len + 1);
    n->hash = h;
    n->id = t->count++;
    n->next = *b;
    *b = n;
    t->by_id[n->id] = n;
    return n->id;
}

static void interner_free(interner *t)
{
    for (int i = 0; i < 256; i++)
        for (inode *n = t->buckets[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
}

int hashmap_selftest(uint64_t *digest)
{
    for (int i = 0; i < 6000; i++) snprintf(key_text[i], sizeof key_text[i], "key-%d", i * 7919);
    if (map_u32_test(digest, 1) || map_u64_test(digest, 2) || map_i32d_test(digest, 3) ||
        map_i64_test(digest, 4) || map_f64_test(digest, 5) || map_str_test(digest, 6))
        return 1;

    /* Word counting with the string map. */
    map_str words;
    map_str_init(&words, 8);
    static const char *const text[] = {"make", "jobs", "make", "tune", "jobs", "make", "cores", "tune", "make"};
    for (size_t i = 0; i < JT_ARRAY_LEN(text); i++) {
        uint32_t *c = map_str_get(&words, text[i]);
        if (c)
            ++*c;
        else
            map_str_put(&words, text[i], 1);
    }
    JT_CHECK(words.len == 4 && *map_str_get(&words, "make") == 4 && *map_str_get(&words, "cores") == 1);
    map_str_free(&words);

    /* Negative and positive zero are the same double key. */
    map_f64 fz;
    map_f64_init(&fz, 8);
    map_f64_put(&fz, 0.0, 7);
    JT_CHECK(map_f64_get(&fz, -0.0) && *map_f64_get(&fz, -0.0) == 7);
    map_f64_free(&fz);

    static interner t;
    memset(&t, 0, sizeof t);
    char word[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(word, sizeof word, "sym%d", i % 1000);
        uint32_t id = intern(&t, word);
        JT_CHECK(id == (uint32_t)(i % 1000));
        JT_CHECK(strcmp(t.by_id[id]->str, word) == 0);
    }
    JT_CHECK(t.count == 1000);
    *digest = jt_digest(*digest, t.count);
    interner_free(&t);
    return 0;
}
