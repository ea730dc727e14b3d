/* Graph algorithms on a compressed sparse row representation: BFS,
 * Dijkstra, Bellman-Ford, topological sort, union-find components, Kruskal
 * MST, Tarjan SCC and Floyd-Warshall. */
#include <stdlib.h>

#include "common.h"

typedef struct {
    uint32_t from, to;
    int32_t w;
} edge;

/* Unweighted compressed-sparse-row adjacency. */
typedef struct {
    size_t n, m;
    uint32_t *off, *adj;
    int32_t *wt;
} csr;

static void csr_build(csr *g, size_t n, const edge *e, size_t m)
{
    g->n = n;
    g->m = m;
    g->off = calloc(n + 1, sizeof *g->off);
    g->adj = malloc(m * sizeof *g->adj);
    g->wt = malloc(m * sizeof *g->wt);
    for (size_t i = 0; i < m; i++) g->off[e[i].from + 1]++;
    for (size_t v = 0; v < n; v++) g->off[v + 1] += g->off[v];
    uint32_t *pos = malloc(n * sizeof *pos);
    memcpy(pos, g->off, n * sizeof *pos);
    for (size_t i = 0; i < m; i++) {
        uint32_t p = pos[e[i].from]++;
        g->adj[p] = e[i].to;
        g->wt[p] = e[i].w;
    }
    free(pos);
}

static void csr_free(csr *g)
{
    free(g->off);
    free(g->adj);
    free(g->wt);
}

/* Weighted shortest paths and spanning trees, instantiated per weight type:
 * (suffix, edge weight type, distance type, "infinity"). */
#define WG_TYPES(X)                                                    \
    X(i32, int32_t, int64_t, INT64_MAX / 4) X(i64, int64_t, int64_t, INT64_MAX / 4) \
    X(f32, float, double, 1e300) X(f64, double, double, 1e300)

