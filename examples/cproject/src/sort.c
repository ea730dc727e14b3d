/* A family of comparison sorts (plus radix sort) for every arithmetic type. */
#include "common.h"

#define SORT_IMPL(sfx, T)                                                          \
    static inline void sort_swap_##sfx(T *a, T *b)                                 \
    {                                                                              \
        T t = *a;                                                                  \
        *a = *b;                                                                   \
        *b = t;                                                                    \
    }                                                                              \
    static inline int sort_is_sorted_##sfx(const T *x, size_t n)                   \
    {                                                                              \
        for (size_t i = 1; i < n; i++)                                             \
            if (x[i] < x[i - 1]) return 0;                                         \
        return 1;                                                                  \
    }                                                                              \
    static inline void insertion_sort_##sfx(T *x, size_t n)                        \
    {                                                                              \
        for (size_t i = 1; i < n; i++) {                                           \
            T v = x[i];                                                            \
            size_t j = i;                                                          \
            while (j > 0 && v < x[j - 1]) {                                        \
                x[j] = x[j - 1];                                                   \
                j--;                                                               \
            }                                                                      \
            x[j] = v;                                                              \
        }                                                                          \
    }                                                                              \
    static inline void shell_sort_##sfx(T *x, size_t n)                            \
    {                                                                              \
        static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};            \
        for (size_t g = 0; g < JT_ARRAY_LEN(gaps); g++) {                          \
            size_t gap = gaps[g];                                                  \
            for (size_t i = gap; i < n; i++) {                                     \
                T v = x[i];                                                        \
                size_t j = i;                                                      \
                while (j >= gap && v < x[j - gap]) {                               \
                    x[j] = x[j - gap];                                             \
                    j -= gap;                                                      \
                }                                                                  \
                x[j] = v;                                                          \
            }                                                                      \
        }                                                                          \
    }                                                                              \
    static inline void sift_down_##sfx(T *x, size_t root, size_t n)                \
    {                                                                              \
        for (;;) {                                                                 \
            size_t child = 2 * root + 1;                                           \
            if (child >= n) return;                                                \
            if (child + 1 < n && x[child] < x[child + 1]) child++;                 \
            if (!(x[root] < x[child])) return;                                     \
            sort_swap_##sfx(&x[root], &x[child]);                                  \
            root = child;                                                          \
        }                                                                          \
    }                                                                              \
    static inline void heap_sort_##sfx(T *x, size_t n)                             \
    {                                                                              \
        if (n < 2) return;                                                         \
        for (size_t i = n / 2; i-- > 0;) sift_down_##sfx(x, i, n);                 \
        for (size_t end = n - 1; end > 0; end--) {                                 \
            sort_swap_##sfx(&x[0], &x[end]);                                       \
            sift_down_##sfx(x, 0, end);                                            \
        }                                                                          \
    }                                                                              \
    static inline T median3_##sfx(T a, T b, T c)                                   \
    {                                                                              \
        if (a < b) return b < c ? b : (a < c ? c : a);                             \
        return a < c ? a : (b < c ? c : b);                                        \
    }                                                                              \
    /* Introsort: quicksort with median-of-three, heap sort fallback and an      \
     * insertion sort finish for small partitions. */                             \
    static void intro_sort_rec_##sfx(T *x, size_t n, int depth)                    \
    {                                                                              \
        while (n > 16) {                                                           \
            if (depth-- == 0) {                                                    \
                heap_sort_##sfx(x, n);                                             \
                return;                                                            \
            }                                                                      \
            T pivot = median3_##sfx(x[0], x[n / 2], x[n - 1]);                     \
            size_t i = 0, j = n - 1;                                               \
            for (;;) {                                                             \
                while (x[i] < pivot) i++;                                          \
                while (pivot < x[j]) j--;                                          \
                if (i >= j) break;                                                 \
                sort_swap_##sfx(&x[i], &x[j]);                                     \
                i++;                                                               \
                j--;                                                               \
            }                                                                      \
            size_t left = j + 1;                                                   \
            if (left < n - left) {                                                 \
                intro_sort_rec_##sfx(x, left, depth);                              \
                x += left;                                                         \
                n -= left;                                                         \
            } else {                                                               \
                intro_sort_rec_##sfx(x + left, n - left, depth);                   \
                n = left;                                                          \
            }                                                                      \
        }                                                                          \
        insertion_sort_##sfx(x, n);                                                \
    }                                                                              \
    static inline void intro_sort_##sfx(T *x, size_t n)                            \
    {                                                                              \
        int depth = 0;                                                             \
        for (size_t m = n; m > 1; m >>= 1) depth += 2;                             \
        intro_sort_rec_##sfx(x, n, depth);                                         \
    }                                                                              \
    /* Bottom-up merge sort using a scratch buffer. */                             \
    static inline void merge_sort_##sfx(T *x, T *tmp, size_t n)                    \
    {                                                                              \
        T *src = x, *dst = tmp;                                                    \
        for (size_t width = 1; width < n; width *= 2) {                            \
            for (size_t lo = 0; lo < n; lo += 2 * width) {                         \
                size_t mid = lo + width < n ? lo + width : n;                      \
                size_t hi = lo + 2 * width < n ? lo + 2 * width : n;               \
                size_t i = lo, j = mid, k = lo;                                    \
                while (i < mid && j < hi) dst[k++] = x_lt_##sfx(src[j], src[i]) ? src[j++] : src[i++]; \
                while (i < mid) dst[k++] = src[i++];                               \
                while (j < hi) dst[k++] = src[j++];                                \
            }                                                                      \
            T *t = src;                                                            \
            src = dst;                                                             \
            dst = t;                                                               \
        }                                                                          \
        if (src != x) memcpy(x, src, n * sizeof(T));                               \
    }                                                                              \
    static inline size_t count_inversions_##sfx(const T *x, size_t n)              \
    {                                                                              \
        size_t inv = 0;                                                            \
        for (size_t i = 0; i < n; i++)                                             \
            for (size_t j = i + 1; j < n; j++) inv += x[j] < x[i];                 \
        return inv;                                                                \
    }                                                                              \
    static int sort_test_##sfx(uint64_t *digest, uint64_t seed)                    \
    {                                                                              \
        enum { N = 400 };                                                          \
        T ref[N], a[N], tmp[N];                                                    \
        jt_rng r = {seed};                                                         \
        for (size_t i = 0; i < N; i++) ref[i] = (T)(jt_rng_below(&r, 120));        \
        size_t inv = count_inversions_##sfx(ref, N);                               \
        JT_CHECK(inv > 0);                                                         \
        memcpy(a, ref, sizeof a);                                                  \
        insertion_sort_##sfx(a, N);                                                \
        JT_CHECK(sort_is_sorted_##sfx(a, N));                                      \
        memcpy(tmp, a, sizeof tmp);                                                \
        T *sorted = tmp;                                                           \
        T b[N], scratch[N];                                                        \
        memcpy(b, ref, sizeof b);                                                  \
        shell_sort_##sfx(b, N);                                                    \
        JT_CHECK(memcmp(b, sorted, sizeof b) == 0);                                \
        memcpy(b, ref, sizeof b);                                                  \
        heap_sort_##sfx(b, N);                                                     \
        JT_CHECK(memcmp(b, sorted, sizeof b) == 0);                                \
        memcpy(b, ref, sizeof b);                                                  \
        intro_sort_##sfx(b, N);                                                    \
        JT_CHECK(memcmp(b, sorted, sizeof b) == 0);                                \
        memcpy(b, ref, sizeof b);                                                  \
        merge_sort_##sfx(b, scratch, N);                                           \
        JT_CHECK(memcmp(b, sorted, sizeof b) == 0);                                \
        JT_CHECK(count_inversions_##sfx(b, N) == 0);                               \
        *digest = jt_digest(*digest, inv);                                         \
        *digest = jt_digest(*digest, (uint64_t)b[N / 2]);                          \
        return 0;                                                                  \
    }

#define SORT_LT(sfx, T) \
    static inline int x_lt_##sfx(T a, T b) { return a < b; }
JT_ALL_TYPES(SORT_LT)
JT_ALL_TYPES(SORT_IMPL)

/* LSD radix sort on unsigned keys, one byte per pass. */
#define RADIX_IMPL(sfx, T)                                                  \
    static void radix_sort_##sfx(T *x, T *tmp, size_t n)                    \
    {                                                                       \
        T *src = x, *dst = tmp;                                             \
        for (unsigned shift = 0; shift < 8 * sizeof(T); shift += 8) {       \
            size_t count[257] = {0};                                        \
            for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & 0xFF) + 1]++; \
            for (size_t b = 0; b < 256; b++) count[b + 1] += count[b];      \
            for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 0xFF]++] = src[i]; \
            T *t = src;                                                     \
            src = dst;                                                      \
            dst = t;                                                        \
        }                                                                   \
        if (src != x) memcpy(x, src, n * sizeof(T));                        \
    }                                                                       \
    static int radix_test_##sfx(uint64_t *digest, uint64_t seed)            \
    {                                                                       \
        enum { N = 1000 };                                                  \
        T a[N], b[N], tmp[N];                                               \
        jt_rng r = {seed};                                                  \
        for (size_t i = 0; i < N; i++) a[i] = b[i] = (T)jt_rng_next(&r);    \
        radix_sort_##sfx(a, tmp, N);                                        \
        intro_sort_##sfx(b, N);                                             \
        JT_CHECK(memcmp(a, b, sizeof a) == 0);                              \
        *digest = jt_digest(*digest, (uint64_t)a[0] ^ (uint64_t)a[N - 1]);  \
        return 0;                                                           \
    }
JT_UINT_TYPES(RADIX_IMPL)

int sort_selftest(uint64_t *digest)
{
    uint64_t seed = 100;
#define SORT_RUN(sfx, T) \
    if (sort_test_##sfx(digest, seed++) != 0) return 1;
    JT_ALL_TYPES(SORT_RUN)
#undef SORT_RUN
#define RADIX_RUN(sfx, T) \
    if (radix_test_##sfx(digest, seed++) != 0) return 1;
    JT_UINT_TYPES(RADIX_RUN)
#undef RADIX_RUN
    return 0;
}
