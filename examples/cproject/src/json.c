/* A small JSON parser (RFC 8259) building a tree in an arena, a compact
 * serialiser, and a path lookup helper. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype t;
    double num;
    char *str;          /* J_STR value, or member key inside objects */
    struct jval *child; /* first element / member */
    struct jval *next;  /* next sibling */
    char *key;
} jval;

typedef struct {
    const char *p;
    char *arena;
    size_t used, cap;
    int depth;
    const char *err;
} jparser;

static void *jalloc(jparser *ps, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (ps->used + n > ps->cap) {
        ps->err = "arena exhausted";
        return NULL;
    }
    void *r = ps->arena + ps->used;
    ps->used += n;
    memset(r, 0, n);
    return r;
}

static void skip_ws(jparser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static char *parse_string(jparser *ps)
{
    const char *s = ++ps->p; /* after opening quote */
    size_t maxlen = 0;
    while (s[maxlen] && s[maxlen] != '"') maxlen += s[maxlen] == '\\' && s[maxlen + 1] ? 2 : 1;
    char *out = jalloc(ps, maxlen + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (;;) {
        char c = *ps->p++;
        if (c == '"') break;
        if ((unsigned char)c < 0x20) {
            ps->err = "control character in string";
            return NULL;
        }
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        c = *ps->p++;
        switch (c) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (hex4(ps->p, &cp)) goto bad;
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto bad;
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                goto bad;
            }
            o += utf8_put(out + o, cp);
            break;
        }
        default:
        bad:
            ps->err = "bad escape";
            return NULL;
        }
    }
    out[o] = 0;
    return out;
}

static int parse_number(jparser *ps, double *out)
{
    const char *s = ps->p;
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') while (*s >= '0' && *s <= '9') s++;
    else return -1;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9')) return -1;
        while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!(*s >= '0' && *s <= '9')) return -1;
        while (*s >= '0' && *s <= '9') s++;
    }
    *out = strtod(ps->p, NULL);
    ps->p = s;
    return 0;
}

static jval *parse_value(jparser *ps)
{
    skip_ws(ps);
    if (++ps->depth > 64) {
        ps->err = "too deep";
        return NULL;
    }
    jval *v = jalloc(ps, sizeof *v);
    if (!v) return NULL;
    char c = *ps->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->t = obj ? J_OBJ : J_ARR;
        ps->p++;
        skip_ws(ps);
        jval **tail = &v->child;
        if (*ps->p == (obj ? '}' : ']')) {
            ps->p++;
            ps->depth--;
            return v;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                skip_ws(ps);
                if (*ps->p != '"') {
                    ps->err = "expected key";
                    return NULL;
                }
                if (!(key = parse_string(ps))) return NULL;
                skip_ws(ps);
                if (*ps->p++ != ':') {
                    ps->err = "expected ':'";
                    return NULL;
                }
            }
            jval *item = parse_value(ps);
            if (!item) return NULL;
            item->key = key;
            *tail = item;
            tail = &item->next;
            skip_ws(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == (obj ? '}' : ']')) {
                ps->p++;
                break;
            }
            ps->err = "expected ',' or close";
            return NULL;
        }
    } else if (c == '"') {
        v->t = J_STR;
        if (!(v->str = parse_string(ps))) return NULL;
    } else if (strncmp(ps->p, "true", 4) == 0) {
        v->t = J_TRUE;
        ps->p += 4;
    } else if (strncmp(ps->p, "false", 5) == 0) {
        v->t = J_FALSE;
        ps->p += 5;
    } else if (strncmp(ps->p, "null", 4) == 0) {
        v->t = J_NULL;
        ps->p += 4;
    } else {
        v->t = J_NUM;
        if (parse_number(ps, &v->num)) {
            ps->err = "bad value";
            return NULL;
        }
    }
    ps->depth--;
    return v;
}

static jval *json_parse(const char *text, char *arena, size_t cap, const char **err)
{
    jparser ps = {text, arena, 0, cap, 0, NULL};
    jval *v = parse_value(&ps);
    if (v) {
        skip_ws(&ps);
        if (*ps.p) {
            ps.err = "trailing characters";
            v = NULL;
        }
    }
    if (err) *err = ps.err;
    return v;
}