#define WG_IMPL(sfx, WT, D, DINF)                                                     \
    typedef struct {                                                                  \
        uint32_t from, to;                                                            \
        WT w;                                                                         \
    } wedge_##sfx;                                                                    \
    typedef struct {                                                                  \
        D d;                                                                          \
        uint32_t v;                                                                   \
    } hnode_##sfx;                                                                    \
    typedef struct {                                                                  \
        size_t n, m;                                                                  \
        uint32_t *off, *adj;                                                          \
        WT *wt;                                                                       \
    } wcsr_##sfx;                                                                     \
    static void wcsr_build_##sfx(wcsr_##sfx *g, size_t n, const wedge_##sfx *e, size_t m) \
    {                                                                                 \
        g->n = n;                                                                     \
        g->m = m;                                                                     \
        g->off = calloc(n + 1, sizeof *g->off);                                       \
        g->adj = malloc(m * sizeof *g->adj);                                          \
        g->wt = malloc(m * sizeof *g->wt);                                            \
        for (size_t i = 0; i < m; i++) g->off[e[i].from + 1]++;                       \
        for (size_t v = 0; v < n; v++) g->off[v + 1] += g->off[v];                    \
        uint32_t *pos = malloc(n * sizeof *pos);                                      \
        memcpy(pos, g->off, n * sizeof *pos);                                         \
        for (size_t i = 0; i < m; i++) {                                              \
            uint32_t p = pos[e[i].from]++;                                            \
            g->adj[p] = e[i].to;                                                      \
            g->wt[p] = e[i].w;                                                        \
        }                                                                             \
        free(pos);                                                                    \
    }                                                                                 \
    static void wcsr_free_##sfx(wcsr_##sfx *g)                                        \
    {                                                                                 \
        free(g->off);                                                                 \
        free(g->adj);                                                                 \
        free(g->wt);                                                                  \
    }                                                                                 \
    /* Dijkstra with a binary heap and lazy deletion of stale entries. */            \
    static void dijkstra_##sfx(const wcsr_##sfx *g, uint32_t src, D *dist)            \
    {                                                                                 \
        hnode_##sfx *heap = malloc((g->m + 1) * sizeof *heap);                        \
        size_t hn = 0;                                                                \
        for (size_t v = 0; v < g->n; v++) dist[v] = DINF;                             \
        dist[src] = 0;                                                                \
        heap[hn++] = (hnode_##sfx){0, src};                                           \
        while (hn) {                                                                  \
            hnode_##sfx top = heap[0], last = heap[--hn];                             \
            size_t i = 0;                                                             \
            for (;;) {                                                                \
                size_t c = 2 * i + 1;                                                 \
                if (c >= hn) break;                                                   \
                if (c + 1 < hn && heap[c + 1].d < heap[c].d) c++;                     \
                if (!(heap[c].d < last.d)) break;                                     \
                heap[i] = heap[c];                                                    \
                i = c;                                                                \
            }                                                                         \
            if (hn) heap[i] = last;                                                   \
            uint32_t u = top.v;                                                       \
            if (top.d != dist[u]) continue;                                           \
            for (uint32_t k = g->off[u]; k < g->off[u + 1]; k++) {                    \
                uint32_t v = g->adj[k];                                               \
                D nd = top.d + (D)g->wt[k];                                           \
                if (nd < dist[v]) {                                                   \
                    dist[v] = nd;                                                     \
                    size_t j = hn++;                                                  \
                    while (j > 0 && nd < heap[(j - 1) / 2].d) {                       \
                        heap[j] = heap[(j - 1) / 2];                                  \
                        j = (j - 1) / 2;                                              \
                    }                                                                 \
                    heap[j] = (hnode_##sfx){nd, v};                                   \
                }                                                                     \
            }                                                                         \
        }                                                                             \
        free(heap);                                                                   \
    }                                                                                 \
    static void bellman_ford_##sfx(size_t n, const wedge_##sfx *e, size_t m, uint32_t src, D *dist) \
    {                                                                                 \
        for (size_t v = 0; v < n; v++) dist[v] = DINF;                                \
        dist[src] = 0;                                                                \
        for (size_t round = 0; round + 1 < n; round++) {                              \
            int changed = 0;                                                          \
            for (size_t i = 0; i < m; i++)                                            \
                if (dist[e[i].from] != DINF && dist[e[i].from] + (D)e[i].w < dist[e[i].to]) { \
                    dist[e[i].to] = dist[e[i].from] + (D)e[i].w;                      \
                    changed = 1;                                                      \
                }                                                                     \
            if (!changed) break;                                                      \
        }                                                                             \
    }                                                                                 \
    static void floyd_warshall_##sfx(D *d, size_t n)                                  \
    {                                                                                 \
        for (size_t k = 0; k < n; k++)                                                \
            for (size_t i = 0; i < n; i++) {                                          \
                D dik = d[i * n + k];                                                 \
                if (dik == DINF) continue;                                            \
                for (size_t j = 0; j < n; j++) {                                      \
                    D via = dik + d[k * n + j];                                       \
                    if (via < d[i * n + j]) d[i * n + j] = via;                       \
                }                                                                     \
            }                                                                         \
    }                                                                                 \
    static int wedge_cmp_##sfx(const void *a, const void *b)                          \
    {                                                                                 \
        const wedge_##sfx *x = a, *y = b;                                             \
        return (x->w > y->w) - (x->w < y->w);                                         \
    }                                                                                 \
    static D kruskal_##sfx(size_t n, wedge_##sfx *e, size_t m, size_t *used)          \
    {                                                                                 \
        uint32_t *parent = malloc(n * sizeof *parent);                                \
        uint8_t *rank = calloc(n, 1);                                                 \
        for (uint32_t v = 0; v < n; v++) parent[v] = v;                               \
        qsort(e, m, sizeof *e, wedge_cmp_##sfx);                                      \
        D total = 0;                                                                  \
        *used = 0;                                                                    \
        for (size_t i = 0; i < m; i++)                                                \
            if (uf_union(parent, rank, e[i].from, e[i].to)) {                         \
                total += (D)e[i].w;                                                   \
                ++*used;                                                              \
            }                                                                         \
        free(parent);                                                                 \
        free(rank);                                                                   \
        return total;                                                                 \
    }                                                                                 \
    /* Prim's algorithm with a dense O(n^2) scan, cross-checking Kruskal. */         \
    static D prim_dense_##sfx(size_t n, const wedge_##sfx *e, size_t m)               \
    {                                                                                 \
        D *w = malloc(n * n * sizeof *w), *best = malloc(n * sizeof *best);           \
        uint8_t *in = calloc(n, 1);                                                   \
        for (size_t i = 0; i < n * n; i++) w[i] = DINF;                               \
        for (size_t i = 0; i < m; i++) {                                              \
            size_t a = e[i].from, b = e[i].to;                                        \
            if (a != b && (D)e[i].w < w[a * n + b]) w[a * n + b] = w[b * n + a] = (D)e[i].w; \
        }                                                                             \
        for (size_t v = 0; v < n; v++) best[v] = DINF;                                \
        best[0] = 0;                                                                  \
        D total = 0;                                                                  \
        for (size_t it = 0; it < n; it++) {                                           \
            size_t u = n;                                                             \
            for (size_t v = 0; v < n; v++)                                            \
                if (!in[v] && (u == n || best[v] < best[u])) u = v;                   \
            in[u] = 1;                                                                \
            total += best[u];                                                         \
            for (size_t v = 0; v < n; v++)                                            \
                if (!in[v] && w[u * n + v] < best[v]) best[v] = w[u * n + v];         \
        }                                                                             \
        free(w);                                                                      \
        free(best);                                                                   \
        free(in);                                                                     \
        return total;                                                                 \
    }                                                                                 \
    static int weighted_test_##sfx(const edge *src, size_t n, size_t m, double *out)  \
    {                                                                                 \
        wedge_##sfx *e = malloc(m * sizeof *e);                                       \
        for (size_t i = 0; i < m; i++) e[i] = (wedge_##sfx){src[i].from, src[i].to, (WT)src[i].w}; \
        wcsr_##sfx g;                                                                 \
        wcsr_build_##sfx(&g, n, e, m);                                                \
        D *dj = malloc(n * sizeof *dj), *bf = malloc(n * sizeof *bf);                 \
        D *fw = malloc(n * n * sizeof *fw);                                           \
        dijkstra_##sfx(&g, 0, dj);                                                    \
        bellman_ford_##sfx(n, e, m, 0, bf);                                           \
        for (size_t i = 0; i < n * n; i++) fw[i] = DINF;                              \
        for (size_t v = 0; v < n; v++) fw[v * n + v] = 0;                             \
        for (size_t i = 0; i < m; i++) {                                              \
            D *cell = &fw[e[i].from * n + e[i].to];                                   \
            if ((D)e[i].w < *cell) *cell = (D)e[i].w;                                 \
        }                                                                             \
        floyd_warshall_##sfx(fw, n);                                                  \
        double total = 0;                                                             \
        for (size_t v = 0; v < n; v++) {                                              \
            JT_CHECK(dj[v] == bf[v] && dj[v] == fw[v]);                               \
            if (dj[v] != DINF) total += (double)dj[v];                                \
        }                                                                             \
        out[0] = total;                                                               \
        size_t used = 0;                                                              \
        D mst = kruskal_##sfx(n, e, m, &used);                                        \
        out[1] = (double)mst;                                                         \
        out[2] = (double)used;                                                        \
        if (used == n - 1) JT_CHECK(prim_dense_##sfx(n, e, m) == mst);                \
        for (size_t u = 0; u < n; u++) /* triangle inequality through every v */       \
            for (size_t v = 0; v < n; v += 13)                                        \
                if (fw[v] != DINF && fw[v * n + u] != DINF) JT_CHECK(fw[u] <= fw[v] + fw[v * n + u]); \
        wcsr_free_##sfx(&g);                                                          \
        free(e);                                                                      \
        free(dj);                                                                     \
        free(bf);                                                                     \
        free(fw);                                                                     \
        return 0;                                                                     \
    }

static void bfs(const csr *g, uint32_t src, int32_t *dist)
{
    uint32_t *queue = malloc(g->n * sizeof *queue);
    size_t head = 0, tail = 0;
    for (size_t v = 0; v < g->n; v++) dist[v] = -1;
    dist[src] = 0;
    queue[tail++] = src;
    while (head < tail) {
        uint32_t u = queue[head++];
        for (uint32_t k = g->off[u]; k < g->off[u + 1]; k++)
            if (dist[g->adj[k]] < 0) {
                dist[g->adj[k]] = dist[u] + 1;
                queue[tail++] = g->adj[k];
            }
    }
    free(queue);
}

/* Kahn's algorithm; returns number of vertices emitted (n if acyclic). */
static size_t toposort(const csr *g, uint32_t *order)
{
    uint32_t *indeg = calloc(g->n, sizeof *indeg);
    for (size_t k = 0; k < g->m; k++) indeg[g->adj[k]]++;
    size_t head = 0, tail = 0;
    for (uint32_t v = 0; v < g->n; v++)
        if (!indeg[v]) order[tail++] = v;
    while (head < tail) {
        uint32_t u = order[head++];
        for (uint32_t k = g->off[u]; k < g->off[u + 1]; k++)
            if (--indeg[g->adj[k]] == 0) order[tail++] = g->adj[k];
    }
    free(indeg);
    return tail;
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static int uf_union(uint32_t *parent, uint8_t *rank, uint32_t a, uint32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a == b) return 0;
    if (rank[a] < rank[b]) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    parent[b] = a;
    if (rank[a] == rank[b]) rank[a]++;
    return 1;
}

WG_TYPES(WG_IMPL)

/* Iterative Tarjan strongly connected components. */
static size_t tarjan_scc(const csr *g, uint32_t *comp)
{
    size_t n = g->n, ncomp = 0, counter = 0;
    uint32_t *index = malloc(n * sizeof *index), *low = malloc(n * sizeof *low);
    uint32_t *stack = malloc(n * sizeof *stack), *call = malloc(n * sizeof *call);
    uint32_t *edge_pos = malloc(n * sizeof *edge_pos);
    uint8_t *on = calloc(n, 1);
    size_t sp = 0, cp = 0;
    for (size_t v = 0; v < n; v++) index[v] = UINT32_MAX;
    for (uint32_t root = 0; root < n; root++) {
        if (index[root] != UINT32_MAX) continue;
        call[cp++] = root;
        index[root] = low[root] = (uint32_t)counter++;
        edge_pos[root] = g->off[root];
        stack[sp++] = root;
        on[root] = 1;
        while (cp) {
            uint32_t u = call[cp - 1];
            if (edge_pos[u] < g->off[u + 1]) {
                uint32_t v = g->adj[edge_pos[u]++];
                if (index[v] == UINT32_MAX) {
                    index[v] = low[v] = (uint32_t)counter++;
                    edge_pos[v] = g->off[v];
                    stack[sp++] = v;
                    on[v] = 1;
                    call[cp++] = v;
                } else if (on[v] && index[v] < low[u]) {
                    low[u] = index[v];
                }
            } else {
                if (low[u] == index[u]) {
                    uint32_t w;
                    do {
                        w = stack[--sp];
                        on[w] = 0;
                        comp[w] = (uint32_t)ncomp;
                    } while (w != u);
                    ncomp++;
                }
                cp--;
                if (cp && low[u] < low[call[cp - 1]]) low[call[cp - 1]] = low[u];
            }
        }
    }
    free(index);
    free(low);
    free(stack);
    free(call);
    free(edge_pos);
    free(on);
    return ncomp;
}

int graph_selftest(uint64_t *digest)
{
    enum { N = 200, M = 1000 };
    edge *e = malloc(M * sizeof *e);
    jt_rng r = {13};
    for (size_t i = 0; i < M; i++) {
        e[i].from = jt_rng_below(&r, N);
        e[i].to = jt_rng_below(&r, N);
        e[i].w = (int32_t)jt_rng_below(&r, 100) + 1;
    }
    /* Shortest paths and MST totals must agree for every weight type. */
    double ref[3], res[3];
    if (weighted_test_i64(e, N, M, ref)) return 1;
#define WG_RUN(sfx, WT, D, DINF)                          \
    if (weighted_test_##sfx(e, N, M, res)) return 1;      \
    JT_CHECK(memcmp(res, ref, sizeof res) == 0);
    WG_TYPES(WG_RUN)
#undef WG_RUN
    for (int i = 0; i < 3; i++) *digest = jt_digest_double(*digest, ref[i]);

    csr g;
    csr_build(&g, N, e, M);
    int32_t *hops = malloc(N * sizeof *hops);
    int64_t *dist = malloc(N * sizeof *dist);
    uint32_t *comp = malloc(N * sizeof *comp);
    bfs(&g, 0, hops);
    {
        wedge_i64 *we = malloc(M * sizeof *we);
        wcsr_i64 wg;
        for (size_t i = 0; i < M; i++) we[i] = (wedge_i64){e[i].from, e[i].to, e[i].w};
        wcsr_build_i64(&wg, N, we, M);
        dijkstra_i64(&wg, 0, dist);
        wcsr_free_i64(&wg);
        free(we);
    }
    for (size_t v = 0; v < N; v++) {
        JT_CHECK((dist[v] == INT64_MAX / 4) == (hops[v] < 0));
        if (hops[v] >= 0) JT_CHECK(dist[v] >= hops[v]); /* every edge weighs >= 1 */
    }
    size_t ncomp = tarjan_scc(&g, comp);
    /* Vertices in one SCC can reach each other: BFS from a member reaches all. */
    for (size_t u = 0; u < N; u += 17) {
        bfs(&g, (uint32_t)u, hops);
        for (size_t v = 0; v < N; v++)
            if (comp[v] == comp[u]) JT_CHECK(hops[v] >= 0);
    }
    *digest = jt_digest(*digest, ncomp);
    csr_free(&g);

    /* DAG: edges only go from lower to higher ids, so a topo order exists. */
    for (size_t i = 0; i < M; i++) {
        uint32_t a = jt_rng_below(&r, N - 1);
        e[i].from = a;
        e[i].to = a + 1 + jt_rng_below(&r, (uint32_t)(N - 1 - a));
    }
    csr_build(&g, N, e, M);
    uint32_t *order = malloc(N * sizeof *order), *rankpos = malloc(N * sizeof *rankpos);
    JT_CHECK(toposort(&g, order) == N);
    for (uint32_t i = 0; i < N; i++) rankpos[order[i]] = i;
    for (size_t i = 0; i < M; i++) JT_CHECK(rankpos[e[i].from] < rankpos[e[i].to]);
    JT_CHECK(tarjan_scc(&g, comp) == N);
    csr_free(&g);

    /* MST on a connected graph: a path backbone plus random chords. */
    for (uint32_t i = 0; i + 1 < N; i++) e[i] = (edge){i, i + 1, 1000};
    for (size_t i = N - 1; i < M; i++) {
        uint32_t a = jt_rng_below(&r, N), b = jt_rng_below(&r, N);
        e[i] = (edge){a, b, (int32_t)jt_rng_below(&r, 1000)};
    }
#define WG_MST(sfx, WT, D, DINF)                                          \
    if (weighted_test_##sfx(e, N, M, res)) return 1;                      \
    JT_CHECK(res[2] == N - 1 && res[1] < 1000.0 * (N - 1));               \
    *digest = jt_digest_double(*digest, res[1]);
    WG_TYPES(WG_MST)
#undef WG_MST
    free(e);
    free(hops);
    free(dist);
    free(comp);
    free(order);
    free(rankpos);
    return 0;
}