static size_t emit_string(const char *s, char *out, size_t o)
{
    out[o++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    return o;
}

static size_t json_write(const jval *v, char *out, size_t o)
{
    switch (v->t) {
    case J_NULL: memcpy(out + o, "null", 4); return o + 4;
    case J_TRUE: memcpy(out + o, "true", 4); return o + 4;
    case J_FALSE: memcpy(out + o, "false", 5); return o + 5;
    case J_NUM: return o + (size_t)sprintf(out + o, "%.17g", v->num);
    case J_STR: return emit_string(v->str, out, o);
    case J_ARR:
    case J_OBJ:
        out[o++] = v->t == J_ARR ? '[' : '{';
        for (const jval *c = v->child; c; c = c->next) {
            if (c != v->child) out[o++] = ',';
            if (v->t == J_OBJ) {
                o = emit_string(c->key, out, o);
                out[o++] = ':';
            }
            o = json_write(c, out, o);
        }
        out[o++] = v->t == J_ARR ? ']' : '}';
        return o;
    }
    return o;
}

/* Path lookup such as "build.jobs[2].name". */
static const jval *json_get(const jval *v, const char *path)
{
    while (v && *path) {
        if (*path == '.') path++;
        if (*path == '[') {
            long idx = strtol(path + 1, (char **)&path, 10);
            if (*path++ != ']' || v->t != J_ARR) return NULL;
            v = v->child;
            while (v && idx-- > 0) v = v->next;
        } else {
            size_t n = strcspn(path, ".[");
            if (v->t != J_OBJ) return NULL;
            const jval *c = v->child;
            while (c && !(strlen(c->key) == n && strncmp(c->key, path, n) == 0)) c = c->next;
            v = c;
            path += n;
        }
    }
    return v;
}

static size_t json_count(const jval *v)
{
    size_t n = 1;
    for (const jval *c = v->child; c; c = c->next) n += json_count(c);
    return n;
}

int json_selftest(uint64_t *digest)
{
    static char arena[1 << 16], arena2[1 << 16], out[1 << 14], out2[1 << 14];
    static const char doc[] =
        "{\n"
        "  \"project\": \"jtune\",\n"
        "  \"version\": 1.5e0,\n"
        "  \"build\": {\"jobs\": [\n"
        "      {\"name\": \"compile\", \"secs\": 12.25, \"parallel\": true},\n"
        "      {\"name\": \"link\", \"secs\": 0.5, \"parallel\": false},\n"
        "      {\"name\": \"test \\\"all\\\"\", \"secs\": -3e-2, \"tags\": [], \"extra\": null}\n"
        "  ]},\n"
        "  \"unicode\": \"caf\\u00e9 \\ud83d\\ude00 tab\\there\"\n"
        "}\n";
    const char *err = NULL;
    const jval *root = json_parse(doc, arena, sizeof arena, &err);
    JT_CHECK(root && !err);
    JT_CHECK(json_count(root) == 19);
    const jval *v = json_get(root, "build.jobs[1].name");
    JT_CHECK(v && v->t == J_STR && strcmp(v->str, "link") == 0);
    v = json_get(root, "build.jobs[0].secs");
    JT_CHECK(v && v->t == J_NUM && v->num == 12.25);
    v = json_get(root, "build.jobs[2].name");
    JT_CHECK(v && strcmp(v->str, "test \"all\"") == 0);
    v = json_get(root, "unicode");
    JT_CHECK(v && strcmp(v->str, "caf\xC3\xA9 \xF0\x9F\x98\x80 tab\there") == 0);
    JT_CHECK(json_get(root, "build.jobs[7]") == NULL);
    JT_CHECK(json_get(root, "nope") == NULL);

    /* Serialise, reparse, serialise again: output must be a fixed point. */
    size_t n1 = json_write(root, out, 0);
    out[n1] = 0;
    const jval *again = json_parse(out, arena2, sizeof arena2, &err);
    JT_CHECK(again && !err);
    size_t n2 = json_write(again, out2, 0);
    out2[n2] = 0;
    JT_CHECK(n1 == n2 && strcmp(out, out2) == 0);

    static const char *const invalid[] = {
        "", "{", "[1,]", "{\"a\" 1}", "[01]", "[1.]", "\"\\x\"", "[\"\\ud800\"]", "tru", "[1] x",
        "{\"a\":}", "[-]", "\"abc", "[1e]",
    };
    for (size_t i = 0; i < JT_ARRAY_LEN(invalid); i++) {
        JT_CHECK(json_parse(invalid[i], arena2, sizeof arena2, &err) == NULL && err != NULL);
    }
    static const char *const valid[] = {"0", "-0.0e+0", "[]", "{}", "\"\"", "[[[[[]]]]]", " true ", "[null,false]"};
    for (size_t i = 0; i < JT_ARRAY_LEN(valid); i++) JT_CHECK(json_parse(valid[i], arena2, sizeof arena2, NULL) != NULL);

    for (size_t i = 0; i < n1; i++) *digest = jt_digest(*digest, (uint64_t)(unsigned char)out[i]);
    return 0;
}
